"""Pick a bento from the registry: search repositories, then choose a version.

Type to search (the server filters repositories), Enter takes the highlighted repository, then
Enter takes the highlighted version (the newest is first).  esc goes back a step, then cancels.
An Enter typed while a search or the versions are on their way is kept and acts on what arrives,
so typing ahead never picks from a stale list nor loses the key; what is typed after an Enter
that waits for a search filters the versions it leads to (`iris`, Enter, `v2`, Enter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.api import models as m
from tui.api.errors import ApiError
from tui.screens.stylesheets import STYLES
from tui.widgets.bento_state import bento_state, unpickable
from tui.widgets.footer import KeysFooter
from tui.widgets.humanize import local
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import safe, safe_block, sanitize
from tui.widgets.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from textual.timer import Timer

    from tui.app import BentoTUI

SEARCH_DEBOUNCE_S = 0.15


class BentoPicker(ReportsWorkerErrors, ModalScreen[tuple[str, str] | None]):
    """Dismisses with ``(repository, version)`` or None."""

    CSS_PATH = STYLES / "editor.tcss"  # read when first shown (tui/screens/stylesheets.py)

    BINDINGS = [
        Binding("escape", "back", "Back / cancel", id="bento_picker.back"),
        # The arrows always move the list's highlight, also while typing in the search box.
        Binding("down", "move(1)", "Down", show=False, priority=True, id="bento_picker.down"),
        Binding("up", "move(-1)", "Up", show=False, priority=True, id="bento_picker.up"),
    ]

    app: BentoTUI

    def __init__(self, current_repo: str = "", current_version: str = "") -> None:
        super().__init__()
        self.current_repo = current_repo
        self.current_version = current_version
        self.repos: list[m.BentoRepositorySchema] = []
        self.versions: list[m.BentoSchema] = []
        self.repo: str | None = None  # the chosen repository (versions step)
        self._timer: Timer | None = None  # the debounced search, until it is sent
        self._awaiting = False  # a search or the versions are on their way
        self._enters_waiting = 0  # Enters typed meanwhile: each acts on the next list to arrive
        # The search as it was when an Enter began to wait for its answer: what is typed after
        # it is for the versions' filter, not a longer search (`iris`, Enter, `v2`).
        self._enter_search: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="bento-dialog"):
            yield Static("Pick a bento", id="bento-title", classes="dialog-title")
            yield SafeInput(placeholder="search bento repositories…", id="bento-search")
            yield OptionList(id="bento-options")
            yield Static(id="bento-hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#bento-search", Input).focus()
        self._hint("Loading the registry…")
        self._awaiting = True
        self.load_repos("")

    @property
    def options(self) -> OptionList:
        return self.query_one("#bento-options", OptionList)

    def _hint(self, text: str, error: bool = False) -> None:
        self.query_one("#bento-hint", Static).update(safe_block(text, style="bold red" if error else "dim"))

    # ------------------------------------------------------------------ repositories

    @work(exclusive=True, group="bento-repos", exit_on_error=False)
    async def load_repos(self, search: str) -> None:
        session = self.app.session
        if session is None:
            self._arrived(failed=True)
            return
        try:
            page = await session.client.list_bento_repositories(count=100, search=search or None)
        except ApiError as exc:
            self._hint(exc.message, error=True)
            if self._timer is None:
                self._arrived(failed=True)
            return
        if self.repo is not None:  # the user moved on to the versions meanwhile
            return
        self.repos = list(page.items)
        options = self.options
        options.clear_options()
        for repo in self.repos:
            line = Text(repo.name, style="bold")
            latest = repo.latest_bento.version if repo.latest_bento else "no versions"
            line.append(f"  {latest}", style="dim")
            if repo.description:
                line.append(f"  {repo.description}", style="dim italic")
            options.add_option(Option(sanitize(line), id=repo.name))
        if self.repos:
            names = [r.name for r in self.repos]
            options.highlighted = names.index(self.current_repo) if self.current_repo in names else 0
            self._hint(f"{len(self.repos)} repositor{'y' if len(self.repos) == 1 else 'ies'} · "
                       "enter picks the highlighted one")
        else:
            self._hint(f"no bento repository matches {search!r}" if search else "the registry is empty")
        if self._timer is None:  # else the user typed on: this answer is already stale
            self._arrived()

    def _search_now(self, search: str) -> None:
        self._timer = None
        self.load_repos(search)

    def _arrived(self, failed: bool = False) -> None:
        """The list the user waited for is painted: the first Enter typed meanwhile acts on it
        (picking a repository sends for its versions, which the next Enter waits for)."""
        self._awaiting = False
        if failed:
            self._enters_waiting, self._enter_search = 0, None
        elif self._enters_waiting:
            self._enters_waiting -= 1
            self._choose(self.options.highlighted)
            if not self._awaiting:  # refused, or nothing more to wait for: the rest would surprise
                self._enters_waiting = 0
                typed, self._enter_search = self._enter_search, None
                now = self.query_one("#bento-search", Input).value
                if self.repo is None and typed is not None and now != typed:  # none taken: what
                    self._search_later(now)  # was typed after the Enter is a search after all

    @on(Input.Changed, "#bento-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self.repo is None:
            if self._enter_search is not None:
                if event.value.startswith(self._enter_search):
                    return  # typed after a waiting Enter: the versions' filter, once they come
                self._enters_waiting, self._enter_search = 0, None  # erased into: a new search
            self._search_later(event.value)
        elif not self._awaiting:  # else the versions, when they come, are painted filtered
            self._paint_versions(event.value.strip())

    def _search_later(self, text: str) -> None:
        """Search the registry for `text` once typing pauses."""
        if self._timer is not None:
            self._timer.stop()
        value = text.strip()
        self._awaiting = True
        self._timer = self.set_timer(SEARCH_DEBOUNCE_S, lambda: self._search_now(value))

    @on(Input.Submitted, "#bento-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose(self.options.highlighted, event.value)

    @on(OptionList.OptionSelected, "#bento-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def _choose(self, index: int | None, typed: str | None = None) -> None:
        """Take the option at `index`; `typed`: the search box's text when Enter was pressed
        (keys typed after it may be in the box by the time this runs)."""
        if self._awaiting:
            self._enters_waiting += 1
            if self.repo is None and self._enter_search is None:
                self._enter_search = self.query_one("#bento-search", Input).value if typed is None else typed
            return
        if index is None:
            self.app.bell()
            return
        option = self.options.get_option_at_index(index)
        if option.id is None:
            return
        if self.repo is None:
            self.repo = option.id
            search = self.query_one("#bento-search", Input)
            typed, self._enter_search = self._enter_search, None
            with search.prevent(Input.Changed):  # what was typed after the Enter, if it waited
                search.value = search.value[len(typed):] if typed is not None else ""
            search.placeholder = f"filter versions of {self.repo}…"
            self.query_one("#bento-title", Static).update(safe(f"Pick a version of {self.repo}"))
            self.options.clear_options()
            self._hint("Loading versions…")
            self._awaiting = True
            self.load_versions(self.repo)
        else:
            bento = next((b for b in self.versions if b.version == option.id), None)
            why = unpickable(bento) if bento is not None else None
            if why is not None:
                self.app.bell()
                self._hint(why, error=True)
                return
            self.dismiss((self.repo, option.id))

    # ------------------------------------------------------------------ versions

    @work(exclusive=True, group="bento-versions", exit_on_error=False)
    async def load_versions(self, repo: str) -> None:
        try:
            page = await self.app.session.client.list_bentos(repo, count=100)  # type: ignore[union-attr]
        except ApiError as exc:
            if self.repo == repo:
                self._hint(exc.message, error=True)
                self._arrived(failed=True)
            return
        if self.repo != repo:  # the user went back to the repositories meanwhile
            return
        self.versions = sorted(page.items, key=lambda b: b.created_at, reverse=True)
        self._paint_versions(self.query_one("#bento-search", Input).value.strip())
        self._arrived()

    def _paint_versions(self, needle: str) -> None:
        options = self.options
        options.clear_options()
        shown = [b for b in self.versions if needle.lower() in b.version.lower()]
        for i, bento in enumerate(shown):
            line = Text(bento.version, style="bold")
            if i == 0 and not needle:
                line.append("  latest", style="green")
            line.append(f"  {local(bento.created_at):%Y-%m-%d %H:%M}", style="dim")
            line.append("  ")
            line.append_text(bento_state(bento))
            options.add_option(Option(sanitize(line), id=bento.version))
        if shown:
            versions = [b.version for b in shown]
            options.highlighted = (versions.index(self.current_version)
                                   if self.repo == self.current_repo and self.current_version in versions else 0)
            self._hint("enter picks the version · esc: back to the repositories")
        else:
            self._hint("no version matches" if needle else f"{self.repo} has no versions")

    # ------------------------------------------------------------------ keys

    def action_move(self, delta: int) -> None:
        if delta > 0:
            self.options.action_cursor_down()
        else:
            self.options.action_cursor_up()

    def action_back(self) -> None:
        if self.repo is None:
            self.dismiss(None)
            return
        self.repo = None
        self.versions = []
        self._awaiting, self._enters_waiting, self._enter_search = True, 0, None
        search = self.query_one("#bento-search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        search.placeholder = "search bento repositories…"
        search.focus()
        self.query_one("#bento-title", Static).update("Pick a bento")
        self.load_repos("")
