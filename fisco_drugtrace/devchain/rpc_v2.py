"""The FISCO BCOS 2.x JSON-RPC methods (``librpc/Rpc.cpp``) over a :class:`Chain`.

Parameters are validated as libjson-rpc-cpp does it: positional, exact count and JSON types
(``groupId`` an integer, numbers/hashes strings, flags booleans), else -32602. Results use
``toJS`` encodings: quantities as ``0x`` hex without leading zeros, hashes full width, node ids
without ``0x``; a missing transaction or receipt is ``null``.
"""

from __future__ import annotations

import base64
import json
import zlib
from binascii import Error as BinasciiError
from binascii import unhexlify
from typing import Any, Callable

from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.errors import HexError, InternalError, InvalidParams, RpcError, rpc_error_from
from fisco_drugtrace.types import RECEIPT_STATUS_V2

from .chain import Chain
from .config import DevChainConfig
from .records import ChainBlock, ChainReceipt, ChainTx

__all__ = ["V2Methods", "CLIENT_VERSION"]

CLIENT_VERSION = "2.11.0"
ZERO_ADDRESS = "0x" + "00" * 20
EMPTY_BLOOM = "0x" + "00" * 256
SYSTEM_CONFIG_KEYS = ("tx_count_limit", "tx_gas_limit", "rpbft_epoch_block_num", "rpbft_epoch_sealer_num",
                      "consensus_timeout", "enable_charge_mgr")

Handler = Callable[[list], Any]
#: group-management methods take a groupId that need not exist
_GROUP_ADMIN = frozenset({"generateGroup", "startGroup", "stopGroup", "removeGroup", "recoverGroup",
                          "queryGroupStatus"})
G, S, B, O, A = "int", "str", "bool", "obj", "arr"
_JSON_TYPES = {G: (int,), S: (str,), B: (bool,), O: (dict,), A: (list,)}


def _q(value: int) -> str:
    """``toJS`` of a quantity: ``0x`` + hex without leading zeros."""
    return hex(value)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _rpc(code: int, message: str) -> RpcError:
    return rpc_error_from(code, message)


def _number(text: str) -> int:
    """``jsToInt``: ``0x`` hex or decimal; anything else is an internal error (as on the node)."""
    try:
        return int(text, 16) if text[:2] in ("0x", "0X") else int(text, 10)
    except ValueError as exc:
        raise InternalError(-32603, f"INTERNAL_ERROR: : bad number {text!r}") from exc


def _raw_tx(text: str) -> bytes:
    """sendRawTransaction's bytes: ``0x`` + hex (what the SDK sends) read directly, anything else
    (whitespace, ``0X``, no prefix, bad hex) by ``to_bytes`` with its errors."""
    if text[:2] == "0x":
        try:
            return unhexlify(text[2:])  # refuses whitespace and odd lengths: those take to_bytes
        except (BinasciiError, ValueError):
            pass
    try:
        return to_bytes(text, what="rawTransaction")
    except HexError as exc:
        raise InternalError(-32603, f"INTERNAL_ERROR: : {exc}") from exc


def _hash(text: str) -> bytes:
    try:
        raw = to_bytes(text, what="hash")
    except HexError as exc:
        raise InternalError(-32603, f"INTERNAL_ERROR: : {exc}") from exc
    if len(raw) != 32:
        raise InternalError(-32603, "INTERNAL_ERROR: : a hash is 32 bytes")
    return raw


