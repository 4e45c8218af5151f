"""SQLite persistence: restart restores height, state and receipts; foreign or damaged data dirs
are refused with DataDirError, never silently reused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.errors import DataDirError, DevChainRunning

from devchain_helpers import deploy3, receipt2, result, selector, send2, send3, set_call, store_deploy, tx2, tx3


def build(path: Path, **kw: object) -> DevChain:
    return DevChain(DevChainConfig(data_dir=path, **kw))


def populated(path: Path) -> tuple[str, list[dict]]:
    with build(path) as chain:
        address = deploy3(chain)["contractAddress"]
        receipts = [send3(chain, tx3(chain, address, set_call(v)))["result"] for v in (5, 10**7, 9)]
        return address, receipts


def test_restart_restores_height_state_and_receipts(tmp_path: Path) -> None:
    address, receipts = populated(tmp_path)
    with build(tmp_path) as chain:
        assert chain.block_number == 4
        value = result(chain, "call", ["group0", "", address, "0x" + selector("value()").hex()])["output"]
        assert int(value, 16) == 9
        for receipt in receipts:
            assert result(chain, "getTransactionReceipt", ["group0", "", receipt["transactionHash"], False]) == receipt
        assert result(chain, "getTotalTransactionCount", ["group0", ""])["failedTransactionCount"] == 1
        # the nonce window survives the restart: a replay is still refused
        replay = send3(chain, tx3(chain, address, set_call(1), nonce=chain.chain.store.tx(
            bytes.fromhex(receipts[0]["transactionHash"][2:]))[0].nonce))
        assert replay["error"]["code"] == 10000
        # and the chain goes on
        assert send3(chain, tx3(chain, address, set_call(11)))["result"]["blockNumber"] == 5


def test_restart_v2_keeps_creation_counters(tmp_path: Path) -> None:
    with build(tmp_path, dialect="v2") as chain:
        first = receipt2(chain, send2(chain, tx2(chain, "", store_deploy()))["result"])["contractAddress"]
    with build(tmp_path, dialect="v2") as chain:
        second = receipt2(chain, send2(chain, tx2(chain, "", store_deploy()))["result"])["contractAddress"]
        assert second != first and result(chain, "getCode", [1, first]).startswith("0x6080")


@pytest.mark.parametrize("other", [{"dialect": "v2"}, {"chain_id": "chain9"}, {"group_id": "group7"},
                                   {"genesis_timestamp": 1}])
def test_data_dir_of_another_chain_is_refused(tmp_path: Path, other: dict) -> None:
    populated(tmp_path)
    with pytest.raises(DataDirError) as info:
        build(tmp_path, **other)
    assert "another chain" in info.value.reason


def test_garbage_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "chain.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataDirError):
        build(tmp_path)


def test_missing_table_is_refused(tmp_path: Path) -> None:
    populated(tmp_path)
    with sqlite3.connect(tmp_path / "chain.sqlite") as db:
        db.execute("DROP TABLE logs")
    with pytest.raises(DataDirError) as info:
        build(tmp_path)
    assert "missing table" in info.value.reason


@pytest.mark.parametrize("tamper", [
    "UPDATE blocks SET parent_hash = zeroblob(32) WHERE number = 2",
    "UPDATE blocks SET timestamp = timestamp + 1 WHERE number = 3",
    "UPDATE receipts SET status = 0 WHERE status != 0",
    "UPDATE txs SET input = x'00' WHERE block_number = 4",
    "DELETE FROM blocks WHERE number = 2",
    "UPDATE meta SET value = '00' WHERE key = 'genesis_hash'",
])
def test_damaged_hash_chain_is_refused(tmp_path: Path, tamper: str) -> None:
    populated(tmp_path)
    with sqlite3.connect(tmp_path / "chain.sqlite") as db:
        db.execute(tamper)
    with pytest.raises(DataDirError) as info:
        build(tmp_path)
    assert "damaged" in info.value.reason


def test_two_chains_cannot_share_a_data_dir(tmp_path: Path) -> None:
    with build(tmp_path):
        with pytest.raises(DevChainRunning):
            build(tmp_path)
    build(tmp_path).close()  # released on close


def test_no_data_dir_is_in_memory(tmp_path: Path) -> None:
    with DevChain(DevChainConfig()) as chain:
        deploy3(chain)
    with DevChain(DevChainConfig()) as chain:
        assert chain.block_number == 0


def test_storage_failure_stops_the_chain_without_answering_receipts(tmp_path: Path) -> None:
    with build(tmp_path) as chain:
        deploy3(chain)
        chain.chain.store._db.close()  # the disk goes away under the sealer
        failed = send3(chain, tx3(chain, "", b"\x00"))
        assert failed["error"]["code"] == -32603 and "result" not in failed
        refused = send3(chain, tx3(chain, "", b"\x01"))
        assert "storage failure" in refused["error"]["message"]
    with build(tmp_path) as chain:  # what was committed is intact
        assert chain.block_number == 1
