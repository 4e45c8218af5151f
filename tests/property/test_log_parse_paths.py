"""The getLogs fast path and the checked parser give the same Log for every plain-shaped entry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fisco_drugtrace.client.wire_v3 import _log_v3_fast, log_v3


def _hex(n: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=n, max_size=n).map(lambda b: "0x" + b.hex())


entries = st.fixed_dictionaries({
    "address": st.tuples(_hex(20), st.booleans()).map(lambda t: t[0].upper().replace("0X", "0x") if t[1] else t[0]),
    "topics": st.lists(_hex(32), max_size=4),
    "data": st.binary(max_size=200).map(lambda b: "0x" + b.hex()),
    "logIndex": st.integers(0, 2**32).map(hex),
    "blockNumber": st.integers(0, 2**40).map(hex),
    "blockHash": _hex(32),
    "transactionIndex": st.integers(0, 2**16).map(hex),
    "transactionHash": _hex(32),
})


@given(entries)
def test_fast_path_equals_checked_parser(entry: dict) -> None:
    fast = _log_v3_fast(entry)
    # an int quantity is not the plain shape, so this goes through the checked parser
    checked = log_v3({**entry, "logIndex": int(entry["logIndex"], 16)})
    assert fast == checked
    assert log_v3(entry) == fast


@given(entries, st.sampled_from(["transactionHash", "blockHash", "address", "topic", "data"]))
def test_fast_path_refuses_what_is_not_the_plain_shape(entry: dict, field: str) -> None:
    """A blank inside a fixed-size field (``bytes.fromhex`` would skip it), a short topic or a
    missing 0x prefix must not pass the fast path."""
    bad = dict(entry)
    if field == "topic":
        bad["topics"] = [*entry["topics"], "0x" + "ab" * 31]
    elif field == "data":
        bad["data"] = entry["data"][2:]
    else:
        text = entry[field]
        bad[field] = text[:10] + " " + text[11:]
    with pytest.raises(ValueError):
        _log_v3_fast(bad)


_variants = entries.map(lambda e: {**e, "logIndex": int(e["logIndex"], 16)}) | entries.map(
    lambda e: {k: v for k, v in e.items() if k != "blockHash"})


@given(st.lists(entries | _variants, max_size=8))
def test_a_page_parses_as_each_entry_does(page: list) -> None:
    from fisco_drugtrace.client.wire_v3 import logs_v3

    assert logs_v3(page) == [log_v3(entry) for entry in page]


@pytest.mark.parametrize("bad", [None, "0xabc", ["address"], {"address": 7}, {"topics": "x"}])
def test_a_page_with_nonsense_in_it_is_a_bad_response(bad) -> None:
    from fisco_drugtrace.client.wire_v3 import logs_v3
    from fisco_drugtrace.errors import BadResponseError

    with pytest.raises(BadResponseError):
        logs_v3([bad])
    with pytest.raises(BadResponseError):
        log_v3(bad)


_shared_topics = st.lists(st.sampled_from(["0x" + "11" * 32, "0x" + "AB" * 32, "0x" + "ab" * 31, "ab" * 32, "0x" + "00" * 32]),
                          max_size=4)


@given(st.lists(st.tuples(entries, _shared_topics), max_size=8))
def test_a_page_repeating_topics_parses_as_each_entry_does(pairs: list) -> None:
    """logs_v3 decodes each distinct topic text of a page once: a repeated topic, valid or not,
    gives what the entry alone gives (a short or unprefixed one sends the entry to the checked
    parser every time)."""
    from fisco_drugtrace.client.wire_v3 import logs_v3
    from fisco_drugtrace.errors import BadResponseError

    page = [{**entry, "topics": topics} for entry, topics in pairs]
    try:
        expected = [log_v3(entry) for entry in page]
    except BadResponseError:
        with pytest.raises(BadResponseError):
            logs_v3(page)
    else:
        assert logs_v3(page) == expected
