"""3.x admission: every refusal a node gives to sendTransaction, with its code and message."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.encoding import tx_v3

from devchain_helpers import deploy3, rpc, send3, set_call, tx3


def error_of(response: dict) -> tuple[int, str]:
    assert "error" in response, response
    return response["error"]["code"], response["error"]["message"]


def test_accepted_transaction_returns_committed_receipt(v3: DevChain) -> None:
    receipt = deploy3(v3)
    assert receipt["blockNumber"] == 1
    assert v3.block_number == 1


def test_replayed_committed_transaction_is_nonce_check_fail(v3: DevChain) -> None:
    raw = tx3(v3, "", b"\x00")
    assert "result" in send3(v3, raw)
    assert error_of(send3(v3, raw)) == (10000, "NonceCheckFail")


def test_reused_nonce_in_another_transaction_is_refused(v3: DevChain) -> None:
    send3(v3, tx3(v3, "", b"\x00", nonce="fixed-nonce"))
    assert error_of(send3(v3, tx3(v3, "", b"\x01", nonce="fixed-nonce"))) == (10000, "NonceCheckFail")


def test_nonce_pending_in_pool_is_refused(v3: DevChain) -> None:
    v3.chain.set_sealing(False)
    v3.chain.submit(v3.chain.decode(tx3(v3, "", b"\x00", nonce="n1")))
    assert error_of(send3(v3, tx3(v3, "", b"\x01", nonce="n1"))) == (10000, "NonceCheckFail")


def test_same_transaction_while_in_pool_is_already_in_txpool(v3: DevChain) -> None:
    v3.chain.set_sealing(False)
    raw = tx3(v3, "", b"\x00")
    v3.chain.submit(v3.chain.decode(raw))
    assert error_of(send3(v3, raw)) == (10004, "AlreadyInTxPool")
    assert rpc(v3, "getPendingTxSize", ["group0", ""])["result"] == 1


@pytest.mark.parametrize("offset", [0, -1, 1001, 5000])
def test_block_limit_outside_window_is_refused(v3: DevChain, offset: int) -> None:
    deploy3(v3)  # height 1
    raw = tx3(v3, "", b"\x00", block_limit=v3.block_number + offset)
    assert error_of(send3(v3, raw)) == (10001, "BlockLimitCheckFail")


@pytest.mark.parametrize("offset", [1, 1000])
def test_block_limit_window_edges_are_accepted(v3: DevChain, offset: int) -> None:
    assert "result" in send3(v3, tx3(v3, "", b"\x00", block_limit=v3.block_number + offset))


def test_wrong_group_is_invalid_group_id(v3: DevChain) -> None:
    assert error_of(send3(v3, tx3(v3, "", b"\x00", group_id="group1"))) == (10007, "InvalidGroupId")


def test_wrong_chain_id_is_refused_before_the_pool(v3: DevChain) -> None:
    assert error_of(send3(v3, tx3(v3, "", b"\x00", chain_id="chain1"))) == (-1, "Chain ID mismatch!")


def test_bad_signature_is_invalid_signature(v3: DevChain) -> None:
    tx = tx_v3.decode_transaction(tx3(v3, "", b"\x00"))
    forged = replace(tx, signature=tx.signature[:64] + bytes([7]))
    assert error_of(send3(v3, tx_v3.encode_transaction(forged))) == (10008, "InvalidSignature")


def test_data_hash_mismatch_is_minus_one(v3: DevChain) -> None:
    tx = tx_v3.decode_transaction(tx3(v3, "", b"\x00"))
    tampered = replace(tx, data=replace(tx.data, input=b"\x01"))  # fields changed, dataHash kept
    code, message = error_of(send3(v3, tx_v3.encode_transaction(tampered)))
    assert code == -1 and "hash mismatching" in message


def test_undecodable_bytes_are_minus_one(v3: DevChain) -> None:
    code, _ = error_of(rpc(v3, "sendTransaction", ["group0", "", "0x1234ff", False]))
    assert code == -1


def test_non_hex_v1_field_is_minus_one(v3: DevChain) -> None:
    raw = tx3(v3, "", b"\x00", version=1, value="12")
    code, message = error_of(send3(v3, raw))
    assert code == -1 and "value" in message


def test_full_pool_is_tx_pool_is_full() -> None:
    with DevChain(DevChainConfig(pool_limit=1)) as chain:
        chain.chain.set_sealing(False)
        chain.chain.submit(chain.chain.decode(tx3(chain, "", b"\x00")))
        assert error_of(send3(chain, tx3(chain, "", b"\x01"))) == (10002, "TxPoolIsFull")


def test_refused_transaction_changes_nothing(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    height = v3.block_number
    send3(v3, tx3(v3, address, set_call(5), chain_id="other"))
    assert v3.block_number == height
    assert rpc(v3, "getTotalTransactionCount", ["group0", ""])["result"]["transactionCount"] == 1
