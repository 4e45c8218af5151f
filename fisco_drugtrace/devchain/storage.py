"""SQLite persistence for blocks, transactions, receipts and logs.

Durability model: a block is written in ONE SQLite transaction (WAL; ``synchronous=NORMAL``, or
``FULL`` with ``fsync=True``) before any of its receipts is returned to a client, so ``kill -9``
never loses an answered transaction. WAL checkpoints run in a background thread.
The EVM state itself is not stored: on start it is rebuilt by re-executing the stored
transactions with their stored block environment (see :mod:`.chain`). Without a data dir the same
schema lives in an in-memory SQLite database (the chain itself uses :class:`~.memstore.MemoryStore` then).

A data dir is never reused silently: a file that is not SQLite, a missing table, a failed
``quick_check``, the identity of another chain (dialect, chain id, group id, genesis), or a chain
shorter than the head recorded outside the database (:mod:`.headmark`: truncated file, deleted or
damaged WAL) raises :class:`DataDirError`.

The WAL stays bounded under continuous load: a passive checkpoint never catches up with a writer
that commits without pause (the next commit overtakes it, so the WAL never restarts from its
beginning), so once the WAL file passes :data:`WAL_LIMIT` the writer itself runs a ``TRUNCATE``
checkpoint on its own connection, between two blocks (SQLite: https://www.sqlite.org/wal.html,
"Avoiding Excessively Large WAL Files"). A checkpoint copies committed pages and fsyncs the
database before it resets the WAL, so durability is unchanged.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from fisco_drugtrace.errors import DataDirError

from .headmark import HeadMark, HeadRecord
from .records import ChainBlock, ChainLog, ChainReceipt, ChainTx

__all__ = ["ChainStore", "DB_FILENAME", "SCHEMA_VERSION", "WAL_LIMIT", "raw_digest"]

DB_FILENAME = "chain.sqlite"
SCHEMA_VERSION = "1"

_SCHEMA = """
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
#: Indexes added after the first schema: created on open when missing (a migration that needs no
#: version bump; an older build ignores them). Replay reads every block's receipts by number.
_INDEXES = """
CREATE INDEX IF NOT EXISTS receipts_block ON receipts (block_number, idx);
CREATE TABLE IF NOT EXISTS raw_digests (block_number INTEGER PRIMARY KEY, digest BLOB NOT NULL);
"""
#: WAL size (bytes) past which the writer truncates the WAL between two blocks.
WAL_LIMIT = 16 * 1024 * 1024
_TABLES = ("meta", "blocks", "txs", "receipts", "logs", "abis")


def raw_digest(txs: Sequence[ChainTx]) -> bytes:
    """Digest of a block's stored transactions, in order (``raw_digests``): the signed bytes and
    every column stored beside them (sender, to, input, nonce, blockLimit, abi, import time).

    The transaction hash covers the signed fields but not the signature, and the columns replay
    executes are not re-derived from the bytes; this digest, taken when the block is written
    (from what admission decoded and checked), detects damage to any of them at start without
    recovering every sender. An integrity check against damage, not against deliberate tampering.
    """
    h = hashlib.blake2b(digest_size=16)
    for t in txs:
        text = "\x00".join((t.sender, t.to, t.nonce, t.abi, str(t.block_limit), str(t.import_time))).encode()
        for part in (t.raw, t.input, text):
            h.update(len(part).to_bytes(4, "big"))
            h.update(part)
    return h.digest()


def _split_topics(blob: bytes) -> tuple[bytes, ...]:
    return tuple(blob[i : i + 32] for i in range(0, len(blob), 32))


class _Checkpointer:
    """Runs passive WAL checkpoints on its own connection and thread, every ~:attr:`ROWS` written rows.

    A passive checkpoint never blocks the writer; durability is unchanged (a committed block is in
    the WAL, which a restart replays; the checkpoint's fsync only bounds the WAL's size).
    """

    ROWS = 2000

    def __init__(self, path: Path, fsync: bool) -> None:
        #: held while a checkpoint runs; the writer's own TRUNCATE checkpoint takes it too, so it
        #: waits for a passive one to finish instead of finding the checkpoint lock busy
        self.running = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._rows = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="devchain-checkpoint", daemon=True)
        self._thread.start()

    def wrote(self, rows: int) -> None:
        self._rows += rows
        if self._rows >= self.ROWS:
            self._rows = 0
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                with self.running:
                    self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:  # busy or closing: the next round (or the final close) catches up
                pass

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)
        self._db.close()


