"""Running the local control plane: in the foreground, or as a background daemon.

The daemon writes `server.json` (pid, endpoint) once it answers requests, so `status`, `stop`
and the TUI find it; a file lock makes concurrent `start`s idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.localcloud.paths import StatePaths, bentotui_home, read_or_create_token
from tui.localcloud.running import DAEMON_LOCK, alive, daemon_lock_held, read_pidfile
from tui.localcloud.state import resume

DEFAULT_PORT = 38510
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0
ZOMBIE_GRACE_S = 5.0  # an exited daemon's parent (init, the TUI) reaps it within this


class DaemonError(RuntimeError):
    """The control plane could not be started or reached; the message says why."""


@dataclass(frozen=True)
class DaemonStatus:
    running: bool
    endpoint: str | None
    pid: int | None
    data_dir: str
    token_file: str

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "endpoint": self.endpoint,
            "pid": self.pid,
            "data_dir": self.data_dir,
            "token_file": self.token_file,
        }


def state_paths(home: Path | None = None) -> StatePaths:
    return StatePaths(home or bentotui_home())


def runtime_settings_from_env(environ: dict[str, str] | os._Environ[str] = os.environ) -> Any:
    """RuntimeSettings with `BENTOTUI_RUNTIME_<FIELD>` overrides (tests shorten the windows)."""
    from dataclasses import fields

    from tui.localcloud.runtime.records import RuntimeSettings  # deferred: start-up time of `local status`

    settings = RuntimeSettings()
    for f in fields(settings):
        raw = environ.get(f"BENTOTUI_RUNTIME_{f.name.upper()}")
        if raw is not None:
            current = getattr(settings, f.name)
            setattr(settings, f.name, type(current)(raw))
    return settings


# ----------------------------------------------------------------------------- status


def _process_start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def _is_our_daemon(paths: StatePaths, info: dict[str, Any]) -> bool:
    """Whether the pid in `server.json` is this home's daemon, not a process that got its pid
    later: the home's daemon lock is held, and the process started when the file says."""
    try:
        pid = int(info["pid"])
    except (KeyError, TypeError, ValueError):
        return False
    if not daemon_lock_held(paths) or not alive(pid):
        return False
    recorded = info.get("create_time")
    actual = _process_start_time(pid)
    return recorded is not None and actual is not None and abs(float(recorded) - actual) < 0.01


def _exited(pid: int) -> bool:
    """Gone, or a zombie (exited, not yet reaped by a parent such as the TUI that started it)."""
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _answers(endpoint: str, timeout: float = 1.0) -> bool:
    # The standard library, not httpx: `bentotui` asks this before its first screen, and
    # importing httpx costs ~100 ms.
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=timeout)
    try:
        conn.request("GET", url.path.rstrip("/") + "/api/v1/info")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def status(paths: StatePaths) -> DaemonStatus:
    info = read_pidfile(paths)
    running = bool(info and _is_our_daemon(paths, info) and _answers(info["endpoint"]))
    return DaemonStatus(
        running=running,
        endpoint=info["endpoint"] if running and info else None,
        pid=int(info["pid"]) if running and info else None,
        data_dir=str(paths.home),
        token_file=str(paths.token),
    )


# ----------------------------------------------------------------------------- start / stop


@contextlib.contextmanager
def _start_lock(paths: StatePaths) -> Iterator[None]:
    paths.ensure()
    with open(paths.home / "server.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_running(paths: StatePaths, port: int | None = None) -> DaemonStatus:
    """Start the daemon in the background unless it already runs; returns its status."""
    with _start_lock(paths):
        current = status(paths)
        if current.running:
            return current
        if daemon_lock_held(paths):  # serving this home, but not as server.json says
            raise DaemonError(
                f"a local control plane holds {paths.home / DAEMON_LOCK} but does not answer "
                f"as {paths.pidfile} says; stop it (bentotui local stop) or wait until it is up"
            )
        read_or_create_token(paths)
        paths.server_log.parent.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "tui.cli", "local", "start", "--foreground"]
        if port is not None:
            args += ["--port", str(port)]
        env = dict(os.environ, BENTOTUI_HOME=str(paths.home))
        with open(paths.server_log, "ab") as log:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DaemonError(
                    f"the local control plane exited with code {proc.returncode} while starting; "
                    f"see {paths.server_log}"
                )
            current = status(paths)
            if current.running and current.pid == proc.pid:
                return current
            time.sleep(0.05)
        proc.terminate()
        raise DaemonError(f"the local control plane did not answer within {START_TIMEOUT_S:.0f} s; "
                          f"see {paths.server_log}")


