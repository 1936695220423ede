"""Shared test setup: every test runs with its own BENTOTUI_HOME and BENTOML_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import LocalCloud


@pytest.fixture(autouse=True)
def isolated_homes(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    homes = {
        "BENTOTUI_HOME": tmp_path_factory.mktemp("bentotui-home"),
        "BENTOML_HOME": tmp_path_factory.mktemp("bentoml-home"),
    }
    for key, value in homes.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("BENTO_CLOUD_API_KEY", raising=False)
    monkeypatch.delenv("BENTO_CLOUD_API_ENDPOINT", raising=False)
    monkeypatch.setenv("BENTOML_DO_NOT_TRACK", "True")
    yield homes
    # An app under test may have started the local control plane in this home: never leave it.
    from tui.localcloud import daemon
    from tui.localcloud.paths import StatePaths

    daemon.stop(StatePaths(homes["BENTOTUI_HOME"]))


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """One real control plane per test module (starting one costs about a second)."""
    server = LocalCloud(tmp_path_factory.mktemp("cloud"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http(cloud: LocalCloud) -> Iterator[httpx.Client]:
    with cloud.client() as client:
        yield client
