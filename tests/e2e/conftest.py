"""Fixtures of the e2e tests: the pty's environment, and no process left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.harness import FAST_RUNTIME
from tests.support.processes import alive, wait_gone
from tests.support.pty import BENTOTUI, terminal_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = terminal_env(tmp_path / "bentotui-home", tmp_path / "bentoml-home")
    env.update(FAST_RUNTIME)
    return env


@pytest.fixture
def control_plane_cleanup(env: dict[str, str]) -> Iterator[list[int]]:
    """Pids the test learns of (control plane and replicas).  At the end, whatever control
    plane the app started is stopped with `bentotui local stop` (even when the test failed
    before it learnt the pid), and anything that survived even that is killed."""
    pids: list[int] = []
    yield pids
    pidfile = Path(env["BENTOTUI_HOME"]) / "server.json"
    try:
        daemon = json.loads(pidfile.read_text())["pid"]
        pids.append(daemon)
        pids.extend(p.pid for p in psutil.Process(daemon).children(recursive=True))
    except (FileNotFoundError, ValueError, KeyError, psutil.NoSuchProcess):
        pass
    if alive(pids):
        subprocess.run([str(BENTOTUI), "local", "stop"], env=env, capture_output=True, timeout=30)
    for pid in wait_gone(pids, 5):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
