"""Event subscriptions on the client: pushed by the node when the transport can (3.x WebSocket,
2.x channel), polled through :meth:`FiscoClient.get_logs` otherwise — same events, same order.

A subscription is an iterator of :class:`~fisco_drugtrace.types.Log` (or of whatever ``decode``
makes of them) and can drive a callback instead. Its :attr:`LogSubscription.checkpoint` says how
far delivery got: the block being delivered and how many of its matching events were already
handed out. Persist it (``Checkpoint.to_json``) and pass it back to resume after a restart: the
block is read again from its start and the events already delivered are skipped, so nothing is
lost and nothing comes twice. The same rule makes a push transport's reconnect exact: it
re-subscribes from the block it was receiving and this layer drops what it had already seen.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, Sequence, TypeVar

from fisco_drugtrace.errors import ConfigError, TransportError
from fisco_drugtrace.rpc.push import PushSubscription, PushTransport
from fisco_drugtrace.types import Log
from fisco_drugtrace.jsonsafe import load_json

if TYPE_CHECKING:
    from fisco_drugtrace.client.base import FiscoClient

__all__ = ["Checkpoint", "LogSubscription", "push_transport_of", "DEFAULT_POLL_INTERVAL"]

#: Seconds between getLogs polls once the subscription has caught up with the head.
DEFAULT_POLL_INTERVAL = 0.5
#: Most blocks one getLogs poll covers.
_POLL_SPAN = 500
_END = object()

T = TypeVar("T")


@dataclass(frozen=True)
class Checkpoint:
    """How far a subscription delivered: ``delivered`` events of block ``block`` are done."""

    block: int
    delivered: int = 0

    def to_json(self) -> str:
        return json.dumps({"block": self.block, "delivered": self.delivered})

    @classmethod
    def from_json(cls, text: str) -> "Checkpoint":
        """:raises ConfigError: not a checkpoint."""
        try:
            obj = load_json(text)
            block, delivered = int(obj["block"]), int(obj["delivered"])
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"not a subscription checkpoint: {text[:80]!r}") from exc
        if block < 0 or delivered < 0:
            raise ConfigError(f"checkpoint fields must be >= 0, got {text[:80]!r}")
        return cls(block, delivered)

    def save(self, path: str | Path) -> None:
        """Write atomically (a crash leaves the old or the new checkpoint, never half of one)."""
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        with open(tmp, "w") as out:
            out.write(self.to_json())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)

    @classmethod
    def load(cls, path: str | Path) -> "Checkpoint | None":
        """The saved checkpoint, or ``None`` when there is none yet."""
        try:
            return cls.from_json(Path(path).read_text())
        except FileNotFoundError:
            return None


def push_transport_of(client: "FiscoClient") -> PushTransport | None:
    """The client's push transport, when it has one."""
    transport = getattr(client.rpc, "transport", None)
    return transport if isinstance(transport, PushTransport) else None


class _Position:
    """Counts events per block as they arrive and drops those a checkpoint says were delivered."""

    def __init__(self, skip: Checkpoint) -> None:
        self.skip = skip
        self.block = skip.block
        self.count = 0

    def admit(self, log: Log) -> bool:
        number = log.block_number if log.block_number is not None else -1
        if number < self.skip.block:
            return False
        if number != self.block:
            self.block, self.count = number, 0
        self.count += 1
        return not (number == self.skip.block and self.count <= self.skip.delivered)

    def restart(self) -> int:
        """Re-reading starts at the block being received; skip everything of it already received
        (delivered or still queued), which is at least what the previous skip covered."""
        count = max(self.count, self.skip.delivered) if self.block == self.skip.block else self.count
        self.skip = Checkpoint(self.block, count)
        self.count = 0
        return self.block


