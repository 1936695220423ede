"""`bentotui watch` (issue 15): the installed command in a subprocess, against a real local
control plane; its lines read back from a pipe as they come."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.harness import LocalCloud
from tests.support.app import create
from tests.support.pty import BENTOTUI
from tests.support.reliability import NS


class Lines:
    """A `bentotui watch` process whose stdout is read line by line in a thread."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([str(BENTOTUI), "watch", *argv], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode())

    def wait_json(self, predicate, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            record = json.loads(line)
            if predicate(record):
                return record
        raise AssertionError(f"no line for {what} within {timeout} s; lines: {self.seen}")

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(signum)
        try:
            _, err = self.proc.communicate(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return self.proc.returncode, err.decode()


def watch_env(cloud: LocalCloud) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENTO_CLOUD_")}
    env.update({"BENTO_CLOUD_API_ENDPOINT": cloud.endpoint, "BENTO_CLOUD_API_KEY": cloud.token})
    return env


@pytest.mark.timeout(120)
def test_watch_json_follows_create_and_terminate_and_exits_0_on_ctrl_c(
        cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "already-there")
    watch = Lines(["--json"], watch_env(cloud))
    try:
        first = watch.wait_json(lambda r: r["name"] == "already-there", 15, "the current state")
        assert first["event"] == "current"
        assert {"name", "status", "time", "reason", "replicas_ready", "replicas_desired"} <= first.keys()
        create(http, "watched-new")
        new = watch.wait_json(lambda r: r["name"] == "watched-new", 5, "the new deployment")
        if not (new["status"] == "running" and new["replicas_ready"] == 1):  # else: already up when seen
            watch.wait_json(lambda r: r["name"] == "watched-new" and r["status"] == "running"
                            and r["replicas_ready"] == 1, 60, "it running with its replica")
        assert http.post(f"{NS}/watched-new/terminate").status_code == 200
        watch.wait_json(lambda r: r["name"] == "watched-new" and r["status"] == "terminated",
                        30, "it terminated")
    finally:
        code, err = watch.stop(signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.timeout(60)
def test_watch_names_filter_says_unknown_and_sigterm_exits_0(
        cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "filter-me", deploy=False)
    create(http, "not-me", deploy=False)
    watch = Lines(["filter-me", "no-such-one", "--json"], watch_env(cloud))
    try:
        watch.wait_json(lambda r: r["name"] == "filter-me", 15, "the named deployment")
    finally:
        code, err = watch.stop(signal.SIGTERM)
    assert code == 0, err
    assert "no deployment named no-such-one" in err
    assert all(json.loads(line)["name"] == "filter-me" for line in watch.seen)


def test_watch_human_lines_escape_server_text(cloud: LocalCloud, http: httpx.Client) -> None:
    from datetime import datetime, timezone

    from tui.monitor import Change, Snapshot
    from tui.watch_cli import format_line

    change = Change(Snapshot(name="evil\x1b]52;c;AAAA\x07", status="running", replicas_ready=1,
                             replicas_desired=2), "status", "reason\x1b[2J", datetime.now(timezone.utc))
    line = format_line(change, as_json=False)
    assert "\x1b" not in line and "\x07" not in line
    assert "evil\\x1b]52;c;AAAA\\x07" in line and "1/2" in line
    as_json = format_line(change, as_json=True)
    assert "\x1b" not in as_json and json.loads(as_json)["name"] == change.snapshot.name


@pytest.mark.parametrize("why", ["refused", "unreachable"])
def test_watch_refused_token_or_unreachable_endpoint_exits_2(
        cloud: LocalCloud, why: str, tmp_path: Path) -> None:
    env = watch_env(cloud)
    if why == "refused":
        env["BENTO_CLOUD_API_KEY"] = "not-the-token"
    else:
        env["BENTO_CLOUD_API_ENDPOINT"] = "http://127.0.0.1:9"  # discard port: nothing listens
    result = subprocess.run([str(BENTOTUI), "watch", "--json"], env=env, capture_output=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert result.stdout == b""
    assert err.startswith("bentotui: ") and "Traceback" not in err
    assert "not-the-token" not in err


@pytest.mark.timeout(120)
def test_watch_says_when_the_server_goes_and_comes_back_and_goes_on(tmp_path: Path) -> None:
    server = LocalCloud(tmp_path / "cloud").start()
    watch = None
    try:
        with server.client() as http:
            create(http, "before-restart", deploy=False)
            watch = Lines(["--json"], watch_env(server))
            watch.wait_json(lambda r: r["name"] == "before-restart", 15, "the current state")
            server.restart()  # the same port, the same token
            create(http, "after-restart", deploy=False)
            watch.wait_json(lambda r: r["name"] == "after-restart", 20, "a change after it")
    finally:
        code, err = watch.stop(signal.SIGINT) if watch else (0, "")
        server.stop()
    assert code == 0, err
    assert "connection lost" in err and "connected again" in err
    assert err.index("connection lost") < err.index("connected again")
