"""The local code store: locate, proofs on demand, cross-batch duplicates, replace."""

from __future__ import annotations

import pytest

from fisco_drugtrace.drugtrace import ids
from fisco_drugtrace.drugtrace.codestore import CodeStore
from fisco_drugtrace.drugtrace.merkle import build_batch_tree, verify_proof
from fisco_drugtrace.errors import TraceCodeError

PRODUCT = ids.product_id("国药准字H20203001", "10 tablets")


def _codes(start: int, n: int) -> list[str]:
    return [f"8123456{i:013d}" for i in range(start, start + n)]


@pytest.fixture()
def store(store_backend):
    """A SQLite file, and a PostgreSQL schema: every store test runs on both."""
    with CodeStore(store_backend.location("codes")) as s:
        yield s


def test_a_store_reopened_finds_what_it_holds(store_backend) -> None:
    batch = ids.batch_id(PRODUCT, "L9")
    codes = _codes(500, 33)
    tree = build_batch_tree(batch, codes)
    with CodeStore(store_backend.location("codes")) as first:
        first.put_batch(tree, codes, product_id=PRODUCT, lot="L9")
        first.add_committed([(batch, PRODUCT, 12)], 40)
    with CodeStore(store_backend.location("codes")) as again:
        assert again.batch(batch).root == tree.root
        assert again.locate(codes[32]).index == 32 and again.proof(batch, 5) == tree.proof(5)
        assert again.committed_scanned_to() == 40 and again.committed_batches({PRODUCT}) == {batch}
        assert again.products_with_prefix(codes[0][:7]) == {PRODUCT}


def test_locate_and_proof_from_stored_levels(store: CodeStore) -> None:
    batch = ids.batch_id(PRODUCT, "L1")
    codes = _codes(0, 1001)
    tree = build_batch_tree(batch, codes)
    stored = store.put_batch(tree, codes, product_id=PRODUCT, lot="L1")
    assert stored.root == tree.root and stored.unit_count == 1001
    for i in (0, 500, 1000):
        loc = store.locate(codes[i])
        assert loc is not None and (loc.batch_id, loc.index) == (batch, i)
        proof = store.proof(batch, i)
        assert proof == tree.proof(i)
        assert verify_proof(tree.root, store.leaf(batch, i), proof)
    assert store.locate("81234569999999999999") is None
    assert store.codes(batch) == codes
    assert store.code_at(batch, 7) == codes[7]


def test_a_code_in_another_batch_is_rejected_with_its_line(store: CodeStore) -> None:
    b1, b2 = ids.batch_id(PRODUCT, "L1"), ids.batch_id(PRODUCT, "L2")
    first = _codes(0, 10)
    store.put_batch(build_batch_tree(b1, first), first, product_id=PRODUCT, lot="L1")
    second = _codes(100, 5) + [first[3]]
    with pytest.raises(TraceCodeError) as info:
        store.put_batch(build_batch_tree(b2, second), second, product_id=PRODUCT, lot="L2")
    assert info.value.problems[0][0] == 6 and info.value.problems[0][1] == first[3]
    assert store.batch(b2) is None  # rolled back
    assert store.locate(second[0]) is None


def test_a_code_repeated_within_one_list_stores_nothing(store: CodeStore) -> None:
    b1 = ids.batch_id(PRODUCT, "L3")
    codes = _codes(0, 3) + [_codes(1, 1)[0]]
    with pytest.raises(TraceCodeError) as info:
        store.put_batch(build_batch_tree(b1, codes), codes, product_id=PRODUCT, lot="L3")
    assert "repeats within" in info.value.problems[0][2]
    assert store.batch(b1) is None and store.locate(codes[0]) is None


def test_storing_a_batch_again_replaces_it(store: CodeStore, tmp_path) -> None:
    b1 = ids.batch_id(PRODUCT, "L1")
    store.put_batch(build_batch_tree(b1, _codes(0, 4)), _codes(0, 4), product_id=PRODUCT, lot="L1")
    again = _codes(50, 3)
    tree = build_batch_tree(b1, again)
    store.put_batch(tree, again, product_id=PRODUCT, lot="L1")
    assert store.codes(b1) == again and store.batch(b1).root == tree.root
    assert store.locate(_codes(0, 1)[0]) is None
    assert [b.lot for b in store.batches()] == ["L1"]


