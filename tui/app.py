"""The Textual app: connection, global keys, theme, keymap, and the screens' shared services."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from tui import collector
from tui.api.contexts import Context, ContextError, list_contexts
from tui.api.errors import describe_failure
from tui.api.prefetch import Prefetch
from tui.config import Settings, load_settings
from tui.key_order import KeyOrder
from tui.keymap import binding_scopes, check_keymap
from tui.messages import ConnectionChanged, FlowRequested, OpenDeployment, WorkerFailed
from tui.screens.breakpoints import CRAMPED_WIDTH
from tui.screens.deployments import DeploymentsScreen
from tui.screens.stylesheets import STYLES
from tui.widgets.context_bar import ContextBar
from tui.widgets.footer import KeysFooter
from tui.widgets.safe_text import clean, clean_block, is_unsafe, safe_block

# The rest of the app (the models, the session and its client, the flows, the palette's
# commands, the alerts) loads right after the first paint, not before it: `bentotui` paints
# the prefetched first page from slim rows (tui/api/slim_rows.py) without pydantic.
if TYPE_CHECKING:
    from textual.command import Provider

    from tui.alert_service import AlertService
    from tui.api import models as m
    from tui.api.slim_rows import SlimPage
    from tui.session import Session

log = logging.getLogger(__name__)


def _bento_commands() -> type[Provider]:
    """The palette's own commands, loaded when the palette first opens (Textual calls this)."""
    from tui.commands import BentoCommands  # deferred: start-up time

    return BentoCommands


RETRY_DELAYS = (1.0, 2.0, 3.0, 5.0)
MAX_PROBLEMS_SHOWN = 3  # problems in the configuration notification; the rest are counted
MAX_PROBLEM_CHARS = 80  # a line of it; fewer on narrow terminals, so that it fits 60x20
PRELOAD_AFTER_S = 0.3  # after the first list is painted: the detail screen's code is loaded then
# After the first paint from slim rows, before the session's imports (~0.15 s that hold the
# interpreter): the driver's writer thread puts the frame on the terminal meanwhile; started at
# once, the imports kept it from the terminal for 30-100 ms.
FLUSH_S = 0.02


