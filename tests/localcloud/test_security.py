"""The token guards every route, never leaks, and the server stays on loopback."""

from __future__ import annotations

import re
import stat

import httpx
import psutil
import pytest
from httpx_ws import WebSocketUpgradeError, connect_ws

from tests.harness import LocalCloud
from tests.localcloud.test_api import NS, doc, wait_status

PUBLIC = {"/api/v1/info", "/api/v1/version"}


def guarded_routes(cloud: LocalCloud) -> list[tuple[str, str]]:
    spec = httpx.get(f"{cloud.endpoint}/openapi.json").json()
    routes = []
    for path, methods in spec["paths"].items():
        if path in PUBLIC:
            continue
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        for method in methods:
            routes.append((method.upper(), concrete))
    return routes


def test_every_api_route_refuses_missing_and_wrong_tokens(cloud: LocalCloud) -> None:
    routes = guarded_routes(cloud)
    assert len(routes) >= 20
    for headers in ({}, {"X-YATAI-API-TOKEN": "not-the-token"}, {"X-YATAI-API-TOKEN": ""}):
        for method, path in routes:
            response = httpx.request(method, f"{cloud.endpoint}{path}", headers=headers, json={})
            assert response.status_code == 403, (method, path, headers, response.text)
            assert "message" in response.json()


@pytest.mark.parametrize("path", [
    "/ws/v1/subscription/resource",
    "/ws/v1/clusters/default/namespaces/yatai/deployments/x/pods",
    "/ws/v1/clusters/default/namespaces/yatai/deployments/x/kube_events",
    "/ws/v1/clusters/default/namespaces/yatai/deployments/x/tail",
    "/ws/v1/clusters/default/tail",
])
def test_every_websocket_refuses_a_wrong_token(cloud: LocalCloud, path: str) -> None:
    with httpx.Client(base_url=cloud.endpoint, headers={"X-YATAI-API-TOKEN": "nope"}) as client:
        with pytest.raises(WebSocketUpgradeError) as err:
            with connect_ws(path, client):
                pass
    assert err.value.response.status_code == 403


def test_token_file_and_home_permissions(cloud: LocalCloud) -> None:
    assert stat.S_IMODE(cloud.home.stat().st_mode) == 0o700
    assert stat.S_IMODE((cloud.home / "token").stat().st_mode) == 0o600


def test_binds_loopback_only(cloud: LocalCloud) -> None:
    listening = [c.laddr for c in psutil.Process(cloud.proc.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN]
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening)


def test_token_never_in_logs_responses_or_replica_processes(cloud: LocalCloud, http: httpx.Client,
                                                           iris_version: str) -> None:
    token = cloud.token
    http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, "secret-a"))
    wait_status(http, "secret-a", "running")
    bodies = [http.get(f"{NS}/secret-a").text, http.get(f"{NS}/secret-a/pods").text,
              http.get(f"{NS}/secret-a/kube_events").text,
              http.get("/api/v1/clusters/default/deployments").text,
              http.get("/api/v1/current_org/events").text]
    assert not any(token in body for body in bodies)
    for pod in http.get(f"{NS}/secret-a/pods").json():
        process = psutil.Process(pod["usage"]["pid"])
        assert token not in " ".join(process.cmdline())
        assert token not in "".join(f"{k}={v}" for k, v in process.environ().items())
    for path in cloud.home.rglob("*.log"):
        assert token not in path.read_text(errors="replace"), path
