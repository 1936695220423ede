"""The v2 deployment form: the fields of a bentoml 1.4 `-f` document as inputs.

Like the v1 form it owns only its widgets and posts `DeploymentForm.Edited` with the changed
fields' values; field names are those of `tui.documents.v2.FormValues`, and
`service:<key>:<instance|min|max|envs>` for one service's row.  The services shown are the
document's (one row for the entry service when it names none).  Envs and labels are `KEY=value`
lines (`PairsBox`): sent on only when every line reads, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from tui.api import models as m
from tui.documents.v2 import FormValues, ServiceValues
from tui.widgets.deployment_form import DeploymentForm, field_row
from tui.widgets.pairs_box import PairsBox
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import safe, safe_block, sanitize


class ServiceRows(Vertical):
    """One service: its instance type, min/max replicas and envs."""

    def __init__(self, index: int, key: str) -> None:
        super().__init__(classes="service-rows")
        self.index = index
        self.key = key

    def compose(self) -> ComposeResult:
        title = Text("Service ", style="bold")
        title.append(self.key or "(entry service)")
        yield Static(sanitize(title), classes="service-title")
        yield field_row("Instance", Select([("cluster default", "")], allow_blank=False, value="",
                                           classes="svc instance"))
        yield field_row("Replicas", Label("min", classes="sub"), SafeInput(classes="num svc min"),
                        Label("max", classes="sub"), SafeInput(classes="num svc max"))
        yield field_row("Envs", PairsBox("NAME", "NAME=value, one a line", classes="svc envs"))

    def on_mount(self) -> None:
        # The rows' inputs exist now: show the document's values (and instance types) in them.
        for form in self.ancestors:
            if isinstance(form, DeploymentFormV2):
                self.call_after_refresh(form.refill)

    def part(self, name: str) -> Any:
        """This service's widget for `instance`, `min`, `max` or `envs`."""
        return self.query_one(f".{name}")


