"""The start as `bentotui --endpoint … --api-token …` makes it: the first requests already under
way (tui/api/prefetch.py) when the app starts.  The first list comes from them; a token they got
refused is said exactly as without them, and the token is on no screen."""

from __future__ import annotations

import pytest

from tests.app.test_detail import screen_text
from tests.harness import LocalCloud
from tests.support.app import until
from tests.support.tls import TlsForwarder
from tui.api.contexts import resolve_context
from tui.api.prefetch import Prefetch
from tui.app import BentoTUI


async def first_list_from_the_prefetch(endpoint: str, token: str) -> Prefetch:
    """Start as `bentotui` does, prefetching; the list is shown, its first requests answered
    by the prefetch, and the token nowhere on screen."""
    context = resolve_context(endpoint=endpoint, api_token=token)
    prefetch = Prefetch.start_for(endpoint, token)
    assert prefetch is not None
    app = BentoTUI(context, prefetch=prefetch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: app.connection_state == "connected" and "deployment" in screen_text(app),
                    15, pilot, "the list")
        await pilot.pause(0.5)  # let the footer's recompose settle before the app is torn down
        assert prefetch.used
        assert token not in screen_text(app)
    return prefetch


async def test_the_first_list_comes_from_the_prefetch(cloud: LocalCloud) -> None:
    prefetch = await first_list_from_the_prefetch(cloud.endpoint, cloud.token)
    assert prefetch.take("GET", "/api/v1/info") is None  # each answer is used once


async def test_a_refused_prefetch_is_said_as_without_it(cloud: LocalCloud) -> None:
    token = "btui_not-the-token"
    context = resolve_context(endpoint=cloud.endpoint, api_token=token)
    prefetch = Prefetch.start_for(cloud.endpoint, token)
    assert prefetch is not None
    app = BentoTUI(context, prefetch=prefetch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "token was refused" in screen_text(app), 15, pilot, "the refusal")
        text = " ".join(screen_text(app).split())
        assert "r to try again" in text and "--api-token" in text, text
        assert token not in screen_text(app)
        assert app.connection_state == "refused"


async def test_the_first_list_comes_from_the_prefetch_over_https(
        cloud: LocalCloud, forwarder: TlsForwarder, trusted: None) -> None:
    await first_list_from_the_prefetch(forwarder.endpoint, cloud.token)


async def test_an_untrusted_certificate_is_said_as_without_the_prefetch(
        cloud: LocalCloud, forwarder: TlsForwarder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = resolve_context(endpoint=forwarder.endpoint, api_token=cloud.token)
    prefetch = Prefetch.start_for(forwarder.endpoint, cloud.token)
    assert prefetch is not None
    app = BentoTUI(context, prefetch=prefetch)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "TLS error" in " ".join(screen_text(app).split()), 15, pilot,
                    "the TLS error")
        assert not prefetch.used
        assert forwarder.forwarded == 0  # not a byte of a request (nor the token) was sent
        assert cloud.token not in screen_text(app)
