"""The start-up prefetch (tui/api/prefetch.py): the client answers exactly the prefetched
requests from it, once, identically to asking the server; everything else, and any answer that
was not a 200, goes over the network as before."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from tests.harness import LocalCloud
from tests.support.listener import Listener
from tui.api.client import BentoCloudClient
from tui.api.errors import UnauthorizedError
from tui.api.prefetch import Prefetch
from tui.localcloud.paths import StatePaths
from tui.localcloud.running import running_endpoint


def test_only_http_and_https_without_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Prefetch.start_for("ftp://cloud.example", "t") is None
    assert Prefetch.start_for(None, "t") is None
    assert Prefetch.start_for("http://127.0.0.1:1", None) is None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy:3128")
    assert Prefetch.start_for("http://127.0.0.1:1", "t") is None


async def test_prefetched_answers_equal_the_servers(cloud: LocalCloud, http: httpx.Client) -> None:
    version = http.get("/api/v1/bento_repositories/sentiment").json()["latest_bento"]["version"]
    for i in range(3):
        http.post("/api/v1/clusters/default/deployments", json={
            "name": f"prefetch-{i}", "do_not_deploy": True,
            "targets": [{"bento_repository": "sentiment", "bento": version}]})
    prefetch = Prefetch.start_for(cloud.endpoint, cloud.token)
    assert prefetch is not None
    async with BentoCloudClient(cloud.endpoint, cloud.token, prefetch=prefetch) as fast, \
            BentoCloudClient(cloud.endpoint, cloud.token) as plain:
        assert await prefetch.server_answered()
        assert await fast.server_info() == await plain.server_info()
        assert (await fast.list_clusters()) == (await plain.list_clusters())
        page = await fast.list_deployments("default", start=0, count=500)
        assert prefetch.used
        assert page == await plain.list_deployments("default", start=0, count=500)
        assert {"prefetch-0", "prefetch-1", "prefetch-2"} <= {d.name for d in page.items}
        # answered once: the same request again, and any other, goes to the server
        assert prefetch.take("GET", "/api/v1/info") is None
        again = await fast.list_deployments("default", start=0, count=500)
        assert again == page
        other = await fast.list_deployments("default", start=0, count=2)
        assert len(other.items) == 2


async def test_a_refused_prefetch_falls_back_to_the_real_answer(cloud: LocalCloud) -> None:
    prefetch = Prefetch.start_for(cloud.endpoint, "wrong-token")
    assert prefetch is not None
    await prefetch.server_answered()  # /info is public: it answers even this token
    async with BentoCloudClient(cloud.endpoint, "wrong-token", prefetch=prefetch) as client:
        with pytest.raises(UnauthorizedError):
            await client.list_clusters()  # the 403 was not kept: asked again, refused again


async def test_an_unreachable_server_is_not_prefetched() -> None:
    prefetch = Prefetch.start_for("http://127.0.0.1:9", "t")
    assert prefetch is not None
    assert not await prefetch.server_answered()
    assert prefetch.take("GET", "/api/v1/info") is None


def test_running_endpoint(cloud: LocalCloud, tmp_path) -> None:
    assert running_endpoint(StatePaths(cloud.home)) == (cloud.endpoint, cloud.token)
    assert running_endpoint(StatePaths(tmp_path)) is None


async def test_the_first_requests_go_out_together(cloud: LocalCloud) -> None:
    """Over a 100 ms link the four first requests (info, clusters, the flavour's question, the
    first page) cost one round trip (plus the handshake), not four in a row: they leave
    together, each on its own connection."""
    from tests.bench.latency_proxy import LatencyProxy

    proxy = LatencyProxy(cloud.port, rtt=0.100).start()
    try:
        mark = proxy.snapshot()
        prefetch = Prefetch.start_for(proxy.endpoint, cloud.token)
        assert prefetch is not None
        page = await prefetch.take_async("GET", "/api/v1/clusters/default/deployments",
                                         {"start": 0, "count": 500})
        assert page is not None and b'"items"' in page
        assert prefetch.take("GET", "/api/v1/info") is not None
        assert await prefetch.take_async("GET", "/api/v2/deployments", {"count": 1}) is not None
        seen = proxy.since(mark)
        assert seen["connections"] == 4 and seen["turns"] == 4
        assert seen["waves"] == 1, seen  # sent together, not each after the previous answer
    finally:
        proxy.stop()


def test_another_first_cluster_gets_its_own_page() -> None:
    """A server whose first cluster is not the guessed one (the local control plane has only
    `default`, so a stand-in server): the guessed page's 404 is not kept, and the first cluster's
    page is asked for once the clusters have answered."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            asked.append(self.path)
            bodies = {"/api/v1/info": {"version": "x"},
                      "/api/v1/clusters?count=100&start=0": {"items": [{"name": "prod"}]},
                      "/api/v1/clusters/prod/deployments?count=500&start=0": {"items": []}}
            body = bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            data = json.dumps(body or {"error": "no such cluster"}).encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        prefetch = Prefetch.start_for(f"http://127.0.0.1:{server.server_address[1]}", "t")
        assert prefetch is not None
        assert prefetch.take("GET", "/api/v1/clusters", {"start": 0, "count": 100})  # as the app does
        assert prefetch.take("GET", "/api/v1/clusters/prod/deployments",
                             {"start": 0, "count": 500}) == b'{"items": []}'
        assert prefetch.take("GET", "/api/v1/clusters/default/deployments",
                             {"start": 0, "count": 500}) is None  # the 404 is asked again
        assert asked.index("/api/v1/clusters/prod/deployments?count=500&start=0") > \
            asked.index("/api/v1/clusters?count=100&start=0")
    finally:
        server.shutdown()
        server.server_close()


