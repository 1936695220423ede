"""The v1 deployment form: the fields of a `--file` document as inputs.

It owns only its widgets.  Every change the user makes is posted as a `DeploymentForm.Edited`
message naming the fields and their new values; the editor screen decides what that does to
the document.  The screen fills it with `show_values` (no messages are posted for that).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from tui.api import models as m
from tui.documents.v1 import CUSTOM, FormValues
from tui.widgets.choice import ChoiceButton
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import safe_block

MODE_HELP = {  # title, and one line saying what it means (fits the form at 80 and 120 columns)
    "deployment": ("Online Service", "always on, direct routing"),
    "function": ("On-Demand Function", "scales to zero, queued"),
}

# The form's free-text inputs (what a key typed before the screen is ready can change).
TYPED_FIELDS = ("name", "description", "repo", "version", "min", "max", "cpu", "memory", "gpu")


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


def field_row(label: str, *widgets: Any, id: str | None = None) -> Horizontal:
    """A form line: its label, then its inputs."""
    return Horizontal(Label(label, classes="field-label"), *widgets, classes="field", id=id)


class DeploymentForm(VerticalScroll, can_focus=False):
    """The form half of the editor (`#editor-form`), not focusable itself:
    tab and shift+tab go from field to field (a focused field is scrolled into view), never
    to the box around them."""

    TYPED = TYPED_FIELDS

    class Edited(Message):
        """The user changed these fields (name -> the value the form now shows)."""

        def __init__(self, values: dict[str, Any]) -> None:
            super().__init__()
            self.values = values

    def __init__(self, *, creating: bool, cluster: str, clusters: list[str]) -> None:
        super().__init__(id="editor-form")
        self.creating = creating
        self.cluster = cluster
        self.clusters = clusters
        self._env_rows: list[EnvRow] = []
        self._instances: list[m.ResourceInstanceSchema] = []

    def compose(self) -> ComposeResult:
        banner = Static(id="editor-paused")
        banner.display = False  # shown only while the JSON does not parse
        yield banner
        with Vertical(id="form-fields"):
            if self.creating:
                yield field_row("Name", SafeInput(placeholder="lowercase-dns-name", id="f-name"))
                clusters = self.clusters or [self.cluster]
                yield field_row("Cluster", Select([(c, c) for c in clusters], allow_blank=False,
                                                  value=self.cluster if self.cluster in clusters
                                                  else clusters[0], id="f-cluster"))
            yield field_row("Description", SafeInput(placeholder="optional", id="f-description"))
            with Horizontal(classes="field", id="mode-field"):
                yield Label("Mode", classes="field-label")
                with RadioSet(id="f-mode"):
                    for mode, (title, meaning) in MODE_HELP.items():
                        label = Text(title)
                        label.append(f" · {meaning}", style="dim")
                        yield ChoiceButton(label, id=f"mode-{mode}")
            yield field_row("Bento", SafeInput(placeholder="repository", id="f-repo"),
                            Button("Find…", id="pick-bento", tooltip="ctrl+f"))
            yield field_row("Version", SafeInput(placeholder="bento version", id="f-version"))
            yield field_row("Replicas", Label("min", classes="sub"), SafeInput(id="f-min", classes="num"),
                            Label("max", classes="sub"), SafeInput(id="f-max", classes="num"))
            yield field_row("Resources", Select([("cluster default", "")], allow_blank=False,
                                                value="", id="f-instance"))
            yield field_row("", Label("cpu", classes="sub"), SafeInput(placeholder="500m", id="f-cpu"),
                            Label("mem", classes="sub"), SafeInput(placeholder="1Gi", id="f-memory"),
                            Label("gpu", classes="sub"), SafeInput(placeholder="0", id="f-gpu"),
                            id="custom-resources")
            with Horizontal(classes="field"):
                yield Label("Environment", classes="field-label")
                yield Button("+ add variable", id="env-add")
            yield Vertical(id="env-rows")
            yield Static(id="form-note")

    # ------------------------------------------------------------------ reading the widgets

    def field_value(self, name: str) -> Any:
        """What the form shows for one field (as `FormValues` spells it)."""
        if name == "envs":
            return self.current_envs()
        if name == "mode":
            for mode in MODE_HELP:
                if self.query_one(f"#mode-{mode}", RadioButton).value:
                    return mode
            return ""
        if name in ("cluster", "instance"):
            value = self.query_one(f"#f-{name}", Select).value
            return value if isinstance(value, str) else ""
        return self.query_one(f"#f-{name}", Input).value

    def values_of(self, *names: str) -> dict[str, Any]:
        return {name: self.field_value(name) for name in names}

    def has_field(self, name: str) -> bool:
        return bool(self.query(f"#f-{name}"))

    def current_envs(self) -> tuple[tuple[str, str], ...]:
        return tuple((r.env_key, r.env_value) for r in self._env_rows if r.env_key or r.env_value)

    def _edited(self, *names: str) -> None:
        self.post_message(self.Edited(self.values_of(*names)))

    # ------------------------------------------------------------------ user edits -> messages

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        box = event.input
        if box.has_class("env-key") or box.has_class("env-value"):
            self._edited("envs")
        elif box.id and box.id.startswith("f-"):
            self._edited(box.id[2:])

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "f-instance":
            custom = event.value == CUSTOM
            self.query_one("#custom-resources").display = custom
            if custom:  # what is already typed in cpu / memory / gpu applies again
                self._edited("instance", "cpu", "memory", "gpu")
            else:
                self._edited("instance")
        elif event.select.id == "f-cluster":
            self._edited("cluster")

    @on(RadioSet.Changed, "#f-mode")
    def _mode_changed(self) -> None:
        self._edited("mode")

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
        self._edited("envs")

    # ------------------------------------------------------------------ document -> widgets

    def show_values(self, values: FormValues, target_count: int) -> None:
        """Put `values` into the widgets without posting `Edited`."""
        with self.prevent(Input.Changed, Select.Changed, RadioSet.Changed, RadioButton.Changed):
            for name in ("name", "description", "repo", "version", "min", "max", "cpu", "memory", "gpu"):
                for box in self.query(f"#f-{name}").results(Input):
                    if box.value != getattr(values, name):
                        box.value = getattr(values, name)
            for select in self.query("#f-cluster").results(Select):
                choices = self.clusters or [self.cluster]
                if values.cluster and values.cluster not in choices:
                    choices = [*choices, values.cluster]
                select.set_options([(c if c in self.clusters else f"{c} (unknown)", c) for c in choices])
                select.value = values.cluster or choices[0]
        self._show_mode(values.mode)
        self.show_instance(values.instance)
        self._show_envs(values.envs)
        self.note("" if target_count <= 1 else
                  f"The form edits targets[0]; the other {target_count - 1} target(s) only in the JSON.")

    def set_bento(self, repo: str, version: str) -> None:
        """A bento picked elsewhere; the caller writes it into the document."""
        with self.prevent(Input.Changed):
            self.query_one("#f-repo", Input).value = repo
            self.query_one("#f-version", Input).value = version

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

    def _show_envs(self, pairs: tuple[tuple[str, str], ...]) -> None:
        if self.current_envs() == pairs:
            return
        holder = self.query_one("#env-rows", Vertical)
        rows = [r for r in self._env_rows if r.env_key or r.env_value]
        if len(rows) == len(pairs) and len(rows) == len(self._env_rows):
            with self.prevent(Input.Changed):
                for row, (k, v) in zip(rows, pairs, strict=False):
                    row.set_pair(k, v)
            return
        for row in self._env_rows:
            row.remove()
        self._env_rows = [EnvRow(k, v) for k, v in pairs]
        if self._env_rows:
            holder.mount(*self._env_rows)

    def set_instances(self, instances: list[m.ResourceInstanceSchema], current: str) -> None:
        """The cluster's resource instances arrived: offer them."""
        self._instances = list(instances)
        self.show_instance(current)

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

    def show_instance(self, current: str) -> None:
        select = self.query_one("#f-instance", Select)
        with self.prevent(Select.Changed):
            select.set_options(self._instance_options(current))
            select.value = current
        self.query_one("#custom-resources").display = current == CUSTOM

    def note(self, text: str) -> None:
        note = self.query_one("#form-note", Static)
        note.update(safe_block(text, style="dim italic"))  # may quote the document's values
        note.display = bool(text)

    def set_paused(self, paused: bool, why: str = "") -> None:
        """Disable the fields while the JSON does not parse, saying until when."""
        self.query_one("#form-fields").disabled = paused
        banner = self.query_one("#editor-paused", Static)
        banner.display = paused
        if paused and why:
            banner.update(Text(f"The form is paused until {why}.", style="bold yellow"))