def test_proof_for_unknown_batch_raises(store: CodeStore) -> None:
    with pytest.raises(KeyError):
        store.proof(b"\x09" * 32, 0)


FIRST_LAYOUT = """
CREATE TABLE batches (batch_id BLOB PRIMARY KEY, product_id BLOB NOT NULL, lot TEXT NOT NULL,
    unit_count INTEGER NOT NULL, root BLOB NOT NULL, stored_ms INTEGER NOT NULL);
CREATE TABLE codes (code_hash BLOB PRIMARY KEY, code TEXT NOT NULL, batch_id BLOB NOT NULL, idx INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE INDEX codes_by_batch ON codes (batch_id, idx);
CREATE TABLE levels (batch_id BLOB NOT NULL, level INTEGER NOT NULL, nodes BLOB NOT NULL,
    PRIMARY KEY (batch_id, level)) WITHOUT ROWID;
"""


def test_a_store_of_the_first_layout_is_migrated_when_opened(tmp_path) -> None:
    import sqlite3

    batch = b"\x42" * 32
    codes = _codes(500, 37)
    tree = build_batch_tree(batch, codes)
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(FIRST_LAYOUT)
    with db:
        db.executemany("INSERT INTO codes VALUES (?,?,?,?)",
                       ((h, c, batch, i) for i, (h, c) in enumerate(zip(tree.code_hashes, codes))))
        db.executemany("INSERT INTO levels VALUES (?,?,?)", ((batch, n, lv) for n, lv in enumerate(tree.levels)))
        db.execute("INSERT INTO batches VALUES (?,?,?,?,?,?)", (batch, PRODUCT, "OLD", len(codes), tree.root, 1))
    db.close()
    with CodeStore(path) as store:
        assert store.codes(batch) == codes and store.batch(batch).root == tree.root
        loc = store.locate(codes[20])
        assert loc is not None and (loc.batch_id, loc.index) == (batch, 20)
        assert store.proof(batch, 20) == tree.proof(20)
        assert store.products_with_prefix(codes[0][:7]) == {PRODUCT}
    with CodeStore(path) as again:  # migrated once; the new layout opens as it is
        assert again.code_at(batch, 36) == codes[36] and again.code_at(batch, 37) is None


def _has_primary_key(store: CodeStore) -> bool:
    row = store._db.execute_native("SELECT count(*) FROM pg_constraint WHERE conrelid = 'units'::regclass "
                                   "AND contype = 'p'").fetchone()
    return int(row[0]) == 1


