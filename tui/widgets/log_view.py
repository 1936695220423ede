"""The Logs tab: pick a replica (or all of them, merged), tail its log live; follow/pause,
wrap, timestamps on/off, search with next/previous; bounded.

The raw lines are kept in a bounded deque (`MAX_LINES`) so that toggling wrap can repaint
them; the RichLog itself is bounded the same way.  Paused means the view does not move:
new lines are counted and kept aside (bounded), then written when following resumes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import islice

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, RichLog, Select, Static

from tui.widgets.log_tools import matching, without_stamp
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import ansi_line, safe, sanitize

MAX_LINES = 2000

MATCH_STYLE = "black on yellow"  # reads in 16 colours too
LEVEL_STYLES = {"ERROR": "bold red", "CRITICAL": "bold red", "WARN": "yellow", "WARNING": "yellow"}


def log_text(line: str) -> Text:
    """A replica's log line: its colours kept, any other escape or control shown escaped."""
    text = ansi_line(line)
    for word, style in LEVEL_STYLES.items():
        text.highlight_words([f" {word} ", f" {word}:"], style=style)
    return text


class LogsView(Vertical):
    DEFAULT_CSS = """
    LogsView { height: 1fr; }
    LogsView > #logs-bar { height: 1; padding: 0 1; }
    LogsView > #logs-bar > Label { width: auto; color: $text-muted; }
    LogsView > #logs-bar > Select { width: 44; }
    LogsView > #logs-bar > #logs-note {
        width: 1fr; color: $text-muted; padding: 0 0 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    LogsView > #logs-search { height: 1; }
    LogsView > RichLog { height: 1fr; background: $surface; }
    """

    class ReplicaChosen(Message):
        """The user picked another replica in the selector."""

        def __init__(self, pod_name: str) -> None:
            super().__init__()
            self.pod_name = pod_name

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pod_name: str | None = None
        self.lines: deque[str] = deque(maxlen=MAX_LINES)
        self.pending: deque[str] = deque(maxlen=MAX_LINES)
        self.pending_count = 0
        self.following = True
        self.wrap = False
        self.note = ""
        self.waiting = "waiting for a replica…"
        self.timestamps = True
        self.search = ""
        self.match_line: int | None = None  # index in `lines` of the match last jumped to
        self._given: list[tuple[str, str]] = []  # as the screen gave them
        self._options: list[tuple[str, str]] = []  # as shown (the tailed one kept if gone)

    def compose(self) -> ComposeResult:
        with Horizontal(id="logs-bar"):
            yield Label("replica ")
            # The selector is mounted with the first replica: an empty state is a message,
            # never a blank entry one could pick.
            yield Static(id="logs-note")
        search = SafeInput(placeholder="search the log (enter; n / N next / previous; esc clears)",
                       compact=True, id="logs-search")
        search.display = False
        yield search
        yield RichLog(max_lines=MAX_LINES, wrap=False, markup=False, highlight=False,
                      auto_scroll=True, id="logs-log")

    def on_mount(self) -> None:
        self.query_one("#logs-search", Input).display = False
        self._paint_note()

    def shown(self, line: str) -> Text:
        """How a line is drawn: timestamps as chosen, search matches highlighted."""
        text = log_text(line if self.timestamps else without_stamp(line))
        if self.search:
            text.highlight_words([self.search], style=MATCH_STYLE, case_sensitive=False)
        return text

    @property
    def richlog(self) -> RichLog:
        return self.query_one("#logs-log", RichLog)

    @property
    def selector(self) -> Select[str] | None:
        """The replica selector; None while there is no replica to choose."""
        found = self.query("#logs-replica")
        return found.first(Select) if found else None

    # ------------------------------------------------------------------ replicas

    def set_replicas(self, options: list[tuple[str, str]]) -> None:
        """(label, pod name) choices, live and exited; the selection stays on `pod_name`."""
        self._given = options
        self._show_options()

    def _show_options(self) -> None:
        pending = self.selector
        if pending is not None and not pending.is_mounted:  # mounted a moment ago: not ready
            self.call_after_refresh(self._show_options)
            return
        options = self._given
        if self.pod_name and not any(value == self.pod_name for _, value in options):
            options = [*options, (f"{self.pod_name} (gone)", self.pod_name)]
        if options == self._options:
            self._sync_selector()
            return
        self._options = options
        selector = self.selector
        if not options:
            if selector is not None:
                selector.remove()
            self._paint_note()
            return
        # A str prompt would be read as markup: replica names come from the server.
        shown = [(safe(label), value) for label, value in options]
        if selector is None:
            selected = self.pod_name or options[0][1]
            self.query_one("#logs-bar").mount(
                Select(shown, value=selected, allow_blank=False, compact=True, id="logs-replica"),
                before="#logs-note",
            )
        else:
            selector.set_options(shown)
        self._sync_selector()

    def _sync_selector(self) -> None:
        selector = self.selector
        if selector is None or not selector.is_mounted or not self.pod_name:
            return
        if any(value == self.pod_name for _, value in self._options) and selector.value != self.pod_name:
            selector.value = self.pod_name

    @on(Select.Changed, "#logs-replica")
    def _chosen(self, event: Select.Changed) -> None:
        """Only a choice made in the selector counts: the changes made by `set_replicas` and
        `start` arrive here later too, and must not switch the tail back."""
        event.stop()
        value = event.value
        selector = self.selector
        if not isinstance(value, str) or value == self.pod_name or selector is None:
            return
        if selector.has_focus_within or selector.expanded:
            self.post_message(self.ReplicaChosen(value))

    def open_selector(self) -> bool:
        """Opens the replica list; False when there is none to pick from."""
        selector = self.selector
        if selector is None:
            return False
        selector.focus()
        selector.action_show_overlay()
        return True

    # ------------------------------------------------------------------ lines

    def start(self, pod_name: str) -> None:
        """A new tail begins (another replica, or the same one again)."""
        self.pod_name = pod_name
        self._show_options()
        self._sync_selector()
        self.lines.clear()
        self.pending.clear()
        self.pending_count = 0
        self.richlog.clear()
        self.note = "connecting…"
        self._paint_note()

    def replace(self, lines: Iterable[str]) -> None:
        """The server's fresh tail (first message, and again after every reconnect)."""
        self.lines.clear()
        self.lines.extend(lines)
        self.pending.clear()
        self.pending_count = 0
        self._repaint()
        self.note = ""
        self._paint_note()

    def append(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        if not self.following:
            self.pending.extend(lines)
            self.pending_count += len(lines)
            self._paint_note()
            return
        self.lines.extend(lines)
        log = self.richlog
        for line in lines:
            log.write(self.shown(line), scroll_end=True)

    def _repaint(self) -> None:
        log = self.richlog
        log.clear()
        log.wrap = self.wrap
        for line in self.lines:
            log.write(self.shown(line), scroll_end=self.following)

    def toggle_follow(self) -> None:
        self.following = not self.following
        log = self.richlog
        log.auto_scroll = self.following
        if self.following:
            self._flush_pending()
            log.scroll_end(animate=False)
        self._paint_note()

    def _flush_pending(self) -> None:
        pending = list(self.pending)
        self.pending.clear()
        self.pending_count = 0
        self.lines.extend(pending)
        log = self.richlog
        for line in pending:
            log.write(self.shown(line), scroll_end=self.following)

    def toggle_wrap(self) -> None:
        self.wrap = not self.wrap
        self._repaint()
        self._paint_note()

    def toggle_timestamps(self) -> None:
        self.timestamps = not self.timestamps
        self._repaint()
        self._paint_note()

    # ------------------------------------------------------------------ search

    @property
    def search_box(self) -> Input:
        return self.query_one("#logs-search", Input)

    def open_search(self) -> None:
        box = self.search_box
        box.display = True
        box.focus()

    @property
    def search_open(self) -> bool:
        return bool(self.search) or self.search_box.display

    def clear_search(self) -> None:
        box = self.search_box
        box.value = ""
        box.display = False
        had = bool(self.search)
        self.search = ""
        self.match_line = None
        if had:
            self._repaint()
        self._paint_note()
        self.richlog.focus()
        self.screen.refresh_bindings()  # n / N answer only while there is a search

    @on(Input.Submitted, "#logs-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        needle = event.value.strip()
        if not needle:
            self.clear_search()
            return
        self.search = needle
        self.match_line = None
        self._repaint()
        self.richlog.focus()
        self.find(-1)
        self.screen.refresh_bindings()  # n / N answer only while there is a search

    def find(self, direction: int) -> bool:
        """Jump to the next (1) or previous (-1) match, wrapping; the first jump goes to the
        newest.  Following pauses, so the match stays in view.  False when nothing matches."""
        if not self.search:
            return False
        self._flush_pending()  # what arrived while paused is searched too
        found = matching(self.lines, self.search)
        if not found:
            self.match_line = None
            self._paint_note()
            return False
        current = self.match_line
        if current is None:
            target = found[-1]
        elif direction > 0:
            target = next((i for i in found if i > current), found[0])
        else:
            target = next((i for i in reversed(found) if i < current), found[-1])
        self.match_line = target
        if self.following:
            self.toggle_follow()
        log = self.richlog
        log.scroll_to(y=max(0, self._y_of(target) - log.size.height // 2), animate=False)
        self._paint_note()
        return True

    def _y_of(self, index: int) -> int:
        """The first screen line of `lines[index]`: its index, or with wrap on, the wrapped
        heights of the lines before it (only lines wider than the view need wrapping)."""
        if not self.wrap:
            return index
        log = self.richlog
        width = log.scrollable_content_region.width or log.size.width
        if width <= 0:
            return index
        console = self.app.console
        y = 0
        for line in islice(self.lines, index):
            text = self.shown(line)
            y += 1 if text.cell_len <= width else len(text.wrap(console, width))
        return y

    def set_note(self, note: str) -> None:
        self.note = note
        self._paint_note()

    def set_waiting(self, text: str) -> None:
        self.waiting = text
        self._paint_note()

    @property
    def text(self) -> str:
        """Everything received so far (the pending lines too), one line each."""
        return "\n".join([*self.lines, *self.pending])

    def _paint_note(self) -> None:
        bar = Text(no_wrap=True, overflow="ellipsis")
        if self.search:  # first: the bar beside the replica selector is narrow
            found = matching(self.lines, self.search)
            if not found:
                bar.append("no match · ", style="bold yellow")
            elif self.match_line in found:
                bar.append(f"match {found.index(self.match_line) + 1}/{len(found)} · ", style="bold")
            else:
                bar.append(f"{len(found)} matches · ", style="bold")
        if self.pod_name is None:
            bar.append(self.waiting)
        elif self.following:
            bar.append("following")
        else:
            bar.append("paused", style="bold yellow")
            bar.append(f" · {self.pending_count} new, s to resume" if self.pending_count else " · s to resume")
        if self.wrap:
            bar.append(" · wrap")
        if not self.timestamps:
            bar.append(" · no timestamps")
        if self.note:
            bar.append(f" · {self.note}", style="bold yellow" if "reconnect" in self.note else "")
        self.query_one("#logs-note", Static).update(sanitize(bar))
