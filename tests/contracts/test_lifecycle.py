"""The lifecycle table (docs/domain.md §6.3): every (from, to) pair for products and batches, by
every organisation kind, checked against the model's transition tables — the error and its
arguments for pairs not in the table or actors not allowed, and the state-change event with its
arguments for the allowed ones. System-only transitions (T3 recall, T4 destruction, automatic T1)
are exercised through the contracts that own them.
"""

from __future__ import annotations

import pytest

from harness import Reverted
from model import BATCH_TRANSITIONS, MASK, PRODUCT_TRANSITIONS, SYSTEM, Kind, State, bit, transition_mask
from world import Scene

Z32 = bytes(32)
EVIDENCE = b"\xee" * 32
STATES = list(State)
KINDS = [Kind(k) for k in range(1, 9)]  # the supply chain; the platform is refused up front (below)


def drive_product(s: Scene, target: State) -> None:
    w = s.w
    if target == State.LISTED:
        return
    # stopped by the provincial regulator, so every regulator may lift it (rank: issue 12)
    w.drugs.transact("transitionProduct", s.product, int(State.STOPPED), 0, Z32, sender=w.acct("prov"))
    if target == State.RECALLED:
        w.open_recall(s.product, Z32, 1)  # product-wide recall: T3 for the product
    elif target == State.DEREGISTERED:
        w.drugs.transact("transitionProduct", s.product, int(State.DEREGISTERED), 0, Z32, sender=w.acct("nat"))
    assert w.product_state(s.product) == target


def drive_batch(s: Scene, target: State) -> None:
    w, b = s.w, s.batch.batch_id
    if target == State.LISTED:
        return
    w.stop_batch(b, by="prov")  # provincial: every regulator may lift it
    if target in (State.RECALLED, State.DESTROYED):
        rid = w.open_recall(s.product, b, 1)
        if target == State.DESTROYED:  # T4: case closed, every unit destroyed
            w.destroy_recalled_batch(rid, b)
    assert w.batch_state(b) == target


def test_transition_tables_match_the_model() -> None:
    for frm in STATES:
        for to in STATES:
            assert transition_mask(True, frm, to) == BATCH_TRANSITIONS.get((frm, to), 0)
            assert transition_mask(False, frm, to) == PRODUCT_TRANSITIONS.get((frm, to), 0)


@pytest.mark.parametrize("is_batch", [True, False], ids=["batch", "product"])
def test_transition_roles_view_is_the_table(scene: Scene, is_batch: bool) -> None:
    for frm in STATES:
        for to in STATES:
            assert scene.w.drugs.call("transitionRoles", is_batch, int(frm), int(to)) == \
                transition_mask(is_batch, frm, to), (is_batch, frm.name, to.name)


PRODUCT_FROM = [State.LISTED, State.STOPPED, State.RECALLED, State.DEREGISTERED]
BATCH_FROM = [State.LISTED, State.STOPPED, State.RECALLED, State.DESTROYED]


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
@pytest.mark.parametrize("to", STATES, ids=[s.name for s in STATES])
@pytest.mark.parametrize("frm", PRODUCT_FROM, ids=[s.name for s in PRODUCT_FROM])
def test_product_transition(scene: Scene, frm: State, to: State, kind: Kind) -> None:
    w = scene.w
    drive_product(scene, frm)
    actor = w.primary(kind)
    mask = transition_mask(False, frm, to)
    w.chain.advance(60_000)
    if mask == 0 or not mask & bit(kind):
        expected = ("DrugRegistryInvalidTransition", (scene.product, int(frm), int(to))) if mask == 0 else \
            ("DrugRegistryUnauthorizedTransition", (scene.product, int(frm), int(to), actor.org_id))
        with pytest.raises(Reverted) as info:
            w.drugs.transact("transitionProduct", scene.product, int(to), 7, EVIDENCE, sender=actor.account)
        assert (info.value.name, info.value.args_) == expected
        assert w.product_state(scene.product) == frm
        return
    r = w.drugs.transact("transitionProduct", scene.product, int(to), 7, EVIDENCE, sender=actor.account)
    assert [(e.name, e.args) for e in r.events] == [("ProductStateChanged", {
        "productId": scene.product, "from": int(frm), "to": int(to), "byOrgId": actor.org_id,
        "reasonId": 7, "evidenceHash": EVIDENCE})]
    assert w.drugs.call("getProduct", scene.product)[1:3] == (int(to), w.chain.timestamp_ms)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
