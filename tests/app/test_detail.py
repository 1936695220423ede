"""The deployment detail screen against a real local control plane, at 80x24.

Everything shown comes from the real server: status pushed by the resource subscription,
events, replicas and logs from its websockets, revisions and metrics from its routes.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal

import httpx

from tests.harness import LocalCloud
from tests.support.app import bento_version, create, local_context, until
from tui.app import BentoTUI
from tui.messages import ConnectionChanged
from tui.screens.deployments import DeploymentsScreen
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen
from tui.screens.json_view import JsonScreen
from tui.widgets.deployment_table import DeploymentTable
from tui.widgets.metrics_panel import UNSUPPORTED

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def screen_text(app: BentoTUI) -> str:
    """What the terminal shows, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def detail(app: BentoTUI) -> DetailScreen:
    screen = app.screen
    assert isinstance(screen, DetailScreen), type(screen)
    return screen


def title_line(app: BentoTUI) -> str:
    return screen_text(app).splitlines()[1]


async def open_detail(app: BentoTUI, pilot, name: str, count: int = 1) -> DetailScreen:
    """Wait for the list, put the cursor on `name` with the arrow keys, press enter."""
    def listed() -> DeploymentTable | None:
        if not isinstance(app.screen, DeploymentsScreen) or not app.screen.query(DeploymentTable):
            return None
        table = app.screen.query_one(DeploymentTable)
        return table if len(table) >= count and any(d.name == name for d in table.all_items()) else None

    table = await until(listed, pilot=pilot, what=f"{name} in the list")
    for _ in range(len(table)):
        if table.current is not None and table.current.name == name:
            break
        await pilot.press("down")
    assert table.current is not None and table.current.name == name
    await pilot.press("enter")
    await until(lambda: isinstance(app.screen, DetailScreen) and app.screen.is_mounted, pilot=pilot,
                what="the detail screen")
    await pilot.pause()
    return detail(app)


def restore_body(http: httpx.Client, max_replicas: int = 2) -> dict:
    return {"mode": "deployment", "targets": [{
        "bento_repository": "iris_classifier", "bento": bento_version(http),
        "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": max_replicas}}}]}


async def test_status_is_live_and_revisions_follow_an_update(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "live-iris", envs=[{"key": "GREETING", "value": "hello"}])
    create(http, "live-zz-idle", deploy=False)  # newer, so it is the first row: live-iris is not
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "live-iris", count=2)
        assert "live-iris" in title_line(app)
        await until(lambda: "● running" in title_line(app), 30, pilot, "running in the title")
        # both components get a green light from their live replicas
        await until(lambda: screen_text(app).count("● ready 1/1") == 2, 20, pilot, "component lights")
        text = screen_text(app)
        assert "iris_clf runner" in text and "api-server" in text
        assert "Online Service" in text and "GREETING" in text
        assert screen.deployment is not None and screen.deployment.urls[0] in text
        assert cloud.token not in text

        # terminated elsewhere, then restored with a PATCH: both show up without a key press
        assert http.post(f"{NS}/live-iris/terminate").status_code == 200
        await until(lambda: "terminated" in title_line(app), 20, pilot, "terminated pushed")
        await until(lambda: "○ stopped" in screen_text(app), 10, pilot, "components stopped")
        seen: set[str] = set()

        def running_again() -> bool:
            seen.add(screen.deployment.status.value)
            return "● running" in title_line(app)

        assert http.patch(f"{NS}/live-iris", json=restore_body(http)).status_code == 200
        await until(running_again, 30, pilot, "running again")
        assert "terminated" in seen or "deploying" in seen
        assert "max 2" in screen_text(app)

        # revisions: the PATCH made a second one, newest first and active
        await pilot.press("5")
        table = screen.revision_table
        await until(lambda: table.row_count == 2, 10, pilot, "two revisions")
        newest = table.get_row_at(0)
        assert newest[0].plain == "● yes" and table.get_row_at(1)[0].plain == "○ no"
        assert screen.deployment.latest_revision.uid.startswith(newest[1].plain)
        assert "2 revisions" in screen_text(app)

        # esc: back to the list, the cursor still on the same deployment
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot, what="the list")
        await pilot.pause()
        current = app.screen.query_one(DeploymentTable).current
        assert current is not None and current.name == "live-iris"


