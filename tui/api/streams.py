"""Live streams over the `/ws/v1` websockets, reconnecting forever.

The TUI lives on these streams rather than on polling, so a stream must survive a restarted
server, a dropped SSH tunnel or a laptop waking up: `ReconnectingStream` reconnects with
exponential backoff and re-sends its initial request, and it tells the consumer what is going
on by yielding `StreamStatus` objects **interleaved with the data items**::

    async for item in watch_pods(client, "default", "yatai", "iris"):
        if isinstance(item, StreamStatus):
            show_connection_state(item)      # connecting / connected / reconnecting
        else:
            show_pods(item)                  # list[KubePodSchema]

Envelopes (reference §10.2): the server sends
``{"type": "success"|"error", "message", "payload"}``, the client sends
``{"type": "data"|"heartbeat", "payload"}``. An ``error`` envelope is a disconnect (the server
closes after it) unless it is about the token, which ends the stream with `UnauthorizedError`.
A heartbeat goes out every `heartbeat_interval` seconds.

The connection lives in a background task that feeds a queue, so that no websocket (and no
anyio task group of httpx-ws) is ever held open across a ``yield`` of the consumer.
Another part of the app can follow an open stream without a socket of its own (`listen`; the
detail screen follows the list's subscription, see `open_subscription`).  The upgrade request
goes to the endpoint's http(s) URL (`upgrade_url`), so it takes an idle pooled connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import random
import sys
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar
from urllib.parse import quote, urlencode

from pydantic import TypeAdapter, ValidationError

from tui.api import models as m
from tui.api.client import BentoCloudClient, describe_transport_error
from tui.api.errors import ApiError, NotFoundError, UnauthorizedError, snippet

if TYPE_CHECKING:
    from httpx_ws import AsyncWebSocketSession

if sys.version_info < (3, 11):  # pragma: no cover - anyio depends on the backport there
    from exceptiongroup import BaseExceptionGroup

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_INITIAL = 0.2
BACKOFF_MAX = 5.0
HEARTBEAT_INTERVAL = 5.0
# A connection that stayed up this long counts as healthy: the next failure starts the
# backoff again from the beginning.
HEALTHY_AFTER = 10.0

Message = Mapping[str, Any]
InitialMessages = Callable[[], Iterable[Message]]


@dataclass(frozen=True)
class StreamStatus:
    """Connection state, yielded between data items.

    ``connecting`` once before the first attempt; ``connected`` after each successful
    handshake (`attempt` = how many retries it took); ``reconnecting`` after each failure or
    disconnect, just before waiting out the backoff, with the reason in `error`.
    """

    state: Literal["connecting", "connected", "reconnecting"]
    attempt: int = 0
    error: str | None = None


def backoff_delay(
    attempt: int, initial: float = BACKOFF_INITIAL, maximum: float = BACKOFF_MAX
) -> float:
    """Seconds to wait before retry number `attempt` (1-based): `initial` doubling up to
    `maximum`, with ±20 % jitter so many clients do not reconnect in lockstep."""
    base = min(maximum, initial * 2 ** max(0, attempt - 1))
    return min(maximum, base * random.uniform(0.8, 1.2))


def ws_url(endpoint: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    """The websocket URL of `path` on an http(s) endpoint: http→ws, https→wss."""
    url = endpoint.rstrip("/")
    if url.startswith("https://"):
        url = "wss://" + url[len("https://") :]
    elif url.startswith("http://"):
        url = "ws://" + url[len("http://") :]
    url += path
    query = {k: v for k, v in (params or {}).items() if v is not None}
    if query:
        url += "?" + urlencode(query)
    return url


def upgrade_url(endpoint: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    """Where the websocket's upgrade request goes: `ws_url` with the endpoint's own http(s)
    scheme.  httpcore pools connections by origin (scheme, host, port), so a ``ws://`` request
    never gets an idle ``http://`` connection and always pays a new handshake; the same URL as
    ``http://`` upgrades over an idle pooled one (see tui/api/warm_pool.py)."""
    url = ws_url(endpoint, path, params)
    scheme, rest = url.split("://", 1)
    return {"ws": "http", "wss": "https"}.get(scheme, scheme) + "://" + rest


