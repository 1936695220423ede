"""P8: `bentotui` over a 150 ms round-trip link; prints one JSON object.

    .venv/bin/python tests/bench/bench_p8.py [--rounds 5] [--rtt 0.150] [--status-changes 5]

A real local control plane with 100 deployments, reached directly (loopback) and through
latency_proxy.LatencyProxy (75 ms each way per chunk, one more round trip per new connection).
For each path the proxy counts new connections, request turns and waves (sequential round trips;
see latency_proxy), from the path's start until its end on screen:

- `start`: `bentotui --endpoint … --api-token …` to the list of 100 painted, proxied and direct in
  alternating rounds; `extra_rtts` = (proxied median - direct median) / rtt.  Goal: <= 1.
- `detail`: enter on the list's first row to the detail screen shown (`shown_ms`, painted from
  the list's row) and to its last answer from the server (`live_ms`: the GET and the first frames
  of its subscriptions delivered; nothing else is on the wire then).  Goal: <= 1 rtt + paint.
- `status`: a deployment terminated on the server (POST, directly) to "terminating" on the
  screen behind the proxy.  Goal: <= 1 rtt after the server knows it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_tui import N, painted  # noqa: E402
from tests.bench.common import BENTOTUI, NS, Pty, create_many, median, r, temp_home, tui_env  # noqa: E402
from tests.bench.latency_proxy import LatencyProxy  # noqa: E402
from tests.harness import LocalCloud  # noqa: E402


def argv_for(endpoint: str, cloud: LocalCloud) -> list[str]:
    return [str(BENTOTUI), "--endpoint", endpoint, "--api-token", cloud.token]


def start_run(endpoint: str, cloud: LocalCloud, home: Path) -> tuple[Pty, float]:
    term = Pty(argv_for(endpoint, cloud), tui_env(home, 80, 24), home, 80, 24)
    at = term.wait_for(painted, "the list of 100", timeout=60)
    return term, at - term.started


def timed_start(endpoint: str, cloud: LocalCloud, home: Path, proxy: LatencyProxy | None) -> dict:
    mark = time.perf_counter()
    term, elapsed = start_run(endpoint, cloud, home)
    try:
        counts = proxy.since(mark) if proxy else {}
        return {"s": elapsed, **counts}
    finally:
        term.quit()


def timed_detail(cloud: LocalCloud, home: Path, proxy: LatencyProxy) -> dict:
    term, _ = start_run(proxy.endpoint, cloud, home)
    try:
        term.settle(0.6)
        mark = time.perf_counter()
        pressed = term.press("\r")
        shown = term.wait_for(lambda s: "bench-" in s.splitlines()[1] and "Overview" in s,
                              "the detail screen", timeout=20)
        term.settle(1.0)
        counts = proxy.since(mark)
        return {"shown_ms": (shown - pressed) * 1000, "live_ms": counts["last_answer_ms"], **counts}
    finally:
        term.quit()


def timed_status(cloud: LocalCloud, home: Path, proxy: LatencyProxy, count: int) -> list[dict]:
    term = Pty(argv_for(proxy.endpoint, cloud), tui_env(home, 120, 40), home, 120, 40)
    out = []
    try:
        term.wait_for(painted, "the list of 100", timeout=60)
        term.settle(0.6)
        visible = [line.split()[0] for line in term.screen.display if line.lstrip().startswith("bench-")]
        names = visible[:count]  # rows on screen, whatever the list's order
        with cloud.client() as http:
            for name in names:
                def changed(_: str, name: str = name) -> bool:
                    return "terminat" in (term.line_with(f"{name} ") or "")
                mark = time.perf_counter()
                response = http.post(f"{NS}/{name}/terminate")
                known = time.perf_counter()
                assert response.status_code == 200, response.text
                at = term.wait_for(changed, f"{name} to show terminating", timeout=10)
                term.settle(0.3, timeout=3)
                out.append({"ms": (at - known) * 1000, "post_ms": (known - mark) * 1000, **proxy.since(mark)})
    finally:
        term.quit()
    return out


def summary(runs: list[dict], key: str, scale: float = 1.0) -> dict:
    return {"median": r(median([x[key] * scale for x in runs]), 3), "all": [r(x[key] * scale, 3) for x in runs]}


def counted(runs: list[dict]) -> dict:
    return {k: int(median([x[k] for x in runs])) for k in ("connections", "turns", "waves")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rtt", type=float, default=0.150)
    parser.add_argument("--status-changes", type=int, default=5)
    parser.add_argument("--only", choices=["start", "detail", "status"], action="append")
    args = parser.parse_args()
    parts = set(args.only or ["start", "detail", "status"])
    home = temp_home("p8")
    cloud = LocalCloud(home / "cloud").start()
    proxy = LatencyProxy(cloud.port, args.rtt).start()
    result: dict[str, object] = {"rtt_ms": args.rtt * 1000, "load_average": [r(os.getloadavg()[0], 2)]}
    try:
        create_many(cloud, [f"bench-{i:03d}" for i in range(N)])
        if "start" in parts:
            timed_start(cloud.endpoint, cloud, home, None)  # warm-up: bytecode cache
            direct, proxied = [], []
            for i in range(args.rounds):
                runs = [lambda: direct.append(timed_start(cloud.endpoint, cloud, home, None)),
                        lambda: proxied.append(timed_start(proxy.endpoint, cloud, home, proxy))]
                for run in runs if i % 2 == 0 else runs[::-1]:
                    run()
            result["start"] = {
                "loopback_s": summary(direct, "s"), "proxied_s": summary(proxied, "s"),
                "extra_rtts": r((median([x["s"] for x in proxied]) - median([x["s"] for x in direct])) / args.rtt, 2),
                **counted(proxied), "timeline": proxied[len(proxied) // 2],
            }
            print(json.dumps({"progress": "start", **result["start"]}), file=sys.stderr)
        if "detail" in parts:
            runs = [timed_detail(cloud, home, proxy) for _ in range(args.rounds)]
            result["detail"] = {"shown_ms": summary(runs, "shown_ms"), "live_ms": summary(runs, "live_ms"),
                                "live_rtts": r(median([x["live_ms"] for x in runs]) / (args.rtt * 1000), 2),
                                **counted(runs), "timeline": runs[len(runs) // 2]}
            print(json.dumps({"progress": "detail", **result["detail"]}), file=sys.stderr)
        if "status" in parts:
            runs = timed_status(cloud, home, proxy, args.status_changes)
            result["status"] = {"ms": summary(runs, "ms"),
                                "rtts": r(median([x["ms"] for x in runs]) / (args.rtt * 1000), 2),
                                **counted(runs), "timeline": runs[len(runs) // 2]}
        result["load_average"].append(r(os.getloadavg()[0], 2))  # type: ignore[union-attr]
    finally:
        proxy.stop()
        cloud.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
    main()
