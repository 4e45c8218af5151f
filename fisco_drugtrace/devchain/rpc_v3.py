"""The FISCO BCOS 3.x JSON-RPC methods (all 32 of ``JsonRpcImpl_2_0``) over a :class:`Chain`.

Every handler takes the positional ``params`` list and returns the ``result`` value with the
node's shapes (ints where the node gives ints, ``getSyncStatus``/``getConsensusStatus`` as JSON
*strings*, receipts with ``logEntries`` whose addresses have no ``0x``). Errors are raised as
:class:`RpcError` subclasses carrying the node's code and message.
"""

from __future__ import annotations

import json
from binascii import Error as BinasciiError
from binascii import unhexlify
from typing import Any, Callable

from eth_utils import to_checksum_address

from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.errors import HexError, InvalidParams, LedgerError, NodeNotFound, SignatureError

from .chain import Chain
from .config import DevChainConfig
from .logfilter import Filter, FilterRegistry, LogQuery, parse_block_ref
from .precompiles.base import receipt_message
from .records import ChainBlock, ChainLog, ChainReceipt, ChainTx

__all__ = ["V3Methods", "NODE_NAME", "COMPATIBILITY_VERSION", "SEND_TIMEOUT"]

NODE_NAME = "node0"
#: ``compatibility_version`` 3.7.0 as the node encodes it in block ``version`` (0x03070000).
COMPATIBILITY_VERSION = (3 << 24) | (7 << 16)
COMPATIBILITY_TEXT = "3.7.0"
#: How long ``sendTransaction`` waits for its block before answering TransactionPoolTimeout.
SEND_TIMEOUT = 60.0

Handler = Callable[[list], Any]

#: the log and filter methods a node has from FISCO BCOS 3.9.0 (absent in ``compat="3.7"``)
_FILTER_METHODS = ("newBlockFilter", "newPendingTransactionFilter", "newFilter", "getLogs", "uninstallFilter",
                   "getFilterChanges", "getFilterLogs")


def _not_found(what: str) -> LedgerError:
    return LedgerError(3008, f"GetStorageError: {what} not found")


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


