"""A burst of keys (a held backspace, keys arriving together over SSH) is applied in the order it
was typed: Textual runs a field's bound keys (backspace, end, ...) only after they bubble up to
the App, so characters typed after them were inserted first (tui/widgets/safe_inputs.py)."""

from __future__ import annotations

import json
import time

import httpx
from textual import events
from textual.widgets import Input

from tests.app.test_mutations import make_app, on_list, open_editor, screen_text, select_row, settle
from tests.app.test_scale import open_scale
from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.config import Settings
from tui.key_order import MAX_WAIT_S
from tui.screens.deployments import DeploymentsScreen
from tui.screens.editor import EditorScreen
from tui.screens.editor_v2 import EditorV2Screen
from tui.widgets.safe_inputs import SafeTextArea

CHARACTERS = {"backspace": "\x7f", "tab": "\t", "slash": "/", "end": None, "home": None, "enter": "\r",
              "ctrl+f": "\x06", "ctrl+o": "\x0f"}


def burst(app: BentoTUI, *keys: str) -> None:
    """`keys` as a terminal delivers a fast burst: all in the App's queue before any is handled
    (Pilot's `press` waits for each key to be handled, which hides the reordering)."""
    for key in keys:
        event = events.Key(key, CHARACTERS.get(key, key))
        event.set_sender(app)
        app._driver.send_message(event)  # type: ignore[union-attr]


async def filter_box(app: BentoTUI, pilot, screen: DeploymentsScreen) -> Input:
    """The list's filter box, opened with / and focused."""
    await pilot.press("slash")
    box = screen.query_one("#filter", Input)
    await until(lambda: app.focused is box, 5, pilot, "the filter box focused")
    return box


async def test_backspaces_then_letters_in_one_burst_edit_the_name_as_typed(
        cloud: LocalCloud, http: httpx.Client) -> None:
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        assert isinstance(editor, EditorV2Screen)  # the default: auto, which is v2 here
        await pilot.press(*"Bad_Name")
        await settle(pilot)
        burst(app, *["backspace"] * 8, *"iris")
        await settle(pilot)
        assert editor.query_one("#f-name", Input).value == "iris"
        assert json.loads(editor.text)["name"] == "iris"
        # tab (the screen's binding) moves on before the next letters land
        burst(app, "tab", *"iris_classifier:v1")
        await settle(pilot)
        assert editor.query_one("#f-name", Input).value == "iris"
        assert editor.query_one("#f-bento", Input).value == "iris_classifier:v1"
        # the JSON pane as well: end of its first line, a backspace and the brace again
        area = editor.query_one("#editor-json", SafeTextArea)
        area.focus()
        area.move_cursor((0, 0))
        await pilot.pause(0.1)
        burst(app, "end", "backspace", "{", "end", "backspace", "{")
        await settle(pilot)
        assert area.text.splitlines()[0] == "{"
        assert json.loads(editor.text)["name"] == "iris"


async def test_a_corrected_digit_in_the_scale_dialog_is_the_one_sent(cloud: LocalCloud,
                                                                     http: httpx.Client) -> None:
    create(http, "burst-iris", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_scale(app, pilot, "burst-iris")
        box = dialog.query_one("#scale-max-0", Input)
        box.focus()
        box.value = "2"
        await pilot.pause(0.1)
        burst(app, "end", "backspace", "5")
        await pilot.pause(0.3)
        assert box.value == "5"


async def test_slash_then_letters_in_one_burst_filter_the_list(cloud: LocalCloud, http: httpx.Client) -> None:
    """`/` moves the focus to the filter box: the letters typed after it are filter text, not
    list keys (`r` is restore)."""
    create(http, "burst-terminated", deploy=False)
    create(http, "burst-running", deploy=False)
    http.post("/api/v1/clusters/default/namespaces/yatai/deployments/burst-terminated/terminate")
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "burst-terminated")
        select_row(screen, "burst-terminated")
        await pilot.pause(0.1)
        burst(app, "slash", *"ry")
        await settle(pilot)
        assert app.screen is screen  # no restore confirmation was opened (and answered by `y`)
        assert screen.query_one("#filter", Input).value == "ry"
        assert screen.table.filter_text == "ry"


