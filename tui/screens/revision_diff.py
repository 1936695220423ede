"""Two revisions of a deployment, as a unified diff of their targets' JSON; `R` rolls back."""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui.api import models as m
from tui.api.deployment_view import revision_body_v2
from tui.documents.v1 import document_of_revision, drop_empty_objects
from tui.messages import FlowRequested
from tui.screens.stylesheets import STYLES
from tui.widgets.context_bar import ContextBar
from tui.widgets.footer import KeysFooter
from tui.widgets.humanize import revision_label
from tui.widgets.safe_text import escape_json, sanitize
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.app import BentoTUI

CONTEXT_LINES = 3


def targets_json(dep: m.DeploymentSchema, revision: m.DeploymentRevisionSchema) -> str:
    """A revision's targets as the `--file` JSON has them (what a rollback would send)."""
    document = document_of_revision(dep, revision)
    targets = [drop_empty_objects(t.to_wire()) for t in document.targets]
    return escape_json(json.dumps(targets, indent=2, ensure_ascii=False))


def config_json_v2(dep: m.DeploymentSchema, revision: m.DeploymentRevisionSchema) -> str:
    """A revision as the v2 body that redeploys it (bento and services): what a v2 user edits."""
    body = revision_body_v2(dep, revision)
    return escape_json(json.dumps(body.to_wire() if body else {}, indent=2, ensure_ascii=False))


def revision_diff(dep: m.DeploymentSchema, old: m.DeploymentRevisionSchema,
                  new: m.DeploymentRevisionSchema, v2: bool = False) -> list[str]:
    """Unified diff lines (no trailing newlines) from `old`'s targets to `new`'s (or, on the
    v2 API, from `old`'s v2 config to `new`'s)."""
    shown = config_json_v2 if v2 else targets_json
    return list(difflib.unified_diff(
        shown(dep, old).splitlines(), shown(dep, new).splitlines(),
        fromfile=f"revision {revision_label(old)}", tofile=f"revision {revision_label(new)}",
        n=CONTEXT_LINES, lineterm="",
    ))


def colour_diff(lines: list[str]) -> Text:
    text = Text(no_wrap=True)
    for line in lines:
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        text.append(line + "\n", style=style)
    return text


class RevisionDiffScreen(ReportsWorkerErrors, Screen[None]):
    """Older revision on the left of the diff (`-`), newer on the right (`+`)."""

    CSS_PATH = STYLES / "interact.tcss"  # read when first shown (tui/screens/stylesheets.py)

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="diff.close"),
        Binding("R", "rollback", "Roll back", id="diff.rollback"),
    ]

    HELP = ("The targets (bento and config) of two revisions, older first: - lines are only in the "
            "older one, + lines only in the newer.  R rolls back to the revision that is not active "
            "(a new revision with its targets).")

    app: BentoTUI

    def __init__(self, deployment: m.DeploymentSchema, rev_a: m.DeploymentRevisionSchema,
                 rev_b: m.DeploymentRevisionSchema, v2: bool = False) -> None:
        super().__init__()
        self.deployment = deployment
        self.old, self.new = sorted((rev_a, rev_b), key=lambda r: r.created_at)
        self.lines = revision_diff(deployment, self.old, self.new, v2)

    @property
    def rollback_target(self) -> m.DeploymentRevisionSchema:
        """The revision a rollback goes to: the one that is not active (else the older)."""
        if self.old.status == m.DeploymentRevisionStatus.ACTIVE and \
                self.new.status != m.DeploymentRevisionStatus.ACTIVE:
            return self.new
        return self.old

    def compose(self) -> ComposeResult:
        yield ContextBar()
        title = Text(f"{self.deployment.name}: ", style="bold")
        title.append(f"{revision_label(self.old)} → {revision_label(self.new)}")
        yield Static(sanitize(title), id="diff-title")
        with VerticalScroll(id="diff-view"):
            if self.lines:
                yield Static(sanitize(colour_diff(self.lines), keep_newlines=True), id="diff-text")
            else:
                yield Static(Text("The two revisions have the same targets.", style="dim"), id="diff-text")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#diff-view").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollback":
            return not self.app.read_only
        return True

    def action_close(self) -> None:
        self.dismiss(None)

    def action_rollback(self) -> None:
        """The app runs the flow (it confirms first); a rollback made closes this screen."""
        self.post_message(FlowRequested("rollback", self.deployment, self.rollback_target,
                                        done=self._rolled_back))

    def _rolled_back(self, result: m.DeploymentSchema | None) -> None:
        if result is not None and self.is_attached:
            self.dismiss(None)
