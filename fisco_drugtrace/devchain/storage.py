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

Why the hash index is lazy (schema "2"): a block's cost is the pages it dirties in the WAL. Every
table and index of the block's rows is keyed by block number (``txs``/``receipts`` are rowid
tables with UNIQUE ``(block_number, idx)`` indexes, ``logs`` is keyed by ``(block_number,
log_index)``), so a block's rows append to the same few right-most pages. A B-tree keyed by a
random 32-byte hash would instead dirty a different random leaf page per transaction (schema "1"
had three of them plus ``blocks.hash UNIQUE``: ~30 pages of 4 KiB per block of 8 transactions).
So hash lookups go through ``tx_hashes``/``block_hashes``, written in batches: the tables are
complete through the block in ``hash_index.through``; the hashes of the blocks above it are kept
in memory (filled by :meth:`ChainStore.write_block`, rebuilt on open from the append-ordered
tables). Once :data:`HASH_FLUSH_ENTRIES` hashes are pending, the block that crosses it writes them
all, sorted (each leaf page is then dirtied once per batch, not once per hash), and advances
``through`` IN ITS OWN SQLite transaction: the file is always consistent, and a crash loses
nothing (the in-memory part is derived data). A data dir of schema "1" is rebuilt into this
layout, in one transaction, on its first open.
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

__all__ = ["ChainStore", "DB_FILENAME", "HASH_FLUSH_ENTRIES", "SCHEMA_VERSION", "WAL_LIMIT", "raw_digest"]

DB_FILENAME = "chain.sqlite"
SCHEMA_VERSION = "2"
#: The layout :meth:`ChainStore._migrate_v1` rebuilds on open.
_SCHEMA_V1 = "1"

