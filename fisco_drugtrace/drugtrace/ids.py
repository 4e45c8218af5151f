"""Identifiers shared with the contracts (docs/architecture.md, "Identifiers and the Merkle rule").

All ids are ``bytes32`` values computed off chain exactly as the Solidity side computes them.
"""

from __future__ import annotations

from typing import Callable

from eth_abi import encode as _abi_encode

from fisco_drugtrace.crypto.keccak import keccak256

__all__ = ["org_id", "org_ref", "product_id", "batch_id", "code_hash", "id_hex", "parse_id", "text_hash"]


def org_id(social_credit_code: str) -> bytes:
    """``keccak256(utf8(unified social credit code))``."""
    return keccak256(social_credit_code.strip().encode("utf-8"))


def product_id(approval_number: str, package_spec: str, *, hasher: Callable[[bytes], bytes] = keccak256) -> bytes:
    """``keccak256(abi.encode(string approvalNumber, string packageSpec))`` (``hasher``: the
    chain's ``keccak256``, SM3 on sm_crypto chains — :mod:`hashing`)."""
    return hasher(_abi_encode(["string", "string"], [approval_number, package_spec]))


def batch_id(product: bytes, lot: str, *, hasher: Callable[[bytes], bytes] = keccak256) -> bytes:
    """``keccak256(abi.encode(bytes32 productId, string lot))``."""
    if len(product) != 32:
        raise ValueError("product id must be 32 bytes")
    return hasher(_abi_encode(["bytes32", "string"], [product, lot]))


def code_hash(code: str, *, hasher: Callable[[bytes], bytes] = keccak256) -> bytes:
    """``keccak256(utf8(code))`` of a unit traceability code."""
    return hasher(code.encode("utf-8"))


def id_hex(value: bytes) -> str:
    """A bytes32 id as ``0x`` + 64 lower-case hex characters."""
    return "0x" + bytes(value).hex()


def parse_id(text: str | bytes) -> bytes:
    """A bytes32 id from ``0x``-hex (or raw bytes); raises ``ValueError`` when it is not 32 bytes."""
    if isinstance(text, (bytes, bytearray)):
        raw = bytes(text)
    else:
        body = text[2:] if text[:2].lower() == "0x" else text
        try:
            raw = bytes.fromhex(body)
        except ValueError as exc:
            raise ValueError(f"not a hex id: {text!r}") from exc
    if len(raw) != 32:
        raise ValueError(f"an id is 32 bytes, got {len(raw)}")
    return raw


def org_ref(value: str | bytes) -> bytes:
    """An organisation id from its 0x-hex id, or from its unified social credit code."""
    if isinstance(value, (bytes, bytearray)):
        return parse_id(value)
    text = value.strip()
    if text[:2].lower() == "0x" and len(text) == 66:
        return parse_id(text)
    return org_id(text)


def text_hash(text: str | bytes | None) -> bytes:
    """keccak256 of a note or document (the evidence/reason hashes the contracts keep);
    32 zero bytes for ``None`` or empty."""
    if not text:
        return b"\x00" * 32
    return keccak256(text.encode("utf-8") if isinstance(text, str) else bytes(text))
