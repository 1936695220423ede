"""The v2 deployment API of the local control plane, over real HTTP, and v1 ⇄ v2 on one store."""

from __future__ import annotations

import httpx

from tests.harness import wait_for
from tests.localcloud.test_api import NS, doc
from tui.api import models_v2 as v2

V2 = "/api/v2/deployments"
# What httpx (and so bentoml 1.4) sends for unset parameters.
EMPTY = {"cluster": "", "all": "true", "count": "", "q": "", "search": "", "start": ""}


def create_body(version: str, name: str, **service) -> dict:
    """The body bentoml 1.4.40 sent for `deploy iris_classifier:V -n NAME --scaling-max 3`."""
    return {"access_authorization": False, "envs": None, "labels": None, "secrets": None,
            "services": {"": {"instance_type": None,
                              "scaling": {"min_replicas": None, "max_replicas": 3, "policy": None},
                              "envs": None, "deployment_strategy": None, "extras": None,
                              "cold_start_timeout": None, "config_overrides": {}, **service}},
            "canary": None, "bento": f"iris_classifier:{version}", "name": name, "dev": False}


def wait_v2(http: httpx.Client, name: str, *statuses: str, timeout: float = 60) -> dict:
    def check():
        data = http.get(f"{V2}/{name}", params={"cluster": ""}).json()
        return data if data["status"] in statuses else None
    return wait_for(check, timeout, what=f"{name} to be {statuses}")


def test_empty_query_values_mean_default(http: httpx.Client) -> None:
    listed = http.get(V2, params=EMPTY)
    assert listed.status_code == 200, listed.text
    assert {"start", "count", "total", "items"} <= set(listed.json())
    v1 = http.get("/api/v1/clusters/default/deployments", params={"count": "", "start": ""})
    assert v1.status_code == 200, v1.text
    assert http.get(V2, params={"count": "x"}).status_code == 400


def test_instance_types_are_a_bare_array_of_the_cluster(http: httpx.Client) -> None:
    got = http.get("/api/v1/instance_types", params={"cluster": ""})
    assert got.status_code == 200
    items = [v2.InstanceTypeSchema.model_validate(x) for x in got.json()]
    assert [i.name for i in items] == ["cpu.small", "cpu.medium", "cpu.large"]
    assert items[0].config.group == "cpu" and items[0].config.resources is not None
    assert http.get("/api/v1/instance_types", params={"cluster": "nope"}).status_code == 404


def test_bento_manifest_carries_what_14_reads(http: httpx.Client, iris_version: str) -> None:
    bento = http.get(f"/api/v1/bento_repositories/iris_classifier/bentos/{iris_version}").json()
    assert bento["manifest"]["name"] == "iris_classifier"
    assert bento["manifest"]["entry_service"] == "" and bento["manifest"]["services"] == []


def test_v2_create_is_visible_to_v1_and_v1_update_to_v2(http: httpx.Client, iris_version: str) -> None:
    body = create_body(iris_version, "v2-both", envs=[{"name": "K", "value": "V"}])
    body["secrets"] = ["s1"]
    created = http.post(V2, params={"cluster": ""}, json=body)
    assert created.status_code == 200, created.text
    got = v2.DeploymentFullSchemaV2.model_validate(created.json())
    service = got.target.config.services["apiserver"]
    assert service.scaling.max_replicas == 3 and service.envs[0].name == "K"
    assert got.target.config.secrets == ["s1"]
    assert got.cluster.organization_name == "local"
    # v1 sees the same deployment: hpa_conf, envs with `key`, no v2 extras.
    v1 = http.get(f"{NS}/v2-both").json()
    config = v1["latest_revision"]["targets"][0]["config"]
    assert config["hpa_conf"]["max_replicas"] == 3
    assert config["envs"] == [{"key": "K", "value": "V"}]
    assert "x_v2_config" not in json_text(v1)
    assert v1["status"] != "scaled-to-zero"
    # A v1 update (PATCH) is read back by v2 from the v1 config.
    patch = doc(iris_version, name="v2-both", resource_instance="cpu.medium",
                hpa_conf={"min_replicas": 1, "max_replicas": 2}, access_control="protected")
    assert http.patch(f"{NS}/v2-both", json=patch).status_code == 200
    again = v2.DeploymentFullSchemaV2.model_validate(http.get(f"{V2}/v2-both").json())
    service = again.target.config.services["apiserver"]
    assert service.instance_type == "cpu.medium" and service.scaling.max_replicas == 2
    assert again.target.config.access_authorization is True
    http.post(f"{V2}/v2-both/terminate")
    wait_v2(http, "v2-both", "terminated")
    assert http.delete(f"{V2}/v2-both").status_code == 200
    assert http.get(f"{V2}/v2-both").status_code == 404


def test_put_updates_restores_and_void_update(http: httpx.Client, iris_version: str) -> None:
    assert http.post(V2, json=create_body(iris_version, "v2-put")).status_code == 200
    update = create_body(iris_version, "ignored")
    update.pop("name"), update.pop("dev")
    update["services"] = {"apiserver": {"scaling": {"min_replicas": 1, "max_replicas": 2},
                                        "instance_type": "cpu.small"}}
    put = http.put(f"{V2}/v2-put", params={"cluster": ""}, json=update)
    assert put.status_code == 200, put.text
    assert put.json()["latest_revision"]["targets"][0]["config"]["services"]["apiserver"][
        "instance_type"] == "cpu.small"
    revisions = http.get(f"{NS}/v2-put/revisions").json()["total"]
    assert http.put(f"{V2}/v2-put/void_update").status_code == 200
    assert http.get(f"{NS}/v2-put/revisions").json()["total"] == revisions + 1
    http.post(f"{V2}/v2-put/terminate")
    wait_v2(http, "v2-put", "terminated")
    assert http.put(f"{V2}/v2-put", json=update).status_code == 200  # 1.4's `start`
    assert wait_v2(http, "v2-put", "image-building", "deploying", "running")["status"] != "terminated"
    http.post(f"{V2}/v2-put/terminate")


