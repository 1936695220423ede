"""The tests' own layout (issue 12): helpers live in tests/support/, never in a conftest.py that
other modules import as a library, and there is one pty driver."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _sources() -> list[Path]:
    return [p for p in TESTS.rglob("*.py") if ".venv" not in p.parts]


def test_no_conftest_is_imported_as_a_library() -> None:
    importing = re.compile(r"^\s*(from|import)\s+tests(\.\w+)*\.conftest\b", re.M)
    offenders = [str(p.relative_to(TESTS)) for p in _sources() if importing.search(p.read_text())]
    assert offenders == []


def test_one_pty_driver() -> None:
    opening = re.compile(r"\bos\.openpty\(")
    drivers = [str(p.relative_to(TESTS)) for p in _sources() if opening.search(p.read_text())]
    assert drivers == ["support/pty.py"]
