"""Issue 10, the TUI side: server text is data, never terminal control or markup, never a crash.

The poison goes where a server really lets it: a deployment description stored through the
real control plane's API (anyone who may edit a shared deployment can write one), and an
error body from a hostile endpoint (a fake server: no real one would answer so).  Checked
with Pilot (what the screen shows) and, at the byte level, the installed `bentotui` in a pty
(what reaches the terminal).
"""

from __future__ import annotations

import http.server
import io
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from rich.console import Console

from tests.app.test_mutations import screen_text
from tests.bench.common import BENTOTUI, Pty, tui_argv, tui_env
from tests.harness import LocalCloud
from tests.support.app import local_context, until
from tests.support.reliability import CREATE, body, latest_version
from tui.api.contexts import Context
from tui.app import BentoTUI
from tui.screens.detail import DetailScreen
from tui.widgets.safe_text import ansi_line, clean, clean_block, escape_json, is_unsafe, sanitize

CLIPBOARD = "\x1b]52;c;UFdORUQ=\x1b\\"        # OSC 52 (ST-ended): would set the clipboard to "PWNED"
WINDOW_TITLE = "\x1b]2;PWNED-TITLE\x07"        # OSC 2: would rename the terminal window
CLEAR = "\x1b[2J\x1b[3J"                      # would wipe the screen and the scrollback
BIDI = "\u202egnp.exe"                        # right-to-left override: reads "exe.png"
MARKUP = "[b]x[/b] [link=https://evil.invalid]click[/link] [/bold] [/]"
POISON = f"about {MARKUP} {CLIPBOARD}{WINDOW_TITLE}{CLEAR}{BIDI} end"


# --------------------------------------------------------------------------- the helpers


def test_safe_text_escapes_every_control_and_reads_no_markup() -> None:
    shown = clean(POISON)
    assert all(ch.isprintable() for ch in shown), shown
    assert "\\x1b]52;c;UFdORUQ=\\x1b\\" in shown and "\\u202e" in shown and MARKUP in shown
    assert clean_block("a\r\nb\tc\x00") == "a\nb   c\\x00"  # lines kept, tabs expanded
    assert clean("\x9b\ud800\u2028") == "\\x9b\\ud800\\u2028"  # C1, lone surrogate, separator
    assert clean(3.5) == "3.5" and clean(None) == "" and clean("x" * 5000).endswith("(+904 chars)")
    # a log keeps its colours and nothing else
    line = ansi_line("\x1b[31mred\x1b[0m \x1b]8;;http://evil.invalid\x1b\\link\x1b[2J")
    assert line.plain == "red \\x1b]8;;http://evil.invalid\\x1b\\link\\x1b[2J"
    assert line.spans and line.spans[0].style.color is not None
    # JSON keeps its value, with the invisible characters spelled out
    doc = json.dumps({"d": POISON + "\U0001f600\u200b"}, ensure_ascii=False)
    assert json.loads(escape_json(doc)) == json.loads(doc)
    assert "\u202e" not in escape_json(doc) and "\\u202e" in escape_json(doc)
    # a styled Text keeps its styles where they were
    from rich.text import Text

    styled = Text("ok ")
    styled.append("bad\x1b", style="bold")
    out = sanitize(styled)
    assert out.plain == "ok bad\\x1b" and out.spans[0].start == 3 and out.spans[0].end == 10


# --------------------------------------------------------------------------- Pilot, real server


def painted_unsafe(app: BentoTUI) -> list[str]:
    """Unsafe characters in the text Textual would write (its own control codes aside)."""
    strips = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console = Console(width=200, height=60, file=io.StringIO(), force_terminal=True)
    return [ch for seg in console.render(strips) if not seg.control
            for ch in seg.text if ch != "\n" and is_unsafe(ch)]


def segments_with_links(app: BentoTUI) -> list[str]:
    """Every link a painted cell carries (markup read from data would make one)."""
    strips = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console = Console(width=80, height=24, record=True, force_terminal=True)
    return [seg.style.link for seg in console.render(strips) if seg.style and seg.style.link]


