"""Reliability tests: faults, bad input, security and load against a real control plane.

Long cases read their length from the environment and default to SHORT settings, so the
default run (`.venv/bin/python -m pytest -q`, which `.ci/run` runs) includes them briefly.
Full length, as reported in the issue's note:

    BENTOTUI_SOAK_SECONDS=60 BENTOTUI_OUTAGE_SECONDS=30 BENTOTUI_FUZZ_EXAMPLES=100 \\
    BENTOTUI_KILL_ROUNDS=5 BENTOTUI_RACE_ROUNDS=100 BENTOTUI_PROPERTY_EXAMPLES=2000 \\
        .venv/bin/python -m pytest -m slow tests/reliability -s

Each slow test prints one `FIGURES {...}` line (with -s) with what it measured.
"""

from __future__ import annotations

import json
import os

import httpx


NS = "/api/v1/clusters/default/namespaces/yatai/deployments"
CREATE = "/api/v1/clusters/default/deployments"


def env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def soak_seconds(default: float = 5.0) -> float:
    """How long a soak (replica chaos, load) runs: BENTOTUI_SOAK_SECONDS, full length 60."""
    return env_number("BENTOTUI_SOAK_SECONDS", default)


def outage_seconds(default: float = 3.0) -> float:
    """How long the control plane stays down under the TUI: BENTOTUI_OUTAGE_SECONDS, full 30."""
    return env_number("BENTOTUI_OUTAGE_SECONDS", default)


def report(name: str, **figures: object) -> None:
    """One line of measured figures, visible with `pytest -s` (and in the log on failure)."""
    print(f"FIGURES {name} {json.dumps(figures, sort_keys=True, default=str)}", flush=True)


def latest_version(http: httpx.Client, repo: str = "iris_classifier") -> str:
    return http.get(f"/api/v1/bento_repositories/{repo}").json()["latest_bento"]["version"]


def body(version: str, name: str, *, repo: str = "iris_classifier", mode: str = "deployment",
         deploy: bool = True, max_replicas: int = 1, description: str | None = None) -> dict:
    doc: dict = {
        "name": name, "mode": mode,
        "targets": [{"bento_repository": repo, "bento": version,
                     "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": max_replicas}}}],
    }
    if description is not None:
        doc["description"] = description
    if not deploy:
        doc["do_not_deploy"] = True
    return doc
