"""The Web3-compatible port, as a FISCO BCOS 3.9+ node serves it with ``[web3_rpc]`` enabled:
Ethereum JSON-RPC (``eth_``, ``net_``, ``web3_``) over the same chain state as the FISCO port,
so web3.py, ethers, Foundry's ``cast`` and Hardhat can deploy to and call the dev chain.

Read from FISCO-BCOS ``bcos-rpc/bcos-rpc/web3jsonrpc/``: the method set
(``endpoints/EndpointsMapping.cpp``), each method's answer (``endpoints/EthEndpoint.cpp``: balance
and gas price 0 without the balance feature, ``eth_accounts`` empty, ``eth_sign`` /
``eth_signTransaction`` ``"0x00"``, ``eth_protocolVersion`` MethodNotFound, ``eth_call`` failures as
``{code: status, message, data: output}``, an unknown receipt ``null``), the shapes
(``model/BlockResponse.cpp``: timestamp in *seconds*, gasLimit 30,000,000, baseFeePerGas 0;
``model/TransactionResponse.cpp``, ``model/ReceiptResponse.h``), the transaction conversion
(``model/Web3Transaction.cpp``, see :mod:`.ethtx`) and the limits (``bcos-tool/NodeConfig.cpp``:
``batch_request_size_limit`` 8, ``request_body_size_limit`` 10,240,000 bytes, port 8545).

A Web3 transaction becomes a 3.x transaction as on the node (``takeToTarsTransaction``): version 1
fields, ``nonce`` = the Ethereum nonce as a quantity, ``chainID`` = the Ethereum chain id,
``dataHash`` = the Ethereum signing hash, ``signature`` = ``r || s || v``, the sender recovered;
its hash is the Ethereum transaction hash on both ports. A deployment gets Ethereum's CREATE
address from (sender, nonce) — the node's rule with ``feature_evm_address``. Nonces are
Ethereum's: one per sender, in order, counted over the Web3 port's transactions.

Where a node and Anvil differ, this port takes the node's answers except (an Anvil user's
expectation, the issue's rule where the node is silent): ``eth_sendRawTransaction`` answers once
the transaction is sealed (the node's ``sync_transaction = true``); ``eth_sendTransaction`` sends
as an impersonated account (``dev_impersonateAccount``; the node answers the zero hash); the dev
chain's ``dev_`` controls and the common ``evm_`` / ``anvil_`` / ``hardhat_`` names for them are
served here too. A transaction carrying value is refused: the dev chain has no native coin.
``eth_estimateGas`` of a call is the execution gas (FISCO's count, at least 21,000); of a
deployment, 30,000,000 (the block gas limit reported).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from eth_utils import to_checksum_address

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.encoding import tx_v3
from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.errors import EncodingError, HexError, InvalidParams, RpcError, SignatureError
from fisco_drugtrace.jsonsafe import load_json

from .chain import WEB3_NONCE_PREFIX, Chain
from .codec import Admission
from .devcontrols import ChainControls, dev_methods
from .ethtx import EthTransaction, decode_eth_transaction
from .logfilter import parse_block_ref
from .records import ChainBlock, ChainReceipt, ChainTx
from .rpc_v3 import V3Methods

__all__ = ["Web3Port", "WEB3_BATCH_LIMIT", "WEB3_BODY_LIMIT", "WEB3_DEFAULT_PORT", "CLIENT_VERSION"]

WEB3_BATCH_LIMIT = 8
WEB3_BODY_LIMIT = 10_240_000
WEB3_DEFAULT_PORT = 8545
CLIENT_VERSION = "FISCO-BCOS-devchain/3.9.0/fisco-drugtrace"
BLOCK_GAS_LIMIT = 30_000_000
SEND_TIMEOUT = 60.0
_EMPTY_UNCLES = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
_ZERO32 = "0x" + "00" * 32

Handler = Callable[[list], Any]


def _q(value: int) -> str:
    return hex(value)


def _h(data: bytes) -> str:
    return "0x" + data.hex()


def _arg(params: list, index: int, default: Any = None) -> Any:
    return params[index] if index < len(params) else default


def _data(value: Any, what: str) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        raise InvalidParams(-32602, f"{what} must be a hex string")
    try:
        return to_bytes(value, what=what)
    except HexError as exc:
        raise InvalidParams(-32602, str(exc)) from exc


def _address(value: Any, what: str = "address") -> str:
    raw = _data(value, what)
    if len(raw) != 20:
        raise InvalidParams(-32602, f"{what} must be 20 bytes")
    return "0x" + raw.hex()


def _quantity(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise InvalidParams(-32602, f"{what} must be a hex quantity")


def _hash(value: Any) -> bytes:
    raw = _data(value, "hash")
    if len(raw) != 32:
        raise InvalidParams(-32602, "a hash is 32 bytes")
    return raw


def logs_bloom(receipts: list[ChainReceipt]) -> str:
    """The 2048-bit Ethereum bloom of the receipts' log addresses and topics."""
    bloom = 0
    for receipt in receipts:
        for log in receipt.logs:
            for item in (bytes.fromhex(log.address[2:]), *log.topics):
                digest = keccak256(item)
                for i in (0, 2, 4):
                    bloom |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return "0x" + bloom.to_bytes(256, "big").hex()


