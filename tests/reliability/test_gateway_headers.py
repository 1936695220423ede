"""Item 8, the gateway: the control plane's token never reaches a replica.

A deployment runs the user's code, which can read every request header; the control plane's
API token in `Authorization: Bearer` or in `X-YATAI-API-TOKEN` would let it drive the whole
control plane.  The gateway is called in-process with a stand-in for the replica that records
what it would have been sent.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from tui.localcloud.gateway import Gateway
from tui.localcloud.metrics import MetricsStore

TOKEN = "btui_the-control-plane-token"


def forwarded_headers(headers: list[tuple[bytes, bytes]], require_bearer: bool) -> dict[bytes, bytes] | int:
    """The headers the gateway passes on for a request with `headers`, or its refusal status."""
    spec = SimpleNamespace(require_bearer_token=require_bearer)
    dep = SimpleNamespace(uid="u", spec=spec, inflight=0, touch=lambda: None)
    gateway = Gateway(lambda cluster, name: dep, TOKEN, MetricsStore(interval_s=1.0, retention_s=60))
    seen: dict[str, Any] = {}

    async def serve(dep: Any, method: str, path: str, headers: list, body: bytes, send: Any,
                    started: float) -> int:
        seen["headers"] = dict(headers)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return 200

    gateway._serve = serve  # type: ignore[method-assign]
    statuses: list[int] = []

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def receive() -> dict:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/gw/default/svc/predict", "root_path": "/gw",
             "headers": headers, "query_string": b"", "client": ("127.0.0.1", 1), "scheme": "http"}
    asyncio.run(gateway(scope, receive, send))
    return seen["headers"] if "headers" in seen else statuses[0]


@pytest.mark.parametrize("require_bearer", [True, False])
def test_the_control_plane_token_is_not_forwarded(require_bearer: bool) -> None:
    forwarded = forwarded_headers([(b"authorization", f"Bearer {TOKEN}".encode()),
                                   (b"x-yatai-api-token", TOKEN.encode()),
                                   (b"x-custom", b"kept")], require_bearer)
    assert isinstance(forwarded, dict)
    assert TOKEN.encode() not in b"".join(forwarded.values())
    assert forwarded[b"x-custom"] == b"kept"


def test_a_service_s_own_bearer_passes_through_when_access_control_is_off() -> None:
    forwarded = forwarded_headers([(b"authorization", b"Bearer the-service-s-own")], False)
    assert isinstance(forwarded, dict) and forwarded[b"authorization"] == b"Bearer the-service-s-own"
    assert forwarded_headers([(b"authorization", b"Bearer the-service-s-own")], True) == 401
    assert forwarded_headers([(b"x-yatai-api-token", TOKEN.encode())], True) == 401
