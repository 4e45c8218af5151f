"""Issue 12, corrections: voids (EPCIS errorDeclaration) of observations, destruction records and
mis-committed batches, with every derived figure following the void; follow-up recall cases on a
RECALLED batch; product-wide recall figures over its batch cases."""

from __future__ import annotations

from typing import Any

import pytest

from harness import Contract, Reverted
from model import DestructionStatus, State
from world import Scene

Z32 = bytes(32)
WHY = b"\x77" * 32


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


def inspect(scene: Scene, who: str, result: int, batch: bytes | None = None) -> int:
    b = scene.batch.batch_id if batch is None else batch
    return scene.w.obs.transact("recordObservation", 6, b, 0, result, 0, 0, Z32, sender=scene.w.acct(who)).output


# ------------------------------------------------------------------ observations


def test_regulator_void_of_a_failed_inspection_lifts_the_stop_it_caused(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    oid = inspect(scene, "prov", 2)  # FAIL: automatic stop (T1)
    assert w.batch_state(b) == State.STOPPED
    assert w.drugs.call("autoStopReason", b) == oid
    r = w.obs.transact("voidObservation", oid, WHY, sender=w.acct("prov"))
    names = [n for n, _ in w.all_events(r)]
    assert "ObservationVoided" in names and "BatchStateChanged" in names
    assert w.batch_state(b) == State.LISTED
    assert w.obs.call("voidedBy", oid) == w.org("prov")
    # the record stays on chain
    assert w.obs.call("getObservation", oid)[4] == 2
    assert reverts(w.obs, "voidObservation", oid, WHY, sender=w.acct("nat")) == ("ObservationLogAlreadyVoided", (oid,))


def test_failed_inspection_voids_are_ranked_and_in_remit(scene: Scene) -> None:
    w = scene.w
    oid = inspect(scene, "nat", 2)
    # a provincial regulator cannot void the national regulator's record; another region is outside remit
    assert reverts(w.obs, "voidObservation", oid, WHY, sender=w.acct("prov")) == \
        ("ObservationLogVoidUnauthorized", (oid, w.org("prov")))
    assert reverts(w.obs, "voidObservation", oid, WHY, sender=w.acct("prov_b")) == \
        ("ObservationLogVoidUnauthorized", (oid, w.org("prov_b")))
    # the MAH's own FAIL stays on the gate until a regulator voids it
    w.drugs.transact("transitionBatch", scene.batch.batch_id, 1, 0, Z32, sender=w.acct("nat"))
    own = inspect(scene, "man", 2)
    assert reverts(w.obs, "voidObservation", own, WHY, sender=w.acct("man")) == \
        ("ObservationLogVoidUnauthorized", (own, w.org("man")))
    assert reverts(w.obs, "voidObservation", 10**6, WHY, sender=w.acct("nat")) == \
        ("ObservationLogUnknownObservation", (10**6,))


def test_non_regulator_void_leaves_a_stop_to_a_regulator(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.drugs.transact("setAdrPolicy", scene.product, 1, 0, True, sender=w.acct("nat"))
    oid = w.obs.transact("recordObservation", 8, b, 0, 3, 0, 0, Z32, sender=w.acct("hosp")).output
    assert w.batch_state(b) == State.STOPPED and w.obs.call("seriousReactionCount", b) == 1
    w.obs.transact("voidObservation", oid, WHY, sender=w.acct("hosp"))
    assert w.obs.call("seriousReactionCount", b) == 0  # the count follows
    assert w.batch_state(b) == State.STOPPED  # lifting a stop stays a regulator's act (T2)


def test_voided_adr_report_leaves_the_count_and_the_auto_stop(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    w.drugs.transact("setAdrPolicy", scene.product, 2, 86_400_000, True, sender=w.acct("nat"))
    first = w.obs.transact("recordObservation", 8, b, 0, 3, 0, 0, Z32, sender=w.acct("pharm")).output
    w.obs.transact("recordObservation", 8, b, 0, 3, 0, 0, Z32, sender=w.acct("hosp"))
    assert w.batch_state(b) == State.STOPPED and w.obs.call("seriousReactionCount", b) == 2
    # voiding the first report: without it the threshold was never reached, the stop goes
    r = w.obs.transact("voidObservation", first, WHY, sender=w.acct("nat"))
    assert dict(w.all_events(r))["ObservationVoided"]["stopLifted"] is True
    assert w.batch_state(b) == State.LISTED
    assert w.obs.call("seriousReactionCount", b) == 1
    assert w.obs.call("seriousReactionsWithin", b, 86_400_000) == 1
    assert w.obs.call("seriousReactionsWithin", b, 0) == 1  # "0 = all, as seriousReactionCount": without the void
    # the pharmacy may count again, and the window count skips the voided report
    w.obs.transact("recordObservation", 8, b, 0, 3, 0, 0, Z32, sender=w.acct("pharm"))
    assert w.obs.call("seriousReactionCount", b) == 2
    assert w.batch_state(b) == State.STOPPED


def test_release_gate_follows_voided_tests_and_blocks(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "L-GATE", 8, release=False)
    w.pass_release_gate(info)
    b = info.batch_id
    assert w.obs.call("releaseStatus", scene.product, b)[4] is True
    # a regulator's FAIL blocks the release; its void unblocks
    block = inspect(scene, "prov", 2, b)
    assert w.obs.call("releaseStatus", scene.product, b)[5] == block
    w.obs.transact("voidObservation", block, WHY, sender=w.acct("prov"))
    assert w.obs.call("releaseStatus", scene.product, b)[5] == 0
    # a MAH FAIL is on the gate; a regulator's void of it takes it off, the MAH's OK then passes
    fail = inspect(scene, "man", 2, b)
    ok = inspect(scene, "man", 0, b)
    assert w.obs.call("releaseStatus", scene.product, b)[4] is False
    w.obs.transact("voidObservation", fail, WHY, sender=w.acct("nat"))
    assert w.obs.call("releaseStatus", scene.product, b)[4] is True
    # the MAH voids its own OK: the release test is missing again
    w.obs.transact("voidObservation", ok, WHY, sender=w.acct("man"))
    assert w.obs.call("releaseStatus", scene.product, b)[4] is False
    assert reverts(w.drugs, "releaseBatch", b, Z32, sender=w.acct("man")) == ("DrugRegistryReleaseTestMissing", (b,))


def test_voided_regulator_lift_restores_the_block(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "L-LIFT", 8, release=False)
    b = info.batch_id
    block = inspect(scene, "prov", 2, b)
    lift = inspect(scene, "prov", 0, b)
    assert w.obs.call("releaseStatus", scene.product, b)[5] == 0
    w.obs.transact("voidObservation", lift, WHY, sender=w.acct("nat"))
    assert w.obs.call("releaseStatus", scene.product, b)[5] == block


# ------------------------------------------------------------------ batches


def test_unmoved_batch_is_voided_and_its_units_leave_custody(scene: Scene) -> None:
    w = scene.w
    unreleased = w.commit_batch(scene.product, "L-V0", 8, release=False)
    w.drugs.transact("voidBatch", unreleased.batch_id, WHY, sender=w.acct("man"))
    assert w.batch_state(unreleased.batch_id) == State.VOIDED
    released = w.commit_batch(scene.product, "L-V1", 8)
    assert w.holding(released.batch_id, "man") == (8, 0)
    r = w.drugs.transact("voidBatch", released.batch_id, WHY, sender=w.acct("prov"))
    names = [n for n, _ in w.all_events(r)]
    assert {"BatchStateChanged", "BatchVoided", "HoldingCorrected"} <= set(names)
    assert w.holding(released.batch_id, "man") == (0, 0)
    assert w.custody.call("batchStock", released.batch_id) == (0, 0, 0)
    # terminal: nothing moves it again
    assert reverts(w.drugs, "voidBatch", released.batch_id, WHY, sender=w.acct("nat")) == \
        ("DrugRegistryInvalidTransition", (released.batch_id, int(State.VOIDED), int(State.VOIDED)))


def test_moved_batch_cannot_be_voided(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    assert reverts(w.drugs, "voidBatch", b, WHY, sender=w.acct("nat")) == ("DrugRegistryBatchMoved", (b, 64, 24))
    other = w.commit_batch(scene.product, "L-V2", 8)
    w.drugs.transact("transitionBatch", other.batch_id, 2, 0, Z32, sender=w.acct("nat"))
    # the MAH cannot escape the national regulator's stop by voiding the batch
    assert reverts(w.drugs, "voidBatch", other.batch_id, WHY, sender=w.acct("man")) == \
        ("DrugRegistryOutranked", (other.batch_id, w.org("nat"), w.org("man")))
    assert reverts(w.drugs, "voidBatch", other.batch_id, WHY, sender=w.acct("man_b")) == \
        ("DrugRegistryNotProductHolder", (scene.product, w.org("man_b")))


# ------------------------------------------------------------------ destructions and follow-ups


def _recall(scene: Scene) -> int:
    scene.w.stop_batch(scene.batch.batch_id)
    return scene.w.open_recall(scene.product, scene.batch.batch_id, 1)


def test_voided_confirmed_destruction_restores_holding_and_figures(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    rid = _recall(scene)
    did = w.recalls.transact("recordDestruction", rid, 10, False, Z32, sender=w.acct("pharm")).output
    w.recalls.transact("countersignDestruction", did, sender=w.acct("prov"))
    assert w.recalls.call("recallFigures", rid)[3] == 10 and w.holding(b, "pharm") == (0, 0)
    # the executor cannot void a counter-signed record; a regulator can
    assert reverts(w.recalls, "voidDestruction", did, WHY, sender=w.acct("pharm")) == \
        ("RecallManagerVoidUnauthorized", (did, w.org("pharm")))
    r = w.recalls.transact("voidDestruction", did, WHY, sender=w.acct("nat"))
    assert {"DestructionVoided", "HoldingCorrected"} <= {n for n, _ in w.all_events(r)}
    assert w.recalls.call("getDestruction", did)[5] == DestructionStatus.VOIDED
    assert w.holding(b, "pharm") == (10, 10)  # back, quarantined
    at_open, now, recovered, destroyed, _, _ = w.recalls.call("recallFigures", rid)
    assert destroyed == 0 and now == at_open and recovered == 0


def test_recorded_destruction_voided_by_its_author(scene: Scene) -> None:
    w = scene.w
    rid = _recall(scene)
    did = w.recalls.transact("recordDestruction", rid, 5, False, Z32, sender=w.acct("hosp")).output
    assert reverts(w.recalls, "voidDestruction", did, WHY, sender=w.acct("pharm")) == \
        ("RecallManagerVoidUnauthorized", (did, w.org("pharm")))
    w.recalls.transact("voidDestruction", did, WHY, sender=w.acct("hosp"))
    assert reverts(w.recalls, "countersignDestruction", did, sender=w.acct("nat")) == \
        ("RecallManagerDestructionNotPending", (did, int(DestructionStatus.VOIDED)))


def test_follow_up_case_after_close_and_destruction_through_it(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    rid = _recall(scene)
    w.close_recall(rid)
    follow = w.open_recall(scene.product, b, 1, by="nat")
    assert w.recalls.call("recallLinks", follow)[0] == rid
    assert w.recalls.call("latestCase", b) == follow
    assert w.batch_state(b) == State.RECALLED
    # the closed case is superseded: destruction goes through the follow-up
    assert reverts(w.recalls, "recordDestruction", rid, 10, False, Z32, sender=w.acct("pharm")) == \
        ("RecallManagerSuperseded", (rid, follow))
    did = w.recalls.transact("recordDestruction", follow, 10, False, Z32, sender=w.acct("pharm")).output
    w.recalls.transact("countersignDestruction", did, sender=w.acct("nat"))
    assert w.recalls.call("recallFigures", follow)[3] == 10
    w.destroy_recalled_batch(follow, b)
    assert w.batch_state(b) == State.DESTROYED


def test_a_void_after_a_follow_up_opened_puts_the_units_under_the_follow_up(scene: Scene) -> None:
    """A confirmed destruction of the closed case voided once a follow-up case is open: the 10 units
    were never destroyed and are back at the pharmacy. The follow-up covers them (its market at
    the opening takes them); before, it showed 40 units on the market of 30 at its opening. A
    voided destruction of the MAH's own stock changes no market."""
    w, b = scene.w, scene.batch.batch_id
    rid = _recall(scene)
    did = w.recalls.transact("recordDestruction", rid, 10, False, Z32, sender=w.acct("pharm")).output
    w.recalls.transact("countersignDestruction", did, sender=w.acct("nat"))
    own = w.recalls.transact("recordDestruction", rid, 4, False, Z32, sender=w.acct("man")).output
    w.recalls.transact("countersignDestruction", own, sender=w.acct("nat"))
    w.close_recall(rid)
    follow = w.open_recall(scene.product, b, 1, by="nat")
    assert w.recalls.call("recallFigures", follow) == (30, 30, 0, 0, 0, 0)
    w.recalls.transact("voidDestruction", did, WHY, sender=w.acct("nat"))
    assert w.recalls.call("recallFigures", follow) == (40, 40, 0, 0, 0, 0)
    assert w.recalls.call("recallFigures", rid) == (40, 40, 0, 4, 0, 0)  # the closed case's completion corrected
    w.recalls.transact("voidDestruction", own, WHY, sender=w.acct("nat"))
    assert w.recalls.call("recallFigures", follow) == (40, 40, 0, 0, 0, 0)
    assert w.holding(b, "man") == (24, 4)


def test_product_wide_figures_sum_its_batch_cases(scene: Scene) -> None:
    w, p, b = scene.w, scene.product, scene.batch.batch_id
    w.drugs.transact("transitionProduct", p, 2, 0, Z32, sender=w.acct("man"))
    prid = w.open_recall(p, Z32, 1)
    w.stop_batch(b, by="man")
    brid = w.open_recall(p, b, 1)
    assert w.recalls.call("recallLinks", brid)[1] == prid
    assert w.recalls.call("recallLinks", prid)[2] == 1
    did = w.recalls.transact("recordDestruction", brid, 10, False, Z32, sender=w.acct("pharm")).output
    w.recalls.transact("countersignDestruction", did, sender=w.acct("nat"))
    at_open, now, recovered, destroyed, _, _ = w.recalls.call("recallFigures", prid)
    assert (at_open, now, recovered, destroyed) == (40, 30, 10, 10)
    assert w.recalls.call("productRecallFigures", prid, 0, 64) == (1, 40, 30, 10, 0)
