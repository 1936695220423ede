"""The top line: where we are connected, which cluster, and whether the link is up.

One line, because 24 rows are few.  It watches the app's reactive attributes, so every
screen shows the same truth without passing state around.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

CONNECTION_LOOK = {
    "connecting": ("◌ connecting", "yellow"),
    "connected": ("● connected", "green"),
    "reconnecting": ("◌ reconnecting", "bold yellow"),
    "offline": ("✖ offline", "bold red"),
}


class ContextBar(Static):
    DEFAULT_CSS = """
    ContextBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def on_mount(self) -> None:
        app = self.app
        for attribute in ("connection_state", "context_label", "cluster_label", "read_only", "endpoint_label"):
            self.watch(app, attribute, self._repaint, init=False)
        self._repaint()

    def _repaint(self, _: object = None) -> None:
        app = self.app
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("bentotui", style="bold")
        if getattr(app, "read_only", False):  # first, so no narrow terminal can cut it off
            text.append(" ")
            text.append(" READ-ONLY ", style="bold reverse")
        text.append(f"  {getattr(app, 'context_label', '')}", style="bold")
        endpoint = getattr(app, "endpoint_label", "")
        if endpoint:
            text.append(f"  {endpoint}", style="dim")
        cluster = getattr(app, "cluster_label", "")
        if cluster:
            text.append(f"  cluster {cluster}")
        label, style = CONNECTION_LOOK.get(getattr(app, "connection_state", "connecting"), ("?", ""))
        text.append(f"  {label}", style=style)
        self.update(text)
