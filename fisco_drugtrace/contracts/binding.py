"""A generic contract binding: typed calls and transactions, deploys, events and decoded reverts.

``Contract(client, abi, address, signer=None)`` works with any
:class:`~fisco_drugtrace.client.FiscoClient` (either dialect):

* :meth:`Contract.call` runs a read-only call and returns the decoded result;
* :meth:`Contract.transact` signs, sends and returns :class:`TxResult` (receipt + decoded events);
* :meth:`Contract.deploy` deploys an artifact (anything with ``.abi`` and ``.bytecode``, or an
  ``(abi, bytecode)`` pair) and returns the bound contract at ``receipt.contract_address``.

A revert (receipt status ``RevertInstruction``: 16 on 3.x, 0x16 on 2.x, or a failed call) raises
:class:`ContractRevert` naming the custom error and its arguments (``Error(string)`` and
``Panic(uint256)`` included); any other failed status raises :class:`TransactionFailed` with the
status name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from fisco_drugtrace.accounts import Signer
from fisco_drugtrace.client.base import DEFAULT_TX_TIMEOUT, FiscoClient
from fisco_drugtrace.contracts.names import name_values, revert_hint
from fisco_drugtrace.encoding.abi import ContractAbi, DecodedEvent
from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.errors import (
    AbiDecodingError,
    ContractError,
    ContractNotDeployed,
    ContractRevert,
    HexError,
    TransactionFailed,
)
from fisco_drugtrace.types import Log, Receipt

__all__ = ["Contract", "TxResult", "ArtifactLike", "REVERT_STATUS_NAME", "named_error_args", "named_event_args",
           "decode_revert"]

#: The status name both dialects use for an EVM REVERT.
REVERT_STATUS_NAME = "RevertInstruction"


class ArtifactLike(Protocol):
    """What :meth:`Contract.deploy` needs from a compiled contract."""

    abi: Any
    bytecode: bytes


@dataclass(frozen=True)
class TxResult:
    """A successful transaction: its receipt and the events this contract emitted in it."""

    receipt: Receipt
    events: tuple[DecodedEvent, ...]

    @property
    def tx_hash(self) -> str:
        return self.receipt.transaction_hash

    def events_named(self, name: str) -> list[DecodedEvent]:
        return [e for e in self.events if e.name == name]

    def event(self, name: str) -> DecodedEvent:
        """The single event called ``name``.

        :raises ContractError: none or several were emitted.
        """
        found = self.events_named(name)
        if len(found) != 1:
            raise ContractError(f"expected one {name} event in {self.tx_hash}, found {len(found)}")
        return found[0]


def _as_abi(abi: ContractAbi | Sequence[Mapping[str, Any]] | str) -> ContractAbi:
    return abi if isinstance(abi, ContractAbi) else ContractAbi(abi)


def _entry_inputs(abi: ContractAbi, kind: str, name: str, count: int) -> list[Mapping[str, Any]]:
    """The JSON ``inputs`` of the ABI entry ``kind``/``name`` with ``count`` inputs (for internalType)."""
    for entry in abi.entries:
        if entry.get("type") == kind and entry.get("name") == name and len(entry.get("inputs") or ()) == count:
            return list(entry.get("inputs") or ())
    return []


def named_error_args(abi: ContractAbi, name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """A decoded error's arguments with enums and kind masks named (see :mod:`.names`)."""
    return name_values(_entry_inputs(abi, "error", name, len(args)), args)


