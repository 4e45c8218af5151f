"""HTTP(S) front end: JSON-RPC over POST on any path, as both node generations serve it.

Threaded (one thread per connection, HTTP/1.1 keep-alive; connections capped, idle ones closed,
each request given a total deadline: :mod:`.conncap`), bodies capped at :data:`MAX_BODY` bytes, optional mutual TLS (TLS 1.2+, client certificate required, handshake
done in the connection's thread so a silent client cannot stall the accept loop).
"""

from __future__ import annotations

import json
import socketserver
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from .conncap import IDLE_TIMEOUT, MAX_CONNECTIONS, REQUEST_DEADLINE, ConnectionGuard

__all__ = ["serve", "ServerHandle", "ServerTls", "MAX_BODY"]

#: Largest request body accepted (the 3.x web3 RPC's limit too).
MAX_BODY = 10 * 1024 * 1024


class _RawHandler(Protocol):
    def handle_raw(self, body: bytes) -> bytes: ...


@dataclass(frozen=True)
class ServerTls:
    """The server side of mutual TLS: CA that signed client certificates, node cert and key."""

    ca: Path
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=str(self.ca))
        ctx.load_cert_chain(certfile=str(self.cert), keyfile=str(self.key))
        return ctx


@dataclass
class ServerHandle:
    """A running server: its ``url`` and a ``stop()`` that closes the listener and waits."""

    url: str
    host: str
    port: int
    stop: Callable[[], None]


def _error_body(code: int, message: str) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}).encode()


_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 431: "Request Header Fields Too Large",
            503: "Service Unavailable"}
_MAX_LINE = 65536
_MAX_HEADERS = 100


def _handler_class(target: _RawHandler) -> type[socketserver.StreamRequestHandler]:
    """A lean HTTP/1.1 handler: JSON-RPC needs POST, Content-Length and keep-alive, nothing more
    (``http.server``'s e-mail header parser cost more than the chain's own work per request)."""

    class Handler(socketserver.StreamRequestHandler):
        # Headers and body leave in one write; Nagle off anyway so no reply waits for an ACK.
        disable_nagle_algorithm = True
        timeout = 60

        def _send(self, status: int, body: bytes, keep_alive: bool, extra: bytes = b"") -> None:
            head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\nServer: fisco-drugtrace-devchain\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                    "Access-Control-Allow-Origin: *\r\n").encode()
            if not keep_alive:
                head += b"Connection: close\r\n"
            self.wfile.write(head + extra + b"\r\n" + body)

        def handle(self) -> None:
            while self._one_request():
                pass

        def _one_request(self) -> bool:
            guard: ConnectionGuard = self.server.guard  # type: ignore[attr-defined]
            guard.phase(self.request, "idle")
            line = self.rfile.readline(_MAX_LINE + 1)
            while line in (b"\r\n", b"\n"):
                line = self.rfile.readline(_MAX_LINE + 1)
            if not line:
                return False
            guard.phase(self.request, "reading")
            parts = line.split()
            if len(parts) != 3 or len(line) > _MAX_LINE or not parts[2].startswith(b"HTTP/1."):
                self._send(400, _error_body(-32600, "malformed HTTP request line"), False)
                return False
            method, version = parts[0], parts[2]
            headers: dict[bytes, bytes] = {}
            while True:
                raw = self.rfile.readline(_MAX_LINE + 1)
                if raw in (b"\r\n", b"\n", b""):
                    break
                if len(headers) >= _MAX_HEADERS or len(raw) > _MAX_LINE:
                    self._send(431, _error_body(-32600, "too many or too long headers"), False)
                    return False
                name, _, value = raw.partition(b":")
                headers[name.strip().lower()] = value.strip()
            connection = headers.get(b"connection", b"").lower()
            keep = connection != b"close" if version == b"HTTP/1.1" else connection == b"keep-alive"
            if method == b"OPTIONS":
                self._send(204, b"", keep, b"Allow: POST, OPTIONS\r\nAccess-Control-Allow-Headers: Content-Type\r\n")
                return keep
            if method == b"GET" and headers.get(b"upgrade", b"").lower() == b"websocket":
                from .ws_server import serve_websocket  # the 3.x WebSocket dialect on the same port

                guard.phase(self.request, "busy")  # a long-lived session, not a request being read
                serve_websocket(target, self.connection, self.rfile, self.wfile, headers)
                return False
            if method != b"POST":
                self._send(405, _error_body(-32600, "JSON-RPC requests are POSTed"), keep)
                return keep
            length_text = headers.get(b"content-length", b"")
            if not length_text.isdigit() or b"transfer-encoding" in headers:
                self._send(411, _error_body(-32600, "Content-Length required"), False)
                return False
            length = int(length_text)
            if length > MAX_BODY:
                self._send(413, _error_body(-32600, f"request body larger than {MAX_BODY} bytes"), False)
                return False
            body = self.rfile.read(length)
            if len(body) < length:
                return False
            guard.phase(self.request, "busy")
            self._send(200, target.handle_raw(body), keep)
            return keep

    return Handler


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[socketserver.BaseRequestHandler],
                 tls: ssl.SSLContext | None, guard: ConnectionGuard) -> None:
        self._tls = tls
        self.guard = guard
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.guard.admit(request):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread to serve it (e.g. none can be started)
            self.guard.release(request)
            raise

    def _refuse(self, request: Any) -> None:
        """At the cap with nothing idle to close: answer 503 (plain HTTP) and close, without waiting."""
        try:
            if self._tls is None:
                request.setblocking(False)
                body = _error_body(-32603, "too many connections")
                request.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                             b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        except OSError:
            pass
        self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        self.guard.release(request)
        super().shutdown_request(request)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = super().get_request()
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # refused handshakes and dropped connections are the client's business


def serve(devchain: _RawHandler, host: str = "127.0.0.1", port: int = 0, tls: ServerTls | None = None, *,
          max_connections: int = MAX_CONNECTIONS, idle_timeout: float = IDLE_TIMEOUT,
          request_deadline: float = REQUEST_DEADLINE, front: str = "thread") -> ServerHandle:
    """Serve ``devchain.handle_raw`` over HTTP (or mutual-TLS HTTPS) in a background thread.

    :param max_connections: connections served at once (one thread each); see :mod:`.conncap`.
    :param idle_timeout: seconds a keep-alive connection may wait for its next request.
    :param request_deadline: seconds from a request line to the end of its body.
    :param front: ``"thread"`` (a thread per connection) or ``"loop"`` (:mod:`.frontloop`: one
        event-loop thread runs the sends as rounds; ``devchain`` must be a :class:`~.node.DevChain`);
        both serve plain HTTP or, with ``tls``, mutual TLS.
    :raises ValueError: an unknown front.
    """
    if front == "loop":
        from .frontloop import serve_loop

        return serve_loop(devchain, host, port, max_connections=max_connections, idle_timeout=idle_timeout,
                          request_deadline=request_deadline, tls=tls)
    if front != "thread":
        raise ValueError(f"unknown HTTP front {front!r} (thread or loop)")
    guard = ConnectionGuard(max_connections, idle_timeout, request_deadline)
    try:
        server = _Server((host, port), _handler_class(devchain), tls.context() if tls else None, guard)
    except BaseException:
        guard.stop()
        raise
    bound_host, bound_port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="devchain-http", daemon=True)
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        guard.stop()

    scheme = "https" if tls else "http"
    shown = host if host not in ("0.0.0.0", "") else "127.0.0.1"
    return ServerHandle(f"{scheme}://{shown}:{bound_port}", str(bound_host), int(bound_port), stop)
