"""Unit-level custody of batches committed without packing (issue 17 A.3, the D9 scenario):
range custody in the RangeLedger, moved first-in first-out by the CustodyLedger's quantity shipments.

The standard scene's batch ``B`` (64 units): ``man`` shipped 40 to ``dist`` (units 0..39),
``dist`` shipped 10 to ``pharm`` (0..9) and 10 to ``hosp`` (10..19); ``man`` keeps 40..63 and
``dist`` 20..39.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import Contract, Reverted
from world import Scene

Z32 = bytes(32)
H = b"\xab" * 32
# IRangeLedger.RangeState
NONE, HELD, TRANSIT, MISSING = range(4)
# UnitState
STOLEN, SAMPLED = 3, 5


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


def send(w: Any, b: bytes, frm: str, to: str, qty: int, *, ret: bool = False) -> int:
    fn = "dispatchReturn" if ret else "dispatch"
    return w.custody.transact(fn, b, w.org(to), w.org("log"), qty, Z32, sender=w.acct(frm)).output


def ship_ranges(w: Any, sid: int) -> list[int]:
    return list(w.ranges.call("shipmentRanges", sid))


def range_of(w: Any, b: bytes, index: int) -> tuple[int, int, int, bytes, int, int]:
    return tuple(w.ranges.call("rangeOf", b, index))  # type: ignore[return-value]


# --------------------------------------------------------------------------- custody of the scene


def test_the_scene_moved_units_first_in_first_out(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    assert w.ranges_of(b, "man") == [(40, 64)]
    assert w.ranges_of(b, "dist") == [(20, 40)]
    assert w.ranges_of(b, "pharm") == [(0, 10)]
    assert w.ranges_of(b, "hosp") == [(10, 20)]
    assert range_of(w, b, 5) == (0, 10, HELD, w.org("pharm"), 0, 0)
    assert range_of(w, b, 63) == (40, 64, HELD, w.org("man"), 0, 0)
    assert range_of(w, b, 20) == (20, 40, HELD, w.org("dist"), 0, 0)
    # every range's length matches the holding (nothing gone yet)
    for who in ("man", "dist", "pharm", "hosp"):
        assert sum(e - s for s, e in w.ranges_of(b, who)) == w.holding(b, who)[0]
    assert reverts(w.ranges, "rangeOf", b, 64, sender=w.acct("man")) == ("RangeLedgerUnitOutOfRange", (b, 64, 64))


def test_d9_a_code_still_at_the_manufacturer_cannot_be_dispensed(scene: Scene) -> None:
    """Issue 17's D9 on a batch committed without packing: the pharmacy holds units 0..9 and
    tries to burn code 50, whose box is still at the MAH: reverts; the box's genuine sale later
    is a first dispense, not a duplicate."""
    w, info, b = scene.w, scene.batch, scene.batch.batch_id
    assert reverts(w.custody, "dispense", b, 50, info.code_hash(50), info.proof(50), sender=w.acct("pharm")) == \
        ("CustodyLedgerNotUnitHolder", (b, 50, w.org("pharm")))
    # a code at another dispenser (hosp holds 10..19) and one at the distributor
    assert reverts(w.custody, "dispense", b, 15, info.code_hash(15), info.proof(15), sender=w.acct("pharm")) == \
        ("CustodyLedgerNotUnitHolder", (b, 15, w.org("pharm")))
    assert reverts(w.custody, "dispense", b, 25, info.code_hash(25), info.proof(25), sender=w.acct("hosp")) == \
        ("CustodyLedgerNotUnitHolder", (b, 25, w.org("hosp")))
    assert not w.custody.call("isDispensed", b, 50)
    assert w.dispense(info, 5).one("UnitDispensed")["index"] == 5
    # a dispense writes nothing to the RangeLedger: the range's gone units are counted when it moves on
    assert range_of(w, b, 5) == (0, 10, HELD, w.org("pharm"), 0, 0)
    # the MAH's box travels on and is sold where it lands
    sid = send(w, b, "man", "hosp", 24)
    assert range_of(w, b, 50) == (40, 64, TRANSIT, w.org("man"), sid, 0)
    w.custody.transact("receiveShipment", sid, 24, Z32, sender=w.acct("hosp"))
    assert w.ranges_of(b, "hosp") == [(10, 20), (40, 64)]
    assert w.dispense(info, 50, "hosp").named("UnitDispensed")


def test_dispatch_is_fifo_and_adjacent_receipts_merge(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = send(w, b, "dist", "pharm", 5)
    r = ship_ranges(w, sid)
    assert r == [20, 25]
    assert range_of(w, b, 22) == (20, 25, TRANSIT, w.org("dist"), sid, 0)
    assert w.ranges_of(b, "dist") == [(25, 40)]
    rec = w.custody.transact("receiveShipment", sid, 5, Z32, sender=w.acct("pharm"))
    assert rec.one("RangesReceived").args == {"shipmentId": sid, "batchId": b, "missingBounds": ()}
    assert w.ranges_of(b, "pharm") == [(0, 10), (20, 25)]
    assert ship_ranges(w, sid) == []
    # the next slice is adjacent to the pharmacy's last range: one range
    w.ship(b, "dist", "pharm", 5)
    assert w.ranges_of(b, "pharm") == [(0, 10), (20, 30)]
    assert range_of(w, b, 29) == (20, 30, HELD, w.org("pharm"), 0, 0)
    assert w.dispense(scene.batch, 27).named("UnitDispensed")


def test_the_shipped_event_lists_the_ranges(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.ship(b, "dist", "pharm", 3)  # pharm: (0,10), (20,23)
    r = w.custody.transact("dispatchReturn", b, w.org("dist"), w.org("log"), 12, Z32, sender=w.acct("pharm"))
    assert r.one("RangesShipped").args == {"shipmentId": r.output, "batchId": b, "bounds": (0, 10, 20, 22)}
    assert w.ranges_of(b, "pharm") == [(22, 23)]
    w.custody.transact("receiveShipment", r.output, 12, Z32, sender=w.acct("dist"))
    # a return lands at the end of the receiver's queue; [20, 22) does not touch dist's [23, 40)
    assert w.ranges_of(b, "dist") == [(23, 40), (0, 10), (20, 22)]


def test_a_short_receipt_leaves_the_tail_missing_from_the_sender(scene: Scene) -> None:
    w, info, b = scene.w, scene.batch, scene.batch.batch_id
    sid = send(w, b, "dist", "pharm", 10)
    r = w.custody.transact("receiveShipment", sid, 7, Z32, sender=w.acct("pharm"))
    assert r.one("RangesReceived").args == {"shipmentId": sid, "batchId": b, "missingBounds": (27, 30)}
    assert w.ranges_of(b, "pharm") == [(0, 10), (20, 27)]
    assert range_of(w, b, 28) == (27, 30, MISSING, w.org("dist"), sid, 0)
    assert w.holding(b, "pharm") == (17, 0)
    # presenting a missing code is an alert, like a duplicate: no revert, nothing changes
    d = w.dispense(info, 28)
    assert d.output is False
    assert d.one("MissingUnitPresented").args == {"batchId": b, "index": 28, "codeHash": info.code_hash(28),
                                                  "orgId": w.org("pharm")}
    assert not w.custody.call("isDispensed", b, 28)
    assert w.holding(b, "pharm") == (17, 0)
    assert w.dispense(info, 29, "hosp").named("MissingUnitPresented")
    # nobody can decommission it either (its units were written off the market)
    assert reverts(w.custody, "decommission", b, [28], [info.code_hash(28)], info.multiproof([28]), STOLEN,
                   w.org("dist"), Z32, sender=w.acct("dist")) == ("CustodyLedgerNotUnitHolder", (b, 28, w.org("dist")))
    assert w.dispense(info, 26).named("UnitDispensed")


def test_a_receipt_that_splits_inside_a_second_range(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.ship(b, "dist", "pharm", 3)  # pharm: (0,10), (20,23)
    sid = send(w, b, "pharm", "dist", 13, ret=True)
    assert ship_ranges(w, sid) == [0, 10, 20, 23]
    r = w.custody.transact("receiveShipment", sid, 11, Z32, sender=w.acct("dist"))
    assert r.one("RangesReceived")["missingBounds"] == (21, 23)
    assert w.ranges_of(b, "dist") == [(23, 40), (0, 10), (20, 21)]
    assert range_of(w, b, 22) == (21, 23, MISSING, w.org("pharm"), sid, 0)


def test_rejected_and_voided_shipments_put_the_ranges_back(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = send(w, b, "dist", "pharm", 5)
    assert w.ranges_of(b, "dist") == [(25, 40)]
    r = w.custody.transact("rejectShipment", sid, H, sender=w.acct("pharm"))
    assert r.one("RangesReturned").args == {"shipmentId": sid, "batchId": b}
    # back at the head of the sender's queue, merged with the rest of the range it came from
    assert w.ranges_of(b, "dist") == [(20, 40)]
    assert range_of(w, b, 22) == (20, 40, HELD, w.org("dist"), 0, 0)
    assert ship_ranges(w, sid) == []
    # a void (regulator) does the same; the units are quarantined by quantity
    sid = send(w, b, "dist", "pharm", 15)
    send(w, b, "dist", "hosp", 2)  # the sender's queue moved on meanwhile: (35, 40)
    w.custody.transact("voidShipment", sid, H, sender=w.acct("nat"))
    assert w.ranges_of(b, "dist") == [(20, 35), (37, 40)]
    assert w.holding(b, "dist") == (18, 15)
    assert list(w.ranges.call("rangesOf", b, w.org("dist"), 0, 1)[0]) == [20, 35]


def test_returns_move_by_range_too(scene: Scene) -> None:
    w, info, b = scene.w, scene.batch, scene.batch.batch_id
    w.dispense_many(info, [0, 2, 4])  # three of the pharmacy's units are gone
    sid = send(w, b, "pharm", "man", 4, ret=True)
    # four live units from the head: 1, 3, 5, 6 -> [0, 7) with 3 gone in it
    assert ship_ranges(w, sid) == [0, 7]
    assert range_of(w, b, 6) == (0, 7, TRANSIT, w.org("pharm"), sid, 3)
    assert w.ranges_of(b, "pharm") == [(7, 10)]
    w.custody.transact("receiveShipment", sid, 4, Z32, sender=w.acct("man"))
    assert w.ranges_of(b, "man") == [(40, 64), (0, 7)]
    assert w.holding(b, "man") == (28, 4)  # a return arrives quarantined
    assert w.held_units(b, "man")[-4:] == [1, 3, 5, 6]


def test_a_dispensers_return_counts_its_dispensed_units(scene: Scene) -> None:
    """Dispensing writes nothing to the RangeLedger (gas); a pharmacy's return counts the units
    dispensed in each range it takes on the dispensed bitmap, so exactly its live units travel."""
    w, info, b = scene.w, scene.batch, scene.batch.batch_id
    w.ship(b, "dist", "pharm", 4)  # pharm: (0,10), (20,24)
    w.dispense_many(info, [0, 1, 2, 3, 4, 5, 6, 7, 8])
    w.dispense(info, 21)
    assert w.holding(b, "pharm") == (4, 0)  # 9 and 20, 22, 23
    sid = send(w, b, "pharm", "dist", 2, ret=True)
    # (0,10) has one live unit: taken whole with its 9 gone; then 20 of (20,24)
    assert ship_ranges(w, sid) == [0, 10, 20, 21]
    assert range_of(w, b, 3) == (0, 10, TRANSIT, w.org("pharm"), sid, 9)
    assert w.ranges_of(b, "pharm") == [(21, 24)]
    sid2 = send(w, b, "pharm", "dist", 2, ret=True)
    assert ship_ranges(w, sid2) == [21, 24] and range_of(w, b, 22)[5] == 1
    assert w.holding(b, "pharm") == (0, 0) and w.ranges_of(b, "pharm") == []


def test_dispense_many_and_decommission_need_the_units_held(scene: Scene) -> None:
    w, info, b = scene.w, scene.batch, scene.batch.batch_id
    assert w.dispense_many(info, [1, 2, 3]).named("UnitDispensed")
    idx = [11, 12, 50]
    assert reverts(w.custody, "dispenseMany", b, idx, [info.code_hash(i) for i in idx], info.multiproof(idx),
                   sender=w.acct("hosp")) == ("CustodyLedgerNotUnitHolder", (b, 50, w.org("hosp")))
    assert not w.custody.call("isDispensed", b, 11)
    assert w.dispense_many(info, [11, 12], "hosp").named("UnitDispensed")
    assert range_of(w, b, 11)[5] == 0  # counted when the hospital's range moves on
    # decommission: by the holder of the unit only
    assert w.decommission(info, [21, 22], STOLEN, "dist").named("UnitDecommissioned")
    assert range_of(w, b, 21) == (20, 40, HELD, w.org("dist"), 0, 2)
    assert reverts(w.custody, "decommission", b, [5], [info.code_hash(5)], info.multiproof([5]), STOLEN,
                   w.org("dist"), Z32, sender=w.acct("dist")) == ("CustodyLedgerNotUnitHolder", (b, 5, w.org("dist")))
    # a regulator samples at the pharmacy only what the pharmacy holds
    assert w.decommission(info, [6], SAMPLED, "nat", holder="pharm").named("UnitDecommissioned")
    assert reverts(w.custody, "decommission", b, [15], [info.code_hash(15)], info.multiproof([15]), SAMPLED,
                   w.org("pharm"), Z32, sender=w.acct("nat")) == ("CustodyLedgerNotUnitHolder", (b, 15, w.org("pharm")))
    # a decommissioned unit shipped on travels dead: dist ships 18 live units -> [20, 40)
    sid = send(w, b, "dist", "pharm", 18)
    assert ship_ranges(w, sid) == [20, 40]
    assert w.ranges_of(b, "dist") == []


def test_a_batch_nobody_moved_is_the_mahs(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "RNG01", 30)
    b = info.batch_id
    assert w.ranges_of(b, "man") == [(0, 30)]
    assert w.ranges_of(b, "dist") == []
    assert range_of(w, b, 29) == (0, 30, HELD, w.org("man"), 0, 0)
    # the MAH decommissions before anything moved: recorded then, [0, 30) with one gone
    assert w.decommission(info, [0], STOLEN, "man").named("UnitDecommissioned")
    assert range_of(w, b, 29) == (0, 30, HELD, w.org("man"), 0, 1)
    w.ship(b, "man", "pharm", 5)
    assert w.ranges_of(b, "pharm") == [(0, 6)]
    assert w.ranges_of(b, "man") == [(6, 30)]
    assert reverts(w.custody, "dispense", b, 7, info.code_hash(7), info.proof(7), sender=w.acct("pharm")) == \
        ("CustodyLedgerNotUnitHolder", (b, 7, w.org("pharm")))
    assert w.dispense(info, 3).named("UnitDispensed")


def test_a_dispense_on_an_untouched_batch_reverts(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "RNG02", 8)
    assert reverts(w.custody, "dispense", info.batch_id, 1, info.code_hash(1), info.proof(1),
                   sender=w.acct("pharm")) == ("CustodyLedgerNotUnitHolder", (info.batch_id, 1, w.org("pharm")))


def test_ranges_across_bitmap_levels(scene: Scene) -> None:
    """70 000 units: range starts in different level-0, level-1 and level-2 words."""
    w = scene.w
    n = 70_000
    info = w.commit_batch(scene.product, "RNG03", n)
    b = info.batch_id
    w.ship(b, "man", "dist", 66_000)
    w.ship(b, "dist", "pharm", 300)
    w.ship(b, "dist", "hosp", 65_000)
    assert w.ranges_of(b, "man") == [(66_000, n)]
    assert w.ranges_of(b, "dist") == [(65_300, 66_000)]
    assert w.ranges_of(b, "hosp") == [(300, 65_300)]
    for index, expected in ((0, (0, 300, "pharm")), (299, (0, 300, "pharm")), (300, (300, 65_300, "hosp")),
                            (65_299, (300, 65_300, "hosp")), (65_300, (65_300, 66_000, "dist")),
                            (65_999, (65_300, 66_000, "dist")), (66_000, (66_000, n, "man")),
                            (n - 1, (66_000, n, "man"))):
        start, end, state, holder, _, _ = range_of(w, b, index)
        assert (start, end, holder) == (expected[0], expected[1], w.org(expected[2])), index
    assert w.dispense(info, 65_000, "hosp").named("UnitDispensed")
    assert reverts(w.custody, "dispense", b, 65_500, info.code_hash(65_500), info.proof(65_500),
                   sender=w.acct("hosp")) == ("CustodyLedgerNotUnitHolder", (b, 65_500, w.org("hosp")))
    # a dispenser's return counts its dispensed units on the bitmap, at most 64 words a shipment
    assert reverts(w.custody, "dispatchReturn", b, w.org("dist"), w.org("log"), 64_999, Z32,
                   sender=w.acct("hosp")) == ("RangeLedgerSplitTooFar", (b, 300, 64))
    # in five returns; each receipt merges with the last: the starts in between are unmarked again
    for qty in (16_000, 16_000, 16_000, 16_000, 999):
        sid = send(w, b, "hosp", "dist", qty, ret=True)
        w.custody.transact("receiveShipment", sid, qty, Z32, sender=w.acct("dist"))
    assert w.ranges_of(b, "dist") == [(65_300, 66_000), (300, 65_300)]
    assert range_of(w, b, 65_299) == (300, 65_300, HELD, w.org("dist"), 0, 1)
    assert range_of(w, b, 40_000)[:2] == (300, 65_300)


def test_too_many_ranges_in_one_shipment_is_a_named_error(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "RNG04", 60)
    b = info.batch_id
    w.ship(b, "man", "dist", 40)
    for _ in range(17):  # alternate so the pharmacy's slices never touch
        w.ship(b, "dist", "pharm", 1)
        w.ship(b, "dist", "hosp", 1)
    assert len(w.ranges_of(b, "pharm")) == 17
    assert reverts(w.custody, "dispatchReturn", b, w.org("dist"), w.org("log"), 17, Z32, sender=w.acct("pharm")) == \
        ("RangeLedgerTooFragmented", (b, w.org("pharm"), 16))
    sid = send(w, b, "pharm", "dist", 16, ret=True)
    assert len(ship_ranges(w, sid)) == 32


def test_only_the_custody_ledger_writes_ranges(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    man = w.acct("man")
    assert w.ranges.call("custodyLedger") == w.custody.address
    for fn, args in (("dispatchUnits", (b, 64, 1, 1, 1, False)), ("receiveUnits", (b, 1, 1, 1)),
                     ("returnUnits", (b, 1)), ("consumeMany", (b, 64, [0], 1, 1))):
        assert reverts(w.ranges, fn, *args, sender=man) == ("RangeLedgerOnlyCustody", (man,)), fn


def test_a_paused_suite_moves_no_ranges(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.orgs.transact("pause", sender=w.acct("nat"))
    assert reverts(w.custody, "dispatch", b, w.org("pharm"), w.org("log"), 1, Z32, sender=w.acct("dist"))[0] == \
        "OrgRegistryEnforcedPause"
    w.orgs.transact("unpause", sender=w.acct("nat"))
    assert w.ranges_of(b, "dist") == [(20, 40)]


def test_ranges_of_pages(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.ship(b, "dist", "pharm", 2)
    w.ship(b, "dist", "hosp", 2)
    w.ship(b, "dist", "pharm", 2)  # pharm: (0,10), (20,22), (24,26)
    bounds, gone, nxt = w.ranges.call("rangesOf", b, w.org("pharm"), 0, 2)
    assert (bounds, gone) == ((0, 10, 20, 22), (0, 0)) and nxt == 25
    bounds, gone, nxt = w.ranges.call("rangesOf", b, w.org("pharm"), nxt, 2)
    assert (bounds, gone, nxt) == ((24, 26), (0,), 0)


def test_packed_batches_are_not_ranged(scene: Scene) -> None:
    w = scene.w
    packed = w.commit_packed_batch(scene.product, "PKR01", 20, per_case=10, per_pallet=2)
    assert reverts(w.ranges, "rangeOf", packed.batch_id, 0, sender=w.acct("man")) == \
        ("RangeLedgerPackedBatch", (packed.batch_id,))
