"""Issue 10, log tail cost: a log without newlines must not cost the control plane minutes.

Before, a 30 MB replica log without a newline made a tail request re-copy and re-count the
tail on every 8 KB step backwards (quadratic; measured CPU: 2 MB 0.17 s, 4 MB 0.54 s, 8 MB
2.4 s, 30 MB 30 s, 70 s wall on a busy 2-core machine).
Now a tail reads at most `log_tail_bytes` (8 MiB) from the end once and cuts lines at
`log_line_bytes` (16 KiB) with a visible marker.  Against the real control plane: the log is
a real replica's, the request goes through the real tail socket.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from httpx_ws import connect_ws

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, latest_version, report
from tui.localcloud.runtime.logtail import LineSplitter, last_lines

WS = "/ws/v1/clusters/default/namespaces/yatai/deployments"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def replica_log(cloud: LocalCloud) -> tuple[str, str, Path]:
    """(deployment, API-server pod, its log file) of a running deployment."""
    with cloud.client() as http:
        created = http.post(CREATE, json=body(latest_version(http, "sentiment"), "tailcost", repo="sentiment"))
        assert created.status_code == 200, created.text
        wait_for(lambda: http.get(f"{NS}/tailcost").json()["status"] == "running", 60, what="running")
        pod = next(p for p in http.get(f"{NS}/tailcost/pods").json() if p["runner_name"] is None)
    log = wait_for(lambda: next(iter((cloud.home / "logs").rglob(f"{pod['name']}.log")), None),
                   what="the replica's log file")
    return "tailcost", pod["name"], log


def tail(http: httpx.Client, deployment: str, pod: str, follow: bool, lines: int = 100):
    ws = connect_ws(f"{WS}/{deployment}/tail", http, params={"pod_name": pod})
    return ws, {"type": "data", "payload": {"id": "r1", "tail_lines": lines, "follow": follow}}


def test_a_30_mb_log_without_newlines_tails_in_bounded_time(http: httpx.Client,
                                                           replica_log: tuple[str, str, Path]) -> None:
    deployment, pod, log = replica_log
    with log.open("ab") as fh:
        fh.write(b"\nbefore the flood\n" + b"x" * (30 * MB))
    ws_cm, request = tail(http, deployment, pod, follow=False)
    started = time.monotonic()
    with ws_cm as ws:
        ws.send_text(json.dumps(request))
        replaced = json.loads(ws.receive_text(timeout=30))["payload"]
    seconds = time.monotonic() - started
    items = replaced["items"]
    report("log_tail_30mb_no_newline", seconds=round(seconds, 3), items=len(items),
           longest_item_chars=max(len(i) for i in items))
    assert seconds < 3
    assert replaced["type"] == "replace" and items
    assert all(len(item) < 17_000 for item in items)
    assert "line cut" in items[-1] and "earlier bytes not read" in items[-1]


def test_following_a_line_without_end_sends_it_cut_and_carries_on(
        http: httpx.Client, replica_log: tuple[str, str, Path]) -> None:
    deployment, pod, log = replica_log
    ws_cm, request = tail(http, deployment, pod, follow=True, lines=1)
    with ws_cm as ws:
        ws.send_text(json.dumps(request))
        assert json.loads(ws.receive_text(timeout=30))["payload"]["type"] == "replace"
        with log.open("ab") as fh:
            fh.write(b"\n" + b"y" * (3 * MB) + b"\nthe next line\n")
        seen: list[str] = []
        deadline = time.monotonic() + 20
        while "the next line" not in seen and time.monotonic() < deadline:
            seen += json.loads(ws.receive_text(timeout=20))["payload"]["items"]
    assert "the next line" in seen
    cut = [item for item in seen if item.startswith("yyyy")]
    assert cut and all(len(item) < 17_000 for item in cut) and "…" in cut[0]
    assert any("line cut" in item for item in seen)


def test_last_lines_reads_at_most_the_limit_and_cuts_long_lines(tmp_path: Path) -> None:
    path = tmp_path / "replica.log"
    path.write_bytes(b"first\n" + b"z" * (3 * MB) + b"\nshort\n")
    lines, end = last_lines(path, 5, max_bytes=1 * MB, max_line=1000)
    assert end == path.stat().st_size
    assert lines[-1] == "short"
    assert lines[0].startswith("[… ") and "line cut" in lines[0] and len(lines[0]) < 1100
    assert "first" not in "".join(lines)  # beyond the bytes read
    assert last_lines(path, 0, max_bytes=MB, max_line=1000) == ([], end)


def test_the_line_splitter_holds_at_most_one_cut_line() -> None:
    splitter = LineSplitter(max_line=10)
    out = splitter.feed(b"abc\n" + b"q" * 25)
    out += splitter.feed(b"q" * 5 + b"\ntail\n")
    assert out[0] == "abc"
    assert out[1].startswith("q" * 10) and out[1].endswith("…")
    assert "line cut" in out[2] and out[3] == "tail"
    assert len(splitter._partial) == 0
