"""Websockets, runtime behaviour seen through the API, and persistence across restarts."""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import psutil
import pytest
from httpx_ws import WebSocketUpgradeError, connect_ws

from tests.harness import LocalCloud, wait_for
from tests.localcloud.test_api import NS, doc, wait_status

WS = "/ws/v1/clusters/default/namespaces/yatai/deployments"


def receive(ws, timeout: float = 10.0) -> dict:
    return json.loads(ws.receive_text(timeout=timeout))


def receive_until(ws, predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = receive(ws, timeout=max(deadline - time.monotonic(), 0.01))
        result = predicate(message)
        if result:
            return result
    raise AssertionError("no matching websocket message")


def test_websocket_requires_token(cloud: LocalCloud) -> None:
    with httpx.Client(base_url=cloud.endpoint) as anonymous:
        with pytest.raises(WebSocketUpgradeError):
            with connect_ws("/ws/v1/subscription/resource", anonymous):
                pass


def test_status_change_is_pushed_by_subscription(http: httpx.Client, iris_version: str) -> None:
    name = "push-a"
    created = http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, name)).json()
    with connect_ws("/ws/v1/subscription/resource", http) as ws:
        ws.send_text(json.dumps({"type": "data", "payload": {
            "action": "subscribe", "resource_type": "deployment", "resource_uids": [created["uid"]]}}))
        seen = receive_until(ws, lambda m: m["payload"]["payload"]["status"] == "running" and m, 30)
        assert seen["type"] == "success" and seen["payload"]["resource_type"] == "deployment"
        assert seen["payload"]["payload"]["uid"] == created["uid"]
        sent_at = time.monotonic()
        http.post(f"{NS}/{name}/terminate")
        pushed = receive_until(ws, lambda m: m["payload"]["payload"]["status"] == "terminating" and m)
        assert time.monotonic() - sent_at < 2.0
        assert pushed["payload"]["event"] == "updated"


def test_cluster_subscription_extension_hears_creations_and_deletions(
        http: httpx.Client, iris_version: str) -> None:
    with connect_ws("/ws/v1/subscription/resource", http) as ws:
        ws.send_text(json.dumps({"type": "data", "payload": {
            "action": "subscribe", "resource_type": "deployment", "resource_uids": [],
            "cluster_name": "default"}}))
        # the first push says the subscription is in force: no sleep needed before creating
        assert receive(ws)["payload"] == {"resource_type": "deployment", "payload": {},
                                          "event": "subscribed"}
        body = doc(iris_version, "sub-new")
        body["targets"][0]["config"]["hpa_conf"] = {"min_replicas": 1, "max_replicas": 1}
        body["do_not_deploy"] = True
        http.post("/api/v1/clusters/default/deployments", json=body)
        created = receive_until(ws, lambda m: m["payload"].get("event") == "created" and m)
        assert created["payload"]["payload"]["name"] == "sub-new"
        http.post(f"{NS}/sub-new/terminate")
        wait_status(http, "sub-new", "terminated")
        assert http.delete(f"{NS}/sub-new").status_code == 200
        deleted = receive_until(ws, lambda m: m["payload"].get("event") == "deleted" and m)
        assert deleted["payload"]["payload"]["uid"] == created["payload"]["payload"]["uid"]


def test_malformed_websocket_messages_get_an_error_and_the_socket_lives(http: httpx.Client) -> None:
    with connect_ws("/ws/v1/subscription/resource", http) as ws:
        ws.send_text("this is not json")
        assert receive(ws)["type"] == "error"
        ws.send_text(json.dumps({"type": "data", "payload": {"action": "explode"}}))
        error = receive(ws)
        assert error["type"] == "error" and "action" in error["message"]
        ws.send_text(json.dumps({"type": "heartbeat"}))
        ws.send_text("")
        ws.send_text(json.dumps({"type": "data", "payload": {"action": "subscribe",
                                                             "resource_uids": []}}))
    assert http.get("/api/v1/auth/current").status_code == 200


def test_pods_events_and_tail(http: httpx.Client, iris_version: str) -> None:
    name = "watch-a"
    http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, name))
    with connect_ws(f"{WS}/{name}/kube_events", http) as events:
        first = receive(events)
        assert first["type"] == "success" and isinstance(first["payload"], list)
        reasons = {e["reason"] for e in first["payload"]}
        receive_until(events, lambda m: (reasons.update(e["reason"] for e in m["payload"])
                                         or "Ready" in reasons) and True, 30)
        assert {"RevisionCreated", "Ready"} <= reasons
    with connect_ws(f"{WS}/{name}/pods", http) as pods_ws:
        pods = receive_until(pods_ws, lambda m: m["payload"] and all(
            p["status"]["ready"] for p in m["payload"]) and m["payload"], 30)
    api_pod = next(p for p in pods if p["runner_name"] is None)
    with connect_ws(f"{WS}/{name}/tail", http, params={"pod_name": api_pod["name"]}) as tail:
        tail.send_text(json.dumps({"type": "data", "payload": {
            "id": "r1", "tail_lines": 20, "container_name": "main", "since_time": None,
            "follow": True}}))
        replaced = receive(tail)["payload"]
        assert replaced["req_id"] == "r1" and replaced["type"] == "replace"
        assert replaced["items"], "start-up lines are logged"
        url = http.get(f"{NS}/{name}").json()["urls"][0]
        for _ in range(3):  # the request line lands in the API server's log
            httpx.post(f"{url}/classify", json=[[5.9, 3.0, 4.2, 1.5]], timeout=30)
        appended = receive_until(tail, lambda m: m["payload"]["type"] == "append" and m["payload"])
        assert appended["req_id"] == "r1" and len(appended["items"]) == 1


