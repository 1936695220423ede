"""tui/documents/scaling.py: only the bounds change; typed text is checked with clear words."""

from __future__ import annotations

import pytest

from tui.api import models as m
from tui.api import models_v2 as v2
from tui.documents.scaling import API_SERVER, parse_bounds, replicas_v1, replicas_v2, scaled_v1, scaled_v2


def document() -> m.FullDeploymentSchema:
    return m.FullDeploymentSchema.model_validate({
        "name": "d", "targets": [{"bento_repository": "iris", "bento": "v1", "config": {
            "hpa_conf": {"min_replicas": 1, "max_replicas": 2, "cpu": 80},
            "envs": [{"key": "A", "value": "1"}],
            "runners": {"r": {"hpa_conf": {"min_replicas": 0, "max_replicas": 1}},
                        "bare": {}}}}]})


def test_v1_only_the_bounds_change_and_unnamed_components_stay() -> None:
    doc = document()
    assert replicas_v1(doc)[0] == (API_SERVER, 1, 2)
    assert [r.component for r in replicas_v1(doc)] == [API_SERVER, "bare", "r"]
    out = scaled_v1(doc, {API_SERVER: (2, 3), "bare": (1, 1)})
    config = out.targets[0].config
    assert (config.hpa_conf.min_replicas, config.hpa_conf.max_replicas, config.hpa_conf.cpu) == (2, 3, 80)
    assert config.envs and config.envs[0].key == "A"
    assert config.runners["bare"].hpa_conf.max_replicas == 1
    assert config.runners["r"].hpa_conf.max_replicas == 1  # not asked: kept
    assert doc.targets[0].config.hpa_conf.min_replicas == 1  # the original is not touched


def test_v2_scaling_per_service() -> None:
    body = v2.UpdateDeploymentV2(bento="iris:v1", services={
        "a": {"scaling": {"min_replicas": 1, "max_replicas": 1}, "instance_type": "cpu.1"},
        "b": {}})
    assert replicas_v2(body) == [("a", 1, 1), ("b", None, None)]
    out = scaled_v2(body, {"a": (0, 4)})
    assert out.services["a"].scaling.max_replicas == 4 and out.services["a"].instance_type == "cpu.1"
    assert out.services["b"].scaling is None


@pytest.mark.parametrize(("low", "high", "says"), [
    ("3", "2", "must not exceed"), ("-1", "2", "whole number"), ("1.5", "2", "whole number"),
    ("", "2", "type the min"), ("١", "2", "whole number")])
def test_bad_bounds_say_why(low: str, high: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_bounds("api-server", low, high)


def test_good_and_empty_bounds() -> None:
    assert parse_bounds("x", " 2", "3 ") == (2, 3)
    assert parse_bounds("x", "", " ") is None
