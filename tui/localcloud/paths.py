"""Where the local control plane keeps its state, and its API token.

Everything lives under `$BENTOTUI_HOME` (default: the XDG data dir), created 0700; the token
file is 0600 so other users of a shared bastion host cannot read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def bentotui_home(environ: os._Environ[str] | dict[str, str] = os.environ) -> Path:
    explicit = environ.get("BENTOTUI_HOME")
    if explicit:
        return Path(explicit).expanduser()
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "bentotui"


@dataclass(frozen=True)
class StatePaths:
    """The files of one control-plane home."""

    home: Path

    @property
    def db(self) -> Path:
        return self.home / "state.db"

    @property
    def token(self) -> Path:
        return self.home / "token"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def bentos(self) -> Path:
        return self.home / "bentos"

    @property
    def pidfile(self) -> Path:
        return self.home / "server.json"

    @property
    def resume(self) -> Path:
        """What a restart must keep that the database does not hold (port, scaled to zero)."""
        return self.home / "resume.json"

    @property
    def server_log(self) -> Path:
        return self.logs / "control-plane.log"

    def ensure(self) -> None:
        """Create the home (0700) and its subdirectories."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.home, 0o700)
        for sub in (self.logs, self.bentos):
            sub.mkdir(exist_ok=True, mode=0o700)


def read_or_create_token(paths: StatePaths) -> str:
    """The control plane's API token, made on first use and kept in a 0600 file."""
    paths.ensure()
    try:
        token = paths.token.read_text().strip()
        if token:
            os.chmod(paths.token, 0o600)
            return token
    except FileNotFoundError:
        pass
    import secrets  # deferred: start-up time (hashlib, hmac: ~4 ms that finding a running one does not need)

    token = "btui_" + secrets.token_urlsafe(32)
    fd = os.open(paths.token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    os.chmod(paths.token, 0o600)
    return token
