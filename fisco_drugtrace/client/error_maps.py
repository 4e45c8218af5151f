"""Per-dialect tables from JSON-RPC error objects to typed :class:`RpcError` subclasses.

3.x reports a txpool refusal as the txpool status code (10000-10015) and other
``sendTransaction`` failures as code -1 with only a text. 2.x reports every refused
``sendRawTransaction`` as -32603 with a reason token inside a Boost diagnostic. Where the node
gives nothing but text, the text is matched **here and only here**, against fixed tokens.
"""

from __future__ import annotations

import re
from typing import Any

from fisco_drugtrace.errors import (
    TXPOOL_REJECTION_CLASSES,
    MalformedTransaction,
    RpcError,
    TransactionRejected,
    rpc_error_from,
)
from fisco_drugtrace.types import RECEIPT_STATUS_V3

__all__ = ["map_error_v3", "map_error_v2", "V2_REASON_TOKENS", "V3_MINUS_ONE_TEXTS", "SEND_METHODS"]

#: Methods that submit transactions (their errors may be txpool refusals).
SEND_METHODS = frozenset({"sendTransaction", "sendRawTransaction", "sendRawTransactionAndGetProof"})

#: 3.x code -1 texts -> txpool status name (case-insensitive substring).
V3_MINUS_ONE_TEXTS: tuple[tuple[str, str], ...] = (
    ("hash mismatch", "TransactionHashMismatch"),
    ("chain id mismatch", "InvalidChainId"),
    ("group id mismatch", "InvalidGroupId"),
)

#: 2.x reason tokens in -32603 messages -> txpool status name. Longest tokens first.
V2_REASON_TOKENS: tuple[tuple[str, str], ...] = (
    ("TransactionNonceCheckFail", "NonceCheckFail"),
    ("TxPoolNonceCheckFail", "NonceCheckFail"),
    ("BlockLimitCheckFailed", "BlockLimitCheckFail"),
    ("TransactionAlreadyInChain", "TxAlreadyInChain"),
    ("TransactionAlreadyKown", "AlreadyInTxPool"),  # sic, the node's spelling
    ("TransactionAlreadyKnown", "AlreadyInTxPool"),
    ("TransactionPoolIsFull", "TxPoolIsFull"),
    ("InvalidChainId", "InvalidChainId"),
    ("InvalidGroupId", "InvalidGroupId"),
    ("InvalidSignature", "InvalidSignature"),
    ("OverGroupMemoryLimit", "TxPoolIsFull"),
)

_V2_TOKEN_RE = re.compile(r"\b(" + "|".join(re.escape(t) for t, _ in V2_REASON_TOKENS) + r")\b")


def _rejection(reason: str, code: int, message: str, data: Any, method: str) -> TransactionRejected:
    cls = TXPOOL_REJECTION_CLASSES.get(reason, TransactionRejected)
    return cls(code, message, data, method=method, reason=reason)


def map_error_v3(code: int, message: str, data: Any, method: str) -> RpcError:
    """FISCO BCOS 3.x: txpool codes 10000-10015, code -1 texts, then the common table."""
    if 10000 <= code <= 10015:
        return _rejection(RECEIPT_STATUS_V3.get(code, f"Unknown({code})"), code, message, data, method)
    if code == -1 and method in SEND_METHODS:
        lowered = message.lower()
        for text, reason in V3_MINUS_ONE_TEXTS:
            if text in lowered:
                return _rejection(reason, code, message, data, method)
        return MalformedTransaction(code, message, data, method=method, reason="Malformed")
    return rpc_error_from(code, message, data, method=method)


def map_error_v2(code: int, message: str, data: Any, method: str) -> RpcError:
    """FISCO BCOS 2.x: -32603 with a reason token on transaction sends, then the common table."""
    if code == -32603 and method in SEND_METHODS:
        found = _V2_TOKEN_RE.search(message)
        if found is not None:
            reason = dict(V2_REASON_TOKENS)[found.group(1)]
            return _rejection(reason, code, message, data, method)
    return rpc_error_from(code, message, data, method=method)
