"""Issue 12 through the service and the audit index: voids of observations, destruction records
and batches, follow-up cases, product-wide figures read in pages; the index's holdings and
recall figures follow every void (the chain is the oracle)."""

from __future__ import annotations

import itertools

import pytest

from fisco_drugtrace.drugtrace import (
    DestructionStatus,
    LifecycleState,
    ObservationPoint,
    ObservationResult,
    RecallLevel,
    RecallStatus,
    product_id,
)
from fisco_drugtrace.drugtrace import recall as recall_module
from fisco_drugtrace.drugtrace.audit import where_is
from fisco_drugtrace.drugtrace.audit.compliance import recall_case
from fisco_drugtrace.drugtrace.story import story_codes
from fisco_drugtrace.errors import ContractRevert, NotFound

_lots = itertools.count(1)
DAY = 86_400_000
PROCESS = b"\x8e" * 32
WHY = b"\x77" * 32


def _product(market, n: int):
    reg = market.svc["regulator"]
    approval = f"国药准字Z2026{n:04d}"
    try:
        return reg.get_product(product_id(approval, "10 tablets"))
    except NotFound:
        product = reg.register_product(approval, "10 tablets", market.orgs["manufacturer"], min_temp=20, max_temp=80)
        market.svc["manufacturer"].define_process(product.product_id, 1, PROCESS)
        reg.approve_process(product.product_id, PROCESS)
        return product


def _batch(market, *, product: int = 0, units: int = 20, release: bool = True) -> bytes:
    man = market.svc["manufacturer"]
    n = next(_lots)
    now = man.now_ms()
    codes = story_codes(units, f"{6100000 + n:07d}")
    b = man.register_batch(_product(market, product).product_id, f"COR-{n}", codes, production_date=now,
                           expiry_date=now + 365 * DAY).batch.batch_id
    if release:
        man.pass_release_gate(b)
        man.release_batch(b)
    return b


def _ship(market, b: bytes, to: str, qty: int) -> None:
    sid = market.svc["manufacturer"].dispatch(b, market.orgs[to], market.orgs["logistics"], qty).shipment_id
    market.svc[to].receive(sid)


def _index_matches_chain(market, b: bytes) -> dict[bytes, tuple[int, int, int]]:
    """Every holder's (quantity, quarantined) in the index equals the chain's; returns the index rows."""
    reg = market.svc["regulator"]
    with reg.open_audit_index() as index:
        reg.audit_sync(index)
        rows = {bytes.fromhex(h.org_id[2:]): (h.quantity, h.quarantined, h.destroyed)
                for h in where_is(index, b).holdings}
    for org in market.orgs.values():
        chain = reg.holding(b, org)
        assert rows.get(org, (0, 0, 0))[:2] == (chain.quantity, chain.quarantined), org.hex()
    return rows


def test_regulator_void_of_a_failed_inspection_lifts_its_stop(market) -> None:
    reg, b = market.svc["regulator"], _batch(market)
    fail = reg.observe(ObservationPoint.INSPECTION, b, ObservationResult.FAIL)
    assert reg.get_batch(b).state is LifecycleState.STOPPED
    # the MAH cannot void the regulator's failed inspection
    with pytest.raises(ContractRevert) as err:
        market.svc["manufacturer"].void_observation(fail.observation_id, WHY)
    assert err.value.error_name == "ObservationLogVoidUnauthorized"
    done = reg.void_observation(fail.observation_id, WHY)
    assert done.stop_lifted is True and done.voided_by == market.orgs["regulator"]
    assert {"ObservationVoided", "BatchStateChanged"} <= set(done.triggered)
    assert reg.get_batch(b).state is LifecycleState.LISTED
    assert reg.observation_voided_by(fail.observation_id) == market.orgs["regulator"]
    assert reg.get_observation(fail.observation_id).result is ObservationResult.FAIL  # the record stays
    found = [a for a in reg.audit_alerts() if a.args.get("observationId") == fail.observation_id]
    assert found and all(a.description.endswith("— voided") for a in found if a.kind != "ObservationVoided")
    assert any(a.kind == "ObservationVoided" for a in found)


