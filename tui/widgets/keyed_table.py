"""A DataTable refreshed by row key: never clear + re-add, the cursor stays on its row.

`sync(rows)` makes the table hold exactly `rows` (key, cells) in that order: rows whose key
vanished are removed, changed cells are updated in place, new rows are added, and the order
is fixed with one `sort` only when it differs. The cursor is re-found by key afterwards, so a
refresh never moves it to another row (tui-conventions §8).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from tui.widgets.safe_text import safe, sanitize

Cell = str | Text


def shown(cell: object) -> Text:
    """What a cell shows: a DataTable would read a str as markup, and cells hold server text."""
    return sanitize(cell) if isinstance(cell, Text) else safe(cell)


def plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


class KeyedTable(DataTable):
    """Columns are fixed at construction; `unique_column` holds a text unique per row."""

    BINDINGS = [
        Binding("k", "cursor_up", "Up", show=False, id="detail_table.up"),
        Binding("j", "cursor_down", "Down", show=False, id="detail_table.down"),
        Binding("g", "scroll_top", "Top", show=False, id="detail_table.top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="detail_table.bottom"),
    ]

    COLUMNS: Sequence[tuple[str, str]] = ()
    UNIQUE_COLUMN = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        for key, label in self.COLUMNS:
            self.add_column(label, key=key)
        self._keys_by_unique: dict[str, str] = {}

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None

    def keys(self) -> list[str]:
        """Row keys in display order."""
        return [row.key.value for row in self.ordered_rows if row.key.value is not None]

    def sync(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        keep = self.current_key
        keep_index = self.cursor_row
        rows = [(key, [shown(cell) for cell in cells]) for key, cells in rows]
        wanted = {key: cells for key, cells in rows}
        column_keys = [key for key, _ in self.COLUMNS]
        unique_at = column_keys.index(self.UNIQUE_COLUMN)
        with self.app.batch_update():
            for key in self.keys():
                if key not in wanted:
                    self.remove_row(key)
            for key, cells in rows:
                self._keys_by_unique[plain(cells[unique_at])] = key
                try:
                    old = self.get_row(key)
                except RowDoesNotExist:
                    self.add_row(*cells, key=key)
                    continue
                for column, before, after in zip(column_keys, old, cells, strict=False):
                    if before != after:
                        self.update_cell(key, column, after, update_width=True)
            order = [key for key, _ in rows]
            if self.keys() != order:
                rank = {key: i for i, key in enumerate(order)}
                self.sort(self.UNIQUE_COLUMN,
                          key=lambda cell: rank.get(self._keys_by_unique.get(plain(cell), ""), len(rank)))
            if keep is not None and keep in wanted:
                self.move_cursor(row=self.get_row_index(keep), animate=False)
            elif self.row_count:
                self.move_cursor(row=min(keep_index, self.row_count - 1), animate=False)
        self._keys_by_unique = {plain(cells[unique_at]): key for key, cells in rows}

    def select_key(self, key: str) -> bool:
        try:
            self.move_cursor(row=self.get_row_index(key), animate=False)
        except RowDoesNotExist:
            return False
        return True
