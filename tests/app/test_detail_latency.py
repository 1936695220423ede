"""Enter on a row to the detail over a long link (issue 16, P8): one round trip, no handshake.

The app reaches a real local control plane through tests/bench/latency_proxy.py (a real TCP
proxy on loopback that delays every chunk and makes each new connection pay a round trip, and
counts connections and request turns).  With the pool kept warm by the list
(tui/api/warm_pool.py), the detail's GET and its two websockets leave together on idle
connections, and its live updates come over the list's open subscription.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.bench.latency_proxy import LatencyProxy
from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui.api.client import BentoCloudClient
from tui.api.warm_pool import PoolWarmer
from tui.app import BentoTUI
from tui.screens.deployments import DeploymentsScreen
from tui.screens.detail import DetailScreen
from tui.widgets.deployment_table import DeploymentTable

# Long enough that neither a handshake nor a second round trip can hide in the noise of a busy
# machine (the detail's compose can hold its last upgrade back ~0.3 s there).
RTT = 0.5
NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


@pytest.fixture
def proxy(cloud: LocalCloud) -> Iterator[LatencyProxy]:
    link = LatencyProxy(cloud.port, RTT).start()
    try:
        yield link
    finally:
        link.stop()


def over(proxy: LatencyProxy, cloud: LocalCloud) -> BentoTUI:
    return BentoTUI(local_context(cloud).with_endpoint(proxy.endpoint, cloud.token))


async def warm_list(app: BentoTUI, pilot, proxy: LatencyProxy, name: str) -> DeploymentsScreen:
    """The list with `name` under the cursor and its warming round done."""
    def ready() -> DeploymentsScreen | None:
        screen = app.screen
        if not isinstance(screen, DeploymentsScreen) or not screen.query(DeploymentTable) or not screen.table.total:
            return None
        current = screen.table.current
        warmer = screen._warmer
        return screen if current is not None and current.name == name and warmer and warmer.rounds else None

    screen = await until(ready, 30, pilot, f"{name} under the cursor, the pool warm")
    await quiet(proxy, pilot)
    return screen


async def quiet(proxy: LatencyProxy, pilot) -> None:
    """Nothing sent for two round trips: whatever the start sent (the list's re-read of its first
    page, the warming) has its answer, and its connection is idle again."""
    for _ in range(50):
        mark = proxy.snapshot()
        await pilot.pause(2 * RTT)
        if proxy.since(mark)["turns"] == 0:
            return
    raise AssertionError("the link never went quiet")


async def opened(app: BentoTUI, pilot, events: bool = True) -> DetailScreen:
    """Enter pressed: the detail with its GET answered, its replicas (and events) in."""
    await pilot.press("enter")

    def loaded() -> DetailScreen | None:
        screen = app.screen
        if not isinstance(screen, DetailScreen) or screen.pods is None or screen._first_get is not None:
            return None
        busy = [w for w in screen.workers if w.group == "detail-load" and not w.is_finished]
        return None if busy or (events and not screen.events_view.event_list.events) else screen

    return await until(loaded, 20, pilot, "the detail's first answers")


async def test_enter_costs_one_round_trip_and_no_handshake(cloud: LocalCloud, http: httpx.Client,
                                                           proxy: LatencyProxy) -> None:
    create(http, "lat-one")
    # running before the app starts: no push reaches the list's subscription while it is open,
    # so its heartbeats (5 s) are not request turns, and the turns counted are the detail's
    await until(lambda: http.get(f"{NS}/lat-one").json()["status"] == "running", 30, what="running")
    app = over(proxy, cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await warm_list(app, pilot, proxy, "lat-one")
        # warm for 4.5 s more; no later round may be on the wire at enter (one would cost the
        # detail a handshake: ~1 round trip in every 3.5 s of keys)
        listing._warmer.stop()
        mark = proxy.snapshot()
        screen = await opened(app, pilot)
        seen = proxy.since(mark)
        assert seen["connections"] == 0, seen  # warm pool: no handshake, websockets included
        # The GET and the replicas' and events' upgrades, all sent before any answer could be
        # back (one sequential round trip), and no fourth socket: the live updates come from the
        # list's subscription.
        turns = seen["turns_at_ms"]
        assert turns and len([t for t in turns if t < turns[0] + RTT * 1000]) == 3, seen

        # the detail is live: a change on the server shows without a key
        assert http.post(f"{NS}/lat-one/terminate").status_code == 200
        await until(lambda: "terminat" in screen.query_one("#detail-title").render().plain, 10, pilot,
                    "terminating pushed to the detail")


async def test_the_detail_stays_live_when_the_lists_subscription_ends(
        cloud: LocalCloud, http: httpx.Client, proxy: LatencyProxy) -> None:
    create(http, "lat-two")
    app = over(proxy, cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await warm_list(app, pilot, proxy, "lat-two")
        screen = await opened(app, pilot, events=False)
        listing.workers.cancel_group(listing, "list-live")  # the subscription the detail followed
        await until(lambda: listing._subscription.running is False, 10, pilot, "the list's stream closed")
        await pilot.pause(3 * RTT)  # the detail's own subscription: connect, upgrade, subscribe
        assert http.post(f"{NS}/lat-two/terminate").status_code == 200
        await until(lambda: "terminat" in screen.query_one("#detail-title").render().plain, 10, pilot,
                    "terminating pushed over the detail's own subscription")


async def test_warming_is_bounded_and_stops_when_idle(cloud: LocalCloud) -> None:
    proxy = LatencyProxy(cloud.port, 0.1).start()
    try:
        await warming_is_bounded(cloud, proxy)
    finally:
        proxy.stop()


async def warming_is_bounded(cloud: LocalCloud, proxy: LatencyProxy) -> None:
    async with BentoCloudClient(proxy.endpoint, cloud.token) as client:
        mark = proxy.snapshot()
        warmer = PoolWarmer(client, connections=3, every=0.5, idle_after=1.2)
        warmer.touch()
        # Waited for, not slept: on a loaded CI machine the first round can take longer than
        # its round trips.
        await until(lambda: warmer.rounds >= 1, 10, what="the first warming round")
        assert proxy.since(mark)["connections"] == 3  # the first round opened three
        await until(lambda: not warmer.running, 10, what="the warmer to stop when idle")
        seen = proxy.since(mark)
        # rounds at 0, 0.5 (+ the round trip each takes), … within 1.2 s of the touch: 2 or 3
        assert 2 <= warmer.rounds <= 3 and seen["turns"] == 3 * warmer.rounds, seen
        assert seen["connections"] == 3, seen  # later rounds kept the same connections alive
        quiet = proxy.snapshot()
        await asyncio.sleep(1.0)
        assert proxy.since(quiet)["turns"] == 0  # nobody at the keys: nothing sent

        hidden = PoolWarmer(client, active=lambda: False, every=0.2, idle_after=1.0)
        hidden.touch()
        await asyncio.sleep(0.6)
        assert hidden.rounds == 0 and proxy.since(quiet)["turns"] == 0  # the list is not shown
        hidden.stop()

        def gone() -> bool:
            raise RuntimeError("No screens on stack")  # what asking a closed app says

        orphan = PoolWarmer(client, active=gone, every=0.1, idle_after=0.3)
        orphan.touch()
        await until(lambda: not orphan.running, 10, what="the orphaned warmer to end")
        assert orphan.rounds == 0  # ended, sent nothing
        assert orphan._task is not None and orphan._task.exception() is None  # and quietly
        assert proxy.since(quiet)["turns"] == 0


def test_a_warmer_after_close_sends_nothing() -> None:
    async def run() -> int:
        client = BentoCloudClient("http://127.0.0.1:9", "t")
        await client.aclose()
        warmer = PoolWarmer(client)
        warmer.touch()
        await asyncio.sleep(0.05)
        return warmer.rounds

    started = time.monotonic()
    assert asyncio.run(run()) == 0 and time.monotonic() - started < 2
