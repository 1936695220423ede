"""`KEY=value` lines: how the v2 form edits envs and labels losslessly.

One pair a line, split at the first `=`, so a value may hold `,`, `=`, spaces and any text; the
key is trimmed, the value kept exactly as typed.  A line that does not read is named, never
dropped: the caller keeps the typed text and sends nothing until it reads.  No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReadPairs:
    """What a box of `KEY=value` lines says: its pairs, or the lines that do not read."""

    pairs: Pairs = ()
    problems: tuple[str, ...] = ()


def pairs_text(pairs: Pairs) -> str:
    """The pairs one a line, as the box shows them."""
    return "\n".join(f"{key}={value}" for key, value in pairs)


def fits_lines(pairs: Pairs) -> bool:
    """Whether every pair survives a trip through `pairs_text`/`read_pairs` (no line break in a
    key or value, no `=` in a key, no space around a key); the JSON pane edits the others."""
    return all("\n" not in k and "\r" not in k and "=" not in k and k == k.strip() and k
               and "\n" not in v and "\r" not in v for k, v in pairs)


def read_pairs(text: str, key_word: str = "KEY") -> ReadPairs:
    """The pairs of `text`, one `KEY=value` a line (blank lines skipped)."""
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep:
            problems.append(f"line {number}: no '=' (write {key_word}=value)")
        elif not key.strip():
            problems.append(f"line {number}: nothing before '=' (write {key_word}=value)")
        else:
            pairs.append((key.strip(), value))
    return ReadPairs(tuple(pairs), tuple(problems))
