"""FISCO BCOS 2.x JSON shapes -> typed records. Quantities are ``0x`` hex (some are JSON ints or
decimal strings); hashes may come with or without ``0x``; "no address" is the zero address."""

from __future__ import annotations

from typing import Any, Mapping

from fisco_drugtrace.client._wire import (
    receipt_record,
    shape_guard,
    address,
    hash32,
    hex_bytes,
    obj,
    opt_address,
    opt_quantity,
    quantity,
    tx_hash,
)
from fisco_drugtrace.client.records import (
    Block,
    BlockHeader,
    ClientVersion,
    ConsensusStatus,
    NodeInfoV2,
    PeerSyncStatus,
    SyncStatus,
    TotalTransactionCount,
    TransactionRecord,
)
from fisco_drugtrace.types import Dialect, Log, Receipt

__all__ = [
    "receipt_v2",
    "transaction_v2",
    "block_v2",
    "block_header_v2",
    "sync_status_v2",
    "consensus_status_v2",
    "total_count_v2",
    "client_version_v2",
    "node_info_v2",
]


@shape_guard("receipt_v2")
def receipt_v2(value: Any) -> Receipt:
    """A 2.x receipt (all quantities hex; ``contractAddress`` zero unless a deploy)."""
    o = obj(value, "receipt")
    tx = tx_hash(o.get("transactionHash"))
    number = quantity(o.get("blockNumber"), "receipt blockNumber")
    status = quantity(o.get("status"), "receipt status")
    block_hash = hash32(o["blockHash"], "blockHash") if o.get("blockHash") else None
    tx_index = opt_quantity(o.get("transactionIndex"))
    logs = tuple(
        Log(address=address(e.get("address"), "log address"),
            topics=tuple(hex_bytes(t, "log topic") for t in e.get("topics") or ()),
            data=hex_bytes(e.get("data"), "log data"), block_number=number, transaction_hash=tx,
            log_index=i, transaction_index=tx_index, block_hash=block_hash)
        for i, e in enumerate(obj(x, "log") for x in o.get("logs") or ())
    )
    return receipt_record(o, dialect=Dialect.V2, tx=tx, number=number, status=status, logs=logs,
                          message_key="statusMsg")


@shape_guard("transaction_v2")
def transaction_v2(value: Any) -> TransactionRecord:
    o = obj(value, "transaction")
    signature = o.get("signature")
    sig_bytes = hex_bytes(signature.get("signature"), "signature") if isinstance(signature, Mapping) else b""
    return TransactionRecord(
        hash=hash32(o.get("hash"), "transaction hash"),
        from_address=opt_address(o.get("from"), "from"),
        to_address=opt_address(o.get("to"), "to"),
        input=hex_bytes(o.get("input"), "input"),
        nonce=str(o.get("nonce", "")),
        block_limit=quantity(o.get("blockLimit", 0), "blockLimit"),
        chain_id=opt_quantity(o.get("chainId")),
        group_id=opt_quantity(o.get("groupId")),
        signature=sig_bytes,
        extra_data=str(o.get("extraData") or ""),
        block_number=opt_quantity(o.get("blockNumber")),
        block_hash=hash32(o["blockHash"], "blockHash") if o.get("blockHash") else None,
        transaction_index=opt_quantity(o.get("transactionIndex")),
        raw=dict(o),
    )


def _opt_hash(value: Any) -> str | None:
    return hash32(value) if value else None


@shape_guard("block_v2")
def block_v2(value: Any) -> Block:
    o = obj(value, "block")
    items = o.get("transactions") or ()
    full = tuple(transaction_v2(t) for t in items if isinstance(t, Mapping))
    hashes = tuple(t.hash for t in full) if full else tuple(hash32(t, "transaction hash") for t in items)
    return Block(
        number=quantity(o.get("number"), "block number"),
        hash=hash32(o.get("hash"), "block hash"),
        timestamp=quantity(o.get("timestamp", 0), "timestamp"),
        parent_hash=_opt_hash(o.get("parentHash")),
        transaction_hashes=hashes,
        transactions=full,
        sealer=opt_quantity(o.get("sealer")),
        sealer_list=tuple(str(s) for s in o.get("sealerList") or ()),
        gas_used=opt_quantity(o.get("gasUsed")),
        transactions_root=o.get("transactionsRoot"),
        receipts_root=o.get("receiptsRoot"),
        state_root=o.get("stateRoot"),
        extra_data=o.get("extraData"),
        raw=dict(o),
    )


