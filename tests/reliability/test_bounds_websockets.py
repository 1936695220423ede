"""Issue 10, websockets: per-socket memory, the number of sockets and the size of a frame.

Against the real control plane: subscription sockets follow a cluster of deployments while
every deployment changes, then close; the control plane's RSS is read from /proc before, while
they are open and after.  Before, each socket kept a parsed copy of every deployment it had
pushed (~20 KB each) and RSS did not come back when it closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, connect_ws
from wsproto.utilities import LocalProtocolError

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, latest_version, report

SUBSCRIPTION = "/ws/v1/subscription/resource"
DEPLOYMENTS = 100
SOCKETS = 20
ROUNDS = 3


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def subscribe_cluster(ws) -> None:  # type: ignore[no-untyped-def]
    ws.send_text(json.dumps({"type": "data", "payload": {
        "action": "subscribe", "resource_type": "deployment", "resource_uids": [],
        "cluster_name": "default"}}))
    assert json.loads(ws.receive_text(timeout=10))["payload"]["event"] == "subscribed"


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """A control plane allowing 3 websockets at once."""
    server = LocalCloud(tmp_path_factory.mktemp("capped"), env_overrides={"BENTOTUI_LIMIT_WEBSOCKETS": "3"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_subscription_sockets_give_their_memory_back(cloud: LocalCloud, http: httpx.Client) -> None:
    version = latest_version(http)
    names = [f"mem-{i}" for i in range(DEPLOYMENTS)]
    for name in names:
        assert http.post(CREATE, json=body(version, name, deploy=False)).status_code == 200
    assert cloud.proc is not None
    pid = cloud.proc.pid
    before = rss_mb(pid)
    open_peaks, after_close = [], []
    for round_ in range(ROUNDS):
        sockets = [connect_ws(SUBSCRIPTION, http) for _ in range(SOCKETS)]
        opened = [cm.__enter__() for cm in sockets]
        for ws in opened:
            subscribe_cluster(ws)
        for name in names:
            patched = http.patch(f"{NS}/{name}", json=body(version, name, deploy=False,
                                                          description=f"round {round_}"))
            assert patched.status_code == 200, patched.text
        for ws in opened:
            for _ in range(DEPLOYMENTS):
                push = json.loads(ws.receive_text(timeout=20))["payload"]
                assert push["event"] == "updated"
        open_peaks.append(rss_mb(pid))
        for cm in sockets:
            cm.__exit__(None, None, None)
        http.get("/api/v1/auth/current")  # let the server finish the closes
        after_close.append(rss_mb(pid))
    report("subscription_socket_memory", deployments=DEPLOYMENTS, sockets=SOCKETS, rounds=ROUNDS,
           rss_before_mb=round(before, 1), rss_open_mb=[round(x, 1) for x in open_peaks],
           rss_after_close_mb=[round(x, 1) for x in after_close])
    # 20 sockets x 100 deployments: a parsed copy each would be ~40 MB; shared bytes are ~0.
    assert max(open_peaks) - before < 15, (before, open_peaks)
    assert after_close[-1] - before < 15, (before, after_close)


def test_an_oversized_frame_closes_the_socket_with_1009(http: httpx.Client) -> None:
    with connect_ws(SUBSCRIPTION, http) as ws:
        ws.send_text("x" * (2 * 1024 * 1024))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text(timeout=10)
    assert closed.value.code == 1009
    assert http.get("/api/v1/auth/current").status_code == 200


def test_sockets_beyond_the_cap_are_closed_with_1013_and_a_reason(capped: LocalCloud) -> None:
    with capped.client() as http:
        held = [connect_ws(SUBSCRIPTION, http) for _ in range(3)]
        opened = [cm.__enter__() for cm in held]
        for ws in opened:
            subscribe_cluster(ws)
        with connect_ws(SUBSCRIPTION, http) as extra:
            with pytest.raises(WebSocketDisconnect) as closed:
                extra.receive_text(timeout=10)
        assert closed.value.code == 1013 and "limit 3" in (closed.value.reason or "")
        held.pop().__exit__(None, None, None)

        def a_place_came_free() -> bool:
            with connect_ws(SUBSCRIPTION, http) as again:
                try:
                    subscribe_cluster(again)
                except (WebSocketDisconnect, LocalProtocolError):
                    return False  # the server had not seen the close yet: closed with 1013
                return True

        wait_for(a_place_came_free, 10, what="a free place after a close")
        for cm in held:
            cm.__exit__(None, None, None)
