"""The cli starts the first requests before importing the models when the command line or the
environment name the endpoint and token outright (tui.cli._early_target), and only then."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tui.cli import _early_target, build_parser


def target(*argv: str) -> tuple[str, str] | None:
    return _early_target(build_parser().parse_args(list(argv)))


def test_flags_name_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENTO_CLOUD_API_ENDPOINT", raising=False)
    assert target("--endpoint", "http://h:1", "--api-token", "t") == ("http://h:1", "t")
    monkeypatch.setenv("BENTO_CLOUD_API_ENDPOINT", "http://env:2")
    assert target("--api-token", "t") == ("http://env:2", "t")


def test_everything_else_waits_for_the_context() -> None:
    # --local and --context win over the flags in resolve_context: the prefetch must not go
    # to the flags' endpoint with the flags' token then
    assert target("--local", "--endpoint", "http://h:1", "--api-token", "t") is None
    assert target("--context", "c", "--endpoint", "http://h:1", "--api-token", "t") is None
    assert target("--endpoint", "http://h:1") is None  # resolve_context reports the missing token
    assert target() is None


def test_prefetch_starts_before_pydantic_is_imported() -> None:
    """What the thread needs is the standard library: importing it pulls in no pydantic, httpx
    or Textual, so the requests leave ~0.25 s earlier than the models' import would allow."""
    code = ("import sys, tui.cli, tui.api.prefetch; "
            "print(sorted(m for m in ('pydantic', 'httpx', 'textual', 'tui.api.models') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_app_loads_without_httpx() -> None:
    """httpx, httpx-ws and wsproto (~0.1 s) come with the first stream, after the first paint
    (the first requests are the prefetch's, over the standard library)."""
    code = ("import sys, tui.cli, tui.app; "
            "print(sorted(m for m in ('httpx', 'httpx_ws', 'wsproto') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
