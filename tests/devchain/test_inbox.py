"""The sealer-side admission path (``Chain.send_and_wait``): signed bytes go to the pool's inbox,
the sealer decodes and admits a whole round, refusals come back to the caller's thread."""

from __future__ import annotations

import threading
import time

import pytest

from fisco_drugtrace.devchain import DevChain
from fisco_drugtrace.devchain.records import ChainTx
from fisco_drugtrace.devchain.txpool import TxPool
from fisco_drugtrace.errors import DevChainError, RpcError
from fisco_drugtrace.types import Dialect

from devchain_helpers import tx3


def _send_all(chain: DevChain, raws: list[bytes]) -> list[object]:
    """Send each raw from its own thread; returns (receipt, tx) or the exception, in order."""
    out: list[object] = [None] * len(raws)

    def one(i: int) -> None:
        try:
            out[i] = chain.chain.send_and_wait(raws[i], 10)
        except Exception as exc:  # collected for the assertions
            out[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(raws))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return out


def test_one_round_admits_the_good_and_refuses_duplicates_and_garbage(v3: DevChain) -> None:
    good = [tx3(v3, "", bytes([i])) for i in range(3)]
    v3.chain.set_sealing(False)  # everything lands in the same round and waits in the pool
    results: list[object] = []
    sender = threading.Thread(target=lambda: results.extend(_send_all(v3, good + [good[0], b"\x01garbage"])))
    sender.start()
    deadline = time.monotonic() + 10
    while v3.chain.pool.size() < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # the refusals have been answered while sealing is paused
    v3.chain.set_sealing(True)
    sender.join(timeout=20)
    first, second = results[0], results[3]  # the same bytes twice: whichever came first wins
    winner, loser = (first, second) if isinstance(first, tuple) else (second, first)
    receipts = [winner, results[1], results[2]]
    assert all(isinstance(r, tuple) for r in receipts), results
    assert {r[0].block_number for r in receipts} == {1}  # one block for the whole round
    assert sorted(r[1].raw for r in receipts) == sorted(good)
    assert isinstance(loser, RpcError) and "AlreadyInTxPool" in str(loser), loser
    garbage = results[4]
    assert isinstance(garbage, RpcError) and "not a 3.x transaction" in str(garbage), garbage
    assert v3.block_number == 1 and v3.chain.total_txs == 3


def test_refusal_is_answered_while_sealing_is_paused(v3: DevChain) -> None:
    v3.chain.set_sealing(False)
    started = time.monotonic()
    with pytest.raises(RpcError):
        v3.chain.send_and_wait(b"\x00\x01\x02", 5)
    assert time.monotonic() - started < 2


def test_send_after_close_is_a_clear_error(v3: DevChain) -> None:
    raw = tx3(v3, "", b"\x00")
    v3.chain.close()
    with pytest.raises(DevChainError, match="closed"):
        v3.chain.send_and_wait(raw, 1)


def _tx(n: int) -> ChainTx:
    return ChainTx(n.to_bytes(32, "big"), b"", "0x" + "11" * 20, "0x" + "22" * 20, b"", f"nonce{n}", 5, "", 0)


def test_inbox_and_pending_are_handed_out_separately() -> None:
    pool = TxPool(Dialect.V3, chain_id="chain0", group_id="group0", block_limit=1000, pool_limit=100)
    pool.deliver("a")
    pool.admit(_tx(1), chain_id="chain0", group_id="group0", signature_ok=True)
    pool.deliver("b")
    assert pool.wait_for_work(timeout=5) == ["a", "b"]
    assert pool.drain_inbox() == []
    assert [t.hash[-1] for t in pool.take(10, timeout=0)] == [1]  # pending stays for take()


def test_closed_pool_refuses_delivery_and_drains_what_was_left() -> None:
    pool = TxPool(Dialect.V3, chain_id="chain0", group_id="group0", block_limit=1000, pool_limit=100)
    pool.deliver("left")
    pool.close()
    assert pool.drain_inbox() == ["left"]
    with pytest.raises(DevChainError):
        pool.deliver("late")


def test_a_stopped_chain_refuses_deliveries_instead_of_leaving_them_to_time_out(v3: DevChain) -> None:
    v3.chain._fail(OSError("disk gone"))  # what the sealer does on a storage failure
    with pytest.raises(DevChainError):
        v3.chain.pool.deliver(object())  # nobody would ever take it from the inbox
    started = time.monotonic()
    with pytest.raises(DevChainError, match="storage failure"):
        v3.chain.send_and_wait(tx3(v3, "", b"\x00"), 30)
    assert time.monotonic() - started < 5
