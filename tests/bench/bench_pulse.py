"""The pulse with 1,000 deployments; prints one JSON object.

    .venv/bin/python tests/bench/bench_pulse.py [--deployments 1000] [--running 3] [--runs 5] [--idle-seconds 10]

Against a local control plane holding N deployments (N - R written with the project's Store as
bench_10k does, not deployed, and R running ones created through the API, so the pulse has
metrics to fetch), the installed `bentotui` in an 80x24 pty with all N loaded in the list:
- `p_to_painted_ms`: `p` pressed to the pulse's summary ("N deployments · …") on screen,
  with the replicas, over `--runs` rounds (esc back to the list between them); median / max;
- `idle_bytes`: bytes the app writes in `--idle-seconds` seconds on the pulse while nothing
  changes (after its first paint and its first metrics round), measured as P5 does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import (  # noqa: E402
    LIST,
    NS,
    Pty,
    bento_version,
    deployment_body,
    median,
    populate_store,
    r,
    temp_home,
    tui_argv,
    tui_env,
)
from tests.harness import LocalCloud, wait_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--running", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    args = parser.parse_args()
    n, running = args.deployments, args.running
    home = temp_home("pulse")
    cloud = LocalCloud(home / "cloud").start()
    result: dict[str, object] = {"deployments": n, "running": running}
    term = None
    try:
        populate_store(cloud, [f"pulse-{i:05d}" for i in range(n - running)])
        with cloud.client() as http:
            version = bento_version(http, "iris_classifier")
            live = [f"pulse-live-{i}" for i in range(running)]
            for name in live:
                made = http.post(LIST, json=deployment_body(name, "iris_classifier", version, deploy=True))
                assert made.status_code == 200, made.text
            for name in live:
                wait_for(lambda name=name: http.get(f"{NS}/{name}").json()["status"] == "running", 120,
                         what=f"{name} running")
        term = Pty(tui_argv(cloud), tui_env(home, 80, 24), home, 80, 24)
        term.wait_for(lambda s: f" {n} deployments" in s, f"all {n} in the list", 120)
        term.settle(0.5)
        summary = f"{n} deployments · {running}/{running} replicas ready"  # the pulse's, not the list's
        timings = []
        for _ in range(args.runs):
            start = term.press("p")
            at = term.wait_for(lambda s: summary in s, "the pulse", 30)
            timings.append((at - start) * 1000)
            term.settle(0.5)
            term.press("\x1b")
            term.wait_for(lambda s: summary not in s and " deployments · sorted" in s, "the list", 30)
            term.settle(0.5)
        result["p_to_painted_ms"] = {"median": r(median(timings), 1), "max": r(max(timings), 1),
                                     "all": [r(t, 1) for t in timings]}
        term.press("p")
        term.wait_for(lambda s: summary in s, "the pulse", 30)
        term.wait_for(lambda s: all("▁" in (term.line_with(name) or "") for name in live),
                      "every running row's sparklines", 30)
        term.settle(1.0)
        before = term.bytes_read
        chunks: list[bytes] = []
        original = term.stream.feed

        def feed(data: bytes) -> None:
            chunks.append(data)
            original(data)

        term.stream.feed = feed  # type: ignore[method-assign]
        began = time.perf_counter()
        end = began + args.idle_seconds
        when: list[float] = []  # seconds into the idle window at which something was written
        while time.perf_counter() < end:
            read = term.bytes_read
            term.pump(0.05)
            if term.bytes_read != read:
                when.append(r(time.perf_counter() - began, 2))
        sample = b"".join(chunks)[:300]
        result["idle_bytes"] = {"seconds": args.idle_seconds, "bytes": term.bytes_read - before,
                                "written_at_s": when[:20],
                                "sample": sample.decode("utf-8", "replace")}
        result["screen"] = term.text().splitlines()[:8]
    finally:
        if term is not None:
            term.quit()
        cloud.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
