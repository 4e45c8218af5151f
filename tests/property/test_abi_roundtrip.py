"""Hypothesis: ABI encode -> decode -> encode is the identity over random types and values."""

from __future__ import annotations

from typing import Any

import eth_abi
from hypothesis import given
from hypothesis import strategies as st

from fisco_drugtrace.encoding.abi import ContractAbi
from fisco_drugtrace.types import Address, Log

# --------------------------------------------------------------------------- random ABI types
_sizes = st.sampled_from([8, 16, 32, 64, 128, 256])
_elementary = st.one_of(
    _sizes.map(lambda n: {"type": f"uint{n}"}),
    _sizes.map(lambda n: {"type": f"int{n}"}),
    st.integers(1, 32).map(lambda n: {"type": f"bytes{n}"}),
    st.sampled_from([{"type": "address"}, {"type": "bool"}, {"type": "string"}, {"type": "bytes"}]),
)


def _extend(children: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    tuples = st.lists(children, min_size=1, max_size=3).map(
        lambda comps: {"type": "tuple", "components": [dict(c, name=f"f{i}") for i, c in enumerate(comps)]})
    arrays = st.tuples(children, st.one_of(st.just("[]"), st.integers(1, 3).map(lambda n: f"[{n}]"))).map(
        lambda pair: dict(pair[0], type=pair[0]["type"] + pair[1]))
    return st.one_of(tuples, arrays)


abi_types = st.recursive(_elementary, _extend, max_leaves=6)


def _value(t: dict) -> st.SearchStrategy[Any]:
    name = t["type"]
    if name.endswith("]"):
        suffix = name[name.rindex("["):]
        inner = dict(t, type=name[: name.rindex("[")])
        if suffix == "[]":
            return st.lists(_value(inner), max_size=3)
        n = int(suffix[1:-1])
        return st.lists(_value(inner), min_size=n, max_size=n)
    if name == "tuple":
        return st.fixed_dictionaries({c["name"]: _value(c) for c in t["components"]})
    if name.startswith("uint"):
        return st.integers(0, 2 ** int(name[4:]) - 1)
    if name.startswith("int"):
        bits = int(name[3:])
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if name == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if name == "bool":
        return st.booleans()
    if name == "string":
        return st.text(max_size=40)
    if name == "bytes":
        return st.binary(max_size=70)
    return st.binary(min_size=int(name[5:]), max_size=int(name[5:]))


@st.composite
def signatures_and_values(draw: st.DrawFn) -> tuple[list[dict], list[Any]]:
    types = draw(st.lists(abi_types, min_size=0, max_size=4))
    params = [dict(t, name=f"p{i}") for i, t in enumerate(types)]
    values = [draw(_value(p)) for p in params]
    return params, values


def _abi(params: list[dict]) -> ContractAbi:
    return ContractAbi([
        {"type": "function", "name": "f", "inputs": params, "outputs": params, "stateMutability": "view"},
        {"type": "event", "name": "E", "inputs": [dict(p, indexed=False) for p in params]},
        {"type": "error", "name": "Oops", "inputs": params},
    ])


@given(signatures_and_values())
def test_call_encode_decode_encode_is_identity(case: tuple[list[dict], list[Any]]) -> None:
    params, values = case
    abi = _abi(params)
    data = abi.encode_call("f", values)
    decoded = abi.decode_call(data)
    assert list(decoded.args.values()) == values
    assert abi.encode_call("f", list(decoded.args.values())) == data


@given(signatures_and_values())
def test_output_decoding_matches_eth_abi(case: tuple[list[dict], list[Any]]) -> None:
    params, values = case
    abi = _abi(params)
    fn = abi.function("f")
    raw = eth_abi.encode([p.canonical for p in fn.inputs], [_plain(p, v) for p, v in zip(fn.inputs, values)])
    out = abi.decode_output("f", raw)
    expected = None if not values else (values[0] if len(values) == 1 else tuple(values))
    assert out == expected
    assert abi.decode_output_dict("f", raw) == {p["name"]: v for p, v in zip(params, values)}


@given(signatures_and_values())
def test_event_data_and_error_round_trip(case: tuple[list[dict], list[Any]]) -> None:
    params, values = case
    abi = _abi(params)
    body = abi.encode_call("f", values)[4:]
    event = abi.decode_log(Log(address=Address("0x" + "00" * 20), topics=(abi.event_topic("E"),), data=body))
    assert event is not None and list(event.args.values()) == values
    oops = next(e for e in abi.errors.values() if e.name == "Oops")
    error = abi.decode_error(oops.selector + body)
    assert error is not None and error.name == "Oops" and list(error.args.values()) == values


def _plain(param: Any, value: Any) -> Any:
    """Our documented values -> eth-abi's (dicts to tuples, hex addresses stay)."""
    if param.array_suffix is not None:
        return [_plain(param.element(), v) for v in value]
    if param.type == "tuple":
        return tuple(_plain(c, value[c.name]) for c in param.components)
    return value
