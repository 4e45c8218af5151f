"""TraceService against the in-process dev chain: each operation and its error mapping."""

from __future__ import annotations

import itertools

import pytest

from fisco_drugtrace.drugtrace import (
    LifecycleState,
    ObservationPoint,
    ObservationResult,
    OrgKind,
    OrgStatus,
    RecallLevel,
    RecallStatus,
    ShipmentStatus,
    product_id,
)
from fisco_drugtrace.drugtrace.ids import batch_id
from fisco_drugtrace.drugtrace.story import story_codes
from fisco_drugtrace.errors import AddressBookError, ContractRevert, NotFound, TraceCodeError

_lots = itertools.count(1)
DAY = 86_400_000


PROCESS = b"\x9f" * 32  # the process definition document's hash


def _product(market, n: int = 0):
    reg = market.svc["regulator"]
    approval = f"国药准字H2026{n:04d}"
    try:
        return reg.get_product(product_id(approval, "10 tablets"))
    except NotFound:
        product = reg.register_product(approval, "10 tablets", market.orgs["manufacturer"], min_temp=20, max_temp=80)
        market.svc["manufacturer"].define_process(product.product_id, 1, PROCESS)
        reg.approve_process(product.product_id, PROCESS)
        return product


def _released(market, batch_id: bytes):
    """Pass the release gate (the step, the release test) and release the batch (T0b)."""
    man = market.svc["manufacturer"]
    man.pass_release_gate(batch_id)
    return man.release_batch(batch_id)


def _batch(market, units: int = 40, prefix: str = "8160347"):
    man = market.svc["manufacturer"]
    lot = f"LOT-{next(_lots)}"
    now = man.now_ms()
    first = next(_lots) * 1000
    codes = [c for c in story_codes(first + units, prefix)][first:]
    reg = man.register_batch(_product(market).product_id, lot, codes, production_date=now,
                             expiry_date=now + 365 * DAY)
    return _released(market, reg.batch.batch_id), codes


def test_deploy_recorded_in_the_address_book(market) -> None:
    reg = market.svc["regulator"]
    dep = reg.deployment
    assert set(dep.contracts) == {"OrgRegistry", "DrugRegistry", "CustodyLedger", "ObservationLog", "RecallManager",
                                  "ProcurementLedger"}
    status = reg.status()
    assert all(status.code_present.values()) and not status.paused and status.org_count == 6
    assert reg.address_book.labels(*reg.chain_key)["0x" + market.orgs["pharmacy"].hex()] == "Kangjian Pharmacy"


def test_orgs_read_back_and_suspend_restore(market) -> None:
    reg = market.svc["regulator"]
    org = reg.get_org(market.orgs["hospital"])
    assert org.kind is OrgKind.HOSPITAL and org.status is OrgStatus.ACTIVE and org.name == "City No. 1 Hospital"
    assert reg.org_of(market.svc["pharmacy"].signer.address).org_id == market.orgs["pharmacy"]
    assert reg.suspend_org(market.orgs["hospital"]).status is OrgStatus.SUSPENDED
    assert reg.restore_org(market.orgs["hospital"]).status is OrgStatus.ACTIVE
    assert len(reg.list_orgs()) == 6
    with pytest.raises(NotFound):
        reg.get_org("91000000000000000X")


def test_batch_register_reads_back_and_stores_codes(market) -> None:
    batch, codes = _batch(market)
    man = market.svc["manufacturer"]
    assert batch.unit_count == len(codes) and batch.state is LifecycleState.LISTED
    loc = man.codes.locate(codes[5])
    assert loc is not None and loc.batch_id == batch.batch_id and loc.index == 5
    assert man.holding(batch.batch_id, market.orgs["manufacturer"]).quantity == len(codes)


def test_duplicate_code_rejected_with_line_before_any_transaction(market) -> None:
    man = market.svc["manufacturer"]
    codes = story_codes(5, "8160347")
    product = _product(market)  # registered here when the test runs alone: before the count
    before = market.client.block_number()
    with pytest.raises(TraceCodeError) as info:
        man.register_batch(product.product_id, "DUP", codes + [codes[1]], production_date=1,
                           expiry_date=2)
    assert info.value.problems[0][0] == 6 and "line 2" in info.value.problems[0][2]
    assert market.client.block_number() == before


def test_a_reverted_commit_leaves_no_codes_behind(market) -> None:
    stranger = market.svc["distributor"]  # not the product's MAH
    codes = story_codes(3, "8160348")
    with pytest.raises(ContractRevert) as info:
        stranger.register_batch(_product(market).product_id, "NOPE", codes, production_date=1, expiry_date=2)
    assert info.value.error_name == "OrgRegistryUnauthorizedKind"
    assert stranger.codes.locate(codes[0]) is None


