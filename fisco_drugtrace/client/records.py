"""Typed, frozen records for what the node RPCs return (beyond the shared ``types`` records).

Each record keeps the node's object in ``raw`` (excluded from equality and ``repr``) so a caller
can reach a field this SDK does not model. Quantities are ``int``; hashes and addresses are
``0x`` + lower-case hex; byte strings are ``bytes``. Fields a dialect does not have are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from fisco_drugtrace.types import Dialect, Receipt

__all__ = [
    "SignedTx",
    "TransactionRecord",
    "Block",
    "BlockHeader",
    "SealerInfo",
    "PeerSyncStatus",
    "SyncStatus",
    "ConsensusStatus",
    "SystemConfig",
    "TotalTransactionCount",
    "NodeInfo",
    "GroupInfo",
    "PeerInfo",
    "PeersInfo",
    "GroupList",
    "ClientVersion",
    "NodeInfoV2",
    "TransactionWithProof",
    "ReceiptWithProof",
    "BatchReceipts",
    "GroupOperationResult",
    "NodeOverview",
]

def _raw() -> Any:
    return field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction ready to send: the wire bytes and the hash the node will report."""

    raw: bytes
    tx_hash: str


@dataclass(frozen=True)
class TransactionRecord:
    """A transaction as the node returns it (``getTransaction`` / ``getTransactionByHash``)."""

    hash: str
    from_address: str | None
    to_address: str | None
    input: bytes
    nonce: str
    block_limit: int
    chain_id: str | int | None
    group_id: str | int | None
    signature: bytes
    abi: str = ""
    extra_data: str = ""
    version: int | None = None
    import_time: int | None = None
    block_number: int | None = None
    block_hash: str | None = None
    transaction_index: int | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class Block:
    """A block. ``transaction_hashes`` is always filled; ``transactions`` only when full objects
    were requested. ``timestamp`` is in milliseconds (both dialects)."""

    number: int
    hash: str
    timestamp: int
    parent_hash: str | None
    transaction_hashes: tuple[str, ...]
    transactions: tuple[TransactionRecord, ...] = ()
    sealer: int | None = None
    sealer_list: tuple[str, ...] = ()
    gas_used: int | None = None
    transactions_root: str | None = None
    receipts_root: str | None = None
    state_root: str | None = None
    version: int | None = None
    extra_data: Any = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class BlockHeader:
    """2.x ``getBlockHeaderByNumber/ByHash``: a block without transactions."""

    number: int
    hash: str
    parent_hash: str | None
    timestamp: int
    sealer: int | None
    sealer_list: tuple[str, ...]
    transactions_root: str | None
    receipts_root: str | None
    state_root: str | None
    signatures: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class SealerInfo:
    """A consensus node: its id (128 hex, no 0x) and 3.x weights."""

    node_id: str
    weight: int | None = None
    term_weight: int | None = None


@dataclass(frozen=True)
class PeerSyncStatus:
    node_id: str
    block_number: int
    genesis_hash: str
    latest_hash: str


@dataclass(frozen=True)
class SyncStatus:
    """``getSyncStatus`` (3.x returns it as a JSON string; parsed here)."""

    is_syncing: bool
    node_id: str
    block_number: int
    genesis_hash: str
    latest_hash: str
    known_highest_number: int
    known_latest_hash: str
    peers: tuple[PeerSyncStatus, ...] = ()
    archived_block_number: int | None = None
    tx_pool_size: int | None = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class ConsensusStatus:
    """``getConsensusStatus`` (3.x: a JSON string object; 2.x: ``[status, views]``)."""

    node_id: str | None
    block_number: int | None
    view: int | None
    leader_index: int | None = None
    index: int | None = None
    consensus_nodes_num: int | None = None
    max_faulty_quorum: int | None = None
    min_required_quorum: int | None = None
    is_consensus_node: bool | None = None
    timeout: bool | None = None
    consensus_nodes: tuple[str, ...] = ()
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SystemConfig:
    """A system config value (3.x also says from which block it applies)."""

    key: str
    value: str
    block_number: int | None = None


@dataclass(frozen=True)
class TotalTransactionCount:
    block_number: int
    transaction_count: int
    failed_transaction_count: int


@dataclass(frozen=True)
class NodeInfo:
    """3.x nodeInfo (``getGroupNodeInfo``, ``getGroupInfo().nodes``); ``ini_config`` parsed."""

    name: str
    node_id: str
    type: int | None
    micro_service: bool | None
    version: str | None
    chain_id: str | None
    group_id: str | None
    ini_config: Mapping[str, Any] = _raw()
    feature_keys: tuple[str, ...] = ()
    support_configs: tuple[str, ...] = ()
    protocol: Mapping[str, Any] = _raw()
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class GroupInfo:
    """3.x ``getGroupInfo``: ``genesis_config`` parsed from its JSON string."""

    chain_id: str
    group_id: str
    genesis_config: Mapping[str, Any]
    nodes: tuple[NodeInfo, ...]
    ini_config: Any = None
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class PeerInfo:
    node_id: str
    end_point: str
    groups: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class PeersInfo:
    """3.x ``getPeers``: this node and its connected peers."""

    node_id: str
    end_point: str
    groups: Mapping[str, tuple[str, ...]]
    peers: tuple[PeerInfo, ...]
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class GroupList:
    """``getGroupList``: 3.x strings with a status code; 2.x integers."""

    groups: tuple[str | int, ...]
    code: int = 0
    message: str = ""


@dataclass(frozen=True)
class ClientVersion:
    """2.x ``getClientVersion``."""

    version: str
    supported_version: str
    chain_id: int
    build_time: str = ""
    build_type: str = ""
    git_branch: str = ""
    git_commit_hash: str = ""
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class NodeInfoV2:
    """2.x ``getNodeInfo`` and the entries of ``getPeers``."""

    node_id: str
    ip_and_port: str
    agency: str = ""
    node: str = ""
    topics: tuple[str, ...] = ()
    raw: Mapping[str, Any] = _raw()


@dataclass(frozen=True)
class TransactionWithProof:
    transaction: TransactionRecord
    proof: tuple[Any, ...]


@dataclass(frozen=True)
class ReceiptWithProof:
    receipt: Receipt
    proof: tuple[Any, ...]


@dataclass(frozen=True)
class BatchReceipts:
    """2.x ``getBatchReceiptsBy...AndRange``."""

    block_number: int
    block_hash: str
    receipts_root: str
    receipts_count: int
    receipts: tuple[Receipt, ...]


@dataclass(frozen=True)
class GroupOperationResult:
    """2.x group management answers: ``code`` (0 = success), ``message`` and maybe ``status``."""

    code: int
    message: str
    status: str | None = None

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True)
class NodeOverview:
    """What ``fisco-drugtrace node info`` shows: one summary over a few RPCs."""

    dialect: Dialect
    url: str | None
    group: str | int
    chain_id: str | int
    block_number: int
    node_id: str | None
    sealers: tuple[str, ...]
    is_syncing: bool | None
    known_highest_number: int | None
    version: str | None
