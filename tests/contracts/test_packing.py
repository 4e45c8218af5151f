"""Packed batches (issue 17A): the packing committed with the batch, shipments by case and
pallet reconciled per container on receipt, unpacking (拆零) and repacking, and unit-level custody
for dispensing (the D9 scenario)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Contract, Reverted
from model import ShipmentStatus
from world import PackedBatch, Scene, case_key, pallet_key

from fisco_drugtrace.drugtrace.packing import CASE, PALLET, PackingLayout, PackingTree

Z32 = bytes(32)
H = b"\xab" * 32
# IPackingLedger.NodeStatus
NONE, HELD, TRANSIT, OPENED, MISSING = range(5)


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


@pytest.fixture
def packed(scene: Scene) -> PackedBatch:
    """100 units, 10 per case (10 cases), 4 cases per pallet (pallets of 40, 40, 20)."""
    return scene.w.commit_packed_batch(scene.product, "PK0001", 100, per_case=10, per_pallet=4)


def state(w: Any, b: PackedBatch, key: int) -> tuple[int, bytes, int, bool]:
    return w.packing.call("containerState", b.batch_id, key)


# --------------------------------------------------------------------------- 17A.1 commit


def test_packed_commit_stores_root_and_layout_in_constant_gas(scene: Scene) -> None:
    w = scene.w
    b = w.commit_packed_batch(scene.product, "PK0100", 100, per_case=10, per_pallet=4, release=False)
    assert w.drugs.call("packingOf", b.batch_id) == (b.packing.root, 100, 10, 4)
    assert w.drugs.call("getBatch", b.batch_id)[-1] == b.packing.root  # the aggregation root
    assert w.drugs.call("packingOf", scene.batch.batch_id) == (Z32, 64, 0, 0)  # a batch without packing
    gas = []
    for lot, n in (("PKG-A", 100), ("PKG-B", 100_000)):
        r = w.drugs.transact("commitPackedBatch", scene.product, lot, w.chain.timestamp_ms - 1,
                             w.chain.timestamp_ms + 10**10, n, b"\x11" * 32, b"\x22" * 32, 10, 4,
                             sender=w.acct("man"))
        assert r.one("BatchPackingCommitted").args == {
            "batchId": w.drugs.call("batchIdOf", scene.product, lot), "packingRoot": b"\x22" * 32,
            "unitsPerCase": 10, "casesPerPallet": 4}
        gas.append(r.gas_used)
    assert abs(gas[0] - gas[1]) <= 64  # calldata bytes of the count only


@pytest.mark.parametrize("root,per_case,per_pallet", [(Z32, 10, 4), (b"\x22" * 32, 0, 4), (b"\x22" * 32, 10, 0)])
def test_packed_commit_needs_root_and_layout(scene: Scene, root: bytes, per_case: int, per_pallet: int) -> None:
    w = scene.w
    assert reverts(w.drugs, "commitPackedBatch", scene.product, "PKG-X", w.chain.timestamp_ms - 1,
                   w.chain.timestamp_ms + 10**10, 100, b"\x11" * 32, root, per_case, per_pallet,
                   sender=w.acct("man")) == ("DrugRegistryInvalidPacking", (root, per_case, per_pallet))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 300), per_case=st.integers(1, 24), per_pallet=st.integers(1, 9), data=st.data())
def test_python_packing_tree_matches_the_contract(scene: Scene, n: int, per_case: int, per_pallet: int,
                                                  data: st.DataObject) -> None:
    w = scene.w
    lot = f"HYP-{n}-{per_case}-{per_pallet}"
    bid = w.drugs.call("batchIdOf", scene.product, lot)
    if w.drugs.call("packingOf", bid)[2] == 0:
        layout = PackingLayout(n, per_case, per_pallet)
        tree = PackingTree.build(bid, layout, [f"C{i}" for i in range(layout.case_count)],
                                 [f"P{i}" for i in range(layout.pallet_count)])
        w.drugs.transact("commitPackedBatch", scene.product, lot, w.chain.timestamp_ms - 1,
                         w.chain.timestamp_ms + 10**10, n, b"\x11" * 32, tree.root, per_case, per_pallet,
                         sender=w.acct("man"))
    layout = PackingLayout(n, per_case, per_pallet)
    tree = PackingTree.build(bid, layout, [f"C{i}" for i in range(layout.case_count)],
                             [f"P{i}" for i in range(layout.pallet_count)])
    unit = data.draw(st.integers(0, n - 1))
    case = layout.case_of(unit)
    pallet = layout.pallet_of(case)
    # unit in case and case in pallet: positional, the same on both sides
    assert w.packing.call("caseOfUnit", bid, unit) == (case, pallet)
    assert unit in layout.units_of_case(case) and case in layout.cases_of_pallet(pallet)
    # case in batch and pallet in batch: proofs against the packing root
    for level, index in ((CASE, case), (PALLET, pallet)):
        proof = tree.proof(level, index)
        h = tree.code_hash(level, index)
        assert w.packing.call("verifyContainer", bid, level, index, h, proof) is True
        assert w.packing.call("verifyContainer", bid, level, index, b"\x01" * 32, proof) is False
        assert w.packing.call("verifyContainer", bid, 3 - level, index, h, proof) is False
        key = (level << 248) | index
        assert w.packing.call("quantityOf", bid, key) == layout.quantity(level, index)
    assert sum(layout.quantity(PALLET, p) for p in range(layout.pallet_count)) == n
    assert w.packing.call("verifyContainer", bid, CASE, layout.case_count, tree.code_hash(CASE, 0),
                          tree.proof(CASE, 0)) is False


# --------------------------------------------------------------------------- 17A.2 shipments


def test_pallet_moves_whole_and_its_cases_follow(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    assert state(w, packed, pallet_key(0)) == (HELD, w.org("man"), 0, False)
    assert state(w, packed, case_key(1)) == (HELD, w.org("man"), 0, True)
    r = w.packing.transact("dispatchPacked", b, w.org("dist"), w.org("log"), [pallet_key(0)], False, H,
                           sender=w.acct("man"))
    sid = r.output
    assert r.one("ShipmentDispatched")["quantity"] == 40
    assert r.one("PackedShipmentDispatched").args == {"shipmentId": sid, "batchId": b, "items": (pallet_key(0),)}
    assert state(w, packed, pallet_key(0)) == (TRANSIT, w.org("man"), sid, False)
    assert state(w, packed, case_key(3)) == (TRANSIT, w.org("man"), sid, True)
    assert w.holding(b, "man") == (60, 0)
    # a packed shipment is received through the PackingLedger only
    assert reverts(w.custody, "receiveShipment", sid, 40, Z32, sender=w.acct("dist")) == \
        ("CustodyLedgerPackedShipment", (sid,))
    r = w.packing.transact("receivePacked", sid, [pallet_key(0)], [], [], Z32, sender=w.acct("dist"))
    assert r.one("ShipmentReceived")["received"] == 40 and not r.named("ShipmentDiscrepancy")
    assert w.holding(b, "dist") == (40, 0)
    assert state(w, packed, pallet_key(0)) == (HELD, w.org("dist"), 0, False)
    assert state(w, packed, case_key(2)) == (HELD, w.org("dist"), 0, True)
    assert state(w, packed, case_key(4)) == (HELD, w.org("man"), 0, True)  # pallet 1 never moved


def test_packed_batch_does_not_move_by_quantity(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    assert reverts(w.custody, "dispatch", b, w.org("dist"), w.org("log"), 10, H, sender=w.acct("man")) == \
        ("CustodyLedgerPackedBatch", (b,))
    w.ship_packed(b, "man", "dist", [pallet_key(2)])
    assert reverts(w.custody, "dispatchReturn", b, w.org("man"), w.org("log"), 1, H, sender=w.acct("dist")) == \
        ("CustodyLedgerPackedBatch", (b,))
    assert reverts(w.packing, "dispatchPacked", scene.batch.batch_id, w.org("dist"), w.org("log"), [0], False, H,
                   sender=w.acct("man")) == ("PackingLedgerNotPacked", (scene.batch.batch_id,))


def test_dispatch_needs_the_container_intact_and_held(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    args = (b, w.org("dist"), w.org("log"))
    man = w.acct("man")
    # a case inside the intact pallet cannot leave on its own
    assert reverts(w.packing, "dispatchPacked", *args, [case_key(0)], False, H, sender=man) == \
        ("PackingLedgerNotHolder", (b, case_key(0), w.org("man"), HELD))
    assert reverts(w.packing, "dispatchPacked", *args, [pallet_key(1), pallet_key(0)], False, H, sender=man) == \
        ("PackingLedgerUnsortedList", (1,))
    assert reverts(w.packing, "dispatchPacked", *args, [], False, H, sender=man) == ("PackingLedgerUnsortedList", (0,))
    assert reverts(w.packing, "dispatchPacked", *args, [pallet_key(3)], False, H, sender=man) == \
        ("PackingLedgerUnknownContainer", (b, pallet_key(3)))
    assert reverts(w.packing, "dispatchPacked", *args, [case_key(10)], False, H, sender=man) == \
        ("PackingLedgerUnknownContainer", (b, case_key(10)))
    # the distributor holds nothing of the batch, then units of it but not this pallet
    assert reverts(w.packing, "dispatchPacked", b, w.org("pharm"), w.org("log"), [pallet_key(0)], False, H,
                   sender=w.acct("dist")) == ("CustodyLedgerInsufficientStock", (b, w.org("dist"), 0, 40))
    w.ship_packed(b, "man", "dist", [pallet_key(1)])
    assert reverts(w.packing, "dispatchPacked", b, w.org("pharm"), w.org("log"), [pallet_key(0)], False, H,
                   sender=w.acct("dist")) == ("PackingLedgerNotHolder", (b, pallet_key(0), w.org("dist"), HELD))
    # after unpacking the pallet its cases travel one by one, the pallet no longer
    w.packing.transact("unpack", b, pallet_key(0), sender=man)
    assert state(w, packed, case_key(0)) == (HELD, w.org("man"), 0, False)
    assert reverts(w.packing, "dispatchPacked", *args, [pallet_key(0)], False, H, sender=man) == \
        ("PackingLedgerNotHolder", (b, pallet_key(0), w.org("man"), OPENED))
    sid = w.ship_packed(b, "man", "dist", [case_key(0), case_key(3)])
    assert w.custody.call("getShipment", sid)[4] == 20
    assert state(w, packed, case_key(3)) == (HELD, w.org("dist"), 0, False)


def test_receipt_reconciles_per_case(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    items = [pallet_key(0), pallet_key(2)]  # 40 + 20 units
    sid = w.ship_packed(b, "man", "dist", items, receive=False)
    d = w.acct("dist")
    assert reverts(w.packing, "receivePacked", sid, [pallet_key(0)], [], [], Z32, sender=d) == \
        ("PackingLedgerManifestMismatch", (sid,))
    assert reverts(w.packing, "receivePacked", sid, items, [case_key(5)], [], Z32, sender=d) == \
        ("PackingLedgerNotShipped", (sid, case_key(5)))
    assert reverts(w.packing, "receivePacked", sid, items, [], [], Z32, sender=w.acct("pharm")) == \
        ("CustodyLedgerNotAddressee", (sid, w.org("pharm")))
    # case 2 of pallet 0 and the whole of pallet 2 are missing; case 5 (pallet 1) turned up unlisted
    r = w.packing.transact("receivePacked", sid, items, [case_key(2), pallet_key(2)], [case_key(5)], H, sender=d)
    missing = [(e["key"], e["quantity"]) for e in r.named("ContainerMissing")]
    assert missing == [(case_key(2), 10), (pallet_key(2), 20)]
    assert [e["key"] for e in r.named("ContainerExtra")] == [case_key(5)]
    assert r.one("ContainerUnpacked").args == {"batchId": b, "key": pallet_key(0), "orgId": w.org("dist")}
    assert r.one("ShipmentDiscrepancy")["received"] == 30
    assert w.custody.call("getShipment", sid)[7] == int(ShipmentStatus.PARTIAL)
    assert w.holding(b, "dist") == (30, 0)
    assert state(w, packed, pallet_key(0)) == (OPENED, w.org("dist"), 0, False)
    assert state(w, packed, case_key(1)) == (HELD, w.org("dist"), 0, False)
    assert state(w, packed, case_key(2))[0] == MISSING
    assert state(w, packed, pallet_key(2))[0] == MISSING
    assert state(w, packed, case_key(9)) == (MISSING, w.org("man"), sid, True)
    assert state(w, packed, case_key(5)) == (HELD, w.org("man"), 0, True)  # the extra is not credited


def test_rejected_containers_are_back_with_the_sender(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    sid = w.ship_packed(b, "man", "dist", [pallet_key(1)], receive=False)
    w.custody.transact("rejectShipment", sid, H, sender=w.acct("dist"))
    assert state(w, packed, pallet_key(1)) == (HELD, w.org("man"), 0, False)
    assert w.holding(b, "man") == (100, 0)
    w.ship_packed(b, "man", "hosp", [pallet_key(1)])
    assert state(w, packed, case_key(6)) == (HELD, w.org("hosp"), 0, True)


# --------------------------------------------------------------------------- 17A.3 unit custody


def test_d9_a_unit_still_at_the_manufacturer_cannot_be_dispensed(scene: Scene, packed: PackedBatch) -> None:
    """Issue 17's D9 scenario: a pharmacy holding one unit of the batch dispenses a code whose
    box is still at the manufacturer: reverts (on quantity custody it burnt the code)."""
    w, b = scene.w, packed.batch_id
    man = w.acct("man")
    w.packing.transact("unpack", b, pallet_key(0), sender=man)
    w.packing.transact("unpack", b, case_key(0), sender=man)
    w.ship_packed(b, "man", "pharm", [0])  # one loose unit
    assert w.holding(b, "pharm") == (1, 0)
    assert reverts(w.custody, "dispense", b, 57, packed.code_hash(57), packed.proof(57), sender=w.acct("pharm")) == \
        ("CustodyLedgerNotUnitHolder", (b, 57, w.org("pharm")))
    assert not w.custody.call("isDispensed", b, 57)
    assert w.dispense(packed, 0).one("UnitDispensed")["index"] == 0
    # the manufacturer's boxes stay sellable wherever they go next
    w.ship_packed(b, "man", "hosp", [case_key(1)])
    w.packing.transact("unpack", b, case_key(1), sender=w.acct("hosp"))
    assert w.dispense(packed, 17, "hosp").named("UnitDispensed")


def test_units_are_dispensed_only_from_an_unpacked_case(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    w.ship_packed(b, "man", "dist", [pallet_key(0)])
    w.packing.transact("unpack", b, pallet_key(0), sender=w.acct("dist"))
    w.ship_packed(b, "dist", "pharm", [case_key(2)])
    assert reverts(w.custody, "dispense", b, 21, packed.code_hash(21), packed.proof(21), sender=w.acct("pharm")) == \
        ("CustodyLedgerNotUnitHolder", (b, 21, w.org("pharm")))
    r = w.packing.transact("unpack", b, case_key(2), sender=w.acct("pharm"))
    assert r.one("ContainerUnpacked").args == {"batchId": b, "key": case_key(2), "orgId": w.org("pharm")}
    assert w.dispense(packed, 21).named("UnitDispensed")
    assert w.dispense(packed, 21).named("DuplicateDispense")  # still an alert, not a revert
    # another holder of the batch (hosp holds nothing of this case) is refused
    assert reverts(w.custody, "dispense", b, 22, packed.code_hash(22), packed.proof(22), sender=w.acct("hosp")) == \
        ("CustodyLedgerNotUnitHolder", (b, 22, w.org("hosp")))
    # unpacking needs the container intact in the caller's hands
    assert reverts(w.packing, "unpack", b, case_key(2), sender=w.acct("pharm")) == \
        ("PackingLedgerNotHolder", (b, case_key(2), w.org("pharm"), OPENED))
    assert reverts(w.packing, "unpack", b, case_key(3), sender=w.acct("pharm")) == \
        ("PackingLedgerNotHolder", (b, case_key(3), w.org("pharm"), HELD))


def test_loose_units_travel_and_gone_units_do_not(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    w.ship_packed(b, "man", "dist", [pallet_key(0)])
    w.packing.transact("unpack", b, pallet_key(0), sender=w.acct("dist"))
    w.packing.transact("unpack", b, case_key(1), sender=w.acct("dist"))
    w.ship_packed(b, "dist", "pharm", [12, 13, 14])
    assert state(w, packed, 13) == (HELD, w.org("pharm"), 0, False)
    assert state(w, packed, 15) == (HELD, w.org("dist"), 0, False)
    w.dispense(packed, 13)
    # the pharmacy returns what it has left: the dispensed unit can't travel
    assert reverts(w.packing, "dispatchPacked", b, w.org("dist"), w.org("log"), [12, 13], True, H,
                   sender=w.acct("pharm")) == ("PackingLedgerUnitGone", (b, 13))
    w.ship_packed(b, "pharm", "dist", [12, 14], is_return=True)
    assert w.holding(b, "dist") == (39, 2)  # returns arrive quarantined
    assert state(w, packed, 12) == (HELD, w.org("dist"), 0, False)


def test_repack_needs_every_child_back(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    w.ship_packed(b, "man", "dist", [pallet_key(0)])
    d = w.acct("dist")
    w.packing.transact("unpack", b, pallet_key(0), sender=d)
    w.packing.transact("unpack", b, case_key(1), sender=d)
    # a case of the pallet is opened: the pallet cannot close
    assert reverts(w.packing, "repack", b, pallet_key(0), sender=d) == \
        ("PackingLedgerNotHolder", (b, case_key(1), w.org("dist"), OPENED))
    w.ship_packed(b, "dist", "pharm", [12])
    assert reverts(w.packing, "repack", b, case_key(1), sender=d) == \
        ("PackingLedgerNotHolder", (b, 12, w.org("dist"), HELD))  # held by the pharmacy
    w.ship_packed(b, "pharm", "dist", [12], is_return=True)
    r = w.packing.transact("repack", b, case_key(1), sender=d)
    assert r.one("ContainerRepacked").args == {"batchId": b, "key": case_key(1), "orgId": w.org("dist")}
    assert state(w, packed, 12) == (HELD, w.org("dist"), 0, True)
    w.packing.transact("repack", b, pallet_key(0), sender=d)
    assert state(w, packed, pallet_key(0)) == (HELD, w.org("dist"), 0, False)
    assert state(w, packed, case_key(1)) == (HELD, w.org("dist"), 0, True)
    # the returned unit came back quarantined: released after inspection, the pallet ships whole
    w.custody.transact("releaseQuarantine", b, w.org("dist"), 1, H, sender=w.acct("prov"))
    w.ship_packed(b, "dist", "hosp", [pallet_key(0)])
    assert w.holding(b, "hosp") == (40, 0)


def test_repack_refused_once_a_unit_is_dispensed(scene: Scene, packed: PackedBatch) -> None:
    w, b = scene.w, packed.batch_id
    w.ship_packed(b, "man", "pharm", [pallet_key(2)])
    p = w.acct("pharm")
    w.packing.transact("unpack", b, pallet_key(2), sender=p)
    w.packing.transact("unpack", b, case_key(9), sender=p)
    w.dispense(packed, 95)
    assert reverts(w.packing, "repack", b, case_key(9), sender=p) == ("PackingLedgerUnitGone", (b, 90))
    assert reverts(w.packing, "repack", b, case_key(8), sender=p) == \
        ("PackingLedgerNotHolder", (b, case_key(8), w.org("pharm"), HELD))


# --------------------------------------------------------------------------- found with the model
# (tests/contracts/model.py, written from contracts/README.md, and test_state_machine.py's
# PackingMachine: the double count was its counterexample; the other three are places where the
# code disagreed with the model)


def test_a_missing_case_of_a_pallet_is_the_senders_loss(scene: Scene, packed: PackedBatch) -> None:
    """A case missing from a pallet the distributor sent on: the case (and its units) is MISSING
    from the distributor, not from the MAH (the record named the MAH when the case had none)."""
    w, b = scene.w, packed.batch_id
    w.ship_packed(b, "man", "dist", [pallet_key(0)])
    sid = w.ship_packed(b, "dist", "pharm", [pallet_key(0)], missing=[case_key(1)])
    assert state(w, packed, case_key(1)) == (MISSING, w.org("dist"), sid, False)
    assert state(w, packed, 14) == (MISSING, w.org("dist"), sid, True)
    assert state(w, packed, pallet_key(0)) == (OPENED, w.org("pharm"), 0, False)
    assert w.holding(b, "pharm") == (30, 0)


def test_a_pallet_and_one_of_its_cases_both_missing_is_refused(scene: Scene, packed: PackedBatch) -> None:
    """Reporting a pallet missing whole and one of its cases too counted the case's units twice
    (the receiver was credited 10 units short, or the receipt reverted as not packed)."""
    w, b = scene.w, packed.batch_id
    items = [pallet_key(0), pallet_key(2)]
    sid = w.ship_packed(b, "man", "dist", items, receive=False)
    d = w.acct("dist")
    assert reverts(w.packing, "receivePacked", sid, items, [case_key(1), pallet_key(0)], [], Z32, sender=d) == \
        ("PackingLedgerNotShipped", (sid, case_key(1)))
    assert reverts(w.packing, "receivePacked", sid, items, [case_key(8), pallet_key(2)], [], Z32, sender=d) == \
        ("PackingLedgerNotShipped", (sid, case_key(8)))
    r = w.packing.transact("receivePacked", sid, items, [pallet_key(0)], [], Z32, sender=d)
    assert r.one("ShipmentDiscrepancy")["received"] == 20
    assert w.holding(b, "dist") == (20, 0)


def test_a_loose_unit_back_from_a_rejected_shipment_is_loose_with_its_sender(scene: Scene,
                                                                           packed: PackedBatch) -> None:
    """A loose unit refused at the door (or whose shipment a regulator voided) is the sender's
    again, loose: it dispenses it and repacks its case (both were refused: the record still said
    in transit)."""
    w, b = scene.w, packed.batch_id
    d, p = w.acct("dist"), w.acct("pharm")
    w.ship_packed(b, "man", "dist", [pallet_key(0)])
    w.packing.transact("unpack", b, pallet_key(0), sender=d)
    w.packing.transact("unpack", b, case_key(0), sender=d)
    sid = w.ship_packed(b, "dist", "pharm", [3], receive=False)
    w.custody.transact("rejectShipment", sid, H, sender=p)
    assert state(w, packed, 3) == (HELD, w.org("dist"), 0, False)
    assert w.packing.call("unitHolder", b, 3, 10) == w.orgs.call("getOrg", w.org("dist"))[3]
    assert w.packing.transact("repack", b, case_key(0), sender=d).named("ContainerRepacked")
    # the pharmacy's return of a loose unit, refused by the distributor: loose at the pharmacy again
    w.ship_packed(b, "dist", "pharm", [case_key(1)])
    w.packing.transact("unpack", b, case_key(1), sender=p)
    back = w.ship_packed(b, "pharm", "dist", [12], receive=False, is_return=True)
    w.custody.transact("rejectShipment", back, H, sender=d)
    assert w.packing.call("unitHolder", b, 12, 10) == w.orgs.call("getOrg", w.org("pharm"))[3]
    assert w.dispense(packed, 12).named("UnitDispensed")
    # voided by a regulator: the same
    stuck = w.ship_packed(b, "pharm", "dist", [13], receive=False, is_return=True)
    w.custody.transact("voidShipment", stuck, H, sender=w.acct("prov"))
    assert state(w, packed, 13) == (HELD, w.org("pharm"), 0, False)
    assert w.dispense(packed, 13).named("UnitDispensed")


@pytest.mark.parametrize("key", [pallet_key(3), case_key(10), (3 << 248) | 0], ids=["pallet-3", "case-10", "level-3"])
def test_unpack_and_repack_need_a_container_of_the_layout(scene: Scene, packed: PackedBatch, key: int) -> None:
    """The MAH "unpacked" a pallet the batch does not have (any pallet without a record resolved
    to the MAH): a key outside the layout is refused, as dispatch refuses it."""
    w, b = scene.w, packed.batch_id
    for fn in ("unpack", "repack"):
        assert reverts(w.packing, fn, b, key, sender=w.acct("man")) == ("PackingLedgerUnknownContainer", (b, key))
