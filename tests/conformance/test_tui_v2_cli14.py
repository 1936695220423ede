"""The TUI on the v2 API beside the real bentoml 1.4 CLI: what 1.4 creates shows in the list
within a second, and the TUI's v2 terminate is what 1.4 then reads back."""

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
from tui.screens.confirm import ConfirmByName
from tui.widgets.deployment_table import DeploymentTable

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(600)]


def listed(app, name: str) -> bool:
    tables = app.screen.query(DeploymentTable)
    return bool(tables) and any(d.name == name for d in tables.first().all_items())


async def test_a_14_deploy_shows_in_the_v2_tui_within_a_second(
        bentoml14_cli: BentomlCLI, cloud: LocalCloud, http: httpx.Client, tmp_path: Path) -> None:
    home = tmp_path / "bentoml14-home"
    home.mkdir()
    cli = CLI(bentoml14_cli, home, cloud)
    await asyncio.to_thread(cli, "cloud login", "cloud", "login", "--endpoint", cloud.endpoint,
                            "--api-token", cloud.token)
    bento = f"iris_classifier:{bento_version(http)}"
    app, _ = v2_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot)
        await asyncio.to_thread(cli, "deploy", "deploy", bento, "-n", "tui14", "--no-wait")
        finished = time.monotonic()
        await until(lambda: listed(app, "tui14"), timeout=5, pilot=pilot, what="the 1.4 deployment")
        seen_after = time.monotonic() - finished
        print(f"SEEN_AFTER {seen_after:.3f}")
        assert seen_after < 1.0, f"shown {seen_after:.2f} s after `bentoml deploy` returned"
        # terminate it from the TUI (v2), and 1.4 reads it back as terminated
        await until(lambda: select_row(screen, "tui14").status.value not in ("deploying", "unknown"),
                    timeout=60, pilot=pilot, what="deployed")
        select_row(screen, "tui14")
        await pilot.press("t")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="confirm")
        await pilot.press(*"tui14", "enter")
        await until(lambda: v2_get(http, "tui14")["status"] == "terminated", 30, pilot, "terminated")
    proc = await asyncio.to_thread(cli, "get", "deployment", "get", "tui14", "-o", "json")
    assert json.loads(proc.stdout)["status"]["status"] == "terminated"  # 1.4 nests it