def named_event_args(abi: ContractAbi, name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """A decoded event's arguments with enums and kind masks named (see :mod:`.names`)."""
    return name_values(_entry_inputs(abi, "event", name, len(args)), args)


def _revert(abi: ContractAbi, raw: bytes, *, receipt: Receipt | None = None) -> ContractRevert:
    decoded = abi.decode_error(raw)
    if decoded is None:
        return ContractRevert(None, {}, raw, receipt=receipt)
    args = named_error_args(abi, decoded.name, decoded.args)
    return ContractRevert(decoded.name, args, raw, receipt=receipt, hint=revert_hint(decoded.name))


def decode_revert(abi: ContractAbi, raw: bytes, *, receipt: Receipt | None = None) -> ContractRevert:
    """Revert data as a :class:`ContractRevert`: the error named, enums named, with its hint."""
    return _revert(abi, raw, receipt=receipt)


class Contract:
    """A deployed contract bound to a client (and optionally a default signer).

    :param client: a :class:`FiscoClient`.
    :param abi: a :class:`ContractAbi`, the ABI entry list, or its JSON text.
    :param address: the contract address (any case, with or without ``0x``).
    :param signer: the default signer for :meth:`transact`.
    """

    def __init__(self, client: FiscoClient, abi: ContractAbi | Sequence[Mapping[str, Any]] | str, address: str,
                 signer: Signer | None = None) -> None:
        self.client = client
        self.abi = _as_abi(abi)
        try:
            self.address = normalize_address(address)
        except HexError as exc:
            raise ContractError(f"not a contract address: {address!r}") from exc
        self.signer = signer
        #: the receipt of the deploy, when this binding came from :meth:`deploy`.
        self.deploy_receipt: Receipt | None = None

    def __repr__(self) -> str:
        return f"Contract({self.address})"

    # -- reads ------------------------------------------------------------------------------
    def call(self, fn: str, *args: Any, sender: str | None = None) -> Any:
        """Run ``fn`` read-only and decode its result (``None`` / value / tuple).

        :raises ContractRevert: the call reverted (or ended with a non-zero status).
        :raises ContractNotDeployed: no code at the address.
        """
        function = self.abi.function(fn, args)
        result = self.client.call(self.address, function.encode_call(args), sender=sender)
        if not result.ok:
            raise _revert(self.abi, result.output)
        try:
            return function.decode_output(result.output)
        except AbiDecodingError:
            if not result.output and function.outputs and not self.client.get_code(self.address):
                raise ContractNotDeployed(f"no contract code at {self.address}") from None
            raise

    # -- writes -----------------------------------------------------------------------------
    def transact(self, fn: str, *args: Any, signer: Signer | None = None,
                 timeout: float = DEFAULT_TX_TIMEOUT) -> TxResult:
        """Send ``fn(*args)`` as a transaction and wait for its receipt.

        :raises ContractRevert: the transaction reverted (custom error decoded).
        :raises TransactionFailed: any other non-zero status.
        """
        who = signer or self.signer
        if who is None:
            raise ContractError(f"{fn}: no signer given and the contract has no default signer")
        data = self.abi.function(fn, args).encode_call(args)
        receipt = self.client.send_transaction(who, self.address, data, timeout=timeout)
        return TxResult(receipt, tuple(self._check(receipt)))

    def _check(self, receipt: Receipt) -> list[DecodedEvent]:
        if receipt.status_name == REVERT_STATUS_NAME:
            raise _revert(self.abi, receipt.output, receipt=receipt)
        if not receipt.ok:
            raise TransactionFailed(receipt)
        return self.decode_receipt_events(receipt)

    @classmethod
    def deploy(cls, client: FiscoClient, artifact: ArtifactLike | tuple[Any, bytes | str], *args: Any,
               signer: Signer, timeout: float = DEFAULT_TX_TIMEOUT) -> "Contract":
        """Deploy ``artifact`` with constructor ``args``; the address comes from the receipt.

        :raises ContractRevert: the constructor reverted.
        :raises TransactionFailed: the deploy failed otherwise.
        :raises ContractNotDeployed: the receipt names no contract address.
        """
        if isinstance(artifact, tuple):
            abi_source, bytecode = artifact
        else:
            abi_source, bytecode = artifact.abi, artifact.bytecode
        abi = _as_abi(list(abi_source) if isinstance(abi_source, tuple) else abi_source)
        data = abi.encode_deploy(bytecode, args)
        receipt = client.send_transaction(signer, None, data, abi=json.dumps(list(abi.entries), separators=(",", ":")),
                                          timeout=timeout)
        if receipt.status_name == REVERT_STATUS_NAME:
            raise _revert(abi, receipt.output, receipt=receipt)
        if not receipt.ok:
            raise TransactionFailed(receipt)
        if receipt.contract_address is None:
            raise ContractNotDeployed(f"deploy {receipt.transaction_hash} succeeded but names no contract address")
        contract = cls(client, abi, receipt.contract_address, signer)
        contract.deploy_receipt = receipt
        return contract

    # -- events -----------------------------------------------------------------------------
    def decode_receipt_events(self, receipt: Receipt) -> list[DecodedEvent]:
        """Events this contract emitted in ``receipt`` (logs of other addresses are skipped)."""
        return self.decode_logs(log for log in receipt.logs if log.address == self.address)

    def decode_logs(self, logs: Any) -> list[DecodedEvent]:
        """Decode logs with this ABI; logs no event of the ABI matches are skipped. Enum arguments
        and kind masks come out named (``int`` subclasses, see :mod:`.names`)."""
        out = []
        for log in logs:
            event = self.abi.decode_log(log)
            if event is not None:
                out.append(DecodedEvent(event.name, named_event_args(self.abi, event.name, event.args), event.log))
        return out

    def subscribe_events(self, event: str | None = None, *, topics: Sequence[Any] | None = None,
                         from_block: int | None = None, **options: Any) -> Any:
        """This contract's events as they come (pushed or polled, see ``FiscoClient.subscribe_logs``),
        decoded with its ABI into :class:`DecodedEvent`; ``options`` as there (``to_block``,
        ``checkpoint``, ``callback``, ``push``)."""
        wanted: list[Any] = list(topics or ())
        if event is not None:
            wanted = [self.abi.event_topic(event), *wanted]
        return self.client.subscribe_logs(self.address, wanted or None, from_block, decode=self.abi.decode_log,
                                          **options)

    def get_events(self, from_block: int, to_block: int, event: str | None = None,
                   topics: Sequence[Any] | None = None) -> list[DecodedEvent]:
        """This contract's events in a block range (``event`` filters by name; more ``topics``
        filter the indexed arguments)."""
        wanted: list[Any] = list(topics or ())
        if event is not None:
            wanted = [self.abi.event_topic(event), *wanted]
        logs: list[Log] = self.client.get_logs(from_block, to_block, [self.address], wanted or None)
        return self.decode_logs(logs)
