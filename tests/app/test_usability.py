"""Issue 11 (usability, found by using it): the editor's mode, the palette key, the keymap
check, config that fails closed, copying curl safely, read-only made visible and the keys
that were hidden.  Pilot tests of the real app against a real local control plane."""

from __future__ import annotations

import json

import httpx
from textual.widgets import RadioButton

from tests.app.conftest import create, until
from tests.app.test_mutations import (make_app, on_list, open_editor, paste_json,
                                     select_row, settle)
from tests.harness import LocalCloud
from tui.screens.editor import EditorScreen


def mode_buttons(editor: EditorScreen) -> dict[str, bool]:
    return {mode: editor.query_one(f"#mode-{mode}", RadioButton).value
            for mode in ("deployment", "function")}


async def choose_mode(pilot, editor: EditorScreen, mode: str) -> None:
    editor.query_one(f"#mode-{mode}", RadioButton).scroll_visible(animate=False)
    await pilot.pause(0.05)
    await pilot.click(f"#mode-{mode}")
    await settle(pilot)


async def test_mode_switches_both_ways_in_a_new_deployment(cloud: LocalCloud) -> None:
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        assert mode_buttons(editor) == {"deployment": False, "function": True}
        for mode in ("deployment", "function", "deployment"):
            await choose_mode(pilot, editor, mode)
            assert json.loads(editor.text)["mode"] == mode
            assert mode_buttons(editor) == {"deployment": mode == "deployment",
                                            "function": mode == "function"}, mode
        # and the form follows the JSON, both ways
        for mode in ("function", "deployment"):
            document = json.loads(editor.text)
            document["mode"] = mode
            await paste_json(pilot, editor, json.dumps(document, indent=2))
            await settle(pilot)
            assert mode_buttons(editor) == {"deployment": mode == "deployment",
                                            "function": mode == "function"}, mode
        await choose_mode(pilot, editor, "function")
        assert json.loads(editor.text)["mode"] == "function"
        assert mode_buttons(editor) == {"deployment": False, "function": True}


async def test_mode_switches_back_when_editing_an_online_service(cloud: LocalCloud,
                                                                 http: httpx.Client) -> None:
    create(http, "mode-svc", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot, "mode-svc")
        select_row(screen, "mode-svc")
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, EditorScreen), pilot=pilot, what="the editor")
        editor: EditorScreen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        assert mode_buttons(editor) == {"deployment": True, "function": False}
        for mode in ("function", "deployment", "function"):
            await choose_mode(pilot, editor, mode)
            assert json.loads(editor.text)["mode"] == mode
            assert mode_buttons(editor) == {"deployment": mode == "deployment",
                                            "function": mode == "function"}, mode
