"""ASGI guards in front of every route: the API token (403) and the cap on open websockets."""

from __future__ import annotations

import hmac

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PATHS = {"/api/v1/info", "/api/v1/version", "/openapi.json", "/docs", "/docs/oauth2-redirect"}


class TokenGuard:
    """Refuses /api and /ws requests without the right token (403), in constant time."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self._guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        supplied = b""
        for key, value in scope.get("headers", []):
            if key == b"x-yatai-api-token":
                supplied = value
                break
        if hmac.compare_digest(supplied, self.token):
            await self.app(scope, receive, send)
            return
        reason = "missing X-YATAI-API-TOKEN header" if not supplied else "invalid api token"
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": reason})
            return
        response = JSONResponse({"message": reason}, status_code=403)
        await response(scope, receive, send)

    @staticmethod
    def _guarded(path: str) -> bool:
        return (path.startswith("/api/") or path.startswith("/ws/")) and path not in PUBLIC_PATHS


class SocketCap:
    """At most `limit` websockets open at once (every socket carries the one token, so this is
    per token and per process); the next is closed with 1013 (try again later) and a reason."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit
        self.open = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        if self.open >= self.limit:
            # Accepted then closed: a close before the accept would reach the client as a bare
            # HTTP 403, without the code or the reason.
            if (await receive())["type"] != "websocket.connect":
                return
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1013,
                        "reason": f"too many websockets open (limit {self.limit})"})
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
