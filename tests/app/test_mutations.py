"""Create, update, terminate, restore, delete, diff, roll back and interact — Pilot tests of
the real app against a real local control plane (tui/actions.py and the screens around it)."""

from __future__ import annotations

import io
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from textual import events
from textual.widgets import Button, Input, RadioButton, Select, Static, TextArea

from tests.harness import LocalCloud
from tests.support.app import bento_version, create, local_context, until
from tests.support.fixtures import FIXTURES
from tui import actions
from tui.api import models as m
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens.confirm import ConfirmByName, ConfirmScreen
from tui.screens.deployments import DeploymentsScreen
from tui.screens.editor import EditorScreen
from tui.screens.interact import InteractScreen
from tui.screens.revision_diff import RevisionDiffScreen
from tui.widgets.deployment_table import DeploymentTable

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


# --------------------------------------------------------------------------- helpers


def make_app(cloud: LocalCloud, read_only: bool = False,
             api_version: str | None = "v1") -> tuple[BentoTUI, list[str]]:
    """The app, and the names it was asked to open (the detail screen is not under test).
    Pinned to v1 (`--api-version v1`): these tests are about the v1 editor and flows, which the
    control plane's default (auto → v2) would not open; None detects as the real default does."""
    context = local_context(cloud).model_copy(update={"api_version": api_version})
    app = BentoTUI(context, settings=Settings(), read_only=read_only)
    opened: list[str] = []
    app.open_deployment = lambda dep, tab=None: opened.append(dep if isinstance(dep, str) else dep.name)  # type: ignore[method-assign]
    return app, opened


async def on_list(app: BentoTUI, pilot, *names: str) -> DeploymentsScreen:
    def ready() -> bool:
        if not isinstance(app.screen, DeploymentsScreen) or app.session is None:
            return False
        tables = app.screen.query(DeploymentTable)
        if not tables:
            return False
        have = {d.name for d in tables.first().all_items()}
        return all(n in have for n in names)

    await until(ready, pilot=pilot, what=f"the list with {names}")
    await pilot.pause(0.1)
    return app.screen  # type: ignore[return-value]


def select_row(screen: DeploymentsScreen, name: str) -> m.DeploymentSchema:
    table = screen.query_one(DeploymentTable)
    dep = next(d for d in table.all_items() if d.name == name)
    assert table.select_uid(dep.uid)
    return dep


async def open_editor(app: BentoTUI, pilot) -> EditorScreen:
    await on_list(app, pilot)
    await pilot.press("n")
    await until(lambda: isinstance(app.screen, EditorScreen), pilot=pilot, what="the editor")
    await pilot.pause(0.2)
    return app.screen  # type: ignore[return-value]


async def settle(pilot) -> None:
    """Past the editor's 150 ms validation debounce."""
    await pilot.pause(0.3)


def screen_text(app: BentoTUI) -> str:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def paste_json(pilot, editor: EditorScreen, text: str) -> None:
    """Select everything in the JSON pane and paste `text` over it, as a terminal paste does."""
    area = editor.json_area
    area.focus()
    await pilot.pause()
    area.select_all()
    editor.app.post_message(events.Paste(text))  # as the driver does: to the focused widget
    await pilot.pause()


def docs_example(name: str, version: str) -> str:
    doc = json.loads((FIXTURES / "example.json").read_text())
    doc["name"] = name
    doc["targets"][0]["bento"] = version
    return json.dumps(doc, indent=2)


def server_deployment(http: httpx.Client, name: str) -> dict | None:
    response = http.get(f"{NS}/{name}")
    return response.json() if response.status_code == 200 else None


def revisions(http: httpx.Client, name: str) -> list[dict]:
    return http.get(f"{NS}/{name}/revisions").json()["items"]


def notifications(app: BentoTUI) -> list[str]:
    return [n.message for n in app._notifications]


# --------------------------------------------------------------------------- create


