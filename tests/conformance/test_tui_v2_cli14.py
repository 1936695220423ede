"""The TUI (default mode: auto → v2) beside the real bentoml 1.4 CLI: what 1.4 deploys, updates,
terminates and deletes shows in the list within a second, and the TUI's v2 start and terminate
are what 1.4 then reads back."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.app.test_editor_v2 import v2_app, v2_get
from tests.app.test_mutations import on_list, select_row
from tests.harness import LocalCloud
from tests.support.app import bento_version, until
from tests.support.bentoml_cli import CLI, BentomlCLI
from tui.screens.confirm import ConfirmByName, ConfirmScreen
from tui.widgets.deployment_table import DeploymentTable

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(600)]


def listed(app, name: str) -> bool:
    tables = app.screen.query(DeploymentTable)
    return bool(tables) and any(d.name == name for d in tables.first().all_items())


async def seen_within_a_second(pilot, what: str, shown) -> float:
    """Seconds from now (the 1.4 command has just returned) until the TUI shows `what`."""
    finished = time.monotonic()
    await until(shown, timeout=5, pilot=pilot, what=what)
    seen_after = time.monotonic() - finished
    print(f"SEEN_AFTER {what}: {seen_after:.3f}")
    assert seen_after < 1.0, f"{what}: shown {seen_after:.2f} s after the 1.4 command returned"
    return seen_after


def row(screen, name: str):
    return next((d for d in screen.query_one(DeploymentTable).all_items() if d.name == name), None)


def max_replicas(screen, name: str) -> int | None:
    dep = row(screen, name)
    if dep is None or dep.target is None or dep.target.config is None or dep.target.config.hpa_conf is None:
        return None
    return dep.target.config.hpa_conf.max_replicas


async def test_14_commands_show_in_the_default_tui_within_a_second(
        bentoml14_cli: BentomlCLI, cloud: LocalCloud, http: httpx.Client, tmp_path: Path) -> None:
    """deploy, update, terminate and delete by the real 1.4 CLI, each visible in the TUI (the
    default, auto → v2) within a second of the command returning; the TUI's own v2 start and
    terminate are what 1.4 then reads back."""
    home = tmp_path / "bentoml14-home"
    home.mkdir()
    cli = CLI(bentoml14_cli, home, cloud)
    await asyncio.to_thread(cli, "cloud login", "cloud", "login", "--endpoint", cloud.endpoint,
                            "--api-token", cloud.token)
    bento = f"iris_classifier:{bento_version(http)}"
    app, _ = v2_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot)
        assert app.session is not None and app.session.flavour == "v2"
        await asyncio.to_thread(cli, "deploy", "deploy", bento, "-n", "tui14", "--no-wait")
        await seen_within_a_second(pilot, "deploy", lambda: listed(app, "tui14"))
        await until(lambda: select_row(screen, "tui14").status.value not in ("deploying", "unknown"),
                    timeout=60, pilot=pilot, what="deployed")

        await asyncio.to_thread(cli, "update", "deployment", "update", "tui14", "--scaling-max", "3")
        await seen_within_a_second(pilot, "update", lambda: max_replicas(screen, "tui14") == 3)

        await asyncio.to_thread(cli, "terminate", "deployment", "terminate", "tui14")
        await seen_within_a_second(pilot, "terminate", lambda: row(screen, "tui14").status.value
                                   in ("terminating", "terminated"))
        await until(lambda: row(screen, "tui14").status.value == "terminated", 30, pilot, "terminated")

        # start it again from the TUI (r, y: 1.4's "start"), then terminate it by keys
        select_row(screen, "tui14")
        await pilot.press("r")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot=pilot, what="start confirm")
        await pilot.press("y")
        await until(lambda: v2_get(http, "tui14")["status"] != "terminated", 30, pilot, "started")
        await on_list(app, pilot, "tui14")
        select_row(screen, "tui14")
        await pilot.press("t")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="confirm")
        await pilot.press(*"tui14", "enter")
        await until(lambda: v2_get(http, "tui14")["status"] == "terminated", 30, pilot, "terminated")
        proc = await asyncio.to_thread(cli, "get", "deployment", "get", "tui14", "-o", "json")
        assert json.loads(proc.stdout)["status"]["status"] == "terminated"  # 1.4 nests it

        await until(lambda: row(screen, "tui14").status.value == "terminated", 30, pilot, "terminated")
        await asyncio.to_thread(cli, "delete", "deployment", "delete", "tui14")
        await seen_within_a_second(pilot, "delete", lambda: row(screen, "tui14") is None)
