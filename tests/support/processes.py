"""Whether processes a test caused are still there (zombies count as gone)."""

from __future__ import annotations

import time

import psutil


def alive(pids: list[int]) -> list[int]:
    """The pids of `pids` that still run."""
    running = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.append(pid)
        except psutil.NoSuchProcess:
            pass
    return running


def wait_gone(pids: list[int], timeout: float = 20.0) -> list[int]:
    """Poll until none of `pids` runs or `timeout` passes; returns those still running."""
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)
