"""3.x getLogs and polling filters, as auditors use them to index events."""

from __future__ import annotations

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.devchain import DevChain

from devchain_helpers import SIGNERS, deploy3, result, rpc, send3, set_call, tx3

STORED = "0x" + ECDSA.hash(b"Stored(address,uint256)").hex()


def topic_of(address: str) -> str:
    return "0x" + bytes(12).hex() + address[2:]


def test_get_logs_filters_by_range_address_and_topics(v3: DevChain) -> None:
    a = deploy3(v3)["contractAddress"]
    b = deploy3(v3)["contractAddress"]
    send3(v3, tx3(v3, a, set_call(1), signer=SIGNERS[0]))
    send3(v3, tx3(v3, b, set_call(2), signer=SIGNERS[1]))
    send3(v3, tx3(v3, a, set_call(3), signer=SIGNERS[1]))
    everything = {"fromBlock": "earliest", "toBlock": "latest", "address": [], "topics": []}
    logs = result(v3, "getLogs", ["group0", everything])
    assert [int(log["data"], 16) for log in logs] == [1, 2, 3]
    log = logs[0]
    assert set(log) == {"address", "topics", "data", "logIndex", "blockNumber", "blockHash", "transactionIndex",
                        "transactionHash", "removed"}
    assert log["blockNumber"] == "0x3" and log["logIndex"] == "0x0" and log["removed"] is False
    assert log["blockHash"] == result(v3, "getBlockHashByNumber", ["group0", "", 3])
    only_a = result(v3, "getLogs", ["group0", {**everything, "address": a}])
    assert [int(x["data"], 16) for x in only_a] == [1, 3]
    by_sender = result(v3, "getLogs", ["group0", {**everything, "topics": [STORED, topic_of(SIGNERS[1].address)]}])
    assert [int(x["data"], 16) for x in by_sender] == [2, 3]
    either = result(v3, "getLogs", ["group0", {**everything, "topics": [None, [topic_of(SIGNERS[0].address)]]}])
    assert [int(x["data"], 16) for x in either] == [1]
    ranged = result(v3, "getLogs", ["group0", {**everything, "fromBlock": "0x4", "toBlock": 4}])
    assert [int(x["data"], 16) for x in ranged] == [2]


def test_log_filter_reports_only_new_logs(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    send3(v3, tx3(v3, address, set_call(1)))
    fid = result(v3, "newFilter", ["group0", {"fromBlock": "latest", "toBlock": "latest", "address": address,
                                              "topics": []}])
    assert fid.startswith("0x")
    assert result(v3, "getFilterChanges", ["group0", fid]) == []
    send3(v3, tx3(v3, address, set_call(2)))
    send3(v3, tx3(v3, address, set_call(3)))
    assert [int(x["data"], 16) for x in result(v3, "getFilterChanges", ["group0", fid])] == [2, 3]
    assert result(v3, "getFilterChanges", ["group0", fid]) == []
    assert [int(x["data"], 16) for x in result(v3, "getFilterLogs", ["group0", fid])] == [3]  # latest block only
    assert result(v3, "uninstallFilter", ["group0", fid]) is True
    assert result(v3, "uninstallFilter", ["group0", fid]) is False
    assert "error" in rpc(v3, "getFilterChanges", ["group0", fid])


def test_filter_from_earliest_has_full_history(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    send3(v3, tx3(v3, address, set_call(1)))
    fid = result(v3, "newFilter", ["group0", {"fromBlock": "0x0", "toBlock": "latest", "address": [], "topics": []}])
    assert [int(x["data"], 16) for x in result(v3, "getFilterLogs", ["group0", fid])] == [1]
    assert [int(x["data"], 16) for x in result(v3, "getFilterChanges", ["group0", fid])] == [1]


def test_block_filter(v3: DevChain) -> None:
    fid = result(v3, "newBlockFilter", ["group0"])
    deploy3(v3)
    deploy3(v3)
    hashes = result(v3, "getFilterChanges", ["group0", fid])
    assert hashes == [result(v3, "getBlockHashByNumber", ["group0", "", n]) for n in (1, 2)]
    assert result(v3, "getFilterChanges", ["group0", fid]) == []


def test_pending_transaction_filter(v3: DevChain) -> None:
    fid = result(v3, "newPendingTransactionFilter", ["group0"])
    receipt = deploy3(v3)
    assert result(v3, "getFilterChanges", ["group0", fid]) == [receipt["transactionHash"]]
    assert result(v3, "getFilterChanges", ["group0", fid]) == []


def test_bad_filter_params(v3: DevChain) -> None:
    assert rpc(v3, "getLogs", ["group0", {"fromBlock": "soon"}])["error"]["code"] == -32602
    assert rpc(v3, "getLogs", ["group0", {"address": "0x12"}])["error"]["code"] == -32602
    assert rpc(v3, "getLogs", ["group0", "not an object"])["error"]["code"] == -32602
    assert rpc(v3, "getFilterChanges", ["group0", "0x99"])["error"]["code"] == -32602


def test_address_only_get_logs_equals_the_topic_filtered_path(v3: DevChain) -> None:
    """Without a topic filter getLogs takes a SQL-side path (address filter and hex in SQLite);
    its objects must be exactly those of the general path (here forced by a topic every log has)."""
    a = deploy3(v3)["contractAddress"]
    b = deploy3(v3)["contractAddress"]
    for i, (to, signer) in enumerate([(a, 0), (b, 1), (a, 1), (b, 0)]):
        send3(v3, tx3(v3, to, set_call(i + 1), signer=SIGNERS[signer]))
    everything = {"fromBlock": "earliest", "toBlock": "latest"}
    for address in ([], a, [a.upper().replace("0X", "0x"), b], [b]):
        fast = result(v3, "getLogs", ["group0", {**everything, "address": address, "topics": []}])
        general = result(v3, "getLogs", ["group0", {**everything, "address": address, "topics": [STORED]}])
        assert fast == general and fast
    head = result(v3, "getLogs", ["group0", {"fromBlock": "latest", "toBlock": "latest"}])
    number = int(head[0]["blockNumber"], 16)
    assert head[0]["blockHash"] == result(v3, "getBlockHashByNumber", ["group0", "", number])
