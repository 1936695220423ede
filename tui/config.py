"""User settings from `$XDG_CONFIG_HOME/bentotui/config.toml`.

A bad file never stops the app: each problem becomes one line naming the key, shown as a
notification, and the defaults stand in for the parts that were wrong.

```toml
theme = "ansi-dark"          # any Textual theme name
read_only = false
mouse = false
refresh_interval = 10        # seconds between list refreshes where the server cannot push
                             # creations and deletions (BentoCloud)

[keymap]                     # binding id = "key[,key...]"
"list.filter" = "slash,f"

[api_version]                # per context: "v1", "v2" or "auto" (detected once; the default)
local = "auto"
"my-yatai" = "v1"
```
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_REFRESH_INTERVAL = 10.0
MIN_REFRESH_INTERVAL = 2.0


def config_path(environ: os._Environ[str] | dict[str, str] = os.environ) -> Path:
    explicit = environ.get("BENTOTUI_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "bentotui" / "config.toml"


@dataclass
class Settings:
    theme: str | None = None
    read_only: bool = False
    mouse: bool = False
    refresh_interval: float = DEFAULT_REFRESH_INTERVAL
    keymap: dict[str, str] = field(default_factory=dict)
    api_versions: dict[str, str] = field(default_factory=dict)  # context name -> "v1" | "v2"
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


_TYPES: dict[str, tuple[type, ...]] = {
    "theme": (str,),
    "read_only": (bool,),
    "mouse": (bool,),
    "refresh_interval": (int, float),
}


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    settings = Settings(path=path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return settings
    except OSError as exc:
        settings.problems.append(f"{path}: cannot read ({exc.strerror})")
        return settings
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        settings.problems.append(f"{path}: not valid TOML: {exc}")
        return settings
    for key, value in data.items():
        if key == "keymap":
            _load_keymap(settings, value, path)
        elif key == "api_version":
            _load_api_versions(settings, value, path)
        elif key in _TYPES:
            if isinstance(value, bool) and bool not in _TYPES[key]:
                ok = False
            else:
                ok = isinstance(value, _TYPES[key])
            if not ok:
                expected = " or ".join(t.__name__ for t in _TYPES[key])
                settings.problems.append(f"{path}: {key}: expected {expected}, got {value!r}")
                continue
            setattr(settings, key, value)
        else:
            known = ", ".join(sorted([*_TYPES, "keymap", "api_version"]))
            settings.problems.append(f"{path}: unknown key {key!r} (known: {known})")
    if settings.refresh_interval < MIN_REFRESH_INTERVAL:
        settings.problems.append(
            f"{path}: refresh_interval: {settings.refresh_interval} is below the minimum of "
            f"{MIN_REFRESH_INTERVAL:g} s; using {MIN_REFRESH_INTERVAL:g}"
        )
        settings.refresh_interval = MIN_REFRESH_INTERVAL
    return settings


def _load_keymap(settings: Settings, value: Any, path: Path) -> None:
    if not isinstance(value, dict):
        settings.problems.append(f"{path}: keymap: expected a table of binding id = \"keys\"")
        return
    for binding_id, keys in value.items():
        if not isinstance(keys, str) or not keys.strip():
            settings.problems.append(f"{path}: keymap.{binding_id}: expected a key string like \"f\"")
            continue
        settings.keymap[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())


API_VERSIONS = ("v1", "v2", "auto")


def _load_api_versions(settings: Settings, value: Any, path: Path) -> None:
    if not isinstance(value, dict):
        settings.problems.append(f"{path}: api_version: expected a table of context = version")
        return
    for context, version in value.items():
        if version not in API_VERSIONS:
            settings.problems.append(f"{path}: api_version.{context}: expected one of "
                                     f"{', '.join(API_VERSIONS)}, got {version!r}")
        elif version != "auto":
            settings.api_versions[str(context)] = version


def api_version_for(settings: Settings, context_name: str) -> str | None:
    """The configured API flavour of a context, or None to detect it."""
    return settings.api_versions.get(context_name)
