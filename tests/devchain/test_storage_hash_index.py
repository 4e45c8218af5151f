"""ChainStore's lazily written hash index (schema "2"): hash lookups answer alike below and above
the flush point, a flush commits with its block or not at all, truncation and reopening keep the
two parts consistent, duplicates are still refused, and a schema "1" data dir is migrated."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain import storage
from fisco_drugtrace.devchain.memstore import MemoryStore
from fisco_drugtrace.devchain.records import ChainBlock, ChainLog, ChainReceipt, ChainTx
from fisco_drugtrace.devchain.storage import DB_FILENAME, ChainStore
from fisco_drugtrace.errors import DataDirError

from devchain_helpers import TABLES, deploy3, dump, result, selector, send3, set_call, tx3

#: a small flush threshold, so a few blocks cross it
FLUSH = 7
ADDRESS = "0x" + "aa" * 20


@pytest.fixture(autouse=True)
def small_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "HASH_FLUSH_ENTRIES", FLUSH)


def _h(*parts: int) -> bytes:
    return b"".join(p.to_bytes(4, "big", signed=True) for p in parts).rjust(32, b"\x02")


def _block(number: int, count: int, *, salt: int = 0) -> tuple[ChainBlock, list[ChainTx], list[ChainReceipt]]:
    """Block ``number`` with ``count`` transactions, one log each; ``salt`` changes every hash."""
    txs = [ChainTx(_h(1, salt, number, i), b"raw", ADDRESS, ADDRESS, b"\x01", f"n{salt}.{number}.{i}", 9, "", 1)
           for i in range(count)]
    receipts = [ChainReceipt(t.hash, number, i, 0, b"", 21000, (ChainLog(ADDRESS, (_h(9, i),), b"d"),), "",
                             ADDRESS, ADDRESS, _h(2, salt, number, i)) for i, t in enumerate(txs)]
    block = ChainBlock(number, _h(3, salt, number), _h(3, salt, number - 1), number, _h(4), _h(5), _h(6), 0,
                       tuple(t.hash for t in txs))
    return block, txs, receipts


def _write(store: ChainStore | MemoryStore, number: int, count: int, *, salt: int = 0) -> ChainBlock:
    block, txs, receipts = _block(number, count, salt=salt)
    store.write_block(block, txs, receipts, {})
    return block


def _through(store: ChainStore) -> int:
    return int(store._db.execute("SELECT through FROM hash_index").fetchone()[0])


def _indexed(store: ChainStore) -> tuple[int, int]:
    """(rows of tx_hashes, rows of block_hashes)."""
    db = store._db
    return (db.execute("SELECT COUNT(*) FROM tx_hashes").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM block_hashes").fetchone()[0])


def _hash_table_writes(store: ChainStore, action: Callable[[], None]) -> list[str]:
    """The statements ``action`` runs that touch the hash tables."""
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        action()
    finally:
        store._db.set_trace_callback(None)
    return [s for s in statements if "_hashes" in s or "hash_index" in s]


def _lookups(store: ChainStore | MemoryStore, blocks: list[ChainBlock]) -> list[Any]:
    """Every by-hash answer for the given blocks' hashes."""
    out: list[Any] = []
    for block in blocks:
        out.append(store.block_by_hash(block.hash))
        for h in block.tx_hashes:
            out += [store.tx(h), store.receipt(h)]
    return out


def test_lookups_answer_alike_below_and_above_the_flush_point() -> None:
    store, mirror = ChainStore(None), MemoryStore()
    blocks = [_write(s, n, 2) for n in range(5) for s in (store, mirror)][::2]  # 5 blocks of 3 entries
    # 3 entries per block: block 2 reached 9 >= 7 pending and flushed; blocks 3, 4 are in memory
    assert _through(store) == 2 and _indexed(store) == (6, 3)
    assert len(store._pending_txs) == 4 and len(store._pending_blocks) == 2
    assert all(found is not None for found in _lookups(store, blocks))
    assert _lookups(store, blocks) == _lookups(mirror, blocks)
    missing = _block(9, 1, salt=5)[0]
    assert store.block_by_hash(missing.hash) is None and store.tx(missing.tx_hashes[0]) is None
    assert store.receipt(missing.tx_hashes[0]) is None
    store.close()
    mirror.close()


