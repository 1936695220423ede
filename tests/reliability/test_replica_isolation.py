"""Issue 10: a replica starts isolated from the control plane and from interpreter hijacks.

The API refuses `PYTHONPATH` & co. (test_controlplane_bounds.py); this checks the runtime
itself, with real replica processes, as a revision stored before those rules would reach it:
the variables are withheld (with a Warning event), the interpreter runs in isolated mode
(`-I`: no PYTHON* variables, no user site, no script directory on sys.path), the replica has a
cwd, HOME and TMPDIR of its own, and no path into the control plane's home is handed to it.

What this is not: replicas run as the same user as the control plane, so a bento's code that
already knows where the home is could still read its files; file permissions cannot stop the
same uid (see docs/localcloud.md, "Isolation").
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.harness import LocalCloud, wait_for
from tests.runtime.test_runtime import TOKEN, Harness, harness, spec_for, write_bento  # noqa: F401
from tests.support.reliability import CREATE, NS, body, latest_version

REPORTING_SERVICE = """
import os, sys
class Svc:
    def work(self, payload):
        return {"isolated": sys.flags.isolated, "cwd": os.getcwd(), "env": dict(os.environ),
                "path": sys.path, "no_user_site": sys.flags.no_user_site}
"""

HIJACK = """
import os
with open({marker!r}, "w") as fh:
    fh.write("hijacked")
"""


async def test_a_replica_cannot_be_hijacked_and_gets_no_path_into_the_home(
    harness: Harness, tmp_path: Path  # noqa: F811 - the fixture imported above
) -> None:
    home = harness.home
    home.mkdir(parents=True, exist_ok=True)
    (home / "token").write_text(TOKEN + "\n")
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "hijacked"
    (evil / "sitecustomize.py").write_text(HIJACK.format(marker=str(marker)))
    (evil / "startup.py").write_text(HIJACK.format(marker=str(marker)))
    bento = write_bento(tmp_path / "bentos", "reporter", REPORTING_SERVICE)
    hostile = {
        "PYTHONPATH": str(evil),
        "PYTHONSTARTUP": str(evil / "startup.py"),
        "PYTHONINSPECT": "1",
        "LD_PRELOAD": str(evil / "nothing.so"),
        "BENTOTUI_HOME": str(home),
        "BENTOML_HOME": str(home),
        "OK_VAR": "kept",
    }
    await harness.runtime.apply(spec_for(bento, envs=hostile))
    await harness.ready("dep-1", 1, timeout=20)

    async with harness.client() as client:
        answer = await client.post("/demo/work", content=json.dumps({}))
    assert answer.status_code == 200, answer.text
    seen = answer.json()

    assert not marker.exists(), "a deployment's env ran code in the replica's interpreter"
    assert seen["isolated"] == 1 and seen["no_user_site"] == 1
    env = seen["env"]
    assert env["OK_VAR"] == "kept"
    for name in env:
        assert not name.startswith(("PYTHONPATH", "PYTHONSTARTUP", "PYTHONINSPECT", "LD_")), name
        assert name not in ("BENTOTUI_HOME", "BENTOML_HOME"), name
    leaks = {k: v for k, v in env.items() if str(home) in v or TOKEN in v}
    assert leaks == {}, f"paths into the control plane's home handed to the replica: {leaks}"
    assert str(evil) not in seen["path"]
    own = Path(seen["cwd"])
    assert own != Path(bento) and not own.is_relative_to(home)
    assert env["HOME"] == env["TMPDIR"] == str(own)
    assert os.environ.get("HOME") != env["HOME"]  # not the control plane's
    withheld = [e.message for e in harness.events if e.reason == "EnvWithheld"]
    for name in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONINSPECT", "LD_PRELOAD", "BENTOTUI_HOME", "BENTOML_HOME"):
        assert any(f"env {name} " in m for m in withheld), (name, withheld)

    await harness.runtime.stop("dep-1")
    assert not own.exists()  # its own directory goes with it


def test_replica_directories_do_not_outlive_a_kill9(tmp_path: Path) -> None:
    """A control plane killed with -9 cannot clean up; its successor on the home does."""
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        with cloud.client() as http:
            made = http.post(CREATE, json=body(latest_version(http, "sentiment"), "scratch", repo="sentiment"))
            assert made.status_code == 200, made.text

            def replica_dir() -> Path | None:
                pods = http.get(f"{NS}/scratch/pods").json()
                pid = pods[0]["usage"]["pid"] if pods and pods[0]["status"]["ready"] else None
                return Path(os.readlink(f"/proc/{pid}/cwd")) if pid else None

            old = wait_for(replica_dir, 30, what="a ready replica")
        assert old.is_dir() and "bentotui-replicas-" in str(old.parent)
        cloud.kill9()
        assert old.is_dir()  # nobody left to remove it
        cloud.start()
        with cloud.client() as http:
            new = wait_for(lambda: (d := replica_dir()) and d != old and d, 30, what="the replica back")
        assert new.parent == old.parent and not old.exists()
        cloud.stop()
        assert not new.parent.exists()
    finally:
        cloud.stop()
