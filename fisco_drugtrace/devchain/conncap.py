"""Connection bounds of the HTTP front end: how many, how long idle, how long to send a request.

One thread serves each connection, so without bounds 2,000 idle connections were 2,004 threads,
and a per-read socket timeout let a client that sends one byte every 59 s hold a thread for ever.
:class:`ConnectionGuard` keeps, per open connection, its phase and since when:

* ``idle`` — waiting for the next request line (keep-alive): closed after ``idle_timeout``, and
  the longest-idle one is closed first when a new connection arrives at the cap;
* ``reading`` — a request line arrived, headers and body are being read: closed when the whole
  request has not arrived within ``request_deadline`` (a total, not per read);
* ``busy`` — the request is being answered (a ``sendTransaction`` waits for its block): never cut.

At the cap with nothing idle to close, a new connection is refused (503 on plain HTTP, closed
before the handshake with TLS) — the accept loop never waits. A watchdog thread enforces the
deadlines by shutting the socket down, which makes the connection's blocked read return.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

__all__ = ["ConnectionGuard", "MAX_CONNECTIONS", "IDLE_TIMEOUT", "REQUEST_DEADLINE"]

#: Connections served at once (each is one thread).
MAX_CONNECTIONS = 512
#: Seconds a keep-alive connection may wait for its next request.
IDLE_TIMEOUT = 60.0
#: Seconds from a request line to the end of its body.
REQUEST_DEADLINE = 30.0


def _shut(sock: Any) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class ConnectionGuard:
    """Tracks open connections (by socket) and enforces the bounds above."""

    def __init__(self, limit: int = MAX_CONNECTIONS, idle_timeout: float = IDLE_TIMEOUT,
                 request_deadline: float = REQUEST_DEADLINE) -> None:
        if limit < 1:
            raise ValueError("at least one connection must be allowed")
        self.limit = limit
        self.idle_timeout = idle_timeout
        self.request_deadline = request_deadline
        self._lock = threading.Lock()
        self._open: dict[Any, list] = {}  # socket -> [phase, since]
        self._closing: set[Any] = set()
        self._stopped = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="devchain-http-watchdog", daemon=True)
        self._watchdog.start()

    def admit(self, sock: Any) -> bool:
        """A new connection: True to serve it (closing the longest-idle one when at the cap)."""
        with self._lock:
            if len(self._open) - len(self._closing) >= self.limit:
                idle = [(since, s) for s, (phase, since) in self._open.items()
                        if phase == "idle" and s not in self._closing]
                if not idle:
                    return False
                victim = min(idle, key=lambda item: item[0])[1]
                self._closing.add(victim)
                _shut(victim)
            self._open[sock] = ["idle", time.monotonic()]
            return True

    def phase(self, sock: Any, phase: str) -> None:
        """The connection moved to ``idle``, ``reading`` or ``busy``."""
        with self._lock:
            entry = self._open.get(sock)
            if entry is not None:
                entry[0], entry[1] = phase, time.monotonic()

    def release(self, sock: Any) -> None:
        with self._lock:
            self._open.pop(sock, None)
            self._closing.discard(sock)

    def count(self) -> int:
        with self._lock:
            return len(self._open)

    def _watch(self) -> None:
        period = max(0.05, min(1.0, self.request_deadline / 4, self.idle_timeout / 4))
        while not self._stopped.wait(period):
            now = time.monotonic()
            with self._lock:
                for sock, (phase, since) in self._open.items():
                    late = ((phase == "idle" and now - since > self.idle_timeout)
                            or (phase == "reading" and now - since > self.request_deadline))
                    if late and sock not in self._closing:
                        self._closing.add(sock)
                        _shut(sock)

    def stop(self) -> None:
        self._stopped.set()
        self._watchdog.join(timeout=5)