async def test_events_replicas_logs_and_monitoring(cloud: LocalCloud, http: httpx.Client) -> None:
    created = create(http, "tabs-iris")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "tabs-iris")
        await until(lambda: screen.pods and len(screen.pods) == 2 and all(p.status.ready for p in screen.pods),
                    30, pilot, "two ready replicas")
        await until(lambda: screen_text(app).count("● ready 1/1") == 2, 5, pilot, "two component lights")

        # Logs (l from the overview): the first API-server replica, real lines of its log
        await pilot.press("l")
        assert screen.tabs.active == "logs"
        api_pod = next(p.name for p in screen.pods if p.runner_name is None)
        logs = screen.logs_view
        await until(lambda: logs.pod_name == api_pod and "Listening on" in logs.text, 20, pilot, "api log")
        assert "[api-server" in logs.text
        await until(lambda: "INFO  [api-server:" in screen_text(app), 5, pilot, "log lines on screen")
        assert "Listening on" not in screen_text(app)  # long lines are cut at 80 columns...
        await pilot.press("w")
        await until(lambda: "Listening on" in screen_text(app), 5, pilot, "wrapped lines")  # ...until w
        await pilot.press("s")
        assert not logs.following and "paused" in screen_text(app)
        await pilot.press("s")
        assert logs.following

        # Replicas: both components, updated in place by key, cursor kept
        await pilot.press("4")
        table = screen.replica_table
        await until(lambda: table.row_count == 2, 10, pilot, "two replica rows")
        components = {str(table.get_row_at(i)[1]) for i in range(2)}
        assert components == {"api-server", "iris_clf"}
        await pilot.press("down")
        runner_key = table.current_key
        assert runner_key is not None and "runner" in runner_key
        screen._apply_pods(list(reversed(screen.pods)))  # same replicas, other order
        await pilot.pause()
        assert table.current_key == runner_key and table.row_count == 2
        # enter tails the selected replica's log
        await pilot.press("enter")
        assert screen.tabs.active == "logs"
        await until(lambda: logs.pod_name == runner_key and "[runner" in logs.text, 20, pilot, "runner log")
        # p opens the replica selector; picking the API server switches the tail back
        await pilot.press("p")
        await until(lambda: logs.selector.expanded, 5, pilot, "the selector open")
        await pilot.press("up", "enter")
        await until(lambda: logs.pod_name == api_pod and "[api-server" in logs.text, 20, pilot, "api log again")
        assert "[runner" not in logs.text

        # Monitoring: real traffic through the gateway shows in the sparklines
        url = created["urls"][0]
        for _ in range(5):
            assert httpx.post(f"{url}/classify", json=[[5.1, 3.5, 1.4, 0.2]], timeout=10).status_code == 200
        await pilot.press("2")
        panel = screen.metrics_panel

        def traffic_plotted() -> bool:
            lines = panel.sparklines
            return len(lines) >= 9 and any(v > 0 for v in (lines[0].data or []))

        await until(traffic_plotted, 20, pilot, "requests in the sparkline")
        text = screen_text(app)
        assert "Requests" in text and "Latency p95" in text and "api " in text and "CPU" in text

        # Events: real events, newest first; filter; pause counts new ones instead of showing them
        await pilot.press("3")
        events = screen.events_view
        await until(lambda: any(e.reason == "Ready" for e in events.event_list.matching()), 10, pilot, "Ready event")
        assert "Ready" in screen_text(app)
        # a replica killed under the control plane: a Warning, shown with ▲ and counted
        runner = next(p for p in screen.pods if p.runner_name == "iris_clf")
        assert runner.usage is not None and runner.usage.pid
        os.kill(runner.usage.pid, signal.SIGKILL)
        await until(lambda: any(e.is_warning and e.reason == "Exited" for e in events.event_list.matching()),
                    20, pilot, "a Warning event")
        await until(lambda: "▲ Exited" in screen_text(app), 5, pilot, "the warning on screen")
        assert re.search(r"▲ \d+ warnings?", screen_text(app))
        # the control plane restarts it: wait for its Ready before counting events
        exited = next(e for e in events.event_list.matching() if e.reason == "Exited")
        await until(lambda: any(e.reason == "Ready" and e.display_time > exited.display_time
                                for e in events.event_list.matching()), 20, pilot, "the restarted replica ready")
        visible = events.event_list.matching()
        assert visible[0].display_time >= visible[-1].display_time
        await pilot.press("slash", *"sched")
        await pilot.pause()
        assert events.event_list.matching() and all(e.reason == "Scheduled" for e in events.event_list.matching())
        await pilot.press("escape")  # clears the filter, stays on the screen
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen) and not events.filter_active
        assert len(events.event_list.matching()) == len(visible)
        await pilot.press("s")
        assert http.post(f"{NS}/tabs-iris/terminate").status_code == 200
        await until(lambda: events.pending_count > 0, 20, pilot, "new events counted while paused")
        assert len(events.event_list.matching()) == len(visible)  # the list did not move
        await until(lambda: "new, s to resume" in screen_text(app), 5, pilot, "the count shown")
        await pilot.press("s")
        await pilot.pause()
        assert len(events.event_list.matching()) > len(visible) and events.pending_count == 0