def test_voided_adr_report_leaves_the_count(market) -> None:
    reg, b = market.svc["regulator"], _batch(market)
    _ship(market, b, "pharmacy", 5)
    pharm = market.svc["pharmacy"]
    report = pharm.observe(ObservationPoint.ADVERSE_REACTION, b, ObservationResult.SERIOUS)
    assert reg.suite.call(reg.suite.observations, "seriousReactionCount", b) == 1
    done = pharm.void_observation(report.observation_id, WHY)
    assert done.stop_lifted is False and done.voided_by == market.orgs["pharmacy"]
    assert reg.suite.call(reg.suite.observations, "seriousReactionCount", b) == 0


def _recall(market, b: bytes) -> int:
    reg = market.svc["regulator"]
    reg.stop(b)
    return market.svc["manufacturer"].open_recall(RecallLevel.II, batch=b).recall_id


def test_voided_confirmed_destruction_restores_the_holding_in_the_index(market) -> None:
    reg, b = market.svc["regulator"], _batch(market)
    _ship(market, b, "pharmacy", 8)
    rid = _recall(market, b)
    pharm = market.svc["pharmacy"]
    d = pharm.record_destruction(rid, 6)
    reg.countersign_destruction(d.destruction_id)
    assert reg.recall_figures(rid).destroyed == 6
    assert _index_matches_chain(market, b)[market.orgs["pharmacy"]] == (2, 0, 6)
    # the executor cannot void a counter-signed record; the regulator can
    with pytest.raises(ContractRevert):
        pharm.void_destruction(d.destruction_id, WHY)
    voided = reg.void_destruction(d.destruction_id, WHY)
    assert voided.status is DestructionStatus.VOIDED
    figures = reg.recall_figures(rid)
    assert figures.destroyed == 0 and figures.in_market_now == figures.in_market_at_open == 8
    assert _index_matches_chain(market, b)[market.orgs["pharmacy"]] == (8, 6, 0)
    with reg.open_audit_index() as index:
        case = recall_case(index, rid)
    assert case is not None and case.destroyed_confirmed == 0 and case.destroyed_recorded == 0


def test_recorded_destruction_voided_by_its_author(market) -> None:
    reg, b = market.svc["regulator"], _batch(market)
    _ship(market, b, "pharmacy", 4)
    rid = _recall(market, b)
    pharm = market.svc["pharmacy"]
    d = pharm.record_destruction(rid, 4)
    assert pharm.void_destruction(d.destruction_id, WHY).status is DestructionStatus.VOIDED
    with pytest.raises(ContractRevert) as err:
        reg.countersign_destruction(d.destruction_id)
    assert err.value.error_name == "RecallManagerDestructionNotPending"
    assert reg.holding(b, market.orgs["pharmacy"]).quantity == 4


def test_void_batch_takes_its_units_out_of_custody_and_the_index(market) -> None:
    reg, man = market.svc["regulator"], market.svc["manufacturer"]
    b = _batch(market, units=12)
    assert man.void_batch(b, WHY).state is LifecycleState.VOIDED
    assert reg.batch_stock(b).total == 0
    assert _index_matches_chain(market, b).get(market.orgs["manufacturer"], (0, 0, 0))[:2] == (0, 0)
    found = reg.where_is(b)
    assert (found.voided, found.accounted, found.unit_count) == (12, 12, 12)  # every unit accounted for
    moved = _batch(market, units=12)
    _ship(market, moved, "distributor", 1)
    with pytest.raises(ContractRevert) as err:
        man.void_batch(moved, WHY)
    assert err.value.error_name == "DrugRegistryBatchMoved"
    assert any(a.kind == "BatchVoided" and a.batch_id == "0x" + b.hex() for a in reg.audit_alerts())


def test_follow_up_case_after_close(market) -> None:
    reg, man = market.svc["regulator"], market.svc["manufacturer"]
    b = _batch(market)
    with pytest.raises(NotFound):
        reg.open_follow_up(b, RecallLevel.II)  # no first case: open_recall is the way
    _ship(market, b, "pharmacy", 3)
    rid = _recall(market, b)
    with pytest.raises(ContractRevert) as err:
        reg.open_follow_up(b, RecallLevel.II)
    assert err.value.error_name == "RecallManagerCaseStillOpen"
    man.issue_notice(rid)
    man.complete_recall(rid)
    assert reg.evaluate_recall(rid, True).status is RecallStatus.CLOSED
    follow = reg.open_follow_up(b, RecallLevel.I)
    links = reg.recall_links(follow.recall_id)
    assert links.follow_up_of == rid and links.latest_case_of_scope == follow.recall_id and not links.superseded
    assert reg.recall_links(rid).superseded and reg.latest_case(b) == follow.recall_id
    # the stock left at the pharmacy is destroyed through the follow-up, not the closed case
    with pytest.raises(ContractRevert) as err:
        market.svc["pharmacy"].record_destruction(rid, 3)
    assert err.value.error_name == "RecallManagerSuperseded"
    d = market.svc["pharmacy"].record_destruction(follow.recall_id, 3)
    reg.countersign_destruction(d.destruction_id)
    assert reg.recall_figures(follow.recall_id).destroyed == 3


