"""Recall cases (docs/domain.md §2, §6.3 T3/T4): levels I/II/III with notice deadlines of 1/3/7 days
in milliseconds, voluntary vs ordered, notice before/at/after the deadline, progress reports and
their intervals, recovered quantities per holder, evaluation, and destruction with a supervisor's
counter-signature."""

from __future__ import annotations

from typing import Any

import pytest

from harness import DAY_MS, Contract, Reverted
from model import DestructionStatus, Level, RecallKind, RecallStatus, State
from world import Scene

Z32 = bytes(32)
R = b"\x3c" * 32
LEVELS = [Level.I, Level.II, Level.III]
DAYS = {Level.I: 1, Level.II: 3, Level.III: 7}


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


def open_case(scene: Scene, level: Level = Level.II, by: str = "man") -> int:
    scene.w.stop_batch(scene.batch.batch_id)
    return scene.w.open_recall(scene.product, scene.batch.batch_id, int(level), by=by)


def test_level_intervals_are_days_in_milliseconds(scene: Scene) -> None:
    rm = scene.w.recalls
    assert [rm.call("levelInterval", int(lv)) for lv in LEVELS] == [86_400_000, 3 * 86_400_000, 7 * 86_400_000]
    with pytest.raises(Reverted) as info:
        rm.call("levelInterval", 0)
    assert (info.value.name, info.value.args_) == ("RecallManagerInvalidLevel", (0,))


@pytest.mark.parametrize("by,kind", [("man", RecallKind.VOLUNTARY), ("nat", RecallKind.ORDERED),
                                     ("prov", RecallKind.ORDERED)])
@pytest.mark.parametrize("level", LEVELS, ids=[lv.name for lv in LEVELS])
def test_open_recall_voluntary_or_ordered(scene: Scene, level: Level, by: str, kind: RecallKind) -> None:
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    w.stop_batch(b)
    w.chain.advance(12_345)
    now = w.chain.timestamp_ms
    r = w.recalls.transact("openRecall", p, b, int(level), R, sender=w.acct(by))
    rid = r.output
    assert rid == w.recalls.call("recallCount")
    assert w.all_events(r) == [
        ("RecallOpened", {"recallId": rid, "productId": p, "batchId": b, "level": int(level), "kind": int(kind),
                          "initiatorOrgId": w.org(by), "decidedAt": now,
                          "noticeDeadline": now + DAYS[level] * DAY_MS, "reasonHash": R}),
        ("BatchStateChanged", {"batchId": b, "from": int(State.STOPPED), "to": int(State.RECALLED),
                               "byOrgId": w.org(by), "reasonId": rid, "evidenceHash": R}),
    ]
    assert w.recalls.call("getRecall", rid) == (p, b, w.org("man"), w.org(by), int(level), int(kind),
                                                int(RecallStatus.OPEN))
    assert w.recalls.call("recallTimes", rid) == (now, now + DAYS[level] * DAY_MS, 0, 0, 0, 0)
    assert w.batch_state(b) == State.RECALLED


def test_open_recall_guards(scene: Scene) -> None:
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    m = w.acct("man")
    assert reverts(w.recalls, "openRecall", p, b, 0, R, sender=m) == ("RecallManagerInvalidLevel", (0,))
    # T3 needs STOPPED: a LISTED batch cannot be recalled directly
    assert reverts(w.recalls, "openRecall", p, b, 1, R, sender=m) == ("DrugRegistryInvalidTransition", (b, 1, 3))
    other_product = w.register_product("国药准字X", "1支")
    assert reverts(w.recalls, "openRecall", other_product, b, 1, R, sender=m) == \
        ("RecallManagerInvalidScope", (other_product, b))
    assert reverts(w.recalls, "openRecall", b"\x05" * 32, Z32, 1, R, sender=m) == \
        ("RecallManagerInvalidScope", (b"\x05" * 32, Z32))
    w.stop_batch(b)
    rid = w.open_recall(p, b, 1)
    # already RECALLED: a second case on the same batch waits for the first to close (then it is a follow-up)
    assert reverts(w.recalls, "openRecall", p, b, 1, R, sender=w.acct("nat")) == \
        ("RecallManagerCaseStillOpen", (b, rid))
    assert rid == 1


