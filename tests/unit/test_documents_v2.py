"""The v2 `-f` document: what the v2 editor's form writes, and what 1.4 would be sent."""

from __future__ import annotations

import json

from tui.documents import v2 as doc


def test_the_form_writes_only_its_own_keys_and_the_result_is_a_valid_14_body() -> None:
    data = doc.create_template()
    data["canary"] = {"route_type": "header"}  # the user's own key, not in the form
    for name, value in [("name", "iris-v2"), ("bento", "iris_classifier:abc"),
                        ("access", True), ("secrets", "s1, s2"), ("labels", (("team", "ml"), ("tier", "gold"))),
                        ("service::instance", "cpu.small"), ("service::max", "3"),
                        ("service::envs", (("K", "V"),))]:
        data = doc.apply_field(data, name, value)
    check = doc.check_document(json.dumps(data))
    assert check.valid, check.problems
    body = check.document.to_wire()
    assert body["services"][""] == {"instance_type": "cpu.small",
                                    "scaling": {"min_replicas": 1, "max_replicas": 3},
                                    "envs": [{"name": "K", "value": "V"}]}
    assert body["labels"] == [{"key": "team", "value": "ml"}, {"key": "tier", "value": "gold"}]
    assert body["secrets"] == ["s1", "s2"] and body["access_authorization"] is True
    assert data["canary"] == {"route_type": "header"}
    values = doc.read_form_values(data)
    assert values.services[0].max == "3" and values.labels == (("team", "ml"), ("tier", "gold"))


def test_problems_name_the_field_path_and_yaml_errors_the_line() -> None:
    data = doc.apply_field(doc.create_template(), "service::min", "5")
    data = doc.apply_field(data, "service::max", "two")
    check = doc.check_document(json.dumps(data))
    assert not check.valid
    assert any(p.startswith("services..scaling.max_replicas:") for p in check.problems), \
        check.problems
    assert any(p.startswith("name:") for p in check.problems)
    broken = doc.check_document("name: x\nbento: [unclosed\n")
    assert broken.data is None and broken.line == 3, broken


def test_yaml_and_json_are_the_same_document() -> None:
    data = doc.apply_field(doc.apply_field(doc.create_template(), "name", "a"), "bento", "r:v")
    from_yaml = doc.check_document(doc.dump_document(data, yaml_form=True))
    from_json = doc.check_document(doc.dump_document(data))
    assert from_yaml.valid and from_json.valid
    assert from_yaml.document == from_json.document
    assert "name" not in doc.body_for_update(from_json.document).to_wire()


def test_an_update_cannot_rename() -> None:
    check = doc.check_document('{"name": "other", "bento": "r:v"}', editing="mine")
    assert check.problems == ["name: a deployment cannot be renamed (it is 'mine')"]


def test_a_bento_that_is_no_bentoml_tag_is_named_before_anything_is_sent() -> None:
    """bentoml's own tag rule (1.4 refuses the rest before sending): the form says so at once."""
    for bento in ("team=ml, ops", "iris classifier:v1", "a-:v1", "iris:" + "v" * 64, "iris:"):
        data = doc.apply_field(doc.apply_field(doc.create_template(), "name", "d"), "bento", bento)
        check = doc.check_document(json.dumps(data))
        assert not check.valid and any(p.startswith("bento:") for p in check.problems), (bento, check.problems)
    for bento in ("iris_classifier:abc123", "Iris.v2:ABC-1", "greeter"):  # bentoml lowercases
        data = doc.apply_field(doc.apply_field(doc.create_template(), "name", "d"), "bento", bento)
        assert doc.check_document(json.dumps(data)).valid, bento
