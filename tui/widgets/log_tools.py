"""Log lines as the Logs tab's tools see them, pure: the merged view's `name | ` prefix and
its order, timestamps hidden or shown, search matches.

Replica lines of the local control plane start with an ISO-8601 UTC time; Kubernetes logs
may too.  Lines without one are left as they are (hiding timestamps never hides text)."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence

ALL_REPLICAS = "*"  # the selector's value for the merged view: never a replica's (DNS) name
PREFIX_SEP = " | "

_STAMP = re.compile(
    r"^(?P<prefix>[^|]{1,64}? \| )?"
    r"(?P<stamp>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) ")


def prefixed(label: str, lines: Iterable[str]) -> list[str]:
    return [f"{label}{PREFIX_SEP}{line}" for line in lines]


def stamp_of(line: str) -> str | None:
    found = _STAMP.match(line)
    return found.group("stamp").replace(" ", "T").replace(",", ".") if found else None


def without_stamp(line: str) -> str:
    """The line with its leading timestamp (after a `name | ` prefix, if any) removed."""
    found = _STAMP.match(line)
    if found is None:
        return line
    return (found.group("prefix") or "") + line[found.end():]


def _keyed(lines: Sequence[str]) -> list[tuple[str, int, str]]:
    """(time, position, line): a line without a time takes the time of the line before it,
    so a traceback stays under the line that started it."""
    keyed, last = [], ""
    for position, line in enumerate(lines):
        last = stamp_of(line) or last
        keyed.append((last, position, line))
    return keyed


def merge_by_time(logs: Iterable[Sequence[str]]) -> list[str]:
    """Several replicas' lines in one list, in time order (each replica's own order kept)."""
    return [line for _, _, line in heapq.merge(*(_keyed(lines) for lines in logs),
                                               key=lambda item: item[0])]


def matching(lines: Iterable[str], needle: str) -> list[int]:
    """Indexes of the lines holding `needle` (case-insensitive)."""
    low = needle.lower()
    return [i for i, line in enumerate(lines) if low in line.lower()] if low else []
