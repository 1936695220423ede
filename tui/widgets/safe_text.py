"""Untrusted text (from a server, a replica, a file or a user) made safe to show.

Why: such text reaches the terminal through Textual's renderer, which writes characters as
they are.  An ESC in a description could set the clipboard (OSC 52), rename the window, clear
the screen; a bidi override could make text read backwards; a `[link=...]` could become a
clickable link when a string is parsed as markup.  So every such string is shown through
these helpers: control and other invisible characters become visible escapes (`\\x1b`,
`\\u202e`), and the result is a rich `Text`, never markup.
"""

from __future__ import annotations

import re
import unicodedata

from rich.style import Style
from rich.text import Text

# Categories never written as they are: controls (C0, DEL, C1), format characters (bidi
# overrides and isolates, zero-width ones), lone surrogates (undecodable bytes), unassigned
# code points, and the Unicode line/paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
LINE_LIMIT = 4096  # characters of one single-line value shown (a cell, a title, a name)
LOG_LINE_LIMIT = 16_384  # characters of one log line shown
SGR = re.compile(r"\x1b\[[0-9;:]*m")  # colour/bold sequences: the only ones a log keeps
TAB_SIZE = 4
SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(ch: str) -> str:
    """The visible form of one unsafe character, as Python would spell it."""
    code = ord(ch)
    if ch in SHORT_ESCAPES:
        return SHORT_ESCAPES[ch]
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in UNSAFE_CATEGORIES


def _as_str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    try:
        return str(value)
    except Exception:  # a hostile __str__ must not crash the screen showing it
        return f"<{type(value).__name__}>"


def clean(value: object, limit: int | None = LINE_LIMIT) -> str:
    """One line: every unsafe character (newline and tab too) escaped; cut to `limit`."""
    text = _as_str(value)
    cut = ""
    if limit is not None and len(text) > limit:
        cut = f"… (+{len(text) - limit} chars)"
        text = text[:limit]
    if text.isprintable():  # the common case, checked in C
        return text + cut
    # isprintable() is also false for harmless spaces (no-break, ideographic): those stay.
    return "".join(escape_char(ch) if is_unsafe(ch) else ch for ch in text) + cut


def clean_block(value: object, limit: int | None = None) -> str:
    """Several lines (logs, JSON, diffs, error bodies): newlines kept, CRLF read as a newline,
    tabs expanded, every other unsafe character escaped."""
    text = _as_str(value)
    cut = ""
    if limit is not None and len(text) > limit:
        cut = f"\n… (+{len(text) - limit} chars not shown)"
        text = text[:limit]
    text = text.replace("\r\n", "\n")
    lines = [clean(line, limit=None) if "\t" not in line
             else "".join(clean(part, limit=None) for part in _tab_parts(line))
             for line in text.split("\n")]
    return "\n".join(lines) + cut


def _tab_parts(line: str) -> list[str]:
    """A line with its tabs expanded to spaces (column-aware, on the raw text)."""
    parts: list[str] = []
    column = 0
    for i, piece in enumerate(line.split("\t")):
        if i:
            pad = TAB_SIZE - column % TAB_SIZE
            parts.append(" " * pad)
            column += pad
        parts.append(piece)
        column += len(piece)
    return parts


def safe(value: object, style: str | Style = "", limit: int | None = LINE_LIMIT) -> Text:
    """One untrusted value as a one-line `Text` (never parsed as markup)."""
    return Text(clean(value, limit), style=style)


def safe_block(value: object, style: str | Style = "", limit: int | None = None) -> Text:
    """Untrusted multi-line text as a `Text` (never markup; newlines kept)."""
    return Text(clean_block(value, limit), style=style)


def sanitize(text: Text, keep_newlines: bool = False) -> Text:
    """An already styled `Text` with its unsafe characters escaped, styles kept in place
    (newlines too unless `keep_newlines`: a one-line bar must stay one line)."""
    plain = text.plain
    if plain.isprintable() or not any(is_unsafe(ch) for ch in plain if not (keep_newlines and ch == "\n")):
        return text
    escape = clean_block if keep_newlines else _clean_all
    out = Text(style=text.style, justify=text.justify, overflow=text.overflow,
               no_wrap=text.no_wrap, end=text.end)
    # Cut at every span boundary, so each piece has one set of styles, and escape each piece.
    for piece in text.divide(sorted({s.start for s in text.spans} | {s.end for s in text.spans})):
        cleaned = escape(piece.plain)
        if not piece.spans:
            out.append(cleaned)
            continue
        start = len(out)
        out.append(cleaned)
        for span in piece.spans:
            out.stylize(span.style, start, len(out))
    return out


def _clean_all(value: str) -> str:
    return clean(value, limit=None)


def escape_json(document: str) -> str:
    """JSON text (as `json.dumps` writes it) with every unsafe character inside its strings
    written as a `\\uXXXX` escape: the same JSON value, nothing invisible or hostile on screen.
    Outside strings `json.dumps` writes only printable ASCII, so no other place changes."""
    if document.isascii() or not any(is_unsafe(ch) for ch in document if ch != "\n"):
        return document
    out = []
    for ch in document:
        if ch != "\n" and is_unsafe(ch):
            code = ord(ch)
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def ansi_line(line: object) -> Text:
    """A log line: its SGR colours kept, every other escape sequence (OSC, cursor moves,
    clears, hyperlinks) and control character shown escaped."""
    raw = _as_str(line)
    if len(raw) > LOG_LINE_LIMIT:
        raw = raw[:LOG_LINE_LIMIT] + f"… (+{len(raw) - LOG_LINE_LIMIT} chars)"
    if "\x1b[" not in raw:
        return safe_block(raw)
    pieces = SGR.split(raw)
    colours = SGR.findall(raw)
    joined = "".join(clean_block(piece) + (colours[i] if i < len(colours) else "")
                     for i, piece in enumerate(pieces))
    return Text.from_ansi(joined, end="")
