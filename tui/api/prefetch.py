"""The first requests of a start, made while the app is still importing.

`bentotui` spends most of its first half second importing Textual and pydantic; the requests
its first screen needs (`GET /api/v1/info`, the clusters, the API flavour's question, the first
page of deployments) do not depend on any of that.  `Prefetch` makes them at once, in parallel
threads, over plain sockets
(httpx costs ~100 ms to import, http.client ~20-50 ms; this module imports only what asyncio will
import anyway, so the cli starts it before anything else), and `BentoCloudClient` answers those
exact requests from it, once each, when the app gets to them; anything else, or anything that did not
answer 200, goes over the network as usual.  The app re-reads the first page once its live
subscription is up, so nothing that changed in between is missed.

Only endpoints without a proxy in the environment are prefetched: the same request then goes to
the same place httpx would send it.  https verifies the certificate and the host name against
exactly what the app's httpx client trusts (`tls_context`: SSL_CERT_FILE, else SSL_CERT_DIR,
else certifi's bundle); a handshake it would refuse sends nothing, and the app then meets the
same refusal itself and says so.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from tui.api.wire import ORGANIZATION_HEADER, TOKEN_HEADER, USER_AGENT

FIRST_PAGE = 500  # tui.screens.deployments.PAGE_SIZE: the page the list asks for first
CLUSTERS_PAGE = 100  # BentoCloudClient.list_clusters' default count
WAIT_S = 5.0  # how long a request waits for its prefetched answer before going itself
MAX_RESPONSE = 32 * 1024 * 1024  # bytes: a 500-deployment page is ~2 MB; more is a broken server
PROXY_VARS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")

GUESSED_CLUSTER = "default"  # whose first page is asked for before the clusters answer

Key = tuple[str, str, tuple[tuple[str, str], ...]]


def request_key(method: str, path: str, params: dict[str, Any] | None = None) -> Key:
    return (method.upper(), path, tuple(sorted((k, str(v)) for k, v in (params or {}).items())))


def parse_response(raw: bytes, framed_only: bool = False) -> bytes | None:
    """The body of a complete HTTP/1.1 response with status 200 (Content-Length, chunked, or
    read to the close, unless `framed_only`: a TLS close without its close_notify could be a
    cut), else None."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return None
    status, *fields = head.decode("latin-1").split("\r\n")
    parts = status.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or parts[1] != "200":
        return None
    headers = {}
    for field in fields:
        name, colon, value = field.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    if headers.get("content-encoding", "identity").lower() != "identity":
        return None
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _unchunk(body)
    if "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            return None
        if length < 0:
            return None
        return body[:length] if len(body) >= length else None  # cut short: ask again
    return None if framed_only else body


def _unchunk(body: bytes) -> bytes | None:
    out: list[bytes] = []
    while True:
        size_line, sep, rest = body.partition(b"\r\n")
        if not sep:
            return None
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            return None
        if size < 0:
            return None
        if size == 0:
            return b"".join(out)
        if len(rest) < size + 2:
            return None
        out.append(rest[:size])
        body = rest[size + 2:]


def tls_context() -> Any:
    """The `ssl.SSLContext` httpx makes for `verify=True` with its default `trust_env` (the
    app's client, tui/api/client.py): no laxer, no stricter.  `ssl` is imported here, in the
    thread (asyncio imports it anyway, a moment later)."""
    import ssl

    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def first_page_key(cluster: str) -> Key:
    return request_key("GET", f"/api/v1/clusters/{quote(cluster, safe='')}/deployments",
                       {"start": 0, "count": FIRST_PAGE})


FLAVOUR_KEY = request_key("GET", "/api/v2/deployments", {"count": 1})  # client_v2's detection question
CLUSTERS_KEY = request_key("GET", "/api/v1/clusters", {"start": 0, "count": CLUSTERS_PAGE})
FIRST_KEYS = (request_key("GET", "/api/v1/info"),
              CLUSTERS_KEY,
              first_page_key(GUESSED_CLUSTER),
              FLAVOUR_KEY)


