"""The v2 client calls, flavour detection and the one view model, against the real control plane."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.harness import LocalCloud
from tests.localcloud.test_v2_api import create_body
from tui.api import client_v2
from tui.api import models_v2 as v2
from tui.api.client import BentoCloudClient
from tui.api.errors import NotFoundError, RequestRejected, UnauthorizedError
from tui.api.streams import StreamStatus


async def wait_v2(api: client_v2.DeploymentsV2, name: str, *statuses: str, timeout: float = 60):
    async def poll():
        while True:
            d = await api.get(name)
            if d.status in statuses:
                return d
            await asyncio.sleep(0.1)
    return await asyncio.wait_for(poll(), timeout)


def test_flavour_detection_override_and_refusal(cloud: LocalCloud) -> None:
    async def main():
        client_v2.forget_flavour(cloud.endpoint)
        async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
            assert await client_v2.api_flavour(client) == "v2"
            assert await client_v2.api_flavour(client, "v1") == "v1"
            with pytest.raises(ValueError):
                client_v2.parse_flavour("v3")
        client_v2.forget_flavour(cloud.endpoint)
        async with BentoCloudClient(cloud.endpoint, cloud.token + "x") as client:
            with pytest.raises(UnauthorizedError):  # a refused token is not taken for "v1"
                await client_v2.api_flavour(client)
        # An endpoint without v2 (a 404 for the route) is v1.
        def v1_only(request: httpx.Request) -> httpx.Response:
            return httpx.Response(404, json={"message": "not found this router with method GET"})
        client_v2.forget_flavour("http://v1.invalid")
        async with BentoCloudClient("http://v1.invalid", "t",
                                    transport=httpx.MockTransport(v1_only)) as client:
            assert await client_v2.api_flavour(client) == "v1"
    asyncio.run(main())


def test_v2_client_lifecycle_and_views(cloud: LocalCloud, iris_version: str) -> None:
    async def main():
        async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
            api = client_v2.DeploymentsV2(client)
            types = await api.instance_types()
            assert [t.name for t in types] == ["cpu.small", "cpu.medium", "cpu.large"]
            body = v2.CreateDeploymentV2.model_validate(create_body(iris_version, "c2-life"))
            created = await api.create(body)
            assert created.target.config.services["apiserver"].scaling.max_replicas == 3
            page = await api.list_page(count=1, search="c2-life")
            assert page.total == 1 and page.items[0].name == "c2-life"
            pods = api.watch_pods("c2-life")
            try:
                async for item in pods:
                    if not isinstance(item, StreamStatus):
                        assert isinstance(item, list)
                        break
            finally:
                await pods.aclose()
            update = v2.UpdateDeploymentV2(bento=body.bento, services={
                "apiserver": v2.ServiceConfig(instance_type="cpu.medium",
                                              scaling=v2.Scaling(min_replicas=1, max_replicas=2))})
            updated = await api.update("c2-life", update)
            assert updated.target.config.services["apiserver"].instance_type == "cpu.medium"
            await api.void_update("c2-life")
            with pytest.raises(RequestRejected):
                await api.start("c2-life")  # not terminated
            await api.terminate("c2-life")
            await wait_v2(api, "c2-life", "terminated")
            restored = await api.start("c2-life")
            assert restored.status != "terminated"
            assert restored.target.config.services["apiserver"].instance_type == "cpu.medium"
            views = {v.name: v for v in await client_v2.deployment_views(client, "default", "v2")}
            v1_views = {v.name: v for v in await client_v2.deployment_views(client, "default", "v1")}
            assert views["c2-life"].services == v1_views["c2-life"].services
            assert views["c2-life"].services[0].instance_type == "cpu.medium"
            await api.terminate("c2-life")
            await wait_v2(api, "c2-life", "terminated")
            await api.delete("c2-life")
            with pytest.raises(NotFoundError):
                await api.get("c2-life")
    asyncio.run(main())
