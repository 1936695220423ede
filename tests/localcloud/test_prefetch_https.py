"""The start-up prefetch over https (tui/api/prefetch.py): the real control plane behind a small
TLS-terminating forwarder with a certificate from a throwaway CA (trustme).  Trusted the way the
app's httpx client trusts it (SSL_CERT_FILE), the first page comes from the prefetch; untrusted,
nothing is prefetched, not a byte (so no token) reaches the server, and the client reports the
TLS error as it did without the prefetch."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.harness import LocalCloud
from tui.api.client import BentoCloudClient
from tui.api.errors import ConnectionFailed
from tui.api.prefetch import Prefetch


class TlsForwarder:
    """https://localhost:<port> → the control plane's plain port; counts the bytes it passed on."""

    def __init__(self, backend_port: int, context: ssl.SSLContext) -> None:
        self.backend_port = backend_port
        self.context = context
        self.forwarded = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"https://localhost:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return  # the client refused the certificate: nothing reaches the server
        backend = socket.create_connection(("127.0.0.1", self.backend_port))

        def pipe(src: socket.socket, dst: socket.socket, upstream: bool) -> None:
            try:
                while data := src.recv(65536):
                    if upstream:
                        self.forwarded += len(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for end in (src, dst):  # shut down, not only closed: the other pipe's recv ends
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    end.close()

        threading.Thread(target=pipe, args=(backend, tls, False), daemon=True).start()
        pipe(tls, backend, True)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def forwarder(cloud: LocalCloud, ca: trustme.CA) -> Iterator[TlsForwarder]:
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


async def test_the_first_page_comes_from_the_prefetch_over_https(
        cloud: LocalCloud, forwarder: TlsForwarder, trusted: None, http: httpx.Client) -> None:
    version = http.get("/api/v1/bento_repositories/sentiment").json()["latest_bento"]["version"]
    http.post("/api/v1/clusters/default/deployments", json={
        "name": "over-tls", "do_not_deploy": True,
        "targets": [{"bento_repository": "sentiment", "bento": version}]})
    prefetch = Prefetch.start_for(forwarder.endpoint, cloud.token)
    assert prefetch is not None
    async with BentoCloudClient(forwarder.endpoint, cloud.token, prefetch=prefetch) as fast, \
            BentoCloudClient(forwarder.endpoint, cloud.token) as plain:
        assert await prefetch.server_answered()
        page = await fast.list_deployments("default", start=0, count=500)
        assert prefetch.used
        assert "over-tls" in {d.name for d in page.items}
        assert page == await plain.list_deployments("default", start=0, count=500)


async def test_an_untrusted_certificate_sends_nothing(cloud: LocalCloud, forwarder: TlsForwarder,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)  # certifi's bundle: not our CA
    prefetch = Prefetch.start_for(forwarder.endpoint, cloud.token)
    assert prefetch is not None
    assert not await prefetch.server_answered()
    assert prefetch.take("GET", "/api/v1/clusters/default/deployments",
                         {"start": 0, "count": 500}) is None
    assert forwarder.forwarded == 0  # no request, so no token, reached the server
    async with BentoCloudClient(forwarder.endpoint, cloud.token, prefetch=prefetch) as client:
        with pytest.raises(ConnectionFailed) as refused:
            await client.list_clusters()
    assert "TLS error" in str(refused.value) and "certificate" in str(refused.value).lower()
    assert cloud.token not in str(refused.value)
    assert forwarder.forwarded == 0


def test_https_behind_a_proxy_is_left_to_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    assert Prefetch.start_for("https://cloud.example", "t") is None
