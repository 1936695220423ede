"""Issue 15 item 1 end to end: the installed `bentotui` in an 80x24 pty, `p` opens the pulse,
a change made elsewhere shows there without a key, and an idle pulse writes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from tests.support.app import create
from tests.support.processes import local_api
from tests.support.pty import BENTOTUI, Pty

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


@pytest.mark.timeout(120)
def test_pulse_in_a_pty(tmp_path: Path, env: dict[str, str],
                        control_plane_cleanup: list[int]) -> None:
    with Pty([str(BENTOTUI)], env, cwd=tmp_path) as term:
        term.wait_for(lambda s: "NAME" in s and "0 deployments" in s, "the empty list", timeout=40)
        with local_api(env, control_plane_cleanup) as http:
            create(http, "pp-idle", deploy=False)
            create(http, "pp-iris")
            term.wait_for(lambda s: "running" in (term.line_with("pp-iris") or ""), "pp-iris running", 40)
            daemon = psutil.Process(control_plane_cleanup[0])  # local_api put the daemon's pid first
            control_plane_cleanup.extend(p.pid for p in daemon.children(recursive=True))

            term.press("p")
            term.wait_for(lambda s: "2 deployments · 1/1 replicas ready" in s, "the pulse summary")
            term.wait_for(lambda s: "▁" in (term.line_with("pp-iris") or ""), "pp-iris's sparklines", 20)
            assert "—" in (term.line_with("pp-idle") or "")
            rows = [i for i, line in enumerate(term.screen.display) if "pp-" in line]
            assert "pp-iris" in term.screen.display[rows[0]], "running before non-deployed"

            # idle: nothing changes, nothing is written (metrics polls included)
            time.sleep(1.0)
            term.pump(0.2)
            before = len(term.raw)
            end = time.monotonic() + 6.0  # longer than the metrics interval
            while time.monotonic() < end:
                term.pump(0.1)
            assert len(term.raw) == before, bytes(term.raw[before:before + 300])

            # live: terminated elsewhere, the pulse shows it without a key
            assert http.post(f"{NS}/pp-iris/terminate").status_code == 200
            term.wait_for(lambda s: "terminat" in (term.line_with("pp-iris") or ""), "terminated", 30)
        term.press("\x1b")
        term.wait_for(lambda s: "2 deployments · sorted" in s, "the list again")
        term.press("q")
        assert term.wait_exit() == 0