def test_custody_round_trip_and_decoded_revert(market) -> None:
    batch, codes = _batch(market)
    man, dist, pharm = (market.svc[r] for r in ("manufacturer", "distributor", "pharmacy"))
    with pytest.raises(ContractRevert) as info:
        man.dispatch(batch.batch_id, market.orgs["distributor"], market.orgs["logistics"], 10_000)
    assert info.value.error_name == "CustodyLedgerInsufficientStock"
    assert info.value.args["requested"] == 10_000 and info.value.args["available"] == len(codes)
    s = man.dispatch(batch.batch_id, market.orgs["distributor"], market.orgs["logistics"], 20)
    assert s.status is ShipmentStatus.DISPATCHED and s.quantity == 20
    got = dist.receive(s.shipment_id, 18)
    assert got.status is ShipmentStatus.PARTIAL and got.received == 18
    s2 = dist.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 5)
    assert pharm.reject(s2.shipment_id).status is ShipmentStatus.REJECTED
    assert dist.holding(batch.batch_id, market.orgs["distributor"]).quantity == 18
    assert [x.shipment_id for x in man.shipments_of(batch.batch_id)] == [s.shipment_id, s2.shipment_id]
    with pytest.raises(NotFound):
        man.get_shipment(10_000)
    with pytest.raises(NotFound) as nf:
        dist.receive(10_000, 1)
    assert nf.value.kind == "shipment" and isinstance(nf.value.__cause__, ContractRevert)


def test_dispense_once_then_duplicate_alert(market) -> None:
    batch, codes = _batch(market)
    man, pharm = market.svc["manufacturer"], market.svc["pharmacy"]
    s = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 10)
    pharm.receive(s.shipment_id)
    first = pharm.dispense(codes[7])
    assert first.dispensed and first.index == 7
    again = pharm.dispense(codes[7])
    assert not again.dispensed and any(n == "DuplicateDispense" for n, _ in again.tx.events)
    assert pharm.holding(batch.batch_id, market.orgs["pharmacy"]).quantity == 9
    with pytest.raises(NotFound):
        pharm.dispense("81603479999999999999")
    verdict = pharm.verify_code(codes[8])
    assert verdict.genuine and verdict.listed and not verdict.dispensed and verdict.history
    assert not pharm.verify_code("123").genuine


def test_import_codes_checks_the_root(market, tmp_path) -> None:
    batch, codes = _batch(market)
    from fisco_drugtrace.drugtrace import AddressBook, TraceService

    other_home = tmp_path / "pharmacy-home"
    book = AddressBook.in_home(other_home)
    book.put(market.svc["regulator"].deployment)
    elsewhere = TraceService(market.client, market.svc["pharmacy"].signer, book, home=other_home)
    with pytest.raises(TraceCodeError):
        elsewhere.import_codes(batch.batch_id, list(reversed(codes)))
    elsewhere.import_codes(batch.batch_id, codes)
    assert elsewhere.codes.locate(codes[3]).index == 3
    elsewhere.close()


def test_storage_excursion_quarantines_and_inspection_stops(market) -> None:
    batch, _ = _batch(market)
    man, reg = market.svc["manufacturer"], market.svc["regulator"]
    obs = man.observe(ObservationPoint.STORAGE, batch.batch_id, ObservationResult.DEVIATION, min_value=10,
                      max_value=95)
    assert "HoldingQuarantined" in obs.triggered
    held = man.holding(batch.batch_id, market.orgs["manufacturer"])
    assert held.quarantined == held.quantity == batch.unit_count
    assert reg.release_quarantine(batch.batch_id, market.orgs["manufacturer"], 5).quarantined == batch.unit_count - 5
    failed = reg.observe(ObservationPoint.INSPECTION, batch.batch_id, ObservationResult.FAIL)
    assert "BatchStateChanged" in failed.triggered
    assert reg.get_batch(batch.batch_id).state is LifecycleState.STOPPED
    assert reg.resume(batch.batch_id).state is LifecycleState.LISTED
    assert reg.get_observation(failed.observation_id).result is ObservationResult.FAIL


def test_duplicate_dispense_on_a_stopped_batch_is_still_an_alert(market) -> None:
    """A copy of a dispensed code presented after the batch was stopped is reported as a
    duplicate (dispensed: false, DuplicateDispense on chain), not as an unusable-batch error."""
    batch, codes = _batch(market)
    man, pharm, reg = market.svc["manufacturer"], market.svc["pharmacy"], market.svc["regulator"]
    s = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 3)
    pharm.receive(s.shipment_id)
    assert pharm.dispense(codes[2]).dispensed
    reg.stop(batch.batch_id)
    again = pharm.dispense(codes[2])
    assert not again.dispensed and [n for n, _ in again.tx.events] == ["DuplicateDispense"]
    assert pharm.holding(batch.batch_id, market.orgs["pharmacy"]).quantity == 2
    with pytest.raises(ContractRevert) as info:
        pharm.dispense(codes[1])  # a first dispense still needs a LISTED batch
    assert info.value.error_name == "CustodyLedgerBatchNotListed"


