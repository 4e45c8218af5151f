"""The split HTTP front's child process (see :mod:`.frontproc`): asyncio, one thread, the standard
library only (it is run by path, so starting it imports nothing of the package). It accepts the
connections on the listening socket it is given, parses HTTP/1.1 as :mod:`.server` does (POST,
Content-Length, keep-alive, the same limits and answers) and forwards each body as a frame
(4-byte length, 4-byte tag, body) to the engine socket, then answers with the engine's frame.
It exits when the engine's socket closes.

Usage: ``python _front_child.py LISTEN_FD ENGINE_FD MAX_BODY``
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import struct
import sys

__all__: list[str] = []

_HEAD = struct.Struct(">II")
_MAX_LINE = 65536
_MAX_HEADERS = 100
_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 431: "Request Header Fields Too Large"}
MAX_BODY = 10 * 1024 * 1024


def _http_head(status: int, length: int, keep: bool, extra: bytes = b"") -> bytes:
    head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\nServer: fisco-drugtrace-devchain\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
            "Access-Control-Allow-Origin: *\r\n").encode()
    if not keep:
        head += b"Connection: close\r\n"
    return head + extra + b"\r\n"


def _rpc_error_body(message: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}).encode()


async def _front(listen_fd: int, engine_fd: int) -> None:
    loop = asyncio.get_running_loop()
    listener = socket.socket(fileno=listen_fd)
    listener.setblocking(False)
    engine_sock = socket.socket(fileno=engine_fd)
    engine_sock.setblocking(False)
    reader, writer = await asyncio.open_unix_connection(sock=engine_sock)
    waiting: dict[int, asyncio.Future[bytes]] = {}
    tags = itertools.count()
    done = loop.create_future()

    async def answers() -> None:
        try:
            while True:
                length, tag = _HEAD.unpack(await reader.readexactly(8))
                body = await reader.readexactly(length)
                future = waiting.pop(tag, None)
                if future is not None and not future.done():
                    future.set_result(body)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not done.done():
                done.set_result(None)  # the engine went away: so does the front

    async def connection(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        sock = w.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while await _one_request(r, w):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            w.close()

    async def _one_request(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> bool:
        line = await r.readline()
        while line in (b"\r\n", b"\n"):
            line = await r.readline()
        if not line:
            return False
        parts = line.split()
        if len(parts) != 3 or len(line) > _MAX_LINE or not parts[2].startswith(b"HTTP/1."):
            body = _rpc_error_body("malformed HTTP request line")
            w.write(_http_head(400, len(body), False) + body)
            return False
        method, version = parts[0], parts[2]
        headers: dict[bytes, bytes] = {}
        while True:
            raw = await r.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            if len(headers) >= _MAX_HEADERS or len(raw) > _MAX_LINE:
                body = _rpc_error_body("too many or too long headers")
                w.write(_http_head(431, len(body), False) + body)
                return False
            name, _, value = raw.partition(b":")
            headers[name.strip().lower()] = value.strip()
        connection_header = headers.get(b"connection", b"").lower()
        keep = connection_header != b"close" if version == b"HTTP/1.1" else connection_header == b"keep-alive"
        if method == b"OPTIONS":
            w.write(_http_head(204, 0, keep, b"Allow: POST, OPTIONS\r\nAccess-Control-Allow-Headers: Content-Type\r\n"))
            return keep
        if method != b"POST":
            body = _rpc_error_body("JSON-RPC requests are POSTed")
            w.write(_http_head(405, len(body), keep) + body)
            return keep
        length_text = headers.get(b"content-length", b"")
        if not length_text.isdigit() or b"transfer-encoding" in headers:
            body = _rpc_error_body("Content-Length required")
            w.write(_http_head(411, len(body), False) + body)
            return False
        length = int(length_text)
        if length > MAX_BODY:
            body = _rpc_error_body(f"request body larger than {MAX_BODY} bytes")
            w.write(_http_head(413, len(body), False) + body)
            return False
        request = await r.readexactly(length)
        tag = next(tags) & 0xFFFFFFFF
        future: asyncio.Future[bytes] = loop.create_future()
        waiting[tag] = future
        writer.write(_HEAD.pack(len(request), tag) + request)
        answer = await future
        w.write(_http_head(200, len(answer), keep) + answer)
        await w.drain()
        return keep

    reading = asyncio.create_task(answers())
    server = await asyncio.start_server(connection, sock=listener, limit=_MAX_LINE + 1)
    async with server:
        await done
    reading.cancel()


def main(argv: list[str]) -> None:
    global MAX_BODY
    listen_fd, engine_fd, MAX_BODY = int(argv[0]), int(argv[1]), int(argv[2])
    try:
        asyncio.run(_front(listen_fd, engine_fd))
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
