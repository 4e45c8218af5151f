"""The SDK's packing layout and tree (issue 17A): a partition of the units, proofs that verify
under the suite's Merkle rule, and a leaf that cannot pass for a unit leaf."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fisco_drugtrace.drugtrace.merkle import leaf_hash, verify_proof
from fisco_drugtrace.drugtrace.packing import CASE, PALLET, PackingLayout, PackingTree, container_key, container_leaf

BATCH = b"\x5a" * 32
layouts = st.builds(PackingLayout, st.integers(1, 2_000), st.integers(1, 50), st.integers(1, 12))


@given(layouts)
def test_cases_and_pallets_partition_the_units(layout: PackingLayout) -> None:
    units = [u for c in range(layout.case_count) for u in layout.units_of_case(c)]
    assert units == list(range(layout.unit_count))
    cases = [c for p in range(layout.pallet_count) for c in layout.cases_of_pallet(p)]
    assert cases == list(range(layout.case_count))
    assert sum(layout.quantity(PALLET, p) for p in range(layout.pallet_count)) == layout.unit_count
    for p in range(layout.pallet_count):
        assert layout.quantity(PALLET, p) == sum(layout.quantity(CASE, c) for c in layout.cases_of_pallet(p))
    for u in (0, layout.unit_count - 1):
        assert u in layout.units_of_case(layout.case_of(u))


@given(layouts, st.data())
def test_every_container_proof_verifies_and_binds_level_index_and_code(layout: PackingLayout,
                                                                       data: st.DataObject) -> None:
    cases = [f"C{i}" for i in range(layout.case_count)]
    pallets = [f"P{i}" for i in range(layout.pallet_count)]
    tree = PackingTree.build(BATCH, layout, cases, pallets)
    level = data.draw(st.sampled_from([CASE, PALLET]))
    index = data.draw(st.integers(0, (layout.case_count if level == CASE else layout.pallet_count) - 1))
    h = tree.code_hash(level, index)
    proof = tree.proof(level, index)
    assert verify_proof(tree.root, container_leaf(BATCH, level, index, h), proof)
    assert not verify_proof(tree.root, container_leaf(BATCH, level, index, b"\x00" * 32), proof)
    assert not verify_proof(tree.root, container_leaf(BATCH, 3 - level, index, h), proof)
    assert not verify_proof(tree.root, container_leaf(b"\x5b" * 32, level, index, h), proof)


def test_container_leaf_is_not_a_unit_leaf_and_keys_are_levelled() -> None:
    h = b"\x01" * 32
    assert container_leaf(BATCH, CASE, 0, h) != leaf_hash(BATCH, 0, h)
    assert container_key(CASE, 5) == (1 << 248) | 5 and container_key(PALLET, 0) == 2 << 248
    with pytest.raises(ValueError):
        container_leaf(BATCH, 0, 0, h)


def test_builder_refuses_a_wrong_code_count_or_duplicate_codes() -> None:
    layout = PackingLayout(25, 10, 2)  # 3 cases, 2 pallets
    with pytest.raises(ValueError):
        PackingTree.build(BATCH, layout, ["a", "b"], ["p", "q"])
    with pytest.raises(ValueError):
        PackingTree.build(BATCH, layout, ["a", "b", "a"], ["p", "q"])
    with pytest.raises(ValueError):
        PackingLayout(10, 0, 1)
    assert layout.quantity(CASE, 2) == 5 and layout.quantity(PALLET, 1) == 5
