"""The deployments' front door: a raw ASGI app that routes requests to ready API-server replicas.

Mounted by the server at ``/gw``; a deployment's URL is ``{endpoint}/gw/{cluster}/{name}``.
The app accepts both mount styles: a scope whose ``path`` still carries the ``root_path``
prefix (Starlette >= 0.33 `Mount`) and one where the prefix was stripped (``path`` =
``/{cluster}/{name}/...``).  Standalone (``uvicorn tui...:app``) it serves ``/{cluster}/{name}``.
A cluster literally named like the mount's last segment is ambiguous in the stripped style.

Routing: least in-flight among ready replicas (round-robin among equals), over a shared
keep-alive connection pool (`upstream.UpstreamPool`; see there why not httpx).  With no ready
replica, an On-Demand Function queues the request until one is ready (waking it from zero,
bounded by the cold-start timeout or the request timeout) and an Online Service answers 503.
``max_consume_concurrency`` bounds the requests forwarded at once.  The request body is
buffered (bounded: `Limits.gateway_request_bytes` per request -> 413, `gateway_buffered_bytes`
for all together -> 503, `body_read_timeout_s` per read -> 408), so a replica dying under a
request is retried once on another ready replica (a request that reached a replica which then
died may thus run twice).  The answer is streamed in pieces up to `gateway_response_bytes`:
over it, or malformed (bad status line, header or length, broken chunks), it is a 502 with a
reason while nothing was sent, and a cut connection afterwards, never a complete-looking body.

The control plane's token never reaches a replica (user code that reads every header): every
header carrying it is dropped, whatever the scheme's spelling (``bearer``, a tab, ``Basic``
with it base64-encoded, the token alone), and ``X-YATAI-API-TOKEN`` always; another
``Authorization`` is the service's own and passes through.  The client's X-Forwarded-* and
``Forwarded`` are dropped and set from the real peer; hop-by-hop headers (and those a
``Connection`` header names) are dropped both ways.  Every answer, the gateway's own errors
included, is recorded for the metrics.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import time
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from tui.localcloud.limits import Limits
from tui.localcloud.runtime.metrics import MetricsStore
from tui.localcloud.runtime.records import DeploymentSpec, Pulse, bounded
from tui.localcloud.runtime.upstream import UpstreamBadResponse, UpstreamError, UpstreamPool, UpstreamTimeout

if TYPE_CHECKING:
    from tui.localcloud.runtime.replica import Replica

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]  # an ASGI scope, typed as Starlette types it


class DeploymentState(Protocol):
    """What the gateway needs of a running deployment (the orchestrator's `DeploymentState`).

    A protocol, so the gateway never imports the orchestrator that owns it.
    """

    spec: DeploymentSpec
    uid: str
    name: str
    inflight: int
    terminating: bool
    changed: Pulse
    semaphore: asyncio.Semaphore | None

    def touch(self) -> None: ...
    def wake(self) -> None: ...
    def routable_api_replicas(self) -> list[Replica]: ...
    def not_ready_reason(self) -> str: ...

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# X-YATAI-API-TOKEN is the control plane's own credential: the service (user code that can read
# every header) must never get it, whoever sent it.  The X-Forwarded-* a client sends are not
# trusted: the gateway sets them from what it saw.
FORWARDED = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded",
                       b"x-real-ip"})
DROP_REQUEST = HOP_BY_HOP | FORWARDED | {b"host", b"content-length", b"x-yatai-api-token"}
DROP_RESPONSE = HOP_BY_HOP | {b"date", b"server"}  # the front server adds its own


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    """Header names a `Connection` header declares hop-by-hop (RFC 9110 7.6.1)."""
    named: set[bytes] = set()
    for key, value in headers:
        if key.lower() == b"connection":
            named.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return named


def _credential(value: bytes) -> bytes:
    """The credential of an Authorization value, whatever the scheme's case or spacing."""
    parts = value.split(None, 1)
    return parts[1].strip() if len(parts) == 2 else value.strip()


def _carries(value: bytes, token: bytes, credential: bool) -> bool:
    """Whether a header value carries `token`: as is, or (a `credential`, the Authorization
    header) base64-encoded as `Basic` sends it."""
    if token in value:
        return True
    if not credential:
        return False
    try:
        decoded = base64.b64decode(_credential(value) + b"==", validate=False)
    except (binascii.Error, ValueError):
        return False
    return token in decoded


class GatewayError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Gateway:
    """ASGI app; `resolve(cluster, name)` finds the running deployment (or None)."""

    def __init__(
        self,
        resolve: Callable[[str, str], DeploymentState | None],
        api_token: str | None,
        metrics: MetricsStore,
        limits: Limits | None = None,
    ) -> None:
        self._resolve = resolve
        self._token = api_token.encode() if api_token else None
        self._metrics = metrics
        self.limits = limits or Limits.from_env()
        self.upstream = UpstreamPool()
        self._rr = 0
        self._buffered = 0  # request body bytes held across every request in flight

    async def start(self) -> None:
        pass  # connections are opened on demand

    async def close(self) -> None:
        await self.upstream.close()

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1003})
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        path: str = scope["path"]
        root: str = scope.get("root_path") or ""
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root) :]
        parts = path.split("/", 3)
        if len(parts) < 3 or not parts[1] or not parts[2]:
            await _send_json(send, 404, {"error": "expected a deployment URL: /{cluster}/{name}/..."})
            return
        cluster, name = parts[1], parts[2]
        dep = self._resolve(cluster, name)
        if dep is None:
            await _send_json(send, 404, {"error": f"deployment {name} not found in cluster {cluster}"})
            return
        spec = dep.spec

        headers, ours = self._request_headers(scope["headers"])
        if spec.require_bearer_token and not ours:
            status = 401
            await _send_json(
                send,
                status,
                {"error": "missing or invalid bearer token (Authorization: Bearer <api token>)"},
                [(b"www-authenticate", b'Bearer realm="bentotui"')],
            )
            self._metrics.record_request(dep.uid, status, time.perf_counter() - started)
            return

        try:
            body = await self._read_body(scope, receive)
        except GatewayError as exc:  # a stalled body will not come: free the connection (after
            # a 413 uvicorn discards the rest; closing would lose the answer to a client still sending)
            close = [(b"connection", b"close")] if exc.status == 408 else []
            await _send_json(send, exc.status, {"error": exc.message}, close)
            self._metrics.record_request(dep.uid, exc.status, time.perf_counter() - started)
            return
        if body is None:
            return  # the client went away
        client = scope.get("client")
        headers.append((b"x-forwarded-for", (client[0] if client else "127.0.0.1").encode()))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
        host = next((v for k, v in scope["headers"] if k.lower() == b"host"), None)
        if host is not None:
            headers.append((b"x-forwarded-host", host))
        upstream_path = _upstream_path(scope, cluster, name, parts)
        query = scope.get("query_string") or b""
        if query:
            upstream_path += "?" + query.decode("latin-1")

        status = 500
        dep.inflight += 1
        dep.touch()
        try:
            status = await self._serve(dep, scope["method"], upstream_path, headers, body, send, started)
        except GatewayError as exc:
            status = exc.status
            await _send_json(send, status, {"error": exc.message})
        except _CutShort:
            status = 502  # the connection is closed without completing the response
        finally:
            self._buffered -= len(body)
            dep.inflight -= 1
            dep.touch()
            self._metrics.record_request(dep.uid, status, time.perf_counter() - started)

    def _request_headers(self, raw: list[tuple[bytes, bytes]]) -> tuple[list[tuple[bytes, bytes]], bool]:
        """The headers to forward, and whether the caller presented the control plane's token
        as a bearer.  Nothing that carries the token is forwarded, whatever its spelling."""
        token = self._token
        hop = _connection_tokens(raw)
        headers: list[tuple[bytes, bytes]] = []
        ours = False
        for key, value in raw:
            key = key.lower()
            if key in DROP_REQUEST or key in hop:
                continue
            if key == b"authorization" and token is not None:
                scheme = value.split(None, 1)[0].lower() if value.strip() else b""
                if scheme == b"bearer" and hmac.compare_digest(_credential(value), token):
                    ours = True
            if token is not None and (token in key or _carries(value, token, key == b"authorization")):
                continue
            headers.append((key, value))
        return headers, ours

    async def _read_body(self, scope: Scope, receive: Any) -> bytes | None:
        """The whole request body (None if the client left), bounded in size, in time and in
        what all requests together may hold (GatewayError 413 / 408 / 503)."""
        cap = self.limits.gateway_request_bytes
        for key, value in scope["headers"]:
            if key.lower() == b"content-length" and value.strip().isdigit() and int(value) > cap:
                raise GatewayError(413, f"request body of {int(value)} bytes is over the limit of {cap} bytes")
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                try:
                    message = await bounded(receive(), self.limits.body_read_timeout_s)
                except asyncio.TimeoutError:
                    raise GatewayError(
                        408, f"request body not received within {self.limits.body_read_timeout_s:g}s"
                    ) from None
                if message["type"] == "http.disconnect":
                    self._buffered -= size
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                self._buffered += len(chunk)
                if size > cap:
                    raise GatewayError(413, f"request body is over the limit of {cap} bytes")
                if self._buffered > self.limits.gateway_buffered_bytes:
                    raise GatewayError(
                        503, "the gateway holds too many request bytes at once; retry shortly"
                    )
                parts.append(chunk)
                if not message.get("more_body"):
                    break
        except BaseException:
            self._buffered -= size
            raise
        return b"".join(parts)

    # ------------------------------------------------------------------ routing

    async def _serve(
        self,
        dep: DeploymentState,
        method: str,
        path: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        send: Any,
        started: float,
    ) -> int:
        spec = dep.spec
        loop = asyncio.get_running_loop()
        deadline = loop.time() + spec.request_timeout_s - (time.perf_counter() - started)
        replica = self._pick(dep, ()) or await self._wait_for_replica(dep, deadline)
        semaphore = dep.semaphore
        if semaphore is not None:
            try:
                await bounded(semaphore.acquire(), deadline - loop.time())
            except asyncio.TimeoutError:
                raise GatewayError(
                    504, f"request waited {spec.request_timeout_s:g}s in the queue of {dep.name}"
                ) from None
        try:
            if not replica.routable:  # it went away while we waited for our turn
                replica = self._pick(dep, ()) or await self._wait_for_replica(dep, deadline)
            try:
                return await self._forward(replica, method, path, headers, body, send, deadline)
            except _Retry as first:
                other = self._pick(dep, (replica.name,))
                if other is None:
                    raise GatewayError(
                        502, f"replica {replica.name} of {dep.name} failed: {first.reason}"
                    ) from None
                try:
                    return await self._forward(other, method, path, headers, body, send, deadline)
                except _Retry as second:
                    raise GatewayError(
                        502,
                        f"replicas {replica.name} and {other.name} of {dep.name} failed: "
                        f"{second.reason}",
                    ) from None
        finally:
            if semaphore is not None:
                semaphore.release()

    def _pick(self, dep: DeploymentState, exclude: tuple[str, ...]) -> Replica | None:
        ready = dep.routable_api_replicas()
        if exclude:
            ready = [r for r in ready if r.name not in exclude]
        if not ready:
            return None
        if len(ready) == 1:
            return ready[0]
        self._rr += 1
        start = self._rr % len(ready)
        best = None
        for i in range(len(ready)):
            candidate = ready[(start + i) % len(ready)]
            if best is None or candidate.inflight < best.inflight:
                best = candidate
        return best

    async def _wait_for_replica(self, dep: DeploymentState, deadline: float) -> Replica:
        """No ready replica now: queue (function mode) or refuse (Online Service)."""
        spec = dep.spec
        loop = asyncio.get_running_loop()
        if spec.cold_start_timeout_s is not None:
            deadline = min(deadline, loop.time() + spec.cold_start_timeout_s)
        while True:
            if dep.terminating:
                raise GatewayError(503, f"no ready replica for {dep.name}: deployment is terminating")
            replica = self._pick(dep, ())
            if replica is not None:
                return replica
            if spec.mode != "function":
                raise GatewayError(503, f"no ready replica for {dep.name}: {dep.not_ready_reason()}")
            dep.wake()
            if not spec.request_queue_enabled:
                raise GatewayError(
                    503, f"no ready replica for {dep.name}: starting (the request queue is disabled)"
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise GatewayError(
                    504, f"no replica of {dep.name} became ready in time: {dep.not_ready_reason()}"
                )
            await dep.changed.wait(remaining)

    async def _forward(
        self,
        replica: Replica,
        method: str,
        path: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        send: Any,
        deadline: float,
    ) -> int:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0 or replica.port is None:
            raise GatewayError(504, f"request timed out before reaching {replica.name}")
        replica.inflight += 1
        try:
            try:
                response = await self.upstream.request(replica.port, method, path, headers, body, remaining)
            except UpstreamTimeout:
                raise GatewayError(
                    504, f"replica {replica.name} did not answer within {remaining:.3g}s"
                ) from None
            except UpstreamError as exc:
                raise _Retry(str(exc)) from None
            except UpstreamBadResponse as exc:
                raise GatewayError(
                    502, f"replica {replica.name} sent a malformed response: {exc}"
                ) from None
            try:
                return await self._relay(replica, response, send, deadline)
            finally:
                response.release()
        finally:
            replica.inflight -= 1

    async def _relay(self, replica: Replica, response: Any, send: Any, deadline: float) -> int:
        """Stream the replica's answer to the client, bounded by the response-size limit.

        Until the first body bytes are in hand nothing is sent, so a bad or oversized answer
        becomes a 502 with a reason; after that, a failure cuts the connection (`_CutShort`)
        so the client never takes a truncated body for a complete one."""
        cap = self.limits.gateway_response_bytes
        if response.length is not None and response.length > cap:
            raise GatewayError(
                502, f"replica {replica.name} announced {response.length} bytes; the limit is {cap} bytes"
            )
        loop = asyncio.get_running_loop()
        pieces = response.body(max(deadline - loop.time(), 0.001))
        sent = 0
        try:
            first = await anext(pieces, b"")
        except TimeoutError:
            raise GatewayError(504, f"replica {replica.name} stopped answering before the deadline") from None
        except UpstreamBadResponse as exc:
            raise GatewayError(502, f"replica {replica.name} sent a malformed response: {exc}") from None
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            raise GatewayError(502, f"replica {replica.name} broke off its answer: {_reason(exc)}") from None
        if len(first) > cap:
            raise GatewayError(502, f"replica {replica.name} answered over the limit of {cap} bytes")
        hop = _connection_tokens(response.headers)
        out_headers = [(k, v) for k, v in response.headers if k not in DROP_RESPONSE and k not in hop]
        out_headers.append((b"x-bentotui-replica", replica.name.encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": out_headers})
        try:
            chunk = first
            while True:
                if chunk:
                    sent += len(chunk)
                    if sent > cap:
                        raise _CutShort(f"over the limit of {cap} bytes")
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = await anext(pieces, None)
                if chunk is None:
                    break
        except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError, UpstreamBadResponse,
                _CutShort) as exc:
            log.warning("response from %s cut after %d bytes: %s", replica.name, sent, _reason(exc))
            raise _CutShort(_reason(exc)) from None
        finally:
            await pieces.aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return response.status


class _CutShort(Exception):
    """The answer failed after its head was sent: the client's connection is closed unfinished."""


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, (UpstreamBadResponse, _CutShort)) else f"{type(exc).__name__}: {text}"


class _Retry(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _upstream_path(scope: Scope, cluster: str, name: str, parts: list[str]) -> str:
    """The path after /{cluster}/{name}, percent-encoded as the client sent it."""
    raw = scope.get("raw_path")
    if raw:
        raw = raw.split(b"?", 1)[0]
        marker = f"/{cluster}/{name}".encode()
        at = raw.find(marker)
        if at >= 0:
            rest = raw[at + len(marker) :]
            if not rest or rest.startswith(b"/"):
                return rest.decode("latin-1") or "/"
    return "/" + quote(parts[3]) if len(parts) > 3 else "/"


async def _send_json(
    send: Any, status: int, payload: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    data = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": data})
