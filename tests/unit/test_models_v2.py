"""The v2 models against every body bentoml 1.4.40 really sent, and the v1 ⇄ v2 mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.api import deployment_view, flavours
from tui.api import models as m
from tui.api import models_v2 as v2

FIXTURES_14 = Path(__file__).resolve().parent.parent / "fixtures" / "bentoml-1.4"


# The recording writes the bento's generated version as `<version>` (tests/conformance/
# test_bentoml14_cli.py); the models check BentoML's tag rule, so the bodies get one back.
A_VERSION = "qv3kvvxb5gwfxbxk"


def with_a_version(body: dict) -> dict:
    return json.loads(json.dumps(body).replace("<version>", A_VERSION))


def without_nulls(value):
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def v2_bodies() -> list[tuple[str, str, dict]]:
    out = []
    for line in (FIXTURES_14 / "requests.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r["path"].startswith("/api/v2/") and r["body"] is not None:
            out.append((r["command"], r["method"], with_a_version(r["body"])))
    return out


def test_the_fixtures_hold_create_and_update_bodies() -> None:
    methods = [method for _, method, _ in v2_bodies()]
    assert "POST" in methods and methods.count("PUT") >= 3


@pytest.mark.parametrize("command,method,body", v2_bodies())
def test_every_recorded_body_round_trips(command: str, method: str, body: dict) -> None:
    model = v2.CreateDeploymentV2 if method == "POST" else v2.UpdateDeploymentV2
    parsed = model.model_validate(body)
    assert parsed.to_wire() == without_nulls(body), command
    assert model.model_validate(parsed.to_wire()) == parsed


def test_body_files_match_the_recording() -> None:
    for name in ("deploy-body.json", "update-body.json", "apply-body.json"):
        body = with_a_version(json.loads((FIXTURES_14 / name).read_text()))
        assert body in [b for _, _, b in v2_bodies()], name


def test_v2_to_v1_and_back() -> None:
    body = v2.UpdateDeploymentV2.model_validate(
        with_a_version(json.loads((FIXTURES_14 / "update-body.json").read_text())))
    update, kept = flavours.v2_to_v1(body, "", [])
    config = update.targets[0].config
    assert config.hpa_conf.max_replicas == 3
    assert [(e.key, e.value) for e in config.envs] == [("K", "V")]  # deployment-wide env applied
    assert update.mode == m.DeploymentMode.DEPLOYMENT
    back = flavours.v1_to_v2(update.targets[0], None, "")
    assert back.services["apiserver"].scaling.max_replicas == 3
    assert back.services["apiserver"].envs[0].name == "K"
    stored = {**update.targets[0].to_wire(), flavours.V2_KEY: kept}
    assert flavours.stored_config_v2(stored, None, "").envs[0].name == "K"  # as v2 wrote it
    assert flavours.split_target(stored)[0] == update.targets[0].to_wire()


def test_service_aliases_merge_and_unknown_services_are_refused() -> None:
    config = v2.UpdateDeploymentV2(bento="r:v", services={
        "": v2.ServiceConfig(scaling=v2.Scaling(max_replicas=2), instance_type="cpu.small"),
        "apiserver": v2.ServiceConfig(scaling=v2.Scaling(max_replicas=3)),
        "runner1": v2.ServiceConfig(scaling=v2.Scaling(min_replicas=0, max_replicas=1))})
    update, _ = flavours.v2_to_v1(config, "", ["runner1"])
    target = update.targets[0].config
    assert target.hpa_conf.max_replicas == 3 and target.resource_instance == "cpu.small"
    assert target.runners["runner1"].hpa_conf.min_replicas == 0
    with pytest.raises(flavours.MappingError, match="no service named 'ghost'"):
        flavours.v2_to_v1(v2.UpdateDeploymentV2(bento="r:v", services={"ghost": v2.ServiceConfig()}),
                          "", [])


@pytest.mark.parametrize("bad", [
    {"bento": "r:v", "services": {"": {"scaling": {"min_replicas": 3, "max_replicas": 1}}}},
    {"bento": "r:v", "envs": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]},
    {"bento": ":v"},
    {"bento": "r:v", "name": "Not_DNS"},
])
def test_bad_bodies_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        v2.CreateDeploymentV2.model_validate(bad)


def test_one_view_model_for_both_flavours() -> None:
    common = {"uid": "u", "name": "d", "resource_type": "deployment", "created_at": "2026-01-01T00:00:00Z",
              "cluster": {"uid": "c", "name": "default", "resource_type": "cluster",
                          "created_at": "2026-01-01T00:00:00Z", "organization_name": "local"},
              "kube_namespace": "yatai"}
    bento = {"uid": "b", "name": "v1", "version": "v1", "resource_type": "bento",
             "created_at": "2026-01-01T00:00:00Z",
             "repository": {"uid": "r", "name": "iris", "resource_type": "bento_repository",
                            "created_at": "2026-01-01T00:00:00Z"}}
    target = {"uid": "t", "name": "t", "resource_type": "deployment_revision",
              "created_at": "2026-01-01T00:00:00Z", "bento": bento}
    revision = {"uid": "rev", "name": "rev", "resource_type": "deployment_revision",
                "created_at": "2026-01-01T00:00:00Z", "status": "active"}
    one = m.DeploymentSchema.model_validate({**common, "status": "running", "latest_revision": {
        **revision, "targets": [{**target, "config": {
            "resource_instance": "cpu.small", "hpa_conf": {"min_replicas": 0, "max_replicas": 2},
            "envs": [{"key": "K", "value": "V"}], "access_control": "protected"}}]}})
    two = v2.DeploymentFullSchemaV2.model_validate({**common, "status": "scaled-to-zero",
        "urls": ["http://x"], "latest_revision": {**revision, "targets": [{**target, "config": {
            "access_authorization": True, "secrets": ["s"], "services": {"apiserver": {
                "instance_type": "cpu.small", "scaling": {"min_replicas": 0, "max_replicas": 2},
                "envs": [{"name": "K", "value": "V"}]}}}}]}})
    a, b = deployment_view.from_v1(one), deployment_view.from_v2(two)
    assert (a.flavour, b.flavour) == ("v1", "v2")
    assert a.services == b.services and a.bento == b.bento == "iris:v1"
    assert a.access_authorization and b.access_authorization
    assert b.scaled_to_zero and not a.scaled_to_zero and b.secrets == ("s",)
