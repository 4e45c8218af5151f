"""The watchdog that holds every HTTP call to its one total deadline.

``requests`` (through urllib3 and ``http.client``) only knows per-socket-operation timeouts: a
node that drip-feeds one byte every 2 s satisfies a 3 s read timeout for ever. So each call
registers a :class:`Watch` here; one shared daemon thread wakes at the earliest deadline and
**shuts down the sockets** of every call whose deadline passed. A blocked ``recv`` then returns
at once, urllib3 raises, and the transport (seeing :attr:`Watch.fired`) reports a timeout.

Connections are *claimed* by the call that uses them (:meth:`Watchdog.claim`, from the urllib3
connection hooks in :mod:`._adapter`), under the same lock the watchdog fires under: a
keep-alive connection handed back to the pool and taken by another call is never shut down by
the first call's late watchdog, and a connection that was shut down is reconnected before reuse.

One thread for all calls (not a ``threading.Timer`` each): registering costs a heap push.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from typing import Any

from fisco_drugtrace.rpc.deadline import Deadline

__all__ = ["Watch", "Watchdog", "WATCHDOG", "Expired"]


class Expired(Exception):
    """Internal: the call's deadline passed before its next step (never leaves the transport)."""


class Watch:
    """One call's deadline and the connections it uses."""

    __slots__ = ("deadline", "end", "fired", "done", "opened", "conns")

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.end = time.monotonic() + deadline.remaining()
        #: the watchdog shut this call's sockets down (its deadline passed)
        self.fired = False
        #: the call finished; the watchdog leaves it alone
        self.done = False
        #: a TCP (and TLS) connection was established or reused: later failures are not "cannot connect"
        self.opened = False
        self.conns: list[Any] = []

    def remaining(self) -> float:
        return self.deadline.remaining()


class Watchdog:
    """A heap of deadlines and one daemon thread that fires them (started on first use, and
    again in a forked child, which inherits no threads and gets a fresh lock)."""

    #: rebuild the heap once this many finished watches are waiting in it (and they are half of it)
    _COMPACT_AT = 256

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._stale = 0
        self._pid = -1
        self._local = threading.local()
        if hasattr(os, "register_at_fork"):  # a child must not inherit a lock the thread held
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap, self._stale, self._pid = [], 0, -1

    # -- the calling thread -------------------------------------------------------------------
    def start(self, watch: Watch) -> None:
        """Arm ``watch`` and make it this thread's current call."""
        with self._cond:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._heap, self._stale = [], 0
                threading.Thread(target=self._run, name="fisco-rpc-watchdog", daemon=True).start()
            heapq.heappush(self._heap, (watch.end, next(self._seq), watch))
            if self._heap[0][2] is watch:
                self._cond.notify()
        self._local.watch = watch

    def finish(self, watch: Watch) -> None:
        """The call is over: never fire it."""
        self._local.watch = None
        with self._cond:
            if not watch.done:
                watch.done = True
                if not watch.fired:  # a fired watch has left the heap already
                    self._stale += 1
                if self._stale >= self._COMPACT_AT and self._stale * 2 >= len(self._heap):
                    self._heap = [entry for entry in self._heap if not entry[2].done]
                    heapq.heapify(self._heap)
                    self._stale = 0

    def current(self) -> Watch | None:
        """The call this thread is making, if any."""
        return getattr(self._local, "watch", None)

    def claim(self, conn: Any) -> Watch | None:
        """``conn`` now serves this thread's current call. A connection whose socket an earlier
        call's watchdog shut down is closed first (urllib3 then reconnects it).

        :raises Expired: the current call's deadline has already passed.
        """
        watch = self.current()
        if watch is None:
            return None
        with self._cond:
            if watch.fired:
                raise Expired()
            killed = getattr(conn, "_fisco_killed", False)
            conn._fisco_killed = False
            conn._fisco_owner = watch
            if not any(c is conn for c in watch.conns):
                watch.conns.append(conn)
        if killed:
            conn.close()
        return watch

    def check(self, watch: Watch | None) -> None:
        """:raises Expired: ``watch`` fired (its sockets are shut)."""
        if watch is not None and watch.fired:
            raise Expired()

    # -- the watchdog thread ------------------------------------------------------------------
    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                    self._stale = max(self._stale - 1, 0)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                _, _, watch = heapq.heappop(self._heap)
                self._fire(watch)

    @staticmethod
    def _fire(watch: Watch) -> None:
        watch.fired = True
        for conn in watch.conns:
            if getattr(conn, "_fisco_owner", None) is not watch:
                continue  # back in the pool and serving another call now
            conn._fisco_killed = True
            sock = getattr(conn, "sock", None)
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)  # a blocked recv in the caller returns at once
            except OSError:
                pass


#: The process-wide watchdog used by every :class:`~fisco_drugtrace.rpc.http.HttpTransport`.
WATCHDOG = Watchdog()
