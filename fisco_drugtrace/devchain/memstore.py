"""The dev chain's in-memory store: :class:`ChainStore`'s interface over plain lists and dicts.

Without a data dir nothing has to survive the process, so SQLite (even ``:memory:``) only costs
time: its ``write_block`` spends ~50 µs per transaction under the GIL building and inserting rows,
which caps the in-process chain's throughput. Here a block is kept as the records the chain hands
over (they are frozen dataclasses) and ``write_block`` is a few dict and list updates.

Every read answers what :class:`ChainStore` answers for the same writes (tests check this on
random data and on a live chain), given what :class:`~.chain.Chain` always writes:

* ``receipts[i]`` is the receipt of ``txs[i]`` (same hash, ``index == i``, the block's number,
  the transaction's sender and ``to``), ``block.tx_hashes`` lists ``txs`` in order;
* log topics are 32 bytes each and record fields are tuples (as :mod:`.records` documents).

The one documented difference: :meth:`MemoryStore.tx` and :meth:`MemoryStore.txs_in_block` give
back the very :class:`ChainTx` that was written, so ``decoded`` is kept when the codec had set it
(:class:`ChainStore` reads ``None`` there). Both are valid records: the codecs' ``redecode`` uses
``decoded`` when present and decodes ``raw`` otherwise, to the same transaction.
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .records import ChainBlock, ChainLog, ChainReceipt, ChainTx
from .storage import ChainStore

__all__ = ["MemoryStore", "open_store"]

#: ``(block number, log index in block, tx index, tx hash, log)``, as :meth:`ChainStore.logs`.
LogRow = tuple[int, int, int, bytes, ChainLog]
#: As :meth:`ChainStore.log_rows_hex`.
LogHexRow = tuple[int, int, int, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class _Stored:
    """One written block: the header and its transactions and receipts, in index order."""

    block: ChainBlock
    txs: tuple[ChainTx, ...]
    receipts: tuple[ChainReceipt, ...]


def open_store(data_dir: Path | None, *, fsync: bool = False) -> ChainStore | MemoryStore:
    """The chain's store: SQLite files in ``data_dir``, or :class:`MemoryStore` without one."""
    if data_dir is None:
        return MemoryStore()
    return ChainStore(data_dir, fsync=fsync)


