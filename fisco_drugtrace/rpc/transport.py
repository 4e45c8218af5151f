"""Moving request bytes to a FISCO BCOS node and answer bytes back.

Three transports share one small protocol (:class:`Transport`):

* :class:`HttpTransport` — HTTP(S) POST over a keep-alive ``requests`` session. FISCO node
  certificates do not name the host, so TLS uses our own :class:`ssl.SSLContext` (TLS >= 1.2,
  peer verification against the chain CA, no host-name check, the SDK client certificate).
  Every ``requests``/``urllib3``/``ssl`` exception is translated **here and only here** into
  :class:`ConnectError`, :class:`RequestTimeout`, :class:`TlsError` or :class:`BadResponseError`.
* :class:`FailoverTransport` — several nodes; moves on to the next one on :class:`ConnectError`
  and remembers the one that answered.
* :class:`InProcessTransport` — calls a ``bytes -> bytes`` handler (the dev chain in-process).
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence, runtime_checkable
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter

from fisco_drugtrace.errors import (
    BadResponseError,
    ConfigError,
    ConnectError,
    RequestTimeout,
    TlsError,
)

__all__ = [
    "Transport",
    "TlsFiles",
    "HttpTransport",
    "FailoverTransport",
    "InProcessTransport",
    "build_ssl_context",
    "body_excerpt",
]

#: How many characters of an unusable body are kept in :class:`BadResponseError`.
_EXCERPT_CHARS = 200


@runtime_checkable
class Transport(Protocol):
    """Sends one request body and returns the answer body."""

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        """Send ``body``; ``timeout`` (seconds) overrides the transport's default."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class TlsFiles:
    """The SDK certificate set of a node (build_chain's ``sdk/`` folder)."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def from_sdk_dir(cls, sdk_dir: str | Path) -> "TlsFiles":
        """``ca.crt``, ``sdk.crt`` and ``sdk.key`` inside ``sdk_dir``."""
        folder = Path(sdk_dir)
        return cls(ca=folder / "ca.crt", cert=folder / "sdk.crt", key=folder / "sdk.key")


def body_excerpt(body: bytes | str) -> str:
    """The first characters of a body, for error messages (never the whole thing)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, (bytes, bytearray)) else body
    text = text.strip()
    return text[:_EXCERPT_CHARS] + ("…" if len(text) > _EXCERPT_CHARS else "")


def build_ssl_context(tls: TlsFiles) -> ssl.SSLContext:
    """A client context for FISCO's mutual TLS: TLS >= 1.2, CA-verified, no host-name check."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # node certificates carry no host name
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        context.load_verify_locations(cafile=str(tls.ca))
        context.load_cert_chain(certfile=str(tls.cert), keyfile=str(tls.key))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS files (ca={tls.ca}, cert={tls.cert}, key={tls.key}): {exc}") from exc
    return context


class _SslContextAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that uses one fixed SSLContext and skips urllib3's host-name match."""

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, _ = super().build_connection_pool_key_attributes(request, verify, cert)
        pool_kwargs = {"ssl_context": self._context, "assert_hostname": False, "cert_reqs": "CERT_REQUIRED"}
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # The context already holds the CA and the client chain; keep requests' bundle out of it.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything linked to it (args, cause, context, urllib3 ``reason``)."""
    seen: set[int] = set()
    order: list[BaseException] = []
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        order.append(current)
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                stack.append(linked)
    return order


def _reason(exc: BaseException) -> str:
    """A short cause for humans: the innermost OS error's text ("Connection refused"), else the
    exception itself. urllib3 otherwise buries it in "HTTPConnectionPool(...): Max retries ...".
    """
    for linked in reversed(_chain(exc)):
        if isinstance(linked, OSError) and linked.strerror:
            return linked.strerror
    return str(exc)


def _has_ssl_cause(exc: BaseException) -> bool:
    """True if an ``ssl.SSLError`` is anywhere in the exception's args/cause chain."""
    return any(isinstance(linked, ssl.SSLError) for linked in _chain(exc))


