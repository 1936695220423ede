"""Streams against a real websocket server on loopback (Starlette + uvicorn, port 0) that
sends envelopes and then drops the connection, so reconnects are real."""

from __future__ import annotations

import asyncio
import json
import socket
from collections import defaultdict
from collections.abc import Callable

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tui.api import models as m
from tui.api.client import BentoCloudClient
from tui.api.errors import UnauthorizedError
from tui.api.streams import (
    BACKOFF_MAX,
    ReconnectingStream,
    StreamStatus,
    backoff_delay,
    subscribe_resources,
    tail_logs,
    upgrade_url,
    watch_kube_events,
    watch_pods,
    ws_url,
)

TOKEN = "ws-secret-token-0123456789"
FAST = {"heartbeat_interval": 0.05, "backoff_initial": 0.01, "backoff_max": 0.05}
DEPLOYMENT_WS = "/ws/v1/clusters/{cluster}/namespaces/{ns}/deployments/{name}"
NOW = "2024-01-02T03:04:05Z"


class Hub:
    """What the test server saw, per connection (numbered from 1)."""

    def __init__(self) -> None:
        self.connections = 0
        self.received: dict[int, list[dict]] = defaultdict(list)
        self.query: dict[int, dict[str, str]] = {}
        self.path: dict[int, str] = {}
        self.closed: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def accept(self, ws: WebSocket) -> int | None:
        """Accept if the token is right (else refuse the handshake: HTTP 403)."""
        if ws.headers.get("x-yatai-api-token") != TOKEN:
            await ws.close(code=1008)
            return None
        await ws.accept()
        self.connections += 1
        n = self.connections
        self.query[n] = dict(ws.query_params)
        self.path[n] = ws.url.path
        return n

    async def receive(self, ws: WebSocket, n: int, *, skip_heartbeats: bool = True) -> dict:
        while True:
            message = json.loads(await asyncio.wait_for(ws.receive_text(), 5))
            self.received[n].append(message)
            if not (skip_heartbeats and message.get("type") == "heartbeat"):
                return message

    async def drain(self, ws: WebSocket, n: int) -> None:
        """Keep the connection open, recording messages, until the client leaves."""
        try:
            while True:
                self.received[n].append(json.loads(await ws.receive_text()))
        except WebSocketDisconnect:
            self.closed[n].set()


def ok(payload, message: str = "") -> dict:
    return {"type": "success", "message": message, "payload": payload}


def pod(name: str) -> dict:
    return {"name": name, "status": {"phase": "Running", "ready": True}, "extra": 1}


@pytest.fixture
async def serve():
    """`await serve(routes)` -> the endpoint of a real server on a free loopback port."""
    running: list[tuple[uvicorn.Server, asyncio.Task]] = []

    async def start(routes: list) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            Starlette(routes=routes), log_level="error", lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        running.append((server, task))
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        return f"http://127.0.0.1:{port}"

    yield start
    for server, task in running:
        server.should_exit = True
        await asyncio.wait_for(task, 5)


async def take(stream, until: Callable[[list], bool], timeout: float = 5.0) -> list:
    """Items of `stream` until `until(items)` is true (the stream stays open)."""
    items: list = []

    async def run() -> None:
        async for item in stream:
            items.append(item)
            if until(items):
                return

    await asyncio.wait_for(run(), timeout)
    return items


def data(items: list) -> list:
    return [i for i in items if not isinstance(i, StreamStatus)]


def states(items: list) -> list[tuple[str, int]]:
    return [(i.state, i.attempt) for i in items if isinstance(i, StreamStatus)]


# ---------------------------------------------------------------------------- pure helpers


def test_backoff_doubles_with_jitter_up_to_the_maximum():
    for _ in range(50):
        assert 0.16 <= backoff_delay(1) <= 0.24
        assert 0.32 <= backoff_delay(2) <= 0.48
        assert 0.8 * BACKOFF_MAX <= backoff_delay(30) <= BACKOFF_MAX
    assert len({backoff_delay(3) for _ in range(20)}) > 1  # jittered


