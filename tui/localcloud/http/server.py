"""HTTP and websocket routes of the local control plane (BentoCloud / Yatai v1 API).

Status codes and bodies follow the reference's compatibility checklist: 200 with JSON on
success, 403 `{"message"}` without a valid `X-YATAI-API-TOKEN`, 404 `{"error": "... record not
found"}`, 400 `{"error"}` for anything invalid, 404 `{"message": "not found this router ..."}`
for unknown routes.  Extensions beyond Yatai are listed in `EXTENSIONS` and served by
`/api/v1/info`.
"""

from __future__ import annotations

import asyncio
import hmac
import functools
import json
import logging
import math
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from tui import __version__
from tui.api import models as m
from tui.api import models_v2 as v2
from tui.localcloud.http import debug, recorder, routes_v2
from tui.localcloud.http import websockets as ws
from tui.localcloud.controlplane import ControlPlane, InvalidRequest
from tui.localcloud.limits import Limits
from tui.localcloud.runtime.records import bounded
from tui.localcloud.registry.routes import REQUEST_BODIES as REGISTRY_BODIES
from tui.localcloud.registry.routes import registry_routes
from tui.localcloud.state.store import DeploymentQuery, NotFound, StorageError

log = logging.getLogger("bentotui.localcloud")

EXTENSIONS = {
    "metrics": "GET /api/v1/clusters/{c}/namespaces/{ns}/deployments/{name}/metrics?since_seconds=N",
    "pods_rest": "GET …/deployments/{name}/pods (the pods socket's list, once)",
    "kube_events_rest": "GET …/deployments/{name}/kube_events?after=RV",
    "exited_pods": "GET …/deployments/{name}/exited_pods (replicas that are gone but left a "
    "log, newest first; the tail socket accepts their pod_name)",
    "subscription_cluster": "subscription payload field cluster_name: every deployment of a "
    "cluster, with pushes for creations and deletions (push field event)",
    "gateway": "deployment urls are served at /gw/{cluster}/{name}/...",
}

PUBLIC_PATHS = {"/api/v1/info", "/api/v1/version", "/openapi.json", "/docs", "/docs/oauth2-redirect"}


class TokenGuard:
    """Refuses /api and /ws requests without the right token (403), in constant time."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self._guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        supplied = b""
        for key, value in scope.get("headers", []):
            if key == b"x-yatai-api-token":
                supplied = value
                break
        if hmac.compare_digest(supplied, self.token):
            await self.app(scope, receive, send)
            return
        reason = "missing X-YATAI-API-TOKEN header" if not supplied else "invalid api token"
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": reason})
            return
        response = JSONResponse({"message": reason}, status_code=403)
        await response(scope, receive, send)

    @staticmethod
    def _guarded(path: str) -> bool:
        return (path.startswith("/api/") or path.startswith("/ws/")) and path not in PUBLIC_PATHS


class SocketCap:
    """At most `limit` websockets open at once (every socket carries the one token, so this is
    per token and per process); the next is closed with 1013 (try again later) and a reason."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit
        self.open = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        if self.open >= self.limit:
            # Accepted then closed: a close before the accept would reach the client as a bare
            # HTTP 403, without the code or the reason.
            if (await receive())["type"] != "websocket.connect":
                return
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1013,
                        "reason": f"too many websockets open (limit {self.limit})"})
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1