#: The tables whose rows a block writes, keyed by position only (see the module docstring); the
#: migration from schema "1" rebuilds the first three from these (same columns, same order).
_BLOCK_TABLES = {
    "blocks": """CREATE TABLE {name} (
    number INTEGER PRIMARY KEY, hash BLOB NOT NULL, parent_hash BLOB NOT NULL,
    timestamp INTEGER NOT NULL, txs_root BLOB NOT NULL, receipts_root BLOB NOT NULL,
    state_root BLOB NOT NULL, gas_used INTEGER NOT NULL, tx_count INTEGER NOT NULL)""",
    "txs": """CREATE TABLE {name} (
    hash BLOB NOT NULL, block_number INTEGER NOT NULL, idx INTEGER NOT NULL, raw BLOB NOT NULL,
    sender TEXT NOT NULL, to_addr TEXT NOT NULL, input BLOB NOT NULL, nonce TEXT NOT NULL,
    block_limit INTEGER NOT NULL, abi TEXT NOT NULL, import_time INTEGER NOT NULL)""",
    "receipts": """CREATE TABLE {name} (
    tx_hash BLOB NOT NULL, block_number INTEGER NOT NULL, idx INTEGER NOT NULL,
    status INTEGER NOT NULL, output BLOB NOT NULL, gas_used INTEGER NOT NULL,
    contract_address TEXT NOT NULL, hash BLOB NOT NULL)""",
}
_POSITION_INDEXES = """
CREATE UNIQUE INDEX txs_position ON txs (block_number, idx);
CREATE UNIQUE INDEX receipts_block ON receipts (block_number, idx);
"""
#: The lazily written hash index (module docstring); ``hash_index`` holds one row.
_HASH_TABLES = """
CREATE TABLE tx_hashes (hash BLOB PRIMARY KEY, block_number INTEGER NOT NULL, idx INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE block_hashes (hash BLOB PRIMARY KEY, number INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE hash_index (through INTEGER NOT NULL);
"""
_SCHEMA = "".join(ddl.format(name=name) + ";\n" for name, ddl in _BLOCK_TABLES.items()) + _POSITION_INDEXES + """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE logs (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_index INTEGER NOT NULL,
    tx_hash BLOB NOT NULL, address TEXT NOT NULL, topics BLOB NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (block_number, log_index));
CREATE TABLE abis (address TEXT PRIMARY KEY, abi TEXT NOT NULL);
""" + _HASH_TABLES + """
INSERT INTO hash_index VALUES (-1);
"""
#: Added after the first schema: created on open when missing (an older data dir, or one whose
#: receipts index was dropped). Replay reads every block's receipts by number.
_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS receipts_block ON receipts (block_number, idx);
CREATE TABLE IF NOT EXISTS raw_digests (block_number INTEGER PRIMARY KEY, digest BLOB NOT NULL);
"""
#: WAL size (bytes) past which the writer truncates the WAL between two blocks.
WAL_LIMIT = 16 * 1024 * 1024
#: Pending (in-memory) transaction and block hashes at which a block writes them into the hash
#: tables. Larger batches dirty fewer pages per hash (each leaf page once per batch) and cost only
#: memory (~200 bytes each) and a longer scan on open.
HASH_FLUSH_ENTRIES = 4096
#: Bound parameters per ``IN (...)`` query (SQLite's limit is 32766 since 3.32, 999 before).
_IN_CHUNK = 500
_TABLES = ("meta", "blocks", "txs", "receipts", "logs", "abis")
_HASH_TABLE_NAMES = ("tx_hashes", "block_hashes", "hash_index")


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
        #: the hash tables are complete through this block; the hashes above it are in the dicts
        self._hashes_through = -1
        self._pending_txs: dict[bytes, tuple[int, int]] = {}  # tx hash -> (block number, index)
        self._pending_blocks: dict[bytes, int] = {}  # block hash -> number
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
                    schema = self._check_tables()
                    self._check_head(recorded, mark)
                    if schema == _SCHEMA_V1:
                        self._migrate_v1()
                    self._db.executescript(_INDEXES)
                    self._load_hashes()
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

    def _check_tables(self) -> str:
        """The tables the recorded schema version needs are there and SQLite finds no damage;
        returns that version (``"1"``: to be migrated). No version recorded is this layout (the
        store writes its tables before the chain records its meta); another version is refused
        here, before anything is read or changed (:mod:`.chain` refuses it too)."""
        names = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = [t for t in _TABLES if t not in names]
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() if not missing else None
        schema = SCHEMA_VERSION if row is None else str(row[0])
        if schema == SCHEMA_VERSION:
            missing += [t for t in _HASH_TABLE_NAMES if t not in names]
        if missing:
            raise DataDirError(self._where, f"damaged: missing table(s) {', '.join(missing)}")
        if schema not in (SCHEMA_VERSION, _SCHEMA_V1):
            raise DataDirError(self._where, f"damaged or unknown schema version {schema!r}")
        verdict = [row[0] for row in self._db.execute("PRAGMA quick_check(20)")]
        if verdict != ["ok"]:
            raise DataDirError(self._where, f"damaged: SQLite quick_check reports {'; '.join(map(str, verdict))}")
        return schema

    def _migrate_v1(self) -> None:
        """Rebuild a schema "1" database (hash-keyed ``txs``/``receipts``, ``blocks.hash UNIQUE``,
        ``logs_tx``) into this layout, in ONE transaction: a crash leaves either the old database
        or the new one. Rows are copied in (block, index) order, so rowids grow as new writes do;
        the hash index is then complete through the head."""
        steps = ["BEGIN"]
        for name, ddl in _BLOCK_TABLES.items():
            order = "number" if name == "blocks" else "block_number, idx"
            steps += [ddl.format(name=f"{name}_v2"), f"INSERT INTO {name}_v2 SELECT * FROM {name} ORDER BY {order}",
                      f"DROP TABLE {name}", f"ALTER TABLE {name}_v2 RENAME TO {name}"]
        steps += [_POSITION_INDEXES, "DROP INDEX IF EXISTS logs_tx", _HASH_TABLES,
                  "INSERT INTO tx_hashes SELECT hash, block_number, idx FROM txs ORDER BY hash",
                  "INSERT INTO block_hashes SELECT hash, number FROM blocks ORDER BY hash",
                  "INSERT INTO hash_index SELECT coalesce(MAX(number), -1) FROM blocks",
                  f"INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '{SCHEMA_VERSION}')", "COMMIT"]
        try:
            self._db.executescript(";\n".join(steps) + ";")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _load_hashes(self) -> None:
        """Where the hash tables end, and the hashes of the blocks above (read in block order)."""
        rows = self._db.execute("SELECT through FROM hash_index").fetchall()
        if len(rows) != 1:
            raise DataDirError(self._where, f"damaged: hash_index holds {len(rows)} rows, not 1")
        through = int(rows[0][0])
        self._hashes_through = through
        self._pending_txs = {bytes(h): (b, i) for h, b, i in self._db.execute(
            "SELECT hash, block_number, idx FROM txs WHERE block_number > ?", (through,))}
        self._pending_blocks = {bytes(h): n for h, n in self._db.execute(
            "SELECT hash, number FROM blocks WHERE number > ?", (through,))}

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
        """Write one block with everything in it, atomically and durably.

        A block number, block hash or transaction hash already stored (or twice in ``txs``) is
        refused with :class:`sqlite3.IntegrityError` before anything is written, as the keys of
        schema "1" refused it (and as :class:`~.memstore.MemoryStore` does)."""
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
        hashes = [t.hash for t in txs]
        with self._lock:
            db = self._db
            self._check_unique(block, hashes)
            flush = len(self._pending_txs) + len(self._pending_blocks) + len(hashes) + 1 >= HASH_FLUSH_ENTRIES
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
                if flush:
                    self._flush_hashes(block, hashes)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if flush:  # the dicts change only once the commit made the tables hold them
                self._pending_txs.clear()
                self._pending_blocks.clear()
                self._hashes_through = block.number
            else:
                self._pending_txs.update((h, (block.number, i)) for i, h in enumerate(hashes))
                self._pending_blocks[block.hash] = block.number
            if self._mark is not None:
                self._mark.write(block.number, block.hash)
                if self.wal_size() > WAL_LIMIT and self._checkpointer is not None:
                    # between two blocks, on the writer's connection: nothing can overtake it
                    with self._checkpointer.running:
                        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        if self._checkpointer is not None:
            self._checkpointer.wrote(1 + len(tx_rows) + len(receipt_rows) + len(log_rows))

    def _check_unique(self, block: ChainBlock, hashes: Sequence[bytes]) -> None:
        """Refuse a block number, block hash or transaction hash that is already stored (in the
        hash tables or the in-memory part above them) or repeated within the block.

        The tables are asked in ONE statement (the block number, the block hash and the first
        :data:`_IN_CHUNK` transaction hashes): this runs for every block written."""
        db = self._db
        first = list(hashes[:_IN_CHUNK])
        tx_sql = (f"EXISTS(SELECT 1 FROM tx_hashes WHERE hash IN ({', '.join('?' * len(first))}))"
                  if first else "0")
        number_taken, hash_taken, tx_taken = db.execute(
            "SELECT EXISTS(SELECT 1 FROM blocks WHERE number = ?), "
            f"EXISTS(SELECT 1 FROM block_hashes WHERE hash = ?), {tx_sql}",
            (block.number, block.hash, *first)).fetchone()
        if number_taken:
            raise sqlite3.IntegrityError("UNIQUE constraint failed: blocks.number")
        if hash_taken or block.hash in self._pending_blocks:
            raise sqlite3.IntegrityError("UNIQUE constraint failed: blocks.hash")
        if tx_taken or len(set(hashes)) != len(hashes) or any(h in self._pending_txs for h in hashes):
            raise sqlite3.IntegrityError("UNIQUE constraint failed: txs.hash")
        for at in range(_IN_CHUNK, len(hashes), _IN_CHUNK):
            chunk = hashes[at : at + _IN_CHUNK]
            if db.execute(f"SELECT 1 FROM tx_hashes WHERE hash IN ({', '.join('?' * len(chunk))}) LIMIT 1",
                          chunk).fetchone() is not None:
                raise sqlite3.IntegrityError("UNIQUE constraint failed: txs.hash")

    def _flush_hashes(self, block: ChainBlock, hashes: Sequence[bytes]) -> None:
        """Inside ``block``'s transaction: write every pending hash and the block's own into the
        hash tables, sorted (so each leaf page is dirtied once), and mark them complete through it."""
        tx_rows = sorted([(h, b, i) for h, (b, i) in self._pending_txs.items()]
                         + [(h, block.number, i) for i, h in enumerate(hashes)])
        block_rows = sorted([*self._pending_blocks.items(), (block.hash, block.number)])
        self._db.executemany("INSERT INTO tx_hashes VALUES (?, ?, ?)", tx_rows)
        self._db.executemany("INSERT INTO block_hashes VALUES (?, ?)", block_rows)
        self._db.execute("UPDATE hash_index SET through = ?", (block.number,))

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
                if number < self._hashes_through:  # a scan of the hash tables: only across a flush
                    db.execute("DELETE FROM tx_hashes WHERE block_number > ?", (number,))
                    db.execute("DELETE FROM block_hashes WHERE number > ?", (number,))
                    db.execute("UPDATE hash_index SET through = ?", (number,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._hashes_through = min(self._hashes_through, number)
            self._pending_txs = {h: at for h, at in self._pending_txs.items() if at[0] <= number}
            self._pending_blocks = {h: n for h, n in self._pending_blocks.items() if n <= number}

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
            number = self._pending_blocks.get(block_hash)
            if number is None:
                found = self._db.execute("SELECT number FROM block_hashes WHERE hash = ?", (block_hash,)).fetchone()
                if found is None:
                    return None
                number = int(found[0])
            row = self._db.execute("SELECT * FROM blocks WHERE number = ?", (number,)).fetchone()
            return self._block_from(row) if row and row[1] == block_hash else None

    def _tx_position(self, tx_hash: bytes) -> tuple[int, int] | None:
        """(block number, index) of a stored transaction, from the in-memory part or the hash
        table; the caller holds the lock and checks the row found there carries ``tx_hash``."""
        found = self._pending_txs.get(tx_hash)
        if found is not None:
            return found
        row = self._db.execute("SELECT block_number, idx FROM tx_hashes WHERE hash = ?", (tx_hash,)).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

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
            at = self._tx_position(tx_hash)
            row = None if at is None else self._db.execute(
                "SELECT hash, raw, sender, to_addr, input, nonce, block_limit, abi, import_time, block_number, idx "
                "FROM txs WHERE block_number = ? AND idx = ?", at).fetchone()
        if row is None or row[0] != tx_hash:
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
            at = self._tx_position(tx_hash)
            row = None if at is None else self._db.execute(
                "SELECT r.tx_hash, r.block_number, r.idx, r.status, r.output, r.gas_used, r.contract_address, "
                "r.hash, t.sender, t.to_addr FROM receipts r JOIN txs t ON t.block_number = r.block_number "
                "AND t.idx = r.idx WHERE r.block_number = ? AND r.idx = ?", at).fetchone()
            if row is None or row[0] != tx_hash:
                return None
            logs = tuple(
                ChainLog(a, _split_topics(t), d)
                for a, t, d in self._db.execute(
                    "SELECT address, topics, data FROM logs WHERE block_number = ? AND tx_index = ? "
                    "ORDER BY log_index", at)
            )
        return ChainReceipt(row[0], row[1], row[2], row[3], row[4], row[5], logs, row[6], row[8], row[9], row[7])

    def receipts_in_block(self, number: int) -> list[ChainReceipt]:
        """The block's receipts in index order: two indexed queries per block (replay reads every
        block's receipts, so this is linear in history, not blocks x transactions)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.tx_hash, r.block_number, r.idx, r.status, r.output, r.gas_used, r.contract_address, "
                "r.hash, t.sender, t.to_addr FROM receipts r JOIN txs t ON t.block_number = r.block_number "
                "AND t.idx = r.idx WHERE r.block_number = ? ORDER BY r.idx", (number,)).fetchall()
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
