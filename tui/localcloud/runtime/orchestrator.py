"""The local control plane's runtime: deployments as real replica processes behind a gateway.

`Runtime` is what the server drives: `apply` a revision (create, update = rolling replace,
restore), `stop` it (terminate), read `replicas`, `metrics` and log paths, and mount
`gateway_app` at ``/gw``.  Everything it reports happened: replicas are OS processes
(`replica.Replica`), readiness is an HTTP probe, exits are seen when the process is reaped,
scaling follows the requests in flight through the gateway (`scaler`), and numbers come from
psutil and the gateway's own measurements (`metrics`).

Components of a deployment: the API server and each runner the bento declares.  Runner
replicas sit behind a per-revision `RunnerService` (a loopback TCP load balancer); API-server
replicas find it through ``BENTOTUI_RUNNERS`` (see `bento_server`).

Replica phase: ``Pending`` from scheduling until the first readiness probe passes, then
``Running``; ``Failed`` from an unexpected exit until a restarted process is ready again (with
``last_exit_code`` and ``reason`` "CrashLoopBackOff" while it waits out the back-off);
``Succeeded``/``Failed`` once stopped on purpose (exit 0 / not), just before it disappears.

Rolling update: a new revision starts all its replicas next to the old ones; the old revision
keeps taking traffic until every new replica is ready, then its API servers are drained and
stopped, then its runners.  A new revision that never gets ready leaves the old one serving.

All state lives on the event loop thread; the synchronous readers (`replicas`, `metrics`,
`is_active`, `log_path`) must be called from it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import random
import re
import shutil
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from tui.api.models import DeploymentMetricsSchema
from tui.localcloud.replica_caps import ReplicaCaps
from tui.localcloud.runtime.gateway import Gateway
from tui.localcloud.runtime.metrics import MetricsStore, process_tree
from tui.localcloud.runtime.records import (
    API_SERVER,
    ComponentSpec,
    DeploymentSpec,
    Pulse,
    ReplicaInfo,
    RuntimeEvent,
    RuntimeSettings,
)
from tui.localcloud.runtime.replica import Replica, inherited_env, replica_env
from tui.localcloud.runtime.runner_service import RunnerService
from tui.localcloud.runtime.scaler import Autoscaler, desired_replicas, replica_floor

__all__ = ["BENTO_SERVER", "DeploymentState", "Runtime"]

log = logging.getLogger(__name__)
T = TypeVar("T")

BENTO_SERVER = Path(__file__).with_name("bento_server.py")
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' pod-name suffix alphabet


def _suffix(n: int = 5) -> str:
    return "".join(random.choice(SUFFIX_ALPHABET) for _ in range(n))


def _hash5(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:5])


def _dns(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "x"


def declared_runners(bento_path: Path) -> list[str] | None:
    """The runner names the bento's ``bento.json`` declares (None if it cannot be read)."""
    try:
        data = json.loads((Path(bento_path) / "bento.json").read_text())
        return [r["name"] for r in data.get("runners") or []]
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Component:
    """The replicas of one component (API server or one runner) of one revision."""

    def __init__(self, spec: ComponentSpec, now: float, settings: RuntimeSettings) -> None:
        self.spec = spec
        self.runner_name = spec.runner_name
        self.replicas: list[Replica] = []
        self.service: RunnerService | None = None
        self.capped_at: int | None = None  # the replica cap last reported (FailedScaleUp)
        self.autoscaler = Autoscaler(settings.scale_down_stabilization_s, now, 0)

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def live(self) -> list[Replica]:
        return [r for r in self.replicas if not r.terminating]

    def current_replicas(self) -> list[Replica]:
        """The replica list as it is now (the runner service asks on every call)."""
        return self.replicas


class Revision:
    """One revision's components; `serving` once it may take traffic."""

    def __init__(self, spec: DeploymentSpec) -> None:
        self.spec = spec
        self.uid = spec.revision_uid
        self.hash = _hash5(spec.revision_uid)
        self.components: dict[str | None, Component] = {}
        self.serving = False

    @property
    def api(self) -> Component:
        return self.components[None]


