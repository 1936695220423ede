"""How many replicas a component should have: load in, a replica count out.

Pure and clock-injected, so the policy is testable without processes.  Scaling up follows the
load at once; scaling down waits until the lower count has been recommended for a whole
stabilization window (the Kubernetes HPA's scale-down stabilization), so a short lull does not
kill replicas that are needed a second later.
"""

from __future__ import annotations

import math
from collections import deque


def desired_replicas(inflight: int, target_per_replica: int, floor: int, maximum: int) -> int:
    """clamp(ceil(inflight / target), floor, max) -- max never below floor."""
    want = math.ceil(inflight / max(target_per_replica, 1))
    return max(floor, min(want, max(maximum, floor)))


def replica_floor(mode: str, min_replicas: int, idle: bool) -> int:
    """Online Service never goes below 1; an On-Demand Function goes to 0 once idle."""
    if mode == "function" and idle:
        return 0
    return max(min_replicas, 1)


class Autoscaler:
    """The recent recommendations of one component, for stabilized scale-down."""

    def __init__(self, stabilization_s: float, now: float, current: int) -> None:
        self.stabilization_s = stabilization_s
        self._history: deque[tuple[float, int]] = deque()
        self._since = now

    def reset(self, now: float, count: int) -> None:
        """After a scale action: the next scale-down needs a whole window of lower demand."""
        self._history.clear()
        self._since = now

    def decide(self, now: float, current: int, desired: int, to_zero: bool = False) -> int:
        """The count to scale to now.  ``to_zero``: idle scale-to-zero skips stabilization
        (the idle window already was one)."""
        self._history.append((now, desired))
        horizon = now - self.stabilization_s
        while self._history[0][0] < horizon:
            self._history.popleft()
        if desired >= current or (to_zero and desired == 0):
            return desired
        if now - self._since < self.stabilization_s:  # the window is not covered yet
            return current
        return min(current, max(n for _, n in self._history))
