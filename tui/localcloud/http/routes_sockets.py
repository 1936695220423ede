"""The v1 websockets: pods, kube events, log tails and the resource subscription."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from tui.localcloud.controlplane import ControlPlane
from tui.localcloud.http import websockets as ws
from tui.localcloud.state.store import DeploymentRow, NotFound


def socket_routes(plane: ControlPlane) -> APIRouter:
    router = APIRouter()


    ws_base = "/ws/v1/clusters/{cluster}/namespaces/{namespace}/deployments/{name}"

    async def _resolve(websocket: WebSocket, cluster: str, namespace: str | None,
                       name: str) -> DeploymentRow | None:
        try:
            return plane.find(cluster, namespace, name)
        except NotFound as exc:
            await websocket.accept()
            await ws.send_error(websocket, str(exc))
            await websocket.close()
            return None

    @router.websocket(ws_base + "/pods")
    async def ws_pods(websocket: WebSocket, cluster: str, namespace: str, name: str) -> None:
        row = await _resolve(websocket, cluster, namespace, name)
        if row is not None:
            await ws.serve_pods(websocket, plane, row)

    @router.websocket(ws_base + "/kube_events")
    async def ws_events(websocket: WebSocket, cluster: str, namespace: str, name: str,
                        pod_name: str | None = None) -> None:
        row = await _resolve(websocket, cluster, namespace, name)
        if row is not None:
            await ws.serve_kube_events(websocket, plane, row, pod_name or None)

    @router.websocket(ws_base + "/tail")
    async def ws_tail(websocket: WebSocket, cluster: str, namespace: str, name: str,
                      pod_name: str = "", container_name: str = "main") -> None:
        row = await _resolve(websocket, cluster, namespace, name)
        if row is not None:
            await ws.serve_tail(websocket, plane, row, pod_name)

    @router.websocket("/ws/v1/clusters/{cluster}/tail")
    async def ws_cluster_tail(websocket: WebSocket, cluster: str, namespace: str = "",
                              pod_name: str = "", container_name: str = "main") -> None:
        row = _deployment_of_pod(cluster, pod_name)
        if row is None:
            await websocket.accept()
            await ws.send_error(websocket, f"get pod {pod_name}: record not found")
            await websocket.close()
            return
        await ws.serve_tail(websocket, plane, row, pod_name)

    def _deployment_of_pod(cluster: str, pod_name: str) -> DeploymentRow | None:
        if cluster != plane.cluster_name:
            return None
        for row in plane.store.deployments_to_run():
            if any(r.name == pod_name for r in plane.runtime.replicas(row.uid)):
                return row
        return None

    @router.websocket("/ws/v1/subscription/resource")
    async def ws_subscription(websocket: WebSocket) -> None:
        await ws.serve_subscription(websocket, plane)

    return router
