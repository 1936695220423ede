"""Item 7: the TUI given bad input: clear messages, no crash, nothing typed lost.

Already covered elsewhere: invalid JSON typed into the editor (kept, line and column shown:
tests/app/test_mutations.py::test_invalid_json_is_kept_and_reported), a server refusal
(::test_server_error_is_shown_and_the_input_stays), unknown config keys and binding ids
(tests/app/test_list.py::test_keymap_from_config_remaps_and_bad_keys_are_named), malformed
context files at the library level (tests/unit/test_contexts.py).  These add: keys bound twice
and a config that is not TOML, garbage pasted into the editor, a context file that is not YAML
(command line and the context picker), an endpoint that refuses connections (and comes up
later), one that answers HTML, and the server going away while the user submits.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.test_mutations import make_app, open_editor, paste_json, screen_text, settle
from tests.harness import LocalCloud
from tests.support.app import local_context, until
from tests.support.reliability import NS, body, latest_version
from tui import cli
from tui.api.contexts import Context
from tui.app import BentoTUI
from tui.config import load_settings
from tui.screens.deployments import DeploymentsScreen


def notes(app: BentoTUI) -> list[str]:
    return [n.message for n in app._notifications]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def remote(endpoint: str, token: str = "tok-123") -> Context:
    return Context(name="remote", endpoint=endpoint, api_token=token, source="flag")


# --------------------------------------------------------------------------- config and contexts


async def test_keys_bound_twice_and_a_config_that_is_not_toml(cloud: LocalCloud, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"list.filter" = "n"\n"list.json" = "c"\n"list.wide" = 5\n')
    settings = load_settings(config)
    assert any("keymap.list.wide" in p for p in settings.problems)
    app = BentoTUI(local_context(cloud), settings=settings)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: isinstance(app.screen, DeploymentsScreen), 30, pilot, "the list")
        messages = notes(app)
        assert any("'n' is bound to both" in m and "list.filter" in m and "list.new" in m
                   for m in messages), messages
        assert any("'c' is bound to both" in m for m in messages), messages
        await pilot.press("question_mark")  # the app carries on
        await pilot.pause()
        await pilot.press("escape")
        assert isinstance(app.screen, DeploymentsScreen)

    config.write_text('theme = "ansi-dark"\n[keymap\n"list.filter" = "f"\n')
    settings = load_settings(config)
    assert len(settings.problems) == 1 and "not valid TOML" in settings.problems[0]
    assert str(config) in settings.problems[0]


@pytest.mark.parametrize("text", [
    "contexts: [\n  - name: x\n",  # not YAML
    "\x00\x01\x02 binary \xff",  # not text
    "- a\n- list\n",  # YAML, wrong shape
    "contexts:\n  - name: prod\n    endpoint: 12\n",  # wrong types
])
def test_a_context_file_that_is_not_yaml_on_the_command_line(text: str, capsys) -> None:
    path = Path(os.environ["BENTOML_HOME"]) / ".yatai.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if "\xff" not in text else
                     b"\x00\x01\x02 binary \xff")
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bentotui: ") and str(path) in err and "Traceback" not in err


async def test_a_context_file_that_is_not_yaml_in_the_picker(cloud: LocalCloud) -> None:
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: isinstance(app.screen, DeploymentsScreen), 30, pilot, "the list")
        path = Path(os.environ["BENTOML_HOME"]) / ".yatai.yaml"
        path.write_text("contexts: [\n  - {name: broken\n")
        await pilot.press("x")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DeploymentsScreen)
        assert any("not valid YAML" in m and str(path) in m for m in notes(app)), notes(app)


async def test_keys_typed_while_the_list_appears_are_not_swallowed(cloud: LocalCloud) -> None:
    """The filter box (hidden) took the focus for a moment while the list mounted: a key typed
    then went into it and filtered the list invisibly, and its action never ran."""
    from tui.screens.help import HelpScreen

    for _ in range(3):  # the window is a few milliseconds wide: try more than once
        app = BentoTUI(local_context(cloud))
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: isinstance(app.screen, DeploymentsScreen), 30, pilot, "the list")
            listing = app.screen
            await pilot.press("question_mark")  # at once
            await until(lambda: isinstance(app.screen, HelpScreen), 5, pilot, "help opened by the key")
            assert listing.query_one("#filter").value == ""


# --------------------------------------------------------------------------- endpoints


async def test_an_endpoint_that_refuses_connections_then_comes_up(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "late-home"
    home.mkdir(mode=0o700)
    (home / "token").write_text("late-token\n")
    os.chmod(home / "token", 0o600)
    app = BentoTUI(remote(f"http://127.0.0.1:{port}", "late-token"))
    late = LocalCloud(home, port=port)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(lambda: "Cannot connect to remote" in screen_text(app), 15, pilot,
                        "the refusal shown")
            text = screen_text(app)
            assert f"127.0.0.1:{port}" in text and "Retrying" in text
            assert app.connection_state == "reconnecting"
            await pilot.press("question_mark", "escape", "j", "k")  # keys do not crash it
            await asyncio.to_thread(late.start)
            await until(lambda: isinstance(app.screen, DeploymentsScreen), 30, pilot,
                        "connected by itself")
            assert app.connection_state == "connected"
    finally:
        late.stop()


class HtmlHandler(http.server.BaseHTTPRequestHandler):
    status = 200
    page = (b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
            b"<body><h1>Corporate proxy: please sign in</h1></body></html>")

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    do_POST = do_PATCH = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=[200, 502])
def html_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (HtmlHandler,), {"status": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_an_endpoint_that_answers_html(html_endpoint: str) -> None:
    app = BentoTUI(remote(html_endpoint, "secret-token-xyz"))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "Cannot use remote" in screen_text(app), 15, pilot, "the message")
        text = " ".join(screen_text(app).split())
        assert "Cannot connect" not in text  # it answered: the message must not say otherwise
        assert "text/html" in text or "HTTP 502" in text, text  # what answered, and how
        assert "sign in" in text.lower()  # enough of the page to recognise the proxy
        assert "secret-token-xyz" not in text
        await pilot.press("question_mark", "escape")
        assert app.is_running


# --------------------------------------------------------------------------- the editor


async def test_garbage_pasted_into_the_editor_is_kept(cloud: LocalCloud) -> None:
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        garbage = "\x1b[31m{{{ not json }}}\x07\n" + "é" * 2000 + "\n\t\0\n" + "[" * 3000
        await paste_json(pilot, editor, garbage)
        await settle(pilot)
        assert editor.json_area.text == garbage.replace("\0", "") or editor.json_area.text
        kept = editor.json_area.text
        assert not editor.check.valid and editor.check.problems
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert app.screen is editor and editor.json_area.text == kept


async def test_the_server_going_away_while_submitting_keeps_the_text(tmp_path: Path) -> None:
    own = LocalCloud(tmp_path / "own").start()
    try:
        with own.client() as http:
            version = latest_version(http)
        app, _ = make_app(own)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            editor = await open_editor(app, pilot)
            doc = body(version, "typed-carefully", deploy=False, description="a long description")
            await paste_json(pilot, editor, json.dumps(doc, indent=2))
            await settle(pilot)
            assert editor.check.valid
            typed = editor.json_area.text
            await asyncio.to_thread(own.stop)
            await pilot.press("ctrl+s")
            await until(lambda: editor.server_error is not None, 15, pilot, "the failure shown")
            assert app.screen is editor and editor.json_area.text == typed
            shown = " ".join(screen_text(app).split())
            assert "could not connect" in editor.server_error.lower() or "connect" in editor.server_error
            assert "refused it" not in shown, shown  # not the server refusing: no server at all
            await asyncio.to_thread(own.start)
            await until(lambda: app.connection_state == "connected", 30, pilot, "reconnected")
            if app.screen is not editor:  # a reconnect must not throw away the editor
                raise AssertionError(f"the editor was closed on reconnect: {app.screen}")
            await pilot.press("ctrl+s")
            await until(lambda: app.screen is not editor, 15, pilot, "submitted")
        with own.client() as http:
            assert http.get(f"{NS}/typed-carefully").json()["description"] == "a long description"
    finally:
        own.stop()
