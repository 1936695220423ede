"""The program one replica runs: a bento's API server, or one of its runners, over HTTP.

The runtime starts it as ``python bento_server.py --bento DIR --port N [--runner NAME]``.
It is run by file path and imports only the standard library, so a replica is ready in tens
of milliseconds and does not depend on the control plane's package being importable.

A bento folder holds ``bento.json`` and the code named by its ``service`` field
(``"service:IrisClassifier"`` = class ``IrisClassifier`` in ``service.py``):

* API server: the service class is instantiated (with ``runners=`` a dict of `RunnerClient`
  when its ``__init__`` takes it); each entry of ``bento.json`` ``apis`` maps ``POST <route>``
  to the method of the same name, which gets the request body decoded as JSON (or the text
  when it is not JSON) and returns something JSON-serialisable.  ``ValueError``/``TypeError``
  /``KeyError`` become 400, `RunnerError` 503, anything else 500 with the traceback logged.
* Runner ``NAME``: the class named by that runner's ``runnable_type`` (looked up in the
  service module, or ``module`` if the runner entry names one) is instantiated once, at
  start-up (that is where a model is loaded or trained); ``POST /<method>`` calls its public
  method with the JSON body.

How an API server reaches its runners: the environment variable ``BENTOTUI_RUNNERS`` is a JSON
object ``{runner name: base URL}``.  Each URL is a stable loopback address the runtime keeps for
the runner (a layer-4 load balancer over the runner's ready replicas, like a Kubernetes
Service); a call opens one connection per request so consecutive calls spread over replicas.

Every replica serves ``GET /healthz`` and ``/livez`` (200 while the process serves) and
``/readyz`` (200 only once the service or runnable is loaded), logs start-up lines and one line
per request to stdout (the replica's log), exits 0 on SIGTERM after in-flight requests finish,
and exits non-zero on a fatal error (bad bento, code that raises at import, port in use).
With ``BENTOTUI_PARENT_PID`` set it also exits when that process is gone, so a control plane
killed hard does not leave replicas behind.
"""

from __future__ import annotations

import argparse
import http.client
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROBES = {"/healthz", "/livez", "/readyz"}
_log_lock = threading.RLock()  # re-entrant: the SIGTERM handler may log mid-log
_component = "api-server"


