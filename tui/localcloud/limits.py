"""Every bound the control plane puts on what a caller or a replica controls, in one place.

Each has a default that leaves room for real use and a `BENTOTUI_LIMIT_<FIELD>` environment
variable (read when the control plane starts) to change it; docs/localcloud.md has the table
of what the caller gets when one is hit.  Kept apart so the server, the gateway and the
websockets read one definition, and the tests can shrink a bound without a giant payload.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from tui.localcloud.http.protocol import bounded_protocol

MIB = 1024 * 1024


class LimitError(ValueError):
    """A `BENTOTUI_LIMIT_*` variable that is not a positive finite number (the start stops)."""


ENV_PREFIX = "BENTOTUI_LIMIT_"


@dataclass(frozen=True)
class Limits:
    api_body_bytes: int = 1 * MIB  # JSON bodies of /api routes -> 413
    gateway_request_bytes: int = 64 * MIB  # a request body forwarded to a replica -> 413
    gateway_buffered_bytes: int = 256 * MIB  # request bytes all gateway requests hold -> 503
    gateway_response_bytes: int = 256 * MIB  # a replica's answer -> 502 / cut connection
    body_read_timeout_s: float = 30.0  # longest wait for the next piece of a body -> 408
    header_read_timeout_s: float = 10.0  # a request's head must arrive within this -> 408
    header_bytes: int = 64 * 1024  # a request's head (request line and headers) -> 431
    keep_alive_timeout_s: float = 5.0  # an idle keep-alive connection is closed after this
    max_connections: int = 1000  # open HTTP connections; the next gets 503 and is closed
    websocket_frame_bytes: int = 1 * MIB  # an incoming frame over this closes with 1009
    websockets: int = 256  # open websockets at once; the next is closed with 1013
    log_tail_bytes: int = 8 * MIB  # a tail reads at most this much from the end of a log
    log_line_bytes: int = 16 * 1024  # a longer log line is cut and marked

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults with `BENTOTUI_LIMIT_<FIELD>` overrides; a bad value is an error that
        names the variable (fail closed rather than run unbounded)."""
        environ = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for item in fields(cls):
            raw = environ.get(ENV_PREFIX + item.name.upper())
            if raw is None or not raw.strip():
                continue
            kind = float if item.type in (float, "float") else int
            name = ENV_PREFIX + item.name.upper()
            try:
                value = kind(raw)
            except ValueError:
                raise LimitError(f"{name}={raw!r} is not {'a number' if kind is float else 'an integer'}") from None
            if not (value > 0 and math.isfinite(value)):
                raise LimitError(f"{name} must be a finite number above 0 (got {raw!r})")
            changes[item.name] = value
        return replace(cls(), **changes)

    def uvicorn_options(self) -> dict[str, Any]:
        """The `uvicorn.Config` arguments that enforce the connection-level bounds.

        `proxy_headers` off: uvicorn would otherwise take a loopback client's X-Forwarded-For
        as its address, so any local caller could pose as any peer."""
        return {
            "http": bounded_protocol(self.header_read_timeout_s, self.header_bytes, self.max_connections),
            "proxy_headers": False,
            "timeout_keep_alive": self.keep_alive_timeout_s,
            "ws_max_size": self.websocket_frame_bytes,
        }
