"""Request recorder: every /api and /ws request as one JSON line, to see what a real client sends.

Off unless `BENTOTUI_RECORD_REQUESTS=<file>` is set when the control plane starts (tests and
the fixtures in tests/fixtures/bentoml-1.4 use it).  The API token is written as `<token>`;
only JSON bodies are kept (others as their size), and bodies over `MAX_BODY` are not buffered.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV = "BENTOTUI_RECORD_REQUESTS"
KEPT_HEADERS = ("x-yatai-api-token", "content-type", "x-bentoml-version")
MAX_BODY = 1024 * 1024


def target(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path | None:
    value = environ.get(ENV, "")
    return Path(value) if value else None


class RequestRecorder:
    def __init__(self, app: ASGIApp, path: Path) -> None:
        self.app = app
        self.path = path
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith(("/api/", "/ws/")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0

        async def recording_receive() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                size += len(body)
                if size <= MAX_BODY:
                    chunks.append(body)
            return message

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":  # the body (if read) is complete by now
                self._write(scope, b"".join(chunks), size, message.get("status"))
            await send(message)

        if scope["type"] == "websocket":
            self._write(scope, b"", 0, None)
            await self.app(scope, receive, send)
        else:
            await self.app(scope, recording_receive, recording_send)

    def _write(self, scope: Scope, raw: bytes, size: int, status: int | None) -> None:
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            name = key.decode("latin-1").lower()
            if name in KEPT_HEADERS:
                headers[name] = "<token>" if name == "x-yatai-api-token" else value.decode("latin-1")
        body: Any = None
        if size:
            try:
                body = json.loads(raw) if size <= MAX_BODY else {"<bytes>": size}
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = {"<bytes>": size}
        line = {
            "method": "WS" if scope["type"] == "websocket" else scope["method"],
            "path": scope["path"],
            "query": dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                    keep_blank_values=True)),
            "headers": headers,
            "body": body,
            "status": status,
        }
        with self._lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
