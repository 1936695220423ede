"""`--api-version auto` (the default) drives the screens: the local control plane answers v2, so
the TUI opens its v2 screens; a v1-only server (the same control plane with its v2 routes
switched off) keeps the v1 ones; a detection that fails or is slow falls back to v1 with a note
and without holding the first screen."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.app.test_mutations import on_list, select_row
from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui.api.errors import ConnectionFailed
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens.detail import DetailScreen
from tui.screens.editor import EditorScreen
from tui.screens.editor_v2 import EditorV2Screen
from tui.session import _detected_flavour


@pytest.fixture(scope="module")
def v1_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The real control plane started with its v2 routes left out (test-only setting)."""
    server = LocalCloud(tmp_path_factory.mktemp("v1cloud"), env_overrides={"BENTOTUI_V1_ONLY": "1"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def new_editor_of(app: BentoTUI) -> type:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot)
        await pilot.press("n")
        await until(lambda: isinstance(app.screen, EditorScreen | EditorV2Screen), pilot=pilot,
                    what="an editor")
        assert app.session is not None
        assert app.session.flavour_note == ""
        return type(app.screen)


async def test_default_against_the_control_plane_is_v2(cloud: LocalCloud, http: httpx.Client) -> None:
    assert http.get("/api/v2/deployments", params={"count": 1}).status_code == 200
    app = BentoTUI(local_context(cloud), settings=Settings())
    assert local_context(cloud).api_version is None  # auto
    assert await new_editor_of(app) is EditorV2Screen
    assert app.session is not None and app.session.flavour == "v2"


async def test_pinned_v1_against_the_control_plane_is_v1(cloud: LocalCloud) -> None:
    app = BentoTUI(local_context(cloud).model_copy(update={"api_version": "v1"}), settings=Settings())
    assert await new_editor_of(app) is EditorScreen
    assert app.session is not None and app.session.flavour == "v1"


async def test_a_v1_only_server_keeps_the_v1_screens(v1_cloud: LocalCloud) -> None:
    with v1_cloud.client() as client:
        assert client.get("/api/v2/deployments", params={"count": 1}).status_code == 404
        assert client.get("/api/v1/clusters/default/deployments").status_code == 200
    app = BentoTUI(local_context(v1_cloud), settings=Settings())
    assert await new_editor_of(app) is EditorScreen
    assert app.session is not None and app.session.flavour == "v1"


async def test_a_failed_detection_is_v1_with_a_note() -> None:
    failed: asyncio.Future = asyncio.get_running_loop().create_future()
    failed.set_exception(ConnectionFailed("cannot connect to http://x: refused"))
    flavour, note = await _detected_flavour(failed)
    assert flavour == "v1"
    assert "refused" in note and "--api-version" in note


async def test_a_slow_detection_does_not_hold_the_first_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui.session.DETECT_GRACE_S", 0.05)
    never: asyncio.Future = asyncio.get_running_loop().create_future()
    started = asyncio.get_running_loop().time()
    flavour, note = await _detected_flavour(never)
    assert asyncio.get_running_loop().time() - started < 1.0
    assert flavour == "v1" and "no answer" in note


@pytest.fixture(scope="module")
def recorded_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """The real control plane writing down every request it answers (BENTOTUI_RECORD_REQUESTS)."""
    home = tmp_path_factory.mktemp("recorded")
    server = LocalCloud(home, env_overrides={"BENTOTUI_RECORD_REQUESTS": str(home / "requests.jsonl")})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def recorded_paths(cloud: LocalCloud) -> list[str]:
    lines = (cloud.home / "requests.jsonl").read_text().splitlines()
    return [json.loads(line)["path"] for line in lines if line.strip()]


@pytest.mark.parametrize("api_version", [None, "v1"])
async def test_the_detail_follows_replicas_through_the_flavours_socket(recorded_cloud: LocalCloud,
                                                                      api_version: str | None) -> None:
    """auto (→ v2): the detail's replicas come from `/ws/v2/deployments/{name}/pods`; pinned v1:
    from the v1 namespace socket, as before."""
    name = f"pods-{api_version or 'auto'}"
    with recorded_cloud.client() as http:
        create(http, name)
    context = local_context(recorded_cloud).model_copy(update={"api_version": api_version})
    app = BentoTUI(context, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot, name)
        select_row(screen, name)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, DetailScreen) and app.screen.pods,
                    timeout=60, pilot=pilot, what="the detail's replicas")
    paths = recorded_paths(recorded_cloud)
    v2_socket = f"/ws/v2/deployments/{name}/pods"
    v1_socket = [p for p in paths if p.startswith("/ws/v1/") and p.endswith(f"/deployments/{name}/pods")]
    if api_version is None:
        assert v2_socket in paths and not v1_socket, paths
    else:
        assert v1_socket and v2_socket not in paths, paths
