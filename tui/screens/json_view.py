"""A read-only, highlighted JSON view (`y`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from tui.widgets.footer import KeysFooter
from tui.widgets.safe_text import safe
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.app import BentoTUI


class JsonScreen(ReportsWorkerErrors, ModalScreen[None]):
    app: BentoTUI
    BINDINGS = [
        Binding("escape,q,y", "dismiss", "Close", id="json.close"),
        Binding("c", "copy", "Copy JSON", id="json.copy"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="json-dialog"):
            yield Static(safe(self.title_text), classes="dialog-title")
            yield TextArea.code_editor(self.text, language="json", read_only=True, id="json-view")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_copy(self) -> None:
        self.app.copy_text(self.text, what="JSON", shown=f"{len(self.text)} characters")
