"""Issue 10: storage faults answer the JSON error shape and lose nothing acknowledged.

A real full disk: the control plane's home on a small tmpfs (mounted for the test; needs root,
skipped otherwise) filled up with a file.  And a corrupt `state.db`, garbage bytes or text that
is not UTF-8, makes `local start` say what is wrong, where, and what to do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import LocalCloud, wait_for
from tests.support.reliability import CREATE, NS, body, latest_version, report

LIST = "/api/v1/clusters/default/deployments"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, unmounted afterwards."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def names(http) -> set[str]:
    return {d["name"] for d in http.get(LIST).json()["items"]}


def test_a_full_disk_answers_json_and_keeps_every_acknowledged_write(small_disk: Path) -> None:
    cloud = LocalCloud(small_disk / "home").start()
    try:
        with cloud.client() as http:
            version = latest_version(http, "sentiment")
            assert http.post(CREATE, json=body(version, "kept", repo="sentiment", deploy=False)).status_code == 200
            assert http.post(CREATE, json=body(version, "live", repo="sentiment")).status_code == 200
            wait_for(lambda: http.get(f"{NS}/live").json()["status"] == "running", 30, what="live running")
            victim = http.get(f"{NS}/live/pods").json()[0]
            filler = fill(small_disk)

            refused = http.post(CREATE, json=body(version, "refused", repo="sentiment", deploy=False))
            assert refused.status_code == 507, refused.text
            assert refused.headers["content-type"] == "application/json"
            assert "full" in refused.json()["error"]
            patched = http.post(f"{NS}/kept/terminate")
            assert patched.status_code in (503, 507) and "error" in patched.json()
            # the next request is answered, not reset, and nothing acknowledged is gone
            assert names(http) == {"kept", "live"}

            # replica events while the disk is full: they wait, they are not dropped
            os.kill(victim["usage"]["pid"], signal.SIGKILL)
            wait_for(lambda: (p := http.get(f"{NS}/live/pods").json()) and p[0]["usage"]["pid"]
                     not in (None, victim["usage"]["pid"]) and p[0]["status"]["ready"],
                     30, what="the replica restarted")
            filler.unlink()
            def exited_event() -> list:
                events = http.get(f"{NS}/live/kube_events").json()
                return [e for e in events if e["reason"] == "Exited"
                        and e["involvedObject"]["name"] == victim["name"]]
            exited = wait_for(exited_event, 10, what="the Exited event, written once the disk has room")
            assert "killed by SIGKILL" in exited[0]["message"]
            wait_for(lambda: http.get(f"{NS}/live").json()["status"] == "running", 10, what="running again")

            assert http.post(CREATE, json=body(version, "after", repo="sentiment", deploy=False)).status_code == 200
        cloud.restart()
        with cloud.client() as http:
            assert names(http) == {"kept", "live", "after"}
            assert http.get(f"{NS}/refused").status_code == 404
        report("full_disk", create_status=refused.status_code, content_type=refused.headers["content-type"],
               events_lost=0)
    finally:
        cloud.stop()


def start_error(home: Path) -> str:
    cloud = LocalCloud(home)
    try:
        with pytest.raises(RuntimeError) as failed:
            cloud.start(timeout=20)
    finally:
        cloud.stop()  # if it started after all, it must not outlive the test
    return str(failed.value)


def test_a_garbage_state_db_is_named_with_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "state.db").write_bytes(os.urandom(64 * 1024))
    message = start_error(home)
    assert f"cannot use the state database {home / 'state.db'}" in message
    assert "not a database" in message and "Move it aside" in message and "backup" in message
    assert "Traceback" not in message


def test_text_that_is_not_utf8_in_state_db_is_named_with_what_to_do(tmp_path: Path) -> None:
    cloud = LocalCloud(tmp_path / "home").start()
    try:
        with cloud.client() as http:
            made = http.post(CREATE, json=body(latest_version(http), "garbled", deploy=False))
            assert made.status_code == 200
    finally:
        cloud.stop()
    with contextlib.closing(sqlite3.connect(cloud.home / "state.db")) as conn:
        conn.execute("UPDATE deployments SET description = CAST(x'c3ff28' AS TEXT)")
        conn.commit()
    message = start_error(cloud.home)
    assert f"cannot use the state database {cloud.home / 'state.db'}" in message
    assert "not UTF-8" in message and "Move it aside" in message
    assert "Traceback" not in message and "UnicodeDecodeError" not in message


def test_the_openapi_document_says_what_a_storage_fault_answers(cloud: LocalCloud) -> None:
    import httpx

    spec = httpx.get(f"{cloud.endpoint}/openapi.json").json()
    create = spec["paths"]["/api/v1/clusters/{cluster}/deployments"]["post"]["responses"]
    for code in ("503", "507"):
        assert create[code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
