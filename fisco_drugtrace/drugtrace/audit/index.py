"""The auditor's SQLite event index: storage, anchoring to the chain, incremental appends.

:class:`AuditIndex` knows nothing about RPC or ABIs; :mod:`.sync` feeds it decoded events.
Writing goes through :meth:`AuditIndex.append`, which stores the events, the block hashes that
anchor them and the projections (see :mod:`.projection`) in one SQLite transaction.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from fisco_drugtrace.drugtrace.audit.projection import PROJECTION_SCHEMA, Projection
from fisco_drugtrace.drugtrace.audit.records import KEY_COLUMNS, PROCESS_DEFINITION_POINT, IndexedEvent
from fisco_drugtrace.drugtrace.audit.schema import SCHEMA, SCHEMA_VERSION
from fisco_drugtrace.drugtrace.sqldb import StoreLocation, open_store
from fisco_drugtrace.errors import AuditError, IndexMismatchError

__all__ = ["AuditIndex", "event_row_values", "static_key_plan", "iter_events", "mismatch"]

_EVENT_COLUMNS = (
    "block_number", "tx_hash", "position", "log_index", "contract", "address", "name", "ts_ms",
    "batch_id", "product_id", "shipment_id", "recall_id", "observation_id", "code_hash", "org_id",
    "actor_org", "args",
)
_INSERT = (
    f"INSERT INTO events ({', '.join(_EVENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_EVENT_COLUMNS))})"
)
_BLOB_KEYS = {"batch_id", "product_id", "code_hash", "org_id", "actor_org"}


def _key_value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in _BLOB_KEYS:
        if isinstance(value, str):
            raw = bytes.fromhex(value[2:] if value.startswith("0x") else value)
        else:
            raw = bytes(value)
        return raw if any(raw) else None
    return int(value) or None


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # args keep their ABI order: no sorting needed
_KEY_ORDER = ("batch_id", "product_id", "shipment_id", "recall_id", "observation_id", "code_hash", "org_id",
              "actor_org")
_KEY_SLOT = {column: i for i, column in enumerate(_KEY_ORDER)}
_PLANS: dict[tuple[str, tuple[str, ...]], tuple[tuple[str, int, bool], ...]] = {}


def _plan(name: str, arg_names: tuple[str, ...]) -> tuple[tuple[str, int, bool], ...]:
    """Which arguments of this event fill which key column — as ``(argument, slot in
    _KEY_ORDER, is a blob column)`` — computed once per event shape."""
    found = _PLANS.get((name, arg_names))
    if found is None:
        pairs: list[tuple[str, int, bool]] = []
        taken: set[str] = set()
        for arg, column in KEY_COLUMNS.items():
            if arg in arg_names and column not in taken:
                pairs.append((arg, _KEY_SLOT[column], column in _BLOB_KEYS))
                taken.add(column)
        found = _PLANS[(name, arg_names)] = tuple(pairs)
    return found


def _word_key(kind: str, blob: bool) -> str | None:
    """How one ABI word ``{w}`` of static type ``kind`` becomes its key column's value — what
    :func:`event_row_values` gets from the argument's JSON form — as a Python expression
    (``_Z`` is 32 zero bytes, ``_ib`` is ``int.from_bytes``), or ``None`` when that type is left
    to the general path."""
    if blob:
        if kind == "bytes32":
            return "({w} if {w} != _Z else None)"
        if kind == "address":
            return "({w}[12:] if {w}[12:] != _Z[:20] else None)"
        if kind.startswith("bytes") and kind[5:].isdigit() and 0 < int(kind[5:]) < 32:
            n = int(kind[5:])
            return f"({{w}}[:{n}] if {{w}}[:{n}] != _Z[:{n}] else None)"
        return None
    if kind.startswith("uint") and kind[4:].isdigit():
        return '(_ib({w}, "big") or None)'
    if kind.startswith("int") and kind[3:].isdigit():
        return '(_ib({w}, "big", signed=True) or None)'
    return None


def static_key_plan(name: str, params: Sequence[tuple[str, str]]) -> tuple[tuple[int, int, str], ...] | None:
    """For an event whose arguments are single static words, given as ``(name, ABI type)`` in
    ABI order: ``(argument position, key slot, expression of the word {w})`` for each key column
    it fills (see :func:`_word_key`), so a decoder can fill ``IndexedEvent.row_keys`` from the
    words. ``None`` when the general path must decide (``ObservationRecorded``'s subject, a key
    of an unexpected type)."""
    if name == "ObservationRecorded":
        return None
    names = tuple(n for n, _ in params)
    kinds = dict(params)
    out = []
    for arg, slot, is_blob in _plan(name, names):
        expr = _word_key(kinds[arg], is_blob)
        if expr is None:
            return None
        out.append((names.index(arg), slot, expr))
    return tuple(out)


def _blob(value: Any) -> bytes | None:
    """A bytes32 key from its JSON form (``0x`` hex) or bytes; 32 zero bytes mean "none"."""
    if type(value) is str and value[:2] == "0x":
        raw = bytes.fromhex(value[2:])
        return raw if any(raw) else None
    return _key_value("batch_id", value)  # bytes, or hex without 0x: the general path


def event_row_values(event: IndexedEvent) -> tuple[Any, ...]:
    """The ``events`` row for one event (key columns pulled out of its arguments).

    Zero ids (``shipmentId`` 0, a zero ``batchId``) mean "none" and are stored as NULL.
    ``ObservationRecorded.subjectId`` is a batch, or a product for process definitions.
    """
    args = event.args
    if event.row_keys is not None:
        return (
            event.block_number, event.tx_hash, event.position, event.log_index, event.contract,
            event.address, event.name, event.ts_ms, *event.row_keys, event.args_json or _ENCODER.encode(args),
        )
    keys: list[Any] = [None] * 8
    for arg, slot, is_blob in _plan(event.name, tuple(args)):
        value = args[arg]
        if value is not None:
            keys[slot] = _blob(value) if is_blob else (int(value) or None)
    if event.name == "ObservationRecorded":
        subject = args.get("subjectId")
        if subject is not None:
            column = "product_id" if int(args.get("point", 0)) == PROCESS_DEFINITION_POINT else "batch_id"
            slot = _KEY_SLOT[column]
            if keys[slot] is None:
                keys[slot] = _key_value(column, subject)
    return (
        event.block_number, event.tx_hash, event.position, event.log_index, event.contract,
        event.address, event.name, event.ts_ms, *keys, event.args_json or _ENCODER.encode(args),
    )


class AuditIndex:
    """One deployment's event index in a SQLite file (``":memory:"`` for tests and benches), or
    in a PostgreSQL schema when given a :class:`~fisco_drugtrace.drugtrace.sqldb.StoreLocation`
    with a DSN (same tables, same queries: :mod:`~fisco_drugtrace.drugtrace.sqldb` translates)."""

    def __init__(self, path: str | Path | StoreLocation) -> None:
        self.location = path if isinstance(path, StoreLocation) else StoreLocation(path)
        self.path = str(self.location)
        if self.location.postgres:
            self.db: Any = open_store(self.location)
            fresh = self.db.fresh
        else:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA temp_store=MEMORY")
            self.db.execute("PRAGMA cache_size=-65536")
            fresh = True
        with self.db:
            self._projection = Projection(self.db)
            if fresh:
                self.db.executescript(SCHEMA)
                self._projection.create()
            else:  # an existing PostgreSQL store: no DDL round trips on every open
                self.db.learn_keys(SCHEMA + PROJECTION_SCHEMA)
            version = self.get_meta("schema_version")
            if version is None:
                self.set_meta("schema_version", str(SCHEMA_VERSION))
            elif int(version) != SCHEMA_VERSION:
                raise AuditError(f"index {self.path} has schema {version}, this version reads {SCHEMA_VERSION}; "
                                 "rebuild it: fisco-drugtrace audit sync --rebuild")

    @property
    def projection(self) -> Projection:
        """The holdings/shipments/case-figures projection kept beside the events."""
        return self._projection

    # -- meta ----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def bind(self, identity: Mapping[str, Any]) -> None:
        """Tie the index to a deployment (chain, group, addresses); refuse a different one."""
        text = json.dumps(dict(identity), sort_keys=True)
        with self.db:
            stored = self.get_meta("deployment")
            if stored is None:
                self.set_meta("deployment", text)
            elif stored != text:
                raise AuditError(f"index {self.path} belongs to another deployment: {stored}")

    @property
    def last_block(self) -> int:
        """The last block synced (0 = nothing yet)."""
        value = self.get_meta("last_block")
        return int(value) if value is not None else 0

    @property
    def event_count(self) -> int:
        """Events indexed (kept in ``meta`` by :meth:`append`: counting 10^6 rows is not free)."""
        value = self.get_meta("event_count")
        return int(value) if value is not None else 0

    # -- anchoring -----------------------------------------------------------------------
    def block_time(self, number: int) -> int | None:
        row = self.db.execute("SELECT ts_ms FROM blocks WHERE number = ?", (number,)).fetchone()
        return row[0] if row else None

    def block_hash(self, number: int) -> str | None:
        row = self.db.execute("SELECT hash FROM blocks WHERE number = ?", (number,)).fetchone()
        return row[0] if row else None

    def anchors(self, limit: int | None = None) -> list[tuple[int, str]]:
        """Stored ``(block, hash)`` pairs, newest first."""
        sql = "SELECT number, hash FROM blocks ORDER BY number DESC"
        rows = self.db.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
        return [(int(n), str(h)) for n, h in rows]

    def check_anchor(self, number: int, chain_hash: str | None) -> None:
        """Raise ``IndexMismatchError`` when the chain's hash of ``number`` is not the stored one."""
        stored = self.block_hash(number)
        if stored is not None and (chain_hash is None or _norm(chain_hash) != _norm(stored)):
            raise mismatch(number, stored, chain_hash or "(no such block)")

    # -- writing -------------------------------------------------------------------------
    def append(self, events: Sequence[IndexedEvent], blocks: Mapping[int, tuple[str, int | None]],
               last_block: int) -> None:
        """Store events, block anchors ``{number: (hash, ts_ms)}`` and projections; advance
        ``last_block`` — all in one transaction."""
        with self.appending(last_block) as add:
            add(events, blocks)

    @contextmanager
    def appending(self, last_block: int) -> Iterator[Callable[[Sequence[IndexedEvent],
                                                                Mapping[int, tuple[str, int | None]]], None]]:
        """One transaction that stores a range in parts, as they arrive: each call of the
        yielded ``add(events, blocks)`` stores what :meth:`append` would (events in order after
        those of earlier calls); ``last_block`` and the event count advance when the block ends,
        and nothing is kept if it raises. Several calls give the index one call with everything
        would give."""
        with self.db:
            floor = self.last_block
            added = 0

            def add(events: Sequence[IndexedEvent], blocks: Mapping[int, tuple[str, int | None]]) -> None:
                nonlocal added
                self.db.executemany(
                    "INSERT OR REPLACE INTO blocks (number, hash, ts_ms) VALUES (?, ?, ?)",
                    ((n, _norm(h), ts) for n, (h, ts) in blocks.items()),
                )
                if events and min(e.block_number for e in events) <= floor and floor > 0:
                    raise AuditError(f"events at or below block {floor} are already indexed")
                self.db.executemany(_INSERT, (event_row_values(e) for e in events))
                self._projection.apply(events)
                added += len(events)

            yield add
            self.set_meta("last_block", str(max(last_block, floor)))
            self.set_meta("event_count", str(self.event_count + added))

    # -- reading -------------------------------------------------------------------------
    def rows(self, where: str = "", params: Sequence[Any] = (), order: str = "block_number, seq",
             limit: int | None = None) -> Iterator[Any]:
        """Raw event rows (``sqlite3.Row``, or rows read the same way on PostgreSQL) for the query layer."""
        sql = "SELECT * FROM events" + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cur = self.db.cursor()
        cur.row_factory = sqlite3.Row
        return iter(cur.execute(sql, tuple(params)))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "AuditIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def mismatch(number: int, indexed_hash: str, chain_text: str) -> IndexMismatchError:
    """The mismatch error, with a user message that says how to start over."""
    error = IndexMismatchError(number, indexed_hash, chain_text)
    error.user_message = f"{error}; to index this chain instead: fisco-drugtrace audit sync --rebuild"
    return error


def _norm(h: str) -> str:
    h = h.lower()
    return h if h.startswith("0x") else "0x" + h


def iter_events(rows: Iterable[Any]) -> Iterator[IndexedEvent]:
    """Rows back to :class:`IndexedEvent` records."""
    for r in rows:
        yield IndexedEvent(
            block_number=r["block_number"], tx_hash=r["tx_hash"], log_index=r["log_index"],
            contract=r["contract"], address=r["address"], name=r["name"], args=json.loads(r["args"]),
            ts_ms=r["ts_ms"], position=r["position"],
        )


