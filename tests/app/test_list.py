"""The deployment list against a real control plane: live, filter, sort, keys, config."""

from __future__ import annotations

import httpx
import pytest

from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.config import load_settings
from tui.screens.deployments import DeploymentsScreen
from tui.widgets.deployment_table import DeploymentTable

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def table_of(app: BentoTUI) -> DeploymentTable:
    return app.screen.query_one(DeploymentTable)


def list_ready(app: BentoTUI, count: int = 1) -> bool:
    if not isinstance(app.screen, DeploymentsScreen):
        return False
    tables = app.screen.query(DeploymentTable)
    return bool(tables) and len(tables.first()) >= count


def names(app: BentoTUI) -> list[str]:
    table = table_of(app)
    return [table.get(uid).name for uid in table.rows]


@pytest.fixture(scope="module")
def seeded(cloud: LocalCloud) -> LocalCloud:
    with cloud.client() as http:
        create(http, "alpha-iris")
        create(http, "beta-sentiment", repo="sentiment", mode="function")
        create(http, "gamma-idle", deploy=False)
    return cloud


async def test_list_shows_deployments_and_live_status(seeded: LocalCloud, http: httpx.Client) -> None:
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: list_ready(app, 3),
                    pilot=pilot, what="the list")
        assert {"alpha-iris", "beta-sentiment", "gamma-idle"} <= set(names(app))
        assert app.connection_state == "connected"
        table = table_of(app)
        alpha_uid = next(uid for uid in table.rows if table.get(uid).name == "alpha-iris")
        await until(lambda: table.get(alpha_uid).status.value == "running", 30, pilot, "running")
        # a change made on the server shows without a key press
        http.post(f"{NS}/alpha-iris/terminate")
        await until(lambda: table.get(alpha_uid).status.value in ("terminating", "terminated"), 10,
                    pilot, "terminating to be pushed")
        # a deployment created elsewhere appears, one deleted elsewhere vanishes
        create(http, "delta-new", deploy=False)
        await until(lambda: "delta-new" in names(app), 10, pilot, "new row")
        http.post(f"{NS}/delta-new/terminate")
        await until(lambda: http.get(f"{NS}/delta-new").json()["status"] == "terminated", 10)
        assert http.delete(f"{NS}/delta-new").status_code == 200
        await until(lambda: "delta-new" not in names(app), 10, pilot, "row to vanish")
        svg = app.export_screenshot()
        assert "alpha-iris" in svg and "beta-sentiment" in svg
        assert seeded.token not in svg


async def test_filter_as_you_type_and_escape_clears(seeded: LocalCloud) -> None:
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: list_ready(app, 3),
                    pilot=pilot)
        total = len(table_of(app))
        await pilot.press("slash", "s", "e", "n", "t")
        await pilot.pause()
        assert names(app) == ["beta-sentiment"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(table_of(app)) == total
        # filter by status word
        await pilot.press("slash", *"non-deployed")
        await pilot.pause()
        assert "gamma-idle" in names(app) and "beta-sentiment" not in names(app)


async def test_sort_keeps_the_cursor_on_the_same_deployment(seeded: LocalCloud) -> None:
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: list_ready(app, 3),
                    pilot=pilot)
        table = table_of(app)
        await pilot.press("down")
        chosen = table.current.name
        for key in ("N", "S", "A", "N"):
            await pilot.press(key)
            await pilot.pause()
            assert table.current.name == chosen, key
        order_az = names(app)
        assert order_az == sorted(order_az)
        await pilot.press("N")  # again: Z-A
        assert names(app) == sorted(order_az, reverse=True)
        assert table.current.name == chosen


async def test_help_lists_every_key_of_the_screen(seeded: LocalCloud) -> None:
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: list_ready(app, 3), pilot=pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        from tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        ids = {ident for _, _, ident in app.screen.keys}
        assert {"list.filter", "list.sort_name", "list.json", "app.quit", "app.help"} <= ids
        await pilot.press("escape")
        assert isinstance(app.screen, DeploymentsScreen)


async def test_keymap_from_config_remaps_and_bad_keys_are_named(seeded: LocalCloud, tmp_path, monkeypatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('colour = "blue"\nrefresh_interval = "fast"\n[keymap]\n"list.filter" = "f"\n'
                      '"list.nope" = "z"\n')
    settings = load_settings(config)
    assert any("unknown key 'colour'" in p for p in settings.problems)
    assert any("refresh_interval" in p for p in settings.problems)
    app = BentoTUI(local_context(seeded), settings=settings)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: list_ready(app, 3),
                    pilot=pilot)
        messages = [n.message for n in app._notifications]
        assert any("list.nope" in m for m in messages)
        assert any("colour" in m for m in messages)
        await pilot.press("f", "a", "l", "p")
        await pilot.pause()
        assert names(app) == ["alpha-iris"]


async def test_server_outage_shows_reconnecting_and_recovers(tmp_path) -> None:
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        with cloud.client() as http:
            create(http, "outage-a", deploy=False)
        app = BentoTUI(local_context(cloud))
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: list_ready(app, 1),
                        pilot=pilot)
            table = table_of(app)
            cloud.stop()
            await until(lambda: app.connection_state == "reconnecting", 15, pilot, "reconnecting")
            assert "reconnecting" in app.export_screenshot()
            cloud.start()
            await until(lambda: app.connection_state == "connected", 30, pilot, "recovery")
            with cloud.client() as http:
                create(http, "outage-b", deploy=False)
            await until(lambda: len(table) == 2, 15, pilot, "live again")
            assert isinstance(app.screen, DeploymentsScreen)
            assert sorted(names(app)) == ["outage-a", "outage-b"]  # no duplicate rows
    finally:
        cloud.stop()


async def test_copy_url_and_json_view(seeded: LocalCloud) -> None:
    app = BentoTUI(local_context(seeded))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: list_ready(app, 3),
                    pilot=pilot)
        table = table_of(app)
        table.select_uid(next(uid for uid in table.rows if table.get(uid).name == "beta-sentiment"))
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == f"{seeded.endpoint}/gw/default/beta-sentiment"
        assert any(n.message.startswith(("URL sent to the terminal (OSC 52)",
                                          "URL copied to the system clipboard"))
                   for n in app._notifications)
        await pilot.press("y")
        await pilot.pause()
        from tui.screens.json_view import JsonScreen

        assert isinstance(app.screen, JsonScreen)
        assert '"name": "beta-sentiment"' in app.screen.text
        assert seeded.token not in app.screen.text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DeploymentsScreen)
