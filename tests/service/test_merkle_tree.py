"""The batch Merkle tree against the independent reference in tests/merkle_reference.py."""

from __future__ import annotations


import pytest
from hypothesis import given, strategies as st

from fisco_drugtrace.drugtrace import ids
from fisco_drugtrace.drugtrace.merkle import build_batch_tree, level_sizes, verify_proof
from tests import merkle_reference as ref

codes_st = st.lists(st.text(alphabet="0123456789", min_size=20, max_size=20), min_size=1, max_size=40, unique=True)
BATCH = ref.batch_id(ref.product_id("国药准字H20203001", "10 tablets x 2 blisters"), "L2026001")


def test_ids_match_the_reference() -> None:
    assert ids.org_id("91110000100000000X") == ref.org_id("91110000100000000X")
    p = ids.product_id("国药准字H20203001", "10 tablets")
    assert p == ref.product_id("国药准字H20203001", "10 tablets")
    assert ids.batch_id(p, "L1") == ref.batch_id(p, "L1")
    assert ids.code_hash("81234560000000000001") == ref.code_hash("81234560000000000001")
    assert ids.parse_id(ids.id_hex(p)) == p


@given(codes_st)
def test_root_and_every_proof_match_the_reference(codes: list[str]) -> None:
    tree = build_batch_tree(BATCH, codes)
    oracle = ref.MerkleTree.for_codes(BATCH, codes)
    assert tree.root == oracle.root
    for i in range(len(codes)):
        assert tree.proof(i) == oracle.proof(i)
        assert verify_proof(tree.root, tree.leaf(i), tree.proof(i))


@given(codes_st, st.data())
def test_forged_proofs_do_not_verify(codes: list[str], data: st.DataObject) -> None:
    tree = build_batch_tree(BATCH, codes)
    i = data.draw(st.integers(0, len(codes) - 1))
    proof = tree.proof(i)
    # another index, another batch or another code -> a different leaf
    other_code = ref.leaf(BATCH, i, ref.code_hash("0" * 20 if codes[i] != "0" * 20 else "1" * 20))
    assert not verify_proof(tree.root, other_code, proof)
    assert not verify_proof(tree.root, ref.leaf(b"\x01" * 32, i, ref.code_hash(codes[i])), proof)
    if len(codes) > 1:
        assert not verify_proof(tree.root, ref.leaf(BATCH, (i + 1) % len(codes), ref.code_hash(codes[i])), proof)
        # a tampered sibling
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = bytes(32 - 1) + bytes([bad[k][-1] ^ 1])
        assert not verify_proof(tree.root, tree.leaf(i), bad)


def test_single_leaf_root_is_the_leaf() -> None:
    tree = build_batch_tree(BATCH, ["81234560000000000001"])
    assert tree.root == tree.leaf(0) and tree.proof(0) == []
    assert level_sizes(5) == [5, 3, 2, 1]


def test_100k_codes_build_a_17_level_tree() -> None:
    # The build time is a benchmark figure (bench/gas_report.py, bench_manifest), never a test bound.
    codes = [f"8123456{i:013d}" for i in range(100_000)]
    tree = build_batch_tree(BATCH, codes)
    assert len(tree.proof(0)) == 17
    assert verify_proof(tree.root, tree.leaf(54_321), tree.proof(54_321))


def test_bad_batch_id_length_is_rejected() -> None:
    with pytest.raises(ValueError):
        build_batch_tree(b"\x00" * 31, ["81234560000000000001"])
