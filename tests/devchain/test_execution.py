"""Execution with FISCO's environment: addresses, statuses, revert data, logs, ms timestamps."""

from __future__ import annotations

import time

from eth_abi import decode, encode

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.encoding import tx_v2, tx_v3

from devchain_helpers import (SIGNERS, deploy3, receipt2, result, selector, send2, send3, set_call, store_deploy,
                              tx2, tx3)


def call3(chain: DevChain, to: str, data: bytes) -> dict:
    return result(chain, "call", ["group0", "", to, "0x" + data.hex()])


def test_v3_deploy_lands_at_hash_of_block_context_seq(v3: DevChain) -> None:
    receipt = deploy3(v3)
    assert receipt["contractAddress"] == tx_v3.contract_address_v3(1, 0, 0, ECDSA)
    assert receipt["checksumContractAddress"].lower() == receipt["contractAddress"]
    value = call3(v3, receipt["contractAddress"], selector("value()"))
    assert decode(["uint256"], bytes.fromhex(value["output"][2:])) == (42,)


def test_v3_deploys_in_one_block_use_their_context_index(v3: DevChain) -> None:
    v3.chain.set_sealing(False)
    hashes = [v3.chain.submit(v3.chain.decode(tx3(v3, "", store_deploy(i)))) for i in range(3)]
    v3.chain.set_sealing(True)
    assert v3.chain.wait_for_block(1, 10)
    for index, tx_hash in enumerate(hashes):
        receipt = result(v3, "getTransactionReceipt", ["group0", "", "0x" + tx_hash.hex(), False])
        assert receipt["blockNumber"] == 1
        assert receipt["contractAddress"] == tx_v3.contract_address_v3(1, index, 0, ECDSA)


def test_v2_deploy_address_counts_creations_of_the_sender(v2: DevChain) -> None:
    sender = SIGNERS[1]
    first = receipt2(v2, send2(v2, tx2(v2, "", store_deploy(1), signer=sender))["result"])
    # a plain call does not advance the creation counter
    receipt2(v2, send2(v2, tx2(v2, first["contractAddress"], set_call(3), signer=sender))["result"])
    second = receipt2(v2, send2(v2, tx2(v2, "", store_deploy(2), signer=sender))["result"])
    assert first["contractAddress"] == tx_v2.contract_address_v2(sender.address, 0)
    assert second["contractAddress"] == tx_v2.contract_address_v2(sender.address, 1)
    assert first["to"] == "0x" + "00" * 20


def test_v2_reverted_deploy_still_uses_a_creation_nonce(v2: DevChain) -> None:
    sender = SIGNERS[2]
    failing = receipt2(v2, send2(v2, tx2(v2, "", bytes([0x60, 0, 0x60, 0, 0xFD]), signer=sender))["result"])
    assert failing["status"] == "0x16"
    assert failing["contractAddress"] == "0x" + "00" * 20
    ok = receipt2(v2, send2(v2, tx2(v2, "", store_deploy(), signer=sender))["result"])
    assert ok["contractAddress"] == tx_v2.contract_address_v2(sender.address, 1)


