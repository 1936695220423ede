"""Switching between a bentoml login context and the local control plane without restarting."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui.api.contexts import Context, endpoint_label
from tui.app import BentoTUI
from tui.screens.deployments import DeploymentsScreen
from tui.screens.pickers import PickerScreen
from tui.widgets.deployment_table import DeploymentTable


def listed(app: BentoTUI) -> set[str]:
    if not isinstance(app.screen, DeploymentsScreen):
        return set()
    tables = app.screen.query(DeploymentTable)
    return {d.name for d in tables.first().all_items()} if tables else set()


async def test_switch_to_a_bentoml_context_and_back(cloud: LocalCloud, http, tmp_path: Path,
                                                     monkeypatch) -> None:
    # "local" means the control plane of BENTOTUI_HOME: make that the running test server
    monkeypatch.setenv("BENTOTUI_HOME", str(cloud.home))
    other = LocalCloud(tmp_path / "other").start()
    try:
        with other.client() as other_http:
            create(other_http, "only-on-other", deploy=False)
        create(http, "only-on-local", deploy=False)
        config = Path(os.environ["BENTOML_HOME"]) / ".yatai.yaml"
        config.write_text(yaml.safe_dump({
            "contexts": [{"name": "staging", "endpoint": other.endpoint, "api_token": other.token,
                          "email": "ada@example.com"}],
            "current_context_name": "staging",
        }))
        app = BentoTUI(local_context(cloud))
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: "only-on-local" in listed(app), pilot=pilot, what="local list")
            await pilot.press("x")
            await until(lambda: isinstance(app.screen, PickerScreen), pilot=pilot, what="picker")
            picker: PickerScreen = app.screen  # type: ignore[assignment]
            assert [c.split()[0] for c in picker.choices] == ["staging", "local"]
            await pilot.press("home", "enter")  # staging is first
            await until(lambda: "only-on-other" in listed(app), 15, pilot, "the other list")
            assert "only-on-local" not in listed(app)
            assert app.context_label == "staging" and app.endpoint_label == other.endpoint
            assert other.token not in app.export_screenshot()
            # and back to the local control plane (its endpoint is found, not configured)
            await pilot.press("x")
            await until(lambda: isinstance(app.screen, PickerScreen), pilot=pilot, what="picker")
            await pilot.press("end", "enter")
            await until(lambda: "only-on-local" in listed(app), 30, pilot, "local again")
            assert app.context_label == "local" and app.endpoint_label == cloud.endpoint
            assert len(app.screen_stack) == 2  # one list screen, not a pile of them
    finally:
        other.stop()


async def test_the_endpoint_given_on_the_command_line_can_be_switched_back_to(
        cloud: LocalCloud, http, tmp_path: Path, monkeypatch) -> None:
    """`bentotui --endpoint URL --api-token T`, `x` to the local control plane, then `x` again:
    the command line's endpoint is still offered (it was only while it was the current one)."""
    monkeypatch.setenv("BENTOTUI_HOME", str(cloud.home))
    other = LocalCloud(tmp_path / "other").start()
    try:
        with other.client() as other_http:
            create(other_http, "only-on-flag", deploy=False)
        create(http, "only-on-local-2", deploy=False)
        given = Context(name=endpoint_label(other.endpoint), endpoint=other.endpoint,
                        api_token=other.token, source="flag")
        app = BentoTUI(given)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: "only-on-flag" in listed(app), pilot=pilot, what="the flag's list")
            await pilot.press("x")
            await until(lambda: isinstance(app.screen, PickerScreen), pilot=pilot, what="picker")
            await pilot.press("end", "enter")  # local
            await until(lambda: "only-on-local-2" in listed(app), 30, pilot, "the local list")
            await pilot.press("x")
            await until(lambda: isinstance(app.screen, PickerScreen), pilot=pilot, what="picker")
            picker: PickerScreen = app.screen  # type: ignore[assignment]
            assert [c.split()[0] for c in picker.choices] == [given.name, "local"]
            await pilot.press("home", "enter")
            await until(lambda: "only-on-flag" in listed(app), 30, pilot, "the flag's list again")
            assert app.endpoint_label == other.endpoint
    finally:
        other.stop()
