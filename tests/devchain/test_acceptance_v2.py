"""2.x admission: refusals are -32603 with the node's Boost diagnostic and reason token."""

from __future__ import annotations

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.encoding import tx_v2

from devchain_helpers import SIGNERS, receipt2, rpc, send2, tx2


def refusal(response: dict) -> str:
    assert "error" in response, response
    assert response["error"]["code"] == -32603
    message = response["error"]["message"]
    assert message.startswith("INTERNAL_ERROR: : ")
    return message


def test_accepted_transaction_returns_hash_before_commit(v2: DevChain) -> None:
    v2.chain.set_sealing(False)
    raw = tx2(v2, "", b"\x00")
    tx_hash = send2(v2, raw)["result"]
    assert tx_hash == "0x" + tx_v2.tx_hash_v2(raw, SIGNERS[0].suite).hex()
    assert rpc(v2, "getTransactionReceipt", [1, tx_hash])["result"] is None
    v2.chain.set_sealing(True)
    assert receipt2(v2, tx_hash)["blockNumber"] == "0x1"


def test_block_limit_refusal_names_the_limit(v2: DevChain) -> None:
    message = refusal(send2(v2, tx2(v2, "", b"\x00", block_limit=0)))
    assert "BlockLimitCheckFailed, txBlockLimit=0" in message


def test_block_limit_too_far_is_refused(v2: DevChain) -> None:
    assert "BlockLimitCheckFailed" in refusal(send2(v2, tx2(v2, "", b"\x00", block_limit=1001)))


def test_replayed_committed_transaction_is_already_in_chain(v2: DevChain) -> None:
    raw = tx2(v2, "", b"\x00")
    receipt2(v2, send2(v2, raw)["result"])
    assert "TransactionAlreadyInChain" in refusal(send2(v2, raw))


def test_nonce_of_committed_transaction_is_nonce_check_fail(v2: DevChain) -> None:
    receipt2(v2, send2(v2, tx2(v2, "", b"\x00", nonce=77))["result"])
    assert "TransactionNonceCheckFail" in refusal(send2(v2, tx2(v2, "", b"\x01", nonce=77)))


def test_nonce_pending_in_pool_is_txpool_nonce_check_fail(v2: DevChain) -> None:
    v2.chain.set_sealing(False)
    send2(v2, tx2(v2, "", b"\x00", nonce=5))
    assert "TxPoolNonceCheckFail" in refusal(send2(v2, tx2(v2, "", b"\x01", nonce=5)))


def test_same_transaction_in_pool_is_already_known(v2: DevChain) -> None:
    v2.chain.set_sealing(False)
    raw = tx2(v2, "", b"\x00")
    send2(v2, raw)
    assert "TransactionAlreadyKown" in refusal(send2(v2, raw))


@pytest.mark.parametrize(("kwargs", "token"), [({"chain_id": 9}, "InvalidChainId"), ({"group_id": 2}, "InvalidGroupId")])
def test_wrong_chain_or_group(v2: DevChain, kwargs: dict, token: str) -> None:
    assert token in refusal(send2(v2, tx2(v2, "", b"\x00", **kwargs)))


def test_bad_rlp_is_internal_error(v2: DevChain) -> None:
    refusal(rpc(v2, "sendRawTransaction", [1, "0xc0ffee"]))


def test_full_pool_is_refused() -> None:
    with DevChain(DevChainConfig(dialect="v2", pool_limit=1)) as chain:
        chain.chain.set_sealing(False)
        send2(chain, tx2(chain, "", b"\x00"))
        assert "TransactionPoolIsFull" in refusal(send2(chain, tx2(chain, "", b"\x01")))


def test_send_to_unknown_group_is_group_not_exist(v2: DevChain) -> None:
    response = rpc(v2, "sendRawTransaction", [7, "0x" + tx2(v2, "", b"\x00").hex()])
    assert response["error"]["code"] == -40001
