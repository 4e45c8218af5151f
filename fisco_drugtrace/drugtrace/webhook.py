"""Webhook delivery of watch events: a durable SQLite outbox and a sender that POSTs each event,
in order, to a back-end, with an HMAC-SHA256 signature, retrying with back-off until it is taken.

Exactly once per event id: the outbox keys events by :attr:`WatchEvent.event_id`, so an event
enqueued twice (a watch resumed from an older checkpoint) is stored once; the watch's
checkpoint is saved in the same SQLite transaction as the events before it, so a crash loses
none and repeats none; an event is marked delivered when the back-end answers 2xx, and the next
one is only sent after that (order). The one window left — the back-end took an event and the
process died before recording it — resends that event with the same ``X-Drugtrace-Event-Id``,
which the back-end uses to drop it.

Request: ``POST <url>`` with the event's JSON (:meth:`WatchEvent.to_json`), headers
``Content-Type: application/json``, ``X-Drugtrace-Event-Id: <id>``,
``X-Drugtrace-Signature: sha256=<hex HMAC-SHA256(secret, body)>`` (GitHub's webhook convention).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from fisco_drugtrace.errors import WebhookError

__all__ = ["WebhookOutbox", "WebhookSender", "OutboxEntry", "sign_body", "event_body", "pump", "open_webhook", "SIGNATURE_HEADER", "EVENT_ID_HEADER"]

SIGNATURE_HEADER = "X-Drugtrace-Signature"
EVENT_ID_HEADER = "X-Drugtrace-Event-Id"
#: First and longest pause between delivery attempts of one event (s).
FIRST_BACKOFF, MAX_BACKOFF = 0.5, 60.0


def sign_body(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    event_id: str
    body: bytes
    attempts: int


class WebhookOutbox:
    """Events waiting for (or done with) delivery, and the watch's checkpoint, in one SQLite file.

    :param scope: what the outbox belongs to (URL + organisation + chain); another scope's file is refused.
    """

    def __init__(self, path: str | Path, scope: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT UNIQUE NOT NULL,"
                " body BLOB NOT NULL, delivered INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0);")
            row = self._db.execute("SELECT value FROM meta WHERE key = 'scope'").fetchone()
        except sqlite3.Error as exc:
            raise WebhookError(f"cannot open the webhook outbox {self.path}: {exc}") from exc
        if row is None:
            self._db.execute("INSERT INTO meta (key, value) VALUES ('scope', ?)", (scope,))
        elif row[0] != scope:
            raise WebhookError(f"{self.path} is the outbox of another watch ({row[0]}), not of {scope}")
        self._lock = threading.Lock()
        self.wake = threading.Event()

    def add(self, events: list[tuple[str, bytes]], checkpoint: str | None) -> int:
        """Store events (ids already present are skipped) and the checkpoint after them, atomically.
        Returns how many were new."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                before = db.total_changes
                db.executemany("INSERT OR IGNORE INTO outbox (event_id, body) VALUES (?, ?)", events)
                added = db.total_changes - before
                if checkpoint is not None:
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('checkpoint', ?)", (checkpoint,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if added:
            self.wake.set()
        return added

    def checkpoint(self) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
        return row[0] if row else None

    def next_pending(self) -> OutboxEntry | None:
        with self._lock:
            row = self._db.execute("SELECT seq, event_id, body, attempts FROM outbox WHERE delivered = 0 "
                                   "ORDER BY seq LIMIT 1").fetchone()
        return OutboxEntry(row[0], row[1], bytes(row[2]), row[3]) if row else None

    def mark(self, seq: int, delivered: bool) -> None:
        with self._lock:
            if delivered:
                self._db.execute("UPDATE outbox SET delivered = 1, attempts = attempts + 1 WHERE seq = ?", (seq,))
            else:
                self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", (seq,))

    def counts(self) -> tuple[int, int]:
        """``(delivered, pending)``."""
        with self._lock:
            done, pending = self._db.execute(
                "SELECT coalesce(sum(delivered), 0), coalesce(sum(1 - delivered), 0) FROM outbox").fetchone()
        return int(done), int(pending)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """One POST through requests (the project's HTTP client; no redirects followed: a 3xx is not
    "taken"); 0 when there is no answer."""
    import requests

    try:
        with requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False,
                           stream=True) as response:
            response.raw.read(65536, decode_content=False)
            return int(response.status_code)
    except (requests.RequestException, OSError, ValueError):
        return 0


