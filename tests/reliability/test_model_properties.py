"""Item 5, the models: property tests (hypothesis) of the deployment document (`--file` JSON).

Every valid document round-trips (parse -> wire -> JSON -> parse gives the same model, the
wire form has no nulls), and every invalid one is rejected with the field path of what is
wrong: an unknown key anywhere, a value of the wrong type at any leaf, a name that is not a
DNS-1035 label, min above max, a repeated environment variable, a bad duration or enum.
tests/unit/test_models.py checks the fixtures and one example per rule; this checks the rules
over generated documents.  Examples: BENTOTUI_PROPERTY_EXAMPLES (default 150; the note's
figures use 2000).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.reliability import env_number
from tui.api import models as m

EXAMPLES = int(env_number("BENTOTUI_PROPERTY_EXAMPLES", 150))
pytestmark = pytest.mark.slow  # runs short by default; BENTOTUI_PROPERTY_EXAMPLES makes it long

SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
word = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-.", min_size=1, max_size=16)
dns_label = st.from_regex(r"\A[a-z]([-a-z0-9]{0,20}[a-z0-9])?\Z")
duration = st.one_of(
    st.integers(0, 10**6).map(str),
    st.lists(st.tuples(st.integers(0, 999), st.sampled_from(["h", "m", "s", "ms"])), min_size=1,
             max_size=3).map(lambda parts: "".join(f"{n}{u}" for n, u in parts)),
)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@st.composite
def hpa_conf(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(optional(st.integers(0, 20)))
    high = draw(optional(st.integers(low or 0, 40)))
    return drop_none({
        "min_replicas": low, "max_replicas": high,
        "cpu": draw(optional(st.integers(0, 100))), "qps": draw(optional(st.integers(0, 10**4))),
        "memory": draw(optional(st.sampled_from(["500Mi", "1Gi"]))),
        "policy": draw(optional(st.fixed_dictionaries({}, optional={
            "scale_up_behavior": st.sampled_from([b.value for b in m.HPAScaleBehavior]),
            "scale_down_behavior": st.sampled_from([b.value for b in m.HPAScaleBehavior]),
            "metrics": st.lists(st.fixed_dictionaries({
                "type": st.sampled_from([t.value for t in m.HPAMetricType]),
                "value": st.integers(0, 100)}), max_size=2)}))),
    })


resources = st.fixed_dictionaries({}, optional={
    side: st.fixed_dictionaries({}, optional={"cpu": st.sampled_from(["500m", "1", "2"]),
                                              "memory": st.sampled_from(["1Gi", "512Mi"]),
                                              "gpu": st.sampled_from(["1"])})
    for side in ("requests", "limits")})

envs = st.lists(st.tuples(st.from_regex(r"\A[A-Z][A-Z0-9_]{0,10}\Z"), text), max_size=4,
                unique_by=lambda kv: kv[0]).map(lambda kvs: [{"key": k, "value": v} for k, v in kvs])


def component_config(runner: bool) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy] = {
        "hpa_conf": hpa_conf(),
        "resources": resources,
        "resource_instance": st.sampled_from(["cpu.small", "cpu.medium"]),
        "envs": envs,
        "deployment_strategy": st.sampled_from([s.value for s in m.DeploymentStrategy]),
        "traffic_control": st.fixed_dictionaries({}, optional={
            "timeout": duration,
            "request_queue": st.fixed_dictionaries({}, optional={
                "enabled": st.booleans(), "max_consume_concurrency": st.integers(1, 64)})}),
        "deployment_cold_start_wait_timeout": st.integers(0, 3600),
        "enable_debug_mode": st.booleans(),
    }
    if not runner:
        fields["access_control"] = st.sampled_from(["public", "token"])
        fields["enable_ingress"] = st.booleans()
        fields["runners"] = st.dictionaries(word, component_config(True), max_size=2)
    return st.fixed_dictionaries({}, optional=fields)


target = st.fixed_dictionaries(
    {"bento_repository": word, "bento": word},
    optional={"type": st.sampled_from([t.value for t in m.DeploymentTargetType]),
              "config": component_config(False),
              "canary_rules": st.lists(st.fixed_dictionaries(
                  {"type": st.sampled_from([t.value for t in m.CanaryRuleType])},
                  optional={"weight": st.integers(0, 100), "header": word}), max_size=2)})

document = st.fixed_dictionaries(
    {"name": dns_label, "targets": st.lists(target, min_size=1, max_size=2)},
    optional={"mode": st.sampled_from([x.value for x in m.DeploymentMode]),
              "description": text, "cluster_name": word, "kube_namespace": dns_label,
              "do_not_deploy": st.booleans(),
              "labels": st.lists(st.fixed_dictionaries({"key": word, "value": text}), max_size=3)})


def has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(has_null(v) for v in value)
    return False


@SETTINGS
@given(doc=document)
def test_every_valid_document_round_trips(doc: dict[str, Any]) -> None:
    parsed = m.parse_deployment_file(json.dumps(doc))
    wire = parsed.to_wire()
    assert not has_null(wire)
    again = m.parse_deployment_file(json.dumps(wire))
    assert again == parsed
    assert again.to_wire() == wire
    # what was set is kept, value for value (a target's type defaults to stable)
    expected = json.loads(json.dumps(doc))
    for t in expected["targets"]:
        t.setdefault("type", "stable")
    assert wire == expected
    # and the update body accepts the same document
    assert m.UpdateDeploymentSchema.model_validate(wire).to_wire()["targets"] == wire["targets"]


# --------------------------------------------------------------------------- invalid documents


def nodes(value: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every (path, value) in the document, depth first."""
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += nodes(v, (*path, i))
    return out


