"""ContractAbi: overloads, structs, events (indexed, anonymous), custom errors, Error and Panic."""

from __future__ import annotations

import eth_abi
import pytest

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.encoding.abi import ERROR_SELECTOR, PANIC_SELECTOR, ContractAbi
from fisco_drugtrace.errors import AbiDecodingError, AbiEncodingError, AbiError
from fisco_drugtrace.types import Address, Log

A = "0x" + "ab" * 20
B = "0x" + "cd" * 20

ABI = [
    {"type": "constructor", "inputs": [{"name": "owner", "type": "address"}, {"name": "cap", "type": "uint256"}]},
    {"type": "function", "name": "set", "inputs": [{"name": "s", "type": "string"}], "outputs": [],
     "stateMutability": "nonpayable"},
    {"type": "function", "name": "get", "inputs": [], "outputs": [{"name": "", "type": "string"}],
     "stateMutability": "view"},
    {"type": "function", "name": "pair", "inputs": [], "stateMutability": "view",
     "outputs": [{"name": "a", "type": "uint256"}, {"name": "b", "type": "bool"}]},
    {"type": "function", "name": "put", "inputs": [{"name": "x", "type": "uint256"}], "outputs": []},
    {"type": "function", "name": "put", "inputs": [{"name": "x", "type": "string"}], "outputs": []},
    {"type": "function", "name": "put", "inputs": [{"name": "x", "type": "uint256"}, {"name": "y", "type": "uint256"}],
     "outputs": []},
    {"type": "function", "name": "batch", "stateMutability": "view",
     "inputs": [{"name": "id", "type": "bytes32"}],
     "outputs": [{"name": "", "type": "tuple", "components": [
         {"name": "id", "type": "bytes32"}, {"name": "holder", "type": "address"},
         {"name": "codes", "type": "bytes8[]"},
         {"name": "parts", "type": "tuple[]", "components": [{"name": "n", "type": "uint16"},
                                                              {"name": "s", "type": "string"}]}]}]},
    {"type": "function", "name": "anon", "inputs": [{"name": "", "type": "tuple",
                                                     "components": [{"name": "", "type": "uint8"},
                                                                    {"name": "", "type": "int256"}]}],
     "outputs": []},
    {"type": "event", "name": "Shipped", "anonymous": False, "inputs": [
        {"name": "batchId", "type": "bytes32", "indexed": True},
        {"name": "to", "type": "address", "indexed": True},
        {"name": "lot", "type": "string", "indexed": True},
        {"name": "qty", "type": "uint256", "indexed": False},
        {"name": "note", "type": "string", "indexed": False}]},
    {"type": "event", "name": "Ping", "anonymous": True, "inputs": [
        {"name": "who", "type": "address", "indexed": True}, {"name": "n", "type": "uint8", "indexed": False}]},
    {"type": "error", "name": "CustodyNotHolder", "inputs": [{"name": "batchId", "type": "bytes32"},
                                                              {"name": "caller", "type": "address"}]},
    {"type": "error", "name": "Paused", "inputs": []},
    {"type": "fallback"},
]


@pytest.fixture(scope="module")
def abi() -> ContractAbi:
    return ContractAbi(ABI)


def test_selector_matches_the_published_vector(abi: ContractAbi) -> None:
    assert abi.selector("set").hex() == "4ed3885e"  # set(string), fisco-v3 notes
    assert abi.selector("put(uint256,uint256)") == keccak256(b"put(uint256,uint256)")[:4]


def test_encode_call_matches_eth_abi(abi: ContractAbi) -> None:
    data = abi.encode_call("set", ["Hello, FISCO BCOS"])
    assert data.hex() == ("4ed3885e" + eth_abi.encode(["string"], ["Hello, FISCO BCOS"]).hex())


def test_overloads_resolve_by_count_then_by_type(abi: ContractAbi) -> None:
    assert abi.encode_call("put", [7])[:4] == abi.selector("put(uint256)")
    assert abi.encode_call("put", ["seven"])[:4] == abi.selector("put(string)")
    assert abi.encode_call("put", [1, 2])[:4] == abi.selector("put(uint256,uint256)")
    with pytest.raises(AbiError, match="overloaded"):
        abi.selector("put")
    with pytest.raises(AbiError, match="no overload"):
        abi.encode_call("put", [b"\x01" * 40])


def test_unknown_function_and_wrong_arity_are_abi_errors(abi: ContractAbi) -> None:
    with pytest.raises(AbiError, match="no function 'nope'"):
        abi.encode_call("nope", [])
    with pytest.raises(AbiError, match="takes 1 argument"):
        abi.encode_call("set", [])


@pytest.mark.parametrize(("fn", "args"), [("set", [5]), ("batch", ["0xzz"]), ("put(uint256)", [-1])])
def test_values_that_do_not_fit_are_encoding_errors(abi: ContractAbi, fn: str, args: list) -> None:
    with pytest.raises(AbiEncodingError):
        abi.encode_call(fn, args)


def test_outputs_single_multiple_and_struct(abi: ContractAbi) -> None:
    assert abi.decode_output("get", eth_abi.encode(["string"], ["hi"])) == "hi"
    assert abi.decode_output("pair", eth_abi.encode(["uint256", "bool"], [3, True])) == (3, True)
    assert abi.decode_output_dict("pair", eth_abi.encode(["uint256", "bool"], [3, True])) == {"a": 3, "b": True}
    assert abi.decode_output("set", b"") is None
    struct = (b"\x01" * 32, "0x" + "AB" * 20, [b"12345678"], [(1, "x"), (2, "y")])
    raw = eth_abi.encode(["(bytes32,address,bytes8[],(uint16,string)[])"], [struct])
    assert abi.decode_output("batch", raw) == {
        "id": b"\x01" * 32, "holder": A, "codes": [b"12345678"], "parts": [{"n": 1, "s": "x"}, {"n": 2, "s": "y"}]}


