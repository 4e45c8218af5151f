"""JSON-RPC envelope, validation, error mapping and retry bounds (no network)."""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.errors import (
    BadResponseError,
    ConnectError,
    GroupNotFound,
    MethodNotFound,
    RequestTimeout,
    RpcError,
    TlsError,
)
from fisco_drugtrace.rpc import InProcessTransport, JsonRpc, RetryPolicy
from fisco_drugtrace.rpc.jsonrpc import encode_request, parse_response
from tests.fakes import FakeNode, RpcFailure, ScriptedTransport


def _ok(result: object) -> object:
    return lambda request: {"jsonrpc": "2.0", "id": request["id"], "result": result}


def test_request_envelope_uses_integer_ids_and_array_params() -> None:
    transport = ScriptedTransport([_ok(7), _ok(8)])
    rpc = JsonRpc(transport)
    assert rpc.request("getBlockNumber", ["group0", ""]) == 7
    assert rpc.request("getBlockNumber", ["group0", ""]) == 8
    first, second = transport.requests
    assert first == {"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": ["group0", ""]}
    assert isinstance(second["id"], int) and second["id"] == 2


def test_encode_request_is_compact_json() -> None:
    body = encode_request(5, "call", ("g", "", "0xab"))
    assert json.loads(body) == {"jsonrpc": "2.0", "id": 5, "method": "call", "params": ["g", "", "0xab"]}


@pytest.mark.parametrize(
    "body",
    [
        b'{"jsonrpc":"2.0","id":1,"result":{"blockNu',  # half a JSON
        b"<html><body>Bad Gateway</body></html>",  # HTML
        b'{"jsonrpc":"2.0","id":1}',  # neither result nor error
        b"[1, 2, 3]",  # not an object
        b'{"jsonrpc":"2.0","id":1,"error":"boom"}',  # malformed error object
        b"\xff\xfe\x00garbage",  # not UTF-8
    ],
)
def test_non_envelopes_raise_bad_response_with_excerpt(body: bytes) -> None:
    with pytest.raises(BadResponseError) as info:
        parse_response(body, request_id=1, method="getBlockNumber")
    assert info.value.body_excerpt
    assert "getBlockNumber" in str(info.value)


def test_mismatched_id_is_a_bad_response() -> None:
    with pytest.raises(BadResponseError):
        parse_response(b'{"jsonrpc":"2.0","id":99,"result":1}', request_id=1, method="m")


def test_error_object_goes_through_the_mapper_and_keeps_the_node_message() -> None:
    node = FakeNode().on("getGroupInfo", lambda p: (_ for _ in ()).throw(RpcFailure(-32005, "GroupNotExist", {"x": 1})))
    rpc = JsonRpc(InProcessTransport(node.handle_raw))
    with pytest.raises(GroupNotFound) as info:
        rpc.request("getGroupInfo", ["nope"])
    assert info.value.code == -32005
    assert info.value.node_message == "GroupNotExist"
    assert info.value.data == {"x": 1}
    assert info.value.method == "getGroupInfo"


def test_unknown_method_maps_to_method_not_found() -> None:
    rpc = JsonRpc(InProcessTransport(FakeNode().handle_raw))
    with pytest.raises(MethodNotFound):
        rpc.request("noSuchMethod", [])


def test_custom_mapper_is_used() -> None:
    class Special(RpcError):
        pass

    seen: list[tuple[int, str, str]] = []

    def mapper(code: int, message: str, data: object, method: str) -> RpcError:
        seen.append((code, message, method))
        return Special(code, message, data, method=method)

    node = FakeNode().on("x", lambda p: (_ for _ in ()).throw(RpcFailure(42, "odd")))
    with pytest.raises(Special):
        JsonRpc(InProcessTransport(node.handle_raw), mapper).request("x", [])
    assert seen == [(42, "odd", "x")]


def test_reads_are_retried_with_growing_backoff_then_succeed() -> None:
    sleeps: list[float] = []
    transport = ScriptedTransport([ConnectError("down", url="u"), RequestTimeout("slow", url="u"), _ok(3)])
    rpc = JsonRpc(transport, retry=RetryPolicy(attempts=3, backoff=0.5), sleep=sleeps.append)
    assert rpc.request("getBlockNumber", []) == 3
    assert sleeps == [0.5, 1.0]
    assert len(transport.requests) == 3


def test_retries_are_bounded() -> None:
    sleeps: list[float] = []
    transport = ScriptedTransport([ConnectError("down", url="u")] * 10)
    rpc = JsonRpc(transport, retry=RetryPolicy(attempts=4, backoff=0.1, max_backoff=0.25), sleep=sleeps.append)
    with pytest.raises(ConnectError):
        rpc.request("getBlockNumber", [])
    assert len(transport.requests) == 4
    assert sleeps == [0.1, 0.2, 0.25]


def test_writes_are_not_retried() -> None:
    transport = ScriptedTransport([ConnectError("down", url="u"), _ok("0xhash")])
    rpc = JsonRpc(transport, retry=RetryPolicy(attempts=5, backoff=0), sleep=lambda s: None)
    with pytest.raises(ConnectError):
        rpc.request("sendTransaction", ["g", "", "0x00", False], idempotent=False)
    assert len(transport.requests) == 1


def test_tls_errors_and_http_4xx_are_not_retried() -> None:
    for failure in (TlsError("bad cert", url="u"), BadResponseError("nope", url="u", status=404)):
        transport = ScriptedTransport([failure, _ok(1)])
        rpc = JsonRpc(transport, retry=RetryPolicy(attempts=3, backoff=0), sleep=lambda s: None)
        with pytest.raises(type(failure)):
            rpc.request("getBlockNumber", [])
        assert len(transport.requests) == 1


def test_http_5xx_is_retried() -> None:
    transport = ScriptedTransport([BadResponseError("500", url="u", status=500), _ok(1)])
    rpc = JsonRpc(transport, retry=RetryPolicy(attempts=2, backoff=0), sleep=lambda s: None)
    assert rpc.request("getBlockNumber", []) == 1


def test_close_closes_the_transport() -> None:
    transport = ScriptedTransport([])
    JsonRpc(transport).close()
    assert transport.closed


# --------------------------------------------------------------------------- fuzz
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fisco_drugtrace.errors import DrugTraceError  # noqa: E402

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                           st.sampled_from(["jsonrpc", "id", "result", "error", "code", "message", "data"]), inner,
                           max_size=4), max_leaves=6)


@given(st.one_of(st.binary(max_size=64), _values.map(lambda v: json.dumps(v).encode())))
def test_any_answer_is_a_result_or_a_typed_error(body: bytes) -> None:
    try:
        parse_response(body, request_id=1, method="m")
    except DrugTraceError as exc:
        assert isinstance(exc, (BadResponseError, RpcError))
    else:
        envelope = json.loads(body)
        assert isinstance(envelope, dict) and envelope.get("id") == 1 and envelope.get("error") is None
