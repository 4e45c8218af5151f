"""Every 2.x method: toJS encodings, strict positional params, node error codes."""

from __future__ import annotations

import base64
import json
import re
import zlib

import pytest

from fisco_drugtrace.devchain import DevChain

from devchain_helpers import SIGNERS, receipt2, result, rpc, send2, set_call, store_deploy, tx2

QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
NODE_ID = re.compile(r"^[0-9a-f]{128}$")


@pytest.fixture
def chain(v2: DevChain) -> DevChain:
    deploy = receipt2(v2, send2(v2, tx2(v2, "", store_deploy()))["result"])
    v2.address = deploy["contractAddress"]  # type: ignore[attr-defined]
    v2.deploy = deploy  # type: ignore[attr-defined]
    v2.call = receipt2(v2, send2(v2, tx2(v2, deploy["contractAddress"], set_call(5)))["result"])  # type: ignore[attr-defined]
    return v2


def test_node_and_network_methods(chain: DevChain) -> None:
    version = result(chain, "getClientVersion", [])
    assert version["Chain Id"] == "1" and "FISCO-BCOS Version" in version
    assert NODE_ID.match(result(chain, "getNodeInfo", [1])["NodeID"])  # declared without params: any accepted
    assert result(chain, "getGroupList", [1]) == [1]
    assert result(chain, "getPeers", [1]) == []
    assert [NODE_ID.match(n) for n in result(chain, "getGroupPeers", [1])]
    assert result(chain, "getNodeIDList", [1]) == [chain.config.node_id]
    assert result(chain, "getSealerList", [1]) == [chain.config.node_id]
    assert result(chain, "getObserverList", [1]) == []
    assert result(chain, "queryPeers", []) == []
    assert result(chain, "rpc_modules", []) == {"FISCO BCOS": "2.0"}
    assert rpc(chain, "getEpochSealersList", [1])["error"]["code"] == -40009


def test_quantities_are_minimal_hex(chain: DevChain) -> None:
    assert result(chain, "getBlockNumber", [1]) == "0x2"
    assert QUANTITY.match(result(chain, "getPbftView", [1]))
    assert result(chain, "getPendingTxSize", [1]) == "0x0"
    assert result(chain, "getTotalTransactionCount", [1]) == {"txSum": "0x2", "blockNumber": "0x2", "failedTxSum": "0x0"}


def test_status_methods(chain: DevChain) -> None:
    status, views = result(chain, "getConsensusStatus", [1])
    assert status["highestblockNumber"] == 2 and views == [{"nodeId": chain.config.node_id, "view": 2}]
    sync = result(chain, "getSyncStatus", [1])
    assert sync["blockNumber"] == 2 and sync["txPoolSize"] == "0" and not sync["latestHash"].startswith("0x")


def test_block_and_header_shapes(chain: DevChain) -> None:
    block = result(chain, "getBlockByNumber", [1, "0x1", False])
    assert block["number"] == "0x1" and block["transactions"] == [chain.deploy["transactionHash"]]
    assert len(block["logsBloom"]) == 2 + 512 and QUANTITY.match(block["timestamp"])
    assert result(chain, "getBlockByHash", [1, block["hash"], False]) == block
    full = result(chain, "getBlockByNumber", [1, "1", True])
    assert full["transactions"][0]["hash"] == chain.deploy["transactionHash"] and "signatureList" in full
    header = result(chain, "getBlockHeaderByNumber", [1, "0x1", False])
    assert header["number"] == 1 and "signatureList" not in header and "transactions" not in header
    assert "signatureList" in result(chain, "getBlockHeaderByHash", [1, block["hash"], True])
    assert result(chain, "getBlockHashByNumber", [1, "0x1"]) == block["hash"]
    assert rpc(chain, "getBlockHashByNumber", [1, "0x63"])["error"] == {"code": -40004,
                                                                        "message": "BlockNumber does not exist",
                                                                        "data": None}
    assert rpc(chain, "getBlockByHash", [1, "0x" + "11" * 32, False])["error"]["code"] == -40003
    assert rpc(chain, "getBlockByNumber", [1, "latest", False])["error"]["code"] == -32603


def test_transaction_lookups(chain: DevChain) -> None:
    tx_hash = chain.call["transactionHash"]
    tx = result(chain, "getTransactionByHash", [1, tx_hash])
    assert tx["from"] == SIGNERS[0].address and tx["to"] == chain.address and tx["blockNumber"] == "0x2"
    assert tx["transactionIndex"] == "0x0" and tx["chainId"] == "0x1" and tx["groupId"] == "0x1"
    assert tx["signature"]["v"] in ("0x0", "0x1") and len(tx["signature"]["signature"]) == 2 + 130
    block = result(chain, "getBlockByNumber", [1, "0x2", False])
    assert result(chain, "getTransactionByBlockHashAndIndex", [1, block["hash"], "0x0"]) == tx
    assert result(chain, "getTransactionByBlockNumberAndIndex", [1, "0x2", "0"]) == tx
    assert rpc(chain, "getTransactionByBlockNumberAndIndex", [1, "0x2", "0x5"])["error"]["code"] == -40005
    assert result(chain, "getTransactionByHash", [1, "0x" + "11" * 32]) is None
    assert result(chain, "getTransactionReceipt", [1, "0x" + "11" * 32]) is None
    proof = result(chain, "getTransactionByHashWithProof", [1, tx_hash])
    assert proof["transaction"] == tx and "txProof" in proof
    receipt_proof = result(chain, "getTransactionReceiptByHashWithProof", [1, tx_hash])
    assert receipt_proof["transactionReceipt"] == chain.call