class _Params:
    """Positional params with the node's leniency: missing trailing params read as empty/false."""

    def __init__(self, params: list) -> None:
        self.p = params

    def get(self, index: int, default: Any = None) -> Any:
        return self.p[index] if index < len(self.p) else default

    def string(self, index: int, default: str = "") -> str:
        value = self.get(index, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise InvalidParams(-32602, f"Invalid params: param {index} must be a string")
        return value

    def boolean(self, index: int, default: bool) -> bool:
        value = self.get(index, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise InvalidParams(-32602, f"Invalid params: param {index} must be a boolean")
        return value

    def number(self, index: int) -> int:
        value = self.get(index)
        if isinstance(value, bool) or value is None:
            raise InvalidParams(-32602, f"Invalid params: param {index} must be a block number")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value, 16) if value[:2] in ("0x", "0X") else int(value, 10)
            except ValueError:
                pass
        raise InvalidParams(-32602, f"Invalid params: param {index} must be a block number")

    def hash32(self, index: int) -> bytes:
        try:
            raw = to_bytes(self.string(index), what="hash")
        except HexError as exc:
            raise InvalidParams(-32602, f"Invalid params: {exc}") from exc
        if len(raw) != 32:
            raise InvalidParams(-32602, f"Invalid params: param {index} must be a 32-byte hash")
        return raw

    def data(self, index: int) -> bytes:
        try:
            return to_bytes(self.string(index), what="data")
        except HexError as exc:
            raise InvalidParams(-32602, f"Invalid params: {exc}") from exc

    def address(self, index: int) -> str:
        raw = self.data(index)
        if len(raw) != 20:
            raise InvalidParams(-32602, f"Invalid params: param {index} must be a 20-byte address")
        return "0x" + raw.hex()


class V3Methods:
    """Method name -> handler for a 3.x node with one group and one node."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.config: DevChainConfig = chain.config
        self.filters = FilterRegistry(timeout_s=self.config.filter_timeout_s, max_filters=self.config.max_filters)
        #: the node names ``_group`` accepts
        self._nodes = frozenset(("", NODE_NAME, self.config.node_id))
        self.table: dict[str, Handler] = {
            "call": self.call,
            "sendTransaction": self.send_transaction,
            "getTransaction": self.get_transaction,
            "getTransactionReceipt": self.get_transaction_receipt,
            "getBlockByHash": self.get_block_by_hash,
            "getBlockByNumber": self.get_block_by_number,
            "getBlockHashByNumber": self.get_block_hash_by_number,
            "getBlockNumber": self.get_block_number,
            "getCode": self.get_code,
            "getABI": self.get_abi,
            "getSealerList": self.get_sealer_list,
            "getObserverList": self.get_observer_list,
            "getNodeListByType": self.get_node_list_by_type,
            "getPbftView": self.get_pbft_view,
            "getPendingTxSize": self.get_pending_tx_size,
            "getSyncStatus": self.get_sync_status,
            "getConsensusStatus": self.get_consensus_status,
            "getSystemConfigByKey": self.get_system_config_by_key,
            "getTotalTransactionCount": self.get_total_transaction_count,
            "getPeers": self.get_peers,
            "getGroupPeers": self.get_group_peers,
            "getGroupList": self.get_group_list,
            "getGroupInfo": self.get_group_info,
            "getGroupInfoList": self.get_group_info_list,
            "getGroupNodeInfo": self.get_group_node_info,
            "newBlockFilter": self.new_block_filter,
            "newPendingTransactionFilter": self.new_pending_transaction_filter,
            "newFilter": self.new_filter,
            "getLogs": self.get_logs,
            "uninstallFilter": self.uninstall_filter,
            "getFilterChanges": self.get_filter_changes,
            "getFilterLogs": self.get_filter_logs,
        }
        if not self.config.serves_filters:  # a 3.0-3.8 node: these answer MethodNotFound
            for name in _FILTER_METHODS:
                del self.table[name]

    # ------------------------------------------------------------------ group / node checks
    def _group(self, p: _Params, *, with_node: bool = True) -> None:
        group = p.string(0)
        node = p.string(1) if with_node else ""
        if group != self.config.group_id or node not in ("", NODE_NAME, self.config.node_id):
            raise NodeNotFound(
                -32000,
                "Invalid request for the specified node of doesn't exist or doesn't started! "
                f"chain: {self.config.chain_id}, group: {group}, node: {node}",
            )

    # ------------------------------------------------------------------ shapes
    def tx_json(self, tx: ChainTx) -> dict[str, Any]:
        decoded = self.chain.codec.redecode(tx)
        data = decoded.data
        out: dict[str, Any] = {
            "version": data.version,
            "hash": _hex(tx.hash),
            "nonce": data.nonce.encode().hex(),
            "blockLimit": data.block_limit,
            "to": data.to,
            "from": tx.sender,
            "input": _hex(data.input),
            "importTime": tx.import_time,
            "chainID": data.chain_id,
            "groupID": data.group_id,
            "abi": data.abi,
            "signature": _hex(decoded.signature),
            "extraData": decoded.extra_data,
        }
        if data.version >= 1:
            out.update(value=data.value, gasPrice=data.gas_price, gasLimit=data.gas_limit,
                       maxFeePerGas=data.max_fee_per_gas, maxPriorityFeePerGas=data.max_priority_fee_per_gas)
        if data.version >= 2:
            out["extension"] = list(data.extension)
        return out

    def receipt_json(self, receipt: ChainReceipt, tx: ChainTx | None) -> dict[str, Any]:
        # built on every sendTransaction answer: one dict literal, hex inlined, no update(**kwargs)
        contract = receipt.contract_address
        out: dict[str, Any] = {
            "version": 0, "contractAddress": contract,
            "checksumContractAddress": to_checksum_address(contract) if contract else "",
            "gasUsed": str(receipt.gas_used), "status": receipt.status, "blockNumber": receipt.block_number,
            "output": "0x" + receipt.output.hex(), "message": receipt_message(receipt.status, receipt.output)
            if receipt.status else "",
            "transactionHash": "0x" + receipt.tx_hash.hex(), "hash": "0x" + receipt.hash.hex(),
            "logEntries": [{"address": log.address[2:], "topics": ["0x" + t.hex() for t in log.topics],
                            "data": "0x" + log.data.hex()} for log in receipt.logs],
        }
        if tx is not None:
            decoded = tx.decoded if tx.decoded is not None else self.chain.codec.redecode(tx)
            out["input"] = "0x" + tx.input.hex()
            out["from"] = tx.sender
            out["to"] = decoded.data.to
            out["extraData"] = decoded.extra_data
        return out

    def block_json(self, block: ChainBlock, only_header: bool, only_tx_hash: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "hash": _hex(block.hash),
            "version": COMPATIBILITY_VERSION,
            "txsRoot": _hex(block.txs_root),
            "receiptsRoot": _hex(block.receipts_root),
            "stateRoot": _hex(block.state_root),
            "number": block.number,
            "gasUsed": str(block.gas_used),
            "timestamp": block.timestamp,
            "sealer": 0,
            "extraData": "0x",
            "consensusWeights": [1],
            "sealerList": ["0x" + self.config.node_id],
            "parentInfo": [] if block.number == 0 else [{"blockNumber": block.number - 1,
                                                          "blockHash": _hex(block.parent_hash)}],
            "signatureList": [] if block.number == 0 else [{"sealerIndex": 0, "signature": _hex(block.hash)}],
        }
        if not only_header:
            if only_tx_hash:
                out["transactions"] = [_hex(h) for h in block.tx_hashes]
            else:
                out["transactions"] = [self.tx_json(t) for t in self.chain.store.txs_in_block(block.number)]
        return out

    def log_json(self, block_number: int, log_index: int, tx_index: int, tx_hash: bytes, log: ChainLog,
                 block_hash: bytes) -> dict[str, Any]:
        return {
            "address": log.address,
            "topics": [_hex(t) for t in log.topics],
            "data": _hex(log.data),
            "logIndex": hex(log_index),
            "blockNumber": hex(block_number),
            "blockHash": _hex(block_hash),
            "transactionIndex": hex(tx_index),
            "transactionHash": _hex(tx_hash),
            "removed": False,
        }

    # ------------------------------------------------------------------ transactions
    def call(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        to = p.address(2)
        data = p.data(3)
        sender = "0x" + "00" * 20
        sign = p.string(4)
        if sign:
            suite = self.chain.suite
            digest = suite.hash(to[2:].encode() + data)
            try:
                sender = suite.public_to_address(suite.recover(digest, p.data(4)))
            except SignatureError as exc:
                raise InvalidParams(-32602, f"Invalid params: bad call signature: {exc}") from exc
        head = self.chain.head.number
        out = self.chain.call(sender, to, data)
        return {"blockNumber": head, "status": out.status, "output": _hex(out.output)}

    def send_transaction(self, params: list) -> Any:
        raw = self._send_params(params)
        receipt, tx = self.chain.send_and_wait(raw, SEND_TIMEOUT)
        out = self.receipt_json(receipt, tx)
        if len(params) > 3 and _Params(params).boolean(3, False):
            out.update(txReceiptProof=[], receiptProof=[])
        return out

    def _send_params(self, params: list) -> bytes:
        """The signed bytes of a sendTransaction, after the group/node check.

        Fast path for what the SDK sends (our group, a known node, ``0x`` + even-length hex): the
        same answer as the general path, which handles everything else and raises its errors.
        """
        if len(params) > 2:
            group, node, text = params[0], params[1], params[2]
            if (type(group) is str and group == self.config.group_id and type(node) is str
                    and node in self._nodes and type(text) is str and text[:2] == "0x"):
                try:
                    return unhexlify(text[2:])  # refuses whitespace and odd lengths: those take the general path
                except (BinasciiError, ValueError):
                    pass
        p = _Params(params)
        self._group(p)
        return p.data(2)

    def get_transaction(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        found = self.chain.store.tx(p.hash32(2))
        if found is None:
            raise _not_found("transaction")
        out = self.tx_json(found[0])
        if p.boolean(3, False):
            out.update(txProof=[], transactionProof=[])
        return out

    def get_transaction_receipt(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        tx_hash = p.hash32(2)
        receipt = self.chain.store.receipt(tx_hash)
        found = self.chain.store.tx(tx_hash)
        if receipt is None or found is None:
            raise _not_found("receipt")
        out = self.receipt_json(receipt, found[0])
        if p.boolean(3, False):
            out.update(transactionProof=[], receiptProof=[])
        return out

    # ------------------------------------------------------------------ blocks
    def get_block_by_hash(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        block = self.chain.store.block_by_hash(p.hash32(2))
        if block is None:
            raise _not_found("block")
        return self.block_json(block, p.boolean(3, True), p.boolean(4, True))

    def get_block_by_number(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        block = self.chain.block(p.number(2))
        if block is None:
            raise _not_found("block")
        return self.block_json(block, p.boolean(3, True), p.boolean(4, True))

    def get_block_hash_by_number(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        block = self.chain.block(p.number(2))
        return _hex(block.hash if block else bytes(32))

    def get_block_number(self, params: list) -> Any:
        self._group(_Params(params))
        return self.chain.head.number

    def get_code(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        code = self.chain.executor.code(p.address(2))
        return _hex(code) if code else ""

    def get_abi(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        return self.chain.store.abi(p.address(2))

    # ------------------------------------------------------------------ consensus / sync
    def _sealers(self) -> list[dict[str, Any]]:
        return self._consensus_nodes("consensus_sealer")

    def _consensus_nodes(self, kind: str) -> list[dict[str, Any]]:
        """The Consensus precompile's list, as the ledger answers it (entries in force at head + 1)."""
        nodes = self.chain.precompiles.nodes(self.chain.head.number + 1)
        return [{"nodeID": n[0], "weight": n[2], "termWeight": n[3] or 1} for n in nodes if n[1] == kind]

    def get_sealer_list(self, params: list) -> Any:
        self._group(_Params(params))
        return self._sealers()

    def get_observer_list(self, params: list) -> Any:
        self._group(_Params(params))
        return [n["nodeID"] for n in self._consensus_nodes("consensus_observer")]

    def get_node_list_by_type(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        kind = p.string(2)
        if kind == "consensus_sealer":
            return self._sealers()
        if kind == "consensus_observer":
            return self._consensus_nodes(kind)
        if kind == "consensus_candidate_sealer":
            return []
        raise InvalidParams(-32602, f"Invalid params: unknown node type {kind!r}")

    def get_pbft_view(self, params: list) -> Any:
        self._group(_Params(params))
        return self.chain.head.number

    def get_pending_tx_size(self, params: list) -> Any:
        self._group(_Params(params))
        return self.chain.pool.size()

    def get_sync_status(self, params: list) -> Any:
        self._group(_Params(params))
        head = self.chain.head
        genesis = self.chain.block(0)
        status = {
            "isSyncing": False,
            "genesisHash": genesis.hash.hex() if genesis else "",
            "nodeID": self.config.node_id,
            "blockNumber": head.number,
            "latestHash": head.hash.hex(),
            "knownHighestNumber": head.number,
            "knownLatestHash": head.hash.hex(),
            "archivedBlockNumber": 0,
            "peers": [],
        }
        return json.dumps(status)

    def get_consensus_status(self, params: list) -> Any:
        self._group(_Params(params))
        head = self.chain.head
        status = {
            "nodeID": self.config.node_id,
            "index": 0,
            "leaderIndex": 0,
            "view": head.number,
            "blockNumber": head.number,
            "hash": head.hash.hex(),
            "consensusNodesNum": 1,
            "maxFaultyQuorum": 0,
            "minRequiredQuorum": 1,
            "isConsensusNode": True,
            "timeout": False,
            "changeCycle": 0,
            "connectedNodeList": 0,
            "consensusNodeList": [{"index": 0, "nodeID": self.config.node_id, "weight": 1}],
        }
        return json.dumps(status)

    def system_config(self) -> dict[str, str]:
        return {
            "tx_gas_limit": str(self.config.gas_limit),
            "tx_gas_price": "0x0",
            "tx_count_limit": str(self.config.tx_count_limit),
            "consensus_leader_period": "1",
            "compatibility_version": COMPATIBILITY_TEXT,
            "feature_rpbft": "0",
            "feature_balance_precompiled": "0",
            "feature_evm_address": "0",
            "web3_chain_id": "20200",
            "balance_transfer": "0",
            "auth_check_status": "1" if self.chain.auth_admin else "0",
            **self._config_set_on_chain(),
        }

    def _config_set_on_chain(self) -> dict[str, str]:
        """Values the SystemConfig precompile holds that are in force (enable number <= head + 1)."""
        effective = self.chain.head.number + 1
        return {k: v for k, (v, n) in self.chain.precompiles.config_values().items() if n <= effective}

    def get_system_config_by_key(self, params: list) -> Any:
        p = _Params(params)
        self._group(p)
        key = p.string(2)
        value = self.system_config().get(key)
        if value is None:
            raise _not_found(f"system config {key!r}")
        entry = self.chain.precompiles.config_entry(key)
        enabled = entry[1] if entry is not None and entry[1] <= self.chain.head.number + 1 else 0
        return {"value": value, "blockNumber": enabled}

    def get_total_transaction_count(self, params: list) -> Any:
        self._group(_Params(params))
        return {"blockNumber": self.chain.head.number, "transactionCount": self.chain.total_txs,
                "failedTransactionCount": self.chain.failed_txs}

    # ------------------------------------------------------------------ network / groups
    def get_peers(self, params: list) -> Any:
        return {
            "p2pNodeID": self.config.node_id,
            "endPoint": "127.0.0.1:30300",
            "groupNodeIDInfo": [{"group": self.config.group_id, "nodeIDList": [self.config.node_id]}],
            "peers": [],
        }

    def get_group_peers(self, params: list) -> Any:
        self._group(_Params(params), with_node=False)
        return [self.config.node_id]

    def get_group_list(self, params: list) -> Any:
        return {"code": 0, "msg": "success", "groupList": [self.config.group_id]}

    def node_info(self) -> dict[str, Any]:
        c = self.config
        ini = {
            "binaryInfo": {"version": c.binary_version, "gitCommitHash": "0" * 40, "platform": "python/pyrevm",
                           "buildTime": "", "buildType": "devchain"},
            "chainID": c.chain_id, "groupID": c.group_id, "smCryptoType": False, "isWasm": False,
            "isAuthCheck": bool(self.chain.auth_admin), "isSerialExecute": True, "nodeName": NODE_NAME, "nodeID": c.node_id,
            "rpcServiceName": "", "gatewayServiceName": "",
        }
        return {
            "name": NODE_NAME,
            "nodeID": c.node_id,
            "type": 0,
            "microService": False,
            "iniConfig": json.dumps(ini),
            "serviceInfo": [{"type": 6, "serviceName": "devchain"}],
            "featureKeys": [],
            "supportConfigs": [],
            "protocol": {"minSupportedVersion": 0, "maxSupportedVersion": 2,
                         "compatibilityVersion": COMPATIBILITY_VERSION},
        }

    def group_info(self) -> dict[str, Any]:
        c = self.config
        genesis = {"consensusType": "pbft", "blockTxCountLimit": c.tx_count_limit, "txGasLimit": c.gas_limit,
                   "compatibilityVersion": COMPATIBILITY_TEXT, "sealerList": self._sealers(), "isWasm": False,
                   "isAuthCheck": bool(self.chain.auth_admin), "isSerialExecute": True, "smCrypto": False}
        return {"chainID": c.chain_id, "groupID": c.group_id, "genesisConfig": json.dumps(genesis),
                "iniConfig": "", "nodeList": [self.node_info()]}

    def _only_group(self, params: list) -> None:
        p = _Params(params)
        if p.string(0) != self.config.group_id:
            raise NodeNotFound(-32000, f"Invalid request for the specified node of doesn't exist or doesn't "
                                       f"started! group: {p.string(0)}")

    def get_group_info(self, params: list) -> Any:
        self._only_group(params)
        return self.group_info()

    def get_group_info_list(self, params: list) -> Any:
        return [self.group_info()]

    def get_group_node_info(self, params: list) -> Any:
        self._group(_Params(params))
        return self.node_info()

    # ------------------------------------------------------------------ logs and filters
    def _collect_logs(self, query: LogQuery, first: int, last: int) -> list[dict[str, Any]]:
        head = self.chain.head.number
        last = min(last, head)
        if query.block_hash is not None:
            block = self.chain.store.block_by_hash(query.block_hash)
            if block is None:
                return []
            first = last = block.number
        if first > last:
            return []
        if not any(t is not None for t in query.topics):
            return self._collect_logs_by_address(query, first, last)
        hashes: dict[int, bytes] = {}
        out = []
        for number, log_index, tx_index, tx_hash, log in self.chain.store.logs(first, last):
            if query.matches(log):
                if number not in hashes:
                    block = self.chain.block(number)
                    hashes[number] = block.hash if block else bytes(32)
                out.append(self.log_json(number, log_index, tx_index, tx_hash, log, hashes[number]))
        return out

    def _collect_logs_by_address(self, query: LogQuery, first: int, last: int) -> list[dict[str, Any]]:
        """The common query (addresses only, no topic filter): SQLite filters and hex-encodes, and
        each JSON object is built from ready strings. Same objects as :meth:`log_json` gives."""
        head = self.chain.head
        out = []
        for number, log_index, tx_index, tx_hash, address, topics, data, block_hash in \
                self.chain.store.log_rows_hex(first, last, sorted(query.addresses)):
            if number == head.number:
                block_hash = _hex(head.hash)
            out.append({
                "address": address,
                "topics": ["0x" + topics[i:i + 64] for i in range(0, len(topics), 64)],
                "data": data,
                "logIndex": hex(log_index),
                "blockNumber": hex(number),
                "blockHash": block_hash,
                "transactionIndex": hex(tx_index),
                "transactionHash": tx_hash,
                "removed": False,
            })
        return out

    def _log_params(self, params: list) -> LogQuery:
        self._only_group(params)
        p = _Params(params)
        return LogQuery.parse(p.get(1))

    def _capped(self, first: int, last: int) -> int:
        """The last block one call processes: at most ``filter_max_process_block`` from ``first``
        (bcos-rpc FilterSystem.cpp ``getLogsImpl`` / ``getLogChangeImpl``: the rest of the range
        is silently left out)."""
        return min(last, first + self.config.filter_max_process_block - 1)

    def get_logs(self, params: list) -> Any:
        query = self._log_params(params)
        head = self.chain.head.number
        first, last = query.range(head)
        if query.block_hash is not None:
            return self._collect_logs(query, first, last)
        return self._collect_logs(query, first, self._capped(first, min(last, head)))

    def new_filter(self, params: list) -> Any:
        query = self._log_params(params)
        head = self.chain.head.number
        # "latest" (or no fromBlock) means: logs of blocks sealed after the filter was installed
        start = parse_block_ref(query.from_ref, head + 1, default=head + 1)
        return self.filters.add(Filter("log", query, cursor=start))

    def new_block_filter(self, params: list) -> Any:
        self._only_group(params)
        return self.filters.add(Filter("block", None, cursor=self.chain.head.number + 1))

    def new_pending_transaction_filter(self, params: list) -> Any:
        self._only_group(params)
        seq, _ = self.chain.admitted_since(1 << 62)
        return self.filters.add(Filter("pending", None, cursor=seq))

    def uninstall_filter(self, params: list) -> Any:
        self._only_group(params)
        return self.filters.remove(_Params(params).get(1))

    def get_filter_changes(self, params: list) -> Any:
        self._only_group(params)
        _, flt = self.filters.get(_Params(params).get(1), touch=True)
        head = self.chain.head.number
        if flt.kind == "pending":
            flt.cursor, hashes = self.chain.admitted_since(flt.cursor)
            return [_hex(h) for h in hashes]
        if flt.kind == "block":
            out = []
            end = self._capped(flt.cursor, head)
            for number in range(flt.cursor, end + 1):
                block = self.chain.block(number)
                if block is not None:
                    out.append(_hex(block.hash))
            flt.cursor = max(flt.cursor, end + 1)
            return out
        assert flt.query is not None
        _, last = flt.query.range(head)
        end = self._capped(flt.cursor, min(last, head))
        logs = self._collect_logs(flt.query, flt.cursor, end)
        flt.cursor = max(flt.cursor, end + 1)
        return logs

    def get_filter_logs(self, params: list) -> Any:
        self._only_group(params)
        _, flt = self.filters.get(_Params(params).get(1))
        if flt.kind != "log" or flt.query is None:
            raise InvalidParams(-32602, "filter not found")
        first, last = flt.query.range(self.chain.head.number)
        return self._collect_logs(flt.query, first, last)