def test_ws_url_scheme():
    assert ws_url("http://127.0.0.1:3000/", "/ws/v1/x") == "ws://127.0.0.1:3000/ws/v1/x"
    assert (
        ws_url("https://cloud.example", "/ws/v1/t", {"pod_name": "p 1", "x": None})
        == "wss://cloud.example/ws/v1/t?pod_name=p+1"
    )
    # the upgrade goes to the endpoint's own scheme: httpcore pools connections by origin
    assert upgrade_url("http://127.0.0.1:3000/", "/ws/v1/x") == "http://127.0.0.1:3000/ws/v1/x"
    assert upgrade_url("https://cloud.example", "/ws/v1/t", {"a": 1}) == "https://cloud.example/ws/v1/t?a=1"


# ---------------------------------------------------------------------------- streams


async def test_pods_heartbeat_reconnect(serve):
    hub = Hub()

    async def pods(ws: WebSocket) -> None:
        n = await hub.accept(ws)
        if n is None:
            return
        await ws.send_json(ok([pod(f"pod-{n}")]))
        if n == 1:
            await hub.receive(ws, n, skip_heartbeats=False)  # the heartbeat
            await ws.close()
            return
        await hub.drain(ws, n)

    endpoint = await serve([WebSocketRoute(DEPLOYMENT_WS + "/pods", pods)])
    async with BentoCloudClient(endpoint, TOKEN) as client:
        stream = watch_pods(client, "default", "team-ns", "iris", **FAST)
        items = await take(stream, lambda items: len(data(items)) == 2)
        assert TOKEN not in repr(stream)
        await stream.aclose()
    pods_seen = data(items)
    assert all(isinstance(p, m.KubePodSchema) for batch in pods_seen for p in batch)
    assert [[p.name for p in batch] for batch in pods_seen] == [["pod-1"], ["pod-2"]]
    assert pods_seen[0][0].status.ready is True
    assert states(items) == [
        ("connecting", 0), ("connected", 0), ("reconnecting", 1), ("connected", 1)
    ]
    reconnecting = [i for i in items if isinstance(i, StreamStatus) and i.state == "reconnecting"]
    assert "closed" in reconnecting[0].error
    assert hub.received[1] == [{"type": "heartbeat"}]
    assert hub.path[1] == "/ws/v1/clusters/default/namespaces/team-ns/deployments/iris/pods"
    await asyncio.wait_for(hub.closed[2].wait(), 5)  # aclose really closed the socket


async def test_kube_events_default_namespace_and_pod_filter(serve):
    hub = Hub()
    cluster_calls = []

    async def cluster(request):
        cluster_calls.append(request.url.path)
        return JSONResponse({
            "uid": "c", "created_at": NOW, "name": "default", "resource_type": "cluster",
            "config": {"default_deployment_kube_namespace": "team-ns"},
        })

    async def events(ws: WebSocket) -> None:
        n = await hub.accept(ws)
        if n is None:
            return
        await ws.send_json(ok(None))  # Go's empty slice
        await ws.send_json(ok([{
            "metadata": {"name": "e1", "resourceVersion": "7"},
            "involvedObject": {"kind": "Pod", "name": "iris-1"},
            "reason": "BackOff", "message": "restarting", "type": "Warning",
            "lastTimestamp": NOW,
        }]))
        await hub.drain(ws, n)

    endpoint = await serve([
        Route("/api/v1/clusters/{name}", cluster),
        WebSocketRoute(DEPLOYMENT_WS + "/kube_events", events),
    ])
    async with BentoCloudClient(endpoint, TOKEN) as client:
        stream = watch_kube_events(client, "default", None, "iris", pod_name="iris-1", **FAST)
        async with stream as s:
            items = await take(s, lambda items: len(data(items)) == 2)
    first, second = data(items)
    assert first == []
    assert second[0].reason == "BackOff" and second[0].is_warning
    assert second[0].involved_object.name == "iris-1"
    assert hub.path[1] == "/ws/v1/clusters/default/namespaces/team-ns/deployments/iris/kube_events"
    assert hub.query[1] == {"pod_name": "iris-1"}
    assert cluster_calls == ["/api/v1/clusters/default"]