class DeploymentState:
    """A deployment the runtime runs: its revisions plus what the gateway needs."""

    def __init__(self, runtime: Runtime, spec: DeploymentSpec) -> None:
        self._runtime = runtime
        self.spec = spec
        self.uid = spec.uid
        self.name = spec.name
        self.active: Revision = Revision(spec)
        self.old: list[Revision] = []
        self.terminating = False
        self.inflight = 0  # requests inside the gateway, queued ones included
        self.last_activity = time.monotonic()
        self.scaled_to_zero = False
        self.changed = Pulse()
        self.semaphore = _semaphore(spec)
        self.rollout: asyncio.Task[None] | None = None

    @property
    def revisions(self) -> list[Revision]:
        return [self.active, *self.old]

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def all_replicas(self) -> list[Replica]:
        return [r for rev in self.revisions for c in rev.components.values() for r in c.replicas]

    def routable_api_replicas(self) -> list[Replica]:
        return [r for rev in self.revisions if rev.serving for r in rev.api.replicas if r.routable]

    def wake(self) -> None:
        """A request arrived while nothing can serve it: scale up now, not at the next tick."""
        self.touch()
        self._runtime._wake(self)

    def not_ready_reason(self) -> str:
        replicas = [r for r in self.active.api.replicas if not r.terminating]
        if not replicas:
            return "scaled to zero" if self.spec.mode == "function" else "no replica scheduled"
        failed = [r for r in replicas if r.phase == "Failed"]
        if failed:
            r = failed[0]
            return (
                f"replica {r.name} is failing ({r.reason or 'Error'}, last exit code "
                f"{r.last_exit_code}, {r.restart_count} restarts)"
            )
        return f"{len(replicas)} replica(s) starting"


def _semaphore(spec: DeploymentSpec) -> asyncio.Semaphore | None:
    if spec.max_consume_concurrency:
        return asyncio.Semaphore(spec.max_consume_concurrency)
    return None


