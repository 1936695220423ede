"""A loopback TCP listener that hands each connection to `handle` on its own thread: the base
of the test servers that cannot be the real control plane (a TLS forwarder, a hostile server)."""

from __future__ import annotations

import socket
import threading


class Listener:
    def __init__(self, scheme: str = "http", host: str = "127.0.0.1") -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"{scheme}://{host}:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.sock.close()
