"""The tui/api client and streams end to end against the real local control plane."""

from __future__ import annotations

import asyncio

import pytest

from tests.harness import LocalCloud
from tests.support.fixtures import FIXTURES
from tui.api import models as m
from tui.api.client import BentoCloudClient
from tui.api.errors import ConnectionFailed, NotFoundError, RequestRejected, UnauthorizedError
from tui.api.streams import StreamStatus, subscribe_resources, tail_logs, watch_kube_events, watch_pods


def docs_file(version: str, name: str) -> m.FullDeploymentSchema:
    text = (FIXTURES / "example.json").read_text().replace("3auspqat6smdonry", version)
    document = m.parse_deployment_file(text)
    document.name = name
    return document


async def next_data(stream, predicate=lambda item: True, timeout: float = 30.0):
    async def find():
        async for item in stream:
            if not isinstance(item, StreamStatus) and predicate(item):
                return item
    return await asyncio.wait_for(find(), timeout)


async def wait_status(client: BentoCloudClient, name: str, status: str, timeout: float = 30.0):
    async def poll():
        while True:
            d = await client.get_deployment("default", name)
            if d.status.value == status:
                return d
            await asyncio.sleep(0.05)
    return await asyncio.wait_for(poll(), timeout)


async def test_client_full_lifecycle(cloud: LocalCloud, iris_version: str) -> None:
    async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
        user, org = await client.current_user(), await client.current_org()
        assert user.name and org.name == "local"
        assert (await client.server_info())["local"] is True
        cluster = await client.get_cluster("default")
        assert cluster.config.default_deployment_kube_namespace == "yatai"
        repos = await client.list_bento_repositories()
        assert {"iris_classifier", "sentiment"} <= {r.name for r in repos.items}
        bento = await client.get_bento("iris_classifier", iris_version)
        assert bento.manifest.runners[0].name == "iris_clf"

        created = await client.create_deployment("default", docs_file(iris_version, "client-a"))
        assert created.name == "client-a" and created.mode is m.DeploymentMode.FUNCTION
        with pytest.raises(RequestRejected, match="already exists"):
            await client.create_deployment("default", docs_file(iris_version, "client-a"))
        running = await wait_status(client, "client-a", "running")
        assert running.replicas is not None and running.replicas.ready >= 1

        listed = [d.name async for d in client.iter_deployments("default", page_size=2)]
        assert "client-a" in listed
        page = await client.list_deployments("default", q="status:running", count=1)
        assert page.count == 1 and all(d.status.value == "running" for d in page.items)

        update = docs_file(iris_version, "client-a")
        update.targets[0].config.hpa_conf.max_replicas = 3
        updated = await client.update_deployment("default", "client-a", update)
        assert updated.target.config.hpa_conf.max_replicas == 3
        revisions = await client.list_revisions("default", "client-a")
        assert revisions.total == 2 and revisions.items[0].status.value == "active"
        old = await client.get_revision("default", "client-a", revisions.items[1].uid)
        assert old.targets[0].config.hpa_conf.max_replicas == 2

        metrics = await client.deployment_metrics("default", "client-a", since_seconds=60)
        assert metrics is not None
        await wait_status(client, "client-a", "running")
        with pytest.raises(RequestRejected, match="deployment is not terminated"):
            await client.delete_deployment("default", "client-a")
        terminated = await client.terminate_deployment("default", "client-a")
        assert terminated.status.value in ("terminating", "terminated")
        await wait_status(client, "client-a", "terminated")
        await client.delete_deployment("default", "client-a")
        with pytest.raises(NotFoundError):
            await client.get_deployment("default", "client-a")


async def test_client_errors_against_the_real_server(cloud: LocalCloud) -> None:
    async with BentoCloudClient(cloud.endpoint, "wrong-token") as client:
        with pytest.raises(UnauthorizedError) as err:
            await client.list_clusters()
        assert "wrong-token" not in str(err.value)
    async with BentoCloudClient("http://127.0.0.1:9", cloud.token, timeout=2) as client:
        with pytest.raises(ConnectionFailed):
            await client.current_user()


async def test_streams_against_the_real_server(cloud: LocalCloud, iris_version: str) -> None:
    async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
        created = await client.create_deployment("default", docs_file(iris_version, "client-b"))
        subscription = subscribe_resources(client, [created.uid])
        pods = watch_pods(client, "default", None, "client-b")
        events = watch_kube_events(client, "default", None, "client-b")
        try:
            push = await next_data(subscription, lambda p: p.payload.get("status") == "running")
            assert push.payload["uid"] == created.uid
            ready = await next_data(pods, lambda ps: ps and all(p.status.ready for p in ps))
            assert {p.runner_name for p in ready} == {None, "iris_clf"}
            seen = await next_data(events, lambda evs: any(e.reason == "Ready" for e in evs))
            assert all(isinstance(e, m.KubeEvent) for e in seen)
            api_pod = next(p.name for p in ready if p.runner_name is None)
            tail = tail_logs(client, "default", None, "client-b", api_pod, tail_lines=5)
            try:
                first = await next_data(tail)
                assert first.type == "replace" and len(first.items) <= 5
            finally:
                await tail.aclose()
        finally:
            for stream in (subscription, pods, events):
                await stream.aclose()


async def test_subscription_reconnects_after_a_server_restart(tmp_path) -> None:
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
            version = (await client.get_bento_repository("iris_classifier")).latest_bento.version
            body = docs_file(version, "client-c")
            body.do_not_deploy = True
            created = await client.create_deployment("default", body)
            stream = subscribe_resources(client, [created.uid])
            states: list[str] = []

            async def consume():
                async for item in stream:
                    if isinstance(item, StreamStatus):
                        states.append(item.state)
                    elif item.payload.get("status") == "terminating":
                        return item

            task = asyncio.create_task(consume())
            while "connected" not in states:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(cloud.stop)
            while "reconnecting" not in states:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(cloud.start)
            while states.count("connected") < 2:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            await client.terminate_deployment("default", "client-c")
            push = await asyncio.wait_for(task, 20)
            assert push.payload["uid"] == created.uid
            await stream.aclose()
    finally:
        cloud.stop()


async def test_a_stream_of_a_deleted_deployment_ends_with_not_found(cloud: LocalCloud, iris_version: str) -> None:
    async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
        body = docs_file(iris_version, "client-gone")
        body.do_not_deploy = True
        await client.create_deployment("default", body)
        pods = watch_pods(client, "default", None, "client-gone")
        try:
            await next_data(pods)  # the first list
            await client.terminate_deployment("default", "client-gone")
            await wait_status(client, "client-gone", "terminated")
            await client.delete_deployment("default", "client-gone")
            with pytest.raises(NotFoundError, match="deleted"):
                await next_data(pods, timeout=10)
        finally:
            await pods.aclose()
        never = watch_kube_events(client, "default", "yatai", "never-existed")
        try:
            with pytest.raises(NotFoundError, match="record not found"):
                await next_data(never, timeout=10)
        finally:
            await never.aclose()
