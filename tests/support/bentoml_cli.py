"""The real bentoml CLIs (1.1.11 and the latest 1.4.x), each in a virtualenv of its own, cached.

bentoml 1.1.11 pins libraries far older than the project's, and 1.4 pins others, so neither goes
into the project's virtualenv. The first run creates `~/.cache/bentotui-tests/bentoml-<V>-venv`
(one pip install from PyPI, a minute or two); later runs reuse it once `bin/bentoml --version`
answers `bentoml, version <V>`. The venv is built in a temporary directory beside it and renamed into
place only when complete, so an interrupted install is never reused. A failed install (no network,
say) fails the tests with pip's output; it never skips them.

`CLI` runs one of them with a BENTOML_HOME of its own against a local control plane.
"""

from __future__ import annotations

import fcntl
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import LocalCloud
from tests.support.fixtures import FIXTURES

BENTOML_VERSION = "1.1.11"
# The 1.4 line as tested (latest 1.4.x on PyPI when it was pinned; `pip index versions bentoml`).
BENTOML_14_VERSION = "1.4.40"
CACHE_ROOT = Path(os.environ.get("BENTOTUI_TEST_CACHE", Path.home() / ".cache" / "bentotui-tests"))


def venv_dir(version: str) -> Path:
    """Where the cached virtualenv of bentoml==`version` lives."""
    return CACHE_ROOT / f"bentoml-{version}-venv"


VENV_DIR = venv_dir(BENTOML_VERSION)
COMMAND_TIMEOUT_S = 120
SITE = Path(__file__).resolve().parent / "bentoml_site"
INSTALL_TIMEOUT_S = 1200
# Variables of the surrounding environment that must not leak into the bentoml CLI's.
_DROP = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "BENTO_CLOUD_API_KEY", "BENTO_CLOUD_API_ENDPOINT",
         "BENTOML_CONFIG", "BENTOML_HOME", "FORCE_COLOR", "PYTHONSTARTUP")


def clean_env() -> dict[str, str]:
    """This environment without what would leak into the bentoml CLI's (pip never prompts)."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env["PIP_NO_INPUT"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _version_ok(venv: Path, version: str = BENTOML_VERSION) -> bool:
    exe = venv / "bin" / "bentoml"
    if not exe.exists():
        return False
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL, env=clean_env())
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and f"bentoml, version {version}" in out.stdout


def _relocate_scripts(bindir: Path, old: Path, new: Path) -> None:
    """Point the console scripts' shebangs (and activate scripts) at the renamed venv."""
    old_b, new_b = os.fsencode(str(old)), os.fsencode(str(new))
    for path in bindir.iterdir():
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old_b in data and b"\0" not in data[:4096]:
            path.write_bytes(data.replace(old_b, new_b))


def _run_install_step(cmd: list[str], what: str, version: str = BENTOML_VERSION) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, env=clean_env())
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{what} timed out after {INSTALL_TIMEOUT_S} s: {' '.join(cmd)}\n"
                    f"{exc.stdout or ''}\n{exc.stderr or ''}", pytrace=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + "\n" + proc.stderr).strip().splitlines()[-40:])
        pytest.fail(
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}\n\n"
            f"The conformance tests need bentoml=={version} from PyPI the first time they run "
            f"(it is then cached in {venv_dir(version)}). Is the package index reachable?",
            pytrace=False,
        )


def ensure_bentoml_venv(venv: Path | None = None, version: str = BENTOML_VERSION) -> Path:
    """Return a virtualenv with bentoml==`version`, creating it if the cached one is missing or broken."""
    return _ensure(venv or venv_dir(version), version)[0]


