"""A TLS-terminating forwarder in front of the local control plane, for the https tests (the
control plane itself speaks plain http on loopback)."""

from __future__ import annotations

import socket
import ssl
import threading

from tests.support.listener import Listener


class TlsForwarder(Listener):
    """https://localhost:<port> → the control plane's plain port; counts the bytes it passed on."""

    def __init__(self, backend_port: int, context: ssl.SSLContext) -> None:
        self.backend_port = backend_port
        self.context = context
        self.forwarded = 0
        super().__init__("https", "localhost")

    def handle(self, conn: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return  # the client refused the certificate: nothing reaches the server
        backend = socket.create_connection(("127.0.0.1", self.backend_port))

        def pipe(src: socket.socket, dst: socket.socket, upstream: bool) -> None:
            try:
                while data := src.recv(65536):
                    if upstream:
                        self.forwarded += len(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for end in (src, dst):  # shut down, not only closed: the other pipe's recv ends
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    end.close()

        threading.Thread(target=pipe, args=(backend, tls, False), daemon=True).start()
        pipe(tls, backend, True)
