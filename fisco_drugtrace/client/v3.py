"""FISCO BCOS 3.x client: every JSON-RPC method of the node as a typed snake_case method.

Almost every method takes ``[group, node, ...]``; ``node`` is the node name (``""`` = any node
of the group). ``sendTransaction`` answers with the receipt once the transaction is committed,
so :meth:`ClientV3.send_transaction` does not poll.
"""

from __future__ import annotations

from typing import Any, Sequence

from fisco_drugtrace.accounts import Signer
from fisco_drugtrace.client._wire import (
    items,
    hash32,
    hex_bytes,
    log_filter,
    obj,
    quantity,
    to_quantity,
)
from fisco_drugtrace.client.base import BLOCK_LIMIT_OFFSET, FiscoClient
from fisco_drugtrace.client.logscan import DEFAULT_LOG_PAGE_BLOCKS, LOG_METHODS_SINCE, parse_node_version, scan_logs
from fisco_drugtrace.client.logscan import paged_get_logs
from fisco_drugtrace.client.records import (
    Block,
    ConsensusStatus,
    GroupInfo,
    GroupList,
    NodeInfo,
    NodeOverview,
    PeersInfo,
    SealerInfo,
    SignedTx,
    SyncStatus,
    SystemConfig,
    TotalTransactionCount,
    TransactionRecord,
)
from fisco_drugtrace.client.wire_v3 import (
    block_v3,
    consensus_status_v3,
    group_info_v3,
    log_v3,
    logs_v3,
    node_info_v3,
    peers_v3,
    receipt_v3,
    sealer_v3,
    sync_status_v3,
    total_count_v3,
    transaction_v3,
)
from fisco_drugtrace.encoding import tx_v3
from fisco_drugtrace.errors import LedgerError, MethodNotFound
from fisco_drugtrace.rpc.jsonrpc import JsonRpc
from fisco_drugtrace.types import CallResult, Dialect, Log, Receipt, TxHash

__all__ = ["ClientV3", "NODE_TYPES", "RECEIPT_NOT_FOUND_CODE"]

#: ``getNodeListByType`` types.
NODE_TYPES = ("consensus_sealer", "consensus_observer", "consensus_candidate_sealer")
#: The ledger's "GetStorageError" the node answers for an unknown receipt hash.
RECEIPT_NOT_FOUND_CODE = 3008


def _addr_param(address: str) -> str:
    text = address[2:] if address[:2].lower() == "0x" else address
    return "0x" + text.lower()


def _topic_param(spec: Any) -> Any:
    if spec is None:
        return None
    if isinstance(spec, (list, tuple)):
        return [_topic_param(s) for s in spec]
    if isinstance(spec, (bytes, bytearray)):
        return "0x" + bytes(spec).hex()
    return "0x" + hex_bytes(spec, "topic").hex()


