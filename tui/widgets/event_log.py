"""The Events tab: a bounded, filterable, pausable list of Kubernetes-style events, newest first.

`EventList` paints only the visible lines (line API); each event is wrapped once per width
and filter and cached.  `EventsView` adds the filter input (`/` opens it over the list,
esc clears it) and a one-line status bar (counts, follow/pause, "12 new, s to resume",
"reconnecting…").

Paused means the list does not move: new events are counted and kept aside (bounded too),
and shown when following resumes.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable
from datetime import datetime, timezone

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input, Static

from tui.api import models as m
from tui.widgets.humanize import clock
from tui.widgets.safe_inputs import SafeInput
from tui.widgets.safe_text import clean, safe_block, sanitize
from tui.widgets.textual_compat import set_virtual_size_quietly

MAX_EVENTS = 1000
REBUILD_INTERVAL = 0.1  # seconds: arriving events are shown at most 10 times a second
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

TIME_W = 8
REASON_W = 15  # RolloutComplete, RevisionCreated; a longer reason is shown whole, not cut
OBJECT_W = 16
MESSAGE_LIMIT = 8000  # characters of one event's message shown (the rest is counted)
NARROW_OBJECT_W = 10  # below WIDE_EVENTS columns the object is abbreviated from the left
WIDE_EVENTS = 64
MAX_REASON_W = 24  # past this (no Kubernetes reason is this long) a reason is cut with "…"


def object_width(width: int) -> int:
    return OBJECT_W if width >= WIDE_EVENTS else NARROW_OBJECT_W


def head_width(event: m.KubeEvent, width: int) -> int:
    """Cells before the message: time, marker, reason (whole), object, spaces."""
    return TIME_W + 3 + len(reason_cell(event)) + 1 + object_width(width) + 1


def reason_cell(event: m.KubeEvent) -> str:
    reason = clean(event.reason or "—")
    if len(reason) > MAX_REASON_W:
        reason = reason[: MAX_REASON_W - 1] + "…"
    return reason.ljust(REASON_W)


def event_key(event: m.KubeEvent) -> tuple[object, ...]:
    """Identity of an event, so the full list re-sent after a reconnect is not shown twice."""
    meta = event.metadata
    return (meta.uid or meta.name, event.count, event.display_time, event.reason, event.message,
            event.involved_object.name)


def event_time(event: m.KubeEvent) -> datetime:
    dt = event.display_time
    if dt is None:
        return EPOCH
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def object_label(event: m.KubeEvent, deployment_name: str) -> str:
    obj = event.involved_object
    if obj.kind and obj.kind.lower() == "pod":
        name = obj.name
        prefix = f"{deployment_name}-"
        return name[len(prefix):] if name.startswith(prefix) else name
    if obj.name == deployment_name or not obj.name:
        return "deployment"
    return obj.name


def matches(event: m.KubeEvent, words: list[str], deployment_name: str) -> bool:
    if not words:
        return True
    haystack = " ".join((event.type, event.reason, event.message, event.involved_object.kind,
                         event.involved_object.name, object_label(event, deployment_name))).lower()
    return all(w in haystack for w in words)


class EventList(ScrollView, can_focus=True):
    """Newest first; one event may take several lines (its message wraps)."""

    DEFAULT_CSS = """
    EventList { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.deployment_name = ""
        self.events: list[tuple[datetime, int, m.KubeEvent]] = []  # ascending by time
        self._seen: set[tuple[object, ...]] = set()
        self._seq = 0
        self.words: list[str] = []
        # What is shown, newest first, and the first line of each: an event is rendered only
        # when one of its lines is painted, so a storm of 2,000 events a second costs a count
        # per event, not a wrap and render each (most scroll away unseen).
        self._shown: list[tuple[int, m.KubeEvent]] = []
        self._starts: list[int] = []
        self._total_lines = 0
        self._width = 0  # the width the line counts are for
        self._warnings = 0
        self._last_rebuild = 0.0
        self._rebuild_timer: Timer | None = None
        self._cache: dict[int, tuple[int, tuple[str, ...], list[Strip]]] = {}
        self._counts: dict[int, tuple[int, int]] = {}  # seq -> (width, lines)
        self.empty_text = "No events yet."

    # ------------------------------------------------------------------ data

    def add(self, events: Iterable[m.KubeEvent]) -> int:
        """Add events not seen before; returns how many were new."""
        added = 0
        for event in events:
            key = event_key(event)
            if key in self._seen:
                continue
            self._seen.add(key)
            self._seq += 1
            entry = (event_time(event), self._seq, event)
            self._warnings += event.is_warning
            if not self.events or entry[0] >= self.events[-1][0]:
                self.events.append(entry)  # the usual case: events arrive in time order
            else:
                bisect.insort(self.events, entry, key=lambda e: (e[0], e[1]))
            added += 1
        if len(self.events) > MAX_EVENTS:
            for _, seq, old in self.events[: len(self.events) - MAX_EVENTS]:
                self._warnings -= old.is_warning
                self._seen.discard(event_key(old))
                self._cache.pop(seq, None)
                self._counts.pop(seq, None)
            del self.events[: len(self.events) - MAX_EVENTS]
        if added:
            self._request_rebuild()
        return added

    def _request_rebuild(self) -> None:
        """Rebuild now, or, within REBUILD_INTERVAL of the last one, once at its end: a storm
        of events is shown 10 times a second (faster than anyone reads), not per batch."""
        if self._rebuild_timer is not None:
            return
        wait = self._last_rebuild + REBUILD_INTERVAL - time.monotonic()
        if wait <= 0:
            self.rebuild()
        else:
            self._rebuild_timer = self.set_timer(wait, self.rebuild)

    def matching(self) -> list[m.KubeEvent]:
        """The events shown, newest first."""
        return [e for _, _, e in reversed(self.events) if matches(e, self.words, self.deployment_name)]

    def set_filter(self, text: str) -> None:
        self.words = text.lower().split()
        self.rebuild()
        self.scroll_home(animate=False)

    @property
    def warnings(self) -> int:
        return self._warnings

    # ------------------------------------------------------------------ painting

    def rebuild(self) -> None:
        if self._rebuild_timer is not None:
            self._rebuild_timer.stop()
            self._rebuild_timer = None
        self._last_rebuild = time.monotonic()
        self._layout_lines()
        if max(self.scrollable_content_region.width, 20) != self._width:
            self._layout_lines()  # the scrollbar came or went: count again at the new width
        self.refresh()

    def _layout_lines(self) -> None:
        width = self._width = max(self.scrollable_content_region.width, 20)
        words = tuple(self.words)
        shown: list[tuple[int, m.KubeEvent]] = []
        starts: list[int] = []
        total = 0
        count = self._line_count
        for _, seq, event in reversed(self.events):
            if words and not matches(event, self.words, self.deployment_name):
                continue
            shown.append((seq, event))
            starts.append(total)
            total += count(seq, event, width)
        self._shown, self._starts, self._total_lines = shown, starts, total
        size = Size(width, total)
        if size != self.virtual_size:
            if self.is_mounted and self.container_size:
                # not a layout pass of the whole screen per batch of events: this list's
                # height never depends on its content (see DeploymentTable._set_virtual_height)
                set_virtual_size_quietly(self, size)
            else:
                self.virtual_size = size

    def _line_count(self, seq: int, event: m.KubeEvent, width: int) -> int:
        """Lines the event takes at `width`, without rendering it when its message fits."""
        known = self._counts.get(seq)
        if known is not None and known[0] == width:
            return known[1]
        message = event.message or ""
        if event.count and event.count > 1:
            message += f" (×{event.count})"
        indent = head_width(event, width)  # clock(): HH:MM:SS
        if "\n" not in message and "\t" not in message and cell_len(message) <= max(width - indent, 10):
            lines = 1
        else:
            lines = len(self._strips(seq, event, width))
        self._counts[seq] = (width, lines)
        return lines

    def _strips(self, seq: int, event: m.KubeEvent, width: int) -> list[Strip]:
        cached = self._cache.get(seq)
        if cached is None or cached[0] != width or cached[1] != tuple(self.words):
            cached = (width, tuple(self.words), self._render_event(event, width))
            self._cache[seq] = cached
        return cached[2]

    def _render_event(self, event: m.KubeEvent, width: int) -> list[Strip]:
        console = self.app.console
        warning = event.is_warning
        head = Text(no_wrap=True)
        head.append(clock(event.display_time), style="dim")
        head.append(" ")
        head.append("▲" if warning else "·", style="bold yellow" if warning else "dim")
        head.append(" ")
        head.append(reason_cell(event), style="bold yellow" if warning else "bold")
        label = clean(object_label(event, self.deployment_name))
        object_w = object_width(width)
        if len(label) > object_w:
            label = "…" + label[-(object_w - 1):]
        head.append(" ")
        head.append(label.ljust(object_w), style="cyan")
        indent = head.cell_len + 1
        message_width = max(width - indent, 10)
        message = safe_block(event.message or "", style="yellow" if warning else "", limit=MESSAGE_LIMIT)
        if event.count and event.count > 1:
            message.append(f" (×{event.count})", style="dim")
        if self.words:
            message.highlight_words(self.words, style="reverse", case_sensitive=False)
        wrapped = message.wrap(console, message_width) if message.plain else [Text("")]
        strips = []
        for i, line in enumerate(wrapped):
            row = head.copy() if i == 0 else Text(" " * (indent - 1))
            row.append(" ")
            row.append_text(line)
            segments = list(row.render(console))
            strips.append(Strip(segments).extend_cell_length(width).crop(0, width))
        return strips

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        style = self.rich_style
        if not self._shown:
            if y == 0:
                text = Text(self.empty_text, style="dim")
                strip = Strip(list(text.render(self.app.console)))
                return strip.extend_cell_length(width).crop(0, width).apply_style(style)
            return Strip([Segment(" " * width, style)], width)
        if index >= self._total_lines:
            return Strip([Segment(" " * width, style)], width)
        i = bisect.bisect_right(self._starts, index) - 1
        seq, event = self._shown[i]
        strips = self._strips(seq, event, self._width)
        offset = index - self._starts[i]
        if offset >= len(strips):  # (cannot happen: counts agree with renders)
            return Strip([Segment(" " * width, style)], width)
        return strips[offset].apply_style(style)

    def on_resize(self) -> None:
        self.rebuild()


class EventsView(Vertical):
    """The filter input, a status bar and the list."""

    DEFAULT_CSS = """
    EventsView { height: 1fr; }
    EventsView > #events-filter { height: 1; border: none; padding: 0 1; display: none; }
    EventsView > #events-filter.-open { display: block; }
    EventsView > #events-bar {
        height: 1; color: $text-muted; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.following = True
        self.pending: list[m.KubeEvent] = []
        self.pending_count = 0
        self.note = ""
        self.loaded = False
        self._last_bar = 0.0
        self._bar_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield SafeInput(placeholder="filter events: reason, message, replica…  (esc clears)", id="events-filter")
        yield Static(id="events-bar")
        yield EventList(id="events-list")

    def on_mount(self) -> None:
        self._paint_bar()

    @property
    def event_list(self) -> EventList:
        return self.query_one(EventList)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#events-filter", Input)

    def set_deployment(self, name: str) -> None:
        self.event_list.deployment_name = name

    # ------------------------------------------------------------------ data

    def add(self, events: list[m.KubeEvent]) -> None:
        self.loaded = True
        if self.following:
            if self.event_list.add(events):
                self.event_list.scroll_home(animate=False)
        else:
            fresh = [e for e in events if event_key(e) not in self.event_list._seen]
            self.pending.extend(fresh)
            self.pending_count += len(fresh)
            if len(self.pending) > MAX_EVENTS:
                del self.pending[: len(self.pending) - MAX_EVENTS]
        self._request_bar()

    def toggle_follow(self) -> None:
        self.following = not self.following
        if self.following:
            pending, self.pending, self.pending_count = self.pending, [], 0
            self.event_list.add(pending)
            self.event_list.scroll_home(animate=False)
        self._paint_bar()

    def set_note(self, note: str) -> None:
        self.note = note
        self._paint_bar()

    # ------------------------------------------------------------------ filter

    @property
    def filter_active(self) -> bool:
        return self.filter_input.has_class("-open") or bool(self.event_list.words)

    def open_filter(self) -> None:
        box = self.filter_input
        box.add_class("-open")
        box.focus()

    def clear_filter(self) -> None:
        box = self.filter_input
        box.value = ""
        box.remove_class("-open")
        self.event_list.set_filter("")
        self.event_list.focus()
        self._paint_bar()

    @on(Input.Changed, "#events-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.event_list.set_filter(event.value)
        self.event_list.empty_text = (f"No events match “{event.value.strip()}”." if event.value.strip()
                                else "No events yet.")
        self._paint_bar()

    @on(Input.Submitted, "#events-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.clear_filter()
        else:
            self.event_list.focus()

    # ------------------------------------------------------------------ bar

    def _request_bar(self) -> None:
        """Repaint the bar now, or at the end of the current REBUILD_INTERVAL (as the list)."""
        if self._bar_timer is not None:
            return
        wait = self._last_bar + REBUILD_INTERVAL - time.monotonic()
        if wait <= 0:
            self._paint_bar()
        else:
            self._bar_timer = self.set_timer(wait, self._paint_bar)

    def _paint_bar(self) -> None:
        if self._bar_timer is not None:
            self._bar_timer.stop()
            self._bar_timer = None
        self._last_bar = time.monotonic()
        events = self.event_list
        total = len(events.events)
        bar = Text(no_wrap=True, overflow="ellipsis")
        if not self.loaded:
            bar.append("Loading events…")
        else:
            bar.append(f"{total} event{'s' if total != 1 else ''}")
            warnings = events.warnings
            if warnings:
                bar.append(" · ")
                bar.append(f"▲ {warnings} warning{'s' if warnings != 1 else ''}", style="yellow")
            if events.words:
                bar.append(f" · {len(events.matching())} match “{' '.join(events.words)}”")
        bar.append(" · ")
        if self.following:
            bar.append("following (s pauses)")
        else:
            bar.append("paused", style="bold yellow")
            if self.pending_count:
                bar.append(f" · {self.pending_count} new, s to resume", style="bold")
            else:
                bar.append(" · s to resume")
        if self.note:
            bar.append(f" · {self.note}", style="bold yellow")
        self.query_one("#events-bar", Static).update(sanitize(bar), layout=False)  # height 1 (DEFAULT_CSS)
