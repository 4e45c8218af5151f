"""JSON-RPC bytes over HTTP/1.1 POST (optionally mutual TLS), with hard limits.

Built on :mod:`http.client` rather than ``requests`` because ``requests``' timeouts are per
socket operation: a node that drip-feeds one byte every 2 s keeps a call alive for ever, and a
stalled node costs ``timeout`` per retry. Here every socket operation of a request (connect,
TLS handshake, send, each ``recv``) is armed with what is left of **one total deadline**, so a
call ends within its budget whatever the node does. And the transport reads nothing it did not
ask for:

* answers are capped (``max_answer_bytes``): a larger ``Content-Length`` is refused before the
  body is read, a longer body is cut off at the cap;
* ``Accept-Encoding: identity`` is sent and any other ``Content-Encoding`` is refused (no
  decompression, so no decompression bomb);
* redirects are never followed (a 3xx is a bad answer): the signed body never goes anywhere
  but the configured node.

Every ``socket``/``ssl``/``http.client`` exception is translated in :func:`_translated` only,
into :class:`ConnectError`, :class:`RequestTimeout`, :class:`TlsError` (with
:class:`TlsNotConfigured` / :class:`TlsPortMismatch` telling what to change) or
:class:`BadResponseError` (:class:`AnswerTooLarge`).
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import threading
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import urlparse

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
from fisco_drugtrace.rpc.answers import body_excerpt
from fisco_drugtrace.rpc.deadline import Deadline
from fisco_drugtrace.rpc.tls import TlsFiles, build_ssl_context, system_ssl_context

__all__ = ["HttpTransport", "DEFAULT_TIMEOUT", "DEFAULT_MAX_ANSWER_BYTES"]

#: Seconds a call may take when nobody says otherwise.
DEFAULT_TIMEOUT = 30.0
#: The answer size cap when nobody says otherwise (a full 3.x block of ~10k transactions is ~20 MB).
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: Idle keep-alive connections kept per node.
_POOL_SIZE = 8
_CHUNK = 64 * 1024
_TLS_ENV = ("FISCO_TLS_CA", "FISCO_TLS_CERT", "FISCO_TLS_KEY")


class _Expired(Exception):
    """Internal: the deadline passed between two socket operations."""


class _DeadlineSocket:
    """A socket whose every send/recv waits at most what is left of the current deadline.

    ``http.client`` reads through ``makefile()``; the file calls :meth:`recv_into` here, so even
    the status line and headers of a drip-feeding node are bounded by the one deadline.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.deadline: Deadline | None = None

    def _arm(self) -> None:
        if self.deadline is not None:
            left = self.deadline.remaining()
            if left <= 0:
                raise _Expired()
            self._sock.settimeout(left)

    def sendall(self, data: Any) -> None:
        self._arm()  # since Python 3.5 the timeout bounds the whole sendall
        self._sock.sendall(data)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", buffering: int = -1) -> io.BufferedReader:
        return io.BufferedReader(socket.SocketIO(self, "rb"), _CHUNK)  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:  # SocketIO.close() calls this
        return None

    def fileno(self) -> int:
        return self._sock.fileno()

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(value)

    def idle_and_open(self) -> bool:
        """True if a pooled connection still looks usable (nothing to read, not closed)."""
        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


def _connect_within(host: str, port: int, deadline: Deadline) -> socket.socket:
    """``socket.create_connection`` with one deadline across every address of the host (the
    standard one gives each address the full timeout). Name resolution itself is the system's."""
    failure: OSError | None = None
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        left = deadline.remaining()
        if left <= 0:
            raise _Expired()
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            sock.connect(address)
            return sock
        except socket.timeout:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            failure = exc
    raise failure or OSError(f"no address for {host}")


