"""The v1 models against the exact bodies bentoml 1.1.11 sends and the docs' --file JSON."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from tests.support.fixtures import FIXTURES
from tui.api import models as m

REQUESTS = [json.loads(line) for line in (FIXTURES / "requests.jsonl").read_text().splitlines()]
BODIES = [r for r in REQUESTS if r["body"] is not None]


def test_fixtures_hold_the_three_bodies() -> None:
    assert [r["method"] for r in BODIES] == ["POST", "PATCH", "PATCH"]


@pytest.mark.parametrize("request_", BODIES, ids=lambda r: f"{r['method']} {r['command'][8:40]}")
def test_every_cli_body_parses_and_round_trips(request_: dict) -> None:
    model = m.CreateDeploymentSchema if request_["method"] == "POST" else m.UpdateDeploymentSchema
    parsed = model.model_validate(request_["body"])
    wire = parsed.to_wire()
    # null means unset: nothing null survives, and the set values are kept exactly
    assert "null" not in json.dumps(wire)
    assert wire["targets"][0]["config"]["hpa_conf"] == {
        k: v for k, v in request_["body"]["targets"][0]["config"]["hpa_conf"].items() if v is not None
    }
    assert model.model_validate(wire) == model.model_validate(wire)
    assert model.model_validate(wire).to_wire() == wire


def test_null_filled_body_equals_the_file_it_came_from() -> None:
    from_cli = m.FullDeploymentSchema.model_validate(
        json.loads((FIXTURES / "create-body.json").read_text())
    )
    from_file = m.parse_deployment_file((FIXTURES / "example.json").read_text())
    assert from_cli.targets[0].config.hpa_conf == from_file.targets[0].config.hpa_conf
    assert from_cli.name == from_file.name == "iris-demo"
    assert from_cli.mode is m.DeploymentMode.FUNCTION
    assert from_file.cluster_name == "default"
    # the CLI adds the namespace it looked up; the file has none
    assert from_cli.kube_namespace == "yatai" and from_file.kube_namespace is None


def test_update_bento_body_keeps_labels_and_new_version() -> None:
    body = m.UpdateDeploymentSchema.model_validate(
        json.loads((FIXTURES / "update-bento-body.json").read_text())
    )
    assert body.targets[0].bento == "newversion1"
    assert body.labels == []
    assert body.targets[0].config.hpa_conf.max_replicas == 3


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d["targets"][0]["config"]["hpa_conf"].update(foo=1),
         "targets[0].config.hpa_conf.foo: unknown key"),
        (lambda d: d.update(colour="red"), "colour: unknown key"),
        (lambda d: d.update(mode="serverless"), "mode: Input should be 'deployment' or 'function'"),
        (lambda d: d["targets"][0].update(type="blue"), "targets[0].type: Input should be"),
        (lambda d: d.update(name="Iris_Demo"),
         "name: 'Iris_Demo' has capital letters and '_': lowercase letters, digits and '-', start with a letter"),
        (lambda d: d["targets"][0]["config"]["hpa_conf"].update(min_replicas=3),
         "targets[0].config.hpa_conf: min_replicas (3) must not exceed max_replicas (2)"),
        (lambda d: d["targets"][0]["config"].update(deployment_cold_start_wait_timeout="1m"),
         "targets[0].config.deployment_cold_start_wait_timeout: Input should be a valid integer"),
        (lambda d: d["targets"][0]["config"].update(envs=[{"key": "A", "value": "1"},
                                                          {"key": "A", "value": "2"}]),
         "targets[0].config.envs: environment variable 'A' is set twice"),
        (lambda d: d["targets"][0]["config"].update(deployment_strategy="Yolo"),
         "targets[0].config.deployment_strategy: Input should be"),
        (lambda d: d.update(targets=[]), "targets: List should have at least 1 item"),
    ],
)
def test_invalid_documents_are_rejected_with_the_path(mutate, expected: str) -> None:
    doc = json.loads((FIXTURES / "example.json").read_text())
    mutate(doc)
    with pytest.raises(m.DocumentError) as err:
        m.parse_deployment_file(json.dumps(doc))
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


def test_malformed_json_reports_line_and_column() -> None:
    with pytest.raises(m.DocumentError) as err:
        m.parse_deployment_file('{\n  "name": "x",\n  "targets": [,]\n}')
    assert (err.value.line, err.value.column) == (3, 15)
    assert err.value.problems[0].startswith("line 3, column 15:")


def test_enums_are_exactly_the_reference_values() -> None:
    assert [s.value for s in m.DeploymentStatus] == [
        "unknown", "non-deployed", "running", "unhealthy", "failed", "deploying", "terminating",
        "terminated", "image-building", "image-build-failed", "image-build-succeeded",
    ]
    assert [x.value for x in m.DeploymentMode] == ["deployment", "function"]
    assert [x.value for x in m.DeploymentTargetType] == ["stable", "canary"]
    assert [x.value for x in m.DeploymentStrategy] == [
        "RollingUpdate", "Recreate", "RampedSlowRollout", "BestEffortControlledRollout"]
    assert [x.value for x in m.HPAMetricType] == ["memory", "cpu", "gpu", "qps"]
    assert "deployment_target" not in [x.value for x in m.ResourceType]


def _resource(name: str, resource_type: str, **extra) -> dict:
    return {"uid": f"u-{name}", "created_at": "2024-01-02T03:04:05.123456Z", "updated_at": None,
            "deleted_at": None, "name": name, "resource_type": resource_type, "labels": [], **extra}


USER = {"name": "admin", "email": "admin@example.com", "first_name": "Ada", "last_name": "Admin"}


def _deployment_json() -> dict:
    repo = _resource("iris_classifier", "bento_repository", description="", latest_bento=None)
    bento = _resource(
        "3auspqat6smdonry", "bento", description="", version="3auspqat6smdonry",
        image_build_status="success", upload_status="success", upload_finished_reason="",
        presigned_upload_url="", presigned_download_url="",
        manifest={"service": "service:svc", "bentoml_version": "1.1.11", "size_bytes": 1234,
                  "apis": {"classify": {"route": "/classify", "doc": None, "input": "NumpyNdarray",
                                        "output": "NumpyNdarray"}},
                  "some_future_key": True},
        repository=repo,
    )
    target = _resource(
        "t1", "deployment_revision", creator=USER, type="stable", bento=bento,
        config={"kubeResourceUid": "", "kubeResourceVersion": "", "resources": None,
                "hpa_conf": {"min_replicas": 1, "max_replicas": 2, "future": 1}},
        canary_rules=None,
    )
    revision = _resource("r1", "deployment_revision", creator=USER, status="active",
                         targets=[target])
    return _resource(
        "iris-demo", "deployment", creator=USER,
        cluster=_resource("default", "cluster", description="", creator=USER,
                          organization={"whatever": 1}),
        status="running", kube_namespace="yatai", latest_revision=revision, mode="function",
        urls=["http://iris-demo.example"], unknown_top_level=[1, 2],
    )


def test_responses_tolerate_extra_keys_at_every_level() -> None:
    parsed = m.parse_response(m.DeploymentSchema, _deployment_json())
    assert parsed.status is m.DeploymentStatus.RUNNING
    assert parsed.bento_tag == "iris_classifier:3auspqat6smdonry"
    assert parsed.target.config.hpa_conf.max_replicas == 2
    assert parsed.created_at == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)


def test_response_round_trip_emits_what_the_11_client_needs() -> None:
    parsed = m.parse_response(m.DeploymentSchema, _deployment_json())
    wire = parsed.to_wire()
    again = m.parse_response(m.DeploymentSchema, wire)
    assert again.to_wire() == wire
    config = wire["latest_revision"]["targets"][0]["config"]
    # non-optional attrs fields in the 1.1 client: never null
    assert config["resources"] == {"requests": None, "limits": None}
    assert config["kubeResourceUid"] == "" and config["kubeResourceVersion"] == ""
    assert "future" not in config["hpa_conf"]
    for key in ("uid", "created_at", "updated_at", "deleted_at", "name", "resource_type", "labels",
                "creator", "cluster", "status", "kube_namespace", "mode"):
        assert key in wire


def test_deployment_back_to_file_document() -> None:
    parsed = m.parse_response(m.DeploymentSchema, _deployment_json())
    doc = parsed.to_file_document().to_wire()
    assert doc == {
        "name": "iris-demo", "cluster_name": "default", "mode": "function",
        "targets": [{"type": "stable", "bento_repository": "iris_classifier",
                     "bento": "3auspqat6smdonry",
                     "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 2}}}],
    }
    assert m.parse_deployment_file(json.dumps(doc)).to_wire() == doc


def test_unknown_status_in_a_response_is_an_error() -> None:
    data = _deployment_json()
    data["status"] = "scaled-to-zero"
    with pytest.raises(ValidationError):
        m.parse_response(m.DeploymentSchema, data)


def test_kube_event_and_pod_use_kubernetes_field_names() -> None:
    event = m.KubeEvent.model_validate({
        "metadata": {"name": "e1", "resourceVersion": "7"},
        "involvedObject": {"kind": "Pod", "name": "iris-1"}, "reason": "BackOff",
        "message": "Back-off restarting failed container", "type": "Warning",
        "firstTimestamp": "2024-01-02T03:04:05Z", "eventTime": None,
    })
    assert event.is_warning and event.involved_object.name == "iris-1"
    assert event.display_time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert event.to_wire()["involvedObject"]["kind"] == "Pod"
    pod = m.KubePodSchema.model_validate({
        "name": "iris-1", "runner_name": None,
        "raw_status": {"containerStatuses": [{"restartCount": 2}]},
        "status": {"phase": "Running", "ready": True},
    })
    assert pod.restart_count == 2 and pod.component == "api-server"


def test_websocket_envelopes() -> None:
    msg = m.WsServerMessage.model_validate_json(
        '{"type":"success","message":"","payload":{"req_id":"1","type":"replace","items":["a"]}}')
    tail = m.TailPayload.model_validate(msg.payload)
    assert tail.type == "replace" and tail.items == ["a"]
    with pytest.raises(ValidationError):
        m.WsClientMessage.model_validate({"type": "subscribe"})
    sub = m.SubscriptionRequest.model_validate(
        {"action": "subscribe", "resource_type": "deployment", "resource_uids": ["a"]})
    assert sub.resource_uids == ["a"]


def test_list_envelopes() -> None:
    lst = m.parse_response(m.DeploymentListSchema, {"start": 0, "count": 1, "total": 1,
                                                    "items": [_deployment_json()]})
    assert lst.total == 1 and lst.items[0].name == "iris-demo"
    clusters = m.parse_response(m.ClusterListSchema, {"start": 0, "count": 1, "total": 1,
                                                      "items": [_resource("default", "cluster",
                                                                          description="")]})
    assert clusters.items[0].name == "default"
