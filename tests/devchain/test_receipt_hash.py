"""The dev chain hashes each receipt straight from the execution outcome (``outcome_hash``); it
must give exactly what the SDK's receipt codec gives for the same receipt (3.x: the node's
``TransactionReceiptData`` hash, checked against the protocol vector in tests/unit), and what
``receipt_hash`` gives for the committed receipt (2.x too)."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.devchain.codec import V2Codec, V3Codec
from fisco_drugtrace.devchain.records import ChainLog, ChainReceipt, ExecOutcome
from fisco_drugtrace.encoding import receipt_v3

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
logs = st.builds(ChainLog, addresses, st.lists(st.binary(min_size=32, max_size=32), max_size=4).map(tuple),
                 st.binary(max_size=200))
outcomes = st.builds(ExecOutcome, st.integers(0, 30), st.binary(max_size=100), st.integers(0, 2**40),
                     st.lists(logs, max_size=3).map(tuple), st.one_of(st.just(""), addresses))


def _receipt(out: ExecOutcome, number: int, digest: bytes = b"") -> ChainReceipt:
    return ChainReceipt(b"\x07" * 32, number, 0, out.status, out.output, out.gas_used, out.logs,
                        out.contract_address, "0x" + "11" * 20, "0x" + "22" * 20, digest)


@settings(max_examples=200, deadline=None)
@given(outcomes, st.integers(0, 2**62))
def test_v3_outcome_hash_is_the_sdk_receipt_hash(out: ExecOutcome, number: int) -> None:
    codec = V3Codec(ECDSA, "chain0")
    data = receipt_v3.ReceiptDataV3(
        version=0, gas_used=str(out.gas_used), contract_address=out.contract_address[2:], status=out.status,
        output=out.output, block_number=number,
        logs=tuple(receipt_v3.LogEntryV3(log.address[2:], log.topics, log.data) for log in out.logs))
    expected = receipt_v3.receipt_hash(data, ECDSA)
    assert codec.outcome_hash(out, number) == expected
    assert codec.receipt_hash(_receipt(out, number)) == expected


@settings(max_examples=100, deadline=None)
@given(outcomes, st.integers(0, 2**62))
def test_v2_outcome_hash_keeps_the_layout_data_dirs_were_written_with(out: ExecOutcome, number: int) -> None:
    """2.x receipts carry no hash on the wire; the dev chain's own one feeds receiptsRoot, so its
    layout is what existing data dirs were verified with: status, gasUsed, contract, output, logs."""
    codec = V2Codec(ECDSA)
    layout = struct.pack(">iq", out.status, out.gas_used) + out.contract_address.encode() + out.output + b"".join(
        log.address.encode() + b"".join(log.topics) + log.data for log in out.logs)
    assert codec.outcome_hash(out, number) == ECDSA.hash(layout)
    assert codec.receipt_hash(_receipt(out, number)) == ECDSA.hash(layout)


def test_a_field_change_changes_the_v3_hash() -> None:
    codec = V3Codec(ECDSA, "chain0")
    out = ExecOutcome(0, b"\x01", 21000, (ChainLog("0x" + "ab" * 20, (b"\x02" * 32,), b"x"),), "")
    base = codec.outcome_hash(out, 5)
    assert codec.outcome_hash(out, 6) != base
    assert codec.outcome_hash(ExecOutcome(1, b"\x01", 21000, out.logs, ""), 5) != base
    assert codec.outcome_hash(ExecOutcome(0, b"\x01", 21000, (), ""), 5) != base
