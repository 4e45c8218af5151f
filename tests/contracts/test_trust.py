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
