"""Small formatting helpers for times, sizes and replica names (no Textual)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def local(dt: datetime) -> datetime:
    """`dt` in local time; a server's time at the edge of the calendar (year 1 or 9999) cannot
    move there without overflowing, so it stays in its own offset rather than crash a row."""
    try:
        return _aware(dt).astimezone()
    except (OverflowError, ValueError, OSError):
        return _aware(dt)


def age(dt: datetime | None, now: datetime | None = None) -> str:
    """kubectl-style age: 42s, 5m, 3h12m, 4d."""
    if dt is None:
        return "—"
    seconds = int(((now or now_utc()) - _aware(dt)).total_seconds())
    if seconds < 0:
        seconds = 0
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes}m" if hours < 10 and minutes else f"{hours}h"
    return f"{seconds // 86400}d"


def clock(dt: datetime | None) -> str:
    """Local wall-clock time, HH:MM:SS."""
    if dt is None:
        return "--:--:--"
    return local(dt).strftime("%H:%M:%S")


def stamp(dt: datetime | None) -> str:
    """Local date and time, to the second."""
    if dt is None:
        return "—"
    return local(dt).strftime("%Y-%m-%d %H:%M:%S")


def short_stamp(dt: datetime | None) -> str:
    """Local month-day and time; the year only when it is not this year."""
    if dt is None:
        return "—"
    there = local(dt)
    if there.year != datetime.now().astimezone().year:
        return there.strftime("%Y-%m-%d %H:%M")
    return there.strftime("%m-%d %H:%M:%S")


def when(dt: datetime | None) -> str:
    """Local date and time with the age: `2026-11-24 02:37 (5m ago)`."""
    if dt is None:
        return "—"
    return f"{local(dt).strftime('%Y-%m-%d %H:%M')} ({age(dt)} ago)"


def size(n: float | None) -> str:
    """Bytes in binary units: 512B, 21.8Mi, 1.2Gi."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "Ki", "Mi", "Gi", "Ti"):
        if abs(value) < 1024 or unit == "Ti":
            if unit == "B":
                return f"{value:.0f}B"
            return f"{value:.1f}{unit}" if value < 100 else f"{value:.0f}{unit}"
        value /= 1024
    return f"{value:.0f}Ti"  # pragma: no cover


def short_replica(pod_name: str, deployment_name: str) -> str:
    """A replica's name without the deployment's prefix (`iris-demo-x-api-abc` -> `x-api-abc`)."""
    prefix = f"{deployment_name}-"
    if pod_name.startswith(prefix) and len(pod_name) > len(prefix):
        return pod_name[len(prefix):]
    return pod_name


def revision_label(revision: Any) -> str:
    """`name (local time, status)` of a `DeploymentRevisionSchema`, for titles and questions."""
    when = local(revision.created_at).strftime("%Y-%m-%d %H:%M:%S")
    return f"{revision.name or revision.uid[:8]} ({when}, {revision.status.value})"
