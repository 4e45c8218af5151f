"""Each dialect runs at its node's EVM revision and reports ``gasUsed`` as its node does.

3.x: Paris (revm "Merge", compatibility 3.7.0), receipt gas = the EVM call's own gas (no intrinsic
gas, no calldata charge, no refund; 20 gas per deployed code byte). 2.x: Istanbul, receipt gas =
21,000 (53,000 for a deployment) + 68/4 per non-zero/zero data byte + execution - refund (200 gas
per deployed code byte). Measured through receipts of hand-assembled contracts.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain.evm import STATUS, Executor
from fisco_drugtrace.devchain.rpc_v3 import COMPATIBILITY_VERSION
from fisco_drugtrace.devchain.schedule import SCHEDULES, base_gas, receipt_gas, v3_revision
from fisco_drugtrace.errors import DataDirError
from fisco_drugtrace.types import Dialect

from devchain_helpers import receipt2, send2, send3, tx2, tx3

STOP = bytes.fromhex("00")
BASEFEE = bytes.fromhex("4800")  # London+
PUSH0 = bytes.fromhex("5f00")  # Shanghai+
SLOAD_SLOT0 = bytes.fromhex("60005400")  # PUSH1 0 SLOAD STOP
PUSH_ONLY = bytes.fromhex("600000")  # PUSH1 0 STOP: the same minus the SLOAD
SET_THEN_CLEAR = bytes.fromhex("6001600055600060005500")  # slot0 = 1; slot0 = 0 (earns a refund)
CALLDATA = bytes.fromhex("01020003")  # 3 non-zero bytes, 1 zero byte

#: Gas of the 12-byte constructor of :func:`initcode` (5 × PUSH1, CODECOPY of one word with
#: one word of memory, RETURN): 15 + (3 + 3 + 3) = 24.
CONSTRUCTOR_GAS = 24


def initcode(runtime: bytes) -> bytes:
    """A constructor that returns ``runtime`` (PUSH1 n PUSH1 12 PUSH1 0 CODECOPY PUSH1 n PUSH1 0 RETURN)."""
    n = len(runtime)
    assert n < 256
    return bytes([0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xF3]) + runtime


def deploy(chain: DevChain, runtime: bytes) -> dict[str, Any]:
    """Deploy through the dialect's own transaction path; returns the receipt (3.x JSON or 2.x JSON)."""
    if chain.config.dialect is Dialect.V3:
        receipt = send3(chain, tx3(chain, "", initcode(runtime)))["result"]
        assert receipt["status"] == 0, receipt
    else:
        receipt = receipt2(chain, send2(chain, tx2(chain, "", initcode(runtime)))["result"])
        assert receipt["status"] == "0x0", receipt
    return receipt


def call(chain: DevChain, to: str, data: bytes = b"") -> tuple[int, int]:
    """Send a transaction; returns (status, gasUsed) from its receipt."""
    if chain.config.dialect is Dialect.V3:
        receipt = send3(chain, tx3(chain, to, data))["result"]
        return receipt["status"], int(receipt["gasUsed"])
    receipt = receipt2(chain, send2(chain, tx2(chain, to, data))["result"])
    return int(receipt["status"], 16), int(receipt["gasUsed"], 16)


# ----------------------------------------------------------------------------- revisions
def test_v3_revision_follows_the_reported_compatibility_version() -> None:
    assert v3_revision(COMPATIBILITY_VERSION) == SCHEDULES[Dialect.V3].revision == "Merge"
    assert v3_revision((3 << 24) | (1 << 16)) == "London"  # before block version 3.2
    assert v3_revision(COMPATIBILITY_VERSION, evm_cancun=True) == "Cancun"
    assert SCHEDULES[Dialect.V2].revision == "Istanbul"


def test_v2_refuses_basefee_newer_than_istanbul(v2: DevChain) -> None:
    address = deploy(v2, BASEFEE)["contractAddress"]
    status, gas = call(v2, address)
    assert status == STATUS[Dialect.V2]["bad_instruction"] == 0xA
    assert gas == v2.config.gas_limit  # a bad instruction uses the whole limit


