"""How a deployment status looks: a symbol (reads without colour) and a theme colour."""

from __future__ import annotations

from rich.text import Text

from tui.api.enums import MODE_TITLES, DeploymentMode, DeploymentStatus

S = DeploymentStatus

# symbol, style (Textual theme variables are not available to Rich text, so use ANSI names
# that every theme, the 16-colour ones included, maps sensibly)
STATUS_LOOK: dict[DeploymentStatus, tuple[str, str]] = {
    S.RUNNING: ("●", "green"),
    S.DEPLOYING: ("◐", "cyan"),
    S.IMAGE_BUILDING: ("◔", "cyan"),
    S.IMAGE_BUILD_SUCCEEDED: ("◑", "cyan"),
    S.UNHEALTHY: ("▲", "yellow"),
    S.FAILED: ("✖", "red"),
    S.IMAGE_BUILD_FAILED: ("✖", "red"),
    S.TERMINATING: ("◌", "magenta"),
    S.TERMINATED: ("○", "bright_black"),
    S.NON_DEPLOYED: ("○", "bright_black"),
    S.UNKNOWN: ("?", "bright_black"),
}

# Order used when sorting by status: what needs attention first.
STATUS_RANK = {
    S.FAILED: 0, S.IMAGE_BUILD_FAILED: 0, S.UNHEALTHY: 1, S.DEPLOYING: 2, S.IMAGE_BUILDING: 2,
    S.IMAGE_BUILD_SUCCEEDED: 2, S.TERMINATING: 3, S.RUNNING: 4, S.NON_DEPLOYED: 5,
    S.TERMINATED: 6, S.UNKNOWN: 7,
}

MODE_SHORT = {DeploymentMode.DEPLOYMENT: "Online", DeploymentMode.FUNCTION: "On-Demand"}


# v2 only: a running On-Demand Function resting at no replicas (its own look: not stopped).
SCALED_TO_ZERO_LOOK = ("◍", "blue")


def v2_status_text(status: str) -> Text:
    """A status as a v2 server says it (`scaled-to-zero` included)."""
    if status == "scaled-to-zero":
        symbol, style = SCALED_TO_ZERO_LOOK
        return Text(f"{symbol} scaled to 0", style=style)  # fits the 14-column status column
    try:
        return status_text(DeploymentStatus(status))
    except ValueError:
        return Text(f"? {status}", style="bright_black")


def status_text(status: DeploymentStatus) -> Text:
    symbol, style = STATUS_LOOK.get(status, ("?", ""))
    return Text(f"{symbol} {status.value}", style=style)


def mode_title(mode: DeploymentMode | None, short: bool = False) -> str:
    if mode is None:
        return "—"
    return (MODE_SHORT if short else MODE_TITLES)[mode]
