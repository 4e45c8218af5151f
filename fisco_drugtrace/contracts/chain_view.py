"""Chain reads decoded for people: transactions, receipts, blocks, logs, system config, group.

The FISCO console's ``getTransaction`` / ``getTransactionReceipt`` / ``getBlockByNumber`` /
``getSystemConfigByKey`` and ``cast tx`` / ``cast receipt`` / ``cast logs`` show raw fields; these
functions return the same records as plain mappings with the calldata, events and revert
decoded against :class:`~fisco_drugtrace.contracts.known_abis.KnownAbis` (the suite's ABIs and any
``--abi``), and the receipt status in words. They work with either dialect's client.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any, Sequence

from fisco_drugtrace.contracts.known_abis import DecodedLog, KnownAbis
from fisco_drugtrace.errors import AbiError, EncodingError, NotFound
from fisco_drugtrace.types import Receipt

__all__ = [
    "status_words",
    "get_transaction",
    "transaction_view",
    "receipt_view",
    "block_view",
    "logs_view",
    "system_config_view",
    "group_view",
    "calldata_view",
    "SYSTEM_CONFIG_KEYS",
]

#: the system config keys both dialects know (3.x adds more; any key is passed through).
SYSTEM_CONFIG_KEYS: tuple[str, ...] = ("tx_count_limit", "tx_gas_limit", "consensus_leader_period",
                                       "consensus_timeout", "compatibility_version", "auth_check_status",
                                       "tx_gas_price", "feature_sharding", "feature_rpbft")

_WORDS = {
    "None": "success",
    "RevertInstruction": "reverted by the contract",
    "OutOfGas": "out of gas",
    "OutOfGasLimit": "gas limit exceeded",
    "BadInstruction": "invalid instruction",
    "BadJumpDestination": "invalid jump destination",
    "PermissionDenied": "permission denied",
    "CallAddressError": "no contract at the called address",
    "PrecompiledError": "precompiled contract error",
    "ContractFrozen": "the contract is frozen",
    "AccountFrozen": "the sender account is frozen",
}


def status_words(status_name: str) -> str:
    """A receipt status name in words: ``"None"`` -> ``"success"``, ``"OutOfGas"`` -> ``"out of gas"``."""
    if status_name in _WORDS:
        return _WORDS[status_name]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", status_name).lower()


def _hash_arg(text: str, what: str = "transaction hash") -> str:
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if not re.fullmatch(r"[0-9a-fA-F]{64}", body):
        raise EncodingError(f"{text!r} is not a {what} (0x + 64 hex digits)")
    return "0x" + body.lower()


def get_transaction(client: Any, tx_hash: str) -> Any:
    """The transaction record (either dialect), or ``None`` when the node does not know it."""
    fetch = getattr(client, "get_transaction", None) or getattr(client, "get_transaction_by_hash")
    return fetch(_hash_arg(tx_hash))


def calldata_view(known: KnownAbis, data: bytes, to: str | None) -> dict[str, Any] | None:
    """Calldata decoded against the known ABIs (``None`` for a deploy or when no ABI matches)."""
    if not to:
        return None
    found = known.decode_calldata(data)
    if found is None:
        return None
    return {"contract": found.contract, "function": found.signature, "args": found.args}


def transaction_view(client: Any, tx_hash: str, known: KnownAbis) -> dict[str, Any]:
    """``tx get HASH``: sender, target, block, nonce, the input and what it calls.

    :raises NotFound: the node does not know the transaction.
    """
    tx = get_transaction(client, tx_hash)
    if tx is None:
        raise NotFound("transaction", _hash_arg(tx_hash))
    out: dict[str, Any] = {
        "hash": tx.hash, "from": tx.from_address, "to": tx.to_address or None,
        "block_number": tx.block_number, "block_hash": tx.block_hash, "transaction_index": tx.transaction_index,
        "nonce": tx.nonce, "block_limit": tx.block_limit, "chain_id": tx.chain_id, "group_id": tx.group_id,
        "input": "0x" + bytes(tx.input).hex(),
        "call": calldata_view(known, bytes(tx.input), tx.to_address),
    }
    if not tx.to_address:
        out["call"] = "deploy"
    return out


def _log_view(decoded: DecodedLog) -> dict[str, Any]:
    out = {"address": decoded.address, "block_number": decoded.block_number,
           "transaction_hash": decoded.transaction_hash, "contract": decoded.contract, "event": decoded.event,
           "args": decoded.args}
    if decoded.event is None:
        out["topics"] = list(decoded.topics)
        out["data"] = "0x" + decoded.data.hex()
    return out


def _receipt(client: Any, tx_hash: str) -> Receipt:
    fetch = getattr(client, "get_transaction_receipt", None) or client.get_receipt
    receipt = fetch(_hash_arg(tx_hash))
    if receipt is None:
        raise NotFound("receipt of transaction", _hash_arg(tx_hash))
    return receipt


def receipt_view(client: Any, tx_hash: str, known: KnownAbis) -> dict[str, Any]:
    """``receipt HASH``: status in words, gas, deployed address, decoded events and revert.

    :raises NotFound: no receipt (unknown, or not yet committed).
    """
    receipt = _receipt(client, tx_hash)
    out: dict[str, Any] = {
        "transaction_hash": receipt.transaction_hash, "block_number": receipt.block_number,
        "status": receipt.status, "status_name": receipt.status_name, "result": status_words(receipt.status_name),
        "from": receipt.from_address, "to": receipt.to_address, "contract_address": receipt.contract_address,
        "gas_used": receipt.gas_used,
    }
    if receipt.status_name == "RevertInstruction" or (not receipt.ok and receipt.output):
        revert = known.decode_revert(receipt.output)
        out["revert"] = {"error": revert.error_name, "args": revert.args, "hint": revert.hint,
                         "message": str(revert).split(": ", 1)[-1] if revert.error_name else str(revert)}
    elif receipt.message:
        out["message"] = receipt.message
    if receipt.ok and receipt.output:
        out["output"] = "0x" + bytes(receipt.output).hex()
    out["events"] = [_log_view(known.decode_log(log)) for log in receipt.logs]
    return out


def block_view(client: Any, which: str | int, *, full: bool = False) -> dict[str, Any]:
    """``block N|latest [--full]``: the header fields, and the transaction hashes or (``full``) the
    transactions themselves."""
    if isinstance(which, str):
        if which.lower() in ("latest", "head"):
            number = client.block_number()
        elif which.lower() == "earliest":
            number = 0
        else:
            try:
                number = int(which, 0)
            except ValueError:
                raise EncodingError(f"{which!r} is not a block number (N, 0x.., latest or earliest)") from None
    else:
        number = int(which)
    if number < 0:
        raise EncodingError(f"block number {number} is negative")
    if client.dialect.value == "v3":
        block = client.get_block_by_number(number, only_header=False, only_tx_hash=not full)
    else:
        block = client.get_block_by_number(number, include_transactions=full)
    out: dict[str, Any] = {"number": block.number, "hash": block.hash, "parent_hash": block.parent_hash,
                           "timestamp": block.timestamp, "sealer": block.sealer, "gas_used": block.gas_used,
                           "transactions_root": block.transactions_root, "receipts_root": block.receipts_root,
                           "state_root": block.state_root, "transaction_count": len(block.transaction_hashes)
                           or len(block.transactions)}
    if full:
        out["transactions"] = [{"hash": t.hash, "from": t.from_address, "to": t.to_address or None,
                                "input": "0x" + bytes(t.input).hex()} for t in block.transactions]
    else:
        out["transaction_hashes"] = list(block.transaction_hashes) or [t.hash for t in block.transactions]
    return out


def logs_view(client: Any, known: KnownAbis, *, from_block: int | str = 0, to_block: int | str = "latest",
              addresses: Sequence[str] = (), topics: Sequence[str | None] = ()) -> list[dict[str, Any]]:
    """``logs --address --topic --from --to``: matching logs, decoded where an ABI knows the event.

    A topic may be an event signature (``Transfer(address,address,uint256)``), which stands for
    its topic0; ``None`` or ``"*"`` matches anything at that position.
    """
    from fisco_drugtrace.contracts.signature import event_topic

    head = None

    def number(tag: int | str) -> int:
        nonlocal head
        if isinstance(tag, int):
            return tag
        if tag.lower() == "latest":
            if head is None:
                head = client.block_number()
            return head
        try:
            return int(tag, 0)
        except ValueError:
            raise EncodingError(f"{tag!r} is not a block number (N, 0x.. or latest)") from None

    start, end = number(from_block), number(to_block)
    if start > end:
        raise EncodingError(f"--from {start} is after --to {end}")
    wanted: list[Any] = []
    for topic in topics:
        if topic is None or topic == "*":
            wanted.append(None)
        elif "(" in topic:
            try:
                wanted.append(event_topic(topic))
            except AbiError as exc:
                raise EncodingError(f"--topic {topic!r}: {exc}") from None
        else:
            wanted.append(_hash_arg(topic, "topic"))
    from fisco_drugtrace.encoding.hexutil import normalize_address

    logs = client.get_logs(start, end, [normalize_address(a) for a in addresses] or None, wanted or None)
    return [_log_view(known.decode_log(log)) for log in logs]


def system_config_view(client: Any, key: str) -> dict[str, Any]:
    """``sysconfig KEY``: the value and the block it was set in."""
    found = client.get_system_config_by_key(key)
    return asdict(found)


def group_view(client: Any) -> dict[str, Any]:
    """The group as the node describes it: 3.x ``getGroupInfo`` (chain, group, genesis, nodes),
    2.x ``getGroupList`` / ``getGroupPeers`` / ``getNodeIDList``."""
    if client.dialect.value == "v3":
        info = client.get_group_info()
        return {"chain_id": info.chain_id, "group_id": info.group_id, "crypto": client.chain_crypto_suite(),
                "genesis": dict(info.genesis_config),
                "nodes": [{"name": n.name, "node_id": n.node_id, "version": n.version} for n in info.nodes]}
    groups = client.get_group_list()
    return {"group_id": client.group, "groups": list(groups.groups), "crypto": client.chain_crypto_suite(),
            "group_peers": list(client.get_group_peers()), "sealers": list(client.get_sealer_list()),
            "observers": list(client.get_observer_list())}
