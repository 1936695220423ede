"""Which deployment API an endpoint speaks, cheap to import: no v2 models.

The start path needs this much of v2 before the first list is painted (the question, asked
beside the first requests, and the one status v1 has no word for); the v2 models, conversions
and calls (`models_v2`, `flavours`, `client_v2`) load when a v2 screen or action needs them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from tui.api.enums import DeploymentMode, DeploymentStatus

if TYPE_CHECKING:
    from tui.api.client import BentoCloudClient
    from tui.api.slim_rows import ListedDeployment

Flavour = Literal["v1", "v2"]
FLAVOURS: tuple[Flavour, ...] = ("v1", "v2")
V2_BASE = "/api/v2/deployments"
SCALED_TO_ZERO = "scaled-to-zero"  # a v2 status: a running On-Demand Function at zero replicas

_detected: dict[str, Flavour] = {}  # endpoint -> flavour, asked once per process
_detect_locks: dict[str, asyncio.Lock] = {}


def parse_flavour(value: str | None) -> Flavour | None:
    """An override from a flag or a context: "v1", "v2", or None/"" / "auto" (detect)."""
    if value in (None, "", "auto"):
        return None
    for flavour in FLAVOURS:
        if value == flavour:
            return flavour
    raise ValueError(f"api version must be v1 or v2, not {value!r}")


async def api_flavour(client: BentoCloudClient, override: str | None = None) -> Flavour:
    """The endpoint's API flavour: the override if given, else detected once per endpoint."""
    forced = parse_flavour(override)
    if forced is not None:
        return forced
    if client.endpoint in _detected:
        return _detected[client.endpoint]
    async with _detect_locks.setdefault(client.endpoint, asyncio.Lock()):
        if client.endpoint not in _detected:
            _detected[client.endpoint] = await _detect(client)
    return _detected[client.endpoint]


async def _detect(client: BentoCloudClient) -> Flavour:
    response = await client._send("GET", V2_BASE, params={"count": 1})
    if response.status_code == 200:
        return "v2"
    if response.status_code in (404, 405):
        return "v1"
    raise client._error_for("GET", V2_BASE, response)  # 403, 5xx: say so, do not guess


def forget_flavour(endpoint: str) -> None:
    """Ask again next time (after the endpoint was upgraded, say)."""
    _detected.pop(endpoint.rstrip("/"), None)


def v2_status(d: ListedDeployment) -> str:
    """The status a v2 server reports for a deployment read through v1: `scaled-to-zero` for a
    running On-Demand Function with no replica ready or wanted (the replica counts are the
    local control plane's extension; without them the v1 status stands)."""
    at_zero = (d.status == DeploymentStatus.RUNNING and d.mode == DeploymentMode.FUNCTION
               and d.replicas is not None and d.replicas.desired == 0 and d.replicas.ready == 0)
    return SCALED_TO_ZERO if at_zero else d.status.value
