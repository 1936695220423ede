#!/usr/bin/env python3
"""The numbers docs/architecture.md quotes for the house (issue 12), as Markdown to paste there.

    .venv/bin/python scripts/house_numbers.py [--deferred]

The import graph is `tests/support/imports.py`'s (the same the layering test checks): cycles,
deferred imports (inside a function; `TYPE_CHECKING` ones never run and are not counted), the
biggest modules, and the lines of each part (`.py` files, comments and docstrings included).
`--deferred` lists every deferred import.  Re-run it after a merge and paste the output.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.imports import LAYERS, Graph, build, layer_of, package_cycles, upward  # noqa: E402


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def numbers(graph: Graph, list_deferred: bool = False) -> str:
    internal = [i for i in graph.imports if not i.typing_only]
    deferred = [i for i in internal if i.deferred]
    sizes = {module: _lines(path) for module, path in graph.modules.items()}
    biggest = sorted(sizes, key=sizes.__getitem__, reverse=True)[:3]
    found_cycles = package_cycles(graph)
    out = [
        "| | now |",
        "|---|---|",
        f"| modules in `tui/` | {len(graph.modules)} |",
        f"| internal imports | {len(internal)} |",
        f"| deferred imports | {len(deferred)} |",
        f"| upward imports | {len(upward(graph))} |",
        f"| cycles | {len(found_cycles)}"
        + "".join(f"; `{' ⇄ '.join(c)}`" for c in found_cycles) + " |",
        "| biggest modules | " + ", ".join(f"`{m}` {sizes[m]}" for m in biggest) + " |",
        "",
        "| part | modules | lines | deferred imports | biggest module |",
        "|---|---|---|---|---|",
    ]
    for name, prefixes in LAYERS:
        members = [m for m in graph.modules if layer_of(m) == name]
        if not members:
            continue
        top = max(members, key=sizes.__getitem__)
        count = sum(1 for i in deferred if layer_of(i.source) == name)
        out.append(f"| {name} ({', '.join(prefixes)}) | {len(members)} | {sum(sizes[m] for m in members)} "
                   f"| {count} | `{top}` {sizes[top]} |")
    by_folder: dict[str, int] = defaultdict(int)
    for module in graph.modules:
        if layer_of(module) == "localcloud":
            parts = module.split(".")
            folder = parts[2] if len(parts) > 3 or (len(parts) == 3 and graph.modules[module].name == "__init__.py") \
                else "(top level)"
            by_folder[folder] += sizes[module]
    out += ["", "localcloud by folder: " + ", ".join(f"{k} {v}" for k, v in sorted(by_folder.items()))]
    if list_deferred:
        out += ["", "Deferred imports:"]
        out += [f"- `{i.source}:{i.line}` → `{i.target}`" for i in sorted(deferred, key=lambda i: (i.source, i.line))]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deferred", action="store_true", help="list every deferred import")
    print(numbers(build(), parser.parse_args().deferred))


if __name__ == "__main__":
    main()