async def test_create_from_the_form(cloud: LocalCloud, http: httpx.Client) -> None:
    app, opened = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        assert "-narrow" in editor.classes  # stacked at 80 columns
        await pilot.press(*"form-iris")
        await settle(pilot)
        assert json.loads(editor.text)["name"] == "form-iris"
        # no bento yet: invalid, ctrl+s disabled and does nothing
        assert "targets[0].bento" in screen_text(app)
        assert editor.check_action("submit", ()) is None
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert server_deployment(http, "form-iris") is None and app.screen is editor
        # the bento picker: search the registry, take the repository, then its newest version
        await pilot.press("ctrl+f")
        await pilot.pause(0.3)
        await pilot.press(*"iris")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await until(lambda: "version" in str(app.screen.query_one("#bento-title", Static).render()),
                    pilot=pilot, what="versions")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is editor
        target = json.loads(editor.text)["targets"][0]
        assert target["bento_repository"] == "iris_classifier"
        assert target["bento"] == bento_version(http)
        assert editor.query_one("#f-version", Input).value == target["bento"]
        # an environment variable from the form lands in the JSON
        editor.query_one("#env-add", Button).press()
        await pilot.pause(0.2)
        await pilot.press(*"GREETING", "tab", *"hi")
        await settle(pilot)
        assert json.loads(editor.text)["targets"][0]["config"]["envs"] == [{"key": "GREETING", "value": "hi"}]
        editor.query_one("#env-add", Button).press()
        await pilot.pause(0.2)
        await pilot.press(*"TMP")
        await settle(pilot)
        assert [e["key"] for e in json.loads(editor.text)["targets"][0]["config"]["envs"]] == ["GREETING", "TMP"]
        list(editor.query(".env-remove").results(Button))[-1].press()  # the TMP row's ✕
        await settle(pilot)
        assert json.loads(editor.text)["targets"][0]["config"]["envs"] == [{"key": "GREETING", "value": "hi"}]
        assert len(editor.query(".env-row")) == 1
        assert "✓ valid" in screen_text(app)
        await pilot.press("ctrl+s")
        await until(lambda: opened == ["form-iris"], pilot=pilot, what="the detail screen to be asked for")
        assert not isinstance(app.screen, EditorScreen)
        created = server_deployment(http, "form-iris")
        assert created is not None and created["mode"] == "function"
        assert created["latest_revision"]["targets"][0]["config"]["envs"] == [{"key": "GREETING", "value": "hi"}]