def _is_auth_message(text: str) -> bool:
    lowered = text.lower()
    return any(s in lowered for s in ("token", "unauthori", "forbidden", "not logged in"))


def _is_gone_message(text: str) -> bool:
    lowered = text.lower()
    return "record not found" in lowered or "was deleted" in lowered


class _Ended(Exception):
    """The server said the stream is over (tail `EOF`), or the consumer's rule did."""


class _Disconnected(Exception):
    """This connection is over; reconnect."""


_END = object()
_ENVELOPE_TYPES = ("success", "error", "heartbeat")


class _Runner(Generic[T]):
    """Owns the connection task and the queues; separate from the public object so that
    dropping the stream object (without `aclose`) lets the finalizer stop the task."""

    def __init__(self, stream: ReconnectingStream[T]) -> None:
        self.client = stream.client
        self.path = stream.path
        self.params = stream.params
        self.parse = stream.parse
        self.initial = stream.initial
        self.end_on_eof = stream.end_on_eof
        self.finished = stream.finished
        self.heartbeat_interval = stream.heartbeat_interval
        self.backoff_initial = stream.backoff_initial
        self.backoff_max = stream.backoff_max
        self.items: asyncio.Queue[Any] = asyncio.Queue(maxsize=stream.queue_size)
        self.outgoing: asyncio.Queue[Message] = asyncio.Queue()
        self.connected = False
        self.delivered = False
        self.task: asyncio.Task[None] | None = None
        # Callbacks that see every item too (see `ReconnectingStream.listen`); None = ended.
        self.listeners: list[Callable[[Any], None]] = []

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def emit(self, item: Any) -> None:
        """An item (or a status) for the consumer, and for the listeners at once."""
        await self.items.put(item)
        self.tell_listeners(item)

    def tell_listeners(self, item: Any) -> None:
        for listener in list(self.listeners):
            try:
                listener(item)
            except Exception:  # a listener's bug must not end the consumer's stream
                log.exception("a listener of stream %s failed", self.path)

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run())

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                self.task.cancel()

    async def run(self) -> None:
        try:
            await self._run()
        except Exception as exc:  # a bug: hand it to the consumer rather than hang it
            log.exception("stream %s failed", self.path)
            await self.items.put(exc)
        finally:
            self.tell_listeners(None)  # over, whatever the reason: cancelled, ended, refused

    async def _run(self) -> None:
        attempt = 0
        await self.emit(StreamStatus("connecting", 0))
        while True:
            if self.client.closed:  # nothing left to reconnect with
                await self.items.put(_END)
                return
            started = asyncio.get_running_loop().time()
            outcome: BaseException | None
            try:
                healthy = await self.connect_once(attempt)
                outcome = None
            except _Ended:
                await self.items.put(_END)
                return
            except (UnauthorizedError, NotFoundError) as exc:
                await self.items.put(exc)
                return
            except Exception as exc:  # noqa: BLE001 - every other failure means: retry
                outcome = exc
                healthy = False
            lived = asyncio.get_running_loop().time() - started
            if healthy or lived >= HEALTHY_AFTER:
                attempt = 0
            attempt += 1
            error = self.client.redact(self.describe(outcome))
            log.debug("stream %s: %s; retry %d", self.path, error, attempt)
            await self.emit(StreamStatus("reconnecting", attempt, error))
            await asyncio.sleep(backoff_delay(attempt, self.backoff_initial, self.backoff_max))

    def describe(self, exc: BaseException | None) -> str:
        """A short reason for a lost connection, fit for a status line."""
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        if exc is None:
            return "the server closed the stream"
        import httpx  # deferred: start-up time (httpx and httpx-ws: ~0.1 s, needed once a stream runs)
        from httpx_ws import WebSocketDisconnect, WebSocketNetworkError, WebSocketUpgradeError

        if isinstance(exc, _Disconnected | ApiError):
            return str(exc)
        if isinstance(exc, WebSocketDisconnect):
            reason = f": {exc.reason}" if exc.reason else ""
            return f"the server closed the stream (code {exc.code}{reason})"
        if isinstance(exc, WebSocketNetworkError):
            return "the connection was lost"
        if isinstance(exc, WebSocketUpgradeError):
            return f"the server refused the websocket (HTTP {exc.response.status_code})"
        if isinstance(exc, httpx.HTTPError | httpx.InvalidURL):
            return describe_transport_error(exc, self.client.endpoint, self.client.timeout)
        return f"connection lost ({snippet(str(exc), 120) or type(exc).__name__})"

    async def resolve_path(self) -> str:
        return self.path if isinstance(self.path, str) else await self.path()

    async def connect_once(self, attempt: int) -> bool:
        """One connection, until it drops. Returns whether it delivered data; raises
        `_Ended`/`UnauthorizedError` to stop, anything else to reconnect."""
        from httpx_ws import WebSocketUpgradeError, aconnect_ws  # deferred: start-up time (see describe)

        url = upgrade_url(self.client.endpoint, await self.resolve_path(), self.params)
        delivered = False
        outcome: BaseException | None = None
        ws: AsyncWebSocketSession  # aconnect_ws's TypeVar leaves mypy nothing to infer
        try:
            async with aconnect_ws(url, self.client.http) as ws:
                # Everything is caught in here: an exception leaving the session would come
                # out wrapped in an ExceptionGroup by httpx-ws's task group.
                try:
                    # No await between these three: a change of state made before is in the
                    # initial messages, one made after is queued and sent after them.
                    self.connected = True
                    while not self.outgoing.empty():  # stale: the initial messages cover it
                        self.outgoing.get_nowait()
                    messages = list(self.initial())
                    await self.emit(StreamStatus("connected", attempt))
                    for message in messages:
                        await ws.send_text(json.dumps(message))
                    receiver = asyncio.ensure_future(self.receive_loop(ws))
                    sender = asyncio.ensure_future(self.send_loop(ws))
                    try:
                        done, _ = await asyncio.wait(
                            {receiver, sender}, return_when=asyncio.FIRST_COMPLETED
                        )
                    finally:
                        for task in (receiver, sender):
                            task.cancel()
                        await asyncio.gather(receiver, sender, return_exceptions=True)
                    delivered = self.delivered
                    for task in done:
                        if not task.cancelled() and task.exception() is not None:
                            outcome = task.exception()
                            break
                except Exception as exc:  # noqa: BLE001
                    outcome = exc
                finally:
                    self.connected = False
        except WebSocketUpgradeError as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise UnauthorizedError(
                    f"the API token was refused by {self.client.endpoint} (HTTP {status})",
                    status=status,
                ) from None
            raise
        if outcome is not None:
            raise outcome
        return delivered

    async def receive_loop(self, ws: Any) -> None:
        import wsproto.events  # deferred: start-up time (see describe)

        self.delivered = False
        while True:
            event = await ws.receive()
            if isinstance(event, wsproto.events.TextMessage):
                text = event.data
            elif isinstance(event, wsproto.events.BytesMessage):
                text = bytes(event.data).decode("utf-8", errors="replace")
            else:
                continue
            if not text.strip():
                continue  # keep-alive frame
            try:
                data = json.loads(text)
                if isinstance(data, dict) and data.get("type") not in _ENVELOPE_TYPES:
                    continue  # a newer server's message kind: not ours to understand
                envelope = m.parse_response(m.WsServerMessage, data)
            except (ValueError, RecursionError, ValidationError):
                raise _Disconnected(
                    f"the server sent a malformed message: {snippet(text, 120)}"
                ) from None
            await self.handle(envelope)

    async def handle(self, envelope: m.WsServerMessage) -> None:
        if envelope.type == "heartbeat":
            return
        if envelope.type == "error":
            text = self.client.redact(envelope.message or "unspecified error")
            if _is_auth_message(text):
                raise UnauthorizedError(
                    f"the API token was refused by {self.client.endpoint}: {text}"
                )
            if _is_gone_message(text):  # reconnecting cannot bring it back
                raise NotFoundError(text)
            raise _Disconnected(f"server error: {text}")
        if self.end_on_eof and envelope.message == "EOF" and envelope.payload is None:
            raise _Ended()
        try:
            item = self.parse(envelope.payload)
        except (ValueError, ValidationError) as exc:
            raise _Disconnected(
                f"the server sent a message that does not match the expected schema: "
                f"{snippet(str(exc), 120)}"
            ) from None
        if item is None:
            return
        self.delivered = True
        await self.emit(item)
        if self.finished is not None and self.finished(item):
            raise _Ended()

    async def send_loop(self, ws: Any) -> None:
        """Sends queued messages, and a heartbeat whenever `heartbeat_interval` passed."""
        loop = asyncio.get_running_loop()
        interval = self.heartbeat_interval
        next_beat = loop.time() + interval if interval else None
        while True:
            timeout = None if next_beat is None else max(0.0, next_beat - loop.time())
            try:
                message = await asyncio.wait_for(self.outgoing.get(), timeout)
            except asyncio.TimeoutError:
                assert interval is not None  # without one there is no timeout
                await ws.send_text(json.dumps(m.WsClientMessage(type="heartbeat").to_wire()))
                next_beat = loop.time() + interval
                continue
            await ws.send_text(json.dumps(message))


