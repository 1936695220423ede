"""The v1 `--file` document (`bentoml deployment create --file`): checked, read into form
values and edited one field at a time.

No Textual here: the editor's form and screen call these, and tests can too.  Edits are
copy-on-write (`apply_field`) and touch only the one key a form field owns, so whatever else
the user wrote in the JSON survives.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from tui.api import models as m
from tui.documents.values import as_dict, form_text

CUSTOM = "__custom__"  # the resource "instance" meaning: cpu / memory / gpu typed by hand


TOP_ORDER = ("name", "cluster_name", "description", "mode", "targets")


def drop_empty_objects(value: Any) -> Any:
    """`value` without the empty objects (`"resources": {}`) the server fills in."""
    if isinstance(value, dict):
        cleaned = {k: drop_empty_objects(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v != {}}
    if isinstance(value, list):
        return [drop_empty_objects(v) for v in value]
    return value


def document_of_revision(dep: m.DeploymentSchema, revision: m.DeploymentRevisionSchema) -> m.FullDeploymentSchema:
    """The `--file` document that redeploys `revision`'s targets with `dep`'s mode and description."""
    return dep.model_copy(update={"latest_revision": revision}).to_file_document()


def edit_document(deployment: m.DeploymentSchema) -> dict[str, Any]:
    """The `--file` document of a deployment's active revision, in the docs' key order and
    without the empty objects (`"resources": {}`) the server fills in."""
    wire = deployment.to_file_document().to_wire()
    ordered = {k: wire[k] for k in TOP_ORDER if k in wire}
    ordered.update({k: v for k, v in wire.items() if k not in ordered})
    targets = ordered.get("targets")
    if isinstance(targets, list):
        for target in targets:
            if isinstance(target, dict) and isinstance(target.get("config"), dict):
                target["config"] = drop_empty_objects(target["config"])
    return ordered


def create_template(cluster: str) -> dict[str, Any]:
    """A new deployment: the fields the form shows, ready to fill."""
    return {
        "name": "",
        "cluster_name": cluster,
        "mode": "function",
        "targets": [
            {
                "type": "stable",
                "bento_repository": "",
                "bento": "",
                # An On-Demand Function rests at 0 replicas and grows to max under load: the
                # list then shows 0/0, the same number as min.
                "config": {"hpa_conf": {"min_replicas": 0, "max_replicas": 1}},
            }
        ],
    }


@dataclass
class Check:
    """The outcome of validating the JSON pane's text."""

    data: dict[str, Any] | None = None  # the JSON object, when the text parses as one
    document: m.FullDeploymentSchema | None = None  # when the whole document is valid
    problems: list[str] = field(default_factory=list)
    line: int | None = None
    column: int | None = None

    @property
    def valid(self) -> bool:
        return self.document is not None and not self.problems

    @property
    def parses(self) -> bool:
        return self.data is not None


