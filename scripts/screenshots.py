#!/usr/bin/env python3
"""Render the README's screenshots from the real app: `screenshots/*.svg`.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

It starts a local control plane in a temporary BENTOTUI_HOME (exactly as `bentotui` does on
a fresh machine), creates sample deployments through its HTTP API (a few running, one
function-mode, one terminated, one never deployed), drives the app headless with Textual's
Pilot at fixed sizes, and saves each screen as SVG.  The control plane and its replicas are
stopped afterwards.  No API token may appear in any SVG; the script fails if one does.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THEME = "textual-dark"  # Textual's default, what a 256-colour or truecolor terminal shows
NS = "/api/v1/clusters/default/namespaces/yatai/deployments"

# name, bento repository, mode, deploy?, then terminate?
SAMPLES = [
    ("iris-legacy", "iris_classifier", "deployment", True, True),
    ("sentiment-api", "sentiment", "deployment", True, False),
    ("iris-staging", "iris_classifier", "deployment", False, False),
    ("sentiment-batch", "sentiment", "function", True, False),
    ("iris-classifier", "iris_classifier", "deployment", True, False),
]


def seed(endpoint: str, token: str) -> None:
    import httpx

    with httpx.Client(base_url=endpoint, headers={"X-YATAI-API-TOKEN": token}, timeout=30) as http:
        versions = {repo: http.get(f"/api/v1/bento_repositories/{repo}").json()["latest_bento"]["version"]
                    for repo in {s[1] for s in SAMPLES}}
        for name, repo, mode, deploy, _ in SAMPLES:
            body = {
                "name": name, "mode": mode, "description": f"sample: {repo} ({mode})",
                "targets": [{"bento_repository": repo, "bento": versions[repo],
                             "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 2}}}],
            }
            if not deploy:
                body["do_not_deploy"] = True
            response = http.post("/api/v1/clusters/default/deployments", json=body)
            response.raise_for_status()

        def status(name: str) -> str:
            return http.get(f"{NS}/{name}").json()["status"]

        wait(lambda: all(status(name) == "running" for name, _, _, deploy, _ in SAMPLES if deploy),
             "the sample deployments to run")
        for name, *_, terminate in SAMPLES:
            if terminate:
                http.post(f"{NS}/{name}/terminate").raise_for_status()
        wait(lambda: all(status(name) == "terminated" for name, *_, terminate in SAMPLES if terminate),
             "the terminated sample")


def wait(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


async def settle(app, pilot, condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Until `condition` holds and two consecutive renders agree."""
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        await pilot.pause(0.1)
        if not condition():
            previous = None
            continue
        svg = app.export_screenshot()
        svg = re.sub(  # Rich numbers each export; compare without that
            r"\bterminal-\d+-", "terminal-", svg)
        if svg == previous:
            return
        previous = svg
    raise SystemExit(f"the screen did not settle on {what} within {timeout:.0f} s (at {app.screen!r})")