class ReconnectingStream(Generic[T]):
    """An async iterator of `T` items and `StreamStatus` objects from one websocket route.

    - `path`: the route (``/ws/v1/...``), or an async callable returning it (resolved at
      every connect, e.g. to default the namespace).
    - `parse`: turns an envelope's payload into an item; returning None skips it.
    - `initial`: a message, or a callable returning the messages, sent after every connect
      (so state such as a subscription survives reconnects).
    - `end_on_eof`: a ``{"type": "success", "message": "EOF"}`` ends the iteration.
    - `finished`: called with each item; True ends the iteration after yielding it.

    Runs until the consumer calls `aclose()` (or leaves ``async with``), or drops the object;
    only an auth failure (`UnauthorizedError`) or an end of stream stops it by itself.
    Messages given to `send` while disconnected are dropped: the initial messages are the
    place for state that must survive reconnects.
    """

    def __init__(
        self,
        client: BentoCloudClient,
        path: str | Callable[[], Awaitable[str]],
        parse: Callable[[Any], T | None],
        *,
        params: Mapping[str, Any] | None = None,
        initial: Message | InitialMessages | None = None,
        end_on_eof: bool = False,
        finished: Callable[[T], bool] | None = None,
        heartbeat_interval: float | None = HEARTBEAT_INTERVAL,
        backoff_initial: float = BACKOFF_INITIAL,
        backoff_max: float = BACKOFF_MAX,
        queue_size: int = 1000,
    ) -> None:
        self.client = client
        self.path = path
        self.params = dict(params or {})
        self.parse = parse
        if initial is None:
            self.initial: InitialMessages = lambda: ()
        elif callable(initial):
            self.initial = initial
        else:
            fixed = dict(initial)
            self.initial = lambda: (fixed,)
        self.end_on_eof = end_on_eof
        self.finished = finished
        self.heartbeat_interval = heartbeat_interval
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.queue_size = queue_size
        self._runner: _Runner[T] = _Runner(self)
        self._done = False
        weakref.finalize(self, self._runner.cancel)
        client._track_stream(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.client.endpoint!r}, {self.path!r})"

    @property
    def connected(self) -> bool:
        return self._runner.connected

    @property
    def running(self) -> bool:
        """Started, and neither ended nor closed."""
        return not self._done and self._runner.running

    def start(self) -> ReconnectingStream[T]:
        """Connect now, before the consumer's first `__anext__` (which would start it anyway):
        items wait in the queue, so the connection's round trips overlap other work."""
        self._runner.start()
        return self

    def listen(self, listener: Callable[[T | StreamStatus | None], None]) -> Callable[[], None]:
        """Call `listener` with every item and status the consumer gets, as it is received, and
        with None once the stream is over.  Lets another part of the app follow an open stream
        without a connection of its own; returns the function that stops listening."""
        self._runner.listeners.append(listener)
        task = self._runner.task
        if self._done or (task is not None and task.done()):
            listener(None)  # already over: say so at once rather than never

        def stop() -> None:
            with contextlib.suppress(ValueError):
                self._runner.listeners.remove(listener)

        return stop

    def __aiter__(self) -> ReconnectingStream[T]:
        return self

    async def __anext__(self) -> T | StreamStatus:
        if self._done:
            raise StopAsyncIteration
        self._runner.start()
        item = await self._runner.items.get()
        if item is _END or self._done:
            self._done = True
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item

    async def send(self, message: Message) -> None:
        """Send a client envelope on the live connection (dropped if disconnected)."""
        if self._runner.connected:
            await self._runner.outgoing.put(dict(message))

    async def aclose(self) -> None:
        """Stop the stream and close its connection; a consumer waiting in `__anext__`
        (in another task) gets StopAsyncIteration."""
        self._done = True
        task = self._runner.task
        self._runner.cancel()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(asyncio.QueueFull):  # a full queue has no waiter to wake
            self._runner.items.put_nowait(_END)

    async def __aenter__(self) -> ReconnectingStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# ---------------------------------------------------------------------- payload parsers

