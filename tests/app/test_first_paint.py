"""The first paint of a prefetched start (issue 16, P1): the list painted from slim rows before
pydantic, the models and the session are imported; then the same page parsed by the models
replaces them uid for uid, with no visible change, and keys pressed meanwhile are answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.app.test_detail import screen_text
from tests.harness import LocalCloud
from tests.support.app import create, list_table, until
from tui.api import models as m
from tui.api.contexts import resolve_context
from tui.api.prefetch import Prefetch
from tui.api.slim_rows import SlimDeployment
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens.deployments import DeploymentsScreen

NAMES = ("paint-alpha", "paint-beta", "paint-gamma", "paint-delta")


@pytest.fixture(scope="module")
def seeded(cloud: LocalCloud) -> LocalCloud:
    """Deployments that are not deployed: nothing about them changes between two starts."""
    with cloud.client() as http:
        for i, name in enumerate(NAMES):
            create(http, name, mode="function" if i % 2 else "deployment", deploy=False)
    return cloud


def prefetched_app(cloud: LocalCloud, *, connect: bool = True) -> BentoTUI:
    """The app as `bentotui --endpoint … --api-token …` starts it; without `connect`, it stops
    after the first paint (the session never opens), so the slim rows can be looked at."""
    prefetch = Prefetch.start_for(cloud.endpoint, cloud.token)
    assert prefetch is not None
    app = BentoTUI(resolve_context(endpoint=cloud.endpoint, api_token=cloud.token),
                   settings=Settings(), prefetch=prefetch)
    if not connect:
        app.connect = lambda *args, **kwargs: None  # type: ignore[method-assign,assignment,return-value]
    return app


def list_screen(app: BentoTUI) -> DeploymentsScreen | None:
    """The list screen once composed (see tests.support.app.list_table)."""
    screen = app.screen
    return screen if isinstance(screen, DeploymentsScreen) and list_table(app) is not None else None


def slim_list_painted(app: BentoTUI) -> bool:
    screen = list_screen(app)
    return bool(screen and screen.table.total >= len(NAMES)
                and all(isinstance(d, SlimDeployment) for d in screen.table.all_items()))


def full_list_painted(app: BentoTUI) -> bool:
    screen = list_screen(app)
    return bool(app.connection_state == "connected" and screen and screen.table.total >= len(NAMES)
                and all(isinstance(d, m.DeploymentSchema) for d in screen.table.all_items()))


def the_list(app: BentoTUI) -> list[str]:
    """The screen below the context bar: the list's header, rows, summary and footer."""
    return screen_text(app).splitlines()[1:]


async def test_the_slim_rows_and_the_full_rows_paint_the_same_screen(seeded: LocalCloud) -> None:
    slim_app = prefetched_app(seeded, connect=False)
    async with slim_app.run_test(size=(80, 24)) as pilot:
        await until(lambda: slim_list_painted(slim_app), 15, pilot, "the slim rows")
        await pilot.pause(0.3)
        assert slim_app.session is None and slim_list_painted(slim_app)  # still the slim rows
        slim = the_list(slim_app)
    full_app = prefetched_app(seeded)
    async with full_app.run_test(size=(80, 24)) as pilot:
        await until(lambda: full_list_painted(full_app), 15, pilot, "the full rows")
        await pilot.pause(0.5)  # the footer's recompose settles
        full = the_list(full_app)
    assert any("paint-alpha" in line for line in slim)
    assert slim == full


async def test_the_full_rows_replace_the_slim_ones_under_the_cursor(seeded: LocalCloud) -> None:
    """One screen throughout: the cursor stays on its uid, and a key pressed while the slim rows
    were shown (enter: open) is answered once the full rows are in, with the full model."""
    from tui.screens.detail import DetailScreen

    app = prefetched_app(seeded, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: slim_list_painted(app), 15, pilot, "the slim rows")
        screen = list_screen(app)
        assert screen is not None
        await pilot.press("j")  # moving needs no model
        uid = screen.table.cursor_uid
        name = screen.table.current.name  # type: ignore[union-attr]
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.screen is screen, "opened with a slim row"
        del app.connect  # the real one, as after the paint
        app.connect()
        await until(lambda: isinstance(app.screen, DetailScreen) and "About" in screen_text(app), 15, pilot,
                    "the held enter")  # mounted whole: leaving while its tabs mount is a Textual race
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.deployment_name == name
        assert isinstance(detail.deployment, m.DeploymentSchema)
        assert app.screen_stack[-2] is screen and screen.table.cursor_uid == uid
        assert not any(isinstance(d, SlimDeployment) for d in screen.table.all_items())


