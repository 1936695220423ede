"""The load of tests/reliability/test_load.py, run in its own interpreter.

`python -m tests.reliability.loadgen '<json settings>'` prints one JSON result.  A separate
process keeps the figures about the server: in the pytest process, whatever ran before (a
fuzzing run leaves hundreds of MB of objects to the garbage collector) slowed the client
itself down until its own queueing dominated the latencies.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from typing import Any

import httpx
from httpx_ws import aconnect_ws

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"
KINDS = ["list"] * 4 + ["get"] * 2 + ["pods", "events", "revisions", "patch"]


def patch_body(version: str, name: str, n: int) -> dict[str, Any]:
    return {"name": name, "mode": "deployment", "description": f"patch {n}", "do_not_deploy": True,
            "targets": [{"bento_repository": "iris_classifier", "bento": version,
                         "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}}}]}


async def subscriber(endpoint: str, headers: dict[str, str], seen: dict[str, str], counts: Counter,
                     index: int, problems: list[str], ready: asyncio.Event, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=endpoint, headers=headers, timeout=30) as client:
        async with aconnect_ws("/ws/v1/subscription/resource", client,
                               keepalive_ping_interval_seconds=None) as ws:
            await ws.send_text(json.dumps({"type": "data", "payload": {
                "action": "subscribe", "resource_type": "deployment", "resource_uids": [],
                "cluster_name": "default"}}))
            ready.set()
            while not stop.is_set():
                try:
                    text = await ws.receive_text(timeout=0.5)
                except Exception as exc:  # noqa: BLE001 - a timeout is queue.Empty / TimeoutError
                    if type(exc).__name__ in ("Empty", "TimeoutError"):
                        continue
                    problems.append(f"subscriber {index}: {type(exc).__name__}: {exc}")
                    return
                message = json.loads(text)
                if message["type"] != "success":
                    problems.append(f"subscriber {index}: {message}")
                    continue
                if message["payload"].get("event") == "subscribed":
                    continue  # the subscription is in force; not a change
                payload = message["payload"]["payload"]
                counts[index] += 1
                seen[payload["name"]] = payload.get("description") or ""


async def run(endpoint: str, token: str, names: list[str], version: str, seconds: float,
              subscribers: int, rate: int) -> dict[str, Any]:
    headers = {"X-YATAI-API-TOKEN": token}
    stop = asyncio.Event()
    seen: list[dict[str, str]] = [{} for _ in range(subscribers)]
    counts: Counter = Counter()
    problems: list[str] = []
    readies = [asyncio.Event() for _ in range(subscribers)]
    subs = [asyncio.create_task(subscriber(endpoint, headers, seen[i], counts, i, problems,
                                           readies[i], stop)) for i in range(subscribers)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
    await asyncio.sleep(0.3)

    rng = random.Random(3)
    latencies: dict[str, list[float]] = {}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=endpoint, headers=headers, timeout=30, limits=limits) as client:
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
                    response = await client.patch(f"{NS}/{name}", json=patch_body(version, name, n))
            except httpx.HTTPError as exc:
                errors.append(f"{kind}: {type(exc).__name__}")
                return
            latencies.setdefault(kind, []).append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(f"{kind}: {response.status_code} {response.text[:200]}")

        tasks: list[asyncio.Task] = []
        started = time.monotonic()
        n = 0
        lag = 0.0  # how late this process itself sent (its own queueing, not the server's)
        while (now := time.monotonic()) - started < seconds:
            due = int((now - started) * rate)
            if due > n:
                lag = max(lag, now - started - n / rate)
            while n < due:
                tasks.append(asyncio.create_task(request(KINDS[n % len(KINDS)], n)))
                n += 1
            tasks = [t for t in tasks if not t.done()]
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
        final = {d["name"]: d.get("description") or "" for d in
                 (await client.get("/api/v1/clusters/default/deployments")).json()["items"]}

    def behind(s: dict[str, str]) -> bool:
        return any(s.get(k, "") != v for k, v in final.items() if v)

    deadline = time.monotonic() + 10  # every subscriber catches up with the final state
    while time.monotonic() < deadline and any(behind(s) for s in seen):
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*subs, return_exceptions=True)
    return {"sent": n, "elapsed": elapsed, "latencies": latencies, "errors": errors,
            "problems": problems, "lagging": [i for i, s in enumerate(seen) if behind(s)],
            "pushes": dict(counts), "client_send_lag_s": round(lag, 3)}


if __name__ == "__main__":
    settings = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(run(**settings))))