@functools.cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    """Built on first use: each costs ~10 ms of schema building, not wanted before the first paint."""
    return TypeAdapter(list[kind])  # type: ignore[valid-type]


def parse_pods(payload: Any) -> list[m.KubePodSchema]:
    # Go marshals an empty slice as null.
    return _adapter(m.KubePodSchema).validate_python(payload or [], context={"lenient": True})


def parse_kube_events(payload: Any) -> list[m.KubeEvent]:
    return _adapter(m.KubeEvent).validate_python(payload or [], context={"lenient": True})


def _data(payload: Any) -> dict[str, Any]:
    return m.WsClientMessage(type="data", payload=payload).model_dump(mode="json")


# ---------------------------------------------------------------------- deployment routes


def _deployment_ws_path(
    client: BentoCloudClient, cluster: str, namespace: str | None, name: str, leaf: str
) -> Callable[[], Awaitable[str]]:
    async def path() -> str:
        ns = namespace or await client.default_namespace(cluster)
        seg = lambda v: quote(v, safe="")  # noqa: E731
        return f"/ws/v1/clusters/{seg(cluster)}/namespaces/{seg(ns)}/deployments/{seg(name)}/{leaf}"

    return path


def watch_pods(
    client: BentoCloudClient,
    cluster: str,
    namespace: str | None,
    name: str,
    **options: Any,
) -> ReconnectingStream[list[m.KubePodSchema]]:
    """The deployment's replicas: the full list on connect and after every change.
    `namespace` None = the cluster's default namespace."""
    path = _deployment_ws_path(client, cluster, namespace, name, "pods")
    return ReconnectingStream(client, path, parse_pods, **options)