class BentoTUI(App[int]):
    TITLE = "bentotui"
    CSS_PATH = STYLES / "app.tcss"  # each screen reads its own file when first shown
    COMMAND_PALETTE_BINDING = "ctrl+p"
    COMMANDS = App.COMMANDS | {_bento_commands}

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.force_quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        # Both keys in one binding: Textual adds its own ctrl+p only when no binding of the
        # app runs the palette, so a `:` binding alone silently took ctrl+p away.
        Binding("ctrl+p,colon", "command_palette", "Commands", show=False, id="app.command"),
        Binding("x", "pick_context", "Context", show=False, id="app.context"),
        Binding("r", "retry_connect", "Retry", id="app.retry"),
        Binding("exclamation_mark", "alerts", "Alerts", show=False, id="app.alerts"),
    ]

    connection_state: reactive[str] = reactive("connecting")
    context_label: reactive[str] = reactive("")
    endpoint_label: reactive[str] = reactive("")
    cluster_label: reactive[str] = reactive("")
    read_only: reactive[bool] = reactive(False)

    def __init__(
        self,
        context: Context,
        *,
        settings: Settings | None = None,
        read_only: bool | None = None,
        theme: str | None = None,
        prefetch: Prefetch | None = None,
    ) -> None:
        super().__init__()
        self._prefetch = prefetch  # the first connection's requests, already under way
        self.context = context
        # A context given on the command line (--endpoint, the environment) is in no file: kept
        # here, so that `x` can switch back to it after switching away.
        self.given_context = context if context.source in ("flag", "env") else None
        self.settings = settings or load_settings()
        self.session: Session | None = None
        self._alerts: AlertService | None = None
        self._early_screen: DeploymentsScreen | None = None  # painted from slim rows, no session yet
        self._first_page: SlimPage | None = None
        if prefetch is not None:  # already in (on loopback, it is by now): one screen to style
            from tui.api.slim_rows import first_page_now  # deferred: only a prefetched start needs it

            self._first_page = first_page_now(prefetch, context.api_version)
        self._list_frozen = False
        self._screens_preloaded = False
        self._retry_wanted = asyncio.Event()  # set by r after a refused token
        self._key_order = KeyOrder(self)
        self._requested_theme = theme or self.settings.theme
        self.set_reactive(BentoTUI.read_only, bool(read_only) or self.settings.read_only)
        # why, for the messages that refuse an action (tui/read_only.py)
        self.read_only_reason = ("started with --read-only" if read_only
                                 else self.settings.read_only_reason)
        self.set_reactive(BentoTUI.context_label, context.name)
        self.set_reactive(BentoTUI.endpoint_label, context.endpoint or "")

    async def on_event(self, event: events.Event) -> None:
        # a key's binding runs before the keys typed after it are handed on (tui/key_order.py)
        if isinstance(event, events.Key) and await self._key_order.handle(event):
            return
        await super().on_event(event)

    @property
    def alerts(self) -> AlertService:
        """Listens to watched deployments on every screen; made with the first session."""
        if self._alerts is None:
            from tui.alert_service import AlertService  # deferred: start-up time

            self._alerts = AlertService(self)
        return self._alerts

    def compose(self) -> ComposeResult:
        self.set_class(self.size.width < CRAMPED_WIDTH, "-cramped")
        if self._first_page is not None:
            return  # the list is the first screen (on_mount); these come only if it is needed
        yield from self._connecting_widgets()

    def _connecting_widgets(self) -> list[Widget]:
        """The base screen: what is shown while connecting, and why a connection failed."""
        return [ContextBar(), Static("Connecting…", id="connecting"), KeysFooter()]

    def on_resize(self, event: events.Resize) -> None:
        """Narrower than 80 columns: `-cramped` (styles/app.tcss) packs footers and tabs tighter
        so `? Help` and `6 Logs` stay on screen at 60x20."""
        self.set_class(event.size.width < CRAMPED_WIDTH, "-cramped")

    def on_mount(self) -> None:
        self.set_timer(5.0, self.startup_finished)  # in case the list never paints
        problems = [*self.settings.problems, *self._choose_theme(), *self._apply_keymap()]
        self._report_configuration(problems)
        if self._first_page is not None:
            # after the app's mount: pushed during it, the list was painted once inside Textual's
            # mount batch (a frame thrown away, ~10-30 ms) before the frame that is shown
            self.call_later(self._show_first_page, self._first_page)
        elif self._prefetch is not None:
            self.paint_first_page()
        else:
            self.connect()

    def _show_first_page(self, page: SlimPage) -> None:
        """The list from the slim rows, then the rest of the start once it is painted."""
        screen = DeploymentsScreen(page)
        self._early_screen = screen
        self.push_screen(screen)
        # the session and the models, once this paint is on the terminal
        screen.call_after_refresh(lambda: self.set_timer(FLUSH_S, self.connect))

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def paint_first_page(self) -> None:
        """The prefetched first page on screen as slim rows, before pydantic, the models and the
        session are imported; those load right after the paint (`connect`), and the same page
        parsed by the models replaces the slim rows, uid for uid.  Without a usable page:
        `connect` at once, as without a prefetch."""
        from tui.api.slim_rows import first_page  # deferred: only a prefetched start needs it

        assert self._prefetch is not None
        page = await first_page(self._prefetch, self.context.api_version)
        if page is None:
            self.call_later(self.connect)
            return
        self._show_first_page(page)

    def notify(self, message: object, *, title: object = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification is plain text with its control characters escaped: messages
        carry server error bodies, names and paths, and markup in them once crashed the app."""
        super().notify(clean_block(message, limit=2000), title=clean(title, limit=200),
                       severity=severity, timeout=timeout, markup=False)

    def startup_finished(self) -> None:
        """The first list is on screen: turn the garbage collector back on (`bentotui` starts
        with it off), with everything start-up made frozen out of its passes."""
        import gc

        if not collector.enabled():
            gc.freeze()
            collector.enable()  # now, or when the list being read is in (tui/collector.py)
        if not self._screens_preloaded:
            self._screens_preloaded = True
            self.set_timer(PRELOAD_AFTER_S, self._preload_screens)

    def _preload_screens(self) -> None:
        """The detail screen's code, loaded while the user reads the list, not after the first
        enter (~50-150 ms that the detail would otherwise paint later, and send its requests later).
        Its styles too: read at the first push, they would restyle the whole app then."""
        from tui.screens.detail import DetailScreen  # deferred: start-up time (loaded once the list is up)

        path = str(DetailScreen.CSS_PATH)
        if not self.stylesheet.has_source(path):
            self.stylesheet.read(path)
            self.stylesheet.reparse()  # no restyle: nothing shown yet is a DetailScreen

    def list_loaded(self) -> None:
        """A full list was read: keep its (long-lived, acyclic) models out of the collector's
        passes, which otherwise walk every one of 10,000 deployments now and then and stall
        a keystroke for 100 ms or more."""
        import gc

        # Once only: a later freeze would also pin whatever cyclic garbage sits in the oldest
        # generation by then, for good (re-reads every refresh_interval against BentoCloud).
        if collector.enabled() and not self._list_frozen:
            self._list_frozen = True
            if gc.isenabled():
                gc.collect(1)  # the young garbage goes first; the rest is the list and the app
            # else the list was read with the collector paused (tui/collector.py): all of it is
            # young, and a pass over it would cost ~0.5 s to find the few cycles a load makes
            gc.freeze()

    # ------------------------------------------------------------------ theme and keymap

    def _choose_theme(self) -> list[str]:
        """Apply the wanted theme; a problem with it as a line for the configuration report."""
        wanted = self._requested_theme
        problems = []
        if wanted:
            if wanted in self.available_themes:
                self.theme = wanted
                return []
            problems.append(f"theme {wanted!r} is unknown; themes: "
                            f"{', '.join(sorted(self.available_themes))}")
        if self.console.color_system in (None, "standard", "windows"):
            self.theme = "ansi-dark"  # 16-colour terminal: use its own palette
        return problems

    def _apply_keymap(self) -> list[str]:
        """Apply the user's keymap (its known ids); the problems it has, one line each."""
        if not self.settings.keymap:
            return []
        keymap, problems = check_keymap(dict(self.settings.keymap), binding_scopes(type(self)))
        self.set_keymap(keymap)
        return problems

    def _report_configuration(self, problems: list[str]) -> None:
        """Every configuration problem in one notification (several would stack past the top
        of a 24-row screen), the read-only ones first and as errors."""
        if not problems:
            return
        problems = sorted(problems, key=lambda line: "read-only" not in line)  # safety first
        path = self.settings.path
        if path is not None:  # the full path once, at the end; the file's name in each line
            problems = [p.replace(str(path), path.name) for p in problems]
        # A toast is half the screen wide: three wrapped rows a problem at most.
        limit = max(30, min(MAX_PROBLEM_CHARS, (self.size.width // 2 - 6) * 3))
        # A safety line is never cut: its end says the app runs read-only, and why.
        shown = [p if "read-only" in p else _shorten(p, limit) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > len(shown):
            shown.append(f"… and {len(problems) - len(shown)} more")
        title = f"Configuration: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = [f"• {line}" for line in shown]
        if path is not None:
            where = _home_short(path)
            lines.append(f"in {where if len(where) <= limit else '…' + where[-limit:]}")
        self.notify("\n".join(lines), title=title, markup=False,
                    severity="error" if self.settings.read_only_forced else "warning", timeout=15)

    # ------------------------------------------------------------------ connection

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self, cluster: str | None = None) -> None:
        from tui.session import SessionError, open_session, refused_advice  # deferred: start-up time

        attempt = 0
        while True:
            try:
                self.connection_state = "connecting"
                prefetch, self._prefetch = self._prefetch, None
                session = await open_session(self.context, cluster, prefetch=prefetch)
                break
            except SessionError as exc:
                self._drop_early_screen()
                if exc.refused:  # the same token again cannot help: wait for the user
                    self._retry_wanted.clear()
                    self.connection_state = "refused"
                    said = str(exc)
                    self._show_connecting(
                        f"{said[:1].upper()}{said[1:]}.\nTo fix it: {refused_advice(self.context)}.\n"
                        "Press r to try again, x to switch context, q to quit.")
                    await self._retry_wanted.wait()
                    continue
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                attempt += 1
                self.connection_state = "reconnecting"
                what = "Cannot use" if exc.answered else "Cannot connect to"
                self._show_connecting(f"{what} {self.context.name}: {exc}\n"
                                      f"Retrying in {delay:.0f} s… (x switches context, q quits)")
                await asyncio.sleep(delay)
        old = self.session
        self.session = session
        self.context = session.context
        self.context_label = session.context.name
        self.endpoint_label = session.endpoint
        self.cluster_label = session.cluster
        self.connection_state = "connected"
        if old is not None:
            await old.close()
        early, self._early_screen = self._early_screen, None
        if early is not None and early in self.screen_stack and early.first is not None \
                and early.first.cluster == session.cluster:
            early.load()  # the full models replace the slim rows of the first paint, uid for uid
        else:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            await self.push_screen(DeploymentsScreen())
        if session.flavour_note:
            self.notify(session.flavour_note, title="API version", severity="warning",
                        markup=False, timeout=15)
        self.alerts.session_opened(session)
        self.mark_watched()

    def _drop_early_screen(self) -> None:
        """The session did not open: the slim rows go, the connection's message shows."""
        early, self._early_screen = self._early_screen, None
        if early is not None:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            self._show_connecting("Connecting…")

    def token_refused(self, message: str) -> None:
        """The server refused the token in the middle of a session: say it once, with what
        to do; the streams have stopped (they do not retry a refused token)."""
        if self.connection_state == "refused":
            return
        from tui.session import refused_advice  # deferred: start-up time

        self.connection_state = "refused"
        said = message[:1].upper() + message[1:]
        self.notify(f"{said}. To fix it: {refused_advice(self.context)}. "
                    "Then x reconnects (pick this context again).",
                    title="Token refused", severity="error", timeout=60)

    def action_help_quit(self) -> None:
        """ctrl+c (it copies in a text box): Textual's own hint shows its markup as text here
        (every notification is plain text: `Press [b]ctrl+q[/b] to quit`)."""
        keys = [self.get_key_display(active.binding) for active in self.active_bindings.values()
                if active.binding.action in ("quit", "app.quit")]
        self.notify(f"Press {' or '.join(dict.fromkeys(keys)) or 'ctrl+q'} to quit.",
                    title="Do you want to quit?")

    def watch_connection_state(self) -> None:
        self.refresh_bindings()  # the footer offers r (retry) exactly while the token is refused

    def action_retry_connect(self) -> None:
        self._retry_wanted.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry_connect":
            return self.connection_state == "refused"
        return True

    def _show_connecting(self, text: str) -> None:
        base = self.screen_stack[0] if self.screen_stack else None
        if base is not None and not base.query("#connecting"):  # the list was the first screen
            base.mount_all(self._connecting_widgets())
        try:
            # The text may quote an error body from whatever answered at the endpoint.
            self.query_one("#connecting", Static).update(safe_block(text, limit=1000))
        except Exception:
            pass

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.connection_state = message.state

    async def switch_context(self, context: Context) -> None:
        self.context = context
        self.context_label = context.name
        self.endpoint_label = context.endpoint or ""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._show_connecting(f"Connecting to {context.name}…")
        self.connect()

    def run_switch_context(self, context: Context) -> None:
        if self._unsaved_editor_says_no("context"):  # (the palette's commands come here)
            return
        asyncio.create_task(self.switch_context(context))

    def action_show_deployments(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def switch_cluster(self, cluster: str) -> None:
        if self.session is None or cluster == self.session.cluster or self._unsaved_editor_says_no("cluster"):
            return
        self.session.cluster = cluster
        self.cluster_label = cluster
        self.alerts.session_opened(self.session)  # the watched set is per cluster
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if isinstance(self.screen, DeploymentsScreen):
            self.screen.reload_for_cluster()
        self.mark_watched()

    # ------------------------------------------------------------------ what screens ask for

    def on_flow_requested(self, message: FlowRequested) -> None:
        """A screen asked for a flow (tui/actions.py): run it in a worker on the app."""
        from tui import actions  # deferred: start-up time

        message.stop()
        worker = actions.requested(self, message.flow, message.deployment, message.args, message.done)
        self._key_order.flow_started(worker)  # the keys after it wait for the screen it opens

    def on_open_deployment(self, message: OpenDeployment) -> None:
        from tui import actions  # deferred: start-up time

        message.stop()
        actions.show_deployment(self, message.deployment)

    # ------------------------------------------------------------------ the one error path

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app's own workers (connection, flows): same path as the screens' ones."""
        if event.state == WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker, self.title))

    def on_worker_failed(self, message: WorkerFailed) -> None:
        """Every worker failure, from any screen (widgets/worker_errors.py): one readable line,
        never a traceback, never the token, never an exit."""
        message.stop()
        error = message.worker.error
        text = describe_failure(error, (self.context.api_token,))
        if self.session is not None:
            text = self.session.client.redact(text)
        log.error("worker %s of %s failed: %s", message.worker.name, message.where, text)
        self.notify(text, title=f"{message.where}: {message.worker.name or 'background task'} failed",
                    severity="error", timeout=10)

    # ------------------------------------------------------------------ services for screens

    def open_deployment(self, deployment: m.DeploymentSchema | str, tab: str | None = None) -> None:
        from tui.screens.detail import DetailScreen  # deferred: start-up time

        name = deployment if isinstance(deployment, str) else deployment.name
        initial = None if isinstance(deployment, str) else deployment
        self.push_screen(DetailScreen(name, initial=initial, tab=tab))

    def show_json(self, deployment: m.DeploymentSchema) -> None:
        from tui.screens.json_view import JsonScreen  # deferred: start-up time

        self.push_screen(JsonScreen(f"{deployment.name} (JSON)", json.dumps(deployment.to_wire(), indent=2)))

    def copy_url(self, deployment: m.DeploymentSchema) -> None:
        if not deployment.urls:
            self.notify(f"{deployment.name} has no URL", severity="warning")
            return
        if any(is_unsafe(ch) or ch.isspace() for ch in deployment.urls[0]):
            # A URL never holds controls or spaces: pasted into a shell, such a "URL" could run
            # commands.  Refuse rather than put it on the clipboard.
            self.notify(f"{deployment.name}'s URL holds control characters or spaces: not copied "
                        f"({deployment.urls[0]})", severity="error")
            return
        self.copy_text(deployment.urls[0], what="URL")

    def copy_text(self, text: str, what: str = "text", shown: str | None = None,
                  warning: str = "") -> None:
        """Copy by OSC 52 and pyperclip (tui/clipboard.py), and say what really happened."""
        from tui.clipboard import copy  # deferred: start-up time

        _, how = copy(self, text)
        shown = text if shown is None else shown
        message = f"{what[:1].upper()}{what[1:]} {how}" + (f":\n{shown}" if shown else ".")
        if warning:
            message += f"\n{warning}"
        self.notify(message, markup=False, timeout=6 if warning else 4,
                    severity="warning" if warning else "information")

    def pick_cluster(self) -> None:
        if self.session is None or self._unsaved_editor_says_no("cluster"):
            return
        from tui.screens.pickers import PickerScreen  # deferred: start-up time

        clusters = self.session.clusters

        def chosen(value: str | None) -> None:
            if value:
                self.switch_cluster(value)

        self.push_screen(PickerScreen("Cluster", clusters, current=self.session.cluster), chosen)

    def _unsaved_editor_says_no(self, what: str) -> bool:
        """Switching context or cluster closes every screen above the list: an editor with
        unsaved changes went with it, unasked (x from its form lost the document).  True when
        one is open: the switch waits until it is left."""
        if not any(getattr(screen, "dirty", False) for screen in self.screen_stack):
            return False
        self.notify(f"The editor has unsaved changes: leave it first (esc; ctrl+s to send them), "
                    f"then switch {what}.", title=f"Switch {what}", severity="warning")
        return True

    def switchable_contexts(self) -> list[Context]:
        """The bentoml logins and the local control plane, after the context given on the command
        line, if any (also once switched away from it).  Raises ContextError."""
        contexts = list_contexts()
        return contexts if self.given_context is None else [self.given_context, *contexts]

    def action_pick_context(self) -> None:
        if self._unsaved_editor_says_no("context"):
            return
        try:
            contexts = self.switchable_contexts()
        except ContextError as exc:
            self.notify(exc.message, title="Contexts", severity="error")
            return
        from tui.screens.pickers import PickerScreen  # deferred: start-up time

        by_label = {f"{c.name}  {c.endpoint or '(local control plane)'}": c for c in contexts}
        current = next((label for label, c in by_label.items() if c.name == self.context.name), None)

        def chosen(label: str | None) -> None:
            if label and label in by_label:
                self.run_switch_context(by_label[label])

        self.push_screen(PickerScreen("Context", list(by_label), current=current), chosen)

    # ------------------------------------------------------------------ watch and alerts

    def toggle_watch(self, name: str) -> None:
        """`W`: watch a deployment (alerts when it turns bad) or stop watching it."""
        if self.session is None:
            self.notify("not connected yet", severity="warning")
            return
        watched = self.alerts.toggle(name)
        self.notify(f"Watching {name}: alerts when it fails, turns unhealthy or a replica "
                    "restarts (! lists them)" if watched else f"No longer watching {name}",
                    timeout=4)
        self.mark_watched()

    def mark_watched(self) -> None:
        from tui.screens.deployments import DeploymentsScreen  # deferred: start-up time

        for screen in self.screen_stack:
            if isinstance(screen, DeploymentsScreen):
                screen.table.set_watched(self.alerts.watched)

    def action_alerts(self) -> None:
        from tui.screens.alerts import AlertsScreen  # deferred: start-up time

        if not isinstance(self.screen, AlertsScreen):
            self.push_screen(AlertsScreen(self.alerts.history))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette's system commands plus the mutation flows for the deployment in view."""
        from tui import actions  # deferred: start-up time

        yield from super().get_system_commands(screen)
        if screen is not self._early_screen:  # its flows need the full rows, not the slim ones
            yield from actions.palette_commands(self, screen)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen  # deferred: start-up time

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        if self.session is not None:
            await self.session.close()
        self.exit(0)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _home_short(path: Path) -> str:
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


def run_app(context: Context, *, read_only: bool = False, theme: str | None = None,
            mouse: bool = False, prefetch: Prefetch | None = None) -> int:
    settings = load_settings()
    app = BentoTUI(context, settings=settings, read_only=read_only, theme=theme, prefetch=prefetch)
    result = app.run(mouse=mouse or settings.mouse)
    return int(result or 0)

