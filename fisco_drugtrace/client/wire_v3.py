"""FISCO BCOS 3.x JSON shapes -> typed records (receipts, transactions, blocks, status objects)."""

from __future__ import annotations

from typing import Any, Mapping

from fisco_drugtrace.client._wire import (
    receipt_record,
    shape_guard,
    address,
    hash32,
    hex_bytes,
    json_object,
    obj,
    opt_address,
    opt_quantity,
    quantity,
    tx_hash,
)
from fisco_drugtrace.client.records import (
    Block,
    ConsensusStatus,
    GroupInfo,
    NodeInfo,
    PeerInfo,
    PeersInfo,
    PeerSyncStatus,
    SealerInfo,
    SyncStatus,
    TotalTransactionCount,
    TransactionRecord,
)
from fisco_drugtrace.types import Address, Dialect, Log, Receipt, TxHash

__all__ = [
    "receipt_v3",
    "log_v3",
    "logs_v3",
    "transaction_v3",
    "block_v3",
    "sealer_v3",
    "sync_status_v3",
    "consensus_status_v3",
    "total_count_v3",
    "node_info_v3",
    "group_info_v3",
    "peers_v3",
]


@shape_guard("receipt_v3")
def receipt_v3(value: Any) -> Receipt:
    """A 3.x receipt (``logEntries`` addresses come without ``0x``; ``gasUsed`` is decimal text)."""
    o = obj(value, "receipt")
    tx = tx_hash(o.get("transactionHash"))
    number = quantity(o.get("blockNumber"), "receipt blockNumber")
    status = quantity(o.get("status"), "receipt status")
    logs = tuple(
        Log(
            address=address(entry.get("address"), "log address"),
            topics=tuple(hex_bytes(t, "log topic") for t in entry.get("topics") or ()),
            data=hex_bytes(entry.get("data"), "log data"),
            block_number=number,
            transaction_hash=tx,
            log_index=index,
        )
        for index, entry in enumerate(obj(e, "log entry") for e in (o.get("logEntries") or ()))
    )
    return receipt_record(o, dialect=Dialect.V3, tx=tx, number=number, status=status, logs=logs,
                          message_key="message")


def _log_v3_fast(o: Mapping[str, Any], topic_bytes: dict[str, bytes] | None = None) -> Log:
    """The shape a node writes (0x-prefixed hex everywhere, hex quantities), parsed with few calls.

    Anything else raises, and :func:`log_v3` falls back to the checked parser, which accepts the
    node's variants and says precisely what is wrong. This runs once per log (10^4-10^5 times per
    sync), so the checks are inline: the three fixed-size fields are decoded in one call and
    their total size checked (``fromhex`` would skip blanks; the size catches them).

    :param topic_bytes: topics already decoded in this page (text -> 32 bytes): a page's logs
        repeat a few topics (event signatures, batch and org ids), each checked and decoded once.
    """
    addr, tx, block_hash, data = o["address"], o["transactionHash"], o["blockHash"], o["data"]
    number, log_index, tx_index = o["blockNumber"], o["logIndex"], o["transactionIndex"]
    if (addr[:2], tx[:2], block_hash[:2], data[:2], number[:2], log_index[:2], tx_index[:2]) != _PREFIXES \
            or len(addr) != 42 or len(tx) != 66 or len(block_hash) != 66 \
            or len(bytes.fromhex(addr[2:] + tx[2:] + block_hash[2:])) != 84:
        raise ValueError("not the plain log shape")
    seen = {} if topic_bytes is None else topic_bytes
    topics = []
    for text in o["topics"]:
        topic = seen.get(text)
        if topic is None:
            if text[:2] != "0x":
                raise ValueError("not the plain log shape")
            topic = bytes.fromhex(text[2:])
            if len(topic) != 32:
                raise ValueError("not the plain log shape")
            seen[text] = topic
        topics.append(topic)
    # the dataclass's own __init__ sets each field through object.__setattr__ (it is frozen):
    # filling the instance's __dict__ at once gives the same Log in half the time
    log = _new(Log)
    log.__dict__.update(address=addr.lower(), topics=tuple(topics), data=bytes.fromhex(data[2:]),
                        block_number=int(number, 16), transaction_hash=tx.lower(),
                        log_index=int(log_index, 16), transaction_index=int(tx_index, 16),
                        block_hash=block_hash.lower())
    return log


_PREFIXES = ("0x",) * 7
_new = object.__new__


