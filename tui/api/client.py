"""The async REST client of the BentoCloud / Yatai v1 API (and our local control plane).

One class over one `httpx.AsyncClient`. Every method returns a parsed model or raises one of
the typed errors of `tui.api.errors`; nothing above this layer sees HTTP. Responses are parsed
tolerantly (`models.parse_response`), and only status 200 counts as success, as in bentoml's
own client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from tui.api import models as m
from tui.api import paging
from tui.api.errors import (
    ApiError,
    BadResponse,
    ConnectionFailed,
    NotFoundError,
    RequestRejected,
    ServerError,
    UnauthorizedError,
    redact,
    snippet,
)
from tui.api.wire import ORGANIZATION_HEADER, TOKEN_HEADER, USER_AGENT  # noqa: F401 - re-exported

if TYPE_CHECKING:  # httpx is imported on first use: it costs ~100 ms of every start
    import httpx

    from tui.api.prefetch import Prefetch
    from tui.api.sharing import SharedParts

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

CONNECT_TIMEOUT = 5.0
# An idle pooled connection is dropped after this, just before the server would close it (uvicorn:
# 5 s; load balancers: ~60 s), so a request never races the server's close.  tui/api/warm_pool.py
# keeps a few warm within it while keys are pressed.
KEEPALIVE_EXPIRY = 4.5
MAX_CONNECTIONS, MAX_IDLE_CONNECTIONS = 100, 20  # httpx's defaults


def _seg(value: str) -> str:
    """One path segment, percent-encoded (bento versions may hold odd characters)."""
    return quote(str(value), safe="")


def _params(**values: Any) -> dict[str, Any]:
    """Query parameters with the unset (None) ones left out, as bentoml's client does."""
    return {k: v for k, v in values.items() if v is not None}


def _cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_transport_error(exc: Exception, endpoint: str, timeout: float) -> str:
    """A one-line, user-facing reason for an httpx transport failure, naming the endpoint.

    httpx wraps the OS error (anyio says only "All connection attempts failed"), so the
    whole cause chain is read."""
    import httpx

    chain = _cause_chain(exc)
    text = " | ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        text += " | connection refused"
    if any(isinstance(e, socket.gaierror) for e in chain):
        text += " | name resolution"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect to {endpoint} (timed out after {CONNECT_TIMEOUT:g} s)"
    if isinstance(exc, httpx.TimeoutException):
        return f"{endpoint} did not answer within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text:
            reason = "connection refused"
        elif any(
            s in text
            for s in ("name or service not known", "nodename nor servname", "getaddrinfo",
                      "name resolution", "no address associated")
        ):
            reason = "host name not found"
        elif "ssl" in text or "certificate" in text:
            reason = f"TLS error: {snippet(str(exc), 120)}"
        elif "unreachable" in text:
            reason = "network unreachable"
        else:
            reason = snippet(str(exc), 120) or type(exc).__name__
        return f"could not connect to {endpoint} ({reason})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{endpoint} closed the connection without a valid answer"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"cannot connect to {endpoint}: not an http(s) URL"
    return f"could not talk to {endpoint} ({snippet(str(exc), 120) or type(exc).__name__})"


def server_message(response: httpx.Response) -> str | None:
    """The server's own explanation: `error` (Yatai handlers), `message` (Yatai auth and
    routing), or `detail` (FastAPI) of a JSON body."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
        return None
    if not isinstance(body, dict):
        return None
    for key in ("error", "message", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if key == "detail" and isinstance(value, list):  # FastAPI validation errors
            lines = []
            for item in value:
                if isinstance(item, dict):
                    loc = m.format_location(tuple(item.get("loc") or ()))
                    lines.append(f"{loc}: {item.get('msg', '')}")
            if lines:
                return "; ".join(lines)
    return None


def is_record_not_found(response: httpx.Response) -> bool:
    """bentoml's `_is_not_found`: 404, or 400 whose body says `record not found`."""
    if response.status_code == 404:
        return True
    return response.status_code == 400 and "record not found" in response.text


def is_route_absent(response: httpx.Response) -> bool:
    """A 404 meaning "no such route" (Yatai's `{"message": "not found this router…"}`,
    FastAPI's `{"detail": "Not Found"}`, or not JSON at all) rather than "no such record"
    (`{"error": "…record not found"}`)."""
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
        return True
    return not (isinstance(body, dict) and "error" in body)


