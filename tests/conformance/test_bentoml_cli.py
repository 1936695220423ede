"""The real bentoml 1.1.11 CLI against a real local control plane.

The sequence is the one the fixtures in shared/fixtures/bentoml-1.1.11 were recorded with (login,
create, list, get, update from a file, update --bento, terminate, delete), plus the refusal to
delete a deployment that is not terminated and a login with a wrong token. Each CLI step checks
the exit code and the output, then the effect on the server through the API.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from tests.harness import LocalCloud, wait_for
from tests.support.bentoml_cli import BENTOML_VERSION, CLI, COMMAND_TIMEOUT_S, BentomlCLI, clean_env, deployment_file

# A cold install of bentoml (in the first test to need it) can take minutes.
pytestmark = [pytest.mark.conformance, pytest.mark.timeout(1500)]

NAME = "iris-demo"
DEPLOYMENT = f"/api/v1/clusters/default/namespaces/yatai/deployments/{NAME}"
@pytest.fixture
def cli(bentoml_cli: BentomlCLI, cloud: LocalCloud, tmp_path: Path) -> CLI:
    home = tmp_path / "bentoml-home"
    home.mkdir()
    return CLI(bentoml_cli, home, cloud)


def get(http: httpx.Client, step: str, path: str, status: int = 200) -> dict:
    response = http.get(path)
    assert response.status_code == status, (
        f"[{step}] server check: GET {path} answered {response.status_code}, expected {status}: "
        f"{response.text}")
    return response.json()


def wait_status(http: httpx.Client, step: str, *statuses: str, timeout: float = 120) -> dict:
    def check():
        data = http.get(DEPLOYMENT).json()
        return data if data.get("status") in statuses else None
    try:
        return wait_for(check, timeout, interval=0.2, what=f"{NAME} to be {'/'.join(statuses)}")
    except AssertionError as exc:
        raise AssertionError(f"[{step}] server check: {exc}") from None


def test_bentoml_1_1_11_deployment_lifecycle(cli: CLI, cloud: LocalCloud, tmp_path: Path) -> None:
    with cloud.client() as http:
        version = get(http, "setup", "/api/v1/bento_repositories/iris_classifier")["latest_bento"]["version"]
        bento = f"iris_classifier:{version}"

        # 1. login
        step = "1 cloud login"
        proc = cli(step, "cloud", "login", "--endpoint", cloud.endpoint, "--api-token", cloud.token)
        cli.expect(step, proc, "Successfully logged in")
        config_file = cli.home / ".yatai.yaml"
        assert config_file.exists(), f"[{step}] {config_file} was not written"
        config = yaml.safe_load(config_file.read_text())
        current = config.get("current_context_name")
        contexts = {c["name"]: c for c in config.get("contexts", [])}
        assert current in contexts, f"[{step}] .yatai.yaml has no current context: {config}"
        assert config["contexts"][0]["endpoint"] == cloud.endpoint, f"[{step}] .yatai.yaml: {config}"
        assert contexts[current]["api_token"] == cloud.token, f"[{step}] .yatai.yaml: {config}"
        user = get(http, step, "/api/v1/auth/current")
        assert contexts[current]["email"] == user["email"], f"[{step}] .yatai.yaml: {config}"

        # 2. create from the docs' example file, then the deployment comes up
        step = "2 deployment create --file"
        proc = cli(step, "deployment", "create", "--file",
                   str(deployment_file(tmp_path, "example.json", version)))
        cli.expect(step, proc, "DeploymentSchema(", f"name='{NAME}'", f"version='{version}'")
        created = get(http, step, DEPLOYMENT)
        assert created["latest_revision"]["targets"][0]["bento"]["version"] == version, f"[{step}] {created}"
        wait_status(http, step, "running")

        # 3. list, as a table and as JSON
        step = "3 deployment list"
        proc = cli(step, "deployment", "list")
        cli.expect(step, proc, NAME, bento)
        row = next((line for line in proc.stdout.splitlines() if NAME in line), "")
        if bento not in row:
            cli.fail(step, proc, f"the table row for {NAME} does not show {bento}: {row!r}")
        if " running " not in f"{row} ":
            cli.fail(step, proc, f"the table row for {NAME} does not show it running: {row!r}")
        step = "3 deployment list -o json"
        proc = cli(step, "deployment", "list", "-o", "json")
        try:
            listed = json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            cli.fail(step, proc, f"stdout is not JSON: {exc}")
        names = [item["name"] for item in listed["items"]]
        if NAME not in names:
            cli.fail(step, proc, f"{NAME} is not among the items: {names}")
        item = listed["items"][names.index(NAME)]
        assert item["latest_revision"]["targets"][0]["bento"]["repository"]["name"] == "iris_classifier", \
            f"[{step}] {item}"

        # 4. get
        step = "4 deployment get"
        proc = cli(step, "deployment", "get", NAME)
        cli.expect(step, proc, f"name='{NAME}'", "status=<DeploymentStatus.Running: 'running'>")

        # 5. update from a file: max_replicas 2 -> 3 makes a new active revision
        step = "5 deployment update --file"
        proc = cli(step, "deployment", "update", "--file",
                   str(deployment_file(tmp_path, "example-update.json", version)))
        cli.expect(step, proc, f"name='{NAME}'", "max_replicas=3")
        revisions = get(http, step, f"{DEPLOYMENT}/revisions")
        assert revisions["total"] == 2, f"[{step}] revisions: {revisions['total']}"
        newest = revisions["items"][0]
        assert newest["status"] == "active", f"[{step}] newest revision: {newest['status']}"
        assert [r["status"] for r in revisions["items"][1:]] == ["inactive"], f"[{step}] {revisions}"
        assert newest["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 3, f"[{step}] {newest}"
        deployment = get(http, step, DEPLOYMENT)
        assert deployment["latest_revision"]["uid"] == newest["uid"], f"[{step}] latest_revision"
        assert deployment["latest_revision"]["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 3, \
            f"[{step}] {deployment['latest_revision']}"

        # 6. update --bento: a third revision, config carried over from the active one
        step = "6 deployment update --bento"
        proc = cli(step, "deployment", "update", NAME, "--bento", bento)
        cli.expect(step, proc, f"name='{NAME}'")
        revisions = get(http, step, f"{DEPLOYMENT}/revisions")
        assert revisions["total"] == 3, f"[{step}] revisions: {revisions['total']}"
        newest = revisions["items"][0]
        assert newest["status"] == "active", f"[{step}] newest revision: {newest['status']}"
        assert newest["targets"][0]["bento"]["version"] == version, f"[{step}] {newest}"
        assert newest["targets"][0]["config"]["hpa_conf"]["max_replicas"] == 3, f"[{step}] {newest}"
        wait_status(http, step, "running")

        # 7. delete before terminate is refused
        step = "7 deployment delete (not terminated)"
        proc = cli(step, "deployment", "delete", NAME, ok=False)
        cli.expect(step, proc, "status code 400", "deployment is not terminated")
        get(http, step, DEPLOYMENT)

        # 8. terminate
        step = "8 deployment terminate"
        proc = cli(step, "deployment", "terminate", NAME)
        cli.expect(step, proc, f"name='{NAME}'", "status=<DeploymentStatus.Terminat")
        wait_status(http, step, "terminated")
        assert get(http, step, f"{DEPLOYMENT}/revisions")["total"] == 3, f"[{step}] revisions lost"

        # 9. delete
        step = "9 deployment delete"
        proc = cli(step, "deployment", "delete", NAME)
        cli.expect(step, proc, f"name='{NAME}'", "status=<DeploymentStatus.Terminated: 'terminated'>")
        get(http, step, DEPLOYMENT, status=404)
        listed = get(http, step, "/api/v1/clusters/default/deployments")
        assert NAME not in [i["name"] for i in listed["items"]], f"[{step}] still listed"


def test_bentoml_1_1_11_login_with_a_wrong_token(cli: CLI, cloud: LocalCloud) -> None:
    step = "cloud login with a wrong token"
    proc = cli(step, "cloud", "login", "--endpoint", cloud.endpoint, "--api-token",
               cloud.token + "-wrong", ok=False)
    cli.expect(step, proc, "status code 403")
    config_file = cli.home / ".yatai.yaml"
    if config_file.exists():
        config = yaml.safe_load(config_file.read_text()) or {}
        assert not config.get("contexts"), f"[{step}] a context was saved: {config}"


def test_the_cli_is_bentoml_1_1_11(bentoml_cli: BentomlCLI) -> None:
    out = subprocess.run([str(bentoml_cli.bindir / "bentoml"), "--version"], capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT_S, env=clean_env())
    assert out.returncode == 0 and f"bentoml, version {BENTOML_VERSION}" in out.stdout, out
