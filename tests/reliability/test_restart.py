"""Issue 11 item 9: restarting the control plane changes nothing the user did not touch.

The port stays (the last one, when free; a clear note when it is taken), running deployments
come back running without a `Terminated` event, UPDATED does not move, and a function that
was scaled to zero comes back at zero.
"""

from __future__ import annotations

import json
import socket
import time

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, latest_version


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_restart_keeps_port_state_and_updated_at(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    (home / "resume.json").write_text(json.dumps({"port": port}))
    cloud = LocalCloud(home, port=None).start()
    try:
        assert cloud.port == port, "the last port is reused when it is free"
        with cloud.client() as http:
            version = latest_version(http)
            assert http.post(CREATE, json=body(version, "svc")).status_code == 200
            assert http.post(CREATE, json=body(version, "fn", mode="function")).status_code == 200

            def get(name: str) -> dict:
                return http.get(f"{NS}/{name}").json()

            wait_for(lambda: get("svc")["status"] == "running", timeout=60, what="svc running")
            wait_for(lambda: any(e["reason"] == "ScaledToZero"
                                 for e in http.get(f"{NS}/fn/kube_events").json()),
                     timeout=60, what="fn scaled to zero")
            wait_for(lambda: http.get(f"{NS}/fn/pods").json() == [], what="fn has no replica")
            before = {name: get(name)["updated_at"] for name in ("svc", "fn")}

        cloud.port = None
        cloud.restart()
        assert cloud.port == port, "a restart keeps the port"
        with cloud.client() as http:
            wait_for(lambda: http.get(f"{NS}/svc").json()["status"] == "running", timeout=60,
                     what="svc running again")
            time.sleep(1.5)  # a scale tick or several: the function must stay at zero
            fn = http.get(f"{NS}/fn").json()
            assert fn["status"] == "running"
            assert http.get(f"{NS}/fn/pods").json() == [], "the function comes back at zero"
            for name in ("svc", "fn"):
                assert http.get(f"{NS}/{name}").json()["updated_at"] == before[name], name
                reasons = [e["reason"] for e in http.get(f"{NS}/{name}/kube_events",
                                                         params={"limit": 2000}).json()]
                assert "Terminated" not in reasons, (name, reasons)
                assert "ControlPlaneRestarted" in reasons, (name, reasons)
    finally:
        cloud.stop()


def test_taken_port_is_said(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        (home / "resume.json").write_text(json.dumps({"port": taken}))
        cloud = LocalCloud(home, port=None).start()
        try:
            assert cloud.port != taken
            log = cloud.log_tail()
            assert f"port {taken}" in log and f"listening on {cloud.port} instead" in log, log
        finally:
            cloud.stop()
