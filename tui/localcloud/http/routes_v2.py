"""The v2 deployment API (bentoml 1.2+ / 1.4) served from the same store as v1.

Routes as bentoml 1.4.40 calls them (shared/reference/bentoml-1.4.md §2): the cluster is a query
parameter, update is a PUT of the whole config, restore ("start") is a PUT on a terminated
deployment.  Writes go through the control plane's v1 create/update, so v1 clients see v2
deployments and the other way round; the v2 document is kept beside the v1 target.
"""

from __future__ import annotations

import re
import secrets as _random
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Query, Request, WebSocket
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from tui.api import flavours
from tui.api import models as m
from tui.api import models_v2 as v2
from tui.localcloud.controlplane import PAGE_CACHE_BYTES, ControlPlane, InvalidRequest
from tui.localcloud.http import views_v2
from tui.localcloud.http import websockets as ws
from tui.localcloud.http.bodies import index, parse_deployment_query, read_body
from tui.localcloud.http.openapi import described
from tui.localcloud.state.store import DeploymentRow, NotFound


class DropEmptyQueryValues:
    """`count=&start=&cluster=` mean "not given" (httpx sends unset parameters that way)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and b"=" in scope.get("query_string", b""):
            raw = scope["query_string"].decode("latin-1")
            pairs = parse_qsl(raw, keep_blank_values=True)
            kept = [(k, v) for k, v in pairs if v != ""]
            if len(kept) != len(pairs):
                scope = dict(scope, query_string=urlencode(kept).encode("latin-1"))
        await self.app(scope, receive, send)


class V2Renderer:
    """v2 JSON of deployments, cached per (row version, replica counts) like the v1 renderer."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self._cache: dict[str, tuple[tuple[int, int, int], bytes]] = {}
        self._pages: dict[tuple[str, int, int | None], tuple[Any, bytes]] = {}

    def render(self, row: DeploymentRow) -> bytes:
        ready, desired = self.plane.runtime.api_replica_counts(row.uid)
        key = (row.version, ready, desired)
        cached = self._cache.get(row.uid)
        if cached is not None and cached[0] == key:
            return cached[1]
        p = self.plane
        body = views_v2.dump(views_v2.deployment(p.ident, row, p._bentos, p.endpoint, ready, desired))
        self._cache[row.uid] = (key, body)
        return body

    def list_body(self, query: Any, start: int, count: int | None) -> bytes:
        """The whole page, kept while nothing on it can have changed (as the v1 list does:
        no store write, no replica count moved)."""
        key = (repr(query), start, count)
        fingerprint = (self.plane.store.generation, self.plane.runtime.api_replica_counts_all())
        cached = self._pages.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        body = self._render_page(query, start, count)
        self._pages.pop(key, None)
        if len(body) <= PAGE_CACHE_BYTES // 2:
            self._pages[key] = (fingerprint, body)
            while sum(len(b) for _, b in self._pages.values()) > PAGE_CACHE_BYTES:
                self._pages.pop(next(iter(self._pages)))
        return body

    def _render_page(self, query: Any, start: int, count: int | None) -> bytes:
        total, keys = self.plane.store.list_deployment_versions(query)
        counts = self.plane.runtime.api_replica_counts
        out: list[bytes | None] = []
        missing = []
        for uid, version in keys:
            cached = self._cache.get(uid)
            if cached is not None and cached[0] == (version, *counts(uid)):
                out.append(cached[1])
            else:
                out.append(None)
                missing.append(uid)
        if missing:
            rows = self.plane.store.get_deployments_by_uids(missing)
            for i, (uid, _) in enumerate(keys):
                if out[i] is None and uid in rows:
                    out[i] = self.render(rows[uid])
        items = [b for b in out if b is not None]
        head = f'{{"start":{start},"count":{len(items) if count is None else count},"total":{total},"items":['
        return head.encode() + b",".join(items) + b"]}"

    def forget(self, uid: str) -> None:
        self._cache.pop(uid, None)


def generated_name(repository: str) -> str:
    """A DNS-1035 name for a deployment created without one: the bento's, plus 6 hex digits."""
    stem = re.sub(r"[^a-z0-9-]+", "-", repository.lower()).strip("-")
    stem = re.sub(r"^[^a-z]+", "", stem)[:40].rstrip("-") or "deployment"
    return f"{stem}-{_random.token_hex(3)}"


def _int(name: str, value: str | None, default: int | None) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidRequest(f"invalid request: {name}: must be an integer, got {value!r}") from None


