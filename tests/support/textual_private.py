"""Uses of private Textual API in `tui/`, found with `ast` (tests/unit/test_no_private_textual.py).

Private means a name that starts with one underscore and that Textual defines: a module
(`textual.widgets._footer`), a method or attribute of one of its classes (`Input._watch_value`,
`App._driver`).  Three kinds of use are found:

- an import from a private Textual module, or of a private name from Textual;
- in a class that subclasses a Textual class: a method or `self._x`/`super()._x` whose name one
  of its Textual bases defines (an override of, or a call into, Textual's internals; an own
  attribute of that name would clobber Textual's);
- anywhere: `obj._x` where Textual defines `_x` and no module in `tui/` does.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import textual

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "tui" / "widgets" / "textual_compat.py"  # the one module allowed to
# Library layers never import Textual (tests/unit/test_layering.py): nothing to look for there.
WITHOUT_TEXTUAL = ("tui/api/", "tui/localcloud/", "tui/documents/")


@dataclass(frozen=True)
class PrivateUse:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _class_privates(tree: ast.AST) -> dict[str, set[str]]:
    """Per class of a module: the private methods and attributes its body defines."""
    out: dict[str, set[str]] = defaultdict(set)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(inner.name):
                out[node.name].add(inner.name)
            elif isinstance(inner, (ast.AnnAssign, ast.Assign)):
                targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                for target in targets:
                    if isinstance(target, ast.Name) and _private(target.id):
                        out[node.name].add(target.id)
            elif (isinstance(inner, ast.Attribute) and isinstance(inner.ctx, ast.Store)
                  and _private(inner.attr)):
                out[node.name].add(inner.attr)
    return out


@cache
def textual_privates() -> dict[tuple[str, str], frozenset[str]]:
    """(module, class) → the private names that Textual class defines, for every Textual class."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    package = Path(textual.__file__).parent
    for path in package.rglob("*.py"):
        module = "textual." + ".".join(path.relative_to(package).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, names in _class_privates(tree).items():
            out[(module, name)] = frozenset(names)
    return out


@cache
def all_textual_privates() -> frozenset[str]:
    return frozenset().union(*textual_privates().values())


def _tui_files() -> list[Path]:
    # __main__ runs the app when imported; it holds no class and no Textual name.
    return sorted(p for p in (ROOT / "tui").rglob("*.py")
                  if not str(p.relative_to(ROOT)).startswith(WITHOUT_TEXTUAL) and p.name != "__main__.py")


@cache
def own_private_names() -> frozenset[str]:
    """Private names that `tui/` itself defines (methods, attributes, module names)."""
    names: set[str] = set()
    for path in (ROOT / "tui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for found in _class_privates(tree).values():
            names |= found
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and _private(node.name):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and _private(node.id):
                names.add(node.id)
    return frozenset(names)


def _inherited_privates(cls: type) -> frozenset[str]:
    table = textual_privates()
    names: set[str] = set()
    for base in cls.__mro__:
        names |= table.get((base.__module__, base.__name__), frozenset())
    return frozenset(names)


def _is_self_or_super(node: ast.expr) -> bool:
    if isinstance(node, ast.Name) and node.id in ("self", "cls"):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super")


def private_uses(path: Path, source: str, module: ModuleType | None) -> list[PrivateUse]:
    """The private Textual API `source` (the text of `module`, already imported) uses."""
    where = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    tree = ast.parse(source)
    found: list[PrivateUse] = []
    everywhere = all_textual_privates() - own_private_names()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "textual":
            if any(_private(part) for part in node.module.split(".")):
                found.append(PrivateUse(where, node.lineno, f"imports from {node.module}"))
            for alias in node.names:
                if _private(alias.name):
                    found.append(PrivateUse(where, node.lineno, f"imports {alias.name} from {node.module}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "textual" and any(_private(p) for p in alias.name.split(".")):
                    found.append(PrivateUse(where, node.lineno, f"imports {alias.name}"))
        elif isinstance(node, ast.Attribute) and node.attr in everywhere and not _is_self_or_super(node.value):
            found.append(PrivateUse(where, node.lineno, f".{node.attr} (Textual's)"))
        elif isinstance(node, ast.ClassDef) and module is not None:
            cls = getattr(module, node.name, None)
            if not isinstance(cls, type):
                continue
            inherited = _inherited_privates(cls)
            for inner in ast.walk(node):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and inner.name in inherited:
                    found.append(PrivateUse(where, inner.lineno, f"{node.name}.{inner.name} overrides Textual's"))
                elif (isinstance(inner, ast.Attribute) and inner.attr in inherited
                      and _is_self_or_super(inner.value)):
                    found.append(PrivateUse(where, inner.lineno, f"{node.name} uses Textual's {inner.attr}"))
    return found


def load(path: Path) -> ModuleType:
    """The module at `path`: imported by name inside `tui/`, from its file otherwise."""
    if path.is_relative_to(ROOT / "tui"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        return importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def scan_tui() -> list[PrivateUse]:
    """Every private Textual use in `tui/` outside the shim."""
    found: list[PrivateUse] = []
    for path in _tui_files():
        if path == SHIM:
            continue
        found += private_uses(path, path.read_text(encoding="utf-8"), load(path))
    return found
