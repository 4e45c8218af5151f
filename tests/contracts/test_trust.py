"""Rules across calls that a regulator, an auditor or a court relies on (issue 12, defects 2-9):
each test here fails on the suite as it was before the issue."""

from __future__ import annotations

from typing import Any

import pytest

from harness import DAY_MS, Contract, Reverted, address_of
from model import Kind, RecallKind, State
from world import REGION_A, REGION_B, Scene

Z32 = bytes(32)
EVIDENCE = b"\x61" * 32


def refused(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


# --------------------------------------------------------------------------- defect 8


def test_mah_stops_its_own_product_for_a_voluntary_product_wide_recall(scene: Scene) -> None:
    w, p = scene.w, scene.product
    r = w.drugs.transact("transitionProduct", p, int(State.STOPPED), 0, EVIDENCE, sender=w.acct("man"))
    assert r.one("ProductStateChanged")["byOrgId"] == w.org("man")  # recorded as the MAH's decision
    assert w.drugs.call("stopAuthority", p) == w.org("man")
    rid = w.open_recall(p, Z32, 2, by="man")
    assert w.recalls.call("getRecall", rid)[5] == int(RecallKind.VOLUNTARY)
    assert w.product_state(p) == State.RECALLED
    # another MAH cannot stop a product that is not its own; the MAH cannot lift its stop (T2 is regulators')
    other = w.register_product("国药准字Z20260002", "1支", mah="man_b")
    assert refused(w.drugs, "transitionProduct", other, int(State.STOPPED), 0, Z32, sender=w.acct("man")) == \
        ("DrugRegistryNotProductHolder", (other, w.org("man")))


# --------------------------------------------------------------------------- defect 2


def test_only_the_national_regulator_registers_and_manages_auditors(scene: Scene) -> None:
    w = scene.w
    new = b"\x71" * 32
    assert refused(w.orgs, "registerOrg", new, int(Kind.AUDITOR), REGION_A, 0, Z32, sender=w.acct("prov")) == \
        ("OrgRegistryOutsideRemit", (w.org("prov"), new))
    assert refused(w.orgs, "suspendOrg", w.org("aud"), Z32, sender=w.acct("prov")) == \
        ("OrgRegistryOutsideRemit", (w.org("prov"), w.org("aud")))
    w.orgs.transact("registerOrg", new, int(Kind.AUDITOR), REGION_A, 0, Z32, sender=w.acct("nat"))
    assert w.orgs.call("getOrg", new)[0] == int(Kind.AUDITOR)


def _destruction_in_region_b(scene: Scene) -> int:
    """A recalled batch of region B's MAH and a destruction recorded by it (executor in region B)."""
    w = scene.w
    product = w.register_product("国药准字B20260009", "1瓶", mah="man_b")
    info = w.commit_batch(product, "RB01", 8, mah="man_b")
    w.stop_batch(info.batch_id)
    rid = w.open_recall(product, info.batch_id, 1, by="man_b")
    return w.recalls.transact("recordDestruction", rid, 2, False, EVIDENCE, sender=w.acct("man_b")).output


def test_an_auditor_countersigns_only_within_its_remit(scene: Scene) -> None:
    w = scene.w
    did = _destruction_in_region_b(scene)
    # the region-A auditor is refused in region B, like region A's provincial regulator
    assert refused(w.recalls, "countersignDestruction", did, sender=w.acct("aud")) == \
        ("RecallManagerUnauthorized", (1, w.org("aud")))
    assert refused(w.recalls, "countersignDestruction", did, sender=w.acct("prov")) == \
        ("RecallManagerUnauthorized", (1, w.org("prov")))
    # a national-remit auditor (region 0) may counter-sign anywhere
    w.onboard("aud_nat", Kind.AUDITOR, 0, account=address_of(78))
    r = w.recalls.transact("countersignDestruction", did, sender=w.acct("aud_nat"))
    assert r.one("DestructionConfirmed")["supervisorOrgId"] == w.org("aud_nat")


# --------------------------------------------------------------------------- defect 3


def _serious(scene: Scene, who: str) -> Any:
    return scene.w.obs.transact("recordObservation", 8, scene.batch.batch_id, 0, 3, 0, 0, EVIDENCE,
                                sender=scene.w.acct(who))


def test_an_unrelated_pharmacy_cannot_stop_a_batch_with_adverse_reaction_reports(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.drugs.transact("setAdrPolicy", scene.product, 3, 0, True, sender=w.acct("nat"))
    w.onboard("pharm_b", Kind.PHARMACY, REGION_B, account=address_of(79))
    for _ in range(5):  # never held a unit of the batch: recorded, never counted
        r = _serious(scene, "pharm_b")
        assert r.one("AdverseReactionNotCounted").args == {"observationId": r.output, "batchId": b,
                                                          "reporterOrgId": w.org("pharm_b"), "duplicate": False}
    assert w.obs.call("seriousReactionCount", b) == 0 and w.batch_state(b) == State.LISTED
    for _ in range(3):  # one holder, three reports: one counts
        _serious(scene, "pharm")
    assert w.obs.call("seriousReactionCount", b) == 1 and w.batch_state(b) == State.LISTED
    assert _serious(scene, "pharm").one("AdverseReactionNotCounted")["duplicate"] is True
    _serious(scene, "hosp")
    r = _serious(scene, "prov")  # a regulator's report counts: third distinct organisation
    assert r.one("AdverseReactionThresholdReached")["batchStopped"] is True
    assert w.batch_state(b) == State.STOPPED


def test_a_reporter_counts_again_once_its_last_counted_report_left_the_window(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.drugs.transact("setAdrPolicy", scene.product, 2, DAY_MS, False, sender=w.acct("nat"))
    _serious(scene, "hosp")
    w.chain.advance(DAY_MS // 2)
    assert _serious(scene, "hosp").named("AdverseReactionNotCounted")
    w.chain.advance(DAY_MS // 2 + 1)
    assert _serious(scene, "hosp").named("SeriousAdverseReactionReported")
    assert w.obs.call("seriousReactionCount", b) == 2


# --------------------------------------------------------------------------- defects 4, 5


def _recalled(scene: Scene) -> int:
    scene.w.stop_batch(scene.batch.batch_id)
    return scene.w.open_recall(scene.product, scene.batch.batch_id, 1)


def _destroy(scene: Scene, rid: int, who: str, qty: int, final: bool = False, by: str = "nat") -> Any:
    w = scene.w
    did = w.recalls.transact("recordDestruction", rid, qty, final, EVIDENCE, sender=w.acct(who)).output
    return w.recalls.transact("countersignDestruction", did, sender=w.acct(by))


def test_a_final_destruction_does_not_destroy_a_batch_still_on_the_market(scene: Scene) -> None:
    """The defect: the first counter-signed final record moved the batch to DESTROYED with 63 of
    64 units held elsewhere and the case OPEN."""
    w, b = scene.w, scene.batch.batch_id
    rid = _recalled(scene)
    r = _destroy(scene, rid, "man", 1, final=True)
    assert r.one("DestructionConfirmed")["batchDestroyed"] is False
    assert w.batch_state(b) == State.RECALLED
    assert w.custody.call("batchStock", b) == (63, 0, 0)


def test_destroyed_with_quarantined_stock_awaiting_destruction(scene: Scene) -> None:
    """CLOSED case, every remaining unit back at the MAH in quarantine: a final destruction is T4,
    and the quarantined remainder is destroyed afterwards the same way."""
    w, b = scene.w, scene.batch.batch_id
    rid = _recalled(scene)
    _destroy(scene, rid, "man", 24)  # the MAH's own warehouse stock
    for who in ("dist", "pharm", "hosp"):
        qty = w.holding(b, who)[0]
        sid = w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), qty, Z32, sender=w.acct(who)).output
        w.custody.transact("receiveShipment", sid, qty, Z32, sender=w.acct("man"))
    assert w.holding(b, "man") == (40, 40)
    assert w.recalls.call("recallFigures", rid) == (40, 0, 40, 24, 0, 0)
    # before the summary is accepted, even a final destruction leaving only quarantined stock is not T4
    assert _destroy(scene, rid, "man", 20, final=True).one("DestructionConfirmed")["batchDestroyed"] is False
    w.close_recall(rid)
    assert w.batch_state(b) == State.RECALLED  # 20 quarantined units still exist
    assert _destroy(scene, rid, "man", 10, final=True).one("DestructionConfirmed")["batchDestroyed"] is True
    assert w.batch_state(b) == State.DESTROYED
    assert w.custody.call("batchStock", b) == (10, 0, 10)  # quarantined stock awaiting destruction
    assert _destroy(scene, rid, "man", 10, final=True).one("DestructionConfirmed")["batchDestroyed"] is False
    assert w.custody.call("batchStock", b) == (0, 0, 0)


def test_recovery_figures_cannot_exceed_what_was_on_the_market(scene: Scene) -> None:
    """The defect: 10**15 recovered on a 64-unit batch, the report said 100 %."""
    w = scene.w
    rid = _recalled(scene)
    assert refused(w.recalls, "recordRecovery", rid, 10**15, Z32, sender=w.acct("pharm")) == \
        ("RecallManagerRecoveryExceedsHolding", (rid, w.org("pharm"), 10, 10**15))
    assert refused(w.recalls, "recordDestruction", rid, 10**15, False, Z32, sender=w.acct("pharm")) == \
        ("RecallManagerExceedsHolding", (rid, w.org("pharm"), 10, 10**15))
    _destroy(scene, rid, "pharm", 10)
    assert w.recalls.call("recallFigures", rid) == (40, 30, 10, 10, 0, 0)


def test_units_lost_during_a_case_are_written_off_not_recovered(scene: Scene) -> None:
    """The gap: units missing from a partial receipt or decommissioned (lost, stolen) at a holder
    during the case left the market and were reported *recovered* ((40, 32, 8, 0, 0): 8 of 40
    recovered, none came back). They are a figure of their own; what can never come back is not
    outstanding either, and outstanding + recovered + written off is what was on the market."""
    w, b = scene.w, scene.batch
    bid = b.batch_id
    short = w.ship(bid, "dist", "pharm", 6, receive=False)  # in transit when the case opens
    stuck = w.ship(bid, "dist", "hosp", 4, receive=False)
    rid = _recalled(scene)

    def figures() -> tuple[int, ...]:
        got = w.recalls.call("recallFigures", rid)
        at_open, now, recovered, _, _, written_off = got
        assert now + recovered + written_off == at_open and now <= at_open  # every unit accounted for once
        return got

    assert figures() == (40, 40, 0, 0, 0, 0)
    w.custody.transact("receiveShipment", short, 1, Z32, sender=w.acct("pharm"))  # 5 lost in transit
    assert figures() == (40, 35, 0, 0, 0, 5)
    w.custody.transact("voidShipment", stuck, EVIDENCE, sender=w.acct("prov"))  # back at dist: still out there
    assert figures() == (40, 35, 0, 0, 0, 5)
    w.decommission(b, [12, 13], 4, "hosp")  # LOST (the hospital holds units 10..19)
    w.decommission(b, [5], 3, "pharm")  # STOLEN
    assert figures() == (40, 32, 0, 0, 0, 8)
    # the MAH's own stock is not on the market: an official sample there writes nothing off
    w.custody.transact("decommission", bid, [40], [b.code_hash(40)], b.multiproof([40]), 5, w.org("man"), Z32,
                       sender=w.acct("prov"))
    assert figures() == (40, 32, 0, 0, 0, 8)
    # what does come back, or is destroyed under supervision, is recovered
    sid = w.custody.transact("dispatchReturn", bid, w.org("man"), w.org("log"), 3, Z32, sender=w.acct("pharm")).output
    w.custody.transact("receiveShipment", sid, 3, Z32, sender=w.acct("man"))
    _destroy(scene, rid, "hosp", 5)
    assert figures() == (40, 24, 8, 5, 0, 8)
    assert w.custody.call("writtenOff", bid) == 8
    # a case opened later starts from the batch's write-offs then: the old ones are not its own
    w.close_recall(rid)
    follow = w.open_recall(scene.product, bid, 1, by="nat")
    assert w.recalls.call("recallFigures", follow) == (24, 24, 0, 0, 0, 0)


# --------------------------------------------------------------------------- defect 6


def test_a_regulator_voids_a_shipment_stuck_at_a_suspended_addressee(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "pharm", 5, receive=False)
    w.orgs.transact("suspendOrg", w.org("pharm"), Z32, sender=w.acct("prov"))
    name, _ = refused(w.custody, "rejectShipment", sid, Z32, sender=w.acct("pharm"))
    assert name == "OrgRegistryOrgNotActive"  # the addressee can neither receive nor reject
    assert refused(w.custody, "voidShipment", sid, EVIDENCE, sender=w.acct("prov_b")) == \
        ("CustodyLedgerOutsideRemit", (w.org("prov_b"), w.org("dist")))
    r = w.custody.transact("voidShipment", sid, EVIDENCE, sender=w.acct("prov"))
    assert w.all_events(r) == [("RangesReturned", {"shipmentId": sid, "batchId": b}),
                               ("ShipmentVoided", {"shipmentId": sid, "batchId": b, "fromOrgId": w.org("dist"),
                                                   "quantity": 5, "byOrgId": w.org("prov"),
                                                   "reasonHash": EVIDENCE})]
    assert w.holding(b, "dist") == (20, 5)  # back with the sender, quarantined
    assert w.custody.call("getShipment", sid)[7] == 5  # VOIDED
    assert w.custody.call("batchStock", b) == (64, 0, 5)
    assert refused(w.custody, "voidShipment", sid, EVIDENCE, sender=w.acct("nat")) == \
        ("CustodyLedgerShipmentNotInTransit", (sid, 5))


def test_a_regulator_voids_a_shipment_stuck_at_an_addressee_whose_licence_lapsed(scene: Scene) -> None:
    """The other stuck case of defect 6: the addressee's licence lapsed while the units travelled."""
    w, b = scene.w, scene.batch.batch_id
    sid = w.ship(b, "dist", "hosp", 4, receive=False)
    expiry = w.chain.timestamp_ms + 1000
    w.orgs.transact("updateLicence", w.org("hosp"), expiry, Z32, sender=w.acct("nat"))
    w.chain.advance(1001)
    for fn, args in (("receiveShipment", (sid, 4, Z32)), ("rejectShipment", (sid, Z32))):
        assert refused(w.custody, fn, *args, sender=w.acct("hosp")) == \
            ("OrgRegistryLicenceExpired", (w.org("hosp"), expiry))
    r = w.custody.transact("voidShipment", sid, EVIDENCE, sender=w.acct("prov"))
    assert r.one("ShipmentVoided")["quantity"] == 4
    assert w.holding(b, "dist") == (20, 4)  # back with the sender, quarantined
    assert w.custody.call("batchStock", b) == (64, 0, 4)


def test_a_regulator_records_destruction_for_a_suspended_holder(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    rid = _recalled(scene)
    holder = w.org("pharm")
    assert refused(w.recalls, "recordDestructionFor", rid, holder, 10, False, EVIDENCE, sender=w.acct("prov")) == \
        ("RecallManagerHolderCanAct", (rid, holder))
    w.orgs.transact("suspendOrg", holder, Z32, sender=w.acct("nat"))
    name, _ = refused(w.recalls, "recordDestruction", rid, 10, False, EVIDENCE, sender=w.acct("pharm"))
    assert name == "OrgRegistryOrgNotActive"
    r = w.recalls.transact("recordDestructionFor", rid, holder, 10, False, EVIDENCE, sender=w.acct("prov"))
    did = r.output
    assert r.one("DestructionRecordedFor").args == {"destructionId": did, "recallId": rid,
                                                   "executorOrgId": holder, "recordedByOrgId": w.org("prov")}
    assert refused(w.recalls, "countersignDestruction", did, sender=w.acct("prov")) == \
        ("RecallManagerSelfCountersign", (did, w.org("prov")))
    w.recalls.transact("countersignDestruction", did, sender=w.acct("aud"))
    assert w.holding(b, "pharm") == (0, 0)


def test_rework_route_t7_by_the_national_regulator_with_evidence(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    _recalled(scene)
    assert refused(w.drugs, "transitionBatch", b, int(State.LISTED), 0, EVIDENCE, sender=w.acct("prov")) == \
        ("DrugRegistryUnauthorizedTransition", (b, int(State.RECALLED), int(State.LISTED), w.org("prov")))
    assert refused(w.drugs, "transitionBatch", b, int(State.LISTED), 0, Z32, sender=w.acct("nat")) == \
        ("DrugRegistryEvidenceRequired", (b,))
    r = w.drugs.transact("transitionBatch", b, int(State.LISTED), 0, EVIDENCE, sender=w.acct("nat"))
    assert r.one("BatchStateChanged").args["evidenceHash"] == EVIDENCE
    assert w.batch_state(b) == State.LISTED


# --------------------------------------------------------------------------- defect 7


def test_expired_batches_are_neither_committed_released_nor_ordered(scene: Scene) -> None:
    w, p = scene.w, scene.product
    now = w.chain.timestamp_ms
    name, args = refused(w.drugs, "commitBatch", p, "OLD1", 1, 2**40, 4, b"\x01" * 32, Z32, sender=w.acct("man"))
    assert name == "DrugRegistryBatchExpired" and args[1] == 2**40  # 2**40 ms is 2004
    info = w.commit_batch(p, "SHORT1", 4, shelf_days=2, release=False)
    w.pass_release_gate(info)
    w.chain.advance(2 * DAY_MS)
    assert refused(w.drugs, "releaseBatch", info.batch_id, Z32, sender=w.acct("man")) == \
        ("DrugRegistryBatchExpired", (info.batch_id, info.expiry))
    w.chain.advance(now + 729 * DAY_MS - w.chain.timestamp_ms)
    b = scene.batch
    w.obs.transact("recordObservation", 3, b.batch_id, 0, 0, 0, 0, Z32, sender=w.acct("pharm"))  # still usable
    w.chain.advance(2 * DAY_MS)
    assert refused(w.obs, "recordObservation", 3, b.batch_id, 0, 0, 0, 0, Z32, sender=w.acct("pharm")) == \
        ("ObservationLogSubjectExpired", (b.batch_id, b.expiry))


# --------------------------------------------------------------------------- defect 9


def test_a_failed_release_test_stays_until_a_regulators_retest(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "QA1", 4, release=False)
    w.pass_release_gate(info)

    def inspect(who: str, result: int) -> Any:
        return w.obs.transact("recordObservation", 6, info.batch_id, 0, result, 0, 0, Z32, sender=w.acct(who))

    inspect("man", 2)  # FAIL
    assert inspect("man", 0).one("ReleaseTestRecorded")["passed"] is False  # the later OK does not overwrite it
    assert refused(w.drugs, "releaseBatch", info.batch_id, Z32, sender=w.acct("man")) == \
        ("DrugRegistryReleaseTestMissing", (info.batch_id,))
    assert inspect("prov", 0).one("ReleaseTestRecorded")["passed"] is True
    w.drugs.transact("releaseBatch", info.batch_id, Z32, sender=w.acct("man"))


def test_process_approval_binds_the_step_count(scene: Scene) -> None:
    w = scene.w
    p = w.register_product("国药准字H20990077", "1盒")
    h = b"\x42" * 32
    w.obs.transact("recordObservation", 1, p, 0, 0, 0, 5, h, sender=w.acct("man"))
    for wrong in (0, 4, 6):
        assert not w.obs.transact("recordObservation", 1, p, 0, 0, 0, wrong, h,
                                  sender=w.acct("nat")).named("ProcessDefinitionApproved")
    r = w.obs.transact("recordObservation", 1, p, 0, 0, 0, 5, h, sender=w.acct("nat"))
    assert r.one("ProcessDefinitionApproved")["stepCount"] == 5


def test_link_suite_checks_the_contracts_point_back(artifacts: dict[str, Any], chain: Any) -> None:
    from world import World
    nat = address_of(1)
    other = World.deploy(artifacts, chain)  # a complete suite behind another registry
    orgs = chain.deploy(artifacts["OrgRegistry"], b"\x01" * 32, REGION_A, Z32, sender=nat)
    drugs = chain.deploy(artifacts["DrugRegistry"], orgs.address, sender=nat)
    custody = chain.deploy(artifacts["CustodyLedger"], orgs.address, drugs.address, sender=nat)
    obs = chain.deploy(artifacts["ObservationLog"], orgs.address, drugs.address, custody.address, sender=nat)
    recalls = chain.deploy(artifacts["RecallManager"], orgs.address, drugs.address, other.custody.address, sender=nat)
    account = address_of(555)

    def link(*addrs: str) -> tuple[str, tuple[Any, ...]]:
        return refused(orgs, "linkSuite", *addrs, sender=nat)

    assert link(account, custody.address, obs.address, recalls.address) == ("OrgRegistryInvalidSuite", (account,))
    assert link(other.drugs.address, custody.address, obs.address, recalls.address) == \
        ("OrgRegistryInvalidSuite", (other.drugs.address,))
    assert link(drugs.address, custody.address, obs.address, recalls.address) == \
        ("OrgRegistryInvalidSuite", (recalls.address,))  # it acts on another suite's ledger
    good = chain.deploy(artifacts["RecallManager"], orgs.address, drugs.address, custody.address, sender=nat)
    orgs.transact("linkSuite", drugs.address, custody.address, obs.address, good.address, sender=nat)
    assert orgs.call("isSuiteContract", good.address) is True


def test_rejecting_a_return_says_the_units_are_quarantined_at_the_sender(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    sid = w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), 3, Z32, sender=w.acct("pharm")).output
    r = w.custody.transact("rejectShipment", sid, EVIDENCE, sender=w.acct("man"))
    assert r.one("ShipmentRejected")["quarantined"] == 3
    assert w.holding(b, "pharm") == (10, 3)
