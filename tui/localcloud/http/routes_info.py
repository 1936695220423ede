"""Identity and clusters: who is calling, which organisation, which cluster, what this server offers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tui import __version__
from tui.api import models as m
from tui.localcloud.controlplane import ControlPlane
from tui.localcloud.http.bodies import index, ok
from tui.localcloud.http.openapi import described
from tui.localcloud.http.views import audit_event

EXTENSIONS = {
    "metrics": "GET /api/v1/clusters/{c}/namespaces/{ns}/deployments/{name}/metrics?since_seconds=N",
    "pods_rest": "GET …/deployments/{name}/pods (the pods socket's list, once)",
    "kube_events_rest": "GET …/deployments/{name}/kube_events?after=RV",
    "exited_pods": "GET …/deployments/{name}/exited_pods (replicas that are gone but left a "
    "log, newest first; the tail socket accepts their pod_name)",
    "subscription_cluster": "subscription payload field cluster_name: every deployment of a "
    "cluster, with pushes for creations and deletions (push field event)",
    "gateway": "deployment urls are served at /gw/{cluster}/{name}/...",
    "pod_restart": "POST …/deployments/{name}/pods/{pod}/restart (stops that replica; a fresh "
    "one of the same component replaces it; answers {\"replaced\": pod, \"by\": new pod})",
}


def info_routes(plane: ControlPlane) -> APIRouter:
    router = APIRouter()


    @router.get("/api/v1/info")
    async def info() -> dict[str, Any]:
        return {"name": "bentotui-localcloud", "version": __version__, "local": True,
                "extensions": sorted(EXTENSIONS), "extension_routes": EXTENSIONS}

    @router.get("/api/v1/version")
    async def version() -> dict[str, Any]:
        return {"version": __version__, "git_commit": "", "build_date": ""}

    @router.get("/api/v1/auth/current", **described(m.UserSchema))
    async def current_user() -> Response:
        return ok(plane.ident.user)

    @router.get("/api/v1/current_org", **described(m.OrganizationSchema))
    async def current_org() -> Response:
        data = plane.ident.organization.to_wire()
        data["config"] = {}
        return ok(data)

    @router.get("/api/v1/current_org/events", **described(m.AuditEventListSchema))
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
        return audit_event(plane.ident, row)


    @router.get("/api/v1/clusters", **described(m.ClusterListSchema))
    async def clusters(start: int = 0, count: int = 20, search: str | None = None,
                       q: str | None = None) -> Response:
        items = [plane.ident.cluster]
        if search and search not in plane.cluster_name:
            items = []
        total = len(items)
        items = items[index(start): index(start) + index(count)]
        return ok(m.ClusterListSchema(start=start, count=count, total=total, items=items))

    @router.get("/api/v1/clusters/{cluster}", **described(m.ClusterFullSchema))
    async def cluster(cluster: str) -> Response:
        plane.check_cluster(cluster)
        return ok(plane.ident.cluster.model_dump(mode="json", by_alias=True))

    return router
