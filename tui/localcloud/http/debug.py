"""Debug routes, for benchmarks only: absent unless `BENTOTUI_DEBUG_ROUTES=1` is set when the
control plane starts (off by default; never listed in /api/v1/info or the OpenAPI document).

`POST /api/v1/debug/clusters/{c}/namespaces/{ns}/deployments/{name}/kube_events` with
`{"count": N, "reason": "...", "message": "...", "type": "Normal"|"Warning"}` records N events
on the deployment in one transaction and pushes them to its kube_events sockets, as the runtime's
own events are.  It is how tests/bench/bench_events.py feeds 2,000 events/s to the TUI's events
pane through the real server and socket.  Like every /api route it needs the API token.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from tui.localcloud.controlplane import InvalidRequest
from tui.localcloud.state.hub import Change

if TYPE_CHECKING:
    from tui.localcloud.controlplane import ControlPlane

ENV = "BENTOTUI_DEBUG_ROUTES"


def enabled(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    return environ.get(ENV, "") == "1"


class InjectEvents(BaseModel):
    count: int = Field(1, ge=1, le=5000)
    reason: str = "BenchEvent"
    message: str = "an event injected by the benchmark"
    type: Literal["Normal", "Warning"] = "Normal"


def debug_routes(plane: ControlPlane) -> APIRouter:
    router = APIRouter()
    base = "/api/v1/debug/clusters/{cluster}/namespaces/{namespace}/deployments/{name}"

    @router.post(base + "/kube_events", include_in_schema=False)
    async def inject_events(cluster: str, namespace: str, name: str, request: Request) -> JSONResponse:
        row = plane.find(cluster, namespace, name)
        try:
            body = InjectEvents.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            raise InvalidRequest(f"invalid request: {exc.errors()[0]['msg']}") from None
        events = [(body.reason, f"{body.message} #{i}", body.type, "BentoDeployment", row.name)
                  for i in range(body.count)]
        written = plane.store.add_events(row.uid, events)
        plane.hub.publish(Change("events", row.uid, row.cluster))
        return JSONResponse({"written": written})

    return router
