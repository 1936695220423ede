"""Messages screens post to the app (and the app to its header).

Screens never import the flows (tui/actions.py) or the app: they post one of these and the app
routes it (`BentoTUI.on_flow_requested`, `on_open_deployment`), so dependencies run one way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from textual.message import Message
from textual.worker import Worker

if TYPE_CHECKING:
    from tui.api import models as m

ConnectionState = Literal["connecting", "connected", "reconnecting", "offline", "refused"]
# The flows of tui/actions.py a screen may ask for (`FLOWS` there maps each to its coroutine).
Flow = Literal["new", "edit", "terminate", "delete", "restore", "interact", "rollback", "diff",
               "restart_replica", "scale"]


class ConnectionChanged(Message):
    """A stream or request learned something about the connection to the server."""

    def __init__(self, state: ConnectionState, detail: str | None = None) -> None:
        super().__init__()
        self.state = state
        self.detail = detail


class OpenDeployment(Message):
    """Ask the app to show a deployment's detail screen (unless the top screen shows it)."""

    def __init__(self, deployment: m.DeploymentSchema) -> None:
        super().__init__()
        self.deployment = deployment


class FlowRequested(Message):
    """Ask the app to run a flow on the deployment captured when the key was pressed.

    `args` are the flow's further arguments (revisions for rollback and diff); `done`, if
    given, is called with the flow's result (None when refused, cancelled or failed)."""

    def __init__(self, flow: Flow, deployment: m.DeploymentSchema | None = None, *args: Any,
                 done: Callable[[Any], object] | None = None) -> None:
        super().__init__()
        self.flow = flow
        self.deployment = deployment
        self.args = args
        self.done = done


class WorkerFailed(Message):
    """A worker of a screen raised: the app says so, in one place (`BentoTUI.on_worker_failed`).

    `where` names what the screen shows (a deployment's name, a screen's title) for the
    notification's title."""

    def __init__(self, worker: Worker[Any], where: str) -> None:
        super().__init__()
        self.worker = worker
        self.where = where
