"""Fixtures of the conformance tests: the real bentoml CLIs (tests/support/bentoml_cli.py),
each installed once into a cached virtualenv of its own."""

from __future__ import annotations

import pytest

from tests.support.bentoml_cli import BENTOML_14_VERSION, BENTOML_VERSION, BentomlCLI, cli_of


@pytest.fixture(scope="session")
def bentoml_cli() -> BentomlCLI:
    return cli_of(BENTOML_VERSION)


@pytest.fixture(scope="session")
def bentoml14_cli() -> BentomlCLI:
    """The latest 1.4.x CLI (its first install is timed in `install_seconds`)."""
    return cli_of(BENTOML_14_VERSION)

