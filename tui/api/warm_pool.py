"""Idle keep-alive connections in the client's pool, so that the next screen's requests and
websockets skip the connection's handshake: one round trip each instead of two (three with TLS)
over a long link.

Why it works for websockets too: httpx-ws upgrades with ``client.stream("GET", url)`` and takes
the connection from the 101 response (``extensions["network_stream"]``); httpcore's pool hands
that request an idle HTTP/1.1 connection like any other (``AsyncConnectionPool.
_assign_requests_to_connections``), and after the 101 the connection leaves the pool for good.
So N idle connections are N websockets (or requests) opened in one round trip.

Bounded on purpose: `connections` concurrent GETs of the public ``/api/v1/info`` (every
BentoCloud and Yatai answers it; nothing is parsed) at most every `every` seconds, only while
`active()` says the screen that wants them is shown, and only within `idle_after` seconds of
the last `touch()` (a key): nobody at the keyboard, no traffic at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from tui.api.client import KEEPALIVE_EXPIRY, BentoCloudClient

log = logging.getLogger(__name__)

WARM_PATH = "/api/v1/info"
# The detail screen's GET, replicas and events websockets, and one for a request of the list's
# own in flight at that moment (over a 150 ms link its re-read once the subscription is in force
# lands ~0.8 s after the paint: an enter then paid a handshake in 2 of 5 rounds with 3).
WARM_CONNECTIONS = 4
REWARM_EVERY = KEEPALIVE_EXPIRY - 1.0  # before the pool (and the server) drop them
IDLE_AFTER = 20.0


class PoolWarmer:
    """Keeps `connections` idle connections in `client`'s pool while someone is at the keys."""

    def __init__(
        self,
        client: BentoCloudClient,
        active: Callable[[], bool] = lambda: True,
        *,
        connections: int = WARM_CONNECTIONS,
        every: float = REWARM_EVERY,
        idle_after: float = IDLE_AFTER,
    ) -> None:
        self.client = client
        self.active = active
        self.connections = connections
        self.every = every
        self.idle_after = idle_after
        self.rounds = 0  # warming rounds completed (their connections idle in the pool)
        self._touched = float("-inf")
        self._warmed = float("-inf")
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def touch(self) -> None:
        """Someone pressed a key: keep the pool warm for the next `idle_after` seconds."""
        self._touched = time.monotonic()
        if not self.running and not self.client.closed:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        while not self.client.closed:
            now = time.monotonic()
            left = self._touched + self.idle_after - now
            if left <= 0:
                return  # idle: the pool goes cold, nothing more is sent
            due = self._warmed + self.every - now
            if due <= 0 and self._is_active():
                await self.warm()
                continue
            await asyncio.sleep(min(left, due if due > 0 else self.every))

    def _is_active(self) -> bool:
        try:
            return self.active()
        except Exception:  # noqa: BLE001 - e.g. the app is gone: nothing to warm for
            return False

    async def warm(self) -> None:
        """`connections` requests at once: each takes an idle connection or opens one, and
        leaves it idle (reset to a full keep-alive) in the pool."""
        self._warmed = time.monotonic()
        http = self.client.http

        async def one() -> None:
            try:
                await http.get(WARM_PATH)  # read whole, so the connection goes back to the pool
            except Exception as exc:  # noqa: BLE001 - warming is best effort, never an error
                log.debug("warming the pool: %s", type(exc).__name__)

        await asyncio.gather(*(one() for _ in range(self.connections)))
        self.rounds += 1
