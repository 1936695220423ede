"""The alert history (`!`, or "Alerts" in the palette): time, deployment and reason, newest
first.  The names and reasons come from servers: shown through `safe`, never as markup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.screens.stylesheets import STYLES
from tui.widgets.footer import KeysFooter
from tui.widgets.humanize import local
from tui.widgets.safe_text import safe
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.alerts import AlertHistory


class AlertsScreen(ReportsWorkerErrors, ModalScreen[None]):
    CSS_PATH = STYLES / "alerts.tcss"
    BINDINGS = [Binding("escape,q,exclamation_mark", "dismiss", "Close", id="alerts.close")]

    HELP = "Alerts on watched deployments (W on the list or a deployment watches it)."

    def __init__(self, history: AlertHistory) -> None:
        super().__init__()
        self.history = history

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="alerts-dialog"):
            yield Static(safe("Alerts"), classes="dialog-title")
            yield Static(self._table(), id="alerts-list")
        yield KeysFooter()

    def refresh_list(self) -> None:
        self.query_one("#alerts-list", Static).update(self._table())

    def _table(self) -> Table:
        alerts = list(self.history)
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
        table.add_column("Time", no_wrap=True)
        table.add_column("Deployment", no_wrap=True, overflow="ellipsis", max_width=24)
        table.add_column("Reason")
        if not alerts:
            table.add_row("", "", safe("No alerts yet. W on a deployment watches it."))
        for alert in reversed(alerts):
            table.add_row(local(alert.time).strftime("%H:%M:%S"), safe(alert.name),
                          safe(alert.reason))
        return table
