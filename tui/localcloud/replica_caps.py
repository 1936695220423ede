"""Replica caps and env rules: what a create or update may ask the local control plane to run.

A deployment is real processes on this machine, so its replica counts and environment are
checked when it is created or updated: an absurd `min_replicas` would fork that many Python
processes (40 took 875 MB), and an env the OS refuses (a name with `=` or NUL, a 900 KB value)
or one that hijacks the interpreter (`PYTHONPATH`, `LD_PRELOAD`, ...) would leave a deployment
that can never start, or run code chosen by whoever can edit it.  Each problem is refused with
the field path (`targets[0].config.envs[2].key`) so the caller knows what to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Defaults, overridable by the environment of `bentotui local start` (see docs/localcloud.md).
DEFAULT_MAX_REPLICAS = 10  # per component (the API server, each runner)
DEFAULT_MAX_REPLICAS_TOTAL = 40  # across every deployment of this control plane

MAX_ENV_COUNT = 100  # per component
MAX_ENV_NAME = 256
MAX_ENV_VALUE_BYTES = 64 * 1024
MAX_ENV_TOTAL_BYTES = 256 * 1024  # names and values of one component together

# Kubernetes' rule for env names (a C identifier plus `-` and `.`), which excludes `=` and NUL.
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")

# Names a deployment may not set: they change which code the interpreter or the dynamic linker
# loads (PYTHONPATH, PYTHONSTARTUP, LD_PRELOAD, ...), or they are the control plane's own
# (BENTOTUI_*: how a replica finds its runners and its parent; BENTOML_HOME: where bentoml keeps
# its store and login tokens).
RESERVED_ENV_PREFIXES = ("PYTHON", "LD_", "DYLD_", "BENTOTUI_")
RESERVED_ENV_NAMES = frozenset({"BENTOML_HOME", "GCONV_PATH", "HOSTALIASES", "LOCPATH", "NLSPATH"})


def reserved_env(name: str) -> bool:
    """True for a variable a deployment may not set (see RESERVED_ENV_*)."""
    upper = name.upper()
    return upper in RESERVED_ENV_NAMES or upper.startswith(RESERVED_ENV_PREFIXES)


@dataclass(frozen=True)
class ReplicaCaps:
    """The replica caps of one control plane."""

    max_replicas: int = DEFAULT_MAX_REPLICAS
    max_replicas_total: int = DEFAULT_MAX_REPLICAS_TOTAL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ReplicaCaps:
        """`BENTOTUI_MAX_REPLICAS` / `BENTOTUI_MAX_REPLICAS_TOTAL`; a bad value is an error,
        not a silent default (a safety setting fails closed)."""
        values: dict[str, int] = {}
        for field, var in (("max_replicas", "BENTOTUI_MAX_REPLICAS"),
                           ("max_replicas_total", "BENTOTUI_MAX_REPLICAS_TOTAL")):
            raw = environ.get(var)
            if raw is None or raw == "":
                continue
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{var}={raw!r} is not a whole number") from None
            if value < 1:
                raise ValueError(f"{var}={raw!r} must be at least 1")
            values[field] = value
        return cls(**values)


def _components(body: Any) -> Iterator[tuple[str, Any]]:
    """(field path, config) of every target's API-server config and runner config."""
    for index, target in enumerate(body.targets):
        config = target.config
        if config is None:
            continue
        path = f"targets[{index}].config"
        yield path, config
        for runner, runner_config in (config.runners or {}).items():
            if runner_config is not None:
                yield f"{path}.runners.{runner}", runner_config


def check_request(body: Any, caps: ReplicaCaps) -> list[str]:
    """Every problem of a create/update body, each starting with its field path."""
    problems: list[str] = []
    for path, config in _components(body):
        hpa = config.hpa_conf
        if hpa is not None:
            for field in ("min_replicas", "max_replicas"):
                value = getattr(hpa, field)
                if value is not None and value > caps.max_replicas:
                    problems.append(
                        f"{path}.hpa_conf.{field}: {value} is above this control plane's cap of "
                        f"{caps.max_replicas} replicas per component (BENTOTUI_MAX_REPLICAS)"
                    )
        problems.extend(check_envs(f"{path}.envs", config.envs or []))
    return problems


def check_envs(path: str, envs: list[Any]) -> list[str]:
    """Names valid and not reserved, values and counts bounded."""
    problems: list[str] = []
    if len(envs) > MAX_ENV_COUNT:
        problems.append(f"{path}: {len(envs)} variables; at most {MAX_ENV_COUNT} are allowed")
    total = 0
    for index, item in enumerate(envs):
        key, value = item.key, item.value
        where = f"{path}[{index}]"
        total += len(key.encode("utf-8", "replace")) + len(value.encode("utf-8", "replace"))
        if len(key) > MAX_ENV_NAME:
            problems.append(f"{where}.key: longer than {MAX_ENV_NAME} characters")
        elif not ENV_NAME.fullmatch(key):
            problems.append(
                f"{where}.key: {key!r} is not a valid variable name (letters, digits, '_', '-', "
                "'.'; not starting with a digit; no '=' or control characters)"
            )
        elif reserved_env(key):
            problems.append(
                f"{where}.key: {key} is reserved: it would change how the replica's interpreter "
                "or the control plane works (PYTHON*, LD_*, DYLD_*, BENTOTUI_*, BENTOML_HOME)"
            )
        if "\x00" in value:
            problems.append(f"{where}.value: contains a NUL character")
        elif len(value.encode("utf-8", "replace")) > MAX_ENV_VALUE_BYTES:
            problems.append(f"{where}.value: longer than {MAX_ENV_VALUE_BYTES} bytes")
    if total > MAX_ENV_TOTAL_BYTES:
        problems.append(f"{path}: {total} bytes in all; at most {MAX_ENV_TOTAL_BYTES} are allowed")
    return problems

