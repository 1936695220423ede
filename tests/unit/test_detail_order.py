"""The detail screen never goes back to an older state of its deployment.

Its GET is sent as the screen opens but read after the first paint; a push read meanwhile may be
newer (a deployment coming up turns `running`).  Found in the pty e2e test: the detail stayed on
`deploying` while its replicas were ready.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tui.api import models as m
from tui.screens.detail import _older

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def state(status: str, seconds: float | None) -> m.DeploymentSchema:
    user = {"name": "root", "uid": "u1", "updated_at": T0.isoformat()}
    return m.DeploymentSchema.model_validate({
        "uid": "d1", "name": "dep", "resource_type": "deployment", "created_at": T0.isoformat(),
        "updated_at": None if seconds is None else (T0 + timedelta(seconds=seconds)).isoformat(),
        "status": status, "kube_namespace": "yatai", "creator": user,
        "cluster": {"uid": "c1", "name": "default", "resource_type": "cluster",
                    "created_at": T0.isoformat(), "updated_at": T0.isoformat(), "creator": user},
    })


def test_an_older_answer_does_not_replace_a_newer_push() -> None:
    pushed_running = state("running", 2.0)
    got_deploying = state("deploying", 1.0)
    assert _older(got_deploying, pushed_running)
    assert not _older(pushed_running, got_deploying)


def test_the_same_moment_or_an_unknown_one_is_applied() -> None:
    assert not _older(state("running", 1.0), state("deploying", 1.0))
    assert not _older(state("running", None), state("deploying", 1.0))
    assert not _older(state("running", 1.0), state("deploying", None))
    assert not _older(state("running", 1.0), None)