class V2Methods:
    """Method name -> handler for a 2.x node with one group."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.config: DevChainConfig = chain.config
        node_free = None  # methods declared without parameters accept any params array
        spec: dict[str, tuple[Handler, tuple[str, ...] | None]] = {
            "getClientVersion": (self.get_client_version, node_free),
            "getNodeInfo": (self.get_node_info, node_free),
            "getGroupList": (self.get_group_list, node_free),
            "queryPeers": (self.query_peers, node_free),
            "addPeers": (self.peers_unsupported, node_free),
            "erasePeers": (self.peers_unsupported, node_free),
            "rpc_modules": (self.rpc_modules, node_free),
            "getBlockNumber": (self.get_block_number, (G,)),
            "getPbftView": (self.get_pbft_view, (G,)),
            "getSealerList": (self.get_sealer_list, (G,)),
            "getObserverList": (self.get_observer_list, (G,)),
            "getEpochSealersList": (self.get_epoch_sealers_list, (G,)),
            "getConsensusStatus": (self.get_consensus_status, (G,)),
            "getSyncStatus": (self.get_sync_status, (G,)),
            "getPeers": (self.get_peers, (G,)),
            "getGroupPeers": (self.get_group_peers, (G,)),
            "getNodeIDList": (self.get_node_id_list, (G,)),
            "getBlockByHash": (self.get_block_by_hash, (G, S, B)),
            "getBlockByNumber": (self.get_block_by_number, (G, S, B)),
            "getBlockHeaderByHash": (self.get_block_header_by_hash, (G, S, B)),
            "getBlockHeaderByNumber": (self.get_block_header_by_number, (G, S, B)),
            "getBlockHashByNumber": (self.get_block_hash_by_number, (G, S)),
            "getTransactionByHash": (self.get_transaction_by_hash, (G, S)),
            "getTransactionByBlockHashAndIndex": (self.get_tx_by_block_hash_and_index, (G, S, S)),
            "getTransactionByBlockNumberAndIndex": (self.get_tx_by_block_number_and_index, (G, S, S)),
            "getTransactionReceipt": (self.get_transaction_receipt, (G, S)),
            "getPendingTransactions": (self.get_pending_transactions, (G,)),
            "getPendingTxSize": (self.get_pending_tx_size, (G,)),
            "getCode": (self.get_code, (G, S)),
            "getTotalTransactionCount": (self.get_total_transaction_count, (G,)),
            "getSystemConfigByKey": (self.get_system_config_by_key, (G, S)),
            "call": (self.call, (G, O)),
            "sendRawTransaction": (self.send_raw_transaction, (G, S)),
            "sendRawTransactionAndGetProof": (self.send_raw_transaction, (G, S)),
            "getTransactionByHashWithProof": (self.get_transaction_with_proof, (G, S)),
            "getTransactionReceiptByHashWithProof": (self.get_receipt_with_proof, (G, S)),
            "getBatchReceiptsByBlockNumberAndRange": (self.batch_receipts_by_number, (G, S, S, S, B)),
            "getBatchReceiptsByBlockHashAndRange": (self.batch_receipts_by_hash, (G, S, S, S, B)),
            "generateGroup": (self.generate_group, (G, O)),
            "startGroup": (self.start_group, (G,)),
            "stopGroup": (self.group_unsupported, (G,)),
            "removeGroup": (self.group_unsupported, (G,)),
            "recoverGroup": (self.group_unsupported, (G,)),
            "queryGroupStatus": (self.query_group_status, (G,)),
        }
        self.table: dict[str, Handler] = {
            name: self._strict(fn, types, check_group=name not in _GROUP_ADMIN) for name, (fn, types) in spec.items()
        }

    # ------------------------------------------------------------------ validation
    def _strict(self, fn: Handler, types: tuple[str, ...] | None, *, check_group: bool) -> Handler:
        def checked(params: list) -> Any:
            if types is not None:
                if len(params) != len(types):
                    raise InvalidParams(-32602, "INVALID_PARAMS")
                for value, kind in zip(params, types):
                    if isinstance(value, bool) and kind != B or not isinstance(value, _JSON_TYPES[kind]):
                        raise InvalidParams(-32602, "INVALID_PARAMS")
                if check_group and types and types[0] == G and params[0] != self.config.group_id:
                    raise _rpc(-40001, "GroupID does not exist")
            return fn(params)

        return checked

    # ------------------------------------------------------------------ shapes
    def tx_json(self, tx: ChainTx, position: tuple[ChainBlock, int] | None) -> dict[str, Any]:
        stx = self.chain.codec.redecode(tx)
        f = stx.tx
        recovery = (stx.v - 27) if isinstance(stx.v, int) else 0
        signature = stx.r.to_bytes(32, "big") + stx.s.to_bytes(32, "big") + bytes([recovery])
        out: dict[str, Any] = {
            "nonce": _q(f.nonce), "gasPrice": _q(f.gas_price), "gas": _q(f.gas_limit), "blockLimit": _q(f.block_limit),
            "to": tx.to or ZERO_ADDRESS, "value": _q(f.value), "input": _hex(f.data), "chainId": _q(f.chain_id),
            "groupId": _q(f.group_id), "extraData": _hex(f.extra_data),
        }
        if position is not None:
            block, index = position
            out.update(blockHash=_hex(block.hash), blockNumber=_q(block.number), transactionIndex=_q(index))
        out.update(**{"from": tx.sender}, hash=_hex(tx.hash), signature={
            "r": "0x" + stx.r.to_bytes(32, "big").hex(), "s": "0x" + stx.s.to_bytes(32, "big").hex(),
            "v": _q(recovery), "signature": _hex(signature)})
        return out

    def receipt_json(self, receipt: ChainReceipt, block: ChainBlock, tx: ChainTx | None) -> dict[str, Any]:
        return {
            "root": _hex(block.state_root),
            "gasUsed": _q(receipt.gas_used),
            "remainGas": _q(max(self.config.gas_limit - receipt.gas_used, 0)),
            "contractAddress": receipt.contract_address or ZERO_ADDRESS,
            "logsBloom": EMPTY_BLOOM,
            "status": _q(receipt.status),
            "statusMsg": RECEIPT_STATUS_V2.get(receipt.status, "Unknown"),
            "output": _hex(receipt.output),
            "logs": self._logs(receipt),
            "transactionHash": _hex(receipt.tx_hash),
            "transactionIndex": _q(receipt.index),
            "blockNumber": _q(receipt.block_number),
            "blockHash": _hex(block.hash),
            "from": receipt.sender,
            "to": receipt.to or ZERO_ADDRESS,
            "input": _hex(tx.input) if tx is not None else "0x",
        }

    @staticmethod
    def _logs(receipt: ChainReceipt) -> list[dict[str, Any]]:
        return [{"address": log.address, "topics": [_hex(t) for t in log.topics], "data": _hex(log.data)}
                for log in receipt.logs]

    def header_json(self, block: ChainBlock, *, number_as_int: bool) -> dict[str, Any]:
        return {
            "number": block.number if number_as_int else _q(block.number),
            "hash": _hex(block.hash),
            "parentHash": _hex(block.parent_hash),
            "logsBloom": EMPTY_BLOOM,
            "transactionsRoot": _hex(block.txs_root),
            "receiptsRoot": _hex(block.receipts_root),
            "dbHash": _hex(block.state_root),
            "stateRoot": _hex(block.state_root),
            "sealer": "0x0",
            "sealerList": [self.config.node_id],
            "extraData": [],
            "gasLimit": "0x0",
            "gasUsed": _q(block.gas_used),
            "timestamp": _q(block.timestamp),
        }

    def _signatures(self, block: ChainBlock) -> list[dict[str, str]]:
        return [] if block.number == 0 else [{"index": "0x0", "signature": _hex(block.hash + b"\x00")}]

    def block_json(self, block: ChainBlock, include_tx: bool) -> dict[str, Any]:
        out = self.header_json(block, number_as_int=False)
        if include_tx:
            txs = self.chain.store.txs_in_block(block.number)
            out["transactions"] = [self.tx_json(t, (block, i)) for i, t in enumerate(txs)]
            out["signatureList"] = self._signatures(block)
        else:
            out["transactions"] = [_hex(h) for h in block.tx_hashes]
        return out

    # ------------------------------------------------------------------ lookups
    def _block_by_number(self, text: str) -> ChainBlock:
        block = self.chain.block(_number(text))
        if block is None:
            raise _rpc(-40004, "BlockNumber does not exist")
        return block

    def _block_by_hash(self, text: str) -> ChainBlock:
        block = self.chain.store.block_by_hash(_hash(text))
        if block is None:
            raise _rpc(-40003, "BlockHash does not exist")
        return block

    def _committed_tx(self, text: str) -> tuple[ChainTx, ChainBlock, int] | None:
        found = self.chain.store.tx(_hash(text))
        if found is None:
            return None
        tx, number, index = found
        block = self.chain.block(number)
        assert block is not None
        return tx, block, index

    # ------------------------------------------------------------------ node / network
    def get_client_version(self, params: list) -> Any:
        return {"Build Time": "", "Build Type": "devchain/python-pyrevm", "Chain Id": str(self.config.chain_id),
                "FISCO-BCOS Version": CLIENT_VERSION, "Git Branch": "devchain", "Git Commit Hash": "0" * 40,
                "Supported Version": CLIENT_VERSION}

    def get_node_info(self, params: list) -> Any:
        return {"NodeID": self.config.node_id, "IPAndPort": "127.0.0.1:30300", "Agency": "agency",
                "Node": "node0", "Topic": []}

    def get_group_list(self, params: list) -> Any:
        return [self.config.group_id]

    def query_peers(self, params: list) -> Any:
        return []

    def peers_unsupported(self, params: list) -> Any:
        return {"code": "0x1", "message": "the dev chain has no p2p network"}

    def rpc_modules(self, params: list) -> Any:
        return {"FISCO BCOS": "2.0"}

    def get_block_number(self, params: list) -> Any:
        return _q(self.chain.head.number)

    def get_pbft_view(self, params: list) -> Any:
        return _q(self.chain.head.number)

    def get_sealer_list(self, params: list) -> Any:
        return self._consensus_nodes("consensus_sealer")

    def get_observer_list(self, params: list) -> Any:
        return self._consensus_nodes("consensus_observer")

    def _consensus_nodes(self, kind: str) -> list[str]:
        """The Consensus precompile's list (entries in force from the next block)."""
        return [n[0] for n in self.chain.precompiles.nodes(self.chain.head.number + 1) if n[1] == kind]

    def get_epoch_sealers_list(self, params: list) -> Any:
        raise _rpc(-40009, "Only rpbft consensus supports getEpochSealersList")

    def get_consensus_status(self, params: list) -> Any:
        head = self.chain.head
        status = {
            "nodeNum": 1, "node_index": 0, "max_faulty_leader": 0, "consensusedBlockNumber": head.number,
            "highestblockNumber": head.number, "highestblockHash": _hex(head.hash), "groupId": self.config.group_id,
            "protocolId": 65544, "accountType": 1, "cfgErr": False, "omitEmptyBlock": True,
            "nodeId": self.config.node_id, "sealer.0": self.config.node_id, "allowFutureBlocks": True,
            "connectedNodes": 0, "currentView": head.number, "toView": head.number, "leaderFailed": False,
        }
        return [status, [{"nodeId": self.config.node_id, "view": head.number}]]

    def get_sync_status(self, params: list) -> Any:
        head = self.chain.head
        genesis = self.chain.block(0)
        return {"isSyncing": False, "protocolId": 65545, "genesisHash": genesis.hash.hex() if genesis else "",
                "nodeId": self.config.node_id, "blockNumber": head.number, "latestHash": head.hash.hex(),
                "knownHighestNumber": head.number, "knownLatestHash": head.hash.hex(),
                "txPoolSize": str(self.chain.pool.size()), "peers": []}

    def get_peers(self, params: list) -> Any:
        return []

    def get_group_peers(self, params: list) -> Any:
        return [self.config.node_id]

    def get_node_id_list(self, params: list) -> Any:
        return [self.config.node_id]

    # ------------------------------------------------------------------ blocks
    def get_block_by_hash(self, params: list) -> Any:
        return self.block_json(self._block_by_hash(params[1]), params[2])

    def get_block_by_number(self, params: list) -> Any:
        return self.block_json(self._block_by_number(params[1]), params[2])

    def _header(self, block: ChainBlock, with_signatures: bool) -> dict[str, Any]:
        out = self.header_json(block, number_as_int=True)
        if with_signatures:
            out["signatureList"] = self._signatures(block)
        return out

    def get_block_header_by_hash(self, params: list) -> Any:
        return self._header(self._block_by_hash(params[1]), params[2])

    def get_block_header_by_number(self, params: list) -> Any:
        return self._header(self._block_by_number(params[1]), params[2])

    def get_block_hash_by_number(self, params: list) -> Any:
        return _hex(self._block_by_number(params[1]).hash)

    # ------------------------------------------------------------------ transactions
    def get_transaction_by_hash(self, params: list) -> Any:
        found = self._committed_tx(params[1])
        return None if found is None else self.tx_json(found[0], (found[1], found[2]))

    def _tx_at(self, block: ChainBlock, index_text: str) -> Any:
        index = _number(index_text)
        if not 0 <= index < len(block.tx_hashes):
            raise _rpc(-40005, "TransactionIndex is out of range")
        found = self.chain.store.tx(block.tx_hashes[index])
        assert found is not None
        return self.tx_json(found[0], (block, index))

    def get_tx_by_block_hash_and_index(self, params: list) -> Any:
        return self._tx_at(self._block_by_hash(params[1]), params[2])

    def get_tx_by_block_number_and_index(self, params: list) -> Any:
        return self._tx_at(self._block_by_number(params[1]), params[2])

    def get_transaction_receipt(self, params: list) -> Any:
        found = self._committed_tx(params[1])
        if found is None:
            return None
        receipt = self.chain.store.receipt(found[0].hash)
        return None if receipt is None else self.receipt_json(receipt, found[1], found[0])

    def get_pending_transactions(self, params: list) -> Any:
        return [self.tx_json(t, None) for t in self.chain.pool.pending()]

    def get_pending_tx_size(self, params: list) -> Any:
        return _q(self.chain.pool.size())

    def get_code(self, params: list) -> Any:
        try:
            raw = to_bytes(params[1], what="address")
        except HexError as exc:
            raise InternalError(-32603, f"INTERNAL_ERROR: : {exc}") from exc
        if len(raw) != 20:
            raise InternalError(-32603, "INTERNAL_ERROR: : an address is 20 bytes")
        return _hex(self.chain.executor.code("0x" + raw.hex()))

    def get_total_transaction_count(self, params: list) -> Any:
        return {"txSum": _q(self.chain.total_txs), "blockNumber": _q(self.chain.head.number),
                "failedTxSum": _q(self.chain.failed_txs)}

    def get_system_config_by_key(self, params: list) -> Any:
        values = {"tx_count_limit": str(self.config.tx_count_limit), "tx_gas_limit": str(self.config.gas_limit),
                  "rpbft_epoch_block_num": "1000", "rpbft_epoch_sealer_num": "1", "consensus_timeout": "3",
                  "enable_charge_mgr": "off"}
        if params[1] not in values:
            raise _rpc(-40008, "Invalid System Config")
        entry = self.chain.precompiles.config_entry(params[1])  # set through the SystemConfig precompile
        if entry is not None and entry[1] <= self.chain.head.number + 1:
            return entry[0]
        return values[params[1]]

    def call(self, params: list) -> Any:
        request = params[1]
        sender = request.get("from")
        if not sender:
            raise _rpc(-40006, "Call needs a 'from' field")
        try:
            sender_addr = "0x" + to_bytes(str(sender), what="from").hex()
            to_raw = to_bytes(str(request.get("to") or "0x"), what="to")
            data = to_bytes(str(request.get("data") or request.get("code") or "0x"), what="data")
        except HexError as exc:
            raise InternalError(-32603, f"INTERNAL_ERROR: : {exc}") from exc
        if len(to_raw) not in (0, 20) or len(bytes.fromhex(sender_addr[2:])) != 20:
            raise InternalError(-32603, "INTERNAL_ERROR: : an address is 20 bytes")
        head = self.chain.head.number
        if not to_raw:
            return {"currentBlockNumber": _q(head), "status": "0x0", "output": "0x"}
        out = self.chain.call(sender_addr, "0x" + to_raw.hex(), data)
        return {"currentBlockNumber": _q(head), "status": _q(out.status), "output": _hex(out.output)}

    def send_raw_transaction(self, params: list) -> Any:
        return _hex(self.chain.submit(self.chain.decode(_raw_tx(params[1]))))

    def get_transaction_with_proof(self, params: list) -> Any:
        found = self._committed_tx(params[1])
        if found is None:
            return None
        return {"transaction": self.tx_json(found[0], (found[1], found[2])), "txProof": []}

    def get_receipt_with_proof(self, params: list) -> Any:
        receipt = self.get_transaction_receipt(params)
        return None if receipt is None else {"transactionReceipt": receipt, "receiptProof": []}

    def _batch_receipts(self, block: ChainBlock, start_text: str, count_text: str, compress: bool) -> Any:
        start, count = _number(start_text), _number(count_text)
        receipts = self.chain.store.receipts_in_block(block.number)
        if start < 0 or (start >= len(receipts) and receipts) or (not receipts and start > 0):
            raise _rpc(-40099, f"start index out of range, the number of receipt is {len(receipts)}")
        chosen = receipts[start:] if count < 0 else receipts[start:start + count]
        result = {
            "blockInfo": {"receiptRoot": _hex(block.receipts_root), "blockNumber": _q(block.number),
                          "blockHash": _hex(block.hash), "receiptsCount": _q(len(receipts))},
            "transactionReceipts": [
                {"transactionHash": _hex(r.tx_hash), "transactionIndex": _q(r.index), "from": r.sender,
                 "to": r.to or ZERO_ADDRESS, "gasUsed": _q(r.gas_used),
                 "contractAddress": r.contract_address or ZERO_ADDRESS, "logs": self._logs(r),
                 "status": _q(r.status), "output": _hex(r.output)}
                for r in chosen
            ],
        }
        if compress:
            return base64.b64encode(zlib.compress(json.dumps(result).encode())).decode()
        return result

    def batch_receipts_by_number(self, params: list) -> Any:
        return self._batch_receipts(self._block_by_number(params[1]), params[2], params[3], params[4])

    def batch_receipts_by_hash(self, params: list) -> Any:
        return self._batch_receipts(self._block_by_hash(params[1]), params[2], params[3], params[4])

    # ------------------------------------------------------------------ group management
    def generate_group(self, params: list) -> Any:
        if params[0] == self.config.group_id:
            return {"code": "0x2", "message": "GROUP_ALREADY_EXISTS"}
        return {"code": "0x1", "message": "INTERNAL_ERROR: the dev chain runs a single group"}

    def start_group(self, params: list) -> Any:
        if params[0] == self.config.group_id:
            return {"code": "0x3", "message": "ALREADY_RUNNING"}
        return {"code": "0x6", "message": "NOT_FOUND"}

    def group_unsupported(self, params: list) -> Any:
        if params[0] != self.config.group_id:
            return {"code": "0x6", "message": "NOT_FOUND"}
        return {"code": "0x1", "message": "INTERNAL_ERROR: the dev chain cannot stop or remove its group"}

    def query_group_status(self, params: list) -> Any:
        if params[0] == self.config.group_id:
            return {"code": "0x0", "message": "", "status": "RUNNING"}
        return {"code": "0x6", "message": "NOT_FOUND", "status": "INEXISTENT"}
