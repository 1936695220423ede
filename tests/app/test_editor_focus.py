"""Tab and shift+tab in the editors go from field to field and to the JSON pane, never to the
scrolling box around the form's fields (it took the focus and showed nothing focused)."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll

from tests.app.test_mutations import make_app, open_editor
from tests.harness import LocalCloud
from tests.support.app import until


@pytest.mark.parametrize("api_version", ["v1", None])  # None: auto, the v2 editor here
async def test_shift_tab_from_the_name_reaches_the_json_then_the_last_field(
        cloud: LocalCloud, api_version: str | None) -> None:
    app, _ = make_app(cloud, api_version=api_version)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        await until(lambda: app.focused is not None and app.focused.id == "f-name", 10, pilot,
                    "the name field focused")
        form = editor.query_one("#editor-form")
        visited = []
        for _ in range(4):
            await pilot.press("shift+tab")
            await pilot.pause(0.1)
            visited.append(app.focused)
        assert visited[0] is editor.json_area
        assert all(w is not None and not isinstance(w, VerticalScroll) for w in visited), visited
        assert all(w in form.walk_children() for w in visited[1:]), visited  # fields of the form