class _Connection(http.client.HTTPConnection):
    """One keep-alive connection; connects (and shakes hands) within the current deadline."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext | None) -> None:
        super().__init__(host, port)
        self._context = context
        self.deadline: Deadline | None = None
        self.sock: Any = None
        #: a TCP (and TLS) connection was established at some point: later failures are not "cannot connect"
        self.opened = False

    def connect(self) -> None:
        assert self.deadline is not None
        raw = _connect_within(self.host, self.port, self.deadline)
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._context is not None:
                raw.settimeout(max(self.deadline.remaining(), 0.001))
                raw = self._context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        wrapped = _DeadlineSocket(raw)
        wrapped.deadline = self.deadline
        self.sock = wrapped
        self.opened = True

    def arm(self, deadline: Deadline) -> None:
        self.deadline = deadline
        if self.sock is not None:
            self.sock.deadline = deadline


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
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
        except ValueError as exc:
            raise ConfigError(f"node URL {url!r} has a bad port") from exc
        if max_answer_bytes < 1:
            raise ConfigError(f"max_answer_bytes must be >= 1, got {max_answer_bytes}")
        self.url = url
        self.tls = tls
        self.timeout = timeout
        self.max_answer_bytes = int(max_answer_bytes)
        self._host = parsed.hostname
        self._port = port
        self._path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        self._https = parsed.scheme == "https"
        self._context: ssl.SSLContext | None = None
        if self._https:
            self._context = build_ssl_context(tls) if tls is not None else system_ssl_context()
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"HttpTransport({self.url!r}, tls={'on' if self.tls else 'off'})"

    # -- connections -----------------------------------------------------------------------
    def _checkout(self) -> _Connection:
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if conn.sock is not None and conn.sock.idle_and_open():
                    return conn
                conn.close()
        return _Connection(self._host, self._port, self._context)

    def _checkin(self, conn: _Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < _POOL_SIZE:
                conn.arm(None)  # type: ignore[arg-type]
                self._idle.append(conn)
                return
        conn.close()

    # -- one request -----------------------------------------------------------------------
    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        """POST ``body`` and return the answer body, all within ``timeout`` seconds in total.

        :raises TransportError: a subclass saying what went wrong (never a foreign exception).
        """
        deadline = Deadline(self.timeout if timeout is None else timeout)
        conn = self._checkout()
        conn.arm(deadline)
        keep = False
        try:
            with _translated(self, deadline, conn):
                keep, content = self._exchange(conn, body)
        finally:
            if keep:
                self._checkin(conn)
            else:
                conn.close()
        return content

    def _exchange(self, conn: _Connection, body: bytes) -> tuple[bool, bytes]:
        conn.putrequest("POST", self._path, skip_accept_encoding=True)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Accept", "application/json")
        conn.putheader("Accept-Encoding", "identity")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        status = response.status
        if 300 <= status < 400:
            where = response.getheader("Location", "")
            raise BadResponseError(f"{self.url} answered HTTP {status} (a redirect to {where or '?'}); "
                                   "redirects are not followed: configure the node's own URL",
                                   url=self.url, status=status, body_excerpt=where[:200])
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise BadResponseError(f"{self.url} answered with Content-Encoding {encoding!r}, which was not asked "
                                   "for (Accept-Encoding: identity); refused", url=self.url, status=status)
        declared = response.getheader("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_answer_bytes:
            raise AnswerTooLarge(f"{self.url} announced a {int(declared):,}-byte answer, more than the "
                                 f"{self.max_answer_bytes:,}-byte cap (max_answer_bytes)", url=self.url,
                                 status=status, limit=self.max_answer_bytes, declared=int(declared))
        content = self._read_capped(response, status)
        if declared is not None and declared.strip().isdigit() and len(content) < int(declared):
            raise BadResponseError(f"{self.url} sent a truncated body ({len(content)} of {int(declared)} bytes)",
                                   url=self.url, status=status, body_excerpt=body_excerpt(content))
        self._check_http(status, response.getheader("Content-Type", "") or "", content)
        return not response.will_close, content

    def _read_capped(self, response: http.client.HTTPResponse, status: int) -> bytes:
        parts = bytearray()
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                return bytes(parts)
            parts += chunk
            if len(parts) > self.max_answer_bytes:
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
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


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


@contextmanager
def _translated(transport: HttpTransport, deadline: Deadline, conn: _Connection) -> Iterator[None]:
    """Foreign exceptions -> our :class:`TransportError` tree (the only such mapping)."""
    url = transport.url
    tls_hint = "" if transport._https else f" (if this port speaks TLS, use https:// and set {', '.join(_TLS_ENV)})"
    try:
        yield
    except TransportError:
        raise
    except (_Expired, socket.timeout) as exc:
        if not conn.opened:
            raise ConnectError(f"cannot connect to {url}: no connection within {deadline.budget:g} s",
                               url=url) from exc
        raise RequestTimeout(f"{url} did not answer within {deadline.budget:g} s", url=url) from exc
    except ssl.SSLError as exc:
        raise _tls_failure(transport, exc) from exc
    except http.client.BadStatusLine as exc:
        line = str(exc.args[0] if exc.args else "")
        if line[:2] in ("\x15\x03", "\x16\x03"):
            raise TlsPortMismatch(f"{url}: this port speaks TLS: use https:// and set {', '.join(_TLS_ENV)}",
                                  url=url, port_speaks="tls") from exc
        if isinstance(exc, http.client.RemoteDisconnected):
            raise BadResponseError(f"{url} closed the connection without answering{tls_hint}", url=url) from exc
        raise BadResponseError(f"{url} did not answer HTTP: {body_excerpt(line)!r}", url=url,
                               body_excerpt=body_excerpt(line)) from exc
    except http.client.IncompleteRead as exc:
        raise BadResponseError(f"{url} sent a truncated body ({len(exc.partial)} bytes, then the connection "
                               "closed)", url=url) from exc
    except (http.client.HTTPException, ValueError) as exc:  # ValueError: a garbled chunk size
        raise BadResponseError(f"{url} sent a malformed HTTP answer ({type(exc).__name__})", url=url) from exc
    except ConnectionRefusedError as exc:
        raise ConnectError(f"cannot connect to {url}: {exc.strerror or 'connection refused'}", url=url) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if not conn.opened:
            raise ConnectError(f"cannot connect to {url}: {reason}", url=url) from exc
        hint = tls_hint if isinstance(exc, ConnectionResetError) else ""
        raise ConnectError(f"connection to {url} failed: {reason}{hint}", url=url) from exc
