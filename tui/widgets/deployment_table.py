"""The deployment list: a keyed, virtual table that paints only the rows on screen.

Rows are `ListedDeployment`s: the full models, or for the first paint of a start the slim rows
read from the prefetched page before pydantic is imported (tui/api/slim_rows.py).

Why not DataTable: with 10,000 deployments its `add_rows` alone takes seconds and `sort`
moves the cursor to another row.  Here rows are deployments keyed by uid; the cursor is a
uid, so refreshes, pushes, filters and sorts never move it to another deployment; painting
costs the visible rows only; and a pushed change repaints one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.api.api_version import v2_status
from tui.api.slim_rows import ListedDeployment
from tui.widgets.humanize import local
from tui.widgets.safe_text import safe
from tui.widgets.status import STATUS_RANK, mode_title, status_text, v2_status_text
from tui.widgets.textual_compat import set_virtual_size_quietly

if TYPE_CHECKING:
    from tui.api.models import DeploymentSchema


def replicas_text(d: ListedDeployment) -> str:
    if d.replicas is not None:
        return f"{d.replicas.ready}/{d.replicas.desired}"
    target = d.target
    hpa = target.config.hpa_conf if target else None
    if hpa and hpa.min_replicas is not None:
        return f"{hpa.min_replicas}-{hpa.max_replicas if hpa.max_replicas is not None else '?'}"
    return "—"


def short_time(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    return local(dt).strftime("%m-%d %H:%M")


def _when(d: ListedDeployment) -> datetime:
    return d.updated_at or d.created_at


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SORTS: dict[str, Callable[[ListedDeployment], Any]] = {
    "name": lambda d: d.name,
    "status": lambda d: (STATUS_RANK.get(d.status, 9), d.name),
    "created": lambda d: d.created_at or EPOCH,
    "updated": lambda d: _when(d) or EPOCH,
}
# Default direction per sort: newest first for times, A-Z otherwise.
SORT_DESC = {"name": False, "status": False, "created": True, "updated": True}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0 = takes the remaining space (shared by flexible columns)
    wide_only: bool = False


COLUMNS = [
    Column("name", "NAME", 0),
    Column("status", "STATUS", 14),
    Column("mode", "MODE", 9),
    Column("bento", "BENTO", 0),
    Column("replicas", "REPL", 5),
    Column("url", "URL", 0, wide_only=True),
    Column("created", "CREATED", 11, wide_only=True),
    Column("updated", "UPDATED", 11),
]
MIN_FLEX = 12
MAX_NATURAL = 100  # wide mode: a flexible column is as wide as its longest value, up to this
SCROLL_STEP = 8  # cells per ←/→ in wide mode
NARROW_DROPS = ("updated", "mode")  # dropped in this order when the flexible columns get < MIN_FLEX
SAME_ROWS_MAX = 1000  # replace_all compares a list this long with the rows shown, cell by cell
STRIP_CACHE_SIZE = 1000  # painted rows kept (a few screens' worth, any width)
# what the rows in view show: scroll offset, cursor row, width, (uid, deployment) of each row
InView = tuple[int, int, int, list[tuple[str, ListedDeployment | None]]]


def haystack(d: ListedDeployment) -> str:
    """What the filter searches: the name, bento tag, status, mode and description."""
    return f"{d.name} {d.bento_tag} {d.status.value} {mode_title(d.mode)} {d.description or ''}".lower()


def matches(d: ListedDeployment, needle: str) -> bool:
    """Filter: every word must appear in the name, bento tag, status or mode."""
    text = haystack(d)
    return all(word in text for word in needle.lower().split())


class DeploymentTable(ScrollView, can_focus=True):
    """Keyed rows of deployments; the selection is a uid."""

    DEFAULT_CSS = """
    DeploymentTable { height: 1fr; }
    DeploymentTable > .deployment-table--header { text-style: bold; }
    DeploymentTable > .deployment-table--cursor { background: $accent 40%; text-style: bold; }
    DeploymentTable:focus > .deployment-table--cursor { background: $accent; color: $text; }
    """
    COMPONENT_CLASSES = {"deployment-table--header", "deployment-table--cursor"}

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "edge(0)", "Top", show=False, id="table.top"),
        Binding("end,G", "edge(1)", "Bottom", show=False, id="table.bottom"),
        Binding("left", "scroll_columns(-1)", "Scroll left (wide)", show=False, id="table.left"),
        Binding("right", "scroll_columns(1)", "Scroll right (wide)", show=False, id="table.right"),
    ]

    wide: reactive[bool] = reactive(False)

    class Highlighted(Message):
        def __init__(self, deployment: ListedDeployment | None) -> None:
            super().__init__()
            self.deployment = deployment

    class Selected(Message):
        def __init__(self, deployment: DeploymentSchema) -> None:
            super().__init__()
            self.deployment = deployment

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._items: dict[str, ListedDeployment] = {}
        self._rows: list[str] = []  # uids in display order (filtered, sorted)
        self._index_cache: dict[str, int] | None = {}  # uid -> row; built when first needed
        # Kept between rebuilds so a filter keystroke over 10,000 rows neither re-sorts nor
        # re-lowercases: every item's filter text, and all uids in sort order (None = stale).
        self._haystacks: dict[str, str] = {}
        self._ordered: list[str] | None = None
        self._sort_keys: dict[str, Any] = {}  # uid -> its sort key, while `_ordered` is valid
        self._strips: dict[tuple[object, ...], tuple[ListedDeployment, Strip]] = {}
        self.filter_text = ""
        self.v2_statuses = False  # the session is on the v2 API: show `scaled-to-zero`
        self.sort_key = "created"
        self.sort_desc = True
        self.cursor_uid: str | None = None
        self._cursor_row = 0
        self._natural: dict[str, int] | None = None  # wide mode: longest value per flexible column
        self.watched: frozenset[str] = frozenset()  # names marked `*` (set_watched)

    # ------------------------------------------------------------------ data

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def total(self) -> int:
        return len(self._items)

    @property
    def rows(self) -> list[str]:
        return list(self._rows)

    # What the screens read is the full model: slim rows are on screen only during the first
    # paint of a start, while the screen holds every action that reads rows (after_full_rows in
    # tui/screens/deployments.py) until the full ones have replaced them.
    def get(self, uid: str) -> DeploymentSchema | None:
        return cast("DeploymentSchema | None", self._items.get(uid))

    @property
    def current(self) -> DeploymentSchema | None:
        return self.get(self.cursor_uid) if self.cursor_uid else None

    def all_items(self) -> Iterable[DeploymentSchema]:
        return cast("Iterable[DeploymentSchema]", self._items.values())

    def replace_all(self, deployments: Iterable[ListedDeployment]) -> None:
        """A full list from the server: rows that vanished go, the cursor stays on its uid."""
        items = {d.uid: d for d in deployments}
        old = self._items
        if self._same_rows(old, items):  # the newer objects are kept; nothing is repainted
            self._haystacks = {uid: h for uid, h in self._haystacks.items() if old[uid] is items[uid]}
            self._items = items
            return
        if items.keys() != old.keys() or any(old[uid] is not d for uid, d in items.items()):
            self._haystacks = {uid: h for uid, h in self._haystacks.items()
                               if old.get(uid) is items.get(uid)}
            self._items = items
            self._ordered = None
            self._natural = None
        self._rebuild()

    def upsert_many(self, deployments: Iterable[ListedDeployment]) -> None:
        changed_order = False
        added: list[str] = []
        repaint_only: list[str] = []
        in_view = self._in_view_rows()
        for d in deployments:
            old = self._items.get(d.uid)
            self._items[d.uid] = d
            self._haystacks.pop(d.uid, None)
            self._natural = None
            if old is None:
                added.append(d.uid)
            elif self._position_changes(old, d):
                changed_order = True
            elif not self._looks_same(old, d):
                repaint_only.append(d.uid)
        if added and not changed_order and self._ordered is not None:
            self._merge_in(added)  # a page of a list being read: no re-sort of the rows before
            # the rows of a further page usually land below the view: only the scrollbar moves
            self._rebuild(repaint=False)
            if not self._same_in_view(in_view):
                self.refresh()
        elif added or changed_order:
            self._ordered = None
            self._rebuild()
        else:
            for uid in repaint_only:
                self._refresh_uid(uid)

    def _merge_in(self, added: list[str]) -> None:
        """New rows into the sorted order: their sort keys computed once (kept for the next
        page), the two sorted runs merged by timsort in one pass.  The order is exactly what
        sorting all items would give (a stable sort; the rows before come first among equals,
        as they came first into `_items`)."""
        keys = self._sort_keys
        key = SORTS[self.sort_key]
        items = self._items
        if len(keys) != len(items) - len(added):
            keys.clear()
            keys.update((uid, key(d)) for uid, d in items.items())
        else:
            keys.update((uid, key(items[uid])) for uid in added)
        assert self._ordered is not None
        self._ordered = sorted(self._ordered + added, key=keys.__getitem__, reverse=self.sort_desc)

    def upsert(self, deployment: ListedDeployment) -> None:
        self.upsert_many([deployment])

    def remove_deployment(self, uid: str) -> None:
        if self._items.pop(uid, None) is not None:
            self._haystacks.pop(uid, None)
            self._natural = None
            self._ordered = None
            self._rebuild()

    def _position_changes(self, old: ListedDeployment, new: ListedDeployment) -> bool:
        key = SORTS[self.sort_key]
        if key(old) != key(new):
            return True
        if self.filter_text:
            return matches(old, self.filter_text) != matches(new, self.filter_text)
        return False

    def _same_rows(self, old: dict[str, ListedDeployment], new: dict[str, ListedDeployment]) -> bool:
        """Whether `new` shows exactly the rows `old` shows, in the same order (a list read
        again; the first paint's slim rows replaced by the full ones).  Lists longer than
        SAME_ROWS_MAX are rebuilt without asking: comparing every cell would cost more."""
        if len(new) > SAME_ROWS_MAX or new.keys() != old.keys():
            return False
        return all(d is old[uid] or (not self._position_changes(old[uid], d) and self._looks_same(old[uid], d))
                   for uid, d in new.items())

    def _looks_same(self, old: ListedDeployment, new: ListedDeployment) -> bool:
        """Whether the row shows the same cells: a list read again (the resync once the live
        subscription is in force, the full rows replacing the first paint's slim ones) writes
        nothing to the terminal for rows that did not change."""
        return old is new or all(self.cell(old, c.key) == self.cell(new, c.key) for c in COLUMNS)

    def set_filter(self, text: str) -> None:
        old, self.filter_text = self.filter_text, text.strip()
        if self.filter_text == old:
            return
        # Typing on narrows the rows shown: filter those (already in order), not all items.
        self._rebuild(narrowing=bool(old) and self.filter_text.startswith(old))

    def set_sort(self, key: str, desc: bool | None = None) -> None:
        if key == self.sort_key and desc is None:
            self.sort_desc = not self.sort_desc
        else:
            self.sort_key = key
            self.sort_desc = SORT_DESC[key] if desc is None else desc
        self._ordered = None
        self._rebuild()

    @property
    def _index(self) -> dict[str, int]:
        if self._index_cache is None:
            self._index_cache = {uid: i for i, uid in enumerate(self._rows)}
        return self._index_cache

    def _all_haystacks(self) -> dict[str, str]:
        hs = self._haystacks
        if len(hs) != len(self._items):
            for uid, d in self._items.items():
                if uid not in hs:
                    hs[uid] = haystack(d)
        return hs

    def _row_of(self, uid: str | None) -> int | None:
        if uid is None:
            return None
        if self._index_cache is not None:
            return self._index_cache.get(uid)
        try:
            return self._rows.index(uid)  # one C-speed scan beats building the index per key
        except ValueError:
            return None

    def _in_view_rows(self) -> InView:
        """What the view shows: its scroll offset, the cursor's row, its width, each row's
        deployment."""
        top = int(self.scroll_offset.y)
        items = self._items
        return (top, self._cursor_row, self.view_width(),
                [(uid, items.get(uid)) for uid in self._rows[top:top + self.size.height]])

    def _same_in_view(self, before: InView) -> bool:
        """Nothing in view changed since `before`: the same rows, the same objects (a changed
        deployment is a new object), the same cursor and width; in wide mode a new row can
        widen the columns, so there the answer is always no."""
        *where, rows = self._in_view_rows()
        return (not self.wide and where == list(before[:3]) and len(rows) == len(before[3])
                and all(uid == was and d is was_d for (uid, d), (was, was_d) in zip(rows, before[3], strict=True)))

    def _rebuild(self, narrowing: bool = False, repaint: bool = True) -> None:
        if narrowing:
            candidates = self._rows
        else:
            if self._ordered is None:
                ordered = sorted(self._items.values(), key=SORTS[self.sort_key], reverse=self.sort_desc)
                self._ordered = [d.uid for d in ordered]
                self._sort_keys.clear()
            candidates = self._ordered
        if self.filter_text:
            words = self.filter_text.lower().split()
            hs = self._all_haystacks()
            rows = candidates
            for word in words:  # one pass per word, each a tight comprehension
                rows = [uid for uid in rows if word in hs[uid]]
            self._rows = rows if rows is not candidates else list(candidates)
        else:
            self._rows = list(candidates)
        self._index_cache = None
        cursor_row = self._row_of(self.cursor_uid)
        if cursor_row is not None:
            self._cursor_row = cursor_row
        elif self._rows:
            # the selected deployment left the view: stay at the same place in the list
            self._cursor_row = min(self._cursor_row, len(self._rows) - 1)
            self._set_cursor_uid(self._rows[self._cursor_row])
        else:
            self._cursor_row = 0
            self._set_cursor_uid(None)
        self._set_virtual_height(len(self._rows))
        self._scroll_cursor_into_view()
        if repaint:
            self.refresh()

    def _set_virtual_height(self, rows: int) -> None:
        """A new row count without a layout pass of the whole screen: `virtual_size` is a
        layout reactive, but this table's height is `1fr` and never depends on it, so only its
        scroll range and scrollbar need updating (a full re-layout costs ~15 ms a keystroke)."""
        size = Size(self.content_width(self.view_width()), rows)
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size
            return
        set_virtual_size_quietly(self, size)  # scrollbars follow; re-lays out only if shown/hidden
        if size.width != self.content_width(self.view_width()):
            # the vertical scrollbar came (or went) with these rows: the rows are painted that
            # much narrower (or wider), and are never wider than the view, which would show a
            # horizontal scrollbar over the last row and hide the end of every row under it
            set_virtual_size_quietly(self, Size(self.content_width(self.view_width()), rows))
            self.refresh()

    def view_width(self) -> int:
        """The columns rows are painted in: the table's width less its vertical scrollbar."""
        return self.scrollable_content_region.width or self.size.width

    # ------------------------------------------------------------------ cursor

    def _set_cursor_uid(self, uid: str | None) -> None:
        if uid != self.cursor_uid:
            self.cursor_uid = uid
            self.post_message(self.Highlighted(self.current))

    def select_uid(self, uid: str) -> bool:
        if uid not in self._index:
            return False
        self._move_to(self._index[uid])
        return True

    def _move_to(self, row: int) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        old = self._cursor_row
        self._cursor_row = row
        self._set_cursor_uid(self._rows[row])
        self._scroll_cursor_into_view()
        self.refresh_line_of(old)
        self.refresh_line_of(row)

    def refresh_line_of(self, row: int) -> None:
        y = row - int(self.scroll_offset.y)
        if 0 <= y < self.size.height:
            self.refresh_line(y)

    def _refresh_uid(self, uid: str) -> None:
        row = self._index.get(uid)
        if row is not None:
            self.refresh_line_of(row)

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_offset.y)
        height = max(self.size.height, 1)
        if self._cursor_row < top:
            self.scroll_to(y=self._cursor_row, animate=False, immediate=True)
        elif self._cursor_row >= top + height:
            self.scroll_to(y=self._cursor_row - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self._move_to(self._cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self._cursor_row + direction * max(self.size.height - 1, 1))

    def action_edge(self, end: int) -> None:
        self._move_to(len(self._rows) - 1 if end else 0)

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_offset.y) + event.y
        if 0 <= row < len(self._rows):
            self._move_to(row)

    # ------------------------------------------------------------------ painting

    def on_resize(self) -> None:
        self.virtual_size = Size(self.content_width(self.view_width()), len(self._rows))
        self._scroll_cursor_into_view()

    def watch_wide(self) -> None:
        if self.is_mounted:
            self.virtual_size = Size(self.content_width(self.view_width()), len(self._rows))
            if not self.wide:
                self.scroll_to(x=0, animate=False, immediate=True)
        self.refresh()

    def action_scroll_columns(self, direction: int) -> None:
        """←/→: in wide mode, what does not fit is reached by scrolling, never cut silently."""
        self.scroll_to(x=self.scroll_x + direction * SCROLL_STEP, animate=False, immediate=True)

    def _natural_widths(self) -> dict[str, int]:
        """Wide mode: each flexible column as wide as its longest value (up to MAX_NATURAL)."""
        if self._natural is None:
            flex = [c for c in COLUMNS if c.width == 0]
            widths = {c.key: len(c.title) + 2 for c in flex}
            for d in self._items.values():
                for c in flex:
                    length = self.cell(d, c.key).cell_len
                    if length > widths[c.key]:
                        widths[c.key] = min(length, MAX_NATURAL)
            self._natural = widths
        return self._natural

    def content_width(self, width: int) -> int:
        """The width rows are painted at: the view's, or more in wide mode (then ←/→ scroll)."""
        if not self.wide:
            return width
        natural = self._natural_widths()
        total = sum(c.width or natural[c.key] for c in COLUMNS) + len(COLUMNS) - 1
        return max(width, total)

    def columns(self, width: int) -> list[tuple[Column, int]]:
        show_wide = self.wide or width >= 140
        cols = [c for c in COLUMNS if show_wide or not c.wide_only]
        if self.wide:
            natural = self._natural_widths()
            total = sum(c.width or natural[c.key] for c in cols) + len(cols) - 1
            if total >= width:
                return [(c, c.width or natural[c.key]) for c in cols]
        flex = [c for c in cols if c.width == 0]
        for drop in NARROW_DROPS:  # too narrow: lose a column rather than show a sliver of it
            fixed = sum(c.width for c in cols) + (len(cols) - 1)
            if width - fixed >= MIN_FLEX * len(flex) or show_wide:
                break
            cols = [c for c in cols if c.key != drop]
        fixed = sum(c.width for c in cols) + (len(cols) - 1)
        spare = max(width - fixed, MIN_FLEX * len(flex))
        weights = {"name": 3, "bento": 3, "url": 4}
        total_weight = sum(weights.get(c.key, 1) for c in flex) or 1
        out, used = [], 0
        for _i, c in enumerate(cols):
            if c.width:
                out.append((c, c.width))
                continue
            share = spare * weights.get(c.key, 1) // total_weight
            if c is flex[-1]:
                share = spare - used
            used += share
            out.append((c, max(share, 4)))
        return out

    def header_line(self, width: int) -> Text:
        """The header as the view shows it: scrolled with the rows in wide mode."""
        full = self.content_width(width)
        text = self.header_text(full)
        if full > width:
            x = int(self.scroll_x)
            text = text[x: x + width]
        return text

    def header_text(self, width: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (col, w) in enumerate(self.columns(width)):
            title = col.title
            if col.key == self.sort_key or (col.key == "updated" and self.sort_key == "updated"):
                title += " ▼" if self.sort_desc else " ▲"
            text.append(_fit(title, w))
            if i < len(self.columns(width)) - 1:
                text.append(" ")
        return text

    def set_watched(self, names: Iterable[str]) -> None:
        """The watched deployments (`W`), marked `*` before their names."""
        self.watched = frozenset(names)
        self._strips.clear()
        self.refresh()

    def cell(self, d: ListedDeployment, key: str) -> Text:
        if key == "name":
            if d.name in self.watched:
                return Text.assemble(("*", "bold"), safe(d.name, style="bold"))
            return safe(d.name, style="bold")
        if key == "status":
            return v2_status_text(v2_status(d)) if self.v2_statuses else status_text(d.status)
        if key == "mode":
            return Text(mode_title(d.mode, short=True))
        if key == "bento":
            return safe(d.bento_tag or "—")
        if key == "replicas":
            return safe(replicas_text(d))
        if key == "url":
            return safe(d.urls[0] if d.urls else "—", style="underline" if d.urls else "")
        if key == "created":
            return Text(short_time(d.created_at), style="dim")
        if key == "updated":
            return Text(short_time(_when(d)), style="dim")
        return Text("")

    def row_text(self, d: ListedDeployment, width: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        cols = self.columns(width)
        for i, (col, w) in enumerate(cols):
            cell = self.cell(d, col.key)
            cell.truncate(w, overflow="ellipsis", pad=True)
            text.append_text(cell)
            if i < len(cols) - 1:
                text.append(" ")
        return text

    def render_line(self, y: int) -> Strip:
        view = self.view_width()
        width = self.content_width(view)
        row = int(self.scroll_offset.y) + y
        base = self.rich_style
        if row >= len(self._rows):
            return Strip([Segment(" " * view, base)], view)
        d = self._items[self._rows[row]]
        cursor = row == self._cursor_row
        style = base
        if cursor:
            style = base + self.get_component_rich_style("deployment-table--cursor")
        # A filter keystroke or a scroll repaints rows painted moments ago: keep their strips,
        # keyed by everything a row's look depends on (the deployment object itself included,
        # so a pushed change is never shown stale).
        plain_cursor = cursor and self.app.native_ansi_color
        key = (d.uid, width, cursor, style, self.wide, self.sort_key, plain_cursor,
               d.name in self.watched, self.v2_statuses)
        cached = self._strips.get(key)
        if cached is not None and cached[0] is d:
            return self._in_view(cached[1], view)
        text = self.row_text(d, width)
        segments = list(text.render(self.app.console))
        if plain_cursor:
            # 16 colours: a cell colour (green "running") can be the cursor's own colour, so
            # the cursor row keeps only bold/underline and reads by the status symbol and word.
            segments = [Segment(s.text, _uncoloured(s.style)) for s in segments]
        strip = Strip(segments).apply_style(style) if not cursor else Strip(
            [Segment(s.text, (style + s.style) if s.style else style) for s in segments]
        )
        strip = strip.extend_cell_length(width, style).crop(0, width)
        if len(self._strips) >= STRIP_CACHE_SIZE:
            self._strips.pop(next(iter(self._strips)))
        self._strips[key] = (d, strip)
        return self._in_view(strip, view)

    def _in_view(self, strip: Strip, view: int) -> Strip:
        if strip.cell_length <= view:
            return strip
        x = int(self.scroll_x)
        return strip.crop(x, x + view)


def _uncoloured(style: Style | None) -> Style | None:
    """The style without its colours or dimming (both can vanish into a cursor background)."""
    if style is None:
        return None
    return style.without_color + Style(dim=False)


def _fit(text: str, width: int) -> str:
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)


