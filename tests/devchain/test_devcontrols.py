"""The dev_ test controls over JSON-RPC (both dialects): clock, snapshot/revert (state AND height,
also on a data dir across a restart), mining modes, impersonation, set code/storage, dump/load."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.devchain import DevChain, DevChainConfig

from devchain_helpers import (deploy3, receipt2, result, rpc, selector, send2, send3, set_call, store_deploy, tx2,
                              tx3)

DAY_MS = 86_400_000
#: TIMESTAMP PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
CLOCK = bytes.fromhex("4260005260206000f3")
#: CALLER PUSH1 0 SSTORE STOP
KEEP_CALLER = bytes.fromhex("3360005500")
#: PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
READ_SLOT0 = bytes.fromhex("60005460005260206000f3")
#: TIMESTAMP PUSH1 0 SSTORE STOP: a transaction keeps the TIMESTAMP it executed with
KEEP_TIMESTAMP = bytes.fromhex("4260005500")
SOMEONE = "0x" + "ab" * 20  # nobody has this account's key
VALUE = selector("value()")


def call3(chain: DevChain, to: str, data: bytes = b"") -> bytes:
    out = result(chain, "call", ["group0", "", to, "0x" + data.hex()])
    assert out["status"] == 0, out
    return bytes.fromhex(out["output"][2:])


def word(output: bytes) -> int:
    return int.from_bytes(output[:32], "big")


def test_a_real_node_would_not_know_these_names_but_the_dev_chain_serves_them(v3: DevChain, v2: DevChain) -> None:
    for chain in (v3, v2):
        assert rpc(chain, "dev_nosuchcontrol", [])["error"]["code"] == -32601
        assert isinstance(result(chain, "dev_time", []), int)


def test_increase_time_moves_block_timestamps_and_the_timestamp_opcode(v3: DevChain) -> None:
    result(v3, "dev_setCode", [SOMEONE, "0x" + CLOCK.hex()])
    before = v3.chain.head.timestamp
    assert result(v3, "dev_increaseTime", [3 * DAY_MS]) == 3 * DAY_MS
    assert result(v3, "dev_mine", [1]) == v3.block_number
    head = v3.chain.head
    assert head.timestamp >= before + 3 * DAY_MS
    assert word(call3(v3, SOMEONE)) == head.timestamp  # TIMESTAMP is the block's, in ms
    assert result(v3, "dev_time", []) >= before + 3 * DAY_MS


def test_set_next_block_timestamp_is_exact_and_later_blocks_follow_it(v3: DevChain) -> None:
    target = v3.chain.head.timestamp + 10 * DAY_MS
    assert result(v3, "dev_setNextBlockTimestamp", [target]) is True
    address = deploy3(v3)["contractAddress"]
    assert v3.chain.head.timestamp == target
    created = decode(["uint256"], call3(v3, address, selector("createdAt()")))[0]
    assert created == target
    result(v3, "dev_mine", [1])
    assert v3.chain.head.timestamp >= target
    # the past is refused: only a revert goes back
    assert rpc(v3, "dev_setNextBlockTimestamp", [target - 1])["error"]["code"] == -32602
    assert rpc(v3, "dev_increaseTime", [-5])["error"]["code"] == -32602


@pytest.mark.parametrize("dialect", ["v3", "v2"])
def test_a_transaction_executes_with_the_moved_clock_as_its_timestamp(dialect: str) -> None:
    """Not only the header: the ``TIMESTAMP`` a transaction executes with (kept in storage, then
    read back) is its block's timestamp after ``dev_increaseTime`` and exactly the one set by
    ``dev_setNextBlockTimestamp``, on both dialects."""
    with DevChain(DevChainConfig(dialect=dialect)) as chain:
        target = "0x" + "ce" * 20

        def stamp_in_a_transaction() -> tuple[int, int]:
            result(chain, "dev_setCode", [target, "0x" + KEEP_TIMESTAMP.hex()])
            if dialect == "v3":
                number = send3(chain, tx3(chain, target, b""))["result"]["blockNumber"]
            else:
                number = int(receipt2(chain, send2(chain, tx2(chain, target, b""))["result"])["blockNumber"], 16)
            result(chain, "dev_setCode", [target, "0x" + READ_SLOT0.hex()])  # storage is kept
            if dialect == "v3":
                stored = word(call3(chain, target))
            else:
                stored = int(result(chain, "call", [1, {"from": SOMEONE, "to": target, "value": "0x0",
                                                        "data": "0x"}])["output"], 16)
            return stored, chain.chain.block(number).timestamp

        before = chain.chain.head.timestamp
        result(chain, "dev_increaseTime", [5 * DAY_MS])
        stored, header = stamp_in_a_transaction()
        assert stored == header >= before + 5 * DAY_MS
        exact = header + 7 * DAY_MS + 123
        assert result(chain, "dev_setNextBlockTimestamp", [exact]) is True
        assert stamp_in_a_transaction() == (exact, exact)


def test_manual_mining_holds_a_2x_transaction_admitted_but_unmined(v2: DevChain) -> None:
    """2.x answers ``sendRawTransaction`` with the hash at admission, so a held transaction is seen
    as a node shows one not yet sealed: no receipt (``null``), no new block, until ``dev_mine``."""
    deployed = receipt2(v2, send2(v2, tx2(v2, "", store_deploy(42)))["result"])
    result(v2, "dev_setMining", ["manual"])
    height = v2.block_number
    tx_hash = send2(v2, tx2(v2, deployed["contractAddress"], set_call(5)))["result"]
    time.sleep(0.05)
    assert result(v2, "getTransactionReceipt", [1, tx_hash]) is None and v2.block_number == height
    assert result(v2, "dev_getMining", [])["pending"] == 1
    assert result(v2, "dev_mine", [1]) == height + 1
    assert int(receipt2(v2, tx_hash)["blockNumber"], 16) == height + 1
    out = result(v2, "call", [1, {"from": SOMEONE, "to": deployed["contractAddress"], "value": "0x0",
                                  "data": "0x" + VALUE.hex()}])
    assert int(out["output"], 16) == 5


def test_revert_restores_state_and_height_v3(v3: DevChain) -> None:
    address = deploy3(v3, 42)["contractAddress"]
    height = v3.block_number
    snap = result(v3, "dev_snapshot", [])
    send3(v3, tx3(v3, address, set_call(7)))
    other = deploy3(v3, 1)["contractAddress"]
    result(v3, "dev_increaseTime", [DAY_MS])
    assert word(call3(v3, address, VALUE)) == 7
    assert result(v3, "dev_revert", [snap]) is True
    assert v3.block_number == height
    assert result(v3, "getBlockNumber", ["group0", ""]) == height
    assert word(call3(v3, address, VALUE)) == 42
    assert result(v3, "getCode", ["group0", "", other]) in ("", "0x")
    assert rpc(v3, "getBlockByNumber", ["group0", "", height + 1, False, False])["error"]["code"] == 3008
    assert result(v3, "dev_time", []) < v3.chain.head.timestamp + DAY_MS  # the clock went back too
    # the snapshot is used up; the same signed transaction can be sent again after a revert
    assert result(v3, "dev_revert", [snap]) is False
    assert send3(v3, tx3(v3, address, set_call(8)))["result"]["status"] == 0
    assert word(call3(v3, address, VALUE)) == 8


def test_revert_with_nothing_sealed_since_keeps_the_state_and_winds_the_clock_back(v3: DevChain) -> None:
    address = deploy3(v3, 42)["contractAddress"]
    height = v3.block_number
    executor = v3.chain.executor
    snap = result(v3, "dev_snapshot", [])
    offset = result(v3, "dev_increaseTime", [DAY_MS])
    assert word(call3(v3, address, VALUE)) == 42  # a read changes nothing
    assert result(v3, "dev_revert", [snap]) is True
    assert v3.chain.executor is executor  # nothing to rebuild: no block or edit after the snapshot
    assert v3.chain.clock.offset_ms == offset - DAY_MS
    assert v3.block_number == height
    assert word(call3(v3, address, VALUE)) == 42
    # an edit after the snapshot is not "nothing": it is undone
    snap = result(v3, "dev_snapshot", [])
    result(v3, "dev_setStorageAt", [address, 0, 5])
    assert word(call3(v3, address, VALUE)) == 5
    assert result(v3, "dev_revert", [snap]) is True
    assert word(call3(v3, address, VALUE)) == 42


def test_revert_restores_state_and_height_v2(v2: DevChain) -> None:
    deployed = receipt2(v2, send2(v2, tx2(v2, "", store_deploy(42)))["result"])
    address = deployed["contractAddress"]
    snap = result(v2, "dev_snapshot", [])
    height = v2.block_number
    receipt2(v2, send2(v2, tx2(v2, address, set_call(9)))["result"])
    assert v2.block_number == height + 1
    assert result(v2, "dev_revert", [snap]) is True
    assert v2.block_number == height
    out = result(v2, "call", [1, {"from": "0x" + "00" * 20, "to": address, "value": "0x0", "data": "0x" + VALUE.hex()}])
    assert int(out["output"], 16) == 42


def test_revert_on_a_data_dir_survives_a_restart(tmp_path: Path) -> None:
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        address = deploy3(chain, 42)["contractAddress"]
        result(chain, "dev_setStorageAt", [address, 0, 5])  # an edit before the snapshot: kept
        snap = result(chain, "dev_snapshot", [])
        height = chain.block_number
        send3(chain, tx3(chain, address, set_call(7)))
        result(chain, "dev_setStorageAt", [address, 0, 6])  # an edit after it: dropped
        assert result(chain, "dev_revert", [snap]) is True
        assert word(call3(chain, address, VALUE)) == 5
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert chain.block_number == height
        assert word(call3(chain, address, VALUE)) == 5
        assert send3(chain, tx3(chain, address, set_call(1)))["result"]["blockNumber"] == height + 1


def test_manual_mining_holds_transactions_until_mined(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    result(v3, "dev_setMining", ["manual"])
    height = v3.block_number
    answers: list[dict] = []
    sender = threading.Thread(target=lambda: answers.append(send3(v3, tx3(v3, address, set_call(3)))))
    sender.start()
    deadline = time.monotonic() + 5
    while result(v3, "dev_getMining", [])["pending"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert result(v3, "dev_getMining", []) == {"mode": "manual", "intervalMs": 0, "pending": 1}
    time.sleep(0.05)
    assert v3.block_number == height and not answers  # held, not sealed
    assert result(v3, "dev_mine", [3]) == height + 3
    sender.join(5)
    assert answers[0]["result"]["blockNumber"] == height + 1
    assert v3.chain.block(height + 2).tx_hashes == ()  # mine N: the others are empty blocks
    result(v3, "dev_setMining", ["auto"])
    assert send3(v3, tx3(v3, address, set_call(4)))["result"]["status"] == 0


def test_interval_mining_seals_blocks_on_its_own(v2: DevChain) -> None:
    height = v2.block_number
    result(v2, "dev_setMining", ["interval", 20])
    assert v2.chain.wait_for_block(height + 3, 5)
    result(v2, "dev_setMining", ["manual"])
    assert rpc(v2, "dev_setMining", ["interval", 0])["error"]["code"] == -32602
    assert rpc(v2, "dev_setMining", ["sometimes"])["error"]["code"] == -32602


@pytest.mark.parametrize("dialect", ["v3", "v2"])
def test_impersonated_send_runs_as_that_account_without_its_key(dialect: str) -> None:
    with DevChain(DevChainConfig(dialect=dialect)) as chain:
        target = "0x" + "cd" * 20
        result(chain, "dev_setCode", [target, "0x" + KEEP_CALLER.hex()])
        refused = rpc(chain, "dev_sendTransaction", [{"from": SOMEONE, "to": target, "data": "0x"}])
        assert refused["error"]["code"] == -32602  # 2.x words every invalid-params error as its node does
        if dialect == "v3":
            assert "not impersonated" in refused["error"]["message"]
        assert result(chain, "dev_impersonateAccount", [SOMEONE]) is True
        receipt = result(chain, "dev_sendTransaction", [{"from": SOMEONE, "to": target, "data": "0x"}])
        assert receipt["status"] in (0, "0x0") and receipt["from"] == SOMEONE
        result(chain, "dev_setCode", [target, "0x" + READ_SLOT0.hex()])  # storage is kept
        if dialect == "v3":
            stored = call3(chain, target)
            tx = result(chain, "getTransaction", ["group0", "", receipt["transactionHash"], False])
        else:
            stored = bytes.fromhex(result(chain, "call", [1, {"from": SOMEONE, "to": target, "value": "0x0",
                                                               "data": "0x"}])["output"][2:])
            tx = result(chain, "getTransactionByHash", [1, receipt["transactionHash"]])
        assert "0x" + stored[12:32].hex() == SOMEONE
        assert tx["from"] == SOMEONE
        result(chain, "dev_stopImpersonatingAccount", [SOMEONE])
        assert "error" in rpc(chain, "dev_sendTransaction", [{"from": SOMEONE, "to": target, "data": "0x"}])


def test_set_storage_writes_a_slot(v3: DevChain) -> None:
    address = deploy3(v3, 42)["contractAddress"]
    assert result(v3, "dev_setStorageAt", [address, "0x0", "0x" + "ff" * 32]) is True
    assert word(call3(v3, address, VALUE)) == 2**256 - 1
    assert rpc(v3, "dev_setStorageAt", [address, 0, "0x1" + "00" * 32])["error"]["code"] == -32602


def test_dump_loaded_into_a_fresh_chain_gives_the_same_state(v3: DevChain) -> None:
    address = deploy3(v3, 42)["contractAddress"]
    send3(v3, tx3(v3, address, set_call(11)))
    result(v3, "dev_setCode", [SOMEONE, "0x" + CLOCK.hex()])
    dump = result(v3, "dev_dumpState", [])
    with DevChain(DevChainConfig()) as fresh:
        assert result(fresh, "dev_loadState", [dump]) == v3.block_number
        assert word(call3(fresh, address, VALUE)) == 11
        assert call3(fresh, SOMEONE) != b""
        assert fresh.chain.head.timestamp >= v3.chain.head.timestamp
    with DevChain(DevChainConfig(dialect="v2")) as other:
        assert rpc(other, "dev_loadState", [dump])["error"]["code"] in (-32602,)
    assert rpc(v3, "dev_loadState", [{"format": "nope"}])["error"]["code"] == -32602


def test_controls_refuse_what_would_break_the_chain(v3: DevChain) -> None:
    height = v3.block_number
    assert rpc(v3, "dev_mine", [10_001])["error"]["code"] == -32602  # at most 10,000 real blocks a call
    assert rpc(v3, "dev_increaseTime", [2**63])["error"]["code"] == -32602  # a header holds int64 ms
    assert rpc(v3, "dev_setNextBlockTimestamp", [2**63])["error"]["code"] == -32602
    bad_edit = {"format": "fisco-drugtrace-devchain-dump/1", "dialect": "v3", "chainId": "chain0", "blocks": [],
                "edits": [{"after": 0, "kind": "storage", "address": SOMEONE, "slot": "0x0", "value": "zz"}]}
    assert rpc(v3, "dev_loadState", [bad_edit])["error"]["code"] == -32602
    assert result(v3, "dev_mine", [2]) == height + 2  # and the chain still works


# --------------------------------------------------------------------------- fast revert (marks)
BFS = "0x000000000000000000000000000000000000100e"
#: PUSH1 0 PUSH1 0 REVERT: a constructor that always reverts
REVERTING_INIT = bytes.fromhex("60006000fd")


def _outcomes(chain: DevChain, start_ms: int) -> list[tuple]:
    """A run touching what a revert must undo: a deployment (code installed outside revm's journal),
    storage writes, a reverted deployment, a system precompile's tables, and reads of each."""
    controls = chain.controls
    controls.impersonate(SOMEONE)
    steps: list[tuple[str, bytes]] = [("", store_deploy(1))]
    got: list[tuple] = []
    address = ""
    for i, (to, data) in enumerate(steps + [("A", set_call(9)), ("", REVERTING_INIT), ("B", set_call(3)),
                                            (BFS, selector("mkdir(string)") + encode_string("/apps/fast"))]):
        target = chain.executor_address_a if to == "A" else address if to == "B" else to  # type: ignore[attr-defined]
        controls.set_next_block_timestamp(start_ms + i)
        receipt, _ = controls.send_as(SOMEONE, target, data)
        if not to and receipt.contract_address and not address:
            address = receipt.contract_address
        got.append((receipt.block_number, receipt.status, receipt.output, receipt.gas_used, receipt.logs,
                    receipt.contract_address))
    got.append(("reads", word(call3(chain, chain.executor_address_a, VALUE)),  # type: ignore[attr-defined]
                word(call3(chain, address, VALUE)),
                chain.chain.executor.code(address), chain.chain.precompiles.snapshot()))
    return got


def encode_string(text: str) -> bytes:
    from eth_abi import encode
    return encode(["string"], [text])


def _revert_and_rerun(use_mark: bool) -> tuple[list[tuple], list[tuple]]:
    with DevChain(DevChainConfig(genesis_timestamp=1_800_000_000_000)) as chain:
        chain.executor_address_a = deploy3(chain, 42)["contractAddress"]  # type: ignore[attr-defined]
        send3(chain, tx3(chain, chain.executor_address_a, set_call(7)))  # type: ignore[attr-defined]
        executor = chain.chain.executor
        snap = chain.controls.snapshot()
        if not use_mark:  # the snapshot as before marks existed: the revert re-executes
            height, edits, offset, mark = chain.controls._snapshots[snap]
            chain.controls._snapshots[snap] = (height, edits, offset, None)
            executor.back_to(mark.token)
        first = _outcomes(chain, 1_900_000_000_000)
        assert chain.controls.revert(snap)
        assert (chain.chain.executor is executor) is use_mark  # the mark kept the executor
        assert word(call3(chain, chain.executor_address_a, VALUE)) == 7  # type: ignore[attr-defined]
        return first, _outcomes(chain, 1_900_000_000_000)


def test_a_fast_revert_gives_what_re_execution_gives() -> None:
    """The same run after a revert gives the same receipts (status, output, gasUsed, logs,
    addresses) and state as the first time, whether the revert went back to the snapshot's mark
    (journal checkpoint) or rebuilt the state by re-executing every block; and a run with a mark
    outstanding gives what a run without one gives."""
    marked, marked_again = _revert_and_rerun(True)
    replayed, replayed_again = _revert_and_rerun(False)
    assert marked == marked_again == replayed == replayed_again
    assert [o[1] for o in marked[:5]] == [0, 0, 16, 0, 0]  # the run did fail where it should
    assert marked[-1][1:3] == (9, 3)


# --------------------------------------------------------------------------- fast revert vs replay
_OPS = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 1_000_001)),   # above 1,000,000: Store reverts (TooBig)
    st.tuples(st.just("deploy"), st.integers(0, 9)),
    st.tuples(st.just("mkdir"), st.sampled_from(["/apps/a", "/apps/b", "/apps/a/c"])),
    st.tuples(st.just("snapshot"), st.just(0)),
    st.tuples(st.just("revert"), st.integers(0, 5)),
    st.tuples(st.just("time"), st.integers(1, 3 * DAY_MS)),
)


