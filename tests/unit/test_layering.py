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


# ----------------------------------------------------------------------------- the contract
#
# api → localcloud → documents → session/messages/config → widgets → screens → actions → app →
# cli (tests/support/imports.py: LAYERS).  Read with `ast`, so imports inside functions count;
# `if TYPE_CHECKING:` imports never run and are allowed (Posting imports its app that way).

from tests.support import imports as graph_of  # noqa: E402

# screens/editor.py is being split (document / form widget / thin screen); its deferred imports
# of sibling screens get their comment, or go, in that split.
UNCOMMENTED_FOR_NOW = ("tui.screens.editor",)


def _where(items: list[graph_of.Import]) -> list[str]:
    return [f"{i.source}:{i.line} -> {i.target}{' (in a function)' if i.deferred else ''}"
            for i in items]


def test_every_module_has_a_layer():
    assert graph_of.unplaced(graph_of.build()) == []


def test_no_import_goes_up_a_layer():
    assert _where(graph_of.upward(graph_of.build())) == []


def test_no_import_cycle():
    assert graph_of.package_cycles(graph_of.build()) == []


def test_no_textual_in_the_libraries_even_inside_functions():
    assert _where(graph_of.textual_in_libraries(graph_of.build())) == []


def test_every_deferred_import_says_why():
    found = graph_of.uncommented_deferred(graph_of.build(), exempt=UNCOMMENTED_FOR_NOW)
    assert _where(found) == []


def _package(root: Path, files: dict[str, str]) -> graph_of.Graph:
    for name, text in files.items():
        path = root / "tui" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return graph_of.build(root, "tui")


def test_the_contract_catches_violations(tmp_path: Path):
    """Control: a screen importing the flows inside a function, a cycle through a deferred
    import, Textual in the client, and an uncommented deferred import are all reported;
    a typing-only import of the app is not."""
    graph = _package(tmp_path, {
        "__init__.py": "",
        "api/__init__.py": "",
        "api/client.py": "def f():\n    import textual.app\n",
        "screens/__init__.py": "",
        "screens/a.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from tui.app import App
            def go():
                from tui.actions import run
            """,
        "screens/b.py": "from tui.screens import c\n",
        "screens/c.py": "def f():\n    from tui.screens import b  # deferred: start-up time\n",
        "actions.py": "from tui.screens import a\n",
        "app.py": "",
        "widgets/__init__.py": "",
        "stray.py": "",
    })
    assert _where(graph_of.upward(graph)) == ["tui.screens.a:6 -> tui.actions (in a function)"]
    assert graph_of.package_cycles(graph) == [["tui.actions", "tui.screens.a"],
                                              ["tui.screens.b", "tui.screens.c"]]
    assert _where(graph_of.textual_in_libraries(graph)) == ["tui.api.client:2 -> textual.app (in a function)"]
    assert [(i.source, i.line) for i in graph_of.uncommented_deferred(graph)] == \
        [("tui.screens.a", 6)]
    assert graph_of.unplaced(graph) == ["tui.stray"]
    assert not any(i.target == "tui.app" and not i.typing_only for i in graph.imports)
