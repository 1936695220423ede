"""The push and pull routes of bentos and models (reference bentoml-1.4.md §3).

Both kinds follow one sequence: repository GET/POST, version GET/POST (or PATCH when it exists
but its upload did not succeed), `start_upload`, a streamed `PUT …/upload` (proxy transmission),
`finish_upload` (accepted; proxy clients never send it), `GET …/download`.  A version is
`success` only once its whole archive is on disk; the upload routes need the server's generic
body-size limit lifted (they enforce their own, `BENTOTUI_REGISTRY_MAX_UPLOAD_BYTES`, with 413).
Bento reads (list/get) stay in `server.py` and see pushed bentos through the control plane.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from tui.api import models as m
from tui.localcloud.controlplane import ControlPlane, InvalidRequest
from tui.localcloud.http.views import bento as bento_view
from tui.localcloud.http.views import bento_repository
from tui.localcloud.registry import views as rviews
from tui.localcloud.registry.records import ModelRow
from tui.localcloud.registry.storage import (
    NAME,
    VERSION,
    BadArchive,
    UploadBrokeOff,
    UploadTooLarge,
    bad_name,
    max_upload_bytes,
)
from tui.localcloud.state.store import BentoRow, NotFound, now

BodyReader = Callable[[Request, type[m.RequestModel]], Awaitable[Any]]
Describer = Callable[..., dict[str, Any]]

# Request bodies the OpenAPI document declares (server.py adds them to its components).
REQUEST_BODIES: dict[str, type[m.RequestModel]] = {
    "CreateRepositorySchema": m.CreateRepositorySchema,
    "CreateArtifactSchema": m.CreateArtifactSchema,
    "UpdateArtifactSchema": m.UpdateArtifactSchema,
    "FinishUploadSchema": m.FinishUploadSchema,
}
BENTO = m.BentoFullSchema
MODEL = m.ModelWithRepositorySchema

# The paths whose bodies are archives, not JSON: a generic body-size limit must exempt them.
UPLOAD_PATHS = (
    "/api/v1/bento_repositories/{repo}/bentos/{version}/upload",
    "/api/v1/model_repositories/{repo}/models/{version}/upload",
)

INTERRUPTED = "the control plane stopped before the upload finished"


def _json(model: Any) -> Response:
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")


def _check_names(repository: str, version: str | None = None) -> None:
    problem = bad_name("repository name", repository, NAME)
    if problem is None and version is not None:
        problem = bad_name("version", version, VERSION)
    if problem:
        raise InvalidRequest(problem)


def _archive_body(described: Describer, model: Any) -> dict[str, Any]:
    """OpenAPI of an upload: a binary body, 413 when it is over the limit."""
    extra = described(model)
    extra["openapi_extra"] = {"requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}
    extra["responses"][413] = {"description": "The archive is larger than the upload limit",
                               "model": _ErrorBody}
    return extra


def _archive_download() -> dict[str, Any]:
    return {"response_class": FileResponse, "responses": {200: {
        "description": "The archive as uploaded (an uncompressed tar)",
        "content": {"application/x-tar": {"schema": {"type": "string", "format": "binary"}}}}}}


class _ErrorBody(BaseModel):
    """413: `error` says the limit."""

    model_config = ConfigDict(extra="forbid")
    error: str


def registry_routes(plane: ControlPlane, read_body: BodyReader,
                    described: Describer) -> APIRouter:
    """The registry's write routes (and model reads) over `plane`'s store and home.

    `read_body` and `described` are server.py's JSON body parser and OpenAPI decorator
    arguments (passed in: the server depends on the registry, not the other way round).
    """
    router = APIRouter()
    records = plane.registry
    files = plane.artifacts
    limit = max_upload_bytes()
    in_flight: set[tuple[str, str, str]] = set()
    records.fail_interrupted(INTERRUPTED)
    files.remove_partials()

    # ------------------------------------------------------------------ lookups

    def find_bento(repo: str, version: str) -> BentoRow:
        row = plane.store.get_bento(repo, version)
        if row is None:
            raise NotFound(f"get bento {repo}:{version}: record not found")
        return row

    def find_model(repo: str, version: str) -> ModelRow:
        row = records.model(repo, version)
        if row is None:
            raise NotFound(f"get model {repo}:{version}: record not found")
        return row

    def pushed_bento(repo: str, version: str) -> BentoRow:
        row = find_bento(repo, version)
        if row.origin != "push":
            raise InvalidRequest(f"bento {repo}:{version} is a built-in sample; push another "
                                 "version or name")
        return row

    def bento_json(row: BentoRow) -> Response:
        return _json(bento_view(plane.ident, row))

    def model_json(row: ModelRow) -> Response:
        return _json(rviews.model(plane.ident, row, with_repository=True))

    def set_bento(row: BentoRow, **changes: Any) -> BentoRow:
        updated = records.update_bento(row, **changes)
        plane.reload_bentos()
        return updated

    # ------------------------------------------------------------------ manifests

    def bento_manifest(repo: str, raw: dict[str, Any] | None) -> dict[str, Any]:
        manifest = dict(raw or {})
        manifest.setdefault("name", repo)  # bentoml 1.4 reads it back (Tag(manifest.name))
        manifest.setdefault("service", "")
        manifest.setdefault("bentoml_version", "")
        manifest.setdefault("size_bytes", 0)
        try:
            m.BentoManifestSchema.model_validate(manifest)
        except ValidationError as exc:
            raise InvalidRequest("invalid manifest: " + "; ".join(
                m.describe_validation_error(exc))) from None
        return manifest

    def model_manifest(raw: dict[str, Any] | None) -> dict[str, Any]:
        manifest = dict(raw or {})
        try:
            m.ModelManifestSchema.model_validate(manifest)
        except ValidationError as exc:
            raise InvalidRequest("invalid manifest: " + "; ".join(
                m.describe_validation_error(exc))) from None
        return manifest

    def labels(items: list[m.LabelItem] | None) -> list[dict[str, str]]:
        return [item.to_wire() for item in items or []]

    # ------------------------------------------------------------------ repositories

    @router.post("/api/v1/bento_repositories",
                 **described(m.BentoRepositorySchema, body=m.CreateRepositorySchema))
    async def create_bento_repository(request: Request) -> Response:
        body = await read_body(request, m.CreateRepositorySchema)
        _check_names(body.name)
        repo = records.create_repository("bento", body.name, body.description)
        versions = [b for b in plane.bentos() if b.repository == repo.name]
        if versions:
            return _json(bento_repository(plane.ident, versions[0], latest=versions[0],
                                          n_bentos=len(versions)))
        return _json(rviews.empty_bento_repository(plane.ident, repo))

    @router.post("/api/v1/model_repositories",
                 **described(m.ModelRepositorySchema, body=m.CreateRepositorySchema))
    async def create_model_repository(request: Request) -> Response:
        body = await read_body(request, m.CreateRepositorySchema)
        _check_names(body.name)
        repo = records.create_repository("model", body.name, body.description)
        versions = records.models(repo.name)
        return _json(rviews.model_repository(plane.ident, repo, versions[0] if versions else None,
                                             len(versions)))

    @router.get("/api/v1/model_repositories",
                **described(m.ListSchema[m.ModelRepositorySchema]))
    async def model_repositories(start: int = 0, count: int = 100) -> Response:
        items = []
        for repo in records.repositories("model"):
            versions = records.models(repo.name)
            items.append(rviews.model_repository(plane.ident, repo,
                                                 versions[0] if versions else None, len(versions)))
        page = items[max(start, 0): max(start, 0) + max(count, 0)]
        return _json(m.ListSchema[m.ModelRepositorySchema](
            start=start, count=count, total=len(items), items=page))

    @router.get("/api/v1/model_repositories/{repo}", **described(m.ModelRepositorySchema))
    async def model_repository(repo: str) -> Response:
        found = records.repository("model", repo)
        if found is None:
            raise NotFound(f"get model repository {repo}: record not found")
        versions = records.models(repo)
        return _json(rviews.model_repository(plane.ident, found, versions[0] if versions else None,
                                             len(versions)))

    @router.get("/api/v1/model_repositories/{repo}/models", **described(m.ListSchema[MODEL]))
    async def model_list(repo: str, start: int = 0, count: int = 100,
                         q: str | None = None) -> Response:
        if records.repository("model", repo) is None:
            raise NotFound(f"get model repository {repo}: record not found")
        rows = records.models(repo)  # newest first: `bentoml models pull NAME` takes items[0]
        page = rows[max(start, 0): max(start, 0) + max(count, 0)]
        return _json(m.ListSchema[m.ModelWithRepositorySchema](
            start=start, count=count, total=len(rows),
            items=[rviews.model(plane.ident, r, with_repository=True) for r in page]))

    @router.get("/api/v1/models", **described(m.ListSchema[MODEL]))
    async def models_flat(start: int = 0, count: int = 100) -> Response:
        rows = records.models()
        page = rows[max(start, 0): max(start, 0) + max(count, 0)]
        return _json(m.ListSchema[m.ModelWithRepositorySchema](
            start=start, count=count, total=len(rows),
            items=[rviews.model(plane.ident, r, with_repository=True) for r in page]))

    @router.get("/api/v1/model_repositories/{repo}/models/{version}", **described(MODEL))
    async def model_get(repo: str, version: str) -> Response:
        return model_json(find_model(repo, version))

    # ------------------------------------------------------------------ versions

    @router.post("/api/v1/bento_repositories/{repo}/bentos",
                 **described(BENTO, body=m.CreateArtifactSchema))
    async def create_bento(repo: str, request: Request) -> Response:
        body = await read_body(request, m.CreateArtifactSchema)
        _check_names(repo, body.version)
        repository = records.repository("bento", repo)
        if repository is None:
            raise NotFound(f"get bento repository {repo}: record not found")
        if plane.store.get_bento(repo, body.version) is not None:
            raise InvalidRequest(f"bento {repo}:{body.version} already exists; update it with "
                                 "PATCH (bentoml push --force)")
        row = records.create_bento(
            repository, body.version, body.description, bento_manifest(repo, body.manifest),
            labels(body.labels), body.build_at,
            str(files.directory("bento", repo, body.version)))
        plane.reload_bentos()
        return bento_json(row)

    @router.post("/api/v1/model_repositories/{repo}/models",
                 **described(MODEL, body=m.CreateArtifactSchema))
    async def create_model(repo: str, request: Request) -> Response:
        body = await read_body(request, m.CreateArtifactSchema)
        _check_names(repo, body.version)
        repository = records.repository("model", repo)
        if repository is None:
            raise NotFound(f"get model repository {repo}: record not found")
        if records.model(repo, body.version) is not None:
            raise InvalidRequest(f"model {repo}:{body.version} already exists")
        row = records.create_model(repository, body.version, body.description,
                                   model_manifest(body.manifest), labels(body.labels),
                                   body.build_at)
        return model_json(row)

    @router.patch("/api/v1/bento_repositories/{repo}/bentos/{version}",
                  **described(BENTO, body=m.UpdateArtifactSchema))
    async def update_bento(repo: str, version: str, request: Request) -> Response:
        row = pushed_bento(repo, version)
        body = await read_body(request, m.UpdateArtifactSchema)
        changes: dict[str, Any] = {}
        if body.manifest is not None:
            changes["manifest"] = bento_manifest(repo, body.manifest)
        if body.labels is not None:
            changes["labels"] = labels(body.labels)
        if body.description is not None:
            changes["description"] = body.description
        return bento_json(set_bento(row, **changes) if changes else row)

    @router.patch("/api/v1/model_repositories/{repo}/models/{version}",
                  **described(MODEL, body=m.UpdateArtifactSchema))
    async def update_model(repo: str, version: str, request: Request) -> Response:
        row = find_model(repo, version)
        body = await read_body(request, m.UpdateArtifactSchema)
        changes: dict[str, Any] = {}
        if body.manifest is not None:
            changes["manifest"] = model_manifest(body.manifest)
        if body.labels is not None:
            changes["labels"] = labels(body.labels)
        if body.description is not None:
            changes["description"] = body.description
        return model_json(records.update_model(row, **changes) if changes else row)

    # ------------------------------------------------------------------ uploads

    def start_changes() -> dict[str, Any]:
        return {"upload_status": "uploading", "upload_started_at": now(),
                "upload_finished_at": None, "upload_finished_reason": ""}

    @router.patch("/api/v1/bento_repositories/{repo}/bentos/{version}/start_upload",
                  **described(BENTO))
    async def start_bento_upload(repo: str, version: str) -> Response:
        return bento_json(set_bento(pushed_bento(repo, version), **start_changes()))

    @router.patch("/api/v1/model_repositories/{repo}/models/{version}/start_upload",
                  **described(MODEL))
    async def start_model_upload(repo: str, version: str) -> Response:
        return model_json(records.update_model(find_model(repo, version), **start_changes()))

    async def receive(kind: str, repo: str, version: str, request: Request,
                      mark: Callable[..., Any]) -> Response | None:
        """Streams the body to disk and records the outcome; an error response or None."""
        key = (kind, repo, version)
        if key in in_flight:
            raise InvalidRequest(f"an upload of {kind} {repo}:{version} is already in progress")
        length = request.headers.get("content-length", "")
        announced = int(length) if length.isdigit() else None
        in_flight.add(key)
        try:
            mark(**start_changes())
            await files.receive(kind, repo, version, request.stream(), limit=limit,
                                       announced=announced)
        except UploadTooLarge as exc:
            mark(upload_status="failed", upload_finished_reason=str(exc),
                 upload_finished_at=now())
            return JSONResponse({"error": str(exc)}, status_code=413)
        except (UploadBrokeOff, BadArchive) as exc:
            mark(upload_status="failed", upload_finished_reason=str(exc),
                 upload_finished_at=now())
            return JSONResponse({"error": str(exc)}, status_code=400)
        except asyncio.CancelledError:  # the request was cancelled (shutdown, a stall timeout)
            mark(upload_status="failed", upload_finished_reason="the upload was cancelled",
                 upload_finished_at=now())
            raise
        finally:
            in_flight.discard(key)
        mark(upload_status="success", upload_finished_reason="", upload_finished_at=now())
        return None

    @router.put(UPLOAD_PATHS[0], **_archive_body(described, BENTO))
    async def upload_bento(repo: str, version: str, request: Request) -> Response:
        row = pushed_bento(repo, version)
        failed = await receive("bento", repo, version, request,
                               lambda **changes: set_bento(row, **changes))
        return failed or bento_json(find_bento(repo, version))

    @router.put(UPLOAD_PATHS[1], **_archive_body(described, MODEL))
    async def upload_model(repo: str, version: str, request: Request) -> Response:
        row = find_model(repo, version)
        failed = await receive("model", repo, version, request,
                               lambda **changes: records.update_model(row, **changes))
        return failed or model_json(find_model(repo, version))

    def finish_changes(kind: str, repo: str, version: str, body: m.FinishUploadSchema,
                       current: str) -> dict[str, Any]:
        status = body.status.value if body.status else "success"
        if status == "success" and not files.archive(kind, repo, version).is_file():
            raise InvalidRequest(f"{kind} {repo}:{version} has no uploaded archive; "
                                 "it cannot be marked success")
        if status in ("pending", "uploading"):
            raise InvalidRequest(f"finish_upload status must be success or failed, not {status}")
        if current == "success" and status == "failed":
            # A proxy upload succeeded already; a late failure report cannot undo the archive.
            return {}
        return {"upload_status": status, "upload_finished_reason": body.reason or "",
                "upload_finished_at": now()}

    @router.patch("/api/v1/bento_repositories/{repo}/bentos/{version}/finish_upload",
                  **described(BENTO, body=m.FinishUploadSchema))
    async def finish_bento_upload(repo: str, version: str, request: Request) -> Response:
        row = pushed_bento(repo, version)
        body = await read_body(request, m.FinishUploadSchema)
        changes = finish_changes("bento", repo, version, body, row.upload_status)
        return bento_json(set_bento(row, **changes) if changes else row)

    @router.patch("/api/v1/model_repositories/{repo}/models/{version}/finish_upload",
                  **described(MODEL, body=m.FinishUploadSchema))
    async def finish_model_upload(repo: str, version: str, request: Request) -> Response:
        row = find_model(repo, version)
        body = await read_body(request, m.FinishUploadSchema)
        changes = finish_changes("model", repo, version, body, row.upload_status)
        return model_json(records.update_model(row, **changes) if changes else row)

    # ------------------------------------------------------------------ presigning
    # There is no object store to presign for: the answer is the record itself, with an empty
    # URL and `transmission_strategy: proxy`, which sends the client to the proxy routes.
    # bentoml 1.1.11 asks for a download URL before every model pull, whatever the strategy.

    @router.patch("/api/v1/bento_repositories/{repo}/bentos/{version}/presign_upload_url",
                  **described(BENTO))
    @router.patch("/api/v1/bento_repositories/{repo}/bentos/{version}/presign_download_url",
                  **described(BENTO))
    async def presign_bento(repo: str, version: str) -> Response:
        return bento_json(find_bento(repo, version))

    @router.patch("/api/v1/model_repositories/{repo}/models/{version}/presign_upload_url",
                  **described(MODEL))
    @router.patch("/api/v1/model_repositories/{repo}/models/{version}/presign_download_url",
                  **described(MODEL))
    async def presign_model(repo: str, version: str) -> Response:
        return model_json(find_model(repo, version))

    # ------------------------------------------------------------------ downloads

    def archive_response(kind: str, repo: str, version: str, status: str) -> Response:
        if status != "success":
            raise InvalidRequest(f"{kind} {repo}:{version} has no finished upload "
                                 f"(upload_status: {status})")
        path = files.archive(kind, repo, version)
        if not path.is_file():
            raise NotFound(f"get {kind} {repo}:{version} archive: record not found")
        return FileResponse(path, media_type="application/x-tar",
                            filename=f"{repo}-{version}.tar")

    @router.get("/api/v1/bento_repositories/{repo}/bentos/{version}/download",
                **_archive_download())
    async def download_bento(repo: str, version: str) -> Response:
        row = find_bento(repo, version)
        if row.origin != "push":
            raise InvalidRequest(f"bento {repo}:{version} is a built-in sample of the control "
                                 "plane; only pushed bentos can be pulled")
        return archive_response("bento", repo, version, row.upload_status)

    @router.get("/api/v1/model_repositories/{repo}/models/{version}/download",
                **_archive_download())
    async def download_model(repo: str, version: str) -> Response:
        row = find_model(repo, version)
        return archive_response("model", repo, version, row.upload_status)

    return router