async def test_create_from_pasted_docs_json_side_by_side(cloud: LocalCloud, http: httpx.Client) -> None:
    app, opened = make_app(cloud)
    async with app.run_test(size=(120, 36)) as pilot:
        editor = await open_editor(app, pilot)
        assert "-wide" in editor.classes
        form, pane = editor.query_one("#editor-form").region, editor.query_one("#editor-json-pane").region
        assert pane.x >= form.right and pane.y == form.y  # side by side
        await paste_json(pilot, editor, docs_example("docs-iris", bento_version(http)))
        await settle(pilot)
        # the form follows the JSON
        assert editor.query_one("#f-name", Input).value == "docs-iris"
        assert editor.query_one("#f-description", Input).value == "My first Deployment."
        assert editor.query_one("#f-repo", Input).value == "iris_classifier"
        assert editor.query_one("#f-max", Input).value == "2"
        assert editor.query_one("#mode-function", RadioButton).value is True
        assert editor.check.valid
        await pilot.press("ctrl+s")
        await until(lambda: opened == ["docs-iris"], pilot=pilot, what="created")
        created = server_deployment(http, "docs-iris")
        assert created["description"] == "My first Deployment."
        assert created["latest_revision"]["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 2


async def test_invalid_json_is_kept_and_reported(cloud: LocalCloud, http: httpx.Client) -> None:
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        area = editor.json_area
        area.focus()
        area.cursor_location = (1, 0)  # the start of line 2
        await pilot.press(*"oops")
        await settle(pilot)
        typed = area.text
        assert typed.splitlines()[1].startswith("oops")
        assert "line 2, column" in screen_text(app)
        assert editor.check.line == 2 and editor.check.column is not None
        assert editor.check_action("submit", ()) is None
        assert editor.query_one("#form-fields").disabled  # paused, not overwriting the JSON
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert area.text == typed and app.screen is editor
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await settle(pilot)
        assert not editor.query_one("#form-fields").disabled
        assert "line 2" not in screen_text(app)


async def test_schema_errors_name_the_field_path(cloud: LocalCloud, http: httpx.Client) -> None:
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        doc = json.loads(docs_example("path-iris", bento_version(http)))
        doc["targets"][0]["replicas"] = 2  # not a field of a target
        await paste_json(pilot, editor, json.dumps(doc, indent=2))
        await settle(pilot)
        assert "targets[0].replicas: unknown key" in editor.check.problems
        assert "targets[0].replicas" in screen_text(app)
        assert editor.check_action("submit", ()) is None
        # from the form: min above max
        doc["targets"][0].pop("replicas")
        await paste_json(pilot, editor, json.dumps(doc, indent=2))
        await settle(pilot)
        assert editor.check.valid
        editor.query_one("#f-min", Input).focus()
        await pilot.press("end", "backspace", "9")
        await settle(pilot)
        assert json.loads(editor.text)["targets"][0]["config"]["hpa_conf"]["min_replicas"] == 9
        assert any(p.startswith("targets[0].config.hpa_conf") and "min_replicas (9)" in p
                   for p in editor.check.problems)


async def test_server_error_is_shown_and_the_input_stays(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "dup-iris", deploy=False)
    app, opened = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        editor = await open_editor(app, pilot)
        await paste_json(pilot, editor, docs_example("dup-iris", bento_version(http)))
        await settle(pilot)
        before = editor.text
        await pilot.press("ctrl+s")
        await until(lambda: editor.server_error is not None, pilot=pilot, what="the server's refusal")
        assert "already exists" in editor.server_error
        assert app.screen is editor and editor.text == before and opened == []
        assert "already exists" in screen_text(app)
        assert any("already exists" in n for n in notifications(app))


async def test_escape_with_changes_asks_once(cloud: LocalCloud) -> None:
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        await pilot.press(*"draft")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause(0.2)
        assert app.screen is editor and editor.query_one("#f-name", Input).value == "draft"
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("y")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DeploymentsScreen)


