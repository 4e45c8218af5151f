"""The reference Merkle tree (tests/merkle_reference.py) against the rule, and the production
``fisco_drugtrace.drugtrace.merkle``/``ids`` modules against the reference.

The contracts' side of the rule is checked in ``test_custody_dispense.py`` (proofs built here
are accepted/refused by the deployed contracts).
"""

from __future__ import annotations

import math

from eth_abi import encode
from hypothesis import given
from hypothesis import strategies as st

import merkle_reference as ref

CODES = st.lists(st.text(alphabet="0123456789", min_size=20, max_size=20), min_size=1, max_size=70, unique=True)
BATCH = st.binary(min_size=32, max_size=32)


def test_identifiers_follow_the_written_rule() -> None:
    # Spelled out independently of merkle_reference's helpers.
    from eth_utils import keccak

    pid = keccak(encode(["string", "string"], ["国药准字H20000001", "10片/盒"]))
    assert ref.product_id("国药准字H20000001", "10片/盒") == pid
    assert ref.batch_id(pid, "L001") == keccak(encode(["bytes32", "string"], [pid, "L001"]))
    assert ref.org_id("91110000100000000A") == keccak(b"91110000100000000A")
    assert ref.code_hash("81234560000000011234") == keccak(b"81234560000000011234")
    b = ref.batch_id(pid, "L001")
    h = ref.code_hash("81234560000000011234")
    assert ref.leaf(b, 7, h) == keccak(keccak(b + (7).to_bytes(32, "big") + h))


def test_three_leaf_tree_by_hand() -> None:
    from eth_utils import keccak

    leaves = [bytes([i]) * 32 for i in (3, 1, 2)]
    tree = ref.MerkleTree(leaves)
    a, b, c = leaves
    ab = keccak(min(a, b) + max(a, b))
    root = keccak(min(ab, c) + max(ab, c))
    assert tree.root == root
    assert tree.proof(0) == [b, c]
    assert tree.proof(2) == [ab]  # the carried level contributes no sibling
    assert ref.MerkleTree([a]).root == a and ref.MerkleTree([a]).proof(0) == []


@given(codes=CODES, batch=BATCH, data=st.data())
def test_every_proof_verifies_and_forgeries_fail(codes: list[str], batch: bytes, data: st.DataObject) -> None:
    tree = ref.MerkleTree.for_codes(batch, codes)
    i = data.draw(st.integers(0, len(codes) - 1))
    leaf = ref.leaf(batch, i, ref.code_hash(codes[i]))
    proof = tree.proof(i)
    assert len(proof) <= math.ceil(math.log2(len(codes))) if len(codes) > 1 else proof == []
    assert ref.verify(proof, tree.root, leaf)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        forged = list(proof)
        forged[k] = bytes([forged[k][0] ^ 1]) + forged[k][1:]
        assert not ref.verify(forged, tree.root, leaf)
    other = ref.leaf(bytes(32) if batch != bytes(32) else b"\x01" * 32, i, ref.code_hash(codes[i]))
    assert not ref.verify(proof, tree.root, other)
    if len(codes) > 1:
        j = (i + 1) % len(codes)
        assert not ref.verify(proof, tree.root, ref.leaf(batch, j, ref.code_hash(codes[i])))


@given(codes=CODES, batch=BATCH)
def test_production_merkle_agrees_with_reference(codes: list[str], batch: bytes) -> None:
    from fisco_drugtrace.drugtrace import merkle

    mine = ref.MerkleTree.for_codes(batch, codes)
    theirs = merkle.build_batch_tree(batch, codes)
    assert theirs.root == mine.root
    for i in range(len(codes)):
        assert theirs.proof(i) == mine.proof(i)
        assert merkle.leaf_hash(batch, i, ref.code_hash(codes[i])) == mine.levels[0][i]
        assert merkle.verify_proof(mine.root, mine.levels[0][i], mine.proof(i))


@given(approval=st.text(min_size=1, max_size=30), spec=st.text(max_size=20), lot=st.text(max_size=20),
       credit=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=18, max_size=18))
def test_production_ids_agree_with_reference(approval: str, spec: str, lot: str, credit: str) -> None:
    from fisco_drugtrace.drugtrace import ids

    pid = ids.product_id(approval, spec)
    assert pid == ref.product_id(approval, spec)
    assert ids.batch_id(pid, lot) == ref.batch_id(pid, lot)
    assert ids.org_id(credit) == ref.org_id(credit)
