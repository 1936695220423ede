"""One real control plane per test module (starting one costs about a second)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.harness import LocalCloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
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


@pytest.fixture(scope="module")
def iris_version(cloud: LocalCloud) -> str:
    with cloud.client() as client:
        repo = client.get("/api/v1/bento_repositories/iris_classifier").json()
    return repo["latest_bento"]["version"]


@pytest.fixture(scope="module")
def sentiment_version(cloud: LocalCloud) -> str:
    with cloud.client() as client:
        repo = client.get("/api/v1/bento_repositories/sentiment").json()
    return repo["latest_bento"]["version"]
