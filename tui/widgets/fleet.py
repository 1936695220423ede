"""The pulse's numbers, pure: the order of trouble, the fleet's counts, sparkline text.

Kept apart from the screen so they are cheap to test and to reuse (`bentotui watch` could
print the same summary)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from rich.text import Text

from tui.api import models as m
from tui.widgets.scaled_sparkline import BARS, bar_heights
from tui.widgets.status import STATUS_LOOK

S = m.DeploymentStatus

# Troubled first (the order), then what is on its way, then healthy, then stopped.
PULSE_RANK = {
    S.FAILED: 0, S.UNHEALTHY: 1, S.IMAGE_BUILD_FAILED: 2, S.DEPLOYING: 3, S.IMAGE_BUILDING: 3,
    S.IMAGE_BUILD_SUCCEEDED: 3, S.UNKNOWN: 4, S.RUNNING: 5, S.NON_DEPLOYED: 6,
    S.TERMINATING: 7, S.TERMINATED: 8,
}
QUIET = frozenset({S.TERMINATED, S.TERMINATING, S.NON_DEPLOYED})  # no replicas to measure


def pulse_order(deployments: Iterable[m.DeploymentSchema]) -> list[m.DeploymentSchema]:
    return sorted(deployments, key=lambda d: (PULSE_RANK.get(d.status, 4), d.name))


def replica_totals(deployments: Iterable[m.DeploymentSchema]) -> tuple[int, int]:
    """Ready and desired API-server replicas over the fleet (what the list counts)."""
    ready = desired = 0
    for d in deployments:
        if d.replicas is not None:
            ready += d.replicas.ready
            desired += d.replicas.desired
    return ready, desired


def fleet_summary(deployments: Sequence[m.DeploymentSchema]) -> Text:
    """`12 deployments · 10/11 replicas ready · ✖ 1 failed · ● 9 running …`, trouble first
    (the replicas before the counts, so a narrow terminal cuts the quiet statuses)."""
    counts = Counter(d.status for d in deployments)
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{len(deployments)} deployment{'s' if len(deployments) != 1 else ''}", style="bold")
    ready, desired = replica_totals(deployments)
    text.append(" · ")
    text.append(f"{ready}/{desired}", style="green" if ready >= desired else "yellow")
    text.append(" replicas ready")
    for status in sorted(counts, key=lambda s: PULSE_RANK.get(s, 4)):
        symbol, style = STATUS_LOOK.get(status, ("?", ""))
        text.append(" · ")
        text.append(f"{symbol} {counts[status]} {status.value}", style=style)
    return text


def spark(values: Sequence[float], width: int, floor: float = 0.0) -> str:
    """A sparkline as text on a scale from 0 (see scaled_sparkline): flat when idle."""
    if not values:
        return " " * width
    return "".join(BARS[min(int(ratio * len(BARS)), len(BARS) - 1)]
                   for ratio in bar_heights(list(values), width, floor))

