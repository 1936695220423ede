"""Whether this home's control plane is up, and where: read from its files alone.

The standard library and tui.localcloud.paths only: `bentotui` asks this before anything else is
imported, to send its first requests while Python loads Textual (tui/api/prefetch.py); the
daemon module (asyncio, logging, the store, ~80 ms) is not needed for that.
"""

from __future__ import annotations

import fcntl
import json
import os
from typing import Any

from tui.localcloud.paths import StatePaths

DAEMON_LOCK = "daemon.lock"  # held (flock) by the serving control plane for its lifetime


def read_pidfile(paths: StatePaths) -> dict[str, Any] | None:
    try:
        return json.loads(paths.pidfile.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def daemon_lock_held(paths: StatePaths) -> bool:
    """True while a control plane serves this home: it holds `daemon.lock` for its lifetime."""
    try:
        fd = os.open(paths.home / DAEMON_LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock we may have taken
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_endpoint(paths: StatePaths) -> tuple[str, str] | None:
    """(endpoint, token) of a daemon that looks up (its pid file names a live process), without
    asking it anything: for starting the first requests early (tui/api/prefetch.py)."""
    info = read_pidfile(paths)
    try:
        if not isinstance(info, dict) or not alive(int(info["pid"])) or not daemon_lock_held(paths):
            return None
        token = paths.token.read_text().strip()
    except (OSError, KeyError, ValueError, TypeError):
        return None
    endpoint = info.get("endpoint")
    return (endpoint, token) if token and isinstance(endpoint, str) else None
