"""The deployment enums, without pydantic: the first paint of the list (tui/api/slim_rows.py)
shows statuses and modes before pydantic and the models are imported (~85 ms of a start).
`tui.api.models` re-exports them, so there is one of each."""

from __future__ import annotations

from enum import Enum


class DeploymentStatus(str, Enum):
    UNKNOWN = "unknown"
    NON_DEPLOYED = "non-deployed"
    RUNNING = "running"
    UNHEALTHY = "unhealthy"
    FAILED = "failed"
    DEPLOYING = "deploying"
    TERMINATING = "terminating"
    TERMINATED = "terminated"
    IMAGE_BUILDING = "image-building"
    IMAGE_BUILD_FAILED = "image-build-failed"
    IMAGE_BUILD_SUCCEEDED = "image-build-succeeded"


class DeploymentMode(str, Enum):
    DEPLOYMENT = "deployment"  # "Online Service": never scales to zero
    FUNCTION = "function"  # "On-Demand Function": may scale to zero, requests queued


MODE_TITLES = {
    DeploymentMode.DEPLOYMENT: "Online Service",
    DeploymentMode.FUNCTION: "On-Demand Function",
}
