"""WAL checkpoints run in the background: the database file catches up while blocks keep coming."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fisco_drugtrace.devchain.records import ChainBlock, ChainReceipt, ChainTx
from fisco_drugtrace.devchain.storage import DB_FILENAME, ChainStore


def _block(number: int, count: int) -> tuple[ChainBlock, list[ChainTx], list[ChainReceipt]]:
    txs = [ChainTx(os.urandom(32), os.urandom(300), "0x" + "11" * 20, "0x" + "22" * 20, b"", f"n{number}-{i}", 9,
                   "", 0) for i in range(count)]
    receipts = [ChainReceipt(t.hash, number, i, 0, b"", 1, (), "", t.sender, t.to, os.urandom(32))
                for i, t in enumerate(txs)]
    block = ChainBlock(number, os.urandom(32), os.urandom(32), number, os.urandom(32), os.urandom(32),
                       os.urandom(32), 0, tuple(t.hash for t in txs))
    return block, txs, receipts


def test_background_checkpoint_copies_the_wal_into_the_database(tmp_path: Path) -> None:
    store = ChainStore(tmp_path)
    db_file = tmp_path / DB_FILENAME
    start_size = db_file.stat().st_size
    for number in range(60):  # 60 x (1 + 2 x 20) rows: past the checkpoint threshold
        store.write_block(*_block(number, 20), {})
    deadline = time.monotonic() + 10
    while db_file.stat().st_size <= start_size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert db_file.stat().st_size > start_size  # pages reached the database before close
    assert store.head() == 59
    store.close()
    reopened = ChainStore(tmp_path)
    assert reopened.head() == 59 and len(reopened.txs_in_block(59)) == 20
    reopened.close()


def test_without_writes_the_checkpointer_stays_idle_and_closes(tmp_path: Path) -> None:
    store = ChainStore(tmp_path)
    thread = store._checkpointer._thread  # type: ignore[union-attr]
    assert thread.is_alive()
    store.close()
    assert not thread.is_alive()