async def test_files_and_external_editor(cloud: LocalCloud, http: httpx.Client, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "in.json"
    source.write_text(docs_example("file-iris", bento_version(http)))
    saved = tmp_path / "out.json"
    script = tmp_path / "fake_editor.py"
    script.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                      "p.write_text(p.read_text().replace('\"file-iris\"', '\"file-iris\" oops'))\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        app.screen.query_one("#file-path", Input).value = str(source)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is editor and json.loads(editor.text)["name"] == "file-iris"
        assert editor.query_one("#f-name", Input).value == "file-iris"
        await pilot.press("ctrl+t")
        await pilot.pause(0.2)
        app.screen.query_one("#file-path", Input).value = str(saved)
        await pilot.press("enter")
        await until(lambda: saved.exists(), pilot=pilot, what="the saved file")
        assert json.loads(saved.read_text())["name"] == "file-iris"
        # $EDITOR returns invalid JSON: it is kept in the pane, with its error shown
        monkeypatch.setattr(app, "suspend", nullcontext)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert '"file-iris" oops' in editor.text
        assert editor.check.line is not None and not editor.check.valid
        assert "line 2, column" in screen_text(app)


# --------------------------------------------------------------------------- update, revisions


async def test_update_makes_a_new_revision(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "upd-iris", deploy=False, hpa_conf={"min_replicas": 1, "max_replicas": 2})
    app, opened = make_app(cloud)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await on_list(app, pilot, "upd-iris")
        select_row(screen, "upd-iris")
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, EditorScreen), pilot=pilot, what="the editor")
        editor: EditorScreen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        assert not editor.creating and not editor.query("#f-name")
        assert editor.query_one("#f-max", Input).value == "2"
        editor.query_one("#f-max", Input).focus()
        await pilot.press("end", "backspace", "3")
        await settle(pilot)
        assert json.loads(editor.text)["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 3
        await pilot.press("ctrl+s")
        await until(lambda: opened == ["upd-iris"], pilot=pilot, what="updated")
        revs = revisions(http, "upd-iris")
        assert len(revs) == 2
        assert revs[0]["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 3


async def test_diff_shows_the_change_and_rollback_makes_a_new_revision(cloud: LocalCloud,
                                                                      http: httpx.Client) -> None:
    body = create(http, "diff-iris", deploy=False, hpa_conf={"min_replicas": 1, "max_replicas": 2})
    patch = json.loads(json.dumps(body["latest_revision"]["targets"][0]))
    update = {"targets": [{"bento_repository": "iris_classifier", "bento": patch["bento"]["name"],
                           "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 3}}}],
              "do_not_deploy": True}
    assert http.patch(f"{NS}/diff-iris", json=update).status_code == 200
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot, "diff-iris")
        client = app.session.client
        dep = await client.get_deployment("default", "diff-iris")
        revs = (await client.list_revisions("default", "diff-iris")).items
        newer, older = revs[0], revs[1]
        actions.run(app, actions.diff_revisions, dep, newer.uid, older.uid)  # either order
        await until(lambda: isinstance(app.screen, RevisionDiffScreen), pilot=pilot, what="the diff")
        diff: RevisionDiffScreen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        assert diff.old.uid == older.uid
        removed = [line for line in diff.lines if line.startswith("-") and not line.startswith("---")]
        added = [line for line in diff.lines if line.startswith("+") and not line.startswith("+++")]
        assert [line.split()[-1] for line in removed] == ["2"] and '"max_replicas"' in removed[0]
        assert [line.split()[-1] for line in added] == ["3"]
        assert '"max_replicas": 3' in screen_text(app)
        assert diff.rollback_target.uid == older.uid
        await pilot.press("R")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot=pilot, what="the confirm")
        await pilot.press("y")
        await until(lambda: len(revisions(http, "diff-iris")) == 3, pilot=pilot, what="a third revision")
        latest = revisions(http, "diff-iris")[0]
        assert latest["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 2
        await until(lambda: not isinstance(app.screen, RevisionDiffScreen), pilot=pilot, what="diff closed")


# --------------------------------------------------------------------------- terminate, restore, delete


async def test_terminate_needs_the_exact_name_and_restore_brings_it_back(cloud: LocalCloud,
                                                                         http: httpx.Client) -> None:
    create(http, "life-iris")
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "life-iris")
        select_row(screen, "life-iris")
        await pilot.press("t")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="type-the-name")
        modal: ConfirmByName = app.screen  # type: ignore[assignment]
        text = screen_text(app)
        assert "life-iris" in text and "default" in text and "restored" in text
        await pilot.press(*"life-iri", "enter")
        await pilot.pause(0.2)
        assert app.screen is modal and modal.query_one("#confirm-ok", Button).disabled
        assert server_deployment(http, "life-iris")["status"] not in ("terminating", "terminated")
        await pilot.press("s")
        await pilot.pause(0.1)
        assert not modal.query_one("#confirm-ok", Button).disabled
        await pilot.press("enter")
        await until(lambda: server_deployment(http, "life-iris")["status"] == "terminated", 20,
                    pilot, "terminated")
        # restore (r): only once terminated; a y/n confirm, then a new revision
        await until(lambda: select_row(screen, "life-iris").status.value == "terminated", pilot=pilot,
                    what="the list to show it terminated")
        await pilot.press("r")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot=pilot, what="restore confirm")
        await pilot.press("y")
        await until(lambda: len(revisions(http, "life-iris")) == 2, pilot=pilot, what="a new revision")
        await until(lambda: server_deployment(http, "life-iris")["status"] not in ("terminated", "terminating"),
                    pilot=pilot, what="restored")