def test_batches_small_and_large_land_whole_and_refuse_a_repeat_either_way(store: CodeStore, store_backend) -> None:
    """On PostgreSQL a batch at least as large as what the store holds is copied in with the key
    rebuilt after, a smaller one is copied into the indexed table: both keep every code findable
    and refuse a code already held, storing nothing (and the key is there after each)."""
    b = [ids.batch_id(PRODUCT, f"S{i}") for i in range(5)]
    small, large = _codes(0, 20), _codes(1000, 60)
    store.put_batch(build_batch_tree(b[0], small), small, product_id=PRODUCT, lot="S0")  # empty: rebuilt
    store.put_batch(build_batch_tree(b[1], large), large, product_id=PRODUCT, lot="S1")  # 20 held <= 60: rebuilt
    tiny = _codes(5000, 7)
    store.put_batch(build_batch_tree(b[2], tiny), tiny, product_id=PRODUCT, lot="S2")  # 80 held > 7: into the index
    for batch, codes in ((b[0], small), (b[1], large), (b[2], tiny)):
        for i in (0, len(codes) // 2, len(codes) - 1):
            found = store.locate(codes[i])
            assert found is not None and (found.batch_id, found.index) == (batch, i)
    for lot, codes in (("S3", _codes(9000, 3) + [large[5]]),          # small: into the index
                       ("S4", _codes(9100, 200) + [small[7]])):       # large: rebuilt
        bid = ids.batch_id(PRODUCT, lot)
        with pytest.raises(TraceCodeError) as info:
            store.put_batch(build_batch_tree(bid, codes), codes, product_id=PRODUCT, lot=lot)
        assert info.value.problems[0][:2] == (len(codes), codes[-1])
        assert store.batch(bid) is None and store.locate(codes[0]) is None
        if store_backend.name == "postgresql":
            assert _has_primary_key(store)
    assert [x.lot for x in store.batches()] == ["S0", "S1", "S2"]
    assert store.locate(small[7]).batch_id == b[0] and store.locate(large[5]).batch_id == b[1]


# -- storing while the tree is built (manifest import's pipeline) --------------------------------
def test_storing_while_building_keeps_what_put_batch_keeps(store: CodeStore) -> None:
    from fisco_drugtrace.drugtrace.merkle import build_tree_from_hashes, code_hashes_of

    batch, codes = ids.batch_id(PRODUCT, "P1"), _codes(0, 777)
    hashes = code_hashes_of(codes)
    seen_threads: list[set[str]] = []

    def build():
        seen_threads.append({t.name for t in __import__("threading").enumerate()})
        return build_tree_from_hashes(batch, hashes)

    stored = store.put_batch_building(batch, hashes, codes, product_id=PRODUCT, lot="P1", build=build)
    tree = build_batch_tree(batch, codes)
    assert stored.root == tree.root and store.batch(batch).root == tree.root
    assert "codestore-put" in seen_threads[0]  # the rows were being written while the tree was built
    assert store.codes(batch) == codes and store.proof(batch, 400) == tree.proof(400)
    assert store.locate(codes[776]).index == 776 and store.products_with_prefix(codes[0][:7]) == {PRODUCT}


def test_a_build_that_fails_rolls_back_and_keeps_the_earlier_copy(store: CodeStore) -> None:
    from fisco_drugtrace.drugtrace.merkle import code_hashes_of

    batch, old = ids.batch_id(PRODUCT, "P2"), _codes(0, 5)
    store.put_batch(build_batch_tree(batch, old), old, product_id=PRODUCT, lot="P2")
    new = _codes(900, 6)

    def build():
        raise ValueError("root is not the chain's")

    with pytest.raises(ValueError, match="not the chain's"):
        store.put_batch_building(batch, code_hashes_of(new), new, product_id=PRODUCT, lot="P2", build=build)
    assert store.codes(batch) == old and store.batch(batch).root == build_batch_tree(batch, old).root
    assert store.locate(new[0]) is None and store.locate(old[4]).index == 4


def test_storing_while_building_refuses_a_code_of_another_batch(store: CodeStore) -> None:
    from fisco_drugtrace.drugtrace.merkle import build_tree_from_hashes, code_hashes_of

    b1, b2 = ids.batch_id(PRODUCT, "P3"), ids.batch_id(PRODUCT, "P4")
    first = _codes(0, 10)
    store.put_batch(build_batch_tree(b1, first), first, product_id=PRODUCT, lot="P3")
    second = _codes(100, 5) + [first[3]]
    hashes = code_hashes_of(second)
    with pytest.raises(TraceCodeError) as info:
        store.put_batch_building(b2, hashes, second, product_id=PRODUCT, lot="P4",
                                 build=lambda: build_tree_from_hashes(b2, hashes))
    assert info.value.problems[0][:2] == (6, first[3])
    assert store.batch(b2) is None and store.locate(second[0]) is None


def test_a_tree_over_other_hashes_is_not_stored(store: CodeStore) -> None:
    from fisco_drugtrace.drugtrace.merkle import code_hashes_of

    batch, codes = ids.batch_id(PRODUCT, "P5"), _codes(0, 4)
    with pytest.raises(ValueError, match="not over these code hashes"):
        store.put_batch_building(batch, code_hashes_of(codes), codes, product_id=PRODUCT, lot="P5",
                                 build=lambda: build_batch_tree(batch, _codes(50, 4)))
    assert store.batch(batch) is None and store.locate(codes[0]) is None
