"""The installed `bentotui --api-version v2` in a pty: create in the v2 editor, watch it run,
terminate and delete, by keys alone at 80x24 (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.pty import BENTOTUI, Pty


@pytest.mark.timeout(120)
def test_v2_create_run_terminate_delete_by_keys(tmp_path: Path, env: dict[str, str],
                                                 control_plane_cleanup: list[int]) -> None:
    term = Pty([str(BENTOTUI), "--local", "--api-version", "v2"], env, cwd=tmp_path)
    try:
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
    except BaseException:
        print(f"the screen when the test failed:\n{term.dump()}")
        raise
    finally:
        term.close()
