"""Every REST route and error code of the local control plane, over real HTTP on loopback."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.harness import LocalCloud, wait_for
from tests.support.fixtures import FIXTURES

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def doc(cloud_version: str, name: str = "iris-demo", **config) -> dict:
    """The docs' example deployment JSON with only the bento version (and name) changed."""
    body = json.loads((FIXTURES / "example.json").read_text())
    body["name"] = name
    body["targets"][0]["bento"] = cloud_version
    body["targets"][0]["config"].update(config)
    return body


def wait_status(http: httpx.Client, name: str, *statuses: str, timeout: float = 30) -> dict:
    def check():
        data = http.get(f"{NS}/{name}").json()
        return data if data["status"] in statuses else None
    return wait_for(check, timeout, what=f"{name} to be {statuses}")


def test_token_is_required(cloud: LocalCloud) -> None:
    for headers in ({}, {"X-YATAI-API-TOKEN": "wrong"}, {"X-YATAI-API-TOKEN": cloud.token + "x"}):
        response = httpx.get(f"{cloud.endpoint}/api/v1/auth/current", headers=headers)
        assert response.status_code == 403
        assert set(response.json()) == {"message"}
    assert httpx.get(f"{cloud.endpoint}/api/v1/info").status_code == 200
    assert httpx.post(f"{cloud.endpoint}/api/v1/clusters/default/deployments", json={}).status_code == 403


def test_identity_satisfies_the_login_contract(http: httpx.Client) -> None:
    user = http.get("/api/v1/auth/current").json()
    assert all(isinstance(user[k], str) for k in ("name", "email", "first_name", "last_name"))
    org = http.get("/api/v1/current_org").json()
    for key in ("uid", "created_at", "updated_at", "deleted_at", "name", "description"):
        assert key in org
    assert org["resource_type"] == "organization" and org["labels"] == []


def test_clusters(http: httpx.Client) -> None:
    listed = http.get("/api/v1/clusters", params={"count": 1}).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "default"
    item = listed["items"][0]
    assert item["creator"]["name"] and item["organization_name"] == "local"
    full = http.get("/api/v1/clusters/default").json()
    assert full["config"]["default_deployment_kube_namespace"] == "yatai"
    assert isinstance(full["kube_config"], str) and isinstance(full["grafana_root_path"], str)
    assert full["organization"]["resource_type"] == "organization"
    assert [i["name"] for i in full["resource_instances"]] == ["cpu.small", "cpu.medium", "cpu.large"]
    missing = http.get("/api/v1/clusters/nope")
    assert missing.status_code == 404 and "record not found" in missing.json()["error"]


def test_bento_registry(http: httpx.Client, iris_version: str) -> None:
    repos = http.get("/api/v1/bento_repositories").json()
    names = {r["name"] for r in repos["items"]}
    assert {"iris_classifier", "sentiment"} <= names
    bento = http.get(f"/api/v1/bento_repositories/iris_classifier/bentos/{iris_version}").json()
    assert bento["name"] == bento["version"] == iris_version
    assert bento["repository"]["name"] == "iris_classifier"
    manifest = bento["manifest"]
    assert manifest["bentoml_version"] and manifest["size_bytes"] > 0
    assert manifest["runners"] and "apis" in manifest
    assert http.get("/api/v1/bento_repositories/iris_classifier/bentos").json()["total"] >= 1
    gone = http.get("/api/v1/bento_repositories/iris_classifier/bentos/nope")
    assert gone.status_code == 404 and "record not found" in gone.json()["error"]


