"""Deployed code is installed analysed (revm's jump table computed once, not on every call frame),
and nothing a contract or a client can observe changes: getCode, EXTCODESIZE/EXTCODEHASH/
EXTCODECOPY, the account's nonce, code made by a contract's own CREATE, and a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
import rlp

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain import evm as evm_module
from fisco_drugtrace.devchain.evm import Executor
from fisco_drugtrace.types import Dialect

from devchain_helpers import result, send3, tx3

#: revm's padding of analysed code, which pyrevm's ``get_code`` returns as part of the code.
PADDING = 33


def returning(runtime: bytes, prefix: bytes = b"") -> bytes:
    """Initcode: ``prefix`` then return ``runtime`` (PUSH2 n DUP1 PUSH1 off PUSH1 0 CODECOPY PUSH1 0 RETURN)."""
    off = len(prefix) + 12
    n = len(runtime)
    return prefix + bytes([0x61, n >> 8, n & 0xFF, 0x80, 0x60, off, 0x60, 0, 0x39, 0x60, 0, 0xF3]) + runtime


def push20(address: str) -> bytes:
    return b"\x73" + bytes.fromhex(address[2:])


def inspector(target: str) -> bytes:
    """Runtime returning (EXTCODESIZE, EXTCODEHASH, first 32 bytes of EXTCODECOPY) of ``target``."""
    return (push20(target) + b"\x3b" + bytes.fromhex("600052")  # size -> mem[0]
            + push20(target) + b"\x3f" + bytes.fromhex("602052")  # hash -> mem[32]
            + bytes.fromhex("6020") + bytes.fromhex("6000") + bytes.fromhex("6040") + push20(target)
            + b"\x3c"  # EXTCODECOPY(target, destOffset 64, offset 0, size 32)
            + bytes.fromhex("60606000f3"))  # return mem[0:96]


def executor(dialect: Dialect = Dialect.V3) -> Executor:
    counter = iter(range(1, 1000))
    return Executor(dialect, gas_limit=30_000_000, evm_chain_id=0,
                    address_rule=lambda *_: "0xc0" + f"{next(counter):038x}")  # clear of precompiles


SENDER = "0x" + "5e" * 20
#: A runtime that ends in more zero bytes than the padding (the code hash must tell them apart).
ZERO_TAIL = bytes.fromhex("6001600055") + bytes(40)
BIG = bytes.fromhex("5b") * 9_000 + bytes.fromhex("00")


@pytest.mark.parametrize("dialect", [Dialect.V3, Dialect.V2])
@pytest.mark.parametrize("runtime", [ZERO_TAIL, BIG, bytes.fromhex("00")], ids=["zero-tail", "9k", "stop"])
def test_code_is_installed_analysed_and_read_back_as_deployed(dialect: Dialect, runtime: bytes) -> None:
    ex = executor(dialect)
    out = ex.apply(SENDER, "", returning(runtime), 0)
    assert out.status == 0
    address = out.contract_address
    assert ex.code(address) == runtime
    stored = ex._evm.get_code(address)
    assert stored == runtime + bytes(PADDING)  # analysed: revm's padded form
    assert bytes(ex._evm.basic(address).code_hash) == keccak256(runtime)


def test_contracts_see_the_original_code() -> None:
    ex = executor()
    target = ex.apply(SENDER, "", returning(ZERO_TAIL), 0).contract_address
    reader = ex.apply(SENDER, "", returning(inspector(target)), 1).contract_address
    got = ex.call(SENDER, reader, b"")
    assert got.status == 0
    size, code_hash, head = got.output[:32], got.output[32:64], got.output[64:96]
    assert int.from_bytes(size, "big") == len(ZERO_TAIL)
    assert code_hash == keccak256(ZERO_TAIL)
    assert head == ZERO_TAIL[:32]


def test_constructor_nonce_is_kept() -> None:
    """A constructor's own CREATE advances the new contract's nonce; installing the code keeps it."""
    ex = executor()
    create_empty = bytes.fromhex("600060006000f050")  # CREATE(value 0, offset 0, size 0); POP
    address = ex.apply(SENDER, "", returning(bytes.fromhex("00"), prefix=create_empty), 0).contract_address
    assert ex._evm.basic(address).nonce == 1
    plain = ex.apply(SENDER, "", returning(bytes.fromhex("00")), 1).contract_address
    assert ex._evm.basic(plain).nonce == 0


def test_the_analysis_leaves_no_code_behind() -> None:
    """The CREATE used for analysis and the parking address end up empty."""
    ex = executor()
    ex.apply(SENDER, "", returning(ZERO_TAIL), 0)
    analyser = evm_module._ANALYSER
    assert ex._evm.basic(analyser).nonce == 1  # one installation
    created = "0x" + keccak256(rlp.encode([bytes.fromhex(analyser[2:]), 0]))[-20:].hex()
    assert ex.code(created) == b""
    parking = "0x" + keccak256(b"fisco-drugtrace/devchain/analysed-code" + keccak256(ZERO_TAIL))[-20:].hex()
    assert ex.code(parking) == b""


def test_code_made_by_a_contracts_create_is_read_back_unpadded(v3: DevChain) -> None:
    """revm analyses code from a contract's own CREATE too; getCode must not show the padding."""
    child = ZERO_TAIL
    child_init = returning(child)
    # factory runtime: copy child_init (after these 24 bytes) to memory, CREATE it, return the address
    n = len(child_init)
    factory = bytes([0x61, n >> 8, n & 0xFF, 0x60, 24, 0x60, 0, 0x39,  # CODECOPY(0, 24, n)
                     0x61, n >> 8, n & 0xFF, 0x60, 0, 0x60, 0, 0xF0,  # CREATE(0, 0, n)
                     0x60, 0, 0x52, 0x60, 0x20, 0x60, 0, 0xF3]) + child_init  # MSTORE(0, addr); RETURN(0, 32)
    receipt = send3(v3, tx3(v3, "", returning(factory)))["result"]
    assert receipt["status"] == 0, receipt
    made = send3(v3, tx3(v3, receipt["contractAddress"], b""))["result"]
    assert made["status"] == 0, made
    child_address = "0x" + made["output"][-40:]
    assert result(v3, "getCode", ["group0", "", child_address]) == "0x" + child.hex()
    assert v3.chain.executor.code(child_address) == child


def test_restart_replays_into_the_same_code(tmp_path: Path) -> None:
    config = DevChainConfig(data_dir=tmp_path / "d")
    with DevChain(config) as chain:
        receipt = send3(chain, tx3(chain, "", returning(ZERO_TAIL)))["result"]
        address = receipt["contractAddress"]
        assert result(chain, "getCode", ["group0", "", address]) == "0x" + ZERO_TAIL.hex()
    with DevChain(config) as again:
        assert result(again, "getCode", ["group0", "", address]) == "0x" + ZERO_TAIL.hex()
        assert again.chain.executor._evm.get_code(address) == ZERO_TAIL + bytes(PADDING)


def test_code_over_revms_create_limit_is_installed_raw_and_still_runs() -> None:
    """FISCO allows more code than EIP-170; revm's CREATE (the analyser) does not, so it stays raw."""
    runtime = bytes.fromhex("5b") * 30_000 + bytes.fromhex("60426000526020 6000f3".replace(" ", ""))
    ex = executor()
    out = ex.apply(SENDER, "", returning(runtime), 0)
    assert out.status == 0
    assert ex._evm.get_code(out.contract_address) == runtime
    assert ex.code(out.contract_address) == runtime
    assert int.from_bytes(ex.call(SENDER, out.contract_address, b"").output, "big") == 0x42
