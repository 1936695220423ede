"""The TUI with 10,000 deployments; prints one JSON object.

    .venv/bin/python tests/bench/bench_10k.py [--deployments 10000] [--runs 3] [--before DIR]

P3, against an already running local control plane holding N deployments (written with the
project's Store while it was stopped, see common.populate_store; the server's render cache is
warmed by one pass over the list first, and the first, cold, start is reported apart):
- `start_to_painted_s`: starting the installed `bentotui` in an 80x24 pty to the newest rows on
  screen (the first page of 500 paints at once), and `start_to_all_loaded_s` to the summary
  saying all N are loaded;
- `filter_keystroke_ms`: one key typed into the `/` filter to the repainted list (the summary
  line shows the new filter and its match count), over ~30 keystrokes with N loaded; p50/p95;
- `rss_mb`: resident memory of the bentotui process with all N loaded;
- `bytes_painted_to_loaded`: what bentotui wrote to the terminal from the first rows on screen to
  all N loaded (over SSH, every byte of a repaint crosses the link);
- `cpu_to_all_loaded_s`: the CPU time (user + system) the bentotui process had used by then:
  steadier than the wall clock on a shared machine, where the other engineers' load stretches
  the wall clock of the same work by a third or more.
With `--before DIR` (a `git archive` of an older commit), bentotui from that source tree is
started in the same rounds, the two alternating (which goes first swaps every round), and its
figures are reported under `before`; the load average is reported with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import (  # noqa: E402
    LIST,
    Pty,
    median,
    pct,
    populate_store,
    r,
    temp_home,
    tui_argv,
    tui_env,
)
from tests.harness import LocalCloud  # noqa: E402

WORDS = ["p3-0999", "9999", "non-dep", "p3-42"]


def warm(cloud: LocalCloud, n: int) -> float:
    start = time.perf_counter()
    with cloud.client() as http:
        for offset in range(0, n, 500):
            assert http.get(LIST, params={"start": offset, "count": 500}).status_code == 200
    return time.perf_counter() - start


def summary_line(term: Pty) -> str:
    return term.line_with("deployments") or ""


def one_start(cloud: LocalCloud, home: Path, n: int, newest: str, keystrokes: bool,
              source: Path | None = None) -> dict:
    """One start of bentotui (from `source` when given, else the installed one), timed."""
    env = tui_env(home, 80, 24)
    if source is not None:
        env["PYTHONPATH"] = str(source)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache-before")
    term = Pty(tui_argv(cloud), env, home, 80, 24)
    try:
        painted = term.wait_for(lambda s: newest in s and "non-deployed" in s, "the first rows", 60)
        written = term.bytes_read
        loaded = term.wait_for(lambda s: f" {n} deployments" in s, f"all {n} loaded", 120)
        cpu = psutil.Process(term.proc.pid).cpu_times()
        out = {"start_to_painted_s": painted - term.started, "start_to_all_loaded_s": loaded - term.started,
               "cpu_to_all_loaded_s": cpu.user + cpu.system,
               "bytes_painted_to_loaded": term.bytes_read - written}
        term.settle(0.5)
        out["rss_mb"] = psutil.Process(term.proc.pid).memory_info().rss / 2**20
        if keystrokes:
            out["filter_keystroke_ms"] = filter_keystrokes(term)
            out["rss_after_filtering_mb"] = psutil.Process(term.proc.pid).memory_info().rss / 2**20
        return out
    finally:
        term.quit()


def filter_keystrokes(term: Pty) -> list[float]:
    timings = []
    term.press("/")
    term.wait_for(lambda s: "filter:" in s, "the filter box")
    term.settle(0.2)
    for word in WORDS:
        typed = ""
        for ch in word:  # type the word a key at a time
            typed += ch
            want = f"match “{typed}”"
            start = term.press(ch)
            at = term.wait_for(lambda s, want=want: want in summary_line(term), want, 10)
            timings.append((at - start) * 1000)
            term.settle(0.05, timeout=2)
        for _i in range(len(word)):  # and delete it again, a key at a time
            typed = typed[:-1]
            want = f"match “{typed}”" if typed else None
            start = term.press("\x7f")
            if want:
                at = term.wait_for(lambda s, want=want: want in summary_line(term), want, 10)
            else:
                at = term.wait_for(lambda s: "match" not in summary_line(term), "no filter", 10)
            timings.append((at - start) * 1000)
            term.settle(0.05, timeout=2)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="also time bentotui from this source tree "
                        "(e.g. a git archive of an older commit), alternating with this one")
    args = parser.parse_args()
    n = args.deployments
    home = temp_home("10k")
    cloud = LocalCloud(home / "cloud").start()
    result: dict[str, object] = {"deployments": n}
    try:
        names = [f"p3-{i:05d}" for i in range(n)]
        start = time.perf_counter()
        populate_store(cloud, names)
        result["populate_s"] = r(time.perf_counter() - start)
        cold = one_start(cloud, home, n, names[-1], keystrokes=False)
        result["cold_server_cache"] = {k: r(v, 3) for k, v in cold.items()}
        result["warm_list_pass_s"] = r(warm(cloud, n), 3)
        runs: list[dict] = []
        before: list[dict] = []
        if args.before is not None:
            one_start(cloud, home, n, names[-1], keystrokes=False, source=args.before)  # its bytecode
        load = [os.getloadavg()[0]]
        for i in range(args.runs):
            if args.before is not None and i % 2:
                before.append(one_start(cloud, home, n, names[-1], keystrokes=False, source=args.before))
            runs.append(one_start(cloud, home, n, names[-1], keystrokes=(i == 0)))
            if args.before is not None and not i % 2:
                before.append(one_start(cloud, home, n, names[-1], keystrokes=False, source=args.before))
            load.append(os.getloadavg()[0])
        keys = runs[0]["filter_keystroke_ms"]
        result["start_to_painted_s"] = {"median": r(median([x["start_to_painted_s"] for x in runs]), 3),
                                        "all": [r(x["start_to_painted_s"], 3) for x in runs]}
        result["start_to_all_loaded_s"] = {
            "median": r(median([x["start_to_all_loaded_s"] for x in runs]), 3),
            "all": [r(x["start_to_all_loaded_s"], 3) for x in runs]}
        result["bytes_painted_to_loaded"] = {
            "median": median([x["bytes_painted_to_loaded"] for x in runs]),
            "all": [x["bytes_painted_to_loaded"] for x in runs]}
        result["cpu_to_all_loaded_s"] = {
            "median": r(median([x["cpu_to_all_loaded_s"] for x in runs]), 3),
            "all": [r(x["cpu_to_all_loaded_s"], 3) for x in runs]}
        if before:
            result["before"] = {"source": str(args.before), **{
                key: {"median": r(median([x[key] for x in before]), 3), "all": [r(x[key], 3) for x in before]}
                for key in ("start_to_painted_s", "start_to_all_loaded_s", "cpu_to_all_loaded_s", "rss_mb",
                            "bytes_painted_to_loaded")}}
        result["load_average"] = {"min": r(min(load)), "max": r(max(load))}
        result["filter_keystroke_ms"] = {"keystrokes": len(keys), "p50": r(median(keys)),
                                         "p95": r(pct(keys, 95)), "max": r(max(keys)),
                                         "all": [r(k, 1) for k in keys]}
        result["rss_mb"] = {"median": r(median([x["rss_mb"] for x in runs]), 1),
                            "max": r(max(x["rss_mb"] for x in runs), 1),
                            "after_filtering": r(runs[0]["rss_after_filtering_mb"], 1)}
    finally:
        cloud.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