async def test_tail_replace_append_reconnect_and_eof(serve):
    hub = Hub()

    async def tail(ws: WebSocket) -> None:
        n = await hub.accept(ws)
        if n is None:
            return
        request = await hub.receive(ws, n)
        rid = request["payload"]["id"]
        if n == 1:
            await ws.send_json(ok({"req_id": "someone-else", "type": "append", "items": ["x"]}))
            await ws.send_json(ok({"req_id": rid, "type": "replace", "items": ["l1", "l2"]}))
            await ws.send_json(ok({"req_id": rid, "type": "append", "items": ["l3"]}))
            await ws.close()
            return
        await ws.send_json(ok({"req_id": rid, "type": "replace", "items": ["l1", "l2", "l3"]}))
        await ws.send_json(ok({"req_id": rid, "type": "append", "items": ["l4"]}))
        await ws.send_json({"type": "success", "message": "EOF", "payload": None})
        await hub.drain(ws, n)

    endpoint = await serve([WebSocketRoute(DEPLOYMENT_WS + "/tail", tail)])
    async with BentoCloudClient(endpoint, TOKEN) as client:
        stream = tail_logs(client, "default", "team-ns", "iris", "iris-abc", **FAST)
        items = await asyncio.wait_for(_collect(stream), 5)
    payloads = data(items)
    assert [(p.type, p.items) for p in payloads] == [
        ("replace", ["l1", "l2"]),
        ("append", ["l3"]),
        ("replace", ["l1", "l2", "l3"]),
        ("append", ["l4"]),
    ]
    buffer: list[str] = []
    for p in payloads:
        buffer = list(p.items) if p.type == "replace" else buffer + p.items
    assert buffer == ["l1", "l2", "l3", "l4"]
    assert hub.query[1] == {"pod_name": "iris-abc", "container_name": "main"}
    first, again = hub.received[1][0], hub.received[2][0]
    assert first == again  # the same request is re-sent after the reconnect
    assert first["type"] == "data"
    assert first["payload"] == {
        "id": first["payload"]["id"], "tail_lines": 100, "container_name": "main",
        "since_time": None, "follow": True,
    }
    assert states(items)[-1] == ("connected", 1)
    await asyncio.wait_for(hub.closed[2].wait(), 5)


async def _collect(stream: ReconnectingStream) -> list:
    return [item async for item in stream]


async def test_tail_without_follow_ends_after_the_replace(serve):
    hub = Hub()

    async def tail(ws: WebSocket) -> None:
        n = await hub.accept(ws)
        if n is None:
            return
        request = await hub.receive(ws, n)
        rid = request["payload"]["id"]
        await ws.send_json(ok({"req_id": rid, "type": "replace", "items": ["only"]}))
        await hub.drain(ws, n)

    endpoint = await serve([WebSocketRoute(DEPLOYMENT_WS + "/tail", tail)])
    async with BentoCloudClient(endpoint, TOKEN) as client:
        stream = tail_logs(client, "c", "ns", "d", "p", tail_lines=5, follow=False, **FAST)
        items = await asyncio.wait_for(_collect(stream), 5)
    assert [p.items for p in data(items)] == [["only"]]
    assert hub.received[1][0]["payload"]["follow"] is False
    assert hub.received[1][0]["payload"]["tail_lines"] == 5
    assert hub.connections == 1


async def test_subscription_change_survives_reconnect(serve):
    hub = Hub()

    async def subscription(ws: WebSocket) -> None:
        n = await hub.accept(ws)
        if n is None:
            return
        await hub.receive(ws, n)  # the initial subscribe
        await ws.send_json(ok({"resource_type": "deployment", "payload": {"uid": f"push-{n}"}}))
        if n == 1:
            await hub.receive(ws, n)  # unsubscribe u1
            await hub.receive(ws, n)  # subscribe u2, u3
            await ws.close()
            return
        await hub.drain(ws, n)

    endpoint = await serve([WebSocketRoute("/ws/v1/subscription/resource", subscription)])
    async with BentoCloudClient(endpoint, TOKEN) as client:
        stream = subscribe_resources(client, ["u1"], cluster_name="default", **FAST)
        first = await take(stream, lambda items: len(data(items)) == 1)
        await stream.set_resource_uids(["u2", "u3"])
        rest = await take(stream, lambda items: len(data(items)) == 1)
        assert stream.resource_uids == {"u2", "u3"}
        await stream.aclose()
    assert [p.payload["uid"] for p in data(first + rest)] == ["push-1", "push-2"]
    assert all(isinstance(p, m.SubscriptionPush) for p in data(first + rest))
    assert ("reconnecting", 1) in states(rest)

    def sent(n: int) -> list[dict]:
        return [msg["payload"] for msg in hub.received[n] if msg["type"] == "data"]

    assert sent(1) == [
        {"action": "subscribe", "resource_type": "deployment", "resource_uids": ["u1"],
         "cluster_name": "default"},
        {"action": "unsubscribe", "resource_type": "deployment", "resource_uids": ["u1"]},
        {"action": "subscribe", "resource_type": "deployment", "resource_uids": ["u2", "u3"]},
    ]
    assert sent(2) == [
        {"action": "subscribe", "resource_type": "deployment", "resource_uids": ["u2", "u3"],
         "cluster_name": "default"},
    ]