def _drop_body(response: Any) -> None:
    """Let a parsed answer's body go now.  An httpx response sits in a reference cycle with its
    connection-pool stream, so its body (~5 MB for a page of 1,000 deployments) lives until the
    collector's next pass; while a big list is read that collector is paused, and the freeze
    after it would keep every page's body for good (measured: +45 MB with 10,000 deployments)."""
    if isinstance(getattr(response, "_content", None), bytes):
        response._content = b""


class PrefetchedResponse:
    """A 200 answer made before the client existed (tui.api.prefetch): what `_call`,
    `_parse` and `server_info` read of an httpx.Response."""

    status_code = 200
    reason_phrase = "OK"

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.headers = {"content-type": "application/json"}

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class BentoCloudClient:
    """Async client of one BentoCloud-compatible endpoint.

    Use as ``async with BentoCloudClient(endpoint, token) as client: ...`` or call `aclose()`.
    The token is sent as ``X-YATAI-API-TOKEN`` and never shown in reprs, errors or logs.
    """

    def __init__(
        self,
        endpoint: str,
        api_token: str,
        *,
        timeout: float = 10.0,
        organization: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        prefetch: Prefetch | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.organization = organization
        self._token = api_token
        headers = {
            TOKEN_HEADER: api_token,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        if organization:
            headers[ORGANIZATION_HEADER] = organization
        self._headers = headers
        self._transport = transport
        self._prefetch = prefetch
        self._http_client: httpx.AsyncClient | None = None
        self._closed = False
        self._namespaces: dict[str, str] = {}
        self._namespace_locks: dict[str, asyncio.Lock] = {}
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()

    def __repr__(self) -> str:
        org = f", organization={self.organization!r}" if self.organization else ""
        return f"BentoCloudClient(endpoint={self.endpoint!r}{org})"

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> BentoCloudClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the open streams made from this client, then the connection pool."""
        for stream in list(self._streams):
            await stream.aclose()
        self._prefetch = None
        self._closed = True
        if self._http_client is not None:
            await self._http_client.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client (carries the token header; used by `streams`), made on
        first use."""
        if self._http_client is None:
            import httpx

            if self._closed:  # as httpx says of a closed client
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            self._http_client = httpx.AsyncClient(
                base_url=self.endpoint,
                headers=self._headers,
                timeout=httpx.Timeout(self.timeout, connect=CONNECT_TIMEOUT),
                limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_IDLE_CONNECTIONS,
                                    keepalive_expiry=KEEPALIVE_EXPIRY),
                transport=self._transport,
                # A plain-http endpoint (the local control plane) never does TLS: skip loading
                # the CA bundle, ~30-50 ms of every start. https verifies as usual.
                verify=not self.endpoint.startswith("http://"),
            )
        return self._http_client

    @property
    def closed(self) -> bool:
        if self._http_client is None:
            return self._closed
        return self._http_client.is_closed

    def redact(self, text: str) -> str:
        """`text` with this client's token replaced by ``***``."""
        return redact(text, (self._token,))

    def _track_stream(self, stream: Any) -> None:
        self._streams.add(stream)

    # ------------------------------------------------------------------ plumbing

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        """Send one request; transport failures become `ConnectionFailed`."""
        if self._prefetch is not None and body is None:
            prefetched = await self._prefetch.take_async(method, path, params)
            if prefetched is not None:
                log.debug("%s %s -> 200 (prefetched)", method, path)
                # duck-typed: it has all of httpx.Response that _send's callers read
                return PrefetchedResponse(prefetched)  # type: ignore[return-value]
        import httpx

        content = None if body is None else json.dumps(body).encode()
        try:
            response = await self.http.request(method, path, params=params, content=content)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            message = describe_transport_error(exc, self.endpoint, self.timeout)
            log.debug("%s %s failed: %s", method, path, self.redact(message))
            raise ConnectionFailed(message, secrets=(self._token,)) from None
        log.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def _error_for(self, method: str, path: str, response: httpx.Response) -> ApiError:
        """The typed error for a non-200 answer."""
        status = response.status_code
        secrets = (self._token,)
        said = server_message(response)
        what = f"{method} {path}"
        if is_record_not_found(response):
            return NotFoundError(
                said or f"not found: {what}", status=status, server_message=said, secrets=secrets
            )
        if status in (401, 403):
            reason = said or snippet(response.text) or f"HTTP {status}"
            return UnauthorizedError(
                f"the API token was refused by {self.endpoint}: {reason}",
                status=status,
                server_message=said,
                secrets=secrets,
            )
        if 400 <= status < 500:
            message = said or f"{what} was refused (HTTP {status}): {snippet(response.text)}"
            return RequestRejected(message, status=status, server_message=said, secrets=secrets)
        if status >= 500:
            trace_id = response.headers.get("x-trace-id")
            reason = said or snippet(response.text) or response.reason_phrase
            message = f"{self.endpoint} failed on {what} (HTTP {status}): {reason}"
            if trace_id:
                message += f" [trace id {trace_id}]"
            return ServerError(
                message, status=status, server_message=said, trace_id=trace_id, secrets=secrets
            )
        extra = ""
        if 300 <= status < 400 and response.headers.get("location"):
            extra = f", redirected to {response.headers['location']}"
        return BadResponse(
            f"unexpected answer to {what}: HTTP {status}{extra} (only 200 is success)",
            status=status,
            secrets=secrets,
        )

    def _decode(self, method: str, path: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except (ValueError, RecursionError):
            ctype = response.headers.get("content-type", "no content-type")
            raise BadResponse(
                f"{method} {path} did not answer JSON (HTTP {response.status_code}, {ctype}): "
                f"{snippet(response.text) or '(empty body)'}",
                status=response.status_code,
                secrets=(self._token,),
            ) from None

    def _parse(self, model: type[M], method: str, path: str, response: httpx.Response,
               fast: Callable[[bytes], M] | None = None) -> M:
        try:  # pydantic-core parses and validates the bytes in one pass: ~3x faster on lists
            if fast is not None:
                return fast(response.content)
            return model.model_validate_json(response.content, context={"lenient": True})
        except (ValidationError, ValueError, RecursionError):
            pass  # the two-step path below says exactly what is wrong
        data = self._decode(method, path, response)
        try:
            return m.parse_response(model, data)
        except ValidationError as exc:
            problems = m.describe_validation_error(exc)
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise BadResponse(
                f"{method} {path}: the answer does not match the expected schema: "
                f"{snippet(problems[0])}{more}",
                status=response.status_code,
                secrets=(self._token,),
            ) from None

    async def _call(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        fast: Callable[[bytes], M] | None = None,
    ) -> M:
        response = await self._send(method, path, params=params, body=body)
        if response.status_code != 200:
            raise self._error_for(method, path, response)
        parsed = self._parse(model, method, path, response, fast)
        _drop_body(response)
        return parsed

    # ------------------------------------------------------------------ identity

    async def current_user(self) -> m.UserSchema:
        return await self._call(m.UserSchema, "GET", "/api/v1/auth/current")

    async def current_org(self) -> m.OrganizationSchema:
        return await self._call(m.OrganizationSchema, "GET", "/api/v1/current_org")

    async def org_events(
        self, start: int = 0, count: int = 20, q: str | None = None
    ) -> m.AuditEventListSchema:
        return await self._call(
            m.AuditEventListSchema,
            "GET",
            "/api/v1/current_org/events",
            params=_params(start=start, count=count, q=q),
        )

    async def server_info(self) -> dict[str, Any] | None:
        """`GET /api/v1/info` (public), used to detect extensions: our local control plane
        answers ``{"local": true, "extensions": [...]}``. None when the route is absent or
        does not answer a JSON object; `ConnectionFailed` when nothing answers at all."""
        response = await self._send("GET", "/api/v1/info")
        if response.status_code != 200:
            return None
        try:
            body = response.json()
        except (ValueError, RecursionError):
            return None
        return body if isinstance(body, dict) else None

    # ------------------------------------------------------------------ clusters

    async def list_clusters(self, start: int = 0, count: int = 100) -> m.ClusterListSchema:
        return await self._call(
            m.ClusterListSchema, "GET", "/api/v1/clusters", params=_params(start=start, count=count)
        )

    async def get_cluster(self, name: str) -> m.ClusterFullSchema:
        cluster = await self._call(m.ClusterFullSchema, "GET", f"/api/v1/clusters/{_seg(name)}")
        self._namespaces[name] = cluster.config.default_deployment_kube_namespace
        return cluster

    async def default_namespace(self, cluster: str) -> str:
        """The cluster's default deployment namespace, fetched once and cached."""
        if cluster in self._namespaces:
            return self._namespaces[cluster]
        lock = self._namespace_locks.setdefault(cluster, asyncio.Lock())
        async with lock:
            if cluster not in self._namespaces:
                await self.get_cluster(cluster)
            return self._namespaces[cluster]

    # ------------------------------------------------------------------ bentos

    async def list_bento_repositories(
        self,
        start: int | None = None,
        count: int | None = None,
        search: str | None = None,
        q: str | None = None,
    ) -> m.BentoRepositoryListSchema:
        return await self._call(
            m.BentoRepositoryListSchema,
            "GET",
            "/api/v1/bento_repositories",
            params=_params(start=start, count=count, search=search, q=q),
        )

    async def get_bento_repository(self, repo: str) -> m.BentoRepositorySchema:
        return await self._call(
            m.BentoRepositorySchema, "GET", f"/api/v1/bento_repositories/{_seg(repo)}"
        )

    async def list_bentos(
        self, repo: str, start: int = 0, count: int = 20
    ) -> m.ListSchema[m.BentoSchema]:
        return await self._call(
            m.ListSchema[m.BentoSchema],
            "GET",
            f"/api/v1/bento_repositories/{_seg(repo)}/bentos",
            params=_params(start=start, count=count),
        )

    async def get_bento(self, repo: str, version: str) -> m.BentoFullSchema:
        return await self._call(
            m.BentoFullSchema,
            "GET",
            f"/api/v1/bento_repositories/{_seg(repo)}/bentos/{_seg(version)}",
        )

    # ------------------------------------------------------------------ deployments

    async def deployment_path(self, cluster: str, name: str, namespace: str | None = None) -> str:
        """`/api/v1/clusters/{c}/namespaces/{ns}/deployments/{name}`, defaulting the
        namespace to the cluster's."""
        ns = namespace or await self.default_namespace(cluster)
        return (
            f"/api/v1/clusters/{_seg(cluster)}/namespaces/{_seg(ns)}/deployments/{_seg(name)}"
        )

    async def list_deployments(
        self,
        cluster: str,
        *,
        start: int | None = None,
        count: int | None = None,
        search: str | None = None,
        q: str | None = None,
        shared: SharedParts | None = None,
    ) -> m.DeploymentListSchema:
        """A page of the cluster's deployments; with `shared`, their repeated parts (creators,
        cluster, bentos) are one object each, shared with what `shared` has seen."""
        return await self._call(
            m.DeploymentListSchema,
            "GET",
            f"/api/v1/clusters/{_seg(cluster)}/deployments",
            params=_params(start=start, count=count, search=search, q=q),
            fast=shared.parse_deployment_list if shared is not None else None,
        )

    def deployment_pages(
        self,
        cluster: str,
        *,
        first: int = paging.FIRST_PAGE,
        size: int = paging.NEXT_PAGE,
        q: str | None = None,
        search: str | None = None,
        shared: SharedParts | None = None,
    ) -> AsyncGenerator[tuple[int, Sequence[m.DeploymentSchema]], None]:
        """Every deployment of the cluster as pages of (total, items), in order (tui.api.paging:
        the pages after the first are fetched a few at once)."""

        async def fetch(start: int, count: int) -> tuple[int, Sequence[m.DeploymentSchema]]:
            page = await self.list_deployments(cluster, start=start, count=count, search=search, q=q,
                                               shared=shared)
            return page.total, page.items

        return paging.pages(fetch, first, size)

    async def iter_deployments(
        self,
        cluster: str,
        page_size: int = 500,
        q: str | None = None,
        search: str | None = None,
    ) -> AsyncIterator[m.DeploymentSchema]:
        """Every deployment of the cluster, fetching `page_size` at a time."""
        pages = self.deployment_pages(cluster, first=page_size, size=page_size, q=q, search=search)
        try:
            async for _total, page in pages:
                for item in page:
                    yield item
        finally:
            await pages.aclose()

    async def get_deployment(
        self, cluster: str, name: str, namespace: str | None = None
    ) -> m.DeploymentSchema:
        path = await self.deployment_path(cluster, name, namespace)
        return await self._call(m.DeploymentSchema, "GET", path)

    async def create_deployment(
        self, cluster: str, body: m.CreateDeploymentSchema | m.FullDeploymentSchema
    ) -> m.DeploymentSchema:
        return await self._call(
            m.DeploymentSchema,
            "POST",
            f"/api/v1/clusters/{_seg(cluster)}/deployments",
            body=body.to_wire(),
        )

    async def update_deployment(
        self,
        cluster: str,
        name: str,
        body: m.UpdateDeploymentSchema,
        namespace: str | None = None,
    ) -> m.DeploymentSchema:
        """PATCH: a new revision. On a terminated deployment this is "Restore"."""
        path = await self.deployment_path(cluster, name, namespace)
        return await self._call(m.DeploymentSchema, "PATCH", path, body=body.to_wire())

    async def terminate_deployment(
        self, cluster: str, name: str, namespace: str | None = None
    ) -> m.DeploymentSchema:
        path = await self.deployment_path(cluster, name, namespace)
        return await self._call(m.DeploymentSchema, "POST", f"{path}/terminate")

    async def delete_deployment(
        self, cluster: str, name: str, namespace: str | None = None
    ) -> m.DeploymentSchema:
        """Refused (RequestRejected) unless the deployment is terminated."""
        path = await self.deployment_path(cluster, name, namespace)
        return await self._call(m.DeploymentSchema, "DELETE", path)

    async def sync_status(
        self, cluster: str, name: str, namespace: str | None = None
    ) -> m.DeploymentSchema:
        path = await self.deployment_path(cluster, name, namespace)
        return await self._call(m.DeploymentSchema, "POST", f"{path}/sync_status")

    async def list_revisions(
        self,
        cluster: str,
        name: str,
        namespace: str | None = None,
        start: int = 0,
        count: int = 20,
    ) -> m.DeploymentRevisionListSchema:
        path = await self.deployment_path(cluster, name, namespace)
        return await self._call(
            m.DeploymentRevisionListSchema,
            "GET",
            f"{path}/revisions",
            params=_params(start=start, count=count),
        )

    async def get_revision(
        self, cluster: str, name: str, revision_uid: str, namespace: str | None = None
    ) -> m.DeploymentRevisionSchema:
        path = await self.deployment_path(cluster, name, namespace)
        return await self._call(
            m.DeploymentRevisionSchema, "GET", f"{path}/revisions/{_seg(revision_uid)}"
        )

    async def exited_replicas(
        self, cluster: str, name: str, namespace: str | None = None
    ) -> list[m.ExitedReplicaSchema] | None:
        """Extension route of the local control plane: replicas that are gone but left a log
        (newest first). None where the server has no such route (BentoCloud)."""
        path = f"{await self.deployment_path(cluster, name, namespace)}/exited_pods"
        response = await self._send("GET", path)
        if is_route_absent(response):
            return None
        if response.status_code != 200:
            raise self._error_for("GET", path, response)
        data = self._decode("GET", path, response)
        if not isinstance(data, list):
            raise BadResponse(f"GET {path}: expected a list")
        found = []
        for item in data:
            try:
                found.append(m.ExitedReplicaSchema.model_validate(item))
            except ValidationError:
                continue  # one odd record must not hide the others
        return found

    async def restart_replica(
        self, cluster: str, name: str, pod: str, namespace: str | None = None
    ) -> str | None:
        """Extension route of the local control plane: stops replica `pod`, a fresh one of the
        same component replaces it; returns the new replica's name.  None where the server
        has no such route (BentoCloud); `NotFoundError` when no live replica has that name."""
        path = f"{await self.deployment_path(cluster, name, namespace)}/pods/{_seg(pod)}/restart"
        response = await self._send("POST", path)
        if is_route_absent(response) or response.status_code == 405:
            return None
        if response.status_code != 200:
            raise self._error_for("POST", path, response)
        return self._parse(m.ReplicaRestartSchema, "POST", path, response).by

    async def deployment_metrics(
        self,
        cluster: str,
        name: str,
        namespace: str | None = None,
        since_seconds: int = 600,
    ) -> m.DeploymentMetricsSchema | None:
        """Extension route of the local control plane. None where the server has no such
        route (BentoCloud); `NotFoundError` when the route exists but the deployment does not."""
        path = f"{await self.deployment_path(cluster, name, namespace)}/metrics"
        response = await self._send("GET", path, params={"since_seconds": since_seconds})
        if is_route_absent(response):
            return None
        if response.status_code != 200:
            raise self._error_for("GET", path, response)
        return self._parse(m.DeploymentMetricsSchema, "GET", path, response)
