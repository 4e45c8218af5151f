"""Fake transports and fake nodes for SDK tests.

* :class:`ScriptedTransport` answers from a list (bytes or exceptions) and records requests.
* :class:`FakeNode` is a tiny JSON-RPC "node": a method -> handler table, usable as an
  ``InProcessTransport`` handler or behind :func:`serve_http`.
* :func:`serve_http` runs a real ``http.server`` on 127.0.0.1, port 0, in a thread; its
  ``mode`` makes it misbehave like broken nodes and proxies do (HTML, half a JSON, HTTP 500,
  empty body, too slow).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

__all__ = ["ScriptedTransport", "FakeNode", "RpcFailure", "HttpServerHandle", "serve_http"]


class ScriptedTransport:
    """Returns scripted answers in order; an exception in the script is raised instead."""

    url = "scripted://"

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []
        self.closed = False

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        request = json.loads(body)
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {request}")
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, (dict, list)):
            return json.dumps(answer).encode()
        return answer

    def close(self) -> None:
        self.closed = True


@dataclass
class RpcFailure(Exception):
    """Raised by a :class:`FakeNode` handler to answer with a JSON-RPC error object."""

    code: int
    message: str
    data: Any = None


@dataclass
class FakeNode:
    """A JSON-RPC node made of handlers: ``handlers[method](params) -> result``."""

    handlers: dict[str, Callable[[list[Any]], Any]] = field(default_factory=dict)
    calls: list[tuple[str, list[Any]]] = field(default_factory=list)

    def on(self, method: str, handler: Callable[[list[Any]], Any] | Any) -> "FakeNode":
        self.handlers[method] = handler if callable(handler) else (lambda _params, _v=handler: _v)
        return self

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        method = request.get("method")
        params = request.get("params", [])
        self.calls.append((method, params))
        envelope: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        handler = self.handlers.get(method)
        if handler is None:
            envelope["error"] = {"code": -32601, "message": "Method not found"}
            return envelope
        try:
            envelope["result"] = handler(params)
        except RpcFailure as failure:
            envelope["error"] = {"code": failure.code, "message": failure.message, "data": failure.data}
        return envelope

    def handle_raw(self, body: bytes) -> bytes:
        return json.dumps(self.handle(json.loads(body))).encode()

    def methods_called(self) -> list[str]:
        return [m for m, _ in self.calls]


@dataclass
class HttpServerHandle:
    url: str
    server: ThreadingHTTPServer
    hits: list[bytes]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _make_handler(mode: str, node: FakeNode | None, hits: list[bytes], delay: float) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            return None

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            hits.append(body)
            if mode == "html":
                self._reply(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
            elif mode == "half_json":
                self._reply(200, b'{"jsonrpc":"2.0","id":1,"result":{"blockNu')
            elif mode == "http500":
                self._reply(500, b"Internal Server Error", "text/plain")
            elif mode == "empty":
                self._reply(200, b"")
            elif mode == "slow":
                time.sleep(delay)
                self._reply(200, b'{"jsonrpc":"2.0","id":1,"result":1}')
            else:
                assert node is not None
                self._reply(200, node.handle_raw(body))

    return Handler


@contextmanager
def serve_http(mode: str = "node", node: FakeNode | None = None, *, delay: float = 1.0,
               ssl_context: ssl.SSLContext | None = None) -> Iterator[HttpServerHandle]:
    """A real HTTP(S) server on 127.0.0.1, port 0, for the duration of the ``with`` block."""
    hits: list[bytes] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(mode, node, hits, delay))
    server.daemon_threads = True
    scheme = "http"
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handle = HttpServerHandle(url=f"{scheme}://127.0.0.1:{server.server_address[1]}", server=server, hits=hits)
    try:
        yield handle
    finally:
        handle.stop()
