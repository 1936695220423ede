"""ruff (pyproject's [tool.ruff]: E, F, I, B) and mypy (pyproject's [tool.mypy], pydantic plugin)
are clean, so CI (`.ci/run` runs pytest) fails on a new lint or type error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is a test dependency (pyproject [project.optional-dependencies] test)"
    return found


def test_ruff_is_clean() -> None:
    result = subprocess.run([_tool("ruff"), "check", "tui", "tests"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    # The cache (.mypy_cache in the checkout) makes a re-run take about a second; a cold run in a
    # fresh clone takes ~13 s of CPU.
    return subprocess.run([_tool("mypy"), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_mypy_is_clean() -> None:
    result = _mypy()  # the files and options are pyproject's [tool.mypy]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_mypy_check_notices_a_type_error(tmp_path: Path) -> None:
    """Control: the same configuration reports a planted error (nothing in it silences errors)."""
    planted = tmp_path / "planted.py"
    planted.write_text("from tui.api.models import DeploymentSchema\n\n"
                       "def name_of(d: DeploymentSchema) -> int:\n    return d.name\n")
    result = _mypy(str(planted))
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Incompatible return value type (got "str", expected "int")' in result.stdout
