"""The regulator's two vetoes on the release gate (domain §6.3 T0b, §6.4 points 1 and 6):

* a regulator's FAIL/SERIOUS inspection of a batch not yet released blocks ``releaseBatch``
  (``DrugRegistryReleaseBlocked(batchId, observationId)``, checked before the rest of the gate)
  until a regulator records an OK inspection of it; on a LISTED batch the same report stops it (T1);
* a regulator's FAIL process definition with the pending definition's hash rejects it (the MAH
  must propose again); an approved definition stays in force.
"""

from __future__ import annotations

import pytest

from harness import Reverted
from model import Result, State
from world import Scene

Z32 = bytes(32)
HASH_A, HASH_B = b"\xa1" * 32, b"\xb2" * 32


def _refused(call, *args: object, sender: str) -> tuple[str, tuple[object, ...]]:
    with pytest.raises(Reverted) as info:
        call(*args, sender=sender)
    return info.value.name, info.value.args_


def _inspect(scene: Scene, batch: bytes, result: Result, by: str):
    w = scene.w
    return w.obs.transact("recordObservation", 6, batch, 0, int(result), 0, 0, Z32, sender=w.acct(by))


def _define(scene: Scene, product: bytes, steps: int, process_hash: bytes, by: str, result: Result = Result.OK):
    w = scene.w
    return w.obs.transact("recordObservation", 1, product, 0, int(result), 0, steps, process_hash, sender=w.acct(by))


def test_regulator_fail_blocks_release_until_a_regulator_ok(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "BLK1", 4, release=False)
    b = info.batch_id
    w.pass_release_gate(info)  # the MAH's gate holds: only the official inspection is in the way
    r = _inspect(scene, b, Result.FAIL, "prov")
    blocker = r.output
    assert w.all_events(r)[1:] == [("ReleaseBlocked", {"observationId": blocker, "batchId": b,
                                                       "byOrgId": w.org("prov")})]
    assert w.obs.call("releaseStatus", scene.product, b)[5] == blocker
    assert w.batch_state(b) == State.NONE  # not stopped: there is nothing on the market to stop
    assert _refused(w.drugs.transact, "releaseBatch", b, Z32, sender=w.acct("man")) == \
        ("DrugRegistryReleaseBlocked", (b, blocker))
    # the MAH cannot lift it with its own release test, nor a regulator with a DEVIATION
    assert not _inspect(scene, b, Result.OK, "man").named("ReleaseUnblocked")
    assert not _inspect(scene, b, Result.DEVIATION, "nat").named("ReleaseUnblocked")
    # a later SERIOUS finding by another regulator is the one named
    later = _inspect(scene, b, Result.SERIOUS, "nat").output
    assert _refused(w.drugs.transact, "releaseBatch", b, Z32, sender=w.acct("man")) == \
        ("DrugRegistryReleaseBlocked", (b, later))
    # the national block outranks the province: its OK is recorded but lifts nothing (issue 12, 1)
    assert not _inspect(scene, b, Result.OK, "prov").named("ReleaseUnblocked")
    r = _inspect(scene, b, Result.OK, "nat")
    assert w.all_events(r)[1:] == [("ReleaseUnblocked", {"observationId": r.output, "batchId": b,
                                                         "blockingObservationId": later,
                                                         "byOrgId": w.org("nat")})]
    assert w.obs.call("releaseStatus", scene.product, b)[5] == 0
    assert not _inspect(scene, b, Result.OK, "nat").named("ReleaseUnblocked")  # nothing left to lift
    w.drugs.transact("releaseBatch", b, Z32, sender=w.acct("man"))
    assert w.batch_state(b) == State.LISTED


def test_block_is_checked_before_the_rest_of_the_gate(scene: Scene) -> None:
    """An official FAIL on a batch with no approved process, steps or test names the block first."""
    w = scene.w
    p = w.register_product("国药准字H20990011", "1盒")
    b = w.commit_batch(p, "BLK2", 2, release=False).batch_id
    blocker = _inspect(scene, b, Result.FAIL, "nat").output
    assert w.obs.call("releaseStatus", p, b) == (0, 0, 0, 0, False, blocker)
    assert _refused(w.drugs.transact, "releaseBatch", b, Z32, sender=w.acct("man")) == \
        ("DrugRegistryReleaseBlocked", (b, blocker))
    _inspect(scene, b, Result.OK, "nat")
    assert _refused(w.drugs.transact, "releaseBatch", b, Z32, sender=w.acct("man")) == \
        ("DrugRegistryProcessNotApproved", (p, 0, 0))


