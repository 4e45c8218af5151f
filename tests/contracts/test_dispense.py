"""Once-only dispensing with Merkle proofs built by tests/merkle_reference.py: valid proofs,
forged proofs (each sibling flipped in turn), a proof for batch A presented for batch B, wrong
indexes, and a second dispense of the same unit (no revert, DuplicateDispense, nothing changes)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import merkle_reference as ref
from harness import Reverted
from world import BatchInfo, Scene, World

Z32 = bytes(32)


def dispense_error(w: World, info: BatchInfo, index: int, code_hash: bytes, proof: list[bytes],
                   who: str = "pharm") -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as e:
        w.custody.transact("dispense", info.batch_id, index, code_hash, proof, sender=w.acct(who))
    return e.value.name, e.value.args_


def test_valid_proof_dispenses_once(scene: Scene) -> None:
    w, info = scene.w, scene.batch
    i = 7  # the pharmacy holds units 0..9
    assert w.drugs.call("getBatch", info.batch_id)[7] == info.tree.root  # the reference root was committed
    r = w.dispense(info, i)
    assert r.output is True
    assert w.all_events(r) == [("UnitDispensed", {"batchId": info.batch_id, "index": i,
                                                   "codeHash": info.code_hash(i), "orgId": w.org("pharm")})]
    assert w.custody.call("isDispensed", info.batch_id, i) is True
    assert w.custody.call("dispenseWord", info.batch_id, 0) == 1 << i
    assert w.holding(info.batch_id, "pharm") == (9, 0)


def test_second_dispense_is_flagged_without_revert_or_state_change(scene: Scene) -> None:
    w, info = scene.w, scene.batch
    i = 12  # held by the hospital (10..19); the pharmacy presents a copy of it too
    w.dispense(info, i, who="hosp")
    before = (w.holding(info.batch_id, "pharm"), w.holding(info.batch_id, "hosp"),
              w.custody.call("dispenseWord", info.batch_id, 0))
    for who in ("pharm", "hosp"):
        r = w.dispense(info, i, who=who)
        assert r.output is False
        assert w.all_events(r) == [("DuplicateDispense", {"batchId": info.batch_id, "index": i,
                                                           "codeHash": info.code_hash(i), "orgId": w.org(who)})]
    after = (w.holding(info.batch_id, "pharm"), w.holding(info.batch_id, "hosp"),
             w.custody.call("dispenseWord", info.batch_id, 0))
    assert after == before


def test_every_forged_sibling_is_refused(scene: Scene) -> None:
    w, info = scene.w, scene.batch
    i = 21
    proof = info.proof(i)
    assert len(proof) == 6  # 64 leaves
    for k in range(len(proof)):
        forged = list(proof)
        forged[k] = bytes([forged[k][0] ^ 0x80]) + forged[k][1:]
        assert dispense_error(w, info, i, info.code_hash(i), forged) == ("CustodyLedgerInvalidProof",
                                                                         (info.batch_id, i))
    assert dispense_error(w, info, i, info.code_hash(i), proof[:-1]) == ("CustodyLedgerInvalidProof",
                                                                         (info.batch_id, i))
    assert dispense_error(w, info, i, ref.code_hash("99999999999999999999"), proof) == \
        ("CustodyLedgerInvalidProof", (info.batch_id, i))
    assert w.custody.call("isDispensed", info.batch_id, i) is False
    assert w.holding(info.batch_id, "pharm") == (10, 0)


def test_wrong_index_is_refused(scene: Scene) -> None:
    w, info = scene.w, scene.batch
    i = 5
    for j in (4, 6, 5 + 256):
        assert dispense_error(w, info, j, info.code_hash(i), info.proof(i))[0] in (
            "CustodyLedgerInvalidProof", "CustodyLedgerUnitOutOfRange")
    assert dispense_error(w, info, 4, info.code_hash(i), info.proof(i)) == ("CustodyLedgerInvalidProof",
                                                                            (info.batch_id, 4))
    assert dispense_error(w, info, 64, info.code_hash(i), info.proof(i)) == ("CustodyLedgerUnitOutOfRange",
                                                                             (info.batch_id, 64, 64))


def test_proof_of_batch_a_is_refused_for_batch_b(scene: Scene) -> None:
    w, a = scene.w, scene.batch
    # batch B over the SAME code list (codes are per product prefix; the batch id is in the leaf)
    bid_b = ref.batch_id(scene.product, "B0002")
    tree_b = ref.MerkleTree.for_codes(bid_b, a.codes)
    t = w.chain.timestamp_ms
    w.drugs.transact("commitBatch", scene.product, "B0002", t, t + 10**11, len(a.codes), tree_b.root, Z32,
                     sender=w.acct("man"))
    b = BatchInfo(bid_b, scene.product, "B0002", a.codes, tree_b, t + 10**11)
    w.release_batch(b)
    w.ship(bid_b, "man", "dist", 10)
    w.ship(bid_b, "dist", "pharm", 10)
    i = 9
    assert dispense_error(w, b, i, a.code_hash(i), a.proof(i)) == ("CustodyLedgerInvalidProof", (bid_b, i))
    assert w.dispense(b, i).output is True  # its own proof works
    assert w.custody.call("isDispensed", a.batch_id, i) is False  # bitmaps are per batch


def test_bitmap_words_are_index_div_256(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "WIDE", 600)
    w.ship(info.batch_id, "man", "dist", 600)
    w.ship(info.batch_id, "dist", "hosp", 600)
    for i in (0, 255, 256, 511, 599):
        assert w.dispense(info, i, who="hosp").output is True
    assert w.custody.call("dispenseWord", info.batch_id, 0) == (1 << 0) | (1 << 255)
    assert w.custody.call("dispenseWord", info.batch_id, 1) == (1 << 0) | (1 << 255)
    assert w.custody.call("dispenseWord", info.batch_id, 2) == 1 << (599 - 512)
    assert w.holding(info.batch_id, "hosp") == (595, 0)
    info_idx = 300  # the pharmacy holds nothing of this batch
    assert dispense_error(w, info, info_idx, info.code_hash(info_idx), info.proof(info_idx), who="pharm") == \
        ("CustodyLedgerNotUnitHolder", (info.batch_id, info_idx, w.org("pharm")))


@pytest.fixture(scope="module")
def _odd_world(artifacts: Any, module_chain: Any) -> Iterator[tuple[World, dict[int, BatchInfo], bytes]]:
    """One world with batches of awkward sizes (odd levels carried up), stocked at the pharmacy."""
    w = World.deploy(artifacts, chain=module_chain)
    product = w.register_product()
    batches = {}
    for n in (1, 2, 3, 5, 17, 33, 100):
        info = w.commit_batch(product, f"N{n}", n)
        w.ship(info.batch_id, "man", "dist", n)
        w.ship(info.batch_id, "dist", "pharm", n)
        batches[n] = info
    yield w, batches, product


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_reference_proofs_are_accepted_for_any_size_and_index(_odd_world: Any, data: st.DataObject) -> None:
    w, batches, _ = _odd_world
    n = data.draw(st.sampled_from(sorted(batches)))
    info = batches[n]
    i = data.draw(st.integers(0, n - 1))
    snap = w.chain.snapshot()
    try:
        assert w.dispense(info, i).output is True
        assert w.dispense(info, i).named("DuplicateDispense")
        if n > 1:
            j = data.draw(st.integers(0, n - 1).filter(lambda x: x != i))
            assert dispense_error(w, info, j, info.code_hash(i), info.proof(i))[0] == "CustodyLedgerInvalidProof"
    finally:
        w.chain.revert(snap)


def _make_unusable(scene: Scene, how: str) -> None:
    """Leave the scene's batch not dispensable: stopped, recalled, its product stopped, or expired."""
    w, info = scene.w, scene.batch
    if how == "stopped":
        w.stop_batch(info.batch_id)
    elif how == "recalled":
        w.stop_batch(info.batch_id)
        w.open_recall(scene.product, info.batch_id)
    elif how == "product stopped":
        w.drugs.transact("transitionProduct", scene.product, 2, 0, Z32, sender=w.acct("nat"))
    else:
        w.chain.set_time(info.expiry + 1)


