"""Changes made on the server while a long list is being read (tui/screens/deployments.py
`load`): the live pushes that arrive meanwhile are newer than the pages read before them, so
the whole list put together at the end of the read must not undo them.

The server is real; one page is held back at the client (tests/app/test_big_list.py
PageFault) to make the change while the read is under way, a moment a real server does not
hold still for.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.app.test_big_list import HELD_AT, PageFault, loaded, table_of
from tests.bench.common import LIST, NS, create_many, populate_store
from tests.harness import LocalCloud
from tests.support.app import local_context, until
from tui.api import models as m
from tui.api.sharing import SharedParts
from tui.app import BentoTUI
from tui.screens.deployments import TERMINATED

N = 2100  # pages at 0, 500, 1000, 1500 (held), 2000
NAMES = [f"late-{i:05d}" for i in range(N)]
ON_PAGE_2 = "late-01200"  # newest first: the page at 500 holds late-01599 .. late-01100


@pytest.fixture(scope="module")
def fleet(cloud: LocalCloud) -> LocalCloud:
    populate_store(cloud, NAMES)
    return cloud


async def test_a_change_pushed_while_the_pages_load_stays_after_the_load(
        fleet: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = PageFault(monkeypatch)
    fault.hold = asyncio.Event()
    app = BentoTUI(local_context(fleet))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: loaded(app, HELD_AT), 60, pilot, "the pages before the held one")
        table = table_of(app)
        row = next(d for d in table.all_items() if d.name == ON_PAGE_2)  # read with its page
        assert row.status not in TERMINATED
        with fleet.client() as http:
            assert http.post(f"{NS}/{ON_PAGE_2}/terminate").status_code == 200
        create_many(fleet, ["late-new"])

        def shown(name: str):
            return next((d for d in table.all_items() if d.name == name), None)

        await until(lambda: getattr(shown(ON_PAGE_2), "status", None) in TERMINATED, 20, pilot,
                    "the terminate pushed")
        await until(lambda: shown("late-new") is not None, 20, pilot, "the new one pushed")
        fault.hold.set()
        await until(lambda: loaded(app, N) and not app.screen._loading, 60, pilot, "the rest")
        await pilot.pause(0.3)
        assert shown(ON_PAGE_2).status in TERMINATED  # not the page read before it
        assert shown("late-new") is not None
        with fleet.client() as http:
            assert table.total == http.get(LIST, params={"count": 1}).json()["total"]


def test_a_bento_first_seen_on_a_later_page_keeps_the_known_bytes(fleet: LocalCloud) -> None:
    """A later page with a bento not known by its bytes: the known creator inside that bento is
    put back as the JSON it stands for, not a reason to decode every later page as sent."""
    create_many(fleet, [f"other-{i:03d}" for i in range(20)], "sentiment")  # newest: first
    lenient = {"lenient": True}
    with fleet.client() as http:
        later = http.get(LIST, params={"start": 100, "count": 100}).content  # iris only
        first = http.get(LIST, params={"start": 0, "count": 100}).content  # 20 sentiment first
    shared = SharedParts()
    shared.parse_deployment_list(later)
    assert shared._bytes.patterns  # the iris bento, the cluster, the creator
    page = shared.parse_deployment_list(first)
    assert not shared._bytes.failed
    assert page == m.DeploymentListSchema.model_validate_json(first, context=lenient)
    bentos = {d.latest_revision.targets[0].bento.repository.name for d in page.items}
    assert bentos == {"sentiment", "iris_classifier"}


async def test_a_deployment_deleted_while_the_pages_load_skips_no_other(
        fleet: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offset pages shift when a deployment is deleted under them: the page asked for after the
    delete starts one further on, and the row at its boundary was in no page (the list said one
    deployment fewer than the server has, until the next full read)."""
    fault = PageFault(monkeypatch)
    fault.hold = asyncio.Event()
    app = BentoTUI(local_context(fleet))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: loaded(app, HELD_AT), 60, pilot, "the pages before the held one")
        table = table_of(app)
        gone = "late-02090"  # on the first page, read already
        assert any(d.name == gone for d in table.all_items())
        with fleet.client() as http:
            assert http.post(f"{NS}/{gone}/terminate").status_code == 200
            assert http.delete(f"{NS}/{gone}").status_code == 200
            total = http.get(LIST, params={"count": 1}).json()["total"]
        await until(lambda: all(d.name != gone for d in table.all_items()), 20, pilot, "the delete pushed")
        fault.hold.set()
        await until(lambda: not app.screen._loading and table.total == total, 60, pilot,
                    f"all {total} deployments")
        await pilot.pause(0.3)
        with fleet.client() as http:
            server = {d["uid"] for d in http.get(LIST, params={"count": 5000}).json()["items"]}
        assert {d.uid for d in table.all_items()} == server
