"""The eight observation points (who may write them is in test_permissions.py) and their automatic
actions (docs/domain.md §6.4): a FAIL inspection stops the batch, a temperature excursion
quarantines, SERIOUS adverse reactions alert when the product's threshold of them falls within its
policy window (none: cumulative) and stop the batch only when the policy says so."""

from __future__ import annotations

from typing import Any

import pytest

from harness import Contract, Reverted, address_of
from model import Kind, Point, Result, State
from world import REGION_A, Scene

Z32 = bytes(32)
EV = b"\xcd" * 32


def reverts(contract: Contract, fn: str, *args: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(Reverted) as info:
        contract.transact(fn, *args, sender=sender)
    return info.value.name, info.value.args_


def observe(scene: Scene, who: str, point: Point, result: Result = Result.OK, lo: int = 50, hi: int = 60,
            shipment: int = 0, subject: bytes | None = None) -> Any:
    s = subject if subject is not None else (scene.product if point == Point.PROCESS_DEFINITION
                                              else scene.batch.batch_id)
    return scene.w.obs.transact("recordObservation", int(point), s, shipment, int(result), lo, hi, EV,
                                sender=scene.w.acct(who))


def test_observation_is_recorded_with_its_fields(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    n = w.obs.call("observationCount")
    r = observe(scene, "hosp", Point.EFFICACY, Result.DEVIATION, -3, 7)
    oid = r.output
    assert oid == n + 1 == w.obs.call("observationCount")
    assert w.all_events(r) == [("ObservationRecorded", {
        "observationId": oid, "point": int(Point.EFFICACY), "subjectId": b, "shipmentId": 0,
        "reporterOrgId": w.org("hosp"), "result": int(Result.DEVIATION), "minValue": -3, "maxValue": 7,
        "evidenceHash": EV})]
    assert w.obs.call("getObservation", oid) == (int(Point.EFFICACY), b, 0, w.org("hosp"), int(Result.DEVIATION),
                                                 -3, 7, w.chain.timestamp_ms, EV)


def test_observation_guards(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    o = w.obs
    assert reverts(o, "recordObservation", 0, b, 0, 0, 0, 0, EV, sender=w.acct("hosp")) == \
        ("ObservationLogInvalidPoint", (0,))
    assert reverts(o, "recordObservation", int(Point.EFFICACY), b"\x01" * 32, 0, 0, 0, 0, EV,
                   sender=w.acct("hosp")) == ("ObservationLogUnknownSubject", (int(Point.EFFICACY), b"\x01" * 32))
    # PROCESS_DEFINITION is about a product: a batch id is an unknown subject
    assert reverts(o, "recordObservation", int(Point.PROCESS_DEFINITION), b, 0, 0, 0, 0, EV,
                   sender=w.acct("man")) == ("ObservationLogUnknownSubject", (int(Point.PROCESS_DEFINITION), b))
    assert reverts(o, "recordObservation", int(Point.STORAGE), b, 0, 0, 9, 8, EV, sender=w.acct("dist")) == \
        ("ObservationLogInvalidRange", (9, 8))
    assert reverts(o, "recordObservation", int(Point.TRANSPORT), b, 0, 0, 1, 2, EV, sender=w.acct("log")) == \
        ("ObservationLogInvalidShipment", (0, b, w.org("log")))
    # a shipment of the batch, but carried by another logistics org
    other = w.onboard("log2", Kind.LOGISTICS, 110000, account="0x" + "5e" * 20)
    assert reverts(o, "recordObservation", int(Point.TRANSPORT), b, 1, 0, 1, 2, EV, sender=other.account) == \
        ("ObservationLogInvalidShipment", (1, b, other.org_id))
    # a shipment of another batch
    info2 = w.commit_batch(scene.product, "OTHER", 4)
    sid = w.ship(info2.batch_id, "man", "dist", 2)
    assert reverts(o, "recordObservation", int(Point.TRANSPORT), b, sid, 0, 1, 2, EV, sender=w.acct("log")) == \
        ("ObservationLogInvalidShipment", (sid, b, w.org("log")))
    # ORDER needs a usable batch
    w.stop_batch(b)
    assert reverts(o, "recordObservation", int(Point.ORDER), b, 0, 0, 1, 2, EV, sender=w.acct("pharm")) == \
        ("ObservationLogSubjectNotListed", (b,))


@pytest.mark.parametrize("reporter", ["nat", "prov", "man"])
@pytest.mark.parametrize("result", list(Result), ids=[r.name for r in Result])
def test_failed_inspection_stops_the_batch(scene: Scene, reporter: str, result: Result) -> None:
    w, b = scene.w, scene.batch.batch_id
    r = observe(scene, reporter, Point.INSPECTION, result)
    # the MAH's own inspection is also the batch's release test (its latest result counts)
    release_test = [("ReleaseTestRecorded", {"observationId": r.output, "batchId": b,
                                             "passed": result == Result.OK})] if reporter == "man" else []
    recorded = ["ObservationRecorded"] + (["ReleaseTestRecorded"] if reporter == "man" else [])
    assert w.obs.call("releaseStatus", scene.product, b)[4] is (result == Result.OK or reporter != "man")
    if result in (Result.FAIL, Result.SERIOUS):
        assert w.all_events(r)[1:] == release_test + [("BatchStateChanged", {
            "batchId": b, "from": int(State.LISTED), "to": int(State.STOPPED), "byOrgId": w.org(reporter),
            "reasonId": r.output, "evidenceHash": EV})]
        assert w.batch_state(b) == State.STOPPED
        again = observe(scene, reporter, Point.INSPECTION, result)  # already stopped: recorded, no transition
        assert [e.name for e in again.events] == recorded
    else:
        assert w.all_events(r)[1:] == release_test
        assert w.batch_state(b) == State.LISTED


@pytest.mark.parametrize("point", [Point.STORAGE, Point.TRANSPORT], ids=["storage", "transport"])
@pytest.mark.parametrize("lo,hi,excursion", [(20, 250, False), (19, 100, True), (100, 251, True), (-400, 900, True),
                                             (120, 120, False)])
def test_temperature_range_is_checked_against_the_product(scene: Scene, point: Point, lo: int, hi: int,
                                                          excursion: bool) -> None:
    w, b = scene.w, scene.batch.batch_id
    who, sid = ("dist", 0) if point == Point.STORAGE else ("log", 2)  # shipment 2: dist -> pharm, received
    r = observe(scene, who, point, Result.OK, lo, hi, shipment=sid)
    holder = "dist" if point == Point.STORAGE else "pharm"
    if not excursion:
        assert [e.name for e in r.events] == ["ObservationRecorded"]
        assert w.holding(b, holder) == (w.holding(b, holder)[0], 0)
        return
    ev = r.one("TemperatureExcursion")
    assert ev.args == {"observationId": r.output, "batchId": b, "shipmentId": sid, "reporterOrgId": w.org(who),
                       "minValue": lo, "maxValue": hi, "allowedMin": 20, "allowedMax": 250}
    qty = w.holding(b, holder)[0]
    assert r.one("HoldingQuarantined").args == {"batchId": b, "orgId": w.org(holder), "quantity": qty,
                                                "reasonId": r.output}
    assert w.holding(b, holder) == (qty, qty)


def test_storage_excursion_by_a_carrier_quarantines_nothing(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    r = observe(scene, "log", Point.STORAGE, Result.OK, 300, 400)
    assert [e.name for e in r.events] == ["ObservationRecorded", "TemperatureExcursion"]
    assert [w.holding(b, n) for n in ("man", "dist", "pharm", "hosp")] == [(24, 0), (20, 0), (10, 0), (10, 0)]


@pytest.mark.parametrize("threshold,autostop", [(0, True), (3, False), (3, True), (1, True)])
def test_serious_adverse_reactions_threshold(scene: Scene, threshold: int, autostop: bool) -> None:
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    pol = w.drugs.transact("setAdrPolicy", p, threshold, 0, autostop, sender=w.acct("prov"))
    assert pol.one("AdrPolicySet").args == {"productId": p, "threshold": threshold, "windowMs": 0,
                                            "autoStop": autostop, "byOrgId": w.org("prov")}
    assert w.drugs.call("adrPolicy", p) == (threshold, 0, autostop)
    # non-serious reports are not counted
    observe(scene, "hosp", Point.ADVERSE_REACTION, Result.FAIL)
    assert w.obs.call("seriousReactionCount", b) == 0
    # four distinct reporters that may count: two that hold units, the MAH and a regulator
    reporters = ["hosp", "pharm", "man", "nat"]
    stopped_at = None
    for n, who in enumerate(reporters, start=1):
        r = observe(scene, who, Point.ADVERSE_REACTION, Result.SERIOUS)
        assert r.one("SeriousAdverseReactionReported").args == {"observationId": r.output, "batchId": b,
                                                                "productId": p, "seriousCount": n}
        reached = threshold != 0 and n >= threshold
        if not reached:
            assert not r.named("AdverseReactionThresholdReached")
            continue
        stop_now = autostop and stopped_at is None
        assert r.one("AdverseReactionThresholdReached").args == {
            "observationId": r.output, "batchId": b, "productId": p, "seriousCount": n, "threshold": threshold,
            "batchStopped": stop_now}
        if stop_now:
            stopped_at = n
            assert r.one("BatchStateChanged").args == {"batchId": b, "from": 1, "to": 2, "byOrgId": w.org(who),
                                                       "reasonId": r.output, "evidenceHash": EV}
        else:
            assert not r.named("BatchStateChanged")
    assert w.obs.call("seriousReactionCount", b) == len(reporters)
    expected_state = State.STOPPED if (autostop and threshold and threshold <= len(reporters)) else State.LISTED
    assert w.batch_state(b) == expected_state
    assert stopped_at == (threshold if expected_state == State.STOPPED else None)


MINUTE = 60_000


def _serious(scene: Scene, after_ms: int, who: str = "hosp") -> Any:
    """Advance the chain clock by ``after_ms``, then report one SERIOUS adverse reaction."""
    if after_ms:
        scene.w.chain.advance(after_ms)
    return observe(scene, who, Point.ADVERSE_REACTION, Result.SERIOUS)


def _hospitals(scene: Scene, n: int) -> list[str]:
    """``n`` more hospitals of region A, each holding one unit of the scene's batch (reporters that count)."""
    w = scene.w
    names = []
    for i in range(n):
        name = f"hosp_{i}"
        w.onboard(name, Kind.HOSPITAL, REGION_A, account=address_of(200 + i))
        w.ship(scene.batch.batch_id, "man" if i < 20 else "dist", name, 1)
        names.append(name)
    return names


def _reached(r: Any) -> bool:
    return bool(r.named("AdverseReactionThresholdReached"))


def test_adr_policy_threshold_is_capped(scene: Scene) -> None:
    w, p = scene.w, scene.product
    assert reverts(w.drugs, "setAdrPolicy", p, 33, MINUTE, True, sender=w.acct("nat")) == (
        "DrugRegistryInvalidAdrPolicy", (33, 32))
    assert reverts(w.drugs, "setAdrPolicy", p, 65535, 0, False, sender=w.acct("nat")) == (
        "DrugRegistryInvalidAdrPolicy", (65535, 32))
    assert w.drugs.call("adrPolicy", p) == (0, 0, False)
    r = w.drugs.transact("setAdrPolicy", p, 32, 7 * MINUTE, True, sender=w.acct("nat"))
    assert r.one("AdrPolicySet").args == {"productId": p, "threshold": 32, "windowMs": 7 * MINUTE,
                                          "autoStop": True, "byOrgId": w.org("nat")}
    assert w.drugs.call("adrPolicy", p) == (32, 7 * MINUTE, True)


@pytest.mark.parametrize("gap,reached", [(10 * MINUTE, True), (10 * MINUTE + 1, False)])
def test_adr_window_edge(scene: Scene, gap: int, reached: bool) -> None:
    """Threshold 2 in 10 minutes: a second report exactly 10 minutes after the first is within the
    window (oldest >= now - window); one millisecond later it is not."""
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    w.drugs.transact("setAdrPolicy", p, 2, 10 * MINUTE, True, sender=w.acct("nat"))
    assert not _reached(_serious(scene, 0))
    r = _serious(scene, gap, "pharm")
    assert _reached(r) is reached
    assert r.one("SeriousAdverseReactionReported").args["seriousCount"] == 2
    assert w.batch_state(b) == (State.STOPPED if reached else State.LISTED)
    assert w.obs.call("seriousReactionsWithin", b, 10 * MINUTE) == (2 if reached else 1)
    assert w.obs.call("seriousReactionsWithin", b, 0) == 2


def test_adr_window_threshold_one_always_reached(scene: Scene) -> None:
    w, p = scene.w, scene.product
    w.drugs.transact("setAdrPolicy", p, 1, 1, False, sender=w.acct("nat"))
    for gap, who in ((0, "hosp"), (5 * MINUTE, "pharm"), (1, "man")):
        r = _serious(scene, gap, who)
        assert r.one("AdverseReactionThresholdReached").args["batchStopped"] is False
        assert r.one("AdverseReactionThresholdReached").args["threshold"] == 1


def test_adr_window_slides_and_the_ring_wraps(scene: Scene) -> None:
    """35 spaced reports (more than the 32 kept) under threshold 3 in 10 minutes: the alert follows
    the three latest reports only, after the ring has wrapped around."""
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    w.drugs.transact("setAdrPolicy", p, 3, 10 * MINUTE, False, sender=w.acct("nat"))
    times: list[int] = []
    outcomes = []
    reporters = _hospitals(scene, 36)  # distinct organisations: one counts once per window
    for n in range(1, 36):
        gap = 12 * MINUTE if n % 4 == 0 else MINUTE  # every fourth report comes after a lull
        r = _serious(scene, gap if n > 1 else 0, reporters[n - 1])
        times.append(w.chain.timestamp_ms)
        expected = n >= 3 and times[-3] >= times[-1] - 10 * MINUTE
        assert _reached(r) is expected, n
        outcomes.append(expected)
        assert r.one("SeriousAdverseReactionReported").args["seriousCount"] == n
    assert outcomes[32:] == [False, True, True]  # both sides of the window after the ring wrapped
    assert w.obs.call("seriousReactionCount", b) == 35
    now = w.chain.timestamp_ms
    for window in (MINUTE, 10 * MINUTE, 60 * MINUTE, 10**9):
        assert w.obs.call("seriousReactionsWithin", b, window) == sum(1 for t in times[-32:] if t >= now - window)
    assert w.obs.call("seriousReactionsWithin", b, 10**9) == 32  # only the latest 32 are kept
    # the cap: threshold 32 in a wide window is reached again by the next report
    w.drugs.transact("setAdrPolicy", p, 32, 10**9, False, sender=w.acct("nat"))
    assert _reached(_serious(scene, MINUTE, reporters[35]))


def test_adr_window_zero_counts_cumulatively(scene: Scene) -> None:
    w, p = scene.w, scene.product
    w.drugs.transact("setAdrPolicy", p, 2, 0, True, sender=w.acct("nat"))
    assert not _reached(_serious(scene, 0))
    r = _serious(scene, 365 * 86_400_000, "pharm")
    assert r.one("AdverseReactionThresholdReached").args["batchStopped"] is True


def test_orders_and_efficacy_have_no_automatic_action(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    for who, point in (("pharm", Point.ORDER), ("hosp", Point.EFFICACY)):
        r = observe(scene, who, point, Result.FAIL)
        assert [e.name for e in r.events] == ["ObservationRecorded"], (who, point)
    assert w.batch_state(b) == State.LISTED
