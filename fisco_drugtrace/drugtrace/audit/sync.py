"""Incremental indexing of the suite's events from a chain into an :class:`AuditIndex`.

Logs come through the client's ``get_logs`` in block ranges (3.x: ``getLogs``; 2.x: the client
scans blocks and receipts). Before appending, the index's anchors are checked against the chain:
a stored block hash the chain no longer has means another chain or a reset, and the sync stops
with ``IndexMismatchError`` instead of mixing two histories.
"""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Protocol, Sequence

from fisco_drugtrace.drugtrace.audit.decoder import EventDecoder
from fisco_drugtrace.drugtrace.audit.index import AuditIndex, mismatch
from fisco_drugtrace.drugtrace.audit.records import IndexedEvent, SyncResult
from fisco_drugtrace.types import Log

__all__ = ["ChainReader", "sync_index", "check_anchors", "DEFAULT_STEP"]

DEFAULT_STEP = 500


class ChainReader(Protocol):
    """The part of ``FiscoClient`` the indexer needs."""

    def block_number(self) -> int: ...

    def get_logs(self, from_block: int, to_block: int, addresses: Sequence[str],
                 topics: Sequence[Any] | None = None) -> list[Log]: ...

    def get_block_hash(self, number: int) -> str: ...


def _chain_hash(client: ChainReader, number: int) -> str | None:
    from fisco_drugtrace.errors import RpcError

    try:
        return client.get_block_hash(number)
    except RpcError:
        return None


def _block_info(client: Any, number: int) -> tuple[str, int | None] | None:
    """``(hash, timestamp ms)`` of a block from its header (3.x ``getBlockByNumber`` with
    onlyHeader, 2.x ``getBlockHeaderByNumber``), else the hash alone; ``None`` when the chain has
    no such block."""
    from fisco_drugtrace.errors import RpcError
    from fisco_drugtrace.types import Dialect

    try:
        if getattr(client, "dialect", None) is Dialect.V3 and hasattr(client, "get_block_by_number"):
            block = client.get_block_by_number(number, only_header=True)
        elif hasattr(client, "get_block_header_by_number"):
            block = client.get_block_header_by_number(number)
        elif hasattr(client, "get_block_by_number"):
            block = client.get_block_by_number(number)
        else:
            found = _chain_hash(client, number)
            return (found, None) if found is not None else None
    except RpcError:
        return None
    return str(block.hash), int(block.timestamp)


def check_anchors(index: AuditIndex, client: ChainReader, *, sample: int = 2) -> int:
    """Compare the newest ``sample`` anchors (and the oldest) with the chain; return how many."""
    anchors = index.anchors(limit=sample)
    oldest = index.db.execute("SELECT number, hash FROM blocks ORDER BY number LIMIT 1").fetchone()
    if oldest is not None and all(n != oldest[0] for n, _ in anchors):
        anchors.append((int(oldest[0]), str(oldest[1])))
    head = client.block_number()
    for number, stored in anchors:
        if number > head:
            raise mismatch(number, stored, f"(chain head is {head})")
        index.check_anchor(number, _chain_hash(client, number))
    return len(anchors)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a sync runs (as Mercurial's ``nogc`` does).

    A range creates tens of thousands of acyclic objects (JSON dicts, logs, events) that outlive
    the young generations, so the collector keeps re-scanning the whole heap — on a process that
    also holds a chain, that was ~10-15 % of indexing time, and its timing was erratic.
    Reference counting still frees everything; cycles wait until the sync ends. Left alone if
    the caller already disabled the collector.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sync_index(
    index: AuditIndex,
    client: ChainReader,
    decoder: EventDecoder,
    *,
    start_block: int = 0,
    to_block: int | None = None,
    step: int = DEFAULT_STEP,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Index every suite event from the last synced block (or ``start_block``) to the head.

    :param on_progress: called with ``(blocks done, blocks total)`` after each range.
    :raises IndexMismatchError: the chain does not hold a block the index was anchored to.
    """
    checked = check_anchors(index, client)
    head = client.block_number() if to_block is None else to_block
    first = max(index.last_block + 1, start_block)
    total_events = 0
    total = max(0, head - first + 1)
    ranges = [(a, min(a + step - 1, head)) for a in range(first, head + 1, step)]
    addresses = decoder.addresses
    # One range of lookahead: the next getLogs runs while this range is decoded and stored
    # (on a real node that hides the round trip; in-process it overlaps SQLite work).
    with _cycle_collector_paused(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-getlogs") as pool:
        pending = pool.submit(client.get_logs, ranges[0][0], ranges[0][1], addresses, None) if ranges else None
        for i, (a, b) in enumerate(ranges):
            assert pending is not None
            logs = pending.result()
            if i + 1 < len(ranges):
                pending = pool.submit(client.get_logs, ranges[i + 1][0], ranges[i + 1][1], addresses, None)
            events, blocks = _decode_range(client, decoder, logs)
            if b not in blocks:
                end = _block_info(client, b)
                if end is not None:
                    blocks[b] = end
            index.append(events, blocks, b)
            total_events += len(events)
            if on_progress is not None:
                on_progress(b - first + 1, total)
    return SyncResult(from_block=first, to_block=head, events=total_events, blocks_checked=checked)


def _decode_range(client: Any, decoder: EventDecoder, logs: Sequence[Log]
                  ) -> tuple[list[IndexedEvent], dict[int, tuple[str, int | None]]]:
    positions: dict[str, int] = {}
    blocks: dict[int, tuple[str, int | None]] = {}
    events: list[IndexedEvent] = []
    for log in logs:
        number = int(log.block_number or 0)
        if number not in blocks:
            info = _block_info(client, number)
            blocks[number] = info if info is not None else (log.block_hash or "", None)
        tx = str(log.transaction_hash or "").lower()
        position = positions.get(tx, 0)
        positions[tx] = position + 1
        event = decoder.decode(log, position=position, ts_ms=blocks[number][1])
        if event is not None:
            events.append(event)
    return events, {n: v for n, v in blocks.items() if v[0]}
