"""One typed method per node RPC, in both FISCO BCOS dialects, behind one neutral surface.

:func:`connect` builds the transport (HTTP, mutual TLS, failover over several URLs) and the
dialect client from :class:`~fisco_drugtrace.config.Settings`.
"""

from __future__ import annotations

from typing import Callable

from fisco_drugtrace.client.base import DEFAULT_TX_TIMEOUT, FiscoClient
from fisco_drugtrace.client.error_maps import map_error_v2, map_error_v3
from fisco_drugtrace.client.records import NodeOverview, SignedTx
from fisco_drugtrace.client.v2 import ClientV2
from fisco_drugtrace.client.v3 import ClientV3
from fisco_drugtrace.config import Settings
from fisco_drugtrace.errors import ConfigError
from fisco_drugtrace.rpc import FailoverTransport, HttpTransport, InProcessTransport, JsonRpc, RetryPolicy, TlsFiles
from fisco_drugtrace.rpc.transport import Transport
from fisco_drugtrace.types import Dialect

__all__ = [
    "connect",
    "client_for_transport",
    "FiscoClient",
    "ClientV3",
    "ClientV2",
    "SignedTx",
    "NodeOverview",
    "DEFAULT_TX_TIMEOUT",
]


def _transport(settings: Settings) -> Transport:
    tls = None
    if settings.tls is not None:
        tls = TlsFiles(ca=settings.tls.ca, cert=settings.tls.cert, key=settings.tls.key)
    push = [url for url in settings.urls if url.split("://", 1)[0] in _PUSH_SCHEMES]
    if push:  # push URLs: one connection at a time carries everything; the others are failover
        return _push_transport(push, tls, settings)
    transports = [HttpTransport(url, tls=tls, timeout=settings.timeout, max_answer_bytes=settings.max_answer_bytes)
                  for url in settings.urls]
    return transports[0] if len(transports) == 1 else FailoverTransport(transports, timeout=settings.timeout)


_PUSH_SCHEMES = ("ws", "wss", "channel", "channels")


def _push_transport(urls: list[str], tls: TlsFiles | None, settings: Settings) -> Transport:
    kinds = {url.startswith(("ws://", "wss://")) for url in urls}
    if len(kinds) > 1:
        raise ConfigError("push URLs must be all ws(s):// (3.x) or all channel(s):// (2.x)")
    url: str | list[str] = urls if len(urls) > 1 else urls[0]
    if kinds == {True}:
        from fisco_drugtrace.rpc.ws import WsTransport

        return WsTransport(url, tls=tls, timeout=settings.timeout, group=str(settings.group))
    from fisco_drugtrace.rpc.channel import ChannelTransport

    return ChannelTransport(url, tls=tls, timeout=settings.timeout, group=int(settings.group))


def client_for_transport(transport: Transport, settings: Settings) -> FiscoClient:
    """The dialect client over an existing transport (e.g. ``InProcessTransport(devchain.handle_raw)``)."""
    retry = RetryPolicy(attempts=settings.retries + 1)
    if settings.dialect is Dialect.V2:
        rpc = JsonRpc(transport, map_error_v2, retry=retry, timeout=settings.timeout)
        chain_v2 = None if settings.chain_id is None else int(settings.chain_id)
        return ClientV2(rpc, group=int(settings.group), chain_id=chain_v2)
    rpc = JsonRpc(transport, map_error_v3, retry=retry, timeout=settings.timeout)
    chain_v3 = None if settings.chain_id is None else str(settings.chain_id)
    return ClientV3(rpc, group=str(settings.group), node=settings.node, chain_id=chain_v3)


def connect(settings: Settings, *, handler: Callable[[bytes], bytes] | None = None) -> FiscoClient:
    """A client for the configured node(s); ``handler`` serves requests in-process instead."""
    transport: Transport = InProcessTransport(handler) if handler is not None else _transport(settings)
    return client_for_transport(transport, settings)
