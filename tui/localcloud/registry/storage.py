"""The registry's files: one tar per pushed bento or model version, written whole or not at all.

An upload is streamed chunk by chunk into a temporary file beside its final place and renamed
over it only once the whole body arrived and reads back as the archive it claims to be, so a
broken-off or oversized upload never replaces (or half-creates) a version's archive.  Memory use
is one chunk, whatever the size.
"""

from __future__ import annotations

import asyncio
import os
import re
import tarfile
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath

# bentoml tag rules (name and version): lower-case alphanumerics, '.', '_' and '-', at most 63
# characters, starting with an alphanumeric.  Checked before any path is built from them.
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

DEFAULT_MAX_UPLOAD_BYTES = 8 * 2**30
MAX_UPLOAD_ENV = "BENTOTUI_REGISTRY_MAX_UPLOAD_BYTES"
# The file each kind must hold at its top level (what `bentoml build` / `save_model` write).
REQUIRED_MEMBER = {"bento": "bento.yaml", "model": "model.yaml"}
ARCHIVE_NAME = {"bento": "bento.tar", "model": "model.tar"}
# The body arrives in chunks of ~64 KiB; writing them through a 1 MiB buffer makes fewer system
# calls (memory stays bounded by the buffer).
WRITE_BUFFER_BYTES = 2**20


class UploadTooLarge(Exception):
    """The body is (or announced to be) bigger than the limit."""


class UploadBrokeOff(Exception):
    """The body ended before its announced length, or the client went away."""


class BadArchive(Exception):
    """The whole body arrived but is not a usable archive of that kind."""


def max_upload_bytes(environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """The configured upload limit; an unreadable value falls back to the default (fails closed
    to a bound, never to none)."""
    raw = environ.get(MAX_UPLOAD_ENV, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return DEFAULT_MAX_UPLOAD_BYTES


def bad_name(what: str, value: str, pattern: re.Pattern[str]) -> str | None:
    """Why `value` cannot be a repository name / version, or None."""
    if pattern.match(value):
        return None
    return (f"invalid {what} {value!r}: use lower-case letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)")


class ArtifactFiles:
    """Paths of pushed archives under the control plane's home."""

    def __init__(self, home: Path):
        self.home = home

    def directory(self, kind: str, repository: str, version: str) -> Path:
        base = self.home / ("bentos" if kind == "bento" else "models")
        return base / repository / version

    def archive(self, kind: str, repository: str, version: str) -> Path:
        return self.directory(kind, repository, version) / ARCHIVE_NAME[kind]

    async def receive(self, kind: str, repository: str, version: str,
                      chunks: AsyncIterator[bytes], *, limit: int,
                      announced: int | None) -> int:
        """Streams `chunks` into the version's archive; returns its size.

        Raises UploadTooLarge, UploadBrokeOff or BadArchive, leaving no file behind (and any
        earlier archive of the version untouched).
        """
        if announced is not None and announced > limit:
            raise UploadTooLarge(f"upload of {announced} bytes exceeds the limit of {limit} bytes")
        target = self.archive(kind, repository, version)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                        dir=target.parent)
        tmp = Path(tmp_name)
        received = 0
        try:
            with os.fdopen(fd, "wb", buffering=WRITE_BUFFER_BYTES) as out:
                try:
                    async for chunk in chunks:
                        received += len(chunk)
                        if received > limit:
                            raise UploadTooLarge(
                                f"upload exceeds the limit of {limit} bytes")
                        out.write(chunk)
                except (UploadTooLarge, UploadBrokeOff):
                    raise
                except Exception as exc:  # the client went away (ClientDisconnect, reset)
                    raise UploadBrokeOff(_broke_off(received, announced, exc)) from None
            if announced is not None and received != announced:
                raise UploadBrokeOff(_broke_off(received, announced, None))
            await asyncio.to_thread(check_archive, tmp, kind)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return received

    def remove_partials(self) -> int:
        """Deletes temporary files left by a control plane that stopped mid-upload."""
        count = 0
        for base in (self.home / "bentos", self.home / "models"):
            if base.is_dir():
                for part in base.glob("*/*/.*.part"):
                    part.unlink(missing_ok=True)
                    count += 1
        return count


def _broke_off(received: int, announced: int | None, exc: Exception | None) -> str:
    of = f" of {announced}" if announced is not None else ""
    why = f" ({type(exc).__name__})" if exc is not None else ""
    return f"upload broke off after {received}{of} bytes{why}"


def check_archive(path: Path, kind: str) -> None:
    """An uncompressed or gzip tar, with relative member names only and the kind's manifest."""
    required = REQUIRED_MEMBER[kind]
    found = False
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts:
                    raise BadArchive(f"archive member {member.name!r} escapes the {kind} directory")
                if (member.islnk() or member.issym()) and (
                        PurePosixPath(member.linkname).is_absolute() or ".." in
                        PurePosixPath(member.linkname).parts):
                    raise BadArchive(f"archive link {member.name!r} points outside the {kind}")
                if member.isfile() and PurePosixPath(*[p for p in name.parts if p != "."]) == \
                        PurePosixPath(required):
                    found = True
    except tarfile.TarError as exc:
        raise BadArchive(f"the upload is not a tar archive ({exc})") from None
    if not found:
        raise BadArchive(f"the archive has no {required} at its top level: not a {kind}")