def test_provincial_regulator_outside_the_region_cannot_block(scene: Scene) -> None:
    w = scene.w
    b = w.commit_batch(scene.product, "BLK3", 2, release=False).batch_id
    assert _refused(w.obs.transact, "recordObservation", 6, b, 0, int(Result.FAIL), 0, 0, Z32,
                    sender=w.acct("prov_b")) == ("ObservationLogUnauthorizedReporter", (6, w.org("prov_b")))
    assert w.obs.call("releaseStatus", scene.product, b)[5] == 0


def test_regulator_fail_on_a_listed_batch_still_stops_it_without_blocking(scene: Scene) -> None:
    w = scene.w
    b = scene.batch.batch_id
    r = _inspect(scene, b, Result.FAIL, "nat")
    assert r.one("BatchStateChanged").args["to"] == int(State.STOPPED)
    assert not r.named("ReleaseBlocked")
    assert w.obs.call("releaseStatus", scene.product, b)[5] == 0


def test_mah_fail_on_an_unreleased_batch_is_its_release_test_not_a_block(scene: Scene) -> None:
    w = scene.w
    info = w.commit_batch(scene.product, "BLK4", 2, release=False)
    w.pass_release_gate(info)
    r = _inspect(scene, info.batch_id, Result.FAIL, "man")
    assert not r.named("ReleaseBlocked")
    assert _refused(w.drugs.transact, "releaseBatch", info.batch_id, Z32, sender=w.acct("man")) == \
        ("DrugRegistryReleaseTestMissing", (info.batch_id,))


def test_regulator_rejects_the_pending_definition(scene: Scene) -> None:
    w = scene.w
    p = w.register_product("国药准字H20990012", "1盒")
    b = w.commit_batch(p, "REJ1", 2, release=False).batch_id
    def_a = _define(scene, p, 2, HASH_A, "man").output
    # a FAIL with another hash, or a DEVIATION with the same one, leaves it pending
    assert not _define(scene, p, 0, HASH_B, "nat", Result.FAIL).named("ProcessDefinitionRejected")
    assert not _define(scene, p, 0, HASH_A, "nat", Result.DEVIATION).named("ProcessDefinitionRejected")
    assert w.obs.call("releaseStatus", p, b)[:2] == (0, def_a)
    # the MAH cannot reject its proposal: its FAIL definition is just a newer proposal
    r = _define(scene, p, 2, HASH_A, "man", Result.FAIL)
    assert not r.named("ProcessDefinitionRejected")
    assert w.obs.call("releaseStatus", p, b)[:2] == (0, r.output)


def test_regulator_rejection_clears_the_pending_definition(scene: Scene) -> None:
    w = scene.w
    p = w.register_product("国药准字H20990013", "1盒")
    b = w.commit_batch(p, "REJ2", 2, release=False).batch_id
    def_a = _define(scene, p, 2, HASH_A, "man").output
    r = _define(scene, p, 0, HASH_A, "prov", Result.FAIL)
    assert w.all_events(r)[1:] == [("ProcessDefinitionRejected", {"observationId": r.output, "productId": p,
                                                                  "definitionId": def_a,
                                                                  "byOrgId": w.org("prov")})]
    assert w.obs.call("releaseStatus", p, b)[:3] == (0, 0, 0)
    # approving the rejected hash now does nothing: the MAH must propose again
    assert not _define(scene, p, 0, HASH_A, "nat").named("ProcessDefinitionApproved")
    assert _refused(w.drugs.transact, "releaseBatch", b, Z32, sender=w.acct("man")) == \
        ("DrugRegistryProcessNotApproved", (p, 0, 0))
    def_a2 = _define(scene, p, 1, HASH_A, "man").output
    assert _define(scene, p, 1, HASH_A, "nat").one("ProcessDefinitionApproved").args["definitionId"] == def_a2


def test_rejecting_a_change_keeps_the_approved_definition(scene: Scene) -> None:
    w = scene.w
    p = w.register_product("国药准字H20990014", "1盒")
    info = w.commit_batch(p, "REJ3", 2, release=False)
    b = info.batch_id
    def_a = w.approve_process(p, 2, process_hash=HASH_A)
    w.pass_release_gate(info)
    def_b = _define(scene, p, 3, HASH_B, "man").output
    assert _refused(w.drugs.transact, "releaseBatch", b, Z32, sender=w.acct("man")) == \
        ("DrugRegistryProcessNotApproved", (p, def_a, def_b))
    # a FAIL carrying the approved definition's hash is not about the pending one
    assert not _define(scene, p, 0, HASH_A, "nat", Result.FAIL).named("ProcessDefinitionRejected")
    r = _define(scene, p, 0, HASH_B, "nat", Result.FAIL)
    assert r.one("ProcessDefinitionRejected").args["definitionId"] == def_b
    assert w.obs.call("releaseStatus", p, b) == (def_a, 0, 2, 0b11, True, 0)  # steps kept: same definition
    w.drugs.transact("releaseBatch", b, Z32, sender=w.acct("man"))
    assert w.batch_state(b) == State.LISTED
