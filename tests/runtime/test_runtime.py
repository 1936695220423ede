"""The local runtime with real replica processes on loopback: deploy, route, crash, scale, stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from tui.localcloud.runtime.orchestrator import Runtime
from tui.localcloud.runtime.records import ComponentSpec, DeploymentSpec, RuntimeEvent, RuntimeSettings
from tui.localcloud.runtime.scaler import Autoscaler, desired_replicas, replica_floor
from tui.localcloud.samples import get_sample

TOKEN = "tok-5ecret-9d8f7e6a5b4c3d2e1f"
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
IRIS_LABELS = ["setosa", "virginica", "versicolor"]


# ---------------------------------------------------------------------------- harness


@dataclass
class Harness:
    runtime: Runtime
    home: Path
    events: list[RuntimeEvent] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    seen_pids: set[int] = field(default_factory=set)

    def reasons(self, name: str | None = None) -> list[str]:
        return [e.reason for e in self.events if name is None or e.object_name == name]

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """Through the gateway app in-process (the socket path has its own fixture)."""
        transport = httpx.ASGITransport(app=mounted(self.runtime))
        return httpx.AsyncClient(transport=transport, base_url="http://cp/gw/default", timeout=30, **kwargs)

    async def wait(self, predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}; events: {self.summary()}")
            self.track()
            await asyncio.sleep(0.01)
        self.track()

    async def ready(self, uid: str, count: int, timeout: float = 10.0) -> None:
        await self.wait(
            lambda: len(reps := self.runtime.replicas(uid)) == count and all(r.ready for r in reps),
            timeout,
            f"{count} ready replicas of {uid}",
        )

    def track(self) -> None:
        for dep in list(self.runtime._deployments):
            self.seen_pids.update(r.pid for r in self.runtime.replicas(dep) if r.pid)

    def summary(self) -> str:
        return "; ".join(f"{e.object_name}:{e.reason}:{e.message}" for e in self.events[-30:])


def mounted(runtime: Runtime) -> Starlette:
    """The gateway as the server mounts it: Starlette Mount at /gw."""
    return Starlette(routes=[Mount("/gw", app=runtime.gateway_app)])


SETTINGS = RuntimeSettings(
    idle_scale_to_zero_s=1.0,
    scale_interval_s=0.05,
    backoff_initial_s=0.2,
    backoff_max_s=1.0,
    metrics_interval_s=0.2,
    metrics_retention_s=60,
    target_inflight_per_replica=2,
    scale_down_stabilization_s=0.5,
    probe_interval_s=0.5,
    termination_grace_s=2.0,
)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    home = tmp_path / "home"
    h = Harness(runtime=None, home=home)  # type: ignore[arg-type]
    h.runtime = Runtime(home, replace(SETTINGS), h.events.append, h.changes.append, api_token=TOKEN)
    await h.runtime.start()
    try:
        yield h
    finally:
        h.track()
        await h.runtime.close()
        leftovers = [pid for pid in h.seen_pids if _alive(pid)]
        for pid in leftovers:  # never leave a process behind, even when a test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not leftovers, f"replica processes survived close(): {leftovers}"


@pytest.fixture
async def gateway_url(harness: Harness) -> AsyncIterator[str]:
    """The gateway behind a real uvicorn socket, mounted at /gw like the server does."""
    config = uvicorn.Config(mounted(harness.runtime), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn failed to start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/gw/default"
    finally:
        server.should_exit = True
        await task


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def spec_for(
    bento: Path | str,
    *,
    uid: str = "dep-1",
    name: str = "demo",
    mode: str = "deployment",
    revision: str = "rev-1",
    api: tuple[int, int] = (1, 1),
    runners: dict[str, ComponentSpec] | None = None,
    envs: dict[str, str] | None = None,
    **extra: Any,
) -> DeploymentSpec:
    if isinstance(bento, str):
        sample = get_sample(bento)
        assert sample is not None
        path, repo, version = sample.path, sample.repository, sample.version
    else:
        path, repo, version = bento, bento.name, "0123456789abcdef"
    return DeploymentSpec(
        uid=uid,
        name=name,
        cluster="default",
        namespace="yatai",
        mode=mode,
        revision_uid=revision,
        bento_repository=repo,
        bento_version=version,
        bento_path=path,
        api_server=ComponentSpec(None, api[0], api[1], envs or {}),
        runners=runners or {},
        **extra,
    )


def write_bento(root: Path, name: str, service_py: str) -> Path:
    """A tiny bento in a temporary folder (for behaviours the samples do not have)."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "bento.json").write_text(
        json.dumps(
            {
                "repository": name,
                "service": "service:Svc",
                "bentoml_version": "1.1.11",
                "apis": {"work": {"route": "/work"}},
                "runners": [],
            }
        )
    )
    (folder / "service.py").write_text(service_py)
    return folder


