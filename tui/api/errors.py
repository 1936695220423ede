"""Typed failures of the API layer, each with a message fit to show a user.

The screens catch these and print ``exc.message``; they never see an httpx exception. The API
token must never leak into what a user (or a log, or a bug report) sees, so every message is
passed through `redact` before it is stored, with the token known to the client that raised it.
"""

from __future__ import annotations

from collections.abc import Iterable

REDACTED = "***"
SNIPPET_CHARS = 200


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every occurrence of each (non-empty) secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """One line of at most `limit` characters: enough to recognise an HTML page or a stack."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def describe_failure(error: BaseException | None, secrets: Iterable[str | None] = ()) -> str:
    """One readable line for any failure: an `ApiError`'s own message, else the exception's
    type and text (a bug), with the secrets redacted and the length bounded."""
    if isinstance(error, ApiError):
        return error.message
    if error is None:
        return "the background task failed"
    said = redact(str(error), secrets)
    return snippet(f"{type(error).__name__}: {said}" if said else type(error).__name__)


class ApiError(Exception):
    """Base class: something went wrong talking to a BentoCloud-compatible server."""

    default_message = "the request failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        server_message: str | None = None,
        secrets: Iterable[str | None] = (),
    ) -> None:
        secrets = tuple(secrets)
        self.message = redact(message or self.default_message, secrets)
        self.status = status
        # The server's own `error` / `message` text, if it sent one (already redacted).
        self.server_message = redact(server_message, secrets) if server_message else None
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class NotFoundError(ApiError):
    """404, or 400 whose body says `record not found` (the rule of bentoml's own client)."""

    default_message = "not found"


class UnauthorizedError(ApiError):
    """401/403: the token is wrong, expired, or lacks the permission."""

    default_message = "the API token was refused"


class RequestRejected(ApiError):
    """Any other 4xx: the server understood the request and refused it, saying why."""

    default_message = "the server refused the request"


class ServerError(ApiError):
    """5xx: the server failed; `trace_id` (header `x-trace-id`) helps its operators."""

    default_message = "the server failed"

    def __init__(self, message: str | None = None, *, trace_id: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.trace_id = trace_id


class ConnectionFailed(ApiError):
    """No answer at all: refused, unreachable, DNS failure, TLS failure, timeout."""

    default_message = "could not connect to the server"


class BadResponse(ApiError):
    """The server answered, but not with the JSON we expect (a proxy's HTML, a schema drift)."""

    default_message = "the server sent an unexpected response"
