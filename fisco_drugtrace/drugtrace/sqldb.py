"""The SQL seam of the local stores: SQLite files by default, PostgreSQL for a ``postgresql://`` DSN.

The audit index (:mod:`.audit.index`), the code store (:mod:`.codestore`) and the web service's
records are written in SQLite's SQL and talk to a DB-API connection. For SQLite that connection
is a plain ``sqlite3.Connection`` (nothing in between, no cost). For PostgreSQL,
:func:`open_store` returns a :class:`PgConnection`: the same calls (``execute``, ``executemany``,
``executescript``, ``cursor``, ``with db:`` as one transaction, ``close``) over psycopg 3, with
every dialect difference translated here and nowhere else:

- placeholders ``?`` -> ``%s``; ``INSERT OR IGNORE`` -> ``ON CONFLICT DO NOTHING``;
  ``INSERT OR REPLACE`` -> ``ON CONFLICT (primary key) DO UPDATE`` (keys learnt from the DDL);
- DDL: ``BLOB`` -> ``BYTEA``, ``INTEGER`` -> ``BIGINT`` (an ``INTEGER PRIMARY KEY`` becomes an
  identity column, as SQLite's rowid alias is), ``TEXT`` sorts bytewise (``COLLATE "C"``, as
  SQLite's BINARY), ``WITHOUT ROWID`` dropped;
- ``substr(blob, start, n)`` -> a ``bytea`` slice; ``json_extract(col, '$.key')`` -> ``jsonb``;
  SQLite's ``+column`` planner hint dropped; ``PRAGMA`` statements are no-ops;
- ``sum()`` of integers comes back as ``int`` (PostgreSQL returns ``numeric``).

Each store lives in its own PostgreSQL schema (``<prefix>_<kind>_<deployment>``), so one
database serves many deployments and homes, as a directory of SQLite files does. The driver
(``psycopg[binary]``, the ``postgres`` extra) is imported only when a DSN is used.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

from fisco_drugtrace.errors import ConfigError

__all__ = [
    "PgConnection",
    "PgRow",
    "StoreLocation",
    "is_postgres_url",
    "redact_url",
    "open_store",
    "schema_name",
    "drop_store",
    "is_sqlite",
]

_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(value: Any) -> bool:
    """``True`` for a ``postgresql://`` (or ``postgres://``) DSN."""
    return isinstance(value, str) and value.lower().startswith(_SCHEMES)


def redact_url(url: str) -> str:
    """The DSN without its password (for messages and status pages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def is_sqlite(db: Any) -> bool:
    return isinstance(db, sqlite3.Connection)


class StoreLocation:
    """Where one store lives: a SQLite file, or a schema in a PostgreSQL database."""

    def __init__(self, path: str | Path | None = None, *, url: str = "", schema: str = "") -> None:
        self.path = path
        self.url = url
        self.schema = schema

    @property
    def postgres(self) -> bool:
        return bool(self.url)

    def __str__(self) -> str:
        return f"{redact_url(self.url)} schema {self.schema}" if self.url else str(self.path)


def schema_name(prefix: str, kind: str, scope: str) -> str:
    """A PostgreSQL schema name for a store: lower case, ``[a-z0-9_]``, at most 63 characters."""
    raw = f"{prefix}_{kind}_{scope}".lower()
    safe = re.sub(r"[^a-z0-9_]", "_", raw)
    if not safe[:1].isalpha():
        safe = "s_" + safe
    return safe[:63]


def open_store(location: StoreLocation | str | Path) -> Any:
    """A DB-API connection for a store: ``sqlite3.Connection`` for a path, :class:`PgConnection`
    (inside the location's schema, created if missing) for a DSN."""
    if isinstance(location, StoreLocation):
        if location.postgres:
            return PgConnection(location.url, location.schema)
        location = location.path or ":memory:"
    return sqlite3.connect(str(location))


def drop_store(location: StoreLocation) -> None:
    """Delete a PostgreSQL store (its schema and every table in it)."""
    db = PgConnection(location.url, location.schema, create=False)
    try:
        db.execute_native(f'DROP SCHEMA IF EXISTS "{location.schema}" CASCADE')
    finally:
        db.close()


# -- SQL translation -------------------------------------------------------------------------

_CREATE_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)\s*\((.*)\)", re.S | re.I)
_INSERT = re.compile(r"^\s*INSERT\s+OR\s+(REPLACE|IGNORE)\s+INTO\s+(\w+)\s*\(([^)]*)\)(.*)$", re.S | re.I)
_JSON_EXTRACT = re.compile(r"json_extract\((\w+),\s*'\$\.(\w+)'\)", re.I)
_HINT = re.compile(r"(?<=[\s(])\+(?=[a-z_]+\s)")
_SUBSTR = re.compile(r"\bsubstr\(", re.I)


