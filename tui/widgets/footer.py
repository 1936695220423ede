"""The footer every screen shows, with `^p Commands` and `? Help` pinned to its right end.

Textual's Footer lays keys out left to right and cuts what does not fit, so on a narrow
terminal (60 columns) or a screen with many keys the last one, `? Help` (an app key, listed
after the screen's), vanished first.  Textual pins its command palette key by docking it
right; docking `? Help` right as well put both in the same cells, and the palette key hid
help on every screen.  So both go into one right-docked box, side by side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

HELP_ACTION = "help"
PALETTE_CLASS = "-command-palette"  # what Textual's Footer calls its palette key


class KeysFooter(Footer):
    DEFAULT_CSS = """
    KeysFooter .footer-pinned {
        dock: right;
        width: auto;
        height: 1;
        background: $footer-background;
    }
    KeysFooter FooterKey.-pinned {
        border-left: vkey $foreground 20%;
    }
    """

    _recompose_queued = False
    _shown: tuple[object, ...] | None = None  # the keys the footer shows now (`_keys_of`)

    def bindings_changed(self, screen: Screen) -> None:
        """One recompose for all the changes before the next refresh, and none when the keys
        shown stay the same.  Textual queues one per change, and start-up makes several in a
        row (mount, focus, the list's keys): each rebuilt and restyled every key, ~15-35 ms
        apiece before the list was painted; and a recompose to the same keys still rewrote the
        footer's line and the list's scrollbar on the terminal (P5: bytes while idle)."""
        if self._recompose_queued:
            return
        if self._shown is not None and screen is self.screen and self._keys_of(screen) == self._shown:
            return
        self._recompose_queued = True
        self.call_after_refresh(self._unqueue)  # runs just before the recompose queued below
        super().bindings_changed(screen)

    def _unqueue(self) -> None:
        self._recompose_queued = False

    def _keys_of(self, screen: Screen) -> tuple[object, ...]:
        """What the footer's look depends on: the shown bindings, each enabled or not."""
        return self.compact, tuple(
            (b.key, self.app.get_key_display(b), b.action, b.description, b.group, enabled, tooltip)
            for _, b, enabled, tooltip in screen.active_bindings.values() if b.show)

    def compose(self) -> ComposeResult:
        # Textual does not export its FooterKey class: its keys are told by what they carry.
        palette: list[Widget] = []
        help_keys: list[Widget] = []
        keys = list(super().compose())  # nothing until Textual says the bindings are ready
        self._shown = self._keys_of(self.screen) if keys and self.is_attached else None
        for widget in keys:
            if widget.has_class(PALETTE_CLASS):
                palette.append(widget)
            elif getattr(widget, "action", None) == HELP_ACTION:
                help_keys.append(widget)
            else:
                yield widget
        pinned = palette + help_keys  # help last: the right end, where it is never cut
        # update=False: the keys are not mounted yet and get styled when they are; restyling
        # each here cost ~15 ms of start-up (the footer recomposes with every bindings change).
        for key in pinned:
            key.remove_class(PALETTE_CLASS, update=False)  # its own `dock: right` would overlap again
            key.add_class("-pinned", update=False)
        for key in palette:
            key.add_class("-palette", update=False)
        if pinned:
            # a class, not an id: Textual's Footer recomposes when bindings change, and two
            # recomposes close together briefly hold both boxes: an id then raised DuplicateIds
            # and ended the app (restores 3bc7d1a's fix, lost in a merge)
            yield Horizontal(*pinned, classes="footer-pinned")
