"""Moving request bytes to a FISCO BCOS node and answer bytes back.

Three transports share one small protocol (:class:`Transport`: ``send(body, *, timeout)`` and
``close()``); ``timeout`` is the **total** time the send may take:

* :class:`~fisco_drugtrace.rpc.http.HttpTransport` — HTTP(S) POST with keep-alive, mutual TLS,
  one total deadline per request and hard limits on what it reads (see :mod:`.http`).
* :class:`FailoverTransport` — several nodes of one group: any failed answer (refused, timed
  out, TLS, HTML, 5xx, oversize, ...) moves on to the next node within the same deadline, and
  the node that answered becomes the preferred one.
* :class:`InProcessTransport` — calls a ``bytes -> bytes`` handler (the dev chain in-process).
"""

from __future__ import annotations

import threading
from typing import Callable, Protocol, Sequence, runtime_checkable

from fisco_drugtrace.errors import BadResponseError, ConfigError, RequestTimeout, TransportError
from fisco_drugtrace.rpc.answers import body_excerpt
from fisco_drugtrace.rpc.deadline import Deadline
from fisco_drugtrace.rpc.http import DEFAULT_MAX_ANSWER_BYTES, DEFAULT_TIMEOUT, HttpTransport
from fisco_drugtrace.rpc.tls import TlsFiles, build_ssl_context

__all__ = [
    "Transport",
    "TlsFiles",
    "HttpTransport",
    "FailoverTransport",
    "InProcessTransport",
    "build_ssl_context",
    "body_excerpt",
]


@runtime_checkable
class Transport(Protocol):
    """Sends one request body and returns the answer body."""

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        """Send ``body``; ``timeout`` (total seconds) overrides the transport's default."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class FailoverTransport:
    """Several nodes of one group; one deadline for the whole :meth:`send`.

    Each node still untried in this send gets an even share of the time left, so a black-hole
    first node cannot eat the budget of a healthy second one (with two nodes and 10 s, the first
    gets 5 s; one that fails fast leaves its share to the next). Any :class:`TransportError`
    moves on to the next node; the body sent is the same bytes every time (a write is re-sent
    only as the same signed transaction, which a node admits at most once). The node that
    answered becomes the preferred one; :meth:`demote` moves off a node whose answer turned out
    to be unusable one layer up (half a JSON, not an envelope).
    """

    def __init__(self, transports: Sequence[Transport], *, timeout: float | None = None) -> None:
        if not transports:
            raise ConfigError("FailoverTransport needs at least one transport")
        self._transports = list(transports)
        self._current = 0
        self._lock = threading.Lock()
        first_timeout = getattr(self._transports[0], "timeout", None)
        self.timeout: float = float(timeout if timeout is not None else first_timeout or DEFAULT_TIMEOUT)

    @classmethod
    def from_urls(cls, urls: Sequence[str], tls: TlsFiles | None = None, timeout: float = DEFAULT_TIMEOUT, *,
                  max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES) -> "FailoverTransport":
        """One :class:`HttpTransport` per URL, same TLS files, timeout and answer cap."""
        return cls([HttpTransport(url, tls=tls, timeout=timeout, max_answer_bytes=max_answer_bytes) for url in urls],
                   timeout=timeout)

    @property
    def current(self) -> Transport:
        """The transport that answered last (or the first one)."""
        return self._transports[self._current]

    @property
    def node_count(self) -> int:
        return len(self._transports)

    @property
    def url(self) -> str | None:
        return getattr(self.current, "url", None)

    def demote(self) -> None:
        """Prefer the next node from now on (the current one answered nonsense)."""
        with self._lock:
            self._current = (self._current + 1) % len(self._transports)

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        deadline = Deadline(self.timeout if timeout is None else timeout)
        with self._lock:
            start = self._current
        count = len(self._transports)
        failures: list[TransportError] = []
        for step in range(count):
            if deadline.expired():
                break
            index = (start + step) % count
            try:
                answer = self._transports[index].send(body, timeout=deadline.share(count - step))
            except TransportError as exc:
                failures.append(exc)
                continue
            if index != start:
                with self._lock:
                    self._current = index
            return answer
        if not failures:
            raise RequestTimeout(f"no node tried: the {deadline.budget:g} s deadline had passed", url=self.url)
        last = failures[-1]
        if len(failures) == 1 and count == 1:
            raise last
        summary = "; ".join(str(exc) for exc in failures)
        untried = count - len(failures)
        tail = f"; {untried} node(s) not tried: the {deadline.budget:g} s deadline had passed" if untried else ""
        raise last.retold(f"no node answered ({summary}{tail})") from last

    def close(self) -> None:
        for transport in self._transports:
            transport.close()


class InProcessTransport:
    """Hands request bytes to a Python callable (the dev chain's ``handle_raw``)."""

    url = "inprocess://"

    def __init__(self, handler: Callable[[bytes], bytes]) -> None:
        self._handler = handler

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        answer = self._handler(body)
        if not answer:
            raise BadResponseError("in-process handler returned an empty body", url=self.url)
        return answer

    def close(self) -> None:
        return None
