"""How screens read to a person: 16 colours, small terminals, what overlaps what."""

from __future__ import annotations

import httpx
import pytest
from rich.color import Color
from rich.style import Style
from rich.terminal_theme import TerminalTheme

from tests.harness import LocalCloud, wait_for
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.screens.deployments import DeploymentsScreen
from tui.widgets.deployment_table import DeploymentTable

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"
STATUSES = {"look-running": "running", "look-retired": "terminated", "look-idle": "non-deployed"}


@pytest.fixture(scope="module")
def seeded(cloud: LocalCloud) -> LocalCloud:
    """One deployment per look of a status: green running, grey terminated and non-deployed."""
    with cloud.client() as http:
        create(http, "look-running")
        create(http, "look-retired", deploy=False)
        assert http.post(f"{NS}/look-retired/terminate").status_code == 200
        create(http, "look-idle", deploy=False)
        for name, status in STATUSES.items():
            wait_for(lambda name=name, status=status: _status(http, name) == status, 30,
                     what=f"{name} {status}")
    return cloud


def list_ready(app: BentoTUI, count: int = 3) -> bool:
    if not isinstance(app.screen, DeploymentsScreen) or app.connection_state != "connected":
        return False
    tables = app.screen.query(DeploymentTable)
    return bool(tables) and len(tables.first()) >= count


def _status(http: httpx.Client, name: str) -> str:
    return http.get(f"{NS}/{name}").json()["status"]


def _luminance(color: Color, theme: TerminalTheme, foreground: bool) -> float:
    rgb = color.get_truecolor(theme, foreground=foreground)

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(rgb.red) + 0.7152 * channel(rgb.green) + 0.0722 * channel(rgb.blue)


def contrast(style: Style, theme: TerminalTheme) -> float:
    """WCAG contrast of a cell's text on its background, as the terminal palette draws it."""
    fg = _luminance(style.color or Color.default(), theme, True)
    bg = _luminance(style.bgcolor or Color.default(), theme, False)
    if style.reverse:
        fg, bg = bg, fg
    light, dark = max(fg, bg), min(fg, bg)
    return (light + 0.05) / (dark + 0.05)


async def test_cursor_row_is_readable_in_16_colours(seeded: LocalCloud) -> None:
    """ansi-dark (what the app picks on a 16-colour terminal): every cell of the cursor row,
    whatever the status colour, stays readable (was green "running" on a green cursor)."""
    app = BentoTUI(local_context(seeded), theme="ansi-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: list_ready(app), pilot=pilot, what="the list")
        assert app.native_ansi_color
        table = app.screen.query_one(DeploymentTable)
        table.focus()
        for name, status in STATUSES.items():
            dep = next(d for d in table.all_items() if d.name == name)
            await until(lambda dep=dep, status=status: table.get(dep.uid).status.value == status,
                        pilot=pilot, what=f"{name} {status}")
            assert table.select_uid(dep.uid)
            await pilot.pause(0.05)
            y = table._cursor_row - int(table.scroll_offset.y)
            strip = table.render_line(y)
            assert status in strip.text
            worst = min(contrast(seg.style, app.ansi_theme) for seg in strip if seg.text.strip())
            assert worst >= 4.5, f"{name}: contrast {worst:.2f} on the cursor row"


async def _editor(app: BentoTUI, pilot):
    from tui.screens.editor import EditorScreen

    await until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot, what="the list")
    await pilot.press("n")
    return await until(lambda: isinstance(app.screen, EditorScreen) and app.screen, pilot=pilot,
                       what="the editor")


