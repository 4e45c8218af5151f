"""Local store of batch code lists and Merkle levels (SQLite), for dispensing and audits.

The chain keeps only a batch's Merkle root. To dispense a unit by its code, the holder needs the
code's batch, its index and a proof: this store answers ``locate(code)`` and computes proofs on
demand by reading ~log2(n) nodes out of the stored levels (``substr`` on a BLOB per level).
A code may belong to one batch only; the store enforces it across batches.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from fisco_drugtrace.drugtrace.merkle import MerkleTree, level_sizes, proof_for
from fisco_drugtrace.errors import TraceCodeError

__all__ = ["CodeStore", "StoredBatch", "UnitLocation"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id   BLOB PRIMARY KEY,
    product_id BLOB NOT NULL,
    lot        TEXT NOT NULL,
    unit_count INTEGER NOT NULL,
    root       BLOB NOT NULL,
    stored_ms  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (
    code_hash BLOB PRIMARY KEY,
    code      TEXT NOT NULL,
    batch_id  BLOB NOT NULL,
    idx       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS codes_by_batch ON codes (batch_id, idx);
CREATE TABLE IF NOT EXISTS prefixes (
    prefix   TEXT NOT NULL,
    batch_id BLOB NOT NULL,
    PRIMARY KEY (prefix, batch_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS levels (
    batch_id BLOB NOT NULL,
    level    INTEGER NOT NULL,
    nodes    BLOB NOT NULL,
    PRIMARY KEY (batch_id, level)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class StoredBatch:
    """A batch as this store knows it."""

    batch_id: bytes
    product_id: bytes
    lot: str
    unit_count: int
    root: bytes


@dataclass(frozen=True)
class UnitLocation:
    """Where a unit code sits: its batch and 0-based index in the batch's code list."""

    code: str
    code_hash: bytes
    batch_id: bytes
    index: int


