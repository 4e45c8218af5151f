"""Ranked authority (issue 12, defect 1): the organisation that imposes an emergency stop, a
suspension or a failed-inspection release block is recorded with the decision, and only the same
or a higher authority lifts it. National outranks provincial; a provincial regulator ranks only in
its region; decisions of non-regulators (a MAH's self-stop) are lifted by any regulator in remit.
Every (imposer, lifter) pair is tested for each of the three decisions."""

from __future__ import annotations

import pytest

from harness import Reverted, address_of
from model import Kind, State
from world import REGION_A, Scene

Z32 = bytes(32)
EVIDENCE = b"\x51" * 32

IMPOSERS = ["nat", "prov", "prov2", "man"]
LIFTERS = ["nat", "prov", "prov2", "prov_b"]


def expected(imposer: str, lifter: str) -> str | None:
    """The revert the rank rule gives (None = the lift succeeds)."""
    if lifter == "prov_b":
        return "outside remit"  # region B has no remit over region A's MAH / pharmacy
    if lifter == "nat" or imposer in ("man", lifter):
        return None
    if imposer == "nat":
        return "outranked"
    return None  # prov and prov2 are the same authority (region A's provincial regulator)


def _with_prov2(scene: Scene) -> None:
    if "prov2" not in scene.w.actors:
        scene.w.onboard("prov2", Kind.PROVINCIAL, REGION_A, account=address_of(77))


@pytest.mark.parametrize("scope", ["batch", "product"])
@pytest.mark.parametrize("lifter", LIFTERS)
@pytest.mark.parametrize("imposer", IMPOSERS)
def test_emergency_stop_is_lifted_only_by_same_or_higher_authority(scene: Scene, scope: str, imposer: str,
                                                                   lifter: str) -> None:
    w = scene.w
    _with_prov2(scene)
    target = scene.batch.batch_id if scope == "batch" else scene.product
    fn = "transitionBatch" if scope == "batch" else "transitionProduct"
    w.drugs.transact(fn, target, int(State.STOPPED), 0, EVIDENCE, sender=w.acct(imposer))
    assert w.drugs.call("stopAuthority", target) == w.org(imposer)
    want = expected(imposer, lifter)
    if want is None:
        w.drugs.transact(fn, target, int(State.LISTED), 0, EVIDENCE, sender=w.acct(lifter))
        state = w.batch_state(target) if scope == "batch" else w.product_state(target)
        assert state == State.LISTED
        return
    with pytest.raises(Reverted) as info:
        w.drugs.transact(fn, target, int(State.LISTED), 0, EVIDENCE, sender=w.acct(lifter))
    if want == "outranked":
        assert (info.value.name, info.value.args_) == ("DrugRegistryOutranked", (target, w.org(imposer), w.org(lifter)))
    else:
        assert info.value.name == "DrugRegistryOutsideRemit"


def test_automatic_stop_carries_the_inspecting_regulators_rank(scene: Scene) -> None:
    """A national FAIL inspection stops the batch on the NMPA's authority: the province cannot lift it."""
    w, b = scene.w, scene.batch.batch_id
    w.obs.transact("recordObservation", 6, b, 0, 2, 0, 0, EVIDENCE, sender=w.acct("nat"))
    assert w.batch_state(b) == State.STOPPED and w.drugs.call("stopAuthority", b) == w.org("nat")
    with pytest.raises(Reverted) as info:
        w.drugs.transact("transitionBatch", b, int(State.LISTED), 0, EVIDENCE, sender=w.acct("prov"))
    assert info.value.name == "DrugRegistryOutranked"


@pytest.mark.parametrize("lifter", LIFTERS)
@pytest.mark.parametrize("imposer", ["nat", "prov", "prov2"])
def test_suspension_is_lifted_only_by_same_or_higher_authority(scene: Scene, imposer: str, lifter: str) -> None:
    w = scene.w
    _with_prov2(scene)
    pharm = w.org("pharm")
    w.orgs.transact("suspendOrg", pharm, EVIDENCE, sender=w.acct(imposer))
    assert w.orgs.call("suspendedBy", pharm) == w.org(imposer)
    want = expected(imposer, lifter)
    if want is None:
        w.orgs.transact("restoreOrg", pharm, EVIDENCE, sender=w.acct(lifter))
        assert w.orgs.call("getOrg", pharm)[1] == 1
        assert w.orgs.call("suspendedBy", pharm) == Z32
        return
    with pytest.raises(Reverted) as info:
        w.orgs.transact("restoreOrg", pharm, EVIDENCE, sender=w.acct(lifter))
    if want == "outranked":
        assert (info.value.name, info.value.args_) == ("OrgRegistryOutranked", (pharm, w.org(imposer), w.org(lifter)))
    else:
        assert info.value.name == "OrgRegistryOutsideRemit"
    assert w.orgs.call("getOrg", pharm)[1] == 2


@pytest.mark.parametrize("lifter", LIFTERS)
@pytest.mark.parametrize("imposer", ["nat", "prov", "prov2"])
def test_release_block_is_lifted_only_by_same_or_higher_authority(scene: Scene, imposer: str, lifter: str) -> None:
    w = scene.w
    _with_prov2(scene)
    info = w.commit_batch(scene.product, "RANK1", 8, release=False)
    blocked = w.obs.transact("recordObservation", 6, info.batch_id, 0, 2, 0, 0, EVIDENCE,
                             sender=w.acct(imposer)).output
    assert w.obs.call("releaseStatus", scene.product, info.batch_id)[5] == blocked
    want = expected(imposer, lifter)
    if want == "outside remit":
        with pytest.raises(Reverted) as err:
            w.obs.transact("recordObservation", 6, info.batch_id, 0, 0, 0, 0, EVIDENCE, sender=w.acct(lifter))
        assert err.value.name == "ObservationLogUnauthorizedReporter"
        return
    r = w.obs.transact("recordObservation", 6, info.batch_id, 0, 0, 0, 0, EVIDENCE, sender=w.acct(lifter))
    still = w.obs.call("releaseStatus", scene.product, info.batch_id)[5]
    if want is None:
        assert still == 0 and r.named("ReleaseUnblocked")
    else:  # the OK inspection is recorded, the national block stays
        assert still == blocked and not r.named("ReleaseUnblocked")
        # a lower authority's later failed inspection does not replace the higher one's block either
        w.obs.transact("recordObservation", 6, info.batch_id, 0, 2, 0, 0, EVIDENCE, sender=w.acct(lifter))
        assert w.obs.call("releaseStatus", scene.product, info.batch_id)[5] == blocked
