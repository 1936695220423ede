"""The limits read from the environment: overrides apply, anything but a positive finite
number stops the start with the variable's name (a bound never silently disappears)."""

from __future__ import annotations

import pytest

from tui.localcloud.limits import LimitError, Limits


def test_defaults_and_overrides() -> None:
    assert Limits.from_env({}) == Limits()
    limits = Limits.from_env({"BENTOTUI_LIMIT_API_BODY_BYTES": "2048",
                              "BENTOTUI_LIMIT_BODY_READ_TIMEOUT_S": "0.5"})
    assert limits.api_body_bytes == 2048 and limits.body_read_timeout_s == 0.5


@pytest.mark.parametrize("raw", ["0", "-1", "ten", "1.5", "nan", "inf"])
def test_a_bad_value_fails_closed_naming_the_variable(raw: str) -> None:
    variable = "BENTOTUI_LIMIT_WEBSOCKETS" if raw != "inf" else "BENTOTUI_LIMIT_BODY_READ_TIMEOUT_S"
    with pytest.raises(LimitError, match=variable):
        Limits.from_env({variable: raw})


def test_uvicorn_gets_the_connection_bounds() -> None:
    options = Limits(keep_alive_timeout_s=3, websocket_frame_bytes=1000).uvicorn_options()
    assert options["timeout_keep_alive"] == 3 and options["ws_max_size"] == 1000
    assert options["proxy_headers"] is False
    protocol = options["http"]
    assert protocol.head_timeout_s == Limits().header_read_timeout_s
    assert protocol.max_connections == Limits().max_connections
