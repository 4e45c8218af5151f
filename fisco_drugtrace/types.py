"""Shared scalar types and the dialect-neutral records every layer speaks.

Wire shapes differ between FISCO BCOS 3.x and 2.x (ints vs hex strings, ``logEntries`` vs
``logs``); the client's dialect modules normalise them into these frozen records, so bindings,
the service layer and auditors never see the difference. The raw node object is kept in ``raw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping, NewType

__all__ = [
    "Address",
    "TxHash",
    "HexStr",
    "Dialect",
    "ChainIdentity",
    "Log",
    "Receipt",
    "CallResult",
    "RECEIPT_STATUS_V3",
    "RECEIPT_STATUS_V2",
    "status_name",
]

#: ``0x`` + 40 lower-case hex characters.
Address = NewType("Address", str)
#: ``0x`` + 64 lower-case hex characters.
TxHash = NewType("TxHash", str)
#: ``0x``-prefixed hex string.
HexStr = NewType("HexStr", str)


class Dialect(str, Enum):
    """Which FISCO BCOS protocol a node speaks."""

    V3 = "v3"
    V2 = "v2"


@dataclass(frozen=True)
class ChainIdentity:
    """What a transaction must carry to be accepted: 3.x uses strings, 2.x integers."""

    dialect: Dialect
    chain_id: str | int
    group_id: str | int


@dataclass(frozen=True)
class Log:
    """One event log, normalised. ``address`` is ``0x`` + lower-case hex."""

    address: Address
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int | None = None
    transaction_hash: TxHash | None = None
    log_index: int | None = None
    transaction_index: int | None = None
    block_hash: str | None = None


@dataclass(frozen=True)
class Receipt:
    """A transaction receipt, normalised across dialects.

    ``status`` is the node's integer status; ``status_name`` its name in the dialect's table
    (``"None"`` means success). ``contract_address`` is ``None`` unless the transaction deployed.
    """

    transaction_hash: TxHash
    block_number: int
    status: int
    status_name: str
    gas_used: int
    output: bytes
    logs: tuple[Log, ...]
    contract_address: Address | None = None
    from_address: Address | None = None
    to_address: Address | None = None
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 0


@dataclass(frozen=True)
class CallResult:
    """The answer to a read-only ``call``."""

    status: int
    output: bytes
    block_number: int

    @property
    def ok(self) -> bool:
        return self.status == 0


#: FISCO BCOS 3.x receipt status table (bcos-protocol TransactionStatus.h).
RECEIPT_STATUS_V3: Mapping[int, str] = {
    0: "None",
    1: "Unknown",
    2: "OutOfGasLimit",
    7: "NotEnoughCash",
    10: "BadInstruction",
    11: "BadJumpDestination",
    12: "OutOfGas",
    13: "OutOfStack",
    14: "StackUnderflow",
    15: "PrecompiledError",
    16: "RevertInstruction",
    17: "ContractAddressAlreadyUsed",
    18: "PermissionDenied",
    19: "CallAddressError",
    20: "GasOverflow",
    21: "ContractFrozen",
    22: "AccountFrozen",
    23: "AccountAbolished",
    24: "ContractAbolished",
    32: "WASMValidationFailure",
    33: "WASMArgumentOutOfRange",
    34: "WASMUnreachableInstruction",
    35: "WASMTrap",
    10000: "NonceCheckFail",
    10001: "BlockLimitCheckFail",
    10002: "TxPoolIsFull",
    10003: "Malformed",
    10004: "AlreadyInTxPool",
    10005: "TxAlreadyInChain",
    10006: "InvalidChainId",
    10007: "InvalidGroupId",
    10008: "InvalidSignature",
    10009: "RequestNotBelongToTheGroup",
    10010: "TransactionPoolTimeout",
    10011: "AlreadyInTxPoolAndAccept",
    10012: "OverFlowValue",
    10013: "MaxInitCodeSizeExceeded",
    10014: "SenderNoEOA",
    10015: "InsufficientFunds",
}

#: FISCO BCOS 2.x receipt status table (libethcore TransactionException).
RECEIPT_STATUS_V2: Mapping[int, str] = {
    0x0: "None",
    0x1: "Unknown",
    0x2: "BadRLP",
    0x3: "InvalidFormat",
    0x4: "OutOfGasIntrinsic",
    0x5: "InvalidSignature",
    0x6: "InvalidNonce",
    0x7: "NotEnoughCash",
    0x8: "OutOfGasBase",
    0x9: "BlockGasLimitReached",
    0xA: "BadInstruction",
    0xB: "BadJumpDestination",
    0xC: "OutOfGas",
    0xD: "OutOfStack",
    0xE: "StackUnderflow",
    0xF: "NonceCheckFail",
    0x10: "BlockLimitCheckFail",
    0x11: "FilterCheckFail",
    0x12: "NoDeployPermission",
    0x13: "NoCallPermission",
    0x14: "NoTxPermission",
    0x15: "PrecompiledError",
    0x16: "RevertInstruction",
    0x17: "InvalidZeroSignatureFormat",
    0x18: "AddressAlreadyUsed",
    0x19: "PermissionDenied",
    0x1A: "CallAddressError",
    0x1B: "GasOverflow",
    0x1C: "TxPoolIsFull",
    0x1D: "TransactionRefused",
    0x1E: "ContractFrozen",
    0x1F: "AccountFrozen",
    0x20: "NotEnoughRemainGas",
    0x2710: "AlreadyKnown",
    0x2711: "AlreadyInChain",
    0x2712: "InvalidChainId",
    0x2713: "InvalidGroupId",
    0x2714: "RequestNotBelongToTheGroup",
    0x2715: "MalformedTx",
    0x2716: "OverGroupMemoryLimit",
}


def status_name(dialect: Dialect, status: int) -> str:
    """Name of a receipt status in the dialect's table, ``"Unknown(<n>)"`` when not listed."""
    table = RECEIPT_STATUS_V3 if dialect is Dialect.V3 else RECEIPT_STATUS_V2
    return table.get(status, f"Unknown({status})")
