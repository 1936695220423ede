"""Reading the end of a replica's log, at a cost bounded by the limits and not by the file.

A replica writes what it likes: a 30 MB log without a newline made the old backwards reader
re-copy and re-count the whole tail on every 8 KB step (quadratic; minutes of CPU).  Here a
tail reads at most `max_bytes` from the end, once, and every line is cut at `max_line` bytes
with a visible marker, so the work is linear and bounded whatever the file holds.
"""

from __future__ import annotations

from pathlib import Path

BLOCK = 64 * 1024


def cut_line(raw: bytes, max_line: int) -> str:
    """One log line as text, cut at `max_line` bytes with a marker saying how much is left out."""
    raw = raw.rstrip(b"\r")
    if len(raw) <= max_line:
        return raw.decode("utf-8", "replace")
    return raw[:max_line].decode("utf-8", "replace") + f" … [line cut: {len(raw) - max_line} more bytes]"


def last_lines(path: Path, count: int, max_bytes: int, max_line: int) -> tuple[list[str], int]:
    """The last `count` lines of a file (reading at most `max_bytes` from its end) and the
    offset of its end.  A first line that starts before what was read is marked as cut."""
    with path.open("rb") as fh:
        end = fh.seek(0, 2)
        if count <= 0:
            return [], end
        start = max(0, end - max_bytes)
        blocks: list[bytes] = []
        newlines = 0
        pos = end
        while pos > start and newlines <= count:
            step = min(BLOCK, pos - start)
            pos -= step
            fh.seek(pos)
            block = fh.read(step)
            blocks.append(block)
            newlines += block.count(b"\n")
    data = b"".join(reversed(blocks))
    pieces = data.split(b"\n")
    if pieces and not pieces[-1]:
        pieces.pop()  # the file ends with a newline: no empty last line
    kept = pieces[-count:]
    lines = [cut_line(piece, max_line) for piece in kept]
    if lines and pos > 0 and len(kept) == len(pieces):
        lines[0] = f"[… {pos} earlier bytes not read] " + lines[0]
    return lines, end


class LineSplitter:
    """Splits appended log bytes into lines, holding at most `max_line` bytes of an unfinished
    line: a longer one is passed on cut (and marked), and its rest skipped up to the newline."""

    def __init__(self, max_line: int) -> None:
        self._max = max_line
        self._partial = b""
        self._skipping = 0  # bytes of an over-long line dropped so far

    def feed(self, data: bytes) -> list[str]:
        lines: list[str] = []
        while data:
            at = data.find(b"\n")
            piece, data = (data, b"") if at < 0 else (data[:at], data[at + 1 :])
            if self._skipping:
                self._skipping += len(piece)
                if at >= 0:
                    lines.append(f"[… line cut: {self._skipping} more bytes]")
                    self._skipping = 0
                continue
            self._partial += piece
            if at >= 0:
                lines.append(cut_line(self._partial, self._max))
                self._partial = b""
            elif len(self._partial) > self._max:
                lines.append(cut_line(self._partial[: self._max], self._max) + " …")
                self._skipping = len(self._partial) - self._max
                self._partial = b""
        return lines
