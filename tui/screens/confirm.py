"""Confirmations: type-the-name for terminate/delete, plain y/n for the rest.

`ConfirmByName` never lets Enter or the button through until the typed text equals the
deployment's name exactly; a wrong name on Enter says so on a line of its own, and the locked
button says "locked" in its label (not only in its colour); `escape` always cancels.  The input
starts empty with a hint, never the name itself, so it cannot look pre-filled.  `ConfirmScreen` focuses "No", so a stray
Enter does nothing harmful.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.screens.stylesheets import STYLES
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import safe, safe_block
from tui.widgets.worker_errors import ReportsWorkerErrors

CONSEQUENCES = {
    "terminate": (
        "Its replicas stop and its endpoint becomes unreachable.  The revisions are kept, "
        "and it can be restored later with r."
    ),
    "delete": (
        "This is irreversible: the deployment and all of its revisions are deleted.  "
        "Only terminated deployments can be deleted."
    ),
}


PLACEHOLDER = "type the name to confirm"


class ConfirmByName(ReportsWorkerErrors, ModalScreen[bool]):
    """Type the deployment's name to confirm a destructive action."""

    CSS_PATH = STYLES / "confirm.tcss"  # read when first shown (tui/screens/stylesheets.py)

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm_name.cancel")]

    def __init__(self, verb: str, name: str, cluster: str, consequence: str | None = None) -> None:
        super().__init__()
        self.verb = verb
        self.target_name = name
        self.cluster = cluster
        self.consequence = consequence if consequence is not None else CONSEQUENCES.get(verb.lower(), "")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="-danger"):
            title = Text(f"{self.verb} deployment · cluster ")
            title.append_text(safe(self.cluster))
            yield Static(title, classes="dialog-title")
            if self.consequence:
                yield Static(Text(self.consequence), id="confirm-consequence")
            prompt = Text("Type the name ")
            prompt.append_text(safe(self.target_name, style="bold reverse"))
            prompt.append(" to confirm:")
            yield Static(prompt, id="confirm-prompt")
            yield SafeInput(placeholder=PLACEHOLDER, id="confirm-name")
            yield Static("", id="confirm-error", classes="-hidden")
            with Horizontal(id="confirm-buttons"):
                yield Button(self._ok_label(False), variant="error", disabled=True, id="confirm-ok")
                yield Button("Cancel (esc)", id="confirm-cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#confirm-name", Input).focus()

    @property
    def matches(self) -> bool:
        return self.query_one("#confirm-name", Input).value == self.target_name

    def _ok_label(self, unlocked: bool) -> str:
        return self.verb if unlocked else f"{self.verb} (locked)"

    @on(Input.Changed, "#confirm-name")
    def _typed(self) -> None:
        button = self.query_one("#confirm-ok", Button)
        button.disabled = not self.matches
        button.label = self._ok_label(self.matches)
        self.query_one("#confirm-error", Static).add_class("-hidden")

    @on(Input.Submitted, "#confirm-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.matches:
            self.dismiss(True)
            return
        typed = self.query_one("#confirm-name", Input).value
        message = "✗ type the name first" if not typed else "✗ does not match: type the name exactly"
        error = self.query_one("#confirm-error", Static)
        error.update(Text(message))
        error.remove_class("-hidden")
        self.app.bell()

    @on(Button.Pressed, "#confirm-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        if self.matches:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm-cancel")
    def _cancel_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmScreen(ReportsWorkerErrors, ModalScreen[bool]):
    """A plain yes/no question: `y` confirms, `n` or `escape` cancels."""

    CSS_PATH = STYLES / "confirm.tcss"  # read when first shown (tui/screens/stylesheets.py)

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, message: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(id="yesno-dialog"):
            yield Static(safe(self.title_text), classes="dialog-title")
            yield Static(safe_block(self.message), id="yesno-message")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes_label} (y)", variant="primary", id="yesno-yes")
                yield Button(f"{self.no_label} (n)", id="yesno-no")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#yesno-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yesno-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