@pytest.mark.parametrize("to", STATES, ids=[s.name for s in STATES])
@pytest.mark.parametrize("frm", BATCH_FROM, ids=[s.name for s in BATCH_FROM])
def test_batch_transition(scene: Scene, frm: State, to: State, kind: Kind) -> None:
    w, b = scene.w, scene.batch.batch_id
    drive_batch(scene, frm)
    actor = w.primary(kind)
    mask = transition_mask(True, frm, to)
    w.chain.advance(60_000)
    if mask == 0 or not mask & bit(kind):
        expected = ("DrugRegistryInvalidTransition", (b, int(frm), int(to))) if mask == 0 else \
            ("DrugRegistryUnauthorizedTransition", (b, int(frm), int(to), actor.org_id))
        with pytest.raises(Reverted) as info:
            w.drugs.transact("transitionBatch", b, int(to), 9, EVIDENCE, sender=actor.account)
        assert (info.value.name, info.value.args_) == expected
        assert w.batch_state(b) == frm
        return
    r = w.drugs.transact("transitionBatch", b, int(to), 9, EVIDENCE, sender=actor.account)
    assert [(e.name, e.args) for e in r.events] == [("BatchStateChanged", {
        "batchId": b, "from": int(frm), "to": int(to), "byOrgId": actor.org_id, "reasonId": 9,
        "evidenceHash": EVIDENCE})]
    assert w.drugs.call("getBatch", b)[5:7] == (int(to), w.chain.timestamp_ms)


def test_procurement_platform_takes_no_lifecycle_transition(scene: Scene) -> None:
    """The procurement platform (issue 17) is outside the supply chain: every transition, and the
    release, is refused by the OrgRegistry before the table is read."""
    w, b = scene.w, scene.batch.batch_id
    plat = w.primary(Kind.PLATFORM)
    refused = ("OrgRegistryUnauthorizedKind", (plat.org_id, int(Kind.PLATFORM), MASK["any"]))
    for to in STATES:
        for fn, ident in (("transitionProduct", scene.product), ("transitionBatch", b)):
            with pytest.raises(Reverted) as info:
                w.drugs.transact(fn, ident, int(to), 0, Z32, sender=plat.account)
            assert (info.value.name, info.value.args_) == refused
    info_b = w.commit_batch(scene.product, "PLT", 4, release=False)
    with pytest.raises(Reverted) as info:
        w.drugs.transact("releaseBatch", info_b.batch_id, Z32, sender=plat.account)
    assert (info.value.name, info.value.args_) == \
        ("OrgRegistryUnauthorizedKind", (plat.org_id, int(Kind.PLATFORM), bit(Kind.MANUFACTURER)))


def test_system_only_transitions_exist_in_the_table() -> None:
    # T3 and T4 are reachable only through recall cases / counter-signed destruction.
    assert transition_mask(True, State.STOPPED, State.RECALLED) == SYSTEM
    assert transition_mask(True, State.RECALLED, State.DESTROYED) == SYSTEM
    assert transition_mask(False, State.STOPPED, State.RECALLED) == SYSTEM


def test_unknown_items(scene: Scene) -> None:
    w = scene.w
    for fn, err in (("transitionProduct", "DrugRegistryUnknownProduct"), ("transitionBatch", "DrugRegistryUnknownBatch")):
        with pytest.raises(Reverted) as info:
            w.drugs.transact(fn, b"\x99" * 32, 1, 0, Z32, sender=w.acct("nat"))
        assert (info.value.name, info.value.args_) == (err, (b"\x99" * 32,))


def test_t0_register_product_events_and_guards(scene: Scene) -> None:
    w = scene.w
    r = w.drugs.transact("registerProduct", "国药准字H2", "20粒/瓶", w.org("man"), -200, 80, EVIDENCE,
                         sender=w.acct("nat"))
    pid = r.output
    assert pid == w.drugs.call("productIdOf", "国药准字H2", "20粒/瓶")
    assert w.all_events(r) == [
        ("ProductRegistered", {"productId": pid, "mahOrgId": w.org("man"), "approvalNumber": "国药准字H2",
                               "packageSpec": "20粒/瓶", "minTemp": -200, "maxTemp": 80, "detailsHash": EVIDENCE}),
        ("ProductStateChanged", {"productId": pid, "from": 0, "to": 1, "byOrgId": w.org("nat"), "reasonId": 0,
                                 "evidenceHash": EVIDENCE}),
    ]
    cases = [
        (("国药准字H2", "20粒/瓶", w.org("man"), 0, 1, Z32), ("DrugRegistryProductExists", (pid,))),
        (("A", "B", w.org("man"), 5, 4, Z32), ("DrugRegistryInvalidTemperatureRange", (5, 4))),
        (("A", "B", w.org("dist"), 0, 4, Z32), ("OrgRegistryUnauthorizedKind", (w.org("dist"), 4, bit(Kind.MANUFACTURER)))),
        (("A", "B", b"\x01" * 32, 0, 4, Z32), ("OrgRegistryUnknownOrg", (b"\x01" * 32,))),
    ]
    for args, expected in cases:
        with pytest.raises(Reverted) as info:
            w.drugs.transact("registerProduct", *args, sender=w.acct("nat"))
        assert (info.value.name, info.value.args_) == expected


