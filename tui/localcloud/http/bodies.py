"""Reading requests and writing responses: bodies within limits, JSON out, list queries."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from tui.api import models as m
from tui.api import models_v2 as v2
from tui.localcloud.controlplane import InvalidRequest
from tui.localcloud.limits import Limits
from tui.localcloud.runtime.records import bounded
from tui.localcloud.state.store import DeploymentQuery


class BodyRefused(Exception):
    """A request body over the size limit (413) or not received in time (408)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def ok(model: BaseModel | dict[str, Any] | list[Any]) -> Response:
    if isinstance(model, BaseModel):
        body = model.model_dump_json(by_alias=True)
    else:
        body = json.dumps(model)
    return Response(body, media_type="application/json")


def error(status: int, message: str, key: str = "error") -> JSONResponse:
    return JSONResponse({key: message}, status_code=status)


async def read_body(request: Request, model: type[m.RequestModel] | type[v2.V2Request],
                    limits: Limits) -> Any:
    """Parse and validate a JSON body; InvalidRequest says what and where, BodyRefused when it
    is over `limits.api_body_bytes` (413) or stalls past `limits.body_read_timeout_s` (408)."""
    cap = limits.api_body_bytes
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > cap:
        raise BodyRefused(413, f"request body too large ({int(length)} bytes; limit {cap})")
    parts: list[bytes] = []
    size = 0
    stream = request.stream()
    while True:
        try:
            chunk = await bounded(anext(stream, None), limits.body_read_timeout_s)
        except asyncio.TimeoutError:
            raise BodyRefused(
                408, f"request body not received within {limits.body_read_timeout_s:g}s"
            ) from None
        if chunk is None:
            break
        size += len(chunk)
        if size > cap:
            raise BodyRefused(413, f"request body too large (limit {cap} bytes)")
        parts.append(chunk)
    raw = b"".join(parts)
    try:
        data = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidRequest(f"request body is not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest("invalid request: " + "; ".join(m.describe_validation_error(exc))) from None


# Offsets and counts beyond this are clamped: SQLite integers are 64-bit, and a bigger one made
# the query fail with a 500 (found by fuzzing).
MAX_INDEX = 2**62


def index(value: int) -> int:
    """A `start`, `count` or `after` query value as a usable offset: 0 <= value <= MAX_INDEX."""
    return min(max(value, 0), MAX_INDEX)


def parse_deployment_query(
    cluster: str | None, start: int, count: int | None, search: str | None, q: str | None
) -> DeploymentQuery:
    """Yatai's list query: `start`, `count`, `search`, and `q` tokens (reference §9.4)."""
    query = DeploymentQuery(cluster=cluster, start=index(start),
                            count=None if count is None else index(count), search=search or None)
    for token in (q or "").split():
        key, sep, value = token.partition(":")
        if not sep:
            query.keywords.append(token)
            continue
        if key == "status":
            query.statuses.extend(v for v in value.split(",") if v)
        elif key == "sort":
            field, _, direction = value.partition("-")
            query.sort_field = field
            query.sort_desc = direction != "asc"
        elif key == "bento_repository":
            query.bento_repository = value
        elif key == "bento":
            query.bento = value
        elif key == "cluster":
            query.cluster = value
        elif key == "creator":
            query.creator = None if value == "@me" else value
        elif key in ("in", "is", "not", "last_updater"):
            continue  # accepted, no effect on a single-user local store
        else:
            query.keywords.append(token)
    return query
