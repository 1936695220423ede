"""Helpers of the reliability tests: request bodies, measured figures, the gateway rig."""


from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.harness import ROOT
from tests.support.app import bento_version as latest_version  # noqa: F401 (the one helper)

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


# --------------------------------------------------------------------------- a hostile replica

# Bounds the gateway rig runs with (small, so a test need not send gigabytes): 8 MiB responses,
# 4 MiB requests, 16 MiB buffered by all requests together, 1 s body read timeout.
RIG_LIMITS = {
    "BENTOTUI_LIMIT_GATEWAY_RESPONSE_BYTES": str(8 * 1024 * 1024),
    "BENTOTUI_LIMIT_GATEWAY_REQUEST_BYTES": str(4 * 1024 * 1024),
    "BENTOTUI_LIMIT_GATEWAY_BUFFERED_BYTES": str(16 * 1024 * 1024),
    "BENTOTUI_LIMIT_BODY_READ_TIMEOUT_S": "1",
}


@dataclass
class Rig:
    """The real gateway (`gateway_rig`) in front of a misbehaving replica (`hostile_replica`)."""

    url: str
    token: str
    pid: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE,
                            stderr=log.open("ab"), env=env, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip():
        proc.kill()
        raise RuntimeError(f"{args[0]} did not start: {log.read_text()[-2000:]}")
    return proc, int(line)


def start_rig(tmp: Path, limits: dict[str, str] | None = None) -> tuple[Rig, list[subprocess.Popen[bytes]]]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(RIG_LIMITS if limits is None else limits))
    log = tmp / "rig.log"
    replica, replica_port = _spawn(["tests.reliability.hostile_replica"], log, env)
    token = "btui_rig-token-" + os.urandom(8).hex()
    gateway, port = _spawn(["tests.reliability.gateway_rig", str(replica_port), token], log, env)
    return Rig(f"http://127.0.0.1:{port}/default/svc", token, gateway.pid, log), [gateway, replica]
