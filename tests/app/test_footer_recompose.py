"""The footer rebuilds its keys once for all the bindings changes made before a refresh
(KeysFooter.bindings_changed): start-up makes several in a row, and each rebuild restyled
every key before the list was painted."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding

from tui.widgets.footer import KeysFooter


class KeysApp(App[None]):
    BINDINGS = [Binding("x", "thing", "Thing"), Binding("question_mark", "help", "Help", key_display="?")]

    def compose(self) -> ComposeResult:
        yield KeysFooter()

    def action_thing(self) -> None:
        """A key for the footer to show."""

    def action_help(self) -> None:
        """The key pinned to the right end."""


def footer_text(app: App[None]) -> str:
    return " ".join(str(key.render()) for key in app.query("FooterKey"))


async def test_changes_before_a_refresh_rebuild_the_footer_once() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.query_one(KeysFooter)
        rebuilt = 0
        recompose = footer.recompose

        async def counted() -> None:
            nonlocal rebuilt
            rebuilt += 1
            await recompose()

        footer.recompose = counted  # type: ignore[method-assign]
        for _ in range(3):
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == 1
        app.screen.refresh_bindings()  # a change after that refresh: rebuilt again
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == 2
        shown = footer_text(app)
        assert "Thing" in shown and "Help" in shown, shown
        assert app.screen.query_one(".footer-pinned").query("FooterKey")  # help still pinned right
