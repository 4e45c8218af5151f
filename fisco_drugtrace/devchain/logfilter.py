"""Log queries and polling filters (3.x ``getLogs``, ``newFilter`` & co., as auditors use them).

A filter request is ``{fromBlock, toBlock, address, topics, blockhash?}``: blocks as numbers, hex
quantities or tags (``latest``/``earliest``/``pending``); ``address`` one address or a list;
``topics`` positional, each ``null`` (any), one topic, or a list of alternatives.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Mapping

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


class FilterRegistry:
    """Installed filters by id (ids are hex quantities, as the node gives them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._filters: dict[int, Filter] = {}
        self._ids = itertools.count(1)

    def add(self, flt: Filter) -> str:
        with self._lock:
            fid = next(self._ids)
            self._filters[fid] = flt
        return hex(fid)

    def get(self, fid: Any) -> tuple[int, Filter]:
        key = parse_filter_id(fid)
        with self._lock:
            flt = self._filters.get(key)
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
