"""The v2 deployment calls (bentoml 1.4's `RestApiClientV2`) and the endpoint's API flavour.

`DeploymentsV2` rides on a `BentoCloudClient` (same connection pool, token handling and typed
errors).  `api_flavour` asks an endpoint once which API it speaks — `GET
/api/v2/deployments?count=1` answering 200 means v2 — unless an override (`--api-version`, the
context's `api_version`) says so; `deployment_views` gives screens one view model either way.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError

from tui.api import deployment_view, paging
from tui.api import models as m
from tui.api import models_v2 as v2
from tui.api.api_version import (  # noqa: F401 (importable from here, as before)
    FLAVOURS,
    V2_BASE,
    Flavour,
    api_flavour,
    forget_flavour,
    parse_flavour,
)
from tui.api.client import BentoCloudClient, _params
from tui.api.errors import BadResponse, NotFoundError, RequestRejected
from tui.api.streams import ReconnectingStream, parse_pods


@functools.cache
def _instance_types() -> TypeAdapter[list[v2.InstanceTypeSchema]]:
    """Built on first use (schema building costs start-up time)."""
    return TypeAdapter(list[v2.InstanceTypeSchema])


def _seg(value: str) -> str:
    return quote(str(value), safe="")


class DeploymentsV2:
    """`/api/v2/deployments` and friends on one endpoint.  `cluster` None = the default one."""

    def __init__(self, client: BentoCloudClient) -> None:
        self.client = client

    async def _call(self, model: Any, method: str, path: str, *, cluster: str | None = None,
                    params: dict[str, Any] | None = None, body: Any = None) -> Any:
        query = _params(cluster=cluster, **(params or {}))
        return await self.client._call(model, method, path, params=query, body=body)

    async def list_page(self, *, cluster: str | None = None, start: int | None = None,
                   count: int | None = None, search: str | None = None,
                   q: str | None = None) -> v2.DeploymentListV2:
        return await self._call(v2.DeploymentListV2, "GET", V2_BASE, cluster=cluster,
                                params=_params(start=start, count=count, search=search, q=q))

    async def iter_all(self, *, cluster: str | None = None, page_size: int = 500,
                   search: str | None = None, q: str | None = None
                   ) -> AsyncIterator[v2.DeploymentFullSchemaV2]:
        """Every deployment, `page_size` at a time (tui.api.paging: a few pages at once)."""

        async def fetch(start: int, count: int) -> tuple[int, Sequence[v2.DeploymentFullSchemaV2]]:
            page = await self.list_page(cluster=cluster, start=start, count=count, search=search, q=q)
            return page.total, page.items

        pages = paging.pages(fetch, page_size, page_size)
        try:
            async for _total, items in pages:
                for item in items:
                    yield item
        finally:
            await pages.aclose()

    async def get(self, name: str, cluster: str | None = None) -> v2.DeploymentFullSchemaV2:
        return await self._call(v2.DeploymentFullSchemaV2, "GET", f"{V2_BASE}/{_seg(name)}",
                                cluster=cluster)

    async def create(self, body: v2.CreateDeploymentV2,
                     cluster: str | None = None) -> v2.DeploymentFullSchemaV2:
        return await self._call(v2.DeploymentFullSchemaV2, "POST", V2_BASE, cluster=cluster,
                                body=body.to_wire())

    async def update(self, name: str, body: v2.UpdateDeploymentV2,
                     cluster: str | None = None) -> v2.DeploymentFullSchemaV2:
        """PUT: the whole new config.  On a terminated deployment this restores it ("start")."""
        wire = body.to_wire()
        wire.pop("name", None), wire.pop("dev", None)
        return await self._call(v2.DeploymentFullSchemaV2, "PUT", f"{V2_BASE}/{_seg(name)}",
                                cluster=cluster, body=wire)

    async def void_update(self, name: str, cluster: str | None = None) -> v2.DeploymentFullSchemaV2:
        return await self._call(v2.DeploymentFullSchemaV2, "PUT",
                                f"{V2_BASE}/{_seg(name)}/void_update", cluster=cluster)

    async def start(self, name: str, cluster: str | None = None) -> v2.DeploymentFullSchemaV2:
        """Restore a terminated deployment with its current config, as 1.4's `start` means to."""
        current = await self.get(name, cluster)
        if current.status != m.DeploymentStatus.TERMINATED.value:
            raise RequestRejected(f"deployment {name} is {current.status}, not terminated")
        target = current.target
        if target is None or target.bento is None:
            raise NotFoundError(f"deployment {name} has no revision to start")
        config = target.config or v2.DeploymentConfigV2()
        body = v2.UpdateDeploymentV2(bento=target.bento_tag, **config.model_dump(exclude_none=True))
        return await self.update(name, body, current.cluster.name)

    async def terminate(self, name: str, cluster: str | None = None) -> v2.DeploymentFullSchemaV2:
        return await self._call(v2.DeploymentFullSchemaV2, "POST",
                                f"{V2_BASE}/{_seg(name)}/terminate", cluster=cluster)

    async def delete(self, name: str, cluster: str | None = None) -> v2.DeploymentFullSchemaV2:
        return await self._call(v2.DeploymentFullSchemaV2, "DELETE", f"{V2_BASE}/{_seg(name)}",
                                cluster=cluster)

    async def instance_types(self, cluster: str | None = None) -> list[v2.InstanceTypeSchema]:
        """The cluster's instance types (a bare JSON array)."""
        path = "/api/v1/instance_types"
        response = await self.client._send("GET", path, params=_params(cluster=cluster))
        if response.status_code != 200:
            raise self.client._error_for("GET", path, response)
        data = self.client._decode("GET", path, response)
        try:
            return _instance_types().validate_python(data)
        except ValidationError as exc:
            raise BadResponse(f"GET {path}: the answer is not a list of instance types: "
                              f"{m.describe_validation_error(exc)[0]}", status=200) from None

    def watch_pods(self, name: str, cluster: str | None = None,
                   **options: Any) -> ReconnectingStream[list[m.KubePodSchema]]:
        """`/ws/v2/deployments/{name}/pods`: the replicas on connect and after every change."""
        return ReconnectingStream(self.client, f"/ws/v2/deployments/{_seg(name)}/pods", parse_pods,
                                  params=_params(cluster=cluster), **options)


async def deployment_views(client: BentoCloudClient, cluster: str, flavour: Flavour,
                           page_size: int = 500) -> list[deployment_view.DeploymentView]:
    """Every deployment of the cluster as view models, through the endpoint's flavour."""
    if flavour == "v2":
        return [deployment_view.from_v2(d)
                async for d in DeploymentsV2(client).iter_all(cluster=cluster, page_size=page_size)]
    return [deployment_view.from_v1(d)
            async for d in client.iter_deployments(cluster, page_size=page_size)]