class Web3Port:
    """The Web3 JSON-RPC over one 3.x :class:`Chain`; ``handle_raw`` is what the HTTP server calls."""

    def __init__(self, chain: Chain, controls: ChainControls | None = None) -> None:
        self.chain = chain
        self.controls = controls if controls is not None else ChainControls(chain)
        self.chain_id = chain.config.web3_chain_id
        self._v3 = V3Methods(chain)  # its filters and log queries: the node shares them too
        self._group = str(chain.config.group_id)
        self.table: dict[str, Handler] = {
            "web3_clientVersion": lambda p: CLIENT_VERSION,
            "web3_sha3": lambda p: _h(keccak256(_data(_arg(p, 0), "data"))),
            "net_version": lambda p: str(self.chain_id),
            "net_peerCount": lambda p: "0x0",
            "net_listening": lambda p: True,
            "eth_syncing": lambda p: False,
            "eth_coinbase": lambda p: _h(keccak256(bytes.fromhex(chain.config.node_id))[12:]),
            "eth_chainId": lambda p: _q(self.chain_id),
            "eth_mining": lambda p: False,
            "eth_hashrate": lambda p: "0x0",
            "eth_gasPrice": lambda p: "0x0",
            "eth_maxPriorityFeePerGas": lambda p: "0x0",
            "eth_accounts": lambda p: [],
            "eth_blockNumber": lambda p: _q(chain.head.number),
            "eth_getBalance": lambda p: (_address(_arg(p, 0)), "0x0")[1],
            "eth_getStorageAt": self.get_storage_at,
            "eth_getTransactionCount": self.get_transaction_count,
            "eth_getBlockTransactionCountByHash": self.tx_count_by_hash,
            "eth_getBlockTransactionCountByNumber": self.tx_count_by_number,
            "eth_getUncleCountByBlockHash": lambda p: "0x0",
            "eth_getUncleCountByBlockNumber": lambda p: "0x0",
            "eth_getCode": lambda p: _h(chain.executor.code(_address(_arg(p, 0)))),
            "eth_sign": lambda p: "0x00",
            "eth_signTransaction": lambda p: "0x00",
            "eth_sendTransaction": self.send_transaction,
            "eth_sendRawTransaction": self.send_raw_transaction,
            "eth_call": self.call,
            "eth_estimateGas": self.estimate_gas,
            "eth_getBlockByHash": self.block_by_hash,
            "eth_getBlockByNumber": self.block_by_number,
            "eth_getTransactionByHash": self.tx_by_hash,
            "eth_getTransactionByBlockHashAndIndex": self.tx_by_block_hash_and_index,
            "eth_getTransactionByBlockNumberAndIndex": self.tx_by_block_number_and_index,
            "eth_getTransactionReceipt": self.receipt,
            "eth_getUncleByBlockHashAndIndex": lambda p: None,
            "eth_getUncleByBlockNumberAndIndex": lambda p: None,
            "eth_newFilter": lambda p: self._v3.new_filter([self._group, _arg(p, 0)]),
            "eth_newBlockFilter": lambda p: self._v3.new_block_filter([self._group]),
            "eth_newPendingTransactionFilter": lambda p: self._v3.new_pending_transaction_filter([self._group]),
            "eth_uninstallFilter": lambda p: self._v3.uninstall_filter([self._group, _arg(p, 0)]),
            "eth_getFilterChanges": lambda p: self._v3.get_filter_changes([self._group, _arg(p, 0)]),
            "eth_getFilterLogs": lambda p: self._v3.get_filter_logs([self._group, _arg(p, 0)]),
            "eth_getLogs": lambda p: self._v3.get_logs([self._group, _arg(p, 0)]),
            # not in the node's table; Foundry's cast and ethers ask for it before sending
            "eth_feeHistory": self.fee_history,
        }
        dev = dev_methods(self.controls, lambda receipt, tx: _h(receipt.tx_hash))
        self.table.update(dev)
        self.table.update(_aliases(dev))

    # ------------------------------------------------------------------ envelope
    def handle_raw(self, body: bytes) -> bytes:
        if len(body) > WEB3_BODY_LIMIT:
            return json.dumps(_error(None, -32600, "request body too large")).encode()
        try:
            request = load_json(body)
        except (ValueError, UnicodeDecodeError):
            return json.dumps(_error(None, -32700, "Parse error")).encode()
        return json.dumps(self.handle(request)).encode()

    def handle(self, request: Any) -> Any:
        if isinstance(request, list):
            if not request:
                return _error(None, -32600, "empty batch")
            if len(request) > WEB3_BATCH_LIMIT:
                return _error(None, -32600, "The requested array size exceeds the limit size: "
                                            f"{WEB3_BATCH_LIMIT}")
            return [self._one(r) for r in request]
        return self._one(request)

    def _one(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            return _error(None, -32600, "Invalid Request")
        req_id = request.get("id")
        if isinstance(req_id, (bool, float, dict, list)):
            return _error(None, -32600, "Invalid Request")
        method, params = request.get("method"), request.get("params", [])
        if not isinstance(method, str) or not isinstance(params, list):
            return _error(req_id, -32600, "Invalid Request")
        handler = self.table.get(method)
        if handler is None:
            return _error(req_id, -32601, f"Method not found: {method}"[:120])
        try:
            return {"jsonrpc": "2.0", "id": req_id, "result": handler(params)}
        except RpcError as exc:
            return _error(req_id, exc.code, exc.node_message, exc.data)
        except Exception as exc:  # the node answers, never dies
            return _error(req_id, -32603, f"Internal error: {type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------ state reads
    def _block_number(self, tag: Any) -> int:
        return parse_block_ref(tag, self.chain.head.number, default=self.chain.head.number)

    def get_storage_at(self, params: list) -> Any:
        address = _address(_arg(params, 0))
        slot = _quantity(_arg(params, 1), "position")
        return "0x" + self.chain.executor.storage(address, slot).to_bytes(32, "big").hex()

    def get_transaction_count(self, params: list) -> Any:
        address = _address(_arg(params, 0))
        count = self.chain.executor.web3_nonces.get(address, 0)
        if _arg(params, 1) == "pending":
            count += self._pending_from(address)
        return _q(count)

    def _pending_from(self, address: str) -> int:
        prefix = f"{WEB3_NONCE_PREFIX}{address}:"
        return sum(1 for t in self.chain.pool.pending() if t.nonce.startswith(prefix))

    def fee_history(self, params: list) -> Any:
        """All fees are zero (no gas is paid on FISCO without the balance feature)."""
        count = max(min(_quantity_any(_arg(params, 0, 1)), 1024), 0)
        newest = min(self._block_number(_arg(params, 1, "latest")), self.chain.head.number)
        count = min(count, newest + 1)
        percentiles = _arg(params, 2) or []
        return {"oldestBlock": _q(newest - count + 1), "baseFeePerGas": ["0x0"] * (count + 1),
                "gasUsedRatio": [0.0] * count, "reward": [["0x0"] * len(percentiles) for _ in range(count)]}

    # ------------------------------------------------------------------ transactions
    def send_raw_transaction(self, params: list) -> Any:
        raw = _data(_arg(params, 0), "signed transaction")
        try:
            eth = decode_eth_transaction(raw)
        except (EncodingError, SignatureError) as exc:
            raise InvalidParams(-32602, str(exc)) from exc
        if eth.chain_id is not None and eth.chain_id != self.chain_id:
            raise InvalidParams(-32602, f"invalid chain id {eth.chain_id}: this chain's is {self.chain_id}")
        self._submit(eth.sender, eth.to, eth.data, eth.nonce, eth.value, eth)
        return _h(eth.hash)

    def send_transaction(self, params: list) -> Any:
        tx = _arg(params, 0)
        if not isinstance(tx, dict):
            raise InvalidParams(-32602, "a transaction object {from, to, data}")
        sender = _address(tx.get("from"), "from")
        if not self.controls.is_impersonated(sender):
            raise InvalidParams(-32602, f"{sender} is not impersonated (dev_impersonateAccount): "
                                        "sign the transaction and use eth_sendRawTransaction")
        data = _data(tx.get("input", tx.get("data")), "data")
        to = _address(tx["to"], "to") if tx.get("to") else ""
        expected = self.chain.executor.web3_nonces.get(sender, 0) + self._pending_from(sender)
        nonce = _quantity(tx["nonce"], "nonce") if tx.get("nonce") is not None else expected
        value = _quantity(tx["value"], "value") if tx.get("value") is not None else 0
        return _h(self._submit(sender, to, data, nonce, value, None))

    def _submit(self, sender: str, to: str, data: bytes, nonce: int, value: int, eth: EthTransaction | None) -> bytes:
        if value:
            raise InvalidParams(-32602, "value transfers are not supported: the dev chain has no native coin")
        expected = self.chain.executor.web3_nonces.get(sender, 0) + self._pending_from(sender)
        if nonce != expected:
            word = "low" if nonce < expected else "high"
            raise RpcError(-32603, f"VM Exception while processing transaction, reason: NonceCheckFail, "
                                   f"msg: nonce too {word}: {nonce}, next is {expected}")
        admission = self._admission(sender, to, data, nonce, eth)
        try:
            receipt, _ = self.chain.send_and_wait(b"", SEND_TIMEOUT, pre=admission)
        except RpcError as exc:  # the txpool's refusal, as the node words it on this port
            raise RpcError(-32603, f"VM Exception while processing transaction, reason: {exc.node_message}, "
                                   "msg: 0x", {"txHash": _h(admission.tx.hash)}) from exc
        return receipt.tx_hash

    def _admission(self, sender: str, to: str, data: bytes, nonce: int, eth: EthTransaction | None) -> Admission:
        chain = self.chain
        config = chain.config
        now = chain.clock.now()
        fields = tx_v3.TransactionData(
            version=1, chain_id=str(self.chain_id), group_id=self._group, block_limit=chain.head.number + 500,
            nonce=_q(nonce), to=to, input=data, abi="", value="0x0",
            gas_price=_q(eth.gas_price) if eth is not None and eth.type < 2 else "",
            gas_limit=eth.gas if eth is not None else 0,
            max_fee_per_gas=_q(eth.gas_price) if eth is not None and eth.type == 2 else "",
            max_priority_fee_per_gas=_q(eth.max_priority_fee) if eth is not None and eth.type == 2 else "")
        if eth is not None:
            signature = eth.r.to_bytes(32, "big") + eth.s.to_bytes(32, "big") + bytes([eth.v if eth.type else
                                                                                      (eth.v - 27 if eth.v < 35 else (eth.v - 35) % 2)])
            tx = tx_v3.Transaction(fields, eth.signing_hash, signature, now, 0, _h(eth.raw), bytes.fromhex(sender[2:]))
            tx_hash = eth.hash
        else:  # impersonated: no signature; the hash covers the fields and the sender
            digest = keccak256(tx_v3.data_hash(fields, chain.suite) + bytes.fromhex(sender[2:]))
            tx = tx_v3.Transaction(fields, digest, b"", now, 0, "", bytes.fromhex(sender[2:]))
            tx_hash = digest
        chain_tx = ChainTx(tx_hash, tx_v3.encode_transaction(tx), sender, to, data,
                           f"{WEB3_NONCE_PREFIX}{sender}:{nonce}", fields.block_limit, "", now, tx)
        return Admission(chain_tx, str(config.chain_id), self._group, True)

    def _call_args(self, params: list) -> tuple[str, str, bytes]:
        obj = _arg(params, 0)
        if not isinstance(obj, dict):
            raise InvalidParams(-32602, "Invalid call request!")
        sender = _address(obj["from"], "from") if obj.get("from") else "0x" + "00" * 20
        to = _address(obj["to"], "to") if obj.get("to") else ""
        return sender, to, _data(obj.get("input", obj.get("data")), "data")

    def call(self, params: list) -> Any:
        sender, to, data = self._call_args(params)
        if not to:
            raise InvalidParams(-32602, "eth_call needs a 'to' address")
        out = self.chain.call(sender, to, data)
        if out.status != 0:
            message = "execution reverted" if out.status == 16 else f"execution failed (status {out.status})"
            raise RpcError(out.status, message, _h(out.output))
        return _h(out.output)

    def estimate_gas(self, params: list) -> Any:
        sender, to, data = self._call_args(params)
        if not to:
            return _q(BLOCK_GAS_LIMIT)
        out = self.chain.call(sender, to, data)
        if out.status != 0:
            message = "execution reverted" if out.status == 16 else f"execution failed (status {out.status})"
            raise RpcError(out.status, message, _h(out.output))
        return _q(max(out.gas_used, 21_000))

    # ------------------------------------------------------------------ blocks, transactions, receipts
    def _block_json(self, block: ChainBlock | None, full: bool) -> Any:
        if block is None:
            return None
        receipts = self.chain.store.receipts_in_block(block.number)
        txs = self.chain.store.txs_in_block(block.number) if full else []
        out: dict[str, Any] = {
            "number": _q(block.number), "hash": _h(block.hash),
            "parentHash": _h(block.parent_hash) if block.number else _ZERO32,
            "nonce": "0x0000000000000000", "sha3Uncles": _EMPTY_UNCLES, "logsBloom": logs_bloom(receipts),
            "transactionsRoot": _h(block.txs_root), "stateRoot": _h(block.state_root),
            "receiptsRoot": _h(block.receipts_root),
            "miner": _h(keccak256(bytes.fromhex(self.chain.config.node_id))[12:]),
            "difficulty": "0x0", "totalDifficulty": "0x0", "extraData": "0x", "size": _q(0),
            "gasLimit": _q(BLOCK_GAS_LIMIT), "gasUsed": _q(block.gas_used), "timestamp": _q(block.timestamp // 1000),
            "transactions": ([self._tx_json(t, block, i) for i, t in enumerate(txs)] if full
                             else [_h(h) for h in block.tx_hashes]),
            "uncles": [], "mixHash": _ZERO32, "baseFeePerGas": "0x0", "withdrawals": [], "withdrawalsRoot": _ZERO32,
            "blobGasUsed": "0x0", "excessBlobGas": "0x0", "parentBeaconBlockRoot": _ZERO32,
        }
        return out

    def block_by_number(self, params: list) -> Any:
        return self._block_json(self.chain.block(self._block_number(_arg(params, 0))), bool(_arg(params, 1, False)))

    def block_by_hash(self, params: list) -> Any:
        block = self.chain.store.block_by_hash(_hash(_arg(params, 0)))
        if block is not None and block.number > self.chain.head.number:
            block = None
        return self._block_json(block, bool(_arg(params, 1, False)))

    def tx_count_by_hash(self, params: list) -> Any:
        block = self.chain.store.block_by_hash(_hash(_arg(params, 0)))
        return _q(len(block.tx_hashes)) if block is not None else "0x0"

    def tx_count_by_number(self, params: list) -> Any:
        block = self.chain.block(self._block_number(_arg(params, 0)))
        return _q(len(block.tx_hashes)) if block is not None else "0x0"

    def _eth_of(self, tx: ChainTx) -> EthTransaction | None:
        if not tx.nonce.startswith(WEB3_NONCE_PREFIX):
            return None
        decoded = self.chain.codec.redecode(tx)
        if not decoded.extra_data:
            return None  # impersonated: no signed Ethereum bytes
        return decode_eth_transaction(bytes.fromhex(decoded.extra_data[2:]))

    def _tx_json(self, tx: ChainTx, block: ChainBlock, index: int) -> dict[str, Any]:
        eth = self._eth_of(tx)
        decoded = self.chain.codec.redecode(tx)
        out: dict[str, Any] = {
            "blockHash": _h(block.hash), "blockNumber": _q(block.number), "transactionIndex": _q(index),
            "from": tx.sender, "to": tx.to or None, "hash": _h(tx.hash), "input": _h(tx.input),
        }
        if eth is not None:
            out.update(gas=_q(eth.gas), gasPrice=_q(eth.gas_price), nonce=_q(eth.nonce), type=_q(eth.type),
                       value=_q(eth.value), chainId=_q(eth.chain_id or 0), v=_q(eth.v), r=_q(eth.r), s=_q(eth.s))
            if eth.type:
                out["accessList"] = []
            if eth.type == 2:
                out.update(maxFeePerGas=_q(eth.gas_price), maxPriorityFeePerGas=_q(eth.max_priority_fee))
            return out
        signature = decoded.signature or bytes(65)
        nonce = tx.nonce.rsplit(":", 1)[1] if tx.nonce.startswith(WEB3_NONCE_PREFIX) else None
        out.update(gas=_q(decoded.data.gas_limit), gasPrice="0x0", type="0x0", value="0x0",
                   nonce=_q(int(nonce)) if nonce is not None else "0x" + decoded.data.nonce.encode().hex(),
                   chainId="0x0", r=_q(int.from_bytes(signature[:32], "big")),
                   s=_q(int.from_bytes(signature[32:64], "big")), v=_q(signature[64] if len(signature) > 64 else 0))
        return out

    def _committed(self, tx_hash: bytes) -> tuple[ChainTx, ChainBlock, int] | None:
        found = self.chain.store.tx(tx_hash)
        if found is None or found[1] > self.chain.head.number:
            return None
        block = self.chain.block(found[1])
        return (found[0], block, found[2]) if block is not None else None

    def tx_by_hash(self, params: list) -> Any:
        found = self._committed(_hash(_arg(params, 0)))
        return self._tx_json(*found) if found is not None else None

    def _tx_at(self, block: ChainBlock | None, index: Any) -> Any:
        position = _quantity(index, "index")
        if block is None or position >= len(block.tx_hashes):
            return None
        return self._tx_json(self.chain.store.txs_in_block(block.number)[position], block, position)

    def tx_by_block_hash_and_index(self, params: list) -> Any:
        return self._tx_at(self.chain.store.block_by_hash(_hash(_arg(params, 0))), _arg(params, 1))

    def tx_by_block_number_and_index(self, params: list) -> Any:
        return self._tx_at(self.chain.block(self._block_number(_arg(params, 0))), _arg(params, 1))

    def receipt(self, params: list) -> Any:
        found = self._committed(_hash(_arg(params, 0)))
        if found is None:
            return None
        tx, block, index = found
        receipts = self.chain.store.receipts_in_block(block.number)
        receipt = receipts[index]
        eth = self._eth_of(tx)
        first_log = sum(len(r.logs) for r in receipts[:index])
        return {
            "transactionHash": _h(tx.hash), "transactionIndex": _q(index), "blockHash": _h(block.hash),
            "blockNumber": _q(block.number), "from": tx.sender, "to": tx.to or None,
            "cumulativeGasUsed": _q(sum(r.gas_used for r in receipts[:index + 1])), "gasUsed": _q(receipt.gas_used),
            "effectiveGasPrice": "0x0",
            "contractAddress": to_checksum_address(receipt.contract_address) if receipt.contract_address else None,
            "logs": [self._v3.log_json(block.number, first_log + i, index, tx.hash, log, block.hash)
                     for i, log in enumerate(receipt.logs)],
            "logsBloom": logs_bloom([receipt]), "type": _q(eth.type if eth is not None else 0),
            "status": "0x1" if receipt.status == 0 else "0x0",
        }


def _error(req_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": req_id, "error": error}


def _aliases(dev: dict[str, Handler]) -> dict[str, Handler]:
    """The names Anvil / Hardhat / Ganache users call for the same controls (Ethereum's are in
    seconds where ours are in milliseconds)."""

    def seconds(name: str) -> Handler:
        def handler(params: list) -> Any:
            got = dev[name]([_quantity_any(_arg(params, 0)) * 1000])
            return _q(got // 1000) if isinstance(got, int) and not isinstance(got, bool) else got
        return handler

    def automine(params: list) -> Any:
        return dev["dev_setMining"](["auto" if _arg(params, 0) else "manual"])

    def interval(params: list) -> Any:
        ms = _quantity_any(_arg(params, 0))
        return dev["dev_setMining"](["interval", ms] if ms else ["auto"])

    out = {
        "evm_snapshot": dev["dev_snapshot"], "evm_revert": dev["dev_revert"],
        "evm_mine": lambda p: (dev["dev_mine"]([1]), "0x0")[1], "evm_increaseTime": seconds("dev_increaseTime"),
        "evm_setNextBlockTimestamp": seconds("dev_setNextBlockTimestamp"),
        "evm_setAutomine": automine, "evm_setIntervalMining": interval,
    }
    for prefix in ("anvil_", "hardhat_"):
        out[prefix + "impersonateAccount"] = dev["dev_impersonateAccount"]
        out[prefix + "stopImpersonatingAccount"] = dev["dev_stopImpersonatingAccount"]
        out[prefix + "setCode"] = dev["dev_setCode"]
        out[prefix + "setStorageAt"] = dev["dev_setStorageAt"]
        out[prefix + "mine"] = lambda p: (dev["dev_mine"]([_quantity_any(_arg(p, 0, 1))]), None)[1]
    return out


def _quantity_any(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value[:2] in ("0x", "0X") else int(value)
        except ValueError:
            pass
    raise InvalidParams(-32602, f"expected a number, got {value!r}")
