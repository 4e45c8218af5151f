"""HTTP(S) front end: JSON-RPC over POST on any path, as both node generations serve it.

Threaded (one thread per connection, HTTP/1.1 keep-alive), bodies capped at
:data:`MAX_BODY` bytes, optional mutual TLS (TLS 1.2+, client certificate required, handshake
done in the connection's thread so a silent client cannot stall the accept loop).
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Protocol

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


def _handler_class(target: _RawHandler) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, every keep-alive request
        # then waits ~40 ms for the delayed ACK.
        disable_nagle_algorithm = True
        server_version = "fisco-drugtrace-devchain"
        timeout = 60

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the CLI prints what matters
            pass

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self.close_connection = True
                self._reply(411, _error_body(-32600, "Content-Length required"))
                return
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                self._reply(413, _error_body(-32600, f"request body larger than {MAX_BODY} bytes"))
                return
            body = self.rfile.read(length)
            self._reply(200, target.handle_raw(body))

        def do_OPTIONS(self) -> None:
            self.send_response(204)
            self.send_header("Allow", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._reply(405, _error_body(-32600, "JSON-RPC requests are POSTed"))

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 tls: ssl.SSLContext | None) -> None:
        self._tls = tls
        super().__init__(address, handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = super().get_request()
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # refused handshakes and dropped connections are the client's business


def serve(devchain: _RawHandler, host: str = "127.0.0.1", port: int = 0, tls: ServerTls | None = None) -> ServerHandle:
    """Serve ``devchain.handle_raw`` over HTTP (or mutual-TLS HTTPS) in a background thread."""
    server = _Server((host, port), _handler_class(devchain), tls.context() if tls else None)
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

    scheme = "https" if tls else "http"
    shown = host if host not in ("0.0.0.0", "") else "127.0.0.1"
    return ServerHandle(f"{scheme}://{shown}:{bound_port}", str(bound_host), int(bound_port), stop)