def watch_kube_events(
    client: BentoCloudClient,
    cluster: str,
    namespace: str | None,
    name: str,
    pod_name: str | None = None,
    **options: Any,
) -> ReconnectingStream[list[m.KubeEvent]]:
    """The deployment's Kubernetes-style events: everything so far on connect (possibly
    ``[]``), then only new ones. After a reconnect the server sends the full list again."""
    path = _deployment_ws_path(client, cluster, namespace, name, "kube_events")
    return ReconnectingStream(
        client, path, parse_kube_events, params={"pod_name": pod_name}, **options
    )


def tail_logs(
    client: BentoCloudClient,
    cluster: str,
    namespace: str | None,
    name: str,
    pod_name: str,
    tail_lines: int = 100,
    follow: bool = True,
    container_name: str = "main",
    **options: Any,
) -> ReconnectingStream[m.TailPayload]:
    """A replica's log: one ``replace`` payload (the last `tail_lines` lines), then, with
    `follow`, ``append`` payloads. After a reconnect a fresh ``replace`` comes first, so a
    consumer that replaces its buffer on ``replace`` stays correct. Without `follow` the
    stream ends after the ``replace``; a server ``EOF`` ends it too."""
    request = m.TailRequest(
        id=uuid.uuid4().hex,
        tail_lines=tail_lines,
        container_name=container_name,
        since_time=None,
        follow=follow,
    )
    message = _data(request.model_dump(mode="json"))

    def parse(payload: Any) -> m.TailPayload | None:
        tail = m.parse_response(m.TailPayload, payload)
        return tail if tail.req_id == request.id else None  # superseded request

    path = _deployment_ws_path(client, cluster, namespace, name, "tail")
    return ReconnectingStream(
        client,
        path,
        parse,
        params={"pod_name": pod_name, "container_name": container_name},
        initial=message,
        end_on_eof=True,
        finished=None if follow else (lambda tail: tail.type == "replace"),
        **options,
    )


