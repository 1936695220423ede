"""Item 9: 50 concurrent subscribers plus a mix of 100 API requests/s.

For BENTOTUI_SOAK_SECONDS (default 5; the note's figures use 60): no errors, every subscriber
ends with the server's final state of every deployment it watches (pushes coalesce, none of
the final states is lost), p99 latency reported, and the control plane's memory flat by the
end (RSS sampled every second; the last third of the run may not grow past the middle third).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from httpx_ws import aconnect_ws

from tests.harness import LocalCloud
from tests.reliability.conftest import CREATE, NS, body, latest_version, report, soak_seconds

SUBSCRIBERS = 50
RATE = 100  # requests per second, open loop
DEPLOYMENTS = 30
# Allowed growth of the last third over the middle third: a short run is still warming up
# (caches, SQLite pages), a full-length one must be flat.
MAX_GROWTH_BYTES = 8 * 1024 * 1024
MAX_GROWTH_BYTES_SHORT = 16 * 1024 * 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))] if ordered else 0.0


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[LocalCloud]:
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        yield cloud
    finally:
        cloud.stop()


async def subscriber(cloud: LocalCloud, seen: dict[str, str], counts: Counter, index: int,
                     problems: list[str], ready: asyncio.Event, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=cloud.endpoint, headers=cloud.headers, timeout=30) as client:
        async with aconnect_ws("/ws/v1/subscription/resource", client,
                               keepalive_ping_interval_seconds=None) as ws:
            await ws.send_text(json.dumps({"type": "data", "payload": {
                "action": "subscribe", "resource_type": "deployment", "resource_uids": [],
                "cluster_name": "default"}}))
            ready.set()
            while not stop.is_set():
                try:
                    text = await ws.receive_text(timeout=0.5)
                except (asyncio.TimeoutError, TimeoutError, Exception) as exc:  # noqa: BLE001
                    if type(exc).__name__ in ("Empty", "TimeoutError"):
                        continue
                    problems.append(f"subscriber {index}: {type(exc).__name__}: {exc}")
                    return
                message = json.loads(text)
                if message["type"] != "success":
                    problems.append(f"subscriber {index}: {message}")
                    continue
                payload = message["payload"]["payload"]
                counts[index] += 1
                seen[payload["name"]] = payload.get("description") or ""


@pytest.mark.slow
def test_50_subscribers_and_100_requests_per_second(loaded: LocalCloud) -> None:
    seconds = soak_seconds()
    cloud = loaded
    with cloud.client() as http:
        version = latest_version(http)
        names = [f"load-{i:02d}" for i in range(DEPLOYMENTS)]
        for name in names:
            assert http.post(CREATE, json=body(version, name, deploy=False)).status_code == 200
    server = psutil.Process(cloud.proc.pid)

    async def run() -> dict:
        stop = asyncio.Event()
        seen: list[dict[str, str]] = [{} for _ in range(SUBSCRIBERS)]
        counts: Counter = Counter()
        problems: list[str] = []
        readies = [asyncio.Event() for _ in range(SUBSCRIBERS)]
        subs = [asyncio.create_task(subscriber(cloud, seen[i], counts, i, problems, readies[i], stop))
                for i in range(SUBSCRIBERS)]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        await asyncio.sleep(0.3)

        rng = random.Random(3)
        latencies: dict[str, list[float]] = {}
        errors: list[str] = []
        rss: list[tuple[float, int]] = []
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=cloud.endpoint, headers=cloud.headers, timeout=30,
                                     limits=limits) as client:
            async def request(kind: str, n: int) -> None:
                name = rng.choice(names)
                started = time.perf_counter()
                try:
                    if kind == "list":
                        response = await client.get("/api/v1/clusters/default/deployments")
                    elif kind == "get":
                        response = await client.get(f"{NS}/{name}")
                    elif kind == "pods":
                        response = await client.get(f"{NS}/{name}/pods")
                    elif kind == "events":
                        response = await client.get(f"{NS}/{name}/kube_events")
                    elif kind == "revisions":
                        response = await client.get(f"{NS}/{name}/revisions")
                    else:
                        response = await client.patch(f"{NS}/{name}", json=body(
                            version, name, deploy=False, description=f"patch {n}"))
                except httpx.HTTPError as exc:
                    errors.append(f"{kind}: {type(exc).__name__}")
                    return
                latencies.setdefault(kind, []).append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors.append(f"{kind}: {response.status_code} {response.text[:200]}")

            kinds = ["list"] * 4 + ["get"] * 2 + ["pods", "events", "revisions", "patch"]
            tasks: list[asyncio.Task] = []
            started = time.monotonic()
            n = 0
            next_sample = started
            while (now := time.monotonic()) - started < seconds:
                due = int((now - started) * RATE)
                while n < due:
                    tasks.append(asyncio.create_task(request(kinds[n % len(kinds)], n)))
                    n += 1
                if now >= next_sample:
                    rss.append((now - started, server.memory_info().rss))
                    next_sample += 1.0
                tasks = [t for t in tasks if not t.done()]
                await asyncio.sleep(0.005)
            await asyncio.gather(*tasks)
            elapsed = time.monotonic() - started
            rss.append((elapsed, server.memory_info().rss))
            final = {d["name"]: d.get("description") or "" for d in
                     (await client.get("/api/v1/clusters/default/deployments")).json()["items"]}

        # every subscriber catches up with the final state of every deployment
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
                any(s.get(k, "") != v for k, v in final.items() if v) for s in seen):
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*subs, return_exceptions=True)
        lagging = [i for i, s in enumerate(seen) if any(s.get(k, "") != v for k, v in final.items() if v)]
        return {"sent": n, "elapsed": elapsed, "latencies": latencies, "errors": errors,
                "problems": problems, "lagging": lagging, "rss": rss, "pushes": counts}

    result = asyncio.run(run())
    all_latencies = [x for values in result["latencies"].values() for x in values]
    rss = [value for _, value in result["rss"]]
    third = max(1, len(rss) // 3)
    middle, last = rss[third:2 * third] or rss[:1], rss[2 * third:] or rss[-1:]
    figures = {
        "seconds": round(result["elapsed"], 1),
        "requests": result["sent"],
        "rate_per_s": round(result["sent"] / result["elapsed"], 1),
        "errors": len(result["errors"]),
        "p50_ms": round(percentile(all_latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(all_latencies, 0.99) * 1000, 1),
        "p99_ms_by_kind": {k: round(percentile(v, 0.99) * 1000, 1)
                           for k, v in sorted(result["latencies"].items())},
        "pushes_per_subscriber_min": min(result["pushes"].values()) if result["pushes"] else 0,
        "rss_mb_start": round(rss[0] / 2**20, 1),
        "rss_mb_middle_max": round(max(middle) / 2**20, 1),
        "rss_mb_end": round(rss[-1] / 2**20, 1),
        "rss_mb_last_max": round(max(last) / 2**20, 1),
    }
    report("load", **figures)
    assert not result["errors"], result["errors"][:10]
    assert not result["problems"], result["problems"][:10]
    assert not result["lagging"], f"subscribers missing final states: {result['lagging']}"
    assert result["sent"] >= RATE * (seconds - 1)
    assert len(result["pushes"]) == SUBSCRIBERS
    allowed = MAX_GROWTH_BYTES if seconds >= 30 else MAX_GROWTH_BYTES_SHORT
    assert max(last) - max(middle) <= allowed, figures
