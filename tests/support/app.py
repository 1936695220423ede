"""Helpers for the Pilot tests: the real app against a real local control plane on loopback."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.harness import LocalCloud
from tui.api.contexts import Context
from tui.screens.deployments import DeploymentsScreen
from tui.widgets.deployment_table import DeploymentTable


def bento_version(http: httpx.Client, repo: str = "iris_classifier") -> str:
    return http.get(f"/api/v1/bento_repositories/{repo}").json()["latest_bento"]["version"]


def create(http: httpx.Client, name: str, repo: str = "iris_classifier", mode: str = "deployment",
           deploy: bool = True, **config) -> dict:
    body = {
        "name": name, "mode": mode, "description": f"{name} for tests",
        "targets": [{"bento_repository": repo, "bento": bento_version(http, repo),
                     "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}, **config}}],
    }
    if not deploy:
        body["do_not_deploy"] = True
    response = http.post("/api/v1/clusters/default/deployments", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def local_context(cloud: LocalCloud) -> Context:
    return Context(name="local", endpoint=cloud.endpoint, api_token=cloud.token, source="local",
                   is_local=True)


def list_table(app) -> DeploymentTable | None:
    """The list's table once the list is the screen shown and composed (pushed, a screen is
    `app.screen` a moment before its widgets exist: asking for them then raises NoMatches)."""
    screen = app.screen
    if not isinstance(screen, DeploymentsScreen):
        return None
    tables = screen.query(DeploymentTable)
    return tables.first() if tables else None


def listed_count(app) -> int:
    """How many rows the list shows (0 while it is not on screen)."""
    table = list_table(app)
    return table.total if table is not None else 0


async def until(predicate, timeout: float = 20.0, pilot=None, what: str = "condition"):
    """Await a condition while the app keeps running (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if pilot is not None:
            await pilot.pause(0.05)
        else:
            await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
