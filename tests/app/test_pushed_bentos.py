"""Pushed bentos in the TUI (issue 14): the picker shows their upload and build state and
refuses one whose upload failed; the detail follows an image build and says why it failed.

The bentos are pushed into the real local control plane with the registry routes the bentoml
clients use; the failing build is real too (pip refuses a requirement that cannot parse, so it
fails in seconds without the network).
"""

from __future__ import annotations

import asyncio
import io
import tarfile
from typing import Any

import httpx
import pytest
from textual.widgets import Input, OptionList, Static

from tests.app.test_detail import open_detail, screen_text
from tests.app.test_key_order import burst
from tests.harness import LocalCloud
from tests.localcloud.test_registry import BENTOS, MANIFEST, archive
from tests.support.app import local_context, until
from tui.api.client import BentoCloudClient
from tui.app import BentoTUI
from tui.screens.bento_picker import BentoPicker
from tui.screens.detail import DetailScreen


def push(http: httpx.Client, repo: str, version: str, body: bytes | None,
         manifest: dict = MANIFEST) -> None:
    """The push sequence up to the upload; `body` None leaves it uploading."""
    if http.get(f"{BENTOS}/{repo}").status_code == 404:
        http.post(BENTOS, json={"name": repo, "description": ""}).raise_for_status()
    http.post(f"{BENTOS}/{repo}/bentos", json={
        "description": "", "version": version, "build_at": "2026-12-03T07:00:00Z",
        "manifest": manifest}).raise_for_status()
    http.patch(f"{BENTOS}/{repo}/bentos/{version}/start_upload").raise_for_status()
    if body is not None:
        http.put(f"{BENTOS}/{repo}/bentos/{version}/upload", content=body).raise_for_status()


def option_texts(options: OptionList) -> list[str]:
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def open_picker(app: BentoTUI, pilot: Any) -> tuple[BentoPicker, OptionList, list[object]]:
    """The bento picker, composed, over the app's first screen, and the list it dismisses into."""
    chosen: list[object] = []
    await until(lambda: app.session is not None, 20, pilot, "a session")
    app.push_screen(BentoPicker(), chosen.append)
    picker = await until(lambda: isinstance(app.screen, BentoPicker) and app.screen, 10, pilot)
    options = await until(lambda: picker.query(OptionList).first() if picker.query(OptionList)
                          else None, 10, pilot, "the picker composed")
    return picker, options, chosen


async def test_picker_shows_upload_and_build_state_and_refuses_a_failed_upload(
        cloud: LocalCloud, http: httpx.Client) -> None:
    push(http, "shelf", "good", archive())
    push(http, "shelf", "half", None)
    push(http, "shelf", "broken", None)
    http.patch(f"{BENTOS}/shelf/bentos/broken/finish_upload",
               json={"status": "failed", "reason": "connection reset"}).raise_for_status()
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        picker, options, chosen = await open_picker(app, pilot)
        await pilot.press(*"shelf")
        await until(lambda: option_texts(options) and option_texts(options)[0].startswith("shelf"),
                    10, pilot, "shelf listed")
        await pilot.press("enter")  # waits for the search's answer if "shelf" is still on its way
        await until(lambda: picker.repo == "shelf" and options.option_count == 3, 10, pilot,
                    "three versions")
        texts = {t.split()[0]: t for t in option_texts(options)}
        assert "pushed · not built yet" in texts["good"]  # nothing has built it yet
        assert "uploading" in texts["half"]
        assert "upload failed" in texts["broken"]
        # pick the failed one: refused with its reason, the picker stays
        for _ in range(3):
            if options.get_option_at_index(options.highlighted or 0).id == "broken":
                break
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        hint = str(picker.query_one("#bento-hint", Static).render())
        assert "upload failed (connection reset)" in hint and "push it again" in hint
        assert app.screen is picker and chosen == []
        # the good one is taken
        while options.get_option_at_index(options.highlighted or 0).id != "good":
            await pilot.press("down")
        await pilot.press("enter")
        await until(lambda: chosen == [("shelf", "good")], 10, pilot, "the good bento chosen")