@pytest.mark.parametrize("offset,late", [(-1, False), (0, False), (1, True), (DAY_MS, True)],
                         ids=["before", "at", "just-after", "a-day-after"])
@pytest.mark.parametrize("level", LEVELS, ids=[lv.name for lv in LEVELS])
def test_notice_deadline(scene: Scene, level: Level, offset: int, late: bool) -> None:
    w = scene.w
    rid = open_case(scene, level)
    decided = w.recalls.call("recallTimes", rid)[0]
    w.chain.set_time(decided + DAYS[level] * DAY_MS + offset, w.chain.number + 1)
    r = w.recalls.transact("issueNotice", rid, R, sender=w.acct("man"))
    assert w.all_events(r) == [("RecallNoticeIssued", {"recallId": rid, "issuedAt": w.chain.timestamp_ms,
                                                        "late": late, "noticeHash": R})]
    assert w.recalls.call("getRecall", rid)[6] == int(RecallStatus.NOTIFIED)
    times = w.recalls.call("recallTimes", rid)
    assert times[2] == times[3] == w.chain.timestamp_ms


@pytest.mark.parametrize("level", LEVELS, ids=[lv.name for lv in LEVELS])
def test_progress_reports_and_their_interval(scene: Scene, level: Level) -> None:
    w = scene.w
    rid = open_case(scene, level)
    m = w.acct("man")
    assert reverts(w.recalls, "reportProgress", rid, R, sender=m) == \
        ("RecallManagerInvalidStatus", (rid, int(RecallStatus.OPEN)))
    w.recalls.transact("issueNotice", rid, R, sender=m)
    interval = DAYS[level] * DAY_MS
    for n, gap, overdue in ((1, interval, False), (2, interval + 1, True), (3, 1000, False)):
        w.chain.advance(gap)
        r = w.recalls.transact("reportProgress", rid, R, sender=m)
        assert w.all_events(r) == [("RecallProgressReported", {"recallId": rid, "reportNo": n,
                                                                "reportedAt": w.chain.timestamp_ms,
                                                                "overdue": overdue, "reportHash": R})]
    times = w.recalls.call("recallTimes", rid)
    assert (times[3], times[4]) == (w.chain.timestamp_ms, 3)
    assert reverts(w.recalls, "issueNotice", rid, R, sender=m) == \
        ("RecallManagerInvalidStatus", (rid, int(RecallStatus.NOTIFIED)))


def test_recovered_quantities_per_holder(scene: Scene) -> None:
    """Declarations are bounded by the declarer's holding and the case total by the units on the
    market at the opening (issue 12, defect 5); holdings at the opening: man 24, dist 20, pharm 10, hosp 10."""
    w, b = scene.w, scene.batch.batch_id
    rid = open_case(scene)
    assert w.recalls.call("recallFigures", rid) == (40, 40, 0, 0, 0, 0)
    expected: dict[str, int] = {}
    total = 0
    for who, qty in (("pharm", 4), ("hosp", 10), ("dist", 7), ("pharm", 6), ("dist", 3)):
        r = w.recalls.transact("recordRecovery", rid, qty, R, sender=w.acct(who))
        expected[who] = expected.get(who, 0) + qty
        total += qty
        assert w.all_events(r) == [("RecoveryRecorded", {"recallId": rid, "orgId": w.org(who), "quantity": qty,
                                                          "orgTotal": expected[who], "caseTotal": total,
                                                          "evidenceHash": R})]
    for who, qty in expected.items():
        assert w.recalls.call("recovered", rid, w.org(who)) == qty
    assert w.recalls.call("recovered", rid, Z32) == total == 30
    assert reverts(w.recalls, "recordRecovery", rid, 1, R, sender=w.acct("pharm")) == \
        ("RecallManagerRecoveryExceedsHolding", (rid, w.org("pharm"), 10, 11))
    # the MAH's own stock at the opening is not recovery
    assert reverts(w.recalls, "recordRecovery", rid, 1, R, sender=w.acct("man")) == \
        ("RecallManagerRecoveryExceedsHolding", (rid, w.org("man"), 0, 1))
    assert reverts(w.recalls, "recordRecovery", rid, 0, R, sender=w.acct("dist")) == \
        ("RecallManagerInvalidQuantity", (0,))
    assert reverts(w.recalls, "recordRecovery", 77, 1, R, sender=w.acct("dist")) == \
        ("RecallManagerUnknownRecall", (77,))
    # the distributor returns its 20 to the MAH: the derived figure follows custody, and the MAH's
    # declaration of the same units would push the case over what was on the market
    sid = w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), 20, R, sender=w.acct("dist")).output
    w.custody.transact("receiveShipment", sid, 20, R, sender=w.acct("man"))
    assert w.recalls.call("recallFigures", rid) == (40, 20, 20, 0, 30, 0)
    assert reverts(w.recalls, "recordRecovery", rid, 11, R, sender=w.acct("man")) == \
        ("RecallManagerRecoveryExceedsCirculation", (rid, 40, 41))


