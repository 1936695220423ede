"""The app reads only app.tcss at start-up; every other styles/*.tcss is read when a screen
that names it in CSS_PATH is first shown (tui/screens/stylesheets.py).  A file no screen names
would silently leave its widgets unstyled."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from textual.screen import Screen

import tui.screens
from tests.harness import LocalCloud
from tests.support.app import until
from tui.api.contexts import resolve_context
from tui.app import BentoTUI
from tui.screens.stylesheets import STYLES


def _names(css_path: object) -> set[str]:
    if css_path is None:
        return set()
    items = css_path if isinstance(css_path, (list, tuple)) else [css_path]
    return {Path(str(p)).name for p in items}


def _screens() -> list[type[Screen]]:
    for info in pkgutil.walk_packages(tui.screens.__path__, "tui.screens."):
        importlib.import_module(info.name)
    found: list[type[Screen]] = []
    todo: list[type[Screen]] = [Screen]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [s for s in found if s.__module__.startswith("tui.")]


def test_the_app_reads_only_its_own_file_at_start_up() -> None:
    assert _names(BentoTUI.CSS_PATH) == {"app.tcss"}


def test_every_stylesheet_is_named_by_a_screen() -> None:
    named = set().union(*(_names(s.CSS_PATH) for s in _screens()))
    files = {p.name for p in STYLES.glob("*.tcss")}
    assert files - {"app.tcss"} <= named, files - {"app.tcss"} - named
    assert {"detail.tcss", "editor.tcss", "confirm.tcss", "interact.tcss", "scale.tcss"} <= named


async def test_the_detail_styles_are_read_once_the_list_is_up(cloud: LocalCloud) -> None:
    """Not at start-up, and not at the first enter either (reading them then restyled the whole
    app): BentoTUI._preload_screens reads them while the user reads the list."""
    from tui.screens.detail import DetailScreen

    detail = str(DetailScreen.CSS_PATH)
    app = BentoTUI(resolve_context(endpoint=cloud.endpoint, api_token=cloud.token))
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.stylesheet.has_source(detail)
        await until(lambda: app.connection_state == "connected", 15, pilot, "the list")
        await until(lambda: app.stylesheet.has_source(detail), 5, pilot, "the detail's styles")
        assert any("DetailScreen" in str(rule.selector_set) for rule in app.stylesheet.rules)
