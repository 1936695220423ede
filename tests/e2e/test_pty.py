"""End to end: the installed `bentotui` in a real pseudo-terminal, read back with pyte.

Nothing is set up beforehand: no context file exists, so `bentotui` starts the local control
plane in the background by itself, as on a fresh machine.  The test drives it with keys as a
person would and reads what an 80x24 xterm would show.  Afterwards it stops the control
plane with `bentotui local stop` and checks that no process it caused is left.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.app import create
from tests.support.processes import alive, wait_gone
from tests.support.pty import BENTOTUI, Pty


@pytest.mark.timeout(90)
def test_installed_bentotui_in_a_pty(tmp_path: Path, env: dict[str, str],
                                     control_plane_cleanup: list[int]) -> None:
    assert BENTOTUI.exists(), f"the console script is not installed at {BENTOTUI}"
    home = Path(env["BENTOTUI_HOME"])
    assert not (Path(env["BENTOML_HOME"]) / ".yatai.yaml").exists()
    with Pty([str(BENTOTUI)], env, cwd=tmp_path) as term:
        # 1. it starts the local control plane itself and shows the (empty) list
        term.wait_for(lambda s: "NAME" in s and "STATUS" in s and "0 deployments" in s,
                      "the empty list", timeout=40)
        server = json.loads((home / "server.json").read_text())
        daemon = server["pid"]
        control_plane_cleanup.append(daemon)
        assert daemon != term.proc.pid
        top = term.screen.display[0]
        assert "bentotui" in top and "local" in top and "connected" in top, top
        token = (home / "token").read_text().strip()
        assert token not in bytes(term.raw).decode("utf-8", "replace")

        # 2. deployments created elsewhere (the HTTP API) appear and go live without a key
        with httpx.Client(base_url=server["endpoint"], headers={"X-YATAI-API-TOKEN": token},
                          timeout=30) as http:
            create(http, "e2e-idle", deploy=False)
            create(http, "e2e-iris")
        term.wait_for_text("e2e-iris")
        term.wait_for(lambda s: "running" in (term.line_with("e2e-iris") or ""),
                      "e2e-iris to be running", timeout=30)
        assert "non-deployed" in (term.line_with("e2e-idle") or "")
        # waited for, not read at once: the frame's bytes can arrive in two reads, the rows'
        # lines before the summary's (once under load: both rows shown, "1 deployment")
        term.wait_for(lambda s: "2 deployments" in s, "the summary to count both", timeout=5)
        control_plane_cleanup.extend(p.pid for p in psutil.Process(daemon).children(recursive=True))

        # 3. `/` filters as you type; esc clears it
        term.press("/")
        term.wait_for_text("filter:")  # the filter box's placeholder
        term.press(*"e2e-ir")  # (not "iris": both run the iris_classifier bento)
        term.wait_for(lambda s: "1 of 2 deployments match" in s and term.line_with("e2e-idle") is None,
                      "the filter to leave only e2e-iris")
        assert term.line_with("e2e-iris") is not None
        term.press("\x1b")
        term.wait_for(lambda s: "match" not in s and term.line_with("e2e-idle") is not None,
                      "esc to clear the filter")

        # 4. `?` shows the keys of the list; esc closes it
        term.press("?")
        term.wait_for_text("Keys: Deployments")
        assert "Action" in term.text() and "Binding id" in term.text()
        term.press("\x1b")
        term.wait_for(lambda s: "Keys: Deployments" not in s and "2 deployments" in s,
                      "the help to close")

        # 5. by keys alone: create in the editor, watch it come up, terminate, delete
        term.press("n")
        term.wait_for_text("New deployment")
        term.press(*"e2e-keys")
        term.press("\x06")  # ctrl+f: find a bento
        term.wait_for_text("Pick a bento")
        term.press(*"iris")
        term.wait_for(lambda s: "iris_classifier" in s and "sentiment" not in s, "the search")
        term.press("\r")
        term.wait_for_text("Pick a version of iris_classifier")
        term.press("\r")
        term.wait_for(lambda s: "valid" in s and "Pick a" not in s, "a valid document")
        term.press("\x13")  # ctrl+s: create
        term.wait_for(lambda s: "e2e-keys" in s.splitlines()[1] and "Overview" in s,
                      "the detail screen of e2e-keys")
        term.wait_for(lambda s: "running" in s.splitlines()[1], "e2e-keys to be running", timeout=30)
        term.press("t")
        term.wait_for_text("Type the name e2e-keys to confirm")
        term.press(*"e2e-keys", "\r")
        term.wait_for(lambda s: "terminated" in s.splitlines()[1], "e2e-keys to be terminated",
                      timeout=30)
        term.press("D")
        term.wait_for_text("Type the name e2e-keys to confirm")
        term.press(*"e2e-keys", "\r")
        # no row starts with the name (the "Deleted e2e-keys …" toast may still quote it)
        term.wait_for(lambda s: "2 deployments" in s and not any(
            line.lstrip("| ").startswith("e2e-keys") for line in s.splitlines()), "the list without e2e-keys")

        # 6. `q` quits with status 0 and gives the terminal back
        term.press("q")
        assert term.wait_exit() == 0
        assert b"\x1b[?1049l" in term.raw, "the alternate screen was not left"

    # 7. the control plane outlives the TUI (it is a daemon); `local stop` ends it and its replicas
    started = list(control_plane_cleanup)
    assert alive([daemon]), "the control plane should keep running after the TUI quits"
    stop = subprocess.run([str(BENTOTUI), "local", "stop"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert stop.returncode == 0 and "stopped" in stop.stdout, stop
    assert wait_gone(started) == [], f"processes left after `bentotui local stop`: {alive(started)}"
    assert not (home / "server.json").exists()
