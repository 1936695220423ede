"""Context resolution: every precedence rule, on a temporary BENTOML_HOME."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tui.api.contexts import (
    DEFAULT_CLOUD_ENDPOINT,
    Context,
    ContextError,
    bentoml_home,
    list_contexts,
    load_yatai_config,
    resolve_context,
)

PROD_TOKEN = "prod-token-0123456789abcdef"
DEV_TOKEN = "dev-token-fedcba9876543210"

YATAI_YAML = f"""\
contexts:
- api_token: {PROD_TOKEN}
  email: ops@example.com
  endpoint: https://prod.example.com
  name: prod
- api_token: {DEV_TOKEN}
  email: dev@example.com
  endpoint: http://127.0.0.1:3000
  name: dev
current_context_name: dev
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BENTOML_HOME", str(tmp_path))
    monkeypatch.delenv("BENTO_CLOUD_API_KEY", raising=False)
    monkeypatch.delenv("BENTO_CLOUD_API_ENDPOINT", raising=False)
    return tmp_path


@pytest.fixture
def with_file(home: Path) -> Path:
    (home / ".yatai.yaml").write_text(YATAI_YAML)
    return home


def test_bentoml_home_default_is_not_dotted(monkeypatch, tmp_path):
    monkeypatch.delenv("BENTOML_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert bentoml_home() == tmp_path / "bentoml"
    assert bentoml_home({"BENTOML_HOME": "~/elsewhere"}) == tmp_path / "elsewhere"


def test_missing_file_is_an_empty_config_and_local(home):
    assert load_yatai_config().contexts == []
    context = resolve_context()
    assert context.is_local and context.source == "local" and context.endpoint is None
    assert [c.name for c in list_contexts()] == ["local"]


def test_file_is_read(with_file):
    config = load_yatai_config()
    assert [c.name for c in config.contexts] == ["prod", "dev"]
    assert config.current_context_name == "dev"
    contexts = list_contexts()
    assert [(c.name, c.is_local) for c in contexts] == [
        ("prod", False),
        ("dev", False),
        ("local", True),
    ]


def test_current_context_of_the_file(with_file):
    context = resolve_context()
    assert (context.name, context.endpoint, context.api_token) == (
        "dev",
        "http://127.0.0.1:3000",
        DEV_TOKEN,
    )
    assert context.source == "bentoml" and context.email == "dev@example.com"


def test_current_context_naming_nothing_falls_back_to_local(home):
    text = YATAI_YAML.replace("current_context_name: dev", "current_context_name: gone")
    (home / ".yatai.yaml").write_text(text)
    assert resolve_context().is_local


def test_context_flag_beats_the_file(with_file):
    context = resolve_context(context_name="prod")
    assert context.name == "prod" and context.api_token == PROD_TOKEN


def test_context_flag_local(with_file):
    assert resolve_context(context_name="local").is_local


def test_unknown_context_lists_the_known_ones(with_file):
    with pytest.raises(ContextError) as info:
        resolve_context(context_name="staging")
    message = info.value.message
    assert "'staging'" in message and "prod, dev, local" in message
    assert PROD_TOKEN not in message


def test_env_beats_the_file_but_not_a_named_context(with_file):
    environ = {"BENTOML_HOME": str(with_file), "BENTO_CLOUD_API_KEY": "env-key-123"}
    assert resolve_context(context_name="prod", environ=environ).name == "prod"
    context = resolve_context(environ=environ)
    assert (context.source, context.endpoint, context.api_token) == (
        "env",
        DEFAULT_CLOUD_ENDPOINT,
        "env-key-123",
    )
    environ["BENTO_CLOUD_API_ENDPOINT"] = "https://mine.example.com"
    assert resolve_context(environ=environ).endpoint == "https://mine.example.com"


def test_env_endpoint_alone_is_not_enough(with_file):
    environ = {"BENTOML_HOME": str(with_file), "BENTO_CLOUD_API_ENDPOINT": "https://x.example"}
    assert resolve_context(environ=environ).name == "dev"


def test_flags_beat_env(with_file):
    environ = {"BENTOML_HOME": str(with_file), "BENTO_CLOUD_API_KEY": "env-key-123"}
    context = resolve_context(
        endpoint="http://10.0.0.1:8080", api_token="flag-tok", environ=environ
    )
    assert (context.source, context.endpoint, context.api_token) == (
        "flag",
        "http://10.0.0.1:8080",
        "flag-tok",
    )


def test_token_flag_alone_means_bentocloud(home):
    context = resolve_context(api_token="flag-tok")
    assert context.endpoint == DEFAULT_CLOUD_ENDPOINT and context.source == "flag"


def test_endpoint_without_token_is_an_error(with_file):
    with pytest.raises(ContextError, match="needs an API token"):
        resolve_context(endpoint="http://10.0.0.1:8080")


def test_force_local_beats_everything(with_file):
    environ = {"BENTOML_HOME": str(with_file), "BENTO_CLOUD_API_KEY": "env-key-123"}
    context = resolve_context(
        force_local=True,
        endpoint="http://x",
        api_token="t",
        context_name="prod",
        environ=environ,
    )
    assert context.is_local and context.name == "local"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contexts: [\n  - name: x\n", "is not valid YAML at line"),
        ("- just\n- a list\n", "expected a mapping"),
        ("contexts:\n- name: x\n", "contexts[0].endpoint: Field required"),
        ("contexts: 7\n", "contexts"),
    ],
)
def test_malformed_files_are_context_errors(home, text, expected):
    path = home / ".yatai.yaml"
    path.write_text(text)
    with pytest.raises(ContextError) as info:
        resolve_context()
    assert str(path) in info.value.message
    assert expected in info.value.message
    # flags and env do not need the file at all
    assert resolve_context(endpoint="http://x", api_token="t").source == "flag"


