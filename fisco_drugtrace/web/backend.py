"""What the web service stands on: one chain, one suite, the audit index kept in step by a
background sync, a read-only service per request thread and signers for write tokens.

Everything the pages and the API show comes from :class:`~fisco_drugtrace.drugtrace.TraceService`;
this module only owns the connections and the sync loop.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto.keystore import AccountStore
from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.hashing import chain_uses_sm
from fisco_drugtrace.drugtrace.served import IndexedVerifier
from fisco_drugtrace.drugtrace.sqldb import StoreLocation, is_postgres_url, schema_name
from fisco_drugtrace.errors import ConfigError, DrugTraceError, KeystoreError, TransportError
from fisco_drugtrace.web.store import WebStore
from fisco_drugtrace.web.tokens import TokenStore

__all__ = ["Backend", "SyncStatus"]

_log = logging.getLogger("fisco_drugtrace.web")


@dataclass
class SyncStatus:
    """The background sync's last outcome (shown on every regulator page)."""

    last_ok_ms: int | None = None
    indexed_block: int | None = None
    events: int = 0
    error: str | None = None
    error_since_ms: int | None = None
    rounds: int = 0

    @property
    def healthy(self) -> bool:
        return self.error is None and self.last_ok_ms is not None

    def to_dict(self) -> dict[str, Any]:
        return {"last_ok_ms": self.last_ok_ms, "indexed_block": self.indexed_block, "events": self.events,
                "error": self.error, "error_since_ms": self.error_since_ms, "rounds": self.rounds}

    @classmethod
    def from_dict(cls, data: Any) -> "SyncStatus":
        if not isinstance(data, dict):
            raise ValueError("not a sync status")
        opt = lambda k: None if data.get(k) is None else int(data[k])  # noqa: E731
        return cls(opt("last_ok_ms"), opt("indexed_block"), int(data.get("events") or 0),
                   None if data.get("error") is None else str(data["error"]), opt("error_since_ms"),
                   int(data.get("rounds") or 0))


