"""tui/api/endpoint.py: the curl command, the masked token, and calls that never raise."""

from __future__ import annotations

import json
import shlex

import httpx

from tui.api.endpoint import call_endpoint, curl_command, endpoint_url, mask_token

TOKEN = "btui_s3cr3t-t0ken"


def test_mask_keeps_only_the_prefix() -> None:
    assert mask_token(TOKEN) == "btui_…****"
    assert mask_token("abcdef") == "…****"
    assert "s3cr3t" not in mask_token(TOKEN)


def test_curl_command_is_real_when_copied_and_masked_when_shown() -> None:
    body = '{"text": "it\'s fine"}'
    real = curl_command("http://h:1/gw/default/x/", "/classify", body, TOKEN)
    shown = curl_command("http://h:1/gw/default/x/", "/classify", body, TOKEN, masked=True)
    assert f'-H "Authorization: Bearer {TOKEN}"' in real
    assert TOKEN not in shown and "btui_…****" in shown
    args = shlex.split(real.replace("\\\n", " "))
    assert args[args.index("-d") + 1] == body  # quoting survives a shell
    assert "http://h:1/gw/default/x/classify" in args
    assert endpoint_url("http://h:1/x", "classify") == "http://h:1/x/classify"


async def test_call_endpoint_json_text_and_transport_errors() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/json"):
            return httpx.Response(200, json=["setosa"])
        return httpx.Response(503, text=f"busy (token {TOKEN})")

    transport = httpx.MockTransport(handler)
    ok = await call_endpoint("http://h/gw/x", "/json", "[[1, 2]]", TOKEN, transport=transport)
    assert ok.ok and ok.data == ["setosa"] and json.loads(ok.pretty()) == ["setosa"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["content-type"] == "application/json"
    bad = await call_endpoint("http://h/gw/x", "/text", "plain words", TOKEN, transport=transport)
    assert bad.status == 503 and not bad.ok and not bad.is_json and TOKEN not in bad.text
    assert seen[1].headers["content-type"] == "text/plain"
    down = await call_endpoint("http://127.0.0.1:9/gw/x", "/p", "{}", TOKEN, timeout=2)
    assert down.status is None and down.error and "127.0.0.1:9" in down.error
    assert down.summary.startswith("no answer")