def stop(paths: StatePaths) -> bool:
    """Stop the daemon (its replicas stop with it).  False if it was not running.

    Only a process proven to be this home's daemon is signalled (`_is_our_daemon`): a stale
    `server.json` whose pid now belongs to another process is removed, never acted on.
    """
    info = read_pidfile(paths)
    if not info or not _is_our_daemon(paths, info):
        with contextlib.suppress(FileNotFoundError):
            paths.pidfile.unlink()
        return False
    pid = int(info["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    zombie_since: float | None = None
    while time.monotonic() < deadline:
        if not alive(pid):
            break
        if _exited(pid):  # exited: reap it if it is our child, else give its parent a moment
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            zombie_since = zombie_since or time.monotonic()
            if time.monotonic() - zombie_since > ZOMBIE_GRACE_S:
                break
        time.sleep(0.05)
    else:
        if _is_our_daemon(paths, info):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        paths.pidfile.unlink()
    return True


# ----------------------------------------------------------------------------- foreground


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before serving so the endpoint is known (and owned) before any request."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this on Linux.  Without it, a response written in two parts
    # (headers, body) waits for the client's delayed ACK: every request took ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise DaemonError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve_foreground(paths: StatePaths, host: str = "127.0.0.1", port: int | None = None) -> None:
    """Run the control plane in this process until SIGINT/SIGTERM."""
    import uvicorn

    from tui.localcloud.controlplane import ControlPlane  # deferred: start-up time: `local status/stop` load no server
    from tui.localcloud.http.server import create_app
    from tui.localcloud.replica_caps import ReplicaCaps
    from tui.localcloud.state.store import StorageError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    paths.ensure()
    lock = _hold_daemon_lock(paths)  # kept open (and locked) until this process exits
    token = read_or_create_token(paths)
    moved = ""
    if port is None:
        wanted = resume.last_port(paths) or DEFAULT_PORT
        try:
            sock = bind_socket(host, wanted)
        except DaemonError as exc:
            sock = bind_socket(host, 0)
            moved = (f"port {wanted} (the last one used) is not available ({exc}); "
                     f"listening on {sock.getsockname()[1]} instead: contexts that name "
                     f"{wanted} need the new port, or free it and restart")
    else:
        sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    display_host = f"[{host}]" if ":" in host else host
    endpoint = f"http://{display_host}:{bound_port}"
    try:
        caps = ReplicaCaps.from_env()
    except ValueError as exc:
        sock.close()
        raise DaemonError(f"bad replica cap: {exc}") from None
    resume.update(paths, port=bound_port, moved=moved or None)
    if moved:
        logging.getLogger("bentotui.localcloud").warning(moved)
        print(f"bentotui local control plane: {moved}", flush=True)
    try:
        plane = ControlPlane(paths, token, endpoint, runtime_settings_from_env(), caps)
        plane.store.verify()
    except StorageError as exc:
        sock.close()
        raise DaemonError(
            f"cannot use the state database {paths.db}: {exc}.\n"
            f"Move it aside to start with an empty state (mv '{paths.db}' '{paths.db}.broken'; "
            f"also its -wal and -shm files if present), or restore it from a backup."
        ) from None
    app = create_app(plane, token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5, ws_ping_interval=None,
                            **plane.limits.uvicorn_options())
    server = uvicorn.Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            _write_pidfile(paths, endpoint)
            print(f"bentotui local control plane: {endpoint} (token in {paths.token})", flush=True)
        try:
            await serving
        finally:
            with contextlib.suppress(FileNotFoundError):
                if (read_pidfile(paths) or {}).get("pid") == os.getpid():
                    paths.pidfile.unlink()

    try:
        asyncio.run(run())
    finally:
        lock.close()


def _hold_daemon_lock(paths: StatePaths) -> Any:
    """One home, one server: take `daemon.lock` or refuse, naming the one that runs."""
    fh = open(paths.home / DAEMON_LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        info = read_pidfile(paths) or {}
        running = f"pid {info.get('pid', '?')}, {info.get('endpoint', 'endpoint unknown')}"
        raise DaemonError(
            f"a local control plane already runs on {paths.home} ({running}); "
            "stop it first with `bentotui local stop`, or use another BENTOTUI_HOME"
        ) from None
    return fh


def _write_pidfile(paths: StatePaths, endpoint: str) -> None:
    tmp = paths.pidfile.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "endpoint": endpoint, "started_at": time.time(),
                               "create_time": _process_start_time(os.getpid())}))
    os.chmod(tmp, 0o600)
    os.replace(tmp, paths.pidfile)