def test_summary_evaluation_cycle(scene: Scene) -> None:
    w = scene.w
    rid = open_case(scene, Level.I, by="prov")
    m = w.acct("man")
    assert reverts(w.recalls, "completeRecall", rid, R, sender=m) == \
        ("RecallManagerInvalidStatus", (rid, int(RecallStatus.OPEN)))
    w.recalls.transact("issueNotice", rid, R, sender=m)
    assert reverts(w.recalls, "evaluateRecall", rid, True, R, sender=w.acct("nat")) == \
        ("RecallManagerInvalidStatus", (rid, int(RecallStatus.NOTIFIED)))
    w.chain.advance(DAY_MS)
    r = w.recalls.transact("completeRecall", rid, R, sender=m)
    assert w.all_events(r) == [("RecallCompleted", {"recallId": rid, "completedAt": w.chain.timestamp_ms,
                                                     "summaryHash": R})]
    assert reverts(w.recalls, "recordRecovery", rid, 1, R, sender=w.acct("dist")) == \
        ("RecallManagerInvalidStatus", (rid, int(RecallStatus.COMPLETED)))
    # not effective: back to recovery
    r = w.recalls.transact("evaluateRecall", rid, False, R, sender=w.acct("prov"))
    assert w.all_events(r) == [("RecallEvaluated", {"recallId": rid, "accepted": False, "byOrgId": w.org("prov"),
                                                     "evaluationHash": R})]
    assert w.recalls.call("getRecall", rid)[6] == int(RecallStatus.NOTIFIED)
    w.recalls.transact("recordRecovery", rid, 2, R, sender=w.acct("dist"))
    w.recalls.transact("completeRecall", rid, R, sender=m)
    w.recalls.transact("evaluateRecall", rid, True, R, sender=w.acct("nat"))
    assert w.recalls.call("getRecall", rid)[6] == int(RecallStatus.CLOSED)
    assert reverts(w.recalls, "recordRecovery", rid, 1, R, sender=w.acct("dist")) == \
        ("RecallManagerInvalidStatus", (rid, int(RecallStatus.CLOSED)))
    assert w.batch_state(scene.batch.batch_id) == State.RECALLED  # closing the case does not move the batch


def close_case(scene: Scene, rid: int) -> None:
    w, m = scene.w, scene.w.acct("man")
    w.recalls.transact("issueNotice", rid, R, sender=m)
    w.recalls.transact("completeRecall", rid, R, sender=m)
    w.recalls.transact("evaluateRecall", rid, True, R, sender=w.acct("nat"))