def test_responses_it_keeps_and_those_it_leaves_to_the_client() -> None:
    """Only a complete 200 in plain bytes is kept; anything else is asked again by httpx."""
    from tui.api.prefetch import parse_response

    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"
    assert parse_response(ok + b"abcd") == b"abcd"
    assert parse_response(ok + b"ab") is None  # cut short
    assert parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n") == b"abcde"
    assert parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab") is None
    assert parse_response(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\n{}") is None
    assert parse_response(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\n\r\n\x1f\x8b") is None
    assert parse_response(b"garbage") is None
    assert parse_response(b"HTTP/1.1 200 OK\r\n\r\nto the close") == b"to the close"


def test_a_token_that_is_no_header_value_is_not_sent() -> None:
    assert Prefetch.start_for("http://127.0.0.1:1", "tok\r\nX-Evil: 1") is None
    assert Prefetch.start_for("http://127.0.0.1:1/\nx", "t") is None


class HostileServer(Listener):
    """A stand-in server (the real one cannot be made hostile): it answers every request with
    `answer(conn)`, and records when each connection was closed by the client."""

    def __init__(self, answer) -> None:  # noqa: ANN001 - a callable of a socket
        self.answer = answer
        self.closed_by_client = threading.Event()
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                self.answer(conn)
            except OSError:
                self.closed_by_client.set()


def _endless(conn) -> None:  # noqa: ANN001 - a 200 with no length that never ends
    conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    while True:
        conn.sendall(b"x" * 65536)


def _trickle(conn) -> None:  # noqa: ANN001 - a byte every 50 ms, forever
    import time

    conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    while True:
        conn.sendall(b"x")
        time.sleep(0.05)


@pytest.mark.parametrize("answer", [_endless, _trickle], ids=["gigabytes", "trickle"])
def test_a_hostile_answer_is_given_up_within_the_bounds(monkeypatch: pytest.MonkeyPatch,
                                                        answer) -> None:  # noqa: ANN001
    """Past MAX_RESPONSE bytes or WAIT_S in all the prefetch lets go of the connection and
    answers None: the app then asks itself, with its own bounds and messages."""
    import time

    from tui.api import prefetch as module

    monkeypatch.setattr(module, "WAIT_S", 1.0)
    monkeypatch.setattr(module, "MAX_RESPONSE", 1024 * 1024, raising=False)
    server = HostileServer(answer)
    try:
        began = time.monotonic()
        prefetch = Prefetch.start_for(server.endpoint, "t")
        assert prefetch is not None
        future = prefetch._future(module.request_key("GET", "/api/v1/info"))
        assert future.result(timeout=10) is None  # the thread's own answer, not a waiter's timeout
        assert time.monotonic() - began < 2.5
        assert server.closed_by_client.wait(5)  # the connection was let go, not left reading
    finally:
        server.close()


def test_lengths_that_do_not_parse_are_not_kept() -> None:
    from tui.api.prefetch import parse_response

    assert parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: lots\r\n\r\nabcd") is None
    assert parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\nabcd") is None
    assert parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"zz\r\nabc\r\n0\r\n\r\n") is None
    assert parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"-3\r\nabc\r\n0\r\n\r\n") is None
