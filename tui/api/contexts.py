"""Where to connect: bentoml login contexts, environment, flags, or the local control plane.

Reads the same `$BENTOML_HOME/.yatai.yaml` that `bentoml cloud login` writes (reference §8),
so a user who logged in with bentoml needs no setup. Never writes it.

Precedence of `resolve_context` (first match wins):

1. ``force_local`` (``--local``)                       -> the local control plane
2. ``endpoint`` / ``api_token`` (``--endpoint``, ``--api-token``)
3. ``context_name`` (``--context NAME``)                -> that bentoml context
4. env ``BENTO_CLOUD_API_KEY`` (+ ``BENTO_CLOUD_API_ENDPOINT``), which overrides the file as
   in bentoml 1.4 (but not a context named on the command line)
5. the file's ``current_context_name``, when it names a context of the file
6. the local control plane
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tui.api.yatai_file import YataiConfig, YataiContext

DEFAULT_CLOUD_ENDPOINT = "https://cloud.bentoml.com"
LOCAL_CONTEXT_NAME = "local"
ENV_API_KEY = "BENTO_CLOUD_API_KEY"
ENV_ENDPOINT = "BENTO_CLOUD_API_ENDPOINT"


class ContextError(Exception):
    """The requested context cannot be used; `message` says why, fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Context:
    """A resolved place to connect to. `endpoint` is None for the local control plane
    until it is started (see `with_endpoint`). The token never shows in repr/str.

    A plain dataclass, not a pydantic model: `bentotui` resolves its context before the first
    paint, which imports no pydantic (start-up time; the file's models are tui/api/yatai_file.py)."""

    name: str
    endpoint: str | None = None
    api_token: str | None = field(default=None, repr=False)
    email: str | None = None
    source: Literal["flag", "env", "bentoml", "local"] = field(kw_only=True)
    is_local: bool = False
    # "v1" / "v2" forces the API flavour (--api-version, config.toml [api_version]); None detects it.
    api_version: Literal["v1", "v2"] | None = None

    def with_endpoint(self, endpoint: str, api_token: str) -> Context:
        """This context once its endpoint is known (the local control plane, when started)."""
        return replace(self, endpoint=endpoint, api_token=api_token)

    def model_copy(self, *, update: dict[str, Any]) -> Context:
        """This context with some fields replaced (the name pydantic gives it; kept for callers)."""
        return replace(self, **update)


def bentoml_home(environ: Mapping[str, str] | None = None) -> Path:
    """`$BENTOML_HOME`, default ``~/bentoml`` (not ``~/.bentoml``), as bentoml has it."""
    environ = os.environ if environ is None else environ
    home = environ.get("BENTOML_HOME")
    return Path(home).expanduser() if home else Path.home() / "bentoml"


def yatai_config_path(environ: Mapping[str, str] | None = None) -> Path:
    return bentoml_home(environ) / ".yatai.yaml"


def load_yatai_config(
    path: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> YataiConfig:
    """The parsed file; an empty config when it does not exist; `ContextError` naming the
    file and the problem when it is not readable, not YAML, or not of the expected shape."""
    path = Path(path) if path is not None else yatai_config_path(environ)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _empty_config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ContextError(f"cannot read {path}: {exc}") from None
    import yaml  # here, not at the top: a start without a context file never needs it (~25 ms)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ContextError(f"{path} is not valid YAML{where}: {problem}") from None
    if data is None:
        return _empty_config()
    if not isinstance(data, dict):
        raise ContextError(f"{path}: expected a mapping with `contexts`, got {type(data).__name__}")
    # deferred: start-up time (only a context file needs pydantic and the models)
    from pydantic import ValidationError

    from tui.api.models import describe_validation_error  # deferred: start-up time, as above
    from tui.api.yatai_file import YataiConfig

    try:
        return YataiConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(describe_validation_error(exc))
        raise ContextError(f"{path} is not a bentoml context file: {problems}") from None


def _empty_config() -> YataiConfig:
    from tui.api.yatai_file import YataiConfig  # deferred: start-up time

    return YataiConfig()


def endpoint_label(endpoint: str) -> str:
    """What names a connection given by URL alone (`--endpoint`): its host and port."""
    parts = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}")
    return parts.netloc.rpartition("@")[2] or endpoint


def local_context() -> Context:
    return Context(name=LOCAL_CONTEXT_NAME, source="local", is_local=True)


def _from_yatai(entry: YataiContext) -> Context:
    return Context(
        name=entry.name,
        endpoint=entry.endpoint,
        api_token=entry.api_token,
        email=entry.email,
        source="bentoml",
    )


def list_contexts(environ: Mapping[str, str] | None = None) -> list[Context]:
    """The bentoml login contexts, then the local control plane."""
    config = load_yatai_config(environ=environ)
    return [_from_yatai(c) for c in config.contexts] + [local_context()]


def resolve_context(
    *,
    endpoint: str | None = None,
    api_token: str | None = None,
    context_name: str | None = None,
    force_local: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> Context:
    """The context to use, by the precedence in the module docstring.

    `api_token` without `endpoint` means BentoCloud (``$BENTO_CLOUD_API_ENDPOINT`` or
    https://cloud.bentoml.com), as ``bentoml cloud login --api-token`` does.
    """
    if force_local:
        return local_context()
    if endpoint is not None or api_token is not None:
        if not api_token:
            raise ContextError(f"--endpoint {endpoint} needs an API token (--api-token)")
        url = endpoint or environ.get(ENV_ENDPOINT) or DEFAULT_CLOUD_ENDPOINT
        return Context(name=endpoint_label(url), endpoint=url, api_token=api_token, source="flag")
    if context_name is not None:
        config = load_yatai_config(environ=environ)
        entry = config.get(context_name)
        if entry is not None:
            return _from_yatai(entry)
        if context_name == LOCAL_CONTEXT_NAME:
            return local_context()
        known = [c.name for c in config.contexts] + [LOCAL_CONTEXT_NAME]
        path = yatai_config_path(environ)
        where = (f"(from {path})" if path.exists() else
                 "(there is no bentoml login: `bentoml cloud login` adds a context)")
        raise ContextError(
            f"context {context_name!r} does not exist; the contexts are: {', '.join(known)} {where}"
        )
    if environ.get(ENV_API_KEY):
        return Context(
            name="env",
            endpoint=environ.get(ENV_ENDPOINT) or DEFAULT_CLOUD_ENDPOINT,
            api_token=environ[ENV_API_KEY],
            source="env",
        )
    if no_login_file(environ):
        return local_context()  # without reading YAML or making a model: the start paints sooner
    config = load_yatai_config(environ=environ)
    if config.current_context_name:
        entry = config.get(config.current_context_name)
        if entry is not None:
            return _from_yatai(entry)
    return local_context()


def no_login_file(environ: Mapping[str, str] = os.environ) -> bool:
    """No `.yatai.yaml` at all (any other trouble with it is load_yatai_config's to report)."""
    try:
        yatai_config_path(environ).stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False
