"""One deployment, like the BentoCloud console's deployment page, live.

Tabs: Overview, Monitoring, Events, Replicas, Revisions, Logs (`1`-`6`, `[`/`]`).
The deployment stays live through the resource subscription (the list's, when it already
pushes this deployment: no socket of its own); replicas, events and logs are websocket streams;
monitoring polls the metrics extension every ~2 s while its tab is visible.  Opened from a row,
the GET and the replica and event streams leave before the screen is composed, on connections
the list keeps warm (tui/api/warm_pool.py): over a long link, one round trip + the paint.
Every stream runs in its own worker group on this screen, so popping the screen cancels them
all.  Nothing here raises into the app: API errors become notifications,
a lost link becomes a "reconnecting…" note, and a deleted deployment a banner.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, RichLog, Static, TabbedContent, TabPane

from tui.api import models as m
from tui.api.errors import ApiError, ConnectionFailed, NotFoundError
from tui.api.streams import (
    ReconnectingStream,
    ResourceSubscription,
    StreamStatus,
    open_subscription,
    subscribe_resources,
    tail_logs,
    watch_kube_events,
    watch_pods,
)
from tui.messages import ConnectionChanged, FlowRequested
from tui.screens.breakpoints import CRAMPED_WIDTH
from tui.screens.hidden_keys import answer_hidden_key
from tui.screens.stylesheets import STYLES
from tui.widgets.context_bar import ContextBar
from tui.widgets.event_log import EventList, EventsView
from tui.widgets.footer import KeysFooter
from tui.widgets.humanize import age, clock, now_utc, short_replica
from tui.widgets.log_tools import ALL_REPLICAS, merge_by_time, prefixed
from tui.widgets.log_view import LogsView
from tui.widgets.metrics_panel import MetricsPanel
from tui.widgets.overview import BUILD_STATES, OverviewPanel
from tui.widgets.replica_table import ReplicaTable, component_rank
from tui.widgets.revision_table import MARKER, RevisionTable
from tui.widgets.safe_text import safe, sanitize
from tui.widgets.status import mode_title, status_text
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.app import BentoTUI
    from tui.session import Session

TABS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("monitoring", "Monitoring"),
    ("events", "Events"),
    ("replicas", "Replicas"),
    ("revisions", "Revisions"),
    ("logs", "Logs"),
)
TAB_IDS = tuple(tab for tab, _ in TABS)
SHORT_TABS = {"monitoring": "Metrics"}  # below CRAMPED_WIDTH columns, so "6 Logs" still fits

METRICS_INTERVAL = 2.0
METRICS_WINDOW_S = 300
TICK_S = 5.0
TAIL_LINES = 200
MAX_REVISIONS = 1000
# Actions that answer their keys although the footer hides them (see on_key).
LIVE_WHEN_HIDDEN = frozenset({"mutate", "interact", "show_tab"})
ROOM_FOR_REVISION_KEYS = {("show_tab", ("logs",))}
STREAM_GROUPS = ("detail-live", "detail-pods", "detail-events", "detail-logs", "detail-metrics",
                 "detail-build")
IMAGE_BUILDER = "image-builder"


def sanitize_filename(name: str) -> str:
    """A file name made of a deployment's and a replica's names: nothing but safe characters."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def merged_label(pod: m.KubePodSchema) -> str:
    """A replica's name in the merged log: its component and the tail that tells replicas
    apart (`api-x7k2p`, `iris_clf-q9d1s`), at most 20 characters."""
    component = "api" if pod.runner_name is None else pod.runner_name[:12]
    return f"{component}-{pod.name.rsplit('-', 1)[-1][:7]}"


def _older(new: m.DeploymentSchema, shown: m.DeploymentSchema | None) -> bool:
    """Whether `new` is older than the state shown.  The GET sent as the screen opens is read
    after its first paint, when a newer push may already be shown (a deployment coming up
    turns `running` meanwhile); the server moves `updated_at` with every change, status too."""
    if shown is None or new.updated_at is None or shown.updated_at is None:
        return False
    return new.updated_at < shown.updated_at


def _gone(error: str | None) -> bool:
    """A stream error that means the deployment (or replica) no longer exists."""
    text = (error or "").lower()
    return "not found" in text or "was deleted" in text


def no_replica_reason(deployment: m.DeploymentSchema | None) -> str:
    """Why the Replicas tab is empty, and where to look instead."""
    if (deployment is not None and deployment.mode == m.DeploymentMode.FUNCTION
            and deployment.status == m.DeploymentStatus.RUNNING):
        return "scaled to zero: a request (i) starts one · exited replicas' logs: 6"
    return "no replica running · exited replicas' logs: 6"


