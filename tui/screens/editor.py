"""Create or update a deployment: a form and the `--file` JSON side by side, always in step.

The JSON pane holds the truth (the document `bentoml deployment create --file` takes).  Each
form edit rewrites only the one field it owns in the last parsed document and re-renders the
JSON; each JSON edit (debounced) refills the form when the text parses.  While the JSON is not
parseable the form is paused (disabled) rather than overwriting what is being typed, so nothing
typed is ever lost.  Validation is the models' own (`parse_deployment_file`): malformed JSON
reports line and column, schema problems report the field path, and `ctrl+s` is disabled until
the document is valid.  Side by side from 100 columns, stacked below.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, TextArea

from tui.widgets.worker_errors import ReportsWorkerErrors
from tui.documents import drop_empty_objects
from tui.messages import OpenDeployment
from tui.api import models as m
from tui.api.errors import ApiError, ConnectionFailed
from tui.screens.breakpoints import apply_horizontal_breakpoints
from tui.widgets.choice import ChoiceButton
from tui.widgets.context_bar import ContextBar
from tui.widgets.safe_inputs import SafeInput, SafeTextArea
from tui.widgets.safe_text import escape_json, safe_block, sanitize
from tui.widgets.footer import KeysFooter

if TYPE_CHECKING:
    from tui.app import BentoTUI

VALIDATE_DEBOUNCE_S = 0.15
CUSTOM = "__custom__"  # the resource "instance" meaning: cpu / memory / gpu typed by hand

MODE_HELP = {  # title, and one line saying what it means (fits the form at 80 and 120 columns)
    "deployment": ("Online Service", "always on, direct routing"),
    "function": ("On-Demand Function", "scales to zero, queued"),
}


# --------------------------------------------------------------------------- the document


def render_document(data: dict[str, Any]) -> str:
    return escape_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


TOP_ORDER = ("name", "cluster_name", "description", "mode", "targets")


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


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


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
    config = _dict(target.get("config"))
    hpa = _dict(config.get("hpa_conf"))
    requests = _dict(_dict(config.get("resources")).get("requests"))
    if config.get("resource_instance"):
        instance = _text(config["resource_instance"])
    elif any(requests.get(k) not in (None, "") for k in ("cpu", "memory", "gpu")):
        instance = CUSTOM
    else:
        instance = ""
    envs = config.get("envs")
    pairs = tuple(
        (_text(e.get("key")), _text(e.get("value")))
        for e in (envs if isinstance(envs, list) else [])
        if isinstance(e, dict)
    )
    return FormValues(
        name=_text(data.get("name")),
        cluster=_text(data.get("cluster_name")),
        description=_text(data.get("description")),
        mode=_text(data.get("mode")),
        repo=_text(target.get("bento_repository")),
        version=_text(target.get("bento")),
        min=_text(hpa.get("min_replicas")),
        max=_text(hpa.get("max_replicas")),
        instance=instance,
        cpu=_text(requests.get("cpu")),
        memory=_text(requests.get("memory")),
        gpu=_text(requests.get("gpu")),
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


# --------------------------------------------------------------------------- widgets


class EnvRow(Horizontal):
    """One environment variable: name, value, remove."""

    def __init__(self, key: str = "", value: str = "") -> None:
        super().__init__(classes="env-row")
        self.env_key = key
        self.env_value = value

    def compose(self) -> ComposeResult:
        yield SafeInput(self.env_key, placeholder="NAME", classes="env-key")
        yield SafeInput(self.env_value, placeholder="value", classes="env-value")
        yield Button("✕", classes="env-remove", tooltip="remove this variable")

    @on(Input.Changed, ".env-key")
    def _key(self, event: Input.Changed) -> None:
        self.env_key = event.value

    @on(Input.Changed, ".env-value")
    def _value(self, event: Input.Changed) -> None:
        self.env_value = event.value

    def set_pair(self, key: str, value: str) -> None:
        self.env_key, self.env_value = key, value
        for selector, text in ((".env-key", key), (".env-value", value)):
            for box in self.query(selector).results(Input):
                if box.value != text:
                    box.value = text


def _row(label: str, *widgets: Any, id: str | None = None) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), *widgets, classes="field", id=id)


# --------------------------------------------------------------------------- the screen

# Problems are listed in the form's order, top first: the status line has room for a few
# only, and at 60x20 the name (the field typed first) came third and was cut off.
FORM_ORDER = ("name:", "cluster_name:", "description:", "mode:", "targets[0].bento_repository:",
              "targets[0].bento:")


def _form_rank(problem: str) -> int:
    return next((i for i, prefix in enumerate(FORM_ORDER) if problem.startswith(prefix)), len(FORM_ORDER))


# The form's free-text inputs (what a key typed before the screen is ready can change).
TYPED_FIELDS = ("name", "description", "repo", "version", "min", "max", "cpu", "memory", "gpu")



class EditorScreen(ReportsWorkerErrors, Screen[m.DeploymentSchema | None]):
    """Create (POST) or update (PATCH, a new revision) one deployment."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", id="editor.submit"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
        Binding("ctrl+f", "pick_bento", "Find bento", id="editor.pick_bento"),
        Binding("ctrl+o", "load_file", "Load file", id="editor.load_file"),
        Binding("ctrl+t", "save_file", "Save to file", id="editor.save_file"),
        # Input/TextArea use ctrl+e for end-of-line; End still does that in the editor.
        Binding("ctrl+e", "external_editor", "$EDITOR", priority=True, id="editor.external"),
        Binding("q", "no_quit", "Quit", show=False, id="editor.no_quit"),
    ]

    HELP = ("The form (left/top) and the --file JSON (right/bottom) always show the same "
            "deployment; edit either.  ctrl+s submits when the status line says ✓ valid.  "
            "esc in the JSON pane leaves the pane; esc again cancels.")

    app: BentoTUI

    def __init__(self, data: dict[str, Any], *, cluster: str,
                 deployment: m.DeploymentSchema | None = None) -> None:
        super().__init__()
        self.deployment = deployment  # None: creating
        self.cluster = cluster
        self._data: dict[str, Any] = data
        self._initial_text = render_document(data)
        self._check: Check | None = None
        self._json_pending = False  # typed JSON not yet applied to the form
        self._timer: Timer | None = None
        self._paused = False
        self._ready = False
        self._submitting = False
        self._done = False
        self._env_rows: list[EnvRow] = []
        self._instances: list[m.ResourceInstanceSchema] = []
        self._instances_cluster: str | None = None
        self.server_error: str | None = None

    @classmethod
    def for_create(cls, cluster: str) -> EditorScreen:
        return cls(create_template(cluster), cluster=cluster)

    @classmethod
    def for_update(cls, deployment: m.DeploymentSchema) -> EditorScreen:
        return cls(edit_document(deployment), cluster=deployment.cluster.name, deployment=deployment)

    @property
    def creating(self) -> bool:
        return self.deployment is None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        apply_horizontal_breakpoints(self, self.app.size.width)
        yield ContextBar()
        if self.creating:
            title = Text("New deployment", style="bold")
        else:
            assert self.deployment is not None
            title = Text(f"Edit {self.deployment.name}", style="bold")
            title.append(f"  on {self.deployment.cluster.name} · submitting makes a new revision",
                         style="dim")
            if self.deployment.status == m.DeploymentStatus.TERMINATED:
                title.append(" and restores it", style="dim")
        yield Static(sanitize(title), id="editor-title")
        yield Static(id="editor-error")
        with Horizontal(id="editor-panes"):
            with VerticalScroll(id="editor-form"):
                yield Static(id="editor-paused")
                with Vertical(id="form-fields"):
                    if self.creating:
                        yield _row("Name", SafeInput(placeholder="lowercase-dns-name", id="f-name"))
                        clusters = self._clusters() or [self.cluster]
                        yield _row("Cluster", Select([(c, c) for c in clusters], allow_blank=False,
                                                     value=self.cluster if self.cluster in clusters
                                                     else clusters[0], id="f-cluster"))
                    yield _row("Description", SafeInput(placeholder="optional", id="f-description"))
                    with Horizontal(classes="field", id="mode-field"):
                        yield Label("Mode", classes="field-label")
                        with RadioSet(id="f-mode"):
                            for mode, (title_, meaning) in MODE_HELP.items():
                                label = Text(title_)
                                label.append(f" · {meaning}", style="dim")
                                yield ChoiceButton(label, id=f"mode-{mode}")
                    yield _row("Bento", SafeInput(placeholder="repository", id="f-repo"),
                               Button("Find…", id="pick-bento", tooltip="ctrl+f"))
                    yield _row("Version", SafeInput(placeholder="bento version", id="f-version"))
                    yield _row("Replicas", Label("min", classes="sub"), SafeInput(id="f-min", classes="num"),
                               Label("max", classes="sub"), SafeInput(id="f-max", classes="num"))
                    yield _row("Resources", Select([("cluster default", "")], allow_blank=False,
                                                   value="", id="f-instance"))
                    yield _row("", Label("cpu", classes="sub"), SafeInput(placeholder="500m", id="f-cpu"),
                               Label("mem", classes="sub"), SafeInput(placeholder="1Gi", id="f-memory"),
                               Label("gpu", classes="sub"), SafeInput(placeholder="0", id="f-gpu"),
                               id="custom-resources")
                    with Horizontal(classes="field"):
                        yield Label("Environment", classes="field-label")
                        yield Button("+ add variable", id="env-add")
                    yield Vertical(id="env-rows")
                    yield Static(id="form-note")
            with Vertical(id="editor-json-pane"):
                yield Static("JSON · the --file document", classes="pane-title")
                yield SafeTextArea.code_editor(self._initial_text, language="json", id="editor-json")
        yield Static(id="editor-status")
        yield KeysFooter(show_command_palette=False)  # its own keys fill 80 columns; ctrl+p works

    def on_mount(self) -> None:
        self.query_one("#editor-error", Static).display = False
        self.query_one("#editor-paused", Static).display = False
        self._show_values(read_form_values(self._data))
        self._revalidate(apply_to_form=False)
        self.load_cluster(self.cluster)
        first = "#f-name" if self.creating else "#f-description"
        self.query_one(first).focus()
        self.call_after_refresh(self._set_ready)

    def _set_ready(self) -> None:
        self._ready = True
        # keys typed in the first frame changed the inputs while edits were not yet taken in
        self._form_edited(*(name for name in TYPED_FIELDS if self.query(f"#f-{name}")))

    def _clusters(self) -> list[str]:
        session = getattr(self.app, "session", None)
        return list(session.clusters) if session else []

    @property
    def json_area(self) -> TextArea:
        return self.query_one("#editor-json", TextArea)

    @property
    def text(self) -> str:
        return self.json_area.text

    @property
    def dirty(self) -> bool:
        return not self._done and self.text != self._initial_text

    @property
    def check(self) -> Check:
        return self._check if self._check is not None else self._revalidate(apply_to_form=False)

    # ------------------------------------------------------------------ cluster facts

    @work(exclusive=True, group="editor-cluster", exit_on_error=False)
    async def load_cluster(self, cluster: str) -> None:
        session = self.app.session
        if session is None or not cluster:
            return
        try:
            full = await session.client.get_cluster(cluster)
        except ApiError as exc:
            self._note(f"resource instances of {cluster}: {exc.message}")
            return
        self._instances = list(full.resource_instances)
        self._instances_cluster = cluster
        self._refresh_instance_options(read_form_values(self._data).instance)

    def _instance_options(self, current: str) -> list[tuple[str, str]]:
        options = [("cluster default", ""), ("custom cpu / memory / gpu", CUSTOM)]
        for inst in self._instances:
            label = inst.display_name or inst.name
            if inst.description:
                label += f" · {inst.description}"
            options.append((label, inst.name))
        if current and current not in {v for _, v in options}:
            options.append((f"{current} (not offered by this cluster)", current))
        return options

    def _refresh_instance_options(self, current: str) -> None:
        select = self.query_one("#f-instance", Select)
        with self.prevent(Select.Changed):
            select.set_options(self._instance_options(current))
            select.value = current
        self.query_one("#custom-resources").display = current == CUSTOM

    # ------------------------------------------------------------------ document -> form

    def _show_values(self, values: FormValues) -> None:
        """Put `values` into the widgets without triggering form -> JSON."""
        with self.prevent(Input.Changed, Select.Changed, RadioSet.Changed, RadioButton.Changed):
            for name in ("name", "description", "repo", "version", "min", "max", "cpu", "memory", "gpu"):
                for box in self.query(f"#f-{name}").results(Input):
                    if box.value != getattr(values, name):
                        box.value = getattr(values, name)
            for select in self.query("#f-cluster").results(Select):
                choices = self._clusters() or [self.cluster]
                if values.cluster and values.cluster not in choices:
                    choices = [*choices, values.cluster]
                select.set_options([(c if c in self._clusters() else f"{c} (unknown)", c) for c in choices])
                select.value = values.cluster or choices[0]
        self._show_mode(values.mode)
        self._refresh_instance_options(values.instance)
        self._show_envs(values.envs)
        target_count = len(self._data.get("targets") or []) if isinstance(self._data.get("targets"), list) else 0
        self._note("" if target_count <= 1 else
                   f"The form edits targets[0]; the other {target_count - 1} target(s) only in the JSON.")

    def _show_mode(self, wanted: str) -> None:
        """Select `wanted`'s button through the RadioSet, so the set knows which one is pressed
        (and highlights it) and turns it off when the user picks the other: setting values
        behind its back left both shown as chosen.  The set's Changed that follows finds the
        document already saying `wanted`, so it changes nothing there."""
        if wanted in MODE_HELP:
            button = self.query_one(f"#mode-{wanted}", RadioButton)
            if not button.value:
                button.value = True  # the set turns the other one off
            return
        with self.prevent(RadioButton.Changed):  # no mode in the document: none chosen
            for mode in MODE_HELP:
                self.query_one(f"#mode-{mode}", RadioButton).value = False

    def _current_envs(self) -> tuple[tuple[str, str], ...]:
        return tuple((r.env_key, r.env_value) for r in self._env_rows if r.env_key or r.env_value)

    def _show_envs(self, pairs: tuple[tuple[str, str], ...]) -> None:
        if self._current_envs() == pairs:
            return
        holder = self.query_one("#env-rows", Vertical)
        rows = [r for r in self._env_rows if r.env_key or r.env_value]
        if len(rows) == len(pairs) and len(rows) == len(self._env_rows):
            with self.prevent(Input.Changed):
                for row, (k, v) in zip(rows, pairs):
                    row.set_pair(k, v)
            return
        for row in self._env_rows:
            row.remove()
        self._env_rows = [EnvRow(k, v) for k, v in pairs]
        if self._env_rows:
            holder.mount(*self._env_rows)

    def _note(self, text: str) -> None:
        note = self.query_one("#form-note", Static)
        note.update(safe_block(text, style="dim italic"))  # may quote the document's values
        note.display = bool(text)

    # ------------------------------------------------------------------ form -> document

    def _field_value(self, name: str) -> Any:
        if name == "envs":
            return self._current_envs()
        if name == "mode":
            for mode in MODE_HELP:
                if self.query_one(f"#mode-{mode}", RadioButton).value:
                    return mode
            return ""
        if name in ("cluster", "instance"):
            value = self.query_one(f"#f-{name}", Select).value
            return value if isinstance(value, str) else ""
        return self.query_one(f"#f-{name}", Input).value

    def _form_edited(self, *names: str) -> None:
        """The user changed form fields: write just those into the document."""
        if not self._ready or self._paused or self._done:
            return
        values = {name: self._field_value(name) for name in names}
        if self._json_pending:  # typed JSON not applied yet: take it in first
            self._revalidate()
            if self._paused:
                return
        shown = read_form_values(self._data)
        data = self._data
        for name, value in values.items():
            if getattr(shown, name) != value:
                data = apply_field(data, name, value)
        if data == self._data:
            return
        self._data = data
        area = self.json_area
        with self.prevent(TextArea.Changed):
            area.replace(render_document(data), (0, 0), area.document.end)
        self._schedule_validation()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        box = event.input
        if box.has_class("env-key") or box.has_class("env-value"):
            self._form_edited("envs")
        elif box.id and box.id.startswith("f-"):
            self._form_edited(box.id[2:])

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "f-instance":
            custom = event.value == CUSTOM
            self.query_one("#custom-resources").display = custom
            if custom:  # what is already typed in cpu / memory / gpu applies again
                self._form_edited("instance", "cpu", "memory", "gpu")
            else:
                self._form_edited("instance")
        elif event.select.id == "f-cluster":
            self._form_edited("cluster")
            if isinstance(event.value, str) and event.value != self._instances_cluster:
                self.load_cluster(event.value)

    @on(RadioSet.Changed, "#f-mode")
    def _mode_changed(self) -> None:
        self._form_edited("mode")

    @on(Button.Pressed, "#env-add")
    async def _add_env(self, event: Button.Pressed) -> None:
        event.stop()
        row = EnvRow()
        self._env_rows.append(row)
        await self.query_one("#env-rows", Vertical).mount(row)
        row.query_one(".env-key", Input).focus()

    @on(Button.Pressed, ".env-remove")
    def _remove_env(self, event: Button.Pressed) -> None:
        event.stop()
        row = next((r for r in self._env_rows if event.button in r.children), None)
        if row is None:
            return
        self._env_rows.remove(row)
        row.remove()
        self._form_edited("envs")

    @on(Button.Pressed, "#pick-bento")
    def _pick_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_pick_bento()

    # ------------------------------------------------------------------ JSON -> form, validation

    @on(TextArea.Changed, "#editor-json")
    def _json_changed(self) -> None:
        self._json_pending = True
        self._schedule_validation()

    def _schedule_validation(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(VALIDATE_DEBOUNCE_S, self._revalidate)

    def _revalidate(self, apply_to_form: bool = True) -> Check:
        """Validate the JSON now; when it was typed and parses, refill the form from it."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        check = check_document(self.text, editing=self.deployment, clusters=self._clusters())
        self._check = check
        if check.data is not None:
            if apply_to_form and self._json_pending:
                self._data = check.data
                self._show_values(read_form_values(check.data))
            self._set_paused(False)
        else:
            self._set_paused(True, check)
        self._json_pending = False
        self._paint_status(check)
        self.refresh_bindings()
        return check

    def _set_paused(self, paused: bool, check: Check | None = None) -> None:
        self._paused = paused
        self.query_one("#form-fields").disabled = paused
        banner = self.query_one("#editor-paused", Static)
        banner.display = paused
        if paused and check is not None:
            if check.line:
                why = f"the JSON parses again (line {check.line}, column {check.column})"
            else:
                why = "the JSON is an object {…} again"
            banner.update(Text(f"The form is paused until {why}.", style="bold yellow"))

    def _paint_status(self, check: Check) -> None:
        status = self.query_one("#editor-status", Static)
        if self._submitting:
            status.update(Text("… sending", style="bold"))
            return
        if check.valid:
            doc = check.document
            assert doc is not None
            text = Text("✓ valid", style="bold green")
            verb = "create" if self.creating else "update"
            cluster = doc.cluster_name or self.cluster
            text.append(f" · ctrl+s to {verb} {doc.name} on {cluster}", style="dim")
            status.update(sanitize(text))
            return
        text = Text()
        if not check.parses:
            text.append("✗ JSON syntax error: ", style="bold red")
            text.append(check.problems[0])
        else:
            count = len(check.problems)
            text.append(f"✗ {count} problem{'s' if count != 1 else ''}", style="bold red")
            for problem in sorted(check.problems, key=_form_rank)[:3]:
                text.append(f"\n  {problem}")
            if count > 3:
                text.append(f"\n  … and {count - 3} more", style="dim")
        status.update(sanitize(text, keep_newlines=True))  # problems quote what was typed

    # ------------------------------------------------------------------ submit

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            if getattr(self.app, "read_only", False):
                return False
            if self._submitting or self._check is None or not self._check.valid:
                return None  # shown, but disabled
        return True

    def action_submit(self) -> None:
        check = self._revalidate()  # never submit a stale verdict
        if not check.valid or self._submitting:
            self.app.bell()
            return
        assert check.document is not None
        self.submit(check.document)

    @work(exclusive=True, group="editor-submit", exit_on_error=False)
    async def submit(self, document: m.FullDeploymentSchema) -> None:
        session = self.app.session
        if session is None:
            self._show_server_error("not connected")
            return
        if getattr(self.app, "read_only", False):
            self.app.notify("read-only mode: changes are disabled", severity="warning")
            return
        self._submitting = True
        self._show_server_error(None)
        self._paint_status(self.check)
        self.refresh_bindings()
        cluster = document.cluster_name or self.cluster
        try:
            if self.deployment is None:
                result = await session.client.create_deployment(cluster, document)
            else:
                result = await session.client.update_deployment(
                    self.deployment.cluster.name, self.deployment.name, document,
                    self.deployment.kube_namespace)
        except ApiError as exc:
            self._submitting = False
            unreachable = isinstance(exc, ConnectionFailed)
            self._show_server_error(exc.message, unreachable=unreachable)
            self._paint_status(self.check)
            self.refresh_bindings()
            title = ("Not sent: the server cannot be reached" if unreachable
                     else "The server refused the deployment")
            self.app.notify(exc.message, title=title, severity="error", timeout=10)
            return
        self._done = True
        verb = "Created" if self.deployment is None else "Updated"
        revision = f" (revision {result.latest_revision.name})" if result.latest_revision else ""
        self.app.notify(f"{verb} {result.name} on {result.cluster.name}{revision}", title="Deployment")
        app = self.app
        self.dismiss(result)
        if session.cluster != result.cluster.name and result.cluster.name in session.clusters:
            app.switch_cluster(result.cluster.name)
        app.post_message(OpenDeployment(result))  # the app routes it (tui/app.py)

    def _show_server_error(self, message: str | None, unreachable: bool = False) -> None:
        self.server_error = message
        box = self.query_one("#editor-error", Static)
        box.display = bool(message)
        if message:
            # A refusal and no answer at all are different: the second is worth retrying as is.
            lead = "✗ Not sent, the text is kept (ctrl+s retries): " if unreachable else \
                "✗ The server refused it: "
            text = Text(lead, style="bold")
            text.append(message)
            box.update(sanitize(text, keep_newlines=True))  # the server's words

    # ------------------------------------------------------------------ other keys

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return
        self._confirm_discard()

    @work(exclusive=True, group="editor-cancel", exit_on_error=False)
    async def _confirm_discard(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        what = "the new deployment" if self.creating else f"your changes to {self.deployment.name}"  # type: ignore[union-attr]
        if await self.app.push_screen_wait(
            ConfirmScreen("Discard changes?", f"Leave the editor and discard {what}?", yes="Discard",
                          no="Keep editing")):
            self._done = True
            self.dismiss(None)

    def action_no_quit(self) -> None:
        self.notify("esc leaves the editor first (ctrl+q quits at once)", severity="warning")

    def action_pick_bento(self) -> None:
        from tui.screens.bento_picker import BentoPicker

        if self._paused:
            self.app.bell()
            return
        values = read_form_values(self._data)

        def chosen(pick: tuple[str, str] | None) -> None:
            if not pick:
                return
            repo, version = pick
            with self.prevent(Input.Changed):
                self.query_one("#f-repo", Input).value = repo
                self.query_one("#f-version", Input).value = version
            self._form_edited("repo", "version")

        self.app.push_screen(BentoPicker(values.repo, values.version), chosen)

    def _replace_json(self, text: str) -> None:
        """New text for the JSON pane from outside (a file, $EDITOR): undoable, then applied."""
        area = self.json_area
        with self.prevent(TextArea.Changed):
            area.replace(text, (0, 0), area.document.end)
        self._json_pending = True
        self._revalidate()

    def _default_file_name(self) -> str:
        name = read_form_values(self._data).name if self._check and self._check.parses else ""
        return f"{name or 'deployment'}.json"

    def action_load_file(self) -> None:
        from tui.screens.file_prompt import FilePrompt

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self.notify(f"cannot read {path}: {exc}", severity="error")
                return
            self._replace_json(text)
            self.notify(f"Loaded {path}")

        self.app.push_screen(FilePrompt("Load a deployment JSON file", str(Path.cwd()) + os.sep,
                                        must_exist=True), chosen)

    def action_save_file(self) -> None:
        self._save_file()

    @work(exclusive=True, group="editor-save", exit_on_error=False)
    async def _save_file(self) -> None:
        from tui.screens.confirm import ConfirmScreen
        from tui.screens.file_prompt import FilePrompt

        path = await self.app.push_screen_wait(
            FilePrompt("Save the JSON to a file", str(Path.cwd() / self._default_file_name())))
        if path is None:
            return
        if path.exists() and not await self.app.push_screen_wait(
                ConfirmScreen("Overwrite?", f"{path} exists. Overwrite it?", yes="Overwrite")):
            return
        text = self.text
        try:
            path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc}", severity="error")
            return
        note = "" if self.check.valid else " (it still has problems)"
        self.notify(f"Saved the JSON to {path}{note}")

    def action_external_editor(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        before = self.text
        handle, name = tempfile.mkstemp(suffix=".json", prefix="bentotui-")
        path = Path(name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(before)
            try:
                with self.app.suspend():
                    code = subprocess.call([*shlex.split(editor), str(path)])
            except SuspendNotSupported:
                self.notify("this terminal cannot be handed to $EDITOR", severity="error")
                return
            except OSError as exc:
                self.notify(f"cannot run {editor!r}: {exc}", severity="error")
                return
            after = path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)
        if code != 0:
            self.notify(f"{editor} exited with status {code}", severity="warning")
        if after != before:
            self._replace_json(after)
            check = self._check
            if check is not None and not check.valid:
                self.notify("the edited JSON has problems: see the status line", severity="warning")
