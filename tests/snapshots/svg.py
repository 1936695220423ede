"""Making an SVG screenshot comparable between runs.

`normalize` rewrites everything that legitimately differs from one run to the next, and
keeps each replacement the same length as what it replaces so the layout (x positions,
`textLength`) of the rest of the line does not move.  Anything else that changes on screen
changes the SVG, and the snapshot fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class SVGImageExtension(SingleFileSnapshotExtension):
    """One `.svg` text file per snapshot (syrupy 7 names: `file_extension`, `_write_mode`)."""

    file_extension = "svg"
    _write_mode = WriteMode.TEXT


_SPACE = r"(?:&#160;| )"

# Rich numbers each export ("terminal-1234567-r1", "terminal-1234567-line-3").
_RICH_ID = re.compile(r"\bterminal-\d+-")
# A loopback endpoint's port (the top bar, URLs in JSON).
_PORT = re.compile(r"\b(127\.0\.0\.1|localhost):(\d{2,5})\b")
# The list's times: `%m-%d %H:%M`.
_SHORT_TIME = re.compile(rf"\b\d\d-\d\d{_SPACE}\d\d:\d\d\b")
# ISO timestamps in the JSON view and the detail screen.
_ISO_TIME = re.compile(rf"\b\d{{4}}-\d\d-\d\d(?:T|{_SPACE})\d\d:\d\d(?::\d\d(?:\.\d+)?)?")
# uids of the local control plane: 20 hex characters (a revision target adds "-0").
_UID = re.compile(r"\b[0-9a-f]{20}\b")
# A bento tag `repository:version`, also cut short with "…" in a narrow column.
_BENTO_TAG = re.compile(r"\b([a-z][a-z0-9_-]*):([0-9a-z]{1,16})(?=…|&#160;|<|\"|'|\s|$)")


def _same_length(text: str, fill: str) -> str:
    return (fill * len(text))[: len(text)]


def _digits_to_zero(match: re.Match[str]) -> str:
    """Every digit to 0, except inside the `&#160;` of a space."""
    return "&#160;".join(re.sub(r"\d", "0", part) for part in match.group(0).split("&#160;"))


def normalize(svg: str, known: Iterable[str] = ()) -> str:
    """`svg` with run-specific values replaced by same-length placeholders.

    `known` are exact values of this run that must not reach a baseline (bento versions,
    replica names, pids…); each is replaced wherever it appears in full.  A bento tag cut
    short by a narrow column ("iris_classifier:6nbsy…") is caught by its shape.
    """
    svg = _RICH_ID.sub("terminal-", svg)
    svg = _PORT.sub(lambda m: f"{m.group(1)}:{_same_length(m.group(2), '0')}", svg)
    svg = _ISO_TIME.sub(_digits_to_zero, svg)
    svg = _SHORT_TIME.sub(_digits_to_zero, svg)
    svg = _UID.sub(lambda m: _same_length(m.group(0), "u"), svg)
    for value in sorted({v for v in known if v}, key=len, reverse=True):
        svg = svg.replace(value, _same_length(value, "v"))
    svg = _BENTO_TAG.sub(
        lambda m: m.group(0) if m.group(1) in _NOT_A_TAG else f"{m.group(1)}:{_same_length(m.group(2), 'v')}",
        svg,
    )
    return svg


# `word:` sequences in Rich's SVG that are not bento tags.
_NOT_A_TAG = {"http", "https", "url", "clip-path", "fill", "stroke"}