async def test_keys_json_copy_unsupported_metrics_and_deletion(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "gone-iris")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "gone-iris")
        # every binding has an id and a description, and ? lists them all
        assert all(b.id and b.id.startswith("detail.") and b.description for b in DetailScreen.BINDINGS)
        await pilot.press("question_mark")
        await until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot, what="help")
        ids = {ident for _, _, ident in app.screen.keys}
        assert {"detail.back", "detail.logs", "detail.json", "detail.copy_url", "detail.refresh",
                "detail.tab_events", "detail.next_tab"} <= ids
        await pilot.press("escape")
        await pilot.pause()
        # the six tabs fit in 80 columns; ] and [ move between them, digits jump
        assert all(tab.region.right <= 80 for tab in screen.query("ContentTab"))
        await pilot.press("right_square_bracket")
        assert screen.tabs.active == "monitoring"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert screen.tabs.active == "logs"
        await pilot.press("1")
        assert screen.tabs.active == "overview"
        # y shows the JSON, c copies the URL
        await until(lambda: screen.deployment is not None and screen.deployment.urls, 10, pilot, "a URL")
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, JsonScreen), pilot=pilot, what="JSON")
        assert '"name": "gone-iris"' in app.screen.text and cloud.token not in app.screen.text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("c")
        assert app.clipboard == screen.deployment.urls[0]

        # a server without the metrics route (BentoCloud) is named plainly
        async def no_metrics(*args, **kwargs):
            return None

        app.session.client.deployment_metrics = no_metrics  # type: ignore[method-assign]
        await pilot.press("2")
        await until(lambda: UNSUPPORTED in screen_text(app).replace("\n", " ")
                    or "This server does not offer metrics" in screen_text(app), 10, pilot, "the note")
        assert not screen.metrics_panel.sparklines or not screen.metrics_panel.query_one("#metrics-traffic").display

        # deleted elsewhere while open: said so, esc goes back, the row is gone
        assert http.post(f"{NS}/gone-iris/terminate").status_code == 200
        await until(lambda: http.get(f"{NS}/gone-iris").json()["status"] == "terminated", 20, what="terminated")
        assert http.delete(f"{NS}/gone-iris").status_code == 200
        await until(lambda: "gone-iris was deleted" in screen_text(app), 10, pilot, "the deleted banner")
        assert "✖ deleted" in title_line(app) and screen.deleted
        await pilot.press("ctrl+r", "4", "3")  # nothing breaks on a deleted deployment
        await pilot.pause()
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot, what="the list")
        table = app.screen.query_one(DeploymentTable)
        await until(lambda: all(d.name != "gone-iris" for d in table.all_items()), 10, pilot, "row gone")


async def test_a_restarted_server_shows_reconnecting_then_catches_up(tmp_path) -> None:
    own = LocalCloud(tmp_path / "own-cloud").start()  # restarted here, so not the shared one
    try:
        with own.client() as http:
            create(http, "phoenix")
        changes: list[ConnectionChanged] = []
        app = BentoTUI(local_context(own))
        hook = lambda message: changes.append(message) if isinstance(message, ConnectionChanged) else None  # noqa: E731
        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            screen = await open_detail(app, pilot, "phoenix")
            await pilot.press("l")
            logs = screen.logs_view
            await until(lambda: logs.pod_name and "Listening on" in logs.text, 30, pilot, "a log")
            before = logs.pod_name
            await asyncio.to_thread(own.stop)
            await until(lambda: "reconnecting…" in screen_text(app), 15, pilot, "the reconnecting note")
            assert any(c.state == "reconnecting" for c in changes)
            assert "reconnecting…" in title_line(app)
            await asyncio.to_thread(own.start)
            # the replicas were restarted with new names: the log follows the new API server
            await until(lambda: logs.pod_name != before and screen.pods
                        and logs.pod_name in {p.name for p in screen.pods}
                        and "Listening on" in logs.text, 30, pilot, "the new replica's log")
            await until(lambda: "reconnecting" not in screen_text(app), 15, pilot, "the note gone")
            assert changes[-1].state == "connected" and app.connection_state == "connected"
            assert before.rsplit("-", 1)[-1] not in logs.text
    finally:
        own.stop()
