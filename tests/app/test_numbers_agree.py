"""Issue 11 item 10: the numbers on different screens agree."""

from __future__ import annotations

import httpx
from textual.widgets import Input

from tests.app.test_detail import open_detail, screen_text
from tests.app.test_mutations import open_editor
from tests.harness import LocalCloud, wait_for
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.widgets.scaled_sparkline import ScaledSparkline, bar_heights

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def test_cpu_noise_is_a_flat_line_not_full_bars() -> None:
    noise = [0.0, 0.01, 0.03, 0.02, 0.0, 0.01]
    assert max(bar_heights(noise, 6, floor=100.0)) < 1 / 8  # the lowest bar, everywhere
    assert bar_heights([0.0, 50.0, 100.0], 3, floor=100.0) == [0.0, 0.5, 1.0]
    assert bar_heights([0.0, 200.0], 2, floor=100.0) == [0.0, 1.0]  # past one core: rescaled


async def test_new_function_defaults_agree_with_the_list(cloud: LocalCloud) -> None:
    # the v1 form's deployment mode (v2 has services, no mode): pinned to v1
    app = BentoTUI(local_context(cloud).model_copy(update={"api_version": "v1"}))
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        assert editor.query_one("#f-min", Input).value == "0"  # at rest a function shows 0/0
        assert editor.query_one("#f-max", Input).value == "1"


async def test_header_and_replicas_tab_count_the_same(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "count-svc")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "count-svc")
        await until(lambda: screen.pods and len(screen.pods) == 2
                    and all(p.status.ready for p in screen.pods), 30, pilot, "two ready replicas")
        await until(lambda: "1/1 ready · +1 runner" in screen_text(app).splitlines()[1], 5, pilot,
                    "the header's labelled counts")
        await pilot.press("4")
        await until(lambda: "1/1 ready · +1 runner (1 ready)" in screen_text(app), 5, pilot,
                    "the Replicas tab's same counts")
        assert "2 replicas" not in screen_text(app)


async def test_monitoring_labels_gone_replicas_exited(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "count-fn", mode="function")
    wait_for(lambda: any(e["reason"] == "ScaledToZero"
                         for e in http.get(f"{NS}/count-fn/kube_events").json()), 60,
             what="scaled to zero")
    wait_for(lambda: http.get(f"{NS}/count-fn/pods").json() == [], what="no live replica")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "count-fn")
        await until(lambda: screen.pods == [], 10, pilot, "no replica")
        await pilot.press("2")
        panel = screen.metrics_panel
        await until(lambda: any("exited" in str(row.series.label)
                                for row in panel.query("MetricRow")), 20, pilot, "exited rows")
        labels = [row.series.label for row in panel.query("MetricRow")]
        assert not any(label.endswith((" CPU", " mem")) for label in labels), labels
        assert "Replicas: none running" in screen_text(app)
        for line in panel.query(ScaledSparkline):
            assert line.floor > 0 or line.parent.series.key.startswith("mem-")


async def test_empty_replicas_tab_says_why(cloud: LocalCloud, http: httpx.Client) -> None:
    """Second walk: a function at zero showed a bare header row ("0/0 ready"), which reads as
    still loading; the bar now says why it is empty and where the old logs are."""
    create(http, "empty-fn", mode="function")
    create(http, "empty-svc", deploy=False)
    wait_for(lambda: any(e["reason"] == "ScaledToZero"
                         for e in http.get(f"{NS}/empty-fn/kube_events").json()), 60,
             what="scaled to zero")
    wait_for(lambda: http.get(f"{NS}/empty-fn/pods").json() == [], what="no live replica")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "empty-fn")
        await until(lambda: screen.pods == [], 10, pilot, "no replica")
        await pilot.press("4")
        await until(lambda: "scaled to zero: a request (i) starts one" in screen_text(app), 5, pilot,
                    "why the function's Replicas tab is empty")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "empty-svc")
        await until(lambda: screen.pods == [], 10, pilot, "no replica")
        await pilot.press("4")
        await until(lambda: "0/0 ready · no replica running" in screen_text(app), 5, pilot,
                    "why the Replicas tab is empty")
