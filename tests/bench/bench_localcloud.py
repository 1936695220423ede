"""Local control plane figures; prints one JSON object.

    .venv/bin/python tests/bench/bench_localcloud.py [--deployments 100] [--samples 200]

Measures, against a real control plane in a temporary home:
- create_to_running_s: POST create of iris_classifier (API server + runner) to status `running`
  seen through the subscription websocket (median of 5);
- cold_start_s: function-mode deployment scaled to zero, first request to first response
  (median of 3);
- status_push_ms p50/p95: POST terminate to the `terminating` push on a subscription socket;
- list_ms / list_v2_ms p50/p99: GET /api/v1/clusters/default/deployments and
  /api/v2/deployments with N deployments (count=N), through httpx as a
  client sees it (the N deployments are written with the project's Store while the control
  plane is stopped, see tests/bench/common.populate_store; one request warms the render cache);
- gateway_ms: the same small request (sentiment /analyze) sent straight to the replica's port
  and through the gateway (`{url}/analyze`), alternately on kept-alive connections; p50 of
  each and `overhead_p50` = the median of the paired differences;
- concurrent_cold (P7): 500 concurrent requests to a function-mode deployment scaled to zero;
  each answer is checked against the same request made once the replica is warm;
- rss_mb of the control plane and of one replica process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from httpx_ws import connect_ws

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import populate_store  # noqa: E402
from tests.harness import LocalCloud, wait_for  # noqa: E402

NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


def version(http: httpx.Client, repo: str) -> str:
    return http.get(f"/api/v1/bento_repositories/{repo}").json()["latest_bento"]["version"]


def body(name: str, repo: str, v: str, mode: str = "deployment", deploy: bool = True) -> dict:
    doc = {"name": name, "mode": mode,
           "targets": [{"bento_repository": repo, "bento": v,
                        "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}}}]}
    if not deploy:
        doc["do_not_deploy"] = True
    return doc


def create_to_running(http: httpx.Client, v: str, name: str) -> float:
    with connect_ws("/ws/v1/subscription/resource", http) as ws:
        ws.send_text(json.dumps({"type": "data", "payload": {
            "action": "subscribe", "resource_type": "deployment", "resource_uids": [],
            "cluster_name": "default"}}))
        time.sleep(0.1)
        start = time.perf_counter()
        http.post("/api/v1/clusters/default/deployments", json=body(name, "iris_classifier", v))
        while True:
            message = json.loads(ws.receive_text(timeout=30))
            payload = message["payload"]["payload"]
            if payload.get("name") == name and payload.get("status") == "running":
                return time.perf_counter() - start


def cold_start(http: httpx.Client, v: str, name: str) -> float:
    http.post("/api/v1/clusters/default/deployments", json=body(name, "sentiment", v, mode="function"))
    wait_for(lambda: http.get(f"{NS}/{name}").json()["status"] == "running", 30)
    wait_for(lambda: http.get(f"{NS}/{name}/pods").json() == [], 30, what="scale to zero")
    url = http.get(f"{NS}/{name}").json()["urls"][0]
    start = time.perf_counter()
    response = httpx.post(f"{url}/analyze", json={"text": "good"}, timeout=30)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text
    return elapsed


def status_push_ms(http: httpx.Client, v: str, runs: int = 20) -> dict[str, float]:
    """POST terminate to the `terminating` push arriving on a subscription socket."""
    timings = []
    with connect_ws("/ws/v1/subscription/resource", http) as ws:
        ws.send_text(json.dumps({"type": "data", "payload": {
            "action": "subscribe", "resource_type": "deployment", "resource_uids": [],
            "cluster_name": "default"}}))
        for i in range(runs):
            name = f"bench-push-{i}"
            http.post("/api/v1/clusters/default/deployments",
                      json=body(name, "iris_classifier", v, deploy=False))
            start = time.perf_counter()
            http.post(f"{NS}/{name}/terminate")
            while True:
                payload = json.loads(ws.receive_text(timeout=10))["payload"]["payload"]
                if payload.get("name") == name and payload.get("status") == "terminating":
                    timings.append((time.perf_counter() - start) * 1000)
                    break
    timings.sort()
    return {"p50": round(timings[len(timings) // 2], 2),
            "p95": round(timings[int(len(timings) * 0.95) - 1], 2)}


def gateway_overhead(http: httpx.Client, v: str, samples: int) -> dict[str, float]:
    name = "bench-gw"
    http.post("/api/v1/clusters/default/deployments", json=body(name, "sentiment", v))
    wait_for(lambda: http.get(f"{NS}/{name}").json()["status"] == "running", 30)
    url = http.get(f"{NS}/{name}").json()["urls"][0]
    port = http.get(f"{NS}/{name}/pods").json()[0]["usage"]["port"]
    payload = {"text": "a good and pleasant day"}
    direct, via, diffs = [], [], []
    with httpx.Client(timeout=30) as to_replica, httpx.Client(timeout=30) as to_gateway:
        for _ in range(20):  # warm both connections and the replica
            to_replica.post(f"http://127.0.0.1:{port}/analyze", json=payload)
            to_gateway.post(f"{url}/analyze", json=payload)
        for i in range(samples):
            order = [(to_replica, f"http://127.0.0.1:{port}/analyze", direct),
                     (to_gateway, f"{url}/analyze", via)]
            if i % 2:
                order.reverse()
            for client, target, out in order:
                start = time.perf_counter()
                response = client.post(target, json=payload)
                out.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text
            diffs.append(via[-1] - direct[-1])
    direct.sort()
    via.sort()
    return {"samples": samples, "direct_p50": round(statistics.median(direct), 3),
            "gateway_p50": round(statistics.median(via), 3),
            "overhead_p50": round(statistics.median(diffs), 3)}


def concurrent_cold(http: httpx.Client, v: str, n: int = 500) -> dict[str, object]:
    """n requests at once to a function-mode deployment at zero replicas: every one answered,
    and answered right (the same as once warm)."""
    import asyncio

    name = "bench-p7"
    doc = body(name, "sentiment", v, mode="function")
    doc["targets"][0]["config"]["hpa_conf"] = {"min_replicas": 0, "max_replicas": 2}
    http.post("/api/v1/clusters/default/deployments", json=doc)
    wait_for(lambda: http.get(f"{NS}/{name}").json()["status"] == "running", 30)
    wait_for(lambda: http.get(f"{NS}/{name}/pods").json() == [], 30, what="scale to zero")
    url = http.get(f"{NS}/{name}").json()["urls"][0]
    texts = ["what a great and wonderful day", "an awful, terrible mess", "the table is brown",
             "good food but bad service", "i love it"]

    # A bare asyncio HTTP/1.1 client: httpx's AsyncClient spends ~6 CPU-seconds on 500
    # concurrent requests, which would make this the measure of the bench's own client.
    from urllib.parse import urlsplit

    target = urlsplit(f"{url}/analyze")

    async def one(i: int) -> tuple[int, int, str, float]:
        start = time.perf_counter()
        payload = json.dumps({"text": texts[i % len(texts)]}).encode()
        try:
            reader, writer = await asyncio.open_connection(target.hostname, target.port)
            writer.write(f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + payload)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), 120)
            writer.close()
            head, _, text = raw.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            if b"transfer-encoding: chunked" in head.lower():
                text = _unchunk(text)
            return i, status, text.decode(), time.perf_counter() - start
        except (OSError, asyncio.TimeoutError, ValueError, IndexError) as exc:
            return i, 0, repr(exc), time.perf_counter() - start

    async def storm() -> list[tuple[int, int, str, float]]:
        return await asyncio.gather(*(one(i) for i in range(n)))

    started = time.perf_counter()
    answers = asyncio.run(storm())
    wall = time.perf_counter() - started
    expected = {t: httpx.post(f"{url}/analyze", json={"text": t}, timeout=30).text for t in texts}
    expected = {t: json.loads(v) for t, v in expected.items()}
    def right(i: int, status: int, text: str) -> bool:
        try:
            return status == 200 and json.loads(text) == expected[texts[i % len(texts)]]
        except ValueError:
            return False

    ok = sum(1 for i, status, text, _ in answers if right(i, status, text))
    failures = [(status, text[:200]) for i, status, text, _ in answers if not right(i, status, text)][:5]
    latencies = sorted(a[3] for a in answers)
    return {"requests": n, "answered_correctly": ok, "dropped_or_wrong": n - ok,
            "first_failures": failures, "wall_s": round(wall, 3),
            "latency_p50_s": round(latencies[len(latencies) // 2], 3),
            "latency_max_s": round(latencies[-1], 3)}


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


def runtime_figures(cloud: LocalCloud, args: argparse.Namespace, result: dict[str, object]) -> None:
    """Everything but the list latencies: creation, pushes, cold starts, gateway, memory."""
    with cloud.client() as http:
        iris, senti = version(http, "iris_classifier"), version(http, "sentiment")
        runs = [create_to_running(http, iris, f"bench-run-{i}") for i in range(5)]
        result["create_to_running_s"] = {"median": round(statistics.median(runs), 3),
                                         "all": [round(r, 3) for r in runs]}
        result["status_push_ms"] = status_push_ms(http, iris)
        colds = [cold_start(http, senti, f"bench-cold-{i}") for i in range(3)]
        result["cold_start_s"] = {"median": round(statistics.median(colds), 3),
                                  "all": [round(c, 3) for c in colds]}
        result["gateway_ms"] = gateway_overhead(http, senti, args.gateway_samples)
        result["concurrent_cold"] = concurrent_cold(http, senti, args.concurrent)
        pods = http.get(f"{NS}/bench-run-0/pods").json()
        replica_rss = [psutil.Process(p["usage"]["pid"]).memory_info().rss for p in pods]
        result["rss_mb"] = {
            "control_plane": round(psutil.Process(cloud.proc.pid).memory_info().rss / 2**20, 1),
            "replica_api_server": round(replica_rss[0] / 2**20, 1) if replica_rss else None,
            "replicas_of_one_deployment": [round(r / 2**20, 1) for r in replica_rss],
        }


def list_latency(http: httpx.Client, path: str, n: int, samples: int) -> dict[str, float]:
    """p50/p99 of listing `n` deployments at once (one warm-up request first)."""
    http.get(path, params={"count": n})
    timings = []
    for _ in range(samples):
        start = time.perf_counter()
        response = http.get(path, params={"count": n})
        timings.append((time.perf_counter() - start) * 1000)
        assert len(response.json()["items"]) == n
    timings.sort()
    return {"deployments": n, "p50": round(timings[len(timings) // 2], 2),
            "p99": round(timings[int(len(timings) * 0.99) - 1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=100)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--gateway-samples", type=int, default=300)
    parser.add_argument("--concurrent", type=int, default=500)
    parser.add_argument("--list-only", action="store_true",
                        help="only the v1 and v2 list latencies (skips the runtime figures)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-localcloud-"))
    cloud = LocalCloud(home, env_overrides={"BENTOTUI_RUNTIME_IDLE_SCALE_TO_ZERO_S": "1"}).start()
    result: dict[str, object] = {}
    try:
        if not args.list_only:
            runtime_figures(cloud, args, result)
        with cloud.client() as http:
            existing = http.get("/api/v1/clusters/default/deployments", params={"count": 1}).json()["total"]
        missing = max(args.deployments - existing, 0)
        if missing:
            populate_store(cloud, [f"bench-list-{i}" for i in range(missing)])
        with cloud.client() as http:
            # the restart brings the running deployments back: let them settle first
            wait_for(lambda: not http.get("/api/v1/clusters/default/deployments",
                                          params={"count": 10, "q": "status:deploying,image-building"}
                                          ).json()["items"], 60, what="deployments to settle")
            result["list_ms"] = list_latency(http, "/api/v1/clusters/default/deployments",
                                             args.deployments, args.samples)
            result["list_v2_ms"] = list_latency(http, "/api/v2/deployments", args.deployments,
                                                args.samples)
    finally:
        cloud.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