def test_product_wide_figures_are_read_in_pages(market, monkeypatch) -> None:
    reg, man = market.svc["regulator"], market.svc["manufacturer"]
    first, second = _batch(market, product=7), _batch(market, product=7)
    p = reg.get_batch(first).product_id
    for b, qty in ((first, 5), (second, 7)):
        _ship(market, b, "pharmacy", qty)
    man.stop(p, product=True)
    prid = man.open_recall(RecallLevel.II, product=p).recall_id
    for b in (first, second):
        man.stop(b)
        man.open_recall(RecallLevel.II, batch=b)
    assert reg.recall_links(prid).batch_case_count == 2
    whole = reg.recall_figures(prid)
    assert (whole.in_market_at_open, whole.in_market_now, whole.recovered) == (12, 12, 0)
    brid = reg.latest_case(second)
    d = market.svc["pharmacy"].record_destruction(brid, 4)
    reg.countersign_destruction(d.destruction_id)
    calls = []
    real = reg.suite.call

    def counting(contract, fn, *args):
        calls.append(fn)
        return real(contract, fn, *args)

    monkeypatch.setattr(recall_module, "FIGURES_PAGE", 1)
    monkeypatch.setattr(reg.suite, "call", counting)
    paged = reg.recall_figures(prid)
    assert calls.count("productRecallFigures") == 2 and "recallFigures" not in calls
    assert (paged.in_market_at_open, paged.in_market_now, paged.recovered, paged.destroyed) == (12, 8, 4, 4)


# ------------------------------------------------------------------ the report's figures are the chain's


def _case_with_a_voided_destruction(market) -> tuple[bytes, int]:
    reg, b = market.svc["regulator"], _batch(market)
    _ship(market, b, "hospital", 6)
    rid = _recall(market, b)
    hosp = market.svc["hospital"]
    d = hosp.record_destruction(rid, 2)
    reg.countersign_destruction(d.destruction_id)
    kept = hosp.record_destruction(rid, 3)
    reg.countersign_destruction(kept.destruction_id)
    reg.void_destruction(d.destruction_id, WHY)
    return b, rid


def test_report_completion_is_the_chains_recall_figures(market) -> None:
    reg = market.svc["regulator"]
    _, rid = _case_with_a_voided_destruction(market)
    chain = reg.recall_figures(rid)
    report = reg.audit_report()
    (done,) = [c for c in report.completion if c.recall_id == rid]
    assert (done.outstanding_at_decision, done.in_market_now, done.recovered, done.destroyed_confirmed,
            done.declared) == (chain.in_market_at_open, chain.in_market_now, chain.recovered, chain.destroyed,
                               chain.declared) == (6, 3, 3, 3, 0)
    assert done.percent == chain.percent == 50.0


def test_a_report_whose_chain_figures_the_index_cannot_replay_is_refused(market, monkeypatch) -> None:
    """Generating the report fails closed: the chain's figures are checked against the index's
    replay (here the 'chain' is made to say something else)."""
    import dataclasses

    from fisco_drugtrace.errors import VerificationError

    reg = market.svc["regulator"]
    _, rid = _case_with_a_voided_destruction(market)
    real = type(reg).recall_figures

    def lying(self, recall_id):
        f = real(self, recall_id)
        return dataclasses.replace(f, destroyed=f.destroyed + 2) if recall_id == rid else f

    monkeypatch.setattr(type(reg), "recall_figures", lying)
    with pytest.raises(VerificationError) as err:
        reg.audit_report()
    assert any(f"recall case {rid}: destroyed_confirmed" in d for d in err.value.differences)


