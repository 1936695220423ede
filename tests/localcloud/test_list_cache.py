"""The deployments list is served from rendered pages; nothing it shows may go stale.

A page is kept while the store's generation and the runtime's replica counts stand still, so
every kind of change (a create, a status change, a delete, a replica becoming ready) must show
in the very next list.
"""

from __future__ import annotations

import httpx

from tests.harness import LocalCloud, wait_for

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"
LIST = "/api/v1/clusters/default/deployments"


def body(name: str, version: str, deploy: bool = False) -> dict:
    doc = {"name": name, "mode": "deployment",
           "targets": [{"bento_repository": "sentiment", "bento": version,
                        "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}}}]}
    if not deploy:
        doc["do_not_deploy"] = True
    return doc


def listed(http: httpx.Client, **params) -> dict[str, dict]:
    data = http.get(LIST, params={"count": 100, **params}).json()
    return {d["name"]: d for d in data["items"]}


def test_every_change_shows_in_the_next_list(cloud: LocalCloud, http: httpx.Client,
                                             sentiment_version: str) -> None:
    v = sentiment_version
    before = http.get(LIST, params={"count": 100})
    again = http.get(LIST, params={"count": 100})
    assert before.content == again.content  # nothing changed: the same page

    assert http.post("/api/v1/clusters/default/deployments", json=body("cache-a", v)).status_code == 200
    assert listed(http)["cache-a"]["status"] == "non-deployed"
    assert http.get(LIST, params={"count": 100}).json()["total"] == before.json()["total"] + 1

    assert http.post(f"{NS}/cache-a/terminate").status_code == 200
    assert listed(http)["cache-a"]["status"] in ("terminating", "terminated")
    wait_for(lambda: listed(http)["cache-a"]["status"] == "terminated", 20, what="terminated")

    patch = body("cache-a", v, deploy=True)
    patch.pop("name")
    assert http.patch(f"{NS}/cache-a", json=patch).status_code == 200
    # the replica count moves without the row changing: ready 1 of 1 once it serves
    wait_for(lambda: listed(http)["cache-a"].get("replicas") == {"ready": 1, "desired": 1}, 30,
             what="replicas 1/1 in the list")
    assert listed(http)["cache-a"]["status"] == "running"
    # another query (a search) is a page of its own
    assert set(listed(http, search="cache-a")) == {"cache-a"}

    assert http.post(f"{NS}/cache-a/terminate").status_code == 200
    wait_for(lambda: listed(http)["cache-a"]["status"] == "terminated", 30, what="terminated")
    assert listed(http)["cache-a"].get("replicas") == {"ready": 0, "desired": 0}
    assert http.delete(f"{NS}/cache-a").status_code == 200
    assert "cache-a" not in listed(http)
    assert http.get(LIST, params={"count": 100}).json()["total"] == before.json()["total"]
