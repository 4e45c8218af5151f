"""The whole conformance suite (every client method) over the push transports: 3.x JSON-RPC in
WebSocket frames on the RPC port, 2.x JSON-RPC in channel frames on the channel port."""

from __future__ import annotations

from typing import Iterator

import pytest

from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain.channel_server import serve_channel
from fisco_drugtrace.devchain.server import serve
from fisco_drugtrace.rpc.push import PushTransport
from fisco_drugtrace.types import Dialect
from tests.conformance.suite import ChainUnderTest, V2Conformance, V3Conformance


def _run(dialect: Dialect) -> Iterator[ChainUnderTest]:
    chain = DevChain(DevChainConfig(dialect=dialect))
    server = serve(chain, host="127.0.0.1", port=0)
    channel = serve_channel(chain, port=0) if dialect is Dialect.V2 else None
    url = channel.url if channel is not None else server.url.replace("http", "ws", 1)
    settings = Settings(dialect=dialect, urls=(url,), group=chain.identity.group_id, timeout=30, retries=1)
    client = connect(settings)
    assert isinstance(client.rpc.transport, PushTransport)
    try:
        yield ChainUnderTest(client=client, chain_id=chain.identity.chain_id)
    finally:
        client.close()
        if channel is not None:
            channel.stop()
        server.stop()
        chain.close()


class TestOverWebSocketV3(V3Conformance):
    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[ChainUnderTest]:
        yield from _run(Dialect.V3)


class TestOverChannelV2(V2Conformance):
    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[ChainUnderTest]:
        yield from _run(Dialect.V2)
