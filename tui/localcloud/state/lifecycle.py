"""Deployment status derived from what the replicas really do.

Yatai's sync rules (reference §12.3), applied to our replica processes, with two refinements
the local runtime can afford because it knows more than a pod informer:

* a replica that crashed and waits in back-off keeps a deployment that was serving
  `unhealthy` (it is being restarted), rather than `failed`; a deployment that never became
  ready and keeps crashing is `failed` after a few restarts;
* extra replicas starting during a scale-up do not turn a serving deployment into
  `deploying`; only a rollout to a new revision does;
* `running` needs a ready replica of every component: an API server whose runner is still
  starting cannot answer yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tui.api.models import DeploymentStatus as S

# Restarts without ever becoming ready after which a deployment counts as failed.
CRASH_LOOP_RESTARTS = 3

SERVING = {S.RUNNING, S.UNHEALTHY}


class ReplicaState(Protocol):
    phase: str
    ready: bool
    terminating: bool
    restart_count: int
    revision_uid: str
    runner_name: str | None


def derive_status(
    *,
    desired: str,
    previous: S,
    mode: str,
    active_revision_uid: str | None,
    replicas: Sequence[ReplicaState],
    runtime_active: bool,
) -> S:
    """The status a deployment has now.

    `desired` is 'running' or 'terminated'; `runtime_active` says whether the runtime holds the
    deployment (False before `apply` and after `stop`).
    """
    live = [r for r in replicas if r.phase not in ("Succeeded",)]
    if desired == "terminated":
        return S.TERMINATING if live else S.TERMINATED
    if previous in (S.IMAGE_BUILDING, S.IMAGE_BUILD_FAILED) and not runtime_active:
        return previous
    if not live:
        if not runtime_active:
            return S.NON_DEPLOYED if previous not in (S.DEPLOYING,) else previous
        if mode == "function" and previous in SERVING | {S.RUNNING}:
            return S.RUNNING  # scaled to zero: still serving, cold start on demand
        return S.DEPLOYING if previous not in SERVING else previous

    current = [r for r in live if not r.terminating]
    if not current:  # only replicas on their way out: a scale-down (to zero) or a rollout
        return previous if previous in SERVING else S.DEPLOYING
    failed = [r for r in current if r.phase == "Failed"]
    ready = [r for r in current if r.phase == "Running" and r.ready]
    pending = [r for r in current if r not in failed and r not in ready]
    rolling_out = any(
        r.revision_uid != active_revision_uid for r in live
    ) or not any(r.revision_uid == active_revision_uid for r in ready)
    # Serving needs every component (the API server and each runner) to have a ready replica.
    components = {r.runner_name for r in current}
    all_components_ready = components <= {r.runner_name for r in ready}

    if failed:
        if ready:
            return S.DEPLOYING if pending and rolling_out else S.UNHEALTHY
        if previous in SERVING:
            return S.UNHEALTHY
        if max(r.restart_count for r in failed) >= CRASH_LOOP_RESTARTS:
            return S.FAILED
        return S.DEPLOYING
    if pending:
        if ready and not rolling_out and all_components_ready:
            return S.RUNNING
        return S.DEPLOYING
    if ready:
        return S.RUNNING
    return S.FAILED
