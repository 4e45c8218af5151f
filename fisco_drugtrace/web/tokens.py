"""API tokens of the web service: stored hashed, scoped, bound to one keystore account, revocable.

A token is shown once, when it is issued (``dtk_`` + 32 random bytes in URL-safe base64); the
store keeps only its SHA-256, so a copy of the database grants nothing. Scopes:

- ``read``: the regulator's and auditor's pages and every query endpoint;
- ``write``: the above, plus the write endpoints, signed by the bound keystore ``account`` —
  the account is chosen by the server operator when issuing, never by the caller, so a token
  of one organisation cannot act as another.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fisco_drugtrace.errors import ConfigError

__all__ = ["TokenStore", "TokenInfo", "SCOPES"]

SCOPES = ("read", "write")
_PREFIX = "dtk_"


@dataclass(frozen=True)
class TokenInfo:
    """One issued token (never its secret)."""

    token_id: int
    name: str
    scope: str
    account: str | None
    created_at: int
    revoked_at: int | None

    @property
    def can_write(self) -> bool:
        return self.scope == "write" and self.account is not None and self.revoked_at is None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """Tokens in an SQLite file (created 0600)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        if fresh:
            os.chmod(self.path, 0o600)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
            "digest TEXT NOT NULL UNIQUE, scope TEXT NOT NULL, account TEXT, created_at INTEGER NOT NULL, "
            "revoked_at INTEGER)")

    def issue(self, name: str, scope: str, account: str | None = None) -> tuple[str, TokenInfo]:
        """A new token; returns ``(secret, info)``. The secret is not stored and cannot be shown again.

        :raises ConfigError: unknown scope, a write token without an account, or a name in use.
        """
        if scope not in SCOPES:
            raise ConfigError(f"unknown token scope {scope!r}: use one of {', '.join(SCOPES)}")
        if scope == "write" and not account:
            raise ConfigError("a write token must be bound to a keystore account (--account NAME)")
        secret = _PREFIX + secrets.token_urlsafe(32)
        now = int(time.time() * 1000)
        with self._lock:
            try:
                cur = self._db.execute(
                    "INSERT INTO tokens (name, digest, scope, account, created_at) VALUES (?, ?, ?, ?, ?)",
                    (name, _digest(secret), scope, account, now))
            except sqlite3.IntegrityError as exc:
                raise ConfigError(f"a token named {name!r} exists already") from exc
        return secret, TokenInfo(int(cur.lastrowid or 0), name, scope, account, now, None)

    def check(self, secret: str | None) -> TokenInfo | None:
        """The live token for ``secret``, or ``None`` (unknown, revoked, or malformed)."""
        if not secret or not secret.startswith(_PREFIX) or len(secret) > 128:
            return None
        digest = _digest(secret)
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, scope, account, created_at, revoked_at, digest FROM tokens WHERE digest = ?",
                (digest,)).fetchone()
        if row is None or row[5] is not None or not hmac.compare_digest(row[6], digest):
            return None
        return TokenInfo(*row[:6])

    def revoke(self, name: str) -> bool:
        """Revoke by name; ``False`` if no live token has that name."""
        with self._lock:
            cur = self._db.execute("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                                   (int(time.time() * 1000), name))
        return cur.rowcount > 0

    def list(self) -> list[TokenInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, scope, account, created_at, revoked_at FROM tokens ORDER BY id").fetchall()
        return [TokenInfo(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