class BodyRefused(Exception):
    """A request body over the size limit (413) or not received in time (408)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------------------- OpenAPI
#
# The routes return pre-rendered JSON, so FastAPI cannot see what they answer: `described`
# names the success model of each route (documentation only, nothing is re-validated), and
# `describe_openapi` replaces FastAPI's generic 422 with what the server really sends (400
# `{"error"}`, 403 `{"message"}`, 404 `{"error"}`, 503/507 `{"error"}` on a storage fault), declares the token as the security scheme and
# the create / update bodies, which `read_body` parses itself.  tests/reliability fuzzes the
# server from this document and checks every response against it.


class ErrorBody(BaseModel):
    """400 and 404: what is wrong (for a 404, `... record not found`)."""

    model_config = ConfigDict(extra="forbid")
    error: str


class AuthErrorBody(BaseModel):
    """403: the API token is missing or wrong."""

    model_config = ConfigDict(extra="forbid")
    message: str


REQUEST_BODIES: dict[str, type[BaseModel]] = {
    "CreateDeploymentSchema": m.CreateDeploymentSchema,
    "UpdateDeploymentSchema": m.UpdateDeploymentSchema,
    "CreateDeploymentV2": v2.CreateDeploymentV2,
    "UpdateDeploymentV2": v2.UpdateDeploymentV2,
    **REGISTRY_BODIES,
}
REQUEST_PREFIX = "Request."
SECURITY_SCHEME = "YataiApiToken"


def described(model: Any, body: type[BaseModel] | None = None) -> dict[str, Any]:
    """Route decorator arguments documenting the success body (and the request body)."""
    extra: dict[str, Any] = {"responses": {200: {"model": model, "description": "Success"}}}
    if body is not None:
        ref = f"#/components/schemas/{REQUEST_PREFIX}{body.__name__}"
        extra["openapi_extra"] = {"requestBody": {
            "required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}}
    return extra


def describe_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Make FastAPI's generated document say what the server really answers (in place)."""
    from pydantic.json_schema import models_json_schema

    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    errors = {
        "400": ("Invalid request: `error` says what, with the field path", "ErrorBody"),
        "403": ("Missing or wrong X-YATAI-API-TOKEN", "AuthErrorBody"),
        "404": ("The cluster, namespace or record does not exist", "ErrorBody"),
        "408": ("The request body did not arrive in time", "ErrorBody"),
        "413": ("The request body is over the size limit", "ErrorBody"),
        "503": ("The state database failed (an I/O error); nothing was changed", "ErrorBody"),
        "507": ("The disk or the state database is full; nothing was changed", "ErrorBody"),
    }
    for name, model in (("ErrorBody", ErrorBody), ("AuthErrorBody", AuthErrorBody)):
        schemas[name] = model.model_json_schema()
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            takes_input = responses.pop("422", None) is not None or "requestBody" in operation
            wanted = []
            if takes_input:
                wanted.append("400")
            if "requestBody" in operation:
                wanted += ["408", "413"]
            params = {p.get("name") for p in operation.get("parameters", [])}
            if "{" in path or "cluster" in params:  # an unknown cluster is a 404 too
                wanted.append("404")
            if TokenGuard._guarded(path):
                wanted += ["403", "503", "507"]  # every guarded route reads or writes the store
                operation["security"] = [{SECURITY_SCHEME: []}]
            for code in wanted:
                description, ref = errors[code]
                responses[code] = {"description": description, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{ref}"}}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _, definitions = models_json_schema(
        [(model, "validation") for model in REQUEST_BODIES.values()],
        ref_template=f"#/components/schemas/{REQUEST_PREFIX}{{model}}",
    )
    for name, definition in definitions.get("$defs", {}).items():
        schemas[REQUEST_PREFIX + name] = definition
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "apiKey", "in": "header", "name": "X-YATAI-API-TOKEN"}
    return schema


def ok(model: BaseModel | dict[str, Any] | list[Any]) -> Response:
    if isinstance(model, BaseModel):
        body = model.model_dump_json(by_alias=True)
    else:
        body = json.dumps(model)
    return Response(body, media_type="application/json")


def error(status: int, message: str, key: str = "error") -> JSONResponse:
    return JSONResponse({key: message}, status_code=status)


