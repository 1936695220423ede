"""The Monitoring tab: terminal plots of the deployment's measured numbers.

One `Sparkline` per series, each with a label and its latest value: requests/s, errors/s,
latency p50/p95, replica count, then CPU and memory of each replica.  Data comes from the
local control plane's metrics extension; where the server has none (BentoCloud) the panel
says so plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, Sparkline, Static

from tui.api import models as m
from tui.widgets.humanize import size
from tui.widgets.safe_text import safe
from tui.widgets.scaled_sparkline import ScaledSparkline

UNSUPPORTED = "This server does not offer metrics (BentoCloud serves monitoring through Grafana)"


def rate(v: float) -> str:
    return f"{v:.2f}/s" if v < 10 else f"{v:.0f}/s"


def millis(v: float) -> str:
    return f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"


def percent(v: float) -> str:
    return f"{v:.1f}%"


def count(v: float) -> str:
    return f"{v:.0f}"


@dataclass
class Series:
    key: str
    label: str
    values: list[float]
    fmt: Callable[[float], str]
    kind: str = ""  # css class: "errors", "latency", ...
    floor: float = 0.0  # the plot's top is at least this (CPU: 100% of one core)


class MetricRow(Horizontal):
    DEFAULT_CSS = """
    MetricRow { height: 1; }
    MetricRow > .metric-label { width: 20; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    MetricRow > Sparkline { width: 1fr; margin: 0 1 0 0; }
    MetricRow > .metric-value { width: 10; text-align: right; text-style: bold; }
    MetricRow.errors > Sparkline > .sparkline--max-color { color: $error; }
    MetricRow.errors > Sparkline > .sparkline--min-color { color: $success; }
    """

    def __init__(self, series: Series) -> None:
        super().__init__(classes=series.kind)
        self.series = series

    def compose(self) -> ComposeResult:
        yield Label(safe(self.series.label), classes="metric-label")
        yield ScaledSparkline(self.series.values, floor=self.series.floor)
        yield Label(self._latest(), classes="metric-value")

    def _latest(self) -> str:
        values = self.series.values
        return self.series.fmt(values[-1]) if values else "—"

    def update(self, series: Series) -> None:
        self.series = series
        line = self.query_one(ScaledSparkline)
        line.floor = series.floor
        line.data = list(series.values)
        self.query_one(".metric-value", Label).update(self._latest())
        self.query_one(".metric-label", Label).update(safe(series.label))  # runner names: server text


def _values(points: list[m.MetricPoint]) -> list[float]:
    return [p.value for p in points]


def replica_label(replica: m.ReplicaMetrics, what: str) -> str:
    """`component suffix what` in the 20 columns of a label: the component is cut, not `what`."""
    component = replica.runner_name or "api"
    suffix = replica.replica.rsplit("-", 1)[-1]
    budget = max(20 - len(suffix) - len(what) - 2, 3)
    if len(component) > budget:
        component = component[: budget - 1] + "…"
    return f"{component} {suffix} {what}"


class MetricsPanel(VerticalScroll):
    DEFAULT_CSS = """
    MetricsPanel { height: 1fr; padding: 0 1; }
    MetricsPanel > #metrics-note { height: auto; color: $text-muted; }
    MetricsPanel > .metrics-heading { height: 1; text-style: bold; color: $text-accent; margin-top: 1; }
    MetricsPanel > Vertical { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.supported: bool | None = None  # None until the first answer
        self.window_seconds = 300
        self._replica_keys: list[str] = []
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Static("Loading metrics…", id="metrics-note")
        yield Static("Traffic", classes="metrics-heading", id="metrics-traffic-title")
        yield Vertical(id="metrics-traffic")
        yield Static("Replicas", classes="metrics-heading", id="metrics-replicas-title")
        yield Vertical(id="metrics-replicas")

    def on_mount(self) -> None:
        self._show_sections(False)

    def _show_sections(self, show: bool) -> None:
        for selector in ("#metrics-traffic-title", "#metrics-traffic", "#metrics-replicas-title",
                         "#metrics-replicas"):
            self.query_one(selector).display = show

    @property
    def sparklines(self) -> list[Sparkline]:
        return list(self.query(Sparkline))

    def show_unsupported(self) -> None:
        self.supported = False
        self._show_sections(False)
        self.query_one("#metrics-note", Static).update(Text(UNSUPPORTED, style="bold"))

    def set_note(self, note: str) -> None:
        self.note = note
        if self.supported is not False:
            self.query_one("#metrics-note", Static).update(Text(note, style="bold yellow") if note else "")

    async def show(self, metrics: m.DeploymentMetricsSchema, when_text: str | None = None,
                   live: set[str] | None = None) -> None:
        """`live`: the replicas running now (None: unknown); the others are labelled exited."""
        self.supported = True
        self._show_sections(True)
        interval = metrics.interval_seconds or 1.0
        header = Text(no_wrap=True, overflow="ellipsis")
        header.append(f"Last {self.window_seconds // 60} min, one point per {interval:g} s")
        if when_text:
            header.append(f" · updated {when_text}", style="dim")
        if self.note:
            header.append(f" · {self.note}", style="bold yellow")
        self.query_one("#metrics-note", Static).update(header)
        traffic = [
            Series("requests", "Requests", _values(metrics.requests), rate, floor=1.0),
            Series("errors", "Errors (5xx)", _values(metrics.errors), rate, "errors", floor=1.0),
            Series("p50", "Latency p50", _values(metrics.latency_p50_ms), millis, floor=10.0),
            Series("p95", "Latency p95", _values(metrics.latency_p95_ms), millis, floor=10.0),
            Series("replica_count", "Replicas (all)", _values(metrics.replica_count), count, floor=1.0),
        ]
        per_replica: list[Series] = []

        def order(r: m.ReplicaMetrics) -> tuple[bool, bool, str, str]:
            return (live is not None and r.replica not in live, r.runner_name is not None,
                    r.runner_name or "", r.replica)

        for replica in sorted(metrics.replicas, key=order):
            gone = live is not None and replica.replica not in live
            cpu, mem = ("exited", "exited") if gone else ("CPU", "mem")
            per_replica.append(Series(f"cpu-{replica.replica}", replica_label(replica, cpu),
                                      _values(replica.cpu_percent), percent, floor=100.0))
            if not gone:  # an exited replica's memory says nothing more than its CPU line
                per_replica.append(Series(f"mem-{replica.replica}", replica_label(replica, mem),
                                          _values(replica.memory_bytes), size))
        await self._sync(self.query_one("#metrics-traffic", Vertical), traffic)
        await self._sync(self.query_one("#metrics-replicas", Vertical), per_replica)
        running = sum(1 for r in metrics.replicas if live is None or r.replica in live)
        title = self.query_one("#metrics-replicas-title", Static)
        if not running:
            title.update("Replicas: none running" + (" (exited ones below: their CPU until they stopped)"
                                                     if per_replica else ""))
        else:
            title.update(f"Replicas: CPU (of one core) and memory of the {running} running")

    async def _sync(self, container: Vertical, series: list[Series]) -> None:
        rows = {row.series.key: row for row in container.query(MetricRow)}
        wanted = [s.key for s in series]
        if list(rows) != wanted:  # a replica came or went: rebuild this section, in order
            await container.remove_children()
            await container.mount_all([MetricRow(s) for s in series])
            return
        for s in series:
            rows[s.key].update(s)

