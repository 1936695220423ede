"""The TUI on the v2 deployment API (the default against the control plane): create in the v2 form, edit via the
`deploy -f` JSON, terminate, start and delete by keys alone at 80x24, against the real local
control plane."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import yaml

from tests.app.test_mutations import on_list, paste_json, screen_text, select_row, settle
from tests.harness import LocalCloud
from tests.support.app import bento_version, local_context, until
from tui.app import BentoTUI
from tui.config import Settings
from tui.screens.confirm import ConfirmByName, ConfirmScreen
from tui.screens.editor_v2 import EditorV2Screen

V2 = "/api/v2/deployments"


def v2_app(cloud: LocalCloud) -> tuple[BentoTUI, list[str]]:
    """The app as users start it (`--api-version auto`, the default): the control plane answers
    v2, so these are the v2 screens (tests/app/test_flavour_auto.py pins that down)."""
    app = BentoTUI(local_context(cloud), settings=Settings())
    opened: list[str] = []
    app.open_deployment = lambda dep, tab=None: opened.append(dep if isinstance(dep, str) else dep.name)  # type: ignore[method-assign]
    return app, opened


def v2_get(http: httpx.Client, name: str) -> dict | None:
    response = http.get(f"{V2}/{name}", params={"cluster": "default"})
    return response.json() if response.status_code == 200 else None


async def test_v2_create_edit_terminate_start_delete_by_keys(cloud: LocalCloud, http: httpx.Client) -> None:
    version = bento_version(http)
    app, opened = v2_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await on_list(app, pilot)
        assert app.session is not None and app.session.flavour == "v2"
        # create: the v2 form, then ctrl+s
        await pilot.press("n")
        await until(lambda: isinstance(app.screen, EditorV2Screen), pilot=pilot, what="the v2 editor")
        editor: EditorV2Screen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        await pilot.press(*"v2-iris")
        await settle(pilot)
        assert json.loads(editor.text)["name"] == "v2-iris"
        assert any(p.startswith("bento:") for p in editor.check.problems)
        assert editor.check_action("submit", ()) is None
        await pilot.press("tab", *f"iris_classifier:{version}")
        await settle(pilot)
        # the entry service's max replicas and its instance type picked from the cluster's list
        await pilot.pause(0.2)
        await until(lambda: len(editor.query_one(".svc.instance")._options) > 1, pilot=pilot,
                    what="the cluster's instance types")
        instance = editor.query_one(".svc.instance")
        offered = [value for _, value in instance._options if value]
        instance.value = offered[0]
        box = editor.query_one(".svc.max")
        box.focus()
        await pilot.press("end", "backspace", "2")
        await settle(pilot)
        document = json.loads(editor.text)
        assert document["services"][""]["scaling"] == {"min_replicas": 1, "max_replicas": 2}
        assert document["services"][""]["instance_type"] == offered[0]
        assert "✓ valid" in screen_text(app)
        await pilot.press("ctrl+s")
        await until(lambda: opened == ["v2-iris"], pilot=pilot, what="the created deployment")
        created = v2_get(http, "v2-iris")
        assert created is not None
        config = created["latest_revision"]["targets"][0]["config"]
        service = next(iter(config["services"].values()))
        assert service["scaling"]["max_replicas"] == 2 and service["instance_type"] == offered[0]

        # edit via the JSON pane: a label and an env, sent as a PUT
        await on_list(app, pilot, "v2-iris")
        select_row(screen, "v2-iris")
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, EditorV2Screen), pilot=pilot, what="the v2 editor")
        editor = app.screen  # type: ignore[assignment]
        await pilot.pause(0.3)
        document = json.loads(editor.text)
        assert document["name"] == "v2-iris" and document["bento"] == f"iris_classifier:{version}"
        document["labels"] = [{"key": "team", "value": "ml"}]
        document["envs"] = [{"name": "GREETING", "value": "hi"}]
        await paste_json(pilot, editor, json.dumps(document, indent=2))
        await settle(pilot)
        assert editor.check.valid, editor.check.problems
        assert editor.query_one("#f-labels").text == "team=ml"
        await pilot.press("ctrl+s")
        await until(lambda: (v2_get(http, "v2-iris")["latest_revision"]["targets"][0]["config"]
                             .get("envs") == [{"name": "GREETING", "value": "hi"}]),
                    pilot=pilot, what="the update")

        # terminate (t, type the name), start (r, y), terminate again, delete (D, type the name)
        await until(lambda: not isinstance(app.screen, EditorV2Screen), pilot=pilot, what="editor closed")
        await on_list(app, pilot, "v2-iris")
        for key, answer, wanted in (("t", "v2-iris", "terminated"), ("r", "y", "running"),
                                    ("t", "v2-iris", "terminated")):
            await until(lambda: select_row(screen, "v2-iris").status.value != "terminating",
                        pilot=pilot, what="a settled status")
            select_row(screen, "v2-iris")
            await pilot.press(key)
            modal = ConfirmByName if answer != "y" else ConfirmScreen
            await until(lambda: isinstance(app.screen, modal), pilot=pilot, what=f"{key} confirm")
            await pilot.press(*answer) if answer == "y" else await pilot.press(*answer, "enter")
            await until(lambda: v2_get(http, "v2-iris")["status"] == wanted, 30, pilot,
                        f"{wanted} after {key}")
        await until(lambda: select_row(screen, "v2-iris").status.value == "terminated",
                    pilot=pilot, what="terminated in the list")
        await pilot.press("D")
        await until(lambda: isinstance(app.screen, ConfirmByName), pilot=pilot, what="delete confirm")
        await pilot.press(*"v2-iris", "enter")
        await until(lambda: v2_get(http, "v2-iris") is None, pilot=pilot, what="deleted")


async def test_v2_editor_saves_and_loads_yaml(cloud: LocalCloud, http: httpx.Client, tmp_path: Path) -> None:
    """ctrl+t / ctrl+o by extension: a .yaml file holds YAML, and loading it fills the JSON pane."""
    version = bento_version(http)
    source = tmp_path / "in.yaml"
    source.write_text(yaml.safe_dump({"name": "yaml-iris", "bento": f"iris_classifier:{version}",
                                      "services": {"": {"scaling": {"max_replicas": 3}}}}))
    saved = tmp_path / "out.yaml"
    app, _ = v2_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot)
        await pilot.press("n")
        await until(lambda: isinstance(app.screen, EditorV2Screen), pilot=pilot, what="the v2 editor")
        editor: EditorV2Screen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)
        await pilot.press("ctrl+u", *str(source), "enter")
        await until(lambda: "yaml-iris" in editor.text, pilot=pilot, what="the loaded file")
        await settle(pilot)
        assert json.loads(editor.text)["services"][""]["scaling"]["max_replicas"] == 3
        assert editor.check.valid and editor.query_one("#f-name").value == "yaml-iris"
        assert editor.query_one(".svc.max").value == "3"
        await pilot.press("ctrl+t")
        await pilot.pause(0.3)
        await pilot.press("ctrl+u", *str(saved), "enter")
        await until(saved.exists, pilot=pilot, what="the saved file")
        assert yaml.safe_load(saved.read_text())["bento"] == f"iris_classifier:{version}"
        assert not saved.read_text().lstrip().startswith("{")


async def test_scaled_to_zero_shown_as_such_on_v2_only(cloud: LocalCloud, http: httpx.Client) -> None:
    """A running On-Demand Function at 0 replicas: `scaled-to-zero` in the v2 list (its own
    symbol), `running` in the v1 list (1.1 clients do not know the word)."""
    from tests.app.test_mutations import make_app
    from tests.support.app import create

    create(http, "zero-fn", mode="function", hpa_conf={"min_replicas": 0, "max_replicas": 1})
    await until(lambda: v2_get(http, "zero-fn")["status"] == "scaled-to-zero", what="at zero")
    for app, wanted, unwanted in ((v2_app(cloud)[0], "◍ scaled to 0", "● running"),
                                  (make_app(cloud)[0], "● running", "scaled to 0")):
        async with app.run_test(size=(80, 24)) as pilot:
            await on_list(app, pilot, "zero-fn")
            await until(lambda: "zero-fn" in screen_text(app), pilot=pilot, what="the row")
            line = next(row for row in screen_text(app).splitlines() if "zero-fn" in row)
            assert wanted in line and unwanted not in line, line


async def test_v2_detail_shows_services_with_instance_type_and_scaling(cloud: LocalCloud,
                                                                       http: httpx.Client) -> None:
    """The Overview on v2: each service with its instance type and min–max replicas, and the
    status as a v2 server says it."""
    from tests.support.app import create
    from tui.screens.detail import DetailScreen

    create(http, "svc-fn", mode="function", resource_instance="cpu.medium",
           hpa_conf={"min_replicas": 0, "max_replicas": 3})
    await until(lambda: v2_get(http, "svc-fn")["status"] == "scaled-to-zero", what="at zero")
    app = BentoTUI(local_context(cloud).model_copy(update={"api_version": "v2"}), settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_list(app, pilot, "svc-fn")
        select_row(screen, "svc-fn")
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, DetailScreen), pilot=pilot, what="the detail")
        await until(lambda: "Services" in screen_text(app), pilot=pilot, what="the services")
        text = screen_text(app)
        assert "◍ scaled to 0" in text
        services = v2_get(http, "svc-fn")["latest_revision"]["targets"][0]["config"]["services"]
        (name, service), = services.items()
        line = next(row for row in text.splitlines() if row.strip().startswith(name))
        assert service["instance_type"] == "cpu.medium" and "cpu.medium" in line and "0–3" in line, line


async def test_v2_diff_shows_services_and_rollback_puts_the_old_config(cloud: LocalCloud,
                                                                       http: httpx.Client) -> None:
    """On v2 the diff compares the revisions' v2 configs (services, scaling) and R sends the
    older one back with a PUT."""
    from tests.app.test_mutations import revisions
    from tui import actions
    from tui.screens.revision_diff import RevisionDiffScreen

    bento = f"iris_classifier:{bento_version(http)}"
    body = {"name": "diff-v2", "bento": bento, "services": {"": {"scaling": {"min_replicas": 1, "max_replicas": 2}}}}
    assert http.post(V2, params={"cluster": "default"}, json=body).status_code == 200
    body["services"][""]["scaling"]["max_replicas"] = 4
    body.pop("name")
    assert http.put(f"{V2}/diff-v2", params={"cluster": "default"}, json=body).status_code == 200
    app, _ = v2_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot, "diff-v2")
        client = app.session.client
        dep = await client.get_deployment("default", "diff-v2")
        newer, older = (await client.list_revisions("default", "diff-v2")).items[:2]
        actions.run(app, actions.diff_revisions, dep, newer.uid, older.uid)
        await until(lambda: isinstance(app.screen, RevisionDiffScreen), pilot=pilot, what="the diff")
        diff: RevisionDiffScreen = app.screen  # type: ignore[assignment]
        changed = [line for line in diff.lines if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        assert changed == ['-        "max_replicas": 2', '+        "max_replicas": 4'], diff.lines
        assert any('"scaling": {' in line for line in diff.lines)  # v2 shape, not hpa_conf
        await pilot.press("R")
        await until(lambda: isinstance(app.screen, ConfirmScreen), pilot=pilot, what="the confirm")
        await pilot.press("y")
        await until(lambda: len(revisions(http, "diff-v2")) == 3, pilot=pilot, what="a third revision")
        service = next(iter(v2_get(http, "diff-v2")["latest_revision"]["targets"][0]["config"]["services"].values()))
        assert service["scaling"]["max_replicas"] == 2


async def test_v2_form_problems_name_the_field_path_as_you_type(cloud: LocalCloud, http: httpx.Client) -> None:
    app, _ = v2_app(cloud)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_list(app, pilot)
        await pilot.press("n")
        await until(lambda: isinstance(app.screen, EditorV2Screen), pilot=pilot, what="the v2 editor")
        editor: EditorV2Screen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        await pilot.press(*"Bad_Name", "tab", *f"iris_classifier:{bento_version(http)}")
        editor.query_one(".svc.min").focus()
        await pilot.press("end", "backspace", "5")
        await settle(pilot)
        problems = editor.check.problems
        assert any(p.startswith("name:") for p in problems), problems
        assert any(p.startswith("services..scaling:") and "min_replicas (5)" in p for p in problems), problems
        assert "services..scaling" in screen_text(app) and editor.check_action("submit", ()) is None
        # the JSON pane broken: the form pauses and nothing typed is lost
        area = editor.json_area
        area.focus()
        area.cursor_location = (1, 0)
        await pilot.press(*"oops")
        await settle(pilot)
        assert editor.query_one("#form-fields").disabled and "line 2" in screen_text(app)
        assert editor.text.splitlines()[1].startswith("oops")


async def test_v2_envs_and_labels_are_lines_lossless_and_a_bad_line_is_kept(cloud: LocalCloud,
                                                                           http: httpx.Client) -> None:
    """Envs and labels are `KEY=value` lines: values with `,` `=` spaces and unicode reach the
    server as typed; a line that does not read is named, kept, and holds the submit back."""
    version = bento_version(http)
    app, opened = v2_app(cloud)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await on_list(app, pilot)
        await pilot.press("n")
        await until(lambda: isinstance(app.screen, EditorV2Screen), pilot=pilot, what="the v2 editor")
        editor: EditorV2Screen = app.screen  # type: ignore[assignment]
        await pilot.pause(0.2)
        await pilot.press(*"pairs-v2", "tab", *f"iris_classifier:{version}")
        await until(lambda: editor.query(".svc.envs .pairs-text"), pilot=pilot, what="the service rows")
        envs = editor.query_one(".svc.envs .pairs-text")
        envs.focus()
        await pilot.press(*"DSN=pg://h/db?a=1&b=2, c", "enter", *"no equals here", "enter",
                          *"HI=grüß, 世界 = ok ")
        await settle(pilot)
        assert "envs of the entry service: line 2: no '='" in "\n".join(editor.check.problems)
        assert editor.check_action("submit", ()) is None
        assert "line 2: no '='" in screen_text(app)
        assert envs.text.splitlines()[1] == "no equals here"  # kept as typed
        # fix line 2 by keys: the document takes all three, exactly
        envs.cursor_location = (1, 0)
        await pilot.press("shift+end", *"MODE=a b")
        await settle(pilot)
        assert editor.check.valid, editor.check.problems
        labels = editor.query_one("#f-labels .pairs-text")
        labels.focus()
        await pilot.press(*"team=ml, ops", "enter", *"note=ünïcode = fine")
        await settle(pilot)
        document = json.loads(editor.text)
        assert document["services"][""]["envs"] == [
            {"name": "DSN", "value": "pg://h/db?a=1&b=2, c"}, {"name": "MODE", "value": "a b"},
            {"name": "HI", "value": "grüß, 世界 = ok "}]
        assert document["labels"] == [{"key": "team", "value": "ml, ops"},
                                      {"key": "note", "value": "ünïcode = fine"}]
        assert editor.check.valid, editor.check.problems
        await pilot.press("ctrl+s")
        await until(lambda: opened == ["pairs-v2"], pilot=pilot, what="the created deployment")
    created = v2_get(http, "pairs-v2")
    assert created is not None
    config = created["latest_revision"]["targets"][0]["config"]
    assert next(iter(config["services"].values()))["envs"][0] == {"name": "DSN", "value": "pg://h/db?a=1&b=2, c"}
    assert {(label["key"], label["value"]) for label in created["labels"]} >= {("team", "ml, ops")}
