"""The pure parts of watch and alerts (issue 15): which changes are alerts, the desktop
notification text, the `[alerts]` settings and the watched-set file."""

from __future__ import annotations

from pathlib import Path

from tui.alerts import desktop_sequences
from tui.config import load_settings
from tui.monitor import Change, Snapshot, alert_reason, describe
from tui.watchlist import load_watched, save_watched


def test_which_changes_are_alerts() -> None:
    base = Snapshot(name="d", status="running", replicas_ready=1, replicas_desired=1)
    assert describe(None, base) == ("current", "status running")
    assert alert_reason(Change(Snapshot(name="d", status="failed"), "current", "")) is None
    for bad in ("failed", "unhealthy", "image-build-failed"):
        event = describe(base, Snapshot(name="d", status=bad, replicas_ready=1, replicas_desired=1))
        assert event is not None and alert_reason(Change(base, *event)) is None  # base: running
        new = Snapshot(name="d", status=bad)
        assert alert_reason(Change(new, "status", "")) == f"turned {bad}"
    assert alert_reason(Change(base, "status", "")) is None  # back to running: no alert
    # the first pods list is the baseline: restarts before it are not news
    seen = describe(base, Snapshot(name="d", status="running", replicas_ready=1,
                                   replicas_desired=1, restarts=3, pods_known=True))
    assert seen is None
    known = Snapshot(name="d", status="running", replicas_ready=1, replicas_desired=1,
                     restarts=3, pods_known=True)
    restarted = describe(known, Snapshot(**{**known.__dict__, "restarts": 4}))
    assert restarted is not None and restarted[0] == "restart"
    assert alert_reason(Change(known, *restarted)) == restarted[1]
    backing = describe(known, Snapshot(**{**known.__dict__, "backing_off": True}))
    assert backing is not None and backing[0] == "backoff" and alert_reason(Change(known, *backing))
    scaled = describe(known, Snapshot(**{**known.__dict__, "replicas_desired": 2}))
    assert scaled == ("replicas", "replicas 1/1 -> 1/2")
    assert alert_reason(Change(known, *scaled)) is None


def test_desktop_notification_text_cannot_end_the_sequence() -> None:
    out = desktop_sequences("bentotui: evil\x1b\\\x07", "reason;with\x1b]52;c;AAAA\x07")
    osc777, osc9, rest = out.split("\x1b\\")
    body = osc777.removeprefix("\x1b]777;notify;")
    # exactly two sequences, each ended once: no ESC or BEL of the server's text survives
    assert out.count("\x1b") == 4 and "\x07" not in out
    assert body.count(";") == 1  # title;body of OSC 777, the `;` of the text replaced
    assert osc9.startswith("\x1b]9;bentotui: evil") and rest == ""


def test_alerts_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert load_settings(path).alert_desktop is False  # off by default
    path.write_text("[alerts]\nerror_rate = 0.1\ndesktop = true\n")
    settings = load_settings(path)
    assert (settings.alert_error_rate, settings.alert_desktop, settings.problems) == (0.1, True, [])
    path.write_text('[alerts]\nerror_rate = 5\ndesktop = "yes"\nloud = 1\n')
    settings = load_settings(path)
    assert settings.alert_error_rate is None and settings.alert_desktop is False
    assert len(settings.problems) == 3 and "alerts.error_rate" in settings.problems[0]


def test_watched_file_per_endpoint_and_cluster(tmp_path: Path) -> None:
    path = tmp_path / "watched.json"
    save_watched("http://a/", "default", {"x", "y"}, path)
    save_watched("http://b", "default", {"z"}, path)
    assert load_watched("http://a", "default", path) == {"x", "y"}
    assert load_watched("http://b", "other", path) == set()
    save_watched("http://a", "default", set(), path)
    assert load_watched("http://a", "default", path) == set()
    assert load_watched("http://b", "default", path) == {"z"}
    path.write_text("not json")
    assert load_watched("http://b", "default", path) == set()  # unreadable: empty, no crash
