"""Issue 10, request bounds on the control plane's own routes: heads, JSON bodies, sockets.

A real control plane with short read timeouts (1 s, `BENTOTUI_LIMIT_*`).  Before: a JSON body
over 1 MiB got a 400, a stalled body or head was waited for without end (uvicorn arms no timer
before a head is complete), and a head of any size was read.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, report

SHORT = {"BENTOTUI_LIMIT_HEADER_READ_TIMEOUT_S": "1", "BENTOTUI_LIMIT_BODY_READ_TIMEOUT_S": "1"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    server = LocalCloud(tmp_path_factory.mktemp("bounds"), env_overrides=SHORT)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def raw_exchange(cloud: LocalCloud, data: bytes, wait: float = 10) -> tuple[bytes, float]:
    """Send `data` on a fresh connection and read until the server closes it."""
    sock = socket.create_connection(("127.0.0.1", cloud.port))
    sock.settimeout(wait)
    started = time.monotonic()
    sock.sendall(data)
    answer = b""
    try:
        while piece := sock.recv(65536):
            answer += piece
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    return answer, time.monotonic() - started


def json_error(answer: bytes, status: int) -> str:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d" % status), answer[:300]
    return json.loads(body)["error"]


def test_a_connection_that_sends_nothing_is_closed_with_408(cloud: LocalCloud) -> None:
    answer, seconds = raw_exchange(cloud, b"")
    assert "head not received" in json_error(answer, 408)
    assert seconds < 3


def test_a_stalled_head_gets_408(cloud: LocalCloud) -> None:
    answer, seconds = raw_exchange(cloud, b"GET /api/v1/info HTTP/1.1\r\nhost: x\r\nx-slow: ")
    report("stalled_head", answered_after_s=round(seconds, 2))
    assert "head not received" in json_error(answer, 408)
    assert seconds < 3


def test_a_huge_head_gets_431(cloud: LocalCloud) -> None:
    answer, _ = raw_exchange(cloud, b"GET /api/v1/info HTTP/1.1\r\nhost: x\r\n"
                                    + b"x-big: " + b"a" * 200_000 + b"\r\n")
    assert "head over the limit" in json_error(answer, 431)


def test_keep_alive_requests_still_work_past_the_head_timeout(cloud: LocalCloud, http: httpx.Client) -> None:
    for _ in range(3):
        assert http.get("/api/v1/auth/current").status_code == 200
        time.sleep(0.6)  # under the keep-alive window, past the head timeout in total


def test_a_json_body_over_1_mib_is_a_413(http: httpx.Client) -> None:
    response = http.post(CREATE, content=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                         headers={"content-type": "application/json"})
    assert response.status_code == 413 and "too large" in response.json()["error"]


def test_a_stalled_json_body_is_a_408(cloud: LocalCloud) -> None:
    answer, seconds = raw_exchange(
        cloud, b"POST /api/v1/clusters/default/deployments HTTP/1.1\r\nhost: x\r\n"
               b"x-yatai-api-token: " + cloud.token.encode() + b"\r\ncontent-type: application/json\r\n"
               b"content-length: 1000\r\n\r\n{\"name\": ")
    report("stalled_json_body", answered_after_s=round(seconds, 2))
    assert "not received within" in json_error(answer, 408)
    assert seconds < 3


def test_after_a_413_the_rest_of_the_body_is_discarded_and_the_connection_still_serves(
        cloud: LocalCloud) -> None:
    sock = socket.create_connection(("127.0.0.1", cloud.port))
    sock.settimeout(10)
    size = 2 * 1024 * 1024
    sock.sendall(b"POST /api/v1/clusters/default/deployments HTTP/1.1\r\nhost: x\r\n"
                 b"x-yatai-api-token: " + cloud.token.encode() + b"\r\n"
                 b"content-length: %d\r\n\r\n" % size)
    for _ in range(size // 65536):  # the whole body, though refused from its Content-Length
        sock.sendall(b"x" * 65536)
    sock.sendall(b"GET /api/v1/info HTTP/1.1\r\nhost: x\r\n\r\n")
    answers = b""
    while b"bentotui-localcloud" not in answers:  # the second answer's body
        piece = sock.recv(65536)
        if not piece:
            break
        answers += piece
    sock.close()
    assert answers.startswith(b"HTTP/1.1 413"), answers[:300]
    assert b"HTTP/1.1 200" in answers and b"bentotui-localcloud" in answers, answers[-500:]
    assert b" 431 " not in answers and b" 408 " not in answers


def test_connections_beyond_the_cap_get_a_json_503(tmp_path_factory: pytest.TempPathFactory) -> None:
    capped = LocalCloud(tmp_path_factory.mktemp("conn-cap"),
                        env_overrides={"BENTOTUI_LIMIT_MAX_CONNECTIONS": "5"})
    capped.start()
    held = []
    try:
        for _ in range(5):
            held.append(socket.create_connection(("127.0.0.1", capped.port)))
        answer, _ = raw_exchange(capped, b"GET /api/v1/info HTTP/1.1\r\nhost: x\r\n\r\n")
        assert "too many connections (limit 5)" in json_error(answer, 503)
        for sock in held:
            sock.close()
        held.clear()
        with capped.client() as http:  # places came free (once the server has seen the closes)
            wait_for(lambda: http.get("/api/v1/info").status_code == 200, 10, what="a free place")
    finally:
        for sock in held:
            sock.close()
        capped.stop()
