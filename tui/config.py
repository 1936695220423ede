"""User settings from `$XDG_CONFIG_HOME/bentotui/config.toml`.

A bad file never stops the app: each problem becomes one line naming the key (and its line),
shown as a notification, and the defaults stand in for the parts that were wrong.  Except for
the safety setting, which fails closed: when `read_only` is set to anything but `false`, or the
file that might set it cannot be read or parsed, the app runs read-only and says why.

```toml
theme = "ansi-dark"          # any Textual theme name
read_only = false
mouse = false
refresh_interval = 10        # seconds between list refreshes where the server cannot push
                             # creations and deletions (BentoCloud)

[keymap]                     # binding id = "key[,key...]"
"list.filter" = "slash,f"

[alerts]                     # for watched deployments (W)
error_rate = 0.05            # alert when the error rate (0..1) crosses it, where the server
                             # provides metrics
desktop = false              # also a desktop notification (OSC 9 / OSC 777)

[api_version]                # per context: "v1", "v2" or "auto" (detected once; the default)
local = "auto"
"my-yatai" = "v1"
```
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.api.contexts import Context

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
    alert_error_rate: float | None = None  # [alerts] error_rate: 0..1, None = no such alert
    alert_desktop: bool = False  # [alerts] desktop: OSC 9 / OSC 777 notifications
    problems: list[str] = field(default_factory=list)
    path: Path | None = None
    read_only_reason: str = ""  # why read_only is on, for the messages that refuse an action
    read_only_forced: bool = False  # on because the file was wrong, not because it said so

    def force_read_only(self, reason: str) -> None:
        """Fail closed: the file may have meant read-only and we cannot tell that it did not."""
        self.read_only = True
        self.read_only_reason = reason
        self.read_only_forced = True


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
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        settings.problems.append(f"{path}: cannot read ({reason}); running read-only, since "
                                 "it may set read_only")
        settings.force_read_only(f"{path} cannot be read")
        return settings
    # deferred: start-up time (~2 ms; only a config file needs it)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        _salvage_read_only(settings, raw, path, exc)
        return settings
    for key, value in data.items():
        if key == "keymap":
            _load_keymap(settings, value, path)
        elif key == "api_version":
            _load_api_versions(settings, value, path)
        elif key == "alerts":
            _load_alerts(settings, value, path)
        elif key == "read_only":
            _load_read_only(settings, value, raw, path)
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
            known = ", ".join(sorted([*_TYPES, "keymap", "api_version", "alerts"]))
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
    for binding_id, keys in _flatten(value):
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


def _load_alerts(settings: Settings, value: Any, path: Path) -> None:
    if not isinstance(value, dict):
        settings.problems.append(f"{path}: alerts: expected a table (error_rate, desktop)")
        return
    for key, item in value.items():
        if key == "error_rate":
            if isinstance(item, bool) or not isinstance(item, (int, float)) or not 0 < item <= 1:
                settings.problems.append(f"{path}: alerts.error_rate: expected a number above 0 "
                                         f"and at most 1 (0.05 = 5 %), got {item!r}")
            else:
                settings.alert_error_rate = float(item)
        elif key == "desktop":
            if not isinstance(item, bool):
                settings.problems.append(f"{path}: alerts.desktop: expected true or false, "
                                         f"got {item!r}")
            else:
                settings.alert_desktop = item
        else:
            settings.problems.append(f"{path}: alerts: unknown key {key!r} "
                                     "(known: desktop, error_rate)")


def api_version_for(settings: Settings, context_name: str) -> str | None:
    """The configured API flavour of a context, or None to detect it."""
    return settings.api_versions.get(context_name)


def _flatten(table: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """`list.filter = "f"` without quotes is a nested table in TOML: the dotted id again."""
    pairs: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, dict):
            pairs.extend(_flatten(value, f"{prefix}{key}."))
        else:
            pairs.append((f"{prefix}{key}", value))
    return pairs


READ_ONLY_LINE = re.compile(r"^\s*(?:read_only|\"read_only\"|'read_only')\s*=\s*(.*?)\s*(?:#.*)?$")


def _read_only_lines(raw: str) -> list[tuple[int, str]]:
    """(line number, value text) of each top-level line that looks like it sets read_only."""
    found = []
    for number, line in enumerate(raw.splitlines(), 1):
        if line.lstrip().startswith("["):
            break  # a table begins: read_only is a top-level key
        match = READ_ONLY_LINE.match(line)
        if match:
            found.append((number, match.group(1)))
    return found


def _load_read_only(settings: Settings, value: Any, raw: str, path: Path) -> None:
    lines = _read_only_lines(raw)
    where = f"{path}, line {lines[0][0]}" if lines else str(path)
    if value is True:
        settings.read_only = True
        settings.read_only_reason = f"read_only = true in {where}"
    elif value is not False:
        settings.problems.append(f"{where}: read_only must be true or false (without quotes), "
                                 f"got {value!r}; running read-only until it is fixed")
        settings.force_read_only(f"read_only = {value!r} in {where} is not true or false")


def _salvage_read_only(settings: Settings, raw: str, path: Path, exc: Exception) -> None:
    """The file is not TOML: keep `read_only = true` if a line says so, and run read-only as
    well when any line mentions read_only at all (it may have meant true)."""
    problem = f"{path}: not valid TOML: {exc}"
    lines = _read_only_lines(raw)
    if lines or "read_only" in raw:
        number = lines[0][0] if lines else None
        where = f"{path}, line {number}" if number else str(path)
        problem += f"; running read-only, since the file sets read_only ({where})"
        settings.force_read_only(f"{path} is not valid TOML")
    settings.problems.append(problem)


def with_api_version(context: Context, flag: str | None) -> Context:
    """The context with its API flavour override: the flag, else config.toml, else None."""
    if flag is None:
        flag = api_version_for(load_settings(), context.name)
    return context.model_copy(update={"api_version": None if flag in (None, "auto") else flag})
