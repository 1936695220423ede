"""Shared test setup: every test runs with its own BENTOTUI_HOME and BENTOML_HOME."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.harness import LocalCloud
from tests.support.tls import TlsForwarder


@pytest.fixture(autouse=True)
def isolated_homes(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    homes = {
        "BENTOTUI_HOME": tmp_path_factory.mktemp("bentotui-home"),
        "BENTOML_HOME": tmp_path_factory.mktemp("bentoml-home"),
    }
    for key, value in homes.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("BENTO_CLOUD_API_KEY", raising=False)
    monkeypatch.delenv("BENTO_CLOUD_API_ENDPOINT", raising=False)
    monkeypatch.setenv("BENTOML_DO_NOT_TRACK", "True")
    yield homes
    # An app under test may have started the local control plane in this home: never leave it.
    from tui.localcloud import daemon
    from tui.localcloud.paths import StatePaths

    daemon.stop(StatePaths(homes["BENTOTUI_HOME"]))


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    """One real control plane per test module (starting one costs about a second)."""
    server = LocalCloud(tmp_path_factory.mktemp("cloud"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http(cloud: LocalCloud) -> Iterator[httpx.Client]:
    with cloud.client() as client:
        yield client


# ------------------------------------------------------------------ https (tests/support/tls.py)

@pytest.fixture
def ca() -> trustme.CA:
    """A throwaway certificate authority (nobody's trust store has it)."""
    return trustme.CA()


@pytest.fixture
def forwarder(cloud: LocalCloud, ca: trustme.CA) -> Iterator[TlsForwarder]:
    """https://localhost:<port> in front of the module's control plane, certified by `ca`."""
    assert cloud.port is not None  # known once it runs
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    proxy = TlsForwarder(cloud.port, context)
    yield proxy
    proxy.close()


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA trusted the way a user trusts a private CA for httpx: SSL_CERT_FILE."""
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
