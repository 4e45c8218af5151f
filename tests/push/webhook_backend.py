"""A back-end for webhook tests: a loopback HTTP server that records what it is POSTed, checks
the signature, and can be taken down (connection refused) and brought back on the same port."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Backend:
    def __init__(self, secret: bytes, port: int = 0) -> None:
        self.secret = secret
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.bad_signatures = 0
        self.refuse_with: int | None = None  # answer this status instead of 200
        self._server: ThreadingHTTPServer | None = None
        self.port = port
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                want = "sha256=" + hmac.new(backend.secret, body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(want, self.headers.get("X-Drugtrace-Signature", "")):
                    backend.bad_signatures += 1
                    self.send_response(401)
                elif backend.refuse_with is not None:
                    self.send_response(backend.refuse_with)
                else:
                    backend.received.append((self.headers["X-Drugtrace-Event-Id"], json.loads(body)))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
