"""Pulse (`p` on the list, or the palette): the whole fleet at a glance, troubled first.

Its deployments are the list's, kept live by the list's own subscription (the list screen
stays underneath): every `LIVE_CHECK_S` the screen looks whether any of them changed (an
identity check, no I/O) and re-syncs its table then, which repaints only rows that differ,
so an idle pulse writes nothing.
Request rate, error rate and p95 latency come from the metrics extension, asked every
`METRICS_S` for the rows on screen only; a server without it is said so, never shown as 0.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from tui.api import models as m
from tui.api.errors import ApiError, NotFoundError
from tui.screens.stylesheets import STYLES
from tui.widgets.context_bar import ContextBar
from tui.widgets.deployment_table import replicas_text
from tui.widgets.fleet import QUIET, fleet_summary, pulse_order, spark
from tui.widgets.fleet_table import FleetTable
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_text import safe
from tui.widgets.status import STATUS_LOOK
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.app import BentoTUI
    from tui.screens.deployments import DeploymentsScreen


LIVE_CHECK_S = 0.5
METRICS_S = 5.0
METRICS_WINDOW_S = 300
SPARK_W = 6
NAME_W = 16
NO_METRICS = "no metrics from this server"
SHORT_STATUS = {m.DeploymentStatus.IMAGE_BUILD_FAILED: "build-failed",
                m.DeploymentStatus.IMAGE_BUILD_SUCCEEDED: "built",
                m.DeploymentStatus.IMAGE_BUILDING: "building"}

Series = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]  # req/s, err/s, p95 ms


def _compact(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def metric_cell(values: tuple[float, ...], style: str = "") -> Text:
    text = Text(no_wrap=True)
    text.append(spark(values, SPARK_W), style=style)
    text.append(f" {_compact(values[-1] if values else None):>4}")
    return text


def status_cell(status: m.DeploymentStatus) -> Text:
    symbol, style = STATUS_LOOK.get(status, ("?", ""))
    return Text(f"{symbol} {SHORT_STATUS.get(status, status.value)}", style=style)


COLUMNS = (("DEPLOYMENT", NAME_W), ("STATUS", 14), ("READY", 5), ("REQ/S", SPARK_W + 5),
           ("ERR/S", SPARK_W + 5), ("P95 MS", SPARK_W + 5))


class PulseScreen(ReportsWorkerErrors, Screen[None]):
    CSS_PATH = STYLES / "pulse.tcss"
    BINDINGS = [
        Binding("escape,p", "back", "Back", id="pulse.back"),
        Binding("enter", "open", "Open", id="pulse.open"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="pulse.refresh"),
    ]
    HELP = ("The whole fleet at a glance, troubled first: status counts, replicas ready/desired, "
            "and per deployment its request rate, error rate and p95 latency over the last "
            "5 minutes (where the server measures them). enter opens one; esc or p goes back.")

    app: BentoTUI

    def __init__(self, source: DeploymentsScreen) -> None:
        super().__init__()
        self.source = source
        self.metrics: dict[str, Series] = {}
        self.metrics_supported: bool | None = None
        # The list's deployment objects as last painted, held so that none is freed and its
        # address reused by a newer one (an identity check could then miss a change).
        self._seen: list[m.DeploymentSchema] = []
        self._shown: dict[str, Text] = {}  # the summary and note lines as last painted

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield Static(id="pulse-summary")
        yield Static(id="pulse-note")
        yield FleetTable(COLUMNS, id="pulse-table")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(FleetTable).focus()
        self.repaint()
        self.set_interval(LIVE_CHECK_S, self._check_live)
        self.poll_metrics()

    @property
    def table(self) -> FleetTable:
        return self.query_one(FleetTable)

    def deployments(self) -> list[m.DeploymentSchema]:
        return list(self.source.table.all_items())

    # ------------------------------------------------------------------ painting

    def _check_live(self) -> None:
        """The list's subscription replaced a deployment object: repaint (no I/O here)."""
        if self.app.screen is not self:
            return
        items = self.deployments()
        if len(items) != len(self._seen) or any(a is not b for a, b in zip(items, self._seen, strict=False)):
            self.repaint()

    def repaint(self) -> None:
        """Writes only what differs from what is on screen (an idle pulse writes nothing)."""
        self._seen = self.deployments()
        deployments = pulse_order(self._seen)
        self._update("#pulse-summary", fleet_summary(deployments))
        self._paint_note()
        self.table.sync([(d.uid, self.row(d)) for d in deployments])  # repaints only a change

    def _update(self, selector: str, text: Text) -> None:
        if self._shown.get(selector) != text:
            self._shown[selector] = text
            self.query_one(selector, Static).update(text, layout=False)

    def _paint_note(self) -> None:
        if self.metrics_supported is False:
            note = Text(f"{NO_METRICS}: rates and latency are not shown", style="yellow")
        elif self.metrics_supported is None:
            note = Text("rates and p95 latency of the last 5 minutes: loading…", style="dim")
        else:
            note = Text("rates and p95 latency of the last 5 minutes, rows on screen", style="dim")
        self._update("#pulse-note", note)

    def row(self, d: m.DeploymentSchema) -> list[Text]:
        name = d.name if len(d.name) <= NAME_W else d.name[: NAME_W - 1] + "…"
        cells: list[Text] = [safe(name, style="bold"), status_cell(d.status), Text(replicas_text(d))]
        series = self.metrics.get(d.uid)
        if self.metrics_supported is False or series is None or d.status in QUIET:
            blank = "—" if self.metrics_supported is False or d.status in QUIET else "…"
            return cells + [Text(blank), Text(blank), Text(blank)]
        req, err, p95 = series
        return cells + [metric_cell(req), metric_cell(err, "red" if any(err) else ""),
                        metric_cell(p95)]

    # ------------------------------------------------------------------ metrics

    @work(exclusive=True, group="pulse-metrics", exit_on_error=False)
    async def poll_metrics(self) -> None:
        while self.metrics_supported is not False:
            if self.app.screen is self and self.app.session is not None:
                await self._fetch_visible()
            await asyncio.sleep(METRICS_S)

    async def _fetch_visible(self) -> None:
        session = self.app.session
        assert session is not None
        wanted = [d for uid in self.table.visible_keys()
                  if (d := self.source.table.get(uid)) is not None and d.status not in QUIET]
        if not wanted:
            return
        results = await asyncio.gather(*(self._metrics_of(d) for d in wanted))
        changed = False
        for d, series in zip(wanted, results, strict=False):
            if series is False:  # the server has no metrics route
                self.metrics_supported = False
                self.metrics.clear()
                self.repaint()
                return
            if series is not None and self.metrics.get(d.uid) != series:
                self.metrics[d.uid] = series
                changed = True
        if self.metrics_supported is None:
            self.metrics_supported = True
            changed = True
        if changed:
            self.repaint()

    async def _metrics_of(self, d: m.DeploymentSchema) -> Series | None | Literal[False]:
        session = self.app.session
        if session is None:
            return None
        try:
            found = await session.client.deployment_metrics(
                d.cluster.name, d.name, d.kube_namespace, since_seconds=METRICS_WINDOW_S)
        except (NotFoundError, ApiError):
            return None  # the row stays as it was; the next round asks again
        if found is None:
            return False
        return (tuple(p.value for p in found.requests), tuple(p.value for p in found.errors),
                tuple(p.value for p in found.latency_p95_ms))

    # ------------------------------------------------------------------ actions

    def on_fleet_table_selected(self, event: FleetTable.Selected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        uid = self.table.current_key
        d = self.source.table.get(uid) if uid else None
        if d is not None:
            self.app.open_deployment(d)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.repaint()
        if self.metrics_supported is not False:
            self.poll_metrics()