def set_at(doc: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


# objects whose keys are free (names of runners, env-like maps): an extra key there is valid
FREE_KEYS = {"runners", "custom"}


def problems_of(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(m.DocumentError) as err:
        m.parse_deployment_file(json.dumps(doc))
    assert err.value.problems
    return err.value.problems


@SETTINGS
@given(doc=document, data=st.data())
def test_an_unknown_key_anywhere_is_named_with_its_path(doc: dict[str, Any], data: st.DataObject) -> None:
    objects = [p for p, v in nodes(doc) if isinstance(v, dict) and (not p or p[-1] not in FREE_KEYS)]
    path = data.draw(st.sampled_from(objects))
    set_at(doc, (*path, "zz_surprise"), 1) if path else doc.__setitem__("zz_surprise", 1)
    where = m.format_location((*path, "zz_surprise"))
    assert f"{where}: unknown key" in problems_of(doc)


@SETTINGS
@given(doc=document, data=st.data())
def test_a_wrong_type_at_any_leaf_is_named_with_its_path(doc: dict[str, Any], data: st.DataObject) -> None:
    leaves = [p for p, v in nodes(doc) if p and not isinstance(v, (dict, list))
              and not (len(p) >= 2 and p[-2] == "metrics" or p[-1] == "value" and "metrics" in p)]
    path = data.draw(st.sampled_from(leaves))
    set_at(doc, path, {"not": "a scalar"})
    where = m.format_location(path)
    problems = problems_of(doc)
    assert any(p.startswith(f"{where}:") for p in problems), (where, problems)


@SETTINGS
@given(doc=document, bad=st.one_of(
    st.text(max_size=80).filter(lambda s: m.dns_1035_error(s) is not None),
    st.from_regex(r"\A[a-z][a-z0-9]{63,80}\Z")))
def test_a_name_that_is_not_a_dns_1035_label(doc: dict[str, Any], bad: str) -> None:
    doc["name"] = bad
    assert any(p.startswith("name:") and ("DNS-1035" in p or "63 characters" in p or "string" in p)
               for p in problems_of(doc))


@SETTINGS
@given(doc=document, low=st.integers(1, 50), data=st.data())
def test_rules_across_fields_name_the_object(doc: dict[str, Any], low: int, data: st.DataObject) -> None:
    config = doc["targets"][0].setdefault("config", {})
    rule = data.draw(st.sampled_from(["min>max", "env twice", "duration", "enum", "negative"]))
    if rule == "min>max":
        config["hpa_conf"] = {"min_replicas": low, "max_replicas": low - 1}
        expected = ("targets[0].config.hpa_conf:", f"min_replicas ({low}) must not exceed")
    elif rule == "env twice":
        config["envs"] = [{"key": "A", "value": "1"}, {"key": "A", "value": "2"}]
        expected = ("targets[0].config.envs:", "'A' is set twice")
    elif rule == "duration":
        config["traffic_control"] = {"timeout": f"{low} seconds"}
        expected = ("targets[0].config.traffic_control.timeout:", "is not a duration")
    elif rule == "enum":
        doc["mode"] = f"serverless{low}"
        expected = ("mode:", "'deployment' or 'function'")
    else:
        config["hpa_conf"] = {"max_replicas": -low}
        expected = ("targets[0].config.hpa_conf.max_replicas:", "greater than or equal to 0")
    problems = problems_of(doc)
    assert any(p.startswith(expected[0]) and expected[1] in p for p in problems), (expected, problems)


@SETTINGS
@given(raw=st.one_of(st.text(max_size=200), st.binary(max_size=200).map(
    lambda b: b.decode("latin-1"))))
def test_anything_that_is_not_a_document_is_rejected_not_raised(raw: str) -> None:
    try:
        m.parse_deployment_file(raw)
    except m.DocumentError as err:
        assert err.problems and all(isinstance(p, str) and p for p in err.problems)
