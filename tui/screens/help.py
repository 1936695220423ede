"""`?`: every key of the screen below, hidden ones included, with what it does."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.widgets.footer import KeysFooter
from tui.widgets.safe_text import safe
from tui.widgets.worker_errors import ReportsWorkerErrors


def describe_keys(screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) for the bindings active on `screen`.  The id is ""
    for a binding without one (it cannot be remapped): never an action name that the keymap
    would reject."""
    rows: dict[str, tuple[str, str, str]] = {}
    for _key, active in screen.active_bindings.items():
        binding = active.binding
        group = binding.id or binding.action
        label = binding.description or binding.action
        display = screen.app.get_key_display(binding)
        if group in rows:
            keys, desc, ident = rows[group]
            if display not in keys.split(" / "):
                rows[group] = (f"{keys} / {display}", desc, ident)
        else:
            rows[group] = (display, label, binding.id or "")
    # The screen's keys that it hides just now (for the row under the cursor, for room in the
    # footer, in read-only mode) are its keys too: listed, and said to be unavailable.
    for entry in type(screen).BINDINGS:
        if isinstance(entry, Binding) and entry.id and entry.id not in rows:
            keymap = getattr(getattr(screen.app, "settings", None), "keymap", {}) or {}
            keys = keymap.get(entry.id, entry.key).split(",")
            display = " / ".join(screen.app.get_key_display(Binding(k.strip(), entry.action))
                                 for k in keys)
            rows[entry.id] = (display, f"{entry.description} (not now)", entry.id)
    # The screen's own keys first, then the app's, then the focused widget's (scrolling...).
    own = {b.id for b in type(screen).BINDINGS if isinstance(b, Binding) and b.id}
    app_ids = {b.id for b in type(screen.app).BINDINGS if isinstance(b, Binding) and b.id}
    order = {group: (0 if group in own else 1 if group in app_ids else 2) for group in rows}
    return [row for _, row in sorted(rows.items(), key=lambda item: order[item[0]])]


class HelpScreen(ReportsWorkerErrors, ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
        # the keys every list moves by (its own rows say j / k): the arrows alone scrolled here
        Binding("j", "scroll_keys(1)", "Down", show=False, id="help.down"),
        Binding("k", "scroll_keys(-1)", "Up", show=False, id="help.up"),
    ]

    def __init__(self, below: Screen) -> None:
        super().__init__()
        self.below_name = type(below).__name__.replace("Screen", "") or "App"
        self.keys = describe_keys(below)
        self.help_text = getattr(below, "HELP", "") or ""

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Action")
        table.add_column("Binding id (remap in config.toml)", style="dim", no_wrap=True)
        for keys, description, ident in self.keys:
            table.add_row(safe(keys), safe(description), safe(ident or "—"))  # keys come from config.toml
        with VerticalScroll(id="help-dialog"):
            yield Static(safe(f"Keys: {self.below_name}"), classes="dialog-title")
            if self.help_text:
                yield Static(self.help_text, classes="help-text")
            yield Static(table)
        yield KeysFooter()

    def action_scroll_keys(self, lines: int) -> None:
        self.query_one("#help-dialog", VerticalScroll).scroll_relative(y=lines, animate=False)
