"""3.x sendTransaction: the fast path for its params answers as the general ``_Params`` path does,
and a receipt carries the node's fields in the node's order."""

from __future__ import annotations

from typing import Any

import pytest

from fisco_drugtrace.devchain import DevChain
from fisco_drugtrace.devchain.rpc_v3 import NODE_NAME, _Params
from fisco_drugtrace.errors import DrugTraceError

from devchain_helpers import send3, store_deploy, tx3

RAW = "0x" + bytes(range(40)).hex()


def general(v3: DevChain, params: list) -> Any:
    """What sendTransaction read from its params before the fast path (or the error it raised)."""
    p = _Params(params)
    try:
        v3.methods._group(p)
        return p.data(2)
    except DrugTraceError as exc:
        return type(exc), str(exc)


def fast(v3: DevChain, params: list) -> Any:
    try:
        return v3.methods._send_params(params)
    except DrugTraceError as exc:
        return type(exc), str(exc)


@pytest.mark.parametrize("params", [
    ["group0", "", RAW], ["group0", NODE_NAME, RAW, True], ["group0", None, RAW], ["group0", "", "0x"],
    ["group0", "", "0x" + RAW[2:].upper()], ["group0", "", RAW[2:]], ["group0", "", " " + RAW + "\n"],
    ["group0", "", RAW + "a"], ["group0", "", "0x0x" + RAW[2:]], ["group0", "", RAW[:10] + " " + RAW[10:]],
    ["group0", "", "0x" + "é" * 4], ["group0", "", "0xzz"], ["group0", "", None], ["group0", "", 17],
    ["group0", "", b"\x01"], ["group1", "", RAW], ["group0", "node9", RAW], [None, "", RAW], [1, "", RAW],
    ["group0", 0, RAW], ["group0", ""], [], ["group0", "", "0X" + RAW[2:]],
])
def test_fast_params_equal_the_general_path(v3: DevChain, params: list) -> None:
    assert fast(v3, params) == general(v3, params)


def test_node_id_is_an_accepted_node_name(v3: DevChain) -> None:
    assert v3.methods._send_params(["group0", v3.config.node_id, RAW]) == bytes(range(40))


def test_receipt_fields_in_the_node_order(v3: DevChain) -> None:
    receipt = send3(v3, tx3(v3, "", store_deploy()))["result"]
    assert list(receipt) == ["version", "contractAddress", "checksumContractAddress", "gasUsed", "status",
                             "blockNumber", "output", "message", "transactionHash", "hash", "logEntries",
                             "input", "from", "to", "extraData"]
    assert receipt["checksumContractAddress"].lower() == receipt["contractAddress"] != ""
