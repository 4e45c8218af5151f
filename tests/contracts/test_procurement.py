"""ProcurementLedger (issue 17 part B, seed 001): winning bids, purchase orders, deliveries as
custody shipments, invoices, payments and the settlement deadline.

The scene (conftest.py): ``dist`` holds 20 units of batch B of product P, ``hosp`` 10. The
platform ``plat`` (region A) publishes bids; ``hosp`` orders; ``dist`` delivers. Prices are in
fen, times in milliseconds; the 30-day rule is checked by moving the chain's clock.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import DAY_MS, Reverted
from model import MASK, Kind
from world import REGION_A, REGION_B, Scene, World

Z32 = bytes(32)
H1 = b"\x11" * 32
PRICE = 1250
# statuses (IProcurementLedger.sol)
BID_ACTIVE, BID_WITHDRAWN = 1, 2
PLACED, ACCEPTED, DECLINED, CANCELLED, FULFILLED, CLOSED = 1, 2, 3, 4, 5, 6
D_SHIPPED, D_ACCEPTED, D_REFUSED, D_INVOICED, D_PAID = 1, 2, 3, 4, 5
THIRTY_DAYS = 30 * DAY_MS


def reverts(fn: Any, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        fn(*args, sender=sender)
    return info.value.name, info.value.args_


def tx(w: World, fn: str, *args: Any, by: str) -> Any:
    return w.procurement.transact(fn, *args, sender=w.acct(by))


def refused(w: World, fn: str, *args: Any, by: str) -> tuple[str, tuple[Any, ...]]:
    return reverts(w.procurement.transact, fn, *args, sender=w.acct(by))


def order(w: World, oid: int) -> dict[str, Any]:
    keys = ("bidId", "hospital", "distributor", "quantity", "inFlight", "accepted", "placedAt", "status", "ref")
    return dict(zip(keys, w.procurement.call("getOrder", oid)))


def delivery(w: World, sid: int) -> dict[str, Any]:
    keys = ("orderId", "shipped", "accepted", "acceptedAt", "dueAt", "amount", "paidAt", "status", "flagged")
    return dict(zip(keys, w.procurement.call("getDelivery", sid)))


# ----------------------------------------------------------------------------- the platform kind


def test_platform_is_registered_only_by_a_regulator_within_its_remit(scene: Scene) -> None:
    w = scene.w
    org = b"\x51" * 32
    assert reverts(w.orgs.transact, "registerOrg", org, int(Kind.PLATFORM), REGION_A, 0, Z32, sender=w.acct("hosp")) \
        == ("OrgRegistryUnauthorizedKind", (w.org("hosp"), int(Kind.HOSPITAL), MASK["regulators"]))
    assert reverts(w.orgs.transact, "registerOrg", org, int(Kind.PLATFORM), REGION_A, 0, Z32,
                   sender=w.acct("prov_b")) == ("OrgRegistryOutsideRemit", (w.org("prov_b"), org))
    r = w.orgs.transact("registerOrg", org, int(Kind.PLATFORM), REGION_A, 0, Z32, sender=w.acct("prov"))
    assert r.one("OrgRegistered")["kind"] == int(Kind.PLATFORM)
    assert w.orgs.call("getOrg", org)[0] == int(Kind.PLATFORM)
    w.orgs.transact("registerOrg", b"\x52" * 32, int(Kind.PLATFORM), REGION_B, 0, Z32, sender=w.acct("prov_b"))


def test_link_procurement_once_by_national(scene: Scene) -> None:
    w = scene.w
    assert w.orgs.call("procurementLedger") == w.procurement.address
    assert reverts(w.orgs.transact, "linkProcurement", w.procurement.address, sender=w.acct("nat")) == \
        ("OrgRegistrySuiteAlreadyLinked", ())
    assert reverts(w.orgs.transact, "linkProcurement", w.procurement.address, sender=w.acct("prov")) == \
        ("OrgRegistryUnauthorizedKind", (w.org("prov"), int(Kind.PROVINCIAL), MASK["national"]))


def test_link_procurement_refuses_a_ledger_of_another_suite(artifacts: dict) -> None:
    from harness import Chain, address_of

    chain = Chain()
    nat = address_of(1)
    orgs = chain.deploy(artifacts["OrgRegistry"], b"\x61" * 32, REGION_A, Z32, sender=nat)
    drugs = chain.deploy(artifacts["DrugRegistry"], orgs.address, sender=nat)
    custody = chain.deploy(artifacts["CustodyLedger"], orgs.address, drugs.address, sender=nat)
    obs = chain.deploy(artifacts["ObservationLog"], orgs.address, drugs.address, custody.address, sender=nat)
    recalls = chain.deploy(artifacts["RecallManager"], orgs.address, drugs.address, custody.address, sender=nat)
    custody2 = chain.deploy(artifacts["CustodyLedger"], orgs.address, drugs.address, sender=nat)
    wrong = chain.deploy(artifacts["ProcurementLedger"], orgs.address, drugs.address, custody2.address, sender=nat)
    right = chain.deploy(artifacts["ProcurementLedger"], orgs.address, drugs.address, custody.address, sender=nat)
    assert reverts(orgs.transact, "linkProcurement", right.address, sender=nat) == \
        ("OrgRegistryInvalidSuite", ("0x" + "00" * 20,))
    orgs.transact("linkSuite", drugs.address, custody.address, obs.address, recalls.address, sender=nat)
    assert reverts(orgs.transact, "linkProcurement", "0x" + "00" * 20, sender=nat) == ("OrgRegistryZeroAddress", ())
    assert reverts(orgs.transact, "linkProcurement", wrong.address, sender=nat)[0] == "OrgRegistryInvalidSuite"
    r = orgs.transact("linkProcurement", right.address, sender=nat)
    assert r.one("ProcurementLinked").args == {"procurementLedger": right.address}
    assert orgs.call("isSuiteContract", right.address) is False  # reads the suite, no system power


# ----------------------------------------------------------------------------- bids


def test_publish_bid_records_the_terms_and_the_products_mah(scene: Scene) -> None:
    w = scene.w
    now = w.chain.timestamp_ms
    r = tx(w, "publishBid", H1, scene.product, PRICE, now, now + 365 * DAY_MS, [w.org("dist"), w.org("dist2")],
           by="plat")
    bid = r.output
    assert r.one("BidPublished").args == {
        "bidId": bid, "platformOrgId": w.org("plat"), "productId": scene.product, "mahOrgId": w.org("man"),
        "unitPrice": PRICE, "validFrom": now, "validUntil": now + 365 * DAY_MS, "tenderRef": H1}
    assert [e["distributorOrgId"] for e in r.named("BidDistributorAllowed")] == [w.org("dist"), w.org("dist2")]
    assert w.procurement.call("getBid", bid) == (w.org("plat"), scene.product, w.org("man"), PRICE, now,
                                                 now + 365 * DAY_MS, BID_ACTIVE, H1)
    assert w.procurement.call("isAllowedDistributor", bid, w.org("dist2")) is True
    assert w.procurement.call("isAllowedDistributor", bid, w.org("hosp")) is False
    assert w.procurement.call("bidCount") == bid


def test_publish_bid_refuses_bad_terms(scene: Scene) -> None:
    w, p = scene.w, scene.product
    now = w.chain.timestamp_ms
    d = [w.org("dist")]
    assert refused(w, "publishBid", H1, p, 0, now, now + DAY_MS, d, by="plat") == \
        ("ProcurementLedgerInvalidBid", (0, now, now + DAY_MS, 1))
    assert refused(w, "publishBid", H1, p, PRICE, now + DAY_MS, now + DAY_MS, d, by="plat")[0] == \
        "ProcurementLedgerInvalidBid"
    assert refused(w, "publishBid", H1, p, PRICE, now - 2 * DAY_MS, now - DAY_MS, d, by="plat")[0] == \
        "ProcurementLedgerInvalidBid"  # already over
    assert refused(w, "publishBid", H1, p, PRICE, now, now + DAY_MS, [], by="plat")[0] == "ProcurementLedgerInvalidBid"
    assert refused(w, "publishBid", H1, p, PRICE, now, now + DAY_MS, d * 9, by="plat") == \
        ("ProcurementLedgerInvalidBid", (PRICE, now, now + DAY_MS, 9))
    assert refused(w, "publishBid", H1, p, PRICE, now, now + DAY_MS, [w.org("pharm")], by="plat") == \
        ("OrgRegistryUnauthorizedKind", (w.org("pharm"), int(Kind.PHARMACY), MASK["distributor"]))
    assert refused(w, "publishBid", H1, b"\x99" * 32, PRICE, now, now + DAY_MS, d, by="plat") == \
        ("ProcurementLedgerProductNotListed", (b"\x99" * 32, 0))
    w.drugs.transact("transitionProduct", p, 2, 0, Z32, sender=w.acct("nat"))
    assert refused(w, "publishBid", H1, p, PRICE, now, now + DAY_MS, d, by="plat") == \
        ("ProcurementLedgerProductNotListed", (p, 2))


def test_agreed_volumes_belong_to_the_bids_platform_and_never_drop_below_ordered(scene: Scene) -> None:
    w = scene.w
    w.onboard("plat2", Kind.PLATFORM, REGION_A, account="0x" + "ab" * 20)
    bid = w.publish_bid(scene.product, volumes={"hosp": 40})
    assert w.procurement.call("volumeOf", bid, w.org("hosp")) == (40, 0)
    assert refused(w, "setAgreedVolumes", bid, [w.org("hosp")], [50], by="plat2") == \
        ("ProcurementLedgerNotParty", (w.org("plat2"), w.org("plat")))
    assert refused(w, "setAgreedVolumes", bid, [w.org("hosp")], [1, 2], by="plat") == \
        ("ProcurementLedgerInvalidVolumes", (1, 2))
    assert refused(w, "setAgreedVolumes", bid, [], [], by="plat") == ("ProcurementLedgerInvalidVolumes", (0, 0))
    assert refused(w, "setAgreedVolumes", bid, [w.org("pharm")], [5], by="plat") == \
        ("OrgRegistryUnauthorizedKind", (w.org("pharm"), int(Kind.PHARMACY), MASK["hospital"]))
    w.place_order(bid, 30)
    assert refused(w, "setAgreedVolumes", bid, [w.org("hosp")], [29], by="plat") == \
        ("ProcurementLedgerVolumeBelowOrdered", (bid, w.org("hosp"), 29, 30))
    r = tx(w, "setAgreedVolumes", bid, [w.org("hosp")], [30], by="plat")
    assert r.one("AgreedVolumeSet").args == {"bidId": bid, "hospitalOrgId": w.org("hosp"), "volume": 30}
    assert refused(w, "setAgreedVolumes", 77, [w.org("hosp")], [1], by="plat") == ("ProcurementLedgerUnknownBid", (77,))


def test_withdrawn_bid_takes_no_order_and_no_acceptance(scene: Scene) -> None:
    w = scene.w
    bid = w.publish_bid(scene.product)
    oid = w.place_order(bid, 5, accept=False)
    r = tx(w, "withdrawBid", bid, H1, by="plat")
    assert r.one("BidWithdrawn").args == {"bidId": bid, "platformOrgId": w.org("plat"), "reasonHash": H1}
    assert w.procurement.call("getBid", bid)[6] == BID_WITHDRAWN
    name, args = refused(w, "placeOrder", bid, w.org("dist"), 1, H1, by="hosp")
    assert (name, args[:2]) == ("ProcurementLedgerBidNotLive", (bid, BID_WITHDRAWN))
    assert refused(w, "acceptOrder", oid, by="dist")[0] == "ProcurementLedgerBidNotLive"
    assert refused(w, "withdrawBid", bid, H1, by="plat") == ("ProcurementLedgerBidNotActive", (bid, BID_WITHDRAWN))


# ----------------------------------------------------------------------------- orders: no false orders


def test_order_only_against_a_live_bid_within_its_validity(scene: Scene) -> None:
    w = scene.w
    now = w.chain.timestamp_ms
    bid = tx(w, "publishBid", H1, scene.product, PRICE, now + DAY_MS, now + 10 * DAY_MS, [w.org("dist")],
             by="plat").output
    tx(w, "setAgreedVolumes", bid, [w.org("hosp")], [10], by="plat")
    assert refused(w, "placeOrder", bid, w.org("dist"), 1, H1, by="hosp") == \
        ("ProcurementLedgerBidNotLive", (bid, BID_ACTIVE, now + DAY_MS, now + 10 * DAY_MS, now))
    w.chain.advance(DAY_MS)
    oid = w.place_order(bid, 1)
    assert order(w, oid)["status"] == ACCEPTED
    w.chain.advance(9 * DAY_MS + 1)
    assert refused(w, "placeOrder", bid, w.org("dist"), 1, H1, by="hosp")[0] == "ProcurementLedgerBidNotLive"
    assert refused(w, "placeOrder", 99, w.org("dist"), 1, H1, by="hosp") == ("ProcurementLedgerUnknownBid", (99,))


def test_order_at_the_bids_price_within_the_agreed_volume_to_an_allowed_distributor(scene: Scene) -> None:
    w = scene.w
    bid = w.publish_bid(scene.product, volumes={"hosp": 25})
    assert refused(w, "placeOrder", bid, w.org("dist2"), 1, H1, by="hosp") == \
        ("ProcurementLedgerDistributorNotAllowed", (bid, w.org("dist2")))
    assert refused(w, "placeOrder", bid, w.org("dist"), 0, H1, by="hosp") == \
        ("ProcurementLedgerVolumeExceeded", (bid, w.org("hosp"), 25, 0, 0))
    r = tx(w, "placeOrder", bid, w.org("dist"), 20, H1, by="hosp")
    assert r.one("OrderPlaced").args == {"orderId": r.output, "bidId": bid, "hospitalOrgId": w.org("hosp"),
                                         "distributorOrgId": w.org("dist"), "quantity": 20, "unitPrice": PRICE,
                                         "orderRef": H1}
    assert refused(w, "placeOrder", bid, w.org("dist"), 6, H1, by="hosp") == \
        ("ProcurementLedgerVolumeExceeded", (bid, w.org("hosp"), 25, 20, 6))
    tx(w, "placeOrder", bid, w.org("dist"), 5, H1, by="hosp")
    assert w.procurement.call("volumeOf", bid, w.org("hosp")) == (25, 25)
    # a hospital with no agreed volume under the bid orders nothing
    w.onboard("hosp2", Kind.HOSPITAL, REGION_A, account="0x" + "cd" * 20)
    assert refused(w, "placeOrder", bid, w.org("dist"), 1, H1, by="hosp2") == \
        ("ProcurementLedgerVolumeExceeded", (bid, w.org("hosp2"), 0, 0, 1))


def test_order_transitions_and_parties(scene: Scene) -> None:
    w = scene.w
    bid = w.publish_bid(scene.product, distributors=("dist", "dist2"), volumes={"hosp": 30})
    a = w.place_order(bid, 10, accept=False)
    b = w.place_order(bid, 10, accept=False)
    c = w.place_order(bid, 10, accept=False)
    assert refused(w, "acceptOrder", a, by="dist2") == ("ProcurementLedgerNotParty", (w.org("dist2"), w.org("dist")))
    assert refused(w, "cancelOrder", a, H1, by="dist")[0] == "OrgRegistryUnauthorizedKind"
    r = tx(w, "acceptOrder", a, by="dist")
    assert r.one("OrderStatusChanged").args == {"orderId": a, "from": PLACED, "to": ACCEPTED,
                                                "byOrgId": w.org("dist"), "reasonHash": Z32}
    assert refused(w, "acceptOrder", a, by="dist") == ("ProcurementLedgerInvalidOrderStatus", (a, ACCEPTED))
    assert refused(w, "declineOrder", a, H1, by="dist") == ("ProcurementLedgerInvalidOrderStatus", (a, ACCEPTED))
    assert refused(w, "cancelOrder", a, H1, by="hosp") == ("ProcurementLedgerInvalidOrderStatus", (a, ACCEPTED))
    tx(w, "declineOrder", b, H1, by="dist")
    tx(w, "cancelOrder", c, H1, by="hosp")
    assert [order(w, o)["status"] for o in (a, b, c)] == [ACCEPTED, DECLINED, CANCELLED]
    assert w.procurement.call("volumeOf", bid, w.org("hosp")) == (30, 10)  # declined + cancelled released
    assert refused(w, "acceptOrder", b, by="dist") == ("ProcurementLedgerInvalidOrderStatus", (b, DECLINED))
    assert refused(w, "acceptOrder", 99, by="dist") == ("ProcurementLedgerUnknownOrder", (99,))


# ----------------------------------------------------------------------------- deliveries


def test_partial_deliveries_accumulate_to_fulfilment(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    oid = w.place_order(w.publish_bid(scene.product), 10)
    s1 = w.deliver(oid, b, 4, confirm=False)
    assert order(w, oid)["inFlight"] == 4
    assert delivery(w, s1)["status"] == D_SHIPPED
    assert refused(w, "confirmReceipt", s1, by="hosp") == ("ProcurementLedgerShipmentNotReceived", (s1,))
    w.custody.transact("receiveShipment", s1, 3, Z32, sender=w.acct("hosp"))  # one box short: PARTIAL
    assert refused(w, "confirmReceipt", s1, by="dist") == \
        ("OrgRegistryUnauthorizedKind", (w.org("dist"), int(Kind.DISTRIBUTOR), MASK["hospital"]))
    r = tx(w, "confirmReceipt", s1, by="hosp")  # only the ordering hospital accepts
    now = w.chain.timestamp_ms
    assert r.one("DeliveryAccepted").args == {"shipmentId": s1, "orderId": oid, "accepted": 3, "acceptedAt": now,
                                              "dueAt": now + THIRTY_DAYS}
    assert (order(w, oid)["accepted"], order(w, oid)["inFlight"], order(w, oid)["status"]) == (3, 0, ACCEPTED)
    s2 = w.deliver(oid, b, 7)
    assert delivery(w, s2)["accepted"] == 7
    assert (order(w, oid)["accepted"], order(w, oid)["status"]) == (10, FULFILLED)
    assert refused(w, "confirmReceipt", s2, by="hosp") == ("ProcurementLedgerInvalidDeliveryStatus", (s2, D_ACCEPTED))


def test_acceptance_is_the_hospitals_custody_receipt_at_its_time(scene: Scene) -> None:
    """The settlement clock starts at the hospital's custody receipt, not at whichever later
    transaction records it on the procurement ledger; a hospital that never records its receipt
    does not stop the clock (the distributor's invoice takes the receipt as the acceptance)."""
    w, b = scene.w, scene.batch.batch_id
    oid = w.place_order(w.publish_bid(scene.product), 10)
    s1 = w.deliver(oid, b, 4, confirm=False)
    assert w.custody.call("receivedAt", s1) == 0  # in transit: no receipt yet
    w.chain.advance(DAY_MS)
    w.custody.transact("receiveShipment", s1, 4, Z32, sender=w.acct("hosp"))
    received_at = w.chain.timestamp_ms
    assert w.custody.call("receivedAt", s1) == received_at
    w.chain.advance(10 * DAY_MS)  # the hospital records its receipt ten days later
    r = tx(w, "confirmReceipt", s1, by="hosp")
    assert r.one("DeliveryAccepted").args == {"shipmentId": s1, "orderId": oid, "accepted": 4,
                                              "acceptedAt": received_at, "dueAt": received_at + THIRTY_DAYS}
    assert (delivery(w, s1)["acceptedAt"], delivery(w, s1)["dueAt"]) == (received_at, received_at + THIRTY_DAYS)
    tx(w, "invoice", s1, 4 * PRICE, H1, by="dist")
    w.chain.advance(THIRTY_DAYS - 10 * DAY_MS + 1)  # 30 days + 1 ms after the receipt, 20 after the record
    r = tx(w, "recordPayment", s1, 4 * PRICE, H1, by="hosp")
    assert r.one("PaymentRecorded")["late"] is True
    assert r.one("SettlementOverdue")["dueAt"] == received_at + THIRTY_DAYS
    # the hospital receives but never records: the distributor invoices, which accepts first
    s2 = w.deliver(oid, b, 6, confirm=False)
    w.custody.transact("receiveShipment", s2, 5, Z32, sender=w.acct("hosp"))
    received_at = w.chain.timestamp_ms
    w.chain.advance(3 * DAY_MS)
    assert refused(w, "invoice", s2, 6 * PRICE, H1, by="dist") == \
        ("ProcurementLedgerInvoiceMismatch", (s2, 5 * PRICE, 6 * PRICE))
    assert delivery(w, s2)["status"] == D_SHIPPED  # the refused invoice accepted nothing
    r = tx(w, "invoice", s2, 5 * PRICE, H1, by="dist")
    assert r.one("DeliveryAccepted").args == {"shipmentId": s2, "orderId": oid, "accepted": 5,
                                              "acceptedAt": received_at, "dueAt": received_at + THIRTY_DAYS}
    assert r.one("Invoiced")["amount"] == 5 * PRICE
    assert (order(w, oid)["accepted"], order(w, oid)["inFlight"]) == (9, 0)
    assert refused(w, "confirmReceipt", s2, by="hosp") == ("ProcurementLedgerInvalidDeliveryStatus", (s2, D_INVOICED))
    # an invoice on a shipment still in transit, or rejected, accepts nothing
    s3 = w.deliver(oid, b, 1, confirm=False)
    assert refused(w, "invoice", s3, PRICE, H1, by="dist") == ("ProcurementLedgerShipmentNotReceived", (s3,))
    w.custody.transact("rejectShipment", s3, H1, sender=w.acct("hosp"))
    assert w.custody.call("receivedAt", s3) == 0
    assert refused(w, "invoice", s3, 0, H1, by="dist") == ("ProcurementLedgerInvalidDeliveryStatus", (s3, D_REFUSED))
    assert delivery(w, s3)["status"] == D_SHIPPED


def test_over_delivery_reverts(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    oid = w.place_order(w.publish_bid(scene.product), 5)
    w.deliver(oid, b, 3, confirm=False)  # in flight counts
    sid = w.custody.transact("dispatch", b, w.org("hosp"), w.org("log"), 3, Z32, sender=w.acct("dist")).output
    assert refused(w, "recordDelivery", oid, sid, by="dist") == ("ProcurementLedgerOverDelivery", (oid, 5, 3, 3))


def test_a_shipment_is_counted_once(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    bid = w.publish_bid(scene.product)
    o1, o2 = w.place_order(bid, 5), w.place_order(bid, 5)
    sid = w.deliver(o1, b, 2, confirm=False)
    assert refused(w, "recordDelivery", o1, sid, by="dist") == ("ProcurementLedgerShipmentAlreadyCounted", (sid, o1))
    assert refused(w, "recordDelivery", o2, sid, by="dist") == ("ProcurementLedgerShipmentAlreadyCounted", (sid, o1))


def test_delivery_must_be_the_orders_shipment(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    bid = w.publish_bid(scene.product, distributors=("dist", "dist2"))
    oid = w.place_order(bid, 10)
    mismatch = ("ProcurementLedgerShipmentMismatch",)
    to_pharm = w.custody.transact("dispatch", b, w.org("pharm"), w.org("log"), 1, Z32, sender=w.acct("dist")).output
    assert refused(w, "recordDelivery", oid, to_pharm, by="dist") == mismatch + ((to_pharm, oid),)
    w.ship(b, "man", "dist2", 2)
    from_other = w.custody.transact("dispatch", b, w.org("hosp"), w.org("log"), 1, Z32, sender=w.acct("dist2")).output
    assert refused(w, "recordDelivery", oid, from_other, by="dist") == mismatch + ((from_other, oid),)
    ret = w.custody.transact("dispatchReturn", b, w.org("dist"), w.org("log"), 1, Z32, sender=w.acct("hosp")).output
    assert refused(w, "recordDelivery", oid, ret, by="dist") == mismatch + ((ret, oid),)
    assert refused(w, "recordDelivery", oid, 999, by="dist") == mismatch + ((999, oid),)
    # another product's batch, from the right distributor to the right hospital
    p2 = w.register_product("国药准字H20269999", "20片/盒")
    other = w.commit_batch(p2, "OTHER", 8)
    w.ship(other.batch_id, "man", "dist", 4)
    wrong = w.custody.transact("dispatch", other.batch_id, w.org("hosp"), w.org("log"), 2, Z32,
                               sender=w.acct("dist")).output
    assert refused(w, "recordDelivery", oid, wrong, by="dist") == mismatch + ((wrong, oid),)
    # a rejected shipment delivers nothing
    rej = w.custody.transact("dispatch", b, w.org("hosp"), w.org("log"), 1, Z32, sender=w.acct("dist")).output
    w.custody.transact("rejectShipment", rej, H1, sender=w.acct("hosp"))
    assert refused(w, "recordDelivery", oid, rej, by="dist") == ("ProcurementLedgerShipmentNotDeliverable", (rej, 4))
    # only an accepted order takes deliveries
    placed = w.place_order(bid, 1, accept=False)
    ok = w.custody.transact("dispatch", b, w.org("hosp"), w.org("log"), 1, Z32, sender=w.acct("dist")).output
    assert refused(w, "recordDelivery", placed, ok, by="dist") == ("ProcurementLedgerInvalidOrderStatus", (placed, PLACED))


def test_rejected_after_linking_is_refused_and_frees_the_quantity(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    oid = w.place_order(w.publish_bid(scene.product), 5)
    sid = w.deliver(oid, b, 5, confirm=False)
    w.custody.transact("rejectShipment", sid, H1, sender=w.acct("hosp"))
    w.onboard("hosp2", Kind.HOSPITAL, REGION_A, account="0x" + "cd" * 20)
    assert refused(w, "confirmReceipt", sid, by="hosp2") == ("ProcurementLedgerNotParty", (w.org("hosp2"), w.org("hosp")))
    r = tx(w, "confirmReceipt", sid, by="hosp")
    assert r.one("DeliveryRefused").args == {"shipmentId": sid, "orderId": oid, "status": 4}
    assert delivery(w, sid)["status"] == D_REFUSED
    assert (order(w, oid)["inFlight"], order(w, oid)["accepted"]) == (0, 0)
    w.deliver(oid, b, 5)  # the whole quantity can be delivered again
    assert order(w, oid)["status"] == FULFILLED


def test_close_order_short_releases_the_rest_of_the_volume(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    bid = w.publish_bid(scene.product, volumes={"hosp": 10})
    oid = w.place_order(bid, 10)
    w.deliver(oid, b, 4)
    last = w.deliver(oid, b, 2, confirm=False)
    assert refused(w, "closeOrder", oid, H1, by="hosp") == ("ProcurementLedgerDeliveriesInFlight", (oid, 2))
    w.custody.transact("receiveShipment", last, 2, Z32, sender=w.acct("hosp"))  # received: nothing in flight
    tx(w, "confirmReceipt", last, by="hosp")
    r = tx(w, "closeOrder", oid, H1, by="hosp")
    assert r.one("OrderStatusChanged")["to"] == CLOSED
    assert w.procurement.call("volumeOf", bid, w.org("hosp")) == (10, 6)


# ----------------------------------------------------------------------------- invoice and settlement


def test_invoice_is_accepted_quantity_times_bid_price_and_payment_the_invoice(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    oid = w.place_order(w.publish_bid(scene.product), 10)
    sid = w.deliver(oid, b, 6, received=5)
    assert refused(w, "invoice", sid, 6 * PRICE, H1, by="dist") == \
        ("ProcurementLedgerInvoiceMismatch", (sid, 5 * PRICE, 6 * PRICE))
    assert refused(w, "invoice", sid, 5 * PRICE, H1, by="dist2") == \
        ("ProcurementLedgerNotParty", (w.org("dist2"), w.org("dist")))
    assert refused(w, "recordPayment", sid, 5 * PRICE, H1, by="hosp") == \
        ("ProcurementLedgerInvalidDeliveryStatus", (sid, D_ACCEPTED))
    r = tx(w, "invoice", sid, 5 * PRICE, H1, by="dist")
    assert r.one("Invoiced").args == {"shipmentId": sid, "orderId": oid, "amount": 5 * PRICE, "invoiceRef": H1}
    assert refused(w, "invoice", sid, 5 * PRICE, H1, by="dist") == \
        ("ProcurementLedgerInvalidDeliveryStatus", (sid, D_INVOICED))
    assert refused(w, "recordPayment", sid, 5 * PRICE - 1, H1, by="hosp") == \
        ("ProcurementLedgerPaymentMismatch", (sid, 5 * PRICE, 5 * PRICE - 1))
    w.chain.advance(THIRTY_DAYS)  # exactly on the deadline: on time
    r = tx(w, "recordPayment", sid, 5 * PRICE, b"\x22" * 32, by="hosp")
    d = delivery(w, sid)
    assert r.one("PaymentRecorded").args == {"shipmentId": sid, "orderId": oid, "amount": 5 * PRICE,
                                             "paidAt": w.chain.timestamp_ms, "dueAt": d["dueAt"],
                                             "paymentRef": b"\x22" * 32, "late": False}
    assert not r.named("SettlementOverdue")
    assert (d["status"], d["amount"], d["paidAt"]) == (D_PAID, 5 * PRICE, w.chain.timestamp_ms)
    assert refused(w, "flagOverdue", sid, by="hosp")[0] == "ProcurementLedgerNotOverdue"


def test_late_payment_raises_the_overdue_alert(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    oid = w.place_order(w.publish_bid(scene.product), 4)
    sid = w.deliver(oid, b, 4)
    due = delivery(w, sid)["dueAt"]
    tx(w, "invoice", sid, 4 * PRICE, H1, by="dist")
    w.chain.advance(THIRTY_DAYS + 1)
    r = tx(w, "recordPayment", sid, 4 * PRICE, H1, by="hosp")
    assert r.one("PaymentRecorded")["late"] is True
    assert r.one("SettlementOverdue").args == {"shipmentId": sid, "orderId": oid, "hospitalOrgId": w.org("hosp"),
                                               "distributorOrgId": w.org("dist"), "dueAt": due,
                                               "at": w.chain.timestamp_ms, "paid": True}


def test_anyone_flags_an_unpaid_delivery_once_after_the_deadline(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    oid = w.place_order(w.publish_bid(scene.product), 4)
    sid = w.deliver(oid, b, 4)
    due = delivery(w, sid)["dueAt"]
    w.chain.advance(THIRTY_DAYS)
    assert reverts(w.procurement.transact, "flagOverdue", sid, sender=w.stranger) == \
        ("ProcurementLedgerNotOverdue", (sid, due, w.chain.timestamp_ms))
    w.chain.advance(1)
    w.orgs.transact("pause", sender=w.acct("nat"))
    assert reverts(w.procurement.transact, "flagOverdue", sid, sender=w.stranger) == ("OrgRegistryEnforcedPause", ())
    w.orgs.transact("unpause", sender=w.acct("nat"))
    r = w.procurement.transact("flagOverdue", sid, sender=w.stranger)  # an unregistered account may raise it
    assert r.one("SettlementOverdue").args == {"shipmentId": sid, "orderId": oid, "hospitalOrgId": w.org("hosp"),
                                               "distributorOrgId": w.org("dist"), "dueAt": due,
                                               "at": w.chain.timestamp_ms, "paid": False}
    assert delivery(w, sid)["flagged"] is True
    assert reverts(w.procurement.transact, "flagOverdue", sid, sender=w.stranger)[0] == "ProcurementLedgerNotOverdue"
    assert reverts(w.procurement.transact, "flagOverdue", 4242, sender=w.stranger) == \
        ("ProcurementLedgerUnknownDelivery", (4242,))
    # flagged, then invoiced and paid late: the payment raises its own alert too
    tx(w, "invoice", sid, 4 * PRICE, H1, by="dist")
    assert tx(w, "recordPayment", sid, 4 * PRICE, H1, by="hosp").one("SettlementOverdue")["paid"] is True


def test_settlement_period_is_a_platform_parameter(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    assert w.procurement.call("settlementPeriodOf", w.org("plat")) == THIRTY_DAYS
    assert w.procurement.call("DEFAULT_SETTLEMENT_PERIOD_MS") == THIRTY_DAYS
    assert refused(w, "setSettlementPeriod", DAY_MS - 1, by="plat") == ("ProcurementLedgerInvalidPeriod", (DAY_MS - 1,))
    assert refused(w, "setSettlementPeriod", 366 * DAY_MS, by="plat")[0] == "ProcurementLedgerInvalidPeriod"
    oid = w.place_order(w.publish_bid(scene.product), 6)
    before = w.deliver(oid, b, 3)
    r = tx(w, "setSettlementPeriod", 15 * DAY_MS, by="plat")
    assert r.one("SettlementPeriodSet").args == {"platformOrgId": w.org("plat"), "periodMs": 15 * DAY_MS}
    after = w.deliver(oid, b, 3)
    d1, d2 = delivery(w, before), delivery(w, after)
    assert d1["dueAt"] - d1["acceptedAt"] == THIRTY_DAYS  # a deadline, once set, does not move
    assert d2["dueAt"] - d2["acceptedAt"] == 15 * DAY_MS


# ----------------------------------------------------------------------------- acceptance of a packed delivery


def test_a_packed_delivery_is_accepted_at_its_packed_receipt(scene: Scene) -> None:
    """A delivery shipped by case (issue 17A) and received through the PackingLedger: the custody
    receipt time is kept on that path too, and the acceptance takes it."""
    from world import case_key, pallet_key

    w = scene.w
    packed = w.commit_packed_batch(scene.product, "PK-PROC", 40, per_case=10, per_pallet=4)
    b = packed.batch_id
    to_dist = w.packing.transact("dispatchPacked", b, w.org("dist"), w.org("log"), [pallet_key(0)], False, H1,
                                 sender=w.acct("man")).output
    w.packing.transact("receivePacked", to_dist, [pallet_key(0)], [], [], Z32, sender=w.acct("dist"))
    w.packing.transact("unpack", b, pallet_key(0), sender=w.acct("dist"))  # 拆零: the cases travel on their own
    oid = w.place_order(w.publish_bid(scene.product), 20)
    sid = w.packing.transact("dispatchPacked", b, w.org("hosp"), w.org("log"), [case_key(0), case_key(1)], False,
                             H1, sender=w.acct("dist")).output
    tx(w, "recordDelivery", oid, sid, by="dist")
    w.chain.advance(DAY_MS)
    w.packing.transact("receivePacked", sid, [case_key(0), case_key(1)], [case_key(1)], [], Z32,
                       sender=w.acct("hosp"))  # one case missing on arrival
    received_at = w.chain.timestamp_ms
    assert w.custody.call("receivedAt", sid) == received_at
    w.chain.advance(5 * DAY_MS)
    r = tx(w, "confirmReceipt", sid, by="hosp")
    assert r.one("DeliveryAccepted").args == {"shipmentId": sid, "orderId": oid, "accepted": 10,
                                              "acceptedAt": received_at, "dueAt": received_at + THIRTY_DAYS}
    assert (order(w, oid)["accepted"], order(w, oid)["status"]) == (10, ACCEPTED)  # the missing case stays open
