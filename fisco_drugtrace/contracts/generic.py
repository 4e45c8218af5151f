"""Any contract, from a signature or an ABI file: ``call``, ``send`` and ``deploy`` as the FISCO
console and Foundry ``cast`` offer them.

``fn`` is either a signature (``"balanceOf(address)(uint256)"``, see
:mod:`fisco_drugtrace.contracts.signature`) or, with an ABI, a function name or canonical
signature. Arguments are command-line text, parsed for the function's parameter types. Reverts
decode against the given ABI plus every custom error of the suite, enums named, with a hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from fisco_drugtrace.accounts import Signer
from fisco_drugtrace.client.base import DEFAULT_TX_TIMEOUT, FiscoClient
from fisco_drugtrace.contracts.binding import REVERT_STATUS_NAME, Contract, decode_revert
from fisco_drugtrace.contracts.known_abis import KnownAbis
from fisco_drugtrace.contracts.names import name_values
from fisco_drugtrace.contracts.signature import parse_function, parse_values
from fisco_drugtrace.encoding.abi import AbiFunction, ContractAbi
from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.errors import AbiError, ContractNotDeployed, TransactionFailed
from fisco_drugtrace.types import Receipt

__all__ = ["resolve_function", "call_function", "send_function", "deploy_artifact", "CallOutcome", "SendOutcome"]


@dataclass(frozen=True)
class CallOutcome:
    """A read-only call: the function and its results by output name (``arg0``... if unnamed)."""

    function: str
    results: dict[str, Any]
    block_number: int


@dataclass(frozen=True)
class SendOutcome:
    """A committed transaction: hash, block, status in words, and the events decoded."""

    function: str
    transaction_hash: str
    block_number: int
    gas_used: int
    events: list[dict[str, Any]]
    contract_address: str | None = None


def _with_suite_errors(entries: Sequence[Mapping[str, Any]], known: KnownAbis) -> ContractAbi:
    extra = [e for e in known.all_errors_abi().entries]
    return ContractAbi([*entries, *extra])


def resolve_function(fn: str, abi: Sequence[Mapping[str, Any]] | None, known: KnownAbis | None = None,
                     args: Sequence[Any] | None = None) -> tuple[ContractAbi, AbiFunction, list[Mapping[str, Any]]]:
    """The ABI (with the suite's errors added), the function, and its JSON inputs.

    :raises AbiError: no ABI and ``fn`` is not a full signature, or the ABI has no such function.
    """
    known = known or KnownAbis()
    if abi is None:
        if "(" not in fn:
            raise AbiError(f"{fn!r}: give a signature such as '{fn}(uint256)(bool)', or --abi FILE")
        entry = parse_function(fn)
        entries: list[Mapping[str, Any]] = [entry]
        name = f"{entry['name']}(" + ",".join(_types(entry["inputs"])) + ")"
    else:
        entries = list(abi)
        name = fn.split(")(")[0] + ")" if ")(" in fn else fn
    full = _with_suite_errors(entries, known)
    function = full.function(name.replace(" ", ""), None if args is None else list(args)) if "(" in name \
        else _by_name(full, name, args)
    inputs = _inputs_of(entries, function)
    return full, function, inputs


def _by_name(abi: ContractAbi, name: str, args: Sequence[Any] | None) -> AbiFunction:
    candidates = abi.functions.get(name) or []
    if args is not None and len(candidates) > 1:
        by_count = [c for c in candidates if len(c.inputs) == len(args)]
        if len(by_count) == 1:
            return by_count[0]
    return abi.function(name)


def _types(params: Sequence[Mapping[str, Any]]) -> list[str]:
    from fisco_drugtrace.contracts.signature import canonical

    return [canonical([p]) for p in params]


def _inputs_of(entries: Sequence[Mapping[str, Any]], function: AbiFunction) -> list[Mapping[str, Any]]:
    for entry in entries:
        if entry.get("type", "function") == "function" and entry.get("name") == function.name:
            inputs = list(entry.get("inputs") or ())
            if ",".join(_types(inputs)) == ",".join(p.canonical for p in function.inputs):
                return inputs
    raise AbiError(f"the ABI has no function {function.signature}")


def _outputs_of(entries: Sequence[Mapping[str, Any]], function: AbiFunction) -> list[Mapping[str, Any]]:
    for entry in entries:
        if entry.get("type", "function") == "function" and entry.get("name") == function.name:
            if ",".join(_types(entry.get("inputs") or ())) == ",".join(p.canonical for p in function.inputs):
                return list(entry.get("outputs") or ())
    return []


def call_function(client: FiscoClient, address: str, fn: str, texts: Sequence[str], *,
                  abi: Sequence[Mapping[str, Any]] | None = None, sender: str | None = None,
                  known: KnownAbis | None = None) -> CallOutcome:
    """Call ``fn`` read-only at ``address`` with command-line arguments ``texts``.

    :raises ContractRevert: the call reverted (decoded, with a hint when known).
    :raises ContractNotDeployed: no code at ``address`` and the call returned nothing.
    """
    known = known or KnownAbis()
    full, function, inputs = resolve_function(fn, abi, known, texts)
    values = parse_values(inputs, texts, function.signature)
    contract = Contract(client, full, normalize_address(address))
    result = client.call(contract.address, function.encode_call(values), sender=sender)
    if not result.ok:
        if not client.get_code(contract.address):  # 3.x answers CallAddressError (19), 2.x may differ
            raise ContractNotDeployed(f"no contract code at {contract.address}")
        raise decode_revert(full, result.output)
    if not result.output and function.outputs and not client.get_code(contract.address):
        raise ContractNotDeployed(f"no contract code at {contract.address}")
    decoded = function.decode_output_dict(result.output)
    outputs = _outputs_of(list(abi) if abi is not None else [parse_function(fn)], function)
    return CallOutcome(function.signature, name_values(outputs, decoded), result.block_number)


def _events(known: KnownAbis, receipt: Receipt) -> list[dict[str, Any]]:
    out = []
    for log in receipt.logs:
        d = known.decode_log(log)
        out.append({"address": d.address, "contract": d.contract, "event": d.event, "args": d.args}
                   if d.event else {"address": d.address, "topics": list(d.topics), "data": "0x" + d.data.hex()})
    return out


def send_function(client: FiscoClient, signer: Signer, address: str, fn: str, texts: Sequence[str], *,
                  abi: Sequence[Mapping[str, Any]] | None = None, known: KnownAbis | None = None,
                  timeout: float = DEFAULT_TX_TIMEOUT) -> SendOutcome:
    """Sign and send ``fn(texts)`` to ``address`` as ``signer``; wait for the receipt.

    :raises ContractRevert: the transaction reverted (decoded).
    :raises TransactionFailed: any other failed status.
    """
    known = known or KnownAbis()
    if abi is not None:
        known = KnownAbis([("given", list(abi))])
    full, function, inputs = resolve_function(fn, abi, known, texts)
    values = parse_values(inputs, texts, function.signature)
    contract = Contract(client, full, normalize_address(address))
    receipt = client.send_transaction(signer, contract.address, function.encode_call(values), timeout=timeout)
    _raise_for(full, receipt)
    return SendOutcome(function.signature, receipt.transaction_hash, receipt.block_number, receipt.gas_used,
                       _events(known, receipt))


def _raise_for(abi: ContractAbi, receipt: Receipt) -> None:
    if receipt.status_name == REVERT_STATUS_NAME:
        raise decode_revert(abi, receipt.output, receipt=receipt)
    if not receipt.ok:
        raise TransactionFailed(receipt)


def deploy_artifact(client: FiscoClient, signer: Signer, name: str, abi: Sequence[Mapping[str, Any]],
                    bytecode: bytes, texts: Sequence[str], *, timeout: float = DEFAULT_TX_TIMEOUT) -> SendOutcome:
    """Deploy ``bytecode`` with constructor arguments parsed from ``texts`` for the ABI's constructor.

    :raises ContractRevert: the constructor reverted.
    """
    inputs: list[Mapping[str, Any]] = []
    for entry in abi:
        if entry.get("type") == "constructor":
            inputs = list(entry.get("inputs") or ())
    values = parse_values(inputs, texts, f"{name} constructor")
    known = KnownAbis([(name, list(abi))])
    contract = Contract.deploy(client, (list(abi), bytecode), *values, signer=signer, timeout=timeout)
    receipt = contract.deploy_receipt
    assert receipt is not None
    return SendOutcome(f"{name} constructor", receipt.transaction_hash, receipt.block_number, receipt.gas_used,
                       _events(known, receipt), contract_address=contract.address)