class CodeStore:
    """SQLite-backed code lists and Merkle levels; one file per deployment."""

    def __init__(self, path: str | Path, *, hasher: Callable[[bytes], bytes] | None = None) -> None:
        from fisco_drugtrace.crypto.keccak import keccak256

        self.path = Path(path)
        #: the chain's hash for code hashes (SM3 on sm_crypto chains)
        self.hasher = hasher or keccak256
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._backfill_prefixes()

    def _backfill_prefixes(self) -> None:
        """Stores written before the ``prefixes`` table learn their batches' drug identifiers once."""
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO prefixes (prefix, batch_id) SELECT DISTINCT substr(code, 1, 7), batch_id "
                "FROM codes WHERE batch_id IN (SELECT batch_id FROM batches WHERE batch_id NOT IN "
                "(SELECT batch_id FROM prefixes))")

    # -- writing -------------------------------------------------------------------------
    def put_batch(self, tree: MerkleTree, codes: Sequence[str], *, product_id: bytes, lot: str) -> StoredBatch:
        """Store a batch's codes and levels, replacing an earlier copy of the same batch.

        Raises ``TraceCodeError`` if a code already belongs to another stored batch.
        """
        if len(codes) != tree.size:
            raise ValueError("code list and tree differ in size")
        batch = tree.batch_id
        db = self._db
        with db:
            self._delete(batch)
            # in key order: SQLite appends to the primary-key B-tree instead of splitting pages at
            # random (measured ~20 % faster for 10^5 codes)
            rows = sorted(zip(tree.code_hashes, codes, [batch] * len(codes), range(len(codes))))
            db.executemany("INSERT OR IGNORE INTO codes (code_hash, code, batch_id, idx) VALUES (?,?,?,?)", rows)
            (stored,) = db.execute("SELECT count(*) FROM codes WHERE batch_id = ?", (batch,)).fetchone()
            if stored != len(codes):
                problems = self._cross_batch_duplicates(batch, tree.code_hashes, codes)
                db.rollback()
                raise TraceCodeError(problems)
            db.executemany(
                "INSERT INTO levels (batch_id, level, nodes) VALUES (?,?,?)",
                ((batch, n, nodes) for n, nodes in enumerate(tree.levels)),
            )
            db.executemany("INSERT INTO prefixes (prefix, batch_id) VALUES (?, ?)",
                           ((p, batch) for p in sorted({c[:7] for c in codes})))
            db.execute(
                "INSERT INTO batches (batch_id, product_id, lot, unit_count, root, stored_ms) VALUES (?,?,?,?,?,?)",
                (batch, product_id, lot, tree.size, tree.root, int(time.time() * 1000)),
            )
        return StoredBatch(batch, product_id, lot, tree.size, tree.root)

    def remove_batch(self, batch_id: bytes) -> None:
        with self._db:
            self._delete(batch_id)

    def _delete(self, batch_id: bytes) -> None:
        for table in ("codes", "levels", "prefixes", "batches"):
            self._db.execute(f"DELETE FROM {table} WHERE batch_id = ?", (batch_id,))

    def _cross_batch_duplicates(
        self, batch: bytes, hashes: Sequence[bytes], codes: Sequence[str]
    ) -> list[tuple[int, str, str]]:
        problems: list[tuple[int, str, str]] = []
        query = "SELECT code_hash, batch_id FROM codes WHERE batch_id != ? AND code_hash IN ({})"
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            found = dict(self._db.execute(query.format(",".join("?" * len(chunk))), (batch, *chunk)))
            for offset, h in enumerate(chunk):
                if h in found and len(problems) < 100:
                    i = start + offset
                    problems.append((i + 1, codes[i], f"already in batch 0x{found[h].hex()}"))
        return problems or [(0, "", "code list could not be stored")]

    # -- reading -------------------------------------------------------------------------
    def batch(self, batch_id: bytes) -> StoredBatch | None:
        row = self._db.execute(
            "SELECT batch_id, product_id, lot, unit_count, root FROM batches WHERE batch_id = ?", (batch_id,)
        ).fetchone()
        return StoredBatch(*row) if row else None

    def batches(self) -> list[StoredBatch]:
        rows = self._db.execute("SELECT batch_id, product_id, lot, unit_count, root FROM batches ORDER BY stored_ms")
        return [StoredBatch(*r) for r in rows]

    def products_with_prefix(self, prefix: str) -> set[bytes]:
        """Products of the batches held here whose codes carry the 7-digit drug identifier ``prefix``."""
        rows = self._db.execute("SELECT DISTINCT b.product_id FROM prefixes p JOIN batches b ON b.batch_id = "
                                "p.batch_id WHERE p.prefix = ?", (prefix,))
        return {bytes(r[0]) for r in rows}

    def locate(self, code: str) -> UnitLocation | None:
        """The batch and index of ``code``, or ``None`` when no stored batch lists it."""
        from fisco_drugtrace.drugtrace.ids import code_hash

        h = code_hash(code, hasher=self.hasher)
        return self.locate_hash(h)

    def locate_hash(self, code_hash: bytes) -> UnitLocation | None:
        row = self._db.execute("SELECT code, batch_id, idx FROM codes WHERE code_hash = ?", (code_hash,)).fetchone()
        return UnitLocation(row[0], code_hash, row[1], row[2]) if row else None

    def codes(self, batch_id: bytes) -> list[str]:
        rows = self._db.execute("SELECT code FROM codes WHERE batch_id = ? ORDER BY idx", (batch_id,))
        return [r[0] for r in rows]

    def code_at(self, batch_id: bytes, index: int) -> str | None:
        row = self._db.execute("SELECT code FROM codes WHERE batch_id = ? AND idx = ?", (batch_id, index)).fetchone()
        return row[0] if row else None

    def leaf(self, batch_id: bytes, index: int) -> bytes:
        return self._node(batch_id, 0, index)

    def proof(self, batch_id: bytes, index: int) -> list[bytes]:
        """The Merkle proof of the unit at ``index``, read from the stored levels."""
        stored = self.batch(batch_id)
        if stored is None:
            raise KeyError(f"batch 0x{batch_id.hex()} is not in the code store")
        return proof_for(index, level_sizes(stored.unit_count), lambda lv, i: self._node(batch_id, lv, i))

    def _node(self, batch_id: bytes, level: int, index: int) -> bytes:
        row = self._db.execute(
            "SELECT substr(nodes, ?, 32) FROM levels WHERE batch_id = ? AND level = ?",
            (index * 32 + 1, batch_id, level),
        ).fetchone()
        if row is None or len(row[0]) != 32:
            raise KeyError(f"no node {index} at level {level} for batch 0x{batch_id.hex()}")
        return bytes(row[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "CodeStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
