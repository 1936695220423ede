"""Issue 10: what a caller may ask the control plane to run is bounded, and said so.

Replica counts have a cap per component and across the plane (tui/localcloud/replica_caps.py);
env names and values are checked at the API with the field path, and the variables that
would hijack a replica's interpreter are refused.  Against the real control plane.
"""

from __future__ import annotations

import asyncio

import psutil
import pytest

from tests.harness import LocalCloud
from tests.runtime.test_runtime import harness, spec_for  # noqa: F401 - the real-runtime fixture
from tests.support.reliability import CREATE, NS, body, latest_version, report
from tui.localcloud.replica_caps import ReplicaCaps


def replica_processes(cloud: LocalCloud) -> list[psutil.Process]:
    assert cloud.proc is not None
    return psutil.Process(cloud.proc.pid).children(recursive=True)


def with_hpa(doc: dict, min_replicas: int, max_replicas: int) -> dict:
    doc["targets"][0]["config"]["hpa_conf"] = {"min_replicas": min_replicas, "max_replicas": max_replicas}
    return doc


def with_envs(doc: dict, envs: list[dict]) -> dict:
    doc["targets"][0]["config"]["envs"] = envs
    return doc


# ----------------------------------------------------------------------------- replica caps


def test_absurd_min_replicas_is_refused_with_the_field_and_the_cap(cloud: LocalCloud, http) -> None:
    version = latest_version(http)
    rss_before = psutil.Process(cloud.proc.pid).memory_info().rss
    doc = with_hpa(body(version, "forty"), 40, 40)
    answer = http.post(CREATE, json=doc)
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]
    assert "targets[0].config.hpa_conf.min_replicas" in message
    assert "cap of 10" in message and "BENTOTUI_MAX_REPLICAS" in message
    assert http.get(f"{NS}/forty").status_code == 404  # nothing was created
    assert replica_processes(cloud) == []  # and nothing forked
    rss_after = psutil.Process(cloud.proc.pid).memory_info().rss
    report("min_replicas_40", status=answer.status_code, replicas=0,
           control_plane_rss_growth_mb=round((rss_after - rss_before) / 2**20, 1))


def test_a_runner_over_the_cap_is_refused_by_its_path(http) -> None:
    doc = body(latest_version(http), "runner-cap", deploy=False)
    doc["targets"][0]["config"]["runners"] = {"iris_clf": {"hpa_conf": {"min_replicas": 1, "max_replicas": 500}}}
    answer = http.post(CREATE, json=doc)
    assert answer.status_code == 400, answer.text
    assert "targets[0].config.runners.iris_clf.hpa_conf.max_replicas: 500" in answer.json()["error"]


def test_an_update_over_the_cap_is_refused_and_the_deployment_kept(http) -> None:
    version = latest_version(http)
    assert http.post(CREATE, json=body(version, "kept", deploy=False)).status_code == 200
    answer = http.patch(f"{NS}/kept", json=with_hpa(body(version, "kept", deploy=False), 1, 10_000))
    assert answer.status_code == 400, answer.text
    assert "targets[0].config.hpa_conf.max_replicas: 10000" in answer.json()["error"]
    revisions = http.get(f"{NS}/kept/revisions").json()
    assert revisions["total"] == 1  # no revision was made


def test_caps_are_configurable_and_hold_across_the_plane(tmp_path) -> None:
    cloud = LocalCloud(tmp_path / "capped", env_overrides={
        "BENTOTUI_MAX_REPLICAS": "2", "BENTOTUI_MAX_REPLICAS_TOTAL": "2"}).start()
    try:
        with cloud.client() as http:
            version = latest_version(http, "sentiment")
            over = http.post(CREATE, json=with_hpa(body(version, "three", repo="sentiment"), 3, 3))
            assert over.status_code == 400 and "cap of 2 replicas per component" in over.json()["error"]
            for name in ("one", "two"):
                made = http.post(CREATE, json=body(version, name, repo="sentiment"))
                assert made.status_code == 200, made.text
            third = http.post(CREATE, json=body(version, "third", repo="sentiment"))
            assert third.status_code == 400, third.text
            message = third.json()["error"]
            assert "targets[0].config.hpa_conf.min_replicas" in message
            assert "cap is 2 replicas in all" in message and "BENTOTUI_MAX_REPLICAS_TOTAL" in message
            assert http.get(f"{NS}/third").status_code == 404
    finally:
        cloud.stop()


def test_a_bad_cap_setting_refuses_to_start(tmp_path) -> None:
    cloud = LocalCloud(tmp_path / "bad", env_overrides={"BENTOTUI_MAX_REPLICAS": "lots"})
    try:
        with pytest.raises(RuntimeError) as failed:
            cloud.start(timeout=20)
    finally:
        cloud.stop()  # if it started after all, it must not outlive the test
    assert "BENTOTUI_MAX_REPLICAS='lots' is not a whole number" in str(failed.value)
    assert "Traceback" not in str(failed.value)


