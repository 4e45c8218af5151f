"""The ``requests`` adapter of :class:`~fisco_drugtrace.rpc.http.HttpTransport`.

* Mutual TLS the FISCO way: one fixed :class:`ssl.SSLContext` (the chain CA, the SDK
  certificate, no host-name check: node certificates carry no host name — see build_chain.sh's
  ``sdk/`` certificates in FISCO-BCOS/FISCO-BCOS ``tools/BcosAirBuilder/build_chain.sh``), and
  requests' CA bundle kept out of it.
* urllib3 connections that belong to one call's :class:`~fisco_drugtrace.rpc.watchdog.Watch`:
  connecting spends one deadline across every address of the host (urllib3's
  ``create_connection`` gives each address the full timeout), and every connection a call uses
  is claimed so the watchdog can shut its socket down when the deadline passes.

Exceptions raised here are urllib3's own (or :class:`~fisco_drugtrace.rpc.watchdog.Expired`);
they are translated in one place, :func:`fisco_drugtrace.rpc.http._translated`.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from fisco_drugtrace.rpc.watchdog import WATCHDOG

__all__ = ["DeadlineAdapter"]


class _Watched:
    """Mixin for urllib3 connections: connect within the current call's deadline; claim the
    connection for that call (connect and every request on a kept-alive connection)."""

    sock: Any
    host: str
    port: int
    socket_options: Any
    source_address: Any
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        watch = WATCHDOG.current()
        if watch is None:  # used outside HttpTransport.send: urllib3's own behaviour
            return super()._new_conn()  # type: ignore[misc, no-any-return]
        try:
            addresses = socket.getaddrinfo(self._dns_host, self.port, 0, socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        failure: OSError | None = None
        for family, kind, proto, _, address in addresses:
            left = watch.remaining()
            if left <= 0:
                break
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.settimeout(left)
                sock.connect(address)
            except socket.timeout as exc:
                sock.close()
                raise ConnectTimeoutError(self, f"connection to {self.host} timed out") from exc
            except OSError as exc:
                sock.close()
                failure = exc
                continue
            sock.settimeout(max(watch.remaining(), 0.001))  # the TLS handshake, if any
            return sock
        if failure is None:
            raise ConnectTimeoutError(self, f"connection to {self.host}: the deadline passed")
        raise NewConnectionError(self, f"Failed to establish a new connection: {failure}") from failure  # type: ignore[arg-type]

    def connect(self) -> None:
        watch = WATCHDOG.claim(self)
        super().connect()  # type: ignore[misc]
        WATCHDOG.check(watch)
        if watch is not None:
            watch.opened = True

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = WATCHDOG.claim(self)
        if watch is not None and self.sock is not None:
            watch.opened = True  # a kept-alive connection
        super().request(*args, **kwargs)  # type: ignore[misc]


class _Connection(_Watched, HTTPConnection):
    pass


class _TlsConnection(_Watched, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections answer to the watchdog; with ``context``, HTTPS uses
    that one SSLContext (``check_hostname=False`` contexts skip urllib3's host-name match too).

    :param context: the TLS context for ``https`` URLs (``None``: plain HTTP only).
    """

    def __init__(self, context: ssl.SSLContext | None = None, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if self._context is not None and host_params.get("scheme") == "https":
            pool_kwargs = {"ssl_context": self._context, "cert_reqs": "CERT_REQUIRED",
                           "assert_hostname": None if self._context.check_hostname else False}
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        if self._context is None:
            super().cert_verify(conn, url, verify, cert)
            return
        # The context already holds the CA and the client chain; keep requests' bundle out of it.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None
