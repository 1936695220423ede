"""Shared pieces of the benchmarks: a control plane with N deployments, the installed
`bentotui` in a pseudo-terminal (tests/support/pty.py, the e2e tests' driver too), and small
statistics helpers.

Benchmarks are scripts that print JSON (`tests/bench/run_all.py` runs them all); they are not
collected by pytest and hold no thresholds except in run_all's table.
"""

from __future__ import annotations

import math
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness import LocalCloud  # noqa: E402
from tests.support.pty import BENTOTUI, Pty, terminal_env  # noqa: E402,F401 (the bench scripts' Pty)

LIST = "/api/v1/clusters/default/deployments"
NS = "/api/v1/clusters/default/namespaces/yatai/deployments"


# ----------------------------------------------------------------------------- statistics


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return pct(values, 50)


def r(value: float, digits: int = 2) -> float:
    return round(value, digits)


# ----------------------------------------------------------------------------- the server


def temp_home(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))


def bento_version(http: httpx.Client, repo: str = "iris_classifier") -> str:
    return http.get(f"/api/v1/bento_repositories/{repo}").json()["latest_bento"]["version"]


def deployment_body(name: str, repo: str, version: str, *, mode: str = "deployment",
                    deploy: bool = False) -> dict:
    doc = {"name": name, "mode": mode,
           "targets": [{"bento_repository": repo, "bento": version,
                        "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}}}]}
    if not deploy:
        doc["do_not_deploy"] = True
    return doc


def create_many(cloud: LocalCloud, names: list[str], repo: str = "iris_classifier",
                threads: int = 4) -> None:
    """Create deployments (not deployed) through the API, a few requests at a time."""
    with cloud.client() as http:
        version = bento_version(http, repo)

    def create(chunk: list[str]) -> None:
        with cloud.client() as client:
            for name in chunk:
                response = client.post(LIST, json=deployment_body(name, repo, version))
                assert response.status_code == 200, response.text

    chunks = [names[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create, chunks))


def populate_store(cloud: LocalCloud, names: list[str], repo: str = "iris_classifier") -> None:
    """Many deployments fast: one is created through the API (so its stored targets are exactly
    what the server stores), the control plane is stopped, the rest are written with the
    project's own Store (one transaction each, as the API would), and it is started again."""
    from tui.localcloud.state.store import Store

    first, rest = names[0], names[1:]
    create_many(cloud, [first], repo)
    cloud.stop()
    store = Store(cloud.home / "state.db")
    try:
        row = store.get_deployment("default", "yatai", first)
        assert row is not None and row.active_revision is not None
        for name in rest:
            store.create_deployment(
                cluster=row.cluster, namespace=row.namespace, name=name, description=None,
                mode=row.mode, labels=[], targets=row.active_revision.targets,
                creator=row.creator, status=row.status, desired=row.desired,
            )
    finally:
        store.close()
    cloud.start()


# ----------------------------------------------------------------------------- the terminal


def tui_env(home: Path, columns: int, lines: int) -> dict[str, str]:
    env = terminal_env(home / "tui-home", home / "tui-bentoml-home", columns, lines)
    # An installed bentotui runs from compiled bytecode: never measure it compiling its modules
    # on every start (PYTHONDONTWRITEBYTECODE may be set in a developer's or CI's shell).  The
    # .pyc files go to the bench's own directory, written by its first (warm-up) start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    return env


def tui_argv(cloud: LocalCloud) -> list[str]:
    return [str(BENTOTUI), "--endpoint", cloud.endpoint, "--api-token", cloud.token]
