"""The floor of any Textual TUI here, against `bentotui`; prints one JSON object.

    .venv/bin/python tests/bench/bench_floor.py [--rounds 7]

`floor_app.py` (a bare Textual app painting a 100-row DataTable from memory) and `bentotui`
(`--endpoint`/`--api-token` of a real local control plane with 100 deployments) are started in
the same 80x24 pty, with the same environment and interpreter, and timed the same way: start to
the bytes that make the screen show the rows and "100 deployments" (bench_tui.painted).  Rounds
alternate (which goes first swaps every round) so drift from the shared machine hits both alike;
the figures are medians, and `ratio` is bentotui's median over the floor's.  With `--before DIR`
a third contender, bentotui from another source tree, runs in the same rounds (before/after).  The load average is
reported because the other engineers' tests share these 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_tui import N, painted, time_bentotui_start  # noqa: E402
from tests.bench.common import Pty, create_many, median, r, temp_home, tui_argv, tui_env  # noqa: E402
from tests.harness import LocalCloud  # noqa: E402

FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"


def time_floor_start(home: Path) -> float:
    """The floor app, started exactly as bentotui is (same pty, env, interpreter)."""
    term = Pty([sys.executable, str(FLOOR_APP)], tui_env(home, 80, 24), home, 80, 24)
    try:
        at = term.wait_for(painted, "the floor's 100 rows", timeout=60)
        return at - term.started
    finally:
        term.quit()


def time_source_start(cloud: LocalCloud, home: Path, source: Path) -> float:
    """`bentotui` run from another source tree (PYTHONPATH), e.g. an older commit's
    `git archive`: a before/after in the same rounds, under the same load."""
    env = tui_env(home, 80, 24)
    env["PYTHONPATH"] = str(source)
    term = Pty(tui_argv(cloud), env, home, 80, 24)
    try:
        return term.wait_for(painted, "the list of 100", timeout=60) - term.started
    finally:
        term.quit()


def floor_vs_bentotui(cloud: LocalCloud, home: Path, rounds: int,
                      before: Path | None = None) -> dict[str, object]:
    time_floor_start(home)  # warm-up: the bytecode cache, the disk cache
    time_bentotui_start(cloud, home)
    floor, tui, old = [], [], []
    runs = [lambda: floor.append(time_floor_start(home)),
            lambda: tui.append(time_bentotui_start(cloud, home))]
    if before is not None:
        time_source_start(cloud, home, before)
        runs.append(lambda: old.append(time_source_start(cloud, home, before)))
    load = [os.getloadavg()[0]]
    for i in range(rounds):
        shift = i % len(runs)  # each goes first in turn
        for run in runs[shift:] + runs[:shift]:
            run()
        load.append(os.getloadavg()[0])
    extra = {} if not old else {
        "before_s": {"source": str(before), "median": r(median(old), 3), "all": [r(t, 3) for t in old]},
        "ratio_before": r(median(old) / median(floor), 3),
    }
    return {
        "deployments": N,
        "rounds": rounds,
        "floor_s": {"median": r(median(floor), 3), "all": [r(t, 3) for t in floor]},
        "bentotui_s": {"median": r(median(tui), 3), "all": [r(t, 3) for t in tui]},
        "ratio": r(median(tui) / median(floor), 3),
        "ratios": [r(a / b, 3) for a, b in zip(tui, floor, strict=False)],
        "load_average": {"min": r(min(load), 2), "max": r(max(load), 2)},
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", type=Path, help="also time bentotui from this source tree "
                        "(e.g. `git archive OLD | tar -x -C DIR`), in the same rounds")
    args = parser.parse_args()
    home = temp_home("floor")
    cloud = LocalCloud(home / "cloud").start()
    try:
        create_many(cloud, [f"bench-{i:03d}" for i in range(N)])
        result = floor_vs_bentotui(cloud, home, args.rounds, args.before)
    finally:
        cloud.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
    main()
