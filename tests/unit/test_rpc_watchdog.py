"""The watchdog that holds requests-based calls to one total deadline (``rpc/watchdog.py``).

Deterministic checks of its ownership rule (a late watchdog never cuts a connection another
call has taken from the pool), a property test of its heap bookkeeping, and real loopback
calls: a transport stays usable after a call it cut short, and late watchdogs of earlier calls
do not disturb later calls on the same kept-alive connection.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.errors import RequestTimeout
from fisco_drugtrace.rpc import Deadline, HttpTransport, JsonRpc, RetryPolicy
from fisco_drugtrace.rpc.watchdog import Expired, Watch, Watchdog
from tests.fakes import FakeNode, serve_http


class _Sock:
    def __init__(self) -> None:
        self.shut: list[int] = []

    def shutdown(self, how: int) -> None:
        self.shut.append(how)


class _Conn:
    def __init__(self) -> None:
        self.sock: Any = _Sock()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def _claim_in_call(dog: Watchdog, watch: Watch, conn: _Conn) -> None:
    dog._local.watch = watch
    try:
        dog.claim(conn)
    finally:
        dog._local.watch = None


def test_firing_shuts_down_the_sockets_the_call_owns() -> None:
    dog = Watchdog()
    watch = Watch(Deadline(30))
    conn = _Conn()
    _claim_in_call(dog, watch, conn)
    dog._fire(watch)
    assert watch.fired and conn.sock.shut == [socket.SHUT_RDWR]
    with pytest.raises(Expired):
        dog.check(watch)
    with pytest.raises(Expired):  # a call whose deadline passed uses no further connection
        _claim_in_call(dog, watch, _Conn())


def test_a_late_watchdog_leaves_a_connection_another_call_took() -> None:
    dog = Watchdog()
    first, second = Watch(Deadline(30)), Watch(Deadline(30))
    conn = _Conn()
    _claim_in_call(dog, first, conn)
    _claim_in_call(dog, second, conn)  # back in the pool, taken by the next call
    dog._fire(first)
    assert conn.sock.shut == [] and conn.closed == 0


def test_a_connection_cut_by_a_watchdog_is_closed_before_reuse() -> None:
    dog = Watchdog()
    first, second = Watch(Deadline(30)), Watch(Deadline(30))
    conn = _Conn()
    _claim_in_call(dog, first, conn)
    dog._fire(first)  # fired after the answer came, before anybody else took the connection
    _claim_in_call(dog, second, conn)
    assert conn.closed == 1  # urllib3 reconnects a closed connection instead of using a dead socket
    _claim_in_call(dog, Watch(Deadline(30)), conn)
    assert conn.closed == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 1000)), max_size=1500))
def test_finished_watches_do_not_pile_up(steps: list[tuple[bool, int]]) -> None:
    """Every live watch stays armed; finished ones never outnumber max(live, the compaction threshold)."""
    dog = _DOG  # one watchdog (one thread) for every example, as in a long-running process
    live: list[Watch] = []
    for start, pick in steps:
        if start or not live:
            watch = Watch(Deadline(3600))
            dog.start(watch)
            live.append(watch)
        else:
            dog.finish(live.pop(pick % len(live)))
        with dog._cond:
            armed = [entry[2] for entry in dog._heap]
            assert all(any(w is a for a in armed) for w in live)
            stale = len(armed) - len(live)
            assert stale <= max(len(live), Watchdog._COMPACT_AT - 1)
    for watch in live:
        dog.finish(watch)


_DOG = Watchdog()


def test_a_transport_is_usable_after_a_call_its_watchdog_cut_short() -> None:
    release = threading.Event()
    answers = iter([lambda: release.wait(30) and 0, lambda: 11])
    node = FakeNode().on("getBlockNumber", lambda params: next(answers)())
    with serve_http(node=node) as server:
        rpc = JsonRpc(HttpTransport(server.url), retry=RetryPolicy(attempts=1))
        start = time.monotonic()
        with pytest.raises(RequestTimeout):
            rpc.request("getBlockNumber", [], timeout=1.0)
        elapsed = time.monotonic() - start
        release.set()
        assert rpc.request("getBlockNumber", [], timeout=5.0) == 11
    assert 1.0 <= elapsed <= 1.6


def test_late_watchdogs_of_earlier_calls_do_not_disturb_the_kept_alive_connection() -> None:
    """Quick calls with a 0.5 s deadline each, for 1.5 s, on one connection: the watchdogs of the
    first ones come due while later ones use the same socket."""
    node = FakeNode().on("getBlockNumber", 3)
    with serve_http(node=node) as server:
        transport = HttpTransport(server.url)
        rpc = JsonRpc(transport, retry=RetryPolicy(attempts=1))
        start = time.monotonic()
        results = []
        while time.monotonic() - start < 1.5:
            results.append(rpc.request("getBlockNumber", [], timeout=0.5))
        transport.close()
    assert len(results) > 10 and set(results) == {3}
    assert len(set(server.peers)) == 1
