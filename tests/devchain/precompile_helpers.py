"""Shared by the precompile tests: ABI calls and transactions to a precompile address."""

from __future__ import annotations

from typing import Any

from eth_abi import decode, encode

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.devchain import DevChain

from devchain_helpers import SIGNERS, receipt2, result, selector, send2, send3, tx2, tx3


def _types(sig: str) -> list[str]:
    inner = sig[sig.index("(") + 1:-1]
    return [t for t in inner.split(",") if t]


def data_of(sig: str, *args: Any) -> bytes:
    return selector(sig) + encode(_types(sig), list(args))


def call3(chain: DevChain, to: str, sig: str, returns: list[str], *args: Any) -> tuple:
    out = result(chain, "call", ["group0", "", to, "0x" + data_of(sig, *args).hex()])
    assert out["status"] == 0, out
    return decode(returns, bytes.fromhex(out["output"][2:]))


def send(chain: DevChain, to: str, sig: str, *args: Any, signer: LocalSigner = SIGNERS[0]) -> dict[str, Any]:
    """A 3.x transaction; returns the receipt JSON."""
    return send3(chain, tx3(chain, to, data_of(sig, *args), signer=signer))["result"]


def code3(receipt: dict[str, Any]) -> int:
    assert receipt["status"] == 0, receipt
    return decode(["int256"], bytes.fromhex(receipt["output"][2:]))[0]


def error_text(receipt: dict[str, Any]) -> str:
    raw = bytes.fromhex(receipt["output"][2:])
    assert raw[:4] == bytes.fromhex("08c379a0"), receipt
    return decode(["string"], raw[4:])[0]


def send2_to(chain: DevChain, to: str, sig: str, *args: Any) -> dict[str, Any]:
    return receipt2(chain, send2(chain, tx2(chain, to, data_of(sig, *args)))["result"])


def call2(chain: DevChain, to: str, sig: str, returns: list[str], *args: Any) -> tuple:
    out = result(chain, "call", [1, {"from": SIGNERS[0].address, "to": to, "data": "0x" + data_of(sig, *args).hex()}])
    return decode(returns, bytes.fromhex(out["output"][2:]))