@dataclass
class Backend:
    """Connections and local stores of one served deployment.

    :param client: a connected client (``connect(settings)``, or an in-process dev chain).
    :param home: the directory holding the address book, code store and audit index.
    :param account_dir: the keystore directory write tokens' accounts are loaded from.
    :param password: returns the keystore password for an account name (never stored here).
    """

    client: Any
    home: Path
    account_dir: Path | None = None
    password: Callable[[str], str] | None = None
    sync_interval: float = 2.0
    clock: Callable[[], int] | None = None
    sync: SyncStatus = field(default_factory=SyncStatus)
    #: the code store and audit index: "" = SQLite files under ``home``; or a ``postgresql://`` DSN
    database: str = field(default="", repr=False)
    schema_prefix: str = "fdt"
    #: where the syncing process publishes :class:`SyncStatus` after every round (JSON, renamed
    #: into place); with ``follow`` this process does not sync and reads it from there instead
    #: (``serve --workers N``: one syncer, N request workers)
    status_file: Path | None = None
    follow: bool = False

    def __post_init__(self) -> None:
        self.home = Path(self.home)
        self.book = AddressBook.in_home(self.home)
        self.tokens = TokenStore(self.home / "web" / "tokens.sqlite")
        self.store = WebStore(self._web_location())
        self._local = threading.local()
        self._signers: dict[str, LocalSigner] = {}
        self._signer_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: patients' verifications, answered from the code store and the audit index (no chain reads)
        self.verifier = IndexedVerifier(self.service)
        self._status_read = (0.0, -1)  # (monotonic time of the last read, mtime_ns of the file then)

    def _web_location(self) -> StoreLocation:
        """The scans / idempotency / write-log store: beside the index (a SQLite file in the home, or
        the schema ``<prefix>_web_<home>`` of the PostgreSQL database: one per served home)."""
        if is_postgres_url(self.database):
            import hashlib

            home_key = hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:12]
            return StoreLocation(url=self.database, schema=schema_name(self.schema_prefix, "web", home_key))
        return StoreLocation(self.home / "web" / "web.sqlite")

    # -- services -----------------------------------------------------------------------------
    def service(self, account: str | None = None) -> TraceService:
        """A service for this thread (read-only, or signing as ``account``)."""
        cache: dict[str | None, TraceService] = getattr(self._local, "services", None) or {}
        self._local.services = cache
        if account not in cache:
            signer = self.signer(account) if account else None
            cache[account] = TraceService(self.client, signer, self.book, home=self.home, clock=self.clock,
                                          database=self.database, schema_prefix=self.schema_prefix)
        return cache[account]

    def signer(self, account: str) -> LocalSigner:
        """The signer of a keystore account, unlocked once with the configured password.

        :raises ConfigError: no keystore directory or password source configured.
        """
        with self._signer_lock:
            if account not in self._signers:
                if self.account_dir is None or self.password is None:
                    raise ConfigError("this server signs no transactions: start it with a keystore "
                                      "(FISCO_KEYSTORE_PASSWORD or --password-file) to serve write tokens")
                store = AccountStore(self.account_dir)
                try:
                    keypair = store.load(account, self.password(account))
                except KeystoreError:
                    raise
                self._signers[account] = LocalSigner(keypair)
            return self._signers[account]

    # -- the chain's identity, kept for a start while the node is down --------------------------
    @property
    def chain_file(self) -> Path:
        """The chain id, group and crypto suite last learnt from the node (``<home>/web/chain.json``)."""
        return self.home / "web" / "chain.json"

    def connect_chain(self) -> bool:
        """Learn the chain's id and crypto suite from the node and keep them in the home; when the
        node cannot be reached, take those kept at an earlier start, so that the pages and the
        patients' scans are answered from the index and the code store (``False``: assumed).

        :raises ConfigError: the node cannot be reached and this home keeps no identity of its chain.
        """
        try:
            chain_id = self.client.identity().chain_id
            suite = self.client.chain_crypto_suite()
            sm = chain_uses_sm(self.client)
        except TransportError as exc:
            from fisco_drugtrace.jsonsafe import load_json

            try:
                kept = load_json(self.chain_file.read_bytes())
            except (OSError, ValueError):
                kept = None
            if not isinstance(kept, dict) or str(kept.get("group")) != str(self.client.group) \
                    or kept.get("chain_id") is None:
                raise ConfigError(f"the node cannot be reached ({exc.user_message or exc}) and this home keeps no "
                                  "identity of its chain from an earlier start: start the server once with its "
                                  "node up") from exc
            self.client.assume_identity(kept["chain_id"], kept.get("crypto_suite"), kept.get("sm_crypto"))
            now = int(time.time() * 1000)
            self.sync.error = f"{exc.user_message or exc} (started without the node: chain {kept['chain_id']} " \
                              f"as last seen)"
            self.sync.error_since_ms = now
            _log.info("node unreachable at start: serving chain %s from the index", kept["chain_id"])
            return False
        self._keep_chain(chain_id, suite, sm)
        return True

    def _keep_chain(self, chain_id: Any, suite: str | None, sm: bool | None) -> None:
        facts = {"chain_id": chain_id, "group": self.client.group, "crypto_suite": suite, "sm_crypto": sm}
        if getattr(self, "_kept_chain", None) == facts:
            return
        path = self.chain_file
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(facts), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            _log.warning("chain identity not kept in %s: %s", path, exc)
            return
        self._kept_chain = facts

    # -- background sync ----------------------------------------------------------------------
    def sync_once(self) -> SyncStatus:
        """Bring the audit index up to the chain's head once; failures are recorded, not raised."""
        now = int(time.time() * 1000)
        try:
            result = self.service().audit_sync()
        except DrugTraceError as exc:
            if self.sync.error is None:
                self.sync.error_since_ms = now
                _log.warning("audit sync failed: %s", exc)
            self.sync.error = str(exc)
        else:
            self.sync.error = None
            self.sync.error_since_ms = None
            self.sync.last_ok_ms = now
            self.sync.indexed_block = getattr(result, "to_block", None)
            self.sync.events += int(getattr(result, "events", 0) or 0)
            self.refresh_proofs()
            if not self.follow:  # the identity the index was just synced against, for a start without the node
                try:
                    self._keep_chain(self.client.identity().chain_id, self.client.chain_crypto_suite(),
                                     chain_uses_sm(self.client))
                except DrugTraceError:  # pragma: no cover - the node went away between the two
                    pass
        self.sync.rounds += 1
        self._publish()
        return self.sync

    def _publish(self) -> None:
        if self.status_file is None:
            return
        path = Path(self.status_file)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.sync.to_dict()), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            _log.warning("sync status not published to %s: %s", path, exc)

    def sync_status(self) -> SyncStatus:
        """The background sync's last outcome: this process's own, or (``follow``) the syncing
        process's, re-read from ``status_file`` at most every half second."""
        if not self.follow or self.status_file is None:
            return self.sync
        now = time.monotonic()
        if now - self._status_read[0] < 0.5:
            return self.sync
        from fisco_drugtrace.jsonsafe import load_json

        try:
            mtime = os.stat(self.status_file).st_mtime_ns
            if mtime != self._status_read[1]:
                self.sync = SyncStatus.from_dict(load_json(Path(self.status_file).read_bytes()))
        except (OSError, ValueError) as exc:
            self.sync = SyncStatus(error=f"the syncing process has published no status ({exc})")
            mtime = -1
        self._status_read = (now, mtime)
        return self.sync

    def refresh_proofs(self) -> None:
        """Lay out the proof files of batches whose manifests arrived since (logged, not raised:
        verification reads the code store's levels until a file is there)."""
        try:
            built = self.verifier.refresh()
        except (DrugTraceError, OSError, ValueError) as exc:
            _log.warning("proof files not refreshed: %s", exc)
        else:
            if built:
                _log.info("laid out %d proof file(s)", built)

    def start(self) -> None:
        if self._thread is not None or self.sync_interval <= 0 or self.follow:
            return
        self._thread = threading.Thread(target=self._loop, name="audit-sync", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sync_once()
            self._stop.wait(self.sync_interval)
        svc = getattr(self._local, "services", {})
        for s in svc.values():
            s.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.verifier.close()
        self.tokens.close()
        self.store.close()
