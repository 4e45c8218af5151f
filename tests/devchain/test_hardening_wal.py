"""Issue 19 item 3: the WAL stays bounded under a continuous writer, without losing a block."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fisco_drugtrace.devchain import storage
from fisco_drugtrace.devchain.records import ChainBlock, ChainReceipt, ChainTx
from fisco_drugtrace.devchain.storage import ChainStore


def _block(number: int, count: int) -> tuple[ChainBlock, list[ChainTx], list[ChainReceipt]]:
    txs = [ChainTx(os.urandom(32), os.urandom(400), "0x" + "11" * 20, "0x" + "22" * 20, os.urandom(100),
                   f"n{number}-{i}", 9, "", 0) for i in range(count)]
    receipts = [ChainReceipt(t.hash, number, i, 0, b"", 1, (), "", t.sender, t.to, os.urandom(32))
                for i, t in enumerate(txs)]
    block = ChainBlock(number, os.urandom(32), os.urandom(32), number, os.urandom(32), os.urandom(32),
                       os.urandom(32), 0, tuple(t.hash for t in txs))
    return block, txs, receipts


def test_wal_stays_under_its_limit_while_blocks_keep_coming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 2 * 2**20
    monkeypatch.setattr(storage, "WAL_LIMIT", limit, raising=False)
    store = ChainStore(tmp_path)
    blocks = [_block(n, 40) for n in range(600)]  # ~25 MB of rows, written back to back
    largest = 0
    for block in blocks:
        store.write_block(*block, {})
        largest = max(largest, store.wal_size() if hasattr(store, "wal_size") else
                      (tmp_path / (storage.DB_FILENAME + "-wal")).stat().st_size)
    print(f"largest WAL seen: {largest / 2**20:.1f} MB (limit {limit / 2**20:.0f} MB)")
    assert largest <= limit + 2**20  # the limit plus at most one block's pages
    # nothing was lost: a crash image (the files as they are, the writer still open) has every block
    image = tmp_path / "image"
    image.mkdir()
    for name in (storage.DB_FILENAME, storage.DB_FILENAME + "-wal", "HEAD"):
        if (tmp_path / name).exists():
            (image / name).write_bytes((tmp_path / name).read_bytes())
    store.close()
    reopened = ChainStore(image)
    assert reopened.head() == 599
    for block, txs, receipts in blocks[::97]:
        assert reopened.txs_in_block(block.number) == txs
        assert reopened.receipts_in_block(block.number) == receipts
    reopened.close()
