"""What a restart of the control plane must keep that the database does not hold.

The port it listened on (so `http://127.0.0.1:<port>` in a bentoml context keeps working) and
which On-Demand Functions were scaled to zero (so they come back at zero, not at one).  One
small JSON file, `$BENTOTUI_HOME/resume.json`, written atomically; unreadable means empty.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tui.localcloud.paths import StatePaths


def read(paths: StatePaths) -> dict[str, Any]:
    try:
        data = json.loads(paths.resume.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update(paths: StatePaths, **values: Any) -> None:
    """Merge `values` into the file (read, change, atomic replace)."""
    data = read(paths)
    data.update(values)
    tmp = paths.resume.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.chmod(tmp, 0o600)
    os.replace(tmp, paths.resume)


def last_port(paths: StatePaths) -> int | None:
    port = read(paths).get("port")
    return port if isinstance(port, int) and 0 < port < 65536 else None


def scaled_to_zero(paths: StatePaths) -> set[str]:
    uids = read(paths).get("scaled_to_zero")
    return {u for u in uids if isinstance(u, str)} if isinstance(uids, list) else set()
