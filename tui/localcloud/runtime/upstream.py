"""A minimal keep-alive HTTP/1.1 client for the gateway's hop to loopback replicas.

Why not httpx: its connection pool re-scans every connection for every queued request
(httpcore's ``_assign_requests_to_connections``), so a burst of 500 concurrent requests to one
deployment spent ~5 s of CPU in the pool alone (measured: 500 requests in 3.7-7 s through
httpx against 0.4 s direct).  This client keeps idle connections per port in a LIFO list and
does one ``write`` per request, which is all a hop to our own replicas needs.

It speaks what replicas send: a status line, headers, then a body delimited by
Content-Length, chunked encoding, or the connection closing.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import AsyncIterator

CHUNK = 64 * 1024
MAX_HEAD = 64 * 1024


class UpstreamError(Exception):
    """The replica could not be reached or broke the connection before answering.

    Nothing of the answer was seen, so the request may be sent again elsewhere."""


class UpstreamTimeout(Exception):
    pass


class UpstreamBadResponse(Exception):
    """The replica answered something that is not valid HTTP/1.1 (a bad status line, header or
    length, broken chunk framing).  The request reached it, so it is not sent again."""


# RFC 9110 field names are tokens; values are visible characters, spaces and tabs.
_FIELD_NAME = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_HEX = re.compile(rb"^[0-9A-Fa-f]{1,15}$")
_STATUS_LINE = re.compile(rb"^HTTP/1\.[01] [1-5][0-9][0-9](?: [^\x00-\x08\x0a-\x1f\x7f]*)?\r?\n$")


if sys.version_info >= (3, 11):
    _timeout = asyncio.timeout
else:  # pragma: no cover - Python 3.10

    @contextlib.asynccontextmanager
    async def _timeout(delay: float | None) -> AsyncIterator[None]:
        task = asyncio.current_task()
        assert task is not None
        handle = asyncio.get_running_loop().call_later(delay, task.cancel) if delay is not None else None
        try:
            yield
        except asyncio.CancelledError:
            if handle is not None and handle.when() <= asyncio.get_running_loop().time():
                raise TimeoutError from None
            raise
        finally:
            if handle is not None:
                handle.cancel()


class _Conn:
    __slots__ = ("reader", "writer", "idle_since")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    def usable(self, expiry: float) -> bool:
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and time.monotonic() - self.idle_since < expiry
        )

    def close(self) -> None:
        self.writer.close()


class Response:
    """Status and headers are read; iterate `body()` then `release()` (or just `release()`)."""

    def __init__(self, pool: UpstreamPool, port: int, conn: _Conn, status: int,
                 headers: list[tuple[bytes, bytes]], length: int | None, chunked: bool,
                 keep_alive: bool, no_body: bool) -> None:  # fmt: skip
        self._pool = pool
        self._port = port
        self._conn: _Conn | None = conn
        self.status = status
        self.headers = headers
        self._length = length
        self._chunked = chunked
        self._keep_alive = keep_alive
        self._done = no_body or length == 0

    @property
    def length(self) -> int | None:
        """The announced Content-Length (None when chunked or delimited by the close)."""
        return None if self._done else self._length

    async def body(self, timeout: float) -> AsyncIterator[bytes]:
        """The body's bytes (de-chunked); each read waits at most `timeout` seconds."""
        assert self._conn is not None
        reader = self._conn.reader
        if self._done:
            return
        if self._chunked:
            while True:
                async with _timeout(timeout):
                    size_line = await reader.readline()
                if not size_line:
                    raise ConnectionResetError("replica closed the connection mid-body")
                digits = size_line.split(b";", 1)[0].strip()
                if not _HEX.match(digits):
                    raise UpstreamBadResponse(f"bad chunk size line {size_line[:40]!r}")
                size = int(digits, 16)
                if size == 0:
                    async with _timeout(timeout):
                        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                    break
                # Read the chunk in pieces: a replica announcing a 1 GiB chunk must not make
                # the gateway hold 1 GiB (readexactly(size) did).
                while size:
                    async with _timeout(timeout):
                        data = await reader.read(min(size, CHUNK))
                    if not data:
                        raise ConnectionResetError("replica closed the connection mid-chunk")
                    size -= len(data)
                    yield data
                async with _timeout(timeout):
                    end = await reader.readline()
                if end not in (b"\r\n", b"\n"):
                    raise UpstreamBadResponse("chunk data not followed by CRLF")
        elif self._length is not None:
            left = self._length
            while left:
                async with _timeout(timeout):
                    data = await reader.read(min(left, CHUNK))
                if not data:
                    raise ConnectionResetError("replica closed the connection mid-body")
                left -= len(data)
                yield data
        else:
            self._keep_alive = False
            while True:
                async with _timeout(timeout):
                    data = await reader.read(CHUNK)
                if not data:
                    break
                yield data
        self._done = True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._done and self._keep_alive:
            self._pool._put(self._port, conn)
        else:
            conn.close()


