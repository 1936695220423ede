"""Quick scale (`s`): min / max replicas per component, checked as typed, sent on Enter.

The dialog does not know the API: the flow (`actions.scale_deployment`) hands it the current
bounds and a `submit` coroutine that sends them and returns the server's refusal (or None).
A refusal is shown here and every typed value stays; success dismisses with True.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.documents.scaling import Replicas, Wanted, parse_bounds
from tui.screens.stylesheets import STYLES
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import safe, safe_block
from tui.widgets.worker_errors import ReportsWorkerErrors

Submit = Callable[[Wanted], Awaitable[str | None]]


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


class ScaleScreen(ReportsWorkerErrors, ModalScreen[bool]):
    """Min and max replicas of each component of one deployment."""

    CSS_PATH = STYLES / "scale.tcss"  # read when first shown (tui/screens/stylesheets.py)

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="scale.cancel"),
        Binding("ctrl+s", "submit", "Scale", id="scale.submit"),
    ]

    def __init__(self, name: str, components: Sequence[Replicas], submit: Submit) -> None:
        super().__init__()
        self.target_name = name
        self.components = list(components)
        self._submit = submit
        self.sending = False

    def compose(self) -> ComposeResult:
        with Vertical(id="scale-dialog"):
            title = Text("Scale ")
            title.append_text(safe(self.target_name))
            yield Static(title, classes="dialog-title")
            yield Static("min / max replicas (both empty: unchanged) · enter sends", id="scale-hint")
            with VerticalScroll(id="scale-rows"):  # many runners scroll, the buttons stay
                for index, part in enumerate(self.components):
                    with Horizontal(classes="scale-row"):
                        yield Label(safe(part.component), classes="scale-name")
                        yield SafeInput(_text(part.min_replicas), placeholder="min", type="integer",
                                    id=f"scale-min-{index}", classes="scale-min")
                        yield SafeInput(_text(part.max_replicas), placeholder="max", type="integer",
                                    id=f"scale-max-{index}", classes="scale-max")
            yield Static("", id="scale-error", classes="-hidden")
            with Horizontal(id="scale-buttons"):
                yield Button("Scale (enter)", variant="primary", id="scale-ok")
                yield Button("Cancel (esc)", id="scale-cancel")
        yield KeysFooter()

    def on_mount(self) -> None:
        if self.components:
            self.query_one("#scale-min-0", Input).focus()

    def wanted(self) -> Wanted:
        """The typed bounds; ValueError (with the message to show) when one is wrong."""
        out: Wanted = {}
        for index, part in enumerate(self.components):
            low = self.query_one(f"#scale-min-{index}", Input).value
            high = self.query_one(f"#scale-max-{index}", Input).value
            bounds = parse_bounds(part.component, low, high)
            if bounds is not None:
                out[part.component] = bounds
        return out

    def show_error(self, message: str | None) -> None:
        error = self.query_one("#scale-error", Static)
        error.update(safe_block(message or ""))
        error.set_class(not message, "-hidden")

    @on(Input.Changed)
    def _typed(self) -> None:
        try:
            self.wanted()
        except ValueError as exc:
            self.show_error(str(exc))
        else:
            self.show_error(None)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#scale-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#scale-cancel")
    def _cancel_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_submit(self) -> None:
        if self.sending:
            return
        try:
            wanted = self.wanted()
        except ValueError as exc:
            self.show_error(str(exc))
            self.app.bell()
            return
        self.sending = True
        self.show_error(None)
        self._send(wanted)

    @work(group="scale", exclusive=True)
    async def _send(self, wanted: Wanted) -> None:
        try:
            refusal = await self._submit(wanted)
        finally:
            self.sending = False
        if refusal is None:
            self.dismiss(True)
        else:
            self.show_error(refusal)