SLOW_SERVICE = """
import os, time
class Svc:
    def work(self, payload):
        time.sleep(float(payload.get("sleep", 0)))
        return {"pid": os.getpid(), "echo": payload.get("echo")}
"""


# ---------------------------------------------------------------------------- tests


async def test_iris_api_server_and_runner_classify_through_a_real_socket(
    harness: Harness, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", TOKEN)  # in the control plane's env: must not leak
    rt = harness.runtime
    spec = spec_for(
        "iris_classifier",
        name="iris-demo",
        require_bearer_token=True,
        envs={"GREETING": "hello", "LEAKY": f"x{TOKEN}"},
    )
    await rt.apply(spec)
    assert rt.is_active("dep-1")
    assert [r.phase for r in rt.replicas("dep-1")] == ["Pending", "Pending"]  # scheduled, not ready
    await harness.ready("dep-1", 2)

    api, runner = rt.replicas("dep-1")
    assert api.runner_name is None and api.component == "api-server"
    assert runner.runner_name == "iris_clf"
    assert api.name.startswith("iris-demo-") and "-api-" in api.name
    assert "-runner-iris-clf-" in runner.name
    assert api.phase == runner.phase == "Running"
    assert api.pid != runner.pid and api.port != runner.port
    for reason in ("Scheduled", "Started", "Ready"):
        assert reason in harness.reasons(api.name) and reason in harness.reasons(runner.name)
    assert "dep-1" in harness.changes
    assert any(e.reason == "EnvWithheld" and "LEAKY" in e.message for e in harness.events)

    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client:
        body = json.dumps(IRIS_ROWS)
        denied = await client.post("/iris-demo/classify", content=body)
        assert denied.status_code == 401 and "token" in denied.json()["error"]
        wrong = await client.post("/iris-demo/classify", content=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        ok = await client.post("/iris-demo/classify", content=body, headers=auth)
        assert ok.status_code == 200, ok.text
        assert ok.json() == IRIS_LABELS
        assert ok.headers["x-bentotui-replica"] == api.name
        wrapped = await client.post("/iris-demo/classify", json={"inputs": IRIS_ROWS[:1]}, headers=auth)
        assert wrapped.json() == ["setosa"]
        assert (await client.post("/iris-demo/classify", json=[[1, 2]], headers=auth)).status_code == 400
        assert (await client.get("/iris-demo/readyz", headers=auth)).status_code == 200
        missing = await client.get("/nobody/classify", headers=auth)
        assert missing.status_code == 404 and "nobody" in missing.json()["error"]

    # the replica's own log: start-up lines and one line per request
    log_text = rt.log_path("dep-1", api.name).read_text()  # type: ignore[union-attr]
    assert "Listening on" in log_text and '"POST /classify HTTP/1.1" 200' in log_text
    assert "ready" in rt.log_path("dep-1", runner.name).read_text()  # type: ignore[union-attr]
    assert rt.log_path("dep-1", "no-such-replica") is None

    # the token is in no replica's command line or environment
    for info in rt.replicas("dep-1"):
        proc = psutil.Process(info.pid)
        assert not any(TOKEN in part for part in proc.cmdline())
        environ = proc.environ()
        assert not any(TOKEN in value for value in environ.values())
        assert environ["GREETING"] == "hello" if info.runner_name is None else True
        assert "BENTO_CLOUD_API_KEY" not in environ and "LEAKY" not in environ
    api_env = psutil.Process(api.pid).environ()
    runners = json.loads(api_env["BENTOTUI_RUNNERS"])
    assert list(runners) == ["iris_clf"] and runners["iris_clf"].startswith("http://127.0.0.1:")


async def test_metrics_are_measured(harness: Harness) -> None:
    rt = harness.runtime
    await rt.apply(spec_for("iris_classifier"))
    await harness.ready("dep-1", 2)
    # the gateway called with the mount prefix already stripped from the path
    transport = httpx.ASGITransport(app=rt.gateway_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cp/default") as client:
        for _ in range(20):
            assert (await client.post("/demo/classify", json=IRIS_ROWS)).status_code == 200
        assert (await client.post("/demo/classify", json="bad")).status_code == 400
    done = datetime.now(timezone.utc)
    await harness.wait(lambda: any(p.t > done for p in rt.metrics("dep-1").requests), what="an interval closed")
    await harness.wait(lambda: all(r.cpu_percent for r in rt.metrics("dep-1").replicas), what="cpu samples")
    metrics = rt.metrics("dep-1")
    assert sum(p.value for p in metrics.requests) * metrics.interval_seconds == pytest.approx(21, rel=0.35)
    assert all(p.value == 0 for p in metrics.errors)  # a 400 is not a server error
    assert metrics.latency_p50_ms and 0 < metrics.latency_p50_ms[-1].value < 1000
    assert all(p95.value >= p50.value for p50, p95 in zip(metrics.latency_p50_ms, metrics.latency_p95_ms, strict=False))
    assert {r.runner_name for r in metrics.replicas} == {None, "iris_clf"}
    for series in metrics.replicas:
        assert 5_000_000 < series.memory_bytes[-1].value < 500_000_000  # a real RSS
    assert metrics.replica_count[-1].value == 2
    infos = rt.replicas("dep-1")
    assert all(i.memory_bytes and i.memory_bytes > 5_000_000 for i in infos)


async def test_kill_9_restarts_the_replica_with_back_off(harness: Harness) -> None:
    rt = harness.runtime
    await rt.apply(spec_for("sentiment"))
    await harness.ready("dep-1", 1)
    (before,) = rt.replicas("dep-1")
    os.kill(before.pid, signal.SIGKILL)  # type: ignore[arg-type]
    await harness.wait(lambda: "BackOff" in harness.reasons(before.name), what="BackOff")
    exited = next(e for e in harness.events if e.reason == "Exited")
    assert exited.object_kind == "Pod" and exited.type == "Warning" and "137" in exited.message
    backoff = next(e for e in harness.events if e.reason == "BackOff")
    assert backoff.type == "Warning" and "Back-off restarting failed container" in backoff.message
    (failed,) = rt.replicas("dep-1")
    assert failed.phase == "Failed" and not failed.ready and failed.last_exit_code == 137
    await harness.ready("dep-1", 1)
    (after,) = rt.replicas("dep-1")
    assert after.name == before.name  # same pod, new container
    assert after.restart_count == 1 and after.pid != before.pid and after.phase == "Running"
    assert not _alive(before.pid)  # type: ignore[arg-type]
    async with harness.client() as client:
        resp = await client.post("/demo/analyze", json={"text": "back and good as new"})
        assert resp.status_code == 200 and resp.json()["label"] == "positive"


async def test_a_replica_dying_under_traffic_is_retried_on_another(harness: Harness) -> None:
    rt = harness.runtime
    await rt.apply(spec_for("sentiment", api=(2, 2)))
    await harness.ready("dep-1", 2)
    async with harness.client() as client:
        for _ in range(10):  # warm keep-alive connections to both replicas
            assert (await client.post("/demo/analyze", json={"text": "fine"})).status_code == 200
        victim = rt.replicas("dep-1")[0]
        os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
        statuses = [(await client.post("/demo/analyze", json={"text": "great"})).status_code for _ in range(20)]
    assert statuses == [200] * 20


async def test_scales_up_under_load_within_max_and_back_down(harness: Harness, tmp_path: Path) -> None:
    rt = harness.runtime
    bento = write_bento(tmp_path, "slow", SLOW_SERVICE)
    await rt.apply(spec_for(bento, api=(1, 3)))
    await harness.ready("dep-1", 1)
    most = 0

    async def watch() -> None:
        nonlocal most
        while True:
            most = max(most, len([r for r in rt.replicas("dep-1") if not r.terminating]))
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    try:
        async with harness.client() as client:
            # 8 in flight / 2 per replica wants 4 replicas; max is 3
            load = [client.post("/demo/work", json={"sleep": 1.0, "echo": i}) for i in range(8)]
            scaled = asyncio.create_task(harness.wait(lambda: len(rt.replicas("dep-1")) == 3, 5, "3 replicas"))
            responses = await asyncio.gather(*load)
            await scaled
        assert [r.json()["echo"] for r in responses] == list(range(8))
        await harness.ready("dep-1", 3)
        await harness.wait(
            lambda: len(rt.replicas("dep-1")) == 1 and "ScaledDown" in harness.reasons(), 5, "scale down to 1"
        )
    finally:
        watcher.cancel()
    assert most == 3
    up = [e.message for e in harness.events if e.reason == "ScaledUp"]
    assert up and up[0].startswith("Scaled up api-server from 1 to ")
    down = [e.message for e in harness.events if e.reason == "ScaledDown"]
    assert down[-1].endswith("to 1 replicas")
    assert all(e.object_kind == "BentoDeployment" for e in harness.events if e.reason.startswith("Scaled"))


async def raw_post(url: str, body: bytes) -> tuple[int, bytes]:
    """One request on its own connection, by hand: a test client with no pool of its own."""
    parsed = httpx.URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    writer.write(
        f"POST {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {parsed.host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )
    data = await reader.read()
    writer.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    assert b"content-length" in head.lower(), head
    return int(head.split()[1]), payload


async def test_function_mode_scales_to_zero_and_answers_a_cold_burst(harness: Harness, gateway_url: str) -> None:
    rt = harness.runtime
    await rt.apply(spec_for("sentiment", name="fn", mode="function", api=(1, 2)))
    await harness.ready("dep-1", 1)
    (first,) = rt.replicas("dep-1")
    await harness.wait(lambda: rt.replicas("dep-1") == [], 5, "scale to zero")
    assert "ScaledToZero" in harness.reasons("fn")
    assert not _alive(first.pid)  # type: ignore[arg-type]
    assert rt.is_active("dep-1")

    texts = ["I love it", "this is awful", "it is a chair"]
    expected = ["positive", "negative", "neutral"]
    started = time.monotonic()
    answers = await asyncio.gather(
        *(raw_post(f"{gateway_url}/fn/analyze", json.dumps({"text": texts[i % 3]}).encode()) for i in range(500))
    )
    elapsed = time.monotonic() - started
    assert [status for status, _ in answers] == [200] * 500
    assert [json.loads(body)["label"] for _, body in answers] == [expected[i % 3] for i in range(500)]
    assert harness.reasons("fn").count("ColdStart") == 1
    assert elapsed < 10
    assert 1 <= len(rt.replicas("dep-1")) <= 2


async def test_cold_start_wait_is_bounded(harness: Harness, tmp_path: Path) -> None:
    rt = harness.runtime
    bento = write_bento(tmp_path, "never", "import time\ntime.sleep(30)\n")  # never gets ready
    await rt.apply(spec_for(bento, mode="function", cold_start_timeout_s=0.3))
    async with harness.client() as client:
        started = time.monotonic()
        resp = await client.post("/demo/work", json={})
    assert resp.status_code == 504 and "became ready" in resp.json()["error"]
    assert 0.3 <= time.monotonic() - started < 2


async def test_max_consume_concurrency_bounds_requests_in_flight(harness: Harness, tmp_path: Path) -> None:
    rt = harness.runtime
    bento = write_bento(tmp_path, "slow", SLOW_SERVICE)
    await rt.apply(spec_for(bento, mode="function", api=(1, 1), max_consume_concurrency=1))
    await harness.ready("dep-1", 1)
    async with harness.client() as client:
        started = time.monotonic()
        responses = await asyncio.gather(*(client.post("/demo/work", json={"sleep": 0.2}) for _ in range(3)))
        elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 3
    assert elapsed >= 0.6  # one at a time, not three at once


async def test_function_mode_without_queue_refuses_while_cold(harness: Harness) -> None:
    rt = harness.runtime
    await rt.apply(spec_for("sentiment", mode="function", request_queue_enabled=False))
    await harness.ready("dep-1", 1)
    await harness.wait(lambda: rt.replicas("dep-1") == [], 5, "scale to zero")
    async with harness.client() as client:
        cold = await client.post("/demo/analyze", json={"text": "hi"})
        assert cold.status_code == 503 and "queue is disabled" in cold.json()["error"]
        await harness.ready("dep-1", 1)  # the refused request still woke it up
        assert (await client.post("/demo/analyze", json={"text": "hi"})).status_code == 200


async def test_stop_leaves_no_process(harness: Harness) -> None:
    rt = harness.runtime
    await rt.apply(spec_for("iris_classifier", api=(2, 2)))
    await harness.ready("dep-1", 3)
    pids = [r.pid for r in rt.replicas("dep-1")]
    await rt.stop("dep-1")
    assert not rt.is_active("dep-1") and rt.replicas("dep-1") == []
    assert not [pid for pid in pids if _alive(pid)]  # type: ignore[arg-type]
    assert harness.reasons("demo")[-1] == "Terminated"
    assert harness.reasons().count("Killing") == 3
    assert harness.changes[-1] == "dep-1"
    async with harness.client() as client:
        assert (await client.post("/demo/classify", json=IRIS_ROWS)).status_code == 404
    await rt.stop("dep-1")  # idempotent
    # restore: the same deployment comes back
    await rt.apply(spec_for("iris_classifier", revision="rev-2"))
    await harness.ready("dep-1", 2)


async def test_rolling_update_has_no_failed_request(harness: Harness) -> None:
    rt = harness.runtime
    await rt.apply(spec_for("sentiment", api=(2, 2)))
    await harness.ready("dep-1", 2)
    old_names = {r.name for r in rt.replicas("dep-1")}
    results: list[tuple[int, str]] = []
    stop = asyncio.Event()

    async def requester() -> None:
        async with harness.client() as client:
            while not stop.is_set():
                resp = await client.post("/demo/analyze", json={"text": "good"})
                results.append((resp.status_code, resp.headers.get("x-bentotui-replica", "")))

    task = asyncio.create_task(requester())
    await asyncio.sleep(0.2)
    await rt.apply(spec_for("sentiment", api=(2, 2), revision="rev-2"))
    await harness.wait(
        lambda: {r.revision_uid for r in rt.replicas("dep-1")} == {"rev-2"} and len(rt.replicas("dep-1")) == 2,
        10,
        "only rev-2 replicas",
    )
    await asyncio.sleep(0.2)
    stop.set()
    await task
    assert results and all(status == 200 for status, _ in results), [r for r in results if r[0] != 200]
    served = {name for _, name in results}
    assert served & old_names and served - old_names  # both revisions answered
    assert "RollingUpdate" in harness.reasons("demo") and "RolloutComplete" in harness.reasons("demo")
    assert all("Killing" in harness.reasons(name) for name in old_names)


async def test_a_crashing_bento_fails_and_backs_off(harness: Harness, tmp_path: Path) -> None:
    rt = harness.runtime
    bento = write_bento(tmp_path, "crashy", "raise RuntimeError('model file is corrupt')\n")
    await rt.apply(spec_for(bento, name="crashy"))
    await harness.wait(lambda: harness.reasons().count("BackOff") >= 2, 10, "two BackOffs")
    (replica,) = rt.replicas("dep-1")
    assert replica.phase == "Failed" and not replica.ready
    assert replica.last_exit_code == 1 and replica.restart_count >= 1
    assert any(e.reason == "Exited" and "code 1" in e.message for e in harness.events)
    async with harness.client() as client:
        resp = await client.post("/crashy/work", json={})
    assert resp.status_code == 503
    assert resp.json()["error"].startswith("no ready replica for crashy: ")
    assert "exit code 1" in resp.json()["error"]
    assert "model file is corrupt" in replica.log_path.read_text()
    delays = [e.message for e in harness.events if e.reason == "BackOff"]
    assert "in 0.2s" in delays[0] and "in 0.4s" in delays[1]  # exponential


async def test_gateway_without_a_deployment_path_is_404(harness: Harness) -> None:
    async with harness.client() as client:
        resp = await client.get("/")
    assert resp.status_code == 404 and "error" in resp.json()


def test_scaling_policy() -> None:
    assert desired_replicas(0, 4, 1, 3) == 1
    assert desired_replicas(9, 4, 1, 3) == 3
    assert desired_replicas(5, 4, 1, 3) == 2
    assert desired_replicas(0, 4, 0, 3) == 0
    assert desired_replicas(3, 4, 2, 1) == 2  # max never below the floor
    assert replica_floor("deployment", 0, idle=True) == 1
    assert replica_floor("function", 2, idle=True) == 0
    assert replica_floor("function", 2, idle=False) == 2
    scaler = Autoscaler(stabilization_s=5, now=0, current=3)
    assert scaler.decide(1, current=3, desired=5) == 5  # up at once
    scaler.reset(1, 5)
    assert scaler.decide(2, current=5, desired=1) == 5  # down waits a whole window
    assert scaler.decide(4, current=5, desired=2) == 5
    assert scaler.decide(6.5, current=5, desired=1) == 2  # highest wish within the window
    assert scaler.decide(9.5, current=5, desired=1) == 1
    assert scaler.decide(10, current=5, desired=0, to_zero=True) == 0