class Prefetch:
    def __init__(self, endpoint: str, token: str, organization: str | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        self.headers = {TOKEN_HEADER: token, "Content-Type": "application/json", "User-Agent": USER_AGENT}
        if organization:
            self.headers[ORGANIZATION_HEADER] = organization
        self._answers: dict[Key, Future[bytes | None]] = {}
        self._lock = threading.Lock()
        self.used = False  # whether any answer was taken

    @classmethod
    def start_for(cls, endpoint: str | None, token: str | None,
                  organization: str | None = None) -> Prefetch | None:
        """A started prefetch for this endpoint, or None where it does not apply."""
        if not endpoint or not token or not endpoint.startswith(("http://", "https://")):
            return None
        if any(os.environ.get(var) for var in PROXY_VARS):
            return None
        if any(c in text for text in (endpoint, token, organization or "") for c in "\r\n\0"):
            return None  # not a header value: the app's client says what is wrong
        prefetch = cls(endpoint, token, organization)
        for key in FIRST_KEYS:
            prefetch._future(key)  # registered before the thread starts, so the app can wait on them
        thread = threading.Thread(target=prefetch._run, name="bentotui-prefetch", daemon=True)
        thread.start()
        return prefetch

    # ------------------------------------------------------------------ the thread

    def _future(self, key: Key) -> Future[bytes | None]:
        with self._lock:
            return self._answers.setdefault(key, Future())

    def _run(self) -> None:
        """The four requests at once, each on its own connection (one round trip in all, not
        four in a row): the server's info, the clusters, the API flavour's question, and the first
        page of the cluster the app will most likely open (GUESSED_CLUSTER, the only one of the
        local control plane and of most Yatai installs).  Only if the clusters say the first one
        is another does its page wait for that answer."""
        info, clusters, guessed, flavour = FIRST_KEYS
        helpers = [threading.Thread(target=self._fetch, args=(key,), name="bentotui-prefetch", daemon=True)
                   for key in (info, guessed, flavour)]
        try:
            for helper in helpers:
                helper.start()
            first: list[Key] = []
            self._fetch(clusters, then=lambda body: first.extend(self._first_page_after(body)))
            for key in first:
                self._fetch(key)
            for helper in helpers:
                helper.join(WAIT_S)
        except Exception:  # noqa: BLE001 - a failed prefetch only means the app asks itself
            pass
        finally:
            with self._lock:
                for future in self._answers.values():
                    if not future.done():
                        future.set_result(None)

    def _first_page_after(self, clusters: bytes | None) -> list[Key]:
        """The first cluster's page, registered (so the app waits for it rather than asking
        itself) when the clusters name another first cluster than the guessed one."""
        names = [c.get("name") for c in (json.loads(clusters).get("items") or [])] if clusters else []
        if not names or not isinstance(names[0], str) or names[0] == GUESSED_CLUSTER:
            return []
        key = first_page_key(names[0])
        self._future(key)
        return [key]

    def _fetch(self, key: Key, then: Callable[[bytes | None], object] | None = None) -> bytes | None:
        """One request on a connection of its own; None (the app then asks itself) on any failure.
        `then` sees the answer before the app can take it."""
        try:
            answer = self._get(key)
        except Exception:  # noqa: BLE001
            answer = None
        if then is not None:
            try:
                then(answer)
            except Exception:  # noqa: BLE001 - an odd answer: the app asks itself
                pass
        future = self._future(key)
        if not future.done():
            future.set_result(answer)
        return answer

    def _get(self, key: Key) -> bytes | None:
        """`GET` over a plain (or TLS, for https) socket, `Connection: close`, read to the end: the body of a 200,
        else None (also past MAX_RESPONSE bytes or WAIT_S in all: a hostile server cannot keep
        the thread or the memory).  Not http.client: it imports the email package (~20-50 ms of the start)."""
        _, path, params = key
        url = urlsplit(self.endpoint)
        secure = url.scheme == "https"
        default_port = 443 if secure else 80
        host, port = url.hostname or "127.0.0.1", url.port or default_port
        target = url.path.rstrip("/") + path + (("?" + urlencode(params)) if params else "")
        authority = (f"[{host}]" if ":" in host else host) + ("" if port == default_port else f":{port}")
        lines = [f"GET {target} HTTP/1.1", f"Host: {authority}", "Connection: close",
                 "Accept-Encoding: identity", *(f"{k}: {v}" for k, v in self.headers.items())]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        deadline = time.monotonic() + WAIT_S
        chunks: list[bytes] = []
        received = 0
        ragged = False  # the TLS stream ended without close_notify (common; httpx accepts it too)
        with socket.create_connection((host, port), timeout=WAIT_S) as raw:
            # the handshake verifies before a byte of the request (and its token) is sent
            sock = tls_context().wrap_socket(raw, server_hostname=host) if secure else raw
            with sock:
                sock.sendall(request)
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None  # a trickle past the app's wait: the app asks itself
                    sock.settimeout(left)
                    try:
                        data = sock.recv(65536)
                    except OSError as exc:
                        if type(exc).__name__ != "SSLEOFError":
                            raise
                        ragged = True
                        break
                    if not data:
                        break
                    received += len(data)
                    if received > MAX_RESPONSE:
                        return None  # no page is this big: the app asks itself, with its own bounds
                    chunks.append(data)
        return parse_response(b"".join(chunks), framed_only=ragged)


    # ------------------------------------------------------------------ the client's side

    def take(self, method: str, path: str, params: dict[str, Any] | None = None) -> bytes | None:
        """The prefetched 200 body of exactly this request (once), else None."""
        key = request_key(method, path, params)
        with self._lock:
            future = self._answers.get(key)
        if future is None:
            return None
        try:
            body = future.result(timeout=WAIT_S)  # still registered meanwhile: the thread answers it
        except Exception:  # noqa: BLE001
            return None
        with self._lock:
            if self._answers.get(key) is not future:
                return None  # taken meanwhile: once only
            del self._answers[key]
        if body is not None:
            self.used = True
        return body

    async def server_answered(self) -> bool:
        """Whether `GET /api/v1/info` answered 200 (without taking the answer): the server is up."""
        import asyncio

        with self._lock:
            future = self._answers.get(request_key("GET", "/api/v1/info"))
        if future is None:
            return False
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), WAIT_S) is not None
        except Exception:  # noqa: BLE001
            return False

    def answered(self, key: Key) -> bool:
        """Whether this request has its answer (or its failure) in: `peek` would not wait."""
        with self._lock:
            future = self._answers.get(key)
        return future is not None and future.done()

    def answer_now(self, key: Key) -> bytes | None:
        """The 200 body of this request if it is in, else None; never waits, never takes it."""
        with self._lock:
            future = self._answers.get(key)
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return None
        return future.result()

    async def peek(self, key: Key) -> bytes | None:
        """The prefetched 200 body of this request once it is in, without taking it (the first
        paint reads the page the client then takes: tui/api/slim_rows.py), else None."""
        import asyncio

        with self._lock:
            future = self._answers.get(key)
        if future is None:
            return None
        if future.done():  # the usual case: no trip through the event loop (each costs a frame)
            return self.answer_now(key)
        try:
            # shielded: a first paint that gives up waiting must not cancel the client's answer
            return await asyncio.shield(asyncio.wrap_future(future))
        except Exception:  # noqa: BLE001
            return None

    async def take_async(self, method: str, path: str, params: dict[str, Any] | None = None) -> bytes | None:
        import asyncio

        key = request_key(method, path, params)
        with self._lock:
            future = self._answers.get(key)
        if future is None:
            return None
        if not future.done():
            try:
                await asyncio.wait_for(asyncio.wrap_future(future), WAIT_S)
            except Exception:  # noqa: BLE001
                return None
        return self.take(method, path, params)
