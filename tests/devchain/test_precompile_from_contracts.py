"""System precompiles called from inside a contract (``data/SystemUser.sol``), as on a node: the
answers are those of the RPC path (a transaction or ``call`` addressed to the precompile), the
writes land in the precompile's tables only when the whole transaction succeeds, and a repeated
call or a read after a write is answered afresh (``fisco_drugtrace/devchain/bridge.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_abi import decode, encode
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.devchain import DevChain, DevChainConfig

from devchain_helpers import receipt2, result, selector, send2, send3, tx2, tx3

ARTIFACT = json.loads((Path(__file__).parent / "data" / "SystemUser.json").read_text())
SYS = "0x0000000000000000000000000000000000001000"
CNS = "0x0000000000000000000000000000000000001004"
BFS = "0x000000000000000000000000000000000000100e"


def fn(sig: str, *args: Any) -> bytes:
    types = sig[sig.index("(") + 1:-1].split(",") if not sig.endswith("()") else []
    return selector(sig) + encode(types, list(args))


def deploy_v3(chain: DevChain) -> str:
    receipt = send3(chain, tx3(chain, "", bytes.fromhex(ARTIFACT["bytecode"])))["result"]
    assert receipt["status"] == 0, receipt
    return receipt["contractAddress"]


def call3(chain: DevChain, to: str, data: bytes) -> dict[str, Any]:
    return result(chain, "call", ["group0", "", to, "0x" + data.hex()])


def out(answer: dict[str, Any]) -> bytes:
    return bytes.fromhex(answer["output"][2:])


def test_a_contract_reads_system_config_as_the_rpc_path_answers(v3: DevChain) -> None:
    user = deploy_v3(v3)
    for key in ("tx_gas_limit", "tx_count_limit", "no_such_key"):
        direct = call3(v3, SYS, fn("getValueByKey(string)", key))
        through = call3(v3, user, fn("configOf(string)", key))
        assert through["status"] == direct["status"] == 0, through
        assert out(through) == out(direct)
    value, enabled = decode(["string", "int256"], out(call3(v3, user, fn("configOf(string)", "tx_gas_limit"))))
    assert value == "3000000000" and enabled == 0


def test_a_contract_writes_through_a_precompile_and_each_call_is_answered_afresh(v3: DevChain) -> None:
    user = deploy_v3(v3)
    receipt = send3(v3, tx3(v3, user, fn("makeDirs(string,string)", "/apps/from/contract", "/apps/other")))["result"]
    assert receipt["status"] == 0, receipt
    first, again, other = decode(["int32", "int32", "int32"], out(receipt))
    assert (first, again, other) == (0, -53002, 0)  # the second identical mkdir finds the first one's dir
    assert len(receipt["logEntries"]) == 1  # the contract's own event; nothing left of the stub's rounds
    # the directories are in BFS, as the RPC path sees it
    listed = call3(v3, BFS, fn("list(string)", "/apps/from"))
    direct = send3(v3, tx3(v3, BFS, fn("mkdir(string)", "/apps/from/contract")))["result"]
    assert decode(["int32"], out(direct))[0] == -53002
    assert listed["status"] == 0
    # the stubs keep nothing between transactions: the same call in a new transaction is asked again
    again_receipt = send3(v3, tx3(v3, user, fn("makeDirs(string,string)", "/apps/from/contract", "/apps/third")))
    assert decode(["int32", "int32", "int32"], out(again_receipt["result"])) == (-53002, -53002, 0)
    assert [v3.chain.executor.storage(BFS, 0)] == [0]  # the epoch slot is cleared


def test_a_failed_transaction_keeps_none_of_its_precompile_writes(v3: DevChain) -> None:
    user = deploy_v3(v3)
    receipt = send3(v3, tx3(v3, user, fn("makeDirThenFail(string)", "/apps/never")))["result"]
    assert receipt["status"] == 16
    assert decode(["string"], out(receipt)[4:])[0] == "after mkdir"
    direct = send3(v3, tx3(v3, BFS, fn("mkdir(string)", "/apps/never")))["result"]
    assert decode(["int32"], out(direct))[0] == 0  # it was never made


def test_a_precompile_failure_reverts_the_contract_call_with_its_reason(v3: DevChain) -> None:
    user = deploy_v3(v3)
    direct = send3(v3, tx3(v3, SYS, fn("setValueByKey(string,string)", "tx_count_limit", "zero")))["result"]
    through = send3(v3, tx3(v3, user, fn("setConfig(string,string)", "tx_count_limit", "zero")))["result"]
    assert direct["status"] == 15  # PrecompiledError, addressed to the precompile
    assert through["status"] == 16  # a failed call inside the contract: it reverts with the reason
    assert out(through) == out(direct)


def test_a_contract_set_system_config_takes_effect_as_the_rpc_one(v3: DevChain) -> None:
    user = deploy_v3(v3)
    receipt = send3(v3, tx3(v3, user, fn("setConfig(string,string)", "tx_count_limit", "777")))["result"]
    assert receipt["status"] == 0 and decode(["int32"], out(receipt))[0] == 0
    value, enabled = decode(["string", "int256"], out(call3(v3, SYS, fn("getValueByKey(string)", "tx_count_limit"))))
    assert (value, enabled) == ("777", receipt["blockNumber"] + 1)


def test_a_2x_contract_uses_cns() -> None:
    with DevChain(DevChainConfig(dialect="v2")) as chain:
        deployed = receipt2(chain, send2(chain, tx2(chain, "", bytes.fromhex(ARTIFACT["bytecode"])))["result"])
        assert deployed["status"] == "0x0", deployed
        user = deployed["contractAddress"]
        receipt = receipt2(chain, send2(chain, tx2(chain, user, fn("register(string,string,string)", "Store", "1", user)))
                           ["result"])
        assert receipt["status"] == "0x0", receipt
        assert decode(["int256"], out(receipt))[0] == 1
        direct = result(chain, "call", [1, {"from": "0x" + "00" * 20, "to": CNS, "value": "0x0",
                                             "data": "0x" + fn("getContractAddress(string,string)", "Store", "1").hex()}])
        through = result(chain, "call", [1, {"from": "0x" + "00" * 20, "to": user, "value": "0x0",
                                              "data": "0x" + fn("lookup(string,string)", "Store", "1").hex()}])
        assert out(through) == out(direct)
        assert decode(["address"], out(through))[0].lower() == user


def test_a_constructor_calls_precompiles_and_a_failed_deployment_keeps_none_of_it(v3: DevChain) -> None:
    born = json.loads((Path(__file__).parent / "data" / "SystemUserAtBirth.json").read_text())
    initcode = bytes.fromhex(born["bytecode"]) + encode(["string"], ["/apps/born"])
    receipt = send3(v3, tx3(v3, "", initcode))["result"]
    assert receipt["status"] == 0, receipt
    address = receipt["contractAddress"]
    assert decode(["string"], out(call3(v3, address, fn("gasLimit()"))))[0] == "3000000000"
    assert decode(["int32"], out(call3(v3, address, fn("made()"))))[0] == 0
    again = send3(v3, tx3(v3, BFS, fn("mkdir(string)", "/apps/born")))["result"]
    assert decode(["int32"], out(again))[0] == -53002  # the constructor's mkdir is in BFS


def _mkdir_then_revert(path: str) -> bytes:
    """Init code: CALL BFS mkdir(path); bubble the callee's revert data if it failed, else revert
    with nothing (the deployment fails after its precompile call succeeded)."""
    payload = fn("mkdir(string)", path)
    n = len(payload)
    head = bytes([0x61, n >> 8, n & 0xFF, 0x61, 0, 0, 0x60, 0, 0x39,          # CODECOPY(0, off, n)
                  0x60, 0, 0x60, 0, 0x61, n >> 8, n & 0xFF, 0x60, 0, 0x60, 0,  # ret 0 0, args 0 n, value 0
                  0x61, 0x10, 0x0E, 0x5A, 0xF1,                               # BFS, GAS, CALL
                  0x61, 0, 0])                                                # PUSH2 ok
    bubble = bytes([0x57, 0x3D, 0x60, 0, 0x60, 0, 0x3E, 0x3D, 0x60, 0, 0xFD])  # JUMPI; RETURNDATACOPY; REVERT
    ok = len(head) + len(bubble)
    tail = bytes([0x5B, 0x60, 0, 0x60, 0, 0xFD])                              # ok: REVERT(0, 0)
    offset = ok + len(tail)
    code = bytearray(head + bubble + tail + payload)
    code[4:6] = offset.to_bytes(2, "big")
    code[len(head) - 2:len(head)] = ok.to_bytes(2, "big")
    return bytes(code)


def test_a_deployment_that_fails_after_its_constructor_s_precompile_call_keeps_none_of_it(v3: DevChain) -> None:
    failed = send3(v3, tx3(v3, "", _mkdir_then_revert("/apps/stillborn")))["result"]
    # an empty revert: the constructor got the precompile's answer and went on to its own REVERT
    assert failed["status"] == 16 and failed["output"] in ("0x", ""), failed
    probe = send3(v3, tx3(v3, BFS, fn("mkdir(string)", "/apps/stillborn")))["result"]
    assert decode(["int32"], out(probe))[0] == 0  # the constructor's mkdir did not stay


_PATHS = st.sampled_from(["/apps/p", "/apps/p/q", "/apps/r", "/apps/p/q/s", "/tables/t", "/apps/p/../x", "apps/rel"])


@settings(deadline=None, max_examples=20)
@given(pairs=st.lists(st.tuples(_PATHS, _PATHS), min_size=1, max_size=6))
def test_mkdir_through_a_contract_answers_as_mkdir_sent_directly(pairs: list[tuple[str, str]]) -> None:
    """The same mkdirs, made by the contract (three per transaction: a, a again, b) on one chain
    and sent directly on another, give the same codes and the same directory tree."""
    with DevChain(DevChainConfig()) as through, DevChain(DevChainConfig()) as direct:
        user = deploy_v3(through)
        for a, b in pairs:
            receipt = send3(through, tx3(through, user, fn("makeDirs(string,string)", a, b)))["result"]
            codes = []
            for path in (a, a, b):
                r = send3(direct, tx3(direct, BFS, fn("mkdir(string)", path)))["result"]
                assert r["status"] == 0, r
                codes.append(decode(["int32"], out(r))[0])
            assert receipt["status"] == 0, receipt
            assert list(decode(["int32", "int32", "int32"], out(receipt))) == codes
        for root in ("/apps", "/apps/p", "/apps/p/q"):
            listing = fn("list(string)", root)
            assert out(call3(through, BFS, listing)) == out(call3(direct, BFS, listing))
