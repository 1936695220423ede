"""A real local control plane in a subprocess, for tests.

It is started exactly as users start it (`python -m tui.cli local start --foreground`), on a
free loopback port, in its own temporary BENTOTUI_HOME, with short scaling windows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

FAST_RUNTIME = {
    "BENTOTUI_RUNTIME_IDLE_SCALE_TO_ZERO_S": "2",
    "BENTOTUI_RUNTIME_SCALE_INTERVAL_S": "0.2",
    "BENTOTUI_RUNTIME_BACKOFF_INITIAL_S": "0.2",
    "BENTOTUI_RUNTIME_BACKOFF_MAX_S": "1",
    "BENTOTUI_RUNTIME_SCALE_DOWN_STABILIZATION_S": "1",
    "BENTOTUI_RUNTIME_METRICS_INTERVAL_S": "0.5",
}


@dataclass
class LocalCloud:
    home: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int | None = 0  # None: as users start it (no --port: the last port, else the default)
    proc: subprocess.Popen[bytes] | None = None
    endpoint: str = ""

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    @property
    def headers(self) -> dict[str, str]:
        return {"X-YATAI-API-TOKEN": self.token}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(FAST_RUNTIME)
        env.update(self.env_overrides)
        env["BENTOTUI_HOME"] = str(self.home)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def start(self, timeout: float = 30.0) -> LocalCloud:
        self.home.mkdir(parents=True, exist_ok=True)
        pidfile = self.home / "server.json"
        if pidfile.exists():
            pidfile.unlink()
        log = open(self.home / "test-server.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "local", "start", "--foreground",
             *([] if self.port is None else ["--port", str(self.port)])],
            env=self.env(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"control plane exited: {self.log_tail()}")
            try:
                info = json.loads(pidfile.read_text())
                if info["pid"] == self.proc.pid:
                    self.endpoint = info["endpoint"]
                    self.port = int(self.endpoint.rsplit(":", 1)[1])
                    return self
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                pass
            time.sleep(0.02)
        raise RuntimeError(f"control plane did not start: {self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join((self.home / "test-server.log").read_text().splitlines()[-n:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> LocalCloud:
        self.stop()
        return self.start()

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.endpoint, headers=self.headers, timeout=30, **kw)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns a truthy value; that value is returned."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")
