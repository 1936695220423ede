"""Status derivation from replica states (reference §12.3 plus the documented refinements)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tui.api.models import DeploymentStatus as S
from tui.localcloud.state.lifecycle import derive_status


@dataclass
class R:
    phase: str
    ready: bool = False
    terminating: bool = False
    restart_count: int = 0
    revision_uid: str = "rev2"
    runner_name: str | None = None


def status(replicas, previous=S.DEPLOYING, desired="running", mode="deployment", active=True):
    return derive_status(desired=desired, previous=previous, mode=mode, active_revision_uid="rev2",
                         replicas=replicas, runtime_active=active)


@pytest.mark.parametrize(
    "replicas, previous, expected",
    [
        ([R("Running", True)], S.DEPLOYING, S.RUNNING),
        ([R("Pending")], S.IMAGE_BUILDING, S.DEPLOYING),
        ([R("Running", False)], S.DEPLOYING, S.DEPLOYING),
        ([R("Running", True), R("Failed", restart_count=1)], S.RUNNING, S.UNHEALTHY),
        ([R("Failed", restart_count=1)], S.RUNNING, S.UNHEALTHY),
        ([R("Failed", restart_count=1)], S.DEPLOYING, S.DEPLOYING),
        ([R("Failed", restart_count=3)], S.DEPLOYING, S.FAILED),
        # scale-up of a serving deployment stays running
        ([R("Running", True), R("Pending")], S.RUNNING, S.RUNNING),
        # the API server is ready but its runner is still starting: not serving yet
        ([R("Running", True), R("Pending", runner_name="clf")], S.DEPLOYING, S.DEPLOYING),
        ([R("Running", True), R("Running", True, runner_name="clf")], S.DEPLOYING, S.RUNNING),
        # a rollout: only the old revision is ready
        ([R("Running", True, revision_uid="rev1"), R("Pending")], S.RUNNING, S.DEPLOYING),
        # rollout finishing: old replica terminating, new ready
        ([R("Running", True, terminating=True, revision_uid="rev1"), R("Running", True)],
         S.DEPLOYING, S.RUNNING),
    ],
)
def test_running_deployments(replicas, previous, expected) -> None:
    assert status(replicas, previous) is expected


def test_terminate() -> None:
    assert status([R("Running", True)], S.RUNNING, desired="terminated") is S.TERMINATING
    assert status([], S.TERMINATING, desired="terminated") is S.TERMINATED


def test_function_scaled_to_zero_is_still_running() -> None:
    assert status([R("Running", False, terminating=True)], S.RUNNING, mode="function") is S.RUNNING
    assert status([], S.RUNNING, mode="function") is S.RUNNING
    assert status([], S.RUNNING, mode="deployment") is S.RUNNING
    assert status([], S.DEPLOYING, mode="function") is S.DEPLOYING


def test_not_yet_handed_to_runtime_keeps_image_building() -> None:
    assert status([], S.IMAGE_BUILDING, active=False) is S.IMAGE_BUILDING
    assert status([], S.RUNNING, active=False) is S.NON_DEPLOYED
