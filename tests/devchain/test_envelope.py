"""JSON-RPC framing of both dialects: bad JSON, bad requests, unknown methods, batches, ids."""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.devchain import DevChain


def raw(chain: DevChain, body: bytes) -> object:
    return json.loads(chain.handle_raw(body))


@pytest.mark.parametrize("body", [b"{", b"not json", b"\xff\xfe", b'{"jsonrpc": "2.0", "id": 1, "method": '])
def test_bad_json_is_parse_error(v3: DevChain, v2: DevChain, body: bytes) -> None:
    for chain in (v3, v2):
        response = raw(chain, body)
        assert response["error"]["code"] == -32700 and response["id"] is None


@pytest.mark.parametrize("request_obj", [
    [], 5, "text", {"id": 1, "method": "getBlockNumber", "params": ["group0", ""]},
    {"jsonrpc": "2.0", "id": 1, "params": ["group0", ""]},
    {"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": {"group": "group0"}},
    {"jsonrpc": "2.0", "id": 1, "method": 42, "params": []},
    {"jsonrpc": "2.0", "id": "abc", "method": "getBlockNumber", "params": ["group0", ""]},
    [{"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": ["group0", ""]}],
])
def test_v3_invalid_requests(v3: DevChain, request_obj: object) -> None:
    assert v3.handle(request_obj)["error"]["code"] == -32600


def test_v3_unknown_method(v3: DevChain) -> None:
    response = v3.handle({"jsonrpc": "2.0", "id": 7, "method": "eth_blockNumber", "params": []})
    assert response == {"jsonrpc": "2.0", "id": 7,
                        "error": {"code": -32601, "message": "The method does not exist/is not available."}}


def test_v3_id_is_echoed_and_defaults_to_zero(v3: DevChain) -> None:
    assert v3.handle({"jsonrpc": "2.0", "id": 123, "method": "getBlockNumber", "params": ["group0", ""]})["id"] == 123
    assert v3.handle({"jsonrpc": "2.0", "method": "getBlockNumber", "params": ["group0", ""]})["id"] == 0


def test_v2_batch(v2: DevChain) -> None:
    body = json.dumps([
        {"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": [1]},
        {"jsonrpc": "2.0", "id": "two", "method": "nope", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "getBlockNumber", "params": ["1"]},
    ]).encode()
    responses = raw(v2, body)
    assert responses[0] == {"jsonrpc": "2.0", "id": 1, "result": "0x0"}
    assert responses[1]["id"] == "two" and responses[1]["error"]["code"] == -32601
    assert responses[2]["error"]["code"] == -32602


def test_v2_empty_batch_is_invalid(v2: DevChain) -> None:
    assert raw(v2, b"[]")["error"]["code"] == -32600


def test_v2_request_without_id_is_refused(v2: DevChain) -> None:
    response = v2.handle({"jsonrpc": "2.0", "method": "getBlockNumber", "params": [1]})
    assert response["error"]["code"] == -32604 and response["id"] is None


@pytest.mark.parametrize("request_obj", [
    {"jsonrpc": "1.0", "id": 1, "method": "getBlockNumber", "params": [1]},
    {"id": 1, "method": "getBlockNumber", "params": [1]},
    {"jsonrpc": "2.0", "id": [1], "method": "getBlockNumber", "params": [1]},
    {"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": "1"},
    17,
])
def test_v2_invalid_requests(v2: DevChain, request_obj: object) -> None:
    assert v2.handle(request_obj)["error"]["code"] == -32600


def test_v2_unknown_method_message(v2: DevChain) -> None:
    error = v2.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": []})["error"]
    assert error["code"] == -32601 and error["message"].startswith("METHOD_NOT_FOUND")


def test_v2_string_ids_are_echoed(v2: DevChain) -> None:
    assert v2.handle({"jsonrpc": "2.0", "id": "x", "method": "getBlockNumber", "params": [1]})["id"] == "x"
