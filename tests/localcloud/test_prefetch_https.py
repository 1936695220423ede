"""The start-up prefetch over https (tui/api/prefetch.py): the real control plane behind a small
TLS-terminating forwarder with a certificate from a throwaway CA (trustme).  Trusted the way the
app's httpx client trusts it (SSL_CERT_FILE), the first page comes from the prefetch; untrusted,
nothing is prefetched, not a byte (so no token) reaches the server, and the client reports the
TLS error as it did without the prefetch."""

from __future__ import annotations

import httpx
import pytest

from tests.harness import LocalCloud
from tests.support.tls import TlsForwarder
from tui.api.client import BentoCloudClient
from tui.api.errors import ConnectionFailed
from tui.api.prefetch import Prefetch


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
