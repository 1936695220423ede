"""A list of 2,600 deployments read from the real local control plane in pages fetched a few
at a time (tui/api/paging.py): every deployment arrives once and in order; the table is
filterable and sortable over all of them; keys are answered and the count grows while pages
arrive; a page failing mid-way is said and the rows read before it stay.

Two faults cannot be made on demand by the real server and are injected at the client's
`list_deployments` (the server is still real for every page that is not the fault): a page held
back (to look at the screen mid-load) and a page answered with HTTP 500.
"""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import httpx
import pytest

from tests.bench.common import populate_store
from tests.harness import LocalCloud
from tests.support.app import local_context, until
from tui.api import models as m
from tui.api import paging
from tui.api.client import BentoCloudClient
from tui.api.errors import ServerError
from tui.api.sharing import SharedParts
from tui.app import BentoTUI
from tui.screens.deployments import DeploymentsScreen
from tui.widgets.deployment_table import DeploymentTable

N = 2600
NAMES = [f"big-{i:05d}" for i in range(N)]
HELD_AT = 1500  # the first page (500) and the next (1,000) arrive; the page at 1,500 is the fault


@pytest.fixture(scope="module")
def big(cloud: LocalCloud) -> LocalCloud:
    populate_store(cloud, NAMES)
    return cloud


def table_of(app: BentoTUI) -> DeploymentTable:
    return app.screen.query_one(DeploymentTable)


def summary(app: BentoTUI) -> str:
    found = app.screen.query("#list-summary")  # none before the list screen is mounted
    return str(found.first().render()) if found else ""


def loaded(app: BentoTUI, count: int) -> bool:
    if not isinstance(app.screen, DeploymentsScreen):
        return False
    tables = app.screen.query(DeploymentTable)  # none yet while the screen mounts
    return bool(tables) and tables.first().total >= count


