"""HTTP and websocket routes of the local control plane (BentoCloud / Yatai v1 API).

Status codes and bodies follow the reference's compatibility checklist: 200 with JSON on
success, 403 `{"message"}` without a valid `X-YATAI-API-TOKEN`, 404 `{"error": "... record not
found"}`, 400 `{"error"}` for anything invalid, 404 `{"message": "not found this router ..."}`
for unknown routes.  Extensions beyond Yatai are listed in `routes_info.EXTENSIONS` and served by
`/api/v1/info`.  This module builds the app: middleware, error shapes, and the routers of
each resource (`routes_*.py`, `registry/routes.py`) in the order they must match.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tui import __version__
from tui.localcloud.controlplane import ControlPlane, InvalidRequest
from tui.localcloud.http import debug, recorder, routes_v2
from tui.localcloud.http.bodies import BodyRefused, error, read_body
from tui.localcloud.http.guards import SocketCap, TokenGuard
from tui.localcloud.http.openapi import describe_openapi, described
from tui.localcloud.http.routes_bentos import bento_routes
from tui.localcloud.http.routes_deployments import deployment_routes
from tui.localcloud.http.routes_info import info_routes
from tui.localcloud.http.routes_sockets import socket_routes
from tui.localcloud.registry.routes import registry_routes
from tui.localcloud.state.store import NotFound, StorageError

log = logging.getLogger("bentotui.localcloud")

# Test-only: `BENTOTUI_V1_ONLY=1` when the control plane starts leaves the v2 routes out, so it
# answers 404 on /api/v2/deployments as a v1-only server does (tests of API flavour detection).
V1_ONLY_ENV = "BENTOTUI_V1_ONLY"


def v1_only() -> bool:
    return os.environ.get(V1_ONLY_ENV, "") == "1"


def create_app(plane: ControlPlane, token: str, *, manage_lifecycle: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
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
            schema = generated_openapi()  # FastAPI keeps it in app.openapi_schema too
            describe_openapi(schema)
            return schema
        return app.openapi_schema

    # Replacing app.openapi is FastAPI's documented way to extend the schema; its stubs type it
    # as a method, which mypy will not let an instance replace.
    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(SocketCap, limit=plane.limits.websockets)
    app.add_middleware(routes_v2.DropEmptyQueryValues)
    app.add_middleware(TokenGuard, token=token)
    record_to = recorder.target()
    if record_to is not None:  # BENTOTUI_RECORD_REQUESTS: what clients send, raw
        app.add_middleware(recorder.RequestRecorder, path=record_to)
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

    # ------------------------------------------------------------------ routes, in match order

    app.include_router(info_routes(plane))  # identity, organisation, clusters
    app.include_router(deployment_routes(plane))  # v1 deployments
    if not v1_only():  # tests of a v1-only server (a Yatai, the 2023 BentoCloud) switch v2 off
        app.include_router(routes_v2.v2_routes(plane))  # /api/v2/deployments, /api/v1/instance_types
    app.include_router(routes_v2.cluster_pod_routes(plane))  # bentoml 1.4's image-builder look-up
    app.include_router(bento_routes(plane))
    # push/pull, models (registry/)
    app.include_router(registry_routes(plane, functools.partial(read_body, limits=plane.limits), described))
    if debug.enabled():  # bench-only routes, off by default (tui/localcloud/http/debug.py)
        app.include_router(debug.debug_routes(plane))
    app.include_router(socket_routes(plane))  # /ws/v1
    return app
