"""The deployment list: live, filterable, sortable, keyed by uid.

Live from the resource subscription stream.  BentoCloud's subscription is by uid, so it
cannot announce new or deleted deployments: there the list is also re-read every
`refresh_interval` seconds.  Against the local control plane the `subscription_cluster`
extension pushes creations and deletions too, and no polling happens.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Input, Static

from tui import collector
from tui.api.enums import DeploymentStatus
from tui.api.errors import ApiError, ConnectionFailed, UnauthorizedError
from tui.api.slim_rows import SlimDeployment, SlimPage
from tui.messages import ConnectionChanged, FlowRequested
from tui.screens.hidden_keys import answer_hidden_key
from tui.widgets.context_bar import ContextBar
from tui.widgets.deployment_table import DeploymentTable
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_text import safe, safe_block
from tui.widgets.textual_compat import set_virtual_size_quietly
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.api import models as m
    from tui.api.sharing import SharedParts
    from tui.api.warm_pool import PoolWarmer
    from tui.app import BentoTUI

PAGE_SIZE = 500  # tui.api.prefetch.FIRST_PAGE asks for the same first page
TERMINATED = {DeploymentStatus.TERMINATED, DeploymentStatus.TERMINATING}
SORT_NAMES = {"name": "name", "status": "status", "created": "age", "updated": "updated"}
LIVE_WHEN_HIDDEN = frozenset({"mutate"})  # keys that answer although the footer hides them


class FilterInput(Input):
    """An Input that hands each new value to `on_value` as the value changes, not through an
    `Input.Changed` message: the message is handled after the Input's own repaint has gone out,
    so the filtered list would arrive a frame (~30 ms) after the typed key; this way both are
    in the same frame."""

    def __init__(self, on_value: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_value = on_value

    def validate_value(self, value: str) -> str:
        # Runs before Input's own watcher, which sets virtual_size (the text's width, for
        # scrolling it), a layout reactive: that lays out and repaints the whole screen (~15 ms
        # with the list) on every key although this box's size never changes.  Set it here,
        # first, without the layout pass, so the watcher finds it unchanged.
        size = Size(self.content_width, 1)
        if self.is_mounted and size != self.virtual_size:
            set_virtual_size_quietly(self, size)
        return value

    def watch_value(self, value: str) -> None:
        self._on_value(value)  # in the same call as the key that changed it: the same frame


Action = TypeVar("Action", bound=Callable[..., Any])


def after_full_rows(action: Action) -> Action:
    """An action that needs the full models and the session: while the first paint's slim rows
    are on screen (~0.1 s of a start), it is held and run once the full rows are in, so a key
    pressed then is answered, not lost."""

    @functools.wraps(action)
    def run(self: DeploymentsScreen, *args: Any) -> Any:
        if self._held is not None:
            self._held.append(functools.partial(action, self, *args))
            return None
        return action(self, *args)

    return run  # type: ignore[return-value]


class DeploymentsScreen(ReportsWorkerErrors, Screen[None]):
    """The home screen."""

    BINDINGS = [
        Binding("enter,d", "open", "Open", id="list.open"),
        Binding("slash", "filter", "Filter", id="list.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="list.clear_filter"),
        # l / y / c leave the footer to t / D / r (80 columns hold no more); `?` lists them.
        Binding("l", "logs", "Logs", show=False, id="list.logs"),
        Binding("y", "json", "JSON", show=False, id="list.json"),
        Binding("c", "copy_url", "Copy URL", show=False, id="list.copy_url"),
        Binding("N", "sort('name')", "Sort name", show=False, id="list.sort_name"),
        Binding("S", "sort('status')", "Sort status", show=False, id="list.sort_status"),
        Binding("A", "sort('created')", "Sort age", show=False, id="list.sort_age"),
        Binding("U", "sort('updated')", "Sort updated", show=False, id="list.sort_updated"),
        Binding("w", "wide", "Wide", show=False, id="list.wide"),
        Binding("K", "pick_cluster", "Cluster", show=False, id="list.cluster"),
        Binding("p", "pulse", "Pulse", show=False, id="list.pulse"),
        Binding("ctrl+r", "refresh", "Refresh", show=False, id="list.refresh"),
        Binding("W", "toggle_watch", "Watch", show=False, id="list.watch"),
        # Mutations (tui/actions.py): hidden and refused in read-only mode; the footer shows
        # those the row under the cursor allows (terminate, or restore and delete).
        Binding("n", "mutate('new')", "New", id="list.new"),
        Binding("e", "mutate('edit')", "Edit", show=False, id="list.edit"),
        Binding("t", "mutate('terminate')", "Terminate", id="list.terminate"),
        Binding("r", "mutate('restore')", "Restore", id="list.restore"),
        Binding("D", "mutate('delete')", "Delete", id="list.delete"),
        Binding("s", "mutate('scale')", "Scale", show=False, id="list.scale"),
    ]

    HELP = "The deployments of the current cluster, live. Rows stay under the cursor on refresh."

    app: BentoTUI

    def __init__(self, first: SlimPage | None = None) -> None:
        super().__init__()
        # The first page as slim rows (tui/api/slim_rows.py), painted before the session opens.
        self.first = first
        # Actions that need the full rows, held while the slim ones are shown (after_full_rows).
        self._held: list[Callable[[], object]] | None = [] if first is not None else None
        self._shared_parts: SharedParts | None = None
        self._live_started = False
        # Set while no list read is under way: the first page's resync waits for it, so that a
        # long list's pages are not slowed by reading (and comparing) the first one again.
        self._not_loading = asyncio.Event()
        self._not_loading.set()
        self._expected: int | None = None  # while loading: how many the server said there are
        self._unfinished: str | None = None  # why the list read last is not whole
        self._pushed_during_resync: list[set[str]] = []
        # While the pages are read: each deployment pushed meanwhile (None: deleted).  A push is
        # newer than a page read before it, and the whole list read at the end must not undo it.
        self._pushed_during_load: dict[str, m.DeploymentSchema | None] | None = None
        self._read_again = False  # the next read is the one after a read the list changed under
        self._painted: dict[str, object] = {}  # the header and summary lines last written
        self._warmer: PoolWarmer | None = None

    # The table, not the first focusable widget: the filter box was focused for a moment while
    # the screen mounted, and keys typed then went into it, hidden (an invisible filter).
    AUTO_FOCUS = "#deployments"

    def compose(self) -> ComposeResult:
        yield ContextBar()
        with Vertical(id="list-body"):
            filter_box = FilterInput(self._filter_changed,
                                     placeholder="filter: name, bento, status…  (esc clears)", id="filter")
            filter_box.display = False  # hidden from the start: never focusable until / opens it
            yield filter_box
            yield Static(id="list-header")
            yield DeploymentTable(id="deployments")
            yield Static(id="list-empty")
        yield Static(id="list-summary")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.table.focus()
        self._paint_header()
        # wide mode scrolls the rows sideways (←/→): the header follows
        self.watch(self.table, "scroll_x", lambda _: self._paint_header(), init=False)
        if self.first is not None:  # no session yet: the app opens it once these are painted
            self.table.v2_statuses = self.first.v2
            self.table.upsert_many(self.first.rows)
            self._expected = self.first.total
            self._after_data()
            return
        self._show_empty("Loading deployments…")
        self.load()  # starts the live subscription once the first rows are painted

    @property
    def _shared(self) -> SharedParts:
        """One copy of the creators, clusters and bentos of the list (made with the first load:
        it imports pydantic_core, which the first paint does without)."""
        if self._shared_parts is None:
            from tui.api.sharing import SharedParts  # deferred: start-up time

            self._shared_parts = SharedParts()
        return self._shared_parts

    @property
    def _loading(self) -> bool:
        """The list's pages are being read."""
        return not self._not_loading.is_set()

    @property
    def holding_keys(self) -> bool:
        """Actions are held for the full rows: the keys typed after them wait too, so that they
        reach what those actions open, not this list (tui/key_order.py)."""
        return bool(self._held)

    def _full_rows_in(self) -> None:
        """The session's first page replaced the slim rows: run the keys held meanwhile."""
        held, self._held = self._held, None
        for action in held or ():
            self.call_later(action)  # in order, each as if its key were pressed now

    def _drop_slim_rows(self) -> None:
        """The full read failed: no slim row stays on screen as if it were read."""
        if self._held is None:
            return
        if any(isinstance(d, SlimDeployment) for d in self.table.all_items()):
            self.table.replace_all([d for d in self.table.all_items() if not isinstance(d, SlimDeployment)])
        self._held = None  # the held keys need full rows; there are none to act on

    @property
    def table(self) -> DeploymentTable:
        return self.query_one(DeploymentTable)

    # ------------------------------------------------------------------ loading

    @work(exclusive=True, group="list-load", exit_on_error=False)
    async def load(self) -> None:
        """Read the whole list (tui.api.paging): the first page paints at once, each further
        page joins the table as it arrives, the summary counting up; keys are answered between
        pages.  The garbage collector is paused meanwhile (tui/collector.py)."""
        session = self.app.session
        if session is None:
            return
        v2 = session.flavour == "v2"  # `scaled-to-zero` is a v2 status
        if v2 != self.table.v2_statuses:
            self.table.v2_statuses = v2
            self.table.refresh()
        first = True
        seen: list[m.DeploymentSchema] = []
        totals: set[int] = set()  # the count each page came with
        again, self._read_again = self._read_again, False
        pushed: dict[str, m.DeploymentSchema | None] = {}
        self._pushed_during_load = pushed
        self._not_loading.clear()
        self._shared.new_list_read()
        pages = session.client.deployment_pages(session.cluster, first=PAGE_SIZE, shared=self._shared)
        try:
            with collector.paused():
                async for total, shared in pages:  # parsed with their repeated parts shared
                    seen.extend(shared)
                    totals.add(total)
                    self._expected = max(total, len(seen))
                    self.table.upsert_many(_newest(shared, pushed) if pushed else shared)
                    self._after_data()
                    if first:
                        first = False
                        self.call_after_refresh(self.app.startup_finished)
                        self._start_live()
                        self._full_rows_in()
                    await asyncio.sleep(0)  # paint this page, answer keys
                self._not_loading.set()
                self._expected = None
                self._unfinished = None
                read = {d.uid for d in seen}
                self.table.replace_all(_newest(seen, pushed) + [  # and those created meanwhile
                    d for uid, d in pushed.items() if d is not None and uid not in read])
                self._after_data()
                if len(seen) > PAGE_SIZE:
                    self.app.list_loaded()  # while paused: the collector never walks the list
        except ConnectionFailed as exc:
            self.post_message(ConnectionChanged("reconnecting", exc.message))
            self._load_failed(f"Cannot reach {session.endpoint}: {exc.message}. Retrying…")
            return
        except UnauthorizedError as exc:
            self._drop_slim_rows()
            self.app.token_refused(exc.message)
            return
        except ApiError as exc:
            self._load_failed(exc.message, "Could not list deployments")
            return
        finally:
            await pages.aclose()
            if self._pushed_during_load is pushed:
                self._pushed_during_load = None
            self._not_loading.set()
            if self._held is not None:  # not one full page came
                self._drop_slim_rows()
                self._after_data()
            self._start_live()
        self.call_after_refresh(self.app.startup_finished)
        self.post_message(ConnectionChanged("connected"))
        self._sync_subscription()
        if len(seen) > PAGE_SIZE and (len(totals) > 1 or None in pushed.values()) and not again:
            # Offset pages shift when deployments come or go under them: a row at the edge of a
            # page asked for after a delete was in none.  Read once more, the list settled.
            self._read_again = True
            self.call_later(self.load)

    def _load_failed(self, message: str, title: str = "") -> None:
        """A page that failed: the rows read before it stay, and the summary says the list is
        not whole (ctrl+r reads it again)."""
        self._drop_slim_rows()
        if not self.table.total:
            self._show_empty(message)
        if title or self.table.total:
            self.notify(message, title=title or "Could not list all deployments", severity="error")
        if self.table.total:
            self._unfinished = message
        self._expected = None
        self._paint_summary()

    def _start_live(self) -> None:
        """The live subscription starts once the first rows are on screen (its websocket stack
        is not worth delaying them for); it then re-reads the first page, so a change made
        between that page's request and the subscription is not missed."""
        if not self._live_started:
            self._live_started = True
            self.call_after_refresh(self.watch_live)
            self.call_after_refresh(self._keep_warm)

    @work(exclusive=True, group="list-resync", exit_on_error=False)
    async def resync_first_page(self, settle: float = 0.1) -> None:
        session = self.app.session
        if session is None:
            return
        # Without the server's "subscribed" notice, "connected" is reported just before the
        # subscribe frame is sent: give the server a moment to take it, so this read is not
        # older than the pushes that follow.
        await asyncio.sleep(settle)
        await self._not_loading.wait()  # after a read under way: this one, later, is as fresh
        table = self.table
        before = {d.uid for d in table.all_items()}
        pushed: set[str] = set()  # deployments pushed meanwhile: newer than this read, they win
        self._pushed_during_resync.append(pushed)
        try:
            page = await session.client.list_deployments(session.cluster, start=0, count=PAGE_SIZE,
                                                         shared=self._shared)
        except ApiError:
            return  # the stream's own reconnect (or ctrl+r) catches up
        finally:
            self._pushed_during_resync.remove(pushed)
        fresh = {d.uid: d for d in page.items if d.uid not in pushed}
        changed = []
        for uid, d in fresh.items():
            old = table.get(uid)
            if old is None or old != d:
                changed.append(self._shared.deployment(d))
        gone: set[str] = set()
        if page.total <= len(page.items) and not self._loading:  # the page is the whole list
            gone = before - {d.uid for d in page.items} - pushed
        if changed:
            table.upsert_many(changed)
        for uid in gone:
            table.remove_deployment(uid)
        if changed or gone:
            self._after_data()

    def _after_data(self) -> None:
        self._paint_header()
        if self.table.total:
            self.query_one("#list-empty", Static).display = False
        else:
            self._show_empty("No deployments in this cluster yet." + (
                "" if self.app.read_only else "  Press n to create one."))
        self._paint_summary()

    def _show_empty(self, text: str) -> None:
        empty = self.query_one("#list-empty", Static)
        empty.update(safe_block(text))
        empty.display = True

    def _paint_header(self) -> None:
        width = self.table.view_width() or (self.app.size.width - 2)
        header = self.table.header_line(width)
        if header == self._painted.get("header"):
            return  # every page of a long list asks: the same line is not written again
        self._painted["header"] = header
        # height 1 in app.tcss: no layout pass needed (one would repaint the whole screen)
        self.query_one("#list-header", Static).update(header, layout=False)

    def _paint_summary(self) -> None:
        table = self.table
        shown, total = len(table), table.total
        text = f" {total} deployment{'s' if total != 1 else ''}"
        if table.filter_text:
            text = f" {shown} of {total} deployment{'s' if total != 1 else ''} match “{table.filter_text}”"
        if self._expected is not None and self._expected > total:
            text += f" · loading, {self._expected} in all…"
        elif self._unfinished:
            text += " · not all: the list stopped (ctrl+r reads it again)"
        # Said here as well as by the header's ▲/▼: age has no column at 80 columns.
        text += f" · sorted by {SORT_NAMES.get(table.sort_key, table.sort_key)} "
        text += "▼" if table.sort_desc else "▲"
        if text == self._painted.get("summary"):
            return
        self._painted["summary"] = text
        # safe(): the filter is typed text ("[/]" is a fine thing to search for), never markup
        self.query_one("#list-summary", Static).update(safe(text), layout=False)  # height 1

    def on_resize(self) -> None:
        self._paint_header()

    # ------------------------------------------------------------------ live

    @work(exclusive=True, group="list-live", exit_on_error=False)
    async def watch_live(self) -> None:
        session = self.app.session
        if session is None:
            return
        # Imported here, not at the top: httpx-ws and wsproto cost ~30 ms that the first paint
        # of the list need not wait for.
        from tui.api.streams import StreamStatus, subscribe_resources

        cluster_push = session.has_extension("subscription_cluster")
        stream = subscribe_resources(
            session.client, [], cluster_name=session.cluster if cluster_push else None
        )
        self._subscription = stream
        poller = None if cluster_push else asyncio.create_task(self._poll_for_new_and_deleted())
        was_down = False
        synced = False
        try:
            async for item in stream:
                if isinstance(item, StreamStatus):
                    if item.state == "reconnecting":
                        was_down = True
                        self.post_message(ConnectionChanged("reconnecting", item.error))
                    elif item.state == "connected":
                        self.post_message(ConnectionChanged("connected"))
                        if not synced and not cluster_push:  # with it: on "subscribed"
                            synced = True
                            self.resync_first_page()
                        if was_down:
                            was_down = False
                            self.load()  # catch up on what changed while we were away
                    continue
                self._apply_push(item)
        except UnauthorizedError as exc:
            self.app.token_refused(exc.message)
        finally:
            if poller:
                poller.cancel()
            await stream.aclose()

    def _apply_push(self, push: m.SubscriptionPush) -> None:
        if push.resource_type != "deployment":
            return
        if push.event == "subscribed":  # the cluster subscription is in force: read once more
            self.resync_first_page(settle=0.0)
            return
        uid = push.payload.get("uid")
        if uid:
            for pushed in self._pushed_during_resync:
                pushed.add(uid)
        if push.event == "deleted":
            if uid:
                if self._pushed_during_load is not None:
                    self._pushed_during_load[uid] = None
                self.table.remove_deployment(uid)
                self._after_data()
            return
        from tui.api import models  # loaded by now: the pushes come after the full first page

        try:
            deployment = models.parse_response(models.DeploymentSchema, push.payload)
        except Exception:  # a payload we cannot read must not break the stream
            return
        if deployment.cluster.name != self.app.session.cluster:  # type: ignore[union-attr]
            return
        deployment = self._shared.deployment(deployment)
        if self._pushed_during_load is not None:
            self._pushed_during_load[deployment.uid] = deployment
        is_new = self.table.get(deployment.uid) is None
        self.table.upsert(deployment)
        if deployment.uid == self.table.cursor_uid:
            self.refresh_bindings()  # its status may allow other keys now
        if is_new:
            self._after_data()
            self._sync_subscription()

    def _sync_subscription(self) -> None:
        stream = getattr(self, "_subscription", None)
        if stream is None or stream.cluster_name:
            return
        uids = [d.uid for d in self.table.all_items()]
        asyncio.create_task(stream.set_resource_uids(uids))

    async def _poll_for_new_and_deleted(self) -> None:
        while True:
            await asyncio.sleep(self.app.settings.refresh_interval)
            # the pulse (tui/screens/pulse.py) shows this list: keep it whole for it too
            if self.app.screen is self or getattr(self.app.screen, "source", None) is self:
                self.load()

    # ------------------------------------------------------------------ actions

    @on(DeploymentTable.Highlighted)
    def _row_changed(self) -> None:
        self.refresh_bindings()  # the footer's t / r / D follow the row
        self._keep_warm()

    def on_screen_resume(self) -> None:
        self._keep_warm()

    def on_unmount(self) -> None:
        if self._warmer is not None:
            self._warmer.stop()

    def _keep_warm(self) -> None:
        """Idle connections for the detail's requests while keys move here (tui/api/warm_pool.py)."""
        session = self.app.session
        if session is None or not self._live_started:  # not before the first rows are painted
            return
        if self._warmer is None or self._warmer.client is not session.client:
            from tui.api.warm_pool import PoolWarmer  # deferred: start-up time (it loads the client)

            self._warmer = PoolWarmer(session.client, active=lambda: self.app.screen is self)
        self._warmer.touch()

    @on(DeploymentTable.Selected)
    @after_full_rows
    def _open_selected(self, event: DeploymentTable.Selected) -> None:
        # Held while the slim rows were up, the event carries a slim row: the full one now.
        shown = self.table.get(event.deployment.uid) or event.deployment
        self.app.open_deployment(shown.name if isinstance(shown, SlimDeployment) else shown)

    @after_full_rows
    def action_open(self) -> None:
        current = self.table.current
        if current is not None:
            self.app.open_deployment(current)

    @after_full_rows
    def action_logs(self) -> None:
        current = self.table.current
        if current is not None:
            self.app.open_deployment(current, tab="logs")

    @after_full_rows
    def action_json(self) -> None:
        current = self.table.current
        if current is not None:
            self.app.show_json(current)

    @after_full_rows
    def action_copy_url(self) -> None:
        current = self.table.current
        if current is not None:
            self.app.copy_url(current)

    @after_full_rows
    def action_toggle_watch(self) -> None:
        current = self.table.current
        if current is not None:
            self.app.toggle_watch(current.name)

    @after_full_rows
    def action_refresh(self) -> None:
        self.load()

    def action_sort(self, key: str) -> None:
        self.table.set_sort(key)
        self._paint_header()
        self._paint_summary()

    def action_wide(self) -> None:
        self.table.wide = not self.table.wide
        self._paint_header()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display or self.table.filter_text:
            box.value = ""
            box.display = False
            self.table.set_filter("")
            self.table.focus()
            self._paint_summary()

    def _filter_changed(self, value: str) -> None:
        if not self.is_mounted:
            return
        self.table.set_filter(value)
        self._paint_header()  # fewer rows than the view: no scrollbar, the columns widen
        self._paint_summary()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.action_clear_filter()
        else:
            self.table.focus()

    @after_full_rows
    def action_mutate(self, what: str) -> None:
        """n / e / t / D / r: a flow of tui/actions.py (FlowRequested) on the row under the cursor,
        captured now so a refresh cannot change the target."""
        if what == "new":
            self.post_message(FlowRequested("new"))
            return
        target = self.table.current
        if target is None:
            self.notify("no deployment selected", severity="warning")
            return
        assert what in ("edit", "terminate", "delete", "restore", "scale"), what
        self.post_message(FlowRequested(what, target))  # type: ignore[arg-type]

    @after_full_rows
    def action_pulse(self) -> None:
        """The whole fleet at a glance (tui/screens/pulse.py), live from this list."""
        from tui.screens.pulse import PulseScreen  # deferred: start-up time

        self.app.push_screen(PulseScreen(self))

    @after_full_rows
    def action_pick_cluster(self) -> None:
        self.app.pick_cluster()

    async def on_key(self, event: events.Key) -> None:
        """t / D / r hidden for the row under the cursor still answer (screens/hidden_keys.py)."""
        if await answer_hidden_key(self, event.key, LIVE_WHEN_HIDDEN):
            event.stop()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("mutate", "clear_filter", "pick_cluster") and not self.is_mounted:
            return False  # asked before the screen is composed (its table, its filter): no row yet
        if action == "mutate":
            if self.app.read_only:
                return False
            # The footer offers what the row allows: terminate, or restore and delete.
            current = self.table.current
            terminated = current is not None and current.status in TERMINATED
            if parameters == ("terminate",):
                return current is not None and not terminated
            if parameters in (("restore",), ("delete",)):
                return terminated if parameters == ("delete",) else (
                    current is not None and current.status == DeploymentStatus.TERMINATED)
            return True
        if action == "clear_filter":
            return bool(self.table.filter_text) or self.query_one("#filter", Input).display
        if action == "pick_cluster":
            session = self.app.session
            return bool(session and len(session.clusters) > 1)
        return True

    def reload_for_cluster(self) -> None:
        self.table.replace_all([])
        self._show_empty("Loading deployments…")
        self.load()
        self.watch_live()


def _newest(read: Iterable[m.DeploymentSchema],
            pushed: dict[str, m.DeploymentSchema | None]) -> list[m.DeploymentSchema]:
    """`read` (pages of the list) with each deployment pushed since the read began as pushed:
    a page can have been answered before a change whose push has already been shown."""
    newest: list[m.DeploymentSchema] = []
    for d in read:
        if d.uid not in pushed:
            newest.append(d)
        elif (newer := pushed[d.uid]) is not None:
            newest.append(newer)
    return newest