class LogSubscription(Generic[T]):
    """Matching logs from ``from_block`` on (see the module docstring). Iterate it, or pass
    ``callback`` to :meth:`FiscoClient.subscribe_logs`.

    :param from_block: first block (``None``: the current head); ignored when ``checkpoint`` is given.
    :param to_block: last block (``None``: follow the chain forever); iteration ends after it.
    :param push: ``True`` use the push transport (error if none), ``False`` poll, ``None`` push when possible.
    """

    def __init__(self, client: "FiscoClient", *, addresses: Sequence[str] = (), topics: Sequence[Any] = (),
                 from_block: int | None = None, to_block: int | None = None, checkpoint: Checkpoint | None = None,
                 decode: Callable[[Log], T | None] | None = None, push: bool | None = None,
                 poll_interval: float = DEFAULT_POLL_INTERVAL) -> None:
        self.client = client
        self.addresses = tuple(a.lower() for a in addresses)
        self.topics = tuple(topics)
        self.to_block = to_block
        self._decode = decode
        self._poll_interval = poll_interval
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closed = threading.Event()
        self._error: BaseException | None = None
        self.error: BaseException | None = None  #: what stopped callback delivery (see :meth:`run`)
        transport = push_transport_of(client)
        if push and transport is None:
            raise ConfigError("push delivery needs a ws://, wss://, channel:// or channels:// node URL")
        self.transport = transport if push is not False else None
        if checkpoint is None:
            checkpoint = Checkpoint(client.block_number() if from_block is None else from_block, 0)
        self._checkpoint = checkpoint
        self._delivered_lock = threading.Lock()
        self._position = _Position(checkpoint)
        self._push: PushSubscription | None = None
        if self.transport is not None:
            self._push = self.transport.subscribe(PushSubscription(
                addresses=self.addresses, topics=self._wire_topics(), from_block=checkpoint.block,
                to_block=-1 if to_block is None else to_block, on_logs=self._on_logs, on_end=self._on_end,
                resume_block=self._resume_block))
        else:
            threading.Thread(target=self._poll, name="fisco-log-poll", daemon=True).start()

    @property
    def mode(self) -> str:
        """``"push"`` or ``"poll"``."""
        return "push" if self._push is not None else "poll"

    @property
    def checkpoint(self) -> Checkpoint:
        """Where a resumed subscription would start: after the last event handed out."""
        with self._delivered_lock:
            return self._checkpoint

    def _wire_topics(self) -> tuple[Any, ...]:
        def norm(t: Any) -> Any:
            if t is None:
                return None
            if isinstance(t, (list, tuple)):
                return [norm(x) for x in t]
            return "0x" + t.hex() if isinstance(t, (bytes, bytearray)) else str(t).lower()
        return tuple(norm(t) for t in self.topics)

    # ------------------------------------------------------------------ sources
    def _on_logs(self, logs: list[Log]) -> None:
        for log in logs:
            if self._position.admit(log):
                self._queue.put(log)

    def _on_end(self, error: BaseException | None) -> None:
        self._error = error
        self._queue.put(_END)

    def _resume_block(self) -> int:
        return self._position.restart()

    def _poll(self) -> None:
        start = self._checkpoint.block
        try:
            while not self._closed.is_set():
                head = self.client.block_number()
                last = head if self.to_block is None else min(head, self.to_block)
                if start > last:
                    if self.to_block is not None and start > self.to_block:
                        self._on_end(None)
                        return
                    self._closed.wait(self._poll_interval)
                    continue
                end = min(last, start + _POLL_SPAN - 1)
                try:
                    logs = self.client.get_logs(start, end, list(self.addresses) or None, list(self._wire_topics()) or None)
                except TransportError:
                    self._closed.wait(self._poll_interval)  # the node is away: ask again later, same range
                    continue
                self._on_logs(sorted(logs, key=lambda g: (g.block_number or 0, g.log_index or 0)))
                start = end + 1
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, not swallowed
            self._on_end(exc)

    # ------------------------------------------------------------------ consumer side
    def _advance(self, log: Log) -> None:
        with self._delivered_lock:
            number = log.block_number or 0
            done = self._checkpoint
            self._checkpoint = Checkpoint(number, done.delivered + 1 if number == done.block else 1)

    def get(self, timeout: float | None = None) -> T | Log | None:
        """The next event, or ``None`` after ``timeout`` seconds without one.

        :raises StopIteration: the range ended (``to_block``) or the subscription was closed.
        :raises DrugTraceError: what ended the subscription (e.g. :class:`SubscriptionRefused`).
        """
        while True:
            if self._closed.is_set() and self._queue.empty():
                raise StopIteration
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                return None
            if item is _END:
                self._queue.put(_END)
                if self._error is not None:
                    raise self._error
                raise StopIteration
            self._advance(item)
            if self._decode is None:
                return item
            decoded = self._decode(item)
            if decoded is not None:
                return decoded

    def __iter__(self) -> Iterator[T | Log]:
        return self

    def __next__(self) -> T | Log:
        item = self.get()
        assert item is not None
        return item

    def run(self, callback: Callable[[Any], None]) -> threading.Thread:
        """Call ``callback(event)`` for each event in a thread of its own; returns the thread.

        If the callback raises (or the subscription ends with an error), delivery stops, the
        exception is kept in :attr:`error` and the checkpoint stays at the last event the
        callback finished — that event is the first one a resumed subscription hands out."""
        def loop() -> None:
            try:
                while True:
                    before = self.checkpoint
                    try:
                        event = self.get()
                    except StopIteration:
                        return
                    try:
                        callback(event)
                    except BaseException:
                        with self._delivered_lock:
                            self._checkpoint = before  # not done: hand it out again after a resume
                        raise
            except BaseException as exc:  # noqa: BLE001 - kept for the caller, delivery stops
                self.error = exc
                self.close()
        thread = threading.Thread(target=loop, name="fisco-log-callback", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Stop delivery (events already queued are dropped; the checkpoint stays exact)."""
        self._closed.set()
        if self._push is not None and self.transport is not None:
            self.transport.unsubscribe(self._push)
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(_END)

    def __enter__(self) -> "LogSubscription[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
