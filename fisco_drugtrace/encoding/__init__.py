"""Pure functions over bytes: hex, Tars, the 3.x and 2.x transaction codecs, receipts, ABI."""

from __future__ import annotations

from fisco_drugtrace.errors import TransactionDecodeError

__all__ = ["detect_dialect"]


def detect_dialect(raw: bytes) -> str:
    """``"v3"`` for a Tars ``Transaction`` (first byte ``0x1a``: tag 1, struct begin), ``"v2"`` for
    an RLP list (first byte ``>= 0xc0``).

    :raises TransactionDecodeError: empty, or neither form.
    """
    if not raw:
        raise TransactionDecodeError("empty transaction")
    if raw[0] == 0x1A:
        return "v3"
    if raw[0] >= 0xC0:
        return "v2"
    raise TransactionDecodeError(
        f"cannot tell the dialect: first byte 0x{raw[0]:02x} is neither a Tars Transaction (0x1a) "
        "nor an RLP list (>= 0xc0)")