def test_destruction_and_countersignature(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    rid = open_case(scene)
    # returns flow back to the MAH while RECALLED, arriving quarantined
    sid = w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), 10, R, sender=w.acct("pharm")).output
    w.custody.transact("receiveShipment", sid, 10, R, sender=w.acct("man"))
    assert w.holding(b, "man") == (34, 10)
    # a local destruction at the hospital (not final)
    r = w.recalls.transact("recordDestruction", rid, 10, False, R, sender=w.acct("hosp"))
    d1 = r.output
    assert w.all_events(r) == [("DestructionRecorded", {"destructionId": d1, "recallId": rid,
                                                         "executorOrgId": w.org("hosp"), "quantity": 10,
                                                         "finalDisposal": False, "evidenceHash": R})]
    assert w.recalls.call("getDestruction", d1) == (rid, w.org("hosp"), Z32, 10, False,
                                                    int(DestructionStatus.RECORDED))
    assert w.holding(b, "hosp") == (10, 0)  # nothing leaves before the counter-signature
    r = w.recalls.transact("countersignDestruction", d1, sender=w.acct("aud"))
    # interface order: the ledger's HoldingDestroyed, then DestructionConfirmed (and BatchStateChanged on T4)
    assert w.all_events(r) == [
        ("HoldingDestroyed", {"batchId": b, "orgId": w.org("hosp"), "quantity": 10, "reasonId": d1}),
        ("DestructionConfirmed", {"destructionId": d1, "recallId": rid, "supervisorOrgId": w.org("aud"),
                                  "batchDestroyed": False}),
    ]
    assert w.holding(b, "hosp") == (0, 0)
    assert w.batch_state(b) == State.RECALLED
    assert reverts(w.recalls, "countersignDestruction", d1, sender=w.acct("nat")) == \
        ("RecallManagerDestructionNotPending", (d1, int(DestructionStatus.CONFIRMED)))
    assert reverts(w.recalls, "countersignDestruction", 99, sender=w.acct("nat")) == \
        ("RecallManagerUnknownDestruction", (99,))
    # the MAH's "final" disposal while the case is open and the distributor still holds 20: the
    # units are destroyed, the batch is not (T4 needs the summary accepted and no stock left)
    d2 = w.recalls.transact("recordDestruction", rid, 34, True, R, sender=w.acct("man")).output
    r = w.recalls.transact("countersignDestruction", d2, sender=w.acct("prov"))
    assert [e.name for e in r.events] == ["HoldingDestroyed", "DestructionConfirmed"]
    assert r.one("DestructionConfirmed")["batchDestroyed"] is False
    assert w.holding(b, "man") == (0, 0) and w.batch_state(b) == State.RECALLED
    d3 = w.recalls.transact("recordDestruction", rid, 20, False, R, sender=w.acct("dist")).output
    w.recalls.transact("countersignDestruction", d3, sender=w.acct("prov"))
    assert w.batch_state(b) == State.RECALLED  # no unit left, but the case is still open
    assert w.recalls.call("recallFigures", rid) == (40, 0, 40, 64, 0, 0)
    # accepting the summary with no unit left in custody destroys the batch (T4)
    m = w.acct("man")
    w.recalls.transact("issueNotice", rid, R, sender=m)
    w.recalls.transact("completeRecall", rid, R, sender=m)
    r = w.recalls.transact("evaluateRecall", rid, True, R, sender=w.acct("prov"))
    assert w.all_events(r)[-1] == ("BatchStateChanged", {"batchId": b, "from": int(State.RECALLED),
                                                          "to": int(State.DESTROYED), "byOrgId": w.org("prov"),
                                                          "reasonId": rid, "evidenceHash": R})
    assert w.batch_state(b) == State.DESTROYED
    assert w.recalls.call("getDestruction", d2)[2] == w.org("prov")


