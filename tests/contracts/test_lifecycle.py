"""The lifecycle table (docs/domain.md §6.3): every (from, to) pair for products and batches, by
every organisation kind, checked against the model's transition tables — the error and its
arguments for pairs not in the table or actors not allowed, and the state-change event with its
arguments for the allowed ones. System-only transitions (T3 recall, T4 destruction, automatic T1)
are exercised through the contracts that own them.
"""

from __future__ import annotations

import pytest

from harness import Reverted
from model import BATCH_TRANSITIONS, PRODUCT_TRANSITIONS, SYSTEM, Kind, State, bit, transition_mask
from world import Scene

Z32 = bytes(32)
EVIDENCE = b"\xee" * 32
STATES = list(State)
KINDS = [Kind(k) for k in range(1, 9)]


def drive_product(s: Scene, target: State) -> None:
    w = s.w
    if target == State.LISTED:
        return
    w.drugs.transact("transitionProduct", s.product, int(State.STOPPED), 0, Z32, sender=w.acct("nat"))
    if target == State.RECALLED:
        w.open_recall(s.product, Z32, 1)  # product-wide recall: T3 for the product
    elif target == State.DEREGISTERED:
        w.drugs.transact("transitionProduct", s.product, int(State.DEREGISTERED), 0, Z32, sender=w.acct("nat"))
    assert w.product_state(s.product) == target


def drive_batch(s: Scene, target: State) -> None:
    w, b = s.w, s.batch.batch_id
    if target == State.LISTED:
        return
    w.stop_batch(b)
    if target in (State.RECALLED, State.DESTROYED):
        rid = w.open_recall(s.product, b, 1)
        if target == State.DESTROYED:
            did = w.recalls.transact("recordDestruction", rid, 24, True, Z32, sender=w.acct("man")).output
            w.recalls.transact("countersignDestruction", did, sender=w.acct("nat"))
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


def test_t0b_commit_batch_events_and_guards(scene: Scene) -> None:
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
        ("BatchStateChanged", {"batchId": bid, "from": 0, "to": 1, "byOrgId": w.org("man"), "reasonId": 0,
                               "evidenceHash": Z32}),
        ("HoldingCredited", {"batchId": bid, "orgId": w.org("man"), "quantity": 100_000}),
    ]
    assert w.holding(bid, "man") == (100_000, 0)
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
    # product not LISTED: no new batch (T0b guard)
    w.drugs.transact("transitionProduct", p, 2, 0, Z32, sender=w.acct("nat"))
    with pytest.raises(Reverted) as info:
        w.drugs.transact("commitBatch", p, "Y", t, t + 1, 1, root, Z32, sender=w.acct("man"))
    assert (info.value.name, info.value.args_) == ("DrugRegistryNotListed", (p, int(State.STOPPED)))


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
