"""Reliability tests: faults, bad input, security and load against a real control plane.

Long cases read their length from the environment and default to SHORT settings, so the
default run (`.venv/bin/python -m pytest -q`, which `.ci/run` runs) includes them briefly.
Full length, as reported in the issue's note:

    BENTOTUI_SOAK_SECONDS=60 BENTOTUI_OUTAGE_SECONDS=30 BENTOTUI_FUZZ_EXAMPLES=100 \\
    BENTOTUI_KILL_ROUNDS=5 BENTOTUI_RACE_ROUNDS=100 BENTOTUI_PROPERTY_EXAMPLES=2000 \\
        .venv/bin/python -m pytest -m slow tests/reliability -s

Each slow test prints one `FIGURES {...}` line (with -s) with what it measured.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.reliability import Rig, start_rig


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    found, procs = start_rig(tmp_path_factory.mktemp("rig"))
    try:
        yield found
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