class ClientV3(FiscoClient):
    """A FISCO BCOS 3.x node.

    :param rpc: JSON-RPC over a transport, built with :func:`~fisco_drugtrace.client.error_maps.map_error_v3`.
    :param group: the group id, e.g. ``"group0"``.
    :param node: the node name sent as the second parameter (``""`` = any).
    :param chain_id: configured chain id, or ``None`` to read it from ``getGroupInfo``.
    """

    dialect = Dialect.V3

    def __init__(self, rpc: JsonRpc, *, group: str = "group0", node: str = "", chain_id: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rpc, group=group, chain_id=chain_id, **kwargs)
        self.node = node

    def _gn(self, *rest: Any) -> list[Any]:
        return [self.group, self.node, *rest]

    def _read(self, method: str, params: Sequence[Any]) -> Any:
        return self.rpc.request(method, params)

    # -- FiscoClient ------------------------------------------------------------------------
    def _read_chain_id(self) -> str:
        info = self.get_group_info()
        if info.chain_id:
            return info.chain_id
        for node in info.nodes:
            if node.chain_id:
                return node.chain_id
        return str(self.get_group_node_info().chain_id or "")

    def _read_crypto_suite(self) -> str | None:
        # 3.x reports it per node in getGroupInfo: iniConfig "smCryptoType" (java-sdk
        # client/protocol/model/GroupNodeIniInfo.java reads the same field), else genesis "smCrypto"
        info = self.get_group_info()
        for node in info.nodes:
            flag = (node.ini_config or {}).get("smCryptoType")
            if isinstance(flag, bool):
                return "sm2_sm3" if flag else "ecdsa_secp256k1"
        flag = (info.genesis_config or {}).get("smCrypto")
        if isinstance(flag, bool):
            return "sm2_sm3" if flag else "ecdsa_secp256k1"
        return None

    def block_number(self) -> int:
        return self.get_block_number()

    def call(self, to: str, data: bytes, *, sender: str | None = None) -> CallResult:
        """``call [group, node, to, data]``. 3.x plain calls have no sender; ``sender`` is ignored."""
        o = obj(self._read("call", self._gn(_addr_param(to), "0x" + bytes(data).hex())), "call result")
        return CallResult(status=quantity(o.get("status", 0), "call status"),
                          output=hex_bytes(o.get("output"), "call output"),
                          block_number=quantity(o.get("blockNumber", 0), "call blockNumber"))

    def call_signed(self, signer: Signer, to: str, data: bytes) -> CallResult:
        """``call [group, node, to, data, sign]`` (FISCO BCOS 3.4+): the node recovers the caller
        from ``sign`` over hash(``to`` as lower-case hex text without ``0x`` ‖ ``data``) with the
        chain's suite, and runs the call as that ``msg.sender`` (bcos-rpc/bcos-rpc/validator/
        CallValidator.cpp). Older nodes ignore the extra parameter (the call runs as address zero)."""
        target = _addr_param(to)
        digest = signer.suite.hash(target[2:].encode("ascii") + bytes(data))
        sign = "0x" + bytes(signer.sign_digest(digest)).hex()
        o = obj(self._read("call", self._gn(target, "0x" + bytes(data).hex(), sign)), "call result")
        return CallResult(status=quantity(o.get("status", 0), "call status"),
                          output=hex_bytes(o.get("output"), "call output"),
                          block_number=quantity(o.get("blockNumber", 0), "call blockNumber"))

    def get_receipt(self, tx_hash: str) -> Receipt | None:
        return self.get_transaction_receipt(tx_hash)

    def get_block_hash(self, number: int) -> str:
        return self.get_block_hash_by_number(number)

    # -- log reading on every 3.x version (client/logscan.py) ---------------------------
    #: blocks per ``getLogs`` call: the node's ``filter_max_process_block`` (it truncates beyond)
    log_page_blocks: int = DEFAULT_LOG_PAGE_BLOCKS

    def node_version(self) -> tuple[int, int, int] | None:
        """The node's binary version from ``getGroupNodeInfo`` (e.g. ``(3, 7, 3)``), cached."""
        if not hasattr(self, "_node_version"):
            self._node_version = parse_node_version(self.get_group_node_info().version)
        return self._node_version

    def uses_sm_crypto(self) -> bool:
        """Whether the chain runs ``sm_crypto`` (SM2 signatures, SM3 hashes — also the EVM's
        KECCAK256), as the node reports it in ``getGroupNodeInfo``'s ``iniConfig.smCryptoType``
        (FISCO-BCOS libinitializer/PBFTInitializer.cpp). Cached."""
        if not hasattr(self, "_sm_crypto"):
            flag = self.get_group_node_info().ini_config.get("smCryptoType", False)
            self._sm_crypto = flag is True or str(flag).lower() == "true"
        return self._sm_crypto

    def has_log_methods(self) -> bool:
        """Whether the node serves ``getLogs`` and filters (FISCO BCOS 3.9.0+), learnt once."""
        if getattr(self, "_log_methods", None) is None:
            version = self.node_version()
            self._log_methods = version is None or version >= LOG_METHODS_SINCE
        return bool(self._log_methods)

    def get_logs(self, from_block: int, to_block: int, addresses: Sequence[str] | None = None,
                 topics: Sequence[Any] | None = None) -> list[Log]:
        """Logs of the inclusive range: ``getLogs`` in pages the node does not truncate where the
        node has it (3.9.0+), else read from blocks and receipts (same logs, same fields)."""
        if self.has_log_methods():
            try:
                return paged_get_logs(lambda a, b: self.get_logs_page(a, b, addresses, topics), from_block,
                                      to_block, self.log_page_blocks)
            except MethodNotFound:
                self._log_methods = False  # a node older than its version said, or a proxy without it
        return self.scan_logs(from_block, to_block, addresses, topics)

    def get_logs_page(self, from_block: int, to_block: int, addresses: Sequence[str] | None = None,
                      topics: Sequence[Any] | None = None) -> list[Log]:
        """One ``getLogs [group, {fromBlock, toBlock, address, topics}]`` call, as the node answers
        it (at most ``filter_max_process_block`` blocks of the range)."""
        result = self._read("getLogs", [self.group, self._filter_params(from_block, to_block, addresses, topics)])
        matches = log_filter(addresses, topics)
        return [log for log in logs_v3(items(result, "logs")) if matches(log)]

    def scan_logs(self, from_block: int, to_block: int, addresses: Sequence[str] | None = None,
                  topics: Sequence[Any] | None = None) -> list[Log]:
        """The logs of a range from ``getBlockByNumber`` and ``getTransactionReceipt`` (any 3.x node)."""
        def block(number: int) -> tuple[str, Sequence[str]]:
            found = self.get_block_by_number(number, only_header=False, only_tx_hash=True)
            return found.hash, found.transaction_hashes

        return scan_logs(block, self.get_transaction_receipt, from_block, to_block, addresses, topics)

    def sign_transaction(self, signer: Signer, to: str | None, data: bytes, abi: str = "") -> SignedTx:
        ident = self.identity()
        tx_data = tx_v3.new_transaction_data(
            chain_id=str(ident.chain_id), group_id=str(ident.group_id), block_number=self.block_number(),
            to=_addr_param(to) if to else "", input=bytes(data), abi=abi, block_limit_offset=BLOCK_LIMIT_OFFSET,
        )
        signed = tx_v3.sign_transaction(tx_data, signer)
        return SignedTx(raw=tx_v3.encode_transaction(signed), tx_hash="0x" + signed.data_hash.hex())

    def _submit(self, raw: bytes, tx_hash: str, timeout: float | None) -> Receipt | None:
        return self.submit_transaction(raw, timeout=timeout)

    def send_raw(self, raw: bytes) -> TxHash:
        return self.submit_transaction(raw).transaction_hash

    def node_overview(self) -> NodeOverview:
        sync = self.get_sync_status()
        node = self.get_group_node_info()
        return NodeOverview(
            dialect=self.dialect, url=getattr(self.rpc.transport, "url", None), group=self.group,
            chain_id=self.identity().chain_id, block_number=self.get_block_number(),
            node_id=node.node_id or sync.node_id or None,
            sealers=tuple(s.node_id for s in self.get_sealer_list()), is_syncing=sync.is_syncing,
            known_highest_number=sync.known_highest_number, version=node.version,
        )

    # -- every 3.x RPC ----------------------------------------------------------------------
    def submit_transaction(self, raw: bytes, *, require_proof: bool = False,
                           timeout: float | None = None) -> Receipt:
        """``sendTransaction [group, node, txHex, requireProof]``: the receipt after commit.

        Not retried here (the caller decides; re-sending the same bytes is safe)."""
        result = self.rpc.request("sendTransaction", self._gn("0x" + bytes(raw).hex(), require_proof),
                                  idempotent=False, timeout=timeout)
        return receipt_v3(result)

    def get_transaction(self, tx_hash: str, require_proof: bool = False) -> TransactionRecord | None:
        """``getTransaction``; ``None`` when the node does not know the hash."""
        try:
            result = self._read("getTransaction", self._gn(hash32(tx_hash), require_proof))
        except LedgerError as exc:
            if exc.code == RECEIPT_NOT_FOUND_CODE:
                return None
            raise
        return None if result is None else transaction_v3(result)

    def get_transaction_receipt(self, tx_hash: str, require_proof: bool = False) -> Receipt | None:
        """``getTransactionReceipt``; ``None`` while not committed (the node says 3008 or null)."""
        try:
            result = self._read("getTransactionReceipt", self._gn(hash32(tx_hash), require_proof))
        except LedgerError as exc:
            if exc.code == RECEIPT_NOT_FOUND_CODE:
                return None
            raise
        return None if result is None else receipt_v3(result)

    def get_block_by_hash(self, block_hash: str, only_header: bool = False, only_tx_hash: bool = True) -> Block:
        return block_v3(self._read("getBlockByHash", self._gn(hash32(block_hash), only_header, only_tx_hash)))

    def get_block_by_number(self, number: int, only_header: bool = False, only_tx_hash: bool = True) -> Block:
        return block_v3(self._read("getBlockByNumber", self._gn(int(number), only_header, only_tx_hash)))

    def get_block_hash_by_number(self, number: int) -> str:
        return hash32(self._read("getBlockHashByNumber", self._gn(int(number))), "block hash")

    def get_block_number(self) -> int:
        return quantity(self._read("getBlockNumber", self._gn()), "block number")

    def get_code(self, address: str) -> bytes:
        return hex_bytes(self._read("getCode", self._gn(_addr_param(address))), "code")

    def get_abi(self, address: str) -> str:
        """The ABI JSON stored with the deploy transaction ("" when none)."""
        return str(self._read("getABI", self._gn(_addr_param(address))) or "")

    def get_sealer_list(self) -> tuple[SealerInfo, ...]:
        return tuple(sealer_v3(s) for s in items(self._read("getSealerList", self._gn())))

    def get_observer_list(self) -> tuple[str, ...]:
        return tuple(str(s) for s in items(self._read("getObserverList", self._gn())))

    def get_node_list_by_type(self, node_type: str) -> tuple[SealerInfo, ...]:
        """``node_type`` is one of :data:`NODE_TYPES`."""
        return tuple(sealer_v3(s) for s in items(self._read("getNodeListByType", self._gn(node_type))))

    def get_pbft_view(self) -> int:
        return quantity(self._read("getPbftView", self._gn()), "pbft view")

    def get_pending_tx_size(self) -> int:
        return quantity(self._read("getPendingTxSize", self._gn()), "pending tx size")

    def get_sync_status(self) -> SyncStatus:
        return sync_status_v3(self._read("getSyncStatus", self._gn()))

    def get_consensus_status(self) -> ConsensusStatus:
        return consensus_status_v3(self._read("getConsensusStatus", self._gn()))

    def get_system_config_by_key(self, key: str) -> SystemConfig:
        o = obj(self._read("getSystemConfigByKey", self._gn(key)), "system config")
        return SystemConfig(key=key, value=str(o.get("value", "")), block_number=quantity(o.get("blockNumber", 0)))

    def get_total_transaction_count(self) -> TotalTransactionCount:
        return total_count_v3(self._read("getTotalTransactionCount", self._gn()))

    def get_peers(self) -> PeersInfo:
        return peers_v3(self._read("getPeers", []))

    def get_group_peers(self) -> tuple[str, ...]:
        return tuple(str(p) for p in items(self._read("getGroupPeers", [self.group])))

    def get_group_list(self) -> GroupList:
        o = obj(self._read("getGroupList", []), "group list")
        return GroupList(groups=tuple(str(g) for g in items(o.get("groupList"))), code=quantity(o.get("code", 0)),
                         message=str(o.get("msg", "")))

    def get_group_info(self, group: str | None = None) -> GroupInfo:
        return group_info_v3(self._read("getGroupInfo", [group or self.group]))

    def get_group_info_list(self) -> tuple[GroupInfo, ...]:
        return tuple(group_info_v3(g) for g in items(self._read("getGroupInfoList", [])))

    def get_group_node_info(self, node: str | None = None) -> NodeInfo:
        return node_info_v3(self._read("getGroupNodeInfo", [self.group, self.node if node is None else node]))

    # filters (3.9.0+): ids are hex quantities on the wire, ints here
    def _filter_params(self, from_block: int | str, to_block: int | str, addresses: Sequence[str] | None,
                       topics: Sequence[Any] | None) -> dict[str, Any]:
        def block(tag: int | str) -> str:
            return tag if isinstance(tag, str) else to_quantity(tag)

        return {"fromBlock": block(from_block), "toBlock": block(to_block),
                "address": [_addr_param(a) for a in addresses or ()],
                "topics": [_topic_param(t) for t in topics or ()]}

    def new_block_filter(self) -> int:
        return quantity(self._read("newBlockFilter", [self.group]), "filter id")

    def new_pending_transaction_filter(self) -> int:
        return quantity(self._read("newPendingTransactionFilter", [self.group]), "filter id")

    def new_filter(self, from_block: int | str = "latest", to_block: int | str = "latest",
                   addresses: Sequence[str] | None = None, topics: Sequence[Any] | None = None) -> int:
        params = self._filter_params(from_block, to_block, addresses, topics)
        return quantity(self._read("newFilter", [self.group, params]), "filter id")

    def uninstall_filter(self, filter_id: int) -> bool:
        return bool(self._read("uninstallFilter", [self.group, to_quantity(filter_id)]))

    def get_filter_changes(self, filter_id: int) -> tuple[Log | str, ...]:
        """New logs (log filters) or new block / transaction hashes (block / pending filters)."""
        changes = items(self._read("getFilterChanges", [self.group, to_quantity(filter_id)]))
        return tuple(log_v3(i) if isinstance(i, dict) else hash32(i) for i in changes)

    def get_filter_logs(self, filter_id: int) -> tuple[Log, ...]:
        return tuple(log_v3(i) for i in items(self._read("getFilterLogs", [self.group, to_quantity(filter_id)])))


