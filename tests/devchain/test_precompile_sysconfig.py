"""SystemConfig (0x1000) against FISCO-BCOS ``bcos-executor/src/precompiled/SystemConfigPrecompiled.cpp``
(validation messages, minimums, enable number = block + 1) and ``bcos-ledger/Ledger.cpp``
(``asyncGetSystemConfigByKey`` answers a value from head + 1); 2.x against
``libprecompiled/SystemConfigPrecompiled.cpp`` at v2.11.1 (``checkValueValid``, -51300)."""

from __future__ import annotations

from pathlib import Path

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain.precompiles.sysconfig import _V3_VERSION
from fisco_drugtrace.devchain.rpc_v3 import COMPATIBILITY_TEXT

from devchain_helpers import deploy3, receipt2, result, send2, send3, set_call, tx2, tx3
from precompile_helpers import call2, call3, code3, data_of, error_text, send, send2_to

SYS = "0x0000000000000000000000000000000000001000"
#: init code writing 8 fresh slots (PUSH1 1 PUSH1 i SSTORE, i = 0..7; STOP): ~177,000 gas, bounded
EIGHT_SSTORES = b"".join(bytes([0x60, 1, 0x60, i, 0x55]) for i in range(8)) + b"\x00"


def rpc_value(chain: DevChain, key: str) -> dict:
    return result(chain, "getSystemConfigByKey", ["group0", "", key])


def test_set_and_get_value_and_the_rpc_answers_the_new_value(v3: DevChain) -> None:
    before = v3.block_number
    receipt = send(v3, SYS, "setValueByKey(string,string)", "TX_COUNT_LIMIT", "7")
    assert code3(receipt) == 0 and receipt["message"] == ""
    assert call3(v3, SYS, "getValueByKey(string)", ["string", "int256"], "tx_count_limit") == ("7", before + 2)
    assert rpc_value(v3, "tx_count_limit") == {"value": "7", "blockNumber": before + 2}
    assert call3(v3, SYS, "getValueByKey(string)", ["string", "int256"], "no_such_key") == ("", -1)


def test_bad_keys_and_values_fail_with_the_node_messages(v3: DevChain) -> None:
    cases = {
        ("tx_gas_limit", "99999"): "Invalid value 99999 ,the value for tx_gas_limit must be no less than 100000",
        ("tx_count_limit", "abc"): "The value for tx_count_limit must be a valid number.",
        ("tx_count_limit", ""): "The value for tx_count_limit must be non-empty.",
        ("no_such_key", "1"): "unsupported key no_such_key",
        ("tx_gas_price", "10"): "Invalid value 10 ,the value for tx_gas_price must be a hex number like 0xa.",
        ("compatibility_version", "3.6.0"): "Set compatibility version should not lower than version nowadays.",
        ("feature_rpbft", "2"): "The value for feature_rpbft must be 1.",
    }
    for (key, value), message in cases.items():
        receipt = send(v3, SYS, "setValueByKey(string,string)", key, value)
        assert receipt["status"] == 15, (key, receipt)
        assert error_text(receipt) == message and receipt["message"] == message
    assert rpc_value(v3, "tx_gas_limit")["value"] == "3000000000"


