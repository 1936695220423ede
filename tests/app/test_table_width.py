"""A list longer than the screen: its vertical scrollbar takes two columns, and the rows are
painted in what is left.  They were painted as wide as the whole table, so a horizontal
scrollbar covered the last row and the end of every row (the UPDATED column's minutes) was
hidden under the vertical one; the pulse's table had the same fault."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tests.app.test_table_filter import TableApp, deployment
from tui.widgets.deployment_table import DeploymentTable
from tui.widgets.fleet_table import FleetTable


async def test_a_long_list_shows_every_row_whole_and_no_sideways_scrollbar() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DeploymentTable)
        table.upsert_many([deployment(i) for i in range(10)])  # fits: no scrollbar at all
        await pilot.pause()
        assert not table.show_vertical_scrollbar and table.view_width() == 80
        assert table.render_line(0).cell_length == 80

        table.upsert_many([deployment(i) for i in range(10, 100)])
        await pilot.pause()
        assert table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        view = table.scrollable_content_region
        assert table.view_width() == view.width == 78 and view.height == 24
        for y in (0, view.height - 1):  # the top row and the last one, which the bar covered
            d = table.get(table.rows[int(table.scroll_offset.y) + y])
            assert d is not None
            line = table.render_line(y)
            assert line.cell_length == view.width
            updated = table.cell(d, "updated").plain
            assert line.text.rstrip().endswith(updated), (line.text, updated)
        header = table.header_line(table.view_width()).plain
        assert header.rstrip().endswith("UPDATED") and len(header) <= view.width

        table.set_filter("dep-0001")  # one row again: the scrollbar goes, the rows widen
        await pilot.pause()
        assert not table.show_vertical_scrollbar and table.render_line(0).cell_length == 80


class FleetApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FleetTable((("NAME", 20), ("STATUS", 14), ("WIDE", 60)), id="fleet")


async def test_the_pulse_table_never_scrolls_sideways() -> None:
    from rich.text import Text

    app = FleetApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(FleetTable)
        table.sync([(f"k{i}", [Text(f"dep-{i}"), Text("running"), Text("x" * 60)]) for i in range(100)])
        await pilot.pause()
        assert table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        width = table.scrollable_content_region.width
        assert table.render_line(1).cell_length == width  # the end of each row is not under the bar
