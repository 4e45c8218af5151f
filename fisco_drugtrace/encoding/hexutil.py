"""Hex text <-> bytes, and address normalisation, with one error type for garbage.

Every SDK entry point that accepts "hex or bytes" goes through :func:`to_bytes`, so a stray
character or an odd length is reported the same way everywhere (:class:`HexError`).
"""

from __future__ import annotations

import binascii

from fisco_drugtrace.errors import HexError

__all__ = ["to_bytes", "to_hex", "strip_0x", "normalize_address", "is_hex"]


def strip_0x(text: str) -> str:
    """``text`` without a leading ``0x``/``0X``."""
    return text[2:] if text[:2] in ("0x", "0X") else text


def to_bytes(value: str | bytes | bytearray | memoryview, *, what: str = "value") -> bytes:
    """Bytes from ``bytes`` (returned as is) or hex text (``0x`` optional, whitespace trimmed).

    :param what: names the value in the error message.
    :raises HexError: odd length or a non-hex character.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if not isinstance(value, str):
        raise HexError(f"{what}: expected hex text or bytes, got {type(value).__name__}")
    text = strip_0x(value.strip())
    if len(text) % 2:
        raise HexError(f"{what}: odd number of hex digits ({len(text)})")
    try:
        return binascii.unhexlify(text)
    except (binascii.Error, ValueError) as exc:
        raise HexError(f"{what}: not hex: {value[:40]!r}") from exc


def to_hex(data: bytes | bytearray | memoryview, *, prefix: bool = True) -> str:
    """Lower-case hex of ``data``, with ``0x`` unless ``prefix`` is false."""
    text = bytes(data).hex()
    return "0x" + text if prefix else text


def is_hex(text: str) -> bool:
    """True when ``text`` is hex (``0x`` optional, even length, possibly empty)."""
    body = strip_0x(text)
    if len(body) % 2:
        return False
    try:
        binascii.unhexlify(body)
    except (binascii.Error, ValueError):
        return False
    return True


def normalize_address(address: str | bytes) -> str:
    """``"0x"`` + 40 lower-case hex digits for a 20-byte address (hex with or without ``0x``,
    any case, or 20 raw bytes).

    :raises HexError: not 20 bytes of hex.
    """
    raw = to_bytes(address, what="address")
    if len(raw) != 20:
        raise HexError(f"address must be 20 bytes, got {len(raw)}")
    return "0x" + raw.hex()