def test_create_get_list_run(http: httpx.Client, iris_version: str, cloud: LocalCloud) -> None:
    created = http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, "crud-a"))
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["status"] in ("image-building", "deploying")
    assert body["mode"] == "function" and body["kube_namespace"] == "yatai"
    target = body["latest_revision"]["targets"][0]
    assert target["resource_type"] == "deployment_revision"
    assert target["bento"]["repository"]["name"] == "iris_classifier"
    assert target["config"]["kubeResourceUid"] == "" and target["config"]["resources"] == {
        "requests": None, "limits": None}
    assert body["urls"] == [f"{cloud.endpoint}/gw/default/crud-a"]
    running = wait_status(http, "crud-a", "running")
    assert running["latest_revision"]["status"] == "active"
    listed = http.get("/api/v1/clusters/default/deployments", params={"q": "status:running"}).json()
    assert "crud-a" in [d["name"] for d in listed["items"]]
    assert all(d["status"] == "running" for d in listed["items"])
    searched = http.get("/api/v1/clusters/default/deployments", params={"search": "crud-"}).json()
    assert searched["total"] >= 1
    org_wide = http.get("/api/v1/deployments", params={"count": 1}).json()
    assert org_wide["count"] == 1 and len(org_wide["items"]) == 1
    # the gateway serves the deployment's API, as in the docs' curl example
    answer = httpx.post(f"{body['urls'][0]}/classify", json=[[5.1, 3.5, 1.4, 0.2]],
                        headers={"Authorization": f"Bearer {cloud.token}"}, timeout=30)
    assert answer.status_code == 200 and answer.json() == ["setosa"]


@pytest.mark.parametrize(
    "mutate, status, needle",
    [
        (lambda d: d.update(name="Bad_Name"), 400, "lowercase letters, digits and '-'"),
        (lambda d: d.update(surprise=1), 400, "surprise: unknown key"),
        (lambda d: d["targets"][0]["config"].update(hpa_conf={"min_replicas": "x"}), 400,
         "targets[0].config.hpa_conf.min_replicas"),
        (lambda d: d.update(mode="serverless"), 400, "mode"),
        (lambda d: d["targets"][0].update(bento="doesnotexist"), 400,
         "can't find bento: iris_classifier:doesnotexist"),
        (lambda d: d.update(kube_namespace="elsewhere"), 404, "record not found"),
        (lambda d: d["targets"][0]["config"].update(runners={"nope": {"hpa_conf": {"max_replicas": 2}}}),
         400, "targets[0].config.runners.nope: bento iris_classifier:"),
    ],
)
def test_invalid_creates_are_400_and_write_nothing(http: httpx.Client, iris_version: str, mutate,
                                                     status: int, needle: str) -> None:
    body = doc(iris_version, "never-created")
    mutate(body)
    response = http.post("/api/v1/clusters/default/deployments", json=body)
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]
    assert http.get(f"{NS}/never-created").status_code == 404


def test_malformed_and_oversized_bodies(http: httpx.Client) -> None:
    bad = http.post("/api/v1/clusters/default/deployments", content=b'{"name": "x",\n "targets": [}',
                    headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "line 2, column" in bad.json()["error"]
    huge = http.post("/api/v1/clusters/default/deployments", content=b"[" + b"1," * 6_000_000 + b"1]")
    assert huge.status_code == 413 and "too large" in huge.json()["error"]
    assert http.get("/api/v1/auth/current").status_code == 200  # unaffected


def test_duplicate_create_is_400(http: httpx.Client, iris_version: str) -> None:
    assert http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, "dup-a")).status_code == 200
    again = http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, "dup-a"))
    assert again.status_code == 400 and "already exists" in again.json()["error"]


def test_unknown_routes_and_records(http: httpx.Client) -> None:
    unknown = http.get("/api/v1/nothing/here")
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "not found this router with method GET"}
    missing = http.get(f"{NS}/ghost")
    assert missing.status_code == 404 and missing.json()["error"].endswith("record not found")
    for method, path in (("PATCH", f"{NS}/ghost"), ("POST", f"{NS}/ghost/terminate"),
                         ("DELETE", f"{NS}/ghost"), ("GET", f"{NS}/ghost/revisions")):
        response = http.request(method, path, json={"targets": []} if method == "PATCH" else None)
        assert response.status_code == 404, (method, path, response.text)


