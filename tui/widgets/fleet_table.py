"""The pulse's rows: a virtual table (only the rows on screen are drawn), keyed by uid.

A DataTable measures every cell of every row it is given (6,000 cells for 1,000 deployments,
~0.3 s); here the columns have fixed widths, a row is drawn when it scrolls into view, and a
sync repaints only when a row's cells really changed (an idle pulse writes nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.widgets.safe_text import sanitize

Row = tuple[str, Sequence[Text]]
GAP = 2


class FleetTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    FleetTable { height: 1fr; padding: 0 1; overflow-x: hidden; }
    FleetTable > .fleet-table--header { text-style: bold; }
    FleetTable > .fleet-table--cursor { background: $accent 40%; text-style: bold; }
    FleetTable:focus > .fleet-table--cursor { background: $accent; color: $text; }
    """
    COMPONENT_CLASSES = {"fleet-table--header", "fleet-table--cursor"}
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="fleet.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="fleet.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="fleet.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="fleet.page_down"),
        Binding("home,g", "edge(0)", "Top", show=False, id="fleet.top"),
        Binding("end,G", "edge(1)", "Bottom", show=False, id="fleet.bottom"),
    ]

    class Selected(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, columns: Sequence[tuple[str, int]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.rows: list[Row] = []
        self.cursor = 0

    # ------------------------------------------------------------------ data

    def keys(self) -> list[str]:
        return [key for key, _ in self.rows]

    @property
    def current_key(self) -> str | None:
        return self.rows[self.cursor][0] if self.rows else None

    def visible_keys(self) -> list[str]:
        top = int(self.scroll_offset.y)
        return [key for key, _ in self.rows[top: top + max(self.size.height - 1, 1)]]

    def sync(self, rows: Sequence[Row]) -> None:
        """Hold exactly `rows`; the cursor stays on its key; repaint only if anything differs."""
        rows = list(rows)
        if rows == self.rows:
            return
        keep = self.current_key
        self.rows = rows
        index = next((i for i, (key, _) in enumerate(rows) if key == keep), None)
        self.cursor = index if index is not None else min(self.cursor, max(len(rows) - 1, 0))
        self.virtual_size = Size(self.view_width(), len(rows) + 1)  # + the header line
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def _line(self, cells: Sequence[Text]) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        for index, ((_, width), cell) in enumerate(zip(self.columns, cells, strict=False)):
            if index:
                line.append(" " * GAP)
            piece = cell.copy()
            piece.truncate(width, overflow="ellipsis", pad=True)
            line.append_text(piece)
        return sanitize(line)

    def view_width(self) -> int:
        """The columns rows are painted in: less the vertical scrollbar, so no row's end is
        hidden under it (cells are cut with an ellipsis instead; the table never scrolls
        sideways)."""
        return self.scrollable_content_region.width or self.size.width

    def render_line(self, y: int) -> Strip:
        width = self.view_width()
        base = self.rich_style
        if y == 0:  # the header stays on top
            style = base + self.get_component_rich_style("fleet-table--header")
            text = self._line([Text(title) for title, _ in self.columns])
            return Strip(list(text.render(self.app.console))).apply_style(style) \
                .extend_cell_length(width, style).crop(0, width)
        row = int(self.scroll_offset.y) + y - 1
        if row >= len(self.rows):
            return Strip([Segment(" " * width, base)], width)
        style = base
        cursor = row == self.cursor
        if cursor:
            style = base + self.get_component_rich_style("fleet-table--cursor")
        segments = list(self._line(self.rows[row][1]).render(self.app.console))
        if cursor and self.app.native_ansi_color:
            # 16 colours: a cell's colour (green "running") can be the cursor's own; the row
            # keeps bold and reads by its symbols and words (as the list's cursor does).
            segments = [Segment(s.text, s.style.without_color + Style(dim=False) if s.style else None)
                        for s in segments]
        strip = Strip([Segment(s.text, (style + s.style) if s.style else style) for s in segments])
        return strip.extend_cell_length(width, style).crop(0, width)

    # ------------------------------------------------------------------ cursor

    def _move_to(self, row: int) -> None:
        if not self.rows:
            return
        self.cursor = max(0, min(row, len(self.rows) - 1))
        top, height = int(self.scroll_offset.y), max(self.size.height - 1, 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(self.size.height - 2, 1))

    def action_edge(self, end: int) -> None:
        self._move_to(len(self.rows) - 1 if end else 0)

    def on_key(self, event: events.Key) -> None:
        if event.key == "enter" and self.rows:
            event.stop()
            self.post_message(self.Selected(self.rows[self.cursor][0]))