def test_commit_batch_records_it_unreleased(scene: Scene) -> None:
    w, p = scene.w, scene.product
    t = w.chain.timestamp_ms
    root = b"\x5a" * 32
    r = w.drugs.transact("commitBatch", p, "LOT-9", t, t + 1000, 100_000, root, EVIDENCE, sender=w.acct("man"))
    bid = r.output
    assert bid == w.drugs.call("batchIdOf", p, "LOT-9")
    assert w.all_events(r) == [
        ("BatchCommitted", {"batchId": bid, "productId": p, "mahOrgId": w.org("man"), "lot": "LOT-9",
                            "productionDate": t, "expiryDate": t + 1000, "unitCount": 100_000, "unitRoot": root,
                            "aggregationRoot": EVIDENCE}),
    ]
    # recorded, not released: state NONE, nothing credited, not usable
    assert w.batch_state(bid) == State.NONE
    assert w.drugs.call("batchOwner", bid) == (p, w.org("man"))
    assert w.holding(bid, "man") == (0, 0)
    assert w.drugs.call("batchLot", bid) == "LOT-9"
    bad = [
        ((p, "LOT-9", t, t + 1, 1, root, Z32), ("DrugRegistryBatchExists", (bid,))),
        ((p, "Z", t, t + 1, 0, root, Z32), ("DrugRegistryInvalidBatch", (w.drugs.call("batchIdOf", p, "Z"),))),
        ((p, "Z", t, t + 1, 1, Z32, Z32), ("DrugRegistryInvalidBatch", (w.drugs.call("batchIdOf", p, "Z"),))),
        ((p, "Z", t, t, 1, root, Z32), ("DrugRegistryInvalidBatch", (w.drugs.call("batchIdOf", p, "Z"),))),
        ((b"\x07" * 32, "Z", t, t + 1, 1, root, Z32), ("DrugRegistryUnknownProduct", (b"\x07" * 32,))),
    ]
    for args, expected in bad:
        with pytest.raises(Reverted) as info:
            w.drugs.transact("commitBatch", *args, sender=w.acct("man"))
        assert (info.value.name, info.value.args_) == expected
    # product not LISTED: no new batch
    w.drugs.transact("transitionProduct", p, 2, 0, Z32, sender=w.acct("nat"))
    with pytest.raises(Reverted) as info:
        w.drugs.transact("commitBatch", p, "Y", t, t + 1, 1, root, Z32, sender=w.acct("man"))
    assert (info.value.name, info.value.args_) == ("DrugRegistryNotListed", (p, int(State.STOPPED)))


def _refused(call, *args: object, sender: str) -> tuple[str, tuple[object, ...]]:
    with pytest.raises(Reverted) as info:
        call(*args, sender=sender)
    return info.value.name, info.value.args_


