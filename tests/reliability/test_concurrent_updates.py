"""Item 4: two clients update the same deployment at once; both revisions are recorded, in
order, none lost, and a running deployment ends up serving the newest one."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, env_number, latest_version, report


def tagged(doc: dict, tag: str) -> dict:
    doc["targets"][0]["config"]["envs"] = [{"key": "WHO", "value": tag}]
    doc["description"] = tag
    return doc


def tag_of(revision: dict) -> str:
    envs = revision["targets"][0]["config"].get("envs") or []
    return next(e["value"] for e in envs if e["key"] == "WHO")


def race(cloud: LocalCloud, name: str, docs: list[dict]) -> list[httpx.Response]:
    """Send the PATCHes from separate clients (connections) released together."""
    barrier = threading.Barrier(len(docs))
    results: list[httpx.Response | None] = [None] * len(docs)

    def client(i: int) -> None:
        with cloud.client() as http:
            http.get("/api/v1/auth/current")  # connected before the barrier
            barrier.wait()
            results[i] = http.patch(f"{NS}/{name}", json=docs[i])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(docs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def check_history(http: httpx.Client, name: str, answers: list[httpx.Response], before: int) -> list[str]:
    """Every answered revision is recorded once, newest last, and is what its client sent."""
    for response in answers:
        assert response.status_code == 200, response.text
        revision = response.json()["latest_revision"]
        assert tag_of(revision) == response.json()["description"]  # its own, not the other's
    history = http.get(f"{NS}/{name}/revisions", params={"count": 1000}).json()
    assert history["total"] == before + len(answers)
    items = history["items"]  # newest first
    assert [r["status"] for r in items].count("active") == 1 and items[0]["status"] == "active"
    created = [r["created_at"] for r in items]
    assert created == sorted(created, reverse=True)
    uids = [r["uid"] for r in items]
    assert len(set(uids)) == len(uids)
    for response in answers:
        assert response.json()["latest_revision"]["uid"] in uids
    current = http.get(f"{NS}/{name}").json()
    assert current["latest_revision"]["uid"] == items[0]["uid"]
    assert current["description"] == tag_of(items[0])  # the deployment and its revision agree
    events = http.get(f"{NS}/{name}/kube_events", params={"limit": 2000}).json()
    announced = " ".join(e["message"] for e in events if e["reason"] in ("RevisionCreated", "Restored"))
    assert all(uid in announced for uid in uids)
    return uids


@pytest.mark.slow
def test_two_clients_update_the_same_deployment_at_once(cloud: LocalCloud, http: httpx.Client) -> None:
    rounds = int(env_number("BENTOTUI_RACE_ROUNDS", 20))
    version = latest_version(http)
    assert http.post(CREATE, json=body(version, "contended", deploy=False)).status_code == 200
    answers = []
    for i in range(rounds):
        answers += race(cloud, "contended", [
            tagged(body(version, "contended", deploy=False), f"a-{i}"),
            tagged(body(version, "contended", deploy=False), f"b-{i}")])
    uids = check_history(http, "contended", answers, before=1)
    report("concurrent_updates", rounds=rounds, revisions=len(uids))


@pytest.mark.slow
def test_racing_rollouts_end_on_the_newest_revision(cloud: LocalCloud, http: httpx.Client) -> None:
    version = latest_version(http, "sentiment")
    created = http.post(CREATE, json=body(version, "rolling", repo="sentiment"))
    assert created.status_code == 200, created.text
    wait_for(lambda: http.get(f"{NS}/rolling").json()["status"] == "running", 60, what="running")
    answers = []
    for i in range(3):
        answers += race(cloud, "rolling", [
            tagged(body(version, "rolling", repo="sentiment"), f"a-{i}"),
            tagged(body(version, "rolling", repo="sentiment"), f"b-{i}")])
    uids = check_history(http, "rolling", answers, before=1)

    def settled() -> list | None:
        pods = http.get(f"{NS}/rolling/pods").json()
        status = http.get(f"{NS}/rolling").json()["status"]
        fresh = [p for p in pods if not p["status"]["is_old"] and p["status"]["ready"]]
        return pods if status == "running" and fresh and len(fresh) == len(pods) else None

    wait_for(settled, 60, what="only replicas of the newest revision, ready")
    url = http.get(f"{NS}/rolling").json()["urls"][0]
    assert httpx.post(f"{url}/analyze", json={"text": "fine"}, timeout=30).status_code == 200
    assert http.get(f"{NS}/rolling").json()["latest_revision"]["uid"] == uids[0]
