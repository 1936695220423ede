"""The footer every screen shows, with `? Help` pinned to its right end.

Textual's Footer lays keys out left to right and cuts what does not fit, so on a narrow
terminal (60 columns) or a screen with many keys the last one, `? Help` (an app key, listed
after the screen's), vanished first.  Pinned right like Textual pins its command palette key,
help stays reachable and visible however many keys come before it.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not re-exported; the widgets Footer yields

HELP_ACTION = "help"


class KeysFooter(Footer):
    """Textual's Footer with `? Help` pinned right.  The palette's own pinned key is left out
    (two keys docked right would overlap and hide help); `?` lists ctrl+p and `:`."""

    DEFAULT_CSS = """
    KeysFooter FooterKey.-pinned {
        dock: right;
        border-left: vkey $foreground 20%;
    }
    """

    def __init__(self, *children: Widget, show_command_palette: bool = False, **kwargs: Any) -> None:
        super().__init__(*children, show_command_palette=show_command_palette, **kwargs)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action == HELP_ACTION:
                widget.add_class("-pinned")
            yield widget
