"""Push throughput of a ~200 MB bento and the control plane's memory during it; prints JSON.

    .venv/bin/python tests/bench/bench_registry.py [--mb 200]

Builds the greeter fixture bento with a random (incompressible) `blob.bin` of --mb megabytes
using the real bentoml 1.1.11 (the cached conformance venv), then measures against a fresh local
control plane:
- `bentoml_push_s`: `bentoml push` wall time (bentoml tars the bento into memory, then PUTs it);
- `raw_put_s`: the same-sized tar streamed from a file with httpx, PUT straight to the upload
  route (the server's side alone);
- `cp_s`: `cp` of that tar file on the same filesystem (the floor);
- `server_rss_mb`: the control plane's resident memory before, and its peak during, the
  uploads (sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import r, temp_home  # noqa: E402
from tests.harness import ROOT, LocalCloud  # noqa: E402
from tests.support.bentoml_cli import clean_env, ensure_bentoml_venv  # noqa: E402


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    venv = ensure_bentoml_venv()
    work = temp_home("bench-registry")
    env = clean_env()
    env.update({"BENTOML_HOME": str(work / "bentoml"), "BENTOML_DO_NOT_TRACK": "True",
                "NO_COLOR": "1", "COLUMNS": "200"})
    source = work / "src"
    shutil.copytree(ROOT / "tests" / "fixtures" / "greeter_bento", source)
    with open(source / "blob.bin", "wb") as out:
        for _ in range(args.mb):
            out.write(os.urandom(2**20))
    bentofile = (source / "bentofile.yaml").read_text()
    (source / "bentofile.yaml").write_text(bentofile.replace('  - "service.py"',
                                                             '  - "service.py"\n  - "blob.bin"'))

    def bentoml(*argv: str, cwd: Path = work) -> str:
        proc = subprocess.run([str(venv / "bin" / "bentoml"), *argv], env=env, cwd=cwd,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise SystemExit(f"bentoml {' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    subprocess.run([str(venv / "bin" / "python"), "save_model.py", "bench"], cwd=source, env=env,
                   check=True, capture_output=True)
    bentoml("build", str(source))
    tag = json.loads(bentoml("list", "-o", "json"))[0]["tag"]
    name, version = tag.split(":")
    bento_dir = work / "bentoml" / "bentos" / name / version

    cloud = LocalCloud(work / "cloud").start()
    try:
        bentoml("cloud", "login", "--endpoint", cloud.endpoint, "--api-token", cloud.token)
        assert cloud.proc is not None
        baseline = psutil.Process(cloud.proc.pid).memory_info().rss
        sampler = RssSampler(cloud.proc.pid)
        sampler.start()
        model = json.loads(bentoml("models", "list", "-o", "json"))[0]["tag"]
        bentoml("models", "push", model)
        started = time.perf_counter()
        bentoml("push", tag)
        push_s = time.perf_counter() - started
        stored = cloud.home / "bentos" / name / version / "bento.tar"
        size = stored.stat().st_size

        # the same kind of tar, from a file, straight to the route (the server side alone)
        tar_path = work / "bento.tar"
        with tarfile.open(tar_path, "w:") as tar:
            tar.add(bento_dir, arcname="./",
                    filter=lambda i: None if i.path.startswith("./models") else i)
        with httpx.Client(base_url=cloud.endpoint, headers=cloud.headers, timeout=600) as http:
            upload = f"/api/v1/bento_repositories/{name}/bentos/{version}/upload"
            with open(tar_path, "rb") as body:
                started = time.perf_counter()
                response = http.put(upload, content=body,
                                    headers={"Content-Length": str(tar_path.stat().st_size)})
                raw_s = time.perf_counter() - started
            response.raise_for_status()
        sampler.running = False
        sampler.join()

        copy = work / "copy.tar"
        started = time.perf_counter()
        subprocess.run(["cp", str(tar_path), str(copy)], check=True)
        cp_s = time.perf_counter() - started
        mb = size / 2**20
        print(json.dumps({
            "bento_tar_mb": r(mb, 1),
            "bentoml_push_s": r(push_s), "bentoml_push_mb_s": r(mb / push_s, 1),
            "raw_put_s": r(raw_s), "raw_put_mb_s": r(mb / raw_s, 1),
            "cp_s": r(cp_s), "cp_mb_s": r(mb / cp_s, 1),
            "server_rss_mb": {"before": r(baseline / 2**20, 1), "peak": r(sampler.peak / 2**20, 1)},
        }, indent=2))
    finally:
        cloud.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
