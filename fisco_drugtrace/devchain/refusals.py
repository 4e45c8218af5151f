"""How a node words a refused transaction, per dialect.

3.x answers ``sendTransaction`` with the txpool status as the JSON-RPC error code (10000-10015)
and its name as the message, or -1 for decoding/hash/chain-id failures before the pool.
2.x answers ``sendRawTransaction`` with -32603 and a Boost diagnostic whose comment carries a
reason token (``BlockLimitCheckFailed, txBlockLimit=..``) as libjson-rpc-cpp wraps it.
"""

from __future__ import annotations

from fisco_drugtrace.errors import MalformedTransaction, TransactionHashMismatch, TransactionRejected, TXPOOL_REJECTION_CLASSES
from fisco_drugtrace.types import RECEIPT_STATUS_V3, Dialect

__all__ = ["refusal", "decode_refusal", "chain_id_refusal", "V2_TOKENS"]

_V3_CODES = {name: code for code, name in RECEIPT_STATUS_V3.items() if code >= 10000}

#: txpool status name -> the 2.x node's comment token.
V2_TOKENS = {
    "NonceCheckFail": "TransactionNonceCheckFail",
    "TxPoolNonceCheckFail": "TxPoolNonceCheckFail",
    "BlockLimitCheckFail": "BlockLimitCheckFailed",
    "TxPoolIsFull": "TransactionPoolIsFull",
    "AlreadyInTxPool": "TransactionAlreadyKown",  # sic, as the node spells it
    "TxAlreadyInChain": "TransactionAlreadyInChain",
    "InvalidChainId": "InvalidChainId",
    "InvalidGroupId": "InvalidGroupId",
    "InvalidSignature": "InvalidSignature",
    "Malformed": "Malformed",
}


def _v2_message(comment: str, exc_type: str = "dev::eth::TransactionRefused") -> str:
    return (
        "INTERNAL_ERROR: : Throw location unknown (consider using BOOST_THROW_EXCEPTION)\n"
        f"Dynamic exception type: boost::wrapexcept<{exc_type}>\n"
        "std::exception::what: std::exception\n"
        f"[dev::tag_comment*] = {comment}\n"
    )


def refusal(dialect: Dialect, name: str, *, tx_hash: bytes, block_limit: int | None = None) -> TransactionRejected:
    """The error a node returns for txpool status ``name`` (``"NonceCheckFail"``, ...).

    ``"TxPoolNonceCheckFail"`` is the 2.x pool-nonce variant of ``NonceCheckFail``.
    """
    base = "NonceCheckFail" if name == "TxPoolNonceCheckFail" else name
    cls = TXPOOL_REJECTION_CLASSES.get(base, TransactionRejected)
    if dialect is Dialect.V3:
        return cls(_V3_CODES[base], base, reason=base)
    token = V2_TOKENS[name]
    comment = f"{token}, txBlockLimit={block_limit}" if base == "BlockLimitCheckFail" else token
    comment += f", txHash={tx_hash.hex()}"
    return cls(-32603, _v2_message(comment), None, reason=base)


def decode_refusal(dialect: Dialect, detail: str, *, hash_mismatch: bool = False) -> TransactionRejected:
    """The error for bytes that do not decode (or, 3.x, whose dataHash or chain id is wrong)."""
    if dialect is Dialect.V3:
        cls = TransactionHashMismatch if hash_mismatch else MalformedTransaction
        return cls(-1, detail, reason="TransactionHashMismatch" if hash_mismatch else "Malformed")
    return MalformedTransaction(-32603, _v2_message(detail, "dev::eth::BadRLP"), None, reason="Malformed")


def chain_id_refusal(dialect: Dialect, tx_hash: bytes) -> TransactionRejected:
    """A transaction for another chain: 3.x refuses it before the pool (-1 "Chain ID mismatch!")."""
    if dialect is Dialect.V3:
        cls = TXPOOL_REJECTION_CLASSES["InvalidChainId"]
        return cls(-1, "Chain ID mismatch!", reason="InvalidChainId")
    return refusal(dialect, "InvalidChainId", tx_hash=tx_hash)