def test_bad_v2_bodies_are_400_with_the_reason(http: httpx.Client, iris_version: str) -> None:
    unknown = create_body(iris_version, "v2-bad")
    unknown["services"] = {"nope": {}}
    answer = http.post(V2, json=unknown)
    assert answer.status_code == 400 and "nope" in answer.json()["error"]
    no_bento = create_body("missing", "v2-bad")
    assert "can't find bento" in http.post(V2, json=no_bento).json()["error"]
    inverted = create_body(iris_version, "v2-bad")
    inverted["services"][""]["scaling"] = {"min_replicas": 3, "max_replicas": 1}
    assert http.post(V2, json=inverted).status_code == 400
    assert http.get(f"{V2}/v2-bad").status_code == 404


def json_text(data: object) -> str:
    import json

    return json.dumps(data)


def test_v2_list_pages_and_sees_every_write(http: httpx.Client, iris_version: str) -> None:
    for name in ("v2-page-a", "v2-page-b"):
        assert http.post(V2, json=create_body(iris_version, name)).status_code == 200
    def listed(**params) -> dict:
        return http.get(V2, params={"search": "v2-page", **params}).json()
    assert listed()["total"] == 2
    first, second = listed(count=1, start=0)["items"], listed(count=1, start=1)["items"]
    assert len(first) == len(second) == 1 and first[0]["name"] != second[0]["name"]
    before = {d["name"]: d for d in listed()["items"]}  # now cached
    assert before["v2-page-a"]["latest_revision"]["targets"][0]["config"]["services"][
        "apiserver"].get("instance_type") is None
    patch = doc(iris_version, name="v2-page-a", resource_instance="cpu.large")
    assert http.patch(f"{NS}/v2-page-a", json=patch).status_code == 200
    after = {d["name"]: d for d in listed()["items"]}
    assert after["v2-page-a"]["latest_revision"]["targets"][0]["config"]["services"][
        "apiserver"]["instance_type"] == "cpu.large"
    for name in ("v2-page-a", "v2-page-b"):
        http.post(f"{V2}/{name}/terminate")


def test_cluster_pods_socket_answers_the_14_image_builder_lookup(cloud, http: httpx.Client,
                                                                   iris_version: str) -> None:
    from httpx_ws import connect_ws

    assert http.post(V2, json=create_body(iris_version, "v2-pods")).status_code == 200
    wait_v2(http, "v2-pods", "running")
    selector = f"yatai.ai/bento-repository=iris_classifier,yatai.ai/bento={iris_version}"
    with connect_ws(f"/ws/v1/clusters/default/pods?namespace=yatai&selector={selector}", http) as sock:
        message = sock.receive_json()
    assert message["type"] == "success" and message["payload"]
    assert all(p["labels"].get("yatai.ai/is-bento-image-builder") != "true" for p in message["payload"])
    with connect_ws("/ws/v1/clusters/default/pods?selector=yatai.ai/bento=nope", http) as sock:
        assert sock.receive_json()["payload"] == []
    with connect_ws("/ws/v1/clusters/other/pods", http) as sock:
        assert sock.receive_json()["type"] == "error"
    http.post(f"{V2}/v2-pods/terminate")


def test_scaled_to_zero_is_reported_to_v2_clients_only(http: httpx.Client, iris_version: str) -> None:
    body = create_body(iris_version, "v2-zero")
    body["services"][""]["scaling"] = {"min_replicas": 0, "max_replicas": 1}
    assert http.post(V2, json=body).status_code == 200
    v1 = f"{NS}/v2-zero"
    assert http.get(v1).json()["mode"] == "function"  # min_replicas 0 = may scale to zero
    wait_v2(http, "v2-zero", "scaled-to-zero", timeout=90)  # the idle window is 2 s in tests
    assert http.get(v1).json()["status"] == "running"
    listed = http.get("/api/v1/clusters/default/deployments", params={"search": "v2-zero"}).json()
    assert [d["status"] for d in listed["items"]] == ["running"]
    listed = http.get(V2, params={"search": "v2-zero"}).json()
    assert [d["status"] for d in listed["items"]] == ["scaled-to-zero"]
    http.post(f"{V2}/v2-zero/terminate")


def test_a_nameless_create_gets_a_dns_name(http: httpx.Client, iris_version: str) -> None:
    from tui.api.models import dns_1035_error
    from tui.localcloud.http.routes_v2 import generated_name

    for repo in ("iris_classifier", "9.Odd__Repo", "___"):
        assert dns_1035_error(generated_name(repo)) is None, repo
    body = create_body(iris_version, "x")
    body.pop("name")
    created = http.post(V2, json=body)
    assert created.status_code == 200, created.text
    assert created.json()["name"].startswith("iris-classifier-")
    http.post(f"{V2}/{created.json()['name']}/terminate")
