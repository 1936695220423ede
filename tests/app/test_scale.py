"""Quick scale (`s`): Pilot tests of the real app against a real local control plane."""

from __future__ import annotations

import httpx
from textual.widgets import Input, Static

from tests.app.test_detail import open_detail
from tests.app.test_editor_v2 import v2_app, v2_get
from tests.app.test_mutations import make_app, notifications, on_list, revisions, select_row, server_deployment
from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens.help import describe_keys
from tui.screens.scale import ScaleScreen


async def open_scale(app, pilot, name: str) -> ScaleScreen:
    screen = await on_list(app, pilot, name)
    select_row(screen, name)
    await pilot.press("s")
    await until(lambda: isinstance(app.screen, ScaleScreen), pilot=pilot, what="the scale dialog")
    await pilot.pause(0.1)
    return app.screen  # type: ignore[return-value]


async def type_bounds(pilot, dialog: ScaleScreen, low: str, high: str) -> None:
    for selector, value in (("#scale-min-0", low), ("#scale-max-0", high)):
        box = dialog.query_one(selector, Input)
        box.focus()
        box.value = ""
        await pilot.press(*value)
    await pilot.pause(0.1)


def error_text(dialog: ScaleScreen) -> str:
    error = dialog.query_one("#scale-error", Static)
    return "" if error.has_class("-hidden") else str(error.render())


async def test_scale_makes_a_new_revision_and_the_replicas_follow(cloud: LocalCloud,
                                                                   http: httpx.Client) -> None:
    create(http, "scale-iris")
    before = len(revisions(http, "scale-iris"))
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        dialog = await open_scale(app, pilot, "scale-iris")
        assert dialog.query_one("#scale-min-0", Input).value == "1"  # the current bounds
        await type_bounds(pilot, dialog, "2", "3")
        await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, ScaleScreen), pilot=pilot,
                    what="the dialog to close")
        await until(lambda: any("Scaling scale-iris" in n for n in notifications(app)),
                    pilot=pilot, what="the notification")
    revs = revisions(http, "scale-iris")
    assert len(revs) == before + 1
    hpa = revs[0]["targets"][0]["config"]["hpa_conf"]
    assert (hpa["min_replicas"], hpa["max_replicas"]) == (2, 3)

    def two_replicas() -> bool:
        replicas = (server_deployment(http, "scale-iris") or {}).get("replicas") or {}
        return replicas.get("desired") == 2

    await until(two_replicas, timeout=60, what="2 replicas")


async def test_bad_input_and_the_servers_refusal_stay_in_the_dialog(cloud: LocalCloud,
                                                                     http: httpx.Client) -> None:
    create(http, "scale-cap", deploy=False)
    before = len(revisions(http, "scale-cap"))
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        dialog = await open_scale(app, pilot, "scale-cap")
        await type_bounds(pilot, dialog, "3", "2")
        assert "must not exceed" in error_text(dialog)
        await type_bounds(pilot, dialog, "1", "x")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.screen is dialog
        await type_bounds(pilot, dialog, "1", "99")  # over the control plane's cap of 10
        await pilot.press("enter")
        await until(lambda: "cap" in error_text(dialog), pilot=pilot, what="the refusal")
        assert "BENTOTUI_MAX_REPLICAS" in error_text(dialog)
        assert app.screen is dialog
        assert dialog.query_one("#scale-max-0", Input).value == "99"  # nothing typed is lost
        assert dialog.query_one("#scale-min-0", Input).value == "1"
        await pilot.press("escape")
        await until(lambda: app.screen is not dialog, pilot=pilot, what="the dialog to close")
    assert len(revisions(http, "scale-cap")) == before


async def test_read_only_refuses_scale(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "scale-ro", deploy=False)
    app, _ = make_app(cloud, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "scale-ro")
        select_row(screen, "scale-ro")
        await pilot.press("s")
        await pilot.pause(0.2)
        assert app.screen is screen
        assert any("read-only: scale (s) is disabled" in n for n in notifications(app))


async def test_v2_scale_puts_the_services_scaling(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "scale-v2", deploy=False)
    app, _ = v2_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        dialog = await open_scale(app, pilot, "scale-v2")
        assert app.session is not None and app.session.flavour == "v2"
        await type_bounds(pilot, dialog, "0", "4")
        await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, ScaleScreen), pilot=pilot,
                    what="the dialog to close")
    config = (v2_get(http, "scale-v2") or {})["latest_revision"]["targets"][0]["config"]
    services = config["services"]
    (scaling,) = [s["scaling"] for s in services.values()]
    assert (scaling["min_replicas"], scaling["max_replicas"]) == (0, 4)


async def test_scale_key_is_remappable_and_in_help(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "scale-keys", deploy=False)
    app = BentoTUI(local_context(cloud), settings=Settings(keymap={"list.scale": "ctrl+y"}))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "scale-keys")
        select_row(screen, "scale-keys")
        await pilot.press("s")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ScaleScreen)  # s no longer scales
        await pilot.press("ctrl+y")
        await until(lambda: isinstance(app.screen, ScaleScreen), pilot=pilot, what="the dialog")
        await pilot.press("escape")
        await until(lambda: app.screen is screen, pilot=pilot, what="the list again")
        rows = {ident: (keys, label) for keys, label, ident in describe_keys(screen)}
        assert rows["list.scale"] == ("^y", "Scale")  # `?` lists it under its id


async def test_s_on_the_detail_scales_and_on_events_pauses(cloud: LocalCloud,
                                                           http: httpx.Client) -> None:
    create(http, "scale-detail", deploy=False)
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        detail = await open_detail(app, pilot, "scale-detail")
        await pilot.press("s")  # the Overview tab
        dialog = await until(lambda: isinstance(app.screen, ScaleScreen) and app.screen,
                             pilot=pilot, what="the dialog from the detail screen")
        assert dialog.target_name == "scale-detail"
        await pilot.press("escape")
        await until(lambda: app.screen is detail, pilot=pilot, what="the detail again")
        await pilot.press("3")  # Events: s is pause there
        await until(lambda: detail.active_tab == "events", pilot=pilot, what="the Events tab")
        following = detail.events_view.following
        await pilot.press("s")
        await until(lambda: detail.events_view.following != following, pilot=pilot,
                    what="s to pause the events")
        assert app.screen is detail