async def test_a_page_the_slim_reader_refuses_takes_the_normal_path(
        seeded: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.api import slim_rows

    monkeypatch.setattr(slim_rows, "slim_page", lambda *args: None)  # as for an odd page
    app = prefetched_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: full_list_painted(app), 15, pilot, "the list")
        assert "paint-alpha" in screen_text(app)


FIRST_PAINT = textwrap.dedent("""
    import asyncio, json, sys

    import tui.cli  # what `bentotui` imports first
    from tui.api.prefetch import Prefetch
    from tui.api.contexts import resolve_context

    if sys.argv[1] == "--local-home":  # plain `bentotui`: its home's control plane
        from tui.cli import _early_target, build_parser

        prefetch = Prefetch.start_for(*_early_target(build_parser().parse_args([])))
        context = resolve_context()
    else:
        endpoint, token = sys.argv[1], sys.argv[2]
        prefetch = Prefetch.start_for(endpoint, token)
        context = resolve_context(endpoint=endpoint, api_token=token)
    from tui.app import BentoTUI
    from tui.config import Settings
    from tui.widgets.deployment_table import DeploymentTable

    HEAVY = ("pydantic", "pydantic_core", "tui.api.models", "httpx", "tui.session", "tui.actions",
             "tui.api.client", "yaml")
    seen = {}
    paint = DeploymentTable.render_line

    def render_line(self, y):
        if self.total and "loaded" not in seen:  # the first row painted
            seen["loaded"] = sorted(name for name in HEAVY if name in sys.modules)
        return paint(self, y)

    DeploymentTable.render_line = render_line
    app = BentoTUI(context, settings=Settings(), prefetch=prefetch)

    async def main():
        async with app.run_test(size=(80, 24)) as pilot:
            while app.connection_state != "connected" or app.screen.table.total < 1:
                await pilot.pause(0.05)
            seen["after"] = sorted(name for name in HEAVY if name in sys.modules)

    asyncio.run(asyncio.wait_for(main(), 30))
    print(json.dumps(seen))
""")


@pytest.mark.parametrize("plain", [False, True], ids=["endpoint-flags", "plain-local-home"])
def test_the_first_paint_imports_no_pydantic(seeded: LocalCloud, plain: bool) -> None:
    """A fresh interpreter, started as `bentotui --endpoint … --api-token …` is, or as plain
    `bentotui` with the control plane's home: when the first row is painted, neither pydantic,
    the models, httpx, the session nor the flows are loaded; they are once the session is open
    (so this check can fail)."""
    argv = ["--local-home"] if plain else [seeded.endpoint, seeded.token]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    if plain:
        env["BENTOTUI_HOME"] = str(seeded.home)
    out = subprocess.run([sys.executable, "-c", FIRST_PAINT, *argv],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == []
    assert {"pydantic", "tui.api.models", "tui.session"} <= set(seen["after"])


async def test_a_name_typed_after_n_while_it_starts_goes_into_the_editor(seeded: LocalCloud) -> None:
    """`n` is held until the full rows are in; the keys typed after it waited with it instead of
    reaching the list (whose `e`, `d`, `p` opened an editor, a detail and the pulse too)."""
    from textual.widgets import Input

    from tests.app.test_key_order import burst
    from tui.screens.editor import EditorScreen

    app = prefetched_app(seeded, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: slim_list_painted(app), 15, pilot, "the slim rows")
        screen = list_screen(app)
        burst(app, "n", *"my-dep")
        await pilot.pause(0.3)
        assert app.screen is screen
        del app.connect  # the real one, as after the paint
        app.connect()
        await until(lambda: isinstance(app.screen, EditorScreen), 15, pilot, "the editor")
        editor = app.screen
        try:
            await until(lambda: [box.value for box in editor.query("#f-name").results(Input)] == ["my-dep"],
                        5, pilot, "the name in the editor")
        except AssertionError:
            print("DBG", [box.value for box in editor.query("#f-name").results(Input)], app.screen_stack, app.focused)
            raise
        await pilot.pause(0.3)
        assert app.screen_stack == [app.screen_stack[0], screen, editor]


async def test_keys_wait_for_a_held_action_at_most_two_seconds(seeded: LocalCloud) -> None:
    """The first read never ends (connect never called): the keys typed after a held `n` are
    handled after 2 s, and the keys after them at once, as when nothing was held."""
    from tests.app.test_key_order import burst

    app = prefetched_app(seeded, connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: slim_list_painted(app), 15, pilot, "the slim rows")
        screen = list_screen(app)
        assert screen is not None
        def at() -> str:
            return screen.table.current.name  # type: ignore[union-attr]

        first = at()
        burst(app, "n", "j")
        await pilot.pause(0.5)
        assert at() == first  # j waits behind the held n
        await until(lambda: at() != first, 5, pilot, "j after the wait")
        second = at()
        await pilot.press("j")
        await pilot.pause(0.2)
        assert at() not in (first, second)