def test_the_flush_commits_with_its_block_or_not_at_all() -> None:
    store = ChainStore(None)
    _write(store, 0, 2)
    _write(store, 1, 2)  # 6 pending: the next block flushes
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    _write(store, 2, 1)
    store._db.set_trace_callback(None)
    verbs = [s.split()[0] + (" " + s.split()[2] if s.startswith("INSERT") else "") for s in statements
             if not s.startswith("SELECT")]
    begin, commit = verbs.index("BEGIN"), verbs.index("COMMIT")
    assert begin < verbs.index("INSERT blocks") < verbs.index("INSERT tx_hashes") < commit
    assert begin < verbs.index("INSERT block_hashes") < verbs.index("UPDATE") < commit
    assert _through(store) == 2 and _indexed(store) == (5, 3) and not store._pending_txs
    store.close()


def test_a_flush_that_fails_takes_its_block_with_it(tmp_path: Path) -> None:
    store = ChainStore(tmp_path)
    first = _write(store, 0, 2)
    _write(store, 1, 2)
    # a pending hash written into the table behind the store's back: the flush's INSERT collides
    store._db.execute("INSERT INTO tx_hashes VALUES (?, 0, 0)", (first.tx_hashes[0],))
    pending = (dict(store._pending_txs), dict(store._pending_blocks))
    block, txs, receipts = _block(2, 1)
    with pytest.raises(sqlite3.IntegrityError, match="tx_hashes.hash"):
        store.write_block(block, txs, receipts, {"0xabi": "[]"})
    assert store.head() == 1 and store.txs_in_block(2) == [] and store.abi("0xabi") == ""
    assert _through(store) == -1 and _indexed(store) == (1, 0)
    assert (store._pending_txs, store._pending_blocks) == pending
    assert store.block_by_hash(block.hash) is None and store.tx(txs[0].hash) is None
    store.close()


def test_truncate_across_the_flush_point_drops_both_parts(tmp_path: Path) -> None:
    store = ChainStore(tmp_path)
    blocks = [_write(store, n, 2) for n in range(4)]
    assert _through(store) == 2 and len(store._pending_txs) == 2  # block 3 in memory
    store.truncate_after(1)
    assert _through(store) == 1 and _indexed(store) == (4, 2)  # blocks 0 and 1 stay indexed
    assert store._pending_blocks == {} and store._pending_txs == {}
    assert _lookups(store, blocks[2:]) == [None] * 10  # 2 blocks, 2 x (tx, receipt) each
    assert not _hash_table_writes(store, lambda: store.truncate_after(1))  # nothing left above 1 to scan for
    assert all(found is not None for found in _lookups(store, blocks[:2]))
    # the same hashes can be written again (they are gone), then everything answers, also reopened
    blocks[2:] = [_write(store, n, 2) for n in range(2, 4)]
    assert all(found is not None for found in _lookups(store, blocks))
    store.close()
    store = ChainStore(tmp_path)
    assert _through(store) == 1 and len(store._pending_blocks) == 2
    assert all(found is not None for found in _lookups(store, blocks))
    store.close()


def test_truncate_above_the_flush_point_keeps_the_tables(tmp_path: Path) -> None:
    store, mirror = ChainStore(tmp_path), MemoryStore()
    for s in (store, mirror):
        for n in range(8):
            _write(s, n, 2)  # flushes at blocks 2 and 5; 6 and 7 in memory
    assert _through(store) == 5 and _indexed(store) == (12, 6)
    blocks = [store.block(n) for n in range(8)]
    assert not _hash_table_writes(store, lambda: store.truncate_after(6))  # no scan of the hash tables
    mirror.truncate_after(6)
    assert _through(store) == 5 and _indexed(store) == (12, 6) and len(store._pending_blocks) == 1
    assert _lookups(store, blocks) == _lookups(mirror, blocks)  # type: ignore[arg-type]
    store.truncate_after(20)  # above the head: nothing changes
    assert _through(store) == 5 and store.head() == 6
    store.close()
    mirror.close()


def test_reopen_rebuilds_the_in_memory_part(tmp_path: Path) -> None:
    store = ChainStore(tmp_path)
    blocks = [_write(store, n, 2) for n in range(5)]
    pending = (dict(store._pending_txs), dict(store._pending_blocks))
    expected = _lookups(store, blocks)
    store.close()
    store = ChainStore(tmp_path)
    assert (store._pending_txs, store._pending_blocks) == pending and len(pending[1]) == 2 and _through(store) == 2
    assert _lookups(store, blocks) == expected
    block, txs, receipts = _block(5, 1, salt=1)
    with pytest.raises(sqlite3.IntegrityError, match="txs.hash"):  # a pending hash again, after the reopen
        store.write_block(block, store.txs_in_block(4)[:1], receipts, {})
    store.close()


def _other(block: ChainBlock, **changes: Any) -> ChainBlock:
    fields = {f: getattr(block, f) for f in ("number", "hash", "parent_hash", "timestamp", "txs_root",
                                              "receipts_root", "state_root", "gas_used", "tx_hashes")}
    return ChainBlock(**{**fields, **changes})


