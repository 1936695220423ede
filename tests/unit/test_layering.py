"""The library layers (`tui.api`, `tui.localcloud`) must not import Textual: the local control
plane runs as a daemon without it, and the client is usable from scripts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    imported = []
    for package_name in sys.argv[1:]:
        try:
            package = importlib.import_module(package_name)
        except ModuleNotFoundError as exc:
            if exc.name == package_name:
                continue  # the package does not exist (yet)
            raise
        imported.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    print(",".join(imported))
    assert "textual" not in sys.modules, [m for m in sys.modules if m.startswith("textual")]
    """
)


def test_library_layers_do_not_import_textual():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, "tui.api", "tui.localcloud", "tui.documents"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    imported = result.stdout.strip().split(",")
    for module in ("tui.api.models", "tui.api.errors", "tui.api.client", "tui.api.streams",
                   "tui.api.contexts", "tui.documents.v1", "tui.documents.v2"):
        assert module in imported


def test_the_check_notices_textual():
    """Control: the same script fails when something does import Textual."""
    result = subprocess.run(
        [sys.executable, "-c", "import textual\n" + SCRIPT, "tui.api"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "AssertionError: ['textual" in result.stderr