async def test_a_poisoned_description_renders_literally(cloud: LocalCloud) -> None:
    with cloud.client() as http:
        doc = body(latest_version(http), "poisoned", deploy=False, description=POISON)
        assert http.post(CREATE, json=doc).status_code == 200
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(lambda: app.session is not None, pilot=pilot, what="a session")
        app.open_deployment("poisoned")
        await until(lambda: isinstance(app.screen, DetailScreen) and "About" in screen_text(app),
                    pilot=pilot, what="the overview")
        await pilot.pause(0.2)
        text = " ".join(screen_text(app).split())
        assert "[b]x[/b]" in text and "[link=https://evil.invalid]click[/link]" in text, text
        assert "\\x1b]52;c;UFdORUQ=\\x1b\\" in text and "\\u202egnp.exe" in text, text
        assert "\x1b" not in text and "\u202e" not in text
        assert segments_with_links(app) == []
        assert painted_unsafe(app) == []
        assert app.is_running


DEEP = 100_000  # levels of nesting: past Python's JSON parser (a RecursionError, not ValueError)
ANSWERS = {  # what the hostile endpoint says to every request: (status, body)
    "poisoned-error": (500, json.dumps({"error": POISON, "message": POISON}).encode()),
    "deeply-nested": (200, b"[" * DEEP + b"]" * DEEP),
    "deeply-nested-error": (500, b'{"error": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
    "invalid-utf8": (200, b'{"items": ["\xff\xfe\x1b]52;c;UFdORUQ=\x07"], "name": "\xc3"}'),
    "huge-error": (400, json.dumps({"error": POISON * 20_000}).encode()),
}


class HostileHandler(http.server.BaseHTTPRequestHandler):
    """Every request answered with the same hostile `answer` (status, body)."""

    answer = ANSWERS["poisoned-error"]

    def _answer(self) -> None:
        status, payload = self.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    answer = ANSWERS[getattr(request, "param", "poisoned-error")]
    handler = type("Handler", (HostileHandler,), {"answer": answer})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_an_error_body_with_stray_closing_tags_is_shown_not_parsed(hostile_endpoint: str) -> None:
    app = BentoTUI(Context(name="hostile", endpoint=hostile_endpoint, api_token="tok", source="flag"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: "[/bold]" in screen_text(app), 15, pilot, "the error shown")
        # the same text through a notification (the path that crashed the app)
        app.notify(POISON, title=POISON, severity="error")
        await pilot.pause(0.3)
        text = " ".join(screen_text(app).split())
        assert "[/bold] [/]" in text and "\\x1b]52;" in text, text
        assert all(ch.isprintable() for n in app._notifications for ch in n.message + n.title)
        assert app.is_running


@pytest.mark.parametrize("hostile_endpoint", [k for k in ANSWERS if k != "poisoned-error"],
                         indirect=True)
async def test_no_answer_crashes_the_app(hostile_endpoint: str) -> None:
    app = BentoTUI(Context(name="hostile", endpoint=hostile_endpoint, api_token="tok", source="flag"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: "Cannot use hostile" in screen_text(app), 20, pilot, "the message")
        await pilot.press("question_mark", "escape")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert app.is_running and app.return_code is None
        assert "\x1b" not in text and all(ch.isprintable() for n in app._notifications for ch in n.message)


async def test_a_url_with_control_characters_is_not_copied(cloud: LocalCloud) -> None:
    from tui.api import models as m

    with cloud.client() as http:
        doc = body(latest_version(http), "bad-url", deploy=False)
        wire = http.post(CREATE, json=doc).json()
    wire["urls"] = ["http://x.invalid\nrm -rf ~\n"]
    dep = m.DeploymentSchema.model_validate(wire)
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(lambda: app.session is not None, pilot=pilot, what="a session")
        app.copy_url(dep)
        await pilot.pause(0.1)
        assert app.clipboard == ""
        assert any("not copied" in n.message for n in app._notifications)


# --------------------------------------------------------------------------- bytes, in a pty


class Recorder:
    """Stands in for the Pty's pyte stream: keeps every byte, then feeds pyte as before."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.stream, self.raw = stream, bytearray()

    def feed(self, data: bytes) -> None:
        self.raw += data
        self.stream.feed(data)


def test_no_escape_from_the_data_reaches_the_terminal(cloud: LocalCloud, tmp_path: Path) -> None:
    with cloud.client() as http:
        doc = body(latest_version(http), "poisoned-pty", deploy=False, description=POISON)
        assert http.post(CREATE, json=doc).status_code == 200
    pty = Pty(tui_argv(cloud), tui_env(tmp_path, 80, 24), tmp_path)
    recorder = Recorder(pty.stream)
    pty.stream = recorder  # type: ignore[assignment]
    try:
        pty.wait_for(lambda s: "poisoned-pty" in s, "the list")
        pty.settle(0.3)
        before = bytes(recorder.raw)
        pty.press("\r")
        pty.wait_for(lambda s: "About" in s, "the overview")
        pty.settle(0.5)
        raw = bytes(recorder.raw)
        screen = pty.text()
    finally:
        pty.quit()
    for sequence in (CLIPBOARD, WINDOW_TITLE, "\x1b]52;", "\x1b]2;", "\x1b]0;", "\x1b[3J", "\u202e"):
        assert sequence.encode() not in raw, sequence
    # Textual's own BELs end its pointer-shape sequences (OSC 22); the data's must not pass.
    assert b"\x07" not in re.sub(rb"\x1b\]22;[a-z-]*\x07", b"", raw)
    assert raw.count(b"\x1b[2J") == before.count(b"\x1b[2J")  # opening the detail cleared nothing
    assert "\\x1b]52;c;UFdORUQ=" in screen, screen


async def test_poisoned_events_and_log_lines_show_escaped(cloud: LocalCloud) -> None:
    """What the kube_events and tail sockets would deliver from a hostile server, given to
    the views the streams feed (the local control plane writes neither with escapes)."""
    from tui.api import models as m

    with cloud.client() as http:
        assert http.post(CREATE, json=body(latest_version(http), "poison-streams",
                                           deploy=False)).status_code == 200
    event = m.parse_response(m.KubeEvent, {
        "reason": f"R{CLIPBOARD}", "message": POISON, "type": "Warning",
        "involvedObject": {"kind": "Pod", "name": f"pod{WINDOW_TITLE}"},
        "metadata": {"name": "e1", "uid": "e1"}, "lastTimestamp": "2026-01-01T00:00:00Z",
    })
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(lambda: app.session is not None, pilot=pilot, what="a session")
        app.open_deployment("poison-streams")
        await until(lambda: isinstance(app.screen, DetailScreen), pilot=pilot, what="the detail")
        screen: DetailScreen = app.screen  # type: ignore[assignment]
        await pilot.press("3")
        await until(lambda: screen.events_view.loaded, pilot=pilot, what="events loaded")
        if screen.tabs.active != "events":  # a key pressed while the detail was still mounting
            await pilot.press("3")
        await until(lambda: screen.tabs.active == "events", pilot=pilot, what="the Events tab")
        screen.events_view.add([event])
        await pilot.pause(0.4)
        events = screen_text(app)
        await pilot.press("6")
        await until(lambda: screen.tabs.active == "logs", pilot=pilot, what="the Logs tab")
        screen.logs_view.start("replica-x")
        screen.logs_view.replace([f"no CSI here {CLIPBOARD}{WINDOW_TITLE}{BIDI}",
                                  f"\x1b[31mred\x1b[0m then {CLEAR}{MARKUP}"])
        await pilot.pause(0.4)
        logs = screen_text(app)
        assert app.is_running
    assert "\\x1b]52;c;UFdORUQ=" in events and "[/bold]" in events, events
    assert "\\x1b]52;c;UFdORUQ=" in logs and "\\x1b[2J" in logs and "[/bold] [/]" in logs, logs
    for text in (events, logs):
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text


async def test_markup_typed_in_the_filter_is_searched_for(cloud: LocalCloud) -> None:
    with cloud.client() as http:
        assert http.post(CREATE, json=body(latest_version(http), "filter-me",
                                           deploy=False)).status_code == 200
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: "filter-me" in screen_text(app), pilot=pilot, what="the list")
        await pilot.press("slash", *"[/]")
        await pilot.pause(0.3)
        assert app.is_running
        assert "match “[/]”" in screen_text(app)


async def test_the_editor_keeps_a_poisoned_description_and_paints_none_of_it(cloud: LocalCloud) -> None:
    from textual.widgets import Input

    from tests.app.test_mutations import make_app, on_list, select_row
    from tui.screens.editor import EditorScreen

    with cloud.client() as http:
        doc = body(latest_version(http), "poison-edit", deploy=False, description=POISON)
        assert http.post(CREATE, json=doc).status_code == 200
    app, _ = make_app(cloud)
    async with app.run_test(size=(120, 36)) as pilot:
        select_row(await on_list(app, pilot, "poison-edit"), "poison-edit")
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, EditorScreen), pilot=pilot, what="the editor")
        editor: EditorScreen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.3)
        assert editor.query_one("#f-description", Input).value == POISON  # nothing lost
        assert json.loads(editor.json_area.text)["description"] == POISON
        assert "\\u001b]52" in editor.json_area.text and "\\u202e" in editor.json_area.text
        assert painted_unsafe(app) == []
        assert app.is_running


async def test_timestamps_at_the_edge_of_the_calendar_do_not_crash_a_row() -> None:
    """A server may send year 9999 in a western offset (or year 1 in an eastern one): valid
    ISO 8601 that no local clock can show; the row shows it as sent instead of crashing."""
    from datetime import datetime, timedelta, timezone

    from tests.app.test_table_filter import TableApp, deployment
    from tui.widgets.deployment_table import DeploymentTable

    late = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    early = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5)))
    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(DeploymentTable)
        table.wide = True  # the CREATED column too
        table.replace_all([deployment(0).model_copy(update={"created_at": late, "updated_at": early}),
                           deployment(1).model_copy(update={"created_at": early, "updated_at": late})])
        await pilot.pause(0.3)
        assert app.is_running
        text = screen_text(app)
    assert "12-31 23:00" in text and "dep-0000" in text and "dep-0001" in text, text



async def test_the_palette_lists_a_hostile_context_name_literally(cloud: LocalCloud,
                                                                  isolated_homes: dict[str, Path]) -> None:
    """The palette offers every context of $BENTOML_HOME/.yatai.yaml: a file, so its names
    and endpoints are untrusted too."""
    import yaml
    from textual.command import CommandPalette

    name = f"zz[/]{CLIPBOARD}{BIDI}"
    contexts = {"contexts": [{"name": name, "endpoint": f"http://127.0.0.1:9/[/bold]{WINDOW_TITLE}",
                              "api_token": "t0k", "email": "x@example.com"}]}
    (isolated_homes["BENTOML_HOME"] / ".yatai.yaml").write_text(yaml.safe_dump(contexts))
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: app.session is not None, pilot=pilot, what="a session")
        app.action_command_palette()
        await until(lambda: isinstance(app.screen, CommandPalette), pilot=pilot, what="the palette")
        await pilot.press(*"zz")
        await pilot.pause(0.6)
        text = screen_text(app)
        assert app.is_running
        assert "Context: zz[/]\\x1b]52;c;UFdORUQ=" in text, text
        assert painted_unsafe(app) == []


# --------------------------------------------------------------------------- a poisoning server

SUFFIX = f"[/]{CLIPBOARD}{BIDI}"  # added to every deployment name the hostile server lists


def poison(value: Any) -> Any:
    """A real answer, with every deployment's name, description, URL and creator poisoned."""
    if isinstance(value, list):
        return [poison(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: poison(v) for k, v in value.items()}
    if out.get("resource_type") == "deployment" and isinstance(out.get("name"), str):
        out["name"] += SUFFIX
        out["description"] = POISON
        out["urls"] = [f"http://x.invalid/{CLIPBOARD}{WINDOW_TITLE}"]
        if isinstance(out.get("creator"), dict):
            out["creator"].update(first_name=f"mallory{WINDOW_TITLE}[/bold]", last_name="")
    return out


class PoisoningProxy(http.server.BaseHTTPRequestHandler):
    """Serves the real control plane's v1 answers, poisoned: the routes and shapes the TUI
    expects, with strings no real server would store (the names especially)."""

    upstream = ""

    def _forward(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path).replace(SUFFIX, "")
        if self.headers.get("Upgrade"):  # the sockets are not served: the TUI must cope
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        answer = httpx.request(
            self.command, self.upstream + path, params=parts.query or None,
            content=self.rfile.read(length) if length else None,
            headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")},
            timeout=10,
        )
        payload = answer.content
        if "json" in answer.headers.get("content-type", ""):
            payload = json.dumps(poison(answer.json())).encode()
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def poisoning_endpoint(cloud: LocalCloud) -> Iterator[str]:
    handler = type("Handler", (PoisoningProxy,), {"upstream": cloud.endpoint})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_hostile_list_detail_and_palette_show_names_literally(cloud: LocalCloud,
                                                                     poisoning_endpoint: str) -> None:
    from textual.command import CommandPalette

    with cloud.client() as http:
        assert http.post(CREATE, json=body(latest_version(http), "hostile-list",
                                           deploy=False)).status_code == 200
    app = BentoTUI(Context(name="hostile", endpoint=poisoning_endpoint, api_token=cloud.token,
                           source="flag"))
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await until(lambda: "hostile-list[/]" in screen_text(app), 20, pilot, "the poisoned list")
        listed = screen_text(app)
        assert painted_unsafe(app) == []
        app.action_command_palette()
        await until(lambda: isinstance(app.screen, CommandPalette), pilot=pilot, what="the palette")
        await pilot.press(*"hostile-l")
        await pilot.pause(0.6)
        palette = screen_text(app)
        assert painted_unsafe(app) == []
        await pilot.press("escape")
        app.open_deployment("hostile-list" + SUFFIX)
        await until(lambda: isinstance(app.screen, DetailScreen) and "About" in screen_text(app),
                    20, pilot, "the poisoned detail")
        await pilot.pause(0.3)
        detail = screen_text(app)
        assert painted_unsafe(app) == [] and segments_with_links(app) == []
        assert app.is_running
    assert "hostile-list[/]\\x1b]52;c;UFdORUQ=" in listed, listed
    assert "Open hostile-list[/]\\x1b]52;c;UFdORUQ=" in palette, palette
    flat = " ".join(detail.split())
    assert "mallory\\x1b]2;PWNED-TITLE\\x07[/bold]" in flat and "[b]x[/b]" in flat, flat


def test_hostile_names_reach_the_terminal_escaped(cloud: LocalCloud, poisoning_endpoint: str,
                                                  tmp_path: Path) -> None:
    """The bytes the installed app writes for a list of poisoned names and their detail."""
    with cloud.client() as http:
        assert http.post(CREATE, json=body(latest_version(http), "hostile-pty",
                                           deploy=False)).status_code == 200
    argv = [str(BENTOTUI), "--endpoint", poisoning_endpoint, "--api-token", cloud.token]
    pty = Pty(argv, tui_env(tmp_path, 80, 24), tmp_path)
    recorder = Recorder(pty.stream)
    pty.stream = recorder  # type: ignore[assignment]
    try:
        pty.wait_for(lambda s: "hostile-pty[/]" in s, "the poisoned list")
        pty.settle(0.3)
        listed = pty.text()
        pty.press("\r")
        pty.wait_for(lambda s: "About" in s, "the poisoned detail")
        pty.settle(0.5)
        raw = bytes(recorder.raw)
        detail = pty.text()
    finally:
        pty.quit()
    for sequence in ("\x1b]52;", "\x1b]2;", "\x1b]0;", "\x1b[3J", "\u202e"):
        assert sequence.encode() not in raw, sequence
    assert b"\x07" not in re.sub(rb"\x1b\]22;[a-z-]*\x07", b"", raw)
    assert "hostile-pty[/]\\x" in listed, listed  # cut at 80 columns
    assert "\\x1b]52;c;UFdORUQ=" in detail, detail
