"""The sample bentos shipped with the local control plane, so a fresh install can deploy.

Each sample is a folder with ``bento.json`` and its code (run by
``tui/localcloud/runtime/bento_server.py``).  A sample's version is derived from a hash of its files,
so it is stable across runs and changes whenever the code or data change, like a bentoml
build's version.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tui.api.models import BentoApiSchema, BentoManifestSchema, BentoRunnerSchema

SAMPLES_DIR = Path(__file__).parent
IGNORED = {"__pycache__", ".pytest_cache"}


@dataclass(frozen=True)
class SampleBento:
    repository: str
    version: str
    description: str
    manifest: BentoManifestSchema
    path: Path

    @property
    def tag(self) -> str:
        return f"{self.repository}:{self.version}"


def bento_files(folder: Path) -> list[Path]:
    """The files that make up a bento folder, in a stable order (caches left out)."""
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in IGNORED for part in rel.parts) or path.suffix in {".pyc", ".pyo"}:
            continue
        if path.is_file():
            files.append(path)
    return files


def bento_version(folder: Path) -> str:
    """16 lowercase base32 characters of a SHA-256 over the files' names and contents."""
    digest = hashlib.sha256()
    for path in bento_files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return base64.b32encode(digest.digest()).decode().lower()[:16]


def load_bento(folder: Path) -> SampleBento:
    """Read a bento folder (a sample, or any folder in the same format)."""
    folder = Path(folder)
    data = json.loads((folder / "bento.json").read_text())
    manifest = BentoManifestSchema(
        service=data["service"],
        bentoml_version=data.get("bentoml_version", "1.1.11"),
        size_bytes=sum(p.stat().st_size for p in bento_files(folder)),
        apis={name: BentoApiSchema(**api) for name, api in (data.get("apis") or {}).items()},
        models=list(data.get("models") or []),
        runners=[
            BentoRunnerSchema(name=r["name"], runnable_type=r.get("runnable_type"), models=r.get("models"))
            for r in data.get("runners") or []
        ],
    )
    return SampleBento(
        repository=data["repository"],
        version=bento_version(folder),
        description=data.get("description", ""),
        manifest=manifest,
        path=folder,
    )


@lru_cache(maxsize=1)
def _samples() -> tuple[SampleBento, ...]:
    folders = [p for p in sorted(SAMPLES_DIR.iterdir()) if (p / "bento.json").is_file()]
    return tuple(load_bento(p) for p in folders)


def list_samples() -> list[SampleBento]:
    """Every sample bento, by repository name."""
    return list(_samples())


def get_sample(repository: str) -> SampleBento | None:
    return next((s for s in _samples() if s.repository == repository), None)
