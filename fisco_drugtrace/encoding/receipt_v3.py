"""FISCO BCOS 3.x receipt hash (``TransactionReceiptData``), as the node computes it.

Like the transaction hash it is over plain field values, not Tars bytes: ``version`` (4-byte BE),
``gasUsed`` (decimal text), ``contractAddress`` (text as stored, e.g. without ``0x``), ``status``
(4-byte BE), ``output``, from version 1 ``effectiveGasPrice``, then for each log its ``address``
text, each topic and its ``data``, and finally ``blockNumber`` (8-byte BE).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from fisco_drugtrace.crypto.suite import CryptoSuite

__all__ = ["LogEntryV3", "ReceiptDataV3", "receipt_hash"]

_pack_i = struct.Struct(">i").pack
_pack_q = struct.Struct(">q").pack


@dataclass(frozen=True)
class LogEntryV3:
    """One log as the node stores it: ``address`` is hex text (3.x stores it without ``0x``)."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class ReceiptDataV3:
    """The hashed fields of a 3.x receipt."""

    version: int
    gas_used: str
    contract_address: str
    status: int
    output: bytes
    block_number: int
    logs: tuple[LogEntryV3, ...] = field(default_factory=tuple)
    effective_gas_price: str = ""


def receipt_hash(receipt: ReceiptDataV3, suite: CryptoSuite) -> bytes:
    """The 32-byte receipt hash a 3.x node reports as ``hash``."""
    parts = [
        _pack_i(receipt.version),
        receipt.gas_used.encode(),
        receipt.contract_address.encode(),
        _pack_i(receipt.status),
        receipt.output,
    ]
    if receipt.version >= 1:
        parts.append(receipt.effective_gas_price.encode())
    for log in receipt.logs:
        parts.append(log.address.encode())
        parts.extend(log.topics)
        parts.append(log.data)
    parts.append(_pack_q(receipt.block_number))
    return suite.hash(b"".join(parts))
