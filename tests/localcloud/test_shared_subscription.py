"""Following an open resource subscription without a socket of one's own (`listen`,
`open_subscription`: how the detail screen rides on the list's), against the real control plane."""

from __future__ import annotations

import asyncio

import httpx

from tests.harness import LocalCloud
from tests.support.app import create, until
from tui.api import models as m
from tui.api.client import BentoCloudClient
from tui.api.streams import StreamStatus, open_subscription, subscribe_resources

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


async def test_a_listener_sees_what_the_consumer_sees_then_the_end(cloud: LocalCloud,
                                                                   http: httpx.Client) -> None:
    uid = create(http, "shared-a", deploy=False)["uid"]
    other = create(http, "shared-b", deploy=False)["uid"]
    async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
        assert open_subscription(client, "default", uid) is None  # none open yet
        stream = subscribe_resources(client, [uid])
        heard: list[object] = []
        stop = stream.listen(heard.append)
        consumed: list[object] = []

        async def consume() -> None:
            async for item in stream:
                consumed.append(item)

        task = asyncio.create_task(consume())
        await until(lambda: StreamStatus("connected", 0) in heard, what="connected")
        assert open_subscription(client, "default", uid) is stream
        assert open_subscription(client, "default", other) is None  # not subscribed: not covered
        async with BentoCloudClient(cloud.endpoint, cloud.token) as elsewhere:
            assert open_subscription(elsewhere, "default", uid) is None  # another client's

        assert http.post(f"{NS}/shared-a/terminate").status_code == 200
        await until(lambda: any(isinstance(i, m.SubscriptionPush) for i in heard), what="a push")
        await until(lambda: len(consumed) >= len(heard), what="the consumer")
        assert consumed[: len(heard)] == heard  # the same items, in the same order
        stop()
        seen = len(heard)
        await stream.aclose()
        await task
        assert len(heard) == seen  # stopped listening: nothing more, not even the end

        ended: list[object] = []
        stream.listen(ended.append)
        assert ended == [None]  # listening to a closed stream: told at once that it is over
        assert open_subscription(client, "default", uid) is None


async def test_the_end_reaches_a_listener(cloud: LocalCloud) -> None:
    async with BentoCloudClient(cloud.endpoint, cloud.token) as client:
        stream = subscribe_resources(client, [], cluster_name="default").start()
        heard: list[object] = []
        stream.listen(heard.append)
        await until(lambda: StreamStatus("connected", 0) in heard, what="connected")
        assert open_subscription(client, "default", "any-uid") is stream  # the whole cluster
        await stream.aclose()
        assert heard[-1] is None
