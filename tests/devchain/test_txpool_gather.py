"""Group commit in the pool: ``take(gather=n, linger=s)`` waits briefly for the expected batch."""

from __future__ import annotations

import threading
import time

from fisco_drugtrace.devchain.records import ChainTx
from fisco_drugtrace.devchain.txpool import TxPool
from fisco_drugtrace.types import Dialect


def _tx(n: int) -> ChainTx:
    return ChainTx(n.to_bytes(32, "big"), b"", "0x" + "11" * 20, "0x" + "22" * 20, b"", f"nonce{n}", 5, "", 0)


def _pool() -> TxPool:
    return TxPool(Dialect.V3, chain_id="chain0", group_id="group0", block_limit=1000, pool_limit=100)


def _admit(pool: TxPool, n: int) -> None:
    pool.admit(_tx(n), chain_id="chain0", group_id="group0", signature_ok=True)


def test_take_waits_for_the_expected_batch() -> None:
    pool = _pool()
    got: list[list[ChainTx]] = []
    taker = threading.Thread(target=lambda: got.append(pool.take(10, timeout=5, gather=3, linger=5)))
    taker.start()
    _admit(pool, 1)
    time.sleep(0.05)
    assert taker.is_alive()  # one of three: still gathering
    _admit(pool, 2)
    _admit(pool, 3)
    taker.join(timeout=5)
    assert [t.hash[-1] for t in got[0]] == [1, 2, 3]


def test_take_stops_lingering_after_the_deadline() -> None:
    pool = _pool()
    _admit(pool, 1)
    started = time.monotonic()
    batch = pool.take(10, timeout=5, gather=4, linger=0.05)
    assert len(batch) == 1 and 0.04 <= time.monotonic() - started < 2


def test_gather_of_one_or_a_full_pool_does_not_linger() -> None:
    pool = _pool()
    for n in range(3):
        _admit(pool, n)
    started = time.monotonic()
    assert len(pool.take(2, timeout=5, gather=8, linger=5)) == 2  # the limit caps what to wait for
    assert len(pool.take(10, timeout=5, gather=1, linger=5)) == 1
    assert time.monotonic() - started < 1


def test_pause_and_close_end_the_linger() -> None:
    pool = _pool()
    _admit(pool, 1)
    threading.Timer(0.05, pool.set_paused, args=(True,)).start()
    started = time.monotonic()
    assert pool.take(10, timeout=5, gather=5, linger=5) == []
    assert time.monotonic() - started < 2
    pool.set_paused(False)
    threading.Timer(0.05, pool.close).start()
    assert len(pool.take(10, timeout=5, gather=5, linger=5)) == 1
