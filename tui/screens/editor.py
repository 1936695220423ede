"""Create or update a deployment: a form and the `--file` JSON side by side, always in step.

The JSON pane holds the truth (the document `bentoml deployment create --file` takes).  Each
form edit rewrites only the one field it owns in the last parsed document and re-renders the
JSON; each JSON edit (debounced) refills the form when the text parses.  While the JSON is not
parseable the form is paused (disabled) rather than overwriting what is being typed, so nothing
typed is ever lost.  Validation is the models' own (`parse_deployment_file`): malformed JSON
reports line and column, schema problems report the field path, and `ctrl+s` is disabled until
the document is valid.  Side by side from 100 columns, stacked below.

The document logic lives in `tui.documents.v1` and the form in `tui.widgets.deployment_form`;
this screen keeps them in step and talks to the server.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Static, TextArea

from tui.api import models as m
from tui.api.errors import ApiError, ConnectionFailed
from tui.documents.v1 import (
    Check,
    FormValues,
    apply_field,
    check_document,
    create_template,
    edit_document,
    form_rank,
    read_form_values,
)
from tui.messages import OpenDeployment
from tui.screens.breakpoints import apply_horizontal_breakpoints
from tui.screens.stylesheets import STYLES
from tui.widgets.context_bar import ContextBar
from tui.widgets.deployment_form import DeploymentForm
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_inputs import SafeTextArea
from tui.widgets.safe_text import escape_json, sanitize
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.app import BentoTUI

VALIDATE_DEBOUNCE_S = 0.15


def render_document(data: dict[str, Any]) -> str:
    """The document as the JSON pane shows it: nothing hostile inside its strings."""
    return escape_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


class EditorScreen(ReportsWorkerErrors, Screen[m.DeploymentSchema | None]):
    """Create (POST) or update (PATCH, a new revision) one deployment."""

    CSS_PATH = STYLES / "editor.tcss"  # read when first shown (tui/screens/stylesheets.py)

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
            yield self._make_form()
            with Vertical(id="editor-json-pane"):
                yield Static(self.PANE_TITLE, classes="pane-title")
                yield SafeTextArea.code_editor(self._initial_text, language="json", id="editor-json")
        yield Static(id="editor-status")
        yield KeysFooter()

    # ------------------------------------------------------------------ the document's kind
    # The v2 editor (tui/screens/editor_v2.py) overrides these; the rest is shared.

    PANE_TITLE = "JSON · the --file document"
    FIRST_UPDATE_FIELD = "#f-description"  # focused when updating (the name is fixed)

    def _make_form(self) -> Any:
        return DeploymentForm(creating=self.creating, cluster=self.cluster, clusters=self._clusters())

    def _read(self, data: dict[str, Any]) -> Any:
        return read_form_values(data)

    def _apply(self, data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        return apply_field(data, name, value)

    def _shown_value(self, values: Any, name: str) -> Any:
        """One form field's value in `values` (what `_read` gave)."""
        return getattr(values, name)

    def _check_text(self, text: str) -> Any:
        return check_document(text, editing=self.deployment, clusters=self._clusters())

    def _problem_rank(self, problem: str) -> int:
        return form_rank(problem)

    def _status_target(self, document: Any) -> tuple[str, str]:
        """The deployment's name and cluster, for the status line."""
        return document.name, document.cluster_name or self.cluster

    async def _fetch_instances(self, cluster: str) -> list[Any]:
        session = self.app.session
        assert session is not None
        return list((await session.client.get_cluster(cluster)).resource_instances)

    def _offer_instances(self, instances: list[Any]) -> None:
        self.form.set_instances(instances, self._read(self._data).instance)

    def _current_bento(self) -> tuple[str, str]:
        values = self._read(self._data)
        return values.repo, values.version

    def _bento_picked(self, repo: str, version: str) -> None:
        self.form.set_bento(repo, version)
        self._form_edited({"repo": repo, "version": version})

    def _text_from_file(self, path: Path, text: str) -> str:
        return text

    def _text_for_file(self, path: Path) -> str:
        text = self.text
        return text if text.endswith("\n") else text + "\n"

    async def _send(self, session: Any, document: Any) -> m.DeploymentSchema:
        """Create or update on the server; the deployment as the list and detail show it."""
        cluster = document.cluster_name or self.cluster
        if self.deployment is None:
            return await session.client.create_deployment(cluster, document)
        return await session.client.update_deployment(
            self.deployment.cluster.name, self.deployment.name, document,
            self.deployment.kube_namespace)

    # ------------------------------------------------------------------ mounting

    def on_mount(self) -> None:
        self.query_one("#editor-error", Static).display = False
        self._show_values(self._read(self._data))
        self._revalidate(apply_to_form=False)
        self.load_cluster(self.cluster)
        self.query_one("#f-name" if self.creating else self.FIRST_UPDATE_FIELD).focus()
        self.call_after_refresh(self._set_ready)

    def _set_ready(self) -> None:
        self._ready = True
        # keys typed in the first frame changed the inputs while edits were not yet taken in
        form = self.form
        self._form_edited(form.values_of(*(name for name in form.TYPED if form.has_field(name))))

    def _clusters(self) -> list[str]:
        session = getattr(self.app, "session", None)
        return list(session.clusters) if session else []

    @property
    def form(self) -> Any:
        return self.query_one("#editor-form")

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
            instances = await self._fetch_instances(cluster)
        except ApiError as exc:
            self._note(f"instance types of {cluster}: {exc.message}")
            return
        self._instances_cluster = cluster
        self._offer_instances(instances)

    # ------------------------------------------------------------------ document -> form

    def _show_values(self, values: FormValues) -> None:
        """Put `values` into the form (it posts nothing for that)."""
        targets = self._data.get("targets")
        self.form.show_values(values, len(targets) if isinstance(targets, list) else 0)

    def _note(self, text: str) -> None:
        self.form.note(text)

    # ------------------------------------------------------------------ form -> document

    def _form_edited(self, values: dict[str, Any]) -> None:
        """The user changed form fields: write just those into the document."""
        if not self._ready or self._paused or self._done:
            return
        if self._json_pending:  # typed JSON not applied yet: take it in first
            self._revalidate()
            if self._paused:
                return
        shown = self._read(self._data)
        data = self._data
        for name, value in values.items():
            if self._shown_value(shown, name) != value:
                data = self._apply(data, name, value)
        if data == self._data:
            return
        self._data = data
        area = self.json_area
        with self.prevent(TextArea.Changed):
            area.replace(render_document(data), (0, 0), area.document.end)
        self._schedule_validation()

    @on(DeploymentForm.Edited)
    def _form_changed(self, event: Any) -> None:
        event.stop()
        self._form_edited(event.values)
        cluster = event.values.get("cluster")
        if cluster and cluster != self._instances_cluster:
            self.load_cluster(cluster)

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
        check = self._check_text(self.text)
        self._check = check
        if check.data is not None:
            if apply_to_form and self._json_pending:
                self._data = check.data
                self._show_values(self._read(check.data))
            self._set_paused(False)
        else:
            self._set_paused(True, check)
        self._json_pending = False
        self._paint_status(check)
        self.refresh_bindings()
        return check

    def _set_paused(self, paused: bool, check: Check | None = None) -> None:
        self._paused = paused
        why = ""
        if paused and check is not None:
            if check.line:
                why = f"the JSON parses again (line {check.line}, column {check.column})"
            else:
                why = "the JSON is an object {…} again"
        self.form.set_paused(paused, why)

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
            name, cluster = self._status_target(doc)
            text.append(f" · ctrl+s to {verb} {name} on {cluster}", style="dim")
            status.update(sanitize(text))
            return
        text = Text()
        if not check.parses:
            text.append("✗ JSON syntax error: ", style="bold red")
            text.append(check.problems[0])
        else:
            count = len(check.problems)
            text.append(f"✗ {count} problem{'s' if count != 1 else ''}", style="bold red")
            for problem in sorted(check.problems, key=self._problem_rank)[:3]:
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
        try:
            result = await self._send(session, document)
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
        repo, version = self._current_bento()

        def chosen(pick: tuple[str, str] | None) -> None:
            if pick:
                self._bento_picked(*pick)

        self.app.push_screen(BentoPicker(repo, version), chosen)

    def _replace_json(self, text: str) -> None:
        """New text for the JSON pane from outside (a file, $EDITOR): undoable, then applied."""
        area = self.json_area
        with self.prevent(TextArea.Changed):
            area.replace(text, (0, 0), area.document.end)
        self._json_pending = True
        self._revalidate()

    def _default_file_name(self) -> str:
        name = self._read(self._data).name if self._check and self._check.parses else ""
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
            self._replace_json(self._text_from_file(path, text))
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
        try:
            path.write_text(self._text_for_file(path), encoding="utf-8")
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
