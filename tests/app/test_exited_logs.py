"""Issue 11 item 7: the logs of replicas that are gone stay reachable from the Logs tab, and
an empty state is a message, never an entry one could pick."""

from __future__ import annotations

import httpx
from textual.widgets import Select

from tests.app.test_detail import open_detail, screen_text
from tests.harness import LocalCloud, wait_for
from tests.support.app import create, local_context, until
from tui.app import BentoTUI

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def test_exited_pods_route_lists_gone_replicas(cloud: LocalCloud,
                                                                     http: httpx.Client) -> None:
    create(http, "gone-svc")
    wait_for(lambda: http.get(f"{NS}/gone-svc").json()["status"] == "running", 60, what="running")
    live = {p["name"] for p in http.get(f"{NS}/gone-svc/pods").json()}
    assert http.get(f"{NS}/gone-svc/exited_pods").json() == []
    assert http.post(f"{NS}/gone-svc/terminate").status_code == 200
    wait_for(lambda: http.get(f"{NS}/gone-svc").json()["status"] == "terminated", 60, what="terminated")
    exited = http.get(f"{NS}/gone-svc/exited_pods").json()
    assert {e["name"] for e in exited} == live
    assert {e["component"] for e in exited} == {"api-server", "runner"}
    assert all(e["log_bytes"] > 0 and e["exited_at"] for e in exited)


async def test_function_at_zero_shows_its_last_replicas_log(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "gone-fn", mode="function")
    wait_for(lambda: any(e["reason"] == "ScaledToZero"
                         for e in http.get(f"{NS}/gone-fn/kube_events").json()), 60,
             what="scaled to zero")
    wait_for(lambda: http.get(f"{NS}/gone-fn/pods").json() == [], what="no live replica")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "gone-fn")
        await pilot.press("l")
        logs = screen.logs_view
        await until(lambda: logs.pod_name and "Listening on" in logs.text, 20, pilot,
                    "the last replica's log")
        selector = logs.selector
        assert selector is not None and selector.value == logs.pod_name
        labels = [str(label) for label, _ in logs._options]
        assert labels and all("exited" in label and "ago" in label for label in labels), labels
        assert Select.NULL not in [value for _, value in logs._options]
        await until(lambda: "exited" in screen_text(app), 5, pilot, "exited on screen")
        assert "no replica yet" not in screen_text(app)


async def test_no_replica_ever_is_a_message_not_a_choice(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "never-ran", deploy=False)
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_detail(app, pilot, "never-ran", count=1)
        await pilot.press("l")
        await until(lambda: "no replica has run yet" in screen_text(app), 10, pilot, "the message")
        assert screen.logs_view.selector is None, "no selector to pick a fake entry from"
        await pilot.press("p")
        await until(lambda: "No replica has" in screen_text(app), 5, pilot, "the notice")