async def test_error_envelope_reconnects_but_a_token_error_stops(serve):
    hub = Hub()

    async def pods(ws: WebSocket) -> None:
        n = await hub.accept(ws)
        if n is None:
            return
        if n == 1:
            await ws.send_json({"type": "error", "message": "pod informer broke", "payload": None})
        else:
            await ws.send_json({
                "type": "error", "message": f"api token {TOKEN} is expired", "payload": None,
            })
        await ws.close()

    endpoint = await serve([WebSocketRoute(DEPLOYMENT_WS + "/pods", pods)])
    items: list = []
    async with BentoCloudClient(endpoint, TOKEN) as client:
        stream = watch_pods(client, "c", "ns", "d", **FAST)
        with pytest.raises(UnauthorizedError) as info:
            async for item in stream:
                items.append(item)
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()
    assert states(items) == [
        ("connecting", 0), ("connected", 0), ("reconnecting", 1), ("connected", 1)
    ]
    assert items[2].error == "server error: pod informer broke"
    assert TOKEN not in info.value.message and "***" in info.value.message
    assert hub.connections == 2


async def test_refused_handshake_is_unauthorized(serve):
    hub = Hub()

    async def pods(ws: WebSocket) -> None:
        await hub.accept(ws)

    endpoint = await serve([WebSocketRoute(DEPLOYMENT_WS + "/pods", pods)])
    async with BentoCloudClient(endpoint, "wrong-token-xyz") as client:
        stream = watch_pods(client, "c", "ns", "d", **FAST)
        assert await stream.__anext__() == StreamStatus("connecting", 0)
        with pytest.raises(UnauthorizedError) as info:
            await asyncio.wait_for(stream.__anext__(), 5)
    assert info.value.status == 403
    assert "wrong-token-xyz" not in str(info.value)
    assert hub.connections == 0


async def test_unreachable_server_keeps_retrying_with_growing_attempts():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with BentoCloudClient(f"http://127.0.0.1:{port}", TOKEN) as client:
        stream = watch_pods(client, "c", "ns", "d", **FAST)
        items = await take(stream, lambda items: len(items) == 4)
        await stream.aclose()
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()
    assert states(items) == [
        ("connecting", 0), ("reconnecting", 1), ("reconnecting", 2), ("reconnecting", 3)
    ]
    assert items[1].error == f"could not connect to http://127.0.0.1:{port} (connection refused)"


async def test_closing_the_client_closes_its_streams(serve):
    hub = Hub()

    async def pods(ws: WebSocket) -> None:
        n = await hub.accept(ws)
        if n is None:
            return
        await ws.send_json(ok([]))
        await hub.drain(ws, n)

    endpoint = await serve([WebSocketRoute(DEPLOYMENT_WS + "/pods", pods)])
    client = BentoCloudClient(endpoint, TOKEN)
    stream = watch_pods(client, "c", "ns", "d", **FAST)
    items = await take(stream, lambda items: len(data(items)) == 1)
    assert data(items) == [[]]
    waiting = asyncio.create_task(_collect(stream))  # a consumer blocked in another task
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await client.aclose()
    await asyncio.wait_for(hub.closed[1].wait(), 5)
    assert await asyncio.wait_for(waiting, 5) == []
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
