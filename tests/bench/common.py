"""Shared pieces of the benchmarks: a control plane with N deployments, the installed
`bentotui` in a pseudo-terminal read back with pyte (the approach of tests/e2e/test_pty.py, with
a chosen size and arrival times of the bytes), and small statistics helpers.

Benchmarks are scripts that print JSON (`tests/bench/run_all.py` runs them all); they are not
collected by pytest and hold no thresholds except in run_all's table.
"""

from __future__ import annotations

import fcntl
import math
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyte

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness import LocalCloud  # noqa: E402

BENTOTUI = Path(sys.executable).parent / "bentotui"
LIST = "/api/v1/clusters/default/deployments"
NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


# ----------------------------------------------------------------------------- statistics


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return pct(values, 50)


def r(value: float, digits: int = 2) -> float:
    return round(value, digits)


# ----------------------------------------------------------------------------- the server


def temp_home(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))


def bento_version(http: httpx.Client, repo: str = "iris_classifier") -> str:
    return http.get(f"/api/v1/bento_repositories/{repo}").json()["latest_bento"]["version"]


def deployment_body(name: str, repo: str, version: str, *, mode: str = "deployment",
                    deploy: bool = False) -> dict:
    doc = {"name": name, "mode": mode,
           "targets": [{"bento_repository": repo, "bento": version,
                        "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}}}]}
    if not deploy:
        doc["do_not_deploy"] = True
    return doc


def create_many(cloud: LocalCloud, names: list[str], repo: str = "iris_classifier",
                threads: int = 4) -> None:
    """Create deployments (not deployed) through the API, a few requests at a time."""
    with cloud.client() as http:
        version = bento_version(http, repo)

    def create(chunk: list[str]) -> None:
        with cloud.client() as client:
            for name in chunk:
                response = client.post(LIST, json=deployment_body(name, repo, version))
                assert response.status_code == 200, response.text

    chunks = [names[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create, chunks))


def populate_store(cloud: LocalCloud, names: list[str], repo: str = "iris_classifier") -> None:
    """Many deployments fast: one is created through the API (so its stored targets are exactly
    what the server stores), the control plane is stopped, the rest are written with the
    project's own Store (one transaction each, as the API would), and it is started again."""
    from tui.localcloud.state.store import Store

    first, rest = names[0], names[1:]
    create_many(cloud, [first], repo)
    cloud.stop()
    store = Store(cloud.home / "state.db")
    try:
        row = store.get_deployment("default", "yatai", first)
        assert row is not None and row.active_revision is not None
        for name in rest:
            store.create_deployment(
                cluster=row.cluster, namespace=row.namespace, name=name, description=None,
                mode=row.mode, labels=[], targets=row.active_revision.targets,
                creator=row.creator, status=row.status, desired=row.desired,
            )
    finally:
        store.close()
    cloud.start()


# ----------------------------------------------------------------------------- the terminal


def tui_env(home: Path, columns: int, lines: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BENTO_CLOUD_", "TEXTUAL", "PYTEST")) and k not in ("COLORTERM", "NO_COLOR")}
    # An installed bentotui runs from compiled bytecode: never measure it compiling its modules
    # on every start (PYTHONDONTWRITEBYTECODE may be set in a developer's or CI's shell).  The
    # .pyc files go to the bench's own directory, written by its first (warm-up) start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({
        "PYTHONPYCACHEPREFIX": str(home / "pycache"),
        "TERM": "xterm-256color",
        "BENTOTUI_HOME": str(home / "tui-home"),
        "BENTOML_HOME": str(home / "tui-bentoml-home"),
        "BENTOML_DO_NOT_TRACK": "True",
        "COLUMNS": str(columns),
        "LINES": str(lines),
    })
    return env


def tui_argv(cloud: LocalCloud) -> list[str]:
    return [str(BENTOTUI), "--endpoint", cloud.endpoint, "--api-token", cloud.token]


class Pty:
    """A process on a pty and a pyte screen fed with what it writes.

    `wait_for` returns the time at which the bytes that made the predicate true were read
    from the pty (not when pyte finished parsing them), so the bench's own parsing cost is not
    counted as the app's latency."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, columns: int = 80,
                 lines: int = 24) -> None:
        self.columns, self.lines = columns, lines
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

        def controlling_tty() -> None:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, preexec_fn=controlling_tty, close_fds=True,
        )
        os.close(slave)
        self.bytes_read = 0
        self.last_read_at = 0.0

    def pump(self, timeout: float = 0.002, check: Callable[[], bool] | None = None) -> float | None:
        """Read what is there (waiting up to `timeout` for the first bytes), feeding pyte chunk
        by chunk; with `check`, return the read time of the first chunk after which it holds."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        while ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return None
            if not data:
                return None
            at = time.perf_counter()
            self.bytes_read += len(data)
            self.last_read_at = at
            self.stream.feed(data)
            if check is not None and check():
                return at
            ready, _, _ = select.select([self.master], [], [], 0)
        return None

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def line_with(self, needle: str) -> str | None:
        return next((line for line in self.screen.display if needle in line), None)

    def dump(self) -> str:
        border = "+" + "-" * self.columns + "+"
        return "\n".join([border, *(f"|{line}|" for line in self.screen.display), border])

    def wait_for(self, predicate: Callable[[str], object], what: str, timeout: float = 30.0) -> float:
        """Wait until `predicate(screen text)`; return the arrival time of the deciding bytes."""
        if predicate(self.text()):
            return time.perf_counter()
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            at = self.pump(0.002, check=lambda: bool(predicate(self.text())))
            if at is not None:
                return at
            if self.proc.poll() is not None:
                break
        raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}; screen:\n{self.dump()}")

    def settle(self, quiet: float = 0.5, timeout: float = 10.0) -> None:
        """Read until nothing has been written for `quiet` seconds."""
        deadline = time.perf_counter() + timeout
        last = time.perf_counter()
        while time.perf_counter() < deadline:
            before = self.bytes_read
            self.pump(0.05)
            if self.bytes_read != before:
                last = time.perf_counter()
            elif time.perf_counter() - last >= quiet:
                return

    def press(self, keys: str) -> float:
        """Write keys; returns the time they were written."""
        at = time.perf_counter()
        os.write(self.master, keys.encode())
        return at

    def quit(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.press("q")
            deadline = time.perf_counter() + timeout
            while time.perf_counter() < deadline and self.proc.poll() is None:
                self.pump(0.05)
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        try:
            os.close(self.master)
        except OSError:
            pass
