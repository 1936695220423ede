"""Issue 15 item 1: the pulse (`p` on the list, and the palette) shows the whole fleet at a
glance against the real local control plane: counts by status, replicas, troubled first,
request rate sparklines from the metrics extension, and says so where a server has none."""

from __future__ import annotations

import httpx
from textual.command import CommandPalette

from tests.app.test_detail import screen_text
from tests.app.test_table_filter import deployment
from tests.harness import LocalCloud, wait_for
from tests.support.app import create, listed_count, local_context, until
from tui.app import BentoTUI
from tui.screens.deployments import DeploymentsScreen
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen
from tui.screens.pulse import NO_METRICS, PulseScreen
from tui.widgets.fleet import fleet_summary, pulse_order, spark

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def test_troubled_first_and_counts() -> None:
    statuses = ["terminated", "running", "deploying", "image-build-failed", "unhealthy", "failed",
                "non-deployed", "terminating"]
    ordered = [d.status.value for d in pulse_order(deployment(i, s) for i, s in enumerate(statuses))]
    assert ordered == ["failed", "unhealthy", "image-build-failed", "deploying", "running",
                       "non-deployed", "terminating", "terminated"]
    summary = fleet_summary([deployment(i, s) for i, s in enumerate(statuses)]).plain
    assert summary.startswith("8 deployments · 0/0 replicas ready · ✖ 1 failed · ▲ 1 unhealthy")
    assert spark([0, 0, 0], 4) == "▁▁▁▁" and spark([0, 5, 10], 3) == "▁▅█" and spark([], 2) == "  "


async def pulse(app: BentoTUI, pilot, count: int) -> PulseScreen:
    await until(lambda: listed_count(app) >= count, 30, pilot, "the list")
    await pilot.press("p")
    await until(lambda: isinstance(app.screen, PulseScreen), 5, pilot, "the pulse")
    return app.screen  # type: ignore[return-value]


async def test_pulse_is_live_with_metrics(cloud: LocalCloud, http: httpx.Client) -> None:
    running = create(http, "pulse-run")
    create(http, "pulse-idle", deploy=False)
    wait_for(lambda: http.get(f"{NS}/pulse-run").json()["status"] == "running", 60, what="running")
    url = http.get(f"{NS}/pulse-run").json()["urls"][0]
    for _ in range(5):
        assert httpx.post(f"{url}/classify", json=[[5.1, 3.5, 1.4, 0.2]], timeout=10).status_code == 200
    wait_for(lambda: any(p["value"] > 0 for p in
                         http.get(f"{NS}/pulse-run/metrics").json()["requests"]), 20, what="measured")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await pulse(app, pilot, 2)
        text = screen_text(app)
        assert "2 deployments" in text and "1/1 replicas ready" in text and "● 1 running" in text
        assert "Pulse" not in text or "Back" in text  # the footer shows this screen's keys
        keys = screen.table.keys()
        assert keys.index(running["uid"]) < len(keys) - 1  # running before non-deployed
        await pilot.press("end")
        assert screen.table.current_key == keys[-1]
        await pilot.press("up")
        assert screen.table.current_key == keys[-2]
        await pilot.press("home")
        assert screen.table.current_key == keys[0] == running["uid"]
        await until(lambda: any(ch in screen_text(app) for ch in "▂▃▄▅▆▇█"), 20, pilot,
                    "the request rate drawn")
        row = next(line for line in screen_text(app).splitlines() if "pulse-run" in line)
        assert "—" not in row
        # live: a change pushed to the list shows here without a key
        assert http.post(f"{NS}/pulse-run/terminate").status_code == 200
        await until(lambda: "terminat" in next(line for line in screen_text(app).splitlines()
                                                if "pulse-run" in line), 30, pilot, "terminated")
        # enter opens the deployment; esc comes back to the pulse, then to the list
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, DetailScreen), 5, pilot, "the detail")
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, PulseScreen), 5, pilot, "the pulse again")
        await pilot.press("question_mark")
        await until(lambda: isinstance(app.screen, HelpScreen), 5, pilot, "help")
        assert "pulse.back" in {ident for _, _, ident in app.screen.keys}
        await pilot.press("escape")
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, DeploymentsScreen), 5, pilot, "the list")


async def test_pulse_from_the_palette_and_without_metrics(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "pulse-pal")
    wait_for(lambda: http.get(f"{NS}/pulse-pal").json()["status"] == "running", 60, what="running")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: listed_count(app), 30, pilot, "the list")

        async def no_metrics(*args, **kwargs):  # a server without the route (BentoCloud)
            return None

        app.session.client.deployment_metrics = no_metrics  # type: ignore[method-assign]
        await pilot.press("ctrl+p")
        await until(lambda: isinstance(app.screen, CommandPalette), 5, pilot, "the palette")
        await pilot.press(*"pulse")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, PulseScreen), 5, pilot, "the pulse")
        await until(lambda: NO_METRICS in screen_text(app), 10, pilot, "the note")
        row = next(line for line in screen_text(app).splitlines() if "pulse-pal" in line)
        assert "—" in row and " 0 " not in row.split("1/1")[-1]