def test_revert_status_and_custom_error_output(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    receipt = send3(v3, tx3(v3, address, set_call(10**7)))["result"]
    assert receipt["status"] == 16
    assert receipt["output"] == "0x" + (selector("TooBig(uint256)") + encode(["uint256"], [10**7])).hex()
    assert receipt["logEntries"] == []
    # state unchanged by the reverted transaction
    assert decode(["uint256"], bytes.fromhex(call3(v3, address, selector("value()"))["output"][2:])) == (42,)


def test_require_message_is_error_string_in_v2_receipt(v2: DevChain) -> None:
    address = receipt2(v2, send2(v2, tx2(v2, "", store_deploy()))["result"])["contractAddress"]
    receipt = receipt2(v2, send2(v2, tx2(v2, address, selector("fail()")))["result"])
    assert receipt["status"] == "0x16" and receipt["statusMsg"] == "RevertInstruction"
    output = bytes.fromhex(receipt["output"][2:])
    assert output[:4] == bytes.fromhex("08c379a0") and decode(["string"], output[4:]) == ("nope",)


def test_logs_of_a_call(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    receipt = send3(v3, tx3(v3, address, set_call(7)))["result"]
    assert receipt["status"] == 0
    (log,) = receipt["logEntries"]
    assert log["address"] == address[2:]
    assert log["topics"] == ["0x" + ECDSA.hash(b"Stored(address,uint256)").hex(),
                             "0x" + bytes(12).hex() + SIGNERS[0].address[2:]]
    assert log["data"] == "0x" + encode(["uint256"], [7]).hex()


def test_environment_ms_timestamp_number_chainid_sender(v3: DevChain) -> None:
    before = time.time_ns() // 1_000_000
    address = deploy3(v3)["contractAddress"]
    number, stamp, chain_id, sender = decode(["uint256", "uint256", "uint256", "address"], bytes.fromhex(
        call3(v3, address, selector("info()"))["output"][2:]))
    block = result(v3, "getBlockByNumber", ["group0", "", 1, True, True])
    assert number == 1 and chain_id == 0 and sender == "0x" + "00" * 20
    assert stamp == block["timestamp"] and before - 5_000 <= stamp <= time.time_ns() // 1_000_000 + 5_000
    created_at = decode(["uint256"], bytes.fromhex(call3(v3, address, selector("createdAt()"))["output"][2:]))[0]
    assert created_at == block["timestamp"]  # constructor saw the same ms timestamp


def test_call_to_address_without_code_is_call_address_error(v3: DevChain, v2: DevChain) -> None:
    nobody = "0x" + "ab" * 20
    out = call3(v3, nobody, b"\x01")
    assert out["status"] == 19
    assert b"Error address:" in bytes.fromhex(out["output"][2:])
    v2_out = result(v2, "call", [1, {"from": SIGNERS[0].address, "to": nobody, "data": "0x01"}])
    assert v2_out["status"] == "0x1a"


def test_internal_create_works(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    receipt = send3(v3, tx3(v3, address, selector("make()")))["result"]
    child = "0x" + receipt["output"][-40:]
    assert result(v3, "getCode", ["group0", "", child]) not in ("", "0x")


def test_gas_limit_is_the_chain_setting() -> None:
    # an infinite loop burns the whole tx_gas_limit, then fails with OutOfGas (12)
    loop = bytes([0x5B, 0x60, 0x00, 0x56])  # JUMPDEST PUSH1 0 JUMP
    initcode = bytes([0x60, len(loop), 0x60, 0x0C, 0x60, 0x00, 0x39, 0x60, len(loop), 0x60, 0x00, 0xF3]) + loop
    with DevChain(DevChainConfig(tx_gas_limit=2_000_000)) as chain:
        address = send3(chain, tx3(chain, "", initcode))["result"]["contractAddress"]
        receipt = send3(chain, tx3(chain, address, b""))["result"]
        assert receipt["status"] == 12
        assert int(receipt["gasUsed"]) == 2_000_000
        assert result(chain, "getSystemConfigByKey", ["group0", "", "tx_gas_limit"])["value"] == "2000000"


def test_default_gas_limits_per_dialect(v3: DevChain, v2: DevChain) -> None:
    assert result(v3, "getSystemConfigByKey", ["group0", "", "tx_gas_limit"])["value"] == "3000000000"
    assert result(v2, "getSystemConfigByKey", [1, "tx_gas_limit"]) == "300000000"


def test_signed_call_uses_the_recovered_sender(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    data = selector("info()")
    digest = ECDSA.hash(address[2:].encode() + data)
    signature = SIGNERS[1].sign_digest(digest)
    out = result(v3, "call", ["group0", "", address, "0x" + data.hex(), "0x" + signature.hex()])
    assert decode(["uint256", "uint256", "uint256", "address"], bytes.fromhex(out["output"][2:]))[3] == SIGNERS[1].address


def test_thousands_of_transactions_keep_executing() -> None:
    """Regression: each transaction must release its EVM checkpoint (1024 would hit the call-depth limit)."""
    from fisco_drugtrace.devchain.evm import Executor
    from fisco_drugtrace.types import Dialect

    executor = Executor(Dialect.V3, gas_limit=10_000_000, evm_chain_id=0,
                        address_rule=lambda block, ctx, sender, n: tx_v3.contract_address_v3(block, ctx, 0, ECDSA))
    executor.set_block(1, 1)
    sender = SIGNERS[0].address
    address = executor.apply(sender, "", store_deploy(1), 0).contract_address
    for i in range(1, 1300):
        executor.set_block(i + 1, i + 1)
        if i % 100 == 0:
            executor.apply(sender, "", store_deploy(i), 0)  # deploys too
            executor.call(sender, address, selector("value()"))
        assert executor.apply(sender, address, set_call(i), 0).status == 0
    assert executor.storage(address, 0) == 1299