@pytest.mark.parametrize("where", ["pending", "indexed"])
def test_a_stored_hash_is_refused_wherever_it_is(where: str) -> None:
    store = ChainStore(None)
    for n in range(5):
        _write(store, n, 2)
    old = store.block(0 if where == "indexed" else 4)
    assert old is not None and (old.hash in store._pending_blocks) == (where == "pending")
    block, txs, receipts = _block(5, 2, salt=1)
    with pytest.raises(sqlite3.IntegrityError, match="txs.hash"):
        store.write_block(block, [txs[0], store.txs_in_block(old.number)[1]], receipts, {"0xabi": "[]"})
    with pytest.raises(sqlite3.IntegrityError, match="blocks.hash"):
        store.write_block(_other(block, hash=old.hash), txs, receipts, {})
    with pytest.raises(sqlite3.IntegrityError, match="txs.hash"):  # twice in one block
        store.write_block(block, [txs[0], txs[0]], receipts, {})
    with pytest.raises(sqlite3.IntegrityError, match="blocks.number"):
        store.write_block(_other(block, number=4, hash=_h(77)), txs, receipts, {})
    assert store.head() == 4 and store.abi("0xabi") == "" and store.counts() == (10, 0)
    store.write_block(block, txs, receipts, {})  # the block itself is fine
    assert store.head() == 5 and store.tx(txs[1].hash) is not None
    store.close()


def test_random_writes_and_truncations_answer_like_the_memory_store() -> None:
    """Many flushes and truncations on both sides of the flush point, compared after every step
    with MemoryStore over every hash ever written (truncated ones must be gone on both)."""
    rng = random.Random(5)
    store, mirror = ChainStore(None), MemoryStore()
    written: list[ChainBlock] = []
    head = -1
    flushes = crossings = 0
    for _ in range(150):
        if head > 0 and rng.random() < 0.15:
            head = rng.randrange(-1, head)
            crossings += head < _through(store)
            for s in (store, mirror):
                s.truncate_after(head)
        else:
            head += 1
            count, salt = rng.randrange(0, 4), rng.randrange(3)  # salt 0 rewrites hashes seen before
            before = _through(store)
            written.append(_write(store, head, count, salt=salt))
            _write(mirror, head, count, salt=salt)
            flushes += _through(store) != before
        assert store.head() == mirror.head()
        assert _lookups(store, written) == _lookups(mirror, written)
    assert flushes >= 10 and crossings >= 3  # not vacuous
    assert [store.receipts_in_block(n) for n in range(head + 1)] == [mirror.receipts_in_block(n)
                                                                     for n in range(head + 1)]
    store.close()
    mirror.close()


# ---------------------------------------------------------------- schema "1" data dirs
#: Schema "1" as it was written (fisco_drugtrace/devchain/storage.py before schema "2"): hash-keyed
#: ``txs``/``receipts``, ``blocks.hash UNIQUE``, ``logs_tx``; the oldest data dirs lack the last two.
V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blocks (
    number INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, parent_hash BLOB NOT NULL,
    timestamp INTEGER NOT NULL, txs_root BLOB NOT NULL, receipts_root BLOB NOT NULL,
    state_root BLOB NOT NULL, gas_used INTEGER NOT NULL, tx_count INTEGER NOT NULL);
CREATE TABLE txs (
    hash BLOB PRIMARY KEY, block_number INTEGER NOT NULL, idx INTEGER NOT NULL, raw BLOB NOT NULL,
    sender TEXT NOT NULL, to_addr TEXT NOT NULL, input BLOB NOT NULL, nonce TEXT NOT NULL,
    block_limit INTEGER NOT NULL, abi TEXT NOT NULL, import_time INTEGER NOT NULL);
CREATE UNIQUE INDEX txs_position ON txs (block_number, idx);
CREATE TABLE receipts (
    tx_hash BLOB PRIMARY KEY, block_number INTEGER NOT NULL, idx INTEGER NOT NULL,
    status INTEGER NOT NULL, output BLOB NOT NULL, gas_used INTEGER NOT NULL,
    contract_address TEXT NOT NULL, hash BLOB NOT NULL);
CREATE TABLE logs (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_index INTEGER NOT NULL,
    tx_hash BLOB NOT NULL, address TEXT NOT NULL, topics BLOB NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (block_number, log_index));