def test_t0b_release_gate(scene: Scene) -> None:
    """T0b (domain §6.3) with observation points 1, 2 and 6: an approved process definition and no
    unapproved change, every step recorded against it, the MAH's release test OK, product LISTED."""
    w = scene.w
    p = w.register_product("国药准字H20990001", "1瓶")
    info = w.commit_batch(p, "R1", 8, release=False)
    b = info.batch_id
    man, nat, prov = w.acct("man"), w.acct("nat"), w.acct("prov")
    obs = w.obs.transact
    release = w.drugs.transact

    def define(step_count: int, hash_: bytes, sender: str, result: int = 0):
        return obs("recordObservation", 1, p, 0, result, 0, step_count, hash_, sender=sender)

    def step(n: int, result: int = 0):
        return obs("recordObservation", 2, b, 0, result, n, 0, Z32, sender=man)

    def inspect(result: int, sender: str = man):
        return obs("recordObservation", 6, b, 0, result, 0, 0, Z32, sender=sender)

    hash_a, hash_b = b"\xa1" * 32, b"\xb2" * 32
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryProcessNotApproved", (p, 0, 0))
    assert _refused(release, "releaseBatch", b"\x44" * 32, EVIDENCE, sender=man) == \
        ("DrugRegistryUnknownBatch", (b"\x44" * 32,))
    # not released yet: no other transition, no custody
    assert _refused(release, "transitionBatch", b, 2, 0, Z32, sender=nat) == ("DrugRegistryBatchNotReleased", (b,))
    assert _refused(release, "transitionBatch", b, 1, 0, Z32, sender=man) == ("DrugRegistryBatchNotReleased", (b,))
    assert _refused(w.custody.transact, "dispatch", b, w.org("dist"), w.org("log"), 1, Z32, sender=man) == \
        ("CustodyLedgerUnknownBatch", (b,))
    # point 2 needs an approved definition; point 1 by the MAH gives 1..256 steps
    assert _refused(obs, "recordObservation", 2, b, 0, 0, 0, 0, Z32, sender=man) == \
        ("ObservationLogNoApprovedProcess", (p,))
    for bad in (0, 257, -1):
        assert _refused(obs, "recordObservation", 1, p, 0, 0, 0, bad, hash_a, sender=man) == \
            ("ObservationLogInvalidStepCount", (p, bad))
    r = define(3, hash_a, man)
    def_a = r.output
    assert r.one("ProcessDefinitionProposed").args == {"observationId": def_a, "productId": p,
                                                       "processHash": hash_a, "stepCount": 3}
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryProcessNotApproved", (p, 0, def_a))
    # approval needs a regulator, result OK and the same hash
    assert not define(0, hash_b, nat).named("ProcessDefinitionApproved")
    assert not define(0, hash_a, nat, result=1).named("ProcessDefinitionApproved")  # DEVIATION: neither
    # the approval binds the step count too (issue 12, defect 9): approving "0 steps" approves nothing
    assert not define(0, hash_a, prov).named("ProcessDefinitionApproved")
    r = define(3, hash_a, prov)
    assert r.one("ProcessDefinitionApproved").args == {"observationId": r.output, "productId": p,
                                                       "definitionId": def_a, "stepCount": 3,
                                                       "byOrgId": w.org("prov")}
    assert w.obs.call("releaseStatus", p, b) == (def_a, 0, 3, 0, False, 0)
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryProcessIncomplete", (b, def_a, 0, 3))
    for bad in (3, -1):
        assert _refused(obs, "recordObservation", 2, b, 0, 0, bad, 0, Z32, sender=man) == \
            ("ObservationLogInvalidStep", (b, bad, 3))
    r = step(0)
    assert r.one("ProcessStepRecorded").args == {"observationId": r.output, "batchId": b, "definitionId": def_a,
                                                 "step": 0}
    step(2)
    assert not step(1, result=1).named("ProcessStepRecorded")  # a DEVIATION does not complete the step
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryProcessIncomplete", (b, def_a, 0b101, 3))
    step(1)
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == ("DrugRegistryReleaseTestMissing", (b,))
    assert inspect(2).one("ReleaseTestRecorded").args["passed"] is False
    # a FAIL stays on the gate: the MAH's own later OK does not overwrite it (issue 12, defect 9)
    assert inspect(0).one("ReleaseTestRecorded").args["passed"] is False
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == ("DrugRegistryReleaseTestMissing", (b,))
    # ... until a regulator's re-test
    assert inspect(0, sender=nat).one("ReleaseTestRecorded").args["passed"] is True
    assert w.obs.call("releaseStatus", p, b) == (def_a, 0, 3, 0b111, True, 0)
    # a change of process without approval blocks release; once approved its steps are needed
    def_b = define(2, hash_b, man).output
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryProcessNotApproved", (p, def_a, def_b))
    define(2, hash_b, nat)
    assert w.obs.call("releaseStatus", p, b) == (def_b, 0, 2, 0, True, 0)
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryProcessIncomplete", (b, def_b, 0, 2))
    step(0)
    step(1)
    # who and when: the product's MAH only, the product LISTED
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=w.acct("man_b")) == \
        ("DrugRegistryNotProductHolder", (p, w.org("man_b")))
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=w.acct("dist")) == \
        ("OrgRegistryUnauthorizedKind", (w.org("dist"), int(Kind.DISTRIBUTOR), bit(Kind.MANUFACTURER)))
    release("transitionProduct", p, 2, 0, Z32, sender=nat)
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryNotListed", (p, int(State.STOPPED)))
    release("transitionProduct", p, 1, 0, Z32, sender=nat)
    w.chain.advance(60_000)
    r = release("releaseBatch", b, EVIDENCE, sender=man)
    assert w.all_events(r) == [
        ("BatchStateChanged", {"batchId": b, "from": 0, "to": 1, "byOrgId": w.org("man"), "reasonId": 0,
                               "evidenceHash": EVIDENCE}),
        ("HoldingCredited", {"batchId": b, "orgId": w.org("man"), "quantity": 8}),
    ]
    assert w.drugs.call("getBatch", b)[5:7] == (int(State.LISTED), w.chain.timestamp_ms)
    assert w.holding(b, "man") == (8, 0)
    assert _refused(release, "releaseBatch", b, EVIDENCE, sender=man) == \
        ("DrugRegistryInvalidTransition", (b, int(State.LISTED), int(State.LISTED)))
    w.ship(b, "man", "dist", 3)
    assert w.holding(b, "dist") == (3, 0)


