"""From signed transaction bytes to an admitted :class:`ChainTx`, per dialect.

This is the only place the dev chain touches the wire formats; it uses the SDK's own codecs
(``encoding.tx_v3`` / ``encoding.tx_v2``) so the chain accepts exactly what the SDK produces,
and checks everything a node checks before its txpool (3.x: decode, v1 hex fields, data hash,
chain id; 2.x: RLP decode with the signature).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Protocol

from fisco_drugtrace.crypto.suite import CryptoSuite
from fisco_drugtrace.encoding.hexutil import is_hex, normalize_address
from fisco_drugtrace.encoding import tx_v2, tx_v3
from fisco_drugtrace.encoding.receipt_v3 import receipt_hash_of as _receipt_hash_of
from fisco_drugtrace.errors import EncodingError, HexError, SignatureError
from fisco_drugtrace.types import Dialect

from .records import ChainReceipt, ChainTx, ExecOutcome
from .refusals import chain_id_refusal, decode_refusal

__all__ = ["Admission", "TxCodec", "V3Codec", "V2Codec", "codec_for"]


@dataclass(frozen=True, slots=True)
class Admission:
    """A decoded transaction plus what the txpool still has to check."""

    tx: ChainTx
    chain_id: str | int
    group_id: str | int
    signature_ok: bool


class TxCodec(Protocol):
    dialect: Dialect

    def decode(self, raw: bytes, import_time: int) -> Admission: ...

    def redecode(self, tx: ChainTx) -> Any: ...

    def receipt_hash(self, receipt: ChainReceipt) -> bytes: ...

    def outcome_hash(self, out: ExecOutcome, block_number: int) -> bytes:
        """The receipt hash of an execution outcome sealed in block ``block_number`` (what
        :meth:`receipt_hash` gives for the receipt made of it)."""
        ...

    def contract_address(self, block_number: int, context_index: int, sender: str, creations: int) -> str: ...


class V3Codec:
    """FISCO BCOS 3.x: Tars ``Transaction`` with a field-hash ``dataHash``."""

    dialect = Dialect.V3

    def __init__(self, suite: CryptoSuite, chain_id: str) -> None:
        self._suite = suite
        self._chain_id = chain_id

    def decode(self, raw: bytes, import_time: int) -> Admission:
        suite = self._suite
        try:
            tx = tx_v3.decode_transaction(raw)
        except EncodingError as exc:
            raise decode_refusal(Dialect.V3, f"invalid transaction: {exc}") from exc
        data = tx.data
        if data.version >= 1:
            for name in ("value", "gas_price", "max_fee_per_gas", "max_priority_fee_per_gas"):
                text = getattr(data, name)
                if text and not (text[:2] in ("0x", "0X") and is_hex(text)):
                    raise decode_refusal(Dialect.V3, f"Invalid transaction field {name}: {text!r}")
        try:
            digest = tx_v3.data_hash(data, suite)
        except EncodingError as exc:
            raise decode_refusal(Dialect.V3, f"invalid transaction: {exc}") from exc
        if tx.data_hash and tx.data_hash != digest:
            raise decode_refusal(
                Dialect.V3,
                f"transaction hash mismatching, hashInTx: 0x{tx.data_hash.hex()}, computed: 0x{digest.hex()}",
                hash_mismatch=True,
            )
        if data.chain_id != self._chain_id:
            raise chain_id_refusal(Dialect.V3, digest)
        to = ""
        if data.to:
            try:
                to = normalize_address(data.to)
            except HexError as exc:
                raise decode_refusal(Dialect.V3, f"invalid transaction: bad to address {data.to[:50]!r}") from exc
        try:
            sender = suite.public_to_address(suite.recover(digest, tx.signature))
            ok = True
        except (SignatureError, EncodingError, ValueError):
            sender, ok = "", False
        chain_tx = ChainTx(digest, bytes(raw), sender, to, data.input, data.nonce, data.block_limit,
                           data.abi if not to else "", import_time, tx)
        return Admission(chain_tx, data.chain_id, data.group_id, ok)

    def redecode(self, tx: ChainTx) -> Any:
        return tx.decoded if tx.decoded is not None else tx_v3.decode_transaction(tx.raw)

    def receipt_hash(self, receipt: ChainReceipt) -> bytes:
        return self.outcome_hash(receipt, receipt.block_number)

    def outcome_hash(self, out: ExecOutcome | ChainReceipt, block_number: int) -> bytes:
        # the node stores addresses without 0x; receipt version 0 (no effectiveGasPrice)
        return _receipt_hash_of(0, str(out.gas_used), out.contract_address[2:], out.status, out.output,
                                ((log.address[2:], log.topics, log.data) for log in out.logs), block_number,
                                "", self._suite)

    def contract_address(self, block_number: int, context_index: int, sender: str, creations: int) -> str:
        return tx_v3.contract_address_v3(block_number, context_index, 0, self._suite)


class V2Codec:
    """FISCO BCOS 2.x: 13-item RLP, signature checked while decoding."""

    dialect = Dialect.V2

    def __init__(self, suite: CryptoSuite) -> None:
        self._suite = suite

    def decode(self, raw: bytes, import_time: int) -> Admission:
        suite = self._suite
        try:
            stx = tx_v2.decode_signed_v2(raw)
            tx_hash = tx_v2.tx_hash_v2(raw, suite)
        except (EncodingError, SignatureError) as exc:
            raise decode_refusal(Dialect.V2, f"{type(exc).__name__}: {exc}") from exc
        try:
            sender = tx_v2.recover_sender_v2(stx, suite)
            ok = True
        except (SignatureError, EncodingError, ValueError):
            sender, ok = "", False
        fields = stx.tx
        to = normalize_address(fields.to) if fields.to else ""
        chain_tx = ChainTx(tx_hash, bytes(raw), sender, to, bytes(fields.data), str(fields.nonce),
                           int(fields.block_limit), "", import_time, stx)
        return Admission(chain_tx, int(fields.chain_id), int(fields.group_id), ok)

    def redecode(self, tx: ChainTx) -> Any:
        return tx.decoded if tx.decoded is not None else tx_v2.decode_signed_v2(tx.raw)

    def receipt_hash(self, receipt: ChainReceipt) -> bytes:
        return self.outcome_hash(receipt, receipt.block_number)

    def outcome_hash(self, out: ExecOutcome | ChainReceipt, block_number: int) -> bytes:
        # 2.x receipts carry no hash on the wire; this one only feeds the block's receiptsRoot.
        parts = [struct.pack(">iq", out.status, out.gas_used), out.contract_address.encode(), out.output]
        for log in out.logs:
            parts.append(log.address.encode())
            parts.extend(log.topics)
            parts.append(log.data)
        return self._suite.hash(b"".join(parts))

    def contract_address(self, block_number: int, context_index: int, sender: str, creations: int) -> str:
        return tx_v2.contract_address_v2(sender, creations, self._suite)


def codec_for(dialect: Dialect, suite: CryptoSuite, chain_id: str | int) -> TxCodec:
    """The codec of ``dialect``."""
    if dialect is Dialect.V3:
        return V3Codec(suite, str(chain_id))
    return V2Codec(suite)
