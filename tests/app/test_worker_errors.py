"""One error path: a worker that fails on any screen reaches the app's one handler
(`BentoTUI.on_worker_failed`), which shows a readable line without the token."""

from __future__ import annotations

from typing import Any

from tests.harness import LocalCloud
from tests.support.app import local_context, until
from tui.api.errors import RequestRejected
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens import all_screen_classes
from tui.screens.deployments import DeploymentsScreen
from tui.screens.help import HelpScreen
from tui.widgets.worker_errors import ReportsWorkerErrors


def _recording(app: BentoTUI) -> list[dict[str, Any]]:
    """Every notification the app shows, as its arguments (the toast itself is shown too)."""
    shown: list[dict[str, Any]] = []
    real = app.notify

    def notify(message: object, **kwargs: Any) -> None:
        shown.append({"message": str(message), **kwargs})
        real(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return shown


async def test_a_failing_worker_on_two_screens_is_shown_once_each_without_the_token(
        cloud: LocalCloud) -> None:
    app = BentoTUI(local_context(cloud), settings=Settings())
    token = cloud.token

    async def bug() -> None:
        raise RuntimeError(f"lost the thread while sending {token}")

    async def refused() -> None:
        raise RequestRejected("the server said no", secrets=(token,))

    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot, what="list")
        shown = _recording(app)
        app.screen.run_worker(bug(), name="refresh", exit_on_error=False)
        await until(lambda: len(shown) >= 1, pilot=pilot, what="the list's failure shown")

        await app.push_screen(HelpScreen(app.screen))
        await until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot, what="help")
        app.screen.run_worker(refused(), name="lookup", exit_on_error=False)
        await until(lambda: len(shown) >= 2, pilot=pilot, what="the help's failure shown")
        await pilot.pause(0.3)
        assert app.is_running  # nothing took the app down

    assert len(shown) == 2, shown  # one each, not one per layer of handlers
    first, second = shown
    assert first["severity"] == second["severity"] == "error"
    assert first["message"] == "RuntimeError: lost the thread while sending ***"
    assert "refresh failed" in str(first["title"])
    assert second["message"] == "the server said no"
    assert "lookup failed" in str(second["title"])
    assert not any(token in str(item) for item in shown)


def test_every_screen_reports_its_workers_failures() -> None:
    """A new screen that forgets the mixin would drop its workers' errors again."""
    classes = all_screen_classes()
    assert len(classes) >= 12
    assert [c.__name__ for c in classes if not issubclass(c, ReportsWorkerErrors)] == []
