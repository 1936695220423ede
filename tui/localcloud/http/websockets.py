"""The websocket protocols of reference §10, pushed on change rather than every 10 s.

Every socket reads client frames concurrently with its pushes: heartbeats (`{"type":
"heartbeat"}` or an empty frame, as Yatai's dashboard sends) are accepted silently, malformed
frames get an error envelope and the socket stays open, and a close ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from tui.api import models as m
from tui.localcloud.runtime.logtail import LineSplitter, last_lines
from tui.localcloud.state.store import DeploymentRow

if TYPE_CHECKING:
    from tui.localcloud.controlplane import ControlPlane

# A pods socket re-renders at least this often so CPU / memory of replicas stay fresh; it still
# sends only when the list differs from the last one sent.
PODS_REFRESH_S = 2.0
INITIAL_EVENTS = 200
TAIL_POLL_S = 0.05
MAX_TAIL_LINES = 5000


async def send(websocket: WebSocket, payload: Any, message: str = "") -> None:
    await websocket.send_text(json.dumps({"type": "success", "message": message, "payload": payload}))


async def send_error(websocket: WebSocket, message: str) -> None:
    await websocket.send_text(json.dumps({"type": "error", "message": message, "payload": None}))


async def _read_client(websocket: WebSocket, on_data: Callable[[Any], Awaitable[None]] | None) -> None:
    """Consume client frames until the peer closes."""
    while True:
        try:
            frame = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if frame["type"] == "websocket.disconnect":
            return
        text = frame.get("text")
        if text is None:
            # A binary frame (receive_text() raised KeyError on one and killed the socket).
            # Like Yatai's ReadJSON, read it as JSON text when it is UTF-8.
            try:
                text = (frame.get("bytes") or b"").decode("utf-8")
            except UnicodeDecodeError:
                await send_error(websocket, "invalid message: a binary frame that is not UTF-8 "
                                            "text; send JSON text frames")
                continue
        if not text.strip():
            continue  # the dashboard's keep-alive
        try:
            message = m.WsClientMessage.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(m.describe_validation_error(exc)) if text.lstrip().startswith("{") else "not JSON"
            await send_error(websocket, f"invalid message: {problems}")
            continue
        if message.type == "heartbeat":
            continue
        if on_data is None:
            continue
        await on_data(message.payload)


async def _session(websocket: WebSocket, pusher: Callable[[], Coroutine[Any, Any, None]],
                   on_data: Callable[[Any], Awaitable[None]] | None = None) -> None:
    """Run the pusher and the reader together; whichever ends first ends the session."""
    reader = asyncio.create_task(_read_client(websocket, on_data))
    push = asyncio.create_task(pusher())
    try:
        done, _ = await asyncio.wait({reader, push}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc and not isinstance(exc, (WebSocketDisconnect, RuntimeError, ConnectionError)):
                raise exc
    finally:
        for task in (reader, push):
            task.cancel()
        await asyncio.gather(reader, push, return_exceptions=True)
        with contextlib.suppress(Exception):
            await websocket.close()


# ----------------------------------------------------------------------------- pods


async def serve_pods(websocket: WebSocket, plane: ControlPlane, row: DeploymentRow) -> None:
    await websocket.accept()
    listener = plane.hub.listen("pods", "deployment", "deleted")

    async def push() -> None:
        last = None
        while True:
            current = plane.store.get_deployment_by_uid(row.uid)
            if current is None:
                await send_error(websocket, f"deployment {row.name} was deleted")
                return
            body = [p.to_wire() for p in plane.pods(current)]
            encoded = json.dumps(body, sort_keys=True)
            if encoded != last:
                await send(websocket, body)
                last = encoded
            while True:
                batch = await listener.next_batch(timeout=PODS_REFRESH_S)
                if not batch or any(c.deployment_uid == row.uid for c in batch):
                    break

    try:
        await _session(websocket, push)
    finally:
        plane.hub.forget(listener)


# ----------------------------------------------------------------------------- kube events


async def serve_kube_events(websocket: WebSocket, plane: ControlPlane, row: DeploymentRow,
                            pod_name: str | None) -> None:
    await websocket.accept()
    listener = plane.hub.listen("events", "deleted")

    async def push() -> None:
        events = plane.events(row, limit=INITIAL_EVENTS, pod_name=pod_name)
        await send(websocket, [e.to_wire() for _, e in events])  # always sent, possibly []
        last_id = events[-1][0] if events else 0
        while True:
            batch = await listener.next_batch(timeout=None)
            mine = [c for c in batch if c.deployment_uid == row.uid]
            if not mine:
                continue
            if any(c.kind == "deleted" for c in mine):
                await send_error(websocket, f"deployment {row.name} was deleted")
                return
            fresh = plane.events(row, after_id=last_id, limit=2000, pod_name=pod_name)
            if fresh:
                last_id = fresh[-1][0]
                await send(websocket, [e.to_wire() for _, e in fresh])

    try:
        await _session(websocket, push)
    finally:
        plane.hub.forget(listener)


# ----------------------------------------------------------------------------- log tail


async def serve_tail(websocket: WebSocket, plane: ControlPlane, row: DeploymentRow, pod_name: str) -> None:
    await websocket.accept()
    follow_task: asyncio.Task[None] | None = None
    done = asyncio.Event()
    limits = plane.limits

    async def follow(request: m.TailRequest, path: Path) -> None:
        lines, offset = await asyncio.to_thread(
            last_lines, path, min(request.tail_lines or 0, MAX_TAIL_LINES),
            limits.log_tail_bytes, limits.log_line_bytes,
        )
        await send(websocket, {"req_id": request.id, "type": "replace", "items": lines})
        if not request.follow:
            await websocket.send_text(json.dumps({"type": "success", "message": "EOF", "payload": None}))
            done.set()
            return
        splitter = LineSplitter(limits.log_line_bytes)
        while True:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                await websocket.send_text(json.dumps({"type": "success", "message": "EOF", "payload": None}))
                done.set()
                return
            if size < offset:  # truncated: start over
                offset = 0
            if size > offset:
                with path.open("rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read(min(size - offset, limits.log_tail_bytes))
                offset += len(chunk)
                for line in splitter.feed(chunk):
                    await send(websocket, {"req_id": request.id, "type": "append", "items": [line]})
            else:
                await asyncio.sleep(TAIL_POLL_S)

    async def on_data(payload: Any) -> None:
        nonlocal follow_task
        try:
            request = m.TailRequest.model_validate(payload)
        except ValidationError as exc:
            await send_error(websocket, "invalid tail request: " + "; ".join(m.describe_validation_error(exc)))
            return
        path = plane.log_path(row, pod_name)  # a replica's or the image builder's
        if path is None or not path.exists():
            await send_error(websocket, f"get pod {pod_name}: record not found")
            return
        if follow_task is not None:
            follow_task.cancel()  # a new request id supersedes the previous stream
        follow_task = asyncio.create_task(follow(request, path))

    async def wait_done() -> None:
        await done.wait()

    try:
        await _session(websocket, wait_done, on_data)
    finally:
        if follow_task is not None:
            follow_task.cancel()


# ----------------------------------------------------------------------------- subscription


# At most this many uids per subscription socket: a client cannot make one socket track more.
MAX_SUBSCRIBED_UIDS = 10_000


async def serve_subscription(websocket: WebSocket, plane: ControlPlane) -> None:
    await websocket.accept()
    # "pods" too: the replica counts (an extension field) change without a status change.
    listener = plane.hub.listen("created", "deployment", "deleted", "pods")
    uids: set[str] = set()
    clusters: set[str] = set()
    # uid -> the rendered JSON last pushed: the control plane's own cached bytes, shared, not a
    # parsed copy per socket (that was ~20 KB per deployment per socket), and only for what this
    # socket still follows; cleared when it closes.
    last_sent: dict[str, tuple[str, bytes]] = {}

    async def on_data(payload: Any) -> None:
        try:
            request = m.SubscriptionRequest.model_validate(payload)
        except ValidationError as exc:
            await send_error(websocket, "invalid subscription: " + "; ".join(m.describe_validation_error(exc)))
            return
        if request.resource_type != "deployment":
            return  # bentos and models never change on a local control plane
        if request.action == "subscribe":
            wanted = uids | set(request.resource_uids)
            if len(wanted) > MAX_SUBSCRIBED_UIDS:
                await send_error(websocket, f"invalid subscription: at most {MAX_SUBSCRIBED_UIDS} "
                                            "resource_uids per socket")
                return
            uids.update(wanted)
            if request.cluster_name:
                clusters.add(request.cluster_name)
                # Extension: say when the subscription is in force, so a client can read the
                # list then and know that every later change will be pushed (no gap between).
                await send(websocket, {"resource_type": "deployment", "payload": {},
                                       "event": "subscribed"})
        else:
            uids.difference_update(request.resource_uids)
            if request.cluster_name:
                clusters.discard(request.cluster_name)
            for uid, (cluster, _) in list(last_sent.items()):
                if uid not in uids and cluster not in clusters:
                    del last_sent[uid]

    async def push() -> None:
        while True:
            for change in await listener.next_batch(timeout=None):
                if change.deployment_uid not in uids and change.cluster not in clusters:
                    continue
                if change.kind == "deleted":
                    _, rendered = last_sent.pop(change.deployment_uid, ("", b""))
                    payload = json.loads(rendered) if rendered else {"uid": change.deployment_uid}
                    event = "deleted"
                else:
                    row = plane.store.get_deployment_by_uid(change.deployment_uid)
                    if row is None:
                        continue
                    event = "created" if change.kind == "created" else "updated"
                    rendered = plane.render_json(row)
                    previous = last_sent.get(change.deployment_uid)
                    if change.kind == "pods" and previous is not None and previous[1] == rendered:
                        continue
                    last_sent[change.deployment_uid] = (change.cluster, rendered)
                    payload = json.loads(rendered)
                await send(websocket, {"resource_type": "deployment", "payload": payload, "event": event})

    try:
        await _session(websocket, push, on_data)
    finally:
        plane.hub.forget(listener)
        last_sent.clear()
        uids.clear()
