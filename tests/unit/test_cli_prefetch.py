"""The cli starts the first requests before importing the models when the command line or the
environment name the endpoint and token outright (tui.cli._early_target), and only then."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import LocalCloud
from tui.api.contexts import resolve_context
from tui.cli import _early_target, build_parser


def target(*argv: str) -> tuple[str, str] | None:
    return _early_target(build_parser().parse_args(list(argv)))


def test_flags_name_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENTO_CLOUD_API_ENDPOINT", raising=False)
    assert target("--endpoint", "http://h:1", "--api-token", "t") == ("http://h:1", "t")
    monkeypatch.setenv("BENTO_CLOUD_API_ENDPOINT", "http://env:2")
    assert target("--api-token", "t") == ("http://env:2", "t")


def test_a_bentoml_login_or_a_named_context_waits_for_the_context(
        monkeypatch: pytest.MonkeyPatch, isolated_homes: dict[str, Path]) -> None:
    assert target("--context", "c") is None
    # the flags win over --context in resolve_context: the prefetch goes where it connects
    assert target("--context", "c", "--endpoint", "http://h:1", "--api-token", "t") == ("http://h:1", "t")
    assert resolve_context(endpoint="http://h:1", api_token="t", context_name="c").endpoint == "http://h:1"
    assert target("--endpoint", "http://h:1") is None  # resolve_context reports the missing token
    # a login file may name the current context: that takes YAML and the models to read
    (isolated_homes["BENTOML_HOME"] / ".yatai.yaml").write_text("contexts: []\n")
    assert target() is None


def test_the_environment_names_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTO_CLOUD_API_KEY", "env-key")
    assert target() == ("https://cloud.bentoml.com", "env-key")
    monkeypatch.setenv("BENTO_CLOUD_API_ENDPOINT", "http://env:2")
    assert target() == ("http://env:2", "env-key")
    assert target("--api-token", "flag") == ("http://env:2", "flag")  # the flags come first


def test_the_local_control_plane_is_the_target_when_it_is_up(
        cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch, isolated_homes: dict[str, Path]) -> None:
    """Plain `bentotui` (and --local) without a bentoml login: the home's running control plane,
    from its files, as resolve_context then picks it."""
    assert target() is None and target("--local") is None  # this home's is not running
    monkeypatch.setenv("BENTOTUI_HOME", str(cloud.home))
    assert target() == (cloud.endpoint, cloud.token)
    assert target("--local", "--endpoint", "http://h:1", "--api-token", "t") == (cloud.endpoint, cloud.token)
    assert resolve_context().is_local
    (isolated_homes["BENTOML_HOME"] / ".yatai.yaml").write_text("contexts: []\n")
    assert target("--local") == (cloud.endpoint, cloud.token)  # --local wins over the file
    assert target() is None


def test_plain_bentotui_finds_its_target_without_pydantic(cloud: LocalCloud) -> None:
    code = ("import sys; from tui.cli import _early_target, build_parser; "
            "print(_early_target(build_parser().parse_args([])) is not None, "
            "sorted(m for m in ('pydantic', 'yaml', 'tui.localcloud.daemon', 'asyncio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path),
                              "BENTOTUI_HOME": str(cloud.home)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True []"


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


def _loaded_by_importing_the_app(expression: str) -> str:
    """`expression` evaluated in a fresh interpreter that imported what `bentotui` imports before
    the first paint (the cli, the context, the app)."""
    code = f"import sys, tui.cli, tui.api.contexts, tui.app; print({expression})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


V2_MODULES = ("tui.api.models_v2", "tui.api.flavours", "tui.api.client_v2", "tui.api.deployment_view",
              "tui.documents.scaling", "tui.documents.v2", "tui.screens.scale", "tui.screens.revision_diff")


def test_the_app_loads_without_the_v2_models() -> None:
    """The v2 models, conversions and calls load with the first v2 screen or action, not on the
    way to the first list (which the detection and `scaled-to-zero` alone need:
    tui/api/api_version.py); one module-level import of them would add ~20 ms to every start."""
    found = _loaded_by_importing_the_app(f"sorted(m for m in {V2_MODULES!r} if m in sys.modules)")
    assert found == "[]"
    assert _loaded_by_importing_the_app("'tui.api.api_version' in sys.modules") == "True"


def test_importing_the_app_builds_no_model() -> None:
    """Every model defers its validator to its first use (defer_build, and no `ListSchema[...]`
    subscripted at import, which builds the generic at once): only what the first page
    validates gets built, after the requests have gone out."""
    expression = ("sorted(c.__qualname__ for c in __import__('gc').get_objects() "
                  "if isinstance(c, type) and issubclass(c, __import__('pydantic').BaseModel) "
                  "and c.__module__.startswith('tui') and c.__pydantic_complete__)")
    assert _loaded_by_importing_the_app(expression) == "[]"
    # and the control: the check does see a built model
    built = ("(__import__('tui.api.models').api.models.DeploymentListSchema.model_validate({}), "
             "'DeploymentListSchema' in " + expression + ")[1]")
    assert _loaded_by_importing_the_app(built) == "True"


def test_ctrl_c_while_it_starts_exits_130_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the app has the terminal, ctrl+c is SIGINT: a KeyboardInterrupt in whatever is
    importing; `bentotui` printed its traceback.  Now it ends as a shell reports SIGINT."""
    import gc

    from tui import app as app_module
    from tui.cli import main

    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(app_module, "run_app", interrupted)
    try:
        assert main(["--endpoint", "http://127.0.0.1:9", "--api-token", "t"]) == 130
    finally:
        gc.enable()  # the start turns it off until the list is painted
