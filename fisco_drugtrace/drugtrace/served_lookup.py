"""One statement per served verification: the code's slot, the index's block and the unit's fate.

:class:`~fisco_drugtrace.drugtrace.served.IndexedVerifier` needs three facts per scan that live in
two stores: the unit's ``(batch, index)`` in the **code store**, the block the **audit index** has
synced (``meta.last_block``) and the unit's first ``UnitDispensed`` / ``UnitDecommissioned`` event
at or below that block. Asked one by one that is three round trips, which on PostgreSQL cost more
than the rest of the request (each is a wake-up of a server process on a busy 2-core machine).
:class:`UnitLookup` asks them in **one statement** over one connection of its own:

- PostgreSQL: both stores are schemas of the same database, so the statement names them
  (``"<codes schema>".units``, ``"<audit schema>".events``); it is prepared once per connection
  and run through libpq itself (``psycopg.pq``: one ``PQexecPrepared``, binary parameter and
  results), autocommit, no transaction round trips; a broken connection is dropped and the next
  scan opens another;
- SQLite: the code store file is ``ATTACH``-ed to a connection on the audit index file.

One statement reads one snapshot (PostgreSQL's statement snapshot; SQLite's read transaction),
so the unit's event and the block it is answered "as of" cannot disagree. The batch's own facts
(root, product, state, recalls) change only with the block and stay cached per block by the
verifier; the Merkle proof comes from the proof file and is checked by the verifier, as before.

When the stores are not two schemas of one database or two files (an in-memory store, or a
store not created yet), :func:`UnitLookup.open` returns ``None`` and the verifier asks the three
questions one by one — the same answers (``tests/service/test_served_verification.py`` checks
both paths give the same verdicts on both backends).
"""

from __future__ import annotations

import sqlite3
import struct
from dataclasses import dataclass
from typing import Any, Sequence

from fisco_drugtrace.drugtrace.sqldb import StoreLocation

__all__ = ["UnitLookup", "UnitFacts"]

_GONE = ("UnitDispensed", "UnitDecommissioned")


@dataclass(frozen=True)
class UnitFacts:
    """What one statement tells about a code hash."""

    #: the audit index's last synced block (0: nothing synced yet)
    block: int
    #: ``(batch id, index)`` in the code store, or ``None``: no manifest held here lists it
    slot: tuple[bytes, int] | None
    #: the unit's first ``UnitDispensed``/``UnitDecommissioned`` at or below ``block``, as
    #: ``(name, block_number, tx_hash, args JSON)``; ``None``: none
    gone: tuple[str, int, str, str] | None


def _pg_sql(codes: str, audit: str) -> str:
    c, a = f'"{codes}"', f'"{audit}"'
    return (
        f"SELECT m.value, b.batch_id, u.idx, g.name, g.block_number, g.tx_hash, g.args "
        f"FROM (SELECT $1::bytea AS h) q "
        f"LEFT JOIN {a}.meta m ON m.key = 'last_block' "
        f"LEFT JOIN {c}.units u ON u.code_hash = q.h "
        f"LEFT JOIN {c}.batch_list b ON b.seq = u.batch "
        f"LEFT JOIN LATERAL (SELECT e.name, e.block_number, e.tx_hash, e.args FROM {a}.events e "
        f"  WHERE e.batch_id = b.batch_id AND e.code_hash = q.h AND e.name IN ('{_GONE[0]}', '{_GONE[1]}') "
        f"  AND e.block_number <= m.value::bigint ORDER BY e.seq LIMIT 1) g ON true"
    )


_SQLITE_SQL = (
    "SELECT m.value, b.batch_id, u.idx, e.name, e.block_number, e.tx_hash, e.args "
    "FROM (SELECT ?1 AS h) q "
    "LEFT JOIN main.meta m ON m.key = 'last_block' "
    "LEFT JOIN codes.units u ON u.code_hash = q.h "
    "LEFT JOIN codes.batch_list b ON b.seq = u.batch "
    "LEFT JOIN main.events e ON e.seq = (SELECT g.seq FROM main.events g WHERE g.batch_id = b.batch_id "
    f"  AND g.code_hash = q.h AND g.name IN ('{_GONE[0]}', '{_GONE[1]}') "
    "  AND g.block_number <= CAST(m.value AS INTEGER) ORDER BY g.seq LIMIT 1)"
)