def test_update_terminate_restore_delete(http: httpx.Client, iris_version: str) -> None:
    name = "life-a"
    assert http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, name)).status_code == 200
    wait_status(http, name, "running")
    refused = http.delete(f"{NS}/{name}")
    assert refused.status_code == 400 and refused.json() == {"error": "deployment is not terminated"}

    update = json.loads((FIXTURES / "update-file-body.json").read_text())
    update["name"] = name
    update["targets"][0]["bento"] = iris_version
    patched = http.patch(f"{NS}/{name}", json=update)
    assert patched.status_code == 200, patched.text
    assert patched.json()["latest_revision"]["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 3
    revisions = http.get(f"{NS}/{name}/revisions").json()
    assert revisions["total"] == 2
    assert [r["status"] for r in revisions["items"]] == ["active", "inactive"]
    one = http.get(f"{NS}/{name}/revisions/{revisions['items'][1]['uid']}").json()
    assert one["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 2
    assert http.get(f"{NS}/{name}/revisions/nope").status_code == 404
    wait_status(http, name, "running")

    terminated = http.post(f"{NS}/{name}/terminate")
    assert terminated.status_code == 200 and terminated.json()["status"] == "terminating"
    final = wait_status(http, name, "terminated")
    assert final["latest_revision"]["uid"] == revisions["items"][0]["uid"]  # revisions kept

    restored = http.patch(f"{NS}/{name}", json=update)
    assert restored.status_code == 200
    wait_status(http, name, "running")
    assert http.get(f"{NS}/{name}/revisions").json()["total"] == 3

    http.post(f"{NS}/{name}/terminate")
    wait_status(http, name, "terminated")
    deleted = http.delete(f"{NS}/{name}")
    assert deleted.status_code == 200 and deleted.json()["name"] == name
    assert http.get(f"{NS}/{name}").status_code == 404
    audit = http.get("/api/v1/current_org/events", params={"count": 50}).json()
    operations = [e["operation_name"] for e in audit["items"] if e["name"] == name]
    assert operations[:2] == ["deleted", "terminated"] and "created" in operations


def test_sync_status_metrics_pods_events(http: httpx.Client, iris_version: str) -> None:
    name = "obs-a"
    http.post("/api/v1/clusters/default/deployments", json=doc(iris_version, name))
    wait_status(http, name, "running")
    assert http.post(f"{NS}/{name}/sync_status").json()["status"] == "running"
    pods = http.get(f"{NS}/{name}/pods").json()
    assert {p["runner_name"] for p in pods} == {None, "iris_clf"}
    assert all(p["status"]["ready"] and p["pod_status"]["status"] == "Running" for p in pods)
    assert all(p["usage"]["pid"] for p in pods)
    events = http.get(f"{NS}/{name}/kube_events").json()
    reasons = [e["reason"] for e in events]
    assert "RevisionCreated" in reasons and "Started" in reasons
    metrics = http.get(f"{NS}/{name}/metrics", params={"since_seconds": 60}).json()
    assert "replicas" in metrics and "requests" in metrics


def test_openapi_document_is_served(cloud: LocalCloud) -> None:
    spec = httpx.get(f"{cloud.endpoint}/openapi.json").json()
    assert "/api/v1/clusters/{cluster}/deployments" in spec["paths"]


def test_gateway_enforces_bearer_token_when_access_control_is_on(
        http: httpx.Client, iris_version: str, cloud: LocalCloud) -> None:
    name = "private-a"
    created = http.post("/api/v1/clusters/default/deployments",
                        json=doc(iris_version, name, access_control="token"))
    assert created.status_code == 200, created.text
    url = created.json()["urls"][0]
    wait_status(http, name, "running")
    assert httpx.post(f"{url}/classify", json=[[5.1, 3.5, 1.4, 0.2]], timeout=30).status_code == 401
    wrong = httpx.post(f"{url}/classify", json=[[5.1, 3.5, 1.4, 0.2]], timeout=30,
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = httpx.post(f"{url}/classify", json=[[6.7, 3.0, 5.2, 2.3]], timeout=30,
                       headers={"Authorization": f"Bearer {cloud.token}"})
    assert right.status_code == 200 and right.json() == ["virginica"]