async def test_delete_is_refused_while_running_and_needs_the_exact_name(cloud: LocalCloud,
                                                                       http: httpx.Client) -> None:
    create(http, "gone-iris", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "gone-iris")
        select_row(screen, "gone-iris")
        await pilot.press("D")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DeploymentsScreen)
        assert any("terminate it first with t" in n for n in notifications(app))
        assert http.post(f"{NS}/gone-iris/terminate").status_code == 200
        await until(lambda: select_row(screen, "gone-iris").status.value == "terminated", pilot=pilot,
                    what="terminated in the list")
        await pilot.press("D")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="type-the-name")
        assert "irreversible" in screen_text(app)
        await pilot.press(*"gone", "enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ConfirmByName) and server_deployment(http, "gone-iris") is not None
        await pilot.press(*"-iris", "enter")
        await until(lambda: server_deployment(http, "gone-iris") is None, pilot=pilot, what="deleted")


async def test_confirm_by_name_reads_without_colour_and_says_when_the_name_is_wrong(
        cloud: LocalCloud, http: httpx.Client) -> None:
    """The input starts empty with a hint (not the name, dimmed, looking pre-filled); the name
    appears once, in the prompt; a wrong Enter shows "does not match"; the locked button says so
    in its label."""
    create(http, "lock-iris", deploy=False)
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot, "lock-iris")
        select_row(screen, "lock-iris")
        await pilot.press("t")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="type-the-name")
        modal: ConfirmByName = app.screen  # type: ignore[assignment]
        await pilot.pause(0.1)
        name_input = modal.query_one("#confirm-name", Input)
        assert name_input.value == "" and "lock-iris" not in name_input.placeholder
        assert "type the name" in name_input.placeholder
        text = screen_text(app)
        assert text.count("lock-iris") == 1, text
        assert "does not match" not in text
        ok = modal.query_one("#confirm-ok", Button)
        assert ok.disabled and "locked" in str(ok.label)
        await pilot.press(*"lock-iri", "enter")
        await pilot.pause(0.2)
        assert app.screen is modal
        assert "does not match" in screen_text(app)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert not ok.disabled and "locked" not in str(ok.label)
        assert "does not match" not in screen_text(app)
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, DeploymentsScreen), pilot=pilot, what="cancelled")
        assert server_deployment(http, "lock-iris")["status"] == "non-deployed"


# --------------------------------------------------------------------------- interact, read-only


async def test_request_pane_gets_a_real_prediction(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "talk-iris")
    await until(lambda: server_deployment(http, "talk-iris")["status"] == "running", 30, what="running")
    app, _ = make_app(cloud)
    async with app.run_test(size=(120, 36)) as pilot:
        await on_list(app, pilot, "talk-iris")
        dep = await app.session.client.get_deployment("default", "talk-iris")
        actions.run(app, actions.open_interact, dep)
        await until(lambda: isinstance(app.screen, InteractScreen), pilot=pilot, what="interact")
        screen: InteractScreen = app.screen  # type: ignore[assignment]
        await until(lambda: "/classify" in screen.apis, pilot=pilot, what="the routes")
        assert screen.query_one("#interact-route", Select).value == "/classify"
        body = screen.query_one("#interact-body", TextArea)
        body.load_text("[[5.1, 3.5, 1.4, 0.2]]")
        await pilot.pause(0.1)
        shown = screen_text(app)
        assert cloud.token not in shown and "btui_…****" in shown and "/gw/default/talk-iris" in shown
        screen.query_one("#interact-route", Select).focus()
        await pilot.press("C")  # the real token only on the explicit key (`c`: test_usability.py)
        assert cloud.token in app.clipboard and "/classify" in app.clipboard
        assert f'Authorization: Bearer {cloud.token}' in app.clipboard
        await pilot.press("ctrl+s")
        await until(lambda: screen.result is not None, 30, pilot, "the answer")
        assert screen.result.status == 200, screen.result.text
        assert screen.result.data == ["setosa"]
        assert json.loads(screen.query_one("#interact-response", TextArea).text) == ["setosa"]
        assert "200 OK" in screen_text(app) and " ms" in screen_text(app)


