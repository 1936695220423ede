"""The mutations reached from the detail screen: terminate, restore, diff and roll back."""

from __future__ import annotations

import httpx

from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.screens.confirm import ConfirmByName, ConfirmScreen
from tui.screens.detail import DetailScreen
from tui.screens.revision_diff import RevisionDiffScreen

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def status(http: httpx.Client, name: str) -> str:
    return http.get(f"{NS}/{name}").json()["status"]


def revision_count(http: httpx.Client, name: str) -> int:
    return http.get(f"{NS}/{name}/revisions").json()["total"]


async def test_terminate_restore_diff_rollback_from_detail(cloud: LocalCloud, http: httpx.Client) -> None:
    created = create(http, "detail-acts", deploy=False)
    target = created["latest_revision"]["targets"][0]
    update = {"targets": [{"bento_repository": "iris_classifier", "bento": target["bento"]["name"],
                           "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 3}}}],
              "do_not_deploy": True}
    assert http.patch(f"{NS}/detail-acts", json=update).status_code == 200
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: app.session is not None and len(app.screen_stack) > 1, pilot=pilot)
        app.open_deployment("detail-acts")
        await until(lambda: isinstance(app.screen, DetailScreen) and app.screen.deployment is not None,
                    pilot=pilot, what="detail")
        detail: DetailScreen = app.screen  # type: ignore[assignment]

        # terminate: type the exact name
        await pilot.press("t")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="confirm")
        await pilot.press(*"detail-acts", "enter")
        await until(lambda: status(http, "detail-acts") == "terminated", 20, pilot, "terminated")
        await until(lambda: detail.deployment.status.value == "terminated", 10, pilot, "pushed")

        # restore: a plain confirm, a new revision, running again
        await pilot.press("r")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot=pilot, what="restore confirm")
        await pilot.press("y")
        await until(lambda: revision_count(http, "detail-acts") == 3, 20, pilot, "restored revision")

        # diff: mark a revision, move to another, d
        await pilot.press("5")
        await until(lambda: len(detail.revision_table.keys()) == 3, 10, pilot, "revisions tab")
        detail.revision_table.focus()
        await until(lambda: detail.deployment.status.value == "running", 20, pilot, "running")
        await pilot.pause(0.3)
        await pilot.press("space", "down", "down", "d")  # mark the newest, diff with the oldest
        await until(lambda: isinstance(app.screen, RevisionDiffScreen), 10, pilot, "diff")
        assert "max_replicas" in app.export_screenshot()
        await pilot.press("escape")
        await until(lambda: app.screen is detail, pilot=pilot)

        # roll back to the oldest revision (max_replicas 1): a fourth revision
        await pilot.press("R")  # the cursor is on the oldest revision
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot=pilot, what="rollback confirm")
        await pilot.press("y")
        await until(lambda: revision_count(http, "detail-acts") == 4, 20, pilot, "rollback revision")
        newest = http.get(f"{NS}/detail-acts/revisions").json()["items"][0]
        assert newest["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 1
        assert cloud.token not in app.export_screenshot()


async def test_delete_from_detail_returns_to_the_list(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "detail-del", deploy=False)
    http.post(f"{NS}/detail-del/terminate")
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: app.session is not None and len(app.screen_stack) > 1, pilot=pilot)
        app.open_deployment("detail-del")
        await until(lambda: isinstance(app.screen, DetailScreen) and app.screen.deployment is not None
                    and app.screen.deployment.status.value == "terminated", pilot=pilot, what="detail")
        await pilot.press("D")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="confirm")
        await pilot.press(*"detail-del", "enter")
        await until(lambda: http.get(f"{NS}/detail-del").status_code == 404, 10, pilot, "deleted")
        await until(lambda: type(app.screen).__name__ == "DeploymentsScreen", 5, pilot, "the list")