def v2_routes(plane: ControlPlane) -> APIRouter:
    """The v2 routes, and `GET /api/v1/instance_types`."""
    router = APIRouter()
    renderer = V2Renderer(plane)

    def json_response(body: bytes) -> Response:
        return Response(body, media_type="application/json")

    def cluster_of(cluster: str | None) -> str:
        name = cluster or plane.cluster_name
        plane.check_cluster(name)
        return name

    def find(name: str, cluster: str | None) -> DeploymentRow:
        return plane.find(cluster_of(cluster), None, name)

    def to_v1(body: v2.UpdateDeploymentV2) -> tuple[m.UpdateDeploymentSchema, dict[str, Any]]:
        bento = plane.bento(body.bento_repository, body.bento_version)
        if bento is None:
            raise InvalidRequest(f"can't find bento: {body.bento}")
        try:
            return flavours.v2_to_v1(body, str(bento.manifest.get("entry_service") or ""),
                                     views_v2.runner_names(bento))
        except flavours.MappingError as exc:
            raise InvalidRequest(str(exc)) from None
        except ValidationError as exc:  # what v2 allows and the v1 store cannot hold
            raise InvalidRequest("invalid request: " + "; ".join(m.describe_validation_error(exc))) from None

    @router.get("/api/v1/instance_types", **described(list[v2.InstanceTypeSchema]))
    async def instance_types(cluster: str | None = None) -> Response:
        cluster_of(cluster)
        return json_response(("[" + ",".join(t.model_dump_json() for t in views_v2.instance_types(
            plane.ident)) + "]").encode())

    @router.get("/api/v2/deployments", **described(v2.DeploymentListV2))
    async def list_v2(cluster: str | None = None, start: str | None = None,
                      count: str | None = None, search: str | None = None, q: str | None = None,
                      every_cluster: str | None = Query(default=None, alias="all")) -> Response:
        """`all` (every cluster) is accepted; a local control plane has one cluster."""
        first = index(_int("start", start, 0) or 0)
        size = _int("count", count, None)
        query = parse_deployment_query(cluster_of(cluster) if cluster else None, first, size,
                                       search, q)
        return json_response(renderer.list_body(query, first, size))

    @router.post("/api/v2/deployments", **described(v2.DeploymentFullSchemaV2, body=v2.CreateDeploymentV2))
    async def create_v2(request: Request, cluster: str | None = None) -> Response:
        name = cluster_of(cluster)
        body = await read_body(request, v2.CreateDeploymentV2, plane.limits)
        update, kept = to_v1(body)
        deployment_name = body.name or generated_name(body.bento_repository)
        create = m.CreateDeploymentSchema(name=deployment_name, **update.model_dump(exclude={"name"}))
        row = await plane.create(name, create, v2_config=kept)
        return json_response(renderer.render(row))

    @router.get("/api/v2/deployments/{name}", **described(v2.DeploymentFullSchemaV2))
    async def get_v2(name: str, cluster: str | None = None) -> Response:
        return json_response(renderer.render(find(name, cluster)))

    @router.put("/api/v2/deployments/{name}", **described(v2.DeploymentFullSchemaV2, body=v2.UpdateDeploymentV2))
    async def update_v2(name: str, request: Request, cluster: str | None = None) -> Response:
        row = find(name, cluster)
        body = await read_body(request, v2.UpdateDeploymentV2, plane.limits)
        update, kept = to_v1(body)
        return json_response(renderer.render(await plane.update(row, update, v2_config=kept)))

    @router.put("/api/v2/deployments/{name}/void_update", **described(v2.DeploymentFullSchemaV2))
    async def void_update_v2(name: str, cluster: str | None = None) -> Response:
        """Redeploy the current config as a new revision (no change)."""
        row = find(name, cluster)
        if row.active_revision is None:
            raise InvalidRequest(f"deployment {name} has no revision to redeploy")
        kept = flavours.split_target(row.active_revision.targets[0])[1]
        update = m.UpdateDeploymentSchema(
            targets=[m.CreateDeploymentTargetSchema.model_validate(flavours.split_target(t)[0])
                     for t in row.active_revision.targets],
            labels=[m.LabelItem.model_validate(x) for x in row.labels])
        return json_response(renderer.render(await plane.update(row, update, v2_config=kept)))

    @router.post("/api/v2/deployments/{name}/terminate", **described(v2.DeploymentFullSchemaV2))
    async def terminate_v2(name: str, cluster: str | None = None) -> Response:
        return json_response(renderer.render(await plane.terminate(find(name, cluster))))

    @router.delete("/api/v2/deployments/{name}", **described(v2.DeploymentFullSchemaV2))
    async def delete_v2(name: str, cluster: str | None = None) -> Response:
        row = find(name, cluster)
        rendered = renderer.render(row)
        await plane.delete(row)
        renderer.forget(row.uid)
        return json_response(rendered)

    @router.websocket("/ws/v2/deployments/{name}/pods")
    async def ws_pods_v2(websocket: WebSocket, name: str, cluster: str | None = None) -> None:
        try:
            row = find(name, cluster)
        except NotFound as exc:
            await websocket.accept()
            await ws.send_error(websocket, str(exc))
            await websocket.close()
            return
        await ws.serve_pods(websocket, plane, row)

    return router


def _selector(text: str) -> dict[str, str]:
    """`k=v,k2=v2` (a Kubernetes label selector of equalities)."""
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def cluster_pod_routes(plane: ControlPlane) -> APIRouter:
    """`/ws/v1/clusters/{c}/pods?selector=yatai.ai/bento-repository=R,yatai.ai/bento=V`: one
    snapshot of the replicas of every deployment running that bento.  bentoml 1.4 opens it while
    a deployment is `image-building` to find the image-builder pod; there is none here (the
    environment is built by the control plane itself), so it finds none and keeps polling status."""
    router = APIRouter()

    @router.websocket("/ws/v1/clusters/{cluster}/pods")
    async def ws_cluster_pods(websocket: WebSocket, cluster: str, selector: str = "") -> None:
        await websocket.accept()
        if cluster != plane.cluster_name:
            await ws.send_error(websocket, f"get cluster {cluster}: record not found")
            await websocket.close()
            return
        wanted = _selector(selector)
        repo = wanted.get("yatai.ai/bento-repository")
        version = wanted.get("yatai.ai/bento")
        pods: list[dict[str, Any]] = []
        for row in plane.store.deployments_to_run():
            target = flavours.split_target(row.active_revision.targets[0])[0] if row.active_revision else {}
            if (repo is None or target.get("bento_repository") == repo) and \
                    (version is None or target.get("bento") == version):
                pods.extend(p.to_wire() for p in plane.pods(row))
        await ws.send(websocket, pods)
        await websocket.close()

    return router
