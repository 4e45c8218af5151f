"""Start-up check of stored transactions: the signed bytes still are the transaction that ran.

Replay executes the stored columns (sender, to, input), while ``getTransaction`` answers from the
stored signed bytes; a damaged ``raw`` would start silently and then fail (or answer another
transaction) only when asked. So at start every stored ``raw`` is decoded again and must give the
stored hash (3.x: the field hash of ``TransactionData``; 2.x: the hash of the RLP) and the stored
``to``, ``input``, ``nonce``, ``blockLimit`` (and 3.x ``abi``). The sender is not recovered here
(the one expensive step, ~as costly as executing the transaction): a changed sender column shows
up as a receipt that differs from re-execution whenever the contract looks at the sender.
"""

from __future__ import annotations

from fisco_drugtrace.crypto.suite import CryptoSuite
from fisco_drugtrace.encoding import tx_v2, tx_v3
from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.types import Dialect

from .records import ChainTx

__all__ = ["stored_tx_problem"]


def _same_address(wire: str | bytes, stored: str) -> bool:
    if not wire:
        return stored == ""
    return wire == stored or normalize_address(wire) == stored


def stored_tx_problem(dialect: Dialect, suite: CryptoSuite, tx: ChainTx) -> str | None:
    """``None`` when ``tx.raw`` decodes to ``tx``'s hash and fields, else what differs.

    Decoding errors propagate (the caller reports them as damage).
    """
    if dialect is Dialect.V3:
        decoded = tx_v3.decode_transaction(tx.raw)
        data = decoded.data
        if tx_v3.data_hash(data, suite) != tx.hash:
            return "hash"
        abi = data.abi if not data.to else ""
        fields = (data.input, data.nonce, data.block_limit, abi)
        to = data.to
    else:
        stx = tx_v2.decode_signed_v2(tx.raw)
        if tx_v2.tx_hash_v2(stx, suite) != tx.hash:
            return "hash"
        fields = (bytes(stx.tx.data), str(stx.tx.nonce), int(stx.tx.block_limit), "")
        to = stx.tx.to
    for name, wire, stored in zip(("input", "nonce", "blockLimit", "abi"), fields,
                                  (tx.input, tx.nonce, tx.block_limit, tx.abi)):
        if wire != stored:
            return name
    if not _same_address(to, tx.to):
        return "to"
    return None
