"""The footer rebuilds its keys once for all the bindings changes made before a refresh, and
not at all when the keys it shows stay the same (KeysFooter.bindings_changed): start-up makes
several in a row, each rebuild restyled every key before the list was painted, and a rebuild to
the same keys still wrote the footer's line and the list's scrollbar to the terminal (P5)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding

from tui.widgets.footer import KeysFooter


class KeysApp(App[None]):
    BINDINGS = [Binding("x", "thing", "Thing"), Binding("question_mark", "help", "Help", key_display="?")]

    def compose(self) -> ComposeResult:
        yield KeysFooter()

    thing_enabled = True

    def action_thing(self) -> None:
        """A key for the footer to show."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "thing" and not self.thing_enabled else True  # None: shown dimmed

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
        app.screen.refresh_bindings()  # nothing changed: nothing rebuilt
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == 0
        for _ in range(3):  # enabled, disabled, enabled... ends disabled: one change
            app.thing_enabled = not app.thing_enabled
            app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == 1
        app.thing_enabled = True
        app.screen.refresh_bindings()  # a change after that refresh: rebuilt again
        await pilot.pause()
        await pilot.pause()
        assert rebuilt == 2
        shown = footer_text(app)
        assert "Thing" in shown and "Help" in shown, shown
        assert app.screen.query_one(".footer-pinned").query("FooterKey")  # help still pinned right
