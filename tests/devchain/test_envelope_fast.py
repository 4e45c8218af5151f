"""The envelope's orjson fast path answers exactly what the json module path answered.

Reference: ``json.loads`` the body, ``handle`` it, ``json.dumps`` the answer (the envelope before
orjson). orjson reads integers beyond 64 bits as floats and refuses NaN/Infinity, BOMs, UTF-16
bodies and lone surrogates; the envelope must fall back to the json module for all of those.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain.jsonrpc import _dumps, _dumps_fast, _has_float, _loads

BIG_IDS = [2**64, 2**64 - 1, 2**63, -(2**63) - 1, 10**30, -(10**40)]


@pytest.fixture(scope="module")
def chains() -> Iterator[dict[str, DevChain]]:
    with DevChain(DevChainConfig(dialect="v3")) as v3, DevChain(DevChainConfig(dialect="v2")) as v2:
        yield {"v3": v3, "v2": v2}


def reference(chain: DevChain, body: bytes) -> str:
    """What the json-module envelope answered, as canonical text (NaN-safe comparison)."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return canonical(chain.envelope.parse_error())
    return canonical(chain.handle(request))


def canonical(answer: Any) -> str:
    return json.dumps(answer, sort_keys=True)


def answered(chain: DevChain, body: bytes) -> str:
    return canonical(json.loads(chain.handle_raw(body)))


def request_body(req_id: Any, method: str, params: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params}).encode()


@pytest.mark.parametrize("req_id", BIG_IDS)
def test_v3_integer_ids_beyond_64_bits_are_echoed_exactly(chains: dict[str, DevChain], req_id: int) -> None:
    answer = chains["v3"].handle_raw(request_body(req_id, "getBlockNumber", ["group0", ""]))
    assert str(req_id).encode() in answer
    assert json.loads(answer) == {"jsonrpc": "2.0", "id": req_id, "result": 0}


@pytest.mark.parametrize("req_id", BIG_IDS)
def test_v2_integer_ids_beyond_64_bits_are_echoed_exactly(chains: dict[str, DevChain], req_id: int) -> None:
    answer = json.loads(chains["v2"].handle_raw(request_body(req_id, "getBlockNumber", [1])))
    assert answer == {"jsonrpc": "2.0", "id": req_id, "result": "0x0"}


def test_big_integer_param_is_not_read_as_float(chains: dict[str, DevChain]) -> None:
    # 2.x groupId must be a JSON integer: 2**64 + 1 is one (an unknown group), 1.8e19 would not be
    body = request_body(1, "getBlockNumber", [2**64 + 1])
    assert answered(chains["v2"], body) == reference(chains["v2"], body)


@pytest.mark.parametrize("body", [
    b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",NaN]}',
    b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",-Infinity]}',
    b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",1e400]}',
    b'\xef\xbb\xbf{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}',
    '{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}'.encode("utf-16"),
    b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0","\\ud800"]}',
    b'{"jsonrpc":"2.0","id":1,"id":2,"method":"getBlockNumber","params":["group0",""]}',
    b'{"jsonrpc":"2.0","id":1.0,"method":"getBlockNumber","params":["group0",""]}',
])
def test_bodies_orjson_refuses_or_misreads_answer_as_before(chains: dict[str, DevChain], body: bytes) -> None:
    for chain in chains.values():
        assert json.loads(chain.handle_raw(body)).get("error", {}).get("code") != -32700  # json read them
        assert answered(chain, body) == reference(chain, body)


def test_v2_lone_surrogate_and_non_ascii_ids_are_echoed(chains: dict[str, DevChain]) -> None:
    for req_id in ("\ud800", "药品", "a\u2028b"):
        answer = chains["v2"].handle_raw(request_body(req_id, "getBlockNumber", [1]))
        assert json.loads(answer)["id"] == req_id


def test_loads_takes_the_fast_path_only_without_floats() -> None:
    assert _loads(request_body(7, "sendTransaction", ["group0", "", "0xf8", False])) == (
        {"jsonrpc": "2.0", "id": 7, "method": "sendTransaction", "params": ["group0", "", "0xf8", False]}, True)
    assert _loads(request_body(2**64, "m", [])) == ({"jsonrpc": "2.0", "id": 2**64, "method": "m", "params": []},
                                                    False)
    assert _loads(b'[{"a": [{"b": [0.5]}]}]')[1] is False
    with pytest.raises(ValueError):
        _loads(b"{oops")


def test_has_float_handles_nesting_deeper_than_the_recursion_limit() -> None:
    deep: Any = 1.5
    for _ in range(5000):
        deep = [deep]
    assert _has_float(deep) and _has_float({"x": {"y": deep}}) and not _has_float([[[[1, "2", None, True]]]])


def test_dumps_fast_falls_back_for_what_orjson_cannot_write() -> None:
    for obj in ({"id": 2**64}, {"id": -(2**63) - 1}, {1: "int key"}, {"s": "\udfff"}):
        assert _dumps_fast(obj) == _dumps(obj)
    assert json.loads(_dumps_fast({"id": 3, "result": "药"})) == {"id": 3, "result": "药"}


JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
READ_ONLY = ["getBlockNumber", "getBlockByNumber", "getSystemConfigByKey", "getCode", "getGroupList", "nope"]


@settings(max_examples=300, deadline=None)
@given(dialect=st.sampled_from(["v3", "v2"]), req_id=JSON_SCALARS, method=st.sampled_from(READ_ONLY),
       params=st.one_of(st.lists(JSON_VALUES, max_size=5), JSON_VALUES))
def test_any_request_is_answered_as_the_json_module_answered(chains: dict[str, DevChain], dialect: str,
                                                              req_id: Any, method: str, params: Any) -> None:
    body = request_body(req_id, method, params)
    chain = chains[dialect]
    assert answered(chain, body) == reference(chain, body)
