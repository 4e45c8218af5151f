"""One connected socket shared by a reader thread and writer threads, TLS included.

The push transports (SDK side) and the dev chain's push servers read a connection in one thread
while other threads write to it (requests, heartbeats, receipts, block notifies). On a plain TCP
socket that is safe. On a TLS socket it is not: OpenSSL lets one thread at a time use an ``SSL``
object, and CPython's :class:`ssl.SSLSocket` releases the interpreter lock inside ``SSL_read`` and
``SSL_write`` without a lock of its own, so a reader blocked in ``recv`` and a writer in
``sendall`` run inside the same ``SSL`` at once. Under load that showed as connections that each
side saw the other close (``EOF occurred in violation of protocol``), about one in ten sessions.

:class:`DuplexSocket` runs every call into the TLS engine under one lock, on a non-blocking
socket, and waits for readiness (``poll``) outside it — the way an event loop drives TLS on one
thread, here shared by many. A retried ``SSL_write`` gets the same bytes, as OpenSSL requires. A
plain socket is passed through unchanged.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from typing import Any

__all__ = ["DuplexSocket", "take_buffered"]

_ERRORS = select.POLLERR | select.POLLHUP | select.POLLNVAL


class DuplexSocket:
    """``recv``/``sendall``/``shutdown``/``close`` over ``sock`` for one reader and many writers.

    ``settimeout`` bounds each ``recv`` and ``sendall`` (``socket.timeout`` when it passes);
    ``None`` waits for ever. Writers are serialised, so one ``sendall`` is one contiguous frame.
    """

    def __init__(self, sock: socket.socket, timeout: float | None = None) -> None:
        self.raw = sock
        self.tls = isinstance(sock, ssl.SSLSocket)
        self._engine = threading.Lock()  # one call into OpenSSL at a time
        self._writer = threading.Lock()  # one frame on the wire at a time
        self._timeout: float | None = None
        self.settimeout(timeout)

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout
        if self.tls:
            self.raw.setblocking(False)  # waiting happens in _wait, outside the engine lock
        else:
            self.raw.settimeout(timeout)

    def fileno(self) -> int:
        return self.raw.fileno()

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes; ``b""`` once the peer closed."""
        if not self.tls:
            return self.raw.recv(size)
        deadline = self._deadline()
        while True:
            with self._engine:
                try:
                    return self.raw.recv(size)
                except ssl.SSLWantReadError:
                    events = select.POLLIN
                except ssl.SSLWantWriteError:
                    events = select.POLLOUT
            self._wait(events, deadline)

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        if not self.tls:
            with self._writer:
                self.raw.sendall(data)
            return
        view = memoryview(data).cast("B")
        deadline = self._deadline()
        with self._writer:
            while view:
                events = 0
                with self._engine:
                    try:
                        sent = self.raw.send(view)
                    except ssl.SSLWantWriteError:
                        sent, events = 0, select.POLLOUT
                    except ssl.SSLWantReadError:
                        sent, events = 0, select.POLLIN
                if sent:
                    view = view[sent:]
                elif events:
                    self._wait(events, deadline)  # the retry passes the same bytes
                else:
                    raise BrokenPipeError("the connection accepted no bytes")

    def shutdown(self, how: int) -> None:
        """Wakes a reader waiting in :meth:`recv` (it then reads EOF or an error)."""
        if self.tls:
            socket.socket.shutdown(self.raw, how)  # keeps the SSL object: a reader inside it reads EOF
        else:
            self.raw.shutdown(how)

    def close(self) -> None:
        self.raw.close()

    def _deadline(self) -> float | None:
        return None if self._timeout is None else time.monotonic() + self._timeout

    def _wait(self, events: int, deadline: float | None) -> None:
        fd = self.raw.fileno()
        if fd < 0:
            raise OSError("the connection was closed")
        poller = select.poll()
        poller.register(fd, events | _ERRORS)
        if deadline is None:
            ready = poller.poll()
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out")
            ready = poller.poll(max(1, int(left * 1000)))
            if not ready:
                raise socket.timeout("timed out")
        if any(mask & select.POLLNVAL for _, mask in ready):
            raise OSError("the connection was closed")


def take_buffered(reader: Any, sock: socket.socket) -> bytes:
    """The bytes a buffered reader (``sock.makefile("rb")``) has already pulled off ``sock`` and not
    handed out — what a peer sent right after the request that reader parsed — without waiting
    for more. Leaves ``sock`` non-blocking; callers set the mode they need next."""
    sock.setblocking(False)
    try:
        return reader.read1(65536) or b""
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return b""