class UpstreamPool:
    def __init__(self, max_idle_per_port: int = 256, idle_expiry_s: float = 5.0) -> None:
        self._idle: dict[int, list[_Conn]] = {}
        self._max_idle = max_idle_per_port
        self._expiry = idle_expiry_s

    def _put(self, port: int, conn: _Conn) -> None:
        idle = self._idle.setdefault(port, [])
        if len(idle) >= self._max_idle:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        idle.append(conn)

    def _get(self, port: int) -> _Conn | None:
        idle = self._idle.get(port)
        while idle:
            conn = idle.pop()  # most recently used: least likely to have been closed
            if conn.usable(self._expiry):
                return conn
            conn.close()
        return None

    def forget(self, port: int) -> None:
        """Close idle connections to a port whose replica is gone."""
        for conn in self._idle.pop(port, []):
            conn.close()

    async def close(self) -> None:
        for port in list(self._idle):
            self.forget(port)

    async def request(
        self,
        port: int,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        timeout: float,
    ) -> Response:
        """Send the request and read the response head.  Raises `UpstreamError` (retryable:
        nothing was answered) or `UpstreamTimeout`."""
        lines = [f"{method} {target} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n".encode()]
        lines += [k + b": " + v + b"\r\n" for k, v in headers]
        lines.append(b"content-length: %d\r\n\r\n" % len(body))
        payload = (b"".join(lines), body)  # two writes: no copy of a large body
        try:
            async with _timeout(timeout):
                conn = self._get(port)
                if conn is not None:
                    try:
                        return await self._exchange(port, conn, method, payload)
                    except UpstreamError:
                        pass  # a keep-alive connection the replica had closed: use a new one
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError as exc:
                    raise UpstreamError(f"cannot connect to port {port}: {exc.strerror or exc}") from None
                return await self._exchange(port, _Conn(reader, writer), method, payload)
        except TimeoutError:
            raise UpstreamTimeout(f"no answer within {timeout:.3g}s") from None

    async def _exchange(self, port: int, conn: _Conn, method: str, payload: tuple[bytes, bytes]) -> Response:
        try:
            conn.writer.write(payload[0])
            if payload[1]:
                conn.writer.write(payload[1])
            status_line = await conn.reader.readline()
            if not status_line:
                raise ConnectionResetError("connection closed before the status line")
            if not _STATUS_LINE.match(status_line):
                conn.close()
                raise UpstreamBadResponse(f"bad status line {status_line[:60]!r}")
            parts = status_line.split(None, 2)
            version, status = parts[0], int(parts[1])
            headers: list[tuple[bytes, bytes]] = []
            size = len(status_line)
            while True:
                line = await conn.reader.readline()
                size += len(line)
                if line in (b"\r\n", b"\n"):
                    break
                if not line or size > MAX_HEAD:
                    raise ConnectionResetError("incomplete response head")
                key, colon, value = line.partition(b":")
                value = value.strip()
                if not colon or not _FIELD_NAME.match(key) or _BAD_VALUE.search(value):
                    conn.close()
                    raise UpstreamBadResponse(f"bad header line {line[:60]!r}")
                headers.append((key.lower(), value))
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            conn.close()
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from None
        except BaseException:
            conn.close()
            raise
        length: int | None = None
        chunked = False
        keep_alive = version == b"HTTP/1.1"
        for key, value in headers:
            if key == b"content-length":
                if not value.isdigit() or len(value) > 18 or (length is not None and int(value) != length):
                    conn.close()
                    raise UpstreamBadResponse(f"bad Content-Length {value[:40]!r}")
                length = int(value)
            elif key == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif key == b"connection":
                token = value.lower()
                keep_alive = b"close" not in token and (keep_alive or b"keep-alive" in token)
        if chunked and length is not None:  # RFC 9112 6.3: a smuggling vector, never forwarded
            conn.close()
            raise UpstreamBadResponse("both Transfer-Encoding: chunked and Content-Length")
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        return Response(self, port, conn, status, headers, None if chunked else length, chunked, keep_alive, no_body)