def test_lifecycle_rules_come_from_the_contract(market) -> None:
    batch, _ = _batch(market)
    pharm, reg = market.svc["pharmacy"], market.svc["regulator"]
    with pytest.raises(ContractRevert) as info:
        pharm.stop(batch.batch_id)
    assert info.value.error_name in ("DrugRegistryUnauthorizedTransition", "OrgRegistryUnauthorizedKind")
    with pytest.raises(ContractRevert) as bad:
        reg.transition_batch(batch.batch_id, LifecycleState.DESTROYED)
    assert bad.value.error_name == "DrugRegistryInvalidTransition"
    product = _product(market, 77)
    reg.stop(product.product_id, product=True)
    assert reg.deregister(product.product_id).state is LifecycleState.DEREGISTERED
    with pytest.raises(NotFound):
        reg.get_batch(batch_id(product.product_id, "never"))


def test_recall_workflow(market) -> None:
    batch, _ = _batch(market, units=30)
    man, reg, dist = market.svc["manufacturer"], market.svc["regulator"], market.svc["distributor"]
    s = man.dispatch(batch.batch_id, market.orgs["distributor"], market.orgs["logistics"], 10)
    dist.receive(s.shipment_id)
    with pytest.raises(ContractRevert):
        man.open_recall(RecallLevel.II, batch=batch.batch_id)  # must be STOPPED first
    man.stop(batch.batch_id)
    case = man.open_recall(RecallLevel.II, batch=batch.batch_id)
    assert case.status is RecallStatus.OPEN and case.notice_deadline - case.decided_at == 3 * DAY
    assert reg.get_batch(batch.batch_id).state is LifecycleState.RECALLED
    assert man.issue_notice(case.recall_id).status is RecallStatus.NOTIFIED
    dist.record_recovery(case.recall_id, 10)  # bounded by what it holds: declared before the return
    back = dist.dispatch_return(batch.batch_id, market.orgs["manufacturer"], market.orgs["logistics"], 10)
    man.receive(back.shipment_id)
    assert man.recovered(case.recall_id, market.orgs["distributor"]) == 10
    figures = reg.recall_figures(case.recall_id)  # computed on chain from custody
    assert (figures.in_market_at_open, figures.in_market_now, figures.recovered, figures.percent) == (10, 0, 10, 100.0)
    assert man.report_progress(case.recall_id).progress_count == 1
    early = man.record_destruction(case.recall_id, 5, final=True)
    assert reg.countersign_destruction(early.destruction_id).quantity == 5
    assert reg.get_batch(batch.batch_id).state is LifecycleState.RECALLED  # the case is not closed yet
    man.complete_recall(case.recall_id)
    assert reg.evaluate_recall(case.recall_id, True).status is RecallStatus.CLOSED
    d = man.record_destruction(case.recall_id, 25, final=True)  # the close-out after the summary
    with pytest.raises(ContractRevert) as info:
        man.countersign_destruction(d.destruction_id)
    assert info.value.error_name == "OrgRegistryUnauthorizedKind"  # executors are never supervisor kinds
    assert reg.countersign_destruction(d.destruction_id).quantity == 25
    assert reg.get_batch(batch.batch_id).state is LifecycleState.DESTROYED
    assert reg.recall_figures(case.recall_id).destroyed == 30
    with pytest.raises(NotFound):
        reg.get_recall(999)


def test_no_deployment_for_another_group(market, tmp_path) -> None:
    from fisco_drugtrace.drugtrace import AddressBook, TraceService

    lonely = TraceService(market.client, None, AddressBook.in_home(tmp_path), home=tmp_path)
    with pytest.raises(AddressBookError):
        lonely.get_batch(b"\x01" * 32)


def test_a_second_deploy_needs_replace(market) -> None:
    from fisco_drugtrace.drugtrace.story import ACTORS as CAST

    reg = market.svc["regulator"]
    before = reg.deployment
    with pytest.raises(AddressBookError) as info:
        reg.deploy(CAST[0].credit_code, region=CAST[0].region)
    assert "--replace" in (info.value.user_message or "")
    assert reg.deployment == before


def test_committing_an_existing_batch_keeps_its_stored_codes(market) -> None:
    batch, codes = _batch(market)
    man = market.svc["manufacturer"]
    other = story_codes(5, "8160346")
    with pytest.raises(ContractRevert) as info:
        man.register_batch(batch.product_id, batch.lot, other, production_date=1, expiry_date=2)
    assert info.value.error_name == "DrugRegistryBatchExists"
    assert man.codes.codes(batch.batch_id) == codes and man.codes.locate(other[0]) is None


def test_product_wide_ordered_recall_reaches_the_batch_trace(market) -> None:
    reg = market.svc["regulator"]
    product = _product(market, 88)
    man = market.svc["manufacturer"]
    now = man.now_ms()
    batch = man.register_batch(product.product_id, "PW-1", story_codes(4, "8160345"), production_date=now,
                               expiry_date=now + DAY).batch
    _released(market, batch.batch_id)
    reg.stop(product.product_id, product=True)
    case = reg.open_recall(RecallLevel.III, product=product.product_id)
    assert case.kind.name == "ORDERED" and not any(case.batch_id) and case.product_id == product.product_id
    trace = reg.trace_batch(batch.batch_id)
    assert "RecallOpened" in [e.event for e in trace.entries]
