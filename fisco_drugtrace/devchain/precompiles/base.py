"""What every dev chain precompile shares: its state tables, the call context, ABI helpers, outcomes.

FISCO BCOS precompiles are native code at fixed addresses that keep their state in the node's
tables (``bcos-executor/src/precompiled/*``, 2.x ``libprecompiled/*``). Here each precompile is a
Python class with the same selectors, argument decoding and return encoding; its state lives in
:class:`Tables` (table name -> row key -> value), written only through a :class:`Txn` so that a
failed or read-only execution leaves nothing behind (the node's ``revert()`` / a ``call``).

The tables are not stored: like the EVM state they are rebuilt on start by replaying every stored
transaction (``chain.Chain._replay``), so precompile state persists exactly as contract state does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import eth_abi
from eth_abi.exceptions import DecodingError

from fisco_drugtrace.types import Dialect

__all__ = [
    "Tables", "Txn", "CallContext", "PrecompileOutcome", "Precompile", "PrecompiledError",
    "PermissionDenied", "Revert", "PRECOMPILE_STATUS", "OPERATION_GAS", "GasPricer", "memory_gas", "address_of", "Hasher", "encode", "error_output", "receipt_message",
]

Hasher = Callable[[bytes], bytes]

#: Receipt statuses a precompile can end with, by dialect (3.x ``bcos-protocol/TransactionStatus.h``;
#: 2.x ``libethcore/TransactionException.h`` at v2.11.1).
PRECOMPILE_STATUS: dict[Dialect, dict[str, int]] = {
    Dialect.V3: {"ok": 0, "precompiled_error": 15, "revert": 16, "permission_denied": 18,
                 "contract_frozen": 21, "account_frozen": 22},
    Dialect.V2: {"ok": 0, "precompiled_error": 21, "revert": 0x16, "permission_denied": 25,
                 "contract_frozen": 30, "account_frozen": 31},
}

#: What a precompile operation costs (``InterfaceOpcode`` -> gas): ``GasMetrics::init`` in 3.x
#: ``bcos-executor/src/precompiled/common/PrecompiledGas.h`` and 2.x ``libprecompiled/PrecompiledGas.h``
#: (v2.11.1), the same table; ``VeryLow`` = 3. The storage figures are the default metrics (2.x
#: ``FreeStorageGasMetrics`` only with ``[evm] enable_free_storage``, off by default).
OPERATION_GAS: dict[str, int] = {
    "EQ": 3, "GE": 3, "GT": 3, "LE": 3, "LT": 3, "NE": 3, "Limit": 3, "GetInt": 3, "GetAddr": 3, "Set": 3,
    "GetByte32": 32 * 3, "GetByte64": 64 * 3, "GetString": 3, "CreateTable": 16_000, "OpenTable": 200,
    "Select": 200, "Insert": 10_000, "Update": 10_000, "Remove": 2_500, "PaillierAdd": 20_000,
    "GroupSigVerify": 20_000, "RingSigVerify": 20_000,
}


def memory_gas(size: int) -> int:
    """``PrecompiledGas::calMemGas``: 3 per 32-byte word of the largest memory used, plus words²/512."""
    if size <= 0:
        return 0
    words = (size + 31) // 32
    return 3 * words + words * words // 512


class GasPricer:
    """The node's ``PrecompiledGas`` for one precompile execution: the operations it appended and
    the most memory it used; :meth:`total` is ``calTotalGas`` (computation + memory)."""

    __slots__ = ("operations", "memory")

    def __init__(self) -> None:
        self.operations: list[tuple[str, int]] = []
        self.memory = 0

    def append(self, operation: str, count: int = 1) -> None:
        """``appendOperation``: ``count`` times ``operation`` (a key of :data:`OPERATION_GAS`)."""
        self.operations.append((operation, count))

    def set_memory(self, size: int) -> None:
        """``setMemUsed``."""
        self.memory = size

    def update_memory(self, size: int) -> None:
        """``updateMemUsed``: only a larger size counts."""
        self.memory = max(self.memory, size)

    def total(self) -> int:
        return sum(OPERATION_GAS[op] * n for op, n in self.operations) + memory_gas(self.memory)


def address_of(number: int) -> str:
    """``0x1000`` -> ``"0x0000000000000000000000000000000000001000"`` (the dev chain's spelling)."""
    return "0x" + format(number, "040x")


class PrecompiledError(Exception):
    """The node's ``PrecompiledError``: the transaction fails with status 15 (3.x) / 21 (2.x), the
    message in the output as ``Error(string)``, and nothing it wrote is kept."""


class PermissionDenied(Exception):
    """A governance refusal: status 18 (3.x) with the node's message; nothing is kept."""


class Revert(Exception):
    """A Solidity ``require``/``revert`` in one of the node's system *contracts* (the committee):
    status 16 (3.x) with ``Error(string)`` output; nothing is kept."""


class Tables:
    """Precompile state: ``{table name: {row key: value}}``. Values are immutable (str, tuple)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}


class Txn:
    """Copy-on-write view of :class:`Tables` for one execution; :meth:`commit` makes it real."""

    def __init__(self, base: Tables) -> None:
        self._base = base.data
        self._touched: dict[str, dict[str, Any]] = {}
        self._created: set[str] = set()

    def exists(self, table: str) -> bool:
        return table in self._touched or table in self._base

    def create(self, table: str) -> None:
        if not self.exists(table):
            self._touched[table] = {}
            self._created.add(table)

    def _read(self, table: str) -> Mapping[str, Any]:
        if table in self._touched:
            return self._touched[table]
        return self._base.get(table, {})

    def _write(self, table: str) -> dict[str, Any]:
        rows = self._touched.get(table)
        if rows is None:
            rows = dict(self._base.get(table, {}))
            self._touched[table] = rows
        return rows

    def get(self, table: str, key: str, default: Any = None) -> Any:
        return self._read(table).get(key, default)

    def set(self, table: str, key: str, value: Any) -> None:
        """Write a row (creating the table if needed, as the node's ``setRow`` on an opened table)."""
        self._write(table)[key] = value

    def delete(self, table: str, key: str) -> None:
        self._write(table).pop(key, None)

    def keys(self, table: str) -> list[str]:
        """Row keys in the storage's order (sorted, as ``getPrimaryKeys``)."""
        return sorted(self._read(table))

    def rows(self, table: str) -> Iterator[tuple[str, Any]]:
        read = self._read(table)
        for key in sorted(read):
            yield key, read[key]

    @property
    def wrote(self) -> bool:
        """Whether this execution wrote (or created) any table."""
        return bool(self._touched)

    def commit(self) -> None:
        self._base.update(self._touched)
        self._touched = {}
        self._created = set()


@dataclass(frozen=True)
class CallContext:
    """Who called and where: what a precompile may look at besides its own tables.

    :param code_exists: whether an address (``0x`` + 40 lower-case hex) holds contract code.
    :param host: the :class:`~.registry.PrecompileHost` (for precompiles that read others' state).
    :param origin: the transaction's signer (``sender`` is the immediate caller: a system contract
        calling a precompile on a governor's behalf is the sender, the governor the origin).
    :param logs: events emitted so far (``(address, topics, data)``), kept only on success.
    """

    sender: str
    block_number: int
    readonly: bool
    dialect: Dialect
    code_exists: Callable[[str], bool]
    host: Any = None
    origin: str = ""
    logs: list = field(default_factory=list)
    #: the execution's gas (what the precompile charges, as the node's ``PrecompiledGas``)
    gas: GasPricer = field(default_factory=GasPricer)

    def as_sender(self, sender: str) -> "CallContext":
        """The context of an internal call made by the system contract at ``sender``."""
        return CallContext(sender, self.block_number, self.readonly, self.dialect, self.code_exists, self.host,
                           self.origin or self.sender, self.logs, self.gas)


@dataclass(frozen=True)
class PrecompileOutcome:
    """A precompile's answer: a status kind (a key of :data:`PRECOMPILE_STATUS`) and output bytes."""

    kind: str
    output: bytes
    message: str = ""


@dataclass
class Precompile:
    """Base: a precompile at ``address`` whose methods are ``{signature: handler}``.

    A handler gets ``(txn, ctx, args)`` (``args`` decoded from the signature's types) and returns
    the output bytes; it raises :class:`PrecompiledError` / :class:`PermissionDenied` to fail.
    """

    address: str
    name: str
    hasher: Hasher
    methods: dict[bytes, tuple[str, tuple[str, ...], Callable[..., bytes]]] = field(default_factory=dict)

    def register(self, signature: str, handler: Callable[..., bytes]) -> None:
        types = _arg_types(signature)
        self.methods[self.hasher(signature.encode())[:4]] = (signature, types, handler)

    def genesis(self, txn: Txn) -> None:
        """Write the tables a node's genesis block writes for this precompile (default: none)."""

    def unknown(self, data: bytes) -> bytes:
        """The answer to a selector this precompile does not have (3.x: ``PrecompiledError``)."""
        raise PrecompiledError(f"{self.name} call undefined function!")

    def execute(self, txn: Txn, ctx: CallContext, data: bytes) -> bytes:
        method = self.methods.get(bytes(data[:4]))
        if method is None:
            return self.unknown(data)
        signature, types, handler = method
        try:
            args = eth_abi.decode(list(types), bytes(data[4:])) if types else ()
        except (DecodingError, ValueError, OverflowError) as exc:
            raise PrecompiledError(f"{self.name}: cannot decode {signature}: {exc}") from None
        return handler(txn, ctx, *args)


def _arg_types(signature: str) -> tuple[str, ...]:
    inner = signature[signature.index("(") + 1:-1]
    return tuple(t for t in inner.split(",") if t) if inner else ()


def encode(types: list[str], values: list[Any]) -> bytes:
    """ABI-encode a precompile's return values."""
    return eth_abi.encode(types, values)


def error_output(message: str) -> bytes:
    """ABI ``Error(string)``: what the node writes to the output of a failed precompile
    (``TransactionExecutive::writeErrInfoToOutput``)."""
    return bytes.fromhex("08c379a0") + eth_abi.encode(["string"], [message])


#: 3.x receipt ``message`` for the refusals of ``TransactionExecutive::checkAuth``, by output text.
_CHECK_AUTH_MESSAGES = {
    "Create permission denied.": "Create permission denied", "Call permission denied.": "Call permission denied",
    "Contract is frozen.": "Contract is frozen", "Contract is abolished.": "Contract is abolished",
    "Account is frozen.": "Account's status is abnormal", "Account is abolished.": "Account's status is abnormal",
}
#: 3.x statuses whose receipt carries a message: PrecompiledError, PermissionDenied, Contract/Account Frozen/Abolished.
_MESSAGE_STATUSES = frozenset({15, 18, 21, 22, 23, 24})


def receipt_message(status: int, output: bytes) -> str:
    """The 3.x receipt's ``message`` for a precompile failure or a governance refusal: the node
    sets it beside the ``Error(string)`` output (``callParameters->message``, TransactionExecutive.cpp).
    Other receipts: ``""``."""
    if status not in _MESSAGE_STATUSES or bytes(output[:4]) != bytes.fromhex("08c379a0"):
        return ""
    try:
        text = str(eth_abi.decode(["string"], bytes(output[4:]))[0])
    except (DecodingError, ValueError, OverflowError):
        return ""
    return _CHECK_AUTH_MESSAGES.get(text, text) if status != 15 else text
