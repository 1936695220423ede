"""Issue 10: a deployment that cannot start reaches `failed` with a Warning that says why.

The API now refuses the envs that made a replica unstartable; a revision stored before those
rules (written into state.db here, then the control plane restarted, as after an upgrade)
still reaches the runtime.  A value the kernel refuses at exec (E2BIG: one string over 128 KiB)
must end in `failed` after a few restarts, not `deploying` forever; a name with `=` (which
Python refuses before exec) is withheld with a Warning and the deployment runs.
"""

from __future__ import annotations

import json
import sqlite3
import time

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, latest_version, report


def store_envs(db: str, name: str, envs: list[dict]) -> None:
    """Put `envs` into the active revision of `name` and mark it to run at the next start."""
    with sqlite3.connect(db) as conn:
        dep_id, = conn.execute("SELECT id FROM deployments WHERE name = ?", (name,)).fetchone()
        rev_id, targets = conn.execute(
            "SELECT id, targets FROM revisions WHERE deployment_id = ? AND status = 'active'", (dep_id,)
        ).fetchone()
        targets = json.loads(targets)
        targets[0].setdefault("config", {})["envs"] = envs
        conn.execute("UPDATE revisions SET targets = ? WHERE id = ?", (json.dumps(targets), rev_id))
        conn.execute("UPDATE deployments SET desired = 'running', status = 'deploying' WHERE id = ?", (dep_id,))


def test_unstartable_replicas_reach_failed_with_a_reason(tmp_path) -> None:
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        with cloud.client() as http:
            version = latest_version(http, "sentiment")
            for name in ("too-big", "odd-name"):
                made = http.post(CREATE, json=body(version, name, repo="sentiment", deploy=False))
                assert made.status_code == 200, made.text
        cloud.stop()
        store_envs(str(cloud.home / "state.db"), "too-big", [{"key": "BIG", "value": "x" * 200_000}])
        store_envs(str(cloud.home / "state.db"), "odd-name", [{"key": "A=B", "value": "1"}])
        cloud.start()
        started = time.monotonic()
        with cloud.client() as http:
            wait_for(lambda: http.get(f"{NS}/too-big").json()["status"] == "failed", 30,
                     what="too-big failed")
            took = time.monotonic() - started
            events = http.get(f"{NS}/too-big/kube_events").json()
            failed = [e for e in events if e["reason"] == "DeploymentFailed"]
            assert failed and failed[0]["type"] == "Warning", events
            assert "Argument list too long" in failed[0]["message"]
            assert "StartError" in failed[0]["message"] and "exit code 128" in failed[0]["message"]

            wait_for(lambda: http.get(f"{NS}/odd-name").json()["status"] == "running", 30,
                     what="odd-name running")
            events = http.get(f"{NS}/odd-name/kube_events").json()
            assert any(e["reason"] == "EnvWithheld" and e["type"] == "Warning" and "A=B" in e["message"]
                       for e in events), events
        report("unstartable_deployment", status="failed", seconds_to_failed=round(took, 1))
    finally:
        cloud.stop()
