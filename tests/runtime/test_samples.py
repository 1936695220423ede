"""The sample bentos: manifests, stable versions, and that they really classify / analyze."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest

from tui.api.models import BentoManifestSchema
from tui.localcloud.runtime.orchestrator import BENTO_SERVER
from tui.localcloud.samples import bento_files, bento_version, get_sample, list_samples, load_bento

CLASSICS = {
    (5.1, 3.5, 1.4, 0.2): "setosa",
    (6.7, 3.0, 5.2, 2.3): "virginica",
    (5.9, 3.0, 4.2, 1.5): "versicolor",
    (4.9, 3.0, 1.4, 0.2): "setosa",
    (7.0, 3.2, 4.7, 1.4): "versicolor",
    (6.3, 3.3, 6.0, 2.5): "virginica",
}


def load_service(sample: str) -> ModuleType:
    bento = get_sample(sample)
    assert bento is not None
    spec = importlib.util.spec_from_file_location(f"sample_{sample}", bento.path / "service.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_samples_have_valid_manifests_and_stable_versions() -> None:
    samples = list_samples()
    assert {s.repository for s in samples} >= {"iris_classifier", "sentiment"}
    for sample in samples:
        assert re.fullmatch(r"[a-z2-7]{16}", sample.version), sample.version
        assert sample.version == bento_version(sample.path)  # recomputed, not cached
        again = BentoManifestSchema.model_validate(sample.manifest.model_dump())
        assert again.bentoml_version == "1.1.11"
        assert ":" in again.service
        assert sample.manifest.size_bytes == sum(p.stat().st_size for p in bento_files(sample.path))
        assert sample.manifest.size_bytes > 0
        assert sample.description
        for api in sample.manifest.apis.values():
            assert api.route.startswith("/")
    iris = get_sample("iris_classifier")
    assert iris is not None
    assert [r.name for r in iris.manifest.runners] == ["iris_clf"]
    assert iris.manifest.apis["classify"].route == "/classify"
    sentiment = get_sample("sentiment")
    assert sentiment is not None and sentiment.manifest.runners == []
    assert {a.route for a in sentiment.manifest.apis.values()} == {"/analyze", "/predict"}


def test_version_follows_the_files(tmp_path: Path) -> None:
    sample = get_sample("sentiment")
    assert sample is not None
    copy = tmp_path / "sentiment"
    shutil.copytree(sample.path, copy)
    assert load_bento(copy).version == sample.version  # same files, same version
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert load_bento(copy).version == sample.version  # caches do not count
    with (copy / "lexicon.tsv").open("a") as fh:
        fh.write("splendid\t2.8\n")
    assert load_bento(copy).version != sample.version


def test_iris_data_is_fishers() -> None:
    module = load_service("iris_classifier")
    xs, ys = module.load_dataset()
    assert len(xs) == 150
    assert {y: ys.count(y) for y in set(ys)} == {"setosa": 50, "versicolor": 50, "virginica": 50}
    setosa = [x for x, y in zip(xs, ys, strict=False) if y == "setosa"]
    means = [round(sum(col) / 50, 3) for col in zip(*setosa, strict=False)]
    assert means == [5.006, 3.428, 1.462, 0.246]  # Fisher (1936), Table I


def test_iris_classifies_in_process() -> None:
    module = load_service("iris_classifier")
    runnable = module.IrisKNNRunnable()
    rows = [list(k) for k in CLASSICS]
    assert runnable.predict(rows) == list(CLASSICS.values())
    xs, ys = module.load_dataset()
    accuracy = sum(p == y for p, y in zip(runnable.predict(xs), ys, strict=False)) / len(ys)
    assert accuracy > 0.95

    class LocalRunner:  # what the API server calls, without the network
        def call(self, method: str, payload: object) -> object:
            return getattr(runnable, method)(payload)

    service = module.IrisClassifier(runners={"iris_clf": LocalRunner()})
    assert service.classify([[5.1, 3.5, 1.4, 0.2]]) == ["setosa"]
    assert service.classify({"inputs": [[6.7, 3.0, 5.2, 2.3]]}) == ["virginica"]
    assert service.classify([5.9, 3.0, 4.2, 1.5]) == ["versicolor"]
    for bad in ([[1, 2, 3]], {"x": 1}, [], "text", [["a", 1, 2, 3]]):
        with pytest.raises(ValueError):
            service.classify(bad)


def test_sentiment_analyzes_in_process() -> None:
    service = load_service("sentiment").SentimentAnalyzer()
    good = service.analyze({"text": "I love this product, it works great!"})
    assert good["label"] == "positive" and 0.5 < good["score"] <= 1
    bad = service.analyze({"text": "Terrible. It crashed twice and support was rude."})
    assert bad["label"] == "negative" and -1 <= bad["score"] < -0.5
    assert service.analyze({"text": "The meeting is on Tuesday."}) == {"label": "neutral", "score": 0.0}
    assert service.analyze({"text": "not good"})["label"] == "negative"
    assert service.analyze({"text": "not bad at all"})["label"] == "positive"
    assert service.analyze("very nice") == service.predict({"text": "very nice"})
    with pytest.raises(ValueError):
        service.analyze({"txt": "typo"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_sample_serves_as_its_own_process(tmp_path: Path) -> None:
    sample = get_sample("sentiment")
    assert sample is not None
    port = _free_port()
    log = (tmp_path / "replica.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-u", "-B", str(BENTO_SERVER), "--bento", str(sample.path), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                if _get(base + "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "replica never became ready"
            time.sleep(0.02)
        assert _get(base + "/healthz")[0] == 200
        assert _get(base + "/livez")[0] == 200
        status, body = _get(base + "/analyze", json.dumps({"text": "what a wonderful day"}).encode())
        assert status == 200 and json.loads(body)["label"] == "positive"
        status, body = _get(base + "/predict", b"awful, just awful")
        assert status == 200 and json.loads(body)["label"] == "negative"
        assert _get(base + "/analyze", b'{"nope": 1}')[0] == 400
        assert _get(base + "/missing", b"{}")[0] == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    text = (tmp_path / "replica.log").read_text()
    assert "Listening on" in text and "ready" in text
    assert '"POST /analyze HTTP/1.1" 200' in text
    assert "Stopped" in text
