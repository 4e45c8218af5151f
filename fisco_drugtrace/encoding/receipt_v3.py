"""FISCO BCOS 3.x receipt hash (``TransactionReceiptData``), as the node computes it.

Like the transaction hash it is over plain field values, not Tars bytes: ``version`` (4-byte BE),
``gasUsed`` (decimal text), ``contractAddress`` (text as stored, e.g. without ``0x``), ``status``
(4-byte BE), ``output``, from version 1 ``effectiveGasPrice``, then for each log its ``address``
text, each topic and its ``data``, and finally ``blockNumber`` (8-byte BE).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from fisco_drugtrace.crypto.suite import CryptoSuite

__all__ = ["LogEntryV3", "ReceiptDataV3", "receipt_hash", "receipt_hash_of"]

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
    return receipt_hash_of(receipt.version, receipt.gas_used, receipt.contract_address, receipt.status,
                           receipt.output, ((log.address, log.topics, log.data) for log in receipt.logs),
                           receipt.block_number, receipt.effective_gas_price, suite)


def receipt_hash_of(version: int, gas_used: str, contract_address: str, status: int, output: bytes,
                    logs: Iterable[tuple[str, Sequence[bytes], bytes]], block_number: int,
                    effective_gas_price: str, suite: CryptoSuite) -> bytes:
    """:func:`receipt_hash` from the field values themselves (each log as ``(address text,
    topics, data)``), for callers that hold them in another shape (the dev chain, per receipt)."""
    parts = [_pack_i(version), gas_used.encode(), contract_address.encode(), _pack_i(status), output]
    if version >= 1:
        parts.append(effective_gas_price.encode())
    for address, topics, data in logs:
        parts.append(address.encode())
        parts.extend(topics)
        parts.append(data)
    parts.append(_pack_q(block_number))
    return suite.hash(b"".join(parts))
