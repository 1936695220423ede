"""SVG snapshots of the real app against a real local control plane with fixed deployments.

Determinism:

- the data is fixed: two deployments created with `do_not_deploy` (status `non-deployed`
  never changes), one terminated, and one running with one replica (waited for before the
  app starts, so it is `running` 1/1 in every run);
- what differs between runs anyway (times, the endpoint's port, uids, bento versions, Rich's
  per-export ids) is rewritten by `normalize` (tests/snapshots/svg.py);
- relative ages ("(5m ago)") are computed against a clock frozen 1h2m after the newest
  timestamp of the data (`frozen_clock`), so they read "1h2m" in every run;
- the theme is fixed to `textual-dark` (see `THEME`), the cursor does not blink, and a
  screenshot is taken only once two consecutive renders agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from syrupy.assertion import SnapshotAssertion
from textual.widgets import Input, TextArea

from tests.harness import LocalCloud, wait_for
from tests.snapshots.svg import SVGImageExtension
from tests.support.app import bento_version, create
from tests.support.snapshots import NS, RUNNING, SnapshotCloud, status_of


@pytest.fixture
def svg_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(SVGImageExtension)


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A focused Input / TextArea keeps its cursor drawn instead of toggling it every 0.5 s."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture(scope="module")
def snapshot_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotCloud]:
    cloud = LocalCloud(tmp_path_factory.mktemp("snapshot-cloud")).start()
    try:
        with cloud.client() as http:
            create(http, RUNNING)
            wait_for(lambda: status_of(http, RUNNING) == "running", 30, what=f"{RUNNING} running")
            create(http, "iris-retired", deploy=False)
            assert http.post(f"{NS}/iris-retired/terminate").status_code == 200
            wait_for(lambda: status_of(http, "iris-retired") == "terminated", 15, what="terminated")
            create(http, "sentiment-fn", repo="sentiment", mode="function", deploy=False)
            create(http, "iris-staging", deploy=False)
            known = [bento_version(http, "iris_classifier"), bento_version(http, "sentiment")]
            running = http.get(f"{NS}/{RUNNING}").json()
            assert running["replicas"] == {"ready": 1, "desired": 1}, running["replicas"]
            stamps = [datetime.fromisoformat(d[key].replace("Z", "+00:00"))
                      for d in http.get("/api/v1/clusters/default/deployments", params={"count": 100}).json()["items"]
                      for key in ("created_at", "updated_at") if d.get(key)]
            assert max(stamps) - min(stamps) < timedelta(seconds=50), "seeding took too long"
        yield SnapshotCloud(cloud, known, now=max(stamps) + timedelta(hours=1, minutes=2))
    finally:
        cloud.stop()


@pytest.fixture(autouse=True)
def frozen_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """`now` for relative ages ("5m ago"), fixed relative to the data (see `SnapshotCloud.now`)."""
    if "snapshot_cloud" not in request.fixturenames:
        return
    frozen = request.getfixturevalue("snapshot_cloud").now
    for module in ("tui.widgets.humanize", "tui.screens.detail"):
        try:
            target = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(target, "now_utc"):
            monkeypatch.setattr(target, "now_utc", lambda: frozen)