async def read_body(request: Request, model: type[m.RequestModel] | type[v2.V2Request],
                    limits: Limits) -> Any:
    """Parse and validate a JSON body; InvalidRequest says what and where, BodyRefused when it
    is over `limits.api_body_bytes` (413) or stalls past `limits.body_read_timeout_s` (408)."""
    cap = limits.api_body_bytes
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cap:
        raise BodyRefused(413, f"request body too large ({int(length)} bytes; limit {cap})")
    parts: list[bytes] = []
    size = 0
    stream = request.stream()
    while True:
        try:
            chunk = await bounded(anext(stream, None), limits.body_read_timeout_s)
        except asyncio.TimeoutError:
            raise BodyRefused(
                408, f"request body not received within {limits.body_read_timeout_s:g}s"
            ) from None
        if chunk is None:
            break
        size += len(chunk)
        if size > cap:
            raise BodyRefused(413, f"request body too large (limit {cap} bytes)")
        parts.append(chunk)
    raw = b"".join(parts)
    try:
        data = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidRequest(f"request body is not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest("invalid request: " + "; ".join(m.describe_validation_error(exc))) from None


# Offsets and counts beyond this are clamped: SQLite integers are 64-bit, and a bigger one made
# the query fail with a 500 (found by fuzzing).
MAX_INDEX = 2**62


def index(value: int) -> int:
    """A `start`, `count` or `after` query value as a usable offset: 0 <= value <= MAX_INDEX."""
    return min(max(value, 0), MAX_INDEX)


def parse_deployment_query(
    cluster: str | None, start: int, count: int | None, search: str | None, q: str | None
) -> DeploymentQuery:
    """Yatai's list query: `start`, `count`, `search`, and `q` tokens (reference §9.4)."""
    query = DeploymentQuery(cluster=cluster, start=index(start),
                            count=None if count is None else index(count), search=search or None)
    for token in (q or "").split():
        key, sep, value = token.partition(":")
        if not sep:
            query.keywords.append(token)
            continue
        if key == "status":
            query.statuses.extend(v for v in value.split(",") if v)
        elif key == "sort":
            field, _, direction = value.partition("-")
            query.sort_field = field
            query.sort_desc = direction != "asc"
        elif key == "bento_repository":
            query.bento_repository = value
        elif key == "bento":
            query.bento = value
        elif key == "cluster":
            query.cluster = value
        elif key == "creator":
            query.creator = None if value == "@me" else value
        elif key in ("in", "is", "not", "last_updater"):
            continue  # accepted, no effect on a single-user local store
        else:
            query.keywords.append(token)
    return query


def create_app(plane: ControlPlane, token: str, *, manage_lifecycle: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        if manage_lifecycle:
            await plane.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await plane.close()

    app = FastAPI(
        title="bentotui local control plane",
        version=__version__,
        description="The BentoCloud v1 API (Yatai-compatible) served on this machine.",
        lifespan=lifespan,
    )
    generated_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe_openapi(generated_openapi())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(SocketCap, limit=plane.limits.websockets)
    app.add_middleware(routes_v2.DropEmptyQueryValues)
    app.add_middleware(TokenGuard, token=token)
    if recorder.target() is not None:  # BENTOTUI_RECORD_REQUESTS: what clients send, raw
        app.add_middleware(recorder.RequestRecorder, path=recorder.target())
    app.mount("/gw", plane.runtime.gateway_app)

    # ------------------------------------------------------------------ errors

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(StorageError)
    async def _storage(_: Request, exc: StorageError) -> JSONResponse:
        # Nothing of the failed write was kept (its transaction rolled back): say so, in the
        # error shape, and keep serving.  507 when the disk or database is full.
        log.error("%s", exc)
        return error(507 if exc.full else 503, f"{exc}; nothing was changed")

    @app.exception_handler(InvalidRequest)
    async def _invalid(_: Request, exc: InvalidRequest) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(BodyRefused)
    async def _body_refused(_: Request, exc: BodyRefused) -> JSONResponse:
        refused = error(exc.status, str(exc))
        if exc.status == 408:  # a stalled body will not come: free the connection.  (After a
            # 413 uvicorn discards the rest as it arrives; closing would reset the connection
            # under a client still sending, and the 413 would be lost.)
            refused.headers["connection"] = "close"
        return refused

    @app.exception_handler(RequestValidationError)
    async def _bad_params(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for item in exc.errors():
            loc = ".".join(str(p) for p in item.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{loc}: {item.get('msg')}")
        return error(400, "invalid request: " + "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405):
            return error(404, f"not found this router with method {request.method}", key="message")
        return error(exc.status_code, str(exc.detail))

    # ------------------------------------------------------------------ identity

    @app.get("/api/v1/info")
    async def info() -> dict[str, Any]:
        return {"name": "bentotui-localcloud", "version": __version__, "local": True,
                "extensions": sorted(EXTENSIONS), "extension_routes": EXTENSIONS}

    @app.get("/api/v1/version")
    async def version() -> dict[str, Any]:
        return {"version": __version__, "git_commit": "", "build_date": ""}

    @app.get("/api/v1/auth/current", **described(m.UserSchema))
    async def current_user() -> Response:
        return ok(plane.ident.user)

    @app.get("/api/v1/current_org", **described(m.OrganizationSchema))
    async def current_org() -> Response:
        data = plane.ident.organization.to_wire()
        data["config"] = {}
        return ok(data)

    @app.get("/api/v1/current_org/events", **described(m.AuditEventListSchema))
    async def org_events(start: int = 0, count: int = 20, q: str | None = None) -> Response:
        resource_type = None
        desc = True
        for token in (q or "").split():
            if token.startswith("resource_type:"):
                resource_type = token.split(":", 1)[1]
            elif token == "sort:created_at-asc":
                desc = False
        total, rows = plane.store.list_audit_events(index(start), index(count), resource_type, desc)
        return ok(m.AuditEventListSchema(
            start=start, count=count, total=total,
            items=[_audit(row) for row in rows],
        ))

    def _audit(row: Any) -> m.AuditEventSchema:
        from tui.localcloud.http.views import audit_event

        return audit_event(plane.ident, row)

    # ------------------------------------------------------------------ clusters

    @app.get("/api/v1/clusters", **described(m.ClusterListSchema))
    async def clusters(start: int = 0, count: int = 20, search: str | None = None,
                       q: str | None = None) -> Response:
        items = [plane.ident.cluster]
        if search and search not in plane.cluster_name:
            items = []
        total = len(items)
        items = items[index(start): index(start) + index(count)]
        return ok(m.ClusterListSchema(start=start, count=count, total=total, items=items))

    @app.get("/api/v1/clusters/{cluster}", **described(m.ClusterFullSchema))
    async def cluster(cluster: str) -> Response:
        plane.check_cluster(cluster)
        return ok(plane.ident.cluster.model_dump(mode="json", by_alias=True))

    # ------------------------------------------------------------------ deployments

    def _list(cluster: str | None, start: int, count: int | None, search: str | None,
              q: str | None) -> Response:
        query = parse_deployment_query(cluster, start, count, search, q)
        return Response(plane.list_body(query, count), media_type="application/json")

    def deployment_response(row: Any) -> Response:
        return Response(plane.render_json(row), media_type="application/json")

    @app.get("/api/v1/clusters/{cluster}/deployments", **described(m.DeploymentListSchema))
    async def list_deployments(cluster: str, start: int = 0, count: int | None = None,
                               search: str | None = None, q: str | None = None) -> Response:
        plane.check_cluster(cluster)
        return _list(cluster, start, count, search, q)

    @app.get("/api/v1/deployments", **described(m.DeploymentListSchema))
    async def list_org_deployments(start: int = 0, count: int | None = None,
                                   search: str | None = None, q: str | None = None) -> Response:
        return _list(None, start, count, search, q)

    @app.post("/api/v1/clusters/{cluster}/deployments",
              **described(m.DeploymentSchema, body=m.CreateDeploymentSchema))
    async def create_deployment(cluster: str, request: Request) -> Response:
        plane.check_cluster(cluster)
        body = await read_body(request, m.CreateDeploymentSchema, plane.limits)
        row = await plane.create(cluster, body)
        return deployment_response(row)

    base = "/api/v1/clusters/{cluster}/namespaces/{namespace}/deployments/{name}"

    @app.get(base, **described(m.DeploymentSchema))
    async def get_deployment(cluster: str, namespace: str, name: str) -> Response:
        return deployment_response(plane.find(cluster, namespace, name))

    @app.patch(base, **described(m.DeploymentSchema, body=m.UpdateDeploymentSchema))
    async def update_deployment(cluster: str, namespace: str, name: str, request: Request) -> Response:
        row = plane.find(cluster, namespace, name)
        body = await read_body(request, m.UpdateDeploymentSchema, plane.limits)
        return deployment_response(await plane.update(row, body))

    @app.post(base + "/terminate", **described(m.DeploymentSchema))
    async def terminate_deployment(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return deployment_response(await plane.terminate(row))

    @app.post(base + "/sync_status", **described(m.DeploymentSchema))
    async def sync_status(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return deployment_response(await plane.sync_status(row))

    @app.delete(base, **described(m.DeploymentSchema))
    async def delete_deployment(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        rendered = plane.render_json(row)
        await plane.delete(row)
        return Response(rendered, media_type="application/json")

    @app.get(base + "/revisions", **described(m.DeploymentRevisionListSchema))
    async def list_revisions(cluster: str, namespace: str, name: str, start: int = 0,
                             count: int = 20) -> Response:
        row = plane.find(cluster, namespace, name)
        total, rows = plane.store.list_revisions(row.id, index(start), index(count))
        return ok(m.DeploymentRevisionListSchema(
            start=start, count=count, total=total,
            items=[plane.render_revision(r) for r in rows],
        ))

    @app.get(base + "/revisions/{revision_uid}", **described(m.DeploymentRevisionSchema))
    async def get_revision(cluster: str, namespace: str, name: str, revision_uid: str) -> Response:
        row = plane.find(cluster, namespace, name)
        revision = plane.store.get_revision(row.id, revision_uid)
        if revision is None:
            raise NotFound(f"get deployment revision {revision_uid}: record not found")
        return ok(plane.render_revision(revision))

    @app.get(base + "/metrics", **described(m.DeploymentMetricsSchema))
    async def metrics(cluster: str, namespace: str, name: str,
                      since_seconds: float = 600) -> Response:
        row = plane.find(cluster, namespace, name)
        since = 600.0 if math.isnan(since_seconds) else min(max(since_seconds, 1.0), 3600.0)
        return ok(plane.runtime.metrics(row.uid, since_seconds=since))

    @app.get(base + "/pods", **described(list[m.KubePodSchema]))
    async def pods(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return ok([p.to_wire() for p in plane.pods(row)])

    @app.get(base + "/exited_pods", **described(list[m.ExitedReplicaSchema]))
    async def exited_pods(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return ok([p.to_wire() for p in await asyncio.to_thread(plane.exited_pods, row)])

    @app.get(base + "/kube_events", **described(list[m.KubeEvent]))
    async def kube_events(cluster: str, namespace: str, name: str, after: int = 0,
                          limit: int = 200) -> Response:
        row = plane.find(cluster, namespace, name)
        events = plane.events(row, after_id=index(after), limit=min(max(limit, 1), 2000))
        return ok([e.to_wire() for _, e in events])

    routes_v2.register(app, plane, read_body)  # /api/v2/deployments, /api/v1/instance_types
    routes_v2.register_cluster_pods(app, plane)  # bentoml 1.4's image-builder look-up

    # ------------------------------------------------------------------ bentos

    @app.get("/api/v1/bento_repositories", **described(m.BentoRepositoryListSchema))
    async def bento_repositories(start: int = 0, count: int = 100, search: str | None = None) -> Response:
        items = _repositories(search)
        page = items[index(start): index(start) + index(count)]
        return ok(m.BentoRepositoryListSchema(start=start, count=count, total=len(items), items=page))

    def _repositories(search: str | None) -> list[m.BentoRepositorySchema]:
        from tui.localcloud.http.views import bento_repository

        grouped: dict[str, list[Any]] = {}
        for row in plane.bentos():
            grouped.setdefault(row.repository, []).append(row)
        out = []
        for name, rows in grouped.items():
            if search and search not in name:
                continue
            out.append(bento_repository(plane.ident, rows[0], latest=rows[0], n_bentos=len(rows),
                                        n_deployments=plane.store.count_deployments_of_repository(name)))
        return out

    @app.get("/api/v1/bento_repositories/{repo}", **described(m.BentoRepositorySchema))
    async def bento_repository_get(repo: str) -> Response:
        matches = [r for r in _repositories(None) if r.name == repo]
        if not matches:
            raise NotFound(f"get bento repository {repo}: record not found")
        return ok(matches[0])

    @app.get("/api/v1/bento_repositories/{repo}/bentos",
             **described(m.ListSchema[m.BentoFullSchema]))
    async def bento_list(repo: str, start: int = 0, count: int = 100) -> Response:
        from tui.localcloud.http.views import bento

        rows = [b for b in plane.bentos() if b.repository == repo]
        if not rows:
            raise NotFound(f"get bento repository {repo}: record not found")
        page = rows[index(start): index(start) + index(count)]
        return ok(m.ListSchema[m.BentoFullSchema](
            start=start, count=count, total=len(rows), items=[bento(plane.ident, b) for b in page]))

    @app.get("/api/v1/bento_repositories/{repo}/bentos/{version}",
             **described(m.BentoFullSchema))
    async def bento_get(repo: str, version: str) -> Response:
        from tui.localcloud.http.views import bento

        row = plane.bento(repo, version)
        if row is None:
            raise NotFound(f"get bento {repo}:{version}: record not found")
        return ok(bento(plane.ident, row))

    @app.get("/api/v1/bentos", **described(m.ListSchema[m.BentoFullSchema]))
    async def bentos_flat(start: int = 0, count: int = 100) -> Response:
        from tui.localcloud.http.views import bento

        rows = plane.bentos()
        page = rows[index(start): index(start) + index(count)]
        return ok(m.ListSchema[m.BentoFullSchema](
            start=start, count=count, total=len(rows), items=[bento(plane.ident, b) for b in page]))

    app.include_router(registry_routes(plane, functools.partial(read_body, limits=plane.limits), described))  # push/pull, models (registry/)

    if debug.enabled():  # bench-only routes, off by default (tui/localcloud/http/debug.py)
        debug.register(app, plane)

    # ------------------------------------------------------------------ websockets

    ws_base = "/ws/v1/clusters/{cluster}/namespaces/{namespace}/deployments/{name}"

    async def _resolve(websocket: WebSocket, cluster: str, namespace: str | None, name: str):  # type: ignore[no-untyped-def]
        try:
            return plane.find(cluster, namespace, name)
        except NotFound as exc:
            await websocket.accept()
            await ws.send_error(websocket, str(exc))
            await websocket.close()
            return None

    @app.websocket(ws_base + "/pods")
    async def ws_pods(websocket: WebSocket, cluster: str, namespace: str, name: str) -> None:
        row = await _resolve(websocket, cluster, namespace, name)
        if row is not None:
            await ws.serve_pods(websocket, plane, row)

    @app.websocket(ws_base + "/kube_events")
    async def ws_events(websocket: WebSocket, cluster: str, namespace: str, name: str,
                        pod_name: str | None = None) -> None:
        row = await _resolve(websocket, cluster, namespace, name)
        if row is not None:
            await ws.serve_kube_events(websocket, plane, row, pod_name or None)

    @app.websocket(ws_base + "/tail")
    async def ws_tail(websocket: WebSocket, cluster: str, namespace: str, name: str,
                      pod_name: str = "", container_name: str = "main") -> None:
        row = await _resolve(websocket, cluster, namespace, name)
        if row is not None:
            await ws.serve_tail(websocket, plane, row, pod_name)

    @app.websocket("/ws/v1/clusters/{cluster}/tail")
    async def ws_cluster_tail(websocket: WebSocket, cluster: str, namespace: str = "",
                              pod_name: str = "", container_name: str = "main") -> None:
        row = _deployment_of_pod(cluster, pod_name)
        if row is None:
            await websocket.accept()
            await ws.send_error(websocket, f"get pod {pod_name}: record not found")
            await websocket.close()
            return
        await ws.serve_tail(websocket, plane, row, pod_name)

    def _deployment_of_pod(cluster: str, pod_name: str):  # type: ignore[no-untyped-def]
        if cluster != plane.cluster_name:
            return None
        for row in plane.store.deployments_to_run():
            if any(r.name == pod_name for r in plane.runtime.replicas(row.uid)):
                return row
        return None

    @app.websocket("/ws/v1/subscription/resource")
    async def ws_subscription(websocket: WebSocket) -> None:
        await ws.serve_subscription(websocket, plane)

    return app

