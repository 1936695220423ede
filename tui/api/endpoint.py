"""Talking to a deployment's own endpoint (its URL), not to the control plane.

No Textual here: the interact screen calls `call_endpoint` and renders the `EndpointResult`;
`curl_command` and `mask_token` build what the user sees and copies.  The API token goes in
``Authorization: Bearer <token>`` (what BentoCloud endpoints with access control and the
local control plane's gateway accept) and never appears in an error message.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tui.api.client import USER_AGENT, describe_transport_error
from tui.api.errors import redact, snippet

DEFAULT_TIMEOUT = 60.0
MAX_BODY_CHARS = 2_000_000  # what we keep of a response for display


@dataclass
class EndpointResult:
    """One request to a deployment's endpoint: what came back, or why nothing did."""

    url: str
    status: int | None = None
    reason: str = ""
    elapsed_ms: float = 0.0
    content_type: str = ""
    text: str = ""
    data: Any = None  # the parsed JSON body, when the body is JSON
    is_json: bool = False
    error: str | None = None  # set when no HTTP answer arrived

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def summary(self) -> str:
        """`200 OK · 12 ms`, or the transport error."""
        if self.status is None:
            return f"no answer · {self.elapsed_ms:.0f} ms · {self.error or 'failed'}"
        reason = f" {self.reason}" if self.reason else ""
        return f"{self.status}{reason} · {self.elapsed_ms:.0f} ms"

    def pretty(self) -> str:
        """The body for display: indented JSON when it is JSON, the raw text otherwise."""
        if self.is_json:
            try:
                return json.dumps(self.data, indent=2, ensure_ascii=False)
            except (ValueError, RecursionError):  # nested too deeply to indent: as it came
                return self.text
        return self.text


def endpoint_url(url: str, route: str) -> str:
    """`https://x.example/` + `classify` -> `https://x.example/classify`."""
    route = route.strip()
    if not route:
        return url.rstrip("/") or url
    return url.rstrip("/") + "/" + route.lstrip("/")


def body_is_json(body: str) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def json_problem(body: str) -> str | None:
    """Why `body` is not JSON, with where (`line 2, column 5: Expecting ','`); None when it is."""
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except ValueError as exc:  # e.g. a lone surrogate
        return str(exc)
    return None


def mask_token(token: str) -> str:
    """What may be shown on screen: the token's prefix (`btui_`, `cnt_`…) and stars."""
    if not token:
        return "<token>"
    match = re.match(r"^([A-Za-z]{2,8}[_-])", token)
    prefix = match.group(1) if match else ""
    return f"{prefix}…****"


TOKEN_ENV = "BENTO_CLOUD_API_KEY"  # bentoml 1.4's variable for the API token


def curl_command(url: str, route: str, body: str, token: str, *, masked: bool = False,
                 from_env: bool = False) -> str:
    """A ready-to-paste curl command for this request: the token masked when `masked`, or
    read by the shell from $BENTO_CLOUD_API_KEY when `from_env` (safe to paste anywhere)."""
    shown = f"${TOKEN_ENV}" if from_env else mask_token(token) if masked else token
    content_type = "application/json" if body_is_json(body) else "text/plain"
    parts = [
        "curl -s -X POST " + shlex.quote(endpoint_url(url, route)),
        "-H " + shlex.quote(f"Content-Type: {content_type}"),
        f'-H "Authorization: Bearer {shown}"',
        "-d " + shlex.quote(body.strip() or "{}"),
    ]
    return " \\\n  ".join(parts)


async def call_endpoint(
    url: str,
    route: str,
    body: str,
    token: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> EndpointResult:
    """POST `body` to `<url><route>` with the bearer token; never raises for HTTP trouble."""
    target = endpoint_url(url, route)
    headers = {
        "Content-Type": "application/json" if body_is_json(body) else "text/plain",
        "Accept": "application/json, text/plain;q=0.9, */*;q=0.5",
        "User-Agent": USER_AGENT,
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    result = EndpointResult(url=target)
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as http:
            response = await http.post(target, content=body.encode(), headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        result.elapsed_ms = (time.perf_counter() - started) * 1000
        result.error = redact(describe_transport_error(exc, target, timeout), (token,))
        return result
    result.elapsed_ms = (time.perf_counter() - started) * 1000
    result.status = response.status_code
    result.reason = response.reason_phrase or ""
    result.content_type = response.headers.get("content-type", "")
    text = response.text
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + f"\n… ({len(response.text) - MAX_BODY_CHARS} more characters)"
    result.text = redact(text, (token,))
    try:
        result.data = response.json()
        result.is_json = True
    except (ValueError, RecursionError):
        result.is_json = False
        if not result.text and response.content:
            result.text = snippet(repr(response.content))
    return result
