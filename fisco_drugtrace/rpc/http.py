"""JSON-RPC bytes over HTTP/1.1 POST (optionally mutual TLS) through ``requests``, with hard limits.

One ``requests.Session`` per transport (keep-alive pool, ``trust_env=False``: no proxy or
``.netrc`` between the SDK and its node), mounted with :class:`~._adapter.DeadlineAdapter`
(FISCO mutual TLS: the chain CA, the SDK certificate, no host-name check).

``requests``' timeouts are per socket operation, so on their own a node that drip-feeds one
byte every 2 s would keep a call alive for ever. Here each call has **one total deadline**
(connect + TLS + send + read, across every address of the host): the connect and read timeouts
are what is left of it, the answer is streamed (``stream=True``) and read from ``resp.raw`` in
bounded chunks, and the shared :mod:`~.watchdog` shuts the call's socket down when the deadline
passes, so a blocked read returns at once. And the transport reads nothing it did not ask for:

* answers are capped (``max_answer_bytes``), counted on the raw, undecoded stream: a larger
  ``Content-Length`` is refused before the body is read, a longer body is cut off at the cap;
* ``Accept-Encoding: identity`` is sent and any other ``Content-Encoding`` is refused (nothing
  is ever decompressed, so no decompression bomb);
* redirects are never followed (``allow_redirects=False``; a 3xx is a bad answer): the signed
  body never goes anywhere but the configured node.

Every ``requests``/``urllib3``/``http.client``/``ssl``/``socket`` exception is translated in
:func:`_translated` only, into :class:`ConnectError`, :class:`RequestTimeout`,
:class:`TlsError` (with :class:`TlsNotConfigured` / :class:`TlsPortMismatch` telling what to
change) or :class:`BadResponseError` (:class:`AnswerTooLarge`).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlparse

import requests
import urllib3.exceptions

from fisco_drugtrace.errors import (
    AnswerTooLarge,
    BadResponseError,
    ConfigError,
    ConnectError,
    RequestTimeout,
    TlsError,
    TlsNotConfigured,
    TlsPortMismatch,
    TransportError,
)
from fisco_drugtrace.rpc._adapter import DeadlineAdapter
from fisco_drugtrace.rpc.answers import body_excerpt
from fisco_drugtrace.rpc.deadline import Deadline
from fisco_drugtrace.rpc.tls import TlsFiles, build_ssl_context, system_ssl_context
from fisco_drugtrace.rpc.watchdog import WATCHDOG, Expired, Watch

__all__ = ["HttpTransport", "DEFAULT_TIMEOUT", "DEFAULT_MAX_ANSWER_BYTES"]

#: Seconds a call may take when nobody says otherwise.
DEFAULT_TIMEOUT = 30.0
#: The answer size cap when nobody says otherwise (a full 3.x block of ~10k transactions is ~20 MB).
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: Idle keep-alive connections kept per node.
_POOL_SIZE = 8
_CHUNK = 64 * 1024
_TLS_ENV = ("FISCO_TLS_CA", "FISCO_TLS_CERT", "FISCO_TLS_KEY")
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "Accept-Encoding": "identity"}


def _ssl_reason(exc: ssl.SSLError) -> str:
    return str(getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc)


class HttpTransport:
    """JSON-RPC bytes over HTTP(S) POST, with keep-alive, optional mutual TLS and hard limits.

    :param url: ``http://host:port`` or ``https://host:port``.
    :param tls: the SDK certificates, for ``https`` URLs. ``None`` with ``https`` verifies the
        node against the system trust store (a node behind a public proxy); a FISCO node then
        fails with :class:`TlsNotConfigured` saying which settings to provide.
    :param timeout: default total seconds per :meth:`send` (connect + send + read).
    :param max_answer_bytes: the largest answer accepted.
    """

    def __init__(self, url: str, tls: TlsFiles | None = None, timeout: float = DEFAULT_TIMEOUT, *,
                 max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(f"node URL must be http://host:port or https://host:port, got {url!r}")
        try:
            parsed.port
        except ValueError as exc:
            raise ConfigError(f"node URL {url!r} has a bad port") from exc
        if max_answer_bytes < 1:
            raise ConfigError(f"max_answer_bytes must be >= 1, got {max_answer_bytes}")
        self.url = url
        self.tls = tls
        self.timeout = timeout
        self.max_answer_bytes = int(max_answer_bytes)
        self._https = parsed.scheme == "https"
        context: ssl.SSLContext | None = None
        if self._https:
            context = build_ssl_context(tls) if tls is not None else system_ssl_context()
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or .netrc between the SDK and its node
        self._session.headers.update(_HEADERS)
        adapter = DeadlineAdapter(context, pool_connections=1, pool_maxsize=_POOL_SIZE, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"HttpTransport({self.url!r}, tls={'on' if self.tls else 'off'})"

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        """POST ``body`` and return the answer body, all within ``timeout`` seconds in total.

        :raises TransportError: a subclass saying what went wrong (never a foreign exception).
        """
        deadline = Deadline(self.timeout if timeout is None else timeout)
        watch = Watch(deadline)
        response: requests.Response | None = None
        WATCHDOG.start(watch)
        try:
            with _translated(self, watch):
                left = deadline.remaining()
                if left <= 0:
                    raise Expired()
                response = self._session.post(self.url, data=body, timeout=(left, left), stream=True,
                                              allow_redirects=False)
                content = self._read(response)
        finally:
            WATCHDOG.finish(watch)
            if response is not None:
                response.close()  # a body we stopped reading is not drained: its connection is closed
        return content

    def _read(self, response: requests.Response) -> bytes:
        status = response.status_code
        headers = response.headers
        if 300 <= status < 400:
            where = headers.get("Location", "")
            raise BadResponseError(f"{self.url} answered HTTP {status} (a redirect to {where or '?'}); "
                                   "redirects are not followed: configure the node's own URL",
                                   url=self.url, status=status, body_excerpt=where[:200])
        encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise BadResponseError(f"{self.url} answered with Content-Encoding {encoding!r}, which was not asked "
                                   "for (Accept-Encoding: identity); refused", url=self.url, status=status)
        declared_text = (headers.get("Content-Length") or "").strip()
        declared = int(declared_text) if declared_text.isdigit() else None
        if declared is not None and declared > self.max_answer_bytes:
            raise AnswerTooLarge(f"{self.url} announced a {declared:,}-byte answer, more than the "
                                 f"{self.max_answer_bytes:,}-byte cap (max_answer_bytes)", url=self.url,
                                 status=status, limit=self.max_answer_bytes, declared=declared)
        content = self._read_capped(response, status)
        if declared is not None and len(content) < declared:
            raise BadResponseError(f"{self.url} sent a truncated body ({len(content)} of {declared} bytes)",
                                   url=self.url, status=status, body_excerpt=body_excerpt(content))
        self._check_http(status, headers.get("Content-Type", "") or "", content)
        return content

    def _read_capped(self, response: requests.Response, status: int) -> bytes:
        """The body as it came on the wire (never decoded), at most ``max_answer_bytes``."""
        raw = response.raw
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = raw.read(_CHUNK, decode_content=False)
            if not chunk:
                return parts[0] if len(parts) == 1 else b"".join(parts)
            parts.append(chunk)
            size += len(chunk)
            if size > self.max_answer_bytes:
                raise AnswerTooLarge(f"{self.url} sent more than the {self.max_answer_bytes:,}-byte cap "
                                     "(max_answer_bytes); the rest was not read", url=self.url, status=status,
                                     limit=self.max_answer_bytes)

    def _check_http(self, status: int, content_type: str, content: bytes) -> None:
        excerpt = body_excerpt(content)
        if status >= 400:
            raise BadResponseError(
                f"{self.url} answered HTTP {status}: {excerpt!r}", url=self.url, status=status, body_excerpt=excerpt
            )
        if not content.strip():
            raise BadResponseError(f"{self.url} answered an empty body", url=self.url, status=status)
        if "html" in content_type.lower() or content.lstrip()[:1] == b"<":
            raise BadResponseError(
                f"{self.url} answered HTML, not JSON-RPC: {excerpt!r}", url=self.url, status=status,
                body_excerpt=excerpt,
            )

    def close(self) -> None:
        self._session.close()


def _tls_failure(transport: HttpTransport, exc: ssl.SSLError) -> TlsError:
    """The one place TLS failures become advice."""
    url = transport.url
    reason = _ssl_reason(exc)
    text = f"{reason} {exc}".upper()
    if "WRONG_VERSION_NUMBER" in text or "RECORD_LAYER_FAILURE" in text or "HTTP_REQUEST" in text:
        return TlsPortMismatch(f"{url}: this port speaks plain HTTP, not TLS: use http:// (or the node's TLS port)",
                               url=url, port_speaks="http")
    if transport.tls is None:
        if isinstance(exc, ssl.SSLCertVerificationError):
            why = "its certificate is not signed by any CA this machine trusts"
        else:
            why = f"the node refused the TLS handshake ({reason})"
        return TlsNotConfigured(f"{url}: {why}; a FISCO node needs the SDK certificates: set "
                                f"{', '.join(_TLS_ENV)} (or [tls] ca/cert/key in the config) to the files in "
                                "the node's sdk/ folder", url=url, missing=_TLS_ENV)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TlsError(f"{url}: the node's certificate is not signed by the chain CA in {transport.tls.ca} "
                        f"({reason}); check FISCO_TLS_CA", url=url)
    return TlsError(f"{url}: the node refused the TLS handshake ({reason}); check that FISCO_TLS_CERT/"
                    "FISCO_TLS_KEY are this chain's SDK certificate and key", url=url)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything linked to it (args, cause, context, urllib3's ``reason``),
    outermost first."""
    seen: set[int] = set()
    order: list[BaseException] = []
    queue: list[BaseException] = [exc]
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        order.append(current)
        linked = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        linked += [x for x in (getattr(current, "reason", None), current.__cause__, current.__context__)
                   if isinstance(x, BaseException)]
        queue.extend(linked)
    return order