async def test_editor_picks_stacked_or_side_by_side_before_its_first_paint(
        seeded: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80 columns the editor is stacked from its first frame (it used to paint side by side,
    problem list off screen, then jump), and a key typed at once is not lost."""
    from tui.screens.editor import EditorScreen

    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot, what="the list")
        seen: list[bool] = []
        original = EditorScreen._on_resize

        async def spy(self, event):  # what the screen looked like when its first resize came
            seen.append(self.has_class("-narrow") and not self.has_class("-wide"))
            await original(self, event)
        monkeypatch.setattr(EditorScreen, "_on_resize", spy)
        await pilot.press("n", "x")
        editor = await until(lambda: isinstance(app.screen, EditorScreen) and app.screen,
                             pilot=pilot, what="the editor")
        await pilot.pause(0.5)
        monkeypatch.setattr(EditorScreen, "_on_resize", original)
        assert seen and seen[0], "the first frame was not stacked"
        assert editor.query_one("#f-name").value == "x"
        await until(lambda: '"name": "x"' in editor.json_area.text, pilot=pilot, what="x in the JSON")
        await pilot.resize_terminal(120, 30)
        await until(lambda: editor.has_class("-wide"), pilot=pilot, what="side by side when wide")


async def test_notifications_leave_the_editors_problems_visible(seeded: LocalCloud) -> None:
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        editor = await _editor(app, pilot)
        await pilot.pause(0.3)
        app.notify("The server refused the deployment: something long enough to wrap twice "
                   "over in a toast of sixty columns", severity="error")
        from textual.widgets._toast import Toast
        toast = await until(lambda: app.screen.query(Toast).first() if app.screen.query(Toast) else None,
                            pilot=pilot, what="the toast")
        await pilot.pause(0.3)
        status = editor.query_one("#editor-status")
        assert status.region.height and not toast.region.overlaps(status.region), (toast.region, status.region)


def _lines(app: BentoTUI) -> list[str]:
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text().splitlines()


async def test_60x20_keeps_the_state_help_every_tab_and_the_event_objects(seeded: LocalCloud) -> None:
    """At 60x20 nothing that matters is cut: the connection state, `? Help`, the `6 Logs` tab,
    the events' object column (abbreviated) and whole reasons."""
    from tui.screens.detail import DetailScreen
    from tui.widgets.event_log import EventList

    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(60, 20)) as pilot:
        await until(lambda: list_ready(app), pilot=pilot, what="the list")
        await pilot.pause(0.2)
        lines = _lines(app)
        assert "● connected" in lines[0], lines[0]
        assert lines[-1].rstrip().endswith("? Help"), lines[-1]
        table = app.screen.query_one(DeploymentTable)
        table.select_uid(next(d.uid for d in table.all_items() if d.name == "look-running"))
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, DetailScreen), pilot=pilot, what="the detail")
        await pilot.press("3")
        events = app.screen.query_one(EventList)
        await until(lambda: len(events.matching()) >= 3, pilot=pilot, what="events")
        await pilot.pause(0.3)
        lines = _lines(app)
        assert "● connected" in lines[0], lines[0]
        assert "6 Logs" in lines[2], lines[2]
        assert lines[-1].rstrip().endswith("? Help"), lines[-1]
        text = "\n".join(lines)
        assert "…api-" in text or "api-server" in text, text  # the object column, abbreviated
        shown = [e for e in events.matching() if e.reason and e.reason in text]
        assert shown, text
        assert not any(f"{e.reason[:REASON_CUT]}…" in text for e in events.matching() if e.reason), text


REASON_CUT = 13  # what the old 14-cell reason column kept of a longer reason, before its "…"


