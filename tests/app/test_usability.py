"""Issue 11 (usability, found by using it): the editor's mode, the palette key, the keymap
check, config that fails closed, copying curl safely, read-only made visible and the keys
that were hidden.  Pilot tests of the real app against a real local control plane."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from textual.command import CommandPalette
from textual.widgets import RadioButton, RadioSet

from tests.app.test_mutations import make_app, on_list, open_editor, paste_json, screen_text, select_row, settle
from tests.harness import LocalCloud
from tests.support.app import create, local_context, until
from tui import actions
from tui.app import BentoTUI
from tui.config import Settings, load_settings
from tui.screens.deployments import DeploymentsScreen
from tui.screens.detail import DetailScreen
from tui.screens.editor import EditorScreen
from tui.screens.help import HelpScreen
from tui.screens.interact import InteractScreen


def mode_buttons(editor: EditorScreen) -> dict[str, bool]:
    return {mode: editor.query_one(f"#mode-{mode}", RadioButton).value
            for mode in ("deployment", "function")}


async def choose_mode(pilot, editor: EditorScreen, mode: str) -> None:
    editor.query_one(f"#mode-{mode}", RadioButton).scroll_visible(animate=False)
    await pilot.pause(0.05)
    await pilot.click(f"#mode-{mode}")
    await settle(pilot)


async def test_mode_switches_both_ways_in_a_new_deployment(cloud: LocalCloud) -> None:
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        assert mode_buttons(editor) == {"deployment": False, "function": True}
        for mode in ("deployment", "function", "deployment"):
            await choose_mode(pilot, editor, mode)
            assert json.loads(editor.text)["mode"] == mode
            assert mode_buttons(editor) == {"deployment": mode == "deployment",
                                            "function": mode == "function"}, mode
        # and the form follows the JSON, both ways
        for mode in ("function", "deployment"):
            document = json.loads(editor.text)
            document["mode"] = mode
            await paste_json(pilot, editor, json.dumps(document, indent=2))
            await settle(pilot)
            assert mode_buttons(editor) == {"deployment": mode == "deployment",
                                            "function": mode == "function"}, mode
        await choose_mode(pilot, editor, "function")
        assert json.loads(editor.text)["mode"] == "function"
        assert mode_buttons(editor) == {"deployment": False, "function": True}


async def test_mode_switches_back_when_editing_an_online_service(cloud: LocalCloud,
                                                                 http: httpx.Client) -> None:
    create(http, "mode-svc", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot, "mode-svc")
        select_row(screen, "mode-svc")
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, EditorScreen), pilot=pilot, what="the editor")
        editor: EditorScreen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        assert mode_buttons(editor) == {"deployment": True, "function": False}
        for mode in ("function", "deployment", "function"):
            await choose_mode(pilot, editor, mode)
            assert json.loads(editor.text)["mode"] == mode
            assert mode_buttons(editor) == {"deployment": mode == "deployment",
                                            "function": mode == "function"}, mode


async def test_ctrl_p_opens_the_palette_on_list_and_detail(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "palette-svc", deploy=False)
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot, "palette-svc")
        for where in ("list", "detail"):
            await pilot.press("ctrl+p")
            await until(lambda: CommandPalette.is_open(app), pilot=pilot, what=f"the palette on {where}")
            await pilot.press("escape")
            await until(lambda: not CommandPalette.is_open(app), pilot=pilot, what="the palette to close")
            if where == "list":
                app.open_deployment("palette-svc")
                await until(lambda: isinstance(app.screen, DetailScreen), pilot=pilot, what="detail")
                await pilot.pause(0.2)
        await pilot.press("colon")  # and `:` still does the same
        await until(lambda: CommandPalette.is_open(app), pilot=pilot, what="the palette from :")


# --------------------------------------------------------------------------- item 3: keymap


def configured_app(cloud: LocalCloud, tmp_path: Path, text: str, read_only: bool = False) -> BentoTUI:
    config = tmp_path / "config.toml"
    config.write_text(text)
    return BentoTUI(local_context(cloud), settings=load_settings(config), read_only=read_only)


def config_notes(app: BentoTUI) -> list[str]:
    return [n.message for n in app._notifications if (n.title or "").startswith("Configuration")]


async def test_the_readme_keymap_gives_no_warning(cloud: LocalCloud, http: httpx.Client,
                                                 tmp_path: Path) -> None:
    create(http, "keymap-svc", deploy=False)
    app = configured_app(cloud, tmp_path, '[keymap]\n"list.filter" = "f"\n')
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "keymap-svc")
        await pilot.pause(0.2)
        assert list(app._notifications) == []
        await pilot.press("f")
        await until(lambda: screen.query_one("#filter").has_focus, pilot=pilot, what="the filter box")


async def test_every_id_help_shows_is_accepted_and_only_real_problems_are_reported(
        cloud: LocalCloud, http: httpx.Client, tmp_path: Path) -> None:
    create(http, "keymap-ids", deploy=False)
    # the ids `?` shows on the list and the detail screen, each bound to its own keys
    probe = BentoTUI(local_context(cloud), settings=Settings())
    shown: dict[str, str] = {}
    async with probe.run_test(size=(80, 24)) as pilot:
        await on_list(probe, pilot, "keymap-ids")
        for where in ("list", "detail"):
            await pilot.press("question_mark")
            await until(lambda: isinstance(probe.screen, HelpScreen), pilot=pilot, what="help")
            for _, _, ident in probe.screen.keys:  # type: ignore[attr-defined]
                if ident:
                    shown[ident] = ""
            await pilot.press("escape")
            if where == "list":
                probe.open_deployment("keymap-ids")
                await until(lambda: isinstance(probe.screen, DetailScreen), pilot=pilot, what="detail")
                await pilot.pause(0.2)
    assert {"table.down", "list.filter", "detail.tab_logs", "app.quit"} <= set(shown)
    from tui.keymap import binding_scopes

    defaults = {b.id: b.key for scope in binding_scopes(BentoTUI) for b in scope.bindings if b.id}
    lines = [f'"{ident}" = "{defaults[ident]}"' for ident in shown]
    lines[lines.index('"table.down" = "down,j"')] = '"table.down" = "down,j,ctrl+n"'
    app = configured_app(cloud, tmp_path, "[keymap]\n" + "\n".join(lines) + "\n")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot, "keymap-ids")
        await pilot.pause(0.2)
        assert config_notes(app) == []  # nothing the user changed collides, every id is known

    # a genuinely unknown id and a key of the user's that collides on one screen: one
    # notification naming both, and nothing about keys the user did not touch
    app = configured_app(cloud, tmp_path, '[keymap]\n"list.filter" = "n"\n"list.nope" = "z"\n'
                                          'detail.back = "escape,b"\n')
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot, "keymap-ids")
        await pilot.pause(0.2)
        notes = config_notes(app)
        assert len(notes) == 1 and len(app._notifications) == 1, notes
        assert "'list.nope'" in notes[0]
        assert "'n' is bound to both list.filter and list.new (Deployments)" in notes[0]
        assert "app.quit" not in notes[0] and "json.close" not in notes[0]
        assert notes[0].count("• ") == 2  # two problems, two lines


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_many_problems_make_one_notification_that_fits(cloud: LocalCloud, tmp_path: Path,
                                                             size: tuple[int, int]) -> None:
    text = ("".join(f'unknown{i} = 1\n' for i in range(8)) + 'read_only = "yes"\n'
            '[keymap]\n"list.nope" = "z"\n')
    app = configured_app(cloud, tmp_path, text)
    async with app.run_test(size=size, notifications=True) as pilot:
        await until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot, what="list")
        await pilot.pause(0.2)
        notes = config_notes(app)
        assert len(notes) == 1 and "… and 7 more" in notes[0]
        assert notes[0].startswith("• config.toml, line 9: read_only must be true or false")
        toast = app.screen.query_one("Toast")
        assert toast.region.y >= 0 and toast.region.bottom <= size[1]


# --------------------------------------------------------------------------- item 4: fail closed


@pytest.mark.parametrize(("text", "line", "says"), [
    ('read_only = true\ntheme = [\n', 1, "not valid TOML"),  # a syntax error elsewhere
    ('theme = "ansi-dark"\nread_only = "true"\n', 2, "must be true or false"),  # a string
    ('read_only = 1\n', 1, "must be true or false"),
    ('read_only = "no"\n', 1, "must be true or false"),  # even one that looks like false
    ('read_only = false\nmouse = tru\n', 1, "not valid TOML"),  # it may have meant true
    ('read_only = true\ntheme = 5\nmouse = "yes"\n[keymap]\n"list.nope" = 1\n', None, None),
])
def test_read_only_fails_closed(tmp_path: Path, text: str, line: int | None, says: str | None) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    settings = load_settings(config)
    assert settings.read_only is True
    if says is not None:
        problem = next(p for p in settings.problems if "read-only" in p)
        assert says in problem and f"{config}, line {line}" in problem, problem


def test_a_broken_file_without_read_only_and_an_unreadable_one(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('theme = [\n')
    assert load_settings(config).read_only is False  # nothing in it could set read_only
    config.write_text('read_only = false\n')
    assert load_settings(config).read_only is False
    config.unlink()
    config.mkdir()  # cannot be read: it may set read_only
    settings = load_settings(config)
    assert settings.read_only is True and any("cannot read" in p for p in settings.problems)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_config_that_fails_closed_says_so_and_shows_read_only(
        cloud: LocalCloud, http: httpx.Client, tmp_path: Path, size: tuple[int, int]) -> None:
    name = f"closed-{size[0]}"
    create(http, name, deploy=False)
    app = configured_app(cloud, tmp_path, 'theme = "ansi-dark"\nread_only = "true"\n')
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = await on_list(app, pilot, name)
        assert app.read_only
        top = screen_text(app).splitlines()[0]
        assert "READ-ONLY" in top, top
        notes = config_notes(app)
        assert len(notes) == 1 and "config.toml, line 2: read_only must be true or false" in notes[0]
        # second walk: the line was cut at "got 'tru…", before it said what the app does
        assert "got 'true'; running read-only until it is fixed" in notes[0], notes[0]
        assert app._notifications and list(app._notifications)[0].severity == "error"
        select_row(screen, name)
        await pilot.press("t")
        await until(lambda: any("read-only: terminate (t) is disabled" in n.message
                                for n in app._notifications), pilot=pilot, what="the refusal")
        assert app.screen is screen  # no confirmation was asked for


# --------------------------------------------------------------------------- item 12: read-only


async def test_read_only_is_visible_and_keys_say_why(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "ro-visible", deploy=False)
    app = BentoTUI(local_context(cloud), settings=Settings(), read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "ro-visible")
        assert "READ-ONLY" in screen_text(app).splitlines()[0]
        select_row(screen, "ro-visible")
        for key, what in (("n", "new"), ("e", "edit"), ("t", "terminate"), ("D", "delete"),
                          ("r", "restore")):
            await pilot.press(key)
            await pilot.pause(0.1)
            assert app.screen is screen, key
            assert any(f"read-only: {what} ({key}) is disabled (started with --read-only)"
                       in n.message for n in app._notifications), (key, what)
        app.open_deployment("ro-visible")
        await until(lambda: isinstance(app.screen, DetailScreen), pilot=pilot, what="detail")
        await pilot.pause(0.3)
        detail = app.screen
        assert "READ-ONLY" in screen_text(app).splitlines()[0]
        assert "Request" not in screen_text(app).splitlines()[-1]  # `i` not offered
        app.clear_notifications()
        await pilot.press("i")  # a POST that can cold-start a function: refused too
        await pilot.pause(0.2)
        assert app.screen is detail
        assert any("read-only: request (i) is disabled" in n.message for n in app._notifications)
        app.clear_notifications()
        dep = await app.session.client.get_deployment("default", "ro-visible")
        actions.run(app, actions.open_interact, dep)  # and from the palette
        await pilot.pause(0.3)
        assert app.screen is detail
        assert any("read-only: sending requests is disabled" in n.message for n in app._notifications)


# --------------------------------------------------------------------------- item 6: copy curl


def clipboard_works() -> bool:
    try:
        import pyperclip

        pyperclip.copy("probe")
        return True
    except Exception:
        return False


@pytest.fixture
def tmux_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real tmux server on a private socket, with $TMUX pointing at it as inside tmux."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    socket = tmp_path / "tmux.sock"
    subprocess.run(["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "sleep 60"],
                   check=True, timeout=10)
    monkeypatch.setenv("TMUX", f"{socket},0,0")
    try:
        yield socket
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], timeout=10)


async def test_copy_curl_is_safe_by_default_and_honest(cloud: LocalCloud, http: httpx.Client,
                                                      tmux_server: Path) -> None:
    create(http, "copy-svc", deploy=False)
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot, "copy-svc")
        dep = await app.session.client.get_deployment("default", "copy-svc")
        assert dep.urls
        actions.run(app, actions.open_interact, dep)
        await until(lambda: isinstance(app.screen, InteractScreen), pilot=pilot, what="interact")
        screen = app.screen
        await pilot.pause(0.3)
        screen.query_one("#interact-route").focus()
        # the second key is shown (the footer follows the focus a refresh later)
        await until(lambda: "Copy with token" in screen_text(app).splitlines()[-1], 5, pilot,
                    "the copy keys in the footer")
        assert screen_text(app).splitlines()[-1].rstrip().endswith("? Help")

        def last() -> str:
            return list(app._notifications)[-1].message

        # `c`: the token as the variable, and no claim that the terminal took it
        await pilot.press("c")
        assert '"Authorization: Bearer $BENTO_CLOUD_API_KEY"' in app.clipboard
        assert cloud.token not in app.clipboard
        if clipboard_works():
            assert "copied to the system clipboard" in last()
        else:
            assert "sent to the terminal (OSC 52) — your terminal may ignore it" in last()
            assert "copied" not in last().lower()
            # tmux's default (set-clipboard external) drops it: say how to let it through
            assert "set -g set-clipboard on" in last()
            subprocess.run(["tmux", "-S", str(tmux_server), "set", "-g", "set-clipboard", "on"],
                           check=True, timeout=10)
            await pilot.press("c")
            assert "may ignore it" in last() and "set-clipboard" not in last()
        # `C`: the real token, on purpose, and the message says so (without showing it)
        await pilot.press("C")
        assert f"Authorization: Bearer {cloud.token}" in app.clipboard
        assert "contains your API token" in last() and cloud.token not in last()


# --------------------------------------------------------------------------- item 14: hidden keys


def footer(app: BentoTUI) -> str:
    return screen_text(app).splitlines()[-1]


async def test_keys_that_were_hidden_are_shown(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "keys-svc", deploy=False)
    gone = create(http, "keys-gone", deploy=False)
    assert http.post("/api/v1/clusters/default/namespaces/yatai/deployments/keys-gone/terminate"
                     ).status_code == 200
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "keys-svc", "keys-gone")
        await until(lambda: screen.table.get(gone["uid"]).status.value == "terminated", pilot=pilot,
                    what="keys-gone terminated")
        # the list's footer offers what the row allows, and `? Help` still fits
        select_row(screen, "keys-svc")  # (the footer follows the row a refresh later)
        await until(lambda: "t Terminate" in footer(app), 5, pilot, "t in the footer")
        assert "? Help" in footer(app), footer(app)
        assert "r Restore" not in footer(app)
        select_row(screen, "keys-gone")
        await until(lambda: "r Restore" in footer(app), 5, pilot, "r in the footer")
        assert "r Restore" in footer(app) and "D Delete" in footer(app), footer(app)
        assert "t Terminate" not in footer(app) and "? Help" in footer(app)
        # a key the row does not allow says why instead of doing nothing
        await pilot.press("t")
        await until(lambda: any("already terminated" in n.message for n in app._notifications),
                    pilot=pilot, what="the reason t does nothing here")
        # sorting says so, also by age, which has no column at 80 columns
        await pilot.press("A")
        await pilot.pause(0.1)
        summary = screen_text(app).splitlines()[-2]
        assert "sorted by age ▲" in summary, summary
        await pilot.press("N")
        await pilot.pause(0.1)
        assert "NAME ▲" in screen_text(app).splitlines()[1]
        assert "sorted by name ▲" in screen_text(app).splitlines()[-2]
        # Revisions: space / d / R in the footer, and a marked revision wears a marker
        app.open_deployment("keys-svc")
        await until(lambda: isinstance(app.screen, DetailScreen), pilot=pilot, what="detail")
        await pilot.pause(0.2)
        await pilot.press("5")
        await until(lambda: app.screen.revision_table.row_count == 1, pilot=pilot, what="revisions")
        await pilot.pause(0.2)
        for key in ("space Mark", "d Diff", "R Roll back", "? Help"):
            assert key in footer(app), footer(app)
        row = next(line for line in screen_text(app).splitlines() if "● yes" in line)
        assert "◆" not in row
        await pilot.press("space")
        await pilot.pause(0.2)
        row = next(line for line in screen_text(app).splitlines() if "● yes" in line)
        assert "◆" in row, row
        # keys that left the footer for them still work there
        await pilot.press("l")
        await until(lambda: app.screen.active_tab == "logs", pilot=pilot, what="l to show the logs")


async def test_help_and_readme_agree_on_ctrl_q(cloud: LocalCloud) -> None:
    app = BentoTUI(local_context(cloud), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot)
        await pilot.press("question_mark")
        await until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot, what="help")
        ids = {keys: ident for keys, _, ident in app.screen.keys}  # type: ignore[attr-defined]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert ids["^q"] == "app.force_quit" and ids["q"] == "app.quit"
    assert "`ctrl+q` | quit, also from a text box (`app.force_quit`)" in readme
    assert "(`app.quit`)" in readme


async def test_help_lists_the_keys_the_footer_hides_now(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "help-hidden", deploy=False)
    app = BentoTUI(local_context(cloud), settings=Settings(), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot, "help-hidden")
        await pilot.press("question_mark")
        await until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot, what="help")
        rows = {ident: (keys, what) for keys, what, ident in app.screen.keys}  # type: ignore[attr-defined]
        assert rows["list.terminate"] == ("t", "Terminate (not now)")
        assert rows["list.delete"] == ("D", "Delete (not now)")
        assert rows["list.copy_url"][0] == "c"


async def test_mode_switches_by_keys_alone(cloud: LocalCloud) -> None:
    """Without a mouse: ↓ moves between the two choices, enter picks; each pick flips the mode."""
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        editor.query_one("#f-mode", RadioSet).focus()
        await pilot.pause(0.1)
        seen = [json.loads(editor.text)["mode"]]
        for _ in range(3):
            await pilot.press("down", "enter")
            await settle(pilot)
            mode = json.loads(editor.text)["mode"]
            assert mode != seen[-1], seen
            assert mode_buttons(editor) == {"deployment": mode == "deployment",
                                            "function": mode == "function"}, mode
            seen.append(mode)


async def test_ctrl_c_says_how_to_quit_in_plain_words(cloud: LocalCloud) -> None:
    """Textual's hint is markup (`Press [b]ctrl+q[/b] to quit`); every notification of this
    app is plain text, so it showed the brackets.  It names the keys that quit here."""
    from tests.app.test_mutations import notifications

    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause(0.1)
        said = " ".join(notifications(app))
        assert "Press ^q or q to quit." in said, said
        assert "[b]" not in said


async def test_x_from_the_editors_form_keeps_the_unsaved_document(cloud: LocalCloud) -> None:
    """A context switch closes every screen above the list: from the editor's form (focus on
    a field that is not a text box) `x` and a pick dropped what was typed, unasked."""
    from textual.widgets import Input

    from tests.app.test_mutations import notifications
    from tui.screens.editor import EditorScreen

    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot)
        editor = await open_editor(app, pilot)
        await pilot.press(*"keep-me")
        await settle(pilot)
        editor.query_one("#f-mode").focus()  # the mode's radio buttons: `x` is not typed there
        await pilot.pause(0.1)
        await pilot.press("x")
        await pilot.pause(0.3)
        assert app.screen is editor  # no picker
        assert any("unsaved changes" in n for n in notifications(app)), notifications(app)
        app.run_switch_context(app.context)  # the palette's "Context: …" command
        await pilot.pause(0.3)
        assert isinstance(app.screen, EditorScreen) and app.screen is editor
        assert editor.query_one("#f-name", Input).value == "keep-me"


async def test_j_and_k_scroll_the_keys_in_help(cloud: LocalCloud) -> None:
    """Help lists `↓ / j Down` for the list, but only the arrows scrolled help itself."""
    from textual.containers import VerticalScroll

    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot)
        await pilot.press("question_mark")
        await until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot, what="help")
        await pilot.pause(0.2)
        box = app.screen.query_one("#help-dialog", VerticalScroll)
        assert box.max_scroll_y > 2  # more keys than rows at 80x24
        await pilot.press("j", "j", "j")
        await pilot.pause(0.1)
        assert box.scroll_y == 3
        await pilot.press("k")
        await pilot.pause(0.1)
        assert box.scroll_y == 2
