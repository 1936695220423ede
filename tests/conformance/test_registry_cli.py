"""The real bentoml 1.1.11 CLI pushes and pulls a real bento and model (issue 14, items 1 and 4).

The bento's source is `tests/fixtures/greeter_bento` (one endpoint; its answer depends on the
saved model's greeting).  One BENTOML_HOME saves the model, builds the bento and pushes both;
a second, empty one pulls the bento (which pulls its model) and must end with byte-identical
bento and model directories.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from tests.harness import ROOT, LocalCloud, wait_for
from tests.support.bentoml_cli import CLI, COMMAND_TIMEOUT_S, BentomlCLI, same_tree

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(1500)]

SOURCE = ROOT / "tests" / "fixtures" / "greeter_bento"


def login(cli: CLI, cloud: LocalCloud) -> None:
    proc = cli("login", "cloud", "login", "--endpoint", cloud.endpoint, "--api-token", cloud.token)
    cli.expect("login", proc, "Successfully logged in")


@dataclass
class Pushed:
    pusher: CLI
    bento_tag: str
    model_tag: str


@pytest.fixture(scope="module")
def pushed(bentoml_cli: BentomlCLI, cloud: LocalCloud,
           tmp_path_factory: pytest.TempPathFactory) -> Pushed:
    """The greeter model saved ("bonjour"), the bento built, both pushed with bentoml 1.1.11."""
    work = tmp_path_factory.mktemp("push")
    pusher = CLI(bentoml_cli, work / "push-home", cloud)
    pusher.home.mkdir()
    login(pusher, cloud)
    source = work / "greeter"
    shutil.copytree(SOURCE, source)
    saved = subprocess.run([str(bentoml_cli.bindir / "python"), "save_model.py", "bonjour"],
                           cwd=source, env=pusher.env, capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert saved.returncode == 0, saved.stderr
    model_tag = saved.stdout.strip().splitlines()[-1]
    assert model_tag.startswith("greeting_model:")
    proc = pusher("build", "build", str(source))
    pusher.expect("build", proc, "Successfully built Bento")
    bento_tag = json.loads(pusher("list", "list", "-o", "json").stdout)[0]["tag"]
    proc = pusher("models push", "models", "push", model_tag)
    pusher.expect("models push", proc, "Successfully pushed model")
    proc = pusher("push", "push", bento_tag)
    pusher.expect("push", proc, "Successfully pushed bento")
    return Pushed(pusher, bento_tag, model_tag)


def test_push_then_pull_a_built_bento_and_its_model_byte_identical(
        pushed: Pushed, bentoml_cli: BentomlCLI, cloud: LocalCloud, tmp_path: Path) -> None:
    pusher, bento_tag, model_tag = pushed.pusher, pushed.bento_tag, pushed.model_tag
    puller = CLI(bentoml_cli, tmp_path / "pull-home", cloud)
    puller.home.mkdir()
    login(puller, cloud)
    name, version = bento_tag.split(":")
    model_name, model_version = model_tag.split(":")

    with cloud.client() as http:
        bento = http.get(f"/api/v1/bento_repositories/{name}/bentos/{version}").json()
        assert bento["upload_status"] == "success", bento
        assert bento["manifest"]["models"] == [model_tag]
        assert bento["labels"] == [{"key": "purpose", "value": "bentotui-conformance"}]
        model = http.get(f"/api/v1/model_repositories/{model_name}/models/{model_version}").json()
        assert model["upload_status"] == "success", model
        assert model["manifest"]["module"] == "bentoml.picklable_model"
        listed_names = {b["repository"]["name"] for b in http.get("/api/v1/bentos").json()["items"]}
        assert {name, "iris_classifier"} <= listed_names
        stored = cloud.home / "bentos" / name / version / "bento.tar"
        download = http.get(f"/api/v1/bento_repositories/{name}/bentos/{version}/download")
        assert download.content == stored.read_bytes()

    # a second push of the same bento is refused by the client as existing (it read `success`)
    proc = pusher("push again", "push", bento_tag)
    pusher.expect("push again", proc, "already exists")

    proc = puller("pull", "pull", bento_tag)
    puller.expect("pull", proc, "Successfully pulled bento")
    bento_dir = Path("bentos") / name / version
    model_dir = Path("models") / model_name / model_version
    assert (puller.home / bento_dir / "bento.yaml").is_file()
    assert same_tree(pusher.home / bento_dir, puller.home / bento_dir) == []
    assert same_tree(pusher.home / model_dir, puller.home / model_dir) == []

    # `bentoml models pull` on its own, into a third home
    third = CLI(bentoml_cli, tmp_path / "model-home", cloud)
    third.home.mkdir()
    login(third, cloud)
    proc = third("models pull", "models", "pull", model_tag)
    third.expect("models pull", proc, "Successfully pulled model")
    assert same_tree(pusher.home / model_dir, third.home / model_dir) == []
    assert httpx.get(f"{cloud.endpoint}/api/v1/models").status_code == 403  # token still needed


def deploy_and_wait(cli: CLI, http: httpx.Client, directory: Path, name: str,
                    bento_tag: str) -> tuple[dict, float]:
    """`bentoml deployment create --file` of the pushed bento; (running deployment, seconds)."""
    repository, version = bento_tag.split(":")
    document = directory / f"{name}.json"
    document.write_text(json.dumps({
        "name": name, "cluster_name": "default", "mode": "deployment",
        "targets": [{"type": "stable", "bento_repository": repository, "bento": version,
                     "config": {"hpa_conf": {"min_replicas": 1, "max_replicas": 1}}}]}))
    path = f"/api/v1/clusters/default/namespaces/yatai/deployments/{name}"
    started = time.monotonic()
    cli(f"create {name}", "deployment", "create", "--file", str(document))
    seen: set[str] = set()

    def running() -> dict | None:
        data = http.get(path).json()
        seen.add(data["status"])
        if data["status"] in ("image-build-failed", "failed"):
            events = http.get(path + "/kube_events").json()
            raise AssertionError(f"{name} is {data['status']}: "
                                 f"{[(e['reason'], e['message']) for e in events]}")
        return data if data["status"] == "running" else None

    data = wait_for(running, timeout=1200, interval=0.2, what=f"{name} to be running")
    return data | {"seen": sorted(seen)}, time.monotonic() - started


def test_a_pushed_bento_deploys_for_real_and_answers_with_its_model(
        pushed: Pushed, cloud: LocalCloud, tmp_path: Path) -> None:
    cli = pushed.pusher
    with cloud.client() as http:
        first, first_s = deploy_and_wait(cli, http, tmp_path, "greeter-one", pushed.bento_tag)
        assert "image-building" in first["seen"], first["seen"]
        answer = http.post(first["urls"][0].removeprefix(cloud.endpoint) + "/greet",
                           json={"name": "Ada"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"message": "bonjour, Ada!"}  # the greeting is the model's
        events = http.get("/api/v1/clusters/default/namespaces/yatai/deployments/greeter-one"
                          "/kube_events").json()
        reasons = [e["reason"] for e in events]
        assert "ImageBuilt" in reasons and "Ready" in reasons, reasons
        built = next(e["message"] for e in events if e["reason"] == "ImageBuilt")
        assert "environment built" in built
        log = (cloud.home / "logs" / "greeter-one" / "image-builder.log").read_text()
        assert "pip install" in log and "Successfully installed" in log
        name, version = pushed.bento_tag.split(":")
        bento = http.get(f"/api/v1/bento_repositories/{name}/bentos/{version}").json()
        assert bento["image_build_status"] == "success"

        # the same bento again: the environment is reused, so it is up in seconds
        second, second_s = deploy_and_wait(cli, http, tmp_path, "greeter-two", pushed.bento_tag)
        events = http.get("/api/v1/clusters/default/namespaces/yatai/deployments/greeter-two"
                          "/kube_events").json()
        assert any("environment reused" in e["message"] for e in events), events
        assert second_s < first_s
        answer = http.post(second["urls"][0].removeprefix(cloud.endpoint) + "/greet",
                           json={"name": "Bo"})
        assert answer.json() == {"message": "bonjour, Bo!"}
        print(f"\nfirst create->running (environment built): {first_s:.1f}s; "
              f"cached create->running: {second_s:.1f}s")
        pods = [pod for name in ("greeter-one", "greeter-two") for pod in http.get(
            f"/api/v1/clusters/default/namespaces/yatai/deployments/{name}/pods").json()]
    # bentoml serve is a process tree; none of it may outlive a control plane killed hard
    tree = []
    for pod in pods:
        root = psutil.Process(pod["usage"]["pid"])
        tree += [root, *root.children(recursive=True)]
    assert len(tree) >= 6, tree  # per replica: supervisor, bentoml's arbiter, its API and runner workers
    cloud.kill9()
    gone, alive = psutil.wait_procs(tree, timeout=30)
    assert alive == [], f"left running after kill -9 of the control plane: {alive}"
    cloud.start()  # and it comes back: the deployments are re-prepared (environment reused)
    with cloud.client() as http:
        path = "/api/v1/clusters/default/namespaces/yatai/deployments/greeter-two"
        wait_for(lambda: http.get(path).json()["status"] == "running", timeout=300,
                 interval=0.2, what="greeter-two to run again after the restart")
        answer = http.post("/gw/default/greeter-two/greet", json={"name": "Cy"})
        assert answer.json() == {"message": "bonjour, Cy!"}
    for deployment in ("greeter-one", "greeter-two"):
        cli(f"terminate {deployment}", "deployment", "terminate", deployment)


def test_a_bento_whose_environment_cannot_be_built_fails_with_pips_reason(
        cloud: LocalCloud) -> None:
    """A bento naming a bentoml release that does not exist: pip's error is the reason."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:") as tar:
        data = b"service: service:svc\nname: ghost\nversion: v1\nbentoml_version: 99.0.0\n"
        info = tarfile.TarInfo("./bento.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    repos = "/api/v1/bento_repositories"
    with cloud.client() as http:
        http.post(repos, json={"name": "ghost", "description": ""}).raise_for_status()
        http.post(f"{repos}/ghost/bentos", json={"version": "v1", "manifest": {
            "service": "service:svc", "bentoml_version": "99.0.0", "size_bytes": 1}}
                  ).raise_for_status()
        http.put(f"{repos}/ghost/bentos/v1/upload", content=buf.getvalue()).raise_for_status()
        created = http.post("/api/v1/clusters/default/deployments", json={
            "name": "ghost", "mode": "deployment",
            "targets": [{"type": "stable", "bento_repository": "ghost", "bento": "v1"}]})
        assert created.status_code == 200, created.text
        path = "/api/v1/clusters/default/namespaces/yatai/deployments/ghost"
        wait_for(lambda: http.get(path).json()["status"] == "image-build-failed", timeout=600,
                 interval=0.5, what="ghost to be image-build-failed")
        events = http.get(path + "/kube_events").json()
        failed = next(e["message"] for e in events if e["reason"] == "ImageBuildFailed")
        assert "bentoml==99.0.0" in failed, failed
        assert not any((cloud.home / "envs").glob("bentoml-99.0.0-*")), "a failed env is removed"
