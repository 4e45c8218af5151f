"""Property: the pre-decoding nesting measure agrees with the real depth of any JSON value, and
``load_json`` decodes exactly what ``json.loads`` does for everything within the limit."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.rpc.answers import JsonTooDeep, json_depth, load_json

# strings full of brackets, quotes and backslashes: the measure must skip them
_text = st.text(alphabet=st.sampled_from(list('[]{}"\\ab,:\u4e2d')), max_size=12)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(_text, inner, max_size=4), max_leaves=40)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(_values, st.booleans())
def test_depth_measure_matches_the_value(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert json_depth(text.encode()) == _depth(value)
    assert json_depth(text) == _depth(value)
    assert load_json(text.encode()) == json.loads(text)


@settings(max_examples=100, deadline=None)
@given(_values, st.integers(min_value=1, max_value=40))
def test_wrapping_past_the_limit_is_always_refused(value: Any, extra: int) -> None:
    limit = _depth(value) + extra - 1
    wrapped = "[" * extra + json.dumps(value) + "]" * extra
    try:
        load_json(wrapped, max_depth=limit)
    except JsonTooDeep as exc:
        assert exc.depth == _depth(value) + extra
    else:
        raise AssertionError("a document one level deeper than allowed was decoded")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-(2**300), max_value=2**300) | st.floats(allow_nan=True), max_size=6),
       st.integers(min_value=0, max_value=3))
def test_what_orjson_would_read_differently_is_json_loads_answer(numbers: list[Any], nest: int) -> None:
    # integers past 64 bits (orjson makes them floats), NaN/Infinity (orjson refuses them), huge floats
    text = "[" * nest + json.dumps(numbers) + "]" * nest
    got, want = load_json(text.encode()), json.loads(text)
    assert repr(got) == repr(want) and type(got) is type(want)
