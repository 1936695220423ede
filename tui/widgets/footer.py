"""The footer every screen shows, with `? Help` pinned to its right end.

Textual's Footer lays keys out left to right and cuts what does not fit, so on a narrow
terminal (60 columns) or a screen with many keys the last one, `? Help` (an app key, listed
after the screen's), vanished first.  Pinned right like Textual pins its command palette key,
help stays reachable and visible however many keys come before it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not re-exported; the widgets Footer yields

HELP_ACTION = "help"


class KeysFooter(Footer):
    DEFAULT_CSS = """
    KeysFooter FooterKey.-pinned {
        dock: right;
        border-left: vkey $foreground 20%;
    }
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action == HELP_ACTION:
                widget.add_class("-pinned")
            yield widget