class Runtime:
    """Runs deployments on this machine; see the module docstring."""

    def __init__(
        self,
        home: Path,
        settings: RuntimeSettings,
        on_event: Callable[[RuntimeEvent], None],
        on_change: Callable[[str], None],
        api_token: str | None = None,
        caps: ReplicaCaps | None = None,
    ) -> None:
        self.home = Path(home)
        self.caps = caps or ReplicaCaps()
        self.settings = settings
        self._on_event = on_event
        self._on_change = on_change
        self._api_token = api_token
        self._deployments: dict[str, DeploymentState] = {}
        self._index: dict[tuple[str, str], str] = {}
        self._names: dict[str, str] = {}  # uid -> deployment name, kept after stop (log paths)
        self._stopping: dict[str, asyncio.Task[None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False
        self._hostname = socket.gethostname()
        self._scratch: Path | None = None  # replicas' own directories (_replica_dir)
        self.metrics_store = MetricsStore(settings.metrics_interval_s, settings.metrics_retention_s)
        self.gateway = Gateway(self._resolve, api_token, self.metrics_store)
        self.gateway_app = self.gateway

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the scaler and the metrics sampler (idempotent)."""
        if self._started:
            return
        self._started = True
        await self.gateway.start()
        loop = asyncio.get_running_loop()
        self._loops = [
            loop.create_task(self._scale_loop(), name="runtime scaler"),
            loop.create_task(self._metrics_loop(), name="runtime metrics"),
        ]

    async def close(self) -> None:
        """Stop every deployment's replicas and the background loops (control-plane shutdown)."""
        self._closed = True
        await asyncio.gather(*(self.stop(uid, shutdown=True) for uid in list(self._deployments)),
                             return_exceptions=True)
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops = []
        for task in list(self._background):
            with contextlib.suppress(BaseException):
                await task
        await self.gateway.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        self._started = False

    # ------------------------------------------------------------------ reading

    def is_active(self, uid: str) -> bool:
        dep = self._deployments.get(uid)
        return dep is not None and not dep.terminating

    def api_replica_counts(self, uid: str) -> tuple[int, int]:
        """(ready, desired) API-server replicas, terminating ones left out: what a list row
        shows, without building a ReplicaInfo per replica (lists ask this per deployment)."""
        dep = self._deployments.get(uid)
        if dep is None:
            return (0, 0)
        ready = desired = 0
        for r in dep.all_replicas():
            if r.runner_name is None and not r.terminating:
                desired += 1
                ready += r.ready
        return (ready, desired)

    def api_replica_counts_all(self) -> tuple[tuple[str, int, int], ...]:
        """(uid, ready, desired) of every deployment the runtime holds: a cheap fingerprint of
        the replica counts that list pages show (a deployment it does not hold shows 0/0)."""
        return tuple((uid, *self.api_replica_counts(uid)) for uid in self._deployments)

    def replica_total(self, exclude: str | None = None) -> int:
        """Live replicas of every deployment's active revision (a rollout's outgoing revision
        is not counted: it is on its way out), for the plane-wide cap."""
        return sum(
            len(comp.live)
            for uid, dep in self._deployments.items()
            if uid != exclude and not dep.terminating
            for comp in dep.active.components.values()
        )

    def _cap(self, dep: DeploymentState, comp: Component, want: int) -> int:
        """`want` replicas for `comp`, cut to the per-component and plane-wide caps."""
        current = len(comp.live)
        headroom = self.caps.max_replicas_total - self.replica_total()
        capped = max(min(want, self.caps.max_replicas, current + max(headroom, 0)), min(want, current))
        if capped < want and comp.capped_at != capped:  # once per cap, not at every tick
            self._event(
                dep, "FailedScaleUp",
                f"{comp.label}: wanted {want} replicas, capped at {capped} (at most "
                f"{self.caps.max_replicas} per component and {self.caps.max_replicas_total} "
                "in all on this control plane)",
                "Warning",
            )
        comp.capped_at = capped if capped < want else None
        return capped

    def replicas(self, uid: str) -> list[ReplicaInfo]:
        """API-server replicas first, then runners; then by start time, then name."""
        dep = self._deployments.get(uid)
        if dep is None:
            return []
        far = datetime.max.replace(tzinfo=timezone.utc)
        infos = [r.info() for r in dep.all_replicas()]
        infos.sort(key=lambda i: (i.runner_name is not None, i.runner_name or "", i.start_time or far, i.name))
        return infos

    def log_path(self, uid: str, replica_name: str, deployment_name: str | None = None) -> Path | None:
        """The replica's log file, a live replica's or one that is gone (its file is kept);
        `deployment_name` finds the logs of a deployment this runtime has not run yet."""
        name = self._names.get(uid) or deployment_name
        if name is None or "/" in replica_name or replica_name.startswith("."):
            return None
        path = self.home / "logs" / name / f"{replica_name}.log"
        dep = self._deployments.get(uid)
        known = dep is not None and any(r.name == replica_name for r in dep.all_replicas())
        return path if known or path.exists() else None

    def metrics(self, uid: str, since_seconds: float = 600) -> DeploymentMetricsSchema:
        return self.metrics_store.snapshot(uid, since_seconds)

    def _resolve(self, cluster: str, name: str) -> DeploymentState | None:
        uid = self._index.get((cluster, name))
        return self._deployments.get(uid) if uid else None

    # ------------------------------------------------------------------ apply

    def scaled_to_zero_uids(self) -> list[str]:
        """The On-Demand Functions resting at zero replicas (kept across a restart)."""
        return sorted(uid for uid, dep in self._deployments.items()
                      if dep.scaled_to_zero and not any(c.live for c in dep.active.components.values()))

    async def apply(self, spec: DeploymentSpec, cold: bool = False) -> None:
        """Create, update (rolling) or restore; returns once replicas are scheduled, not ready.

        `cold`: a function that was scaled to zero before a restart comes back at zero."""
        if self._closed:
            raise RuntimeError("the runtime is closed")
        await self.start()
        lock = self._locks.setdefault(spec.uid, asyncio.Lock())
        async with lock:
            pending_stop = self._stopping.get(spec.uid)
            if pending_stop is not None:
                await asyncio.shield(pending_stop)
            self._names[spec.uid] = spec.name
            dep = self._deployments.get(spec.uid)
            if dep is None:
                dep = DeploymentState(self, spec)
                rev = await self._prepare_revision(dep, spec)
                dep.active = rev
                rev.serving = True
                self._deployments[spec.uid] = dep
                self._index[(spec.cluster, spec.name)] = spec.uid
                if cold and spec.mode == "function":
                    dep.scaled_to_zero = True
                    dep.last_activity -= self.settings.idle_scale_to_zero_s  # idle already
                    for comp in rev.components.values():
                        comp.autoscaler.reset(time.monotonic(), 0)
                else:
                    self._populate(dep, rev, previous=None)
                self._changed(dep)
                return
            if spec.revision_uid == dep.active.uid:
                self._update_in_place(dep, spec)
                return
            rev = await self._prepare_revision(dep, spec)
            if dep.terminating:  # stopped while we prepared
                await self._close_services(rev)
                return
            self._reindex(dep, spec)
            previous = dep.active
            dep.old.append(previous)
            dep.active = rev
            self._populate(dep, rev, previous=previous)
            dep.touch()
            self._event(
                dep,
                "RollingUpdate",
                f"Rolling update to revision {spec.revision_uid} ({spec.bento_tag}): "
                f"{len([r for c in rev.components.values() for r in c.replicas])} new replicas "
                f"start next to {len(previous.api.live)} serving",
            )
            if dep.rollout is not None:
                dep.rollout.cancel()
            dep.rollout = self._spawn(self._rollout(dep, rev))
            self._changed(dep)

    def _reindex(self, dep: DeploymentState, spec: DeploymentSpec) -> None:
        old_key = (dep.spec.cluster, dep.spec.name)
        if self._index.get(old_key) == dep.uid:
            del self._index[old_key]
        self._index[(spec.cluster, spec.name)] = dep.uid
        dep.name = spec.name
        if dep.spec.max_consume_concurrency != spec.max_consume_concurrency:
            dep.semaphore = _semaphore(spec)
        dep.spec = spec

    def _update_in_place(self, dep: DeploymentState, spec: DeploymentSpec) -> None:
        """Same revision applied again: new bounds and traffic settings, same replicas."""
        self._reindex(dep, spec)
        dep.active.spec = spec
        for key, comp in dep.active.components.items():
            new = spec.api_server if key is None else spec.runners.get(key)
            if new is not None:
                comp.spec = new
        self._changed(dep)

    async def _prepare_revision(self, dep: DeploymentState, spec: DeploymentSpec) -> Revision:
        """A revision's components, runner services listening; no replica yet."""
        rev = Revision(spec)
        now = time.monotonic()
        declared = declared_runners(spec.bento_path)
        names = declared if declared is not None else list(spec.runners)
        components = [spec.api_server]
        components += [spec.runners.get(n) or ComponentSpec(n, 1, 1, {}) for n in names]
        for extra in sorted(set(spec.runners) - set(names)):
            self._event(dep, "Ignored", f"runner {extra} is configured but the bento declares no such runner",
                        "Warning")
        for cspec in components:
            comp = Component(cspec, now, self.settings)
            if cspec.runner_name is not None:
                comp.service = RunnerService(
                    cspec.runner_name,
                    replicas=comp.current_replicas,
                    wait_for_change=dep.changed.wait,
                    wake=dep.wake,
                    timeout_s=spec.request_timeout_s,
                )
                await comp.service.start()
            rev.components[cspec.runner_name] = comp
        return rev

    def _populate(self, dep: DeploymentState, rev: Revision, previous: Revision | None) -> None:
        """Schedule the revision's first replicas: at least 1 each, as many as before if more."""
        now = time.monotonic()
        for comp in rev.components.values():
            count = max(comp.spec.min_replicas, 1)
            if previous is not None and comp.runner_name in previous.components:
                count = max(count, len(previous.components[comp.runner_name].live))
            count = min(count, max(comp.spec.max_replicas, 1))
            count = self._cap(dep, comp, count)
            for _ in range(count):
                self._add_replica(dep, rev, comp)
            comp.autoscaler.reset(now, count)
        dep.scaled_to_zero = False

    def _add_replica(self, dep: DeploymentState, rev: Revision, comp: Component) -> Replica:
        spec = rev.spec
        role = "api" if comp.runner_name is None else f"runner-{_dns(comp.runner_name)}"
        prefix = f"{_dns(spec.name)}-{rev.hash}-{role}"[:56].rstrip("-")
        existing = {r.name for r in dep.all_replicas()}
        name = f"{prefix}-{_suffix()}"
        while name in existing:
            name = f"{prefix}-{_suffix()}"
        runner_urls = {
            n: c.service.url for n, c in rev.components.items() if n is not None and c.service is not None
        }
        ours = {
            "BENTOTUI_DEPLOYMENT": spec.name,
            "BENTOTUI_DEPLOYMENT_UID": spec.uid,
            "BENTOTUI_CLUSTER": spec.cluster,
            "BENTOTUI_NAMESPACE": spec.namespace,
            "BENTOTUI_REVISION": spec.revision_uid,
            "BENTOTUI_BENTO": spec.bento_tag,
            "BENTOTUI_REPLICA": name,
            "BENTOTUI_COMPONENT": "runner" if comp.runner_name else API_SERVER,
            "BENTOTUI_PARENT_PID": str(os.getpid()),
            "BENTOTUI_RUNNER_TIMEOUT": str(spec.request_timeout_s),
        }
        ours.update(spec.serve_envs)
        if comp.runner_name is None:
            ours["BENTOTUI_RUNNERS"] = json.dumps(runner_urls)
        else:
            ours["BENTOTUI_RUNNER_NAME"] = comp.runner_name
        own_dir = self._replica_dir(name)
        ours["HOME"] = ours["TMPDIR"] = str(own_dir)
        env, withheld = replica_env(inherited_env(), dict(comp.spec.envs), ours, self._api_token)
        for key, why in withheld:
            self._event(dep, "EnvWithheld", f"env {key} of {comp.label} {why}; not passed to replicas", "Warning")

        bento_path = Path(spec.bento_path)
        runner_args = ["--runner", comp.runner_name] if comp.runner_name else []

        def command(port: int) -> list[str]:
            if spec.serve_argv:  # a pushed bento: its own bentoml serves it
                return [*spec.serve_argv, "--port", str(port)]
            return [
                # -I: isolated mode (no PYTHON* variables, no user site, no script or current
                # directory on sys.path); -u and -B again because -I ignores PYTHONUNBUFFERED.
                sys.executable, "-I", "-u", "-B", str(BENTO_SERVER),
                "--bento", str(bento_path), "--port", str(port), *runner_args,
            ]  # fmt: skip

        replica = Replica(
            name=name,
            runner_name=comp.runner_name,
            revision_uid=rev.uid,
            command=command,
            env=env,
            cwd=own_dir,
            log_path=self.home / "logs" / spec.name / f"{name}.log",
            settings=self.settings,
            on_event=lambda reason, message, type_: self._pod_event(dep, name, reason, message, type_),
            on_change=lambda: self._changed(dep),
        )
        comp.replicas.append(replica)
        self._pod_event(dep, name, "Scheduled",
                        f"Successfully assigned {spec.namespace}/{name} to {self._hostname}", "Normal")
        replica.start()
        return replica

    def _replica_dir(self, name: str) -> Path:
        """The replica's own cwd, HOME and TMPDIR (0700), outside the control plane's home so
        no path into it is ever handed to a replica.  Removed when the replica stops."""
        if self._scratch is None:
            self._scratch = self._scratch_root()
        path = self._scratch / name
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    def _scratch_root(self) -> Path:
        """One directory per home, so what a predecessor killed with -9 left is removed here
        (one home has one server).  Only a directory of ours is reused; anything else at that
        name (another user's, a symlink) gets a fresh random directory instead."""
        digest = hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:12]
        root = Path(tempfile.gettempdir()) / f"bentotui-replicas-{os.getuid()}-{digest}"
        try:
            st = os.lstat(root)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                return Path(tempfile.mkdtemp(prefix="bentotui-replicas-"))
            shutil.rmtree(root, ignore_errors=True)
        try:
            root.mkdir(mode=0o700)
        except FileExistsError:
            return Path(tempfile.mkdtemp(prefix="bentotui-replicas-"))
        return root

    async def _rollout(self, dep: DeploymentState, rev: Revision) -> None:
        """Wait until every replica of the new revision is ready, then retire the old ones."""
        while not dep.terminating:
            live = [r for c in rev.components.values() for r in c.live]
            if all(r.ready for r in live) and (rev.api.live or dep.spec.mode == "function"):
                break
            await dep.changed.wait(1.0)
        if dep.terminating or dep.active is not rev:
            return
        rev.serving = True
        self._changed(dep)
        retiring = list(dep.old)
        for old in retiring:
            await self._stop_revision(dep, old)
            if old in dep.old:
                dep.old.remove(old)
        self._event(dep, "RolloutComplete", f"Revision {rev.uid} is serving; the previous revision is stopped")
        self._changed(dep)

    async def _stop_revision(self, dep: DeploymentState, rev: Revision) -> None:
        """API servers first (drained by the gateway), then runners, then runner services."""
        await self._stop_replicas(dep, rev, [rev.api] if None in rev.components else [])
        await self._stop_replicas(dep, rev, [c for k, c in rev.components.items() if k is not None])
        await self._close_services(rev)

    async def _close_services(self, rev: Revision) -> None:
        for comp in rev.components.values():
            if comp.service is not None:
                await comp.service.close()

    async def _stop_replicas(self, dep: DeploymentState, rev: Revision, comps: list[Component]) -> None:
        jobs = [self._stop_replica(dep, c, r) for c in comps for r in list(c.replicas)]
        await asyncio.gather(*jobs)

    async def _stop_replica(self, dep: DeploymentState, comp: Component, replica: Replica) -> None:
        drain = min(dep.spec.request_timeout_s, self.settings.termination_grace_s)
        try:
            await replica.stop(drain_timeout=drain)
        finally:
            if replica in comp.replicas:
                comp.replicas.remove(replica)
            if self._scratch is not None:
                shutil.rmtree(self._scratch / replica.name, ignore_errors=True)
            self._changed(dep)

    # ------------------------------------------------------------------ stop

    async def stop(self, uid: str, shutdown: bool = False) -> None:
        """Terminate: stop every replica (SIGTERM, SIGKILL after the grace period); returns
        when they are gone.  `shutdown`: the control plane stops, the user terminated nothing."""
        task = self._stopping.get(uid)
        if task is None:
            dep = self._deployments.get(uid)
            if dep is None:
                return
            task = asyncio.get_running_loop().create_task(self._terminate(dep, shutdown))
            self._stopping[uid] = task
            task.add_done_callback(lambda _t: self._stopping.pop(uid, None))
        await asyncio.shield(task)

    async def _terminate(self, dep: DeploymentState, shutdown: bool = False) -> None:
        dep.terminating = True
        dep.changed.notify()  # queued requests answer now instead of waiting
        if dep.rollout is not None:
            dep.rollout.cancel()
        count = len(dep.all_replicas())
        self._changed(dep)
        revisions = dep.revisions
        await asyncio.gather(*(self._stop_replicas(dep, rev, [rev.api]) for rev in revisions))
        await asyncio.gather(
            *(self._stop_replicas(dep, rev, [c for k, c in rev.components.items() if k is not None])
              for rev in revisions)
        )
        for rev in revisions:
            await self._close_services(rev)
        if self._index.get((dep.spec.cluster, dep.spec.name)) == dep.uid:
            del self._index[(dep.spec.cluster, dep.spec.name)]
        if self._deployments.get(dep.uid) is dep:
            del self._deployments[dep.uid]
        if shutdown:
            self._event(dep, "ControlPlaneStopped",
                        f"The control plane stopped: {count} replicas stopped with it; "
                        "they start again when it restarts")
        else:
            self._event(dep, "Terminated", f"Stopped all {count} replicas")
        self._notify_change(dep.uid)

    # ------------------------------------------------------------------ scaling

    async def _scale_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.scale_interval_s)
            now = time.monotonic()
            for dep in list(self._deployments.values()):
                if dep.terminating:
                    continue
                try:
                    self._autoscale(dep, now)
                except Exception:  # noqa: BLE001 - one deployment's bug must not stop scaling
                    log.exception("autoscaling %s failed", dep.name)

    def _autoscale(self, dep: DeploymentState, now: float) -> None:
        spec = dep.spec
        idle_for = now - dep.last_activity
        idle = spec.mode == "function" and dep.inflight == 0 and idle_for >= self.settings.idle_scale_to_zero_s
        plan: list[tuple[Component, int, int]] = []
        for comp in dep.active.components.values():
            if comp.runner_name is None:
                inflight = dep.inflight
            else:
                inflight = comp.service.active if comp.service is not None else 0
            floor = replica_floor(spec.mode, comp.spec.min_replicas, idle)
            want = desired_replicas(inflight, self.settings.target_inflight_per_replica, floor, comp.spec.max_replicas)
            current = len(comp.live)
            if want > current:
                want = self._cap(dep, comp, want)
            target = comp.autoscaler.decide(now, current, want, to_zero=idle)
            if target != current:
                plan.append((comp, current, target))
        if not plan:
            return
        if idle and all(target == 0 for _, _, target in plan):
            for comp, _, _ in plan:
                self._scale(dep, comp, 0, now)
            if not any(c.live for c in dep.active.components.values()):
                dep.scaled_to_zero = True
                self._event(
                    dep,
                    "ScaledToZero",
                    f"Scaled to zero: no request for {self.settings.idle_scale_to_zero_s:g}s",
                )
            return
        for comp, current, target in plan:
            self._scale(dep, comp, target, now)
            verb = "up" if target > current else "down"
            self._event(dep, f"Scaled{verb.capitalize()}",
                        f"Scaled {verb} {comp.label} from {current} to {target} replicas")

    def _scale(self, dep: DeploymentState, comp: Component, target: int, now: float) -> None:
        live = comp.live
        if target > len(live):
            for _ in range(target - len(live)):
                self._add_replica(dep, dep.active, comp)
        elif target < len(live):
            # like a ReplicaSet: not-ready ones go first, then the youngest
            victims = sorted(live, key=lambda r: (r.ready, -r.created_at.timestamp()))
            for replica in victims[: len(live) - target]:
                replica.mark_terminating()  # out of rotation and of the count right away
                self._spawn(self._stop_replica(dep, comp, replica))
        comp.autoscaler.reset(now, target)
        self._changed(dep)

    def restart_replica(self, uid: str, replica_name: str) -> str | None:
        """Like deleting a pod of a ReplicaSet: that replica is stopped and a fresh one of the
        same component takes its place (its name is returned).  None when the deployment has
        no live replica of that name in its active revision."""
        dep = self._deployments.get(uid)
        if dep is None or dep.terminating:
            return None
        for comp in dep.active.components.values():
            replica = next((r for r in comp.live if r.name == replica_name), None)
            if replica is None:
                continue
            self._pod_event(dep, replica.name, "Killing",
                            "Stopping container main: restart requested by the user", "Normal")
            replica.mark_terminating()  # out of rotation and of the count right away
            fresh = self._add_replica(dep, dep.active, comp)
            self._event(dep, "ReplicaRestarted",
                        f"Replica {replica.name} of {comp.label} restarted on request: "
                        f"{fresh.name} replaces it")
            self._spawn(self._stop_replica(dep, comp, replica))
            self._changed(dep)
            return fresh.name
        return None

    def _wake(self, dep: DeploymentState) -> None:
        if dep.terminating:
            return
        cold = not any(c.live for c in dep.active.components.values())
        if not cold and dep.active.api.live:
            return
        if cold or dep.scaled_to_zero:
            dep.scaled_to_zero = False
            self._event(dep, "ColdStart", "Request queued while scaled to zero: starting replicas")
        self._autoscale(dep, time.monotonic())

    # ------------------------------------------------------------------ metrics

    async def _metrics_loop(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.metrics_interval_s)
            now_mono = time.monotonic()
            elapsed, last = now_mono - last, now_mono
            now = datetime.now(timezone.utc)
            alive: set[int] = set()
            try:
                # Off the event loop and once per round (tui/localcloud/runtime/metrics.py), and
                # a yield after each deployment: requests are answered between the samples.
                tree = await asyncio.to_thread(process_tree)
                for dep in list(self._deployments.values()):
                    await asyncio.sleep(0)
                    count = 0
                    for replica in dep.all_replicas():
                        if not replica.terminating:
                            count += 1
                        if replica.pid is None:
                            continue
                        alive.add(replica.pid)
                        cpu, rss = self.metrics_store.sample_process(
                            dep.uid, replica.name, replica.runner_name, replica.pid, now, tree
                        )
                        replica.cpu_percent, replica.memory_bytes = cpu, rss
                    self.metrics_store.close_interval(dep.uid, now, elapsed, count)
                self.metrics_store.forget_pids(alive)
                self.metrics_store.prune(now)
            except Exception:  # noqa: BLE001
                log.exception("metrics sampling failed")

    # ------------------------------------------------------------------ plumbing

    def _spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _changed(self, dep: DeploymentState) -> None:
        dep.changed.notify()
        self._notify_change(dep.uid)

    def _notify_change(self, uid: str) -> None:
        try:
            self._on_change(uid)
        except Exception:  # noqa: BLE001 - the server's callback must not break the runtime
            log.exception("on_change callback failed")

    def _emit(self, event: RuntimeEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001
            log.exception("on_event callback failed")

    def _event(self, dep: DeploymentState, reason: str, message: str, type_: str = "Normal") -> None:
        self._emit(RuntimeEvent(dep.uid, reason, message, type_, "BentoDeployment", dep.spec.name))

    def _pod_event(self, dep: DeploymentState, replica: str, reason: str, message: str, type_: str) -> None:
        self._emit(RuntimeEvent(dep.uid, reason, message, type_, "Pod", replica))
