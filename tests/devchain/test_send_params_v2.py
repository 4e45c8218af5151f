"""2.x sendRawTransaction: the fast read of ``0x`` + hex gives what ``to_bytes`` gives, errors included."""

from __future__ import annotations

from typing import Any

import pytest

from fisco_drugtrace.devchain.rpc_v2 import _raw_tx
from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.errors import DrugTraceError, HexError, InternalError

RAW = "0x" + bytes(range(40)).hex()


def general(text: str) -> Any:
    """What sendRawTransaction read before the fast path (or the error it raised)."""
    try:
        return to_bytes(text, what="rawTransaction")
    except HexError as exc:
        return InternalError, str(InternalError(-32603, f"INTERNAL_ERROR: : {exc}"))


def fast(text: str) -> Any:
    try:
        return _raw_tx(text)
    except DrugTraceError as exc:
        return type(exc), str(exc)


@pytest.mark.parametrize("text", [
    RAW, "0x", "0x" + RAW[2:].upper(), "0X" + RAW[2:], RAW[2:], " " + RAW + "\n", RAW + "a", "0x0x" + RAW[2:],
    RAW[:10] + " " + RAW[10:], "0x" + "é" * 4, "0xzz", "", "x",
])
def test_fast_read_equals_to_bytes(text: str) -> None:
    assert fast(text) == general(text)