# ---------------------------------------------------------------------- subscription


@dataclass
class _Subscription:
    """The subscribed set; kept apart from the stream object so that the connection task
    does not keep the stream alive (see `ReconnectingStream`)."""

    resource_uids: set[str]
    cluster_name: str | None
    resource_type: Literal["deployment", "bento", "model"]

    def request(
        self, action: Literal["subscribe", "unsubscribe"], uids: Iterable[str], cluster: bool
    ) -> dict[str, Any]:
        request = m.SubscriptionRequest(
            action=action,
            resource_type=self.resource_type,
            resource_uids=sorted(uids),
            cluster_name=self.cluster_name if cluster else None,
        )
        return _data(request.to_wire())

    def initial_messages(self) -> list[dict[str, Any]]:
        if not self.resource_uids and not self.cluster_name:
            return []
        return [self.request("subscribe", self.resource_uids, cluster=True)]


def _parse_push(payload: Any) -> m.SubscriptionPush:
    return m.parse_response(m.SubscriptionPush, payload)


class ResourceSubscription(ReconnectingStream[m.SubscriptionPush]):
    """`/ws/v1/subscription/resource`: pushes of changed resources.

    The subscribed set lives here and is re-sent after every reconnect; change it on the live
    stream with `subscribe`, `unsubscribe` or `set_resource_uids` (while disconnected the
    change is only recorded, and the next connection subscribes the new set). With
    `cluster_name` (an extension of our local control plane) the server pushes every
    deployment of that cluster, creations and deletions included.
    """

    def __init__(
        self,
        client: BentoCloudClient,
        resource_uids: Iterable[str] = (),
        *,
        cluster_name: str | None = None,
        resource_type: Literal["deployment", "bento", "model"] = "deployment",
        **options: Any,
    ) -> None:
        self._state = _Subscription(set(resource_uids), cluster_name, resource_type)
        super().__init__(
            client,
            "/ws/v1/subscription/resource",
            _parse_push,
            initial=self._state.initial_messages,
            **options,
        )
        _subscriptions.add(self)

    def covers(self, client: BentoCloudClient, cluster: str, uid: str) -> bool:
        """Whether this open stream already pushes the changes of deployment `uid`."""
        return (self.client is client and self.running and self._state.resource_type == "deployment"
                and (self._state.cluster_name == cluster or uid in self._state.resource_uids))

    @property
    def resource_uids(self) -> frozenset[str]:
        return frozenset(self._state.resource_uids)

    @property
    def cluster_name(self) -> str | None:
        return self._state.cluster_name

    async def subscribe(self, uids: Iterable[str]) -> None:
        new = set(uids) - self._state.resource_uids
        if new:
            self._state.resource_uids |= new
            await self.send(self._state.request("subscribe", new, cluster=False))

    async def unsubscribe(self, uids: Iterable[str]) -> None:
        gone = set(uids) & self._state.resource_uids
        if gone:
            self._state.resource_uids -= gone
            await self.send(self._state.request("unsubscribe", gone, cluster=False))

    async def set_resource_uids(self, uids: Iterable[str]) -> None:
        """Make the subscribed set exactly `uids` (sending only the difference)."""
        wanted = set(uids)
        await self.unsubscribe(self._state.resource_uids - wanted)
        await self.subscribe(wanted - self._state.resource_uids)


_subscriptions: weakref.WeakSet[ResourceSubscription] = weakref.WeakSet()


def open_subscription(client: BentoCloudClient, cluster: str, uid: str) -> ResourceSubscription | None:
    """An open subscription of `client` (the list's) that already pushes deployment `uid`'s
    changes: a screen can `listen` to it instead of opening a websocket of its own."""
    return next((s for s in list(_subscriptions) if s.covers(client, cluster, uid)), None)


def subscribe_resources(
    client: BentoCloudClient,
    resource_uids: Iterable[str],
    cluster_name: str | None = None,
    **options: Any,
) -> ResourceSubscription:
    """Pushes of changed deployments (`SubscriptionPush`, payload = a DeploymentSchema)."""
    return ResourceSubscription(client, resource_uids, cluster_name=cluster_name, **options)
