"""Pick one of a few names (cluster, context)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.footer import KeysFooter
from tui.widgets.safe_text import safe
from tui.widgets.worker_errors import ReportsWorkerErrors


class PickerScreen(ReportsWorkerErrors, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel")]

    def __init__(self, what: str, choices: list[str], current: str | None = None) -> None:
        super().__init__()
        self.what = what
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog"):
            yield Static(f"Switch {self.what.lower()}", classes="dialog-title")
            yield OptionList(*[
                Option(safe(("● " if c == self.current else "  ") + c), id=str(i))
                for i, c in enumerate(self.choices)
            ])
        yield KeysFooter()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.choices:
            options.highlighted = self.choices.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])