def test_killed_replica_restarts_with_backoff(http: httpx.Client, iris_version: str) -> None:
    name = "crash-a"
    http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, name))
    wait_status(http, name, "running")
    pods = http.get(f"{NS}/{name}/pods").json()
    victim = next(p for p in pods if p["runner_name"] is None)
    with connect_ws("/ws/v1/subscription/resource", http) as ws:
        uid = http.get(f"{NS}/{name}").json()["uid"]
        ws.send_text(json.dumps({"type": "data", "payload": {
            "action": "subscribe", "resource_type": "deployment", "resource_uids": [uid]}}))
        time.sleep(0.2)
        os.kill(victim["usage"]["pid"], signal.SIGKILL)
        receive_until(ws, lambda m: m["payload"]["payload"]["status"] == "unhealthy", 20)
        receive_until(ws, lambda m: m["payload"]["payload"]["status"] == "running", 30)
    events = http.get(f"{NS}/{name}/kube_events").json()
    backoff = [e for e in events if e["reason"] == "BackOff"]
    assert backoff and backoff[0]["type"] == "Warning"
    assert backoff[0]["involvedObject"]["name"] == victim["name"]
    after = {p["name"]: p for p in http.get(f"{NS}/{name}/pods").json()}
    restarted = after[victim["name"]]
    assert restarted["raw_status"]["containerStatuses"][0]["restartCount"] >= 1
    assert restarted["usage"]["pid"] != victim["usage"]["pid"]


def test_function_mode_scales_to_zero_and_queues_cold_requests(
        http: httpx.Client, sentiment_version: str) -> None:
    body = doc(sentiment_version, "cold-a")
    body["targets"][0]["bento_repository"] = "sentiment"
    assert http.post("/api/v1/clusters/default/deployments", json=body).status_code == 200
    wait_status(http, "cold-a", "running")
    wait_for(lambda: http.get(f"{NS}/cold-a/pods").json() == [], 30, what="scale to zero")
    assert http.get(f"{NS}/cold-a").json()["status"] == "running"
    url = http.get(f"{NS}/cold-a").json()["urls"][0]
    import concurrent.futures

    def call(i: int) -> dict:
        text = "I love this wonderful product" if i % 2 else "terrible awful broken"
        return httpx.post(f"{url}/analyze", json={"text": text}, timeout=60).json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(call, range(50)))
    assert [a["label"] for a in answers] == ["negative", "positive"] * 25
    reasons = [e["reason"] for e in http.get(f"{NS}/cold-a/kube_events").json()]
    assert "ScaledToZero" in reasons and "ColdStart" in reasons


def test_restart_brings_running_deployments_back(tmp_path) -> None:
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        with cloud.client() as http:
            version = http.get("/api/v1/bento_repositories/iris_classifier").json()["latest_bento"]["version"]
            body = doc(version, "durable-a")
            body["mode"] = "deployment"
            http.post("/api/v1/clusters/default/deployments", json=body)
            http.post("/api/v1/clusters/default/deployments", json=doc(version, "durable-b"))
            wait_status(http, "durable-a", "running")
            http.post(f"{NS}/durable-b/terminate")
            wait_status(http, "durable-b", "terminated")
            old_pids = [p["usage"]["pid"] for p in http.get(f"{NS}/durable-a/pods").json()]
        cloud.kill9()
        # replicas die with their control plane, even on kill -9
        wait_for(lambda: not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                                 for pid in old_pids), 10, what="orphan replicas to exit")
        cloud.start()
        with cloud.client() as http:
            wait_status(http, "durable-a", "running")
            assert http.get(f"{NS}/durable-b").json()["status"] == "terminated"
            assert http.get(f"{NS}/durable-a/revisions").json()["total"] == 1
            url = http.get(f"{NS}/durable-a").json()["urls"][0]
            answer = httpx.post(f"{url}/classify", json=[[5.1, 3.5, 1.4, 0.2]], timeout=30)
            assert answer.json() == ["setosa"]
    finally:
        cloud.stop()
