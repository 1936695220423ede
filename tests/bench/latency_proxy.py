"""A TCP proxy on loopback that makes a link `rtt` seconds long, and counts what crosses it.

Every chunk read from either side is delivered to the other `rtt / 2` later (order kept), and a
new connection costs one more round trip before its first byte reaches the server (the TCP
handshake of a real link: connect() returns after one round trip).  HTTP, keep-alive and
websockets go through unchanged; the proxy only delays and counts:

- `connections`: new TCP connections (each one paid the handshake round trip);
- `turns`: request/response turns, i.e. bytes from the client after the server last spoke on that
  connection (or the first bytes of a connection): a request that waited for the previous answer;
- `waves`: turns that could not have overlapped: turns, in the order the client sent them, grouped
  where one started less than half a round trip after the previous (sent together, in parallel);
  each group after the first had to wait for something (an answer, a handshake).  With the
  handshakes, this is the number of sequential round trips on the path.

Used by bench_p8.py.  Not a fake of anything: the server behind it is the real local control plane.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Counts:
    connections: int = 0
    turns: int = 0
    turn_times: list[float] = field(default_factory=list)  # when each turn's first byte left the client
    connect_times: list[float] = field(default_factory=list)
    delivered_times: list[float] = field(default_factory=list)  # when server bytes reached the client

    def since(self, start: float, rtt: float) -> dict[str, object]:
        """What happened from `start` (perf_counter) on: connections, turns, waves, handshakes."""
        turns = sorted(t for t in self.turn_times if t >= start)
        connects = sorted(t for t in self.connect_times if t >= start)
        waves = 0
        last = None
        for at in turns:
            if last is None or at - last >= rtt / 2:
                waves += 1
            last = at
        delivered = [t for t in self.delivered_times if t >= start]
        return {"connections": len(connects), "turns": len(turns), "waves": waves,
                "last_answer_ms": round((max(delivered) - start) * 1000) if delivered else None,
                "turns_at_ms": [round((t - start) * 1000) for t in turns],
                "connects_at_ms": [round((t - start) * 1000) for t in connects]}


class LatencyProxy:
    def __init__(self, upstream_port: int, rtt: float = 0.150) -> None:
        self.upstream_port = upstream_port
        self.rtt = rtt
        self.port = 0
        self.counts = Counts()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="latency-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LatencyProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def snapshot(self) -> float:
        """A mark to count from (see `Counts.since`)."""
        return time.perf_counter()

    def since(self, mark: float) -> dict[str, object]:
        with self._lock:
            return self.counts.since(mark, self.rtt)

    # ------------------------------------------------------------------ the loop

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        with self._lock:
            self.counts.connections += 1
            self.counts.connect_times.append(time.perf_counter())
        state = {"last": "server"}  # who spoke last on this connection: the first bytes are a turn
        try:
            await asyncio.sleep(self.rtt)  # the handshake's round trip
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except (OSError, asyncio.CancelledError):
            client_w.close()
            return
        up = asyncio.create_task(self._pipe(client_r, server_w, state, "client"))
        down = asyncio.create_task(self._pipe(server_r, client_w, state, "server"))
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (up, down):
                task.cancel()
            for writer in (client_w, server_w):
                writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    state: dict[str, str], side: str) -> None:
        """Read from one side; deliver each chunk `rtt / 2` after it was read, in order."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    writer.write_eof() if writer.can_write_eof() else writer.close()
                    return
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
                if side == "server":
                    with self._lock:
                        self.counts.delivered_times.append(time.perf_counter())

        sender = asyncio.create_task(deliver())
        try:
            while True:
                data = await reader.read(65536)
                now = time.perf_counter()
                if data and side == "client" and state["last"] == "server":
                    with self._lock:
                        self.counts.turns += 1
                        self.counts.turn_times.append(now)
                if data:
                    state["last"] = side
                queue.put_nowait((now + self.rtt / 2, data))
                if not data:
                    break
            await sender
        finally:
            sender.cancel()
