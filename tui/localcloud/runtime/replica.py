"""One replica: a real OS process, supervised like a pod whose one container is "main".

The supervisor starts the process on a free loopback port with its output appended to the
replica's log file, probes ``/readyz`` until it answers 200, notices the exit the moment it
happens (``await proc.wait()``), and restarts a crashed process under the same name with
exponential back-off, as the kubelet does.  Stopping drains in-flight requests first, then
sends SIGTERM, then SIGKILL after the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from tui.localcloud.replica_caps import ENV_NAME, reserved_env
from tui.localcloud.runtime.records import ReplicaInfo, RuntimeSettings, bounded

log = logging.getLogger(__name__)

STARTUP_PROBE_PERIOD_S = 0.02


def free_port() -> int:
    """A loopback port nobody listens on right now (a lost race only costs a restart)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def describe_exit(returncode: int) -> tuple[int, str]:
    """Kubernetes-style exit code (128 + signal for a signal death) and a readable note."""
    if returncode < 0:
        sig = -returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return 128 + sig, f"killed by {name}"
    return returncode, "completed" if returncode == 0 else "error"


async def probe(port: int, path: str = "/readyz", timeout: float = 1.0) -> bool:
    """One HTTP GET on loopback; True on status 200.  Raw asyncio: a probe costs ~0.2 ms."""
    writer = None
    try:
        reader, writer = await bounded(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        line = await bounded(reader.readline(), timeout)
        return line.split(b" ", 2)[1:2] == [b"200"]
    except (OSError, asyncio.TimeoutError, ValueError):
        return False
    finally:
        if writer is not None:
            writer.close()


class Replica:
    """A supervised replica process.  All methods run on the event loop thread."""

    def __init__(
        self,
        *,
        name: str,
        runner_name: str | None,
        revision_uid: str,
        command: Callable[[int], Sequence[str]],
        env: dict[str, str],
        cwd: Path,
        log_path: Path,
        settings: RuntimeSettings,
        on_event: Callable[[str, str, str], None],
        on_change: Callable[[], None],
    ) -> None:
        self.name = name
        self.runner_name = runner_name
        self.revision_uid = revision_uid
        self._command = command
        self._env = env
        self._cwd = cwd
        self.log_path = log_path
        self._settings = settings
        self._emit = on_event
        self._changed = on_change

        self.phase = "Pending"
        self.reason: str | None = "ContainerCreating"
        self.ready = False
        self.terminating = False
        self.created_at = datetime.now(timezone.utc)
        self.start_time: datetime | None = None
        self.restart_count = 0
        self.last_exit_code: int | None = None
        self.pid: int | None = None
        self.port: int | None = None
        self.cpu_percent: float | None = None
        self.memory_bytes: int | None = None
        self.inflight = 0  # requests the gateway / runner service has open on it
        self.last_ready_s: float | None = None  # spawn -> ready of the latest start
        self.last_error: str | None = None  # why the latest start failed or the process exited
        self.proc: asyncio.subprocess.Process | None = None

        self._stop_requested = asyncio.Event()
        self._grace = settings.termination_grace_s
        self._done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ facts

    @property
    def routable(self) -> bool:
        return self.ready and not self.terminating

    def info(self) -> ReplicaInfo:
        return ReplicaInfo(
            name=self.name,
            runner_name=self.runner_name,
            revision_uid=self.revision_uid,
            phase=self.phase,
            ready=self.ready,
            terminating=self.terminating,
            start_time=self.start_time,
            created_at=self.created_at,
            restart_count=self.restart_count,
            last_exit_code=self.last_exit_code,
            pid=self.pid,
            port=self.port,
            cpu_percent=self.cpu_percent,
            memory_bytes=self.memory_bytes,
            log_path=self.log_path,
            reason=self.reason,
            last_error=self.last_error,
        )

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"replica {self.name}"
        )

    def mark_terminating(self) -> None:
        """Out of rotation and out of the replica count, at once (the stop itself follows)."""
        if not self.terminating:
            self.terminating = True
            self.ready = False
            self._emit("Killing", "Stopping container main", "Normal")
            self._changed()

    async def stop(self, drain_timeout: float | None = None, grace: float | None = None) -> None:
        """Take it out of rotation, let in-flight requests finish, then end the process.

        Returns once the process is gone (reaped).  Safe to call more than once.
        """
        if not self._stop_requested.is_set():
            self.mark_terminating()
            drain = self._settings.termination_grace_s if drain_timeout is None else drain_timeout
            deadline = time.monotonic() + drain
            while self.inflight > 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            if grace is not None:
                self._grace = grace
            self._stop_requested.set()
        if self._task is None:
            self._done.set()
        await self._done.wait()

    # ------------------------------------------------------------------ supervision

    async def _supervise(self) -> None:
        failures = 0
        try:
            while not self._stop_requested.is_set():
                ran_ready_for = await self._run_once()
                if self._stop_requested.is_set():
                    break
                # an unexpected exit: restart with back-off (reset after a long healthy run)
                if ran_ready_for is not None and ran_ready_for >= 2 * self._settings.backoff_max_s:
                    failures = 0
                failures += 1
                delay = min(
                    self._settings.backoff_initial_s * 2 ** (failures - 1),
                    self._settings.backoff_max_s,
                )
                self.reason = "CrashLoopBackOff"
                self._emit(
                    "BackOff",
                    f"Back-off restarting failed container main in pod {self.name} "
                    f"(restarting in {delay:g}s)",
                    "Warning",
                )
                self._changed()
                with contextlib.suppress(asyncio.TimeoutError):
                    await bounded(self._stop_requested.wait(), delay)
        except Exception:  # noqa: BLE001 - a supervisor bug must not leave the replica hanging
            log.exception("supervisor of %s failed", self.name)
            if self.proc is not None and self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
        finally:
            proc = self.proc
            if proc is not None and proc.returncode is None:  # cancelled: never leave it behind
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                with contextlib.suppress(BaseException):
                    await proc.wait()
            self.ready = False
            self.pid = None
            if self.phase not in ("Failed", "Succeeded"):
                self.phase = "Succeeded"
            self._done.set()
            self._changed()

    async def _run_once(self) -> float | None:
        """Start the process, watch it until it exits; returns how long it was ready (or None)."""
        port = free_port()
        argv = list(self._command(port))
        env = dict(self._env, BENTOTUI_PORT=str(port))
        restarting = self.start_time is not None or self.last_exit_code is not None
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "ab") as log_file:
                spawned = time.monotonic()
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=asyncio.subprocess.STDOUT,
                    env=env,
                    cwd=str(self._cwd),
                    start_new_session=True,  # a Ctrl-C at the control plane is not a crash here
                )
        except (OSError, ValueError) as exc:  # ValueError: an env the OS refuses (NUL, '=')
            # As the kubelet reports a container that cannot be created: StartError, exit 128;
            # each retry counts as a restart, so a deployment that can never start fails.
            if restarting:
                self.restart_count += 1
            self.phase, self.reason, self.last_exit_code = "Failed", "StartError", 128
            self.last_error = f"failed to start container main: {exc}"
            self._emit("Failed", f"Error: {self.last_error}", "Warning")
            self._changed()
            return None

        self.proc, self.pid, self.port = proc, proc.pid, port
        self.cpu_percent = self.memory_bytes = None
        if restarting:
            self.restart_count += 1
        if self.start_time is None:
            self.start_time = datetime.now(timezone.utc)
        if self.phase != "Failed":  # after a crash it stays Failed until it is ready again
            self.phase, self.reason = "Pending", "ContainerCreating"
        self._emit("Started", f"Started container main (pid {proc.pid}, port {port})", "Normal")
        self._changed()

        watcher = asyncio.get_running_loop().create_task(self._watch_readiness(proc, port, spawned))
        waiting = asyncio.ensure_future(proc.wait())
        stopping = asyncio.ensure_future(self._stop_requested.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not waiting.done():  # asked to stop: SIGTERM, then SIGKILL after the grace period
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await bounded(asyncio.shield(waiting), self._grace)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        returncode = await waiting
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        ready_for = time.monotonic() - self._ready_since if self.ready else None

        code, note = describe_exit(returncode)
        self.last_exit_code = code
        self.ready = False
        self.pid = None
        self.cpu_percent = self.memory_bytes = None
        if self._stop_requested.is_set():
            self.phase = "Succeeded" if code == 0 else "Failed"
            self.reason = "Completed" if code == 0 else "Error"
            return ready_for
        self.phase = "Failed"
        self.reason = "Error" if code else "Completed"
        self.last_error = f"container main exited with code {code} ({note})"
        self._emit(
            "Exited",
            f"Container main exited with code {code} ({note})",
            "Warning" if code else "Normal",
        )
        self._changed()
        return ready_for

    async def _watch_readiness(self, proc: asyncio.subprocess.Process, port: int, spawned: float) -> None:
        """Startup probe every 20 ms until ready, then a readiness probe every probe_interval_s."""
        settings = self._settings
        deadline = spawned + settings.startup_timeout_s
        while not await probe(port, timeout=0.5):
            if proc.returncode is not None:
                return
            if time.monotonic() > deadline:
                self._emit(
                    "Unhealthy",
                    f"Startup probe failed: not ready after {settings.startup_timeout_s:g}s; "
                    "container main will be restarted",
                    "Warning",
                )
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                return
            await asyncio.sleep(STARTUP_PROBE_PERIOD_S)
        if self.terminating or proc.returncode is not None:
            return
        self.last_ready_s = time.monotonic() - spawned
        self._set_ready(True, f"Container main is ready ({self.last_ready_s * 1000:.0f} ms after start)")
        failures = 0
        while proc.returncode is None:
            await asyncio.sleep(settings.probe_interval_s)
            if await probe(port, timeout=1.0):
                failures = 0
                if not self.ready and not self.terminating:
                    self._set_ready(True, "Container main is ready again (readiness probe passed)")
            elif proc.returncode is None:
                failures += 1
                if failures >= settings.probe_failure_threshold and self.ready:
                    self._emit(
                        "Unhealthy",
                        f"Readiness probe failed {failures} times: GET /readyz did not answer 200",
                        "Warning",
                    )
                    self._set_ready(False, None)

    def _set_ready(self, ready: bool, message: str | None) -> None:
        self.ready = ready
        if ready:
            self._ready_since = time.monotonic()
            self.phase, self.reason = "Running", None
            self._emit("Ready", message or "Container main is ready", "Normal")
        self._changed()

    _ready_since = 0.0


def replica_env(
    base: dict[str, str], user: dict[str, str], ours: dict[str, str], secret: str | None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A replica's environment: whitelisted basics, then the user's envs, then BENTOTUI_* ones.

    Withheld, with the reason returned so the caller can warn: any variable whose value holds
    the control plane's API token (a replica must never see it), and user variables the API
    refuses (reserved or invalid names: a row written before those rules must not apply them).
    """
    env: dict[str, str] = {}
    withheld: list[tuple[str, str]] = []
    for source in (base, user, ours):
        for key, value in source.items():
            if secret and secret in value:
                withheld.append((key, "holds the API token"))
                continue
            if source is user and (reserved_env(key) or not ENV_NAME.fullmatch(key) or "\x00" in value):
                withheld.append((key, "is reserved or not a valid variable"))
                continue
            env[key] = value
    return env, withheld


# HOME and TMPDIR are not taken: each replica gets its own (Runtime._add_replica).
INHERITED_ENV = ("PATH", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")


def inherited_env() -> dict[str, str]:
    """The few variables a replica takes from the control plane (like a container, not more)."""
    return {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
