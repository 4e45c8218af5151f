"""The two chain stores answer alike: SQLite's :class:`ChainStore` and the in-memory
:class:`MemoryStore` (used without a data dir). Each behaviour runs against both; a property test
writes random blocks into both and compares every read; a live chain's writes are mirrored into a
:class:`MemoryStore` and read back from both."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import given, settings, strategies as st

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain.memstore import MemoryStore, open_store
from fisco_drugtrace.devchain.records import ChainBlock, ChainLog, ChainReceipt, ChainTx
from fisco_drugtrace.devchain.storage import ChainStore

from devchain_helpers import deploy3, send3, set_call, tx3

Store = ChainStore | MemoryStore
ADDRESSES = ("0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20)


def _h(*parts: int) -> bytes:
    """A distinct 32-byte hash per tuple of small numbers."""
    return b"".join(p.to_bytes(4, "big", signed=True) for p in parts).rjust(32, b"\x01")


def _tx(number: int, i: int, **kw: Any) -> ChainTx:
    fields: dict[str, Any] = dict(hash=_h(1, number, i), raw=bytes([i]) * 3, sender=ADDRESSES[i % 3],
                                  to=ADDRESSES[(i + 1) % 3], input=b"\x12\x34", nonce=f"n{number}.{i}",
                                  block_limit=number + 500, abi="", import_time=1000 + i)
    fields.update(kw)
    return ChainTx(**fields)


def _write(store: Store, number: int, logs_per_tx: list[list[ChainLog]], *, status: int = 0,
           abis: dict[str, str] | None = None) -> ChainBlock:
    """Block ``number`` with one transaction per entry of ``logs_per_tx``, carrying those logs."""
    txs = [_tx(number, i) for i in range(len(logs_per_tx))]
    receipts = [ChainReceipt(t.hash, number, i, status if i == 0 else 0, b"out", 21000 + i, tuple(logs), "",
                             t.sender, t.to, _h(2, number, i))
                for i, (t, logs) in enumerate(zip(txs, logs_per_tx))]
    block = ChainBlock(number, _h(3, number), _h(3, number - 1), 5000 + number, _h(4, number), _h(5, number),
                       _h(6, number), sum(r.gas_used for r in receipts), tuple(t.hash for t in txs))
    store.write_block(block, txs, receipts, abis or {})
    return block


def _log(address: int, *topics: int, data: bytes = b"\x00\xff") -> ChainLog:
    return ChainLog(ADDRESSES[address], tuple(_h(9, t) for t in topics), data)


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    made: Store = ChainStore(None) if request.param == "sqlite" else MemoryStore()
    yield made
    made.close()


def test_open_store_picks_memory_without_a_data_dir(tmp_path: Path) -> None:
    memory = open_store(None, fsync=False)
    on_disk = open_store(tmp_path, fsync=True)
    try:
        assert isinstance(memory, MemoryStore) and memory.location == ":memory:" and memory.fresh
        assert isinstance(on_disk, ChainStore) and on_disk.location == str(tmp_path) and on_disk.fresh
    finally:
        memory.close()
        on_disk.close()


def test_empty_store(store: Store) -> None:
    assert store.fresh and store.location == ":memory:"
    assert store.head() == -1 and store.block(0) is None and store.block_by_hash(_h(3, 0)) is None
    assert list(store.iter_blocks()) == [] and store.tx(_h(1, 0, 0)) is None and store.receipt(_h(1, 0, 0)) is None
    assert store.txs_in_block(0) == [] and store.receipts_in_block(0) == []
    assert store.logs(0, 10) == [] and store.log_rows_hex(0, 10) == []
    assert store.meta() == {} and store.abi(ADDRESSES[0]) == "" and store.nonces_since(0) == []
    assert store.counts() == (0, 0)


def test_meta_is_replaced_per_key_and_copied(store: Store) -> None:
    store.set_meta({"a": "1", "b": "2"})
    store.set_meta({"b": "3"})
    got = store.meta()
    got["a"] = "changed"
    assert store.meta() == {"a": "1", "b": "3"}


def test_written_block_reads_back(store: Store) -> None:
    genesis = _write(store, 0, [])
    block = _write(store, 1, [[_log(0, 1)], []], status=16, abis={ADDRESSES[1]: "[abi]"})
    assert store.head() == 1 and store.block(0) == genesis and store.block(1) == block
    assert store.block_by_hash(block.hash) == block and list(store.iter_blocks()) == [genesis, block]
    assert list(store.iter_blocks(1)) == [block]
    first = store.tx(block.tx_hashes[0])
    assert first is not None and first[1:] == (1, 0) and first[0] == _tx(1, 0)
    assert store.txs_in_block(1) == [_tx(1, 0), _tx(1, 1)]
    receipt = store.receipt(block.tx_hashes[0])
    assert receipt is not None and receipt.status == 16 and receipt.logs == (_log(0, 1),)
    assert store.receipts_in_block(1) == [receipt, store.receipt(block.tx_hashes[1])]
    assert store.abi(ADDRESSES[1]) == "[abi]" and store.counts() == (2, 1)
    assert store.nonces_since(1) == [(1, "n1.0"), (1, "n1.1")] and store.nonces_since(2) == []


def test_iteration_stops_at_the_first_gap(store: Store) -> None:
    for number in (0, 1, 3):
        _write(store, number, [[]])
    assert [b.number for b in store.iter_blocks()] == [0, 1] and store.head() == 3
    assert [n for n, _ in store.nonces_since(1)] == [1, 3]


def test_logs_ranges_are_inclusive_and_ordered(store: Store) -> None:
    for number in range(4):
        _write(store, number, [[_log(0, number), _log(1)], [], [_log(2, 7, 8, data=b"")]])
    rows = store.logs(1, 2)
    assert [(b, li, ti) for b, li, ti, _, _ in rows] == [(1, 0, 0), (1, 1, 0), (1, 2, 2),
                                                         (2, 0, 0), (2, 1, 0), (2, 2, 2)]
    assert rows[2][3] == _h(1, 1, 2) and rows[2][4] == _log(2, 7, 8, data=b"")
    assert store.logs(2, 1) == [] and len(store.logs(-5, 10**12)) == 12


def test_log_rows_hex_formats_and_filters(store: Store) -> None:
    _write(store, 0, [])
    block = _write(store, 1, [[_log(0, 1)], [_log(1, 2, 3, data=b""), _log(0)]])
    rows = store.log_rows_hex(0, 1)
    assert rows[1] == (1, 1, 1, "0x" + _h(1, 1, 1).hex(), ADDRESSES[1], _h(9, 2).hex() + _h(9, 3).hex(), "0x",
                       "0x" + block.hash.hex())
    assert rows[2][5] == "" and rows[0][6] == "0x00ff"
    assert [r[1] for r in store.log_rows_hex(0, 1, [ADDRESSES[0]])] == [0, 2]
    assert store.log_rows_hex(0, 1, [ADDRESSES[0].upper()]) == []  # callers pass lower-case; compared as given
    assert [r[1] for r in store.log_rows_hex(1, 1, ADDRESSES)] == [0, 1, 2]


def test_a_block_number_or_hash_is_written_once(store: Store) -> None:
    block = _write(store, 0, [[]])
    with pytest.raises(sqlite3.IntegrityError):
        _write(store, 0, [[]])
    with pytest.raises(sqlite3.IntegrityError):  # same transaction hash again, in another block
        store.write_block(replace(block, number=1, hash=_h(7)), [_tx(0, 0)],
                          store.receipts_in_block(0), {"x": "y"})
    assert store.head() == 0 and store.block(1) is None and store.abi("x") == "" and store.counts() == (1, 0)


def test_a_closed_store_refuses_work(store: Store) -> None:
    _write(store, 0, [])
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        store.head()
    with pytest.raises(sqlite3.ProgrammingError):
        _write(store, 1, [])
    store.close = lambda: None  # type: ignore[method-assign]  # the fixture's second close


# ---------------------------------------------------------------- both stores on the same writes
def _every_read(store: Store, hashes: list[bytes], block_hashes: list[bytes], top: int) -> dict[str, Any]:
    """Everything a caller can ask, over the given keys and ranges (``decoded`` left out: see memstore)."""
    def plain(found: tuple[ChainTx, int, int] | None) -> Any:
        return None if found is None else (replace(found[0], decoded=None), found[1], found[2])

    ranges = [(a, b) for a in range(-1, top + 2) for b in range(a - 1, top + 2)]
    addresses = [(), ADDRESSES[:1], ADDRESSES[1:], ("0xnobody",)]
    return {
        "head": store.head(), "meta": store.meta(), "counts": store.counts(),
        "blocks": [store.block(n) for n in range(-1, top + 2)],
        "by_hash": [store.block_by_hash(h) for h in block_hashes],
        "iter": [list(store.iter_blocks(n)) for n in range(0, top + 2)],
        "tx": [plain(store.tx(h)) for h in hashes],
        "txs_in_block": [[replace(t, decoded=None) for t in store.txs_in_block(n)] for n in range(-1, top + 2)],
        "receipt": [store.receipt(h) for h in hashes],
        "receipts_in_block": [store.receipts_in_block(n) for n in range(-1, top + 2)],
        "logs": [store.logs(a, b) for a, b in ranges],
        "log_rows_hex": [store.log_rows_hex(a, b, list(addr)) for a, b in ranges for addr in addresses],
        "abi": [store.abi(a) for a in (*ADDRESSES, "0xnobody")],
        "nonces": [store.nonces_since(n) for n in range(-1, top + 2)],
    }


_topic = st.binary(min_size=32, max_size=32)
_log_st = st.builds(ChainLog, st.sampled_from(ADDRESSES), st.lists(_topic, max_size=4).map(tuple),
                    st.binary(max_size=40))
_tx_plan = st.tuples(st.lists(_log_st, max_size=3), st.integers(0, 3), st.booleans())  # logs, status, deploys
_block_plan = st.tuples(st.lists(_tx_plan, max_size=4), st.integers(0, 2))  # txs, gap before this block


@settings(max_examples=60, deadline=None)
@given(plan=st.lists(_block_plan, min_size=1, max_size=6), meta=st.dictionaries(st.text(max_size=3),
                                                                                   st.text(max_size=3)))
def test_random_writes_read_back_identically(plan: list[tuple[list[tuple[list[ChainLog], int, bool]], int]],
                                              meta: dict[str, str]) -> None:
    stores: list[Store] = [ChainStore(None), MemoryStore()]
    hashes: list[bytes] = [_h(1, 999, 0)]  # plus one never written
    block_hashes: list[bytes] = [_h(3, 999)]
    number = -1
    try:
        for txs_plan, gap in plan:
            number += 1 + gap
            txs = [_tx(number, i, abi=f"abi{i}" if deploys else "", decoded=("codec record", i))
                   for i, (_, _, deploys) in enumerate(txs_plan)]
            receipts = [ChainReceipt(t.hash, number, i, status, bytes([i]), 100 + i, tuple(logs),
                                     ADDRESSES[i % 3] if deploys else "", t.sender, t.to, _h(2, number, i))
                        for i, (t, (logs, status, deploys)) in enumerate(zip(txs, txs_plan))]
            abis = {r.contract_address: t.abi for t, r in zip(txs, receipts) if r.contract_address}
            block = ChainBlock(number, _h(3, number), _h(3, number - 1), number, _h(4, number), _h(5, number),
                               _h(6, number), len(txs), tuple(t.hash for t in txs))
            hashes += block.tx_hashes
            block_hashes.append(block.hash)
            for store in stores:
                store.write_block(block, txs, receipts, abis)
        for store in stores:
            store.set_meta(meta)
        sqlite_reads, memory_reads = (_every_read(s, hashes, block_hashes, number) for s in stores)
        assert memory_reads == sqlite_reads
    finally:
        for store in stores:
            store.close()


def test_memory_store_keeps_the_codec_record() -> None:
    """The one documented difference: ChainStore reads ``decoded`` back as None, MemoryStore keeps it."""
    stores: list[Store] = [ChainStore(None), MemoryStore()]
    tx = _tx(0, 0, decoded=("codec record",))
    receipt = ChainReceipt(tx.hash, 0, 0, 0, b"", 1, (), "", tx.sender, tx.to)
    block = ChainBlock(0, _h(3, 0), _h(3, -1), 0, _h(4), _h(5), _h(6), 1, (tx.hash,))
    for store in stores:
        store.write_block(block, [tx], [receipt], {})
    assert [s.tx(tx.hash)[0].decoded for s in stores] == [None, ("codec record",)]  # type: ignore[index]
    for store in stores:
        store.close()


# ---------------------------------------------------------------- a live chain's writes
def test_a_live_chains_writes_read_back_identically(tmp_path: Path) -> None:
    """What the chain really writes (EVM logs, deployments, failures) reads back alike from a
    MemoryStore fed the same write_block calls as the chain's SQLite store."""
    mirror = MemoryStore()
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        sqlite = chain.chain.store
        assert isinstance(sqlite, ChainStore)
        mirror.set_meta(sqlite.meta())
        for block in sqlite.iter_blocks():  # genesis, written before the mirror existed
            mirror.write_block(block, sqlite.txs_in_block(block.number), sqlite.receipts_in_block(block.number), {})
        write = sqlite.write_block

        def both(*args: Any) -> None:
            write(*args)
            mirror.write_block(*args)

        sqlite.write_block = both  # type: ignore[method-assign]
        address = deploy3(chain, abi='[{"type":"constructor"}]')["contractAddress"]
        for value in (5, 10**7, 9):
            send3(chain, tx3(chain, address, set_call(value)))
        send3(chain, tx3(chain, address, b"\xde\xad\xbe\xef"))  # an unknown selector: a failed receipt
        top = sqlite.head()
        hashes = [h for b in sqlite.iter_blocks() for h in b.tx_hashes]
        block_hashes = [b.hash for b in sqlite.iter_blocks()]
        assert top >= 5 and mirror.counts()[1] >= 1 and len(sqlite.logs(0, top)) >= 2
        assert _every_read(mirror, hashes, block_hashes, top) == _every_read(sqlite, hashes, block_hashes, top)
        assert mirror.abi(address) == sqlite.abi(address)
    mirror.close()