def test_verify_recomputes_the_figures_and_fails_closed_on_a_hand_edit(market) -> None:
    import json

    from fisco_drugtrace.drugtrace.audit.report import report_to_json
    from fisco_drugtrace.errors import VerificationError

    reg = market.svc["regulator"]
    _, rid = _case_with_a_voided_destruction(market)
    text = report_to_json(reg.audit_report())
    assert reg.audit_verify_report(text).figures > 0
    data = json.loads(text)
    i = next(k for k, c in enumerate(data["completion"]) if c["recall_id"] == rid)
    for field, delta in (("destroyed_confirmed", 2), ("recovered", -1), ("in_market_now", 1),
                         ("outstanding_at_decision", 5), ("declared", 1)):
        edited = json.loads(text)
        edited["completion"][i][field] += delta
        with pytest.raises(VerificationError) as err:
            reg.audit_verify_report(json.dumps(edited))
        # both checks see it: the replay from the events, and (the head has not moved) recallFigures
        assert any(d.startswith(f"completion[{i}].{field}: report") and "chain's recallFigures" in d
                   for d in err.value.differences), field
        assert any(d.startswith(f"completion[{i}].{field}: report") and "chain's recallFigures" not in d
                   for d in err.value.differences), field


def _batch_with_codes(market, units: int) -> tuple[bytes, list[str]]:
    man = market.svc["manufacturer"]
    n = next(_lots)
    now = man.now_ms()
    codes = story_codes(units, f"{6100000 + n:07d}")
    b = man.register_batch(_product(market, 0).product_id, f"COR-{n}", codes, production_date=now,
                           expiry_date=now + 365 * DAY).batch.batch_id
    man.pass_release_gate(b)
    man.release_batch(b)
    return b, codes


def test_the_index_debits_decommissioned_units_from_their_holder(market) -> None:
    """A unit recorded stolen, lost, sampled or destroyed leaves its holder's stock on chain; the
    index's holdings kept it (where-is showed it still at the pharmacy), now they follow, and
    where-is accounts for it."""
    reg, pharm = market.svc["regulator"], market.svc["pharmacy"]
    b, codes = _batch_with_codes(market, 10)
    _ship(market, b, "pharmacy", 6)
    # the pharmacy holds codes 0..5 (the MAH's first shipment, first-in first-out: D9)
    pharm.decommission([codes[4], codes[5]], "stolen")
    reg.decommission([codes[3]], "sampled", holder=market.orgs["pharmacy"])
    rows = _index_matches_chain(market, b)
    assert rows[market.orgs["pharmacy"]][:2] == (3, 0)
    found = reg.where_is(b)
    assert (found.decommissioned, found.accounted, found.unit_count) == (3, 10, 10)


def test_units_lost_during_a_case_are_written_off_on_chain_in_the_index_and_the_report(market) -> None:
    """Units missing from a receipt, or stolen at a holder, during a case: written off (never
    "recovered", no longer outstanding) by the chain, replayed alike by the index, and a report
    claiming them recovered fails verification."""
    import json

    from fisco_drugtrace.drugtrace.audit.figures import case_figures
    from fisco_drugtrace.drugtrace.audit.report import report_to_json
    from fisco_drugtrace.errors import VerificationError

    reg, man, pharm = market.svc["regulator"], market.svc["manufacturer"], market.svc["pharmacy"]
    b, codes = _batch_with_codes(market, 12)
    _ship(market, b, "pharmacy", 6)
    sid = man.dispatch(b, market.orgs["hospital"], market.orgs["logistics"], 4).shipment_id
    rid = _recall(market, b)
    market.svc["hospital"].receive(sid, 1)  # 3 lost in transit
    pharm.decommission([codes[5]], "stolen")  # one of the pharmacy's own codes (0..5, D9)
    back = pharm.dispatch_return(b, market.orgs["manufacturer"], market.orgs["logistics"], 2).shipment_id
    man.receive(back)
    chain = reg.recall_figures(rid)
    assert (chain.in_market_at_open, chain.in_market_now, chain.recovered, chain.written_off) == (10, 4, 2, 4)
    assert chain.percent == 20.0
    with reg.open_audit_index() as index:
        reg.audit_sync(index)
        replayed = case_figures(index, rid)
    assert replayed == type(replayed)(rid, 10, 4, 2, 0, 0, 4)
    # the index debits a decommissioned unit from its holder as the ledger does (it did not)
    _index_matches_chain(market, b)
    found = reg.where_is(b)
    assert (found.decommissioned, found.missing, found.accounted, found.unit_count) == (1, 3, 12, 12)
    text = report_to_json(reg.audit_report())
    data = json.loads(text)
    i = next(k for k, c in enumerate(data["completion"]) if c["recall_id"] == rid)
    assert (data["completion"][i]["recovered"], data["completion"][i]["written_off"]) == (2, 4)
    assert reg.audit_verify_report(text).figures > 0
    data["completion"][i]["recovered"], data["completion"][i]["written_off"] = 6, 0  # the old reading
    with pytest.raises(VerificationError) as err:
        reg.audit_verify_report(json.dumps(data))
    assert any(d.startswith(f"completion[{i}].written_off") for d in err.value.differences)


