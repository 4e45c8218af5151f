"""TraceService procurement (issue 17 B) on a dev chain of this module's own (so moving its clock
touches no other module's chain): a platform publishes a bid, the hospital orders, the distributor
delivers through custody, invoices, the hospital pays; the 30-day settlement rule by MOVING THE
CLOCK (the dev chain's test controls, ``DevControls``), each test reverted to the scene after it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.client.devtools import DevControls
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace import AddressBook, OrgKind, TraceService
from fisco_drugtrace.drugtrace.procurement import BidStatus, DeliveryStatus, OrderStatus
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes
from fisco_drugtrace.errors import AmountError, ContractRevert, NotFound

DAY = 86_400_000
PROCESS = b"\x8f" * 32
PLATFORM = "12110000PROCURE01X"
_lots = itertools.count(1)


@dataclass
class Scene:
    svc: dict[str, TraceService]
    orgs: dict[str, bytes]
    product: bytes
    batch: bytes
    controls: Any


@pytest.fixture(scope="module")
def _scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    home = tmp_path_factory.mktemp("procure-home")
    chain = DevChain(DevChainConfig())
    dev_client = connect(Settings(), handler=chain.handle_raw)
    dev_controls = DevControls(dev_client)
    dev_signers = [LocalSigner(k) for k in dev_keypairs(len(ACTORS) + 1)]
    regulator = TraceService(dev_client, dev_signers[0], AddressBook.in_home(home), home=home, clock=dev_controls.time)
    root = ACTORS[0]
    regulator.deploy(root.credit_code, region=root.region, name=root.name)
    svc = {"regulator": regulator}
    for actor, signer in zip(ACTORS[1:], dev_signers[1:]):
        regulator.register_org(actor.credit_code, actor.kind, actor.region, name=actor.name)
        regulator.bind_account(signer.address, actor.credit_code)
        svc[actor.role] = regulator.with_signer(signer)
    platform_signer = dev_signers[len(ACTORS)]
    regulator.register_org(PLATFORM, OrgKind.PROCUREMENT_PLATFORM, 110000, name="Provincial procurement platform")
    regulator.bind_account(platform_signer.address, PLATFORM)
    svc["platform"] = regulator.with_signer(platform_signer)
    orgs = {a.role: a.org_id for a in ACTORS}
    product = regulator.register_product("国药准字H20267777", "10 tablets", orgs["manufacturer"], min_temp=20,
                                         max_temp=80)
    man = svc["manufacturer"]
    man.define_process(product.product_id, 1, PROCESS)
    regulator.approve_process(product.product_id, PROCESS)
    now = man.now_ms()
    batch = man.register_batch(product.product_id, "PR-1", story_codes(200, "8160352"), production_date=now,
                               expiry_date=now + 700 * DAY).batch
    man.pass_release_gate(batch.batch_id)
    man.release_batch(batch.batch_id)
    ship = man.dispatch(batch.batch_id, orgs["distributor"], orgs["logistics"], 150)
    svc["distributor"].receive(ship.shipment_id)
    yield Scene(svc, orgs, product.product_id, batch.batch_id, dev_controls)
    for one in svc.values():
        one.close()
    dev_client.close()  # type: ignore[attr-defined]
    chain.close()


@pytest.fixture
def scene(_scene: Scene) -> Iterator[Scene]:
    """The module's scene; whatever a test does (clock moves included) is reverted after it."""
    snap = _scene.controls.snapshot()
    try:
        yield _scene
    finally:
        assert _scene.controls.revert(snap)


def _bid(scene: Scene, volume: int = 100) -> int:
    plat = scene.svc["platform"]
    now = plat.now_ms()
    bid = plat.publish_bid(scene.product, 1250, now, now + 365 * DAY, [scene.orgs["distributor"]],
                           volumes={scene.orgs["hospital"]: volume})
    return bid.bid_id


def test_order_to_payment_on_time(scene: Scene) -> None:
    hosp, dist = scene.svc["hospital"], scene.svc["distributor"]
    bid = scene.svc["platform"].get_bid(_bid(scene))
    assert (bid.status, bid.unit_price, bid.mah_org_id) == (BidStatus.ACTIVE, 1250, scene.orgs["manufacturer"])
    order = hosp.place_order(bid.bid_id, scene.orgs["distributor"], 30)
    assert order.status is OrderStatus.PLACED
    assert hosp.agreed_volume(bid.bid_id, scene.orgs["hospital"]).remaining == 70
    assert dist.accept_order(order.order_id).status is OrderStatus.ACCEPTED
    ship = dist.dispatch(scene.batch, scene.orgs["hospital"], scene.orgs["logistics"], 30)
    assert dist.record_delivery(order.order_id, ship.shipment_id).status is DeliveryStatus.SHIPPED
    hosp.receive(ship.shipment_id, 28)  # two boxes short
    d = hosp.confirm_receipt(ship.shipment_id)
    assert (d.status, d.accepted, d.due_at - d.accepted_at) == (DeliveryStatus.ACCEPTED, 28, 30 * DAY)
    assert hosp.get_order(order.order_id).open_quantity == 2
    with pytest.raises(ContractRevert) as info:
        dist.invoice(ship.shipment_id, 30 * 1250)
    assert info.value.error_name == "ProcurementLedgerInvoiceMismatch"
    with pytest.raises(AmountError):
        dist.invoice(ship.shipment_id, -1)
    assert dist.invoice(ship.shipment_id).amount == 28 * 1250  # computed: accepted x bid price
    paid = hosp.record_payment(ship.shipment_id)
    assert (paid.status, paid.paid_late) == (DeliveryStatus.PAID, False)


