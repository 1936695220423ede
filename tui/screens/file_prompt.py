"""Ask for a file path (load / save the editor's JSON)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.screens.stylesheets import STYLES
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import safe
from tui.widgets.worker_errors import ReportsWorkerErrors


class FilePrompt(ReportsWorkerErrors, ModalScreen[Path | None]):
    """An Input for a path; Enter answers it (`~` expanded), esc cancels."""

    CSS_PATH = STYLES / "editor.tcss"  # read when first shown (tui/screens/stylesheets.py)

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="file_prompt.cancel")]

    def __init__(self, title: str, default: str = "", *, must_exist: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.must_exist = must_exist

    def compose(self) -> ComposeResult:
        with Vertical(id="file-dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield SafeInput(self.default, placeholder="path/to/deployment.json", id="file-path")
            yield Static(id="file-problem")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#file-path", Input).focus()

    @on(Input.Submitted, "#file-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        raw = event.value.strip()
        if not raw:
            return
        path = Path(raw).expanduser()
        problem = ""
        if self.must_exist and not path.is_file():
            problem = f"no such file: {path}"
        elif not self.must_exist and path.is_dir():
            problem = f"{path} is a directory"
        if problem:
            self.query_one("#file-problem", Static).update(safe(problem, style="bold red"))  # a typed path
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
