"""The import graph of `tui/`, read with `ast` so imports inside functions count too.

One place for the layering contract that tests/unit/test_layering.py enforces and for the
numbers docs/architecture.md quotes (`python -m tests.support.imports` prints them).
Imports under `if TYPE_CHECKING:` never run, so they are recorded but do not make edges.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "tui"

# Lowest first: a module may import its own layer or a lower one, never a higher one.
# Longest matching prefix wins; `tui.localcloud` is a library beside `tui.api` (it shares the
# API models) and never imports the app.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("api", ("tui", "tui.api")),
    ("localcloud", ("tui.localcloud",)),
    ("documents", ("tui.documents",)),
    ("core", ("tui.session", "tui.messages", "tui.config", "tui.clipboard", "tui.read_only", "tui.collector",
              "tui.watchlist")),
    ("widgets", ("tui.widgets",)),
    # what watching needs beside the screens: alert rules (their text cleaned by
    # widgets.safe_text) and the fleet monitor that `bentotui watch` shares with the app
    ("watching", ("tui.alerts", "tui.monitor")),
    ("screens", ("tui.screens",)),
    ("actions", ("tui.actions",)),
    ("app", ("tui.app", "tui.commands", "tui.keymap", "tui.key_order", "tui.alert_service")),
    ("cli", ("tui.cli", "tui.__main__", "tui.watch_cli")),
]
# Layers that run without a terminal: no Textual import at all, deferred or not.
NO_TEXTUAL = ("api", "localcloud", "documents")


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (resolved to the deepest module that exists)
    line: int
    deferred: bool  # inside a function
    typing_only: bool  # under `if TYPE_CHECKING:`


@dataclass
class Graph:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    external: list[Import] = field(default_factory=list)  # third-party, for the Textual rule

    def edges(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for item in self.imports:
            if not item.typing_only and item.target != item.source:
                out[item.source].add(item.target)
        return out


def layer_of(module: str) -> str:
    best, best_len = "", -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            inside = module == prefix or (prefix != PACKAGE and module.startswith(prefix + "."))
            if inside and len(prefix) > best_len:
                best, best_len = name, len(prefix)
    return best


def unplaced(graph: Graph) -> list[str]:
    """Modules no layer claims: a new top-level module must be given its place in LAYERS."""
    return sorted(module for module in graph.modules if not layer_of(module))


def rank(layer: str) -> int:
    return [name for name, _ in LAYERS].index(layer)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[str, list[str], int, bool, bool]] = []
        self._depth = 0
        self._typing = 0

    def _function(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        typing = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        if typing:
            self._typing += 1
            for child in node.body:
                self.visit(child)
            self._typing -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _add(self, base: str, names: list[str], line: int) -> None:
        self.found.append((base, names, line, self._depth > 0, self._typing > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, [], node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base_parts = self.package.split(".")
            if node.level > 1:
                base_parts = base_parts[: len(base_parts) - node.level + 1]
            base = ".".join(base_parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        self._add(base, [alias.name for alias in node.names], node.lineno)


def build(root: Path = ROOT, package: str = PACKAGE) -> Graph:
    """Parse every module under root/package and resolve its imports to modules of the package."""
    graph = Graph()
    for path in sorted((root / package).rglob("*.py")):
        graph.modules[module_name(path, root)] = path
    for module, path in graph.modules.items():
        visitor = _Visitor(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for base, names, line, deferred, typing_only in visitor.found:
            if base != package and not base.startswith(package + "."):
                graph.external.append(Import(module, base, line, deferred, typing_only))
                continue
            targets = [f"{base}.{name}" for name in names if f"{base}.{name}" in graph.modules]
            if len(targets) < len(names) or not names:
                targets.append(_deepest(base, graph.modules))
            for target in dict.fromkeys(targets):
                graph.imports.append(Import(module, target, line, deferred, typing_only))
    return graph


def _deepest(name: str, modules: dict[str, Path]) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def upward(graph: Graph) -> list[Import]:
    """Imports (at module level or inside functions) from a lower layer to a higher one."""
    return [item for item in graph.imports if not item.typing_only
            and rank(layer_of(item.target)) > rank(layer_of(item.source))]


def textual_in_libraries(graph: Graph) -> list[Import]:
    return [item for item in graph.external
            if (item.target == "textual" or item.target.startswith("textual."))
            and layer_of(item.source) in NO_TEXTUAL]


def uncommented_deferred(graph: Graph, exempt: tuple[str, ...] = ()) -> list[Import]:
    """Imports inside functions without a comment saying why: on the line, on the first line
    of the run of import lines it belongs to, or on the line just above that run."""
    out = []
    for item in graph.imports:
        if not item.deferred or item.typing_only or item.source in exempt:
            continue
        lines = graph.modules[item.source].read_text(encoding="utf-8").splitlines()
        row = item.line - 1
        while row > 0 and lines[row - 1].strip().startswith(("from ", "import ")) \
                and "#" not in lines[row]:
            row -= 1  # up to the first import line of the block
        above = lines[row - 1].strip() if row > 0 else ""
        if "#" not in lines[row] and not above.startswith("#"):
            out.append(item)
    return out


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), imports of any kind."""
    edges = graph.edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph.modules):
        if node not in index:
            visit(node)
    return found


def package_cycles(graph: Graph) -> list[list[str]]:
    """Cycles between a package's `__init__` and its own modules are harmless; others are not."""
    return [c for c in cycles(graph)
            if not all(m == c[0] or m.startswith(c[0] + ".") for m in c[1:])]


def report(graph: Graph) -> str:
    """The numbers docs/architecture.md quotes."""
    internal = [i for i in graph.imports if not i.typing_only]
    lines_by_layer: dict[str, int] = defaultdict(int)
    sizes = {}
    for module, path in graph.modules.items():
        count = len(path.read_text(encoding="utf-8").splitlines())
        sizes[module] = count
        lines_by_layer[layer_of(module)] += count
    biggest = max(sizes, key=sizes.__getitem__)
    out = [
        f"modules: {len(graph.modules)}",
        f"internal imports: {len(internal)} (deferred: {sum(i.deferred for i in internal)})",
        f"upward imports: {len(upward(graph))}",
        f"cycles: {len(package_cycles(graph))}",
    ]
    for component in package_cycles(graph):
        out.append("  cycle: " + " ⇄ ".join(component))
    out.append(f"biggest module: {biggest} ({sizes[biggest]} lines)")
    for name, _ in LAYERS:
        deferred = sum(i.deferred for i in internal if layer_of(i.source) == name)
        out.append(f"  {name:<11} {lines_by_layer[name]:>6} lines, {deferred} deferred imports")
    for item in upward(graph):
        out.append(f"  upward: {item.source}:{item.line} -> {item.target}"
                   + (" (deferred)" if item.deferred else ""))
    return "\n".join(out)


if __name__ == "__main__":
    print(report(build()))
