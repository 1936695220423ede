"""Issue 16 (P1) against hostile servers: the first paint reads the prefetched page itself
(tui/api/slim_rows.py), so its text rules are tested again there: names shown escaped, never
markup; an answer it cannot vouch for goes the normal way, and nothing crashes."""

from __future__ import annotations

import pytest

from tests.app.test_mutations import screen_text
from tests.harness import LocalCloud
from tests.reliability.test_hostile_server import (  # noqa: F401 - the fixtures, reused
    ANSWERS,
    hostile_endpoint,
    painted_unsafe,
    poisoning_endpoint,
    segments_with_links,
)
from tests.support.app import until
from tests.support.reliability import CREATE, body, latest_version
from tui.api.contexts import Context
from tui.api.prefetch import Prefetch
from tui.api.slim_rows import SlimDeployment
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens.deployments import DeploymentsScreen


def prefetched(endpoint: str, token: str) -> BentoTUI:
    prefetch = Prefetch.start_for(endpoint, token)
    assert prefetch is not None
    return BentoTUI(Context(name="hostile", endpoint=endpoint, api_token=token, source="flag"),
                    settings=Settings(), prefetch=prefetch)


async def test_a_poisoned_first_page_paints_escaped_from_the_slim_rows(
        cloud: LocalCloud, poisoning_endpoint: str) -> None:  # noqa: F811 - the fixture
    with cloud.client() as http:
        assert http.post(CREATE, json=body(latest_version(http), "hostile-first",
                                           deploy=False)).status_code == 200
    app = prefetched(poisoning_endpoint, cloud.token)
    app.connect = lambda *args, **kwargs: None  # type: ignore[method-assign,assignment,return-value]
    async with app.run_test(size=(120, 30)) as pilot:
        await until(lambda: "hostile-first[/]" in screen_text(app), 15, pilot, "the slim rows")
        screen = app.screen
        assert isinstance(screen, DeploymentsScreen) and app.session is None
        assert all(isinstance(d, SlimDeployment) for d in screen.table.all_items())
        assert painted_unsafe(app) == [] and segments_with_links(app) == []
        assert "hostile-first[/]\\x1b]52;c;UFdORUQ=" in screen_text(app)
        assert app.is_running


@pytest.mark.parametrize("hostile_endpoint", list(ANSWERS), indirect=True)
async def test_a_hostile_first_answer_goes_the_normal_way(hostile_endpoint: str) -> None:  # noqa: F811
    """Nesting past the parser, bytes that are not UTF-8, error bodies: no slim rows, the normal
    path's message, no crash."""
    app = prefetched(hostile_endpoint, "tok")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: "Cannot use hostile" in screen_text(app), 20, pilot, "the message")
        assert not isinstance(app.screen, DeploymentsScreen)
        assert app.is_running and app.return_code is None
        assert "\x1b" not in screen_text(app)
