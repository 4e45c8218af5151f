"""Custody: dispatch, full/partial receive (discrepancy), reject, returns while not LISTED,
outbound movements refused while not LISTED or expired, and the effects of quarantine."""

from __future__ import annotations

from typing import Any

import pytest

from harness import Contract, Reverted
from model import MASK, Kind, Point, ShipmentStatus, State, bit
from world import Scene

Z32 = bytes(32)
H = b"\xab" * 32


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


def test_dispatch_event_record_and_holding(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    count = w.custody.call("shipmentCount")
    r = w.custody.transact("dispatch", b, w.org("pharm"), w.org("log"), 7, H, sender=w.acct("dist"))
    sid = r.output
    assert sid == count + 1
    assert w.all_events(r) == [("ShipmentDispatched", {
        "shipmentId": sid, "batchId": b, "fromOrgId": w.org("dist"), "toOrgId": w.org("pharm"),
        "carrierOrgId": w.org("log"), "quantity": 7, "isReturn": False, "manifestHash": H}),
        # the distributor's first 7 units (it holds 20..39): which codes travel (D9)
        ("RangesShipped", {"shipmentId": sid, "batchId": b, "bounds": (20, 27)})]
    assert w.custody.call("getShipment", sid) == (b, w.org("dist"), w.org("pharm"), w.org("log"), 7, 0,
                                                  w.chain.timestamp_ms, int(ShipmentStatus.DISPATCHED), False, False)
    assert w.holding(b, "dist") == (13, 0)


def test_dispatch_guards(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    d = w.acct("dist")
    assert reverts(w.custody, "dispatch", b, w.org("pharm"), w.org("log"), 0, H, sender=d) == \
        ("CustodyLedgerInvalidQuantity", (0,))
    assert reverts(w.custody, "dispatch", b, w.org("pharm"), w.org("log"), 2**40, H, sender=d) == \
        ("CustodyLedgerInvalidQuantity", (2**40,))
    assert reverts(w.custody, "dispatch", b, w.org("pharm"), w.org("log"), 21, H, sender=d) == \
        ("CustodyLedgerInsufficientStock", (b, w.org("dist"), 20, 21))
    assert reverts(w.custody, "dispatch", b, w.org("dist"), w.org("log"), 1, H, sender=d) == \
        ("CustodyLedgerInvalidAddressee", (b, w.org("dist")))
    assert reverts(w.custody, "dispatch", b, w.org("log"), w.org("log"), 1, H, sender=d) == \
        ("OrgRegistryUnauthorizedKind", (w.org("log"), int(Kind.LOGISTICS), MASK["addressees"]))
    assert reverts(w.custody, "dispatch", b, w.org("man"), w.org("log"), 1, H, sender=d) == \
        ("OrgRegistryUnauthorizedKind", (w.org("man"), int(Kind.MANUFACTURER), MASK["addressees"]))
    assert reverts(w.custody, "dispatch", b, w.org("pharm"), w.org("dist2"), 1, H, sender=d) == \
        ("OrgRegistryUnauthorizedKind", (w.org("dist2"), int(Kind.DISTRIBUTOR), MASK["logistics"]))
    assert reverts(w.custody, "dispatch", b"\x31" * 32, w.org("pharm"), w.org("log"), 1, H, sender=d) == \
        ("CustodyLedgerUnknownBatch", (b"\x31" * 32,))
    w.orgs.transact("suspendOrg", w.org("pharm"), H, sender=w.acct("nat"))
    assert reverts(w.custody, "dispatch", b, w.org("pharm"), w.org("log"), 1, H, sender=d) == \
        ("OrgRegistryOrgNotActive", (w.org("pharm"), 2))
    w.chain.set_time(scene.batch.expiry + 1)
    assert reverts(w.custody, "dispatch", b, w.org("hosp"), w.org("log"), 1, H, sender=d) == \
        ("CustodyLedgerBatchExpired", (b, scene.batch.expiry))


def test_receive_in_full(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "pharm", 5, receive=False)
    r = w.custody.transact("receiveShipment", sid, 5, H, sender=w.acct("pharm"))
    assert w.all_events(r) == [("ShipmentReceived", {"shipmentId": sid, "batchId": b, "toOrgId": w.org("pharm"),
                                                      "received": 5, "quarantined": 0, "evidenceHash": H}),
                               ("RangesReceived", {"shipmentId": sid, "batchId": b, "missingBounds": ()})]
    assert w.holding(b, "pharm") == (15, 0)
    shipment = w.custody.call("getShipment", sid)
    assert (shipment[5], shipment[7]) == (5, int(ShipmentStatus.RECEIVED))
    assert reverts(w.custody, "receiveShipment", sid, 5, H, sender=w.acct("pharm")) == \
        ("CustodyLedgerShipmentNotInTransit", (sid, int(ShipmentStatus.RECEIVED)))


def test_partial_receive_emits_discrepancy(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "hosp", 8, receive=False)
    assert reverts(w.custody, "receiveShipment", sid, 9, H, sender=w.acct("hosp")) == \
        ("CustodyLedgerReceivedTooMuch", (sid, 8, 9))
    assert reverts(w.custody, "receiveShipment", sid, 0, H, sender=w.acct("hosp")) == \
        ("CustodyLedgerInvalidQuantity", (0,))
    r = w.custody.transact("receiveShipment", sid, 6, H, sender=w.acct("hosp"))
    assert w.all_events(r) == [
        ("ShipmentReceived", {"shipmentId": sid, "batchId": b, "toOrgId": w.org("hosp"), "received": 6,
                              "quarantined": 0, "evidenceHash": H}),
        ("ShipmentDiscrepancy", {"shipmentId": sid, "batchId": b, "toOrgId": w.org("hosp"), "dispatched": 8,
                                 "received": 6}),
        # units 20..27 shipped: the last two are missing from the distributor
        ("RangesReceived", {"shipmentId": sid, "batchId": b, "missingBounds": (26, 28)}),
    ]
    assert w.holding(b, "hosp") == (16, 0)
    assert w.holding(b, "dist") == (12, 0)  # the two missing units are credited nowhere
    shipment = w.custody.call("getShipment", sid)
    assert (shipment[4], shipment[5], shipment[7]) == (8, 6, int(ShipmentStatus.PARTIAL))


def test_only_the_addressee_receives_and_unknown_shipments(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "pharm", 2, receive=False)
    assert reverts(w.custody, "receiveShipment", sid, 2, H, sender=w.acct("hosp")) == \
        ("CustodyLedgerNotAddressee", (sid, w.org("hosp")))
    assert reverts(w.custody, "rejectShipment", sid, H, sender=w.acct("dist")) == \
        ("CustodyLedgerNotAddressee", (sid, w.org("dist")))
    assert reverts(w.custody, "receiveShipment", 999, 2, H, sender=w.acct("pharm")) == \
        ("CustodyLedgerUnknownShipment", (999,))


def test_reject_returns_the_quantity_to_the_sender(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "pharm", 4, receive=False)
    assert w.holding(b, "dist") == (16, 0)
    r = w.custody.transact("rejectShipment", sid, H, sender=w.acct("pharm"))
    assert w.all_events(r) == [("RangesReturned", {"shipmentId": sid, "batchId": b}),
                               ("ShipmentRejected", {"shipmentId": sid, "batchId": b, "toOrgId": w.org("pharm"),
                                                     "quantity": 4, "quarantined": 0, "reasonHash": H})]
    assert w.holding(b, "dist") == (20, 0)
    assert w.holding(b, "pharm") == (10, 0)
    assert w.custody.call("getShipment", sid)[7] == int(ShipmentStatus.REJECTED)
    assert reverts(w.custody, "receiveShipment", sid, 4, H, sender=w.acct("pharm")) == \
        ("CustodyLedgerShipmentNotInTransit", (sid, int(ShipmentStatus.REJECTED)))


@pytest.mark.parametrize("state", ["batch-stopped", "batch-recalled", "product-stopped", "product-recalled",
                                   "product-deregistered"])
def test_outbound_refused_and_returns_allowed_while_not_listed(scene: Scene, state: str) -> None:
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    if state.startswith("product-"):
        w.drugs.transact("transitionProduct", p, 2, 0, Z32, sender=w.acct("nat"))
        target = State.STOPPED
        if state == "product-recalled":
            w.open_recall(p, Z32, 3, by="prov")
            target = State.RECALLED
        elif state == "product-deregistered":
            w.drugs.transact("transitionProduct", p, 5, 0, Z32, sender=w.acct("nat"))
            target = State.DEREGISTERED
        assert w.drugs.call("effectiveState", b) == target
        states = (int(State.LISTED), int(target))
    else:
        w.stop_batch(b)
        states = (int(State.STOPPED), int(State.LISTED))
        if state == "batch-recalled":
            w.open_recall(p, b, 2)
            states = (int(State.RECALLED), int(State.LISTED))
    not_listed = ("CustodyLedgerBatchNotListed", (b, *states))
    assert reverts(w.custody, "dispatch", b, w.org("pharm"), w.org("log"), 1, H, sender=w.acct("dist")) == not_listed
    assert reverts(w.custody, "dispatch", b, w.org("dist"), w.org("log"), 1, H, sender=w.acct("man")) == not_listed
    i = 3
    assert reverts(w.custody, "dispense", b, i, scene.batch.code_hash(i), scene.batch.proof(i),
                   sender=w.acct("pharm")) == not_listed
    # returns toward the MAH (and via a distributor) stay allowed, and arrive quarantined
    r = w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), 3, H, sender=w.acct("pharm"))
    sid = r.output
    assert r.one("ShipmentDispatched").args["isReturn"] is True
    r2 = w.custody.transact("dispatchReturn", b, w.org("dist"), w.org("log"), 2, H, sender=w.acct("hosp"))
    w.custody.transact("receiveShipment", sid, 3, H, sender=w.acct("man"))
    w.custody.transact("receiveShipment", r2.output, 2, H, sender=w.acct("dist"))
    assert w.holding(b, "man") == (27, 3)
    assert w.holding(b, "dist") == (22, 2)
    assert w.holding(b, "pharm") == (7, 0)


