"""Watch and alerts (issue 15): `W` watches a deployment; a replica killed for real (os.kill
on the pid the replicas API reports) brings an alert within 5 s, on whatever screen; an
unwatched one does not; the watched set survives a restart of the app."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import httpx

from tests.app.test_detail import screen_text
from tests.app.test_mutations import on_list
from tests.harness import LocalCloud, wait_for
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens.alerts import AlertsScreen
from tui.screens.detail import DetailScreen
from tui.screens.help import HelpScreen

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def ready_pod(http: httpx.Client, name: str) -> dict:
    def find() -> dict | None:
        pods = http.get(f"{NS}/{name}/pods").json()
        ready = [p for p in pods if p["status"]["ready"] and (p.get("usage") or {}).get("pid")]
        return ready[0] if ready else None

    return wait_for(find, 60, what=f"a ready replica of {name}")


def restarts(http: httpx.Client, name: str) -> int:
    pods = http.get(f"{NS}/{name}/pods").json()
    return sum(s.get("restartCount", 0) for p in pods
               for s in (p.get("raw_status") or {}).get("containerStatuses", []))


def alerts_shown(app: BentoTUI) -> list[str]:
    """The alert notifications (not the "Watching ..." one that W itself shows)."""
    return [n.message for n in app._notifications if n.title == "Alert"]


def name_cell(app: BentoTUI, name: str) -> str:
    table = app.screen.table  # type: ignore[attr-defined]
    d = next(d for d in table.all_items() if d.name == name)
    return table.cell(d, "name").plain


async def test_watched_replica_killed_alerts_within_5s_unwatched_does_not(
        cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "watch-me")
    create(http, "leave-me")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "watch-me", "leave-me")
        screen.table.select_uid(next(d.uid for d in screen.table.all_items() if d.name == "watch-me"))
        await pilot.press("W")
        assert app.alerts.is_watched("watch-me") and not app.alerts.is_watched("leave-me")
        assert name_cell(app, "watch-me") == "*watch-me"
        assert name_cell(app, "leave-me") == "leave-me"
        watched_pod, other_pod = ready_pod(http, "watch-me"), ready_pod(http, "leave-me")
        await pilot.pause(1.0)  # the monitor's streams have their baseline

        # on another screen than the list: the app listens, not the list
        await pilot.press("question_mark")
        await until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot, what="help")
        os.kill(other_pod["usage"]["pid"], signal.SIGKILL)
        os.kill(watched_pod["usage"]["pid"], signal.SIGKILL)
        killed = time.monotonic()
        await until(lambda: any("watch-me" in m for m in alerts_shown(app)), 5, pilot,
                    "an alert naming watch-me")
        assert time.monotonic() - killed < 5
        alert = next(m for m in alerts_shown(app) if "watch-me" in m)
        assert any(word in alert for word in ("restarted", "unhealthy", "backing off"))
        await pilot.pause(1.0)  # the rest of the crash: unhealthy, backing off, restarted
        # all in the history, but one bell and one notification for one crash
        assert len(app.alerts.history) >= 2
        assert alerts_shown(app) == [alert]

        # the unwatched one restarted too, and said nothing
        await until(lambda: restarts(http, "leave-me") >= 1, 20, pilot, "leave-me restarted")
        await pilot.pause(1.0)
        assert not any("leave-me" in m for m in alerts_shown(app))
        assert all(a.name == "watch-me" for a in app.alerts.history)

        # the history: `!` from any screen
        await pilot.press("escape", "exclamation_mark")
        await until(lambda: isinstance(app.screen, AlertsScreen), pilot=pilot, what="alerts")
        # the rows are painted a refresh after the screen is pushed
        await until(lambda: any(a.reason in screen_text(app) for a in app.alerts.history), 5, pilot,
                    "the history's rows")
        listed = screen_text(app)
        assert "watch-me" in listed and "leave-me" not in listed


async def test_watched_set_survives_a_restart_and_w_unwatches(
        cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "keep-watching", deploy=False)
    for attempt in range(2):
        app = BentoTUI(local_context(cloud))
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            screen = await on_list(app, pilot, "keep-watching")
            screen.table.select_uid(next(d.uid for d in screen.table.all_items()
                                         if d.name == "keep-watching"))
            if attempt == 0:
                assert name_cell(app, "keep-watching") == "keep-watching"
                await pilot.press("W")
                assert app.alerts.is_watched("keep-watching")
            else:  # a new app: the set came back from the file, and the marker with it
                await until(lambda: name_cell(app, "keep-watching") == "*keep-watching", 5,
                            pilot, "the marker after a restart")
                # W on the deployment's own screen stops watching it
                app.open_deployment("keep-watching")
                await until(lambda: isinstance(app.screen, DetailScreen), 10, pilot, "detail")
                await pilot.press("W")
                assert not app.alerts.is_watched("keep-watching")
                await pilot.press("escape")
                await until(lambda: app.screen is screen, 5, pilot, "back on the list")
                assert name_cell(app, "keep-watching") == "keep-watching"
                # the history from the palette too (empty: nothing happened to it)
                await pilot.press("ctrl+p", *"Alerts")
                await pilot.pause(0.3)
                await pilot.press("enter")
                await until(lambda: isinstance(app.screen, AlertsScreen), 5, pilot,
                            "the alerts screen from the palette")
                assert "No alerts yet" in screen_text(app)


async def test_error_rate_over_the_threshold_alerts(cloud: LocalCloud, http: httpx.Client) -> None:
    """Real 5xx: the replica is killed and requests go through the gateway meanwhile."""
    create(http, "err-rate")
    pod = ready_pod(http, "err-rate")
    url = http.get(f"{NS}/err-rate").json()["urls"][0] + "/classify"
    app = BentoTUI(local_context(cloud), settings=Settings(alert_error_rate=0.1))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot, "err-rate")
        app.toggle_watch("err-rate")
        await pilot.pause(0.5)
        codes: list[int] = []
        killed = {pod["usage"]["pid"]}
        async with httpx.AsyncClient(timeout=5, headers={"Authorization": f"Bearer {cloud.token}"}) as gw:
            os.kill(pod["usage"]["pid"], signal.SIGKILL)
            for _ in range(120):  # a replica back fast enough can answer every request: kill it again
                codes.append((await gw.post(url, json=[[5.1, 3.5, 1.4, 0.2]])).status_code)
                if sum(code >= 500 for code in codes) >= 8 and len(codes) >= 40:
                    break
                if codes[-1] < 500 and len(killed) < 6:
                    for p in http.get(f"{NS}/err-rate/pods").json():
                        pid = (p.get("usage") or {}).get("pid")
                        if pid and pid not in killed:
                            killed.add(pid)
                            with contextlib.suppress(ProcessLookupError):  # gone meanwhile
                                os.kill(pid, signal.SIGKILL)
                await asyncio.sleep(0.02)
        assert sum(code >= 500 for code in codes) / len(codes) > 0.1, codes  # the fault was real, over 10%
        # the rate is polled every few seconds over a 30 s window; 30 s leaves room for a busy machine
        await until(lambda: any("error rate" in a.reason for a in app.alerts.history), 30, pilot,
                    "the error-rate alert")
        # (its notification may be folded into the crash's, rung a moment before: QUIET_S)
        assert any(a.text.startswith("err-rate: error rate") and "above 10%" in a.text
                   for a in app.alerts.history)