CREATE INDEX logs_tx ON logs (tx_hash);
CREATE TABLE abis (address TEXT PRIMARY KEY, abi TEXT NOT NULL);
"""
V1_LATER = """
CREATE INDEX IF NOT EXISTS receipts_block ON receipts (block_number, idx);
CREATE TABLE IF NOT EXISTS raw_digests (block_number INTEGER PRIMARY KEY, digest BLOB NOT NULL);
"""


def _rewrite_as_v1(path: Path, *, oldest: bool) -> None:
    """Replace a cleanly closed data dir's database by the same rows in schema "1"."""
    v1 = path / "v1.sqlite"
    db = sqlite3.connect(v1)
    db.executescript(V1_SCHEMA + ("" if oldest else V1_LATER))
    db.execute("ATTACH DATABASE ? AS cur", (str(path / DB_FILENAME),))
    for table in TABLES + (() if oldest else ("raw_digests",)):
        db.execute(f"INSERT INTO main.{table} SELECT * FROM cur.{table}")
    db.execute("UPDATE main.meta SET value = '1' WHERE key = 'schema'")
    db.commit()
    db.execute("DETACH DATABASE cur")
    db.close()
    assert not (path / (DB_FILENAME + "-wal")).exists()
    v1.replace(path / DB_FILENAME)


@pytest.mark.parametrize("oldest", [False, True], ids=["v1", "v1-before-digests"])
def test_a_schema_1_data_dir_is_migrated_in_place(tmp_path: Path, oldest: bool) -> None:
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        address = deploy3(chain)["contractAddress"]
        receipts = [send3(chain, tx3(chain, address, set_call(v)))["result"] for v in range(1, 12)]
        store = chain.chain.store
        blocks = list(store.iter_blocks())
        lookups = _lookups(store, blocks)
        head = chain.block_number
        assert 0 < _through(store) < head  # type: ignore[arg-type]  # under small flushes: both parts
    before = dump(tmp_path)
    _rewrite_as_v1(tmp_path, oldest=oldest)
    assert dump(tmp_path)["meta"] != before["meta"]  # schema "1" now
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert chain.block_number == head
        value = result(chain, "call", ["group0", "", address, "0x" + selector("value()").hex()])["output"]
        assert int(value, 16) == 11
        for receipt in receipts:
            assert result(chain, "getTransactionReceipt", ["group0", "", receipt["transactionHash"], False]) == receipt
        store = chain.chain.store
        assert _lookups(store, blocks) == lookups and store.meta()["schema"] == "2"
        assert _through(store) == head and _indexed(store) == (len(receipts) + 1, head + 1)  # type: ignore[arg-type]
        names = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master")}  # type: ignore[union-attr]
        assert "logs_tx" not in names and {"txs_v2", "receipts_v2", "blocks_v2"}.isdisjoint(names)
        assert {"receipts_block", "txs_position", "raw_digests"} <= names
        assert send3(chain, tx3(chain, address, set_call(99)))["result"]["blockNumber"] == head + 1
    after = dump(tmp_path)
    assert after["meta"] == before["meta"]  # back to "2"
    for table in TABLES[1:]:  # the same rows, plus the new block's
        assert set(before[table]) <= set(after[table]) and len(after[table]) - len(before[table]) <= 2
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert chain.block_number == head + 1
        assert chain.chain.store.raw_digest(1) is not None  # type: ignore[union-attr]


def _closed_chain(path: Path) -> None:
    with DevChain(DevChainConfig(data_dir=path)) as chain:
        deploy3(chain)


def test_an_unknown_schema_version_is_refused_unchanged(tmp_path: Path) -> None:
    _closed_chain(tmp_path)
    with sqlite3.connect(tmp_path / DB_FILENAME) as db:
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    db.close()
    before = dump(tmp_path)
    with pytest.raises(DataDirError, match="unknown schema version '3'"):
        ChainStore(tmp_path)
    with pytest.raises(DataDirError, match="unknown schema version '3'"):
        DevChain(DevChainConfig(data_dir=tmp_path))
    assert dump(tmp_path) == before


@pytest.mark.parametrize("table", ["tx_hashes", "block_hashes", "hash_index"])
def test_a_missing_hash_table_is_damage(tmp_path: Path, table: str) -> None:
    _closed_chain(tmp_path)
    with sqlite3.connect(tmp_path / DB_FILENAME) as db:
        db.execute(f"DROP TABLE {table}")
    db.close()
    with pytest.raises(DataDirError, match=f"damaged: missing table\\(s\\) {table}"):
        DevChain(DevChainConfig(data_dir=tmp_path))


def test_a_hash_index_without_its_one_row_is_damage(tmp_path: Path) -> None:
    _closed_chain(tmp_path)
    with sqlite3.connect(tmp_path / DB_FILENAME) as db:
        db.execute("INSERT INTO hash_index VALUES (0)")
    db.close()
    with pytest.raises(DataDirError, match="hash_index holds 2 rows"):
        DevChain(DevChainConfig(data_dir=tmp_path))
