"""The floor: the least a Textual app can do to paint what `bentotui`'s first screen paints.

A 100-row DataTable built from memory, a header line and a one-line footer, nothing else; run
by bench_floor.py in the same pty, the same way, as `bentotui`.  Whatever `bentotui` takes beyond
this is its own start-up (its imports, its connection, its screens), not Textual's or Python's.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

ROWS = 100


class Floor(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(f"{ROWS} deployments")
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("name", "status", "bento", "replicas", "created")
        table.add_rows((f"bench-{i:03d}", "non-deployed", "iris_classifier:1", "0/1", "1m ago")
                       for i in range(ROWS))


if __name__ == "__main__":
    Floor().run()
