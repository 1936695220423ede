"""The v1 bento repository and bento routes (push and pull are in registry/)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from tui.api import models as m
from tui.localcloud.controlplane import ControlPlane
from tui.localcloud.http.bodies import index, ok
from tui.localcloud.http.openapi import described
from tui.localcloud.http.views import bento, bento_repository
from tui.localcloud.state.store import NotFound


def bento_routes(plane: ControlPlane) -> APIRouter:
    router = APIRouter()


    @router.get("/api/v1/bento_repositories", **described(m.BentoRepositoryListSchema))
    async def bento_repositories(start: int = 0, count: int = 100, search: str | None = None) -> Response:
        items = _repositories(search)
        page = items[index(start): index(start) + index(count)]
        return ok(m.BentoRepositoryListSchema(start=start, count=count, total=len(items), items=page))

    def _repositories(search: str | None) -> list[m.BentoRepositorySchema]:
        grouped: dict[str, list[Any]] = {}
        for row in plane.bentos():
            grouped.setdefault(row.repository, []).append(row)
        out = []
        for name, rows in grouped.items():
            if search and search not in name:
                continue
            out.append(bento_repository(plane.ident, rows[0], latest=rows[0], n_bentos=len(rows),
                                        n_deployments=plane.store.count_deployments_of_repository(name)))
        return out

    @router.get("/api/v1/bento_repositories/{repo}", **described(m.BentoRepositorySchema))
    async def bento_repository_get(repo: str) -> Response:
        matches = [r for r in _repositories(None) if r.name == repo]
        if not matches:
            raise NotFound(f"get bento repository {repo}: record not found")
        return ok(matches[0])

    @router.get("/api/v1/bento_repositories/{repo}/bentos",
             **described(m.ListSchema[m.BentoFullSchema]))
    async def bento_list(repo: str, start: int = 0, count: int = 100) -> Response:
        rows = [b for b in plane.bentos() if b.repository == repo]
        if not rows:
            raise NotFound(f"get bento repository {repo}: record not found")
        page = rows[index(start): index(start) + index(count)]
        return ok(m.ListSchema[m.BentoFullSchema](
            start=start, count=count, total=len(rows), items=[bento(plane.ident, b) for b in page]))

    @router.get("/api/v1/bento_repositories/{repo}/bentos/{version}",
             **described(m.BentoFullSchema))
    async def bento_get(repo: str, version: str) -> Response:
        row = plane.bento(repo, version)
        if row is None:
            raise NotFound(f"get bento {repo}:{version}: record not found")
        return ok(bento(plane.ident, row))

    @router.get("/api/v1/bentos", **described(m.ListSchema[m.BentoFullSchema]))
    async def bentos_flat(start: int = 0, count: int = 100) -> Response:
        rows = plane.bentos()
        page = rows[index(start): index(start) + index(count)]
        return ok(m.ListSchema[m.BentoFullSchema](
            start=start, count=count, total=len(rows), items=[bento(plane.ident, b) for b in page]))

    return router
