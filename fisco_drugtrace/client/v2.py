"""FISCO BCOS 2.x client: every JSON-RPC method of the node as a typed snake_case method.

The integer group id is the first parameter of almost every method; numeric parameters travel
as ``0x`` strings. ``sendRawTransaction`` returns the hash after txpool admission, so
:meth:`ClientV2.send_transaction` polls for the receipt. Logs are found by scanning blocks and
their receipts (2.x has no ``getLogs``).
"""

from __future__ import annotations

import base64
import dataclasses
import zlib
from typing import Any, Mapping, Sequence

from fisco_drugtrace.accounts import Signer
from fisco_drugtrace.client._wire import (
    items,
    ZERO_ADDRESS,
    hash32,
    hex_bytes,
    log_filter,
    obj,
    quantity,
    to_quantity,
    tx_hash,
)
from fisco_drugtrace.client.base import BLOCK_LIMIT_OFFSET, FiscoClient
from fisco_drugtrace.client.records import (
    BatchReceipts,
    Block,
    BlockHeader,
    ClientVersion,
    ConsensusStatus,
    GroupList,
    GroupOperationResult,
    NodeInfoV2,
    NodeOverview,
    ReceiptWithProof,
    SignedTx,
    SyncStatus,
    SystemConfig,
    TotalTransactionCount,
    TransactionRecord,
    TransactionWithProof,
)
from fisco_drugtrace.client.wire_v2 import (
    block_header_v2,
    block_v2,
    client_version_v2,
    consensus_status_v2,
    node_info_v2,
    receipt_v2,
    sync_status_v2,
    total_count_v2,
    transaction_v2,
)
from fisco_drugtrace.encoding import tx_v2
from fisco_drugtrace.errors import BadResponseError
from fisco_drugtrace.rpc.answers import load_json
from fisco_drugtrace.rpc.http import DEFAULT_MAX_ANSWER_BYTES
from fisco_drugtrace.rpc.jsonrpc import JsonRpc
from fisco_drugtrace.types import CallResult, Dialect, Log, Receipt, TxHash

__all__ = ["ClientV2"]


#: The most a compressed batch of receipts may inflate to (the answer cap's default).
_MAX_INFLATED = DEFAULT_MAX_ANSWER_BYTES