def _first(chain: list[BaseException], kind: type[BaseException] | tuple[type[BaseException], ...]) -> BaseException | None:
    return next((exc for exc in chain if isinstance(exc, kind)), None)


_TIMEOUTS = (Expired, TimeoutError, requests.exceptions.Timeout, urllib3.exceptions.ReadTimeoutError)
#: What requests, urllib3, http.client, ssl and socket raise at us (programming errors pass through).
_FOREIGN = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException,
            OSError, ValueError, Expired)


def _translate(transport: HttpTransport, watch: Watch, exc: BaseException) -> TransportError:
    url = transport.url
    budget = watch.deadline.budget
    chain = _chain(exc)
    tls_hint = "" if transport._https else f" (if this port speaks TLS, use https:// and set {', '.join(_TLS_ENV)})"
    refused = _first(chain, urllib3.exceptions.NewConnectionError)
    if watch.fired or (refused is None and _first(chain, _TIMEOUTS) is not None):
        if not watch.opened:
            return ConnectError(f"cannot connect to {url}: no connection within {budget:g} s", url=url)
        return RequestTimeout(f"{url} did not answer within {budget:g} s", url=url)
    tls = _first(chain, ssl.SSLError)
    if tls is not None:
        return _tls_failure(transport, tls)  # type: ignore[arg-type]
    status_line = _first(chain, http.client.BadStatusLine)
    if status_line is not None:
        line = str(status_line.args[0] if status_line.args else "")
        if line[:2] in ("\x15\x03", "\x16\x03"):
            return TlsPortMismatch(f"{url}: this port speaks TLS: use https:// and set {', '.join(_TLS_ENV)}",
                                   url=url, port_speaks="tls")
        if isinstance(status_line, http.client.RemoteDisconnected):
            return BadResponseError(f"{url} closed the connection without answering{tls_hint}", url=url)
        return BadResponseError(f"{url} did not answer HTTP: {body_excerpt(line)!r}", url=url,
                                body_excerpt=body_excerpt(line))
    if _first(chain, (http.client.IncompleteRead, urllib3.exceptions.IncompleteRead)) is not None:
        return BadResponseError(f"{url} sent a truncated body (the connection closed before its end)", url=url)
    malformed = _first(chain, (http.client.HTTPException, urllib3.exceptions.InvalidChunkLength,
                               urllib3.exceptions.InvalidHeader, urllib3.exceptions.HeaderParsingError,
                               urllib3.exceptions.DecodeError, requests.exceptions.InvalidHeader,
                               requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                               ValueError))
    os_error = _first(chain, OSError)
    if malformed is not None and not isinstance(os_error, ConnectionRefusedError):
        inner = next((e for e in reversed(chain) if isinstance(e, type(malformed))), malformed)
        return BadResponseError(f"{url} sent a malformed HTTP answer ({type(inner).__name__})", url=url)
    if isinstance(os_error, ConnectionRefusedError):
        return ConnectError(f"cannot connect to {url}: {os_error.strerror or 'connection refused'}", url=url)
    if os_error is not None:
        reason = _os_reason(chain) or type(os_error).__name__
        if not watch.opened:
            return ConnectError(f"cannot connect to {url}: {reason}", url=url)
        hint = tls_hint if _first(chain, ConnectionResetError) is not None else ""
        return ConnectError(f"connection to {url} failed: {reason}{hint}", url=url)
    if not watch.opened:
        return ConnectError(f"cannot connect to {url}: {type(exc).__name__}", url=url)
    return BadResponseError(f"{url} sent a malformed HTTP answer ({type(exc).__name__})", url=url)


def _os_reason(chain: list[BaseException]) -> str:
    """The innermost OS error's text ("Connection reset by peer"), not urllib3's pool wrapper."""
    for exc in reversed(chain):
        if isinstance(exc, OSError) and exc.strerror:
            return exc.strerror
    return ""


@contextmanager
def _translated(transport: HttpTransport, watch: Watch) -> Iterator[None]:
    """Foreign exceptions -> our :class:`TransportError` tree (the only such mapping)."""
    try:
        yield
    except TransportError:
        raise
    except _FOREIGN as exc:
        raise _translate(transport, watch, exc) from exc
