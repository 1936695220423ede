"""The real bentoml 1.4 CLI pushes, deploys and pulls a real bento and model (issue 14, item 4).

1.4 no longer builds 1.1's runner services, so the bento's source is
`tests/fixtures/greeter_bento14` (a `@bentoml.service` whose answer depends on its model); the
model is saved by the 1.1 fixture's `save_model.py`, run with 1.4's python.  One BENTOML_HOME
saves, builds and pushes; `bentoml deploy` must wait until the control plane has built the
bento's environment and runs it; a second deployment reuses that environment; a second, empty
home pulls the bento (and its model) byte-identical.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.harness import ROOT, LocalCloud, wait_for
from tests.support.bentoml_cli import CLI, COMMAND_TIMEOUT_S, BentomlCLI, same_tree

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(1500)]

SOURCE = ROOT / "tests" / "fixtures" / "greeter_bento14"
SAVE_MODEL = ROOT / "tests" / "fixtures" / "greeter_bento" / "save_model.py"
# An environment already built is reused: a second deployment only unpacks and starts.
CACHED_DEPLOY_BOUND_S = 20.0
V1 = "/api/v1/clusters/default/namespaces/yatai/deployments"


def login(cli: CLI, cloud: LocalCloud) -> None:
    proc = cli("login", "cloud", "login", "--endpoint", cloud.endpoint, "--api-token", cloud.token)
    cli.expect("login", proc, "Logged in")


def deploy(cli: CLI, http: httpx.Client, bento_tag: str, name: str, *,
           wait: bool = True) -> tuple[dict, float]:
    """`bentoml deploy`; (running deployment, seconds from the command to running).

    With `wait` the CLI itself waits (it polls every 10 s, so its time is coarse); without, the
    command returns at once and the status is polled here every 0.2 s.
    """
    started = time.monotonic()
    proc = cli(f"deploy {name}", "deploy", bento_tag, "-n", name,
               *(() if wait else ("--no-wait",)))
    if not wait:
        wait_for(lambda: http.get(f"{V1}/{name}").json()["status"] in ("running", "failed",
                                                                       "image-build-failed"),
                 timeout=300, interval=0.2, what=f"{name} to be running")
    took = time.monotonic() - started
    data = http.get(f"{V1}/{name}").json()
    if data["status"] != "running":
        cli.fail(f"deploy {name}", proc, f"is {data['status']}: "
                 f"{http.get(f'{V1}/{name}/kube_events').text}")
    return data, took


def test_bentoml14_push_deploy_and_pull_a_built_bento(
        bentoml14_cli: BentomlCLI, cloud: LocalCloud, tmp_path: Path) -> None:
    pusher = CLI(bentoml14_cli, tmp_path / "push-home", cloud)
    pusher.home.mkdir()
    login(pusher, cloud)
    source = tmp_path / "greeter14"
    shutil.copytree(SOURCE, source)
    saved = subprocess.run([str(bentoml14_cli.bindir / "python"), str(SAVE_MODEL), "servus"],
                           cwd=source, env=pusher.env, capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert saved.returncode == 0, saved.stderr
    model_tag = saved.stdout.strip().splitlines()[-1]
    assert model_tag.startswith("greeting_model:")
    # 1.4 builds only a bentofile under the working directory
    proc = subprocess.run([str(bentoml14_cli.bindir / "bentoml"), "build", "."], cwd=source,
                          env=pusher.env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
    pusher.expect("build", proc, "Successfully built Bento")
    bento_tag = json.loads(pusher("list", "list", "-o", "json").stdout)[0]["tag"]
    pusher("models push", "models", "push", model_tag)
    pusher("push", "push", bento_tag)
    name, version = bento_tag.split(":")
    model_name, model_version = model_tag.split(":")

    with cloud.client() as http:
        bento = http.get(f"/api/v1/bento_repositories/{name}/bentos/{version}").json()
        assert bento["upload_status"] == "success", bento
        manifest = bento["manifest"]
        assert manifest["models"] == [model_tag]
        assert manifest["name"] == name and manifest["entry_service"] == "Greeter"
        assert [s["name"] for s in manifest["services"]] == ["Greeter"]
        model = http.get(f"/api/v1/model_repositories/{model_name}/models/{model_version}").json()
        assert model["upload_status"] == "success", model

        first, first_s = deploy(pusher, http, bento_tag, "greeter14-one")
        answer = http.post(first["urls"][0].removeprefix(cloud.endpoint) + "/greet",
                           json={"name": "Ada"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"message": "servus, Ada!"}  # the greeting is the model's
        events = http.get(f"{V1}/greeter14-one/kube_events").json()
        assert any("environment built" in e["message"] for e in events), events

        second, second_s = deploy(pusher, http, bento_tag, "greeter14-two", wait=False)
        events = http.get(f"{V1}/greeter14-two/kube_events").json()
        assert any("environment reused" in e["message"] for e in events), events
        assert second_s < CACHED_DEPLOY_BOUND_S, second_s
        answer = http.post(second["urls"][0].removeprefix(cloud.endpoint) + "/greet",
                           json={"name": "Bo"})
        assert answer.json() == {"message": "servus, Bo!"}
        print(f"\nbentoml 1.4 deploy (environment built): {first_s:.1f}s; "
              f"second deploy (environment reused): {second_s:.1f}s")
        for deployment in ("greeter14-one", "greeter14-two"):
            pusher(f"terminate {deployment}", "deployment", "terminate", deployment)

    puller = CLI(bentoml14_cli, tmp_path / "pull-home", cloud)
    puller.home.mkdir()
    login(puller, cloud)
    proc = puller("pull", "pull", bento_tag, "--with-models")  # 1.4 pulls models only if asked
    bento_dir = Path("bentos") / name / version
    model_dir = Path("models") / model_name / model_version
    assert (puller.home / bento_dir / "bento.yaml").is_file(), proc.stdout + proc.stderr
    assert same_tree(pusher.home / bento_dir, puller.home / bento_dir) == []
    assert same_tree(pusher.home / model_dir, puller.home / model_dir) == []