def log(level: str, message: str) -> None:
    """One line to stdout, whole, with a UTC timestamp (threads must not interleave)."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    line = f"{stamp} {level:<5} [{_component}] {message}\n"
    with _log_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


class RunnerError(RuntimeError):
    """A runner could not be reached or failed; the API answers 503."""


class RunnerClient:
    """Calls one runner through the address the runtime gave (``BENTOTUI_RUNNERS``)."""

    def __init__(self, name: str, url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(url)
        self.name = name
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout

    def call(self, method: str, payload: Any) -> Any:
        body = json.dumps(payload).encode()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(
                "POST",
                f"/{method}",
                body,
                {"Content-Type": "application/json", "Connection": "close"},
            )
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise RunnerError(f"runner {self.name} unreachable: {exc or type(exc).__name__}") from exc
        finally:
            conn.close()
        if resp.status != 200:
            raise RunnerError(
                f"runner {self.name} answered {resp.status}: {data[:200].decode(errors='replace')}"
            )
        return json.loads(data)

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda payload: self.call(method, payload)


class Replica:
    """What the request handler needs: the loaded target and its routes."""

    def __init__(self) -> None:
        self.ready = False
        self.routes: dict[str, Any] = {}  # path -> bound method
        self.info: dict[str, Any] = {}
        self.active = 0
        self.active_lock = threading.Lock()


REPLICA = Replica()


def _decode_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the gateway reuses connections
    server_version = "bentotui-replica"
    timeout = 60  # close idle keep-alive connections (the gateway's pool expires them sooner)
    disable_nagle_algorithm = True  # small responses must not wait for a delayed ACK (40 ms)
    # send_header() fills this list in the stdlib; typeshed does not declare it, _send() appends
    # the body to it so headers and body leave in one write.
    _headers_buffer: list[bytes]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # we log one line per request ourselves

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        if isinstance(payload, bytes):
            data = payload
        elif content_type == "application/json":
            data = json.dumps(payload).encode()
        else:
            data = str(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        # headers and body in one write: one packet for a small response
        self._headers_buffer.append(b"\r\n" + (data if self.command != "HEAD" else b""))
        self.flush_headers()
        self._status = status
        self._length = len(data)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        started = time.perf_counter()
        path = self.path.split("?", 1)[0]
        self._status, self._length = 0, 0
        if path in PROBES:
            if path == "/readyz" and not REPLICA.ready:
                self._send(503, "loading\n", "text/plain")
            else:
                self._send(200, "ok\n", "text/plain")
            return
        with REPLICA.active_lock:
            REPLICA.active += 1
        try:
            self._dispatch(path)
        finally:
            with REPLICA.active_lock:
                REPLICA.active -= 1
            elapsed = (time.perf_counter() - started) * 1000
            log(
                "INFO",
                f'{self.client_address[0]}:{self.client_address[1]} "{self.command} {self.path} '
                f'{self.request_version}" {self._status} {self._length}B {elapsed:.1f}ms',
            )

    def _dispatch(self, path: str) -> None:
        body = self._read_body()
        if path == "/" and self.command in ("GET", "HEAD"):
            self._send(200, REPLICA.info)
            return
        target = REPLICA.routes.get(path)
        if target is None:
            self._send(404, {"error": f"no route {path}", "routes": sorted(REPLICA.routes)})
            return
        if self.command != "POST":
            self._send(405, {"error": f"{path} accepts POST, not {self.command}"})
            return
        if not REPLICA.ready:
            self._send(503, {"error": "service is still loading"})
            return
        try:
            result = target(_decode_body(body))
        except (ValueError, TypeError, KeyError) as exc:
            self._send(400, {"error": f"{type(exc).__name__}: {exc}"})
            return
        except RunnerError as exc:
            log("ERROR", str(exc))
            self._send(503, {"error": str(exc)})
            return
        except Exception as exc:  # noqa: BLE001 - a bug in bento code is a 500, not a crash
            log("ERROR", "".join(traceback.format_exception(exc)).rstrip())
            self._send(500, {"error": f"{type(exc).__name__}: {exc}"})
            return
        if isinstance(result, str):
            self._send(200, result, "text/plain; charset=utf-8")
        else:
            self._send(200, result)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # bursts of hundreds of connections must not overflow the backlog
    allow_reuse_address = True


def _load(bento: Path, runner: str | None) -> None:
    """Import the bento's code and build the routes; raises on any problem (fatal)."""
    manifest = json.loads((bento / "bento.json").read_text())
    module_name, _, class_name = manifest["service"].partition(":")
    sys.path.insert(0, str(bento))
    module = importlib.import_module(module_name)
    REPLICA.info = {
        "service": manifest["service"],
        "repository": manifest.get("repository"),
        "component": "runner" if runner else "api-server",
        "runner_name": runner,
    }
    if runner is not None:
        entries = {r["name"]: r for r in manifest.get("runners") or []}
        if runner not in entries:
            raise SystemExit(f"bento declares no runner {runner!r} (has {sorted(entries)})")
        entry = entries[runner]
        owner = importlib.import_module(entry["module"]) if entry.get("module") else module
        runnable = getattr(owner, entry["runnable_type"])()
        methods = [m for m in dir(runnable) if not m.startswith("_") and callable(getattr(runnable, m))]
        REPLICA.routes = {f"/{m}": getattr(runnable, m) for m in methods}
        REPLICA.info["methods"] = methods
        return
    cls = getattr(module, class_name)
    kwargs = {}
    init = getattr(cls.__init__, "__code__", None)
    if init is not None and "runners" in init.co_varnames[: init.co_argcount + init.co_kwonlyargcount]:
        urls = json.loads(os.environ.get("BENTOTUI_RUNNERS") or "{}")
        timeout = float(os.environ.get("BENTOTUI_RUNNER_TIMEOUT") or 60)
        kwargs["runners"] = {name: RunnerClient(name, url, timeout) for name, url in urls.items()}
    service = cls(**kwargs)
    apis = manifest.get("apis") or {}
    REPLICA.routes = {spec.get("route") or f"/{name}": getattr(service, name) for name, spec in apis.items()}
    REPLICA.info["apis"] = {name: spec.get("route") or f"/{name}" for name, spec in apis.items()}


def main(argv: list[str] | None = None) -> int:
    global _component
    parser = argparse.ArgumentParser(description="serve one bento replica")
    parser.add_argument("--bento", required=True, type=Path, help="the bento folder")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENTOTUI_PORT") or 0))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--runner", default=None, help="serve this runner instead of the API")
    args = parser.parse_args(argv)
    _component = f"runner:{args.runner}" if args.runner else "api-server"
    replica_name = os.environ.get("BENTOTUI_REPLICA", "")
    if replica_name:
        _component += f":{replica_name}"

    log("INFO", f"Starting {args.bento.name} (pid {os.getpid()}, python {sys.version.split()[0]})")
    try:
        server = Server((args.host, args.port), Handler)
    except OSError as exc:
        log("ERROR", f"cannot listen on {args.host}:{args.port}: {exc}")
        return 1
    host, port = args.host, server.server_port
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if not REPLICA.ready:  # still loading: nothing to drain, and loading may take long
            log("INFO", f"{signal.Signals(signum).name} while loading; exiting")
            os._exit(0)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    log("INFO", f"Listening on http://{host}:{port}")

    started = time.perf_counter()
    try:
        _load(args.bento, args.runner)
    except BaseException as exc:  # noqa: BLE001 - any failure to load is fatal, and logged
        log("ERROR", "failed to load the bento:\n" + "".join(traceback.format_exception(exc)).rstrip())
        sys.stdout.flush()
        os._exit(1)
    REPLICA.ready = True
    what = f"runner {args.runner}" if args.runner else f"service {REPLICA.info['service']}"
    log("INFO", f"Loaded {what} in {(time.perf_counter() - started) * 1000:.1f}ms; ready")

    parent = int(os.environ.get("BENTOTUI_PARENT_PID") or 0)
    while not stop.wait(0.5):
        if parent and os.getppid() != parent:
            log("WARN", f"control plane (pid {parent}) is gone; exiting")
            break
    REPLICA.ready = False
    log("INFO", "Shutting down: no new connections")
    server.shutdown()
    deadline = time.monotonic() + 10
    while REPLICA.active and time.monotonic() < deadline:
        time.sleep(0.01)
    server.server_close()
    log("INFO", "Stopped")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