def test_v3_accepts_basefee_but_not_push0(v3: DevChain) -> None:
    basefee = deploy(v3, BASEFEE)["contractAddress"]
    assert call(v3, basefee) == (0, 2 + 0)  # BASEFEE (2) + STOP (0)
    push0 = deploy(v3, PUSH0)["contractAddress"]
    status, _ = call(v3, push0)
    assert status == STATUS[Dialect.V3]["bad_instruction"] == 10  # Paris has no PUSH0


@pytest.mark.parametrize("dialect,sload", [("v2", 800), ("v3", 2100)])
def test_cold_sload_costs_the_revision_price(dialect: str, sload: int) -> None:
    with DevChain(DevChainConfig(dialect=dialect)) as chain:
        with_sload = deploy(chain, SLOAD_SLOT0)["contractAddress"]
        without = deploy(chain, PUSH_ONLY)["contractAddress"]
        (s1, g1), (s2, g2) = call(chain, with_sload), call(chain, without)
        assert s1 == s2 == 0
        assert g1 - g2 == sload


# ----------------------------------------------------------------------------- receipt gas
def test_v3_receipt_counts_execution_only(v3: DevChain) -> None:
    address = deploy(v3, STOP)["contractAddress"]
    assert call(v3, address, CALLDATA) == (0, 0)  # no 21,000, no calldata
    assert call(v3, deploy(v3, SLOAD_SLOT0)["contractAddress"], CALLDATA) == (0, 3 + 2100)


def test_v2_receipt_counts_intrinsic_gas_and_68_per_nonzero_byte(v2: DevChain) -> None:
    address = deploy(v2, STOP)["contractAddress"]
    assert call(v2, address, CALLDATA) == (0, 21_000 + 3 * 68 + 1 * 4)  # 21,208
    assert call(v2, address) == (0, 21_000)


def test_deployment_gas_per_dialect(v3: DevChain, v2: DevChain) -> None:
    code = initcode(STOP)  # 13 bytes: 10 non-zero, 3 zero
    assert code.count(0) == 3
    assert int(deploy(v3, STOP)["gasUsed"]) == CONSTRUCTOR_GAS + 20 * 1  # 44
    assert int(deploy(v2, STOP)["gasUsed"], 16) == 53_000 + 10 * 68 + 3 * 4 + CONSTRUCTOR_GAS + 200 * 1  # 53,916


def test_refunds_v3_never_v2_capped(v3: DevChain, v2: DevChain) -> None:
    # Merge: 4 × PUSH1 12 + SSTORE 0->1 cold 22,100 + SSTORE 1->0 warm 100; the 19,900 refund is not deducted.
    assert call(v3, deploy(v3, SET_THEN_CLEAR)["contractAddress"]) == (0, 12 + 22_100 + 100)
    # Istanbul: 21,000 + 12 + 20,000 + 800 = 41,812, minus the 19,200 refund (under the half cap).
    assert call(v2, deploy(v2, SET_THEN_CLEAR)["contractAddress"]) == (0, 41_812 - 19_200)


def test_revert_keeps_its_dialect_gas(v3: DevChain, v2: DevChain) -> None:
    revert = bytes.fromhex("60006000fd")  # PUSH1 0 PUSH1 0 REVERT: 6 gas
    assert call(v3, deploy(v3, revert)["contractAddress"], CALLDATA) == (16, 6)
    assert call(v2, deploy(v2, revert)["contractAddress"], CALLDATA) == (0x16, 21_208 + 6)


def test_block_gas_is_the_sum_of_its_receipts(v3: DevChain) -> None:
    receipt = deploy(v3, SLOAD_SLOT0)
    block = v3.chain.block(int(receipt["blockNumber"]))
    assert block is not None and block.gas_used == int(receipt["gasUsed"]) == CONSTRUCTOR_GAS + 4 * 20


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=200))
def test_calldata_counts_only_on_v2(data: bytes) -> None:
    """Executor level: the same STOP call, any calldata — v3 0, v2 21,000 + 68/4 per byte."""
    target = "0x" + "ab" * 20
    rule = lambda *_: target  # noqa: E731 - the deployment lands where the test wants
    gas = {}
    for dialect in (Dialect.V3, Dialect.V2):
        executor = Executor(dialect, gas_limit=300_000_000, evm_chain_id=0, address_rule=rule)
        executor.set_block(1, 0)
        assert executor.apply("0x" + "11" * 20, "", initcode(STOP), 0).status == 0
        outcome = executor.apply("0x" + "11" * 20, target, data, 0)
        assert outcome.status == 0
        gas[dialect] = outcome.gas_used
    zeros = data.count(0)
    assert gas[Dialect.V3] == 0
    assert gas[Dialect.V2] == 21_000 + 68 * (len(data) - zeros) + 4 * zeros


