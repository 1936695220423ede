"""Item 1: `kill -9` the control plane in the middle of 200 concurrent creates and updates.

After a restart every mutation that was answered 200 is there (the created deployment, the
revision an update answered with), the database holds no half-written record (a revision
without its deployment, a deployment without exactly one active revision), and the replicas of
running deployments come back.  tests/localcloud/test_store.py kills a process writing to the store
directly; this goes through HTTP, the server's event loop and its background deploys.

Rounds (each with a fresh batch, killed at a different point): BENTOTUI_KILL_ROUNDS (default 1;
the note's figures use 5).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, env_number, latest_version, report

MUTATIONS = 200
UPDATED = 8  # deployments that take the updates
RUNNING = ("steady-a", "steady-b")  # running deployments, also updated (rolled out) under fire


def check_database(db: Path) -> dict[str, int]:
    """No half-written records: what a reader opening the file after the crash sees."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = conn.execute(
            "SELECT COUNT(*) FROM revisions WHERE deployment_id NOT IN (SELECT id FROM deployments)"
        ).fetchone()[0]
        assert orphans == 0, "revisions without their deployment"
        bad = conn.execute(
            "SELECT d.name, (SELECT COUNT(*) FROM revisions r WHERE r.deployment_id = d.id "
            "AND r.status = 'active') AS active FROM deployments d WHERE active != 1"
        ).fetchall()
        assert bad == [], f"deployments without exactly one active revision: {bad}"
        return {
            "deployments": conn.execute("SELECT COUNT(*) FROM deployments").fetchone()[0],
            "revisions": conn.execute("SELECT COUNT(*) FROM revisions").fetchone()[0],
        }
    finally:
        conn.close()


async def fire(cloud: LocalCloud, plan: list[tuple[str, str, dict]], kill_after: int) -> tuple[
        list[tuple[str, str, dict]], int]:
    """Send every mutation at once; kill -9 the server once `kill_after` have been answered.

    Returns the acknowledged ones (method, name, response body) and how many failed."""
    acked: list[tuple[str, str, dict]] = []
    failed = 0
    answered = asyncio.Event()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=cloud.endpoint, headers=cloud.headers, timeout=30,
                                 limits=limits) as client:
        async def one(method: str, name: str, doc: dict) -> None:
            nonlocal failed
            try:
                if method == "POST":
                    response = await client.post(CREATE, json=doc)
                else:
                    response = await client.patch(f"{NS}/{name}", json=doc)
            except httpx.HTTPError:
                failed += 1
                return
            if response.status_code == 200:
                acked.append((method, name, response.json()))
                if len(acked) >= kill_after:
                    answered.set()
            else:
                failed += 1

        tasks = [asyncio.create_task(one(*item)) for item in plan]
        waiter = asyncio.create_task(answered.wait())
        await asyncio.wait([waiter, asyncio.gather(*tasks)], return_when=asyncio.FIRST_COMPLETED)
        await asyncio.to_thread(cloud.kill9)
        await asyncio.gather(*tasks, return_exceptions=True)
        waiter.cancel()
    return acked, failed


@pytest.mark.slow
def test_kill_9_during_200_concurrent_mutations(tmp_path: Path) -> None:
    rounds = int(env_number("BENTOTUI_KILL_ROUNDS", 1))
    cloud = LocalCloud(tmp_path / "home").start()
    figures = []
    try:
        with cloud.client() as http:
            version = latest_version(http)
            sentiment = latest_version(http, "sentiment")
            for name in RUNNING:
                created = http.post(CREATE, json=body(sentiment, name, repo="sentiment"))
                assert created.status_code == 200, created.text
            for name in RUNNING:
                wait_for(lambda n=name: http.get(f"{NS}/{n}").json()["status"] == "running", 60,
                         what=f"{name} running")

        for round_ in range(rounds):
            rng = random.Random(round_)
            with cloud.client() as http:
                targets = [f"upd{round_}-{i}" for i in range(UPDATED)]
                for name in targets:
                    assert http.post(CREATE, json=body(version, name, deploy=False)).status_code == 200
            plan: list[tuple[str, str, dict]] = []
            for i in range(MUTATIONS):
                if i % 2 == 0:
                    name = f"new{round_}-{i:03d}"
                    plan.append(("POST", name, body(version, name, deploy=False,
                                                    description=f"created {i}")))
                elif i % 25 == 1:  # a few roll out a new revision of a running deployment
                    name = RUNNING[i % 2]
                    plan.append(("PATCH", name, body(sentiment, name, repo="sentiment",
                                                     description=f"rollout {i}")))
                else:
                    name = rng.choice(targets)
                    plan.append(("PATCH", name, body(version, name, deploy=False,
                                                     description=f"update {i}")))
            rng.shuffle(plan)
            kill_after = int(MUTATIONS * (0.3 + 0.4 * rng.random()))
            started = time.monotonic()
            acked, failed = asyncio.run(fire(cloud, plan, kill_after))
            killed_at = time.monotonic() - started
            sizes = check_database(cloud.home / "state.db")

            cloud.start()
            with cloud.client() as http:
                for method, name, answer in acked:
                    current = http.get(f"{NS}/{name}")
                    assert current.status_code == 200, f"acknowledged {method} {name} lost"
                    assert current.json()["latest_revision"] is not None
                    uids = {r["uid"] for r in http.get(f"{NS}/{name}/revisions",
                                                       params={"count": 1000}).json()["items"]}
                    assert answer["latest_revision"]["uid"] in uids, \
                        f"acknowledged {method} {name}: revision {answer['latest_revision']['uid']} lost"
                    if method == "POST":
                        assert current.json()["description"] == answer["description"]
                listed = http.get("/api/v1/deployments").json()["items"]
                assert all(d["latest_revision"] for d in listed)
                names = [d["name"] for d in listed]
                assert len(names) == len(set(names))
                # replicas of the running deployments come back and serve
                for name in RUNNING:
                    wait_for(lambda n=name: http.get(f"{NS}/{n}").json()["status"] == "running", 60,
                             what=f"{name} running again")
                    pods = http.get(f"{NS}/{name}/pods").json()
                    assert pods and all(p["status"]["ready"] for p in pods)
                    url = http.get(f"{NS}/{name}").json()["urls"][0]
                    answer = httpx.post(f"{url}/analyze", json={"text": "great"}, timeout=30)
                    assert answer.status_code == 200 and answer.json()["label"] == "positive"
            figures.append({"round": round_, "answered_200": len(acked), "failed": failed,
                            "killed_after_s": round(killed_at, 2), **sizes})
            if round_ < rounds - 1:
                cloud.kill9()  # the next round starts from a crash too
                cloud.start()
                with cloud.client() as http:
                    for name in RUNNING:
                        wait_for(lambda n=name: http.get(f"{NS}/{n}").json()["status"] == "running",
                                 60, what=f"{name} running")
        report("kill9", rounds=figures)
    finally:
        cloud.stop()
