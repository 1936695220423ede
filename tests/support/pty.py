"""The one pseudo-terminal driver of the e2e tests and the benchmarks: a process on a pty and a
pyte screen fed with everything it writes, read back as an xterm of the chosen size would show it.

`wait_for` returns the time at which the bytes that made its predicate true were read from the
pty (not when pyte finished parsing them), so a benchmark does not count its own parsing as the
app's latency; the e2e tests simply ignore the value.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pyte

# The console script of the installed project (beside the interpreter running the tests).
BENTOTUI = Path(sys.executable).parent / "bentotui"


def terminal_env(bentotui_home: Path, bentoml_home: Path, columns: int = 80,
                 lines: int = 24) -> dict[str, str]:
    """The environment of a program in the pty: this one's, less what would change its looks or
    reach a real cloud, with its own homes and the terminal's size."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BENTO_CLOUD_", "TEXTUAL", "PYTEST")) and k not in ("COLORTERM", "NO_COLOR")}
    env.update({
        "TERM": "xterm-256color",
        "BENTOTUI_HOME": str(bentotui_home),
        "BENTOML_HOME": str(bentoml_home),
        "BENTOML_DO_NOT_TRACK": "True",
        "COLUMNS": str(columns),
        "LINES": str(lines),
    })
    return env


class Pty:
    """A process on a pty (its controlling terminal), and a pyte screen of what it wrote."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, columns: int = 80,
                 lines: int = 24) -> None:
        self.columns, self.lines = columns, lines
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

        def controlling_tty() -> None:  # runs in the child after setsid: the pty becomes its tty
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
            start_new_session=True, preexec_fn=controlling_tty, close_fds=True,
        )
        os.close(slave)
        self.raw = bytearray()  # everything the program wrote, escape sequences included
        self.last_read_at = 0.0
        self._last_key_at = 0.0

    # ------------------------------------------------------------------ reading

    @property
    def bytes_read(self) -> int:
        return len(self.raw)

    def pump(self, timeout: float = 0.05, check: Callable[[], bool] | None = None) -> float | None:
        """Read what is there (waiting up to `timeout` for the first bytes), feeding pyte chunk
        by chunk; with `check`, return the read time of the first chunk after which it holds."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        while ready:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the program closed the pty (it exited)
                return None
            if not data:
                return None
            at = time.perf_counter()
            self.raw += data
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
            at = self.pump(0.05, check=lambda: bool(predicate(self.text())))
            if at is not None:
                return at
            if self.proc.poll() is not None:
                self.pump(0)
                if predicate(self.text()):
                    return self.last_read_at
                break
        state = "running" if self.proc.poll() is None else f"exited with {self.proc.returncode}"
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} "
                             f"(the program {state}); the screen:\n{self.dump()}")

    def wait_for_text(self, text: str, timeout: float = 30.0) -> float:
        return self.wait_for(lambda screen: text in screen, repr(text), timeout)

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

    # ------------------------------------------------------------------ writing

    def press(self, *keys: str, gap: float = 0.02) -> float:
        """Write keys as typed, at least `gap` seconds apart (reading meanwhile: a program that
        is sent a burst may take it as a paste); returns when the first one was written."""
        first = None
        for key in keys:
            while (wait := self._last_key_at + gap - time.perf_counter()) > 0:
                self.pump(wait)
            at = time.perf_counter()
            os.write(self.master, key.encode())
            self._last_key_at = at
            first = at if first is None else first
        return first if first is not None else time.perf_counter()

    def wait_exit(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            code = self.proc.poll()
            if code is not None:
                return code
        raise AssertionError(f"the program did not exit within {timeout:.0f} s; the screen:\n{self.dump()}")

    def quit(self, timeout: float = 10.0) -> None:
        """`q`, then wait for the exit; whatever still runs after `timeout` is killed."""
        if self.proc.poll() is None:
            self.press("q")
            deadline = time.perf_counter() + timeout
            while time.perf_counter() < deadline and self.proc.poll() is None:
                self.pump(0.05)
        self.close()

    def __enter__(self) -> Pty:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """The program is killed; a failing test shows the screen it failed on first."""
        if kind is not None:
            print(f"the screen when the test failed:\n{self.dump()}")
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
