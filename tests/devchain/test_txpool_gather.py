"""Group commit: the pool's waiting primitives (``wait_for_work``, ``arrivals``, ``take``) and the
sealer's use of them (``Chain._fill_round``: a round waits briefly for as many transactions as
the last block had)."""

from __future__ import annotations

import threading
import time

from fisco_drugtrace.devchain import DevChain
from fisco_drugtrace.devchain.records import ChainTx
from fisco_drugtrace.devchain.txpool import TxPool
from fisco_drugtrace.types import Dialect

from devchain_helpers import tx3


def _tx(n: int) -> ChainTx:
    return ChainTx(n.to_bytes(32, "big"), b"", "0x" + "11" * 20, "0x" + "22" * 20, b"", f"nonce{n}", 5, "", 0)


def _pool() -> TxPool:
    return TxPool(Dialect.V3, chain_id="chain0", group_id="group0", block_limit=1000, pool_limit=100)


def _admit(pool: TxPool, n: int) -> None:
    pool.admit(_tx(n), chain_id="chain0", group_id="group0", signature_ok=True)


def test_wait_for_work_wakes_on_a_delivery_and_hands_out_the_inbox_once() -> None:
    pool = _pool()
    got: list[list[object]] = []
    taker = threading.Thread(target=lambda: got.append(pool.wait_for_work(timeout=5)))
    taker.start()
    time.sleep(0.05)
    assert taker.is_alive()  # nothing yet: still waiting
    pool.deliver("a")
    taker.join(timeout=5)
    assert got == [["a"]] and pool.drain_inbox() == []


def test_wait_for_work_returns_for_pending_transactions_but_not_while_paused() -> None:
    pool = _pool()
    _admit(pool, 1)
    assert pool.wait_for_work(timeout=5) == []  # work is pending: no wait, empty inbox
    pool.set_paused(True)
    started = time.monotonic()
    assert pool.wait_for_work(timeout=0.05) == []
    assert time.monotonic() - started >= 0.04  # paused: pending transactions are not work
    assert [t.hash[-1] for t in pool.take(10, timeout=0)] == []  # and take hands out nothing
    pool.set_paused(False)
    assert [t.hash[-1] for t in pool.take(10, timeout=0)] == [1]


def test_arrivals_returns_new_deliveries_then_none_once_enough_are_pending() -> None:
    pool = _pool()
    pool.deliver("x")
    assert pool.arrivals(5, enough=3) == ["x"]
    started = time.monotonic()
    assert pool.arrivals(0.05, enough=3) == []  # nothing new before the timeout
    assert time.monotonic() - started >= 0.04
    for n in range(3):
        _admit(pool, n)
    assert pool.arrivals(5, enough=3) is None  # the round is full: seal now


def test_arrivals_ends_the_wait_on_pause_and_close() -> None:
    pool = _pool()
    threading.Timer(0.05, pool.set_paused, args=(True,)).start()
    started = time.monotonic()
    assert pool.arrivals(5, enough=2) is None
    assert time.monotonic() - started < 2
    pool.set_paused(False)
    threading.Timer(0.05, pool.close).start()
    assert pool.arrivals(5, enough=2) is None


def test_take_respects_the_limit_and_order() -> None:
    pool = _pool()
    for n in range(5):
        _admit(pool, n)
    assert [t.hash[-1] for t in pool.take(2, timeout=0)] == [0, 1]
    assert [t.hash[-1] for t in pool.take(10, timeout=0)] == [2, 3, 4]


def test_concurrent_senders_share_blocks(v3: DevChain) -> None:
    """Eight senders at once: the sealer's round waits for the others (group commit), so the
    transactions land in fewer blocks than transactions.

    The senders start while a round is running (the test holds the round lock until all eight
    are in flight), so none of them finds itself alone and seals on its own, however the
    scheduler happens to start the threads."""
    raws = [[tx3(v3, "", bytes([s, i])) for i in range(5)] for s in range(8)]
    errors: list[BaseException] = []

    def sender(mine: list[bytes]) -> None:
        try:
            for raw in mine:
                v3.chain.send_and_wait(raw, 30)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(r,)) for r in raws]
    with v3.chain._round:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while v3.chain._in_flight < len(raws) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert v3.chain._in_flight == len(raws)
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert v3.chain.total_txs == 40
    assert v3.block_number < 40  # shared blocks; typically 5–10
    sizes = [len(v3.chain.block(n).tx_hashes) for n in range(1, v3.block_number + 1)]
    assert max(sizes) > 1 and sum(sizes) == 40
