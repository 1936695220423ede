"""Helpers of the SVG snapshot tests (tests/snapshots): the fixed data, settling, the cloud."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from tests.harness import LocalCloud
from tests.snapshots.svg import normalize
from tests.support.app import local_context
from tui.app import BentoTUI
from tui.screens.deployments import DeploymentsScreen
from tui.widgets.deployment_table import DeploymentTable

# Textual's default theme: what a 256-colour or truecolor terminal shows, so the baselines
# look like the app most people see.  Fixed explicitly because, left alone, the app picks
# `ansi-dark` when the console it detects has 16 colours, which depends on TERM/COLORTERM
# of whoever runs the tests.
THEME = "textual-dark"

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"

# Created in this order; the list sorts newest first, so it shows them bottom-up.
RUNNING = "iris-prod"
DEPLOYMENTS = [RUNNING, "iris-retired", "sentiment-fn", "iris-staging"]


@dataclass
class SnapshotCloud:
    cloud: LocalCloud
    known: list[str] = field(default_factory=list)  # run-specific values to normalise away
    now: datetime | None = None  # the frozen "now" of relative ages

    def app(self, theme: str = THEME, api_version: str | None = None) -> BentoTUI:
        context = local_context(self.cloud)
        if api_version is not None:
            context = context.model_copy(update={"api_version": api_version})
        return BentoTUI(context, theme=theme)

    def normalize(self, svg: str) -> str:
        assert self.cloud.token not in svg, "the API token must never be rendered"
        return normalize(svg, self.known)


def status_of(http: httpx.Client, name: str) -> str:
    return http.get(f"{NS}/{name}").json()["status"]


def list_shown(app: BentoTUI) -> bool:
    """The list is on screen with every fixed deployment, connected, nothing loading."""
    if not isinstance(app.screen, DeploymentsScreen) or app.connection_state != "connected":
        return False
    tables = app.screen.query(DeploymentTable)
    if not tables:
        return False
    table = tables.first()
    names = {table.get(uid).name: table.get(uid) for uid in table.rows}
    return set(DEPLOYMENTS) <= set(names) and names[RUNNING].status.value == "running"


async def settle(app: BentoTUI, pilot, condition=lambda app: True, timeout: float = 20.0) -> str:
    """The screenshot once `condition` holds and two consecutive renders agree."""
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if not condition(app):
            previous = None
            continue
        svg = normalize(app.export_screenshot())
        if svg == previous:
            return app.export_screenshot()
        previous = svg
    raise AssertionError(f"the screen did not settle within {timeout:.0f} s; screen: {app.screen!r}")