# ----------------------------------------------------------------------------- envs


BAD_ENVS = [
    ({"key": "A=B", "value": "x"}, "envs[0].key", "not a valid variable name"),
    ({"key": "NUL\u0000NAME", "value": "x"}, "envs[0].key", "not a valid variable name"),
    ({"key": "9LIVES", "value": "x"}, "envs[0].key", "not a valid variable name"),
    ({"key": "OK", "value": "a\u0000b"}, "envs[0].value", "NUL"),
    ({"key": "HUGE", "value": "x" * 900_000}, "envs[0].value", "longer than 65536 bytes"),
    ({"key": "N" * 300, "value": "x"}, "envs[0].key", "longer than 256"),
    ({"key": "PYTHONPATH", "value": "/tmp/evil"}, "envs[0].key", "reserved"),
    ({"key": "PYTHONSTARTUP", "value": "/tmp/evil.py"}, "envs[0].key", "reserved"),
    ({"key": "PYTHONHOME", "value": "/tmp"}, "envs[0].key", "reserved"),
    ({"key": "PYTHONINSPECT", "value": "1"}, "envs[0].key", "reserved"),
    ({"key": "LD_PRELOAD", "value": "/tmp/evil.so"}, "envs[0].key", "reserved"),
    ({"key": "ld_library_path", "value": "/tmp"}, "envs[0].key", "reserved"),
    ({"key": "BENTOTUI_RUNNERS", "value": "{}"}, "envs[0].key", "reserved"),
    ({"key": "BENTOML_HOME", "value": "/root"}, "envs[0].key", "reserved"),
]


@pytest.mark.parametrize(("env", "where", "why"), BAD_ENVS, ids=[e[0]["key"][:14] for e in BAD_ENVS])
def test_bad_env_is_refused_with_its_field_path(http, env: dict, where: str, why: str) -> None:
    doc = with_envs(body(latest_version(http), "bad-env"), [env])
    answer = http.post(CREATE, json=doc)
    assert answer.status_code == 400, answer.text[:300]
    message = answer.json()["error"]
    assert f"targets[0].config.{where}" in message and why in message
    assert "\x00" not in message
    assert http.get(f"{NS}/bad-env").status_code == 404


def test_too_many_or_too_much_env_is_refused(http) -> None:
    version = latest_version(http)
    many = [{"key": f"V{i}", "value": "x"} for i in range(101)]
    answer = http.post(CREATE, json=with_envs(body(version, "many-env"), many))
    assert answer.status_code == 400 and "targets[0].config.envs: 101 variables" in answer.json()["error"]
    big = [{"key": f"V{i}", "value": "x" * 60_000} for i in range(5)]
    answer = http.post(CREATE, json=with_envs(body(version, "big-env"), big))
    assert answer.status_code == 400 and "bytes in all" in answer.json()["error"]


def test_env_in_a_runner_config_is_checked_too(http) -> None:
    doc = body(latest_version(http), "runner-env", deploy=False)
    doc["targets"][0]["config"]["runners"] = {"iris_clf": {"envs": [{"key": "LD_PRELOAD", "value": "x"}]}}
    answer = http.post(CREATE, json=doc)
    assert answer.status_code == 400
    assert "targets[0].config.runners.iris_clf.envs[0].key: LD_PRELOAD is reserved" in answer.json()["error"]


def test_ordinary_envs_are_accepted(http) -> None:
    envs = [{"key": "MODEL_NAME", "value": "iris"}, {"key": "log.level", "value": "debug"},
            {"key": "EMPTY", "value": ""}, {"key": "UNICODE", "value": "café ☕"}]
    answer = http.post(CREATE, json=with_envs(body(latest_version(http), "good-env", deploy=False), envs))
    assert answer.status_code == 200, answer.text


# ----------------------------------------------------------------------------- the scaler


async def test_the_runtime_never_runs_more_than_the_caps(harness) -> None:  # noqa: F811
    """Real replicas: a revision asking for more than the caps (one stored before them, or a
    scale-up under load) gets at most the cap, and a FailedScaleUp Warning says so once."""
    rt = harness.runtime
    rt.caps = ReplicaCaps(max_replicas=2, max_replicas_total=3)
    await rt.apply(spec_for("sentiment", uid="dep-a", name="a", api=(4, 4)))
    await rt.apply(spec_for("sentiment", uid="dep-b", name="b", api=(2, 2)))
    await harness.ready("dep-a", 2, timeout=20)
    await harness.ready("dep-b", 1, timeout=20)
    for _ in range(10):  # scaler ticks: still capped, and the Warning is not repeated
        await asyncio.sleep(rt.settings.scale_interval_s)
    assert len(rt.replicas("dep-a")) == 2 and len(rt.replicas("dep-b")) == 1
    assert rt.replica_total() == 3
    capped = [e for e in harness.events if e.reason == "FailedScaleUp"]
    assert [e.object_name for e in capped] == ["a", "b"], capped
    assert all(e.type == "Warning" and "capped" in e.message for e in capped)
