"""The private Textual API that tui/widgets/textual_compat.py isolates still works as it assumes:
these fail loudly on a Textual upgrade that changes it (textual is pinned in pyproject)."""

from __future__ import annotations

import inspect

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget

from tui.widgets.textual_compat import set_virtual_size_quietly, write_to_terminal


class Tall(ScrollView):
    DEFAULT_CSS = "Tall { height: 1fr; }"


class OneScroller(App[None]):
    def compose(self) -> ComposeResult:
        yield Tall()


def test_the_internals_have_the_shape_the_shim_expects() -> None:
    assert list(inspect.signature(Widget._scroll_update).parameters) == ["self", "virtual_size"]
    assert App()._driver is None  # an app that never ran has no driver (and the attribute exists)


async def test_a_quiet_virtual_size_moves_the_scroll_range_and_scrollbar() -> None:
    app = OneScroller()
    async with app.run_test(size=(80, 24)) as pilot:
        tall = app.query_one(Tall)
        assert tall.max_scroll_y == 0 and not tall.show_vertical_scrollbar
        set_virtual_size_quietly(tall, Size(78, 500))
        await pilot.pause()
        assert tall.virtual_size == Size(78, 500)
        assert tall.max_scroll_y == 500 - tall.scrollable_content_region.height
        assert tall.show_vertical_scrollbar
        tall.scroll_end(animate=False)
        await pilot.pause()
        assert tall.scroll_y == tall.max_scroll_y


async def test_write_to_terminal_reaches_the_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    assert write_to_terminal(OneScroller(), "\x1b]9;never\x07") is False  # not running: no terminal
    app = OneScroller()
    async with app.run_test(size=(80, 24)):
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        monkeypatch.setattr(driver, "write", written.append)
        assert write_to_terminal(app, "\x1b]9;hello\x07") is True
        assert written == ["\x1b]9;hello\x07"]
