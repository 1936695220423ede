"""Live changes of deployments, from the streams the TUI lives on (no polling, no Textual).

Why a module of its own: both the headless `bentotui watch` and the app's alerts need the
same thing — a deployment's status and replicas as they change — and the rules that make a
change an alert must be the same in both.  The resource subscription gives status and the
replica counts; one pods stream per deployment gives restarts and back-offs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from tui.api import models as m
from tui.api.client import BentoCloudClient
from tui.api.errors import ApiError

ALERT_STATUSES = frozenset({"failed", "unhealthy", "image-build-failed"})
# No replicas to follow: no pods stream for these (a fleet of 1,000 mostly terminated
# deployments must not cost 1,000 websockets); one starts when the status moves on.
NO_PODS_STATUSES = frozenset({"terminated", "non-deployed"})
PAGE = 500
FETCH_BY_NAME = 20  # at most this many names: read each, not the whole list
BACKOFF_REASONS = frozenset({"CrashLoopBackOff", "BackOff"})


@dataclass(frozen=True)
class Snapshot:
    """What is known of one deployment right now."""

    name: str
    uid: str = ""
    status: str = "unknown"
    replicas_ready: int | None = None
    replicas_desired: int | None = None
    restarts: int = 0
    backing_off: bool = False
    pods_known: bool = False  # the first pods list is the baseline, not a change


@dataclass(frozen=True)
class Change:
    """One line of `bentotui watch`: a deployment's new state and why it changed."""

    snapshot: Snapshot
    event: str  # "current" (first line), "status", "replicas", "restart", "backoff", "deleted"
    reason: str
    time: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def from_deployment(d: m.DeploymentSchema, old: Snapshot | None) -> Snapshot:
    """A snapshot from a pushed or listed deployment, keeping what only the pods tell."""
    base = old or Snapshot(name=d.name)
    ready, desired = base.replicas_ready, base.replicas_desired
    if d.replicas is not None:
        desired = d.replicas.desired
        if not base.pods_known:  # the pods stream is fresher about readiness
            ready = d.replicas.ready
    return replace(base, name=d.name, uid=d.uid, status=getattr(d.status, "value", str(d.status)),
                   replicas_ready=ready, replicas_desired=desired)


def from_pods(pods: Iterable[m.KubePodSchema], old: Snapshot) -> Snapshot:
    pods = [p for p in pods if not p.status.is_old]
    backing_off = any(_waiting_reason(p) in BACKOFF_REASONS for p in pods)
    # ready/desired count API-server replicas (as the list does), not runners
    ready = sum(1 for p in pods if p.status.ready and p.runner_name is None)
    return replace(old, restarts=sum(p.restart_count for p in pods), backing_off=backing_off,
                   pods_known=True, replicas_ready=ready)


def _waiting_reason(pod: m.KubePodSchema) -> str:
    for status in (pod.raw_status or {}).get("containerStatuses") or []:
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            return str(waiting["reason"])
    return pod.pod_status.reason or ""


def describe(old: Snapshot | None, new: Snapshot) -> tuple[str, str] | None:
    """(event, reason) for what changed from `old` to `new`, or None if nothing shown did."""
    if old is None:
        return "current", f"status {new.status}"
    if new.status != old.status:
        return "status", f"status {old.status} -> {new.status}"
    if old.pods_known:  # else this is the baseline: restarts before we looked are not news
        if new.restarts > old.restarts:
            more = new.restarts - old.restarts
            return "restart", f"replica restarted ({more} more, {new.restarts} in all)"
        if new.backing_off and not old.backing_off:
            return "backoff", "a replica is backing off (CrashLoopBackOff)"
    if (new.replicas_ready, new.replicas_desired) != (old.replicas_ready, old.replicas_desired):
        return "replicas", f"replicas {_count(old)} -> {_count(new)}"
    return None


def alert_reason(change: Change) -> str | None:
    """Why this change deserves an alert (turned bad, restarted, backing off), else None."""
    if change.event == "status" and change.snapshot.status in ALERT_STATUSES:
        return f"turned {change.snapshot.status}"
    if change.event == "current" and change.snapshot.status in ALERT_STATUSES:
        return None  # already so when watching began: not news
    if change.event == "restart":
        return change.reason
    if change.event == "backoff":
        return change.reason
    return None


def _count(s: Snapshot) -> str:
    ready = "?" if s.replicas_ready is None else s.replicas_ready
    desired = "?" if s.replicas_desired is None else s.replicas_desired
    return f"{ready}/{desired}"


