"""Whether processes a test caused are still there (zombies count as gone), and a client of
the control plane an app under test started."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
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


def local_api(env: dict[str, str], pids: list[int]) -> httpx.Client:
    """A client of the control plane the app started in `env`'s home (its pid joins `pids`,
    the e2e cleanup list), authenticated with that home's token."""
    home = Path(env["BENTOTUI_HOME"])
    server = json.loads((home / "server.json").read_text())
    pids.append(server["pid"])
    token = (home / "token").read_text().strip()
    return httpx.Client(base_url=server["endpoint"], headers={"X-YATAI-API-TOKEN": token}, timeout=30)

