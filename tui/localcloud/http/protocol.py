"""uvicorn's httptools protocol with bounds on connections and on each request's head.

uvicorn arms no timer before a request's head is complete, so a connection that sends nothing,
or a head one byte at a time, is kept for ever (slowloris), and httptools puts no bound on a
head's size.  This subclass (passed as `uvicorn.Config(http=...)`) answers 408 when a head is
not complete within the timeout, 431 when it grows past the cap and 503 to a connection beyond
the connection cap (uvicorn's own `limit_concurrency` answers in plain text), each in the JSON
error shape, and closes the connection.  Bodies are bounded where they are read (server,
gateway).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class BoundedHttpProtocol(HttpToolsProtocol):
    """The bounds are class attributes, set on a subclass by `bounded_protocol`."""

    head_timeout_s = 10.0
    max_head_bytes = 64 * 1024
    max_connections = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    # asyncio.Protocol types it BaseTransport; uvicorn narrows it to Transport the same way (and
    # with the same ignore) in the HttpToolsProtocol this extends.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._refuse(503, f"too many connections (limit {self.max_connections}); retry shortly")
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if self._head_timer is None and (
            cycle is None or (cycle.response_complete and not cycle.more_body)
        ):
            self._arm()  # the next request's head starts (not the rest of an answered body)
        super().data_received(data)
        if self._head_timer is not None:  # all of `data` was head: it is still incomplete
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse(431, f"request head over the limit of {self.max_head_bytes} bytes")

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self._refuse(408, f"request head not received within {self.head_timeout_s:g}s")

    def _refuse(self, status: int, message: str) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        body = json.dumps({"error": message}).encode()
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large",
                  503: b"Service Unavailable"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()


def bounded_protocol(head_timeout_s: float, max_head_bytes: int,
                     max_connections: int) -> type[BoundedHttpProtocol]:
    """The protocol class with these bounds."""
    return type("BoundedHttp", (BoundedHttpProtocol,), {
        "head_timeout_s": head_timeout_s, "max_head_bytes": max_head_bytes,
        "max_connections": max_connections})