async def test_wide_mode_at_80_columns_scrolls_instead_of_cutting(seeded: LocalCloud, http: httpx.Client) -> None:
    """`w` at 80 columns: whole names and URLs, reached with ←/→; the header scrolls along."""
    long_name = "look-a-rather-long-deployment-name-for-wide-mode"
    create(http, long_name, deploy=False)
    url = http.get(f"{NS}/look-running").json()["urls"][0]
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: list_ready(app, 4), pilot=pilot, what="the list")
        await pilot.press("w")
        await pilot.pause(0.2)
        text = "\n".join(_lines(app))
        assert long_name in text, text
        table = app.screen.query_one(DeploymentTable)
        assert table.virtual_size.width > 80
        seen_url = seen_header = False
        for _ in range(30):
            await pilot.press("right")
            await pilot.pause(0.05)
            lines = _lines(app)
            if any(url in line for line in lines):
                seen_url = True
                seen_header = "URL" in lines[1]
                break
        assert seen_url, "\n".join(_lines(app))
        assert seen_header, _lines(app)[1]
        assert table.scroll_x > 0
        await pilot.press("w")
        await pilot.pause(0.2)
        assert table.scroll_x == 0 and table.virtual_size.width == table.size.width


async def test_a_copy_notification_leaves_the_json_view_readable(seeded: LocalCloud) -> None:
    """`c` in the JSON view: the "Copied" toast stays off the JSON text (it covered the last
    lines at the bottom right)."""
    from textual.widgets import TextArea
    from textual.widgets._toast import Toast

    from tui.screens.json_view import JsonScreen

    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: list_ready(app), pilot=pilot, what="the list")
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, JsonScreen), pilot=pilot, what="the JSON view")
        await pilot.press("c")
        toasts = await until(lambda: list(app.screen.query(Toast)), pilot=pilot, what="the toast")
        await pilot.pause(0.3)
        view = app.screen.query_one("#json-view", TextArea)
        for toast in toasts:
            assert not toast.region.overlaps(view.region), (toast.region, view.region)


async def test_confirm_by_name_fits_60x20_with_its_error_line(seeded: LocalCloud) -> None:
    """At 60x20 the type-the-name dialog shows the prompt, the "does not match" line and both
    buttons without scrolling (it overflowed, the buttons cut off)."""
    from textual.widgets import Button

    from tui.screens.confirm import ConfirmByName

    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(60, 20)) as pilot:
        await until(lambda: list_ready(app), pilot=pilot, what="the list")
        table = app.screen.query_one(DeploymentTable)
        table.select_uid(next(d.uid for d in table.all_items() if d.name == "look-idle"))
        await pilot.press("t")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="the dialog")
        await pilot.press(*"look", "enter")
        await pilot.pause(0.3)
        text = "\n".join(_lines(app))
        assert "Type the name look-idle to confirm" in text, text
        assert "does not match" in text, text
        assert "Terminate (locked)" in text and "Cancel (esc)" in text, text
        dialog = app.screen.query_one("#confirm-dialog")
        footer_top = app.size.height - 1
        assert app.screen.max_scroll_y == 0 and dialog.region.bottom <= footer_top, (dialog.region, text)
        for button in app.screen.query(Button):
            assert dialog.region.contains_region(button.region), (button.region, dialog.region)


async def test_editor_at_60x20_shows_the_name_problem_first(seeded: LocalCloud) -> None:
    """The status line has room for a few problems: the name's (typed first) is among them."""
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(60, 20)) as pilot:
        await until(lambda: list_ready(app), pilot=pilot, what="the list")
        editor = await _editor(app, pilot)
        await pilot.pause(0.3)
        await pilot.press(*"Bad_x")
        await until(lambda: '"name": "Bad_x"' in editor.json_area.text, pilot=pilot, what="the name")
        await pilot.pause(0.6)  # the check runs after a short pause in typing
        text = "\n".join(_lines(app))
        assert "'Bad_x' has capital letters" in text, text


async def test_80x24_footer_shows_help_beside_the_palette_key(seeded: LocalCloud) -> None:
    """Second walk: both `^p Commands` and `? Help` were docked right, into the same cells, so
    the palette key hid `? Help` on every screen; now they sit side by side, help last."""
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: list_ready(app), pilot=pilot, what="the list")
        await pilot.pause(0.2)
        footer = _lines(app)[-1].rstrip()
        assert footer.endswith("? Help"), footer
        assert "^p Commands" in footer, footer
        assert "q Quit" in footer, footer
