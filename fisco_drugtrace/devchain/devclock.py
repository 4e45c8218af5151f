"""The dev chain's clock and mining mode: what the test controls change about block production.

A block's timestamp is ``max(now + offset, parent timestamp)`` (milliseconds, as FISCO), or the
timestamp set for the next block once (``dev_setNextBlockTimestamp``). The offset only grows
(``dev_increaseTime``), as on Anvil/Hardhat; the chain never goes back in time except through a
revert. Kept apart from :mod:`.chain` so the sealer's hook is one call.
"""

from __future__ import annotations

import threading
import time

from fisco_drugtrace.errors import InvalidParams

__all__ = ["DevClock", "MINING_MODES", "MAX_TIMESTAMP_MS"]

#: The latest block time the clock may reach (ms): a block header stores it as a signed 64-bit integer.
MAX_TIMESTAMP_MS = 2**62

#: ``auto``: a block as soon as transactions arrive (the node's behaviour); ``manual``: only on
#: ``dev_mine``; ``interval``: one block every ``interval_ms`` whether transactions wait or not.
MINING_MODES = ("auto", "manual", "interval")


class DevClock:
    """Time offset and a one-shot next-block timestamp; thread-safe."""

    def __init__(self, offset_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self.offset_ms = offset_ms
        self._next: int | None = None

    def now(self) -> int:
        """The chain's current time (ms): the wall clock plus the offset."""
        return time.time_ns() // 1_000_000 + self.offset_ms

    def increase(self, ms: int) -> int:
        """Move the clock forward by ``ms``; returns the new total offset."""
        if ms < 0:
            raise InvalidParams(-32602, "Invalid params: time can only move forward (use a snapshot to go back)")
        with self._lock:
            if self.now() + ms > MAX_TIMESTAMP_MS:
                raise InvalidParams(-32602, f"Invalid params: the clock would pass {MAX_TIMESTAMP_MS} ms")
            self.offset_ms += ms
            return self.offset_ms

    def set_next(self, timestamp_ms: int, parent_ms: int) -> None:
        """The next block gets exactly ``timestamp_ms``; later blocks continue from it."""
        if timestamp_ms > MAX_TIMESTAMP_MS:
            raise InvalidParams(-32602, f"Invalid params: timestamp {timestamp_ms} is past {MAX_TIMESTAMP_MS} ms")
        if timestamp_ms < parent_ms:
            raise InvalidParams(-32602, f"Invalid params: timestamp {timestamp_ms} is before the head block's "
                                        f"{parent_ms}")
        with self._lock:
            self._next = timestamp_ms

    def block_time(self, parent_ms: int) -> int:
        """The timestamp of the block being sealed (consumes a one-shot timestamp)."""
        with self._lock:
            chosen, self._next = self._next, None
            if chosen is not None:
                # later blocks follow on from it, as Anvil does: the offset absorbs the jump
                self.offset_ms = max(self.offset_ms, chosen - time.time_ns() // 1_000_000)
                return max(chosen, parent_ms)
        return max(self.now(), parent_ms)
