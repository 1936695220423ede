"""Runs a pushed bento's `bentoml serve` so that it never outlives its replica or control plane.

    python supervise.py -- BENTOML SERVE ARGS...

`bentoml serve` is a process tree of its own (an arbiter and worker processes in their own
sessions), so signalling the replica's process is not enough: this script (stdlib only, run by
path like `bento_server.py`) starts the server with a parent-death signal, forwards SIGTERM to
it, and stops it when the control plane (``BENTOTUI_PARENT_PID``) is gone.  If this script is
killed outright, the kernel sends the server SIGTERM, and bentoml's arbiter stops its workers.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
GRACE_S = 10.0


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when this supervisor dies (Linux; else a no-op)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _stop(child: subprocess.Popen[bytes]) -> int:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
    return child.wait()


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print("usage: supervise.py -- COMMAND...", file=sys.stderr)
        return 2
    parent = int(os.environ.get("BENTOTUI_PARENT_PID") or 0)
    child = subprocess.Popen(argv, preexec_fn=_die_with_parent)  # noqa: PLW1509 (no threads yet)
    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while True:
        try:
            code = child.wait(0.5)
            return code if code >= 0 else 128 - code
        except subprocess.TimeoutExpired:
            pass
        if parent and os.getppid() != parent:
            print(f"control plane (pid {parent}) is gone; stopping bentoml", flush=True)
            stopping = True
        if stopping:
            started = time.monotonic()
            code = _stop(child)
            print(f"bentoml stopped (exit {code}) in {time.monotonic() - started:.1f}s", flush=True)
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
