"""Fixtures: fresh in-memory dev chains of both dialects."""

from __future__ import annotations

from typing import Iterator

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig


@pytest.fixture
def v3() -> Iterator[DevChain]:
    with DevChain(DevChainConfig(dialect="v3")) as chain:
        yield chain


@pytest.fixture
def v2() -> Iterator[DevChain]:
    with DevChain(DevChainConfig(dialect="v2")) as chain:
        yield chain