@shape_guard("block_header_v2")
def block_header_v2(value: Any) -> BlockHeader:
    o = obj(value, "block header")
    return BlockHeader(
        number=quantity(o.get("number"), "block number"),
        hash=hash32(o.get("hash"), "block hash"),
        parent_hash=_opt_hash(o.get("parentHash")),
        timestamp=quantity(o.get("timestamp", 0), "timestamp"),
        sealer=opt_quantity(o.get("sealer")),
        sealer_list=tuple(str(s) for s in o.get("sealerList") or ()),
        transactions_root=o.get("transactionsRoot"),
        receipts_root=o.get("receiptsRoot"),
        state_root=o.get("stateRoot"),
        signatures=tuple(o.get("signatureList") or ()),
        raw=dict(o),
    )


@shape_guard("sync_status_v2")
def sync_status_v2(value: Any) -> SyncStatus:
    o = obj(value, "sync status")
    peers = tuple(
        PeerSyncStatus(node_id=str(p.get("nodeId", "")), block_number=quantity(p.get("blockNumber", 0)),
                       genesis_hash=str(p.get("genesisHash", "")), latest_hash=str(p.get("latestHash", "")))
        for p in (obj(x, "sync peer") for x in o.get("peers") or ())
    )
    return SyncStatus(
        is_syncing=bool(o.get("isSyncing", False)),
        node_id=str(o.get("nodeId", "")),
        block_number=quantity(o.get("blockNumber", 0)),
        genesis_hash=str(o.get("genesisHash", "")),
        latest_hash=str(o.get("latestHash", "")),
        known_highest_number=quantity(o.get("knownHighestNumber", 0)),
        known_latest_hash=str(o.get("knownLatestHash", "")),
        peers=peers,
        tx_pool_size=opt_quantity(o.get("txPoolSize")),
        raw=dict(o),
    )


@shape_guard("consensus_status_v2")
def consensus_status_v2(value: Any) -> ConsensusStatus:
    """PBFT answers ``[status, [{nodeId, view}...]]``; other engines a status object."""
    status: Mapping[str, Any] = {}
    if isinstance(value, list):
        status = next((v for v in value if isinstance(v, Mapping)), {})
    elif isinstance(value, Mapping):
        status = value
    else:
        obj(value, "consensus status")
    sealers = sorted(((k, v) for k, v in status.items() if k.startswith("sealer.")),
                     key=lambda kv: int(kv[0].split(".", 1)[1]) if kv[0].split(".", 1)[1].isdigit() else 0)
    return ConsensusStatus(
        node_id=status.get("nodeId"),
        block_number=opt_quantity(status.get("consensusedBlockNumber", status.get("highestblockNumber"))),
        view=opt_quantity(status.get("currentView")),
        leader_index=None,
        index=opt_quantity(status.get("node_index")),
        consensus_nodes_num=opt_quantity(status.get("nodeNum")),
        max_faulty_quorum=opt_quantity(status.get("max_faulty_leader")),
        consensus_nodes=tuple(str(v) for _, v in sealers),
        raw=value,
    )


@shape_guard("total_count_v2")
def total_count_v2(value: Any) -> TotalTransactionCount:
    o = obj(value, "transaction count")
    return TotalTransactionCount(block_number=quantity(o.get("blockNumber")), transaction_count=quantity(o.get("txSum")),
                                 failed_transaction_count=quantity(o.get("failedTxSum", 0)))


@shape_guard("client_version_v2")
def client_version_v2(value: Any) -> ClientVersion:
    o = obj(value, "client version")
    return ClientVersion(
        version=str(o.get("FISCO-BCOS Version", "")),
        supported_version=str(o.get("Supported Version", "")),
        chain_id=quantity(o.get("Chain Id"), "Chain Id"),
        build_time=str(o.get("Build Time", "")),
        build_type=str(o.get("Build Type", "")),
        git_branch=str(o.get("Git Branch", "")),
        git_commit_hash=str(o.get("Git Commit Hash", "")),
        raw=dict(o),
    )


@shape_guard("node_info_v2")
def node_info_v2(value: Any) -> NodeInfoV2:
    o = obj(value, "node info")
    return NodeInfoV2(
        node_id=str(o.get("NodeID") or o.get("nodeId") or o.get("NodeId") or ""),
        ip_and_port=str(o.get("IPAndPort", "")),
        agency=str(o.get("Agency", "")),
        node=str(o.get("Node", "")),
        topics=tuple(str(t) for t in o.get("Topic") or ()),
        raw=dict(o),
    )