async def render(context, out: Path, token: str) -> list[Path]:
    from textual.widgets import Input, TextArea

    from tui.app import BentoTUI
    from tui.screens.deployments import DeploymentsScreen
    from tui.screens.help import HelpScreen
    from tui.screens.json_view import JsonScreen
    from tui.widgets.deployment_table import DeploymentTable

    # a still cursor, not one caught mid-blink
    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    TextArea._toggle_cursor_blink_visible = lambda self: None  # type: ignore[method-assign]

    written: list[Path] = []
    started = time.monotonic()

    def save(app, name: str) -> None:
        path = Path(app.save_screenshot(filename=f"{name}.svg", path=str(out)))
        svg = path.read_text()
        if token in svg:
            path.unlink()
            raise SystemExit(f"{path.name}: the API token is on screen; not saved")
        written.append(path)
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"  {shown}  ({time.monotonic() - started:.1f} s)")

    def list_ready(app) -> bool:
        if not isinstance(app.screen, DeploymentsScreen) or app.connection_state != "connected":
            return False
        tables = app.screen.query(DeploymentTable)
        return bool(tables) and tables.first().total == len(SAMPLES)

    def select(app, name: str) -> None:
        table = app.screen.query_one(DeploymentTable)
        table.select_uid(next(uid for uid in table.rows if table.get(uid).name == name))

    for size in ((80, 24), (120, 36)):
        app = BentoTUI(context, theme=THEME)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot, lambda: list_ready(app), "the list")
            save(app, f"list-{size[0]}x{size[1]}")
            if size != (80, 24):
                continue
            await pilot.press("question_mark")
            await settle(app, pilot, lambda: isinstance(app.screen, HelpScreen), "help")
            save(app, "help-80x24")
            await pilot.press("escape")
            await settle(app, pilot, lambda: list_ready(app), "the list")
            select(app, "iris-classifier")
            await pilot.press("y")
            await settle(app, pilot, lambda: isinstance(app.screen, JsonScreen), "the JSON view")
            save(app, "json-80x24")
            await pilot.press("escape")
            await settle(app, pilot, lambda: list_ready(app), "the list")
            await pilot.press("slash", *"iris")
            await settle(app, pilot, lambda: len(app.screen.query_one(DeploymentTable)) < len(SAMPLES),
                         "the filtered list")
            save(app, "filter-80x24")

    if importlib.util.find_spec("tui.screens.detail") is not None:
        await render_detail(context, save, list_ready, select)
    else:
        print("  (no detail screen yet: tui/screens/detail.py does not exist)")
    if importlib.util.find_spec("tui.screens.editor") is not None:
        await render_editor(context, save, list_ready)
    else:
        print("  (no editor yet: tui/screens/editor.py does not exist)")
    return written


async def render_detail(context, save, list_ready, select) -> None:
    """The detail screen of a running deployment, one screenshot per tab."""
    from textual.widgets import TabbedContent, TabPane

    from tui.app import BentoTUI
    from tui.screens.detail import DetailScreen

    for size in ((80, 24), (120, 36)):
        app = BentoTUI(context, theme=THEME)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot, lambda: list_ready(app), "the list")
            select(app, "iris-classifier")
            await pilot.press("enter")
            await settle(app, pilot, lambda: isinstance(app.screen, DetailScreen), "the detail screen")
            tabs = app.screen.query(TabbedContent)
            if not tabs:
                save(app, f"detail-{size[0]}x{size[1]}")
                continue
            tabbed = tabs.first()
            # every tab at 80x24; the wide layout of the first one (Overview) at 120x36
            panes = list(tabbed.query(TabPane))
            for pane in panes if size == (80, 24) else panes[:1]:
                tabbed.active = pane.id or ""
                await settle(app, pilot, lambda: tabbed.active == pane.id, f"the {pane.id} tab")
                save(app, f"detail-{pane.id}-{size[0]}x{size[1]}")


async def render_editor(context, save, list_ready) -> None:
    """The create editor (`n` on the list)."""
    from tui.app import BentoTUI
    from tui.screens.editor import EditorScreen

    app = BentoTUI(context, theme=THEME)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, lambda: list_ready(app), "the list")
        await pilot.press("n")
        await settle(app, pilot, lambda: isinstance(app.screen, EditorScreen), "the editor")
        save(app, "editor-80x24")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots", help="where to write the SVGs")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    home = Path(tempfile.mkdtemp(prefix="bentotui-screenshots-"))
    os.environ["BENTOTUI_HOME"] = str(home / "bentotui")
    os.environ["BENTOML_HOME"] = str(home / "bentoml")  # no bentoml login: the local context
    os.environ.pop("BENTO_CLOUD_API_KEY", None)
    os.environ.pop("BENTO_CLOUD_API_ENDPOINT", None)

    from tui.api.contexts import local_context
    from tui.localcloud import daemon
    from tui.localcloud.paths import read_or_create_token

    paths = daemon.state_paths()
    try:
        state = daemon.ensure_running(paths)
        token = read_or_create_token(paths)
        assert state.endpoint
        print(f"control plane {state.endpoint} in {paths.home}")
        seed(state.endpoint, token)
        context = local_context().with_endpoint(state.endpoint, token)
        written = asyncio.run(render(context, out, token))
    finally:
        daemon.stop(paths)
        shutil.rmtree(home, ignore_errors=True)
    for path in written:  # once more, all of them together
        assert token not in path.read_text(), path
    print(f"{len(written)} screenshots, no token in any of them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
