"""The real gateway served by uvicorn in its own process, routing one deployment to one replica.

    python -m tests.reliability.gateway_rig REPLICA_PORT TOKEN   # prints its port

The control plane only deploys its registered sample bentos, none of which misbehaves; this
serves `tui.localcloud.runtime.gateway.Gateway` exactly as the daemon does (same uvicorn options from
`Limits`, `BENTOTUI_LIMIT_*` read from the environment) in front of `hostile_replica`, so the
faults are real bytes on real sockets and the process's RSS is the gateway's.
URL: `http://127.0.0.1:{port}/default/svc/{path}`.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import uvicorn

from tui.localcloud.limits import Limits
from tui.localcloud.runtime.gateway import Gateway
from tui.localcloud.runtime.metrics import MetricsStore
from tui.localcloud.runtime.records import ComponentSpec, DeploymentSpec, Pulse


def deployment(replica_port: int) -> SimpleNamespace:
    """What the gateway reads of a running deployment with one ready API-server replica."""
    spec = DeploymentSpec(uid="u1", name="svc", cluster="default", namespace="yatai", mode="deployment",
                          revision_uid="r1", bento_repository="hostile", bento_version="1",
                          bento_path=Path("."), api_server=ComponentSpec(None, 1, 1),
                          request_timeout_s=60.0)
    replica = SimpleNamespace(name="svc-api-hostile", port=replica_port, inflight=0, routable=True)
    return SimpleNamespace(uid=spec.uid, name=spec.name, spec=spec, inflight=0, semaphore=None,
                           terminating=False, changed=Pulse(), touch=lambda: None, wake=lambda: None,
                           routable_api_replicas=lambda: [replica], not_ready_reason=lambda: "")


def main() -> None:
    replica_port, token = int(sys.argv[1]), sys.argv[2]
    dep = deployment(replica_port)
    limits = Limits.from_env()
    gateway = Gateway(lambda c, n: dep if (c, n) == ("default", "svc") else None, token,
                      MetricsStore(interval_s=1.0, retention_s=60), limits)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(gateway, log_level="warning", access_log=False, lifespan="off",
                            **limits.uvicorn_options())
    server = uvicorn.Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        print(sock.getsockname()[1], flush=True)
        await serving

    asyncio.run(run())


if __name__ == "__main__":
    main()