def test_return_guards(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    ph = w.acct("pharm")
    assert reverts(w.custody, "dispatchReturn", b, w.org("hosp"), w.org("log"), 1, H, sender=ph) == \
        ("OrgRegistryUnauthorizedKind", (w.org("hosp"), int(Kind.HOSPITAL), bit(Kind.DISTRIBUTOR)))
    assert reverts(w.custody, "dispatchReturn", b, w.org("man_b"), w.org("log"), 1, H, sender=ph) == \
        ("OrgRegistryUnauthorizedKind", (w.org("man_b"), int(Kind.MANUFACTURER), bit(Kind.DISTRIBUTOR)))
    assert reverts(w.custody, "dispatchReturn", b, w.org("pharm"), w.org("log"), 1, H, sender=ph) == \
        ("CustodyLedgerInvalidAddressee", (b, w.org("pharm")))
    assert reverts(w.custody, "dispatchReturn", b, w.org("man"), w.org("log"), 11, H, sender=ph) == \
        ("CustodyLedgerInsufficientStock", (b, w.org("pharm"), 10, 11))
    assert reverts(w.custody, "dispatchReturn", b"\x32" * 32, w.org("man"), w.org("log"), 1, H, sender=ph) == \
        ("CustodyLedgerUnknownBatch", (b"\x32" * 32,))


def _storage_excursion(scene: Scene, who: str) -> int:
    w = scene.w
    r = w.obs.transact("recordObservation", int(Point.STORAGE), scene.batch.batch_id, 0, 1, 260, 300, H,
                       sender=w.acct(who))
    return r.output


def test_quarantine_blocks_sales_and_forward_shipments_not_returns(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    obs_id = _storage_excursion(scene, "pharm")
    assert w.holding(b, "pharm") == (10, 10)
    i = 1
    assert reverts(w.custody, "dispense", b, i, scene.batch.code_hash(i), scene.batch.proof(i),
                   sender=w.acct("pharm")) == ("CustodyLedgerInsufficientStock", (b, w.org("pharm"), 0, 1))
    _storage_excursion(scene, "dist")
    assert reverts(w.custody, "dispatch", b, w.org("hosp"), w.org("log"), 1, H, sender=w.acct("dist")) == \
        ("CustodyLedgerInsufficientStock", (b, w.org("dist"), 0, 1))
    # a return takes quarantined units first
    w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), 4, H, sender=w.acct("pharm"))
    assert w.holding(b, "pharm") == (6, 6)
    # a regulator releases part of the quarantine after inspection
    assert reverts(w.custody, "releaseQuarantine", b, w.org("pharm"), 7, H, sender=w.acct("prov")) == \
        ("CustodyLedgerNotQuarantined", (b, w.org("pharm"), 6, 7))
    assert reverts(w.custody, "releaseQuarantine", b, w.org("pharm"), 0, H, sender=w.acct("prov")) == \
        ("CustodyLedgerInvalidQuantity", (0,))
    r = w.custody.transact("releaseQuarantine", b, w.org("pharm"), 2, H, sender=w.acct("prov"))
    assert w.all_events(r) == [("QuarantineReleased", {"batchId": b, "orgId": w.org("pharm"), "quantity": 2,
                                                        "byOrgId": w.org("prov"), "evidenceHash": H})]
    assert w.holding(b, "pharm") == (6, 4)
    i = 5  # the return took the pharmacy's first four units (0..3)
    assert w.custody.transact("dispense", b, i, scene.batch.code_hash(i), scene.batch.proof(i),
                              sender=w.acct("pharm")).output is True
    assert w.holding(b, "pharm") == (5, 4)
    assert obs_id >= 1