class HttpTransport:
    """JSON-RPC bytes over HTTP(S) POST, with keep-alive and optional mutual TLS.

    :param url: ``http://host:port`` or ``https://host:port``.
    :param tls: the SDK certificates; used for ``https`` URLs. ``None`` with ``https`` verifies
        against the system trust store.
    :param timeout: default seconds to wait for an answer.
    """

    def __init__(self, url: str, tls: TlsFiles | None = None, timeout: float = 30.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(f"node URL must be http://host:port or https://host:port, got {url!r}")
        self.url = url
        self.tls = tls
        self.timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or .netrc between the SDK and its node
        self._session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        if parsed.scheme == "https" and tls is not None:
            self._session.mount("https://", _SslContextAdapter(build_ssl_context(tls)))

    def __repr__(self) -> str:
        return f"HttpTransport({self.url!r}, tls={'on' if self.tls else 'off'})"

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        """POST ``body``; return the answer body or raise a :class:`TransportError` subclass."""
        wait = self.timeout if timeout is None else timeout
        try:
            response = self._session.post(self.url, data=body, timeout=wait)
            content = response.content
        except requests.exceptions.SSLError as exc:
            raise TlsError(f"TLS handshake with {self.url} failed: {exc}", url=self.url) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise ConnectError(f"cannot connect to {self.url}: timed out after {wait:g} s", url=self.url) from exc
        except requests.exceptions.ReadTimeout as exc:
            raise RequestTimeout(f"{self.url} did not answer within {wait:g} s", url=self.url) from exc
        except requests.exceptions.ConnectionError as exc:
            if _has_ssl_cause(exc):
                raise TlsError(f"TLS connection to {self.url} refused: {exc}", url=self.url) from exc
            raise ConnectError(f"cannot connect to {self.url}: {_reason(exc)}", url=self.url) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise BadResponseError(f"{self.url} sent a broken HTTP body: {exc}", url=self.url) from exc
        except requests.exceptions.RequestException as exc:
            raise ConnectError(f"request to {self.url} failed: {exc}", url=self.url) from exc
        self._check_http(response.status_code, response.headers.get("Content-Type", ""), content)
        return content

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


class FailoverTransport:
    """Several nodes of one group: the healthy one is used until it refuses connections.

    On :class:`ConnectError` the next transport is tried; the one that answers becomes the
    preferred one. Other errors (timeouts, TLS, bad answers) are raised at once: the node was
    reached, and trying another could hide the problem.
    """

    def __init__(self, transports: Sequence[Transport]) -> None:
        if not transports:
            raise ConfigError("FailoverTransport needs at least one transport")
        self._transports = list(transports)
        self._current = 0
        self._lock = threading.Lock()

    @classmethod
    def from_urls(cls, urls: Sequence[str], tls: TlsFiles | None = None, timeout: float = 30.0) -> "FailoverTransport":
        """One :class:`HttpTransport` per URL, same TLS files and timeout."""
        return cls([HttpTransport(url, tls=tls, timeout=timeout) for url in urls])

    @property
    def current(self) -> Transport:
        """The transport that answered last (or the first one)."""
        return self._transports[self._current]

    @property
    def url(self) -> str | None:
        return getattr(self.current, "url", None)

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        with self._lock:
            start = self._current
        count = len(self._transports)
        failures: list[str] = []
        last: ConnectError | None = None
        for step in range(count):
            index = (start + step) % count
            transport = self._transports[index]
            try:
                answer = transport.send(body, timeout=timeout)
            except ConnectError as exc:
                last = exc
                failures.append(str(getattr(exc, "url", None) or transport))
                continue
            if index != start:
                with self._lock:
                    self._current = index
            return answer
        assert last is not None
        raise ConnectError(f"no node reachable (tried {', '.join(failures)}): {last}", url=last.url) from last

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
