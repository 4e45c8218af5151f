"""The 3.x decoder's fast path for canonical Tars agrees with the general reader on every input.

``decode_transaction`` first tries a specialised parser for the layout SDKs write (ascending tags,
expected wire types) and falls back to the general Tars reader for anything else. These
properties pin the contract: whenever the fast path answers, the general reader gives the same
transaction; canonical encodings always take the fast path; mutated bytes never make the two
disagree (the fast path declines instead).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto import ECDSA, KeyPair
from fisco_drugtrace.encoding import tars, tx_v3
from fisco_drugtrace.errors import DrugTraceError

SIGNER = LocalSigner(KeyPair.from_private_key(bytes.fromhex("33" * 32), ECDSA))
hexish = st.one_of(st.just(""), st.integers(min_value=0, max_value=2**64).map(hex))


@st.composite
def transactions(draw: st.DrawFn) -> tx_v3.Transaction:
    version = draw(st.sampled_from([0, 1, 2]))
    data = tx_v3.TransactionData(
        version=version, chain_id=draw(st.text(max_size=20)), group_id=draw(st.text(max_size=20)),
        block_limit=draw(st.integers(min_value=-(2**63), max_value=2**63 - 1)), nonce=draw(st.text(max_size=70)),
        to=draw(st.one_of(st.just(""), st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()))),
        input=draw(st.binary(max_size=300)), abi=draw(st.text(max_size=300)),
        value=draw(hexish) if version else "", gas_price=draw(hexish) if version else "",
        gas_limit=draw(st.integers(min_value=0, max_value=2**63 - 1)) if version else 0,
        max_fee_per_gas=draw(hexish) if version else "", max_priority_fee_per_gas=draw(hexish) if version else "",
        extension=draw(st.binary(max_size=40)) if version == 2 else b"",
    )
    signed = tx_v3.sign_transaction(data, SIGNER, extra_data=draw(st.text(max_size=30)))
    return tx_v3.Transaction(signed.data, signed.data_hash, signed.signature,
                             draw(st.integers(min_value=0, max_value=2**63 - 1)),
                             draw(st.integers(min_value=-(2**31), max_value=2**31 - 1)), signed.extra_data,
                             draw(st.one_of(st.just(b""), st.binary(min_size=20, max_size=20))))


def _general(raw: bytes) -> tx_v3.Transaction | DrugTraceError:
    try:
        return tx_v3._decode_general(raw)
    except DrugTraceError as exc:
        return exc


@settings(max_examples=150, deadline=None)
@given(transactions())
def test_canonical_encodings_take_the_fast_path_and_agree(tx: tx_v3.Transaction) -> None:
    raw = tx_v3.encode_transaction(tx)
    fast = tx_v3._decode_canonical(raw)
    assert fast is not None
    assert fast == tx and _general(raw) == tx
    assert tx_v3.decode_transaction(raw) == tx


@settings(max_examples=300, deadline=None)
@given(transactions(), st.lists(st.tuples(st.integers(min_value=0, max_value=10_000),
                                          st.integers(min_value=0, max_value=255)), min_size=1, max_size=4),
       st.integers(min_value=0, max_value=10_000))
def test_mutated_bytes_never_make_the_paths_disagree(tx: tx_v3.Transaction, edits: list[tuple[int, int]],
                                                     cut: int) -> None:
    raw = bytearray(tx_v3.encode_transaction(tx))
    for where, value in edits:
        raw[where % len(raw)] = value
    for candidate in (bytes(raw), bytes(raw[: cut % (len(raw) + 1)])):
        fast = tx_v3._decode_canonical(candidate)
        if fast is not None:
            assert _general(candidate) == fast


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_the_struct_head(raw: bytes) -> None:
    candidate = b"\x1a" + raw
    fast = tx_v3._decode_canonical(candidate)
    if fast is not None:
        assert _general(candidate) == fast


def test_non_canonical_layouts_fall_back_to_the_general_reader() -> None:
    tx = tx_v3.sign_transaction(tx_v3.new_transaction_data(chain_id="chain0", group_id="group0", block_number=1,
                                                           to="0x" + "ab" * 20, input=b"\x01\x02"), SIGNER)
    raw = tx_v3.encode_transaction(tx)
    # an unknown top-level tag (6) is skipped by the general reader; the fast path declines
    extended = bytearray(raw)
    tars.put_int(extended, 6, 7)
    assert tx_v3._decode_canonical(bytes(extended)) is None
    assert tx_v3.decode_transaction(bytes(extended)) == tx
    # input as a List of Char instead of a SimpleList: accepted by the general reader only
    data = bytearray()
    tars.put_int(data, 1, 0)
    tars.put_string(data, 2, b"chain0")
    data += bytes([(7 << 4) | tars.LIST, 0x00, 2, 0x00, 1, 0x00, 2])  # tag 7 List, length 2, Char 1, Char 2
    body = bytes([(1 << 4) | tars.STRUCT_BEGIN]) + bytes(data) + bytes([tars.STRUCT_END])
    assert tx_v3._decode_canonical(body) is None
    assert tx_v3.decode_transaction(body).data.input == b"\x01\x02"


def test_struct_end_with_an_extended_tag_is_not_taken_for_the_end() -> None:
    """Hypothesis found it: 1A FB (struct begin, then a struct-end head announcing a second tag
    byte that is missing) is truncated Tars, not an empty transaction."""
    import pytest

    from fisco_drugtrace.encoding.tx_v3 import decode_transaction
    from fisco_drugtrace.errors import TarsError

    with pytest.raises(TarsError):
        decode_transaction(bytes.fromhex("1afb"))