class DetailScreen(ReportsWorkerErrors, Screen[None]):
    CSS_PATH = STYLES / "detail.tcss"  # read when first shown (tui/screens/stylesheets.py)

    BINDINGS = [
        Binding("escape", "back", "Back", id="detail.back"),
        Binding("l", "show_tab('logs')", "Logs", id="detail.logs"),
        Binding("s", "follow", "Pause", id="detail.follow"),
        Binding("slash", "filter", "Filter", id="detail.filter"),
        # The Logs tab's tools (tui/widgets/log_view.py); / searches there instead of filtering.
        Binding("slash", "search", "Search", id="detail.search"),
        Binding("n", "search_next(1)", "Next match", id="detail.search_next"),
        Binding("N", "search_next(-1)", "Previous match", show=False, id="detail.search_prev"),
        Binding("T", "timestamps", "Timestamps", show=False, id="detail.timestamps"),
        Binding("ctrl+s", "save_logs", "Save", id="detail.save_logs"),
        Binding("y", "json", "JSON", show=False, id="detail.json"),
        Binding("ctrl+k", "restart_replica", "Restart", id="detail.restart_replica"),
        Binding("c", "copy_url", "Copy URL", show=False, id="detail.copy_url"),
        Binding("w", "wrap", "Wrap lines", show=False, id="detail.wrap"),
        Binding("p", "pick_replica", "Pick replica", show=False, id="detail.pick_replica"),
        Binding("left_square_bracket", "cycle_tab(-1)", "Previous tab", show=False, id="detail.prev_tab"),
        Binding("right_square_bracket", "cycle_tab(1)", "Next tab", show=False, id="detail.next_tab"),
        Binding("1", "show_tab('overview')", "Overview tab", show=False, id="detail.tab_overview"),
        Binding("2", "show_tab('monitoring')", "Monitoring tab", show=False, id="detail.tab_monitoring"),
        Binding("3", "show_tab('events')", "Events tab", show=False, id="detail.tab_events"),
        Binding("4", "show_tab('replicas')", "Replicas tab", show=False, id="detail.tab_replicas"),
        Binding("5", "show_tab('revisions')", "Revisions tab", show=False, id="detail.tab_revisions"),
        Binding("6", "show_tab('logs')", "Logs tab", show=False, id="detail.tab_logs"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="detail.refresh"),
        Binding("W", "toggle_watch", "Watch", show=False, id="detail.watch"),
        Binding("e", "mutate('edit')", "Edit", id="detail.edit"),
        Binding("i", "interact", "Request", id="detail.interact"),
        Binding("t", "mutate('terminate')", "Terminate", show=False, id="detail.terminate"),
        Binding("D", "mutate('delete')", "Delete", show=False, id="detail.delete"),
        Binding("r", "mutate('restore')", "Restore", show=False, id="detail.restore"),
        # After `s` = pause (detail.follow), which only the Events and Logs tabs enable.
        Binding("s", "mutate('scale')", "Scale", show=False, id="detail.scale"),
        # Shown on the Revisions tab only, where e / i / l leave the footer to them.
        Binding("space", "mark_revision", "Mark", id="detail.mark_revision"),
        Binding("d", "diff_revisions", "Diff", id="detail.diff"),
        Binding("R", "rollback", "Roll back", id="detail.rollback"),
    ]

    HELP = ("One deployment, live. 1-6 or [ ] switch tabs; l jumps to the logs. Events: / filters, "
            "esc clears the filter, s pauses. Replicas: enter tails the replica's log, ctrl+k restarts "
            "it (after a y/n confirm), y shows its JSON. Logs: p picks "
            "the replica (or all replicas, merged), s pauses, w wraps, / searches (n / N: next / "
            "previous match), T shows or hides timestamps, ctrl+s saves the log to a file. "
            "Revisions: space marks one, d diffs it with the one under the "
            "cursor, R rolls back to the one under the cursor. e edits, s scales (min / max "
            "replicas; outside Events and Logs), i sends a request to the endpoint, t terminates, "
            "D deletes, r restores. esc goes back to the list.")

    app: BentoTUI

    def __init__(self, name: str, initial: m.DeploymentSchema | None = None, tab: str | None = None) -> None:
        super().__init__()
        self.deployment_name = name
        self.deployment: m.DeploymentSchema | None = initial
        self.initial_tab = tab if tab in TAB_IDS else "overview"
        self.pods: list[m.KubePodSchema] | None = None
        self.deleted = False
        self._streams_started = False
        self._revisions_loaded = False
        self._revisions_stale = False
        self._revision_uid = self._latest_revision_uid(initial)
        self._marked_revision: str | None = None
        self._logs_started = False
        self._log_pod_picked = False
        self.exited: list[m.ExitedReplicaSchema] = []  # gone replicas whose logs are kept
        self._build_followed = False  # the image builder's last log line is being followed
        self._builder_offered = False  # the Logs tab offers the image builder's log
        self._notes: dict[str, str] = {}
        self._merged_pods: set[str] = set()  # the replicas the merged log view tails
        self._first_get: asyncio.Task[m.DeploymentSchema] | None = None
        self._opened: dict[str, ReconnectingStream[Any]] = {}  # started before mount, for the workers
        self._live_was_down = False
        # this deployment's pushes from the list's subscription, and how to stop listening
        self._listening: tuple[asyncio.Queue[m.SubscriptionPush | StreamStatus | None],
                               Callable[[], None]] | None = None
        self._open_early()

    def _open_early(self) -> None:
        """Send the GET and open the replica and event streams now, before this screen is
        composed and painted, so that their round trip overlaps the paint instead of following
        it (a 150 ms link: enter to everything shown in one round trip + the paint).  The
        workers started on mount take them over; the live updates come from the list's open
        subscription when it already pushes this deployment (no socket, no round trip)."""
        d = self.deployment
        try:
            asyncio.get_running_loop()
            session = self.app.session
        except RuntimeError:  # made outside a running app (no loop, no active app): mount loads it
            return
        if d is None or session is None or session.client.closed:
            return
        self._first_get = asyncio.create_task(
            session.client.get_deployment(d.cluster.name, d.name, d.kube_namespace))
        # load() takes the answer; this only keeps an unawaited failure from being reported
        self._first_get.add_done_callback(lambda task: task.cancelled() or task.exception())
        self._opened["pods"] = self._pods_stream(session).start()
        self._opened["events"] = watch_kube_events(session.client, d.cluster.name, d.kube_namespace,
                                                   d.name).start()
        shared = open_subscription(session.client, d.cluster.name, d.uid)
        if shared is not None:  # listening from before the GET: no push can fall between them
            self._listen(shared, d.uid)
        else:
            self._opened["live"] = subscribe_resources(session.client, [d.uid]).start()

    def _pods_stream(self, session: Session) -> ReconnectingStream[list[m.KubePodSchema]]:
        if session.flavour == "v2":  # /ws/v2/deployments/{name}/pods: no namespace in v2
            return session.v2.watch_pods(self.deployment_name, self._cluster)
        return watch_pods(session.client, self._cluster, self._namespace, self.deployment_name)

    async def on_unmount(self) -> None:
        """What `_open_early` started and no worker took over."""
        if self._first_get is not None:
            self._first_get.cancel()
        if self._listening is not None:
            self._listening[1]()
        opened, self._opened = self._opened, {}
        for stream in opened.values():
            await stream.aclose()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield ContextBar()
        yield Static(id="detail-title")
        yield Static(id="detail-banner")
        with TabbedContent(initial=self.initial_tab, id="detail-tabs"):
            with TabPane(self._tab_label("overview"), id="overview"):
                yield OverviewPanel(id="overview-panel")
            with TabPane(self._tab_label("monitoring"), id="monitoring"):
                yield MetricsPanel(id="metrics-panel")
            with TabPane(self._tab_label("events"), id="events"):
                yield EventsView(id="events-view")
            with TabPane(self._tab_label("replicas"), id="replicas"):
                yield Static(id="replicas-bar", classes="tab-bar")
                yield ReplicaTable(id="replica-table")
            with TabPane(self._tab_label("revisions"), id="revisions"):
                yield Static("Loading revisions…", id="revisions-bar", classes="tab-bar")
                yield RevisionTable(id="revision-table")
            with TabPane(self._tab_label("logs"), id="logs"):
                yield LogsView(id="logs-view")
        yield KeysFooter()

    def _tab_label(self, tab: str) -> str:
        index = TAB_IDS.index(tab)
        title = TABS[index][1]
        if self.app.size.width < CRAMPED_WIDTH:
            title = SHORT_TABS.get(tab, title)
        return f"{index + 1} {title}"

    def on_resize(self) -> None:
        tabs = self.tabs
        for tab in TAB_IDS:
            tabs.get_tab(tab).label = self._tab_label(tab)

    def on_mount(self) -> None:
        self.query_one("#detail-banner", Static).display = False
        self.events_view.set_deployment(self.deployment_name)
        self._paint_replicas_bar()
        if self.deployment is not None:
            self._render_deployment()
            # after the first paint: the answers (on their way since _open_early) wait in their
            # queues rather than delay it
            self.call_after_refresh(self._start_streams)
        else:
            self._paint_title()
        self.call_after_refresh(self.load)
        self.set_interval(TICK_S, self._tick)
        self.call_after_refresh(self._tab_shown, self.initial_tab)

    # ------------------------------------------------------------------ widgets

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#detail-tabs", TabbedContent)

    @property
    def active_tab(self) -> str:
        try:
            return self.tabs.active or self.initial_tab
        except NoMatches:
            return self.initial_tab

    @property
    def overview(self) -> OverviewPanel:
        return self.query_one(OverviewPanel)

    @property
    def metrics_panel(self) -> MetricsPanel:
        return self.query_one(MetricsPanel)

    @property
    def events_view(self) -> EventsView:
        return self.query_one(EventsView)

    @property
    def replica_table(self) -> ReplicaTable:
        return self.query_one(ReplicaTable)

    @property
    def revision_table(self) -> RevisionTable:
        return self.query_one(RevisionTable)

    @property
    def logs_view(self) -> LogsView:
        return self.query_one(LogsView)

    def _main_widget(self, tab: str) -> Widget:
        return {
            "overview": lambda: self.overview,
            "monitoring": lambda: self.metrics_panel,
            "events": lambda: self.query_one(EventList),
            "replicas": lambda: self.replica_table,
            "revisions": lambda: self.revision_table,
            "logs": lambda: self.query_one("#logs-log", RichLog),
        }[tab]()

    # ------------------------------------------------------------------ where the deployment lives

    @property
    def _cluster(self) -> str:
        if self.deployment is not None:
            return self.deployment.cluster.name
        session = self.app.session
        return session.cluster if session else "default"

    @property
    def _namespace(self) -> str | None:
        return self.deployment.kube_namespace if self.deployment is not None else None

    @staticmethod
    def _latest_revision_uid(deployment: m.DeploymentSchema | None) -> str | None:
        if deployment is None or deployment.latest_revision is None:
            return None
        return deployment.latest_revision.uid

    # ------------------------------------------------------------------ painting

    def _paint_title(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.deployment_name, style="bold")
        d = self.deployment
        if self.deleted:
            text.append("  ✖ deleted", style="bold red")
        elif d is None:
            text.append("  loading…", style="dim")
        else:
            text.append("  ")
            text.append_text(status_text(d.status))
        note = self._notes.get("live") or self._notes.get("pods")
        if note:
            text.append(f"  {note}", style="bold yellow")
        if d is not None:
            text.append(f"  {mode_title(d.mode)}")
            if d.replicas is not None:  # API-server replicas (the list's count); runners apart
                text.append(f"  {d.replicas.ready}/{d.replicas.desired} ready")
                runners = sum(1 for p in self.pods or []
                              if p.runner_name is not None and p.pod_status.status != "Terminating")
                if runners:
                    text.append(f" · +{runners} runner{'s' if runners != 1 else ''}")
            if d.bento_tag:
                text.append(f"  {d.bento_tag}", style="dim")
        self.query_one("#detail-title", Static).update(sanitize(text))

    def _render_deployment(self) -> None:
        self._paint_title()
        if self.deployment is not None:
            self.overview.show(self.deployment, self.pods, self.deleted)

    def _paint_replicas_bar(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        pods = self.pods
        if pods is None:
            text.append("Waiting for replicas…")
        else:
            # the same counts as the header: API servers, then runners, each labelled
            staying = [p for p in pods if p.pod_status.status != "Terminating"]
            api = [p for p in staying if p.runner_name is None]
            runners = [p for p in staying if p.runner_name is not None]
            text.append(f"{sum(1 for p in api if p.status.ready)}/{len(api)} ready")
            if runners:
                text.append(f" · +{len(runners)} runner{'s' if len(runners) != 1 else ''} "
                            f"({sum(1 for p in runners if p.status.ready)} ready)")
            if pods:
                text.append(" · enter tails the log", style="dim")
            else:  # an empty table alone reads as "still loading"
                text.append(" · " + no_replica_reason(self.deployment), style="dim")
        note = self._notes.get("pods")
        if note:
            text.append(f" · {note}", style="bold yellow")
        self.query_one("#replicas-bar", Static).update(sanitize(text))

    def _set_note(self, kind: str, note: str) -> None:
        if self._notes.get(kind, "") == note:
            return
        self._notes[kind] = note
        if kind == "events":
            self.events_view.set_note(note)
        elif kind == "logs":
            self.logs_view.set_note(note)
        elif kind == "metrics":
            self.metrics_panel.set_note(note)
        elif kind == "pods":
            self._paint_replicas_bar()
        self._paint_title()

    def _tick(self) -> None:
        """Ages and "5m ago" texts move on; repaint only what is visible."""
        if self.app.screen is not self:
            return
        tab = self.active_tab
        if tab == "replicas" and self.pods is not None:
            self.replica_table.show(self.pods, self.deployment_name)
        elif tab == "overview" and self.deployment is not None:
            self.overview.show(self.deployment, self.pods, self.deleted)

    # ------------------------------------------------------------------ the deployment

    @work(exclusive=True, group="detail-load", exit_on_error=False)
    async def load(self) -> None:
        session = self.app.session
        if session is None or self.deleted:
            return
        first, self._first_get = self._first_get, None  # sent by _open_early: answered once
        try:
            if first is not None:
                deployment = await first
            else:
                deployment = await session.client.get_deployment(self._cluster, self.deployment_name,
                                                                 self._namespace)
        except NotFoundError:
            self._mark_deleted()
            return
        except ConnectionFailed as exc:
            self.post_message(ConnectionChanged("reconnecting", exc.message))
            self._set_note("live", "reconnecting…")
            return
        except ApiError as exc:
            self.notify(exc.message, title=self.deployment_name, severity="error")
            return
        self._set_deployment(deployment)
        self._start_streams()

    def _set_deployment(self, deployment: m.DeploymentSchema) -> None:
        if self.deleted or _older(deployment, self.deployment):
            return
        previous = self._revision_uid
        self.deployment = deployment
        self._revision_uid = self._latest_revision_uid(deployment)
        self._watch_build()
        self._render_deployment()
        if self._revision_uid != previous:
            self._revisions_stale = True
            if self._revisions_loaded and self.active_tab == "revisions":
                self.load_revisions()

    def _mark_deleted(self) -> None:
        if self.deleted:
            return
        self.deleted = True
        for group in STREAM_GROUPS:
            self.workers.cancel_group(self, group)
        self._notes.clear()
        banner = self.query_one("#detail-banner", Static)
        what = "was deleted" if self.deployment is not None else "does not exist"
        banner.update(safe(f"{self.deployment_name} {what}. Press esc to go back to the list."))
        banner.display = True
        self.events_view.set_note("")
        self.logs_view.set_note("")
        self._render_deployment()
        self._paint_replicas_bar()
        self.refresh_bindings()

    def _start_streams(self) -> None:
        if self._streams_started or self.deployment is None or self.deleted:
            return
        self._streams_started = True
        self.watch_deployment()
        self.watch_replicas()
        self.watch_events()

    def _stream_status(self, kind: str, status: StreamStatus) -> None:
        if status.state == "reconnecting":
            if _gone(status.error):
                self._set_note(kind, "waiting for the server…")
                if kind != "logs":
                    self.load()  # deleted?  load() says so
                return
            self.post_message(ConnectionChanged("reconnecting", status.error))
            self._set_note(kind, "reconnecting…")
        elif status.state == "connected":
            self.post_message(ConnectionChanged("connected"))
            self._set_note(kind, "")

    @work(exclusive=True, group="detail-live", exit_on_error=False)
    async def watch_deployment(self) -> None:
        session = self.app.session
        if session is None or self.deployment is None:
            return
        uid = self.deployment.uid
        stream = self._opened.pop("live", None)
        if stream is None:
            if self._listening is None and (shared := open_subscription(session.client, self._cluster, uid)):
                self._listen(shared, uid)
            if self._listening is not None:
                await self._follow()
                if self.deleted:
                    return
                self._live_was_down = True  # the list's stream ended: catch up once ours connects
            stream = subscribe_resources(session.client, [uid])
        try:
            async for item in stream:
                self._live_item(item)
        except ApiError as exc:
            self.notify(exc.message, title="Live updates stopped", severity="error")
        finally:
            await stream.aclose()

    def _listen(self, shared: ResourceSubscription, uid: str) -> None:
        """Follow this deployment's pushes (and the link's state) on the list's open
        subscription: no socket of its own, no round trip."""
        items: asyncio.Queue[m.SubscriptionPush | StreamStatus | None] = asyncio.Queue()

        def take(item: m.SubscriptionPush | StreamStatus | None) -> None:
            if not isinstance(item, m.SubscriptionPush) or item.payload.get("uid") == uid:
                items.put_nowait(item)

        self._listening = (items, shared.listen(take))

    async def _follow(self) -> None:
        """What `_listen` queues, until the list's subscription ends."""
        assert self._listening is not None
        items, stop = self._listening
        try:
            while (item := await items.get()) is not None:
                self._live_item(item)
        finally:
            stop()
            self._listening = None

    def _live_item(self, item: m.SubscriptionPush | StreamStatus) -> None:
        if isinstance(item, StreamStatus):
            if item.state == "reconnecting":
                self._live_was_down = True
            self._stream_status("live", item)
            if item.state == "connected" and self._live_was_down:
                self._live_was_down = False
                self.load()  # catch up on what changed while we were away
            return
        self._apply_push(item)

    def _apply_push(self, push: m.SubscriptionPush) -> None:
        if push.resource_type != "deployment" or self.deployment is None:
            return
        uid = push.payload.get("uid")
        if uid and uid != self.deployment.uid:
            return
        if push.event == "deleted":
            self._mark_deleted()
            return
        try:
            deployment = m.parse_response(m.DeploymentSchema, push.payload)
        except Exception:  # a payload we cannot read must not break the stream
            return
        self._set_deployment(deployment)

    # ------------------------------------------------------------------ replicas

    @work(exclusive=True, group="detail-pods", exit_on_error=False)
    async def watch_replicas(self) -> None:
        session = self.app.session
        if session is None or self.deployment is None:
            return
        stream = self._opened.pop("pods", None) or self._pods_stream(session)
        try:
            async for item in stream:
                if isinstance(item, StreamStatus):
                    self._stream_status("pods", item)
                    continue
                self._apply_pods(item)
        except NotFoundError:
            self.load()  # the deployment is gone: load() says so
        except ApiError as exc:
            self.notify(exc.message, title="Replicas", severity="error")
        finally:
            await stream.aclose()

    def _apply_pods(self, pods: list[m.KubePodSchema]) -> None:
        gone = {p.name for p in self.pods or []} - {p.name for p in pods}
        self.pods = pods
        self._paint_title()  # its runner count
        if gone and self._logs_started:
            self.load_exited()  # their logs stay reachable
        self.replica_table.show(pods, self.deployment_name)
        self._paint_replicas_bar()
        if self.deployment is not None:
            self.overview.show(self.deployment, pods, self.deleted)
        self._update_log_choices()

    @on(DataTable.RowSelected, "#replica-table")
    def _replica_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        pod_name = event.row_key.value
        if pod_name:
            self._tail_replica(pod_name, picked=True)
            self.action_show_tab("logs")

    # ------------------------------------------------------------------ events

    @work(exclusive=True, group="detail-events", exit_on_error=False)
    async def watch_events(self) -> None:
        session = self.app.session
        if session is None or self.deployment is None:
            return
        stream = (self._opened.pop("events", None)
                  or watch_kube_events(session.client, self._cluster, self._namespace, self.deployment_name))
        try:
            async for item in stream:
                if isinstance(item, StreamStatus):
                    self._stream_status("events", item)
                    continue
                self.events_view.add(item)
                failed = [e.message for e in item if e.reason == "ImageBuildFailed"]
                if failed:
                    self._set_build(failure=failed[-1])
        except NotFoundError:
            self.load()  # the deployment is gone: load() says so
        except ApiError as exc:
            self.notify(exc.message, title="Events", severity="error")
        finally:
            await stream.aclose()

    # ------------------------------------------------------------------ revisions

    @work(exclusive=True, group="detail-revisions", exit_on_error=False)
    async def load_revisions(self) -> None:
        session = self.app.session
        if session is None:
            return
        items: list[m.DeploymentRevisionSchema] = []
        total = 0
        try:
            while True:
                page = await session.client.list_revisions(
                    self._cluster, self.deployment_name, self._namespace, start=len(items), count=100)
                items.extend(page.items)
                total = page.total
                if not page.items or len(items) >= page.total or len(items) >= MAX_REVISIONS:
                    break
        except NotFoundError:
            self.load()
            return
        except ConnectionFailed as exc:
            self.post_message(ConnectionChanged("reconnecting", exc.message))
            self.query_one("#revisions-bar", Static).update(Text("reconnecting…", style="bold yellow"))
            return
        except ApiError as exc:
            self.notify(exc.message, title="Revisions", severity="error")
            return
        self._revisions_loaded = True
        self._revisions_stale = False
        self.revision_table.show(items)
        bar = Text(no_wrap=True, overflow="ellipsis")
        bar.append(f"{total} revision{'s' if total != 1 else ''}")
        if len(items) < total:
            bar.append(f" (newest {len(items)} shown)")
        bar.append(" · newest first · ", style="dim")
        bar.append("●", style="green")
        bar.append(" active · ", style="dim")
        bar.append(MARKER)
        bar.append(" marked (space)", style="dim")
        self.query_one("#revisions-bar", Static).update(sanitize(bar))

    # ------------------------------------------------------------------ logs

    @property
    def _builder_pod(self) -> str:
        """The image builder's log, as the local control plane names it."""
        return f"{self.deployment_name}-{IMAGE_BUILDER}"

    def _building(self) -> bool:
        return self.deployment is not None and self.deployment.status in BUILD_STATES

    def _default_log_pod(self) -> str | None:
        """A live API server first; with none live, the image build while there is one, then
        the replica that exited last."""
        if not self.pods and self._building():
            return self._builder_pod
        pods = sorted(self.pods or [], key=lambda p: (not p.status.ready, *component_rank(p)))
        api = [p for p in pods if p.runner_name is None]
        chosen = api[0] if api else (pods[0] if pods else None)
        if chosen is not None:
            return chosen.name
        alive = {p.name for p in self.pods or []}
        gone = [r for r in self.exited if r.name not in alive]
        gone_api = [r for r in gone if r.component == "api-server"]
        return (gone_api or gone)[0].name if gone else None

    def _update_log_choices(self) -> None:
        pods = sorted(self.pods or [], key=component_rank)
        options = [(f"{p.component}  {short_replica(p.name, self.deployment_name)}"
                    + ("" if p.status.ready else " (not ready)"), p.name) for p in pods]
        alive = {p.name for p in pods}
        if self._building():
            options.insert(0, (f"{IMAGE_BUILDER}  (live)", self._builder_pod))
            alive.add(self._builder_pod)
        # the name says the component (…-api-…, …-runner-NAME-…); the age fits the 44 columns
        options += [(f"{IMAGE_BUILDER}  finished {age(r.exited_at)} ago"
                     if r.component == IMAGE_BUILDER else
                     f"{short_replica(r.name, self.deployment_name)}  exited {age(r.exited_at)} ago",
                     r.name)
                    for r in self.exited if r.name not in alive]
        logs = self.logs_view
        if len(pods) > 1 or logs.pod_name == ALL_REPLICAS:
            options.append((f"all {len(pods)} replicas, merged", ALL_REPLICAS))
        logs.set_replicas(options)
        if not self._logs_started:
            return
        current = logs.pod_name
        if current == ALL_REPLICAS:
            if alive != self._merged_pods:
                self.tail(ALL_REPLICAS)  # the merged view follows the replicas that run now
            return
        if current is None or (current not in alive and not self._log_pod_picked):
            default = self._default_log_pod()
            if default is not None and default != current and (default in alive or current is None):
                self._tail_replica(default, picked=False)
        if not options and current is None:
            logs.set_waiting("no replica has run yet" if self.pods is not None else "waiting for a replica…")

    # ------------------------------------------------------------------ image build

    def _watch_build(self) -> None:
        """Follows the build log's last line while the deployment is image-building."""
        building = (self.deployment is not None and not self.deleted
                    and self.deployment.status == m.DeploymentStatus.IMAGE_BUILDING)
        if building and not self._build_followed:
            self._build_followed = True
            self._set_build(failure="")
            self.follow_build()
        elif not building and self._build_followed:
            self._build_followed = False
            self.workers.cancel_group(self, "detail-build")
        if self._building() != self._builder_offered:
            self._builder_offered = self._building()
            self._update_log_choices()

    def _set_build(self, last_line: str | None = None, failure: str | None = None) -> None:
        line, why = self.overview.build
        self.overview.build = (line if last_line is None else last_line,
                               why if failure is None else failure)
        if self.deployment is not None:
            self._render_deployment()

    @work(exclusive=True, group="detail-build", exit_on_error=False)
    async def follow_build(self) -> None:
        session = self.app.session
        if session is None:
            return
        stream = tail_logs(session.client, self._cluster, self._namespace, self.deployment_name,
                           self._builder_pod, tail_lines=1)
        try:
            async for item in stream:
                if isinstance(item, StreamStatus):
                    continue  # the Logs tab and the status say what is wrong
                lines = [line for line in item.items if line.strip()]
                if lines:
                    self._set_build(last_line=lines[-1])
        except ApiError:
            return  # the status still says image-building; the Logs tab shows the log
        finally:
            await stream.aclose()

    @work(exclusive=True, group="detail-exited", exit_on_error=False)
    async def load_exited(self) -> None:
        """The replicas that are gone but left a log (an extension of the local control plane;
        elsewhere the list stays empty)."""
        session = self.app.session
        if session is None or self.deleted:
            return
        try:
            found = await session.client.exited_replicas(self._cluster, self.deployment_name,
                                                         self._namespace)
        except ApiError:
            return  # the live replicas still show; the next change asks again
        self.exited = found or []
        self._update_log_choices()

    def _tail_replica(self, pod_name: str, picked: bool) -> None:
        self._logs_started = True
        self._log_pod_picked = picked or self._log_pod_picked
        self._notes.pop("logs", None)
        self.tail(pod_name)

    @on(LogsView.ReplicaChosen)
    def _replica_chosen(self, event: LogsView.ReplicaChosen) -> None:
        event.stop()
        self._tail_replica(event.pod_name, picked=True)
        self.query_one("#logs-log", RichLog).focus()

    @work(exclusive=True, group="detail-logs", exit_on_error=False)
    async def tail(self, pod_name: str) -> None:
        session = self.app.session
        if session is None or self.deleted:
            return
        view = self.logs_view
        if pod_name == ALL_REPLICAS:
            await self._tail_merged(view)
            return
        view.start(pod_name)
        stream = tail_logs(session.client, self._cluster, self._namespace, self.deployment_name,
                           pod_name, tail_lines=TAIL_LINES)
        try:
            async for item in stream:
                if isinstance(item, StreamStatus):
                    if item.state == "reconnecting" and _gone(item.error):
                        self._set_note("logs", "replica not found; retrying…")
                    elif item.state == "connected":
                        self.post_message(ConnectionChanged("connected"))
                    else:
                        self._stream_status("logs", item)
                    continue
                if item.type == "replace":
                    self._notes.pop("logs", None)
                    view.replace(item.items)
                else:
                    view.append(item.items)
            self._set_note("logs", "the log ended")
        except NotFoundError:
            self._set_note("logs", "this replica is gone; pick another with p")
        except ApiError as exc:
            self.notify(exc.message, title="Logs", severity="error")
        finally:
            await stream.aclose()

    async def _tail_merged(self, view: LogsView) -> None:
        """Every live replica's log in one view, each line after `name | `: the fresh tails in
        time order, then new lines as they come."""
        session = self.app.session
        assert session is not None
        pods = sorted(self.pods or [], key=component_rank)
        self._merged_pods = {p.name for p in pods}
        view.start(ALL_REPLICAS)
        if not pods:
            self._set_note("logs", "no replica is running")
            return
        queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

        async def pump(pod_name: str) -> None:
            stream = tail_logs(session.client, self._cluster, self._namespace, self.deployment_name,
                               pod_name, tail_lines=TAIL_LINES)
            try:
                async for item in stream:
                    await queue.put((pod_name, item))
            except ApiError as exc:
                await queue.put((pod_name, exc))
            finally:
                await stream.aclose()

        labels = {p.name: merged_label(p) for p in pods}
        width = max(len(label) for label in labels.values())
        labels = {name: label.ljust(width) for name, label in labels.items()}
        fresh: dict[str, list[str]] = {}
        tasks = [asyncio.create_task(pump(p.name)) for p in pods]
        try:
            while True:
                pod_name, item = await queue.get()
                if isinstance(item, ApiError):
                    self._set_note("logs", f"{labels[pod_name].strip()}: {item.message}")
                elif isinstance(item, StreamStatus):
                    if item.state == "reconnecting" and _gone(item.error):
                        continue  # that replica is gone: the replicas stream re-tails this view
                    self._stream_status("logs", item)
                elif isinstance(item, m.TailPayload):
                    lines = prefixed(labels[pod_name], item.items)
                    if item.type == "replace":
                        fresh[pod_name] = lines
                        self._notes.pop("logs", None)
                        view.replace(merge_by_time(fresh.values()))
                    else:
                        view.append(lines)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ monitoring

    @work(exclusive=True, group="detail-metrics", exit_on_error=False)
    async def poll_metrics(self) -> None:
        panel = self.metrics_panel
        panel.window_seconds = METRICS_WINDOW_S
        last_error: str | None = None
        while panel.supported is not False:
            session = self.app.session
            d = self.deployment
            if session is not None and d is not None and not self.deleted and self.app.screen is self:
                try:
                    metrics = await session.client.deployment_metrics(
                        self._cluster, d.name, d.kube_namespace, since_seconds=METRICS_WINDOW_S)
                except ConnectionFailed as exc:
                    self.post_message(ConnectionChanged("reconnecting", exc.message))
                    self._set_note("metrics", "reconnecting…")
                except NotFoundError:
                    self.load()
                except ApiError as exc:
                    if exc.message != last_error:
                        self.notify(exc.message, title="Monitoring", severity="error")
                    last_error = exc.message
                else:
                    if metrics is None:
                        panel.show_unsupported()
                        return
                    last_error = None
                    if self._notes.get("metrics"):
                        self._set_note("metrics", "")
                        self.post_message(ConnectionChanged("connected"))
                    live = None if self.pods is None else {p.name for p in self.pods}
                    await panel.show(metrics, clock(now_utc()), live)
            await asyncio.sleep(METRICS_INTERVAL)

    # ------------------------------------------------------------------ tabs

    @on(TabbedContent.TabActivated, "#detail-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if event.pane.id:
            self._tab_shown(event.pane.id)

    def _tab_shown(self, tab: str) -> None:
        if not self.is_mounted or tab not in TAB_IDS:
            return
        if tab == "monitoring":
            if not self.deleted and self.metrics_panel.supported is not False:
                self.poll_metrics()
        else:
            self.workers.cancel_group(self, "detail-metrics")
        if tab == "revisions" and (not self._revisions_loaded or self._revisions_stale):
            self.load_revisions()
        if tab == "replicas" and self.pods is not None:
            self.replica_table.show(self.pods, self.deployment_name)
        if tab == "logs" and not self._logs_started and not self.deleted:
            self._logs_started = True
            self.load_exited()
            default = self._default_log_pod()
            if default is not None:
                self._tail_replica(default, picked=False)
            else:
                self.logs_view.set_waiting("waiting for a replica…" if self.pods is None
                                           else "no replica is running")
        focused = self.focused
        if focused is None or not self._in_pane(focused, tab):
            self._main_widget(tab).focus()
        self.refresh_bindings()

    def _in_pane(self, widget: Widget, tab: str) -> bool:
        node: DOMNode | None = widget
        while node is not None and node is not self:
            if isinstance(node, TabPane):
                return node.id == tab
            node = node.parent
        return False

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        if self.active_tab == "events" and self.events_view.filter_active:
            self.events_view.clear_filter()
            return
        if self.active_tab == "logs" and self.logs_view.search_open:
            self.logs_view.clear_search()
            return
        self.app.pop_screen()

    def action_show_tab(self, tab: str) -> None:
        if tab not in TAB_IDS:
            return
        if self.tabs.active == tab:
            self._tab_shown(tab)
        else:
            self.tabs.active = tab

    def action_cycle_tab(self, delta: int) -> None:
        index = TAB_IDS.index(self.active_tab) if self.active_tab in TAB_IDS else 0
        self.action_show_tab(TAB_IDS[(index + delta) % len(TAB_IDS)])

    def action_follow(self) -> None:
        tab = self.active_tab
        if tab == "events":
            self.events_view.toggle_follow()
        elif tab == "logs":
            self.logs_view.toggle_follow()

    def action_filter(self) -> None:
        if self.active_tab == "events":
            self.events_view.open_filter()

    def action_search(self) -> None:
        if self.active_tab == "logs":
            self.logs_view.open_search()

    def action_search_next(self, direction: int) -> None:
        logs = self.logs_view
        if self.active_tab != "logs":
            return
        if not logs.search:
            self.notify("Search the log with / first.", title="Logs")
        elif not logs.find(direction):
            self.notify("No line matches.", title="Logs")

    def action_timestamps(self) -> None:
        if self.active_tab == "logs":
            self.logs_view.toggle_timestamps()

    def action_save_logs(self) -> None:
        if self.active_tab == "logs":
            self.save_logs()

    @work(group="detail-save", exit_on_error=False)
    async def save_logs(self) -> None:
        """Ask where (a file under the current directory by default), then write what the view
        holds, as received; an existing file is replaced only after a yes."""
        from datetime import datetime
        from pathlib import Path

        from tui.screens.confirm import ConfirmScreen  # deferred: start-up time
        from tui.screens.file_prompt import FilePrompt  # deferred: start-up time

        logs = self.logs_view
        lines = [*logs.lines, *logs.pending]
        if not lines:
            self.notify("The log is empty: nothing to save.", title="Logs")
            return
        which = "all" if logs.pod_name == ALL_REPLICAS else short_replica(logs.pod_name or "", self.deployment_name)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        default = Path.cwd() / sanitize_filename(f"{self.deployment_name}-{which}-{stamp}.log")
        path = await self.app.push_screen_wait(FilePrompt("Save the log to", str(default)))
        if path is None:
            return
        if path.exists() and not await self.app.push_screen_wait(
                ConfirmScreen("Replace the file?", f"{path} exists. Replace it with this log?",
                              yes="Replace")):
            return
        try:
            await asyncio.to_thread(path.write_text, "\n".join(lines) + "\n", encoding="utf-8",
                                    errors="replace")
        except OSError as exc:
            self.notify(f"Could not save to {path}: {exc.strerror or exc}", title="Logs",
                        severity="error")
            return
        self.notify(f"Saved {len(lines)} lines to {path.resolve()}", title="Logs")

    def action_wrap(self) -> None:
        if self.active_tab == "logs":
            self.logs_view.toggle_wrap()

    def action_pick_replica(self) -> None:
        if self.active_tab == "logs":
            if not self.logs_view.open_selector():
                self.notify("No replica has run yet: there is no log to pick.", title="Logs")

    def action_json(self) -> None:
        """The replica under the cursor on the Replicas tab, the deployment elsewhere."""
        pod = self._current_pod() if self.active_tab == "replicas" else None
        if pod is not None:
            from tui.screens.json_view import JsonScreen  # deferred: start-up time

            self.app.push_screen(JsonScreen(f"{pod.name} (JSON)", json.dumps(pod.to_wire(), indent=2)))
        elif self.deployment is not None:
            self.app.show_json(self.deployment)

    def _current_pod(self) -> m.KubePodSchema | None:
        key = self.replica_table.current_key
        return next((p for p in self.pods or [] if p.name == key), None) if key else None

    def action_restart_replica(self) -> None:
        dep, pod = self.deployment, self._current_pod()  # captured now
        if dep is None or self.deleted:
            return
        if pod is None:
            self.notify("No replica under the cursor to restart.", title="Restart replica")
            return
        self.post_message(FlowRequested("restart_replica", dep, pod.name))

    def action_copy_url(self) -> None:
        if self.deployment is not None:
            self.app.copy_url(self.deployment)

    def action_toggle_watch(self) -> None:
        self.app.toggle_watch(self.deployment_name)

    def action_refresh(self) -> None:
        if self.deleted:
            return
        self.load()
        if self._revisions_loaded:
            self._revisions_stale = True
            if self.active_tab == "revisions":
                self.load_revisions()
        if self._streams_started:  # fresh snapshots of replicas and events
            self.watch_replicas()
            self.watch_events()
        if self.active_tab == "monitoring" and self.metrics_panel.supported is not False:
            self.poll_metrics()

    def action_mutate(self, what: str) -> None:
        dep = self.deployment  # captured now: a push cannot change the target
        if dep is None or self.deleted:
            return
        assert what in ("edit", "terminate", "delete", "restore", "scale"), what
        self.post_message(FlowRequested(what, dep))  # type: ignore[arg-type]

    def action_interact(self) -> None:
        if self.deployment is not None and not self.deleted:
            self.post_message(FlowRequested("interact", self.deployment))

    def action_mark_revision(self) -> None:
        key = self.revision_table.current_key
        if key is None:
            return
        self._marked_revision = None if self._marked_revision == key else key
        self.revision_table.mark(self._marked_revision)
        self.notify(f"Marked revision {key[:10]}; move to another and press d to diff"
                    if self._marked_revision else "Mark cleared", timeout=3)

    def action_diff_revisions(self) -> None:
        dep, current = self.deployment, self.revision_table.current_key
        if dep is None or current is None:
            return
        other = self._marked_revision or self._revision_uid
        if other is None or other == current:
            self.notify("Mark a revision with space, move to another, then press d", severity="warning")
            return
        self.post_message(FlowRequested("diff", dep, other, current))

    def action_rollback(self) -> None:
        dep, current = self.deployment, self.revision_table.current_key
        if dep is not None and current is not None and not self.deleted:
            self.post_message(FlowRequested("rollback", dep, current))

    async def on_key(self, event: events.Key) -> None:
        """Keys the footer hides (for room, or for this deployment's status) still answer."""
        if await answer_hidden_key(self, event.key, LIVE_WHEN_HIDDEN):
            event.stop()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.active_tab
        if action == "interact":
            return not self.app.read_only and tab != "revisions"
        if tab == "revisions" and (action, parameters) in ROOM_FOR_REVISION_KEYS:
            return False  # still live through on_key
        if action == "mutate":
            if self.app.read_only or self.deleted:
                return False
            if tab == "revisions" and parameters == ("edit",):
                return False  # room for space / d / R; still live through on_key
            status = self.deployment.status if self.deployment else None
            terminated = status in (m.DeploymentStatus.TERMINATED, m.DeploymentStatus.TERMINATING)
            if parameters == ("restore",):
                return terminated
            if parameters == ("terminate",):
                return not terminated
            return True
        if action in ("mark_revision", "diff_revisions"):
            return tab == "revisions"
        if action == "rollback":
            return tab == "revisions" and not self.app.read_only
        if action == "follow":
            return tab in ("events", "logs")
        if action == "filter":
            return tab == "events"
        if action in ("search", "timestamps", "save_logs"):
            return tab == "logs"
        if action == "search_next":
            return tab == "logs" and bool(self.logs_view.search)
        if action in ("wrap", "pick_replica"):
            return tab == "logs"
        if action == "restart_replica":
            return tab == "replicas" and not self.deleted
        if action in ("json", "copy_url"):
            return None if self.deployment is None else True
        return True
