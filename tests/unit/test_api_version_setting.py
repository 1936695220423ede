"""`--api-version` and config.toml `[api_version]`: which API flavour a context is forced to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.api.contexts import local_context
from tui.cli import build_parser
from tui.config import api_version_for, load_settings, with_api_version


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_config_table_per_context(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[api_version]\nlocal = "v1"\nother = "auto"\n'))
    assert settings.problems == []
    assert api_version_for(settings, "local") == "v1"
    assert api_version_for(settings, "other") is None


def test_bad_values_are_named_and_ignored(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[api_version]\nlocal = "v3"\n'))
    assert api_version_for(settings, "local") is None
    assert len(settings.problems) == 1 and "api_version.local" in settings.problems[0]
    assert load_settings(write(tmp_path, 'api_version = "v2"\n')).problems


def test_flag_beats_config_and_auto_means_detect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENTOTUI_CONFIG", str(write(tmp_path, '[api_version]\nlocal = "v1"\n')))
    assert with_api_version(local_context(), None).api_version == "v1"
    assert with_api_version(local_context(), "v2").api_version == "v2"
    assert with_api_version(local_context(), "auto").api_version is None
    assert build_parser().parse_args(["--api-version", "v2"]).api_version == "v2"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--api-version", "v9"])