def _ensure(venv: Path, version: str) -> tuple[Path, bool]:
    """The virtualenv, and whether the cached one was reused (one `--version` check when it is:
    each costs seconds, and every test session, xdist worker too, makes it)."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test session may be installing it right now
        if _version_ok(venv, version):
            return venv, True
        for stale in venv.parent.glob(f".{venv.name}.tmp-*"):  # left by an interrupted install
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{venv.name}.tmp-", dir=venv.parent))
        try:
            python = os.environ.get("BENTOTUI_BENTOML_PYTHON", "python3")
            if shutil.which(python) is None:
                python = sys.executable
            _run_install_step([python, "-m", "venv", "--prompt", venv.name, str(tmp)],
                              "creating the bentoml virtualenv", version)
            _run_install_step(
                [str(tmp / "bin" / "python"), "-m", "pip", "install", "--no-input", "--progress-bar",
                 "off", "--disable-pip-version-check", f"bentoml=={version}"],
                f"pip install bentoml=={version}", version,
            )
            if venv.exists() or venv.is_symlink():
                shutil.rmtree(venv, ignore_errors=True)
            os.rename(tmp, venv)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _relocate_scripts(venv / "bin", tmp, venv)
        if not _version_ok(venv, version):
            pytest.fail(f"{venv}/bin/bentoml --version does not print 'bentoml, version "
                        f"{version}' right after installing it", pytrace=False)
        return venv, False


@dataclass
class BentomlCLI:
    venv: Path
    install_seconds: float
    reused: bool
    version: str = BENTOML_VERSION

    @property
    def bindir(self) -> Path:
        return self.venv / "bin"


def cli_of(version: str) -> BentomlCLI:
    """The cached CLI of bentoml==`version`, installed first if it is missing."""
    started = time.monotonic()
    venv, reused = _ensure(venv_dir(version), version)
    return BentomlCLI(venv, time.monotonic() - started, reused, version)


class CLI:
    """Runs `bentoml …` with its own BENTOML_HOME; failures name the step and show the output."""

    def __init__(self, tool: BentomlCLI, home: Path, cloud: LocalCloud) -> None:
        self.tool, self.home, self.cloud = tool, home, cloud
        self.env = clean_env()
        self.env.update({
            "PYTHONPATH": str(SITE),  # sitecustomize: `deploy` checks its status every 0.5 s
            "BENTOML_HOME": str(home),
            "BENTOML_DO_NOT_TRACK": "True",
            "PATH": str(tool.bindir) + os.pathsep + os.environ.get("PATH", ""),
            "COLUMNS": "200",  # the list table must not wrap
            "NO_COLOR": "1",
        })

    def __call__(self, step: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.tool.bindir / "bentoml"), *args]
        try:
            proc = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=COMMAND_TIMEOUT_S, cwd=self.home)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"[{step}] `bentoml {' '.join(args)}` did not finish in {COMMAND_TIMEOUT_S} s\n"
                        f"--- stdout\n{exc.stdout}\n--- stderr\n{exc.stderr}\n"
                        f"--- server log\n{self.cloud.log_tail()}", pytrace=False)
        if (proc.returncode == 0) != ok:
            expected = "exit 0" if ok else "a non-zero exit"
            self.fail(step, proc, f"expected {expected}, got exit {proc.returncode}")
        return proc

    def fail(self, step: str, proc: subprocess.CompletedProcess[str], why: str) -> None:
        pytest.fail(f"[{step}] `bentoml {' '.join(proc.args[1:])}`: {why}\n"
                    f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}\n"
                    f"--- server log (tail)\n{self.cloud.log_tail()}", pytrace=False)

    def expect(self, step: str, proc: subprocess.CompletedProcess[str], *needles: str) -> None:
        out = proc.stdout + proc.stderr
        for needle in needles:
            if needle not in out:
                self.fail(step, proc, f"output does not contain {needle!r}")


def deployment_file(directory: Path, fixture: str, version: str) -> Path:
    """The docs' example file with only the bento version changed to one the registry has."""
    body = json.loads((FIXTURES / fixture).read_text())
    body["targets"][0]["bento"] = version
    path = directory / fixture
    path.write_text(json.dumps(body, indent=2))
    return path


def same_tree(left: Path, right: Path) -> list[str]:
    """Paths that differ (or exist on one side only) between two directories, by content."""
    problems: list[str] = []

    def walk(cmp: filecmp.dircmp[str], where: Path) -> None:
        problems.extend(str(where / n) for n in cmp.left_only + cmp.right_only + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files,
                                               shallow=False)
        problems.extend(str(where / n) for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, where / name)

    walk(filecmp.dircmp(left, right), Path("."))
    return problems
