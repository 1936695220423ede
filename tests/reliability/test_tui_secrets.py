"""Item 8, the TUI's part: the API token never shows on any screen (SVG screenshots of the
list, help, JSON view, every detail tab, the editor and the request pane with its curl
command), nor in the text of the errors the app shows.

The control plane's part (routes, sockets, 0600/0700, loopback, logs, replica processes, the
gateway's bearer check) is tests/localcloud/test_security.py.
"""

from __future__ import annotations

import httpx

from tests.app.test_detail import open_detail
from tests.harness import LocalCloud
from tests.support.app import local_context, until
from tests.support.reliability import CREATE, body, latest_version
from tui.app import BentoTUI
from tui.screens.deployments import DeploymentsScreen
from tui.screens.editor import EditorScreen
from tui.screens.interact import InteractScreen
from tui.screens.json_view import JsonScreen


def secret_part(token: str) -> str:
    """The part after a `btui_` prefix: what must never be drawn."""
    return token.split("_", 1)[-1]


async def test_the_token_is_on_no_screen(cloud: LocalCloud, http: httpx.Client) -> None:
    assert http.post(CREATE, json=body(latest_version(http, "sentiment"), "secret-screens",
                                       repo="sentiment")).status_code == 200
    token = secret_part(cloud.token)
    assert len(token) >= 20
    shots: dict[str, str] = {}
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        screen = await open_detail(app, pilot, "secret-screens")
        await until(lambda: screen.deployment and screen.deployment.status.value == "running", 60,
                    pilot, "running")
        for key, tab in zip("123456", ("overview", "monitoring", "events", "replicas",
                                        "revisions", "logs"), strict=False):
            await pilot.press(key)
            await pilot.pause(0.3)
            shots[f"detail {tab}"] = app.export_screenshot()
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, JsonScreen), 10, pilot, "the JSON view")
        shots["detail json"] = app.export_screenshot() + app.screen.text
        await pilot.press("escape")
        await pilot.press("i")
        await until(lambda: isinstance(app.screen, InteractScreen), 10, pilot, "the request pane")
        await pilot.pause(0.3)
        shots["request pane"] = app.export_screenshot()
        assert "Bearer" in shots["request pane"] and "****" in shots["request pane"]
        await pilot.press("ctrl+s")  # a real request with the real token
        await pilot.pause(1.0)
        shots["request pane answered"] = app.export_screenshot()
        await pilot.press("escape", "escape", "escape")
        await until(lambda: isinstance(app.screen, DeploymentsScreen), 10, pilot, "the list")
        shots["list"] = app.export_screenshot()
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        shots["help"] = app.export_screenshot()
        await pilot.press("escape", "n")
        await until(lambda: isinstance(app.screen, EditorScreen), 10, pilot, "the editor")
        await pilot.pause(0.3)
        shots["editor"] = app.export_screenshot()
        shots["notifications"] = " ".join(n.message for n in app._notifications)
    leaked = [name for name, svg in shots.items() if token in svg]
    assert not leaked, leaked


async def test_the_token_is_not_in_the_errors_the_app_shows(cloud: LocalCloud) -> None:
    """A wrong token (the real one with a character changed) is refused; the message the user
    reads names the problem, not the token."""
    from tests.app.test_mutations import screen_text
    from tui.api.contexts import Context

    wrong = cloud.token[:-3] + "abc"
    context = Context(name="wrong", endpoint=cloud.endpoint, api_token=wrong, source="flag")
    app = BentoTUI(context)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "token was refused" in screen_text(app), 15, pilot, "the refusal")
        text = screen_text(app)
        assert "invalid api token" in " ".join(text.split()).lower() or "403" in text
        assert secret_part(wrong) not in text and secret_part(cloud.token) not in text
        assert secret_part(wrong) not in app.export_screenshot()
