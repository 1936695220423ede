"""The only module in `tui/` that touches private Textual API: two things Textual 8.2.8 has no
public way to do.  tests/unit/test_textual_compat.py fails loudly when an upgrade changes the
internals used here, and tests/unit/test_no_private_textual.py keeps every other module public.

- `set_virtual_size_quietly`: a widget whose height is fixed by CSS (`1fr`) but whose scroll range
  grows with its content (the deployment table, the events list, the filter box) must not lay
  out the whole screen when that range changes (~15 ms a keystroke with 500 rows).  Setting
  `virtual_size` (a layout reactive) does; Textual's own OptionList sets it quietly and updates
  the scrollbars with `Widget._scroll_update`, as this does.
- `write_to_terminal`: OSC 9 / OSC 777 desktop notifications are raw escape sequences; Textual
  writes its own (bell, OSC 52 clipboard) through `App._driver` and offers no public writer.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.geometry import Size
from textual.widget import Widget


def set_virtual_size_quietly(widget: Widget, size: Size) -> None:
    """Give `widget` a new scroll range without a layout pass: only its scrollbars follow."""
    widget.set_reactive(Widget.virtual_size, size)
    widget._scroll_update(size)  # scrollbar visibility and thumb; re-lays out only if shown/hidden


def write_to_terminal(app: App[Any], sequence: str) -> bool:
    """Write `sequence` to the terminal the app runs in; False when there is none (headless
    tests, before start-up).  The caller has made `sequence` safe: it goes out as it is."""
    driver = app._driver
    if driver is None:
        return False
    driver.write(sequence)
    driver.flush()
    return True