_INT8 = struct.Struct(">q")
_STATEMENT = b"fdt_served_unit"


def _facts(row: Sequence[Any] | None) -> UnitFacts:
    if row is None:  # pragma: no cover - the statement always answers one row
        return UnitFacts(0, None, None)
    block = int(row[0]) if row[0] is not None else 0
    slot = (bytes(row[1]), int(row[2])) if row[1] is not None else None
    gone = (str(row[3]), int(row[4]), str(row[5]), str(row[6])) if row[3] is not None else None
    return UnitFacts(block, slot, gone)


class UnitLookup:
    """A connection of its own that answers :meth:`facts` in one statement (see the module doc).

    Not thread-safe: the verifier keeps one per thread.
    """

    def __init__(self, raw: Any, sql: str, postgres: bool) -> None:
        self._raw = raw
        self._sql = sql
        self.postgres = postgres
        self.broken = False
        if postgres:
            from psycopg import pq

            self._pq = pq
            self._pgconn = raw.pgconn
            done = self._pgconn.prepare(_STATEMENT, sql.encode(), [17])  # 17: bytea
            if done.status != pq.ExecStatus.COMMAND_OK:
                raise _pg_error(self._pgconn, done)
        else:
            self._cur = raw.cursor()

    @classmethod
    def open(cls, codes: StoreLocation, audit: StoreLocation) -> "UnitLookup | None":
        """A lookup over these two stores, or ``None`` when one statement cannot reach both (the
        caller then asks store by store)."""
        if codes.postgres and audit.postgres:
            if codes.url != audit.url:
                return None
            import psycopg

            try:
                raw = psycopg.connect(audit.url, autocommit=True)
            except psycopg.Error:
                return None
            lookup = cls(raw, _pg_sql(codes.schema, audit.schema), True)
        elif not codes.postgres and not audit.postgres:
            paths = [str(loc.path) for loc in (codes, audit)]
            if any(p in ("", "None", ":memory:") for p in paths):
                return None
            raw = sqlite3.connect(paths[1], isolation_level=None)
            try:
                raw.execute("ATTACH DATABASE ? AS codes", (paths[0],))
            except sqlite3.Error:
                raw.close()
                return None
            lookup = cls(raw, _SQLITE_SQL, False)
        else:
            return None
        try:
            lookup.facts(b"\0" * 32)  # the tables exist (else: not yet, ask store by store)
        except Exception:  # noqa: BLE001 - sqlite3.Error / psycopg.Error: no lookup, not a failure
            lookup.close()
            return None
        return lookup

    def facts(self, code_hash: bytes) -> UnitFacts:
        """The index's block, the code's slot and its first leaving event, in one statement."""
        if not self.postgres:
            self._cur.execute(self._sql, (code_hash,))
            return _facts(self._cur.fetchone())
        pq, conn = self._pq, self._pgconn
        res = conn.exec_prepared(_STATEMENT, [code_hash], [1], 1)
        if res.status != pq.ExecStatus.TUPLES_OK or res.ntuples != 1:
            self.broken = conn.status != pq.ConnStatus.OK
            raise _pg_error(conn, res)
        value = res.get_value
        block, batch, name = value(0, 0), value(0, 1), value(0, 3)
        return UnitFacts(
            int(block) if block is not None else 0,
            (bytes(batch), _INT8.unpack(value(0, 2))[0]) if batch is not None else None,
            (bytes(name).decode(), _INT8.unpack(value(0, 4))[0], bytes(value(0, 5)).decode(),
             bytes(value(0, 6)).decode()) if name is not None else None)

    def close(self) -> None:
        self.broken = True
        try:
            self._raw.close()
        except Exception:  # noqa: BLE001 - closing from another thread (SQLite) is best effort
            pass


def _pg_error(conn: Any, res: Any) -> Exception:
    """The server's error as psycopg raises it (``psycopg.errors``: an ``OperationalError`` when
    the connection is gone)."""
    from psycopg import errors

    message = (res.error_message or conn.error_message or b"no answer").decode(errors="replace").strip()
    state = res.error_field(ord("C"))  # PG_DIAG_SQLSTATE
    if state:
        try:
            return errors.lookup(state.decode())(message)  # type: ignore[no-any-return]
        except KeyError:
            pass
    return errors.OperationalError(message)
