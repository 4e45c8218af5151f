"""The conformance suite against a real FISCO BCOS node, when one is configured.

Set ``FISCO_RPC_URL`` (comma-separated URLs; ``https://`` with build_chain's TLS files in
``FISCO_TLS_CA`` / ``FISCO_TLS_CERT`` / ``FISCO_TLS_KEY``), and optionally ``FISCO_DIALECT``
(``v3`` default, or ``v2``), ``FISCO_GROUP`` and ``FISCO_CHAIN_ID``. The chain must accept
transactions from fresh keys (no permission checks). Run: ``pytest -m node tests/conformance``.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from fisco_drugtrace.client import connect
from fisco_drugtrace.config import load_settings
from tests.conformance.suite import ChainUnderTest, V2Conformance, V3Conformance

_URL = os.environ.get("FISCO_RPC_URL")
_DIALECT = os.environ.get("FISCO_DIALECT", "v3").lower()

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(not _URL, reason="no real FISCO BCOS node: set FISCO_RPC_URL (and FISCO_TLS_CA/CERT/KEY)"),
]


def _real_node() -> Iterator[ChainUnderTest]:
    settings = load_settings(os.environ.get("FISCO_DRUGTRACE_CONFIG"))  # FISCO_* variables override
    client = connect(settings)
    try:
        yield ChainUnderTest(client=client, chain_id=settings.chain_id)
    finally:
        client.close()


@pytest.mark.skipif(bool(_URL) and _DIALECT not in ("v3", "3", "3.x"), reason=f"FISCO_DIALECT={_DIALECT}: the node speaks 2.x")
class TestRealNodeV3(V3Conformance):
    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[ChainUnderTest]:
        yield from _real_node()


@pytest.mark.skipif(bool(_URL) and _DIALECT not in ("v2", "2", "2.x"), reason=f"FISCO_DIALECT={_DIALECT}: the node speaks 3.x")
class TestRealNodeV2(V2Conformance):
    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls) -> Iterator[ChainUnderTest]:
        yield from _real_node()


