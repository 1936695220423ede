"""Messages screens post to the app (and the app to its header)."""

from __future__ import annotations

from typing import Literal

from textual.message import Message

ConnectionState = Literal["connecting", "connected", "reconnecting", "offline", "refused"]


class ConnectionChanged(Message):
    """A stream or request learned something about the connection to the server."""

    def __init__(self, state: ConnectionState, detail: str | None = None) -> None:
        super().__init__()
        self.state = state
        self.detail = detail


class OpenDeployment(Message):
    """Ask the app to open a deployment's detail screen (from the list or the palette)."""

    def __init__(self, name: str, cluster: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.cluster = cluster
