"""The local stand-in for BentoCloud's image builder: what a pushed bento needs to run.

BentoCloud turns a bento into an OCI image.  Here the honest equivalent is (1) a virtualenv with
the bento's bentoml version and its `env/python` requirements, built once per distinct
(python, bentoml version, requirements) set under `$BENTOTUI_HOME/envs/` and reused after, (2)
the bento unpacked from its pushed archive, and (3) a bentoml home whose model store holds the
bento's pushed models.  Every step's output is appended to one build log; a failure raises
`BuildFailed` with a reason fit for the deployment's events.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

BUILD_TIMEOUT_S = float(os.environ.get("BENTOTUI_IMAGE_BUILD_TIMEOUT_S", "1800"))
READY_MARK = ".ready"
SUPERVISOR = Path(__file__).with_name("supervise.py")
# Variables of the control plane's environment that must not steer pip or the new venv.
_DROP = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "BENTOML_HOME", "BENTOML_CONFIG",
         "PIP_REQUIRE_VIRTUALENV", "PIP_TARGET", "PIP_PREFIX", "PIP_USER")


class BuildFailed(Exception):
    """The bento cannot be prepared; the message says why (shown as the deployment's reason)."""


@dataclass(frozen=True)
class Prepared:
    """What a replica of a pushed bento runs with."""

    bento_dir: Path
    bentoml_home: Path
    environment: Path
    reused: bool

    @property
    def bentoml(self) -> Path:
        return self.environment / "bin" / "bentoml"

    @property
    def serve_argv(self) -> tuple[str, ...]:
        """A replica's command up to `--port N`: `bentoml serve` under the supervisor."""
        return (sys.executable, "-u", "-B", "-s", str(SUPERVISOR), "--",
                str(self.bentoml), "serve", str(self.bento_dir),
                "--host", "127.0.0.1", "--api-workers", "1")


def _unpack(archive: Path, target: Path) -> None:
    """Extracts a pushed tar into `target` whole (temporary directory, then renamed)."""
    if (target / READY_MARK).is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(tmp, filter="data")  # no absolute paths, links out, devices
        (tmp / READY_MARK).write_text("")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class EnvironmentBuilder:
    """Prepares pushed bentos; environments are shared by every bento with the same needs."""

    def __init__(self, home: Path, python: str = sys.executable):
        self.home = home
        self.envs = home / "envs"
        self.python = python
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    # ------------------------------------------------------------------ environments

    def requirements(self, bento_dir: Path) -> tuple[str, str]:
        """(bentoml version, requirements text) from the unpacked bento."""
        try:
            info = yaml.safe_load((bento_dir / "bento.yaml").read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise BuildFailed(f"bento.yaml cannot be read: {exc}") from None
        version = str(info.get("bentoml_version") or "")
        if not version:
            raise BuildFailed("bento.yaml names no bentoml_version")
        python_dir = bento_dir / "env" / "python"
        text = ""
        for name in ("requirements.lock.txt", "requirements.txt"):
            if (python_dir / name).is_file():
                text = (python_dir / name).read_text()
                break
        return version, text

    def key(self, bentoml_version: str, requirements: str) -> str:
        digest = hashlib.sha256()
        for part in (self.python, sys.version, bentoml_version, requirements):
            digest.update(part.encode() + b"\0")
        return f"bentoml-{bentoml_version}-{digest.hexdigest()[:12]}"

    async def environment(self, bentoml_version: str, requirements: str,
                          log: Callable[[str], None], log_file: Path) -> tuple[Path, bool]:
        """The ready venv for these needs, built now if missing; (path, reused)."""
        key = self.key(bentoml_version, requirements)
        env_dir = self.envs / key
        async with self._locks[key]:
            if (env_dir / READY_MARK).is_file() and (env_dir / "bin" / "bentoml").exists():
                log(f"Reusing environment {key} (bentoml {bentoml_version})")
                return env_dir, True
            shutil.rmtree(env_dir, ignore_errors=True)  # left by an interrupted build
            env_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            log(f"Building environment {key}: python -m venv, then pip install "
                f"bentoml=={bentoml_version} and the bento's requirements")
            started = time.monotonic()
            try:
                await self._run([self.python, "-m", "venv", str(env_dir)], log_file)
                pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--no-input",
                       "--disable-pip-version-check", "--progress-bar", "off",
                       f"bentoml=={bentoml_version}"]
                if requirements.strip():
                    req_file = env_dir / "bento-requirements.txt"
                    req_file.write_text(requirements)
                    pip += ["-r", str(req_file)]
                await self._run(pip, log_file)
            except BaseException:
                shutil.rmtree(env_dir, ignore_errors=True)
                raise
            (env_dir / READY_MARK).write_text(f"{time.monotonic() - started:.1f}\n")
            log(f"Environment {key} built in {time.monotonic() - started:.1f}s")
            return env_dir, False

    async def _run(self, argv: list[str], log_file: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k not in _DROP}
        env["PIP_NO_INPUT"] = "1"
        with open(log_file, "ab") as out:
            out.write(("$ " + " ".join(argv) + "\n").encode())
            out.flush()
            proc = await asyncio.create_subprocess_exec(
                *argv, stdout=out, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL, env=env, start_new_session=True)
            try:
                code = await asyncio.wait_for(proc.wait(), BUILD_TIMEOUT_S)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
                raise BuildFailed(f"{Path(argv[0]).name} {' '.join(argv[1:3])} did not finish in "
                                  f"{BUILD_TIMEOUT_S:g}s") from None
            except asyncio.CancelledError:
                proc.kill()
                await proc.wait()
                raise
        if code != 0:
            raise BuildFailed(f"`{' '.join(Path(a).name if i == 0 else a for i, a in enumerate(argv[:5]))}"
                              f" …` exited with {code}: {_last_error(log_file)}")

    # ------------------------------------------------------------------ a bento

    async def prepare(self, bento_archive: Path, bento_dir: Path,
                      models: list[tuple[str, str, Path]], log: Callable[[str], None],
                      log_file: Path) -> Prepared:
        """Unpacks the bento and its models, then gets its environment.

        `models` are (name, version, archive) of the bento's pushed models.
        """
        if not bento_archive.is_file():
            raise BuildFailed(f"the bento's archive is missing ({bento_archive})")
        log_file.parent.mkdir(parents=True, exist_ok=True)
        home = bento_dir / "bentoml-home"
        try:
            # two deployments of one bento may prepare it at once: one unpacks, one waits
            async with self._locks[f"unpack:{bento_dir}"]:
                await asyncio.to_thread(_unpack, bento_archive, bento_dir / "bento")
                log(f"Unpacked the bento into {bento_dir / 'bento'}")
                for name, version, archive in models:
                    target = home / "models" / name / version
                    await asyncio.to_thread(_unpack, archive, target)
                    (home / "models" / name / "latest").write_text(version)
                    log(f"Model {name}:{version} is in the replicas' model store")
        except (OSError, tarfile.TarError) as exc:
            raise BuildFailed(f"unpacking failed: {exc}") from None
        version, requirements = self.requirements(bento_dir / "bento")
        environment, reused = await self.environment(version, requirements, log, log_file)
        return Prepared(bento_dir / "bento", home, environment, reused)


def _last_error(log_file: Path, limit: int = 300) -> str:
    """The last meaningful line of a build log (pip's ERROR line if there is one)."""
    try:
        lines = [ln.strip() for ln in log_file.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "see the build log"
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    text = (errors or lines or ["see the build log"])[-1]
    return text[:limit]