async def test_a_name_typed_right_after_n_goes_into_the_editor(cloud: LocalCloud, http: httpx.Client) -> None:
    """`n` opens the editor from a worker (tui/actions.py): the keys typed after it waited for
    it instead of reaching the list (`c` there copies the URL, `y` opens the JSON)."""
    create(http, "burst-copy", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "burst-copy")
        select_row(screen, "burst-copy")
        await pilot.pause(0.1)
        burst(app, "n", *"cy-dep")
        await until(lambda: isinstance(app.screen, EditorScreen), pilot=pilot, what="the editor")
        editor = app.screen
        await until(lambda: [box.value for box in editor.query("#f-name").results(Input)] == ["cy-dep"],
                    5, pilot, "the name in the editor")
        assert app.screen_stack[1:] == [screen, editor]
        assert not app._notifications  # nothing was copied


async def test_keys_queued_while_waiting_keys_go_back_stay_behind_them(
        cloud: LocalCloud, http: httpx.Client) -> None:
    """The keys that waited go back into the App's queue; keys the terminal had put there
    meanwhile were typed after them and stay behind them (`e2e-v2` typed into a dialog as it
    opened once arrived as `2ee-v2`)."""
    create(http, "burst-behind", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot, "burst-behind")
        box = await filter_box(app, pilot, screen)
        order = app._key_order
        order._busy = lambda: True  # type: ignore[method-assign]  # a dialog still opening
        burst(app, "e")
        await until(lambda: len(order._waiting) == 1, 5, pilot, "the first key waiting")
        del order._busy  # the dialog is up
        for key in "2e-v2":  # in the App's queue already (as the driver puts them) ...
            event = events.Key(key, key)
            event.set_sender(app)
            assert app.post_message(event)
        order._release()  # ... when the waiting key goes back, behind them in the queue
        await settle(pilot)
        assert box.value == "e2e-v2"


async def test_a_key_that_never_comes_back_does_not_stop_the_keyboard(
        cloud: LocalCloud, http: httpx.Client) -> None:
    """A safety net: were a key on its way back lost, the keys behind it would wait for ever;
    after MAX_WAIT_S they are handled, in order."""
    create(http, "burst-lost", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot, "burst-lost")
        box = await filter_box(app, pilot, screen)
        order = app._key_order
        order._replaying.append(events.Key("x", "x"))  # posted, never handled
        order._replayed_at = time.monotonic()
        burst(app, *"ab")
        await settle(pilot)
        assert box.value == ""  # behind the lost one, waiting
        order._replayed_at -= MAX_WAIT_S + 1
        burst(app, "c")
        await until(lambda: box.value == "abc", 5, pilot, "the keys behind it, in order")


async def test_find_bento_and_two_enters_in_one_burst_from_the_name_box(
        cloud: LocalCloud, http: httpx.Client) -> None:
    """`ctrl+f`, Enter, Enter at once from a text box: the Enters are the picker's, which waits
    for the registry and then the versions (they went to the name box while the picker was
    being made, and the picker sat open)."""
    first = http.get("/api/v1/bento_repositories").json()["items"][0]
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        assert isinstance(editor, EditorV2Screen)  # the default: auto, which is v2 here
        await pilot.press(*"burst")
        burst(app, "ctrl+f", "enter", "enter")
        await until(lambda: app.screen is editor and json.loads(editor.text)["bento"], 10, pilot,
                    "a bento picked")
        assert json.loads(editor.text)["bento"] == f"{first['name']}:{first['latest_bento']['version']}"
        assert json.loads(editor.text)["name"] == "burst"


async def test_load_file_and_a_path_in_one_burst_from_the_name_box(cloud: LocalCloud) -> None:
    """`ctrl+o`, a path, Enter at once from the name box: the path is the prompt's (it went to
    the name box, and the prompt tried its default directory)."""
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        assert isinstance(editor, EditorV2Screen)  # the default: auto, which is v2 here
        await pilot.press(*"burst")
        burst(app, "ctrl+o", *"/nonexistent/y.json", "enter")
        await until(lambda: "no such file: /nonexistent/y.json" in screen_text(app), 10, pilot,
                    "the prompt's answer")
        assert editor.query_one("#f-name", Input).value == "burst"