def logs_v3(values: Any) -> list[Log]:
    """:func:`log_v3` over a page of logs, the plain shape parsed without the per-log wrappers
    (10^4-10^5 logs per sync); any other entry goes through :func:`log_v3` itself."""
    out: list[Log] = []
    append, fast = out.append, _log_v3_fast
    topic_bytes: dict[str, bytes] = {}
    for value in values:
        try:
            append(fast(value, topic_bytes))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            append(log_v3(value))
    return out


@shape_guard("log_v3")
def log_v3(value: Any) -> Log:
    """A log from ``getLogs`` / filters (Ethereum-style, hex quantities)."""
    o = obj(value, "log")
    try:
        return _log_v3_fast(o)
    except (KeyError, TypeError, ValueError, AttributeError):
        pass  # not the plain shape: the checked parser below accepts variants or says what is wrong
    return Log(
        address=address(o.get("address"), "log address"),
        topics=tuple(hex_bytes(t, "log topic") for t in o.get("topics") or ()),
        data=hex_bytes(o.get("data"), "log data"),
        block_number=opt_quantity(o.get("blockNumber")),
        transaction_hash=tx_hash(o["transactionHash"]) if o.get("transactionHash") else None,
        log_index=opt_quantity(o.get("logIndex")),
        transaction_index=opt_quantity(o.get("transactionIndex")),
        block_hash=hash32(o["blockHash"], "blockHash") if o.get("blockHash") else None,
    )


@shape_guard("transaction_v3")
def transaction_v3(value: Any) -> TransactionRecord:
    """A 3.x transaction object. ``nonce`` is kept as the node reports it."""
    o = obj(value, "transaction")
    return TransactionRecord(
        hash=hash32(o.get("hash"), "transaction hash"),
        from_address=opt_address(o.get("from"), "from"),
        to_address=opt_address(o.get("to"), "to"),
        input=hex_bytes(o.get("input"), "input"),
        nonce=str(o.get("nonce", "")),
        block_limit=quantity(o.get("blockLimit", 0), "blockLimit"),
        chain_id=o.get("chainID"),
        group_id=o.get("groupID"),
        signature=hex_bytes(o.get("signature"), "signature"),
        abi=str(o.get("abi") or ""),
        extra_data=str(o.get("extraData") or ""),
        version=opt_quantity(o.get("version")),
        import_time=opt_quantity(o.get("importTime")),
        raw=dict(o),
    )


@shape_guard("block_v3")
def block_v3(value: Any) -> Block:
    """A 3.x block; ``transactions`` holds records when the node sent full objects."""
    o = obj(value, "block")
    items = o.get("transactions") or ()
    full = tuple(transaction_v3(t) for t in items if isinstance(t, Mapping))
    hashes = tuple(t.hash for t in full) if full else tuple(hash32(t, "transaction hash") for t in items)
    parents = o.get("parentInfo") or ()
    parent_hash = hash32(parents[0].get("blockHash"), "parent hash") if parents else None
    return Block(
        number=quantity(o.get("number"), "block number"),
        hash=hash32(o.get("hash"), "block hash"),
        timestamp=quantity(o.get("timestamp", 0), "timestamp"),
        parent_hash=parent_hash,
        transaction_hashes=hashes,
        transactions=full,
        sealer=opt_quantity(o.get("sealer")),
        sealer_list=tuple(str(s) for s in o.get("sealerList") or ()),
        gas_used=opt_quantity(o.get("gasUsed")),
        transactions_root=o.get("txsRoot"),
        receipts_root=o.get("receiptsRoot"),
        state_root=o.get("stateRoot"),
        version=opt_quantity(o.get("version")),
        extra_data=o.get("extraData"),
        raw=dict(o),
    )


@shape_guard("sealer_v3")
def sealer_v3(value: Any) -> SealerInfo:
    if isinstance(value, str):
        return SealerInfo(node_id=value)
    o = obj(value, "sealer")
    return SealerInfo(node_id=str(o.get("nodeID", "")), weight=opt_quantity(o.get("weight")),
                      term_weight=opt_quantity(o.get("termWeight")))


@shape_guard("_peer_sync")
def _peer_sync(value: Any) -> PeerSyncStatus:
    o = obj(value, "sync peer")
    return PeerSyncStatus(node_id=str(o.get("nodeID") or o.get("nodeId") or ""),
                          block_number=quantity(o.get("blockNumber", 0)),
                          genesis_hash=str(o.get("genesisHash", "")), latest_hash=str(o.get("latestHash", "")))


