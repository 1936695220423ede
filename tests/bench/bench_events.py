"""The events pane under an event storm; prints one JSON object.

    .venv/bin/python tests/bench/bench_events.py [--rate 2000] [--seconds 10]

P4: the installed `bentotui` (80x24 pty) shows one deployment's Events tab while the local
control plane records `--rate` events a second on it for `--seconds` seconds; they reach the
app the real way, over the kube_events websocket.  Every 250 ms the bench presses `s` (pause /
follow) and times the key to the pane's status bar showing the new state: `key_ms` p50 / p95
/ max.  The app's RSS is sampled every 0.5 s: `rss_mb` at 2 s, at the end, and the growth.

The event source: the control plane's bench-only debug route (tui/localcloud/http/debug.py), enabled
for this server by BENTOTUI_DEBUG_ROUTES=1 and absent otherwise.  It records a batch of events in
one transaction and notifies the sockets exactly as the runtime's own events do, so the whole
path (SQLite, hub, websocket, client, widget) is measured; a separate process (`--inject`) posts
a batch of rate/20 events every 50 ms on a fixed schedule, so the bench's own screen reading
does not slow the source down.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import Pty, create_many, median, pct, r, temp_home, tui_argv, tui_env  # noqa: E402
from tests.harness import LocalCloud  # noqa: E402

NAME = "p4-events"
DEBUG = "/api/v1/debug/clusters/default/namespaces/yatai/deployments"
TICK = 0.05


def inject(endpoint: str, token: str, rate: int, seconds: float) -> None:
    """The event source: rate/20 events every 50 ms, on a fixed schedule; prints what it did."""
    import httpx

    batch = max(1, round(rate * TICK))
    sent, late = 0, 0
    with httpx.Client(base_url=endpoint, headers={"X-YATAI-API-TOKEN": token}, timeout=10) as http:
        start = time.perf_counter()
        tick = 0
        while True:
            due = start + tick * TICK
            if due - start >= seconds:
                break
            now = time.perf_counter()
            if now < due:
                time.sleep(due - now)
            elif now - due > TICK:
                late += 1
            response = http.post(f"{DEBUG}/{NAME}/kube_events",
                                 json={"count": batch, "reason": "Storm", "message": f"tick {tick}"})
            response.raise_for_status()
            sent += batch
            tick += 1
        elapsed = time.perf_counter() - start
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 3), "rate": round(sent / elapsed),
                      "late_ticks": late}))


def bar_line(term: Pty) -> str:
    return term.line_with(" event") or ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--inject", nargs=2, metavar=("ENDPOINT", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inject:
        inject(args.inject[0], args.inject[1], args.rate, args.seconds)
        return
    home = temp_home("events")
    cloud = LocalCloud(home / "cloud", env_overrides={"BENTOTUI_DEBUG_ROUTES": "1"}).start()
    result: dict[str, object] = {"rate": args.rate, "seconds": args.seconds}
    term = None
    try:
        create_many(cloud, [NAME])
        term = Pty(tui_argv(cloud), tui_env(home, 80, 24), home, 80, 24)
        term.wait_for(lambda s: NAME in s and "1 deployment" in s, "the list")
        term.press("\r")
        term.wait_for(lambda s: "Overview" in s and NAME in s, "the detail screen")
        term.press("3")
        term.wait_for(lambda s: "following (s pauses)" in s, "the events tab")
        term.settle(0.5)
        app = psutil.Process(term.proc.pid)
        server = psutil.Process(cloud.proc.pid)
        bench = psutil.Process()
        rss = [(0.0, app.memory_info().rss)]
        cpu0 = [sum(p.cpu_times()[:2]) for p in (app, server, bench)]
        source = subprocess.Popen(
            [sys.executable, __file__, "--inject", cloud.endpoint, cloud.token, "--rate",
             str(args.rate), "--seconds", str(args.seconds)],
            stdout=subprocess.PIPE, text=True)
        started = time.perf_counter()
        keys: list[float] = []
        paused = False
        next_key = started + 0.25
        next_rss = started + 0.5
        while source.poll() is None:
            now = time.perf_counter()
            if now >= next_rss:
                rss.append((now - started, app.memory_info().rss))
                next_rss += 0.5
            if now >= next_key:
                want = "paused" if not paused else "following"
                at = term.press("s")
                done = term.wait_for(lambda s, want=want: want in bar_line(term), f"'{want}'", 10)
                keys.append((done - at) * 1000)
                paused = not paused
                next_key = max(next_key + 0.25, time.perf_counter() + 0.05)
            else:
                term.pump(0.005)
        source_report = json.loads(source.stdout.read() or "{}")
        end = time.perf_counter()
        cpu = [sum(p.cpu_times()[:2]) - c for p, c in zip((app, server, bench), cpu0, strict=False)]
        result["cpu_s"] = {"bentotui": r(cpu[0]), "control_plane": r(cpu[1]), "bench_reading_screen": r(cpu[2]),
                           "wall": r(end - started)}
        while time.perf_counter() - end < 1.0:  # the app drains what is in flight
            term.pump(0.05)
        rss.append((time.perf_counter() - started, app.memory_info().rss))
        at_2s = next(v for t, v in rss if t >= 2.0)
        result["source"] = source_report
        result["key_ms"] = {"presses": len(keys), "p50": r(median(keys)), "p95": r(pct(keys, 95)),
                            "max": r(max(keys)), "all": [r(k, 1) for k in keys]}
        result["rss_mb"] = {"before": r(rss[0][1] / 2**20, 1), "at_2s": r(at_2s / 2**20, 1),
                            "end": r(rss[-1][1] / 2**20, 1), "max": r(max(v for _, v in rss) / 2**20, 1),
                            "growth_after_2s": r((rss[-1][1] - at_2s) / 2**20, 1)}
        result["bar_at_end"] = bar_line(term).strip()
    finally:
        if term is not None:
            term.quit()
        cloud.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