class MemoryStore:
    """The chain's records in memory; every method is thread-safe (one lock), like :class:`ChainStore`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.fresh = True  # nothing to reopen: every start is a new chain
        self._closed = False
        self._meta: dict[str, str] = {}
        self._blocks: dict[int, _Stored] = {}
        self._numbers: list[int] = []  # sorted block numbers, for range reads
        self._by_hash: dict[bytes, int] = {}
        self._txs: dict[bytes, tuple[ChainTx, int, int]] = {}  # hash -> (tx, block number, index)
        self._abis: dict[str, str] = {}
        self._total = 0
        self._failed = 0

    @property
    def location(self) -> str:
        return ":memory:"

    def close(self) -> None:
        """Drop everything; later calls raise as :class:`ChainStore`'s closed database does."""
        with self._lock:
            self._closed = True
            self._meta.clear()
            self._abis.clear()
            self._blocks.clear()
            self._numbers.clear()
            self._by_hash.clear()
            self._txs.clear()

    def _open(self) -> None:
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")

    # ------------------------------------------------------------------ meta
    def meta(self) -> dict[str, str]:
        with self._lock:
            self._open()
            return dict(self._meta)

    def set_meta(self, values: Mapping[str, str]) -> None:
        with self._lock:
            self._open()
            self._meta.update(values)

    # ------------------------------------------------------------------ writes
    def write_block(
        self,
        block: ChainBlock,
        txs: Sequence[ChainTx],
        receipts: Sequence[ChainReceipt],
        abis: Mapping[str, str],
    ) -> None:
        """Keep one block with everything in it; all or nothing, like :meth:`ChainStore.write_block`."""
        stored = _Stored(block, tuple(txs), tuple(receipts))
        if len(stored.receipts) != len(stored.txs):
            raise ValueError(f"block {block.number}: {len(stored.txs)} txs but {len(stored.receipts)} receipts")
        number = block.number
        entries = {t.hash: (t, number, i) for i, t in enumerate(stored.txs)}
        failed = sum(1 for r in stored.receipts if r.status != 0)
        with self._lock:
            self._open()
            self._check_unique(block, stored.txs, entries)
            self._blocks[number] = stored
            self._by_hash[block.hash] = number
            if not self._numbers or number > self._numbers[-1]:
                self._numbers.append(number)  # the chain's case: blocks come in order
            else:
                bisect.insort(self._numbers, number)
            self._txs.update(entries)
            self._abis.update(abis)
            self._total += len(stored.receipts)
            self._failed += failed

    def truncate_after(self, number: int) -> None:
        """Forget every block above ``number`` (a dev chain revert), as :meth:`ChainStore.truncate_after`."""
        with self._lock:
            self._open()
            while self._numbers and self._numbers[-1] > number:
                stored = self._blocks.pop(self._numbers.pop())
                self._by_hash.pop(stored.block.hash, None)
                for tx in stored.txs:
                    self._txs.pop(tx.hash, None)
                for receipt in stored.receipts:
                    if receipt.contract_address:
                        self._abis.pop(receipt.contract_address, None)
                self._total -= len(stored.receipts)
                self._failed -= sum(1 for r in stored.receipts if r.status != 0)

    def _check_unique(self, block: ChainBlock, txs: tuple[ChainTx, ...], entries: Mapping[bytes, object]) -> None:
        """The checks SQLite's keys make, before anything changes (same exception type)."""
        if block.number in self._blocks:
            raise sqlite3.IntegrityError("UNIQUE constraint failed: blocks.number")
        if block.hash in self._by_hash:
            raise sqlite3.IntegrityError("UNIQUE constraint failed: blocks.hash")
        if len(entries) != len(txs) or not self._txs.keys().isdisjoint(entries):
            raise sqlite3.IntegrityError("UNIQUE constraint failed: txs.hash")

    # ------------------------------------------------------------------ reads
    def head(self) -> int:
        """Highest block number, -1 when there is no block at all."""
        with self._lock:
            self._open()
            return self._numbers[-1] if self._numbers else -1

    def block(self, number: int) -> ChainBlock | None:
        with self._lock:
            self._open()
            stored = self._blocks.get(number)
        return stored.block if stored is not None else None

    def block_by_hash(self, block_hash: bytes) -> ChainBlock | None:
        with self._lock:
            self._open()
            number = self._by_hash.get(block_hash)
            return self._blocks[number].block if number is not None else None

    #: Blocks from ``start`` upward, in order, up to the first gap: the same walk over :meth:`block`.
    iter_blocks = ChainStore.iter_blocks

    def tx(self, tx_hash: bytes) -> tuple[ChainTx, int, int] | None:
        """The transaction with its block number and index, or ``None``."""
        with self._lock:
            self._open()
            return self._txs.get(tx_hash)

    def txs_in_block(self, number: int) -> list[ChainTx]:
        with self._lock:
            self._open()
            stored = self._blocks.get(number)
        return list(stored.txs) if stored is not None else []

    def receipt(self, tx_hash: bytes) -> ChainReceipt | None:
        with self._lock:
            self._open()
            found = self._txs.get(tx_hash)
            return self._blocks[found[1]].receipts[found[2]] if found is not None else None

    def receipts_in_block(self, number: int) -> list[ChainReceipt]:
        with self._lock:
            self._open()
            stored = self._blocks.get(number)
        return list(stored.receipts) if stored is not None else []

    def _in_range(self, from_block: int, to_block: int) -> list[_Stored]:
        """Stored blocks with ``from_block <= number <= to_block`` (SQL ``BETWEEN``), in order."""
        numbers = self._numbers
        low = bisect.bisect_left(numbers, from_block)
        high = bisect.bisect_right(numbers, to_block)
        return [self._blocks[n] for n in numbers[low:high]]

    def logs(self, from_block: int, to_block: int) -> list[LogRow]:
        """(block number, log index in block, tx index, tx hash, log) for blocks in the range."""
        with self._lock:
            self._open()
            blocks = self._in_range(from_block, to_block)
        out: list[LogRow] = []
        for stored in blocks:
            number = stored.block.number
            log_index = 0
            for r in stored.receipts:
                for log in r.logs:
                    out.append((number, log_index, r.index, r.tx_hash, log))
                    log_index += 1
        return out

    def log_rows_hex(self, from_block: int, to_block: int, addresses: Sequence[str] = ()) -> list[LogHexRow]:
        """Logs of blocks in the range as ready-made JSON text pieces, exactly as
        :meth:`ChainStore.log_rows_hex` gives them: ``(block number, log index, tx index, 0x tx hash,
        address, topics hex without 0x, 0x data, 0x block hash)``; ``addresses``, when given, keeps
        only those emitters (compared as given, like SQL ``IN``)."""
        wanted = frozenset(addresses)
        with self._lock:
            self._open()
            blocks = self._in_range(from_block, to_block)
        out: list[LogHexRow] = []
        for stored in blocks:
            number = stored.block.number
            block_hash = "0x" + stored.block.hash.hex()
            log_index = 0
            for r in stored.receipts:
                tx_hash: str | None = None  # hex-encoded once per transaction, and only if a log is kept
                for log in r.logs:
                    if not wanted or log.address in wanted:
                        if tx_hash is None:
                            tx_hash = "0x" + r.tx_hash.hex()
                        out.append((number, log_index, r.index, tx_hash, log.address,
                                    b"".join(log.topics).hex(), "0x" + log.data.hex(), block_hash))
                    log_index += 1
        return out

    def abi(self, address: str) -> str:
        with self._lock:
            self._open()
            return self._abis.get(address, "")

    def nonces_since(self, first_block: int) -> list[tuple[int, str]]:
        """(block number, nonce) of every committed transaction from ``first_block`` on."""
        with self._lock:
            self._open()
            blocks = self._in_range(first_block, self._numbers[-1]) if self._numbers else []
        return [(s.block.number, t.nonce) for s in blocks for t in s.txs]

    def counts(self) -> tuple[int, int]:
        """(committed transactions, failed ones)."""
        with self._lock:
            self._open()
            return self._total, self._failed
