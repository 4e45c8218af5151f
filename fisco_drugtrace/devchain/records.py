"""The dev chain's internal records: admitted transactions, execution results, receipts, blocks.

These are dialect-neutral; the RPC handlers turn them into each dialect's JSON shapes.
Addresses are ``"0x"`` + 40 lower-case hex; hashes are 32 raw bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ChainTx", "ChainLog", "ExecOutcome", "ChainReceipt", "ChainBlock", "ZERO_HASH"]

ZERO_HASH = bytes(32)


@dataclass(frozen=True, slots=True)
class ChainTx:
    """A transaction that passed admission (or was read back from storage).

    :param nonce: the nonce as the uniqueness key (3.x: the string; 2.x: the integer as decimal).
    :param to: ``""`` for a deployment.
    :param abi: 3.x ``abi`` field (kept for ``getABI`` of deployments), ``""`` otherwise.
    :param decoded: the codec's full transaction record (for rendering); may be ``None`` when read
        back from storage, then it is decoded again from ``raw`` on demand.
    """

    hash: bytes
    raw: bytes
    sender: str
    to: str
    input: bytes
    nonce: str
    block_limit: int
    abi: str
    import_time: int
    decoded: Any = None


@dataclass(frozen=True, slots=True)
class ChainLog:
    """One event log: emitting contract, topics (32 bytes each) and data."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True, slots=True)
class ExecOutcome:
    """What executing one transaction (or a call) produced, with the dialect's status code."""

    status: int
    output: bytes
    gas_used: int
    logs: tuple[ChainLog, ...] = ()
    contract_address: str = ""


@dataclass(frozen=True, slots=True)
class ChainReceipt:
    """A committed receipt: the outcome plus where it landed."""

    tx_hash: bytes
    block_number: int
    index: int
    status: int
    output: bytes
    gas_used: int
    logs: tuple[ChainLog, ...]
    contract_address: str
    sender: str
    to: str
    hash: bytes = ZERO_HASH


@dataclass(frozen=True, slots=True)
class ChainBlock:
    """A committed block header plus the hashes of its transactions, in order."""

    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    txs_root: bytes
    receipts_root: bytes
    state_root: bytes
    gas_used: int
    tx_hashes: tuple[bytes, ...]