class DeploymentFormV2(VerticalScroll, can_focus=False):
    """The form half of the v2 editor (`#editor-form`), not focusable itself:
    tab and shift+tab go from field to field (a focused field is scrolled into view), never
    to the box around them."""

    TYPED = ("name", "bento", "secrets", "labels")

    class LinesUnread(Message):
        """A `KEY=value` box holds a line that does not read (or reads again): check anew."""

    def __init__(self, *, creating: bool, cluster: str, clusters: list[str]) -> None:
        super().__init__(id="editor-form")
        self.creating = creating
        self.cluster = cluster
        self._services: list[str] = []
        self._rows: list[ServiceRows] = []
        self._instances: list[m.ResourceInstanceSchema] = []
        self._shown: FormValues | None = None

    def compose(self) -> ComposeResult:
        banner = Static(id="editor-paused")
        banner.display = False  # shown only while the document does not parse
        yield banner
        with Vertical(id="form-fields"):
            if self.creating:
                yield field_row("Name", SafeInput(placeholder="lowercase-dns-name", id="f-name"))
            yield field_row("Bento", SafeInput(placeholder="repository:version", id="f-bento"),
                            Button("Find…", id="pick-bento", tooltip="ctrl+f"))
            yield field_row("Access", Checkbox("authorization required", id="f-access"))
            yield field_row("Secrets", SafeInput(placeholder="secret-a, secret-b", id="f-secrets"))
            yield field_row("Labels", PairsBox("key", "key=value, one a line", id="f-labels"))
            yield Vertical(id="services")
            yield Static(id="form-note")

    # ------------------------------------------------------------------ reading the widgets

    def field_value(self, name: str) -> Any:
        if name == "access":
            return self.query_one("#f-access", Checkbox).value
        if name.startswith("service:"):
            key, _, part = name[len("service:"):].rpartition(":")
            widget = self._rows[self._services.index(key)].part(part)
            if part == "instance":
                return widget.value if isinstance(widget.value, str) else ""
            return widget.read().pairs if part == "envs" else widget.value
        if name == "labels":
            return self.query_one("#f-labels", PairsBox).read().pairs
        return self.query_one(f"#f-{name}", Input).value

    def unread_lines(self) -> list[str]:
        """Lines of the envs and labels boxes that do not read, each with where it is."""
        problems: list[str] = []
        for box in self.query(PairsBox):
            row = next((a for a in box.ancestors if isinstance(a, ServiceRows)), None)
            where = "labels" if row is None else f"envs of {row.key or 'the entry service'}"
            problems.extend(f"{where}: {problem}" for problem in box.problems)
        return problems

    def values_of(self, *names: str) -> dict[str, Any]:
        return {name: self.field_value(name) for name in names}

    def has_field(self, name: str) -> bool:
        return bool(self.query(f"#f-{name}"))

    def _edited(self, *names: str) -> None:
        self.post_message(DeploymentForm.Edited(self.values_of(*names)))

    def _service_field(self, widget: Any) -> str | None:
        row = next((a for a in widget.ancestors if isinstance(a, ServiceRows)), None)
        if row is None or row not in self._rows:
            return None
        part = next(c for c in ("instance", "min", "max", "envs") if widget.has_class(c))
        return f"service:{row.key}:{part}"

    # ------------------------------------------------------------------ user edits -> messages

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        box_id = event.input.id or ""
        if event.input.has_class("svc"):
            name = self._service_field(event.input)
            if name:
                self._edited(name)
        elif box_id.startswith("f-"):
            self._edited(box_id[2:])

    @on(TextArea.Changed, ".pairs-text")
    def _pairs_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        box = next((a for a in event.text_area.ancestors if isinstance(a, PairsBox)), None)
        if box is None or box.json_only:
            return
        had = bool(box.problems)
        read = box.read()
        if not read.problems:
            name = "labels" if box.id == "f-labels" else self._service_field(box)
            if name:
                self._edited(name)
        if had or read.problems:
            self.post_message(self.LinesUnread())

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        name = self._service_field(event.select) if event.select.has_class("svc") else None
        if name:
            self._edited(name)

    @on(Checkbox.Changed, "#f-access")
    def _access_changed(self) -> None:
        self._edited("access")

    # ------------------------------------------------------------------ document -> widgets

    def show_values(self, values: FormValues, _count: int = 0) -> None:
        """Put `values` into the widgets without posting `Edited`."""
        self._shown = values
        keys = [s.key for s in values.services]
        if keys != self._services:
            holder = self.query_one("#services", Vertical)
            holder.remove_children()
            self._services = keys
            self._rows = [ServiceRows(i, key) for i, key in enumerate(keys)]
            holder.mount_all(self._rows)
            self.call_after_refresh(self.refill)  # the rows have their inputs after this refresh
        self._fill(values)

    def refill(self) -> None:
        """The service rows were just mounted: show their values (the rest is shown already,
        and may have been typed over since)."""
        if self._shown is not None:
            with self.prevent(Input.Changed, Select.Changed, TextArea.Changed):
                self._fill_services(self._shown)

    def _fill(self, values: FormValues) -> None:
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed, TextArea.Changed):
            for name in ("name", "bento", "secrets"):
                for box in self.query(f"#f-{name}").results(Input):
                    if box.value != getattr(values, name):
                        box.value = getattr(values, name)
            access = self.query_one("#f-access", Checkbox)
            if access.value != values.access:
                access.value = values.access
            self.query_one("#f-labels", PairsBox).show_pairs(values.labels)
            self._fill_services(values)

    def _fill_services(self, values: FormValues) -> None:
        for row, service in zip(self._rows, values.services, strict=False):
            if row.is_mounted and row.query(".svc"):
                self._fill_service(row, service)

    def _fill_service(self, row: ServiceRows, service: ServiceValues) -> None:
        for part, text in (("min", service.min), ("max", service.max)):
            box = row.part(part)
            if box.value != text:
                box.value = text
        row.part("envs").show_pairs(service.envs)
        select = row.part("instance")
        select.set_options(self._instance_options(service.instance))
        select.value = service.instance

    def set_bento(self, repo: str, version: str) -> None:
        with self.prevent(Input.Changed):
            self.query_one("#f-bento", Input).value = f"{repo}:{version}" if version else repo

    def set_instances(self, instances: list[m.ResourceInstanceSchema]) -> None:
        """The cluster's instance types arrived: offer them in every service."""
        self._instances = list(instances)
        with self.prevent(Select.Changed):
            for row in self._rows:
                if row.is_mounted and row.query(".svc"):
                    select = row.part("instance")
                    current = select.value if isinstance(select.value, str) else ""
                    select.set_options(self._instance_options(current))
                    select.value = current

    def _instance_options(self, current: str) -> list[tuple[Any, str]]:
        """The cluster's instance types; their names are the server's words, shown as data."""
        options: list[tuple[Any, str]] = [("cluster default", "")]
        for inst in self._instances:
            label = inst.display_name or inst.name
            if inst.description:
                label += f" · {inst.description}"
            options.append((safe(label), inst.name))
        if current and current not in {v for _, v in options}:
            options.append((safe(f"{current} (not offered by this cluster)"), current))
        return options

    def note(self, text: str) -> None:
        note = self.query_one("#form-note", Static)
        note.update(safe_block(text, style="dim italic"))
        note.display = bool(text)

    def set_paused(self, paused: bool, why: str = "") -> None:
        self.query_one("#form-fields").disabled = paused
        banner = self.query_one("#editor-paused", Static)
        banner.display = paused
        if paused and why:
            banner.update(Text(f"The form is paused until {why}.", style="bold yellow"))
