"""Editable fields that hold untrusted text without writing its control characters.

Why: an Input or TextArea must keep the exact value (the editor sends it back), so it cannot
hold an escaped copy; but Textual paints the value's characters as they are, so an ESC in a
deployment's description or in a loaded file would reach the terminal.  These widgets keep
the value and paint each unsafe character as one visible cell instead: a control picture
(`␛` for ESC, `␇` for BEL, `␡` for DEL) or `�` for the rest (C1, bidi overrides, ...).
"""

from __future__ import annotations

from rich.segment import Segment
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


class SafeInput(Input):
    """An Input whose value may come from a server or a file."""

    def render_line(self, y: int) -> Strip:
        return visible_controls(super().render_line(y))


class SafeTextArea(TextArea):
    """A TextArea whose text may come from a server, a replica or a file."""

    def render_line(self, y: int) -> Strip:
        return visible_controls(super().render_line(y))