def test_destruction_guards(scene: Scene) -> None:
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    rid = open_case(scene)
    assert reverts(w.recalls, "recordDestruction", rid, 0, True, R, sender=w.acct("man")) == \
        ("RecallManagerInvalidQuantity", (0,))
    assert reverts(w.recalls, "recordDestruction", 42, 1, True, R, sender=w.acct("man")) == \
        ("RecallManagerUnknownRecall", (42,))
    # the executor must hold the units when it records and still when the supervisor signs
    assert reverts(w.recalls, "recordDestruction", rid, 11, False, R, sender=w.acct("pharm")) == \
        ("RecallManagerExceedsHolding", (rid, w.org("pharm"), 10, 11))
    d = w.recalls.transact("recordDestruction", rid, 10, False, R, sender=w.acct("pharm")).output
    w.custody.transact("dispatchReturn", b, w.org("man"), w.org("log"), 5, R, sender=w.acct("pharm"))
    assert reverts(w.recalls, "countersignDestruction", d, sender=w.acct("nat")) == \
        ("CustodyLedgerInsufficientStock", (b, w.org("pharm"), 5, 10))
    # a product-wide case has no batch to destroy
    w.drugs.transact("transitionProduct", p, 2, 0, Z32, sender=w.acct("nat"))
    prid = w.open_recall(p, Z32, 3, by="nat")
    assert w.product_state(p) == State.RECALLED
    assert reverts(w.recalls, "recordDestruction", prid, 1, True, R, sender=w.acct("man")) == \
        ("RecallManagerNotBatchScope", (prid,))


def test_final_destructions_destroy_the_batch_only_when_no_stock_is_left(scene: Scene) -> None:
    """Holders may each destroy locally (domain §2.5) and call theirs final; T4 happens only once
    the case is CLOSED and no unit is held anywhere except quarantined stock (issue 12, defect 4)."""
    w, b = scene.w, scene.batch.batch_id
    rid = open_case(scene)
    close_case(scene, rid)
    assert w.batch_state(b) == State.RECALLED  # 64 units still held: closing does not destroy
    d_pharm = w.recalls.transact("recordDestruction", rid, 10, True, R, sender=w.acct("pharm")).output
    r = w.recalls.transact("countersignDestruction", d_pharm, sender=w.acct("aud"))
    assert r.one("DestructionConfirmed")["batchDestroyed"] is False  # 54 units still on shelves
    for who in ("hosp", "dist"):
        d = w.recalls.transact("recordDestruction", rid, w.holding(b, who)[0], True, R, sender=w.acct(who)).output
        assert w.recalls.transact("countersignDestruction", d, sender=w.acct("prov")) \
            .one("DestructionConfirmed")["batchDestroyed"] is False
    d_man = w.recalls.transact("recordDestruction", rid, 24, False, R, sender=w.acct("man")).output
    r = w.recalls.transact("countersignDestruction", d_man, sender=w.acct("nat"))
    # the last unit gone: T4 even without a final flag
    assert [e.name for e in r.events] == ["HoldingDestroyed", "DestructionConfirmed", "BatchStateChanged"]
    assert w.batch_state(b) == State.DESTROYED
    assert w.recalls.call("recallFigures", rid) == (40, 0, 40, 64, 0, 0)


def test_destruction_after_close_is_the_close_out(scene: Scene) -> None:
    w = scene.w
    rid = open_case(scene)
    m = w.acct("man")
    w.recalls.transact("issueNotice", rid, R, sender=m)
    pending = w.recalls.transact("recordDestruction", rid, 3, False, R, sender=w.acct("dist")).output
    w.recalls.transact("completeRecall", rid, R, sender=m)
    w.recalls.transact("evaluateRecall", rid, True, R, sender=w.acct("nat"))
    # CLOSED: destruction of the remaining stock is still recorded (issue 12, defect 6)
    after = w.recalls.transact("recordDestruction", rid, 2, False, R, sender=w.acct("dist")).output
    for d in (pending, after):
        w.recalls.transact("countersignDestruction", d, sender=w.acct("aud"))
    assert w.holding(scene.batch.batch_id, "dist") == (15, 0)


@pytest.mark.parametrize("executor", ["man", "dist", "pharm", "hosp"])
def test_an_executor_kind_can_never_countersign(scene: Scene, executor: str) -> None:
    """Executors are holder kinds and the supervisor mask (regulators, auditor) excludes them all;
    only a regulator recording for a suspended holder needs the self-countersign check."""
    w = scene.w
    rid = open_case(scene)
    d = w.recalls.transact("recordDestruction", rid, 1, False, R, sender=w.acct(executor)).output
    name, args = reverts(w.recalls, "countersignDestruction", d, sender=w.acct(executor))
    assert name == "OrgRegistryUnauthorizedKind" and args[0] == w.org(executor)
