"""Measured numbers of each deployment, kept in bounded ring buffers.

The gateway records every request it answers (status, latency); the runtime's sampler closes
one interval per ``metrics_interval_s`` into requests/s, errors (5xx)/s and latency p50/p95,
and samples each replica process's CPU% and RSS with psutil, its child processes included
(a pushed bento's replica is `bentoml serve`, whose API workers and runners are children).  Buffers hold
``metrics_retention_s`` worth of points; nothing is interpolated or invented: an interval
without requests has no latency point, and a replica's first CPU sample (which psutil can
only measure from the second call on) is left out.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import psutil

from tui.api.models import DeploymentMetricsSchema, MetricPoint, ReplicaMetrics

Point = tuple[datetime, float]


def _ring(capacity: int) -> deque[Point]:
    return deque(maxlen=capacity)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class _ReplicaSeries:
    runner_name: str | None
    cpu: deque[Point]
    memory: deque[Point]


@dataclass
class _DeploymentSeries:
    capacity: int
    requests: deque[Point] = field(init=False)
    errors: deque[Point] = field(init=False)
    p50: deque[Point] = field(init=False)
    p95: deque[Point] = field(init=False)
    replica_count: deque[Point] = field(init=False)
    replicas: dict[str, _ReplicaSeries] = field(default_factory=dict)
    # the open interval
    count: int = 0
    error_count: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("requests", "errors", "p50", "p95", "replica_count"):
            setattr(self, name, _ring(self.capacity))


MAX_LATENCIES_PER_INTERVAL = 20_000


class ProcessTree:
    """Every process's children by parent pid, read once for a whole round of samples: psutil's
    `Process.children()` reads the stat file of every process on the machine on each call
    (~2 ms with 100 processes), and a round asking it once per replica held the control
    plane's event loop for tens of milliseconds every second (the list's p99, issue 16 P6)."""

    def __init__(self, children: dict[int, list[int]]) -> None:
        self._children = children

    def descendants(self, pid: int) -> list[int]:
        found: list[int] = []
        seen = {pid}
        stack = [pid]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in seen:  # a pid reused mid-read could make a cycle
                    seen.add(child)
                    found.append(child)
                    stack.append(child)
        return found


def process_tree() -> ProcessTree:
    children: dict[int, list[int]] = {}
    for proc in psutil.process_iter(["ppid"]):
        ppid = proc.info["ppid"]
        if ppid is not None:
            children.setdefault(ppid, []).append(proc.pid)
    return ProcessTree(children)


class MetricsStore:
    def __init__(self, interval_s: float, retention_s: float) -> None:
        self.interval_s = interval_s
        self.retention = timedelta(seconds=retention_s)
        self._capacity = max(2, math.ceil(retention_s / max(interval_s, 1e-3)) + 1)
        self._deployments: dict[str, _DeploymentSeries] = {}
        self._processes: dict[int, psutil.Process] = {}
        # each replica's children, kept so their CPU% is measured between two samples
        self._children: dict[int, dict[int, psutil.Process]] = {}

    def _series(self, uid: str) -> _DeploymentSeries:
        series = self._deployments.get(uid)
        if series is None:
            series = self._deployments[uid] = _DeploymentSeries(self._capacity)
        return series

    # ------------------------------------------------------------------ requests (gateway)

    def record_request(self, uid: str, status: int, latency_s: float) -> None:
        series = self._series(uid)
        series.count += 1
        if status >= 500:
            series.error_count += 1
        if len(series.latencies_ms) < MAX_LATENCIES_PER_INTERVAL:
            series.latencies_ms.append(latency_s * 1000)

    def close_interval(self, uid: str, now: datetime, elapsed_s: float, replica_count: int) -> None:
        """Turn the requests of the interval that just ended into points."""
        series = self._series(uid)
        elapsed_s = max(elapsed_s, 1e-6)
        series.requests.append((now, series.count / elapsed_s))
        series.errors.append((now, series.error_count / elapsed_s))
        if series.latencies_ms:
            ordered = sorted(series.latencies_ms)
            series.p50.append((now, percentile(ordered, 0.50)))
            series.p95.append((now, percentile(ordered, 0.95)))
        series.replica_count.append((now, float(replica_count)))
        series.count = series.error_count = 0
        series.latencies_ms = []

    # ------------------------------------------------------------------ processes (psutil)

    def sample_process(
        self, uid: str, replica: str, runner_name: str | None, pid: int, now: datetime,
        tree: ProcessTree | None = None,
    ) -> tuple[float | None, int | None]:
        """CPU% (None on the first sample of a pid) and RSS bytes of one replica process and
        all its descendants (found in `tree`, read now when not given).  A child first seen in
        this sample adds its memory but no CPU (psutil measures CPU between two calls), so CPU
        is never overstated."""
        proc = self._processes.get(pid)
        first = proc is None
        try:
            if proc is None:
                proc = self._processes[pid] = psutil.Process(pid)
            cpu = proc.cpu_percent(None)
            rss = proc.memory_info().rss
            child_cpu, child_rss = self._sample_children(proc, tree if tree is not None else process_tree())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            self._processes.pop(pid, None)
            self._children.pop(pid, None)
            return None, None
        cpu += child_cpu
        rss += child_rss
        rs = self._series(uid).replicas.get(replica)
        if rs is None:
            rs = self._series(uid).replicas[replica] = _ReplicaSeries(
                runner_name, _ring(self._capacity), _ring(self._capacity)
            )
        rs.memory.append((now, float(rss)))
        if first:
            return None, rss
        rs.cpu.append((now, cpu))
        return cpu, rss

    def _sample_children(self, proc: psutil.Process, tree: ProcessTree) -> tuple[float, int]:
        """Summed CPU% and RSS of `proc`'s descendants; a child that exits meanwhile is skipped."""
        known = self._children.setdefault(proc.pid, {})
        seen: dict[int, psutil.Process] = {}
        cpu, rss = 0.0, 0
        for pid in tree.descendants(proc.pid):
            tracked = known.get(pid)
            try:
                child = tracked if tracked is not None else psutil.Process(pid)
                child_cpu = child.cpu_percent(None)
                child_rss = child.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            if tracked is not None:  # measured since the last sample
                cpu += child_cpu
            rss += child_rss
            seen[pid] = child
        self._children[proc.pid] = seen
        return cpu, rss

    def forget_pids(self, alive: set[int]) -> None:
        for pid in list(self._processes):
            if pid not in alive:
                del self._processes[pid]
                self._children.pop(pid, None)

    def prune(self, now: datetime) -> None:
        """Drop deployments (and replicas) with no point inside the retention window."""
        horizon = now - self.retention
        for uid, series in list(self._deployments.items()):
            for name, rs in list(series.replicas.items()):
                if not rs.memory or rs.memory[-1][0] < horizon:
                    del series.replicas[name]
            if (not series.requests or series.requests[-1][0] < horizon) and not series.replicas:
                del self._deployments[uid]

    # ------------------------------------------------------------------ reading

    def snapshot(self, uid: str, since_seconds: float) -> DeploymentMetricsSchema:
        series = self._deployments.get(uid)
        if series is None:
            return DeploymentMetricsSchema(interval_seconds=self.interval_s)
        horizon = datetime.now(timezone.utc) - timedelta(seconds=since_seconds)

        def points(ring: deque[Point]) -> list[MetricPoint]:
            return [MetricPoint(t=t, value=v) for t, v in ring if t >= horizon]

        replicas = [
            ReplicaMetrics(
                replica=name,
                runner_name=rs.runner_name,
                cpu_percent=points(rs.cpu),
                memory_bytes=points(rs.memory),
            )
            for name, rs in series.replicas.items()
            if rs.memory and rs.memory[-1][0] >= horizon
        ]
        return DeploymentMetricsSchema(
            interval_seconds=self.interval_s,
            replicas=replicas,
            requests=points(series.requests),
            errors=points(series.errors),
            latency_p50_ms=points(series.p50),
            latency_p95_ms=points(series.p95),
            replica_count=points(series.replica_count),
        )
