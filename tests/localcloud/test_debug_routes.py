"""The bench-only event source (tui/localcloud/http/debug.py): absent by default, token-guarded,
and its events reach the kube_events socket like the runtime's own."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from httpx_ws import connect_ws

from tests.harness import LocalCloud

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"
DEBUG = "/api/v1/debug/clusters/default/namespaces/yatai/deployments"


def create(http: httpx.Client, name: str) -> None:
    version = http.get("/api/v1/bento_repositories/sentiment").json()["latest_bento"]["version"]
    response = http.post("/api/v1/clusters/default/deployments", json={
        "name": name, "do_not_deploy": True,
        "targets": [{"bento_repository": "sentiment", "bento": version}]})
    assert response.status_code == 200, response.text


def test_debug_routes_are_off_by_default(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "debug-off")
    response = http.post(f"{DEBUG}/debug-off/kube_events", json={"count": 5})
    assert response.status_code == 404
    assert "debug" not in json.dumps(http.get("/api/v1/info").json())
    assert "/debug/" not in httpx.get(f"{cloud.endpoint}/openapi.json").text


def test_injected_events_are_pushed(tmp_path: Path) -> None:
    cloud = LocalCloud(tmp_path / "home", env_overrides={"BENTOTUI_DEBUG_ROUTES": "1"}).start()
    try:
        with cloud.client() as http:
            create(http, "debug-on")
            assert httpx.post(f"{cloud.endpoint}{DEBUG}/debug-on/kube_events",
                              json={"count": 3}).status_code == 403  # no token
            assert http.post(f"{DEBUG}/debug-on/kube_events", json={"count": 0}).status_code == 400
            with connect_ws("/ws/v1/clusters/default/namespaces/yatai/deployments/debug-on/kube_events",
                            http) as ws:
                first = json.loads(ws.receive_text(timeout=10))["payload"]
                response = http.post(f"{DEBUG}/debug-on/kube_events",
                                     json={"count": 250, "reason": "Injected", "message": "hello"})
                assert response.json() == {"written": 250}
                seen = []
                while len(seen) < 250:
                    seen += json.loads(ws.receive_text(timeout=10))["payload"]
            assert all(e["reason"] == "Injected" for e in seen)
            assert seen[-1]["message"] == "hello #249"
            assert len(first) >= 1  # RevisionCreated
            rest = http.get(f"{NS}/debug-on/kube_events", params={"limit": 2000}).json()
            assert sum(1 for e in rest if e["reason"] == "Injected") == 250
    finally:
        cloud.stop()
