"""CNS (2.x, 0x1004) on the dev chain, against FISCO-BCOS ``libprecompiled/CNSPrecompiled.cpp``
and ``libprecompiled/Common.{h,cpp}`` at tag v2.11.1 (return codes, JSON answers, ``getErrorCodeOut``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_abi import decode, encode

from fisco_drugtrace.devchain import DevChain, DevChainConfig

from devchain_helpers import SIGNERS, receipt2, result, selector, send2, store_deploy, tx2

CNS = "0x0000000000000000000000000000000000001004"


def call(chain: DevChain, sig: str, args: list[Any]) -> bytes:
    data = selector(sig) + encode(["string"] * len(args), args)
    out = result(chain, "call", [1, {"from": SIGNERS[0].address, "to": CNS, "data": "0x" + data.hex()}])
    assert out["status"] == "0x0", out
    return bytes.fromhex(out["output"][2:])


def insert(chain: DevChain, name: str, version: str, address: str, abi: str = "[]") -> dict[str, Any]:
    data = selector("insert(string,string,string,string)") + encode(["string"] * 4, [name, version, address, abi])
    return receipt2(chain, send2(chain, tx2(chain, CNS, data))["result"])


def inserted(receipt: dict[str, Any]) -> int:
    assert receipt["status"] == "0x0", receipt
    return decode(["int256"], bytes.fromhex(receipt["output"][2:]))[0]


def deploy(chain: DevChain) -> str:
    return receipt2(chain, send2(chain, tx2(chain, "", store_deploy()))["result"])["contractAddress"]


def test_insert_then_select_by_name_and_version(v2: DevChain) -> None:
    address = deploy(v2)
    assert inserted(insert(v2, "OrgRegistry", "1.0", address)) == 1
    assert inserted(insert(v2, "OrgRegistry", "2.0", address, "")) == 1
    text = decode(["string"], call(v2, "selectByName(string)", ["OrgRegistry"]))[0]
    assert text.endswith("\n") and " " not in text  # jsoncpp FastWriter
    assert json.loads(text) == [{"abi": "[]", "address": address, "name": "OrgRegistry", "version": "1.0"},
                                {"abi": "", "address": address, "name": "OrgRegistry", "version": "2.0"}]
    one = json.loads(decode(["string"], call(v2, "selectByNameAndVersion(string,string)", ["OrgRegistry", "2.0"]))[0])
    assert [r["version"] for r in one] == ["2.0"]
    got = decode(["address"], call(v2, "getContractAddress(string,string)", ["OrgRegistry", "1.0"]))[0]
    assert got.lower() == address


def test_insert_refusals_in_the_node_order(v2: DevChain) -> None:
    address = deploy(v2)
    assert inserted(insert(v2, "A", "1", address)) == 1
    assert inserted(insert(v2, "A", "1", address)) == -51200  # name and version exist
    assert inserted(insert(v2, "A", "v" * 129, address)) == -51201  # version too long
    assert inserted(insert(v2, "A", "2", "not-an-address")) == -50102
    # a well-formed address need not hold a contract (the node only logs it)
    assert inserted(insert(v2, "B", "1", "0x" + "ab" * 20)) == 1
    assert insert(v2, "n" * 129, "1", address)["status"] == "0x15"  # PrecompiledError


def test_unknown_name_answers_empty(v2: DevChain) -> None:
    assert decode(["string"], call(v2, "selectByName(string)", ["nobody"]))[0] == "[]\n"
    got = decode(["address"], call(v2, "getContractAddress(string,string)", ["nobody", "1"]))[0]
    assert int(got, 16) == 0


def test_cns_survives_a_restart(tmp_path: Path) -> None:
    with DevChain(DevChainConfig(dialect="v2", data_dir=tmp_path)) as chain:
        address = deploy(chain)
        assert inserted(insert(chain, "Suite", "1", address)) == 1
    with DevChain(DevChainConfig(dialect="v2", data_dir=tmp_path)) as chain:
        got = decode(["address"], call(chain, "getContractAddress(string,string)", ["Suite", "1"]))[0]
        assert got.lower() == address
        assert inserted(insert(chain, "Suite", "1", address)) == -51200


def test_bfs_is_not_a_2x_precompile_and_cns_not_3x(v2: DevChain) -> None:
    data = selector("list(string)") + encode(["string"], ["/"])
    out = result(v2, "call", [1, {"from": SIGNERS[0].address, "to": "0x" + "00" * 18 + "100e",
                                   "data": "0x" + data.hex()}])
    assert out["output"] == "0x" or out["status"] != "0x0"


def test_unknown_selector_answers_empty_with_status_0(v2: DevChain) -> None:
    receipt = receipt2(v2, send2(v2, tx2(v2, CNS, b"\x12\x34\x56\x78"))["result"])
    assert receipt["status"] == "0x0" and receipt["output"] == "0x"
