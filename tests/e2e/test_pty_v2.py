"""The installed `bentotui` in a pty, in its default mode (auto: the local control plane answers
v2): create in the v2 editor, watch it run, edit a label in the form, terminate, start, terminate
and delete, by keys alone at 80x24 (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.pty import BENTOTUI, Pty


@pytest.mark.timeout(240)
def test_v2_create_run_terminate_delete_by_keys(tmp_path: Path, env: dict[str, str],
                                                 control_plane_cleanup: list[int]) -> None:
    with Pty([str(BENTOTUI), "--local"], env, cwd=tmp_path) as term:  # --api-version auto
        term.wait_for(lambda s: "NAME" in s and "0 deployments" in s, "the empty list", timeout=40)
        home = Path(env["BENTOTUI_HOME"])
        server = json.loads((home / "server.json").read_text())
        control_plane_cleanup.append(server["pid"])
        term.press("n")
        term.wait_for_text("deploy -f document (v2)")
        term.press(*"e2e-v2")
        term.press("\x06")  # ctrl+f: find a bento
        term.wait_for_text("Pick a bento")
        term.press(*"iris")
        term.wait_for(lambda s: "iris_classifier" in s and "sentiment" not in s, "the search")
        term.press("\r")
        term.wait_for_text("Pick a version of iris_classifier")
        term.press("\r")
        term.wait_for(lambda s: "valid" in s and "Pick a" not in s, "a valid document")
        term.press("\x13")  # ctrl+s: create (POST /api/v2/deployments)
        term.wait_for(lambda s: "e2e-v2" in s.splitlines()[1] and "Overview" in s,
                      "the detail screen of e2e-v2")
        token = (home / "token").read_text().strip()
        with httpx.Client(base_url=server["endpoint"], headers={"X-YATAI-API-TOKEN": token},
                          timeout=30) as http:
            made = http.get("/api/v2/deployments/e2e-v2", params={"cluster": "default"}).json()
        assert made["latest_revision"]["targets"][0]["config"]["services"], made
        term.wait_for(lambda s: "running" in s.splitlines()[1], "e2e-v2 to be running", timeout=30)
        # edit in the v2 form: a label whose value holds a comma (a KEY=value line), then PUT
        term.press("e")
        term.wait_for(lambda s: "Edit e2e-v2" in s and "✓ valid" in s, "the editor, ready")
        unfocused = labels_background(term)
        for _ in range(8):  # bento → Find… → access → secrets → labels; a tab is lost now and then
            term.press("\t")
            try:
                term.wait_for(lambda s: labels_background(term) != unfocused, "the labels box focused",
                              timeout=2)
                break
            except AssertionError:
                continue
        term.press(*"team=ml, ops")
        term.wait_for(lambda s: "team=ml, ops" in (term.line_with("Labels") or "") and "✓ valid" in s,
                      "the label typed in its box")
        term.press("\x13")  # ctrl+s: update (PUT /api/v2/deployments/e2e-v2)
        term.wait_for(lambda s: "Edit e2e-v2" not in s, "the editor closed")
        with httpx.Client(base_url=server["endpoint"], headers={"X-YATAI-API-TOKEN": token},
                          timeout=30) as http:
            edited = http.get("/api/v2/deployments/e2e-v2", params={"cluster": "default"}).json()
        assert {"key": "team", "value": "ml, ops"} in edited["labels"], edited["labels"]
        term.press("t")
        term.wait_for_text("Type the name e2e-v2 to confirm")
        term.press(*"e2e-v2", "\r")
        term.wait_for(lambda s: "terminated" in s.splitlines()[1], "e2e-v2 terminated", timeout=30)
        term.press("r")  # 1.4's start
        term.wait_for_text("Start e2e-v2")
        term.press("y")
        term.wait_for(lambda s: "running" in s.splitlines()[1], "e2e-v2 running again", timeout=60)
        term.press("t")
        term.wait_for_text("Type the name e2e-v2 to confirm")
        term.press(*"e2e-v2", "\r")
        term.wait_for(lambda s: "terminated" in s.splitlines()[1], "e2e-v2 terminated", timeout=30)
        term.press("D")
        term.wait_for_text("Type the name e2e-v2 to confirm")
        term.press(*"e2e-v2", "\r")
        term.wait_for(lambda s: "0 deployments" in s and term.line_with("e2e-v2") is None,
                      "the list without e2e-v2")
        term.press("q")
        assert term.wait_exit() == 0


def labels_background(term: Pty) -> str | None:
    """The background of the v2 form's Labels box (it changes when the box has the focus)."""
    row = next((y for y, line in enumerate(term.screen.display) if line.startswith(" Labels")), None)
    return None if row is None else term.screen.buffer[row][16].bg