class FleetMonitor:
    """Follows deployments of one cluster and yields a `Change` per change.

    `names` limits it to those deployments (empty: all).  With the local control plane's
    `subscription_cluster` extension creations and deletions are heard too; elsewhere the
    deployments listed at the start are followed by uid.
    """

    def __init__(self, client: BentoCloudClient, cluster: str, names: Iterable[str] = (),
                 *, cluster_push: bool = False,
                 on_connection: Callable[[str, str | None], None] | None = None) -> None:
        self.client = client
        self.cluster = cluster
        self.names = frozenset(names)
        self.cluster_push = cluster_push
        self.snapshots: dict[str, Snapshot] = {}  # by name
        self._queue: asyncio.Queue[Change | BaseException] = asyncio.Queue()
        self._pod_tasks: dict[str, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        # the subscription's connection state ("reconnecting", reason) / ("connected", None)
        self.on_connection = on_connection

    def wanted(self, name: str) -> bool:
        return not self.names or name in self.names

    async def start(self) -> list[str]:
        """List once (the first line per deployment), then follow; returns the names asked
        for that do not exist."""
        listed = await self._list_all()
        found = [d for d in listed if self.wanted(d.name)]
        for d in found:
            self._update(from_deployment(d, None))
        self._tasks.append(asyncio.create_task(self._follow_subscription([d.uid for d in found])))
        return sorted(self.names - {d.name for d in listed})

    async def _list_all(self) -> list[m.DeploymentSchema]:
        """The deployments to follow: by name when a few are named (the app's watched set:
        one `W` must not read a list of 10,000), else every page of the list."""
        if self.names and len(self.names) <= FETCH_BY_NAME:
            from tui.api.errors import NotFoundError  # deferred: start-up time

            async def one(name: str) -> m.DeploymentSchema | None:
                try:
                    return await self.client.get_deployment(self.cluster, name)
                except NotFoundError:
                    return None

            found = await asyncio.gather(*(one(n) for n in sorted(self.names)))
            return [d for d in found if d is not None]
        items: list[m.DeploymentSchema] = []
        while True:
            page = await self.client.list_deployments(self.cluster, start=len(items), count=PAGE)
            items.extend(page.items)
            if not page.items or len(items) >= page.total:
                return items

    async def changes(self) -> AsyncIterator[Change]:
        while True:
            item = await self._queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item

    async def aclose(self) -> None:
        tasks = [*self._tasks, *self._pod_tasks.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    # ------------------------------------------------------------------ internals

    def _update(self, new: Snapshot, event: tuple[str, str] | None = None) -> None:
        old = self.snapshots.get(new.name)
        self.snapshots[new.name] = new
        what = event or describe(old, new)
        if what is not None:
            self._queue.put_nowait(Change(new, *what))
        following = new.name in self._pod_tasks
        if new.status in NO_PODS_STATUSES:
            if following:
                self._pod_tasks.pop(new.name).cancel()
                self.snapshots[new.name] = replace(new, pods_known=False, restarts=0,
                                                   backing_off=False)
        elif not following:
            self._pod_tasks[new.name] = asyncio.create_task(self._follow_pods(new.name))

    async def _follow_subscription(self, uids: list[str]) -> None:
        from tui.api.streams import StreamStatus, subscribe_resources  # deferred: start-up time

        stream = subscribe_resources(self.client, uids,
                                     cluster_name=self.cluster if self.cluster_push else None)
        try:
            async for item in stream:
                if isinstance(item, StreamStatus):
                    if self.on_connection and item.state in ("connected", "reconnecting"):
                        self.on_connection(item.state, item.error)
                    continue
                if item.resource_type != "deployment":
                    continue
                self._apply_push(item)
        except BaseException as exc:  # a refused token ends the stream: the caller says so
            if not isinstance(exc, asyncio.CancelledError):
                self._queue.put_nowait(exc)
            raise
        finally:
            await stream.aclose()

    def _apply_push(self, push: m.SubscriptionPush) -> None:
        name = push.payload.get("name")
        if push.event == "deleted":
            if isinstance(name, str) and name in self.snapshots:
                gone = self.snapshots.pop(name)
                task = self._pod_tasks.pop(name, None)
                if task:
                    task.cancel()
                self._queue.put_nowait(Change(replace(gone, status="deleted"), "deleted", "deleted"))
            return
        if push.event == "subscribed":  # in force now: read once more, nothing missed between
            self._tasks.append(asyncio.create_task(self._relist()))
            return
        try:
            d = m.parse_response(m.DeploymentSchema, push.payload)
        except Exception:  # a payload we cannot read must not stop the watch
            return
        if d.cluster.name != self.cluster or not self.wanted(d.name):
            return
        old = self.snapshots.get(d.name)
        new = from_deployment(d, old)
        created = ("created", f"created, status {new.status}") if old is None else None
        self._update(new, created if push.event == "created" else None)

    async def _relist(self) -> None:

        with contextlib.suppress(ApiError):
            for d in await self._list_all():
                if self.wanted(d.name):
                    self._update(from_deployment(d, self.snapshots.get(d.name)))

    async def _follow_pods(self, name: str) -> None:
        from tui.api.streams import StreamStatus, watch_pods  # deferred: start-up time

        stream = watch_pods(self.client, self.cluster, None, name)
        try:
            async for item in stream:
                if isinstance(item, StreamStatus):
                    continue
                old = self.snapshots.get(name)
                if old is None:
                    return
                self._update(from_pods(item, old))
        except ApiError:
            return  # the deployment went away; its subscription says so
        finally:
            await stream.aclose()
            if self._pod_tasks.get(name) is asyncio.current_task():
                del self._pod_tasks[name]  # ended by itself: the next status change restarts it
