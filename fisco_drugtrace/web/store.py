"""The web service's own small records (SQLite, beside the audit index; or PostgreSQL): consumer scans,
idempotency keys of writes, and the log of every write with who called it.

No personal data: a scan is counted against the code's hash, with no address, agent or cookie.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fisco_drugtrace.drugtrace.sqldb import StoreLocation, open_store

__all__ = ["WebStore", "ScanAlert", "StoredResponse"]

#: A dispensed code scanned this many times raises a consumer-scan alert ...
SCAN_ALERT_THRESHOLD = 2
#: ... at most once per code in this window (ms) ...
SCAN_ALERT_INTERVAL_MS = 3_600_000
#: ... and at most this many alerts per minute in all (a flood of scans cannot flood the regulator).
SCAN_ALERTS_PER_MINUTE = 30


@dataclass(frozen=True)
class ScanAlert:
    """A dispensed box that consumers keep scanning: a sign of a re-used or copied code."""

    code: str
    batch_id: str
    scans: int
    first_scan_ms: int
    raised_ms: int


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    request_digest: str


def _now() -> int:
    return int(time.time() * 1000)


class WebStore:
    """A SQLite file (0600), or a schema of a PostgreSQL database (a ``StoreLocation`` with a DSN)."""

    def __init__(self, path: str | Path | StoreLocation) -> None:
        self._lock = threading.Lock()
        if isinstance(path, StoreLocation) and path.postgres:
            self.path = Path(path.schema)
            self._db: Any = open_store(path)
        else:
            self.path = Path(str(path.path if isinstance(path, StoreLocation) else path))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists()
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            if fresh:
                os.chmod(self.path, 0o600)
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS scans (code_hash TEXT PRIMARY KEY, scans INTEGER NOT NULL, "
            "  dispensed_scans INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, "
            "  last_alert_ms INTEGER);"
            "CREATE TABLE IF NOT EXISTS scan_alerts (id INTEGER PRIMARY KEY, code TEXT NOT NULL, "
            "  batch_id TEXT NOT NULL, scans INTEGER NOT NULL, first_ms INTEGER NOT NULL, raised_ms INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS idempotency (token_id INTEGER NOT NULL, key TEXT NOT NULL, "
            "  request_digest TEXT NOT NULL, status INTEGER, body BLOB, created_ms INTEGER NOT NULL, "
            "  PRIMARY KEY (token_id, key));"
            "CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, "
            "  token TEXT NOT NULL, account TEXT NOT NULL, operation TEXT NOT NULL, arguments TEXT NOT NULL, "
            "  status INTEGER NOT NULL, tx_hash TEXT, error TEXT);")

    # -- consumer scans -----------------------------------------------------------------------
    def count_scan(self, code: str, *, dispensed: bool, batch_id: str | None) -> ScanAlert | None:
        """Count one consumer scan; a :class:`ScanAlert` when this scan raises one."""
        return self.record_scan(code, dispensed=dispensed, batch_id=batch_id)[1]

    def record_scan(self, code: str, *, dispensed: bool, batch_id: str | None) -> tuple[int, ScanAlert | None]:
        """Count one consumer scan: the code's scans so far (this one included), and a
        :class:`ScanAlert` when this scan raises one.

        One upsert that adds to the stored counts and returns them, so that scans counted by
        several worker processes at once are all counted (a read then a write could lose one)
        and a scan costs one round trip to a PostgreSQL store, not three.
        """
        digest = hashlib.sha256(code.encode()).hexdigest()
        now = _now()
        with self._lock:
            scans, dispensed_scans, first, last_alert = self._db.execute(
                "INSERT INTO scans (code_hash, scans, dispensed_scans, first_ms, last_ms, last_alert_ms) "
                "VALUES (?, 1, ?, ?, ?, NULL) ON CONFLICT(code_hash) DO UPDATE SET scans = scans.scans + 1, "
                "dispensed_scans = scans.dispensed_scans + excluded.dispensed_scans, last_ms = excluded.last_ms "
                "RETURNING scans, dispensed_scans, first_ms, last_alert_ms",
                (digest, 1 if dispensed else 0, now, now)).fetchone()
            scans, dispensed_scans, first = int(scans), int(dispensed_scans), int(first)
            if not dispensed or dispensed_scans < SCAN_ALERT_THRESHOLD or batch_id is None:
                return scans, None
            if last_alert is not None and now - int(last_alert) < SCAN_ALERT_INTERVAL_MS:
                return scans, None
            recent = self._db.execute("SELECT COUNT(*) FROM scan_alerts WHERE raised_ms > ?",
                                      (now - 60_000,)).fetchone()[0]
            if recent >= SCAN_ALERTS_PER_MINUTE:
                return scans, None
            self._db.execute("UPDATE scans SET last_alert_ms = ? WHERE code_hash = ?", (now, digest))
            self._db.execute("INSERT INTO scan_alerts (code, batch_id, scans, first_ms, raised_ms) "
                             "VALUES (?, ?, ?, ?, ?)", (code, batch_id, dispensed_scans, first, now))
        return scans, ScanAlert(code, batch_id, dispensed_scans, first, now)

    def scan_count(self, code: str) -> int:
        digest = hashlib.sha256(code.encode()).hexdigest()
        with self._lock:
            row = self._db.execute("SELECT scans FROM scans WHERE code_hash = ?", (digest,)).fetchone()
        return int(row[0]) if row else 0

    def scan_alerts(self, limit: int = 200) -> list[ScanAlert]:
        with self._lock:
            rows = self._db.execute("SELECT code, batch_id, scans, first_ms, raised_ms FROM scan_alerts "
                                    "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [ScanAlert(*row) for row in rows]

    # -- idempotency --------------------------------------------------------------------------
    def idempotent_begin(self, token_id: int, key: str, request_digest: str) -> StoredResponse | None | str:
        """``None``: go ahead (the key is now taken); a :class:`StoredResponse` to replay; or an
        error string (key re-used for another request, or the first one still running)."""
        with self._lock:
            row = self._db.execute("SELECT request_digest, status, body FROM idempotency "
                                   "WHERE token_id = ? AND key = ?", (token_id, key)).fetchone()
            if row is None:
                self._db.execute("INSERT INTO idempotency (token_id, key, request_digest, created_ms) "
                                 "VALUES (?, ?, ?, ?)", (token_id, key, request_digest, _now()))
                return None
        if row[0] != request_digest:
            return "this Idempotency-Key was used for a different request"
        if row[1] is None:
            return "a request with this Idempotency-Key is still running"
        return StoredResponse(int(row[1]), bytes(row[2]), row[0])

    def idempotent_finish(self, token_id: int, key: str, status: int, body: bytes) -> None:
        with self._lock:
            self._db.execute("UPDATE idempotency SET status = ?, body = ? WHERE token_id = ? AND key = ?",
                             (status, body, token_id, key))

    def idempotent_abandon(self, token_id: int, key: str) -> None:
        """Free a key whose request never reached the chain (so a retry may run it)."""
        with self._lock:
            self._db.execute("DELETE FROM idempotency WHERE token_id = ? AND key = ? AND status IS NULL",
                             (token_id, key))

    # -- write log ----------------------------------------------------------------------------
    def log_write(self, *, token: str, account: str, operation: str, arguments: Any, status: int,
                  tx_hash: str | None, error: str | None) -> None:
        text = json.dumps(arguments, default=str, ensure_ascii=False)[:4000]
        with self._lock:
            self._db.execute("INSERT INTO writes (at_ms, token, account, operation, arguments, status, tx_hash, "
                             "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (_now(), token, account, operation, text, status, tx_hash, error))

    def writes(self, limit: int = 200) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT at_ms, token, account, operation, arguments, status, tx_hash, error "
                                    "FROM writes ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        keys = ("at_ms", "token", "account", "operation", "arguments", "status", "tx_hash", "error")
        return [dict(zip(keys, row)) for row in rows]

    def close(self) -> None:
        self._db.close()
