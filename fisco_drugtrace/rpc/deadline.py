"""One total deadline per call: connect + send + read, across retries and failover."""

from __future__ import annotations

import time
from typing import Callable

__all__ = ["Deadline"]


class Deadline:
    """A point in time a call must finish by, measured on a monotonic clock.

    :param seconds: the budget from now.
    :param clock: injectable for tests.
    """

    __slots__ = ("budget", "_end", "_clock")

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = float(seconds)
        self._clock = clock
        self._end = clock() + self.budget

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(self._end - self._clock(), 0.0)

    def expired(self) -> bool:
        return self._end - self._clock() <= 0.0

    def elapsed(self) -> float:
        """Seconds since the deadline was set."""
        return self.budget - (self._end - self._clock())

    def share(self, parts: int) -> float:
        """An even share of what is left for one of ``parts`` remaining attempts."""
        return self.remaining() / max(parts, 1)

    def __repr__(self) -> str:
        return f"Deadline(budget={self.budget:g}, remaining={self.remaining():.3f})"