def test_empty_file_is_empty(home):
    (home / ".yatai.yaml").write_text("")
    assert load_yatai_config().contexts == []


def test_context_repr_hides_the_token(with_file):
    for context in list_contexts():
        assert PROD_TOKEN not in repr(context) and PROD_TOKEN not in str(context)
        assert DEV_TOKEN not in repr(context) and DEV_TOKEN not in str(context)
    config = load_yatai_config()
    assert PROD_TOKEN not in repr(config)
    assert resolve_context(context_name="prod").api_token == PROD_TOKEN


def test_context_is_frozen_and_can_be_resolved():
    local = resolve_context(force_local=True)
    with pytest.raises(dataclasses.FrozenInstanceError):  # a dataclass: no pydantic at start-up
        local.endpoint = "http://127.0.0.1:1"  # type: ignore[misc]
    started = local.with_endpoint("http://127.0.0.1:4321", "local-tok")
    assert isinstance(started, Context) and started.is_local
    assert started.endpoint == "http://127.0.0.1:4321" and "local-tok" not in repr(started)


def test_endpoint_flag_is_named_by_its_host(home):
    context = resolve_context(endpoint="http://10.0.0.1:8080/", api_token="flag-tok")
    assert context.name == "10.0.0.1:8080" and context.source == "flag"
    assert resolve_context(api_token="t").name == "cloud.bentoml.com"


def test_unknown_context_without_a_login_says_so(home):
    with pytest.raises(ContextError) as info:
        resolve_context(context_name="nosuch")
    message = info.value.message
    assert "'nosuch' does not exist" in message and "local" in message
    assert ".yatai.yaml" not in message and "no bentoml login" in message


def test_unknown_context_with_a_login_names_the_file(with_file):
    with pytest.raises(ContextError) as info:
        resolve_context(context_name="nosuch")
    assert "prod, dev, local" in info.value.message and ".yatai.yaml" in info.value.message