class WebhookSender:
    """Delivers the outbox in order in a background thread (:meth:`start`), one event at a time.

    :param post: ``(url, body, headers, timeout) -> HTTP status`` (0 = no answer); requests by default.
    """

    def __init__(self, outbox: WebhookOutbox, url: str, secret: bytes, *, timeout: float = 10.0,
                 post: Callable[[str, bytes, dict[str, str], float], int] | None = None,
                 first_backoff: float = FIRST_BACKOFF, max_backoff: float = MAX_BACKOFF) -> None:
        if not url.startswith(("http://", "https://")):
            raise WebhookError(f"a webhook URL is http:// or https://, got {url!r}")
        if not secret:
            raise WebhookError("a webhook needs a non-empty signing secret")
        self.outbox = outbox
        self.url = url
        self._secret = secret
        self._timeout = timeout
        self._post = post or _post
        self._first, self._max = first_backoff, max_backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.failures = 0

    def headers(self, entry: OutboxEntry) -> dict[str, str]:
        return {"Content-Type": "application/json", EVENT_ID_HEADER: entry.event_id,
                SIGNATURE_HEADER: sign_body(self._secret, entry.body)}

    def deliver_one(self) -> bool | None:
        """Try the oldest pending event once: ``True`` taken, ``False`` refused/unreachable, ``None`` nothing pending."""
        entry = self.outbox.next_pending()
        if entry is None:
            return None
        status = self._post(self.url, entry.body, self.headers(entry), self._timeout)
        ok = 200 <= status < 300
        self.outbox.mark(entry.seq, ok)
        if ok:
            self.delivered += 1
        else:
            self.failures += 1
        return ok

    def _run(self) -> None:
        delay = self._first
        while not self._stop.is_set():
            result = self.deliver_one()
            if result is None:
                self.outbox.wake.wait(0.5)
                self.outbox.wake.clear()
            elif result:
                delay = self._first
            else:
                self._stop.wait(delay)
                delay = min(delay * 2, self._max)

    def start(self) -> "WebhookSender":
        self._thread = threading.Thread(target=self._run, name="fisco-webhook", daemon=True)
        self._thread.start()
        return self

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is pending (``True``) or ``timeout`` passes (``False``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.outbox.counts()[1] == 0:
                return True
            time.sleep(0.05)
        return self.outbox.counts()[1] == 0

    def stop(self) -> None:
        self._stop.set()
        self.outbox.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 1)


def event_body(event: Any) -> bytes:
    """The JSON body POSTed for a watch event."""
    return json.dumps(event.to_json(), sort_keys=True, separators=(",", ":")).encode()


def pump(watch: Any, *, on_event: Callable[[Any], None], outbox: WebhookOutbox | None = None,
         checkpoint_file: str | Path | None = None, stop: threading.Event | None = None) -> int:
    """Move events from ``watch`` to ``on_event`` (and the outbox, with the checkpoint) until the
    watch ends or ``stop`` is set; returns how many events went through. With a checkpoint file
    the checkpoint is saved after each event (the outbox keeps its own)."""
    from fisco_drugtrace.client.subscribe import Checkpoint

    stop = stop or threading.Event()
    count = 0
    while not stop.is_set():
        try:
            event = watch.get(timeout=0.5)
        except StopIteration:
            break
        if event is None:
            continue
        checkpoint: Checkpoint = watch.checkpoint
        if outbox is not None:
            outbox.add([(event.event_id, event_body(event))], checkpoint.to_json())
        if checkpoint_file is not None:
            checkpoint.save(checkpoint_file)
        on_event(event)
        count += 1
    return count


def open_webhook(service: Any, url: str, secret: bytes, org: str | None,
                 outbox_path: str | Path | None = None) -> tuple[WebhookOutbox, WebhookSender, Any]:
    """The outbox for (url, org, chain) — by default ``<home>/webhooks/<hash>.sqlite`` — its
    sender (started) and the checkpoint the outbox kept (``None`` on first use)."""
    from fisco_drugtrace.client.subscribe import Checkpoint

    scope = f"{url}|{org or '*'}|{':'.join(service.chain_key)}"
    path = Path(outbox_path) if outbox_path else \
        Path(service.home) / "webhooks" / f"{hashlib.sha256(scope.encode()).hexdigest()[:16]}.sqlite"
    box = WebhookOutbox(path, scope)
    try:
        sender = WebhookSender(box, url, secret).start()
    except BaseException:
        box.close()
        raise
    saved = box.checkpoint()
    return box, sender, Checkpoint.from_json(saved) if saved else None