def test_tx_gas_limit_takes_effect_from_the_next_block(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    assert code3(send(v3, SYS, "setValueByKey(string,string)", "tx_gas_limit", "100000")) == 0
    # an endless loop (JUMPDEST PUSH1 0 JUMP) runs out of gas and uses the whole limit: the new one
    receipt = send3(v3, tx3(v3, "", bytes.fromhex("5b600056")))["result"]
    assert receipt["status"] == 12 and receipt["gasUsed"] == "100000"
    assert send3(v3, tx3(v3, address, set_call(3)))["result"]["status"] == 0  # a small call still fits


def test_tx_gas_limit_set_in_a_block_does_not_bind_that_block(v3: DevChain) -> None:
    """The value set in block n is enabled at n + 1 (``SystemConfigPrecompiled`` writes
    ``enableNumber = blockNumber + 1``): a transaction sealed in the same block as the change still
    gets the old limit; the same work in the next block runs out of gas at the new one."""
    setting = tx3(v3, SYS, data_of("setValueByKey(string,string)", "tx_gas_limit", "100000"))
    heavy = tx3(v3, "", EIGHT_SSTORES)
    v3.chain.set_sealing(False)
    hashes = [v3.chain.submit(v3.chain.decode(raw)) for raw in (setting, heavy)]
    start = v3.block_number
    v3.chain.set_sealing(True)
    assert v3.chain.wait_for_block(start + 1, 10)
    receipts = [result(v3, "getTransactionReceipt", ["group0", "", "0x" + h.hex(), False]) for h in hashes]
    assert receipts[0]["blockNumber"] == receipts[1]["blockNumber"] == start + 1  # one block
    assert code3(receipts[0]) == 0
    assert receipts[1]["status"] == 0 and int(receipts[1]["gasUsed"]) > 100_000  # the old limit
    again = send3(v3, tx3(v3, "", EIGHT_SSTORES))["result"]
    assert again["blockNumber"] == start + 2
    assert again["status"] == 12 and again["gasUsed"] == "100000"  # OutOfGas at the new limit


def test_v2_tx_gas_limit_takes_effect_from_the_next_block(v2: DevChain) -> None:
    """2.x: the same rule (``libprecompiled/SystemConfigPrecompiled.cpp`` writes the value enabled
    from the next block; ``Executive`` gives a transaction ``tx_gas_limit`` minus its intrinsic gas)."""
    fits = receipt2(v2, send2(v2, tx2(v2, "", EIGHT_SSTORES))["result"])
    assert fits["status"] == "0x0" and int(fits["gasUsed"], 16) > 100_000
    assert int(send2_to(v2, SYS, "setValueByKey(string,string)", "tx_gas_limit", "100000")["output"], 16) == 1
    starved = receipt2(v2, send2(v2, tx2(v2, "", EIGHT_SSTORES))["result"])
    assert starved["status"] != "0x0" and int(starved["gasUsed"], 16) == 100_000  # the whole new limit


def test_tx_count_limit_caps_blocks(v3: DevChain) -> None:
    assert code3(send(v3, SYS, "setValueByKey(string,string)", "tx_count_limit", "1")) == 0
    v3.chain.set_sealing(False)
    hashes = [v3.chain.submit(v3.chain.decode(tx3(v3, "0x" + "00" * 19 + "01", b""))) for _ in range(3)]
    start = v3.block_number
    v3.chain.set_sealing(True)
    assert v3.chain.wait_for_block(start + 3, 10)
    numbers = {result(v3, "getTransactionReceipt", ["group0", "", "0x" + h.hex(), False])["blockNumber"]
               for h in hashes}
    assert len(numbers) == 3  # one transaction per block


def test_setting_survives_a_restart(tmp_path: Path) -> None:
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert code3(send(chain, SYS, "setValueByKey(string,string)", "tx_gas_limit", "200000")) == 0
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert rpc_value(chain, "tx_gas_limit")["value"] == "200000"
        receipt = send3(chain, tx3(chain, "", bytes.fromhex("5b600056")))["result"]  # endless loop
        assert receipt["status"] == 12 and receipt["gasUsed"] == "200000"  # the limit still in force


def test_the_dev_chain_version_is_the_reported_one() -> None:
    assert ".".join(map(str, _V3_VERSION)) == COMPATIBILITY_TEXT


def test_v2_set_value_codes_and_rpc(v2: DevChain) -> None:
    SYS2 = SYS
    ok = send2_to(v2, SYS2, "setValueByKey(string,string)", "tx_count_limit", "50")
    assert ok["status"] == "0x0" and int(ok["output"], 16) == 1
    bad = send2_to(v2, SYS2, "setValueByKey(string,string)", "tx_gas_limit", "10")
    assert int.from_bytes(bytes.fromhex(bad["output"][2:]), "big", signed=True) == -51300
    unknown = send2_to(v2, SYS2, "setValueByKey(string,string)", "consensus_leader_period", "3")
    assert int.from_bytes(bytes.fromhex(unknown["output"][2:]), "big", signed=True) == -51300
    assert result(v2, "getSystemConfigByKey", [1, "tx_count_limit"]) == "50"
    assert result(v2, "getSystemConfigByKey", [1, "tx_gas_limit"]) == "300000000"
    # 2.x has no getValueByKey: no branch, result 0
    assert call2(v2, SYS2, "getValueByKey(string)", ["int256"], "tx_count_limit") == (0,)
