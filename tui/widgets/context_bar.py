"""The top line: where we are connected, which cluster, and whether the link is up.

One line, because 24 rows are few.  It watches the app's reactive attributes, so every
screen shows the same truth without passing state around.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.widgets.safe_text import sanitize

CONNECTION_LOOK = {
    "connecting": ("◌ connecting", "yellow"),
    "connected": ("● connected", "green"),
    "reconnecting": ("◌ reconnecting", "bold yellow"),
    "offline": ("✖ offline", "bold red"),
    "refused": ("✖ token refused", "bold red"),
}


class ContextBar(Widget):
    """A widget that paints its line, not a Static: a Static's `update` asks for a layout pass,
    and a layout pass repaints every scrollbar on the screen (the list's too) a moment later —
    bytes written to the terminal for a line that changed in place (P5)."""

    DEFAULT_CSS = """
    ContextBar { height: 1; width: 1fr; background: $panel; color: $text; padding: 0 1; }
    """

    _line_shown = Text()

    def on_mount(self) -> None:
        app = self.app
        for attribute in ("connection_state", "context_label", "cluster_label", "read_only", "endpoint_label"):
            self.watch(app, attribute, self._repaint, init=False)
        self._repaint()

    def on_resize(self) -> None:
        self._repaint()

    def _repaint(self, _: object = None) -> None:
        # What matters most stays: the connection state and READ-ONLY; the endpoint goes first
        # when the line is too short, then the word "cluster" (at 60 columns the state was cut).
        width = self.content_size.width or self.app.size.width
        for endpoint, cluster_word in ((True, True), (False, True), (False, False)):
            text = self._line(endpoint, cluster_word)
            if text.cell_len <= width:
                break
        self._line_shown = sanitize(text)  # context names and endpoints come from files and flags
        self.refresh()

    def render(self) -> Text:
        return self._line_shown

    def _line(self, with_endpoint: bool, cluster_word: bool) -> Text:
        app = self.app
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("bentotui", style="bold")
        if getattr(app, "read_only", False):  # first, so no narrow terminal can cut it off
            text.append(" ")
            text.append(" READ-ONLY ", style="bold reverse")
        text.append(f"  {getattr(app, 'context_label', '')}", style="bold")
        endpoint = getattr(app, "endpoint_label", "")
        if endpoint and with_endpoint:
            text.append(f"  {endpoint}", style="dim")
        cluster = getattr(app, "cluster_label", "")
        if cluster:
            text.append(f"  cluster {cluster}" if cluster_word else f"  {cluster}")
        label, style = CONNECTION_LOOK.get(getattr(app, "connection_state", "connecting"), ("?", ""))
        text.append(f"  {label}", style=style)
        return text
