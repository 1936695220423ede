"""The TUI against a local control plane with 100 deployments; prints one JSON object.

    .venv/bin/python tests/bench/bench_tui.py [--rounds 5] [--status-changes 20] [--idle-seconds 10]

- P1 `startup`: wall time from starting the installed `bentotui` (in an 80x24 pty, `--endpoint`
  and `--api-token` of an already running control plane; and plain `bentotui` finding that
  control plane through its BENTOTUI_HOME) to the list of 100 painted (the pyte screen shows the
  rows and "100 deployments"), against the wall time of `bentoml deployment list` (the real
  bentoml 1.1.11 CLI, logged in to the same server), measured in alternating rounds in one run;
  the figure is the ratio of the medians.
- P2 `status_to_screen_ms`: a deployment's status changed on the server (POST terminate) to the
  new status on screen, for `--status-changes` deployments; p50 / p95 / max.
- P5 `idle_bytes`: bytes the app writes to the terminal in `--idle-seconds` seconds while nothing
  changes, after the first full paint of the list of 100.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import (  # noqa: E402
    NS,
    Pty,
    create_many,
    median,
    pct,
    r,
    temp_home,
    tui_argv,
    tui_env,
)
from tests.harness import LocalCloud  # noqa: E402

N = 100


def bentoml_cli(home: Path, cloud: LocalCloud) -> tuple[list[str], dict[str, str]]:
    """The bentoml 1.1.11 CLI (installed once into its cached venv, as the conformance tests
    do), logged in to `cloud` with its own BENTOML_HOME."""
    from tests.support.bentoml_cli import clean_env, ensure_bentoml_venv

    venv = ensure_bentoml_venv()
    env = clean_env()
    env.update({"BENTOML_HOME": str(home / "bentoml-home"), "BENTOML_DO_NOT_TRACK": "True",
                "COLUMNS": "200", "NO_COLOR": "1"})
    (home / "bentoml-home").mkdir(parents=True, exist_ok=True)
    exe = str(venv / "bin" / "bentoml")
    login = subprocess.run([exe, "cloud", "login", "--endpoint", cloud.endpoint, "--api-token",
                            cloud.token], env=env, capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
    if login.returncode != 0:
        raise RuntimeError(f"bentoml cloud login failed: {login.stdout}\n{login.stderr}")
    return [exe, "deployment", "list"], env


def time_bentoml_list(argv: list[str], env: dict[str, str], home: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, cwd=home)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or "bench-099" not in proc.stdout:
        raise RuntimeError(f"bentoml deployment list failed: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def painted(text: str) -> bool:
    return f"{N} deployments" in text and "bench-0" in text and "non-deployed" in text


def time_bentotui_start(cloud: LocalCloud, home: Path, local: bool = False) -> float:
    """`bentotui --endpoint … --api-token …`, or with `local` plain `bentotui` with the control
    plane's BENTOTUI_HOME (no bentoml login, so it uses the local control plane it finds up)."""
    env = tui_env(home, 80, 24)
    argv = tui_argv(cloud)
    if local:
        env["BENTOTUI_HOME"] = str(cloud.home)
        argv = argv[:1]
    term = Pty(argv, env, home, 80, 24)
    try:
        at = term.wait_for(painted, "the list of 100", timeout=60)
        return at - term.started
    finally:
        term.quit()


def status_changes(cloud: LocalCloud, home: Path, count: int) -> list[float]:
    names = [f"p2-{i:02d}" for i in range(count)]
    create_many(cloud, names, threads=2)
    term = Pty(tui_argv(cloud), tui_env(home, 120, 40), home, 120, 40)
    timings = []
    try:
        term.wait_for(lambda s: all(n in s for n in names), "the p2 rows", timeout=60)
        term.settle(0.3)
        with cloud.client() as http:
            for name in names:
                def changed(_: str, name: str = name) -> bool:
                    line = term.line_with(f"{name} ") or ""
                    return "terminat" in line
                start = time.perf_counter()
                response = http.post(f"{NS}/{name}/terminate")
                assert response.status_code == 200, response.text
                at = term.wait_for(changed, f"{name} to show terminating", timeout=10)
                timings.append((at - start) * 1000)
                term.settle(0.1, timeout=2)
    finally:
        term.quit()
    return timings


def idle_bytes(cloud: LocalCloud, home: Path, seconds: float) -> dict[str, object]:
    term = Pty(tui_argv(cloud), tui_env(home, 80, 24), home, 80, 24)
    try:
        term.wait_for(painted, "the list of 100", timeout=60)
        first_paint = term.bytes_read
        end = time.perf_counter() + 1.0  # let the first paint finish (it may span frames)
        while time.perf_counter() < end:
            term.pump(0.05)
        before = term.bytes_read
        chunks: list[bytes] = []
        original = term.stream.feed

        def feed(data: bytes) -> None:
            chunks.append(data)
            original(data)

        term.stream.feed = feed  # type: ignore[method-assign]
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            term.pump(0.05)
        written = term.bytes_read - before
        sample = b"".join(chunks)[:300]
        return {"seconds": seconds, "bytes": written, "first_paint_bytes": first_paint,
                "sample": sample.decode("utf-8", "replace") if sample else ""}
    finally:
        term.quit()


def startup(cloud: LocalCloud, home: Path, rounds: int) -> dict[str, object]:
    argv, env = bentoml_cli(home, cloud)
    time_bentoml_list(argv, env, home)  # warm the disk cache and the server's render cache
    time_bentotui_start(cloud, home)  # warm-up: writes the bytecode cache
    time_bentotui_start(cloud, home, local=True)
    tui, local, cli = [], [], []
    for i in range(rounds):  # alternate, so drift hits all alike
        runs = [lambda: cli.append(time_bentoml_list(argv, env, home)),
                lambda: tui.append(time_bentotui_start(cloud, home)),
                lambda: local.append(time_bentotui_start(cloud, home, local=True))]
        for run in runs[i % 3:] + runs[:i % 3]:
            run()
    return {
        "deployments": N,
        "bentotui_s": {"median": r(median(tui), 3), "all": [r(t, 3) for t in tui]},
        "bentotui_local_home_s": {"median": r(median(local), 3), "all": [r(t, 3) for t in local]},
        "bentoml_list_s": {"median": r(median(cli), 3), "all": [r(t, 3) for t in cli]},
        "ratio": r(median(tui) / median(cli), 3),
        "ratio_local_home": r(median(local) / median(cli), 3),
        "ratios": [r(a / b, 3) for a, b in zip(tui, cli, strict=False)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--status-changes", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["startup", "idle", "status"], action="append",
                        help="run only these parts (default: all)")
    args = parser.parse_args()
    parts = set(args.only or ["startup", "idle", "status"])
    home = temp_home("tui")
    cloud = LocalCloud(home / "cloud").start()
    result: dict[str, object] = {}
    try:
        create_many(cloud, [f"bench-{i:03d}" for i in range(N)])
        if "startup" in parts:
            result["startup"] = startup(cloud, home, args.rounds)
            print(json.dumps({"progress": "startup", **result["startup"]}), file=sys.stderr)
        if "idle" in parts:
            result["idle"] = idle_bytes(cloud, home, args.idle_seconds)
            print(json.dumps({"progress": "idle", **result["idle"]}), file=sys.stderr)
        if "status" in parts:
            timings = status_changes(cloud, home, args.status_changes)
            result["status_to_screen_ms"] = {
                "changes": len(timings), "p50": r(median(timings)), "p95": r(pct(timings, 95)),
                "max": r(max(timings)), "all": [r(t, 1) for t in timings],
            }
    finally:
        cloud.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
    main()