def check_document(text: str, *, editing: m.DeploymentSchema | None = None,
                   clusters: list[str] | None = None) -> Check:
    """Validate the `--file` JSON (plus what the editor itself requires)."""
    check = Check()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        check.problems = [f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        check.line, check.column = exc.lineno, exc.colno
        return check
    if not isinstance(data, dict):
        check.problems = ["(document): expected a JSON object {…}"]
        return check
    check.data = data
    try:
        check.document = m.parse_deployment_file(text)
    except m.DocumentError as exc:
        check.problems = list(exc.problems)
    if editing is not None:
        if data.get("name") not in (None, editing.name):
            check.problems.append(f"name: a deployment cannot be renamed (it is {editing.name!r})")
        if data.get("cluster_name") not in (None, editing.cluster.name):
            check.problems.append(
                f"cluster_name: a deployment cannot move to another cluster (it is on "
                f"{editing.cluster.name!r})")
    elif clusters and isinstance(data.get("cluster_name"), str) and data["cluster_name"] not in clusters:
        check.problems.append(f"cluster_name: no cluster named {data['cluster_name']!r} "
                              f"(known: {', '.join(clusters)})")
    return check


# --------------------------------------------------------------------------- form <-> document


@dataclass(frozen=True)
class FormValues:
    """What the form shows, as strings (the document may hold anything)."""

    name: str = ""
    cluster: str = ""
    description: str = ""
    mode: str = ""
    repo: str = ""
    version: str = ""
    min: str = ""
    max: str = ""
    instance: str = ""
    cpu: str = ""
    memory: str = ""
    gpu: str = ""
    envs: tuple[tuple[str, str], ...] = ()


def _target(data: dict[str, Any], create: bool = False) -> dict[str, Any] | None:
    targets = data.get("targets")
    if isinstance(targets, list) and targets and isinstance(targets[0], dict):
        return targets[0]
    if not create:
        return None
    if isinstance(targets, list) and targets:
        return None  # targets[0] is not an object: leave the user's text alone
    data["targets"] = [{"type": "stable", "bento_repository": "", "bento": ""}]
    return data["targets"][0]


def _child(parent: dict[str, Any] | None, key: str, create: bool) -> dict[str, Any] | None:
    if parent is None:
        return None
    value = parent.get(key)
    if isinstance(value, dict):
        return value
    if not create or (key in parent and value is not None):
        return None  # something that is not an object: leave it to the validator
    parent[key] = {}
    return parent[key]


def _prune(parent: dict[str, Any] | None, key: str) -> None:
    if parent is not None and parent.get(key) == {}:
        del parent[key]


def read_form_values(data: dict[str, Any]) -> FormValues:
    target = _target(data) or {}
    config = as_dict(target.get("config"))
    hpa = as_dict(config.get("hpa_conf"))
    requests = as_dict(as_dict(config.get("resources")).get("requests"))
    if config.get("resource_instance"):
        instance = form_text(config["resource_instance"])
    elif any(requests.get(k) not in (None, "") for k in ("cpu", "memory", "gpu")):
        instance = CUSTOM
    else:
        instance = ""
    envs = config.get("envs")
    pairs = tuple(
        (form_text(e.get("key")), form_text(e.get("value")))
        for e in (envs if isinstance(envs, list) else [])
        if isinstance(e, dict)
    )
    return FormValues(
        name=form_text(data.get("name")),
        cluster=form_text(data.get("cluster_name")),
        description=form_text(data.get("description")),
        mode=form_text(data.get("mode")),
        repo=form_text(target.get("bento_repository")),
        version=form_text(target.get("bento")),
        min=form_text(hpa.get("min_replicas")),
        max=form_text(hpa.get("max_replicas")),
        instance=instance,
        cpu=form_text(requests.get("cpu")),
        memory=form_text(requests.get("memory")),
        gpu=form_text(requests.get("gpu")),
        envs=pairs,
    )


def _int_or_text(value: str) -> int | str:
    try:
        return int(value.strip())
    except ValueError:
        return value  # kept as typed: the validator names the path


def _set_top(key: str, keep_empty: bool = False) -> Callable[[dict[str, Any], Any], None]:
    def setter(data: dict[str, Any], value: Any) -> None:
        if value == "" and not keep_empty:
            data.pop(key, None)
        else:
            data[key] = value

    return setter


def _set_target(key: str) -> Callable[[dict[str, Any], Any], None]:
    def setter(data: dict[str, Any], value: Any) -> None:
        target = _target(data, create=True)
        if target is not None:
            target[key] = value

    return setter


def _set_replicas(key: str) -> Callable[[dict[str, Any], Any], None]:
    def setter(data: dict[str, Any], value: Any) -> None:
        target = _target(data, create=True)
        config = _child(target, "config", create=value != "")
        hpa = _child(config, "hpa_conf", create=value != "")
        if hpa is None:
            return
        if value == "":
            hpa.pop(key, None)
            _prune(config, "hpa_conf")
        else:
            hpa[key] = _int_or_text(value)

    return setter


def _set_request(key: str) -> Callable[[dict[str, Any], Any], None]:
    def setter(data: dict[str, Any], value: Any) -> None:
        target = _target(data, create=True)
        config = _child(target, "config", create=value != "")
        resources = _child(config, "resources", create=value != "")
        requests = _child(resources, "requests", create=value != "")
        if requests is None:
            return
        if value == "":
            requests.pop(key, None)
            _prune(resources, "requests")
            _prune(config, "resources")
        else:
            requests[key] = value

    return setter


def _set_instance(data: dict[str, Any], value: str) -> None:
    target = _target(data, create=True)
    config = _child(target, "config", create=value not in ("", CUSTOM))
    if config is None:
        return
    if value in ("", CUSTOM):
        config.pop("resource_instance", None)
        if value == "":
            resources = _child(config, "resources", create=False)
            if resources is not None:
                resources.pop("requests", None)
                _prune(config, "resources")
    else:
        config["resource_instance"] = value
        resources = _child(config, "resources", create=False)
        if resources is not None:  # the instance decides the resources
            resources.pop("requests", None)
            _prune(config, "resources")


def _set_envs(data: dict[str, Any], pairs: tuple[tuple[str, str], ...]) -> None:
    target = _target(data, create=True)
    config = _child(target, "config", create=bool(pairs))
    if config is None:
        return
    if pairs:
        config["envs"] = [{"key": k, "value": v} for k, v in pairs]
    else:
        config.pop("envs", None)


SETTERS: dict[str, Callable[[dict[str, Any], Any], None]] = {
    "name": _set_top("name", keep_empty=True),
    "cluster": _set_top("cluster_name"),
    "description": _set_top("description"),
    "mode": _set_top("mode"),
    "repo": _set_target("bento_repository"),
    "version": _set_target("bento"),
    "min": _set_replicas("min_replicas"),
    "max": _set_replicas("max_replicas"),
    "instance": _set_instance,
    "cpu": _set_request("cpu"),
    "memory": _set_request("memory"),
    "gpu": _set_request("gpu"),
    "envs": _set_envs,
}


def apply_field(data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with one form field written into it."""
    data = copy.deepcopy(data)
    SETTERS[name](data, value)
    return data


# Problems are listed in the form's order, top first: the status line has room for a few
# only, and at 60x20 the name (the field typed first) came third and was cut off.
FORM_ORDER = ("name:", "cluster_name:", "description:", "mode:", "targets[0].bento_repository:",
              "targets[0].bento:")


def form_rank(problem: str) -> int:
    return next((i for i, prefix in enumerate(FORM_ORDER) if problem.startswith(prefix)), len(FORM_ORDER))
