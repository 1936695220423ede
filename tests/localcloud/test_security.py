"""The token guards every route, never leaks, and the server stays on loopback."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import httpx
import psutil
import pytest
from httpx_ws import WebSocketUpgradeError, connect_ws

from tests.harness import LocalCloud, wait_for
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
def test_every_websocket_refuses_a_missing_or_wrong_token(cloud: LocalCloud, path: str) -> None:
    for headers in ({}, {"X-YATAI-API-TOKEN": "nope"}, {"X-YATAI-API-TOKEN": ""},
                    {"X-YATAI-API-TOKEN": cloud.token[:-1]}, {"Authorization": f"Bearer {cloud.token}"}):
        with httpx.Client(base_url=cloud.endpoint, headers=headers) as client:
            with pytest.raises(WebSocketUpgradeError) as err:
                with connect_ws(path, client):
                    pass
        assert err.value.response.status_code == 403, headers


def test_tokens_are_compared_in_constant_time_and_never_echoed(cloud: LocalCloud, monkeypatch) -> None:
    """Every guarded request goes through hmac.compare_digest, whatever the supplied length,
    and a refusal never repeats what was supplied."""
    import asyncio

    from tui.localcloud.http import guards as server

    compared: list[tuple[bytes, bytes]] = []
    real = server.hmac.compare_digest
    monkeypatch.setattr(server.hmac, "compare_digest",
                        lambda a, b: compared.append((a, b)) or real(a, b))
    reached: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        reached.append(scope["path"])

    guard = server.TokenGuard(app, "the-real-token")
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    for supplied in (b"", b"x", b"the-real-tokeN", b"the-real-token-and-more" * 10, b"the-real-token"):
        scope = {"type": "http", "path": "/api/v1/auth/current", "method": "GET",
                 "headers": [(b"x-yatai-api-token", supplied)] if supplied else []}
        asyncio.run(guard(scope, receive, send))
    assert [a for a, _ in compared] == [b"", b"x", b"the-real-tokeN", b"the-real-token-and-more" * 10,
                                        b"the-real-token"]
    assert reached == ["/api/v1/auth/current"]  # only the right token got through
    bodies = b"".join(m.get("body", b"") for m in sent)
    assert b"tokeN" not in bodies and b"and-more" not in bodies
    # over HTTP too: the 403 does not echo a near-miss
    near = cloud.token[:-2] + "zz"
    refused = httpx.get(f"{cloud.endpoint}/api/v1/auth/current", headers={"X-YATAI-API-TOKEN": near})
    assert refused.status_code == 403 and near not in refused.text and cloud.token not in refused.text


def test_loose_permissions_are_tightened(tmp_path) -> None:
    from tui.localcloud.paths import StatePaths, read_or_create_token

    home = tmp_path / "loose"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    (home / "token").write_text("btui_existing\n")
    os.chmod(home / "token", 0o644)
    assert read_or_create_token(StatePaths(home)) == "btui_existing"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "token").stat().st_mode) == 0o600


def test_another_address_only_when_told_and_in_the_foreground(tmp_path) -> None:
    env = dict(os.environ, BENTOTUI_HOME=str(tmp_path / "h"))
    background = subprocess.run([sys.executable, "-m", "tui.cli", "local", "start", "--host", "0.0.0.0"],
                                env=env, capture_output=True, text=True, timeout=60)
    assert background.returncode == 2 and "--host needs --foreground" in background.stderr
    told = subprocess.Popen([sys.executable, "-m", "tui.cli", "local", "start", "--foreground",
                             "--host", "0.0.0.0", "--port", "0"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def listening():  # type: ignore[no-untyped-def]
            return [c.laddr for c in psutil.Process(told.pid).net_connections(kind="inet")
                    if c.status == psutil.CONN_LISTEN]
        addresses = wait_for(listening, 30, what="the told-so server listening")
        assert all(addr.ip == "0.0.0.0" for addr in addresses)
    finally:
        told.terminate()
        told.wait(20)


def test_gateway_access_control_variants(http: httpx.Client, iris_version: str, cloud: LocalCloud) -> None:
    """Bearer only, exactly the token, never from the query string; `public` needs nothing."""
    private = http.post("/api/v1/clusters/default/deployments",
                        json=doc(iris_version, "private-b", access_control="token",
                                 hpa_conf={"min_replicas": 1, "max_replicas": 1}))
    public = http.post("/api/v1/clusters/default/deployments",
                       json=doc(iris_version, "public-b", access_control="public",
                                hpa_conf={"min_replicas": 1, "max_replicas": 1}))
    assert private.status_code == public.status_code == 200, (private.text, public.text)
    wait_status(http, "private-b", "running")
    wait_status(http, "public-b", "running")
    sample = [[5.1, 3.5, 1.4, 0.2]]
    url = private.json()["urls"][0]
    for headers, params in (({"Authorization": f"Basic {cloud.token}"}, None),
                            ({"Authorization": cloud.token}, None),
                            ({"Authorization": f"Bearer {cloud.token}x"}, None),
                            ({"X-YATAI-API-TOKEN": cloud.token}, None),
                            ({}, {"token": cloud.token, "access_token": cloud.token})):
        refused = httpx.post(f"{url}/classify", json=sample, headers=headers, params=params, timeout=30)
        assert refused.status_code == 401, (headers, refused.text)
        assert cloud.token not in refused.text and "Bearer" in refused.headers["www-authenticate"]
    assert httpx.post(f"{url}/classify", json=sample, timeout=30,
                      headers={"Authorization": f"Bearer {cloud.token}"}).json() == ["setosa"]
    assert httpx.post(f"{public.json()['urls'][0]}/classify", json=sample, timeout=30).json() == ["setosa"]


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
