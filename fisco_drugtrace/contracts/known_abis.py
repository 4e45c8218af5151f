"""Decoding against every ABI we know: the suite's committed artifacts plus any the user gives.

:class:`KnownAbis` answers, for raw chain data, "which function / event / error is this?":

* :meth:`KnownAbis.decode_calldata` -> :class:`DecodedCalldata` (contract, function signature, args);
* :meth:`KnownAbis.decode_log` -> :class:`DecodedLog` (contract, event, args);
* :meth:`KnownAbis.decode_revert` -> a :class:`~fisco_drugtrace.errors.ContractRevert` with its hint.

Enums and kind masks in the arguments come out named (:mod:`fisco_drugtrace.contracts.names`).
An ABI file may be a JSON ABI list, or a compiler artifact / Foundry / Hardhat JSON with an
``"abi"`` member.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from fisco_drugtrace.contracts.artifacts import ALL_CONTRACTS, load_artifact
from fisco_drugtrace.contracts.binding import decode_revert, named_event_args
from fisco_drugtrace.contracts.names import name_values
from fisco_drugtrace.encoding.abi import ContractAbi
from fisco_drugtrace.errors import AbiDecodingError, AbiError, ArtifactNotFound, ContractRevert
from fisco_drugtrace.types import Log
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["KnownAbis", "DecodedCalldata", "DecodedLog", "load_abi_file", "name_suite_event_args"]


@dataclass(frozen=True)
class DecodedCalldata:
    """Calldata matched to a function of a known ABI."""

    contract: str
    function: str
    signature: str
    args: dict[str, Any]


@dataclass(frozen=True)
class DecodedLog:
    """A log matched to an event of a known ABI (``event`` is ``None`` when none matched)."""

    address: str
    block_number: int | None
    transaction_hash: str | None
    contract: str | None
    event: str | None
    args: dict[str, Any]
    topics: tuple[str, ...]
    data: bytes


def load_abi_file(path: str | Path) -> list[Mapping[str, Any]]:
    """The ABI in a file: a JSON list of entries, or a JSON object with an ``abi`` member.

    :raises AbiError: unreadable, not JSON, or no ABI in it.
    """
    try:
        data = load_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AbiError(f"cannot read ABI file {path}: {exc}") from None
    except ValueError as exc:
        raise AbiError(f"ABI file {path} is not JSON: {exc}") from None
    if isinstance(data, Mapping):
        data = data.get("abi")
        if isinstance(data, str):  # some tools store the ABI as a JSON string
            try:
                data = load_json(data)
            except ValueError as exc:
                raise AbiError(f"ABI file {path}: the 'abi' member is not JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(e, Mapping) for e in data):
        raise AbiError(f"ABI file {path} holds no ABI (a JSON list, or an object with an 'abi' list)")
    return data


class KnownAbis:
    """The ABIs decoding is tried against, in order: the user's first, then the suite's.

    :param extra: ``(label, abi entries)`` pairs given by the user (``--abi FILE``).
    :param include_suite: also know the five suite contracts (from the committed artifacts).
    """

    def __init__(self, extra: Iterable[tuple[str, Sequence[Mapping[str, Any]]]] = (), *,
                 include_suite: bool = True) -> None:
        self.abis: list[tuple[str, ContractAbi]] = [(label, ContractAbi(list(entries))) for label, entries in extra]
        if include_suite:
            for name in ALL_CONTRACTS:
                try:
                    self.abis.append((name, ContractAbi(list(load_artifact(name).abi))))
                except ArtifactNotFound:
                    continue

    @classmethod
    def with_files(cls, paths: Iterable[str | Path], *, include_suite: bool = True) -> "KnownAbis":
        return cls([(Path(p).stem, load_abi_file(p)) for p in paths], include_suite=include_suite)

    def all_errors_abi(self) -> ContractAbi:
        """One ABI with every custom error of every known contract (to decode reverts from anywhere)."""
        seen: set[str] = set()
        entries = []
        for _, abi in self.abis:
            for entry in abi.entries:
                if entry.get("type") == "error":
                    key = json.dumps(entry, sort_keys=True)
                    if key not in seen:
                        seen.add(key)
                        entries.append(entry)
        return ContractAbi(entries)

    # -- calldata -------------------------------------------------------------------------
    def decode_calldata(self, data: bytes) -> DecodedCalldata | None:
        """The function ``data`` calls in the first ABI that has its selector (``None`` if none)."""
        data = bytes(data)
        if len(data) < 4:
            return None
        for label, abi in self.abis:
            try:
                call = abi.decode_call(data)
            except AbiDecodingError:
                continue
            fn = call.function
            inputs = _inputs_json(abi, "function", fn.name, len(fn.inputs))
            return DecodedCalldata(label, fn.name, fn.signature, name_values(inputs, call.args))
        return None

    # -- logs -----------------------------------------------------------------------------
    def decode_log(self, log: Log) -> DecodedLog:
        """The log, with its event and arguments when a known ABI has the event."""
        topics = tuple("0x" + bytes(t).hex() for t in log.topics)
        for label, abi in self.abis:
            try:
                event = abi.decode_log(log)
            except AbiDecodingError:
                continue
            if event is not None:
                return DecodedLog(log.address, log.block_number, log.transaction_hash, label, event.name,
                                  named_event_args(abi, event.name, event.args), topics, bytes(log.data))
        return DecodedLog(log.address, log.block_number, log.transaction_hash, None, None, {}, topics,
                          bytes(log.data))

    # -- reverts --------------------------------------------------------------------------
    def decode_revert(self, raw: bytes, *, receipt: Any = None) -> ContractRevert:
        """Revert data as a :class:`ContractRevert` (custom errors of every known ABI, Error, Panic)."""
        return decode_revert(self.all_errors_abi(), bytes(raw), receipt=receipt)


def _inputs_json(abi: ContractAbi, kind: str, name: str, count: int) -> list[Mapping[str, Any]]:
    for entry in abi.entries:
        if entry.get("type", "function") == kind and entry.get("name") == name \
                and len(entry.get("inputs") or ()) == count:
            return list(entry.get("inputs") or ())
    return []


_SUITE_EVENT_INPUTS: dict[tuple[str, str], list[Mapping[str, Any]]] = {}


def name_suite_event_args(contract: str, event: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments of a suite event (e.g. read back from the auditor's index) with enums and kind
    masks named, using the committed artifact's ABI; unknown contracts/events are returned as they are."""
    key = (contract, event)
    if key not in _SUITE_EVENT_INPUTS:
        inputs: list[Mapping[str, Any]] = []
        if contract in ALL_CONTRACTS:
            try:
                entries = load_artifact(contract).abi
            except ArtifactNotFound:
                entries = ()
            for entry in entries:
                if entry.get("type") == "event" and entry.get("name") == event:
                    inputs = list(entry.get("inputs") or ())
                    break
        _SUITE_EVENT_INPUTS[key] = inputs
    return name_values(_SUITE_EVENT_INPUTS[key], args)
