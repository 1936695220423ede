"""In-process change notification for the websocket routes.

Listeners do not get a queue of every change: each keeps a set of "dirty" keys and an
`asyncio.Event`.  A slow websocket therefore coalesces bursts (100 status flips become one
push of the latest state) and its memory stays bounded however fast changes arrive.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

ChangeKind = Literal["created", "deployment", "deleted", "pods", "events"]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    deployment_uid: str
    cluster: str


@dataclass(eq=False)
class Listener:
    """One websocket's view of the hub."""

    kinds: frozenset[str]
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    pending: dict[tuple[str, str], Change] = field(default_factory=dict)

    def offer(self, change: Change) -> None:
        if change.kind in self.kinds:
            # 'deleted' must not be overwritten by a later 'deployment' for the same uid key.
            self.pending[(change.kind, change.deployment_uid)] = change
            self.wake.set()

    async def next_batch(self, timeout: float | None = None) -> list[Change]:
        """Changes since the last call; [] on timeout (callers use it as a heartbeat tick)."""
        if not self.pending:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout)
            except asyncio.TimeoutError:
                return []
        self.wake.clear()
        batch = list(self.pending.values())
        self.pending.clear()
        return batch


class Hub:
    def __init__(self) -> None:
        self._listeners: set[Listener] = set()

    def listen(self, *kinds: ChangeKind) -> Listener:
        listener = Listener(frozenset(kinds))
        self._listeners.add(listener)
        return listener

    def forget(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    def publish(self, change: Change) -> None:
        for listener in tuple(self._listeners):
            listener.offer(change)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)