def test_adverse_reaction_alerts_follow_a_voided_report(market) -> None:
    """The index's alerts after an ObservationVoided of a counted SERIOUS report: the report's own
    alerts say "voided"; the later report's count and threshold alerts, which counted it, say
    that it was voided since (they stood unmarked while the chain's count and stop followed the
    void). The index derives no gate or ADR count of its own: those are the chain's."""
    reg = market.svc["regulator"]
    b = _batch(market, product=11)
    _ship(market, b, "pharmacy", 5)
    _ship(market, b, "hospital", 5)
    reg.set_adr_policy(reg.get_batch(b).product_id, 2, True, window_ms=DAY)
    first = market.svc["pharmacy"].observe(ObservationPoint.ADVERSE_REACTION, b, ObservationResult.SERIOUS)
    second = market.svc["hospital"].observe(ObservationPoint.ADVERSE_REACTION, b, ObservationResult.SERIOUS)
    assert reg.get_batch(b).state is LifecycleState.STOPPED
    done = reg.void_observation(first.observation_id, WHY)
    assert done.stop_lifted is True and reg.get_batch(b).state is LifecycleState.LISTED
    assert reg.suite.call(reg.suite.observations, "seriousReactionCount", b) == 1
    found = {(a.kind, a.args.get("observationId")): a.description for a in reg.audit_alerts()
             if a.batch_id == "0x" + b.hex() or a.kind == "ObservationVoided"}
    f, s = first.observation_id, second.observation_id
    assert found[("SeriousAdverseReactionReported", f)].endswith("— voided")
    assert ("ObservationVoided", f) in found
    for kind in ("SeriousAdverseReactionReported", "AdverseReactionThresholdReached"):
        assert found[(kind, s)].endswith(f"— counted report #{f} voided since"), kind
    # a report that was never counted changes no count: its void marks nothing else
    market.svc["hospital"].observe(ObservationPoint.ADVERSE_REACTION, b, ObservationResult.SERIOUS)  # same reporter
    third = market.svc["hospital"].observe(ObservationPoint.ADVERSE_REACTION, b, ObservationResult.SERIOUS)
    reg.void_observation(third.observation_id, WHY)
    again = {(a.kind, a.args.get("observationId")): a.description for a in reg.audit_alerts()}
    assert again[("AdverseReactionThresholdReached", s)] == found[("AdverseReactionThresholdReached", s)]


def test_a_void_after_a_follow_up_opened_moves_the_units_under_it_on_chain_and_in_the_index(market) -> None:
    from fisco_drugtrace.drugtrace.audit.figures import case_figures

    reg, man, pharm = market.svc["regulator"], market.svc["manufacturer"], market.svc["pharmacy"]
    b = _batch(market)
    _ship(market, b, "pharmacy", 6)
    rid = _recall(market, b)
    d = pharm.record_destruction(rid, 4)
    reg.countersign_destruction(d.destruction_id)
    man.issue_notice(rid)
    man.complete_recall(rid)
    reg.evaluate_recall(rid, True)
    follow = reg.open_follow_up(b, RecallLevel.II).recall_id
    reg.void_destruction(d.destruction_id, WHY)
    chain = reg.recall_figures(follow)
    assert (chain.in_market_at_open, chain.in_market_now, chain.recovered) == (6, 6, 0)
    with reg.open_audit_index() as index:
        reg.audit_sync(index)
        for case in (rid, follow):
            replayed, on_chain = case_figures(index, case), reg.recall_figures(case)
            assert (replayed.in_market_at_open, replayed.in_market_now, replayed.recovered, replayed.destroyed,
                    replayed.written_off) == (on_chain.in_market_at_open, on_chain.in_market_now,
                                              on_chain.recovered, on_chain.destroyed, on_chain.written_off), case
    assert reg.audit_report().completion  # the report's chain figures and the index's replay agree
