"""Runs every benchmark, writes tests/bench/results.md (figure, goal, measured, pass/fail) and
prints all results as one JSON object.

    .venv/bin/python tests/bench/run_all.py [--only tui|10k|events|localcloud|pulse ...] [--out FILE]

Each benchmark runs in a process of its own and prints JSON (see its docstring for what it
measures and how).  Comparisons are made side by side within one run, as ratios, because
absolute times drift with whatever else the machine is doing.  The whole run takes about
4-6 minutes on a 2-core machine (the first run also installs bentoml 1.1.11 into its cached
virtualenv, as tests/conformance does).  Not part of `pytest`: no test holds a timing threshold.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

BENCHES: dict[str, list[str]] = {
    "localcloud": ["bench_localcloud.py", "--deployments", "1000"],
    "tui": ["bench_tui.py"],
    "10k": ["bench_10k.py"],
    "events": ["bench_events.py"],
    "floor": ["bench_floor.py"],  # issue 16: P1 against the floor of any Textual TUI
    "p8": ["bench_p8.py"],  # issue 16: P8, a 150 ms round-trip link
    # issue 15's pulse (not issue 16's P8, which is the 150 ms link)
    "pulse": ["bench_pulse.py"],
}


def run(name: str) -> tuple[dict[str, Any] | None, str, float]:
    script, *args = BENCHES[name]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    out = proc.stdout
    begin = out.find("{")
    try:
        data = json.loads(out[begin:]) if proc.returncode == 0 and begin >= 0 else None
    except json.JSONDecodeError:
        data = None
    log = f"$ {script} {' '.join(args)}  (exit {proc.returncode}, {elapsed:.0f} s)\n{proc.stderr[-3000:]}"
    return data, log, elapsed


Row = tuple[str, str, str, Callable[[dict[str, Any]], tuple[str, bool]]]


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        data = data[key]
    return data


ROWS: list[tuple[str, str, str, str, Callable[[dict[str, Any]], tuple[str, bool | None]]]] = [
    ("P1", "tui", "`bentotui` start to the list of 100 painted, vs `bentoml deployment list` (same server)",
     "<= 0.5 x",
     lambda d: (f"{d['startup']['ratio']:.2f} x ({d['startup']['bentotui_s']['median']:.2f} s vs "
                f"{d['startup']['bentoml_list_s']['median']:.2f} s, medians of "
                f"{len(d['startup']['ratios'])} alternating rounds)",
                d["startup"]["ratio"] <= 0.5)),
    ("P1", "tui", "the same, as plain `bentotui` finding the local control plane through BENTOTUI_HOME",
     "<= 0.5 x",
     lambda d: (f"{d['startup']['ratio_local_home']:.2f} x ({d['startup']['bentotui_local_home_s']['median']:.2f} s "
                f"vs {d['startup']['bentoml_list_s']['median']:.2f} s)",
                d["startup"]["ratio_local_home"] <= 0.5)),
    ("P2", "tui", "status change on the server to the new status on screen",
     "p95 <= 100 ms",
     lambda d: (f"p95 {d['status_to_screen_ms']['p95']:.0f} ms (p50 {d['status_to_screen_ms']['p50']:.0f}, "
                f"{d['status_to_screen_ms']['changes']} changes)",
                d["status_to_screen_ms"]["p95"] <= 100)),
    ("P3", "10k", "10,000 deployments: start to the first page painted", "<= 0.6 s",
     lambda d: (f"{d['start_to_painted_s']['median']:.2f} s (median of "
                f"{len(d['start_to_painted_s']['all'])} starts)",
                d["start_to_painted_s"]["median"] <= 0.6)),
    ("P3", "10k", "10,000 deployments: start to all 10,000 loaded (sortable, filterable)", "<= 1.5 s",
     lambda d: (f"{d['start_to_all_loaded_s']['median']:.2f} s (median of "
                f"{len(d['start_to_all_loaded_s']['all'])} starts)",
                d["start_to_all_loaded_s"]["median"] <= 1.5)),
    ("P3", "10k", "10,000 deployments: one filter keystroke to repaint", "p95 <= 50 ms",
     lambda d: (f"p95 {d['filter_keystroke_ms']['p95']:.0f} ms (p50 {d['filter_keystroke_ms']['p50']:.0f}, "
                f"{d['filter_keystroke_ms']['keystrokes']} keys)",
                d["filter_keystroke_ms"]["p95"] <= 50)),
    ("P3", "10k", "10,000 deployments: RSS of bentotui", "<= 250 MB",
     lambda d: (f"{d['rss_mb']['median']:.0f} MB", d["rss_mb"]["median"] <= 250)),
    ("P4", "events", "2,000 events/s for 10 s into the events pane: key press answered", "<= 100 ms throughout",
     lambda d: (f"max {d['key_ms']['max']:.0f} ms (p95 {d['key_ms']['p95']:.0f}, {d['key_ms']['presses']} presses; "
                f"source {d['source']['rate']}/s)",
                d["key_ms"]["max"] <= 100)),
    ("P4", "events", "2,000 events/s for 10 s: memory", "flat (bounded buffer)",
     lambda d: (f"{d['rss_mb']['at_2s']:.0f} MB at 2 s -> {d['rss_mb']['end']:.0f} MB at the end "
                f"({d['rss_mb']['growth_after_2s']:+.1f} MB)",
                d["rss_mb"]["growth_after_2s"] <= 5)),
    ("P5", "tui", "bytes written while nothing changes (list of 100, 10 s after the first paint)", "0",
     lambda d: (f"{d['idle']['bytes']} bytes in {d['idle']['seconds']:.0f} s", d["idle"]["bytes"] == 0)),
    ("P6", "localcloud", "deployments list with 1,000 deployments", "p99 <= 20 ms",
     lambda d: (f"p99 {d['list_ms']['p99']:.1f} ms (p50 {d['list_ms']['p50']:.1f})", d["list_ms"]["p99"] <= 20)),
    ("P6", "localcloud", "create to `running` (iris_classifier: API server + runner)", "<= 2 s",
     lambda d: (f"{d['create_to_running_s']['median']:.2f} s", d["create_to_running_s"]["median"] <= 2)),
    ("P6", "localcloud", "function-mode cold start (zero replicas to first response)", "<= 1 s",
     lambda d: (f"{d['cold_start_s']['median']:.2f} s", d["cold_start_s"]["median"] <= 1)),
    ("P6", "localcloud", "gateway overhead vs calling the replica directly", "p50 <= 2 ms",
     lambda d: (f"{d['gateway_ms']['overhead_p50']:.2f} ms ({d['gateway_ms']['gateway_p50']:.2f} vs "
                f"{d['gateway_ms']['direct_p50']:.2f} ms)", d["gateway_ms"]["overhead_p50"] <= 2)),
    ("P7", "localcloud", "500 concurrent requests to a function-mode deployment at zero replicas",
     "all 500 answered correctly",
     lambda d: (f"{d['concurrent_cold']['answered_correctly']}/{d['concurrent_cold']['requests']} correct "
                f"(all answered in {d['concurrent_cold']['wall_s']:.1f} s)",
                d["concurrent_cold"]["answered_correctly"] == d["concurrent_cold"]["requests"] == 500)),
    # -- the pulse (issue 15)
    ("pulse", "pulse", "1,000 deployments (3 running): `p` on the list to the pulse painted", "(none set)",
     lambda d: (f"median {d['p_to_painted_ms']['median']:.0f} ms (max {d['p_to_painted_ms']['max']:.0f})",
                None)),
    ("pulse", "pulse", "bytes written by the pulse while nothing changes (10 s, after its first metrics round)",
     "0",
     lambda d: (f"{d['idle_bytes']['bytes']} bytes", d["idle_bytes"]["bytes"] == 0)),
]

# ----------------------------------------------------------------------------- issue 16 (start, slow link)


def _p8_counts(d: dict[str, Any]) -> str:
    return f"{d['waves']} sequential round trips, {d['connections']} new connections, {d['turns']} requests"


ROWS_START_AND_LINK: list[tuple[str, str, str, str, Callable[[dict[str, Any]], tuple[str, bool]]]] = [
    ("P1", "floor", "`bentotui` start to the list of 100 painted, vs a bare Textual app painting a 100-row "
     "table from memory (same pty)", "<= 1.25 x",
     lambda d: (f"{d['ratio']:.2f} x ({d['bentotui_s']['median']:.2f} s vs {d['floor_s']['median']:.2f} s, "
                f"medians of {d['rounds']} alternating rounds, load {d['load_average']['min']:.1f}-"
                f"{d['load_average']['max']:.1f})", d["ratio"] <= 1.25)),
    ("P8", "p8", "150 ms link: start to the list painted, beyond loopback", "<= 1 round trip",
     lambda d: (f"{d['start']['extra_rtts']:+.2f} round trips ({d['start']['proxied_s']['median']:.2f} s vs "
                f"{d['start']['loopback_s']['median']:.2f} s; {_p8_counts(d['start'])})",
                d["start"]["extra_rtts"] <= 1)),
    ("P8", "p8", "150 ms link: enter on a row to the detail shown / to its last answer", "<= 1 round trip + paint",
     lambda d: (f"shown {d['detail']['shown_ms']['median']:.0f} ms, last answer "
                f"{d['detail']['live_ms']['median']:.0f} ms = {d['detail']['live_rtts']:.1f} round trips "
                f"({_p8_counts(d['detail'])})",
                d["detail"]["live_ms"]["median"] <= d["detail"]["shown_ms"]["median"] + d["rtt_ms"])),
    ("P8", "p8", "150 ms link: status change on the server to the screen", "<= 1 round trip",
     lambda d: (f"{d['status']['ms']['median']:.0f} ms = {d['status']['rtts']:.2f} round trips "
                f"({_p8_counts(d['status'])})", d["status"]["rtts"] <= 1)),
]
ROWS += ROWS_START_AND_LINK


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", action="append", choices=sorted(BENCHES))
    parser.add_argument("--out", default=str(HERE / "results.md"))
    args = parser.parse_args()
    names = args.only or list(BENCHES)
    started = time.perf_counter()
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    logs: dict[str, str] = {}
    for name in names:
        print(f"running {name}…", file=sys.stderr, flush=True)
        data, log, elapsed = run(name)
        results[name] = data
        logs[name] = log
        print(f"  {name}: {'ok' if data else 'FAILED'} in {elapsed:.0f} s", file=sys.stderr, flush=True)
        if data is None:
            print(log, file=sys.stderr)
    table = []
    for figure, bench, what, goal, measure in ROWS:
        if bench not in names:
            continue
        data = results.get(bench)
        if data is None:
            table.append({"figure": figure, "what": what, "goal": goal, "measured": "benchmark failed",
                          "pass": False})
            continue
        try:
            measured, passed = measure(data)
        except (KeyError, TypeError, ValueError) as exc:
            measured, passed = f"missing ({exc!r})", False
        table.append({"figure": figure, "what": what, "goal": goal, "measured": measured, "pass": passed})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    meta = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "seconds": round(time.perf_counter() - started)}
    lines = [
        "# Benchmark results",
        "",
        f"`.venv/bin/python tests/bench/run_all.py` at {meta['commit']}, {meta['date']}: "
        f"{meta['cpus']} CPUs, Python {meta['python']}, load average {meta['load_before'][0]} before / "
        f"{meta['load_after'][0]} after, {meta['seconds']} s in all.",
        "",
        "| # | what | goal | measured | |",
        "|---|---|---|---|---|",
    ]
    for row in table:
        verdict = "" if row["pass"] is None else "pass" if row["pass"] else "MISS"  # None: no goal
        lines.append(f"| {row['figure']} | {row['what']} | {row['goal']} | {row['measured']} | {verdict} |")
    lines += ["", "Raw results (JSON) are printed by the run; each benchmark's docstring says how it measures.", ""]
    Path(args.out).write_text("\n".join(lines))
    print(json.dumps({"meta": meta, "table": table, "results": results}, indent=2))


if __name__ == "__main__":
    main()
