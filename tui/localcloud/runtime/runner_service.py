"""A stable loopback address for one runner: a TCP load balancer, like a Kubernetes Service.

API-server replicas are given this address (``BENTOTUI_RUNNERS``) instead of the runner
replicas' own ports, which change as runners scale and restart.  Each incoming connection is
piped to the ready runner replica with the fewest open connections; when none is ready it
waits (bounded) for one, waking a scaled-to-zero deployment on the way.  Open connections are
the runner's in-flight load that the scaler reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from tui.localcloud.runtime.replica import Replica

log = logging.getLogger(__name__)
CHUNK = 64 * 1024


class RunnerService:
    def __init__(
        self,
        runner_name: str,
        replicas: Callable[[], list[Replica]],
        wait_for_change: Callable[[float], Coroutine[Any, Any, bool]],
        wake: Callable[[], None],
        timeout_s: float,
    ) -> None:
        self.runner_name = runner_name
        self._replicas = replicas
        self._wait_for_change = wait_for_change
        self._wake = wake
        self._timeout_s = timeout_s
        self.active = 0  # open client connections = in-flight runner calls
        self.port: int | None = None
        self._server: asyncio.base_events.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._rr = 0
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._closed = True
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(BaseException):
                await task
        self._server = None

    def _pick(self, exclude: set[str]) -> Replica | None:
        ready = [r for r in self._replicas() if r.routable and r.name not in exclude]
        if not ready:
            return None
        self._rr += 1
        ready = ready[self._rr % len(ready) :] + ready[: self._rr % len(ready)]
        return min(ready, key=lambda r: r.inflight)

    async def _connect(self) -> tuple[Replica, asyncio.StreamReader, asyncio.StreamWriter] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        failed: set[str] = set()
        while not self._closed:
            replica = self._pick(failed)
            if replica is not None and replica.port is not None:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", replica.port)
                    return replica, reader, writer
                except OSError:
                    failed.add(replica.name)  # died between probe and connect: try another
                    continue
            if not any(not r.terminating for r in self._replicas()):
                self._wake()  # scaled to zero (function mode): start one
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            failed.clear()
            await self._wait_for_change(min(remaining, 0.25))
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        self.active += 1
        try:
            upstream = await self._connect()
            if upstream is None:
                log.warning("no ready replica of runner %s; dropping a connection", self.runner_name)
                return
            replica, up_reader, up_writer = upstream
            replica.inflight += 1
            try:
                to_runner = asyncio.ensure_future(_pipe(reader, up_writer, half_close=True))
                try:
                    await _pipe(up_reader, writer, half_close=False)
                finally:
                    to_runner.cancel()
                    with contextlib.suppress(BaseException):
                        await to_runner
            finally:
                replica.inflight -= 1
                up_writer.close()
        finally:
            self.active -= 1
            writer.close()
            if task is not None:
                self._handlers.discard(task)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, half_close: bool) -> None:
    try:
        while True:
            data = await src.read(CHUNK)
            if not data:
                break
            dst.write(data)
            await dst.drain()
        if half_close and dst.can_write_eof():
            dst.write_eof()
    except (ConnectionError, OSError):
        pass
