"""The data the runtime exchanges with the server: specs in, events and replica facts out.

Kept apart from `runtime` so the runtime's helper modules (replica, gateway, scaler) can use
them without importing the orchestrator.  `tui.localcloud.runtime.orchestrator` re-exports every name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

API_SERVER = "api-server"


@dataclass(frozen=True)
class ComponentSpec:
    """The API server (``runner_name`` None) or one runner: its replica bounds and env."""

    runner_name: str | None
    min_replicas: int
    max_replicas: int
    envs: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"runner {self.runner_name}" if self.runner_name else API_SERVER


@dataclass(frozen=True)
class DeploymentSpec:
    """What one revision of a deployment should run."""

    uid: str
    name: str
    cluster: str
    namespace: str
    mode: str  # "deployment" (never below 1 replica) | "function" (scales to 0 when idle)
    revision_uid: str
    bento_repository: str
    bento_version: str
    bento_path: Path
    api_server: ComponentSpec
    # runner name -> spec; runners the bento declares but this omits run with min 1 / max 1
    runners: dict[str, ComponentSpec] = field(default_factory=dict)
    request_queue_enabled: bool = True
    max_consume_concurrency: int | None = None
    request_timeout_s: float = 60.0
    cold_start_timeout_s: float | None = None
    require_bearer_token: bool = False
    # A pushed bento runs with real BentoML: the argv up to (not including) `--port N`, and the
    # variables it needs (BENTOML_HOME with its models).  Empty for the built-in samples.
    serve_argv: tuple[str, ...] = ()
    serve_envs: dict[str, str] = field(default_factory=dict)

    @property
    def bento_tag(self) -> str:
        return f"{self.bento_repository}:{self.bento_version}"


@dataclass
class RuntimeSettings:
    idle_scale_to_zero_s: float = 60.0  # function mode: no request for this long -> 0 replicas
    scale_interval_s: float = 0.5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 10.0
    metrics_interval_s: float = 1.0
    metrics_retention_s: float = 3600.0
    target_inflight_per_replica: int = 4
    scale_down_stabilization_s: float = 5.0
    # additions (defaults keep the interface above):
    probe_interval_s: float = 2.0  # readiness re-probe of a ready replica
    probe_failure_threshold: int = 3  # consecutive failures before a replica is unready
    startup_timeout_s: float = 60.0  # not ready by then -> killed, counts as a crash
    termination_grace_s: float = 5.0  # drain in-flight, then SIGTERM, then this long to SIGKILL


@dataclass
class RuntimeEvent:
    """Becomes a Kubernetes Event."""

    deployment_uid: str
    reason: str
    message: str
    type: str  # "Normal" | "Warning"
    object_kind: str  # "Pod" | "BentoDeployment"
    object_name: str  # replica name or deployment name


@dataclass
class ReplicaInfo:
    """A snapshot of one replica (a Kubernetes pod with one container, "main")."""

    name: str
    runner_name: str | None
    revision_uid: str
    phase: str  # "Pending" | "Running" | "Succeeded" | "Failed"
    ready: bool
    terminating: bool
    start_time: datetime | None
    created_at: datetime
    restart_count: int
    last_exit_code: int | None
    pid: int | None
    port: int | None
    cpu_percent: float | None
    memory_bytes: int | None
    log_path: Path
    # additions: the container state's reason as Kubernetes words it ("ContainerCreating",
    # "CrashLoopBackOff", "Error", "Completed") or None while running.
    reason: str | None = None
    last_error: str | None = None  # why the latest start failed or the process exited

    @property
    def component(self) -> str:
        return self.runner_name or API_SERVER


class Pulse:
    """Wakes every waiter when something changed (a replica became ready, a deployment stopped).

    Waiters re-check their condition after each pulse, so no state is carried in the pulse.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """True when pulsed, False when `timeout` seconds passed first."""
        try:
            await bounded(self._event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


async def bounded(aw: Awaitable[T], timeout: float) -> T:
    """`asyncio.wait_for` without its Python <= 3.11 race, where a cancellation arriving as
    the inner call finishes is swallowed (a cancelled watcher would then run on)."""
    task = asyncio.ensure_future(aw)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(timeout, 0))
    except BaseException:
        task.cancel()
        raise
    if not done:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:  # noqa: BLE001 - timed out: the inner error does not matter
            pass
        raise asyncio.TimeoutError
    return task.result()
