"""The OpenAPI document: what each route answers, as the server really answers it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from tui.api import models as m
from tui.api import models_v2 as v2
from tui.localcloud.http.guards import TokenGuard
from tui.localcloud.registry.routes import REQUEST_BODIES as REGISTRY_BODIES

# ----------------------------------------------------------------------------- OpenAPI
#
# The routes return pre-rendered JSON, so FastAPI cannot see what they answer: `described`
# names the success model of each route (documentation only, nothing is re-validated), and
# `describe_openapi` replaces FastAPI's generic 422 with what the server really sends (400
# `{"error"}`, 403 `{"message"}`, 404 `{"error"}`, 503/507 `{"error"}` on a storage fault),
# declares the token as the security scheme and
# the create / update bodies, which `read_body` parses itself.  tests/reliability fuzzes the
# server from this document and checks every response against it.


class ErrorBody(BaseModel):
    """400 and 404: what is wrong (for a 404, `... record not found`)."""

    model_config = ConfigDict(extra="forbid")
    error: str


class AuthErrorBody(BaseModel):
    """403: the API token is missing or wrong."""

    model_config = ConfigDict(extra="forbid")
    message: str


REQUEST_BODIES: dict[str, type[BaseModel]] = {
    "CreateDeploymentSchema": m.CreateDeploymentSchema,
    "UpdateDeploymentSchema": m.UpdateDeploymentSchema,
    "CreateDeploymentV2": v2.CreateDeploymentV2,
    "UpdateDeploymentV2": v2.UpdateDeploymentV2,
    **REGISTRY_BODIES,
}
REQUEST_PREFIX = "Request."
SECURITY_SCHEME = "YataiApiToken"


def described(model: Any, body: type[BaseModel] | None = None) -> dict[str, Any]:
    """Route decorator arguments documenting the success body (and the request body)."""
    extra: dict[str, Any] = {"responses": {200: {"model": model, "description": "Success"}}}
    if body is not None:
        ref = f"#/components/schemas/{REQUEST_PREFIX}{body.__name__}"
        extra["openapi_extra"] = {"requestBody": {
            "required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}}
    return extra


def describe_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Make FastAPI's generated document say what the server really answers (in place)."""
    from pydantic.json_schema import models_json_schema

    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    errors = {
        "400": ("Invalid request: `error` says what, with the field path", "ErrorBody"),
        "403": ("Missing or wrong X-YATAI-API-TOKEN", "AuthErrorBody"),
        "404": ("The cluster, namespace or record does not exist", "ErrorBody"),
        "408": ("The request body did not arrive in time", "ErrorBody"),
        "413": ("The request body is over the size limit", "ErrorBody"),
        "503": ("The state database failed (an I/O error); nothing was changed", "ErrorBody"),
        "507": ("The disk or the state database is full; nothing was changed", "ErrorBody"),
    }
    for name, model in (("ErrorBody", ErrorBody), ("AuthErrorBody", AuthErrorBody)):
        schemas[name] = model.model_json_schema()
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            takes_input = responses.pop("422", None) is not None or "requestBody" in operation
            wanted = []
            if takes_input:
                wanted.append("400")
            if "requestBody" in operation:
                wanted += ["408", "413"]
            params = {p.get("name") for p in operation.get("parameters", [])}
            if "{" in path or "cluster" in params:  # an unknown cluster is a 404 too
                wanted.append("404")
            if TokenGuard._guarded(path):
                wanted += ["403", "503", "507"]  # every guarded route reads or writes the store
                operation["security"] = [{SECURITY_SCHEME: []}]
            for code in wanted:
                description, ref = errors[code]
                responses[code] = {"description": description, "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{ref}"}}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _, definitions = models_json_schema(
        [(model, "validation") for model in REQUEST_BODIES.values()],
        ref_template=f"#/components/schemas/{REQUEST_PREFIX}{{model}}",
    )
    for name, definition in definitions.get("$defs", {}).items():
        schemas[REQUEST_PREFIX + name] = definition
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
        "type": "apiKey", "in": "header", "name": "X-YATAI-API-TOKEN"}
    return schema