async def test_request_pane_starts_in_a_valid_sample_refuses_bad_json_and_closes_with_one_esc(
        cloud: LocalCloud, http: httpx.Client) -> None:
    """sentiment's sample is a request it answers (not `{}`, a 400); a body that is not JSON is
    not sent and says where it breaks; responses wrap; one esc goes back."""
    create(http, "talk-sent", repo="sentiment")
    await until(lambda: server_deployment(http, "talk-sent")["status"] == "running", 30, what="running")
    app, _ = make_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot, "talk-sent")
        dep = await app.session.client.get_deployment("default", "talk-sent")
        actions.run(app, actions.open_interact, dep)
        await until(lambda: isinstance(app.screen, InteractScreen), pilot=pilot, what="interact")
        screen: InteractScreen = app.screen  # type: ignore[assignment]
        await until(lambda: "/analyze" in screen.apis, pilot=pilot, what="the routes")
        body = screen.query_one("#interact-body", TextArea)
        await pilot.pause(0.1)
        assert app.focused is body
        assert json.loads(body.text) == {"text": "..."}
        await pilot.press("ctrl+s")
        await until(lambda: screen.result is not None, 30, pilot, "the answer")
        assert screen.result.status == 200, screen.result.text
        assert screen.result.data["label"] in ("positive", "negative", "neutral")
        assert screen.query_one("#interact-response", TextArea).soft_wrap
        sent = screen.result
        body.load_text('{"text": "good",\n  oops}')
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        shown = screen_text(app)
        assert "not valid JSON" in shown and "line 2, column 3" in shown, shown
        assert screen.result is sent  # nothing went out
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, InteractScreen), pilot=pilot, what="one esc closes")


async def test_read_only_refuses_mutations(cloud: LocalCloud, http: httpx.Client) -> None:
    create(http, "ro-iris", deploy=False)
    app, _ = make_app(cloud, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot, "ro-iris")
        dep = select_row(screen, "ro-iris")
        assert screen.check_action("mutate", ("new",)) is False
        assert "New" not in screen_text(app)  # hidden from the footer
        for key in ("n", "t", "D", "e", "r"):
            await pilot.press(key)
            await pilot.pause(0.1)
            assert app.screen is screen, key
        # the palette's commands (and direct calls) say why
        app.clear_notifications()
        commands = {c.title: c for c in actions.palette_commands(app, screen)}
        commands["Terminate ro-iris"].callback()
        await pilot.pause(0.2)
        assert any("read-only: terminate is disabled" in n for n in notifications(app))
        assert actions.run(app, actions.delete_deployment, dep)
        await pilot.pause(0.2)
        assert sum("read-only: " in n for n in notifications(app)) == 2
        assert server_deployment(http, "ro-iris")["status"] != "terminating"


async def test_request_pane_at_60x20_leaves_rows_for_the_body_and_the_answer(
        cloud: LocalCloud, http: httpx.Client) -> None:
    """Second walk: at 60x20 the curl preview wrapped into 7 rows (one a lone "\\") and left
    the body and the response one row each; below 80 columns it is not shown (c copies it)."""
    create(http, "talk-small")
    await until(lambda: server_deployment(http, "talk-small")["status"] == "running", 30, what="running")
    app, _ = make_app(cloud)
    async with app.run_test(size=(60, 20)) as pilot:
        await on_list(app, pilot, "talk-small")
        dep = await app.session.client.get_deployment("default", "talk-small")
        actions.run(app, actions.open_interact, dep)
        await until(lambda: isinstance(app.screen, InteractScreen), pilot=pilot, what="interact")
        screen: InteractScreen = app.screen  # type: ignore[assignment]
        await until(lambda: "/classify" in screen.apis, pilot=pilot, what="the routes")
        await pilot.pause(0.2)
        assert screen.query_one("#interact-body", TextArea).region.height >= 3
        assert screen.query_one("#interact-response", TextArea).region.height >= 3
        assert "curl -s" not in screen_text(app)
        screen.query_one("#interact-route", Select).focus()
        await pilot.press("c")  # still copies the command that is not shown
        assert "curl -s -X POST" in app.clipboard and "/classify" in app.clipboard