async def test_enters_typed_ahead_act_on_the_list_that_arrives(
        cloud: LocalCloud, http: httpx.Client) -> None:
    """A name and two Enters typed at once: the search's answer and then the versions are waited
    for, so the Enters pick shelf's newest version, not the stale list's first repository."""
    push(http, "shelf", "older", archive())
    push(http, "shelf", "newer", archive())
    push(http, "crate", "v1", archive())  # the registry lists the newest repository first
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        picker, options, chosen = await open_picker(app, pilot)
        await until(lambda: options.option_count > 1, 10, pilot, "the registry listed")
        assert not option_texts(options)[0].startswith("shelf")  # else the test proves nothing
        await pilot.press(*"shelf", "enter", "enter")
        await until(lambda: chosen, 10, pilot, "a bento chosen")
        assert chosen == [("shelf", "newer")]


def unbuildable_bento() -> bytes:
    """A bento whose requirements pip cannot even parse: its build fails fast, offline."""
    buf = io.BytesIO()
    files = {"./bento.yaml": b"service: service:svc\nname: nobuild\nversion: v1\n"
                             b"bentoml_version: 1.1.11\n",
             "./env/python/requirements.txt": b"this is not a requirement ((\n"}
    with tarfile.open(fileobj=buf, mode="w:") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.timeout(300)
async def test_detail_follows_the_image_build_and_says_why_it_failed(
        cloud: LocalCloud, http: httpx.Client) -> None:
    push(http, "nobuild", "v1", unbuildable_bento(), dict(MANIFEST, models=[]))
    created = http.post("/api/v1/clusters/default/deployments", json={
        "name": "nobuild", "mode": "deployment",
        "targets": [{"type": "stable", "bento_repository": "nobuild", "bento": "v1"}]})
    assert created.status_code == 200, created.text
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(app, pilot, "nobuild")
        assert isinstance(screen, DetailScreen)
        # the Overview says the build failed and why (pip's error)
        await until(lambda: "failed: Preparing bento nobuild:v1 failed" in screen_text(app)
                    and "Invalid requirement" in screen_text(app),
                    180, pilot, "the build failure and pip's reason on the Overview")
        # the Logs tab offers the image builder's log and shows it
        await pilot.press("6")
        await until(lambda: "Building environment" in "\n".join(
            str(line.text) for line in screen.logs_view.query_one("#logs-log").lines),
            30, pilot, "the build log in the Logs tab")
        assert any("image-builder" in label for label, _ in screen.logs_view._given)
        # the server lists the finished build's log under the name the tail follows
        exited = http.get("/api/v1/clusters/default/namespaces/yatai/deployments/nobuild/"
                          "exited_pods").json()
        assert {"name": "nobuild-image-builder", "component": "image-builder"}.items() <= next(
            e for e in exited if e["component"] == "image-builder").items()


async def test_a_version_filter_typed_while_the_versions_load_waits_for_them(
        cloud: LocalCloud, http: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bin`, Enter, `bet` typed before the search has answered: `bet` is the versions' filter
    (it made the search `binbet`, which matched nothing, and the Enter was spent on that); and a
    letter typed while the versions are on their way (held back at the client: a real server
    answers too fast to look at the moment) no longer says "no version matches" before any has
    come."""
    push(http, "bin", "alpha", archive())
    push(http, "bin", "beta", archive())
    hold = asyncio.Event()
    original = BentoCloudClient.list_bentos

    async def held(client: BentoCloudClient, repo: str, **kw: Any) -> Any:
        await hold.wait()
        return await original(client, repo, **kw)

    monkeypatch.setattr(BentoCloudClient, "list_bentos", held)
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        picker, options, chosen = await open_picker(app, pilot)
        await pilot.press(*"bin")
        await until(lambda: option_texts(options) and option_texts(options)[0].startswith("bin"),
                    10, pilot, "bin listed")
        burst(app, "enter", *"bet")  # as a terminal delivers them: all queued before one is handled
        await until(lambda: picker.repo == "bin", 10, pilot, "bin taken")
        await pilot.pause(0.2)
        hint = str(picker.query_one("#bento-hint", Static).render())
        assert "Loading versions" in hint, hint
        assert picker.query_one("#bento-search", Input).value == "bet"
        await pilot.press("a")
        await pilot.pause(0.1)
        hint = str(picker.query_one("#bento-hint", Static).render())
        assert "Loading versions" in hint, hint
        hold.set()
        await until(lambda: [t.split()[0] for t in option_texts(options)] == ["beta"], 10, pilot,
                    "the filtered versions")
        await pilot.press("enter")
        await until(lambda: chosen == [("bin", "beta")], 10, pilot, "beta chosen")
