"""The v1 deployment routes: list, create, get, update, terminate, delete, revisions, and what runs."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tui.api import models as m
from tui.localcloud.controlplane import ControlPlane
from tui.localcloud.http.bodies import index, ok, parse_deployment_query, read_body
from tui.localcloud.http.openapi import described
from tui.localcloud.state.store import NotFound


def deployment_routes(plane: ControlPlane) -> APIRouter:
    router = APIRouter()


    def _list(cluster: str | None, start: int, count: int | None, search: str | None,
              q: str | None) -> Response:
        query = parse_deployment_query(cluster, start, count, search, q)
        return Response(plane.list_body(query, count), media_type="application/json")

    def deployment_response(row: Any) -> Response:
        return Response(plane.render_json(row), media_type="application/json")

    @router.get("/api/v1/clusters/{cluster}/deployments", **described(m.DeploymentListSchema))
    async def list_deployments(cluster: str, start: int = 0, count: int | None = None,
                               search: str | None = None, q: str | None = None) -> Response:
        plane.check_cluster(cluster)
        return _list(cluster, start, count, search, q)

    @router.get("/api/v1/deployments", **described(m.DeploymentListSchema))
    async def list_org_deployments(start: int = 0, count: int | None = None,
                                   search: str | None = None, q: str | None = None) -> Response:
        return _list(None, start, count, search, q)

    @router.post("/api/v1/clusters/{cluster}/deployments",
              **described(m.DeploymentSchema, body=m.CreateDeploymentSchema))
    async def create_deployment(cluster: str, request: Request) -> Response:
        plane.check_cluster(cluster)
        body = await read_body(request, m.CreateDeploymentSchema, plane.limits)
        row = await plane.create(cluster, body)
        return deployment_response(row)

    base = "/api/v1/clusters/{cluster}/namespaces/{namespace}/deployments/{name}"

    @router.get(base, **described(m.DeploymentSchema))
    async def get_deployment(cluster: str, namespace: str, name: str) -> Response:
        return deployment_response(plane.find(cluster, namespace, name))

    @router.patch(base, **described(m.DeploymentSchema, body=m.UpdateDeploymentSchema))
    async def update_deployment(cluster: str, namespace: str, name: str, request: Request) -> Response:
        row = plane.find(cluster, namespace, name)
        body = await read_body(request, m.UpdateDeploymentSchema, plane.limits)
        return deployment_response(await plane.update(row, body))

    @router.post(base + "/terminate", **described(m.DeploymentSchema))
    async def terminate_deployment(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return deployment_response(await plane.terminate(row))

    @router.post(base + "/sync_status", **described(m.DeploymentSchema))
    async def sync_status(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return deployment_response(await plane.sync_status(row))

    @router.delete(base, **described(m.DeploymentSchema))
    async def delete_deployment(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        rendered = plane.render_json(row)
        await plane.delete(row)
        return Response(rendered, media_type="application/json")

    @router.get(base + "/revisions", **described(m.DeploymentRevisionListSchema))
    async def list_revisions(cluster: str, namespace: str, name: str, start: int = 0,
                             count: int = 20) -> Response:
        row = plane.find(cluster, namespace, name)
        total, rows = plane.store.list_revisions(row.id, index(start), index(count))
        return ok(m.DeploymentRevisionListSchema(
            start=start, count=count, total=total,
            items=[plane.render_revision(r) for r in rows],
        ))

    @router.get(base + "/revisions/{revision_uid}", **described(m.DeploymentRevisionSchema))
    async def get_revision(cluster: str, namespace: str, name: str, revision_uid: str) -> Response:
        row = plane.find(cluster, namespace, name)
        revision = plane.store.get_revision(row.id, revision_uid)
        if revision is None:
            raise NotFound(f"get deployment revision {revision_uid}: record not found")
        return ok(plane.render_revision(revision))

    @router.get(base + "/metrics", **described(m.DeploymentMetricsSchema))
    async def metrics(cluster: str, namespace: str, name: str,
                      since_seconds: float = 600) -> Response:
        row = plane.find(cluster, namespace, name)
        since = 600.0 if math.isnan(since_seconds) else min(max(since_seconds, 1.0), 3600.0)
        return ok(plane.runtime.metrics(row.uid, since_seconds=since))

    @router.get(base + "/pods", **described(list[m.KubePodSchema]))
    async def pods(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return ok([p.to_wire() for p in plane.pods(row)])

    @router.post(base + "/pods/{pod}/restart", **described(m.ReplicaRestartSchema))
    async def restart_pod(cluster: str, namespace: str, name: str, pod: str) -> Response:
        row = plane.find(cluster, namespace, name)
        fresh = plane.runtime.restart_replica(row.uid, pod)
        if fresh is None:
            raise NotFound(f"get pod {pod}: no live replica of {name} has this name")
        return ok(m.ReplicaRestartSchema(replaced=pod, by=fresh))

    @router.get(base + "/exited_pods", **described(list[m.ExitedReplicaSchema]))
    async def exited_pods(cluster: str, namespace: str, name: str) -> Response:
        row = plane.find(cluster, namespace, name)
        return ok([p.to_wire() for p in await asyncio.to_thread(plane.exited_pods, row)])

    @router.get(base + "/kube_events", **described(list[m.KubeEvent]))
    async def kube_events(cluster: str, namespace: str, name: str, after: int = 0,
                          limit: int = 200) -> Response:
        row = plane.find(cluster, namespace, name)
        events = plane.events(row, after_id=index(after), limit=min(max(limit, 1), 2000))
        return ok([e.to_wire() for _, e in events])

    return router
