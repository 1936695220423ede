"""Which deployments the user watches (`W`), kept across restarts, per endpoint and cluster.

Why a file of its own and not config.toml: the app writes it, and config.toml is the user's.
It lives in the bentotui data dir (`$BENTOTUI_HOME`, else the XDG data dir) as `watched.json`:
``{"<endpoint> <cluster>": ["name", ...]}``.  A file that cannot be read counts as empty (a
watch list is a convenience, not a safety setting) and is rewritten on the next change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tui.localcloud.paths import bentotui_home

MAX_WATCHED = 1000  # names kept per endpoint and cluster


def watched_path() -> Path:
    return bentotui_home() / "watched.json"


def _key(endpoint: str, cluster: str) -> str:
    return f"{endpoint.rstrip('/')} {cluster}"


def _read(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): [n for n in v if isinstance(n, str)] for k, v in data.items()
            if isinstance(v, list)}


def load_watched(endpoint: str, cluster: str, path: Path | None = None) -> set[str]:
    return set(_read(path or watched_path()).get(_key(endpoint, cluster), []))


def save_watched(endpoint: str, cluster: str, names: set[str], path: Path | None = None) -> None:
    """Write atomically (a crash mid-write must not lose the other endpoints' lists)."""
    path = path or watched_path()
    data = _read(path)
    key = _key(endpoint, cluster)
    if names:
        data[key] = sorted(names)[:MAX_WATCHED]
    else:
        data.pop(key, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)
