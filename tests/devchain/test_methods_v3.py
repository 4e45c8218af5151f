"""Every 3.x method answers with the node's result shape (raw JSON-RPC dicts)."""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.devchain import DevChain
from fisco_drugtrace.devchain.rpc_v3 import V3Methods

from devchain_helpers import SIGNERS, deploy3, result, rpc, send3, set_call, tx3

G = ["group0", ""]
HEX32 = 66


@pytest.fixture
def chain(v3: DevChain) -> DevChain:
    receipt = deploy3(v3, abi='[{"type":"function","name":"value"}]')
    v3.address = receipt["contractAddress"]  # type: ignore[attr-defined]
    v3.deploy_hash = receipt["transactionHash"]  # type: ignore[attr-defined]
    v3.call_receipt = send3(v3, tx3(v3, receipt["contractAddress"], set_call(9)))["result"]  # type: ignore[attr-defined]
    return v3


def test_method_table_has_all_32_methods(v3: DevChain) -> None:
    assert len(V3Methods(v3.chain).table) == 32


def test_get_block_number_and_totals(chain: DevChain) -> None:
    assert result(chain, "getBlockNumber", G) == 2
    assert result(chain, "getTotalTransactionCount", G) == {"blockNumber": 2, "transactionCount": 2,
                                                             "failedTransactionCount": 0}


def test_transaction_object(chain: DevChain) -> None:
    tx = result(chain, "getTransaction", G + [chain.deploy_hash, False])
    assert set(tx) >= {"version", "hash", "nonce", "blockLimit", "to", "input", "from", "importTime", "chainID",
                       "groupID", "abi", "signature", "extraData"}
    assert tx["hash"] == chain.deploy_hash and tx["from"] == SIGNERS[0].address
    assert tx["chainID"] == "chain0" and tx["groupID"] == "group0" and tx["to"] == ""
    assert isinstance(tx["blockLimit"], int) and isinstance(tx["importTime"], int)
    bytes.fromhex(tx["nonce"])  # hex of the nonce string's bytes, no 0x
    assert not tx["nonce"].startswith("0x") and len(tx["signature"]) == 2 + 130
    assert json.loads(tx["abi"])[0]["name"] == "value"
    proof = result(chain, "getTransaction", G + [chain.deploy_hash, True])
    assert "txProof" in proof


def test_receipt_object(chain: DevChain) -> None:
    receipt = result(chain, "getTransactionReceipt", G + [chain.call_receipt["transactionHash"], False])
    assert receipt == chain.call_receipt
    assert isinstance(receipt["status"], int) and isinstance(receipt["blockNumber"], int)
    assert receipt["gasUsed"].isdigit() and len(receipt["hash"]) == HEX32
    assert receipt["contractAddress"] == "" and receipt["to"] == chain.address
    assert set(receipt["logEntries"][0]) == {"address", "topics", "data"}


def test_unknown_receipt_and_transaction_are_ledger_errors(chain: DevChain) -> None:
    for method in ("getTransactionReceipt", "getTransaction"):
        response = rpc(chain, method, G + ["0x" + "11" * 32, False])
        assert response["error"]["code"] == 3008


def test_blocks_by_number_and_hash(chain: DevChain) -> None:
    header = result(chain, "getBlockByNumber", G + [1])
    assert "transactions" not in header  # onlyHeader defaults to true
    full = result(chain, "getBlockByNumber", G + [1, False, False])
    assert full["transactions"][0]["hash"] == chain.deploy_hash
    hashes = result(chain, "getBlockByNumber", G + [1, False, True])
    assert hashes["transactions"] == [chain.deploy_hash]
    assert set(header) >= {"hash", "version", "txsRoot", "receiptsRoot", "stateRoot", "number", "gasUsed",
                           "timestamp", "sealer", "extraData", "consensusWeights", "sealerList", "parentInfo",
                           "signatureList"}
    assert header["number"] == 1 and header["gasUsed"].isdigit()
    genesis = result(chain, "getBlockByNumber", G + [0])
    assert header["parentInfo"] == [{"blockNumber": 0, "blockHash": genesis["hash"]}]
    by_hash = result(chain, "getBlockByHash", G + [header["hash"], True, True])
    assert by_hash == header
    assert result(chain, "getBlockHashByNumber", G + [1]) == header["hash"]
    assert result(chain, "getBlockHashByNumber", G + [99]) == "0x" + "00" * 32
    assert rpc(chain, "getBlockByNumber", G + [99])["error"]["code"] == 3008