class _Lockstep:
    """One chain whose snapshots revert by their mark, or (``replay``) by re-executing."""

    def __init__(self, replay: bool) -> None:
        self.dev = DevChain(DevChainConfig(genesis_timestamp=1_800_000_000_000))
        self.replay = replay
        self.snaps: list[int] = []
        self.stores: list[str] = []
        self.clock = 1_800_000_000_000
        self.dev.controls.impersonate(SOMEONE)

    def send(self, to: str, data: bytes) -> tuple:
        self.clock += 1
        self.dev.controls.set_next_block_timestamp(self.clock)
        r, _ = self.dev.controls.send_as(SOMEONE, to, data)
        return r.block_number, r.status, r.output, r.gas_used, r.logs, r.contract_address

    def apply(self, op: str, arg: Any) -> Any:
        controls = self.dev.controls
        if op == "deploy" or (op == "set" and not self.stores):
            got = self.send("", store_deploy(arg if op == "deploy" else 1))
            self.stores.append(got[5])
            return got
        if op == "set":
            return self.send(self.stores[arg % len(self.stores)], set_call(arg))
        if op == "mkdir":
            return self.send(BFS, selector("mkdir(string)") + encode_string(arg))
        if op == "snapshot":
            snap = controls.snapshot()
            if self.replay:  # as before marks: release it, the revert re-executes
                height, edits, offset, mark = controls._snapshots[snap]
                controls._snapshots[snap] = (height, edits, offset, None)
                if mark is not None:
                    self.dev.chain.executor.back_to(mark.token)
            self.snaps.append((snap, self.clock, len(self.stores)))
            return "snap"
        if op == "revert":
            if not self.snaps:
                return "none"
            snap, clock, stores = self.snaps[arg % len(self.snaps)]
            assert controls.revert(snap)
            self.snaps = [s for s in self.snaps if s[0] < snap]
            self.clock, self.stores = clock, self.stores[:stores]
            return "reverted"
        self.clock += arg
        return "time"

    def state(self) -> tuple:
        chain = self.dev.chain
        values = tuple(word(call3(self.dev, a, VALUE)) for a in self.stores)
        return chain.head.number, values, chain.precompiles.snapshot(), chain.total_txs, chain.failed_txs


@settings(deadline=None)
@given(ops=st.lists(_OPS, max_size=25))
def test_fast_reverts_and_re_execution_agree_on_any_sequence(ops: list[tuple[str, Any]]) -> None:
    fast, slow = _Lockstep(False), _Lockstep(True)
    try:
        for op, arg in ops:
            assert fast.apply(op, arg) == slow.apply(op, arg), (op, arg)
            assert fast.state() == slow.state(), (op, arg)
    finally:
        fast.dev.close()
        slow.dev.close()