def test_structs_encode_from_dicts_or_sequences(abi: ContractAbi) -> None:
    by_tuple = abi.encode_call("anon", [(1, -5)])
    assert abi.decode_call(by_tuple).args == {"arg0": (1, -5)}
    with pytest.raises(AbiEncodingError, match="struct needs keys"):
        abi.encode_call("anon", [{"a": 1}])


def test_decode_call_round_trips(abi: ContractAbi) -> None:
    data = abi.encode_call("put", [1, 2])
    decoded = abi.decode_call(data)
    assert decoded.function.signature == "put(uint256,uint256)" and decoded.args == {"x": 1, "y": 2}
    with pytest.raises(AbiDecodingError):
        abi.decode_call(b"\x00\x00\x00\x00")


def test_bad_output_data_is_a_decoding_error(abi: ContractAbi) -> None:
    with pytest.raises(AbiDecodingError):
        abi.decode_output("pair", b"\x01\x02")


def test_encode_deploy_appends_constructor_args(abi: ContractAbi) -> None:
    data = abi.encode_deploy("0x6080", [A, 10])
    assert data == b"\x60\x80" + eth_abi.encode(["address", "uint256"], [A, 10])
    with pytest.raises(AbiEncodingError, match="empty bytecode"):
        abi.encode_deploy(b"", [A, 1])
    with pytest.raises(AbiEncodingError, match="not hex"):
        abi.encode_deploy("0x60__$lib$__", [A, 1])


def _log(topics: list[bytes], data: bytes) -> Log:
    return Log(address=Address(B), topics=tuple(topics), data=data)


def test_event_with_indexed_static_and_dynamic_arguments(abi: ContractAbi) -> None:
    topic0 = abi.event_topic("Shipped")
    assert topic0 == keccak256(b"Shipped(bytes32,address,string,uint256,string)")
    lot_hash = keccak256(b"LOT-1")
    log = _log([topic0, b"\x07" * 32, bytes(12) + bytes.fromhex(A[2:]), lot_hash],
               eth_abi.encode(["uint256", "string"], [12, "cold chain"]))
    event = abi.decode_log(log)
    assert event is not None and event.name == "Shipped" and event.log is log
    assert event.args == {"batchId": b"\x07" * 32, "to": A, "lot": lot_hash, "qty": 12, "note": "cold chain"}


def test_anonymous_event_and_foreign_logs(abi: ContractAbi) -> None:
    ping = abi.decode_log(_log([bytes(12) + bytes.fromhex(B[2:])], eth_abi.encode(["uint8"], [9])))
    assert ping is not None and ping.name == "Ping" and ping.args == {"who": B, "n": 9}
    assert abi.decode_log(_log([keccak256(b"Other()")], b"")) is None
    assert abi.decode_log(_log([], b"")) is None


def test_event_with_wrong_topic_count_is_a_decoding_error(abi: ContractAbi) -> None:
    with pytest.raises(AbiDecodingError, match="indexed topics"):
        abi.decode_log(_log([abi.event_topic("Shipped")], b""))


def test_custom_error_error_string_and_panic(abi: ContractAbi) -> None:
    sel = keccak256(b"CustodyNotHolder(bytes32,address)")[:4]
    custom = abi.decode_error(sel + eth_abi.encode(["bytes32", "address"], [b"\x05" * 32, A]))
    assert custom is not None and custom.name == "CustodyNotHolder"
    assert custom.args == {"batchId": b"\x05" * 32, "caller": A}
    paused = abi.decode_error(keccak256(b"Paused()")[:4])
    assert paused is not None and (paused.name, paused.args) == ("Paused", {})
    message = abi.decode_error(ERROR_SELECTOR + eth_abi.encode(["string"], ["not allowed"]))
    assert message is not None and (message.name, message.args) == ("Error", {"message": "not allowed"})
    panic = abi.decode_error(PANIC_SELECTOR + eth_abi.encode(["uint256"], [0x11]))
    assert panic is not None and (panic.name, panic.args) == ("Panic", {"code": 0x11})


def test_unknown_or_truncated_revert_data_is_none(abi: ContractAbi) -> None:
    assert abi.decode_error(b"") is None
    assert abi.decode_error(b"\x01\x02") is None
    assert abi.decode_error(b"\xde\xad\xbe\xef") is None
    assert abi.decode_error(ERROR_SELECTOR + b"\x00" * 5) is None


def test_abi_from_json_text_and_malformed_abi() -> None:
    import json

    assert ContractAbi(json.dumps(ABI)).selector("set") == ContractAbi(ABI).selector("set")
    with pytest.raises(AbiError):
        ContractAbi("not json")
    with pytest.raises(AbiError):
        ContractAbi([{"type": "function", "name": "f", "inputs": [{"name": "x"}]}])


def test_sm_hasher_changes_selectors() -> None:
    sm = ContractAbi(ABI, hasher=lambda b: b"\x35\x90\xb4\x9f" + bytes(28))
    assert sm.selector("set").hex() == "3590b49f"