def test_code_and_abi(chain: DevChain) -> None:
    assert result(chain, "getCode", G + [chain.address]).startswith("0x6080")
    assert result(chain, "getCode", G + ["0x" + "12" * 20]) == ""
    assert json.loads(result(chain, "getABI", G + [chain.address]))[0]["name"] == "value"
    assert result(chain, "getABI", G + ["0x" + "12" * 20]) == ""


def test_consensus_lists(chain: DevChain) -> None:
    sealers = result(chain, "getSealerList", G)
    assert sealers == [{"nodeID": chain.config.node_id, "weight": 1, "termWeight": 1}]
    assert result(chain, "getObserverList", G) == []
    assert result(chain, "getNodeListByType", G + ["consensus_sealer"]) == sealers
    assert result(chain, "getNodeListByType", G + ["consensus_observer"]) == []
    assert isinstance(result(chain, "getPbftView", G), int)
    assert result(chain, "getPendingTxSize", G) == 0


def test_sync_and_consensus_status_are_json_strings(chain: DevChain) -> None:
    sync = json.loads(result(chain, "getSyncStatus", G))
    assert sync["blockNumber"] == 2 and sync["isSyncing"] is False and sync["peers"] == []
    assert set(sync) >= {"genesisHash", "nodeID", "latestHash", "knownHighestNumber", "knownLatestHash",
                         "archivedBlockNumber"}
    consensus = json.loads(result(chain, "getConsensusStatus", G))
    assert consensus["blockNumber"] == 2 and consensus["consensusNodesNum"] == 1
    assert consensus["consensusNodeList"][0]["nodeID"] == chain.config.node_id


def test_system_config(chain: DevChain) -> None:
    assert result(chain, "getSystemConfigByKey", G + ["tx_count_limit"]) == {"value": "1000", "blockNumber": 0}
    assert rpc(chain, "getSystemConfigByKey", G + ["no_such_key"])["error"]["code"] == 3008


def test_peers_and_groups(chain: DevChain) -> None:
    peers = result(chain, "getPeers", [])
    assert peers["p2pNodeID"] == chain.config.node_id and peers["peers"] == []
    assert result(chain, "getGroupPeers", ["group0"]) == [chain.config.node_id]
    assert result(chain, "getGroupList", []) == {"code": 0, "msg": "success", "groupList": ["group0"]}
    info = result(chain, "getGroupInfo", ["group0"])
    assert info["chainID"] == "chain0" and info["groupID"] == "group0"
    assert json.loads(info["genesisConfig"])["txGasLimit"] == 3_000_000_000
    assert result(chain, "getGroupInfoList", []) == [info]
    node = result(chain, "getGroupNodeInfo", G)
    ini = json.loads(node["iniConfig"])
    assert ini["chainID"] == "chain0" and ini["smCryptoType"] is False and node["type"] == 0
    assert set(node["protocol"]) == {"minSupportedVersion", "maxSupportedVersion", "compatibilityVersion"}


def test_unknown_group_or_node_is_minus_32000(chain: DevChain) -> None:
    assert rpc(chain, "getBlockNumber", ["group9", ""])["error"]["code"] == -32000
    assert rpc(chain, "getBlockNumber", ["group0", "node-x"])["error"]["code"] == -32000
    assert rpc(chain, "getBlockNumber", ["group0", "node0"])["result"] == 2


def test_call_result_shape(chain: DevChain) -> None:
    out = result(chain, "call", G + [chain.address, "0x3fa4f245"])  # value()
    assert out == {"blockNumber": 2, "status": 0, "output": "0x" + (9).to_bytes(32, "big").hex()}


def test_send_transaction_with_proof_flag(chain: DevChain) -> None:
    response = rpc(chain, "sendTransaction", G + ["0x" + tx3(chain, chain.address, set_call(1)).hex(), True])
    assert response["result"]["status"] == 0 and "receiptProof" in response["result"]


@pytest.mark.parametrize(("method", "params"), [
    ("getBlockByNumber", G + ["not-a-number"]),
    ("getTransaction", G + ["0x1234", False]),
    ("getCode", G + ["0xzz"]),
    ("call", G + [123, "0x"]),
    ("getBlockByNumber", G + [1, "yes"]),
])
def test_bad_params_are_minus_32602(chain: DevChain, method: str, params: list) -> None:
    assert rpc(chain, method, params)["error"]["code"] == -32602
