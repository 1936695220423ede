"""Editable fields that hold untrusted text without writing its control characters, and
that take a burst of keys in the order it was typed.

Why: an Input or TextArea must keep the exact value (the editor sends it back), so it cannot
hold an escaped copy; but Textual paints the value's characters as they are, so an ESC in a
deployment's description or in a loaded file would reach the terminal.  These widgets keep
the value and paint each unsafe character as one visible cell instead: a control picture
(`␛` for ESC, `␇` for BEL, `␡` for DEL) or `�` for the rest (C1, bidi overrides, ...).

Key order: Textual inserts a typed character in the field's own handler, but runs the field's
bound keys (backspace, delete, arrows, home, end, enter) only after the key has bubbled up
through every ancestor's message queue to the App.  When a terminal delivers several keys at
once (a held backspace, keys typed ahead over SSH), characters typed after such a key were
inserted before it ran: `Bad_Name`, eight backspaces and `iris` gave `Bad_` in the editor;
`end`, backspace, `5` left the scale box empty.  `KeysInOrder` runs the field's own bindings
in its handler, where the characters are inserted, so both keep their order.  (Tab, the screen's,
is run by the App before it hands on the next key: tui/key_order.py.)
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual import events
from textual.strip import Strip
from textual.widgets import Input, TextArea

from tui.widgets.safe_text import is_unsafe

REPLACEMENT = "\ufffd"


def picture(ch: str) -> str:
    """One visible cell standing for an unsafe character."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return REPLACEMENT


def visible_controls(strip: Strip) -> Strip:
    """`strip` with the unsafe characters of its text segments painted as pictures."""
    segments = list(strip)
    if all(seg.control or seg.text.isprintable() or not any(is_unsafe(ch) for ch in seg.text)
           for seg in segments):
        return strip
    painted = [
        seg if seg.control else
        Segment("".join(picture(ch) if is_unsafe(ch) else ch for ch in seg.text), seg.style)
        for seg in segments
    ]
    return Strip(painted).crop(0, strip.cell_length).extend_cell_length(strip.cell_length)


class KeysInOrder:
    """Runs a field's own key bindings where it inserts characters (see above)."""

    async def on_key(self, event: events.Key) -> None:
        if event.is_printable:
            return  # the field inserts it itself, in this same queue
        widget: Any = self
        active = widget.app.active_bindings.get(event.key)
        # The App ran priority bindings before handing the key here; an ancestor's binding, a
        # disabled one, or a key no binding wants bubbles up as before.
        if active is None or active.node is not self or active.binding.priority or not active.enabled:
            return
        if await widget.app.run_action(active.binding.action, active.node):
            event.stop()
            event.prevent_default()


class SafeInput(KeysInOrder, Input):
    """An Input whose value may come from a server or a file."""

    def render_line(self, y: int) -> Strip:
        return visible_controls(super().render_line(y))


class SafeTextArea(KeysInOrder, TextArea):
    """A TextArea whose text may come from a server, a replica or a file."""

    def render_line(self, y: int) -> Strip:
        return visible_controls(super().render_line(y))