def test_receipt_shape(chain: DevChain) -> None:
    receipt = chain.call
    assert set(receipt) >= {"root", "gasUsed", "remainGas", "contractAddress", "logsBloom", "status", "statusMsg",
                            "output", "logs", "transactionHash", "transactionIndex", "blockNumber", "blockHash",
                            "from", "to", "input"}
    assert receipt["status"] == "0x0" and receipt["statusMsg"] == "None"
    assert receipt["contractAddress"] == "0x" + "00" * 20
    assert int(receipt["gasUsed"], 16) + int(receipt["remainGas"], 16) == 300_000_000
    assert receipt["logs"][0]["address"] == chain.address


def test_pending_transactions(chain: DevChain) -> None:
    chain.chain.set_sealing(False)
    tx_hash = send2(chain, tx2(chain, chain.address, set_call(8)))["result"]
    pending = result(chain, "getPendingTransactions", [1])
    assert [p["hash"] for p in pending] == [tx_hash] and "blockNumber" not in pending[0]
    assert result(chain, "getPendingTxSize", [1]) == "0x1"


def test_code_call_and_system_config(chain: DevChain) -> None:
    assert result(chain, "getCode", [1, chain.address]).startswith("0x6080")
    assert result(chain, "getCode", [1, "0x" + "12" * 20]) == "0x"
    out = result(chain, "call", [1, {"from": SIGNERS[1].address, "to": chain.address, "value": "0x0",
                                     "data": "0x3fa4f245"}])
    assert out == {"currentBlockNumber": "0x2", "status": "0x0", "output": "0x" + (5).to_bytes(32, "big").hex()}
    assert rpc(chain, "call", [1, {"to": chain.address, "data": "0x"}])["error"]["code"] == -40006
    assert result(chain, "getSystemConfigByKey", [1, "tx_count_limit"]) == "1000"
    assert rpc(chain, "getSystemConfigByKey", [1, "nope"])["error"] == {"code": -40008,
                                                                        "message": "Invalid System Config",
                                                                        "data": None}


def test_batch_receipts(chain: DevChain) -> None:
    out = result(chain, "getBatchReceiptsByBlockNumberAndRange", [1, "0x2", "0", "-1", False])
    assert out["blockInfo"]["receiptsCount"] == "0x1"
    assert out["transactionReceipts"][0]["transactionHash"] == chain.call["transactionHash"]
    block_hash = out["blockInfo"]["blockHash"]
    packed = result(chain, "getBatchReceiptsByBlockHashAndRange", [1, block_hash, "0", "1", True])
    assert json.loads(zlib.decompress(base64.b64decode(packed))) == out
    assert rpc(chain, "getBatchReceiptsByBlockNumberAndRange", [1, "0x2", "5", "1", False])["error"]["code"] == -40099


def test_group_management(chain: DevChain) -> None:
    assert result(chain, "queryGroupStatus", [1])["status"] == "RUNNING"
    assert result(chain, "queryGroupStatus", [9])["status"] == "INEXISTENT"
    assert result(chain, "startGroup", [1])["code"] == "0x3"
    assert result(chain, "generateGroup", [1, {"timestamp": "1", "sealers": []}])["code"] == "0x2"
    assert result(chain, "stopGroup", [1])["code"] == "0x1"


@pytest.mark.parametrize("params", [
    [], ["1"], [1, 2], [True], [1.0],
])
def test_strict_params_for_get_block_number(chain: DevChain, params: list) -> None:
    response = rpc(chain, "getBlockNumber", params)
    assert response["error"]["code"] == -32602
    assert response["error"]["message"].startswith("INVALID_PARAMS")


@pytest.mark.parametrize(("method", "params"), [
    ("getBlockByNumber", [1, 1, False]),
    ("getBlockByNumber", [1, "0x1"]),
    ("getBlockByNumber", [1, "0x1", "false"]),
    ("getTransactionByHash", [1, 5]),
    ("call", [1, "not-an-object"]),
])
def test_strict_param_types(chain: DevChain, method: str, params: list) -> None:
    assert rpc(chain, method, params)["error"]["code"] == -32602


def test_unknown_group_is_minus_40001(chain: DevChain) -> None:
    assert rpc(chain, "getBlockNumber", [2])["error"] == {"code": -40001, "message": "GroupID does not exist",
                                                          "data": None}