class PageFault:
    """Wraps `BentoCloudClient.list_deployments`: records the pages asked for and how many were
    in flight at once; holds back or fails the page at HELD_AT while told to."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.original = BentoCloudClient.list_deployments
        self.asked: list[tuple[int | None, int | None]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.hold: asyncio.Event | None = None
        self.fail = False
        fault = self

        async def list_deployments(client: BentoCloudClient, cluster: str, **kw: Any) -> Any:
            fault.asked.append((kw.get("start"), kw.get("count")))
            fault.in_flight += 1
            fault.most_in_flight = max(fault.most_in_flight, fault.in_flight)
            try:
                if (kw.get("start") or 0) >= HELD_AT:
                    if fault.hold is not None:
                        await fault.hold.wait()
                    if fault.fail:
                        raise ServerError(f"{client.endpoint} failed on GET the page at {HELD_AT} "
                                          "(HTTP 500): boom", status=500)
                return await fault.original(client, cluster, **kw)
            finally:
                fault.in_flight -= 1

        monkeypatch.setattr(BentoCloudClient, "list_deployments", list_deployments)


async def test_all_pages_arrive_once_in_order_with_pages_in_flight_together(
        big: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = PageFault(monkeypatch)
    with big.client() as http:  # the server's own order, in one request
        whole = http.get("/api/v1/clusters/default/deployments").json()
    assert whole["total"] == N
    async with BentoCloudClient(big.endpoint, big.token) as client:
        got = [d.uid async for _total, page in client.deployment_pages("default", size=300)
               for d in page]
    assert got == [d["uid"] for d in whole["items"]]  # each once, in the server's order
    assert fault.asked[0] == (0, paging.FIRST_PAGE)
    assert fault.most_in_flight == paging.PARALLEL  # later pages were fetched together


async def test_the_whole_list_loads_sortable_and_filterable(big: LocalCloud) -> None:
    app = BentoTUI(local_context(big))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: loaded(app, N) and not app.screen._loading, 60, pilot, "all rows")
        table = table_of(app)
        assert len(table) == N and sorted(table.get(u).name for u in table.rows) == NAMES
        assert f" {N} deployments" in summary(app) and "loading" not in summary(app)
        # the oldest deployment came in the last page: filter and sort reach it
        await pilot.press("slash", *"big-00000")
        await until(lambda: len(table) == 1, 10, pilot, "the filter over all rows")
        assert table.get(table.rows[0]).name == "big-00000"
        await pilot.press("escape")
        await pilot.press("N")  # sort by name: A-Z
        await until(lambda: table.get(table.rows[0]).name == "big-00000", 10, pilot, "sorted")
        assert [table.get(u).name for u in table.rows] == NAMES


async def test_keys_answer_and_the_count_grows_while_pages_arrive(
        big: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = PageFault(monkeypatch)
    fault.hold = asyncio.Event()
    app = BentoTUI(local_context(big))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: loaded(app, HELD_AT), 60, pilot, "the pages before the held one")
        assert f" {HELD_AT} deployments · loading, {N} in all…" in summary(app)
        table = table_of(app)
        first = table.cursor_uid
        await pilot.press("down")
        await until(lambda: table.cursor_uid != first, 5, pilot, "the cursor to move mid-load")
        fault.hold.set()
        await until(lambda: loaded(app, N), 60, pilot, "the rest")
        await until(lambda: "loading" not in summary(app), 10, pilot, "the summary")


async def test_a_page_failing_mid_way_is_said_and_the_rows_read_stay(
        big: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = PageFault(monkeypatch)
    fault.fail = True
    app = BentoTUI(local_context(big))
    notes: list[str] = []  # every notification, not only those still showing (they expire)
    shown = app.notify

    def recording_notify(message: str, **kw: Any) -> None:
        notes.append(message)
        shown(message, **kw)

    app.notify = recording_notify  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "not all" in summary(app), 60, pilot, "the list to stop")
        table = table_of(app)
        assert table.total == HELD_AT  # the pages before the failed one
        assert f" {HELD_AT} deployments · not all" in summary(app)
        assert any("boom" in note for note in notes), notes
        assert not app.screen.query_one("#list-empty").display  # the rows are shown, not a blank
        fault.fail = False
        await pilot.press("ctrl+r")  # read again: now whole
        await until(lambda: loaded(app, N), 60, pilot, "the whole list")
        await until(lambda: "not all" not in summary(app), 10, pilot, "the summary")
        assert len(table) == N


async def test_a_parsed_page_leaves_no_body_to_the_collector(big: LocalCloud) -> None:
    """httpx keeps a response in a reference cycle; read with the collector paused and frozen
    after, every page's body would stay for good (tui/api/client.py _drop_body)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        async with BentoCloudClient(big.endpoint, big.token) as client:
            page = await client.list_deployments("default", start=0, count=500)
        gc.collect()
        bodies = [len(o.content) for o in gc.garbage if isinstance(o, httpx.Response)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(page.items) == 500
    assert all(size == 0 for size in bodies), bodies


def test_shared_parse_gives_what_the_plain_parse_gives(big: LocalCloud) -> None:
    with big.client() as http:
        body = http.get("/api/v1/clusters/default/deployments", params={"count": 50}).content
    plain = m.DeploymentListSchema.model_validate_json(body, context={"lenient": True})
    shared = SharedParts()
    page = shared.parse_deployment_list(body)
    assert page == plain and len(page.items) == 50
    first, second = (d.latest_revision.targets[0] for d in page.items[:2])
    assert first.bento is second.bento and page.items[0].cluster is page.items[1].cluster
    # a part that differs under the same uid and time is not shared: it is shown as sent
    data = json.loads(body)
    data["items"][1]["latest_revision"]["targets"][0]["bento"]["description"] = "[b]changed"
    again = shared.parse_deployment_list(json.dumps(data).encode())
    bentos = [d.latest_revision.targets[0].bento for d in again.items[:3]]
    assert bentos[1].description == "[b]changed" and bentos[1] is not bentos[0]
    assert bentos[0] is bentos[2] is first.bento


def test_parts_known_by_their_bytes_give_what_the_plain_parse_gives(big: LocalCloud) -> None:
    """The parts a page repeats most are remembered as the bytes the server sent and swapped for
    placeholders on the next pages; wherever such bytes are not a shared part, or the page does
    not decode, the page is decoded as sent: the same models or the same error, either way."""
    with big.client() as http:
        body = http.get("/api/v1/clusters/default/deployments", params={"count": 50}).content
        later = http.get("/api/v1/clusters/default/deployments",
                         params={"start": 50, "count": 50}).content
    lenient = {"lenient": True}
    shared = SharedParts()
    first = shared.parse_deployment_list(body)
    known = shared._bytes
    assert sorted(type(known_part.parsed).__name__ for known_part in known.patterns) == [
        "BentoFullSchema", "ClusterSchema", "UserSchema"]
    page = shared.parse_deployment_list(later)  # through the placeholders
    assert not known.failed
    assert page == m.DeploymentListSchema.model_validate_json(later, context=lenient)
    bento = first.items[0].latest_revision.targets[0].bento
    assert all(d.latest_revision.targets[0].bento is bento and d.cluster is first.items[0].cluster
               for d in page.items)
    # a known part's bytes where no shared part belongs (here a field the models drop): the
    # placeholders do not add up, so the page is decoded as sent
    creator = next(k.pattern for k in known.patterns if isinstance(k.parsed, m.UserSchema))
    odd = later.replace(b'"kube_namespace":', b'"stray":' + creator + b',"kube_namespace":', 1)
    assert odd != later
    again = shared.parse_deployment_list(odd)
    assert known.failed  # and never tried again for this list
    assert again == m.DeploymentListSchema.model_validate_json(odd, context=lenient) == page
    # a reload learns them afresh
    shared.new_list_read()
    assert not shared._bytes.failed and not shared._bytes.patterns
    shared.parse_deployment_list(body)
    assert len(shared._bytes.patterns) == 3
    # a page that does not decode raises as the plain parse does, placeholders or not
    fresh = SharedParts()
    fresh.parse_deployment_list(body)
    with pytest.raises(ValueError):
        m.DeploymentListSchema.model_validate_json(later[:-40], context=lenient)
    with pytest.raises(ValueError):
        fresh.parse_deployment_list(later[:-40])
    assert fresh._bytes.failed


@pytest.mark.parametrize("hostile", [
    b"not json", b"[1, 2]", b'{"total": 1, "items": [7]}',
    b'{"total": 1, "items": [{"name": "x", "latest_revision": {"targets": [{"bento": "str"}]}}]}',
    b'{"total": 1, "items": [{"name": "x", "creator": {"uid": [1], "name": "y", "updated_at": {}}}]}',
])
def test_shared_parse_refuses_what_the_plain_parse_refuses(hostile: bytes) -> None:
    with pytest.raises(ValueError):  # pydantic's ValidationError is a ValueError
        m.DeploymentListSchema.model_validate_json(hostile, context={"lenient": True})
    with pytest.raises(ValueError):
        SharedParts().parse_deployment_list(hostile)
