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
buffered, so a replica dying under a request is retried once on another ready replica (a
request that reached a replica which then died may thus run twice).  The ``Authorization``
header is removed when it carries the control plane's token (and always when the deployment
requires it); another bearer value is the service's own and passes through.  An
``X-YATAI-API-TOKEN`` header is always removed.  Every answer,
the gateway's own errors included, is recorded for the metrics.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tui.localcloud.metrics import MetricsStore
from tui.localcloud.runtime_types import bounded
from tui.localcloud.upstream import UpstreamError, UpstreamPool, UpstreamTimeout

if TYPE_CHECKING:
    from tui.localcloud.replica import Replica
    from tui.localcloud.runtime import DeploymentState

log = logging.getLogger(__name__)

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
# every header) must never get it, whoever sent it.
DROP_REQUEST = HOP_BY_HOP | {b"host", b"content-length", b"x-yatai-api-token"}
DROP_RESPONSE = HOP_BY_HOP | {b"date", b"server"}  # the front server adds its own
MAX_BODY_BYTES = 64 * 1024 * 1024


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
    ) -> None:
        self._resolve = resolve
        self._token = api_token.encode() if api_token else None
        self._metrics = metrics
        self.upstream = UpstreamPool()
        self._rr = 0

    async def start(self) -> None:
        pass  # connections are opened on demand

    async def close(self) -> None:
        await self.upstream.close()

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
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

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
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

        headers: list[tuple[bytes, bytes]] = []
        authorization = b""
        for key, value in scope["headers"]:
            key = key.lower()
            if key == b"authorization":
                authorization = value
            elif key not in DROP_REQUEST:
                headers.append((key, value))
        ours = authorization.startswith(b"Bearer ") and self._token is not None and (
            hmac.compare_digest(authorization[7:].strip(), self._token)
        )
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
        if authorization and not ours and not spec.require_bearer_token:
            headers.append((b"authorization", authorization))  # the service's own, not ours

        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                await _send_json(send, 413, {"error": f"request body over {MAX_BODY_BYTES} bytes"})
                return
            if not message.get("more_body"):
                break

        client = scope.get("client")
        headers.append((b"x-forwarded-for", (client[0] if client else "127.0.0.1").encode()))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
        upstream_path = _upstream_path(scope, cluster, name, parts)
        query = scope.get("query_string") or b""
        if query:
            upstream_path += "?" + query.decode("latin-1")

        status = 500
        dep.inflight += 1
        dep.touch()
        try:
            status = await self._serve(dep, scope["method"], upstream_path, headers, bytes(body), send, started)
        except GatewayError as exc:
            status = exc.status
            await _send_json(send, status, {"error": exc.message})
        finally:
            dep.inflight -= 1
            dep.touch()
            self._metrics.record_request(dep.uid, status, time.perf_counter() - started)

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
            try:
                out_headers = [(k, v) for k, v in response.headers if k not in DROP_RESPONSE]
                out_headers.append((b"x-bentotui-replica", replica.name.encode()))
                await send({"type": "http.response.start", "status": response.status, "headers": out_headers})
                try:
                    async for chunk in response.body(max(deadline - asyncio.get_running_loop().time(), 0.001)):
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError) as exc:
                    log.warning("response from %s cut short: %r", replica.name, exc)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return response.status
            finally:
                response.release()
        finally:
            replica.inflight -= 1


class _Retry(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _upstream_path(scope: dict[str, Any], cluster: str, name: str, parts: list[str]) -> str:
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
