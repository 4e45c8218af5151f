"""The JSON-RPC 2.0 envelope as FISCO BCOS nodes speak it.

:class:`JsonRpc` numbers requests with integer ids (3.x reads ``id`` as int64), validates the
answer (half a JSON, HTML or a non-envelope -> :class:`BadResponseError` with a body excerpt),
turns error objects into typed :class:`RpcError` subclasses through a dialect ``error_mapper``,
and retries **reads** on transport failures with bounded exponential backoff.

Every :meth:`JsonRpc.request` has **one total deadline** (``timeout``, default the client's
setting): retries, backoff pauses and failover all spend the same budget, and the transport
is given what is left (its watchdog shuts the socket down when that runs out), so a call never
outlives it (measured against a stalling and a drip-feeding node in
``tests/unit/test_client_deadlines.py``). An answer that is
not a usable envelope moves a read on to the next node (:meth:`FailoverTransport.demote`).
Answers are decoded with :func:`~fisco_drugtrace.rpc.answers.load_json`, which refuses deep
nesting before Python's recursive decoder can overflow the C stack.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from fisco_drugtrace.errors import (
    BadResponseError,
    ConnectError,
    RequestTimeout,
    RpcError,
    TransportError,
    rpc_error_from,
)
from fisco_drugtrace.rpc.answers import JsonTooDeep, body_excerpt, load_json
from fisco_drugtrace.rpc.deadline import Deadline
from fisco_drugtrace.rpc.http import DEFAULT_TIMEOUT
from fisco_drugtrace.rpc.transport import Transport

__all__ = ["ErrorMapper", "RetryPolicy", "JsonRpc", "encode_request", "parse_response", "is_retryable"]

#: ``(code, message, data, method) -> RpcError``: the dialect's error table.
ErrorMapper = Callable[[int, str, Any, str], RpcError]


def _default_mapper(code: int, message: str, data: Any, method: str) -> RpcError:
    return rpc_error_from(code, message, data, method=method)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff, for idempotent requests only.

    :param attempts: total tries (1 = no retry).
    :param backoff: seconds before the first retry; doubled each time up to ``max_backoff``.
    """

    attempts: int = 3
    backoff: float = 0.1
    max_backoff: float = 2.0

    def delays(self) -> list[float]:
        """The pauses between consecutive attempts."""
        return [min(self.backoff * (2**i), self.max_backoff) for i in range(max(self.attempts - 1, 0))]


def is_retryable(exc: TransportError) -> bool:
    """Worth another try: refused/reset connections, timeouts, HTTP 5xx and broken bodies.
    TLS failures and 4xx answers do not heal by themselves."""
    if isinstance(exc, (ConnectError, RequestTimeout)):
        return True
    if isinstance(exc, BadResponseError):
        return exc.status is None or exc.status >= 500
    return False  # TLS problems do not heal by themselves


def encode_request(request_id: int, method: str, params: Sequence[Any]) -> bytes:
    """The request body: a single JSON-RPC 2.0 object with an integer id."""
    return json.dumps(
        {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}, separators=(",", ":")
    ).encode()


def parse_response(body: bytes, *, request_id: int, method: str, error_mapper: ErrorMapper = _default_mapper,
                   url: str | None = None) -> Any:
    """Validate an answer body and return its ``result`` (or raise the mapped :class:`RpcError`)."""
    try:
        envelope = load_json(body)
    except JsonTooDeep as exc:
        raise BadResponseError(f"{method}: the answer nests {exc.depth} levels deep (more than {exc.limit}); "
                               "refused", url=url, body_excerpt=body_excerpt(body)) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        excerpt = body_excerpt(body)
        raise BadResponseError(f"{method}: the answer is not JSON: {excerpt!r}", url=url,
                               body_excerpt=excerpt) from exc
    if not isinstance(envelope, dict) or ("result" not in envelope and "error" not in envelope):
        excerpt = body_excerpt(body)
        raise BadResponseError(f"{method}: the answer is not a JSON-RPC envelope: {excerpt!r}", url=url,
                               body_excerpt=excerpt)
    answered_id = envelope.get("id")
    error = envelope.get("error")
    if error is not None:
        if not isinstance(error, dict) or not isinstance(error.get("code"), int) or isinstance(error.get("code"), bool):
            excerpt = body_excerpt(body)
            raise BadResponseError(f"{method}: malformed error object: {excerpt!r}", url=url, body_excerpt=excerpt)
        raise error_mapper(error["code"], str(error.get("message", "")), error.get("data"), method)
    if answered_id != request_id:
        excerpt = body_excerpt(body)
        raise BadResponseError(f"{method}: answer id {answered_id!r} does not match request id {request_id}",
                               url=url, body_excerpt=excerpt)
    return envelope["result"]