class ChainStore:
    """The chain's database; every method is thread-safe (one connection, one lock).

    :param data_dir: directory for ``chain.sqlite``; ``None`` keeps everything in memory.
    """

    def __init__(self, data_dir: Path | None, *, fsync: bool = False) -> None:
        self._lock = threading.RLock()
        self._where = str(data_dir) if data_dir is not None else ":memory:"
        self._checkpointer: _Checkpointer | None = None
        self._mark: HeadMark | None = None
        self._wal_path = ""
        if data_dir is None:
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA + _INDEXES)
            self.fresh = True
            return
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / DB_FILENAME
        self._wal_path = str(path) + "-wal"
        mark = HeadMark(data_dir, fsync=fsync)
        recorded = mark.read()
        existed = path.exists() and path.stat().st_size > 0
        if not existed and recorded is not None:
            state = "empty" if path.exists() else "missing"
            raise DataDirError(self._where, f"{DB_FILENAME} is {state} but this data dir held blocks up to "
                                            f"{recorded.number} ({mark.path.name}); remove the data dir to start "
                                            "a new chain")
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
                self._db.execute("PRAGMA busy_timeout=10000")  # the writer's own checkpoint waits for a passive one
                if existed:
                    self._check_tables()
                    self._db.executescript(_INDEXES)
                    self._check_head(recorded, mark)
                else:
                    self._db.executescript(_SCHEMA + _INDEXES)
                # Checkpoints (copying the WAL into the database, with an fsync) run in a background
                # thread, not inside the commit of whichever block crosses the WAL threshold.
                self._db.execute("PRAGMA wal_autocheckpoint=0")
            except BaseException:
                self._db.close()
                raise
        except (sqlite3.Error, OverflowError, ValueError) as exc:
            raise DataDirError(self._where, f"{DB_FILENAME} is not a readable SQLite database "
                                            f"({type(exc).__name__}: {exc})") from exc
        self.fresh = not existed
        self._mark = mark
        self._checkpointer = _Checkpointer(path, fsync)

    def _check_tables(self) -> None:
        names = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = [t for t in _TABLES if t not in names]
        if missing:
            raise DataDirError(self._where, f"damaged: missing table(s) {', '.join(missing)}")
        verdict = [row[0] for row in self._db.execute("PRAGMA quick_check(20)")]
        if verdict != ["ok"]:
            raise DataDirError(self._where, f"damaged: SQLite quick_check reports {'; '.join(map(str, verdict))}")

    def _check_head(self, recorded: HeadRecord | None, mark: HeadMark) -> None:
        """The database holds at least the head recorded outside it (and the same block there)."""
        row = self._db.execute("SELECT MAX(number) FROM blocks").fetchone()
        stored = -1 if row[0] is None else int(row[0])
        if recorded is None:  # a data dir written before HEAD existed: record what is there
            if stored >= 0:
                found = self._db.execute("SELECT hash FROM blocks WHERE number = ?", (stored,)).fetchone()
                mark.write(stored, bytes(found[0]))
            return
        if stored < recorded.number:
            raise DataDirError(self._where, f"damaged: the database ends at block {stored} but block "
                                            f"{recorded.number} was committed ({mark.path.name}); a truncated "
                                            "database or a deleted or damaged WAL lost blocks")
        found = self._db.execute("SELECT hash FROM blocks WHERE number = ?", (recorded.number,)).fetchone()
        if found is None or bytes(found[0]) != recorded.hash:
            raise DataDirError(self._where, f"damaged: block {recorded.number} is not the block that was committed")

    @property
    def location(self) -> str:
        return self._where

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._lock:
            self._db.close()  # the last connection to close checkpoints what is left
            if self._mark is not None:
                self._mark.close()

    def wal_size(self) -> int:
        """The WAL file's size in bytes (0 without one)."""
        try:
            return os.stat(self._wal_path).st_size if self._wal_path else 0
        except FileNotFoundError:
            return 0

    # ------------------------------------------------------------------ meta
    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, values: Mapping[str, str]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items()))
            self._db.execute("COMMIT")

    # ------------------------------------------------------------------ writes
    def write_block(
        self,
        block: ChainBlock,
        txs: Sequence[ChainTx],
        receipts: Sequence[ChainReceipt],
        abis: Mapping[str, str],
    ) -> None:
        """Write one block with everything in it, atomically and durably."""
        tx_rows = [
            (t.hash, block.number, i, t.raw, t.sender, t.to, t.input, t.nonce, t.block_limit, t.abi, t.import_time)
            for i, t in enumerate(txs)
        ]
        receipt_rows = [
            (r.tx_hash, r.block_number, r.index, r.status, r.output, r.gas_used, r.contract_address, r.hash)
            for r in receipts
        ]
        log_rows = []
        log_index = 0
        for r in receipts:
            for log in r.logs:
                log_rows.append((block.number, log_index, r.index, r.tx_hash, log.address, b"".join(log.topics), log.data))
                log_index += 1
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                db.execute(
                    "INSERT INTO blocks VALUES (?,?,?,?,?,?,?,?,?)",
                    (block.number, block.hash, block.parent_hash, block.timestamp, block.txs_root,
                     block.receipts_root, block.state_root, block.gas_used, len(txs)),
                )
                if tx_rows:
                    db.executemany("INSERT INTO txs VALUES (?,?,?,?,?,?,?,?,?,?,?)", tx_rows)
                    db.execute("INSERT INTO raw_digests VALUES (?, ?)", (block.number, raw_digest(txs)))
                    db.executemany("INSERT INTO receipts VALUES (?,?,?,?,?,?,?,?)", receipt_rows)
                if log_rows:
                    db.executemany("INSERT INTO logs VALUES (?,?,?,?,?,?,?)", log_rows)
                if abis:
                    db.executemany("INSERT OR REPLACE INTO abis VALUES (?, ?)", list(abis.items()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if self._mark is not None:
                self._mark.write(block.number, block.hash)
                if self.wal_size() > WAL_LIMIT and self._checkpointer is not None:
                    # between two blocks, on the writer's connection: nothing can overtake it
                    with self._checkpointer.running:
                        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        if self._checkpointer is not None:
            self._checkpointer.wrote(1 + len(tx_rows) + len(receipt_rows) + len(log_rows))

    def truncate_after(self, number: int) -> None:
        """Delete every block above ``number`` with its transactions, receipts, logs and the ABIs
        of contracts they deployed, in one SQLite transaction (a dev chain revert).

        The head record (:mod:`.headmark`) is lowered to ``number`` first: a crash in between
        leaves it below the database's head (a valid lower bound), never above."""
        with self._lock:
            db = self._db
            if self._mark is not None:
                kept = db.execute("SELECT hash FROM blocks WHERE number = ?", (number,)).fetchone()
                if kept is not None:
                    self._mark.write(number, bytes(kept[0]))
            db.execute("BEGIN")
            try:
                db.execute("DELETE FROM abis WHERE address IN (SELECT contract_address FROM receipts "
                           "WHERE block_number > ? AND contract_address != '')", (number,))
                for table in ("logs", "receipts", "txs", "raw_digests", "blocks"):
                    column = "number" if table == "blocks" else "block_number"
                    db.execute(f"DELETE FROM {table} WHERE {column} > ?", (number,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------------ reads
    def head(self) -> int:
        """Highest block number, -1 when there is no block at all."""
        with self._lock:
            row = self._db.execute("SELECT MAX(number) FROM blocks").fetchone()
        return -1 if row[0] is None else int(row[0])

    def block(self, number: int) -> ChainBlock | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM blocks WHERE number = ?", (number,)).fetchone()
            return self._block_from(row) if row else None

    def block_by_hash(self, block_hash: bytes) -> ChainBlock | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM blocks WHERE hash = ?", (block_hash,)).fetchone()
            return self._block_from(row) if row else None

    def _block_from(self, row: tuple) -> ChainBlock:
        hashes = tuple(
            r[0] for r in self._db.execute("SELECT hash FROM txs WHERE block_number = ? ORDER BY idx", (row[0],))
        )
        if len(hashes) != row[8]:
            raise DataDirError(self._where, f"damaged: block {row[0]} lists {row[8]} txs, {len(hashes)} stored")
        return ChainBlock(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], hashes)

    def iter_blocks(self, start: int = 0) -> Iterator[ChainBlock]:
        """Blocks from ``start`` upward, in order (for verification and replay)."""
        number = start
        while True:
            block = self.block(number)
            if block is None:
                return
            yield block
            number += 1

    def tx(self, tx_hash: bytes) -> tuple[ChainTx, int, int] | None:
        """The transaction with its block number and index, or ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT hash, raw, sender, to_addr, input, nonce, block_limit, abi, import_time, block_number, idx "
                "FROM txs WHERE hash = ?", (tx_hash,)).fetchone()
        if row is None:
            return None
        return ChainTx(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]), row[9], row[10]

    def txs_in_block(self, number: int) -> list[ChainTx]:
        with self._lock:
            rows = self._db.execute(
                "SELECT hash, raw, sender, to_addr, input, nonce, block_limit, abi, import_time "
                "FROM txs WHERE block_number = ? ORDER BY idx", (number,)).fetchall()
        return [ChainTx(*row) for row in rows]

    def receipt(self, tx_hash: bytes) -> ChainReceipt | None:
        with self._lock:
            row = self._db.execute(
                "SELECT r.tx_hash, r.block_number, r.idx, r.status, r.output, r.gas_used, r.contract_address, "
                "r.hash, t.sender, t.to_addr FROM receipts r JOIN txs t ON t.hash = r.tx_hash WHERE r.tx_hash = ?",
                (tx_hash,)).fetchone()
            if row is None:
                return None
            logs = tuple(
                ChainLog(a, _split_topics(t), d)
                for a, t, d in self._db.execute(
                    "SELECT address, topics, data FROM logs WHERE tx_hash = ? ORDER BY block_number, log_index",
                    (tx_hash,))
            )
        return ChainReceipt(row[0], row[1], row[2], row[3], row[4], row[5], logs, row[6], row[8], row[9], row[7])

    def receipts_in_block(self, number: int) -> list[ChainReceipt]:
        """The block's receipts in index order: two indexed queries per block (replay reads every
        block's receipts, so this is linear in history, not blocks x transactions)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.tx_hash, r.block_number, r.idx, r.status, r.output, r.gas_used, r.contract_address, "
                "r.hash, t.sender, t.to_addr FROM receipts r JOIN txs t ON t.hash = r.tx_hash "
                "WHERE r.block_number = ? ORDER BY r.idx", (number,)).fetchall()
            log_rows = self._db.execute(
                "SELECT tx_hash, address, topics, data FROM logs WHERE block_number = ? ORDER BY log_index",
                (number,)).fetchall() if rows else []
        logs: dict[bytes, list[ChainLog]] = {}
        for tx_hash, address, topics, data in log_rows:
            logs.setdefault(tx_hash, []).append(ChainLog(address, _split_topics(topics), data))
        return [ChainReceipt(row[0], row[1], row[2], row[3], row[4], row[5], tuple(logs.get(row[0], ())), row[6],
                             row[8], row[9], row[7]) for row in rows]

    def logs(self, from_block: int, to_block: int) -> list[tuple[int, int, int, bytes, ChainLog]]:
        """(block number, log index in block, tx index, tx hash, log) for blocks in the range."""
        with self._lock:
            rows = self._db.execute(
                "SELECT block_number, log_index, tx_index, tx_hash, address, topics, data FROM logs "
                "WHERE block_number BETWEEN ? AND ? ORDER BY block_number, log_index",
                (from_block, to_block)).fetchall()
        return [(b, li, ti, th, ChainLog(a, _split_topics(t), d)) for b, li, ti, th, a, t, d in rows]

    def log_rows_hex(self, from_block: int, to_block: int, addresses: Sequence[str] = ()
                     ) -> list[tuple[int, int, int, str, str, str, str, str]]:
        """Logs of blocks in the range as ready-made JSON text pieces, hex-encoded by SQLite (in C,
        without the GIL): ``(block number, log index, tx index, 0x tx hash, address, topics hex
        without 0x — 64 characters per topic, 0x data, 0x block hash)``. ``addresses`` (lower-case),
        when given, keeps only those emitters."""
        sql = ("SELECT l.block_number, l.log_index, l.tx_index, '0x' || lower(hex(l.tx_hash)), l.address, "
               "lower(hex(l.topics)), '0x' || lower(hex(l.data)), "
               "'0x' || lower(hex(coalesce(b.hash, zeroblob(32)))) "
               "FROM logs l LEFT JOIN blocks b ON b.number = l.block_number "
               "WHERE l.block_number BETWEEN ? AND ?")
        params: list[object] = [from_block, to_block]
        if addresses:
            sql += f" AND l.address IN ({', '.join('?' * len(addresses))})"
            params.extend(addresses)
        with self._lock:
            return self._db.execute(sql + " ORDER BY l.block_number, l.log_index", params).fetchall()

    def abi(self, address: str) -> str:
        with self._lock:
            row = self._db.execute("SELECT abi FROM abis WHERE address = ?", (address,)).fetchone()
        return row[0] if row else ""

    def raw_digest(self, number: int) -> bytes | None:
        """The recorded :func:`raw_digest` of block ``number``'s transactions (``None``: not recorded,
        a block written before digests existed)."""
        with self._lock:
            row = self._db.execute("SELECT digest FROM raw_digests WHERE block_number = ?", (number,)).fetchone()
        return None if row is None else bytes(row[0])

    def record_raw_digests(self, digests: Sequence[tuple[int, bytes]]) -> None:
        """Record digests of blocks written before they existed (after a replay verified them)."""
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO raw_digests VALUES (?, ?)", list(digests))
            self._db.execute("COMMIT")

    def nonces_since(self, first_block: int) -> list[tuple[int, str]]:
        """(block number, nonce) of every committed transaction from ``first_block`` on."""
        with self._lock:
            return self._db.execute(
                "SELECT block_number, nonce FROM txs WHERE block_number >= ? ORDER BY block_number",
                (first_block,)).fetchall()

    def counts(self) -> tuple[int, int]:
        """(committed transactions, failed ones)."""
        with self._lock:
            total = self._db.execute("SELECT COUNT(*) FROM receipts").fetchone()[0]
            failed = self._db.execute("SELECT COUNT(*) FROM receipts WHERE status != 0").fetchone()[0]
        return int(total), int(failed)