def test_transport_excursion_quarantines_on_receipt(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "pharm", 5, receive=False)
    r = w.obs.transact("recordObservation", int(Point.TRANSPORT), b, sid, 1, 10, 400, H, sender=w.acct("log"))
    names = [e.name for e in r.events]
    assert names == ["ObservationRecorded", "TemperatureExcursion", "ShipmentExcursionFlagged"]
    assert r.one("ShipmentExcursionFlagged").args == {"shipmentId": sid, "batchId": b, "reasonId": r.output}
    assert w.custody.call("getShipment", sid)[9] is True
    r = w.custody.transact("receiveShipment", sid, 5, H, sender=w.acct("pharm"))
    assert r.one("ShipmentReceived").args["quarantined"] == 5
    assert w.holding(b, "pharm") == (15, 5)


def test_transport_excursion_after_receipt_quarantines_at_once(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = 3  # dist -> hosp, 10 units, received in the scene
    r = w.obs.transact("recordObservation", int(Point.TRANSPORT), b, sid, 1, -50, 100, H, sender=w.acct("log"))
    assert r.one("HoldingQuarantined").args == {"batchId": b, "orgId": w.org("hosp"), "quantity": 10,
                                                "reasonId": r.output}
    assert w.holding(b, "hosp") == (10, 10)


def test_transport_excursion_after_rejection_quarantines_at_the_sender(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "pharm", 5, receive=False)
    w.custody.transact("rejectShipment", sid, H, sender=w.acct("pharm"))
    w.obs.transact("recordObservation", int(Point.TRANSPORT), b, sid, 1, -50, 100, H, sender=w.acct("log"))
    assert w.holding(b, "dist") == (20, 5)


def test_a_shipment_excursion_quarantines_its_units_once(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = 3  # dist -> hosp, 10 units, received in the scene
    first = w.obs.transact("recordObservation", int(Point.TRANSPORT), b, sid, 1, -50, 100, H, sender=w.acct("log"))
    assert first.named("HoldingQuarantined")
    w.obs.transact("recordObservation", int(Point.STORAGE), b, 0, 1, 20, 30, H, sender=w.acct("hosp"))
    w.custody.transact("releaseQuarantine", b, w.org("hosp"), 4, H, sender=w.acct("nat"))
    again = w.obs.transact("recordObservation", int(Point.TRANSPORT), b, sid, 1, -60, 100, H, sender=w.acct("log"))
    assert [e.name for e in again.events] == ["ObservationRecorded", "TemperatureExcursion", "ShipmentExcursionFlagged"]
    assert w.holding(b, "hosp") == (10, 6)  # the released units stay released


def test_an_excursion_on_a_received_return_adds_no_quarantine(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), 3, H, sender=w.acct("pharm")).output
    w.custody.transact("receiveShipment", sid, 3, H, sender=w.acct("man"))
    assert w.holding(b, "man") == (27, 3)
    r = w.obs.transact("recordObservation", int(Point.TRANSPORT), b, sid, 1, -60, 100, H, sender=w.acct("log"))
    assert not r.named("HoldingQuarantined")
    assert w.holding(b, "man") == (27, 3)
