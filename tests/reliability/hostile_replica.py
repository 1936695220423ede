"""A replica process that misbehaves on purpose: a real fault on a real socket, for the gateway.

    python -m tests.reliability.hostile_replica   # prints its port, serves until killed

Each path is one behaviour (the request's path picks it):

- `/echo`: 200 with the request's head as JSON (`{"head": [[name, value], ...]}`);
- `/huge-chunk`: chunked, announcing one chunk of 1 GiB, then sending it as fast as it can;
- `/big?n=N`: Content-Length N and N bytes;
- `/short`: Content-Length 1000, 10 bytes, then the connection closes;
- `/bad-length`, `/negative-length`, `/two-lengths`: malformed Content-Length headers;
- `/bad-chunk`: chunked with a size line that is not hexadecimal;
- `/chunked-and-length`: both Transfer-Encoding: chunked and a Content-Length that disagrees;
- `/bad-header`: a header value with a NUL and a control character;
- `/bad-name`: a header whose name has a space in it;
- `/hop`: declares `Connection: x-secret-hop` and sends `x-secret-hop` and `keep-alive`.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

GIB = 1024 * 1024 * 1024


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, list[tuple[str, str]], int]:
    request_line = (await reader.readline()).decode("latin-1").strip()
    head: list[tuple[str, str]] = []
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        head.append((name.strip(), value.strip()))
        if name.strip().lower() == "content-length":
            length = int(value)
    return request_line, head, length


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            request_line, head, length = await _read_head(reader)
            if not request_line:
                return
            if length:
                await reader.readexactly(length)
            target = urlsplit(request_line.split(" ")[1])
            path = target.path
            if path == "/echo":
                body = json.dumps({"head": head}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\n\r\n" % len(body) + body)
            elif path == "/huge-chunk":
                writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n%x\r\n" % GIB)
                block = b"x" * (1024 * 1024)
                for _ in range(1024):
                    writer.write(block)
                    await writer.drain()
                writer.write(b"\r\n0\r\n\r\n")
            elif path == "/big":
                n = int(parse_qs(target.query)["n"][0])
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % n)
                block = b"y" * (1024 * 1024)
                while n:
                    writer.write(block[: min(n, len(block))])
                    n -= min(n, len(block))
                    await writer.drain()
            elif path == "/short":
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789")
                await writer.drain()
                return
            else:
                writer.write(_MALFORMED.get(path, b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


_MALFORMED = {
    "/bad-length": b"HTTP/1.1 200 OK\r\ncontent-length: abc\r\n\r\nhello",
    "/negative-length": b"HTTP/1.1 200 OK\r\ncontent-length: -5\r\n\r\nhello",
    "/two-lengths": b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
    "/chunked-and-length": b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 99\r\n\r\n"
                           b"5\r\nhello\r\n0\r\n\r\n",
    "/bad-chunk": b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "/bad-header": b"HTTP/1.1 200 OK\r\nx-evil: a\x00b\x1b[2J\r\ncontent-length: 2\r\n\r\nok",
    "/bad-name": b"HTTP/1.1 200 OK\r\nx evil: 1\r\ncontent-length: 2\r\n\r\nok",
    "/hop": b"HTTP/1.1 200 OK\r\nconnection: x-secret-hop\r\nx-secret-hop: 1\r\nkeep-alive: timeout=5\r\n"
            b"content-length: 2\r\n\r\nok",
}


async def main() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