def test_release_gate_with_256_steps(scene: Scene) -> None:
    """The largest definition: all 256 bits of the batch's step word must be set."""
    w = scene.w
    p = w.register_product("国药准字H20990002", "1瓶")
    info = w.commit_batch(p, "R256", 2, release=False)
    def_id = w.approve_process(p, 256)
    for n in range(256):
        if n != 131:
            w.obs.transact("recordObservation", 2, info.batch_id, 0, 0, n, 0, Z32, sender=w.acct("man"))
    w.obs.transact("recordObservation", 6, info.batch_id, 0, 0, 0, 0, Z32, sender=w.acct("man"))
    with pytest.raises(Reverted) as exc:
        w.drugs.transact("releaseBatch", info.batch_id, Z32, sender=w.acct("man"))
    assert (exc.value.name, exc.value.args_) == \
        ("DrugRegistryProcessIncomplete", (info.batch_id, def_id, (2**256 - 1) ^ (1 << 131), 256))
    w.obs.transact("recordObservation", 2, info.batch_id, 0, 0, 131, 0, Z32, sender=w.acct("man"))
    w.drugs.transact("releaseBatch", info.batch_id, Z32, sender=w.acct("man"))
    assert w.batch_state(info.batch_id) == State.LISTED


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_t0b_row_release_by_every_kind(scene: Scene, kind: Kind) -> None:
    """The T0b row of the table: (none) -> LISTED by the product's MAH only, through releaseBatch;
    transitionBatch never performs it."""
    w = scene.w
    info = w.commit_batch(scene.product, "ROW", 4, release=False)
    w.pass_release_gate(info)
    actor = w.primary(kind)
    with pytest.raises(Reverted) as exc:
        w.drugs.transact("transitionBatch", info.batch_id, int(State.LISTED), 0, Z32, sender=actor.account)
    assert (exc.value.name, exc.value.args_) == ("DrugRegistryBatchNotReleased", (info.batch_id,))
    mask = transition_mask(True, State.NONE, State.LISTED)
    if not mask & bit(kind):
        with pytest.raises(Reverted) as exc:
            w.drugs.transact("releaseBatch", info.batch_id, Z32, sender=actor.account)
        assert (exc.value.name, exc.value.args_) == \
            ("OrgRegistryUnauthorizedKind", (actor.org_id, int(kind), bit(Kind.MANUFACTURER)))
        assert w.batch_state(info.batch_id) == State.NONE
        return
    w.drugs.transact("releaseBatch", info.batch_id, Z32, sender=actor.account)
    assert w.batch_state(info.batch_id) == State.LISTED


def test_product_state_restricts_its_batches(scene: Scene) -> None:
    """T5 is not cascaded in storage: the effective state of a batch is the more restrictive one."""
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    assert w.drugs.call("effectiveState", b) == State.LISTED
    w.drugs.transact("transitionProduct", p, 2, 0, Z32, sender=w.acct("nat"))
    assert w.drugs.call("effectiveState", b) == State.STOPPED
    w.drugs.transact("transitionProduct", p, 5, 0, Z32, sender=w.acct("nat"))
    assert w.drugs.call("effectiveState", b) == State.DEREGISTERED
    assert w.batch_state(b) == State.LISTED
    with pytest.raises(Reverted) as info:
        w.custody.transact("dispatch", b, w.org("pharm"), w.org("log"), 1, Z32, sender=w.acct("dist"))
    assert (info.value.name, info.value.args_) == ("CustodyLedgerBatchNotListed", (b, 1, 5))
    # DEREGISTERED is terminal
    for to in STATES:
        with pytest.raises(Reverted) as info:
            w.drugs.transact("transitionProduct", p, int(to), 0, Z32, sender=w.acct("nat"))
        assert info.value.name == "DrugRegistryInvalidTransition"