class JsonRpc:
    """JSON-RPC requests over a :class:`Transport`.

    :param transport: where the bytes go.
    :param error_mapper: the dialect's ``(code, message, data, method) -> RpcError`` table.
    :param retry: retry policy for reads (``request(..., idempotent=True)``).
    :param timeout: the total deadline of one request, in seconds (default: the transport's
        ``timeout``, else 30 s).
    :param sleep: injectable for tests.
    """

    def __init__(self, transport: Transport, error_mapper: ErrorMapper | None = None, *,
                 retry: RetryPolicy | None = None, timeout: float | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.transport = transport
        self.error_mapper: ErrorMapper = error_mapper or _default_mapper
        self.retry = retry or RetryPolicy()
        default = getattr(transport, "timeout", None)
        self.timeout: float = float(timeout if timeout is not None else default or DEFAULT_TIMEOUT)
        self._sleep = sleep
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        """Every request this thread makes inside the block ends ``seconds`` from now at the
        latest (an operation made of several calls, such as waiting for a receipt, keeps its
        own deadline even when each call's default is longer). Nested blocks keep the earliest."""
        outer: float | None = getattr(self._local, "end", None)
        end = time.monotonic() + max(float(seconds), 0.0)
        self._local.end = end if outer is None else min(outer, end)
        try:
            yield
        finally:
            self._local.end = outer

    def _budget(self, timeout: float | None) -> float:
        budget = self.timeout if timeout is None else float(timeout)
        end: float | None = getattr(self._local, "end", None)
        return budget if end is None else max(min(budget, end - time.monotonic()), 0.0)

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def request(self, method: str, params: Sequence[Any] = (), *, idempotent: bool = True,
                timeout: float | None = None, pinned: bool = False) -> Any:
        """Call ``method`` and return its result, all within ``timeout`` seconds in total.

        Reads (``idempotent=True``) are retried on connection failures, timeouts and HTTP 5xx,
        up to ``retry.attempts`` tries, and an unusable answer moves them on to the next node.
        Writes are sent once (a failover transport may hand the *same bytes* to the next node);
        callers that know a write is safe to repeat (the same signed transaction) retry
        themselves. ``pinned=True`` keeps the request on the current node (node-admin RPCs).

        :raises RequestTimeout: no usable answer within the deadline (the message says how many
            attempts were made and what the last one met).
        """
        deadline = Deadline(self._budget(timeout))
        transport: Transport = getattr(self.transport, "current", self.transport) if pinned else self.transport
        delays = self.retry.delays() if idempotent else []
        hops = int(getattr(transport, "node_count", 1)) - 1 if idempotent else 0
        attempt = tries = 0
        while True:
            request_id = self._next_id()
            body = encode_request(request_id, method, params)
            tries += 1
            try:
                answer = transport.send(body, timeout=deadline.remaining())
            except TransportError as exc:
                failure: TransportError = exc
            else:
                try:
                    return parse_response(answer, request_id=request_id, method=method,
                                          error_mapper=self.error_mapper, url=getattr(transport, "url", None))
                except BadResponseError as exc:
                    failure = exc
                    demote = getattr(transport, "demote", None)
                    if callable(demote):
                        demote()
                    if hops > 0 and not deadline.expired():
                        hops -= 1
                        continue
            if attempt < len(delays) and is_retryable(failure) and not deadline.expired():
                self._sleep(min(delays[attempt], deadline.remaining()))
                attempt += 1
                if not deadline.expired():
                    continue
            if deadline.expired() and isinstance(failure, (RequestTimeout, ConnectError)):
                raise RequestTimeout(f"{method}: no answer within {deadline.budget:g} s ({tries} attempt(s); "
                                     f"last: {failure})", url=failure.url) from failure
            raise failure

    def close(self) -> None:
        self.transport.close()
