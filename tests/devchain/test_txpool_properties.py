"""Property tests of the admission window and nonce rules against a plain model."""

from __future__ import annotations

from hypothesis import given, strategies as st

from fisco_drugtrace.devchain.records import ChainTx
from fisco_drugtrace.devchain.txpool import TxPool
from fisco_drugtrace.errors import BlockLimitCheckFailed, NonceCheckFailed, TransactionRejected
from fisco_drugtrace.types import Dialect


def _tx(n: int, nonce: str, block_limit: int) -> ChainTx:
    return ChainTx(n.to_bytes(32, "big"), b"", "0x" + "11" * 20, "", b"", nonce, block_limit, "", 0)


@given(head=st.integers(0, 5000), window=st.integers(1, 2000), offset=st.integers(-50, 2100))
def test_block_limit_window(head: int, window: int, offset: int) -> None:
    pool = TxPool(Dialect.V3, chain_id="chain0", group_id="group0", block_limit=window, pool_limit=10)
    pool.set_head(head)
    tx = _tx(1, "n", head + offset)
    accepted = head < head + offset <= head + window
    try:
        pool.admit(tx, chain_id="chain0", group_id="group0", signature_ok=True)
        assert accepted
    except BlockLimitCheckFailed as exc:
        assert not accepted and exc.code == 10001


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.booleans()), min_size=1, max_size=40))
def test_nonces_unique_over_pool_and_recent_blocks(steps: list[tuple[str, bool]]) -> None:
    """Each step admits a tx with a nonce, or (flag) commits the pool as a block; a nonce may be
    reused only once it is more than ``window`` blocks old."""
    window = 3
    pool = TxPool(Dialect.V3, chain_id="chain0", group_id="group0", block_limit=window, pool_limit=1000)
    head, counter = 0, 0
    used_at: dict[str, int] = {}  # nonce -> block it landed in (or -1 while pending)
    for nonce, commit in steps:
        if commit:
            batch = pool.take(1000, timeout=0)
            head += 1
            pool.committed(head, batch)
            for tx in batch:
                used_at[tx.nonce] = head
            continue
        counter += 1
        landed = used_at.get(nonce)
        expect_ok = landed is None or (landed != -1 and landed <= head - window)
        try:
            pool.admit(_tx(counter, nonce, head + 1), chain_id="chain0", group_id="group0", signature_ok=True)
            assert expect_ok, (nonce, landed, head)
            used_at[nonce] = -1
        except NonceCheckFailed:
            assert not expect_ok
        except TransactionRejected as exc:  # pragma: no cover - any other refusal is a bug here
            raise AssertionError(exc.reason) from exc
