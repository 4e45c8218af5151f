"""Reading logs from any FISCO BCOS 3.x node, whatever its version.

``getLogs`` (and the filter methods) exist from FISCO BCOS 3.9.0; a 3.0-3.8 node answers
MethodNotFound. And where it exists, one ``getLogs`` call processes at most
``[rpc] filter_max_process_block`` blocks (default 10) and silently leaves the rest of the range
out (bcos-rpc/bcos-rpc/filter/FilterSystem.cpp, ``getLogsImpl``; the default is read in
bcos-tool/bcos-tool/NodeConfig.cpp). So :func:`paged_get_logs` asks in pages of at most that
many blocks, and :func:`scan_logs` reads the same logs from blocks and receipts for older nodes —
each log with the fields ``getLogs`` gives (block hash, per-block ``logIndex``, transaction index).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Sequence

from fisco_drugtrace.client._wire import log_filter
from fisco_drugtrace.types import Log

__all__ = ["LOG_METHODS_SINCE", "DEFAULT_LOG_PAGE_BLOCKS", "parse_node_version", "paged_get_logs", "scan_logs"]

#: the first FISCO BCOS 3.x release with ``getLogs`` and the filter methods
LOG_METHODS_SINCE = (3, 9, 0)
#: ``[rpc] filter_max_process_block``'s default
DEFAULT_LOG_PAGE_BLOCKS = 10

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_node_version(text: str | None) -> tuple[int, int, int] | None:
    """``"v3.7.3"``, ``"3.9.0-rc1"``, ``"v3.9.0-devchain"`` -> ``(3, 7, 3)`` ...; ``None`` if unreadable."""
    found = _VERSION.search(str(text or ""))
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)


def paged_get_logs(get_logs_page: Callable[[int, int], list[Log]], from_block: int, to_block: int,
                   page_blocks: int = DEFAULT_LOG_PAGE_BLOCKS) -> list[Log]:
    """``getLogs`` over ``from_block..to_block`` in pages no node truncates."""
    out: list[Log] = []
    for start in range(int(from_block), int(to_block) + 1, page_blocks):
        out.extend(get_logs_page(start, min(start + page_blocks - 1, int(to_block))))
    return out


def scan_logs(block_tx_hashes: Callable[[int], tuple[str, Sequence[str]]], receipt: Callable[[str], Any],
              from_block: int, to_block: int, addresses: Sequence[str] | None = None,
              topics: Sequence[Any] | None = None) -> list[Log]:
    """The logs of ``from_block..to_block`` read block by block: ``block_tx_hashes(n) -> (block
    hash, transaction hashes)`` and ``receipt(tx_hash)``; filtered as ``getLogs`` filters."""
    matches = log_filter(addresses, topics)
    found: list[Log] = []
    for number in range(int(from_block), int(to_block) + 1):
        block_hash, hashes = block_tx_hashes(number)
        index = 0
        for position, tx_hash in enumerate(hashes):
            got = receipt(tx_hash)
            if got is None:
                continue
            for log in got.logs:
                full = dataclasses.replace(log, block_number=number, transaction_hash=got.transaction_hash,
                                           log_index=index, transaction_index=position, block_hash=block_hash)
                index += 1
                if matches(full):
                    found.append(full)
    return found