def _primary_key(body: str) -> tuple[str, ...]:
    found = re.search(r"PRIMARY KEY\s*\(([^)]*)\)", body, re.I)
    if found:
        return tuple(c.strip() for c in found.group(1).split(","))
    for line in body.split(","):
        words = line.split()
        if len(words) >= 2 and "PRIMARY KEY" in " ".join(words).upper():
            return (words[0],)
    return ()


def _ddl(statement: str, keys: dict[str, tuple[str, ...]]) -> str:
    found = _CREATE_TABLE.search(statement)
    if found:
        keys[found.group(1).lower()] = _primary_key(found.group(2))
    out = re.sub(r"\bWITHOUT ROWID\b", "", statement, flags=re.I)
    out = re.sub(r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", out)
    out = re.sub(r"\bINTEGER\b", "BIGINT", out)
    out = re.sub(r"\bBLOB\b", "BYTEA", out)
    out = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', out)
    return out


def translate(sql: str, keys: dict[str, tuple[str, ...]]) -> str | None:
    """SQLite SQL -> PostgreSQL SQL (``None``: nothing to run, e.g. a ``PRAGMA``)."""
    text = sql.strip()
    head = text[:16].upper()
    if head.startswith("PRAGMA"):
        return None
    if head.startswith(("CREATE TABLE", "CREATE INDEX")):
        return _ddl(text, keys)
    text = text.replace("%", "%%")
    found = _INSERT.match(text)
    if found:
        verb, table, columns, rest = found.groups()
        names = [c.strip() for c in columns.split(",")]
        conflict = "ON CONFLICT DO NOTHING"
        if verb.upper() == "REPLACE":
            key = keys.get(table.lower()) or ()
            if not key:
                raise ConfigError(f"INSERT OR REPLACE into {table}: its primary key is unknown to the PostgreSQL seam")
            update = [c for c in names if c not in key]
            conflict = (f"ON CONFLICT ({', '.join(key)}) DO "
                        + (f"UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in update)}" if update else "NOTHING"))
        text = f"INSERT INTO {table} ({columns}){rest.rstrip().rstrip(';')} {conflict}"
    text = _JSON_EXTRACT.sub(lambda m: f"(({m.group(1)})::jsonb ->> '{m.group(2)}')::numeric", text)
    text = _SUBSTR.sub("fdt_substr(", text)
    text = _HINT.sub("", text)
    return text.replace("?", "%s")


def _split_script(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


_SEAM_FUNCTIONS = (
    # substr() of a bytea with 1-based bigint offsets, as SQLite's substr() on a BLOB
    "CREATE OR REPLACE FUNCTION fdt_substr(b bytea, s bigint, n bigint) RETURNS bytea "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT substring(b FROM s::int FOR n::int) $$",
    "CREATE OR REPLACE FUNCTION fdt_substr(b text, s bigint, n bigint) RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT substring(b FROM s::int FOR n::int) $$",
)


# -- rows ------------------------------------------------------------------------------------

class PgRow(tuple):  # type: ignore[type-arg]
    """A result row readable by position and by column name, as ``sqlite3.Row``."""

    __slots__ = ()
    _names: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_class(names: Sequence[str]) -> type[PgRow]:
    return type("PgRow", (PgRow,), {"__slots__": (), "_names": {n: i for i, n in enumerate(names)}})


class PgCursor:
    """The part of ``sqlite3.Cursor`` the stores use (``row_factory = sqlite3.Row`` gives named rows)."""

    def __init__(self, conn: "PgConnection") -> None:
        self._conn = conn
        self._cur = conn.raw.cursor()
        self.row_factory: Any = None
        self.rowcount = -1

    def execute(self, sql: str, params: Sequence[Any] = ()) -> "PgCursor":
        text = self._conn.sql(sql)
        if text is not None:
            self._cur.execute(text, tuple(params) if params else None)
            self.rowcount = self._cur.rowcount
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> "PgCursor":
        text = self._conn.sql(sql)
        batch = [tuple(r) for r in rows]
        if text is not None and batch:
            self._cur.executemany(text, batch)
            self.rowcount = self._cur.rowcount
        else:
            self.rowcount = 0
        return self

    def _wrap(self, row: Any) -> Any:
        if row is None or self.row_factory is None:
            return row
        return self._rowtype()(row)

    def _rowtype(self) -> type[PgRow]:
        names = tuple(d.name for d in (self._cur.description or ()))
        cached = self._conn._row_types.get(names)
        if cached is None:
            cached = self._conn._row_types[names] = _row_class(names)
        return cached

    def fetchone(self) -> Any:
        if self._cur.description is None:
            return None
        return self._wrap(self._cur.fetchone())

    def fetchall(self) -> list[Any]:
        if self._cur.description is None:
            return []
        rows = self._cur.fetchall()
        if self.row_factory is None:
            return rows
        kind = self._rowtype()
        return [kind(r) for r in rows]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._cur.close()


class PgConnection:
    """A PostgreSQL connection that takes the stores' SQLite SQL (see the module docstring).

    Autocommit outside ``with db:``; ``with db:`` is one transaction (nested: a savepoint).
    Thread-safe as psycopg's connections are (one statement at a time).
    """

    dialect = "postgresql"

    def __init__(self, url: str, schema: str, *, create: bool = True) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - the dev extra installs it
            raise ConfigError("a postgresql:// database needs the PostgreSQL driver: "
                              "pip install 'fisco-drugtrace[postgres]' (psycopg 3)") from exc
        self._psycopg = psycopg
        self.url = url
        self.schema = schema
        try:
            self.raw = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise ConfigError(f"cannot connect to PostgreSQL at {redact_url(url)}: {exc}".strip()) from exc
        _register_loaders(self.raw)
        self._keys: dict[str, tuple[str, ...]] = {}
        self._sql: dict[str, str | None] = {}
        self._row_types: dict[tuple[str, ...], type[PgRow]] = {}
        self._tx: list[Any] = []
        self._lock = threading.RLock()
        self.fresh = False
        if create:
            exists = self.raw.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
            if exists is None:
                self.raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                self.fresh = True
            self.raw.execute(f'SET search_path TO "{schema}"')
            if self.fresh or self.raw.execute("SELECT to_regproc('fdt_substr')").fetchone()[0] is None:
                for statement in _SEAM_FUNCTIONS:
                    self.raw.execute(statement)

    # -- the sqlite3.Connection surface ---------------------------------------------------
    def sql(self, sql: str) -> str | None:
        text = self._sql.get(sql, "")
        if text == "":
            text = self._sql[sql] = translate(sql, self._keys)
        return text

    def learn_keys(self, script: str) -> None:
        """Record the primary keys of a schema's tables without running it (a store that exists)."""
        for statement in _split_script(script):
            if statement.upper().startswith("CREATE TABLE"):
                _ddl(statement, self._keys)

    def cursor(self) -> PgCursor:
        return PgCursor(self)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        return self.cursor().executemany(sql, rows)

    def executescript(self, script: str) -> None:
        for statement in _split_script(script):
            text = self.sql(statement)
            if text is not None:
                self.raw.execute(text)

    def execute_native(self, sql: str, params: Sequence[Any] | None = None, *, binary: bool = False) -> Any:
        """Run PostgreSQL SQL as it is (no translation); ``binary``: results in binary format (a
        large ``bytea`` arrives as its bytes, not as hex text twice its size to decode)."""
        return self.raw.execute(sql, params, binary=binary)

    def copy_in(self, sql: str, chunks: Iterable[bytes]) -> None:
        """``COPY … FROM STDIN`` (PostgreSQL SQL as it is) fed with ``chunks`` of its format."""
        with self.raw.cursor().copy(sql) as copy:
            for chunk in chunks:
                copy.write(chunk)

    @property
    def unique_violation(self) -> type[Exception]:
        return self._psycopg.errors.UniqueViolation  # type: ignore[no-any-return]

    def __enter__(self) -> "PgConnection":
        self._lock.acquire()
        tx = self.raw.transaction()
        tx.__enter__()
        self._tx.append(tx)
        return self

    def __exit__(self, *exc: Any) -> None:
        tx = self._tx.pop()
        try:
            tx.__exit__(*exc)
        finally:
            self._lock.release()

    def commit(self) -> None:
        """Outside ``with db:`` every statement is already committed (autocommit)."""

    def close(self) -> None:
        self.raw.close()


def _register_loaders(conn: Any) -> None:
    """``numeric`` results (``sum()`` of integers) as ``int`` when integral, as SQLite gives them."""
    from decimal import Decimal

    from psycopg.adapt import Loader

    class _NumericLoader(Loader):
        def load(self, data: Any) -> Any:
            text = bytes(data).decode("ascii")
            if "." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity"):
                value = Decimal(text)
                return int(value) if value == value.to_integral_value() else float(value)
            return int(text)

    conn.adapters.register_loader("numeric", _NumericLoader)
