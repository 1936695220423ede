"""The v2 deployment document (`bentoml deploy -f` / `bentoml deployment apply -f`, bentoml 1.4):
checked, read into form values and edited one field at a time.

No Textual here.  The document has the keys of the v2 create body (`name`, `bento`
"repo:version", `access_authorization`, `envs`, `secrets`, `labels`, `services` with per-service
`instance_type`, `scaling` and `envs`); the files may be JSON or YAML.  Edits are copy-on-write
and touch only the key a form field owns, so the rest of what the user wrote survives.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from tui.api import models as m
from tui.api import models_v2 as v2
from tui.documents.values import as_dict, form_text

TOP_ORDER = ("name", "bento", "access_authorization", "envs", "secrets", "labels", "services")
ENTRY = ""  # the service key 1.4 sends for a bento's entry service


def create_template() -> dict[str, Any]:
    """A new v2 deployment: the fields the form shows, ready to fill."""
    return {"name": "", "bento": "", "access_authorization": False,
            "services": {ENTRY: {"scaling": {"min_replicas": 1, "max_replicas": 1}}}}


def edit_document(deployment: v2.DeploymentSchemaV2) -> dict[str, Any]:
    """The `-f` document of a deployment's current config, in the order 1.4's docs write it
    (without the keys it leaves unset)."""
    target = deployment.target
    config = target.config.to_wire() if target and target.config else {}
    document: dict[str, Any] = {"name": deployment.name, "bento": target.bento_tag if target else ""}
    document.update(config)
    ordered = {k: document[k] for k in TOP_ORDER if k in document}
    ordered.update({k: v for k, v in document.items() if k not in ordered})
    return ordered


def dump_document(data: dict[str, Any], yaml_form: bool = False) -> str:
    """The document as text: JSON (the editor's pane), or YAML for a `.yaml` file."""
    if yaml_form:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@dataclass
class Check:
    """The outcome of validating the document's text."""

    data: dict[str, Any] | None = None
    document: v2.CreateDeploymentV2 | None = None
    problems: list[str] = field(default_factory=list)
    line: int | None = None
    column: int | None = None

    @property
    def valid(self) -> bool:
        return self.document is not None and not self.problems

    @property
    def parses(self) -> bool:
        return self.data is not None


def load_text(text: str) -> Check:
    """Parse JSON (a document starting with `{`) or YAML; syntax errors carry line and column."""
    check = Check()
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        check.problems = [f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]
        check.line, check.column = exc.lineno, exc.colno
        return check
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        check.problems = [f"{where}{getattr(exc, 'problem', None) or 'not YAML'}"]
        if mark is not None:
            check.line, check.column = mark.line + 1, mark.column + 1
        return check
    except RecursionError:
        check.problems = ["(document): nested too deeply to read"]
        return check
    if not isinstance(data, dict):
        check.problems = ["(document): expected an object {…} of deployment keys"]
        return check
    check.data = data
    return check


def check_document(text: str, *, editing: str | None = None) -> Check:
    """Validate the document as 1.4 would send it; `editing` is the name of the deployment
    being updated (it cannot be renamed)."""
    check = load_text(text)
    if check.data is None:
        return check
    data = check.data
    try:
        check.document = v2.CreateDeploymentV2.model_validate(data)
    except ValidationError as exc:
        check.problems = [
            'bento: required ("repository:version")' if p.startswith("bento: String should have at least")
            else p for p in m.describe_validation_error(exc)]
    if editing is not None:
        if data.get("name") not in (None, "", editing):
            check.problems.append(f"name: a deployment cannot be renamed (it is {editing!r})")
    elif not data.get("name"):
        check.problems.append("name: required (a lowercase DNS name)")
    return check


# --------------------------------------------------------------------------- form <-> document


@dataclass(frozen=True)
class ServiceValues:
    """One service's row in the form, as strings."""

    key: str
    instance: str = ""
    min: str = ""
    max: str = ""
    envs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FormValues:
    name: str = ""
    bento: str = ""
    access: bool = False
    secrets: str = ""  # comma separated
    labels: tuple[tuple[str, str], ...] = ()  # (key, value), as the form's KEY=value lines
    services: tuple[ServiceValues, ...] = ()


def _pairs(items: Any, key: str) -> tuple[tuple[str, str], ...]:
    return tuple((form_text(e.get(key)), form_text(e.get("value")))
                 for e in (items if isinstance(items, list) else []) if isinstance(e, dict))


def read_form_values(data: dict[str, Any]) -> FormValues:
    services = as_dict(data.get("services")) or {ENTRY: {}}
    rows = []
    for key, raw in services.items():
        service = as_dict(raw)
        scaling = as_dict(service.get("scaling"))
        rows.append(ServiceValues(key=str(key), instance=form_text(service.get("instance_type")),
                                  min=form_text(scaling.get("min_replicas")),
                                  max=form_text(scaling.get("max_replicas")),
                                  envs=_pairs(service.get("envs"), "name")))
    secrets = data.get("secrets")
    return FormValues(
        name=form_text(data.get("name")), bento=form_text(data.get("bento")),
        access=data.get("access_authorization") is True,
        secrets=", ".join(form_text(s) for s in secrets) if isinstance(secrets, list) else "",
        labels=_pairs(data.get("labels"), "key"),
        services=tuple(rows))


def field_of(values: FormValues, name: str) -> Any:
    """One field of `values` by its form name (see `apply_field`)."""
    if not name.startswith("service:"):
        return getattr(values, name)
    key, _, part = name[len("service:"):].rpartition(":")
    service = next((s for s in values.services if s.key == key), ServiceValues(key=key))
    return getattr(service, part)


def _int_or_text(value: str) -> int | str:
    try:
        return int(value.strip())
    except ValueError:
        return value  # kept as typed: the validator names the path


def _service(data: dict[str, Any], key: str) -> dict[str, Any] | None:
    services = data.get("services")
    if services is None:
        services = data["services"] = {}
    if not isinstance(services, dict):
        return None  # not an object: leave it to the validator
    service = services.get(key)
    if service is None:
        service = services[key] = {}
    return service if isinstance(service, dict) else None


def apply_field(data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with one form field written into it.  Field names are those of
    `FormValues`, and `service:<key>:<instance|min|max|envs>` for a service's row."""
    data = copy.deepcopy(data)
    if name == "name":
        data["name"] = value
    elif name == "bento":
        data["bento"] = value
    elif name == "access":
        data["access_authorization"] = bool(value)
    elif name == "secrets":
        secrets = [s.strip() for s in value.split(",") if s.strip()]
        if secrets:
            data["secrets"] = secrets
        else:
            data.pop("secrets", None)
    elif name == "labels":
        if value:
            data["labels"] = [{"key": k, "value": v} for k, v in value]
        else:
            data.pop("labels", None)
    elif name.startswith("service:"):
        key, _, part = name[len("service:"):].rpartition(":")
        service = _service(data, key)
        if service is not None:
            _apply_service(service, part, value)
    else:
        raise KeyError(name)
    return data


def _apply_service(service: dict[str, Any], part: str, value: Any) -> None:
    if part == "instance":
        if value:
            service["instance_type"] = value
        else:
            service.pop("instance_type", None)
    elif part in ("min", "max"):
        key = f"{part}_replicas"
        scaling = service.get("scaling")
        if scaling is None:
            scaling = service["scaling"] = {}
        if not isinstance(scaling, dict):
            return
        if value == "":
            scaling.pop(key, None)
        else:
            scaling[key] = _int_or_text(value)
    elif part == "envs":
        if value:
            service["envs"] = [{"name": k, "value": v} for k, v in value]
        else:
            service.pop("envs", None)
    else:
        raise KeyError(part)


def body_for_update(document: v2.CreateDeploymentV2) -> v2.UpdateDeploymentV2:
    """The PUT body: the document without `name` and `dev` (it replaces the whole config)."""
    return v2.UpdateDeploymentV2.model_validate(document.model_dump(exclude={"name", "dev"}))
