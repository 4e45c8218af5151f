"""The conformance suite against the embedded dev chain over real HTTP on 127.0.0.1 (port 0)."""

from __future__ import annotations

from typing import Iterator

import pytest

from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain.server import serve
from fisco_drugtrace.types import Dialect
from tests.conformance.suite import ChainUnderTest, V2Conformance, V3Conformance


def _run(dialect: Dialect, compat: str = "3.9") -> Iterator[ChainUnderTest]:
    chain = DevChain(DevChainConfig(dialect=dialect, compat=compat))
    server = serve(chain, host="127.0.0.1", port=0)
    settings = Settings(dialect=dialect, urls=(server.url,), group=chain.identity.group_id, timeout=30, retries=1)
    client = connect(settings)
    try:
        yield ChainUnderTest(client=client, chain_id=chain.identity.chain_id)
    finally:
        client.close()
        server.stop()
        chain.close()


class TestDevChainV3(V3Conformance):
    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[ChainUnderTest]:
        yield from _run(Dialect.V3)


class TestDevChainV3AsA37Node(V3Conformance):
    """The same suite against a dev chain answering as a 3.7 node: no getLogs, no filters."""

    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[ChainUnderTest]:
        yield from _run(Dialect.V3, compat="3.7")


class TestDevChainV2(V2Conformance):
    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[ChainUnderTest]:
        yield from _run(Dialect.V2)
