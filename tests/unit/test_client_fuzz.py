"""Whatever JSON a node answers, every client method returns a record or raises a typed error.

A broken node, proxy or impostor must never make the SDK leak AttributeError/TypeError/KeyError.
"""

from __future__ import annotations

import inspect
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import ClientV2, ClientV3
from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.client.error_maps import map_error_v2, map_error_v3
from fisco_drugtrace.errors import DrugTraceError
from fisco_drugtrace.rpc import InProcessTransport, JsonRpc, RetryPolicy
from tests.fakes import BLOCK_HASH, CONTRACT, TX_HASH, FakeNode

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12)
    | st.sampled_from(["0x", "0x1f", TX_HASH, CONTRACT[2:], "{}", '{"peers": 3}', "[1]"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["transactionHash", "blockNumber", "status", "logEntries", "logs", "address", "topics",
                         "data", "hash", "number", "transactions", "parentInfo", "nodeList", "peers", "value",
                         "groupList", "blockInfo", "transactionReceipts", "iniConfig", "code", "nodeID",
                         "transaction", "transactionReceipt", "output", "gasUsed", "Chain Id"]), inner, max_size=5),
    max_leaves=8,
)

_ARGS = {"tx_hash": TX_HASH, "block_hash": BLOCK_HASH, "address": CONTRACT, "to": CONTRACT, "data": b"\x01",
         "number": 1, "index": 0, "key": "tx_gas_limit", "node_type": "consensus_sealer", "filter_id": 1,
         "raw": b"\x01", "from_block": 0, "to_block": 0, "group_id": 1, "timestamp": 1, "sealers": [],
         "endpoints": [], "signer": LocalSigner(KeyPair.from_private_key(b"\x01" * 32, ECDSA))}
_SKIP = {"send_transaction", "sign_transaction", "wait_for_receipt", "close", "identity", "assume_identity",
         "node_overview"}  # identity/assume_identity: local state, no node answer to fuzz


def _methods(cls: type) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or name in _SKIP:
            continue
        params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
        kwargs = {p.name: _ARGS[p.name] for p in params if p.default is inspect.Parameter.empty}
        out.append((name, kwargs))
    return out


def _exercise(client: Any, methods: list[tuple[str, dict[str, Any]]]) -> None:
    for name, kwargs in methods:
        try:
            getattr(client, name)(**kwargs)
        except DrugTraceError:
            pass


@settings(max_examples=40)
@given(_json)
def test_v3_methods_never_leak_foreign_exceptions(answer: Any) -> None:
    node = FakeNode()
    for method in ("call", "sendTransaction", "getTransaction", "getTransactionReceipt", "getBlockByHash",
                   "getBlockByNumber", "getBlockHashByNumber", "getBlockNumber", "getCode", "getABI",
                   "getSealerList", "getObserverList", "getNodeListByType", "getPbftView", "getPendingTxSize",
                   "getSyncStatus", "getConsensusStatus", "getSystemConfigByKey", "getTotalTransactionCount",
                   "getPeers", "getGroupPeers", "getGroupList", "getGroupInfo", "getGroupInfoList",
                   "getGroupNodeInfo", "newBlockFilter", "newPendingTransactionFilter", "newFilter", "getLogs",
                   "uninstallFilter", "getFilterChanges", "getFilterLogs"):
        node.on(method, lambda params, a=answer: a)
    client = ClientV3(JsonRpc(InProcessTransport(node.handle_raw), map_error_v3, retry=RetryPolicy(attempts=1)),
                      group="group0", chain_id="chain0")
    _exercise(client, _methods(ClientV3))
    assert len(node.calls) >= 30


@settings(max_examples=40)
@given(_json)
def test_v2_methods_never_leak_foreign_exceptions(answer: Any) -> None:
    class AnyNode(FakeNode):
        def handle(self, request: dict[str, Any]) -> dict[str, Any]:
            self.calls.append((request["method"], request["params"]))
            return {"jsonrpc": "2.0", "id": request["id"], "result": answer}

    node = AnyNode()
    client = ClientV2(JsonRpc(InProcessTransport(node.handle_raw), map_error_v2, retry=RetryPolicy(attempts=1)),
                      group=1, chain_id=1)
    _exercise(client, _methods(ClientV2))
    assert len(node.calls) >= 40
