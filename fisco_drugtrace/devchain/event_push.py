"""Event subscriptions as a node serves them: one task per subscription walks the chain from its
start block, hands each block's matching logs to the session, and waits for new blocks at the head.

Dialect-neutral: the 3.x WebSocket server (:mod:`.ws_server`) and the 2.x channel server
(:mod:`.channel_server`) turn the :class:`PushedLog` rows into their JSON and frames.

The node's rules, kept here (FISCO-BCOS ``bcos-rpc/bcos-rpc/event/EventSub.cpp``
``executeEventSubTask``; v2.11.1 ``libeventfilter/EventLogFilterManager.cpp``):

* ``fromBlock`` < 1 (``-1``, ``"latest"``) starts at the head block as it is when the task first
  runs (inclusive); otherwise at ``fromBlock``.
* ``toBlock`` < 1 never ends; otherwise, once ``toBlock`` is done, one last push with status 1
  (``PUSH_COMPLETED``) ends the subscription.
* logs go out one block at a time, in block order, each block's logs in transaction order; a
  block without matching logs sends nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from fisco_drugtrace.errors import InvalidParams

from .chain import Chain
from .logfilter import LogQuery

__all__ = ["PushedLog", "SubscriptionTask", "parse_sub_query", "INVALID_PARAMS", "INVALID_REQUEST",
           "GROUP_NOT_EXIST", "INVALID_REQUEST_RANGE", "PUSH_COMPLETED", "SUCCESS", "MAX_SUBSCRIPTIONS"]

# bcos-rpc/bcos-rpc/event/Common.h EP_STATUS_CODE (2.x: libeventfilter/Common.h ResponseCode)
SUCCESS = 0
PUSH_COMPLETED = 1
INVALID_PARAMS = -41000
INVALID_REQUEST = -41001
GROUP_NOT_EXIST = -41002
INVALID_REQUEST_RANGE = -41003

#: Subscriptions one connection may hold at a time (each is a thread); more are refused with
#: INVALID_REQUEST.
MAX_SUBSCRIPTIONS = 64
#: Most blocks one read covers (the node's ``m_maxBlockProcessPerLoop`` idea).
_BLOCKS_PER_READ = 64
#: How long one wait for a new block lasts before the task checks whether it was cancelled (s).
_IDLE_WAIT = 0.25


@dataclass(frozen=True, slots=True)
class PushedLog:
    """One matching log: where it is and what it says."""

    block_number: int
    block_hash: bytes
    tx_index: int
    tx_hash: bytes
    log_index: int  # index of the log within its transaction's receipt
    address: str
    topics: tuple[bytes, ...]
    data: bytes


def parse_sub_query(addresses: Any, topics: Any) -> LogQuery:
    """The filter part of a subscription (addresses, positional topics) as a :class:`LogQuery`.

    :raises InvalidParams: not a list of addresses, or topics that are not 32-byte hex.
    """
    if addresses is None or addresses == "":
        addresses = []
    if isinstance(addresses, str):
        addresses = [addresses]
    if not isinstance(addresses, list):
        raise InvalidParams(INVALID_PARAMS, "addresses must be a list")
    return LogQuery.parse({"address": addresses, "topics": topics or []})


def _as_block(value: Any, name: str) -> int:
    """-1 for "latest"/absent; an int, a decimal or 0x string otherwise."""
    if value is None or value == "" or (isinstance(value, str) and value.lower() == "latest"):
        return -1
    if isinstance(value, bool):
        raise InvalidParams(INVALID_PARAMS, f"invalid {name} {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value[:2].lower() == "0x" else int(value, 10)
        except ValueError:
            pass
    raise InvalidParams(INVALID_PARAMS, f"invalid {name} {value!r}")


class SubscriptionTask:
    """One subscription's worker thread.

    :param emit: called with one block's logs (never empty); returns ``False`` when the session
        is gone, which ends the task.
    :param complete: called once when ``toBlock`` has been passed.
    """

    def __init__(self, chain: Chain, query: LogQuery, from_block: Any, to_block: Any,
                 emit: Callable[[Sequence[PushedLog]], bool], complete: Callable[[], None]) -> None:
        self.chain = chain
        self.query = query
        self.from_block = _as_block(from_block, "fromBlock")
        self.to_block = _as_block(to_block, "toBlock")
        if self.to_block > 0 and self.from_block > self.to_block:
            raise InvalidParams(INVALID_REQUEST_RANGE, f"fromBlock {self.from_block} > toBlock {self.to_block}")
        self._emit = emit
        self._complete = complete
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="devchain-eventsub", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._stopped.set()

    def _rows(self, first: int, last: int) -> list[list[PushedLog]]:
        """Matching logs of blocks first..last, grouped by block (blocks without any left out)."""
        chain = self.chain
        out: list[list[PushedLog]] = []
        current: list[PushedLog] = []
        current_block = -1
        hashes: dict[int, bytes] = {}
        last_tx, in_tx = -1, 0
        for number, _index, tx_index, tx_hash, log in chain.store.logs(first, last):
            if number != current_block:
                if current:
                    out.append(current)
                current, current_block, last_tx, in_tx = [], number, -1, 0
            if tx_index != last_tx:
                last_tx, in_tx = tx_index, 0
            else:
                in_tx += 1
            if not self.query.matches(log):
                continue
            block_hash = hashes.get(number)
            if block_hash is None:
                block = chain.block(number)
                block_hash = hashes[number] = block.hash if block is not None else bytes(32)
            current.append(PushedLog(number, block_hash, tx_index, tx_hash, in_tx, log.address, log.topics,
                                     log.data))
        if current:
            out.append(current)
        return out

    def _run(self) -> None:
        chain = self.chain
        current = self.from_block if self.from_block > 0 else chain.head.number
        while not self._stopped.is_set():
            head = chain.head.number
            end = head if self.to_block < 1 else min(head, self.to_block)
            if current > end:
                if 0 < self.to_block < current:
                    self._complete()
                    return
                if not chain.wait_for_block(current, _IDLE_WAIT) and chain.head.number < current:
                    self._stopped.wait(0.01)  # also what a closed chain answers: do not spin
                continue
            last = min(end, current + _BLOCKS_PER_READ - 1)
            for block_logs in self._rows(current, last):
                if self._stopped.is_set() or not self._emit(block_logs):
                    return
            current = last + 1
