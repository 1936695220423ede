"""Item 8, the gateway: the control plane's token never reaches a replica.

A deployment runs the user's code, which can read every request header; the control plane's
API token in `Authorization: Bearer` or in `X-YATAI-API-TOKEN` would let it drive the whole
control plane.  The gateway is called in-process with a stand-in for the replica that records
what it would have been sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.support.reliability import Rig
from tui.localcloud.runtime.gateway import Gateway
from tui.localcloud.runtime.metrics import MetricsStore

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


# --------------------------------------------------------------------------- through a real replica
# The real gateway (uvicorn, its own process) in front of a replica that echoes the head it got.


def echoed(rig: Rig, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    response = httpx.post(rig.url + "/echo", headers=headers, content=b"{}", timeout=10)
    assert response.status_code == 200, response.text
    return [(k.lower(), v) for k, v in response.json()["head"]]


@pytest.mark.parametrize("spelling", [
    "Bearer {t}", "bearer {t}", "BEARER {t}", "Bearer\t{t}", "Bearer    {t}", "Bearer {t}trailing",
    "bEaReR {t}", "Token {t}", "{t}", "Basic {basic}", "basic {basic_user}",
])
def test_the_token_never_reaches_the_replica_whatever_the_spelling(rig: Rig, spelling: str) -> None:
    value = spelling.format(t=rig.token,
                            basic=base64.b64encode(f":{rig.token}".encode()).decode(),
                            basic_user=base64.b64encode(f"{rig.token}:x".encode()).decode())
    head = echoed(rig, [("Authorization", value), ("X-Custom", "kept")])
    assert rig.token not in json.dumps(head)
    assert not [k for k, _ in head if k == "authorization"]
    assert ("x-custom", "kept") in head


@pytest.mark.parametrize("name", ["X-YATAI-API-TOKEN", "x-yatai-api-token", "X-Yatai-Api-Token"])
def test_the_yatai_header_is_dropped_in_any_case(rig: Rig, name: str) -> None:
    head = echoed(rig, [(name, "anything-at-all")])
    assert not [k for k, _ in head if k == "x-yatai-api-token"]


def test_any_header_carrying_the_token_is_dropped(rig: Rig) -> None:
    head = echoed(rig, [("X-Api-Key", rig.token), ("Cookie", f"session=1; t={rig.token}"),
                        ("X-Other", "fine")])
    assert rig.token not in json.dumps(head)
    assert ("x-other", "fine") in head


def test_a_service_s_own_credentials_still_pass(rig: Rig) -> None:
    head = echoed(rig, [("Authorization", "Bearer the-service-s-own")])
    assert ("authorization", "Bearer the-service-s-own") in head


def test_x_forwarded_headers_are_the_gateway_s_not_the_client_s(rig: Rig) -> None:
    head = echoed(rig, [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "7.7.7.7"),
                        ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"),
                        ("Forwarded", "for=6.6.6.6"), ("X-Real-IP", "6.6.6.6")])
    values = {k: [v for key, v in head if key == k] for k, _ in head}
    assert values["x-forwarded-for"] == ["127.0.0.1"]
    assert values["x-forwarded-proto"] == ["http"]
    assert len(values["x-forwarded-host"]) == 1 and "evil" not in values["x-forwarded-host"][0]
    assert "forwarded" not in values and "x-real-ip" not in values


def test_hop_by_hop_headers_are_stripped_both_ways(rig: Rig) -> None:
    head = echoed(rig, [("Connection", "x-private"), ("X-Private", "secret"), ("TE", "trailers"),
                        ("Keep-Alive", "timeout=5")])
    assert not {k for k, _ in head} & {"x-private", "te", "keep-alive"}
    response = httpx.get(rig.url + "/hop", timeout=10)
    assert response.status_code == 200
    assert "x-secret-hop" not in response.headers and "keep-alive" not in response.headers