@shape_guard("sync_status_v3")
def sync_status_v3(value: Any) -> SyncStatus:
    """``getSyncStatus`` answers a JSON string; parse it twice."""
    o = obj(json_object(value, "sync status"), "sync status")
    return SyncStatus(
        is_syncing=bool(o.get("isSyncing", False)),
        node_id=str(o.get("nodeID") or o.get("nodeId") or ""),
        block_number=quantity(o.get("blockNumber", 0)),
        genesis_hash=str(o.get("genesisHash", "")),
        latest_hash=str(o.get("latestHash", "")),
        known_highest_number=quantity(o.get("knownHighestNumber", 0)),
        known_latest_hash=str(o.get("knownLatestHash", "")),
        peers=tuple(_peer_sync(p) for p in o.get("peers") or ()),
        archived_block_number=opt_quantity(o.get("archivedBlockNumber")),
        raw=dict(o),
    )


@shape_guard("consensus_status_v3")
def consensus_status_v3(value: Any) -> ConsensusStatus:
    """``getConsensusStatus`` answers a JSON string; parse it twice."""
    o = obj(json_object(value, "consensus status"), "consensus status")
    nodes = tuple(str(n.get("nodeID", "")) if isinstance(n, Mapping) else str(n)
                  for n in o.get("consensusNodeList") or ())
    return ConsensusStatus(
        node_id=o.get("nodeID"),
        block_number=opt_quantity(o.get("blockNumber")),
        view=opt_quantity(o.get("view")),
        leader_index=opt_quantity(o.get("leaderIndex")),
        index=opt_quantity(o.get("index")),
        consensus_nodes_num=opt_quantity(o.get("consensusNodesNum")),
        max_faulty_quorum=opt_quantity(o.get("maxFaultyQuorum")),
        min_required_quorum=opt_quantity(o.get("minRequiredQuorum")),
        is_consensus_node=o.get("isConsensusNode"),
        timeout=o.get("timeout"),
        consensus_nodes=nodes,
        raw=dict(o),
    )


@shape_guard("total_count_v3")
def total_count_v3(value: Any) -> TotalTransactionCount:
    o = obj(value, "transaction count")
    return TotalTransactionCount(
        block_number=quantity(o.get("blockNumber")),
        transaction_count=quantity(o.get("transactionCount")),
        failed_transaction_count=quantity(o.get("failedTransactionCount", 0)),
    )


@shape_guard("node_info_v3")
def node_info_v3(value: Any) -> NodeInfo:
    """nodeInfo; ``iniConfig`` (a JSON string) carries the binary version and chain id."""
    o = obj(value, "node info")
    ini = json_object(o.get("iniConfig") or {}, "iniConfig")
    ini = ini if isinstance(ini, Mapping) else {}
    binary = ini.get("binaryInfo") if isinstance(ini.get("binaryInfo"), Mapping) else {}
    return NodeInfo(
        name=str(o.get("name", "")),
        node_id=str(o.get("nodeID", "")),
        type=opt_quantity(o.get("type")),
        micro_service=o.get("microService"),
        version=binary.get("version"),
        chain_id=ini.get("chainID"),
        group_id=ini.get("groupID"),
        ini_config=dict(ini),
        feature_keys=tuple(o.get("featureKeys") or ()),
        support_configs=tuple(o.get("supportConfigs") or ()),
        protocol=dict(o.get("protocol") or {}),
        raw=dict(o),
    )


@shape_guard("group_info_v3")
def group_info_v3(value: Any) -> GroupInfo:
    o = obj(value, "group info")
    genesis = json_object(o.get("genesisConfig") or {}, "genesisConfig")
    return GroupInfo(
        chain_id=str(o.get("chainID", "")),
        group_id=str(o.get("groupID", "")),
        genesis_config=genesis if isinstance(genesis, Mapping) else {},
        nodes=tuple(node_info_v3(n) for n in o.get("nodeList") or ()),
        ini_config=o.get("iniConfig"),
        raw=dict(o),
    )


@shape_guard("_groups")
def _groups(value: Any) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for item in value or ():
        entry = obj(item, "group node ids")
        out[str(entry.get("group", ""))] = tuple(str(n) for n in entry.get("nodeIDList") or ())
    return out


@shape_guard("peers_v3")
def peers_v3(value: Any) -> PeersInfo:
    o = obj(value, "peers")
    peers = tuple(
        PeerInfo(node_id=str(p.get("p2pNodeID", "")), end_point=str(p.get("endPoint", "")),
                 groups=_groups(p.get("groupNodeIDInfo")))
        for p in (obj(x, "peer") for x in o.get("peers") or ())
    )
    return PeersInfo(node_id=str(o.get("p2pNodeID", "")), end_point=str(o.get("endPoint", "")),
                     groups=_groups(o.get("groupNodeIDInfo")), peers=peers, raw=dict(o))
