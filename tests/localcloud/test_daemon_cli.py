"""`bentotui local start|status|token|stop` as a user runs them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from tests.harness import FAST_RUNTIME, ROOT, wait_for

BENTOTUI = [sys.executable, "-m", "tui.cli"]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BENTOTUI_HOME=str(home), **FAST_RUNTIME)
    return subprocess.run([*BENTOTUI, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_start_is_idempotent_and_stop_stops_replicas(tmp_path: Path) -> None:
    home = tmp_path / "home"
    stopped = run(home, "local", "status")
    assert json.loads(stopped.stdout)["running"] is False
    started = run(home, "local", "start", "--port", "0")
    assert started.returncode == 0, started.stderr
    assert "endpoint: http://127.0.0.1:" in started.stdout
    try:
        status = json.loads(run(home, "local", "status").stdout)
        assert status["running"] and status["data_dir"] == str(home)
        again = run(home, "local", "start")
        assert again.returncode == 0
        assert json.loads(run(home, "local", "status").stdout)["pid"] == status["pid"]
        token = run(home, "local", "token").stdout.strip()
        assert token and stat.S_IMODE((home / "token").stat().st_mode) == 0o600
        headers = {"X-YATAI-API-TOKEN": token}
        endpoint = status["endpoint"]
        version = httpx.get(f"{endpoint}/api/v1/bento_repositories/sentiment",
                            headers=headers).json()["latest_bento"]["version"]
        httpx.post(f"{endpoint}/api/v1/clusters/default/deployments", headers=headers, json={
            "name": "cli-a", "mode": "deployment",
            "targets": [{"bento_repository": "sentiment", "bento": version}]})
        path = f"{endpoint}/api/v1/clusters/default/namespaces/yatai/deployments/cli-a"
        wait_for(lambda: httpx.get(path, headers=headers).json()["status"] == "running", 30)
        pids = [p["usage"]["pid"] for p in httpx.get(f"{path}/pods", headers=headers).json()]
        assert pids
    finally:
        result = run(home, "local", "stop")
    assert result.stdout.strip() == "stopped"
    assert not psutil.pid_exists(status["pid"])
    wait_for(lambda: not any(psutil.pid_exists(pid) for pid in pids), 10, what="replicas to stop")
    assert json.loads(run(home, "local", "status").stdout)["running"] is False
    assert run(home, "local", "stop").stdout.strip() == "not running"


def test_token_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """Second walk: `bentotui local token | head -c 5` printed a BrokenPipeError traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone, like `head` after its bytes
    try:
        env = dict(os.environ, BENTOTUI_HOME=str(tmp_path / "home"), **FAST_RUNTIME)
        result = subprocess.run([*BENTOTUI, "local", "token"], env=env, cwd=ROOT, stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=60, stdin=subprocess.DEVNULL)
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr, result.stderr
    assert "BrokenPipeError" not in result.stderr, result.stderr
    assert result.returncode == 1


def test_start_help_describes_the_port_it_picks(tmp_path: Path) -> None:
    """Second walk: `local start --help` said "default 38510, else a free one", while start
    reuses the last port (the README's promise since issue 11 item 9)."""
    text = " ".join(run(tmp_path / "home", "local", "start", "--help").stdout.split())
    assert "the last one used, else 38510" in text, text
