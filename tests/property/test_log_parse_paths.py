"""The getLogs fast path and the checked parser give the same Log for every plain-shaped entry."""

from __future__ import annotations

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
