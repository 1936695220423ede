"""The client's mapping of HTTP outcomes to typed errors, with faults a real server won't make
on demand (proxies answering HTML, 5xx with trace ids, echoed tokens, refused ports)."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest

from tui.api import models as m
from tui.api.client import BentoCloudClient
from tui.api.errors import (
    ApiError,
    BadResponse,
    ConnectionFailed,
    NotFoundError,
    RequestRejected,
    ServerError,
    UnauthorizedError,
)

TOKEN = "s3cr3t-T0KEN-abcdef0123456789"
ENDPOINT = "http://cloud.test"

USER = {"name": "alice", "email": "a@example.com", "first_name": "Alice", "last_name": "L"}
NOW = "2024-01-02T03:04:05.123456Z"


def cluster_json(name: str = "default", namespace: str = "team-ns") -> dict:
    return {
        "uid": "c1",
        "created_at": NOW,
        "updated_at": NOW,
        "deleted_at": None,
        "name": name,
        "resource_type": "cluster",
        "labels": [],
        "description": "",
        "config": {"default_deployment_kube_namespace": namespace},
        "unknown_future_key": {"x": 1},
    }


def deployment_json(name: str = "iris", uid: str = "d1") -> dict:
    return {
        "uid": uid,
        "created_at": NOW,
        "updated_at": NOW,
        "deleted_at": None,
        "name": name,
        "resource_type": "deployment",
        "labels": [],
        "cluster": cluster_json(),
        "status": "running",
        "kube_namespace": "team-ns",
        "urls": [],
    }


class Recorder:
    """A MockTransport handler answering from a routing function and recording requests."""

    def __init__(self, route):
        self.route = route
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.route(request)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


def make_client(route, **kwargs) -> tuple[BentoCloudClient, Recorder]:
    recorder = Recorder(route)
    client = BentoCloudClient(
        ENDPOINT, TOKEN, transport=httpx.MockTransport(recorder), **kwargs
    )
    return client, recorder


def answer(status: int, body=None, *, text: str | None = None, headers=None):
    def route(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return route


def assert_no_token(*things: object) -> None:
    for thing in things:
        assert TOKEN not in str(thing)
        assert TOKEN not in repr(thing)


# ---------------------------------------------------------------------------- success


async def test_200_is_parsed_and_headers_are_sent():
    client, rec = make_client(answer(200, USER), organization="acme")
    async with client:
        user = await client.current_user()
    assert user.name == "alice" and user.display_name == "Alice L"
    request = rec.requests[0]
    assert request.url.path == "/api/v1/auth/current"
    assert request.headers["X-YATAI-API-TOKEN"] == TOKEN
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("bentotui/")
    assert request.headers["X-Yatai-Organization"] == "acme"
    assert_no_token(client)


async def test_only_200_is_success():
    client, _ = make_client(answer(201, USER))
    async with client:
        with pytest.raises(BadResponse) as info:
            await client.current_user()
    assert info.value.status == 201
    assert "201" in info.value.message


# ---------------------------------------------------------------------------- error mapping


async def test_404_is_not_found():
    body = {"error": "get deployment iris: record not found"}
    client, _ = make_client(answer(404, body))
    async with client:
        with pytest.raises(NotFoundError) as info:
            await client.get_deployment("default", "iris", namespace="ns")
    assert info.value.status == 404
    assert info.value.message == "get deployment iris: record not found"


async def test_400_record_not_found_is_not_found():
    client, _ = make_client(answer(400, {"error": "get bento repository x: record not found"}))
    async with client:
        with pytest.raises(NotFoundError) as info:
            await client.get_bento_repository("x")
    assert info.value.status == 400


async def test_400_is_request_rejected_with_the_server_text():
    client, _ = make_client(answer(400, {"error": "deployment is not terminated"}))
    async with client:
        with pytest.raises(RequestRejected) as info:
            await client.delete_deployment("default", "iris", namespace="ns")
    assert info.value.status == 400
    assert info.value.server_message == "deployment is not terminated"
    assert "deployment is not terminated" in info.value.message
    assert not isinstance(info.value, NotFoundError)


async def test_422_message_key_is_used():
    client, _ = make_client(answer(422, {"message": "name is taken"}))
    async with client:
        with pytest.raises(RequestRejected, match="name is taken"):
            await client.current_org()


@pytest.mark.parametrize("status", [401, 403])
async def test_401_403_are_unauthorized(status):
    client, _ = make_client(answer(status, {"message": "bad api token"}))
    async with client:
        with pytest.raises(UnauthorizedError) as info:
            await client.current_user()
    assert info.value.status == status
    assert info.value.message == f"the API token was refused by {ENDPOINT}: bad api token"


async def test_500_is_server_error_with_trace_id():
    client, _ = make_client(
        answer(502, {"error": "upstream exploded"}, headers={"x-trace-id": "trace-42"})
    )
    async with client:
        with pytest.raises(ServerError) as info:
            await client.list_clusters()
    exc = info.value
    assert exc.status == 502 and exc.trace_id == "trace-42"
    assert "trace-42" in exc.message and "upstream exploded" in exc.message


async def test_html_200_is_bad_response():
    html = "<html><head><title>Sign in</title></head><body>" + "x" * 1000 + "</body></html>"
    client, _ = make_client(answer(200, text=html, headers={"content-type": "text/html"}))
    async with client:
        with pytest.raises(BadResponse) as info:
            await client.current_user()
    message = info.value.message
    assert "text/html" in message and "200" in message and "<title>Sign in" in message
    assert len(message) < 400  # the body is cut short


async def test_json_of_the_wrong_shape_is_bad_response():
    client, _ = make_client(answer(200, {"items": "not a list"}))
    async with client:
        with pytest.raises(BadResponse, match="does not match the expected schema"):
            await client.list_deployments("default")


async def test_connection_refused_names_the_endpoint():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    async with BentoCloudClient(endpoint, TOKEN, timeout=2) as client:
        with pytest.raises(ConnectionFailed) as info:
            await client.current_user()
    assert info.value.message == f"could not connect to {endpoint} (connection refused)"
    assert info.value.status is None
    assert_no_token(info.value)


async def test_a_silent_server_times_out():
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader, writer):
        writers.append(writer)  # accept, read nothing, answer nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        endpoint = f"http://127.0.0.1:{port}"
        async with BentoCloudClient(endpoint, TOKEN, timeout=0.2) as client:
            with pytest.raises(ConnectionFailed) as info:
                await client.current_user()
        assert info.value.message == f"{endpoint} did not answer within 0.2 s"
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_mocked_timeout_is_connection_failed():
    def route(request):
        raise httpx.ConnectTimeout("timed out", request=request)

    client, _ = make_client(route)
    async with client:
        with pytest.raises(ConnectionFailed, match="could not connect to http://cloud.test"):
            await client.current_user()


async def test_token_never_leaks_even_when_the_server_echoes_it():
    echo = f"invalid token {TOKEN!s} for user alice"
    cases = [
        (403, {"message": echo}, UnauthorizedError),
        (400, {"error": echo}, RequestRejected),
        (404, {"error": echo + ": record not found"}, NotFoundError),
        (500, {"error": echo}, ServerError),
    ]
    for status, body, kind in cases:
        client, _ = make_client(answer(status, body))
        async with client:
            with pytest.raises(kind) as info:
                await client.current_user()
        exc = info.value
        assert_no_token(exc, exc.args, exc.message, exc.server_message, client)
        assert "***" in exc.message
    client, _ = make_client(answer(200, text=f"<html>{TOKEN}</html>"))
    async with client:
        with pytest.raises(BadResponse) as info:
            await client.current_user()
    assert_no_token(info.value)


def test_error_repr_and_redaction():
    exc = ServerError(f"boom {TOKEN}", status=500, trace_id="t", secrets=(TOKEN,))
    assert isinstance(exc, ApiError)
    assert repr(exc) == "ServerError(status=500, message='boom ***')"
    assert str(exc) == "boom ***"


# ---------------------------------------------------------------------------- requests


async def test_list_query_params_left_out_when_none():
    client, rec = make_client(answer(200, {"start": 0, "count": 0, "total": 0, "items": []}))
    async with client:
        await client.list_deployments("default")
        await client.list_deployments("default", start=0, count=5, q="status:running")
    assert rec.requests[0].url.query == b""
    assert dict(rec.requests[1].url.params) == {"start": "0", "count": "5", "q": "status:running"}


async def test_iter_deployments_pages_through_everything():
    total = 7

    def route(request):
        start = int(request.url.params["start"])
        count = int(request.url.params["count"])
        items = [deployment_json(f"d{i}", f"u{i}") for i in range(start, min(total, start + count))]
        return httpx.Response(
            200, json={"start": start, "count": count, "total": total, "items": items}
        )

    client, rec = make_client(route)
    async with client:
        names = [d.name async for d in client.iter_deployments("default", page_size=3)]
    assert names == [f"d{i}" for i in range(total)]
    assert [r.url.params["start"] for r in rec.requests] == ["0", "3", "6"]


async def test_namespace_defaulting_fetches_the_cluster_once():
    def route(request):
        if request.url.path == "/api/v1/clusters/default":
            return httpx.Response(200, json=cluster_json())
        return httpx.Response(200, json=deployment_json())

    client, rec = make_client(route)
    async with client:
        await asyncio.gather(
            client.get_deployment("default", "iris"),
            client.get_deployment("default", "iris"),
        )
        await client.terminate_deployment("default", "iris")
        await client.get_deployment("default", "iris", namespace="other")
    assert rec.paths() == [
        "/api/v1/clusters/default",
        "/api/v1/clusters/default/namespaces/team-ns/deployments/iris",
        "/api/v1/clusters/default/namespaces/team-ns/deployments/iris",
        "/api/v1/clusters/default/namespaces/team-ns/deployments/iris/terminate",
        "/api/v1/clusters/default/namespaces/other/deployments/iris",
    ]
    terminate = rec.requests[3]
    assert terminate.method == "POST" and terminate.content == b""


async def test_create_sends_the_wire_body_without_nulls():
    client, rec = make_client(answer(200, deployment_json()))
    body = m.CreateDeploymentSchema(
        name="iris",
        targets=[m.CreateDeploymentTargetSchema(bento_repository="iris_classifier", bento="v1")],
    )
    async with client:
        result = await client.create_deployment("default", body)
    assert result.status is m.DeploymentStatus.RUNNING
    request = rec.requests[0]
    assert request.method == "POST" and request.url.path == "/api/v1/clusters/default/deployments"
    sent = json.loads(request.content)
    assert sent == body.to_wire()
    assert "description" not in sent and None not in sent.values()


async def test_metrics_route_absent_is_none_but_missing_deployment_raises():
    for body in ({"message": "not found this router with method GET"}, None):
        route = answer(404, body) if body else answer(404, text="404 page not found")
        client, rec = make_client(route)
        async with client:
            assert await client.deployment_metrics("default", "iris", namespace="ns") is None
        assert rec.requests[0].url.params["since_seconds"] == "600"
        assert rec.requests[0].url.path.endswith("/deployments/iris/metrics")
    client, _ = make_client(answer(404, {"error": "get deployment iris: record not found"}))
    async with client:
        with pytest.raises(NotFoundError):
            await client.deployment_metrics("default", "iris", namespace="ns")
    client, _ = make_client(answer(200, {"interval_seconds": 2, "replicas": []}))
    async with client:
        metrics = await client.deployment_metrics("default", "iris", namespace="ns")
    assert metrics is not None and metrics.interval_seconds == 2


async def test_server_info_detects_extensions_or_none():
    client, _ = make_client(answer(200, {"local": True, "extensions": ["metrics"]}))
    async with client:
        assert await client.server_info() == {"local": True, "extensions": ["metrics"]}
    client, _ = make_client(answer(404, text="nope"))
    async with client:
        assert await client.server_info() is None
