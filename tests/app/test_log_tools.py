"""Issue 15 item 5: the Logs tab's tools against a real local control plane: all replicas
merged with a `name | ` prefix, search with next/previous, timestamps on/off, save to a file.
(The logs of exited replicas: tests/app/test_exited_logs.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.app.test_detail import open_detail, screen_text
from tests.harness import LocalCloud, wait_for
from tests.support.app import create, local_context, until
from tui.app import BentoTUI
from tui.screens.detail import merged_label
from tui.screens.file_prompt import FilePrompt
from tui.widgets.log_tools import ALL_REPLICAS, merge_by_time, prefixed, without_stamp

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def test_merge_keeps_time_order_and_tracebacks_together() -> None:
    a = ["2026-12-03T08:00:01.000Z INFO a1", "  Traceback line", "2026-12-03T08:00:03.000Z INFO a2"]
    b = ["2026-12-03T08:00:02.000Z INFO b1"]
    merged = merge_by_time([prefixed("api", a), prefixed("run", b)])
    assert merged == ["api | 2026-12-03T08:00:01.000Z INFO a1", "api |   Traceback line",
                      "run | 2026-12-03T08:00:02.000Z INFO b1", "api | 2026-12-03T08:00:03.000Z INFO a2"]
    assert without_stamp(merged[0]) == "api | INFO a1"
    assert without_stamp("no time here 2026-12-03T08:00:01Z x") == "no time here 2026-12-03T08:00:01Z x"


def log_rows(app: BentoTUI) -> list[str]:
    """The lines of the log pane on screen (below the tab's bar, above the footer)."""
    lines = screen_text(app).splitlines()
    return [line for line in lines[6:-1] if line.strip()]


async def test_merged_search_timestamps_and_save(cloud: LocalCloud, http: httpx.Client,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    create(http, "logtools")
    wait_for(lambda: http.get(f"{NS}/logtools").json()["status"] == "running", 60, what="running")
    url = http.get(f"{NS}/logtools").json()["urls"][0]
    for _ in range(40):  # a log longer than the screen: one line per request, in each replica
        assert httpx.post(f"{url}/classify", json=[[5.1, 3.5, 1.4, 0.2]], timeout=10).status_code == 200
    app = BentoTUI(local_context(cloud))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_detail(app, pilot, "logtools")
        await pilot.press("l")
        logs = screen.logs_view
        await until(lambda: logs.pod_name and "Listening on" in logs.text, 20, pilot, "a replica's log")
        assert "all 2 replicas, merged" in [str(label) for label, _ in logs._options]

        # merged: both replicas in one view, each line after its name
        await pilot.press("p")
        await pilot.pause(0.2)
        await pilot.press("end", "enter")
        await until(lambda: logs.pod_name == ALL_REPLICAS and "[api-server" in logs.text
                    and "[runner" in logs.text, 20, pilot, "the merged log")
        assert all(" | " in line for line in logs.lines)
        names = {line.split(" | ")[0].strip() for line in logs.lines}
        assert names == {merged_label(p) for p in screen.pods}, names
        assert any(n.startswith("api-") for n in names)

        # timestamps off and on again
        await until(lambda: any(STAMP.search(row) for row in log_rows(app)), 5, pilot, "stamps shown")
        await pilot.press("T")
        await until(lambda: not any(STAMP.search(row) for row in log_rows(app)), 5, pilot, "stamps hidden")
        assert "no timestamps" in screen_text(app)
        await pilot.press("T")
        await until(lambda: any(STAMP.search(row) for row in log_rows(app)), 5, pilot, "stamps back")

        # search: / then enter jumps to the newest match; n / N move between matches
        await pilot.press("slash")
        await until(lambda: logs.search_box.has_focus, 5, pilot, "the search box")
        await pilot.press(*"classify", "enter")
        await until(lambda: logs.match_line is not None, 5, pilot, "a match")
        matches = [i for i, line in enumerate(logs.lines) if "classify" in line.lower()]
        assert len(matches) >= 2 and logs.match_line == matches[-1]
        assert not logs.following and f"match {len(matches)}/{len(matches)}" in screen_text(app)
        await pilot.press("N")
        assert logs.match_line == matches[-2]
        await pilot.press("n")
        assert logs.match_line == matches[-1]
        await pilot.press("n")  # wraps to the first
        assert logs.match_line == matches[0]
        # with wrap on, a jump still lands on the match (long merged lines take several rows)
        await pilot.press("w")
        await pilot.press(*["N"] * 11)
        await pilot.pause(0.2)
        assert logs.wrap and logs.match_line == matches[-11]
        target = logs.lines[matches[-11]]
        assert target[:40] in "\n".join(log_rows(app)), (target, log_rows(app))
        await pilot.press("w")
        await pilot.press("escape")  # clears the search, stays on the tab
        assert not logs.search and screen.active_tab == "logs"

        # save: ctrl+s proposes a file under the current directory, enter saves there
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, FilePrompt), 5, pilot, "the path prompt")
        default = Path(app.screen.default)
        assert default.parent == tmp_path and default.name.startswith("logtools-all-")
        await pilot.press("enter")
        await until(lambda: "Saved" in screen_text(app), 5, pilot, "where it saved")
        saved = default.read_text().splitlines()
        assert saved[: len(logs.lines)] == list(logs.lines)[: len(saved)] and len(saved) >= 2
