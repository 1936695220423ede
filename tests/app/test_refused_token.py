"""Issue 11 item 8: a refused token is said, with what to do, and not retried until the user
acts; an `--endpoint` connection is named by its host and can be picked again with `x`."""

from __future__ import annotations

import asyncio

from tests.app.test_detail import screen_text
from tests.harness import LocalCloud
from tests.support.app import until
from tui.api.contexts import resolve_context
from tui.app import BentoTUI
from tui.screens.pickers import PickerScreen


async def test_refused_token_stops_and_says_what_to_do(cloud: LocalCloud, monkeypatch) -> None:
    context = resolve_context(endpoint=cloud.endpoint, api_token="btui_not-the-token")
    host = cloud.endpoint.split("//", 1)[1]
    assert context.name == host
    calls = 0
    from tui import session as session_module  # the app imports it when it connects

    real_open = session_module.open_session

    async def counting_open(*args, **kwargs):
        nonlocal calls
        calls += 1
        return await real_open(*args, **kwargs)

    monkeypatch.setattr(session_module, "open_session", counting_open)
    app = BentoTUI(context)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "token was refused" in screen_text(app), 15, pilot, "the refusal")
        text = " ".join(screen_text(app).split())
        assert "--api-token" in text and "bentotui local token" in text, text
        assert "Retrying" not in text and "r to try again" in text
        assert text.count("token was refused") == 1, text
        assert "token refused" in screen_text(app).splitlines()[0] and host in screen_text(app).splitlines()[0]
        assert "flag" not in screen_text(app).splitlines()[0]
        # the footer offers r as well (it showed only q: nothing asked it to look again)
        await until(lambda: "r Retry" in screen_text(app).splitlines()[-1], 5, pilot, "r in the footer")
        await asyncio.sleep(3)  # longer than the first retry delays
        assert calls == 1, "a refused token is not retried by itself"
        await pilot.press("r")
        await until(lambda: calls == 2, 5, pilot, "one retry on r")
        await until(lambda: app.connection_state == "refused", 10, pilot, "refused again")
        await pilot.press("x")
        await until(lambda: isinstance(app.screen, PickerScreen), 5, pilot, "the picker")
        picker: PickerScreen = app.screen  # type: ignore[assignment]
        assert picker.choices[0].split()[0] == host, picker.choices
        await pilot.press("escape")


async def test_token_refused_mid_session_is_said_not_retried(tmp_path) -> None:
    """The control plane comes back with another token (its token file was replaced): the
    live list stops, the bar says the token was refused, and a notice says what to do."""
    from tests.support.app import local_context

    own = LocalCloud(tmp_path / "own").start()
    try:
        app = BentoTUI(local_context(own))
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await until(lambda: app.connection_state == "connected", 15, pilot, "connected")
            await pilot.pause(0.5)
            await asyncio.to_thread(own.stop)
            (own.home / "token").unlink()  # a new token on the next start
            await asyncio.to_thread(own.start)
            await until(lambda: app.connection_state == "refused", 20, pilot, "refused")
            assert "token refused" in screen_text(app).splitlines()[0]
            notices = " ".join(n.message for n in app._notifications)
            assert "bentotui local token" in notices and "x reconnects" in notices, notices
            assert own.token not in notices
    finally:
        own.stop()