def _inflate(data: bytes, limit: int, method: str) -> bytes:
    """zlib-decompress at most ``limit`` bytes: a small answer must not inflate into gigabytes."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, limit)
    if inflater.unconsumed_tail or (not inflater.eof and inflater.decompress(b"", 1)):
        raise BadResponseError(f"{method}: compressed receipts inflate to more than {limit:,} bytes; refused")
    return out


def _addr(address: str) -> str:
    text = address[2:] if address[:2].lower() == "0x" else address
    return "0x" + text.lower()


def _group_result(value: Any) -> GroupOperationResult:
    o = obj(value, "group operation result")
    status = o.get("status")
    return GroupOperationResult(code=quantity(o.get("code", 0), "code"), message=str(o.get("message", "")),
                                status=None if status is None else str(status))


class ClientV2(FiscoClient):
    """A FISCO BCOS 2.x node.

    :param rpc: JSON-RPC built with :func:`~fisco_drugtrace.client.error_maps.map_error_v2`.
    :param group: the integer group id (1..32767).
    :param chain_id: configured chain id, or ``None`` to read ``Chain Id`` from ``getClientVersion``.
    """

    dialect = Dialect.V2

    def __init__(self, rpc: JsonRpc, *, group: int = 1, chain_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(rpc, group=int(group), chain_id=chain_id, **kwargs)

    def _g(self, *rest: Any) -> list[Any]:
        return [self.group, *rest]

    def _read(self, method: str, params: Sequence[Any]) -> Any:
        return self.rpc.request(method, params)

    # -- FiscoClient ------------------------------------------------------------------------
    def _read_chain_id(self) -> int:
        return self.get_client_version().chain_id

    def _read_crypto_suite(self) -> str | None:
        # 2.x names a national-crypto (guomi) build in getClientVersion's "FISCO-BCOS Version",
        # e.g. "2.9.1 gm" (java-sdk 2.x checks the same string before choosing its crypto suite)
        version = self.get_client_version().version
        if not version:
            return None
        return "sm2_sm3" if "gm" in version.lower().split() or version.lower().endswith("gm") else "ecdsa_secp256k1"

    def block_number(self) -> int:
        return self.get_block_number()

    def call(self, to: str, data: bytes, *, sender: str | None = None) -> CallResult:
        """``call [G, {from, to, value, data}]``; 2.x needs a ``from`` (zero address by default)."""
        request = {"from": _addr(sender) if sender else ZERO_ADDRESS, "to": _addr(to), "value": "0x0",
                   "data": "0x" + bytes(data).hex()}
        o = obj(self._read("call", self._g(request)), "call result")
        return CallResult(status=quantity(o.get("status", 0), "call status"),
                          output=hex_bytes(o.get("output"), "call output"),
                          block_number=quantity(o.get("currentBlockNumber", 0), "currentBlockNumber"))

    def get_receipt(self, tx_hash: str) -> Receipt | None:
        return self.get_transaction_receipt(tx_hash)

    def get_block_hash(self, number: int) -> str:
        return self.get_block_hash_by_number(number)

    def get_logs(self, from_block: int, to_block: int, addresses: Sequence[str] | None = None,
                 topics: Sequence[Any] | None = None) -> list[Log]:
        """Scan blocks ``from_block..to_block`` and their receipts (2.x has no log index)."""
        found: list[Log] = []
        matches = log_filter(addresses, topics)
        for number in range(int(from_block), int(to_block) + 1):
            block = self.get_block_by_number(number)
            index = 0
            for position, hash_ in enumerate(block.transaction_hashes):
                receipt = self.get_transaction_receipt(hash_)
                if receipt is None:
                    continue
                for log in receipt.logs:
                    log = dataclasses.replace(log, log_index=index, block_hash=block.hash,
                                              transaction_index=position if log.transaction_index is None
                                              else log.transaction_index)
                    index += 1
                    if matches(log):
                        found.append(log)
        return found

    def sign_transaction(self, signer: Signer, to: str | None, data: bytes, abi: str = "") -> SignedTx:
        """2.x transactions carry no ABI; ``abi`` is accepted for a uniform surface and ignored."""
        ident = self.identity()
        tx = tx_v2.new_transaction_v2(chain_id=int(ident.chain_id), group_id=int(ident.group_id),
                                      block_number=self.block_number(), to=_addr(to) if to else "",
                                      data=bytes(data), block_limit_offset=BLOCK_LIMIT_OFFSET)
        signed = tx_v2.sign_transaction_v2(tx, signer)
        return SignedTx(raw=tx_v2.encode_signed_v2(signed), tx_hash="0x" + tx_v2.tx_hash_v2(signed, signer.suite).hex())

    def _submit(self, raw: bytes, tx_hash: str, timeout: float | None) -> Receipt | None:
        answered = self.send_raw_transaction(raw)
        if tx_hash and answered != tx_hash:
            # status 200: the node answered fine, re-sending would not change its hash function
            raise BadResponseError(f"sendRawTransaction answered hash {answered}, expected {tx_hash} "
                                   "(does the node use another crypto suite?)", status=200, body_excerpt=answered)
        pushed = getattr(self.rpc.transport, "pushed_receipt", None)  # the 2.x channel pushes it (0x1000)
        if pushed is not None and tx_hash:
            receipt = pushed(tx_hash, timeout if timeout is not None else 60.0)
            if receipt is not None:
                return receipt_v2(receipt)
        return None  # the caller polls getTransactionReceipt

    def send_raw(self, raw: bytes) -> TxHash:
        return self.send_raw_transaction(raw)

    def node_overview(self) -> NodeOverview:
        version = self.get_client_version()
        sync = self.get_sync_status()
        return NodeOverview(
            dialect=self.dialect, url=getattr(self.rpc.transport, "url", None), group=self.group,
            chain_id=self.identity().chain_id, block_number=self.get_block_number(),
            node_id=sync.node_id or None, sealers=self.get_sealer_list(), is_syncing=sync.is_syncing,
            known_highest_number=sync.known_highest_number, version=version.version or None,
        )

    # -- every 2.x RPC ----------------------------------------------------------------------
    def get_client_version(self) -> ClientVersion:
        return client_version_v2(self._read("getClientVersion", []))

    def get_node_info(self) -> NodeInfoV2:
        return node_info_v2(self._read("getNodeInfo", []))

    def get_block_number(self) -> int:
        return quantity(self._read("getBlockNumber", self._g()), "block number")

    def get_pbft_view(self) -> int:
        return quantity(self._read("getPbftView", self._g()), "pbft view")

    def get_sealer_list(self) -> tuple[str, ...]:
        return tuple(str(s) for s in items(self._read("getSealerList", self._g())))

    def get_observer_list(self) -> tuple[str, ...]:
        return tuple(str(s) for s in items(self._read("getObserverList", self._g())))

    def get_epoch_sealers_list(self) -> tuple[str, ...]:
        """rPBFT only (other engines answer -40009)."""
        return tuple(str(s) for s in items(self._read("getEpochSealersList", self._g())))

    def get_consensus_status(self) -> ConsensusStatus:
        return consensus_status_v2(self._read("getConsensusStatus", self._g()))

    def get_sync_status(self) -> SyncStatus:
        return sync_status_v2(self._read("getSyncStatus", self._g()))

    def get_peers(self) -> tuple[NodeInfoV2, ...]:
        return tuple(node_info_v2(p) for p in items(self._read("getPeers", self._g())))

    def get_group_peers(self) -> tuple[str, ...]:
        return tuple(str(p) for p in items(self._read("getGroupPeers", self._g())))

    def get_node_id_list(self) -> tuple[str, ...]:
        return tuple(str(p) for p in items(self._read("getNodeIDList", self._g())))

    def get_group_list(self) -> GroupList:
        return GroupList(groups=tuple(quantity(g, "group id") for g in items(self._read("getGroupList", []))))

    def get_block_by_hash(self, block_hash: str, include_transactions: bool = False) -> Block:
        return block_v2(self._read("getBlockByHash", self._g(hash32(block_hash), include_transactions)))

    def get_block_by_number(self, number: int, include_transactions: bool = False) -> Block:
        return block_v2(self._read("getBlockByNumber", self._g(to_quantity(number), include_transactions)))

    def get_block_header_by_hash(self, block_hash: str, include_signatures: bool = False) -> BlockHeader:
        return block_header_v2(self._read("getBlockHeaderByHash", self._g(hash32(block_hash), include_signatures)))

    def get_block_header_by_number(self, number: int, include_signatures: bool = False) -> BlockHeader:
        return block_header_v2(self._read("getBlockHeaderByNumber", self._g(to_quantity(number), include_signatures)))

    def get_block_hash_by_number(self, number: int) -> str:
        return hash32(self._read("getBlockHashByNumber", self._g(to_quantity(number))), "block hash")

    def get_transaction_by_hash(self, tx_hash: str) -> TransactionRecord | None:
        result = self._read("getTransactionByHash", self._g(hash32(tx_hash)))
        return None if result is None else transaction_v2(result)

    def get_transaction_by_block_hash_and_index(self, block_hash: str, index: int) -> TransactionRecord:
        return transaction_v2(self._read("getTransactionByBlockHashAndIndex",
                                         self._g(hash32(block_hash), to_quantity(index))))

    def get_transaction_by_block_number_and_index(self, number: int, index: int) -> TransactionRecord:
        return transaction_v2(self._read("getTransactionByBlockNumberAndIndex",
                                         self._g(to_quantity(number), to_quantity(index))))

    def get_transaction_receipt(self, tx_hash: str) -> Receipt | None:
        result = self._read("getTransactionReceipt", self._g(hash32(tx_hash)))
        return None if result is None else receipt_v2(result)

    def get_pending_transactions(self) -> tuple[TransactionRecord, ...]:
        return tuple(transaction_v2(t) for t in items(self._read("getPendingTransactions", self._g())))

    def get_pending_tx_size(self) -> int:
        return quantity(self._read("getPendingTxSize", self._g()), "pending tx size")

    def get_code(self, address: str) -> bytes:
        return hex_bytes(self._read("getCode", self._g(_addr(address))), "code")

    def get_total_transaction_count(self) -> TotalTransactionCount:
        return total_count_v2(self._read("getTotalTransactionCount", self._g()))

    def get_system_config_by_key(self, key: str) -> SystemConfig:
        return SystemConfig(key=key, value=str(self._read("getSystemConfigByKey", self._g(key))))

    def send_raw_transaction(self, raw: bytes) -> TxHash:
        """``sendRawTransaction``: admitted to the txpool; the receipt comes later. Not retried."""
        return tx_hash(self.rpc.request("sendRawTransaction", self._g("0x" + bytes(raw).hex()), idempotent=False))

    def send_raw_transaction_and_get_proof(self, raw: bytes) -> TxHash:
        return tx_hash(self.rpc.request("sendRawTransactionAndGetProof", self._g("0x" + bytes(raw).hex()),
                                        idempotent=False))

    def get_transaction_by_hash_with_proof(self, tx_hash: str) -> TransactionWithProof | None:
        result = self._read("getTransactionByHashWithProof", self._g(hash32(tx_hash)))
        if result is None:
            return None
        o = obj(result, "transaction with proof")
        return TransactionWithProof(transaction=transaction_v2(o.get("transaction")),
                                    proof=tuple(items(o.get("txProof"))))

    def get_transaction_receipt_by_hash_with_proof(self, tx_hash: str) -> ReceiptWithProof | None:
        result = self._read("getTransactionReceiptByHashWithProof", self._g(hash32(tx_hash)))
        if result is None:
            return None
        o = obj(result, "receipt with proof")
        return ReceiptWithProof(receipt=receipt_v2(o.get("transactionReceipt")),
                                proof=tuple(items(o.get("receiptProof"))))

    def _batch(self, method: str, key: str, from_index: int, count: int, compress: bool) -> BatchReceipts:
        result = self._read(method, self._g(key, str(from_index), str(count), compress))
        if isinstance(result, str):  # compress=true: base64(zlib(JSON))
            try:
                result = load_json(_inflate(base64.b64decode(result), _MAX_INFLATED, method))
            except (ValueError, zlib.error) as exc:
                raise BadResponseError(f"{method}: compressed receipts do not decode: {exc}",
                                       body_excerpt=result[:200]) from exc
        o = obj(result, "batch receipts")
        info = obj(o.get("blockInfo"), "blockInfo")
        number = quantity(info.get("blockNumber"), "blockNumber")
        block_hash = hash32(info.get("blockHash"), "blockHash")
        receipts = tuple(
            receipt_v2({"blockNumber": number, "blockHash": block_hash, **obj(r, "receipt")})
            for r in items(o.get("transactionReceipts"))
        )
        return BatchReceipts(block_number=number, block_hash=block_hash,
                             receipts_root=str(info.get("receiptRoot", "")),
                             receipts_count=quantity(info.get("receiptsCount", len(receipts))), receipts=receipts)

    def get_batch_receipts_by_block_number_and_range(self, number: int, from_index: int = 0, count: int = -1,
                                                     compress: bool = False) -> BatchReceipts:
        return self._batch("getBatchReceiptsByBlockNumberAndRange", str(number), from_index, count, compress)

    def get_batch_receipts_by_block_hash_and_range(self, block_hash: str, from_index: int = 0, count: int = -1,
                                                   compress: bool = False) -> BatchReceipts:
        return self._batch("getBatchReceiptsByBlockHashAndRange", hash32(block_hash), from_index, count, compress)

    # group and peer administration (a node with dynamic groups disabled answers -100001)
    def generate_group(self, group_id: int, timestamp: int, sealers: Sequence[str],
                       enable_free_storage: bool | None = None) -> GroupOperationResult:
        params: dict[str, Any] = {"timestamp": str(int(timestamp)), "sealers": list(sealers)}
        if enable_free_storage is not None:
            params["enable_free_storage"] = enable_free_storage
        return _group_result(self.rpc.request("generateGroup", [int(group_id), params], idempotent=False,
                                              pinned=True))

    def _group_op(self, method: str, group_id: int) -> GroupOperationResult:
        return _group_result(self.rpc.request(method, [int(group_id)], idempotent=False, pinned=True))

    def start_group(self, group_id: int) -> GroupOperationResult:
        return self._group_op("startGroup", group_id)

    def stop_group(self, group_id: int) -> GroupOperationResult:
        return self._group_op("stopGroup", group_id)

    def remove_group(self, group_id: int) -> GroupOperationResult:
        return self._group_op("removeGroup", group_id)

    def recover_group(self, group_id: int) -> GroupOperationResult:
        return self._group_op("recoverGroup", group_id)

    def query_group_status(self, group_id: int) -> GroupOperationResult:
        return _group_result(self._read("queryGroupStatus", [int(group_id)]))

    def add_peers(self, endpoints: Sequence[str]) -> GroupOperationResult:
        return _group_result(self.rpc.request("addPeers", [list(endpoints)], idempotent=False, pinned=True))

    def erase_peers(self, endpoints: Sequence[str]) -> GroupOperationResult:
        return _group_result(self.rpc.request("erasePeers", [list(endpoints)], idempotent=False, pinned=True))

    def query_peers(self) -> tuple[str, ...]:
        return tuple(str(p) for p in items(self._read("queryPeers", [])))

    def rpc_modules(self) -> Mapping[str, Any]:
        return dict(obj(self._read("rpc_modules", []), "rpc modules"))
