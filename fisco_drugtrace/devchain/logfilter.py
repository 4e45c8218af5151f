"""Log queries and polling filters (3.x ``getLogs``, ``newFilter`` & co., as auditors use them).

A filter request is ``{fromBlock, toBlock, address, topics, blockhash?}``: blocks as numbers, hex
quantities or tags (``latest``/``earliest``/``pending``); ``address`` one address or a list;
``topics`` positional, each ``null`` (any), one topic, or a list of alternatives.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from fisco_drugtrace.errors import InvalidParams

from .records import ChainLog

__all__ = ["LogQuery", "parse_block_ref", "parse_filter_id", "FilterRegistry", "Filter"]


def parse_block_ref(value: Any, head: int, *, default: int) -> int:
    """A block reference -> number (``latest``/``pending`` = head, ``earliest`` = 0)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidParams(-32602, f"invalid block reference {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("latest", "pending"):
            return head
        if text == "earliest":
            return 0
        try:
            return int(text, 16) if text.startswith("0x") else int(text, 10)
        except ValueError:
            pass
    raise InvalidParams(-32602, f"invalid block reference {value!r}")


def _topic(value: Any) -> bytes:
    if not isinstance(value, str):
        raise InvalidParams(-32602, f"invalid topic {value!r}")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    try:
        raw = bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidParams(-32602, f"invalid topic {value!r}") from exc
    if len(raw) != 32:
        raise InvalidParams(-32602, f"a topic is 32 bytes, got {len(raw)}")
    return raw


def _address(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidParams(-32602, f"invalid address {value!r}")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    if len(text) != 40:
        raise InvalidParams(-32602, f"invalid address {value!r}")
    try:
        bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidParams(-32602, f"invalid address {value!r}") from exc
    return "0x" + text.lower()


@dataclass(frozen=True)
class LogQuery:
    """A parsed filter request; ``from_ref``/``to_ref`` stay symbolic until evaluated."""

    from_ref: Any
    to_ref: Any
    addresses: frozenset[str]
    topics: tuple[frozenset[bytes] | None, ...]
    block_hash: bytes | None = None

    @classmethod
    def parse(cls, obj: Any) -> "LogQuery":
        if not isinstance(obj, Mapping):
            raise InvalidParams(-32602, "filter params must be an object")
        raw_addr = obj.get("address")
        if raw_addr is None or raw_addr == "":
            addresses: frozenset[str] = frozenset()
        elif isinstance(raw_addr, list):
            addresses = frozenset(_address(a) for a in raw_addr)
        else:
            addresses = frozenset({_address(raw_addr)})
        raw_topics = obj.get("topics") or []
        if not isinstance(raw_topics, list) or len(raw_topics) > 4:
            raise InvalidParams(-32602, "topics must be a list of at most 4 entries")
        topics: list[frozenset[bytes] | None] = []
        for entry in raw_topics:
            if entry is None or entry == []:
                topics.append(None)
            elif isinstance(entry, list):
                topics.append(frozenset(_topic(t) for t in entry if t is not None) or None)
            else:
                topics.append(frozenset({_topic(entry)}))
        block_hash = obj.get("blockhash") or obj.get("blockHash")
        return cls(obj.get("fromBlock"), obj.get("toBlock"), addresses, tuple(topics),
                   _topic(block_hash) if block_hash else None)

    def range(self, head: int) -> tuple[int, int]:
        return (parse_block_ref(self.from_ref, head, default=head), parse_block_ref(self.to_ref, head, default=head))

    def matches(self, log: ChainLog) -> bool:
        """True when the log's address and topics satisfy the query."""
        if self.addresses and log.address not in self.addresses:
            return False
        for position, wanted in enumerate(self.topics):
            if wanted is None:
                continue
            if position >= len(log.topics) or log.topics[position] not in wanted:
                return False
        return True


@dataclass
class Filter:
    """One installed filter: ``kind`` is ``"log"``, ``"block"`` or ``"pending"``."""

    kind: str
    query: LogQuery | None
    cursor: int
    extra: dict[str, Any] = field(default_factory=dict)
    last_access: float = 0.0


class FilterRegistry:
    """Installed filters by id (ids are hex quantities, as the node gives them).

    As a FISCO BCOS node's ``FilterSystem`` (bcos-rpc/bcos-rpc/filter/FilterSystem.cpp): a filter
    not polled with ``getFilterChanges`` for ``timeout_s`` is gone ("filter not found"); the node
    sweeps them every few seconds, here they go when next touched. Unlike the node, the number of
    live filters is capped (``max_filters``): each costs memory and the node has no bound.
    """

    def __init__(self, *, timeout_s: float = 300.0, max_filters: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._filters: dict[int, Filter] = {}
        self._ids = itertools.count(1)
        self.timeout_s = timeout_s
        self.max_filters = max_filters
        self._clock = clock

    def __len__(self) -> int:
        with self._lock:
            return len(self._filters)

    def _sweep(self, now: float) -> None:
        expired = [k for k, f in self._filters.items() if now - f.last_access > self.timeout_s]
        for key in expired:
            del self._filters[key]

    def add(self, flt: Filter) -> str:
        with self._lock:
            now = self._clock()
            if len(self._filters) >= self.max_filters:
                self._sweep(now)
            if len(self._filters) >= self.max_filters:
                raise InvalidParams(-32602, f"too many live filters ({self.max_filters}): uninstall some "
                                            f"(uninstallFilter) or let them expire ({self.timeout_s:g} s unpolled)")
            fid = next(self._ids)
            flt.last_access = now
            self._filters[fid] = flt
        return hex(fid)

    def get(self, fid: Any, *, touch: bool = False) -> tuple[int, Filter]:
        """The filter; ``touch`` (a ``getFilterChanges``) renews its lease, as the node does."""
        key = parse_filter_id(fid)
        with self._lock:
            now = self._clock()
            flt = self._filters.get(key)
            if flt is not None and now - flt.last_access > self.timeout_s:
                del self._filters[key]
                flt = None
            if flt is not None and touch:
                flt.last_access = now
        if flt is None:
            raise InvalidParams(-32602, "filter not found")
        return key, flt

    def remove(self, fid: Any) -> bool:
        key = parse_filter_id(fid)
        with self._lock:
            return self._filters.pop(key, None) is not None


def parse_filter_id(fid: Any) -> int:
    if isinstance(fid, int) and not isinstance(fid, bool):
        return fid
    if isinstance(fid, str):
        try:
            return int(fid, 16) if fid[:2] in ("0x", "0X") else int(fid, 10)
        except ValueError:
            pass
    raise InvalidParams(-32602, f"invalid filter id {fid!r}")
