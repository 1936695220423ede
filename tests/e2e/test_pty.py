"""End to end: the installed `bentotui` in a real pseudo-terminal, read back with pyte.

Nothing is set up beforehand: no context file exists, so `bentotui` starts the local control
plane in the background by itself, as on a fresh machine.  The test drives it with keys as a
person would and reads what an 80x24 xterm would show.  Afterwards it stops the control
plane with `bentotui local stop` and checks that no process it caused is left.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pyte
import pytest

from tests.harness import FAST_RUNTIME

BENTOTUI = Path(sys.executable).parent / "bentotui"
COLUMNS, LINES = 80, 24
NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


class Terminal:
    """A process on a pty, and a pyte screen fed with everything it writes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))

        def controlling_tty() -> None:  # runs in the child after setsid: the pty becomes its tty
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, preexec_fn=controlling_tty, close_fds=True,
        )
        os.close(slave)
        self.raw = bytearray()

    # ------------------------------------------------------------------ reading

    def pump(self, timeout: float = 0.05) -> None:
        """Feed whatever the program wrote within `timeout` to the screen."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        while ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the program closed the pty (it exited)
                return
            if not data:
                return
            self.raw += data
            self.stream.feed(data)
            ready, _, _ = select.select([self.master], [], [], 0)

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def dump(self) -> str:
        border = "+" + "-" * COLUMNS + "+"
        return "\n".join([border, *(f"|{line}|" for line in self.screen.display), border])

    def wait_for(self, predicate: Callable[[str], object], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if predicate(self.text()):
                return
            if self.proc.poll() is not None:
                self.pump()
                break
        state = "running" if self.proc.poll() is None else f"exited with {self.proc.returncode}"
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} "
                             f"(bentotui {state}); the screen:\n{self.dump()}")

    def wait_for_text(self, text: str, timeout: float = 20.0) -> None:
        self.wait_for(lambda screen: text in screen, repr(text), timeout)

    def line_with(self, text: str) -> str | None:
        return next((line for line in self.screen.display if text in line), None)

    # ------------------------------------------------------------------ writing

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, key.encode())
            self.pump(0.02)

    def wait_exit(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            code = self.proc.poll()
            if code is not None:
                return code
        raise AssertionError(f"bentotui did not exit within {timeout:.0f} s; the screen:\n{self.dump()}")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        os.close(self.master)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BENTO_CLOUD_", "TEXTUAL", "PYTEST")) and k not in ("COLORTERM", "NO_COLOR")}
    env.update(FAST_RUNTIME)
    env.update({
        "TERM": "xterm-256color",
        "BENTOTUI_HOME": str(tmp_path / "bentotui-home"),
        "BENTOML_HOME": str(tmp_path / "bentoml-home"),
        "BENTOML_DO_NOT_TRACK": "True",
        "COLUMNS": str(COLUMNS),
        "LINES": str(LINES),
    })
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
    if _alive(pids):
        subprocess.run([str(BENTOTUI), "local", "stop"], env=env, capture_output=True, timeout=30)
    for pid in _wait_gone(pids, 5):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


@pytest.mark.timeout(90)
def test_installed_bentotui_in_a_pty(tmp_path: Path, env: dict[str, str],
                                     control_plane_cleanup: list[int]) -> None:
    assert BENTOTUI.exists(), f"the console script is not installed at {BENTOTUI}"
    home = Path(env["BENTOTUI_HOME"])
    assert not (Path(env["BENTOML_HOME"]) / ".yatai.yaml").exists()
    term = Terminal([str(BENTOTUI)], env, cwd=tmp_path)
    try:
        # 1. it starts the local control plane itself and shows the (empty) list
        term.wait_for(lambda s: "NAME" in s and "STATUS" in s and "0 deployments" in s,
                      "the empty list", timeout=40)
        server = json.loads((home / "server.json").read_text())
        daemon = server["pid"]
        control_plane_cleanup.append(daemon)
        assert daemon != term.proc.pid
        top = term.screen.display[0]
        assert "bentotui" in top and "local" in top and "connected" in top, top
        token = (home / "token").read_text().strip()
        assert token not in bytes(term.raw).decode("utf-8", "replace")

        # 2. deployments created elsewhere (the HTTP API) appear and go live without a key
        with httpx.Client(base_url=server["endpoint"], headers={"X-YATAI-API-TOKEN": token},
                          timeout=30) as http:
            version = http.get("/api/v1/bento_repositories/iris_classifier").json()["latest_bento"]["version"]

            def create(name: str, deploy: bool) -> None:
                body = {"name": name, "mode": "deployment",
                        "targets": [{"bento_repository": "iris_classifier", "bento": version,
                                     "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}}}]}
                if not deploy:
                    body["do_not_deploy"] = True
                response = http.post("/api/v1/clusters/default/deployments", json=body)
                assert response.status_code == 200, response.text

            create("e2e-idle", deploy=False)
            create("e2e-iris", deploy=True)
        term.wait_for_text("e2e-iris")
        term.wait_for(lambda s: "running" in (term.line_with("e2e-iris") or ""),
                      "e2e-iris to be running", timeout=30)
        assert "non-deployed" in (term.line_with("e2e-idle") or "")
        assert "2 deployments" in term.text()
        control_plane_cleanup.extend(p.pid for p in psutil.Process(daemon).children(recursive=True))

        # 3. `/` filters as you type; esc clears it
        term.press("/")
        term.wait_for_text("filter:")  # the filter box's placeholder
        term.press(*"e2e-ir")  # (not "iris": both run the iris_classifier bento)
        term.wait_for(lambda s: "1 of 2 deployments match" in s and term.line_with("e2e-idle") is None,
                      "the filter to leave only e2e-iris")
        assert term.line_with("e2e-iris") is not None
        term.press("\x1b")
        term.wait_for(lambda s: "match" not in s and term.line_with("e2e-idle") is not None,
                      "esc to clear the filter")

        # 4. `?` shows the keys of the list; esc closes it
        term.press("?")
        term.wait_for_text("Keys: Deployments")
        assert "Action" in term.text() and "Binding id" in term.text()
        term.press("\x1b")
        term.wait_for(lambda s: "Keys: Deployments" not in s and "2 deployments" in s,
                      "the help to close")

        # 5. by keys alone: create in the editor, watch it come up, terminate, delete
        term.press("n")
        term.wait_for_text("New deployment")
        term.press(*"e2e-keys")
        term.press("\x06")  # ctrl+f: find a bento
        term.wait_for_text("Pick a bento")
        term.press(*"iris")
        term.wait_for(lambda s: "iris_classifier" in s and "sentiment" not in s, "the search")
        term.press("\r")
        term.wait_for_text("Pick a version of iris_classifier")
        term.press("\r")
        term.wait_for(lambda s: "valid" in s and "Pick a" not in s, "a valid document")
        term.press("\x13")  # ctrl+s: create
        term.wait_for(lambda s: "e2e-keys" in s.splitlines()[1] and "Overview" in s,
                      "the detail screen of e2e-keys")
        term.wait_for(lambda s: "running" in s.splitlines()[1], "e2e-keys to be running", timeout=30)
        term.press("t")
        term.wait_for_text("Type the name e2e-keys to confirm")
        term.press(*"e2e-keys", "\r")
        term.wait_for(lambda s: "terminated" in s.splitlines()[1], "e2e-keys to be terminated",
                      timeout=30)
        term.press("D")
        term.wait_for_text("Type the name e2e-keys to confirm")
        term.press(*"e2e-keys", "\r")
        # no row starts with the name (the "Deleted e2e-keys …" toast may still quote it)
        term.wait_for(lambda s: "2 deployments" in s and not any(
            line.lstrip("| ").startswith("e2e-keys") for line in s.splitlines()), "the list without e2e-keys")

        # 6. `q` quits with status 0 and gives the terminal back
        term.press("q")
        assert term.wait_exit() == 0
        assert b"\x1b[?1049l" in term.raw, "the alternate screen was not left"
    except BaseException:
        print(f"the screen when the test failed:\n{term.dump()}")
        raise
    finally:
        term.close()

    # 7. the control plane outlives the TUI (it is a daemon); `local stop` ends it and its replicas
    started = list(control_plane_cleanup)
    assert _alive([daemon]), "the control plane should keep running after the TUI quits"
    stop = subprocess.run([str(BENTOTUI), "local", "stop"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert stop.returncode == 0 and "stopped" in stop.stdout, stop
    assert _wait_gone(started) == [], f"processes left after `bentotui local stop`: {_alive(started)}"
    assert not (home / "server.json").exists()
