"""Fixtures of the control-plane tests (the `cloud` server itself is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.harness import LocalCloud


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