def test_receipt_gas_is_pure_arithmetic_over_revm_figures() -> None:
    # revm ran a 4-byte call (3 non-zero) whose execution spent 5,000 and earned a 1,000 refund:
    revm = dict(revm_gas_used=21_000 + 3 * 16 + 4 + 5_000 - 1_000, revm_refunded=1_000)
    for dialect, expected in ((Dialect.V3, 5_000), (Dialect.V2, 21_000 + 3 * 68 + 4 + 5_000 - 1_000)):
        schedule = SCHEDULES[dialect]
        base = base_gas(schedule, revm_calldata=CALLDATA, tx_data=CALLDATA, creation=False)
        assert receipt_gas(schedule, base, **revm) == expected


# ----------------------------------------------------------------------------- data dirs
def test_data_dir_from_before_revisions_is_refused_clearly(tmp_path: Path) -> None:
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        deploy(chain, STOP)
    with sqlite3.connect(tmp_path / "chain.sqlite") as db:  # what a data dir written before looks like
        db.execute("DELETE FROM meta WHERE key = 'execution'")
    with pytest.raises(DataDirError) as info:
        DevChain(DevChainConfig(data_dir=tmp_path))
    assert "execution rules" in info.value.reason and SCHEDULES[Dialect.V3].tag in info.value.reason


def test_data_dir_reopens_under_the_same_rules(tmp_path: Path) -> None:
    with DevChain(DevChainConfig(dialect="v2", data_dir=tmp_path)) as chain:
        first = deploy(chain, SLOAD_SLOT0)
    with DevChain(DevChainConfig(dialect="v2", data_dir=tmp_path)) as chain:
        assert chain.block_number == 1
        again = receipt2(chain, first["transactionHash"])
        code = initcode(SLOAD_SLOT0)  # 16 bytes: 12 non-zero, 4 zero
        assert code.count(0) == 4
        assert again["gasUsed"] == first["gasUsed"] == hex(53_000 + 12 * 68 + 4 * 4 + CONSTRUCTOR_GAS + 4 * 200)


def test_v2_code_deposit_beyond_the_gas_left_fails_the_deployment() -> None:
    """255 runtime bytes cost 51,000 at 200 each: with 53,000 base gas over a 100,000 limit."""
    with DevChain(DevChainConfig(dialect="v2", tx_gas_limit=100_000)) as chain:
        receipt = receipt2(chain, send2(chain, tx2(chain, "", initcode(STOP * 255)))["result"])
        assert int(receipt["status"], 16) == STATUS[Dialect.V2]["out_of_gas"] == 0xC
        assert int(receipt["gasUsed"], 16) == 100_000
        assert receipt["contractAddress"] == "0x" + "0" * 40  # nothing was deployed
        deploy(chain, STOP)  # and the chain goes on
    with DevChain(DevChainConfig(dialect="v3", tx_gas_limit=100_000)) as chain:  # 20 per byte: 5,100
        # the constructor copies 8 words: CODECOPY 3 + 3 × 8 + memory 3 × 8, plus 5 × PUSH1 = 66
        assert int(deploy(chain, STOP * 255)["gasUsed"]) == 66 + 20 * 255


def test_v2_base_gas_above_the_limit_is_an_intrinsic_failure() -> None:
    with DevChain(DevChainConfig(dialect="v2", tx_gas_limit=100_000)) as chain:
        address = deploy(chain, STOP)["contractAddress"]
        assert call(chain, address, b"\x01" * 1_161) == (0, 21_000 + 68 * 1_161)  # 99,948: fits
        assert call(chain, address, b"\x01" * 1_162) == (STATUS[Dialect.V2]["intrinsic"], 100_000)  # 100,016
    with DevChain(DevChainConfig(dialect="v3", tx_gas_limit=100_000)) as chain:  # 3.x charges no calldata
        assert call(chain, deploy(chain, STOP)["contractAddress"], b"\x01" * 1_200) == (0, 0)
