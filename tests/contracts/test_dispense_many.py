"""Batched dispense with one Merkle multiproof (issue 12) and per-unit decommissioning
(destroyed / stolen / lost / sampled, issue 12 and domain 6.1)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Contract, Reverted
from world import PackedBatch, Scene, case_key, pallet_key

from fisco_drugtrace.drugtrace.merkle import verify_multiproof
import merkle_reference as ref

Z32 = bytes(32)
ACTIVE, DISPENSED, DESTROYED, STOLEN, LOST, SAMPLED = range(6)


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_multiproof_python_and_solidity_agree(scene: Scene, data: st.DataObject) -> None:
    w, b = scene.w, scene.batch
    idx = sorted(data.draw(st.sets(st.integers(0, 9), min_size=1, max_size=10)))  # the pharmacy's units
    proof = b.multiproof(idx)
    hashes = [b.code_hash(i) for i in idx]
    leaves = [ref.leaf(b.batch_id, i, h) for i, h in zip(idx, hashes)]
    assert verify_multiproof(b.tree.root, leaves, idx, 64, proof)
    r = w.custody.call("dispenseMany", b.batch_id, idx, hashes, proof, sender=w.acct("pharm"))
    assert r == len(idx)
    if proof:
        bad = [proof[0][:-1] + bytes([proof[0][-1] ^ 1])] + proof[1:]
        with pytest.raises(Reverted) as info:
            w.custody.call("dispenseMany", b.batch_id, idx, hashes, bad, sender=w.acct("pharm"))
        assert info.value.name == "CustodyLedgerInvalidProof"
        with pytest.raises(Reverted):
            w.custody.call("dispenseMany", b.batch_id, idx, hashes, proof[:-1], sender=w.acct("pharm"))
    other = [h if k else b"\x07" * 32 for k, h in enumerate(hashes)]
    with pytest.raises(Reverted) as info:
        w.custody.call("dispenseMany", b.batch_id, idx, other, proof, sender=w.acct("pharm"))
    assert info.value.name == "CustodyLedgerInvalidProof"


def test_dispense_many_once_only_with_alerts_not_reverts(scene: Scene) -> None:
    w, b = scene.w, scene.batch
    bid = b.batch_id
    w.dispense(b, 5)
    r = w.dispense_many(b, [3, 4, 5, 6])
    assert r.output == 3
    assert [e["index"] for e in r.named("UnitDispensed")] == [3, 4, 6]
    assert r.one("DuplicateDispense")["index"] == 5
    assert w.holding(bid, "pharm") == (10 - 4, 0)
    assert w.custody.call("batchStock", bid)[0] == 64 - 4
    assert all(w.custody.call("isDispensed", bid, i) for i in (3, 4, 5, 6))
    again = w.dispense_many(b, [3, 4], who="hosp")
    assert again.output == 0 and len(again.named("DuplicateDispense")) == 2 and not again.named("UnitDispensed")
    assert w.holding(bid, "hosp") == (10, 0)


def test_dispense_many_list_rules(scene: Scene) -> None:
    w, b = scene.w, scene.batch
    bid, p = b.batch_id, w.acct("pharm")
    h = [b.code_hash(i) for i in (1, 2)]
    assert reverts(w.custody, "dispenseMany", bid, [2, 1], h, b.multiproof([1, 2]), sender=p) == \
        ("CustodyLedgerInvalidUnitList", (1,))
    assert reverts(w.custody, "dispenseMany", bid, [1, 1], h, b.multiproof([1]), sender=p) == \
        ("CustodyLedgerInvalidUnitList", (1,))
    assert reverts(w.custody, "dispenseMany", bid, [1, 2], h[:1], b.multiproof([1, 2]), sender=p) == \
        ("CustodyLedgerInvalidUnitList", (0,))
    assert reverts(w.custody, "dispenseMany", bid, [], [], [], sender=p) == ("CustodyLedgerInvalidUnitList", (0,))
    assert reverts(w.custody, "dispenseMany", bid, [1, 64], h, [], sender=p) == \
        ("CustodyLedgerUnitOutOfRange", (bid, 64, 64))
    assert reverts(w.custody, "dispenseMany", bid, [1, 2], h, b.multiproof([1, 2]), sender=w.acct("dist")) == \
        ("OrgRegistryUnauthorizedKind", (w.org("dist"), 4, (1 << 6) | (1 << 7)))
    # units the pharmacy does not hold (the distributor's 20..39): the first one is named (D9)
    many = list(range(5, 25))
    assert reverts(w.custody, "dispenseMany", bid, many, [b.code_hash(i) for i in many], b.multiproof(many),
                   sender=p) == ("CustodyLedgerNotUnitHolder", (bid, 10, w.org("pharm")))
    # a stopped batch: new units revert as a single dispense would
    w.stop_batch(bid)
    assert reverts(w.custody, "dispenseMany", bid, [1, 2], h, b.multiproof([1, 2]), sender=p)[0] == \
        "CustodyLedgerBatchNotListed"


def test_dispense_many_on_a_packed_batch_needs_every_unit_held_loose(scene: Scene) -> None:
    w = scene.w
    pb: PackedBatch = w.commit_packed_batch(scene.product, "PK-M", 100, per_case=10, per_pallet=4)
    w.ship_packed(pb.batch_id, "man", "pharm", [pallet_key(0)])
    w.packing.transact("unpack", pb.batch_id, pallet_key(0), sender=w.acct("pharm"))
    w.packing.transact("unpack", pb.batch_id, case_key(0), sender=w.acct("pharm"))
    w.packing.transact("unpack", pb.batch_id, case_key(1), sender=w.acct("pharm"))
    assert w.dispense_many(pb, list(range(0, 20))).output == 20
    with pytest.raises(Reverted) as info:
        w.dispense_many(pb, [20, 21])  # case 2 is still intact
    assert (info.value.name, info.value.args_) == ("CustodyLedgerNotUnitHolder", (pb.batch_id, 20, w.org("pharm")))
    with pytest.raises(Reverted) as info:
        w.dispense_many(pb, [45], who="pharm")  # at the manufacturer (D9, batched)
    assert info.value.name == "CustodyLedgerNotUnitHolder"


# --------------------------------------------------------------------------- decommissioning


def test_holder_decommissions_its_units_and_they_cannot_be_sold_or_shipped(scene: Scene) -> None:
    w, b = scene.w, scene.batch
    bid = b.batch_id
    r = w.decommission(b, [7, 8], STOLEN, "pharm")
    assert [(e["index"], e["state"], e["holderOrgId"], e["byOrgId"]) for e in r.named("UnitDecommissioned")] == \
        [(7, STOLEN, w.org("pharm"), w.org("pharm")), (8, STOLEN, w.org("pharm"), w.org("pharm"))]
    assert w.holding(bid, "pharm") == (8, 0)
    assert w.custody.call("batchStock", bid)[0] == 62
    assert w.custody.call("unitState", bid, 7) == STOLEN and w.custody.call("unitState", bid, 9) == ACTIVE
    assert w.custody.call("isDispensed", bid, 7) is False
    # presented for sale: an alert naming its state, no revert, nothing changes
    alert = w.dispense(b, 7, "hosp")
    assert alert.one("DecommissionedUnitPresented").args == {
        "batchId": bid, "index": 7, "codeHash": b.code_hash(7), "orgId": w.org("hosp"), "state": STOLEN}
    assert w.holding(bid, "hosp") == (10, 0)
    many = w.dispense_many(b, [8, 12], who="hosp")  # 12: one of the hospital's own (10..19)
    assert many.output == 1 and many.one("DecommissionedUnitPresented")["index"] == 8
    assert w.custody.call("unitState", bid, 12) == DISPENSED
    # gone units cannot be decommissioned again
    assert reverts(w.custody, "decommission", bid, [12], [b.code_hash(12)], b.multiproof([12]), DESTROYED,
                   w.org("hosp"), Z32, sender=w.acct("hosp")) == ("CustodyLedgerUnitGone", (bid, 12, DISPENSED))


def test_decommission_permissions_and_states(scene: Scene) -> None:
    w, b = scene.w, scene.batch
    bid = b.batch_id
    args = (bid, [21], [b.code_hash(21)], b.multiproof([21]))  # one of the distributor's units (20..39)
    # a holder records only for itself, never ACTIVE/DISPENSED
    assert reverts(w.custody, "decommission", *args, DESTROYED, w.org("dist"), Z32, sender=w.acct("pharm")) == \
        ("CustodyLedgerOutsideRemit", (w.org("pharm"), w.org("dist")))
    assert reverts(w.custody, "decommission", *args, DISPENSED, w.org("pharm"), Z32, sender=w.acct("pharm")) == \
        ("CustodyLedgerInvalidUnitState", (DISPENSED,))
    # logistics and auditors hold nothing
    for who in ("log", "aud"):
        assert reverts(w.custody, "decommission", *args, LOST, w.org(who), Z32, sender=w.acct(who))[0] == \
            "OrgRegistryUnauthorizedKind"
    # a regulator only samples, and debits the holder named
    assert reverts(w.custody, "decommission", *args, DESTROYED, w.org("dist"), Z32, sender=w.acct("nat")) == \
        ("CustodyLedgerInvalidUnitState", (DESTROYED,))
    assert reverts(w.custody, "decommission", *args, SAMPLED, w.org("dist"), Z32, sender=w.acct("prov_b")) == \
        ("CustodyLedgerOutsideRemit", (w.org("prov_b"), w.org("dist")))
    r = w.custody.transact("decommission", *args, SAMPLED, w.org("dist"), Z32, sender=w.acct("prov"))
    assert r.one("UnitDecommissioned")["byOrgId"] == w.org("prov")
    assert w.holding(bid, "dist") == (19, 0)
    # units the pharmacy does not hold
    many = list(range(8, 19))
    assert reverts(w.custody, "decommission", bid, many, [b.code_hash(i) for i in many], b.multiproof(many), LOST,
                   w.org("pharm"), Z32, sender=w.acct("pharm")) == \
        ("CustodyLedgerNotUnitHolder", (bid, 10, w.org("pharm")))


def test_decommission_works_in_any_state_and_packed_units_need_their_holder(scene: Scene) -> None:
    w, b = scene.w, scene.batch
    w.stop_batch(b.batch_id)
    w.decommission(b, [2], DESTROYED, "pharm")
    assert w.custody.call("unitState", b.batch_id, 2) == DESTROYED
    pb: PackedBatch = w.commit_packed_batch(scene.product, "PK-D", 40, per_case=10, per_pallet=4)
    with pytest.raises(Reverted) as info:
        w.decommission(pb, [3], DESTROYED, "man")  # inside the intact case at the MAH
    assert info.value.name == "CustodyLedgerNotUnitHolder"
    w.packing.transact("unpack", pb.batch_id, pallet_key(0), sender=w.acct("man"))
    w.packing.transact("unpack", pb.batch_id, case_key(0), sender=w.acct("man"))
    w.decommission(pb, [3], DESTROYED, "man")
    assert w.holding(pb.batch_id, "man") == (39, 0)
    # a destroyed unit of an opened case blocks repacking it and cannot travel loose
    assert reverts(w.packing, "repack", pb.batch_id, case_key(0), sender=w.acct("man"))[0] == "PackingLedgerUnitGone"
    assert reverts(w.packing, "dispatchPacked", pb.batch_id, w.org("dist"), w.org("log"), [3], False, Z32,
                   sender=w.acct("man")) == ("PackingLedgerUnitGone", (pb.batch_id, 3))
