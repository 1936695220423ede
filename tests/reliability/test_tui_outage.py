"""Item 3: the control plane stops for a while under the TUI showing the list and a detail
screen, then starts again.

The TUI shows the outage, recovers by itself, keeps the user on the detail screen, shows every
event the server has exactly once, and the list under it has no duplicate rows.
tests/app/test_list.py stops the server under the list for a moment; tests/app/test_detail.py
under the logs tab.  This one holds the outage for BENTOTUI_OUTAGE_SECONDS (default 3; the
note's figures use 30), on the events tab, with a change made while the TUI was away.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.app.test_detail import open_detail, screen_text
from tests.harness import LocalCloud
from tests.support.app import local_context, until
from tests.support.reliability import CREATE, NS, body, latest_version, outage_seconds, report
from tui.app import BentoTUI
from tui.messages import ConnectionChanged
from tui.screens.deployments import DeploymentsScreen
from tui.widgets.deployment_table import DeploymentTable


@pytest.mark.slow
async def test_outage_under_the_list_and_a_detail_screen(tmp_path: Path) -> None:
    seconds = outage_seconds()
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        with cloud.client() as http:
            sentiment = latest_version(http, "sentiment")
            assert http.post(CREATE, json=body(sentiment, "watched", repo="sentiment")).status_code == 200
            for name in ("idle-a", "idle-b"):
                assert http.post(CREATE, json=body(latest_version(http), name, deploy=False)).status_code == 200
        changes: list[str] = []
        app = BentoTUI(local_context(cloud))

        def hook(message: object) -> None:
            if isinstance(message, ConnectionChanged):
                changes.append(message.state)

        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            screen = await open_detail(app, pilot, "watched", count=3)
            await pilot.press("3")  # the events tab
            events = screen.events_view

            def server_event_uids() -> list[str]:
                with cloud.client() as http:
                    return [e["metadata"]["uid"] for e in http.get(f"{NS}/watched/kube_events").json()]

            def shown_uids() -> list[str]:
                return [e.metadata.uid for _, _, e in events.event_list.events]

            await until(lambda: screen.deployment and screen.deployment.status.value == "running"
                        and any(e.reason == "Ready" for _, _, e in events.event_list.events),
                        60, pilot, "running, with its Ready event shown")

            down_at = time.monotonic()
            await asyncio.to_thread(cloud.stop)
            await until(lambda: "reconnecting…" in screen_text(app), 15, pilot, "the outage shown")
            assert app.connection_state == "reconnecting"
            shown_after = time.monotonic() - down_at
            while time.monotonic() - down_at < seconds:
                await pilot.pause(0.2)
                assert app.screen is screen  # still where the user was, no crash
            assert "reconnecting…" in screen_text(app)

            await asyncio.to_thread(cloud.start)
            up_at = time.monotonic()
            with cloud.client() as http:  # a change made before the TUI is back
                patched = http.patch(f"{NS}/idle-a", json=body(latest_version(http), "idle-a",
                                                               deploy=False, description="while away"))
                assert patched.status_code == 200
            await until(lambda: app.connection_state == "connected"
                        and "reconnecting" not in screen_text(app), 60, pilot, "recovery")
            recovered_after = time.monotonic() - up_at
            # the replicas came back (new events: Started, Ready) and the TUI shows them all, once
            await until(lambda: screen.deployment.status.value == "running", 60, pilot, "running again")
            await until(lambda: set(server_event_uids()) <= set(shown_uids()), 20, pilot,
                        "every event of the server shown")
            shown = shown_uids()
            assert len(shown) == len(set(shown)), "an event shown twice"
            assert app.screen is screen and screen.active_tab == "events"
            assert changes.count("reconnecting") >= 1 and changes[-1] == "connected"

            await pilot.press("escape")
            await until(lambda: isinstance(app.screen, DeploymentsScreen), 10, pilot, "the list")
            table = app.screen.query_one(DeploymentTable)
            rows = [d.name for d in table.all_items()]
            assert sorted(rows) == ["idle-a", "idle-b", "watched"], rows
            await until(lambda: table.get(next(d.uid for d in table.all_items() if d.name == "idle-a"))
                        .description == "while away", 15, pilot, "the change made while away")
        report("tui_outage", outage_s=seconds,
               outage_shown_after_s=round(shown_after, 1), recovered_after_s=round(recovered_after, 1),
               events_shown=len(shown))
    finally:
        cloud.stop()
