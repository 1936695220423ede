"""The real bentoml 1.1.11 CLI pushes and pulls a real bento and model (issue 14, items 1 and 4).

The bento's source is `tests/fixtures/greeter_bento` (one endpoint; its answer depends on the
saved model's greeting).  One BENTOML_HOME saves the model, builds the bento and pushes both;
a second, empty one pulls the bento (which pulls its model) and must end with byte-identical
bento and model directories.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conformance.conftest import BentomlCLI
from tests.conformance.test_bentoml_cli import CLI, COMMAND_TIMEOUT_S
from tests.harness import ROOT, LocalCloud

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(1500)]

SOURCE = ROOT / "tests" / "fixtures" / "greeter_bento"


def same_tree(left: Path, right: Path) -> list[str]:
    """Paths that differ (or exist on one side only) between two directories, by content."""
    problems: list[str] = []

    def walk(cmp: filecmp.dircmp[str], where: Path) -> None:
        problems.extend(str(where / n) for n in cmp.left_only + cmp.right_only + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files,
                                               shallow=False)
        problems.extend(str(where / n) for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, where / name)

    walk(filecmp.dircmp(left, right), Path("."))
    return problems


def login(cli: CLI, cloud: LocalCloud) -> None:
    proc = cli("login", "cloud", "login", "--endpoint", cloud.endpoint, "--api-token", cloud.token)
    cli.expect("login", proc, "Successfully logged in")


def test_push_then_pull_a_built_bento_and_its_model_byte_identical(
        bentoml_cli: BentomlCLI, cloud: LocalCloud, tmp_path: Path) -> None:
    pusher = CLI(bentoml_cli, tmp_path / "push-home", cloud)
    puller = CLI(bentoml_cli, tmp_path / "pull-home", cloud)
    for cli in (pusher, puller):
        cli.home.mkdir()
        login(cli, cloud)
    source = tmp_path / "greeter"
    shutil.copytree(SOURCE, source)

    saved = subprocess.run([str(bentoml_cli.bindir / "python"), "save_model.py", "bonjour"],
                           cwd=source, env=pusher.env, capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert saved.returncode == 0, saved.stderr
    model_tag = saved.stdout.strip().splitlines()[-1]
    assert model_tag.startswith("greeting_model:")
    proc = pusher("build", "build", str(source))
    pusher.expect("build", proc, "Successfully built Bento")
    listed = json.loads(pusher("list", "list", "-o", "json").stdout)
    bento_tag = listed[0]["tag"]
    name, version = bento_tag.split(":")
    model_name, model_version = model_tag.split(":")

    proc = pusher("models push", "models", "push", model_tag)
    pusher.expect("models push", proc, "Successfully pushed model")
    proc = pusher("push", "push", bento_tag)
    pusher.expect("push", proc, "Successfully pushed bento")

    with cloud.client() as http:
        bento = http.get(f"/api/v1/bento_repositories/{name}/bentos/{version}").json()
        assert bento["upload_status"] == "success", bento
        assert bento["image_build_status"] == "pending", bento  # nothing built it yet
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
