"""Issue 15 item 4: on the Replicas tab, ctrl+k restarts the replica under the cursor (after a
y/n confirm, through the local control plane's extension route) and y shows its JSON."""

from __future__ import annotations

import json

import httpx

from tests.app.test_detail import open_detail, screen_text
from tests.harness import LocalCloud, wait_for
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.screens.confirm import ConfirmScreen
from tui.screens.json_view import JsonScreen

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def api_pods(http: httpx.Client, name: str) -> list[dict]:
    return [p for p in http.get(f"{NS}/{name}/pods").json() if "-api-" in p["name"]]


def test_restart_route_replaces_the_replica_with_events(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "kick-route")
    wait_for(lambda: http.get(f"{NS}/kick-route").json()["status"] == "running", 60, what="running")
    old = api_pods(http, "kick-route")[0]["name"]
    assert "pod_restart" in http.get("/api/v1/info").json()["extensions"]
    assert http.post(f"{NS}/kick-route/pods/nope-api-xyz/restart").status_code == 404
    answer = http.post(f"{NS}/kick-route/pods/{old}/restart")
    assert answer.status_code == 200, answer.text
    fresh = answer.json()["by"]
    assert answer.json()["replaced"] == old and fresh != old
    wait_for(lambda: [p["name"] for p in api_pods(http, "kick-route")] == [fresh], 60,
             what="the old replica gone, the new one in its place")
    reasons = {(e["reason"], e["involvedObject"]["name"])
               for e in http.get(f"{NS}/kick-route/kube_events").json()}
    assert ("Killing", old) in reasons and ("Scheduled", fresh) in reasons
    assert any(r == "ReplicaRestarted" for r, _ in reasons)
    wait_for(lambda: http.get(f"{NS}/kick-route").json()["status"] == "running", 60, what="running again")


async def test_ctrl_k_restarts_after_confirm_and_y_shows_the_replica(
        cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "kick-tui")
    wait_for(lambda: http.get(f"{NS}/kick-tui").json()["status"] == "running", 60, what="running")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_detail(app, pilot, "kick-tui")
        await pilot.press("4")
        await until(lambda: screen.replica_table.current_key, 20, pilot, "a replica row")
        old = screen.replica_table.current_key
        assert "Restart" in screen_text(app)  # in the footer on this tab
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, JsonScreen), 5, pilot, "the replica JSON")
        assert json.loads(app.screen.text)["name"] == old
        await pilot.press("escape")
        await pilot.press("ctrl+k")
        await until(lambda: isinstance(app.screen, ConfirmScreen), 5, pilot, "the confirm")
        await pilot.press("n")  # cancelled: nothing happens
        await pilot.pause(0.3)
        assert old in {p["name"] for p in http.get(f"{NS}/kick-tui/pods").json()}
        await pilot.press("ctrl+k")
        await until(lambda: isinstance(app.screen, ConfirmScreen), 5, pilot, "the confirm")
        await pilot.press("y")
        await until(lambda: "Restarting" in screen_text(app), 10, pilot, "the notice")
        await until(lambda: old not in {p.name for p in screen.pods or []}, 60, pilot,
                    "the old replica gone from the table")


async def test_restart_is_refused_read_only(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "kick-ro")
    wait_for(lambda: http.get(f"{NS}/kick-ro").json()["status"] == "running", 60, what="running")
    before = {p["name"] for p in http.get(f"{NS}/kick-ro/pods").json()}
    app = BentoTUI(local_context(cloud), read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_detail(app, pilot, "kick-ro")
        await pilot.press("4")
        await until(lambda: screen.replica_table.current_key, 20, pilot, "a replica row")
        await pilot.press("ctrl+k")
        await until(lambda: "read-only" in screen_text(app), 5, pilot, "the refusal")
        assert not isinstance(app.screen, ConfirmScreen)
    assert {p["name"] for p in http.get(f"{NS}/kick-ro/pods").json()} == before


async def test_restart_elsewhere_says_it_is_not_available(cloud: LocalCloud, http: httpx.Client) -> None:
    """A server that does not list the extension (BentoCloud): said so, no confirm, no call."""
    create(http, "kick-cloud")
    wait_for(lambda: http.get(f"{NS}/kick-cloud").json()["status"] == "running", 60, what="running")
    before = {p["name"] for p in http.get(f"{NS}/kick-cloud/pods").json()}
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_detail(app, pilot, "kick-cloud")
        extensions = app.session.info["extensions"]
        app.session.info["extensions"] = [e for e in extensions if e != "pod_restart"]
        await pilot.press("4")
        await until(lambda: screen.replica_table.current_key, 20, pilot, "a replica row")
        await pilot.press("ctrl+k")
        await until(lambda: "Restarting a replica is not" in screen_text(app), 5, pilot, "the notice")
        assert not isinstance(app.screen, ConfirmScreen)
    assert {p["name"] for p in http.get(f"{NS}/kick-cloud/pods").json()} == before
