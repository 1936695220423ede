"""The Replicas tab: one row per live replica (pod), keyed by its name, updated in place."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from tui.api import models as m
from tui.widgets.humanize import age, short_replica, size
from tui.widgets.keyed_table import Cell, KeyedTable
from tui.widgets.safe_text import safe

PHASE_STYLE = {
    "running": "green",
    "pending": "yellow",
    "succeeded": "bright_black",
    "failed": "red",
    "unknown": "bright_black",
    "terminating": "magenta",
}


def ready_text(pod: m.KubePodSchema) -> Text:
    statuses = (pod.raw_status or {}).get("containerStatuses") or []
    if statuses:
        ready = sum(1 for s in statuses if s.get("ready"))
        total = len(statuses)
    else:
        ready, total = (1 if pod.status.ready else 0), 1
    return Text(f"{ready}/{total}", style="green" if ready == total else "yellow")


def pod_phase(pod: m.KubePodSchema) -> str:
    return pod.pod_status.status or pod.status.phase or "Unknown"


def component_rank(pod: m.KubePodSchema) -> tuple[int, str, str]:
    """API-server replicas first, then runners by name."""
    return (0 if pod.runner_name is None else 1, pod.component, pod.name)


NAME_W = 16


def compact_name(pod_name: str, deployment_name: str, width: int = NAME_W) -> str:
    """The replica's name without the deployment prefix, shortened in the middle to `width`
    (the random tail that tells replicas apart stays whole)."""
    name = short_replica(pod_name, deployment_name)
    if len(name) <= width:
        return name
    tail = width * 2 // 3
    return name[: width - tail - 1] + "…" + name[-tail:]


def replica_cells(pod: m.KubePodSchema, deployment_name: str, now: datetime | None = None) -> list[Cell]:
    phase = pod_phase(pod)
    restarts = pod.restart_count
    usage = pod.usage
    cpu = f"{usage.cpu_percent:.0f}%" if usage and usage.cpu_percent is not None else "—"
    memory = size(usage.memory_bytes) if usage and usage.memory_bytes is not None else "—"
    return [
        safe(compact_name(pod.name, deployment_name), style="bold"),
        pod.component,
        safe(phase, style=PHASE_STYLE.get(phase.lower(), "")),
        ready_text(pod),
        Text(str(restarts), style="yellow" if restarts else ""),
        age(pod.status.start_time, now),
        cpu,
        memory,
        pod.node_name or "—",
    ]


class ReplicaTable(KeyedTable):
    COLUMNS = (
        ("name", "REPLICA"),
        ("component", "COMPONENT"),
        ("status", "STATUS"),
        ("ready", "READY"),
        ("restarts", "RESTARTS"),
        ("age", "AGE"),
        ("cpu", "CPU"),
        ("memory", "MEM"),
        ("node", "NODE"),
    )
    UNIQUE_COLUMN = "name"

    def show(self, pods: list[m.KubePodSchema], deployment_name: str) -> None:
        ordered = sorted(pods, key=component_rank)
        self.sync([(pod.name, replica_cells(pod, deployment_name)) for pod in ordered])