@pytest.mark.parametrize("how", ["stopped", "recalled", "product stopped", "expired"])
def test_duplicate_on_an_unusable_batch_is_still_flagged_not_reverted(scene: Scene, how: str) -> None:
    """The alert is most needed when the batch is stopped/recalled/expired: it must not be lost to
    a usability revert; a first dispense is still refused, and a forged proof still reverts."""
    w, info = scene.w, scene.batch
    i, j = 3, 4
    assert w.dispense(info, i).output is True
    _make_unusable(scene, how)
    before = (w.holding(info.batch_id, "pharm"), w.holding(info.batch_id, "hosp"),
              w.custody.call("dispenseWord", info.batch_id, 0), w.batch_state(info.batch_id))
    for who in ("pharm", "hosp"):
        r = w.dispense(info, i, who=who)
        assert r.output is False
        assert w.all_events(r) == [("DuplicateDispense", {"batchId": info.batch_id, "index": i,
                                                           "codeHash": info.code_hash(i), "orgId": w.org(who)})]
    assert (w.holding(info.batch_id, "pharm"), w.holding(info.batch_id, "hosp"),
            w.custody.call("dispenseWord", info.batch_id, 0), w.batch_state(info.batch_id)) == before
    forged = list(info.proof(i))
    forged[0] = bytes([forged[0][0] ^ 1]) + forged[0][1:]
    assert dispense_error(w, info, i, info.code_hash(i), forged) == ("CustodyLedgerInvalidProof", (info.batch_id, i))
    assert dispense_error(w, info, 64, info.code_hash(i), info.proof(i)) == ("CustodyLedgerUnitOutOfRange",
                                                                             (info.batch_id, 64, 64))
    first = dispense_error(w, info, j, info.code_hash(j), info.proof(j))
    if how == "expired":
        assert first == ("CustodyLedgerBatchExpired", (info.batch_id, info.expiry))
    else:
        batch_state, product_state = (1, 2) if how == "product stopped" else (w.batch_state(info.batch_id), 1)
        assert first == ("CustodyLedgerBatchNotListed", (info.batch_id, batch_state, product_state))
    assert w.custody.call("isDispensed", info.batch_id, j) is False


def test_unknown_batch_is_refused_before_the_range_check(scene: Scene) -> None:
    w, info = scene.w, scene.batch
    unknown = ref.batch_id(scene.product, "NOPE")
    assert dispense_error(w, BatchInfo(unknown, scene.product, "NOPE", info.codes, info.tree, info.expiry), 0,
                          info.code_hash(0), info.proof(0)) == ("CustodyLedgerUnknownBatch", (unknown,))
