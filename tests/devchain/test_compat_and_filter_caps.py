"""The dev chain as nodes of different 3.x versions, and a node's filter limits.

- ``compat="3.7"``: no ``getLogs`` / filter methods (MethodNotFound, as 3.0-3.8 nodes), the
  binary version says 3.7.
- ``filter_max_process_block`` (10): one ``getLogs`` answers the first 10 blocks of its range
  only; ``getFilterChanges`` advances at most 10 blocks per poll (bcos-rpc FilterSystem.cpp).
- filters unpolled for ``filter_timeout`` (300 s) are gone; the number of live filters is capped.
"""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.errors import DevChainError

from devchain_helpers import deploy3, result, rpc, send3, set_call, tx3

FILTER_METHODS = ["getLogs", "newFilter", "newBlockFilter", "newPendingTransactionFilter", "getFilterChanges",
                  "getFilterLogs", "uninstallFilter"]
EVERYTHING = {"fromBlock": "earliest", "toBlock": "latest", "address": [], "topics": []}


def _store_blocks(chain: DevChain, count: int) -> str:
    """Deploy one contract (block 1) and set it ``count`` times, one block each (2..count+1)."""
    address = deploy3(chain)["contractAddress"]
    for value in range(1, count + 1):
        send3(chain, tx3(chain, address, set_call(value)))
    return address


def test_a_37_node_has_no_log_methods() -> None:
    chain = DevChain(DevChainConfig(compat="3.7"))
    try:
        for method in FILTER_METHODS:
            answer = rpc(chain, method, ["group0", EVERYTHING if method in ("getLogs", "newFilter") else "0x1"])
            assert answer["error"]["code"] == -32601, method
        info = result(chain, "getGroupNodeInfo", ["group0", ""])
        assert json.loads(info["iniConfig"])["binaryInfo"]["version"].startswith("v3.7.")
        assert result(chain, "getBlockNumber", ["group0", ""]) == 0  # everything else still answers
    finally:
        chain.close()


def test_the_default_answers_as_39_with_the_methods() -> None:
    chain = DevChain(DevChainConfig())
    try:
        info = result(chain, "getGroupNodeInfo", ["group0", ""])
        assert json.loads(info["iniConfig"])["binaryInfo"]["version"].startswith("v3.9.")
        assert result(chain, "getLogs", ["group0", EVERYTHING]) == []
    finally:
        chain.close()


def test_get_logs_processes_at_most_ten_blocks_of_its_range() -> None:
    chain = DevChain(DevChainConfig())
    try:
        _store_blocks(chain, 25)
        logs = result(chain, "getLogs", ["group0", EVERYTHING])
        assert [int(x["blockNumber"], 16) for x in logs] == list(range(2, 10))  # blocks 0..9 only
        later = result(chain, "getLogs", ["group0", {**EVERYTHING, "fromBlock": 10}])
        assert [int(x["data"], 16) for x in later] == list(range(9, 19))  # blocks 10..19
    finally:
        chain.close()


def test_filter_changes_advance_ten_blocks_per_poll() -> None:
    chain = DevChain(DevChainConfig())
    try:
        log_filter = result(chain, "newFilter", ["group0", {"fromBlock": "latest", "address": [], "topics": []}])
        block_filter = result(chain, "newBlockFilter", ["group0"])
        _store_blocks(chain, 24)  # blocks 1..25
        sizes = [len(result(chain, "getFilterChanges", ["group0", log_filter])) for _ in range(4)]
        assert sizes == [9, 10, 5, 0]  # block 1 is the deploy (no log), then 10 blocks a poll
        blocks = [len(result(chain, "getFilterChanges", ["group0", block_filter])) for _ in range(4)]
        assert blocks == [10, 10, 5, 0]
    finally:
        chain.close()


def test_filters_expire_unpolled_and_polling_renews_them() -> None:
    chain = DevChain(DevChainConfig())
    now = [1000.0]
    try:
        registry = _registry(chain)
        registry._clock = lambda: now[0]
        polled = result(chain, "newBlockFilter", ["group0"])
        idle = result(chain, "newBlockFilter", ["group0"])
        now[0] += 200
        result(chain, "getFilterChanges", ["group0", polled])
        now[0] += 200  # idle: 400 s unpolled; polled: 200 s
        assert rpc(chain, "getFilterChanges", ["group0", idle])["error"]["message"] == "filter not found"
        assert result(chain, "getFilterChanges", ["group0", polled]) == []
    finally:
        chain.close()


def test_live_filters_are_capped() -> None:
    chain = DevChain(DevChainConfig(max_filters=3, filter_timeout_s=60))
    now = [0.0]
    try:
        _registry(chain)._clock = lambda: now[0]
        ids = [result(chain, "newBlockFilter", ["group0"]) for _ in range(3)]
        refused = rpc(chain, "newBlockFilter", ["group0"])
        assert refused["error"]["code"] == -32602 and "too many live filters" in refused["error"]["message"]
        assert result(chain, "uninstallFilter", ["group0", ids[0]]) is True
        assert result(chain, "newBlockFilter", ["group0"])
        now[0] += 61  # all expired: room again
        assert result(chain, "newBlockFilter", ["group0"])
    finally:
        chain.close()


@pytest.mark.parametrize("bad", [{"compat": "3.8"}, {"filter_max_process_block": 0}, {"max_filters": 0}])
def test_bad_settings_are_refused(bad) -> None:
    with pytest.raises(DevChainError):
        DevChainConfig(**bad)


def _registry(chain: DevChain):
    """The 3.x method table's filter registry (the one place filters live)."""
    return chain.methods.filters


def test_the_runner_starts_a_37_node_the_sdk_reads_through_blocks(tmp_path) -> None:
    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import Settings
    from fisco_drugtrace.devchain import runner

    running = runner.start(runner.StartOptions(port=0, compat="3.7"))
    try:
        client = connect(Settings(urls=(running.url,), retries=0))
        assert client.node_version() == (3, 7, 0) and client.has_log_methods() is False
        address = _store_blocks(running.devchain, 3)
        logs = client.get_logs(0, client.block_number(), [address])
        assert [int.from_bytes(log.data, "big") for log in logs] == [1, 2, 3]
        client.close()
    finally:
        running.close()