def test_late_payment_and_overdue_flag_by_moving_the_clock(scene: Scene) -> None:
    hosp, dist = scene.svc["hospital"], scene.svc["distributor"]
    order = hosp.place_order(_bid(scene), scene.orgs["distributor"], 10)
    dist.accept_order(order.order_id)
    ship = dist.dispatch(scene.batch, scene.orgs["hospital"], scene.orgs["logistics"], 10)
    dist.record_delivery(order.order_id, ship.shipment_id)
    received_at = hosp.now_ms() + 3_600_000
    scene.controls.set_next_block_timestamp(received_at)
    hosp.receive(ship.shipment_id)
    with pytest.raises(ContractRevert) as info:
        dist.confirm_receipt(ship.shipment_id)  # only the ordering hospital accepts
    assert info.value.error_name == "OrgRegistryUnauthorizedKind"
    d = dist.invoice(ship.shipment_id)  # the hospital never recorded its receipt: the invoice accepts first
    assert (d.status, d.accepted, d.amount) == (DeliveryStatus.INVOICED, 10, 10 * 1250)
    assert (d.accepted_at, d.due_at) == (received_at, received_at + 30 * DAY)  # from the receipt, not the invoice
    assert hosp.get_order(order.order_id).status is OrderStatus.FULFILLED
    with pytest.raises(ContractRevert) as info:
        scene.svc["regulator"].flag_overdue(ship.shipment_id)
    assert info.value.error_name == "ProcurementLedgerNotOverdue"
    scene.controls.set_next_block_timestamp(d.due_at + 1)
    flagged = scene.svc["regulator"].flag_overdue(ship.shipment_id)
    assert flagged.overdue_flagged and flagged.overdue_at(d.due_at + 1)
    late = hosp.record_payment(ship.shipment_id)
    assert late.paid_late


def test_unknown_ids_are_not_found(scene: Scene) -> None:
    hosp = scene.svc["hospital"]
    with pytest.raises(NotFound):
        hosp.get_bid(999)
    with pytest.raises(NotFound):
        hosp.get_order(999)
    with pytest.raises(NotFound):
        hosp.get_delivery(999)


def test_the_audit_report_reconciles_orders_to_payments(scene: Scene) -> None:
    """The report's procurement section, replayed from the index, after an on-time and a late
    settlement and an unpaid overdue one; `audit verify` recomputes it from a fresh index."""
    from fisco_drugtrace.drugtrace.audit.report import report_to_markdown

    hosp, dist, reg = scene.svc["hospital"], scene.svc["distributor"], scene.svc["regulator"]
    bid = _bid(scene, volume=50)
    order = hosp.place_order(bid, scene.orgs["distributor"], 30)
    dist.accept_order(order.order_id)
    sids = []
    for qty in (10, 10, 10):
        ship = dist.dispatch(scene.batch, scene.orgs["hospital"], scene.orgs["logistics"], qty)
        dist.record_delivery(order.order_id, ship.shipment_id)
        hosp.receive(ship.shipment_id)
        hosp.confirm_receipt(ship.shipment_id)
        dist.invoice(ship.shipment_id)
        sids.append(ship.shipment_id)
    hosp.record_payment(sids[0])                            # on time
    due = hosp.get_delivery(sids[2]).due_at  # the latest of the three deadlines
    scene.controls.set_next_block_timestamp(due + 1)
    hosp.record_payment(sids[1])                            # late: SettlementOverdue
    reg.flag_overdue(sids[2])                               # unpaid, flagged
    report = reg.audit_report(now_ms=max(due + 2, reg.now_ms()) + 1000)
    proc = report.procurement
    line = next(o for o in proc.orders if o.order_id == order.order_id)
    assert (line.ordered, line.accepted, line.invoiced, line.paid, line.status) == \
        (30, 30, 30 * 1250, 20 * 1250, "FULFILLED")
    hospital = "0x" + scene.orgs["hospital"].hex()
    totals = next(t for t in proc.by_hospital if t.org == hospital)
    assert totals.outstanding >= 10 * 1250 and totals.overdue >= 1
    assert [s.shipment_id for s in proc.overdue if s.order_id == order.order_id] == [sids[2]]
    assert [s.shipment_id for s in proc.late_payments if s.order_id == order.order_id] == [sids[1]]
    use = next(v for v in proc.volumes if v.bid_id == bid and v.hospital == hospital)
    assert (use.agreed, use.ordered, use.accepted) == (50, 30, 30)
    assert "SettlementOverdue" in {a.kind for a in report.alerts}
    # the alerts feed (what `audit alerts` and the board's alerts page list): both on-chain alerts
    feed = [(a.shipment_id, a.args["paid"]) for a in reg.audit_alerts() if a.kind == "SettlementOverdue"]
    assert (sids[1], True) in feed and (sids[2], False) in feed and (sids[0], True) not in feed
    assert "## Procurement and settlement" in report_to_markdown(report)
    from fisco_drugtrace.drugtrace.audit.report import report_to_json

    checked = reg.audit_verify_report(report_to_json(report))
    assert not getattr(checked, "differences", ()), checked
    import json as _json

    from fisco_drugtrace.errors import VerificationError

    forged = _json.loads(report_to_json(report))
    forged["procurement"]["by_hospital"][0]["paid"] += 1250  # a payment that never happened
    with pytest.raises(VerificationError) as info:
        reg.audit_verify_report(_json.dumps(forged))
    assert "procurement.by_hospital[0].paid" in str(info.value)
