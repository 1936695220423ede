"""The deployment table's incremental filtering (narrowing the rows shown as a word grows,
a cached sort order, cached filter texts and painted rows) gives exactly what filtering every
item from scratch gives, through typing, deleting, sorting and pushed changes; and the list
shares one copy of the parts its deployments repeat without changing what they hold."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from textual.app import App, ComposeResult

from tui.api import models as m
from tui.api.sharing import SharedParts
from tui.widgets.deployment_table import SORTS, DeploymentTable, matches

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
STATUSES = ["running", "terminated", "non-deployed", "failed", "deploying"]


def deployment(i: int, status: str | None = None, description: str | None = None) -> m.DeploymentSchema:
    user = {"name": "root", "uid": "u1", "updated_at": T0.isoformat()}
    return m.DeploymentSchema.model_validate({
        "uid": f"uid-{i:04d}", "name": f"dep-{i:04d}", "resource_type": "deployment",
        "created_at": (T0 + timedelta(seconds=i)).isoformat(),
        "updated_at": (T0 + timedelta(seconds=i * 7 % 50)).isoformat(),
        "status": status or STATUSES[i % len(STATUSES)], "kube_namespace": "yatai",
        "description": description, "creator": user,
        "cluster": {"uid": "c1", "name": "default", "resource_type": "cluster",
                    "created_at": T0.isoformat(), "updated_at": T0.isoformat(), "creator": user},
        "mode": "function" if i % 3 else "deployment",
    })


def expected(table: DeploymentTable) -> list[str]:
    items = [d for d in table.all_items() if not table.filter_text or matches(d, table.filter_text)]
    items.sort(key=SORTS[table.sort_key], reverse=table.sort_desc)
    return [d.uid for d in items]


def count_refreshes(table: DeploymentTable) -> list[object]:
    """The regions of each `table.refresh()` from now on (a repaint asked for)."""
    refreshed: list[object] = []
    original = table.refresh

    def counted(*regions: object, **flags: object) -> object:
        refreshed.append(regions)
        return original(*regions, **flags)  # type: ignore[arg-type]

    table.refresh = counted  # type: ignore[method-assign]
    return refreshed


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DeploymentTable(id="t")


async def test_incremental_filter_matches_a_full_filter() -> None:
    rng = random.Random(7)
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(DeploymentTable)
        table.replace_all([deployment(i) for i in range(300)])
        await pilot.pause()
        typed = ""
        for step in range(200):
            action = rng.random()
            if action < 0.45:
                typed += rng.choice("dep-0123 runfi")
            elif action < 0.7:
                typed = typed[:-1]
            elif action < 0.8:
                table.set_sort(rng.choice(list(SORTS)))
            elif action < 0.95:
                i = rng.randrange(320)
                table.upsert(deployment(i, status=rng.choice(STATUSES),
                                        description=rng.choice([None, "nightly run", "dep zero"])))
            else:
                table.remove_deployment(f"uid-{rng.randrange(320):04d}")
            table.set_filter(typed)
            assert table.rows == expected(table), (step, typed)
            if table.rows:
                assert table.cursor_uid in table.rows
            await pilot.pause()
        # every painted row shows its current deployment
        table.set_filter("")
        await pilot.pause()
        for y in range(min(10, len(table.rows))):
            d = table.get(table.rows[y])
            assert d is not None and d.name in table.render_line(y).text


def test_shared_parts_keep_every_value() -> None:
    shared = SharedParts()
    first, second = deployment(1), deployment(2)
    before = [first.model_dump(), second.model_dump()]
    shared.deployment(first)
    shared.deployment(second)
    assert [first.model_dump(), second.model_dump()] == before
    assert second.cluster is first.cluster and second.creator is first.creator
    changed = deployment(3)
    changed.cluster = changed.cluster.model_copy(update={"description": "moved",
                                                         "updated_at": T0 + timedelta(days=1)})
    shared.deployment(changed)
    assert changed.cluster.description == "moved" and changed.cluster is not first.cluster


async def test_pages_merged_in_give_the_order_a_full_sort_gives() -> None:
    """While a list is read, each page is merged into the sorted rows (no re-sort of all of
    them): under every sort, ties included, the rows are exactly those a full sort gives, each
    once, filtered over everything read so far."""
    rng = random.Random(11)
    all_deployments = [deployment(i) for i in range(600)]
    for sort in SORTS:
        app = TableApp()
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one(DeploymentTable)
            table.set_sort(sort)
            order = all_deployments[:]
            rng.shuffle(order)
            for start in range(0, len(order), 70):
                table.upsert_many(order[start:start + 70])
                table.set_filter("run" if start % 140 else "")
                assert table.rows == expected(table), (sort, start)
                assert len(set(table.rows)) == len(table.rows)
            table.set_filter("")
            assert table.rows == expected(table) and len(table.rows) == 600
            table.set_sort(sort)  # the other direction: a full sort again
            assert table.rows == expected(table)
            await pilot.pause()


async def test_a_list_read_again_repaints_only_rows_that_changed() -> None:
    """The live subscription's re-read and the full rows replacing the first paint's slim ones
    bring equal rows: nothing is repainted (P5, bytes written while nothing changes); a row
    that changed is, and the table keeps the newer objects."""
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DeploymentTable)
        table.replace_all([deployment(i, status="running") for i in range(50)])
        await pilot.pause()
        refreshed = count_refreshes(table)
        again = [deployment(i, status="running") for i in range(50)]
        table.replace_all(again)
        table.upsert_many([deployment(i, status="running") for i in range(10)])
        await pilot.pause()
        assert refreshed == []
        assert table.get("uid-0020") is again[20]
        table.upsert_many([deployment(3, status="failed")])
        table.replace_all([*again[:5], deployment(5, status="failed"), *again[6:]])
        await pilot.pause()
        assert refreshed  # a changed row is repainted


async def test_a_page_below_the_view_repaints_no_row_and_one_in_view_does() -> None:
    """A long list read page by page, newest first: the pages after the first land below the
    rows in view, so only the scrollbar changes (no frame of unchanged rows per page); a page
    whose row sorts into the view, or a changed row in view, repaints the rows."""
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(DeploymentTable)
        newest_first = [deployment(i) for i in range(599, -1, -1)]
        table.upsert_many(newest_first[:100])
        await pilot.pause()
        refreshed = count_refreshes(table)
        for start in range(100, 600, 100):
            table.upsert_many(newest_first[start:start + 100])
        await pilot.pause()
        assert refreshed == [] and table.total == 600 and table.rows == expected(table)
        assert table.max_scroll_y > 500  # the scroll range did follow

        table.upsert_many([deployment(700)])  # newer than all: the top row
        assert refreshed and "dep-0700" in table.render_line(0).text
        refreshed.clear()
        table.upsert_many([deployment(1000 + i) for i in range(5)] + [deployment(0, status="failed")])
        assert refreshed  # rows sorted into the view (and one changed below it)
        refreshed.clear()
        table.action_cursor(1)  # the cursor moves: what it leaves and reaches repaint
        refreshed.clear()
        on = table.cursor_uid
        table.upsert_many([deployment(i) for i in range(-100, 0)])  # older than all: below the view
        assert refreshed == [] and table.cursor_uid == on and table.total == 706
