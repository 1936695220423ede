"""SQLite store: transactions, revisions, queries, durability across a kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui.localcloud.state.store import Conflict, DeploymentQuery, NotFound, Store

TARGET = {"type": "stable", "bento_repository": "iris_classifier", "bento": "v1",
          "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 2}}}


def _create(store: Store, name: str, **kw) -> object:
    args = dict(cluster="default", namespace="yatai", name=name, description=None, mode="function",
                labels=[], targets=[TARGET], creator="ada", status="image-building", desired="running")
    args.update(kw)
    return store.create_deployment(**args)


def test_create_makes_one_active_revision(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    row = _create(store, "iris-demo")
    assert row.active_revision is not None and row.active_revision.status == "active"
    assert row.active_revision.targets == [TARGET]
    total, revisions = store.list_revisions(row.id, 0, 10)
    assert total == 1 and revisions[0].uid == row.active_revision.uid


def test_duplicate_name_is_a_conflict_and_writes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    _create(store, "iris-demo")
    with pytest.raises(Conflict):
        _create(store, "iris-demo")
    total, _ = store.list_deployments(DeploymentQuery())
    assert total == 1
    _, audit = store.list_audit_events(0, 10)
    assert [a.operation_name for a in audit] == ["created"]


def test_update_makes_a_new_active_revision_newest_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    row = _create(store, "iris-demo")
    first = row.active_revision.uid
    new_target = dict(TARGET, bento="v2")
    updated = store.update_deployment(row.uid, targets=[new_target], creator="ada", mode="deployment")
    assert updated.mode == "deployment" and updated.active_revision.targets == [new_target]
    total, revisions = store.list_revisions(row.id, 0, 10)
    assert total == 2
    assert [r.status for r in revisions] == ["active", "inactive"]
    assert revisions[1].uid == first


def test_update_of_missing_deployment(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    with pytest.raises(NotFound, match="record not found"):
        store.update_deployment("nope", targets=[TARGET], creator="ada")


def test_delete_removes_revisions_and_events(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    row = _create(store, "iris-demo")
    store.add_event(row.uid, "Started", "started", "Normal", "Pod", "p1")
    store.delete_deployment(row.uid, "ada")
    assert store.get_deployment_by_uid(row.uid) is None
    assert store._query("SELECT COUNT(*) FROM revisions")[0][0] == 0
    assert store._query("SELECT COUNT(*) FROM kube_events")[0][0] == 0


def test_list_queries(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    for i in range(12):
        _create(store, f"svc-{i:02d}", description="llm" if i % 3 == 0 else "cv",
                targets=[dict(TARGET, bento=f"v{i % 2}")])
    store.set_state(store.get_deployment("default", "yatai", "svc-05").uid, status="running")
    total, page = store.list_deployments(DeploymentQuery(start=0, count=5))
    assert total == 12 and [r.name for r in page] == [f"svc-{i:02d}" for i in (11, 10, 9, 8, 7)]
    _, asc = store.list_deployments(DeploymentQuery(count=2, sort_field="created_at", sort_desc=False))
    assert [r.name for r in asc] == ["svc-00", "svc-01"]
    total, running = store.list_deployments(DeploymentQuery(statuses=["running"]))
    assert total == 1 and running[0].name == "svc-05"
    total, _ = store.list_deployments(DeploymentQuery(keywords=["llm"]))
    assert total == 4
    total, _ = store.list_deployments(DeploymentQuery(search="svc-1"))
    assert total == 2
    total, _ = store.list_deployments(DeploymentQuery(bento="iris_classifier:v1"))
    assert total == 6
    total, _ = store.list_deployments(DeploymentQuery(search="%"))
    assert total == 0


def test_events_are_ordered_and_bounded(tmp_path: Path) -> None:
    from tui.localcloud.state import store as store_module

    store = Store(tmp_path / "state.db")
    row = _create(store, "iris-demo")
    ids = [store.add_event(row.uid, "R", str(i), "Normal", "Pod", "p").id for i in range(250)]
    events = store.list_events(row.id, limit=10)
    assert [e.id for e in events] == ids[-10:]
    assert [e.id for e in store.list_events(row.id, after_id=ids[-3])] == ids[-2:]
    old_limit = store_module.MAX_EVENTS_PER_DEPLOYMENT
    store_module.MAX_EVENTS_PER_DEPLOYMENT = 50
    try:
        for i in range(100):
            store.add_event(row.uid, "R", str(i), "Normal", "Pod", "p")
    finally:
        store_module.MAX_EVENTS_PER_DEPLOYMENT = old_limit
    count = store._query("SELECT COUNT(*) FROM kube_events")[0][0]
    assert count <= 150  # pruned at every 100th event, never unbounded


def test_survives_kill_9_mid_writes(tmp_path: Path) -> None:
    """A writer killed at a random moment leaves whole deployments with their active revision."""
    db = tmp_path / "state.db"
    writer = textwrap.dedent(f"""
        import sys
        from tui.localcloud.state.store import Store
        store = Store({str(db)!r})
        i = 0
        while True:
            row = store.create_deployment(cluster="default", namespace="yatai", name=f"d-{{i}}",
                description=None, mode="function", labels=[], targets={[TARGET]!r}, creator="a",
                status="image-building", desired="running")
            store.update_deployment(row.uid, targets={[TARGET]!r}, creator="a")
            print(i, flush=True)
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 60:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(db)
    rows = store.all_deployments()
    assert len(rows) >= acknowledged + 1
    for row in rows:
        assert row.active_revision is not None, row.name
    orphans = store._query(
        "SELECT COUNT(*) FROM revisions WHERE deployment_id NOT IN (SELECT id FROM deployments)")
    assert orphans[0][0] == 0
    actives = store._query(
        "SELECT deployment_id, COUNT(*) c FROM revisions WHERE status='active' GROUP BY deployment_id "
        "HAVING c != 1")
    assert actives == []


def test_opens_a_database_made_before_the_version_column(tmp_path: Path) -> None:
    import sqlite3

    from tui.localcloud.state import store as store_module

    old_schema = store_module.SCHEMA.replace(
        "    version INTEGER NOT NULL DEFAULT 0,   -- bumped by every write: keys the render cache\n", "")
    assert old_schema != store_module.SCHEMA
    conn = sqlite3.connect(tmp_path / "state.db")
    conn.executescript(old_schema)
    conn.execute(
        "INSERT INTO deployments(uid, cluster, namespace, name, mode, status, desired, creator, "
        "created_at, updated_at) VALUES ('u1', 'default', 'yatai', 'old', 'function', 'running', "
        "'running', 'a', '2024-01-02T03:04:05.000000Z', '2024-01-02T03:04:05.000000Z')")
    conn.commit()
    conn.close()
    store = Store(tmp_path / "state.db")
    row = store.get_deployment("default", "yatai", "old")
    assert row is not None and row.version == 0
    store.set_state("u1", status="terminated")
    assert store.get_deployment_by_uid("u1").version == 1
