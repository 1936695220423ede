"""Issue 10: `local stop` signals only this home's daemon, and one home has one server.

A stale `server.json` whose pid now belongs to another process must not get that process
killed; a second `local start --foreground` on a home that is served refuses, naming the one
that runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.harness import ROOT, LocalCloud


def run_cli(cloud: LocalCloud, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui.cli", "local", *args], env=cloud.env(),
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_stop_never_signals_a_process_that_reused_the_pid(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # what a daemon that died long ago leaves behind, its pid since given to `bystander`
        (home / "server.json").write_text(json.dumps(
            {"pid": bystander.pid, "endpoint": "http://127.0.0.1:9", "started_at": time.time() - 3600}))
        stopped = run_cli(LocalCloud(home), "stop")
        assert stopped.returncode == 0 and stopped.stdout.strip() == "not running", stopped
        time.sleep(0.2)
        assert bystander.poll() is None, "local stop killed a process that is not the daemon"
        assert not (home / "server.json").exists()  # the stale file is cleared
        status = json.loads(run_cli(LocalCloud(home), "status").stdout)
        assert status["running"] is False and status["pid"] is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_second_server_on_one_home_refuses_and_names_the_first(tmp_path) -> None:
    first = LocalCloud(tmp_path / "home").start()
    try:
        second = run_cli(first, "start", "--foreground", "--port", "0", timeout=30)
        assert second.returncode == 1, second
        assert "already runs" in second.stderr
        assert f"pid {first.proc.pid}" in second.stderr and first.endpoint in second.stderr
        assert "Traceback" not in second.stderr
        # the first one is untouched and still the one server.json names
        assert json.loads((first.home / "server.json").read_text())["pid"] == first.proc.pid
        with first.client() as http:
            assert http.get("/api/v1/info").status_code == 200
        # and `local stop` stops exactly it
        stopped = run_cli(first, "stop")
        assert stopped.stdout.strip() == "stopped"
        first.proc.wait(timeout=20)
    finally:
        first.stop()
