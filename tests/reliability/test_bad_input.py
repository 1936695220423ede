"""Item 6: bad input to the control plane gets a clear 4xx with a message; the server carries on.

tests/localcloud/test_api.py already covers one bad name, an unknown top-level key, a wrong
type, a wrong mode, a missing bento, a bad namespace, malformed JSON and a 12 MB body (with a
Content-Length); tests/localcloud/test_live.py a malformed frame on the subscription socket.
These add what they do not: every socket, binary and oversized frames, bodies streamed without
a Content-Length, many invalid names and enums at nested paths, a PATCH naming a missing bento,
a PATCH to a deleted deployment, and absurd numbers in query strings.  After each test, the
server log must hold no traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from httpx_ws import connect_ws

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, latest_version

WS = "/ws/v1/clusters/default/namespaces/yatai/deployments"
TEN_MB = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def no_traceback_in_the_server_log(cloud: LocalCloud) -> Iterator[None]:
    log = cloud.home / "test-server.log"
    before = log.stat().st_size if log.exists() else 0
    yield
    with log.open("rb") as fh:
        fh.seek(before)
        added = fh.read().decode(errors="replace")
    assert "Traceback" not in added and "Exception in ASGI" not in added, added[-3000:]
    assert cloud.proc is not None and cloud.proc.poll() is None


@pytest.fixture(scope="module")
def idle(cloud: LocalCloud) -> str:
    """A deployment that exists but runs nothing (sockets and PATCHes aim at it)."""
    with cloud.client() as http:
        created = http.post(CREATE, json=body(latest_version(http), "idle-target", deploy=False))
        assert created.status_code == 200, created.text
    return "idle-target"


def refused(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    message = response.json().get("error") or response.json().get("message")
    assert isinstance(message, str) and message
    return message


# --------------------------------------------------------------------------- names, keys, enums


@pytest.mark.parametrize("name", [
    "", "Upper", "9starts-with-digit", "-dash-first", "dash-last-", "under_score", "dot.ted",
    "sp ace", "ünïcode", "a" * 64, "x\u0000y", "../../etc",
])
def test_names_that_are_not_dns_1035_labels(http: httpx.Client, name: str) -> None:
    doc = body(latest_version(http), "placeholder", deploy=False)
    doc["name"] = name
    message = refused(http.post(CREATE, json=doc))
    assert message.startswith("invalid request: name:"), message
    assert "start with a letter" in message and "63 characters" in message, message
    assert "regex" not in message and "[a-z]" not in message, message


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d["targets"][0]["config"].update(colour="red"), "targets[0].config.colour: unknown key"),
    (lambda d: d["targets"][0]["config"]["hpa_conf"].update(replicas=2),
     "targets[0].config.hpa_conf.replicas: unknown key"),
    (lambda d: d["targets"][0].update(type="blue"), "targets[0].type"),
    (lambda d: d["targets"][0]["config"].update(deployment_strategy="YOLO"),
     "targets[0].config.deployment_strategy"),
    (lambda d: d["targets"][0]["config"]["hpa_conf"].update(
        policy={"metrics": [{"type": "vibes", "value": 1}]}),
     "targets[0].config.hpa_conf.policy.metrics[0].type"),
    (lambda d: d["targets"][0].update(canary_rules=[{"type": "coin"}]), "targets[0].canary_rules[0].type"),
    (lambda d: d.update(mode=7), "mode"),
    (lambda d: d.update(targets="iris"), "targets"),
    (lambda d: d["targets"][0]["config"].update(traffic_control={"timeout": "soon"}),
     "targets[0].config.traffic_control.timeout"),
    (lambda d: d["targets"][0]["config"]["hpa_conf"].update(min_replicas=-1),
     "targets[0].config.hpa_conf.min_replicas"),
])
def test_unknown_keys_and_wrong_enums_name_their_path(http: httpx.Client, idle: str, mutate,
                                                      where: str) -> None:
    doc = body(latest_version(http), "never-made", deploy=False)
    mutate(doc)
    assert where in refused(http.post(CREATE, json=doc))
    update = body(latest_version(http), idle, deploy=False)
    mutate(update)
    assert where in refused(http.patch(f"{NS}/{idle}", json=update))
    assert http.get(f"{NS}/never-made").status_code == 404


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b'"text"', b"{", b"\xff\xfe", b"{}"])
def test_bodies_that_are_not_a_deployment_object(http: httpx.Client, idle: str, raw: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    for response in (http.post(CREATE, content=raw, headers=headers),
                     http.patch(f"{NS}/{idle}", content=raw, headers=headers)):
        refused(response)


def test_a_bento_that_does_not_exist(http: httpx.Client, idle: str) -> None:
    doc = body("0000000000000000", idle, deploy=False)
    assert "can't find bento: iris_classifier:0000000000000000" in refused(
        http.patch(f"{NS}/{idle}", json=doc))
    doc["targets"][0]["bento_repository"] = "no_such_repo"
    assert "can't find bento: no_such_repo:" in refused(http.patch(f"{NS}/{idle}", json=doc))
    assert http.get(f"{NS}/{idle}/revisions").json()["total"] == 1  # nothing recorded


def test_an_update_to_a_deleted_deployment(http: httpx.Client) -> None:
    version = latest_version(http)
    assert http.post(CREATE, json=body(version, "doomed", deploy=False)).status_code == 200
    http.post(f"{NS}/doomed/terminate")
    wait_for(lambda: http.get(f"{NS}/doomed").json()["status"] == "terminated", 10)
    assert http.delete(f"{NS}/doomed").status_code == 200
    for method, path in (("PATCH", f"{NS}/doomed"), ("POST", f"{NS}/doomed/terminate"),
                         ("DELETE", f"{NS}/doomed"), ("POST", f"{NS}/doomed/sync_status"),
                         ("GET", f"{NS}/doomed/revisions")):
        response = http.request(method, path, json=body(version, "doomed") if method == "PATCH" else None)
        assert refused(response, 404) == "get deployment doomed: record not found"


# --------------------------------------------------------------------------- size


def test_a_10_mb_body_with_and_without_content_length(http: httpx.Client, idle: str) -> None:
    payload = json.dumps({"name": "big", "description": "x" * TEN_MB}).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        for i in range(0, len(payload), 65536):
            yield payload[i:i + 65536]

    started = time.monotonic()
    for response in (http.post(CREATE, content=payload), http.post(CREATE, content=chunks()),
                     http.patch(f"{NS}/{idle}", content=chunks())):
        assert "too large" in refused(response, 413)
    assert time.monotonic() - started < 10
    assert http.get(f"{NS}/big").status_code == 404
    assert http.get("/api/v1/auth/current").status_code == 200


# --------------------------------------------------------------------------- numbers in queries


@pytest.mark.parametrize("path, params", [
    ("/api/v1/deployments", {"count": 10**22}),
    ("/api/v1/clusters/default/deployments", {"start": 10**30, "count": -(10**25)}),
    ("/api/v1/current_org/events", {"start": 10**20, "count": 10**20}),
    (f"{NS}/idle-target/revisions", {"start": 10**37}),
    (f"{NS}/idle-target/kube_events", {"after": 10**21}),
    (f"{NS}/idle-target/metrics", {"since_seconds": "nan"}),
    (f"{NS}/idle-target/metrics", {"since_seconds": "inf"}),
    ("/api/v1/bento_repositories", {"start": 10**40, "count": 10**40}),
])
def test_absurd_numbers_in_query_strings(http: httpx.Client, idle: str, path: str, params: dict) -> None:
    """These made SQLite (64-bit integers) or timedelta(NaN) raise: a 500 (found by fuzzing)."""
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("params", [{"count": "ten"}, {"start": "1e3"}, {"after": "-"}])
def test_numbers_that_are_not_numbers(http: httpx.Client, idle: str, params: dict) -> None:
    message = refused(http.get(f"{NS}/{idle}/kube_events" if "after" in params
                               else "/api/v1/deployments", params=params))
    assert next(iter(params)) in message


# --------------------------------------------------------------------------- websockets


def ws_paths(idle: str) -> list[str]:
    return [f"{WS}/{idle}/pods", f"{WS}/{idle}/kube_events", f"{WS}/{idle}/tail?pod_name=x",
            "/ws/v1/subscription/resource"]


def read_error(ws, timeout: float = 5.0) -> str:
    """The next error envelope (pushes of the socket's own data may come first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(ws.receive_text(timeout=max(deadline - time.monotonic(), 0.01)))
        if message["type"] == "error":
            assert message["message"]
            return message["message"]
    raise AssertionError("no error envelope")


FRAMES = [
    ("not json", "not JSON"),
    ("[1, 2]", "invalid message"),
    ('{"type": "shout"}', "type"),
    ('{"type": "data", "payload": {"id": 1}, "extra": true}', "extra: unknown key"),
    ('{"type": "data", "payload": "x"', "JSON"),
    ("{" * 5000, "JSON"),
]


@pytest.mark.parametrize("which", ["pods", "kube_events", "tail", "subscription"])
def test_malformed_frames_on_every_socket(http: httpx.Client, idle: str, which: str) -> None:
    path = next(p for p in ws_paths(idle) if which in p)
    with connect_ws(path, http) as ws:
        for frame, needle in FRAMES:
            ws.send_text(frame)
            assert needle in read_error(ws), frame
        ws.send_bytes(b"\x00\xffbinary")
        assert "text" in read_error(ws)
        ws.send_text("x" * (512 * 1024))  # 512 KB of garbage (over 1 MiB closes: test_bounds_api)
        assert read_error(ws, 15)
        ws.send_text(json.dumps({"type": "heartbeat"}))
        ws.send_text("")
        if which == "tail":
            ws.send_text(json.dumps({"type": "data", "payload": {"id": "r", "tail_lines": -5}}))
            assert "tail_lines" in read_error(ws)
        if which == "subscription":
            ws.send_text(json.dumps({"type": "data", "payload": {
                "action": "subscribe", "resource_type": "planet", "resource_uids": [1]}}))
            problem = read_error(ws)
            assert "resource_type" in problem and "resource_uids[0]" in problem
    assert http.get("/api/v1/auth/current").status_code == 200


def test_sockets_of_missing_deployments_say_so(http: httpx.Client) -> None:
    for path in ws_paths("ghost")[:3] + ["/ws/v1/clusters/default/tail?pod_name=ghost-1",
                                         "/ws/v1/clusters/nope/namespaces/yatai/deployments/x/pods"]:
        with connect_ws(path, http) as ws:
            assert "record not found" in read_error(ws), path
