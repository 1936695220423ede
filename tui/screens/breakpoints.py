"""A screen's breakpoint class from the first frame, not from its first Resize event.

Textual sets `HORIZONTAL_BREAKPOINTS` classes only when the screen gets a Resize, which comes
after the first paint: the editor painted side by side at 80 columns, then jumped to stacked.
Calling `apply_horizontal_breakpoints` in `compose` sets the same class up front; Textual keeps
it up to date on resizes as before.
"""

from __future__ import annotations

from textual.screen import Screen

# Below this many columns the app takes the `-cramped` class (styles/app.tcss) and screens
# shorten what they can (the detail tabs' labels).
CRAMPED_WIDTH = 80


def apply_horizontal_breakpoints(screen: Screen, width: int) -> None:
    """Add the class of the widest breakpoint `width` reaches, remove the others."""
    breakpoints = screen.HORIZONTAL_BREAKPOINTS or screen.app.HORIZONTAL_BREAKPOINTS or []
    chosen = None
    for minimum, name in sorted(breakpoints):
        if width >= minimum:
            chosen = name
    for _, name in breakpoints:
        screen.set_class(name == chosen, name)
