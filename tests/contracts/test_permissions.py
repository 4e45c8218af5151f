"""Every write function against every organisation kind, driven by one table.

Each row names a write function, the organisation kinds allowed to call it (docs/domain.md §6.2,
as the contracts implement it), how to set up a call that an allowed caller can make, the event a
successful call emits, and which custom error (name AND arguments) a refused kind gets. Every row
is run for each of the nine kinds, for an unregistered account, for a suspended organisation of
an allowed kind, and while the suite is paused; provincial regulators outside their region are
covered at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from harness import Contract, Reverted
from model import MASK, Kind, Point, Result, bit
from world import Actor, Scene, case_key, pallet_key

Z32 = bytes(32)
H1 = b"\x11" * 32
ALL_KINDS = [Kind(k) for k in range(1, 10)]


@dataclass(frozen=True)
class Call:
    contract: Contract
    fn: str
    args: tuple[Any, ...]


Prepare = Callable[[Scene, Actor], Call]
Refusal = Callable[[Scene, Actor, Call], tuple[str, tuple[Any, ...]]]


def by_kind(mask: int) -> Refusal:
    """The OrgRegistry's refusal of a caller whose kind is not in ``mask``."""
    return lambda s, a, c: ("OrgRegistryUnauthorizedKind", (a.org_id, int(a.kind), mask))


def not_suite() -> Refusal:
    return lambda s, a, c: ("OrgRegistryNotSuiteContract", (a.account,))


@dataclass(frozen=True)
class Op:
    name: str
    allowed: frozenset[Kind]
    prepare: Prepare
    refusal: Refusal
    event: str | None
    pausable: bool = True

    def __repr__(self) -> str:
        return self.name


def K(*kinds: Kind) -> frozenset[Kind]:
    return frozenset(kinds)


NAT, PROV, MAN, DIST, LOG, PHARM, HOSP, AUD, PLAT = ALL_KINDS
REG = K(NAT, PROV)
HOLDERS = K(MAN, DIST, PHARM, HOSP)

# ----------------------------------------------------------------------------- preparations


def _new_org(s: Scene, a: Actor) -> Call:
    return Call(s.w.orgs, "registerOrg", (b"\x42" * 32, int(Kind.DISTRIBUTOR), a.region, 0, Z32))


def _new_platform(s: Scene, a: Actor) -> Call:
    """A procurement platform (issue 17 B), registered in the caller's own region."""
    return Call(s.w.orgs, "registerOrg", (b"\x47" * 32, int(Kind.PLATFORM), a.region, 0, Z32))


def _manage(fn: str, *extra: Any, suspend_first: bool = False) -> Prepare:
    def prep(s: Scene, a: Actor) -> Call:
        if suspend_first:
            # by the provincial regulator, so every regulator in remit may restore it (rank: issue 12)
            s.w.orgs.transact("suspendOrg", s.w.org("dist2"), Z32, sender=s.w.acct("prov"))
        return Call(s.w.orgs, fn, (s.w.org("dist2"), *extra))
    return prep


def _bind(s: Scene, a: Actor) -> Call:
    return Call(s.w.orgs, "bindAccount", ("0x" + "77" * 20, s.w.org("dist2")))


def _unbind(s: Scene, a: Actor) -> Call:
    return Call(s.w.orgs, "unbindAccount", (s.w.acct("dist2"),))


def _unpause(s: Scene, a: Actor) -> Call:
    s.w.orgs.transact("pause", sender=s.w.acct("nat"))
    return Call(s.w.orgs, "unpause", ())


def _register_product(s: Scene, a: Actor) -> Call:
    return Call(s.w.drugs, "registerProduct", ("国药准字Z1", "1瓶", s.w.org("man"), 20, 80, Z32))


def _commit(s: Scene, a: Actor) -> Call:
    t = s.w.chain.timestamp_ms
    return Call(s.w.drugs, "commitBatch", (s.product, "NEW-LOT", t, t + 10**10, 5, H1, Z32))


def _release_batch(s: Scene, a: Actor) -> Call:
    """A committed batch whose release gate holds (process approved, step done, release test OK)."""
    info = s.w.commit_batch(s.product, "NEW-REL", 5, release=False)
    s.w.pass_release_gate(info)
    return Call(s.w.drugs, "releaseBatch", (info.batch_id, H1))


def _batch_to(to: int, *, stop_first: bool = False) -> Prepare:
    def prep(s: Scene, a: Actor) -> Call:
        if stop_first:  # by the provincial regulator, so every regulator in remit may lift it
            s.w.stop_batch(s.batch.batch_id, by="prov")
        return Call(s.w.drugs, "transitionBatch", (s.batch.batch_id, to, 0, H1))
    return prep


def _product_to(to: int, *, stop_first: bool = False) -> Prepare:
    def prep(s: Scene, a: Actor) -> Call:
        if stop_first:
            s.w.drugs.transact("transitionProduct", s.product, 2, 0, Z32, sender=s.w.acct("prov"))
        return Call(s.w.drugs, "transitionProduct", (s.product, to, 0, H1))
    return prep


def _transition_refusal(frm: int, to: int, product: bool = False) -> Refusal:
    def refuse(s: Scene, a: Actor, c: Call) -> tuple[str, tuple[Any, ...]]:
        ident = s.product if product else s.batch.batch_id
        if a.kind == PLAT:  # outside the supply chain: refused before the transition table
            return ("OrgRegistryUnauthorizedKind", (a.org_id, int(a.kind), MASK["any"]))
        return ("DrugRegistryUnauthorizedTransition", (ident, frm, to, a.org_id))
    return refuse


def _dispatch(s: Scene, a: Actor) -> Call:
    return Call(s.w.custody, "dispatch", (s.batch.batch_id, s.w.org("pharm") if a.kind != PHARM else s.w.org("hosp"),
                                          s.w.org("log"), 2, Z32))


def _dispatch_return(s: Scene, a: Actor) -> Call:
    return Call(s.w.custody, "dispatchReturn", (s.batch.batch_id, s.w.org("man"), s.w.org("log"), 2, Z32))


def _inbound(s: Scene, a: Actor) -> int:
    """A shipment addressed to ``a`` when ``a`` can be an addressee, else one addressed to dist."""
    w, b = s.w, s.batch.batch_id
    if a.kind in (DIST, PHARM, HOSP):
        return w.custody.transact("dispatch", b, a.org_id, w.org("log"), 3, Z32, sender=w.acct("man")).output
    if a.kind == MAN:
        return w.custody.transact("dispatchReturn", b, a.org_id, w.org("log"), 3, Z32, sender=w.acct("pharm")).output
    return w.custody.transact("dispatch", b, w.org("dist"), w.org("log"), 3, Z32, sender=w.acct("man")).output


def _receive(s: Scene, a: Actor) -> Call:
    return Call(s.w.custody, "receiveShipment", (_inbound(s, a), 3, Z32))


def _reject(s: Scene, a: Actor) -> Call:
    return Call(s.w.custody, "rejectShipment", (_inbound(s, a), Z32))


def _not_addressee(s: Scene, a: Actor, c: Call) -> tuple[str, tuple[Any, ...]]:
    if a.kind == PLAT:  # outside the supply chain: refused by kind first
        return ("OrgRegistryUnauthorizedKind", (a.org_id, int(a.kind), MASK["any"]))
    return ("CustodyLedgerNotAddressee", (c.args[0], a.org_id))


#: A unit of the scene's batch each holder holds (D9: only the holder dispenses or decommissions it):
#: man 40..63, dist 20..39, pharm 0..9, hosp 10..19 (the shipments took them first-in first-out).
HELD_UNIT = {MAN: 47, DIST: 27, PHARM: 5, HOSP: 15}


def _dispense(s: Scene, a: Actor) -> Call:
    i = HELD_UNIT.get(a.kind, 5)
    return Call(s.w.custody, "dispense", (s.batch.batch_id, i, s.batch.code_hash(i), s.batch.proof(i)))


def _release(s: Scene, a: Actor) -> Call:
    w = s.w
    w.obs.transact("recordObservation", int(Point.STORAGE), s.batch.batch_id, 0, 1, 300, 310, Z32,
                   sender=w.acct("pharm"))
    return Call(w.custody, "releaseQuarantine", (s.batch.batch_id, w.org("pharm"), 4, Z32))


def _system(fn: str) -> Prepare:
    def prep(s: Scene, a: Actor) -> Call:
        b = s.batch.batch_id
        args = {
            "systemCredit": (b, a.org_id, 1),
            "systemQuarantine": (b, s.w.org("man"), 1, 0),
            "systemFlagShipmentExcursion": (1, 0),
            "systemDestroy": (b, s.w.org("man"), 1, 0),
            "systemTransitionBatch": (b, 2, 0, Z32, a.org_id),
            "systemTransitionProduct": (s.product, 2, 0, Z32, a.org_id),
        }[fn]
        contract = s.w.drugs if fn.startswith("systemTransition") else s.w.custody
        return Call(contract, fn, args)
    return prep


def _observe(point: Point) -> Prepare:
    def prep(s: Scene, a: Actor) -> Call:
        subject = s.product if point == Point.PROCESS_DEFINITION else s.batch.batch_id
        shipment = 1 if point == Point.TRANSPORT else 0  # shipment 1: man -> dist, carried by log
        low = 0 if point == Point.PROCESS_PROGRESS else 50  # step 0 of the scene's approved 1-step process
        return Call(s.w.obs, "recordObservation", (int(point), subject, shipment, int(Result.OK), low, 60, H1))
    return prep


def _open_recall(s: Scene, a: Actor) -> Call:
    s.w.stop_batch(s.batch.batch_id)
    return Call(s.w.recalls, "openRecall", (s.product, s.batch.batch_id, 2, H1))


def _recall_step(fn: str, stage: int) -> Prepare:
    """stage 0: case OPEN; 1: NOTIFIED; 2: COMPLETED."""
    def prep(s: Scene, a: Actor) -> Call:
        w = s.w
        w.stop_batch(s.batch.batch_id)
        rid = w.open_recall(s.product, s.batch.batch_id, 2)
        if fn == "recordRecovery":  # 2 units back at the MAH, so every holder has something to declare
            sid = w.custody.transact("dispatchReturn", s.batch.batch_id, w.org("man"), w.org("log"), 2, H1,
                                     sender=w.acct("pharm")).output
            w.custody.transact("receiveShipment", sid, 2, H1, sender=w.acct("man"))
        if stage >= 1:
            w.recalls.transact("issueNotice", rid, H1, sender=w.acct("man"))
        if stage >= 2:
            w.recalls.transact("completeRecall", rid, H1, sender=w.acct("man"))
        args: tuple[Any, ...] = {
            "issueNotice": (rid, H1), "reportProgress": (rid, H1), "completeRecall": (rid, H1),
            "evaluateRecall": (rid, True, H1), "recordRecovery": (rid, 2, H1),
            "recordDestruction": (rid, 2, False, H1),
        }[fn]
        return Call(w.recalls, fn, args)
    return prep


def _destruction_for(s: Scene, a: Actor) -> Call:
    w = s.w
    w.ship(s.batch.batch_id, "dist", "dist2", 2)  # dist2: a holder that is no kind's primary actor
    w.stop_batch(s.batch.batch_id)
    rid = w.open_recall(s.product, s.batch.batch_id, 2)
    w.orgs.transact("suspendOrg", w.org("dist2"), H1, sender=w.acct("prov"))
    return Call(w.recalls, "recordDestructionFor", (rid, w.org("dist2"), 2, False, H1))


def _void_shipment(s: Scene, a: Actor) -> Call:
    sid = s.w.ship(s.batch.batch_id, "dist", "pharm", 2, receive=False)
    return Call(s.w.custody, "voidShipment", (sid, H1))


def _countersign(s: Scene, a: Actor) -> Call:
    w = s.w
    w.stop_batch(s.batch.batch_id)
    rid = w.open_recall(s.product, s.batch.batch_id, 2)
    did = w.recalls.transact("recordDestruction", rid, 2, False, H1, sender=w.acct("dist")).output
    return Call(w.recalls, "countersignDestruction", (did,))


# ----------------------------------------------------------------------------- procurement (issue 17)


def _bid(s: Scene) -> int:
    return s.w.publish_bid(s.product)


def _order(s: Scene, accept: bool = True) -> int:
    return s.w.place_order(_bid(s), 10, accept=accept)


def _shipped(s: Scene, *, receive: bool = False) -> int:
    w = s.w
    sid = w.deliver(_order(s), s.batch.batch_id, 3, confirm=False)
    if receive:
        w.custody.transact("receiveShipment", sid, 3, Z32, sender=w.acct("hosp"))
    return sid


def _accepted(s: Scene, *, invoiced: bool = False) -> int:
    w = s.w
    sid = _shipped(s, receive=True)
    w.procurement.transact("confirmReceipt", sid, sender=w.acct("hosp"))
    if invoiced:
        w.procurement.transact("invoice", sid, 3 * 1250, H1, sender=w.acct("dist"))
    return sid


def _proc(fn: str, make: Callable[[Scene], Any], *extra: Any) -> Prepare:
    return lambda s, a: Call(s.w.procurement, fn, (make(s), *extra))


def _publish(s: Scene, a: Actor) -> Call:
    now = s.w.chain.timestamp_ms
    return Call(s.w.procurement, "publishBid", (H1, s.product, 900, now, now + 86_400_000, [s.w.org("dist")]))


def _close(s: Scene, a: Actor) -> Call:
    w = s.w
    oid = _order(s)
    w.deliver(oid, s.batch.batch_id, 2)
    return Call(w.procurement, "closeOrder", (oid, H1))
def _packed(s: Scene) -> Any:
    """A packed batch (40 units, cases of 10, pallets of 2 cases) released to the MAH."""
    return s.w.commit_packed_batch(s.product, "PK-PERM", 40, per_case=10, per_pallet=2)


def _commit_packed(s: Scene, a: Actor) -> Call:
    w = s.w
    return Call(w.drugs, "commitPackedBatch", (s.product, "PK-NEW", w.chain.timestamp_ms - 1,
                                               w.chain.timestamp_ms + 10**10, 40, H1, H1, 10, 2))


def _give_pallet(s: Scene, pb: Any, a: Actor) -> None:
    if a.kind in (DIST, PHARM, HOSP):
        s.w.ship_packed(pb.batch_id, "man", a.name, [pallet_key(0)])


def _dispatch_packed(s: Scene, a: Actor) -> Call:
    pb = _packed(s)
    if a.kind == DIST:
        _give_pallet(s, pb, a)
    to = s.w.org("hosp") if a.kind == PHARM else s.w.org("pharm")
    return Call(s.w.packing, "dispatchPacked", (pb.batch_id, to, s.w.org("log"), [pallet_key(0)], False, Z32))


def _return_packed(s: Scene, a: Actor) -> Call:
    pb = _packed(s)
    _give_pallet(s, pb, a)
    return Call(s.w.packing, "dispatchPacked", (pb.batch_id, s.w.org("man"), s.w.org("log"), [pallet_key(0)], True,
                                                Z32))


def _receive_packed(s: Scene, a: Actor) -> Call:
    w = s.w
    pb = _packed(s)
    items = [pallet_key(0)]
    if a.kind in (DIST, PHARM, HOSP):
        sid = w.ship_packed(pb.batch_id, "man", a.name, items, receive=False)
    elif a.kind == MAN:
        w.ship_packed(pb.batch_id, "man", "dist", items)
        sid = w.ship_packed(pb.batch_id, "dist", "man", items, receive=False, is_return=True)
    else:
        sid = w.ship_packed(pb.batch_id, "man", "dist", items, receive=False)
    return Call(w.packing, "receivePacked", (sid, items, [], [], Z32))


def _unpack(s: Scene, a: Actor) -> Call:
    pb = _packed(s)
    _give_pallet(s, pb, a)
    return Call(s.w.packing, "unpack", (pb.batch_id, pallet_key(0)))


def _not_holder(s: Scene, a: Actor, c: Call, status: int = 1) -> tuple[str, tuple[Any, ...]]:
    """A kind that holds nothing of the batch is refused as a non-holder (``status``: the
    container's NodeStatus, 1 = HELD, 3 = OPENED); the platform by kind first."""
    if a.kind == PLAT:  # outside the supply chain: refused by kind first
        return ("OrgRegistryUnauthorizedKind", (a.org_id, int(a.kind), MASK["any"]))
    return ("PackingLedgerNotHolder", (c.args[0], c.args[1], a.org_id, status))


def _repack(s: Scene, a: Actor) -> Call:
    """Pallet 0 opened by the caller when it is a holder kind (else by the MAH, who keeps it)."""
    pb = _packed(s)
    _give_pallet(s, pb, a)
    opener = a.account if a.kind in HOLDERS else s.w.acct("man")
    s.w.packing.transact("unpack", pb.batch_id, pallet_key(0), sender=opener)
    return Call(s.w.packing, "repack", (pb.batch_id, pallet_key(0)))


def _loose_with(s: Scene, a: Actor) -> Any:
    """A packed batch whose case 0 (units 0-9) is loose with the caller when it is a holder kind
    (else with the MAH): the MAH opens pallet 0, sends case 0 to the caller, who opens it."""
    w = s.w
    pb = _packed(s)
    holder = a if a.kind in HOLDERS else w["man"]
    w.packing.transact("unpack", pb.batch_id, pallet_key(0), sender=w.acct("man"))
    if holder.kind != MAN:
        w.ship_packed(pb.batch_id, "man", holder.name, [case_key(0)])
    w.packing.transact("unpack", pb.batch_id, case_key(0), sender=holder.account)
    return pb


def _dispense_packed(s: Scene, a: Actor) -> Call:
    pb, i = _loose_with(s, a), 3
    return Call(s.w.custody, "dispense", (pb.batch_id, i, pb.code_hash(i), pb.proof(i)))


def _dispense_many_packed(s: Scene, a: Actor) -> Call:
    pb, idx = _loose_with(s, a), [2, 5]
    return Call(s.w.custody, "dispenseMany", (pb.batch_id, idx, [pb.code_hash(i) for i in idx], pb.multiproof(idx)))


def _decommission_packed(s: Scene, a: Actor) -> Call:
    """A holder kind decommissions (LOST) a unit it holds loose; a regulator samples one from the
    MAH, who holds the case loose."""
    pb, idx = _loose_with(s, a), [4]
    regulator = a.kind in (NAT, PROV)
    holder = a.org_id if a.kind in HOLDERS else s.w.org("man")
    return Call(s.w.custody, "decommission", (pb.batch_id, idx, [pb.code_hash(4)], pb.multiproof(idx),
                                              5 if regulator else 4, holder, Z32))


def _ranges_only(fn: str) -> Prepare:
    """The RangeLedger's writes (the CustodyLedger's alone), called directly."""
    def prep(s: Scene, a: Actor) -> Call:
        b = s.batch.batch_id
        args: tuple[Any, ...] = {
            "dispatchUnits": (b, 64, 1, 1, 1, False), "receiveUnits": (b, 1, 1, 1), "returnUnits": (b, 1),
            "consumeMany": (b, 64, [0], 1, 1)}[fn]
        return Call(s.w.ranges, fn, args)
    return prep


def only_custody() -> Refusal:
    return lambda s, a, c: ("RangeLedgerOnlyCustody", (a.account,))


def _packing_only(fn: str) -> Prepare:
    """CustodyLedger's entry points for the PackingLedger, called directly."""
    def prep(s: Scene, a: Actor) -> Call:
        w = s.w
        if fn == "packedDispatch":
            args: tuple[Any, ...] = (s.batch.batch_id, w.org("man"), 1, w.org("dist"), w.org("log"), 2, False, Z32)
        else:
            args = (1, a.org_id, 1, 0, Z32)
        return Call(w.custody, fn, args)
    return prep


def only_packing() -> Refusal:
    return lambda s, a, c: ("CustodyLedgerOnlyPacking", (a.account,))


def _dispense_many(s: Scene, a: Actor) -> Call:
    i = HELD_UNIT.get(a.kind, 5)
    b, idx = s.batch, [i, i + 1]
    return Call(s.w.custody, "dispenseMany", (b.batch_id, idx, [b.code_hash(i) for i in idx], b.multiproof(idx)))


def _decommission(s: Scene, a: Actor) -> Call:
    regulator = a.kind in (NAT, PROV)
    own = a.kind in HOLDERS and not regulator
    i = HELD_UNIT[a.kind] + 2 if own else HELD_UNIT[DIST] + 2
    b, idx = s.batch, [i]
    holder = a.org_id if own else s.w.org("dist")
    return Call(s.w.custody, "decommission", (b.batch_id, idx, [b.code_hash(i)], b.multiproof(idx),
                                              5 if regulator else 4, holder, Z32))


# ----------------------------------------------------------------------------- corrections (issue 12)
# Voids: the kind check lets every organisation (or every holder and regulator) through; who may
# void a record is then its author or a regulator ranking as high, refused with the contract's
# own error naming the record and the caller.


def _system_void(fn: str) -> Prepare:
    def prep(s: Scene, a: Actor) -> Call:
        b = s.batch.batch_id
        if fn == "systemLiftStop":
            return Call(s.w.drugs, fn, (b, 1, Z32, a.org_id))
        return Call(s.w.custody, fn, (b, s.w.org("man"), 1, True, 0))
    return prep


#: the point each kind's primary actor may write about the scene's batch (auditors write none)
_OWN_POINT = {NAT: Point.INSPECTION, PROV: Point.INSPECTION, MAN: Point.STORAGE, DIST: Point.STORAGE,
              LOG: Point.TRANSPORT, PHARM: Point.STORAGE, HOSP: Point.STORAGE}


def _own_observation(s: Scene, a: Actor) -> Call:
    """An observation by the caller itself (an auditor writes none: a distributor's then)."""
    point = _OWN_POINT.get(a.kind, Point.STORAGE)
    author = a.account if a.kind in _OWN_POINT else s.w.acct("dist")
    oid = s.w.obs.transact("recordObservation", int(point), s.batch.batch_id, 1 if point == Point.TRANSPORT else 0,
                           int(Result.OK), 50, 60, H1, sender=author).output
    return Call(s.w.obs, "voidObservation", (oid, H1))


def _provincial_inspection(s: Scene, a: Actor) -> Call:
    """The provincial regulator's inspection: itself or the national regulator voids it."""
    oid = s.w.obs.transact("recordObservation", int(Point.INSPECTION), s.batch.batch_id, 0, int(Result.OK), 0, 0,
                           H1, sender=s.w.acct("prov")).output
    return Call(s.w.obs, "voidObservation", (oid, H1))


def _void_refused(contract_error: str, mask: int | None = None) -> Refusal:
    """The kind check first (when ``mask`` is narrower than every kind), then ``contract_error(id, caller)``."""
    def refuse(s: Scene, a: Actor, c: Call) -> tuple[str, tuple[Any, ...]]:
        if mask is not None and not mask & bit(a.kind):
            return ("OrgRegistryUnauthorizedKind", (a.org_id, int(a.kind), mask))
        if a.kind == PLAT:  # outside the supply chain: refused by kind first
            return ("OrgRegistryUnauthorizedKind", (a.org_id, int(a.kind), MASK["any"]))
        return (contract_error, (c.args[0], a.org_id))
    return refuse


def _void_destruction(confirmed: bool) -> Prepare:
    def prep(s: Scene, a: Actor) -> Call:
        w = s.w
        w.stop_batch(s.batch.batch_id)
        rid = w.open_recall(s.product, s.batch.batch_id, 2)
        executor = a.account if a.kind in HOLDERS and not confirmed else w.acct("dist")
        did = w.recalls.transact("recordDestruction", rid, 2, False, H1, sender=executor).output
        if confirmed:
            w.recalls.transact("countersignDestruction", did, sender=w.acct("prov"))
        return Call(w.recalls, "voidDestruction", (did, H1))
    return prep


def _void_batch(s: Scene, a: Actor) -> Call:
    info = s.w.commit_batch(s.product, "MIS-COMMIT", 5, release=False)
    return Call(s.w.drugs, "voidBatch", (info.batch_id, H1))


def _rework(s: Scene, a: Actor) -> Call:
    w = s.w
    w.stop_batch(s.batch.batch_id)
    w.open_recall(s.product, s.batch.batch_id, 2)  # T3: RECALLED
    return Call(w.drugs, "transitionBatch", (s.batch.batch_id, 1, 0, H1))


def _follow_up(s: Scene, a: Actor) -> Call:
    w = s.w
    w.stop_batch(s.batch.batch_id)
    w.close_recall(w.open_recall(s.product, s.batch.batch_id, 2))
    return Call(w.recalls, "openRecall", (s.product, s.batch.batch_id, 1, H1))


_HOLDERS_REGS = MASK["holders"] | MASK["regulators"]
CORRECTIONS: list[Op] = [
    Op("voidObservation:own", K(NAT, PROV, MAN, DIST, LOG, PHARM, HOSP), _own_observation,
       _void_refused("ObservationLogVoidUnauthorized"), "ObservationVoided"),
    Op("voidObservation:provincial-inspection", REG, _provincial_inspection,
       _void_refused("ObservationLogVoidUnauthorized"), "ObservationVoided"),
    Op("voidDestruction:recorded", HOLDERS | REG, _void_destruction(False),
       _void_refused("RecallManagerVoidUnauthorized", _HOLDERS_REGS), "DestructionVoided"),
    Op("voidDestruction:confirmed", REG, _void_destruction(True),
       _void_refused("RecallManagerVoidUnauthorized", _HOLDERS_REGS), "DestructionVoided"),
    Op("voidBatch", K(MAN, NAT, PROV), _void_batch, by_kind(MASK["manufacturer"] | MASK["regulators"]), "BatchVoided"),
    Op("transitionBatch:rework", K(NAT), _rework, _transition_refusal(3, 1), "BatchStateChanged"),
    Op("openRecall:follow-up", K(MAN, NAT, PROV), _follow_up, by_kind(MASK["openers"]), "RecallCaseLinked"),
    Op("systemLiftStop", K(), _system_void("systemLiftStop"), not_suite(), None, pausable=False),
    Op("systemCorrectHolding", K(), _system_void("systemCorrectHolding"), not_suite(), None, pausable=False),
]

# ----------------------------------------------------------------------------- the table

OPS: list[Op] = [
    # OrgRegistry
    Op("registerOrg", REG, _new_org, by_kind(MASK["regulators"]), "OrgRegistered"),
    Op("registerOrg:PLATFORM", REG, _new_platform, by_kind(MASK["regulators"]), "OrgRegistered"),
    Op("suspendOrg", REG, _manage("suspendOrg", H1), by_kind(MASK["regulators"]), "OrgStatusChanged"),
    Op("restoreOrg", REG, _manage("restoreOrg", H1, suspend_first=True), by_kind(MASK["regulators"]),
       "OrgStatusChanged"),
    Op("updateLicence", REG, _manage("updateLicence", 2**60, H1), by_kind(MASK["regulators"]), "OrgLicenceUpdated"),
    Op("bindAccount", REG, _bind, by_kind(MASK["regulators"]), "AccountBound"),
    Op("unbindAccount", REG, _unbind, by_kind(MASK["regulators"]), "AccountUnbound"),
    Op("pause", K(NAT), lambda s, a: Call(s.w.orgs, "pause", ()), by_kind(MASK["national"]), "Paused",
       pausable=False),
    Op("unpause", K(NAT), _unpause, by_kind(MASK["national"]), "Unpaused", pausable=False),
    # DrugRegistry
    Op("registerProduct", K(NAT), _register_product, by_kind(MASK["national"]), "ProductRegistered"),
    Op("assignDrugCode", K(NAT), lambda s, a: Call(s.w.drugs, "assignDrugCode", (s.product, 8160347)),
       by_kind(MASK["national"]), "DrugCodeAssigned"),
    Op("setAdrPolicy", REG, lambda s, a: Call(s.w.drugs, "setAdrPolicy", (s.product, 3, 0, True)),
       by_kind(MASK["regulators"]), "AdrPolicySet"),
    Op("commitBatch", K(MAN), _commit, by_kind(MASK["manufacturer"]), "BatchCommitted"),
    Op("releaseBatch", K(MAN), _release_batch, by_kind(MASK["manufacturer"]), "BatchStateChanged"),
    Op("transitionBatch:stop", K(NAT, PROV, MAN), _batch_to(2), _transition_refusal(1, 2), "BatchStateChanged"),
    Op("transitionBatch:lift", REG, _batch_to(1, stop_first=True), _transition_refusal(2, 1), "BatchStateChanged"),
    Op("transitionProduct:stop", REG | {Kind.MANUFACTURER}, _product_to(2), _transition_refusal(1, 2, True), "ProductStateChanged"),
    Op("transitionProduct:lift", REG, _product_to(1, stop_first=True), _transition_refusal(2, 1, True),
       "ProductStateChanged"),
    Op("transitionProduct:deregister", K(NAT), _product_to(5, stop_first=True), _transition_refusal(2, 5, True),
       "ProductStateChanged"),
    Op("systemTransitionBatch", K(), _system("systemTransitionBatch"), not_suite(), None, pausable=False),
    Op("systemTransitionProduct", K(), _system("systemTransitionProduct"), not_suite(), None, pausable=False),
    # CustodyLedger
    Op("dispatch", K(MAN, DIST), _dispatch, by_kind(MASK["forward_senders"]), "ShipmentDispatched"),
    Op("dispatchReturn", K(DIST, PHARM, HOSP), _dispatch_return, by_kind(MASK["return_senders"]),
       "ShipmentDispatched"),
    Op("receiveShipment", HOLDERS, _receive, _not_addressee, "ShipmentReceived"),
    Op("rejectShipment", HOLDERS, _reject, _not_addressee, "ShipmentRejected"),
    Op("dispense", K(PHARM, HOSP), _dispense, by_kind(MASK["dispensers"]), "UnitDispensed"),
    Op("releaseQuarantine", REG, _release, by_kind(MASK["regulators"]), "QuarantineReleased"),
    Op("systemCredit", K(), _system("systemCredit"), not_suite(), None, pausable=False),
    Op("systemQuarantine", K(), _system("systemQuarantine"), not_suite(), None, pausable=False),
    Op("systemFlagShipmentExcursion", K(), _system("systemFlagShipmentExcursion"), not_suite(), None,
       pausable=False),
    Op("systemDestroy", K(), _system("systemDestroy"), not_suite(), None, pausable=False),
    # ObservationLog: the eight points (domain.md §6.4 "written by")
    Op("observe:PROCESS_DEFINITION", K(MAN, NAT, PROV), _observe(Point.PROCESS_DEFINITION),
       by_kind(MASK["manufacturer"] | MASK["regulators"]), "ObservationRecorded"),
    Op("observe:PROCESS_PROGRESS", K(MAN), _observe(Point.PROCESS_PROGRESS), by_kind(MASK["manufacturer"]),
       "ObservationRecorded"),
    Op("observe:ORDER", K(DIST, PHARM, HOSP), _observe(Point.ORDER), by_kind(MASK["addressees"]),
       "ObservationRecorded"),
    Op("observe:TRANSPORT", K(LOG), _observe(Point.TRANSPORT), by_kind(MASK["logistics"]), "ObservationRecorded"),
    Op("observe:STORAGE", K(MAN, DIST, PHARM, HOSP, LOG), _observe(Point.STORAGE),
       by_kind(MASK["holders"] | MASK["logistics"]), "ObservationRecorded"),
    Op("observe:INSPECTION", K(NAT, PROV, MAN), _observe(Point.INSPECTION),
       by_kind(MASK["regulators"] | MASK["manufacturer"]), "ObservationRecorded"),
    Op("observe:EFFICACY", K(HOSP), _observe(Point.EFFICACY), by_kind(bit(Kind.HOSPITAL)), "ObservationRecorded"),
    Op("observe:ADVERSE_REACTION", K(NAT, PROV, MAN, PHARM, HOSP), _observe(Point.ADVERSE_REACTION),
       by_kind(MASK["manufacturer"] | MASK["dispensers"] | MASK["regulators"]), "ObservationRecorded"),
    # RecallManager
    Op("openRecall", K(MAN, NAT, PROV), _open_recall, by_kind(MASK["openers"]), "RecallOpened"),
    Op("issueNotice", K(MAN), _recall_step("issueNotice", 0), by_kind(MASK["manufacturer"]), "RecallNoticeIssued"),
    Op("reportProgress", K(MAN), _recall_step("reportProgress", 1), by_kind(MASK["manufacturer"]),
       "RecallProgressReported"),
    Op("completeRecall", K(MAN), _recall_step("completeRecall", 1), by_kind(MASK["manufacturer"]),
       "RecallCompleted"),
    Op("evaluateRecall", REG, _recall_step("evaluateRecall", 2), by_kind(MASK["regulators"]), "RecallEvaluated"),
    Op("recordRecovery", HOLDERS, _recall_step("recordRecovery", 1), by_kind(MASK["holders"]), "RecoveryRecorded"),
    Op("recordDestruction", HOLDERS, _recall_step("recordDestruction", 1), by_kind(MASK["holders"]),
       "DestructionRecorded"),
    Op("countersignDestruction", K(NAT, PROV, AUD), _countersign, by_kind(MASK["supervisors"]),
       "DestructionConfirmed"),
    Op("recordDestructionFor", REG, _destruction_for, by_kind(MASK["regulators"]), "DestructionRecordedFor"),
    Op("voidShipment", REG, _void_shipment, by_kind(MASK["regulators"]), "ShipmentVoided"),
    # ProcurementLedger (issue 17)
    Op("publishBid", K(PLAT), _publish, by_kind(MASK["platform"]), "BidPublished"),
    Op("setAgreedVolumes", K(PLAT), lambda s, a: Call(s.w.procurement, "setAgreedVolumes",
       (_bid(s), [s.w.org("hosp")], [50])), by_kind(MASK["platform"]), "AgreedVolumeSet"),
    Op("withdrawBid", K(PLAT), _proc("withdrawBid", _bid, H1), by_kind(MASK["platform"]), "BidWithdrawn"),
    Op("setSettlementPeriod", K(PLAT), lambda s, a: Call(s.w.procurement, "setSettlementPeriod", (15 * 86_400_000,)),
       by_kind(MASK["platform"]), "SettlementPeriodSet"),
    Op("placeOrder", K(HOSP), lambda s, a: Call(s.w.procurement, "placeOrder", (_bid(s), s.w.org("dist"), 5, H1)),
       by_kind(MASK["hospital"]), "OrderPlaced"),
    Op("acceptOrder", K(DIST), _proc("acceptOrder", lambda s: _order(s, accept=False)), by_kind(MASK["distributor"]),
       "OrderStatusChanged"),
    Op("declineOrder", K(DIST), _proc("declineOrder", lambda s: _order(s, accept=False), H1),
       by_kind(MASK["distributor"]), "OrderStatusChanged"),
    Op("cancelOrder", K(HOSP), _proc("cancelOrder", lambda s: _order(s, accept=False), H1),
       by_kind(MASK["hospital"]), "OrderStatusChanged"),
    Op("closeOrder", K(HOSP), _close, by_kind(MASK["hospital"]), "OrderStatusChanged"),
    Op("recordDelivery", K(DIST), lambda s, a: Call(s.w.procurement, "recordDelivery", (_order(s), s.w.custody.transact(
        "dispatch", s.batch.batch_id, s.w.org("hosp"), s.w.org("log"), 2, Z32, sender=s.w.acct("dist")).output)),
       by_kind(MASK["distributor"]), "DeliveryRecorded"),
    Op("confirmReceipt", K(HOSP), _proc("confirmReceipt", lambda s: _shipped(s, receive=True)),
       by_kind(MASK["hospital"]), "DeliveryAccepted"),  # only the ordering hospital accepts
    Op("invoice", K(DIST), _proc("invoice", _accepted, 3 * 1250, H1), by_kind(MASK["distributor"]), "Invoiced"),
    Op("recordPayment", K(HOSP), _proc("recordPayment", lambda s: _accepted(s, invoiced=True), 3 * 1250, H1),
       by_kind(MASK["hospital"]), "PaymentRecorded"),
    # packing (issue 17A) and unit-level operations (issue 12)
    Op("commitPackedBatch", K(MAN), _commit_packed, by_kind(MASK["manufacturer"]), "BatchPackingCommitted"),
    Op("dispatchPacked", K(MAN, DIST), _dispatch_packed, by_kind(MASK["forward_senders"]), "PackedShipmentDispatched"),
    Op("dispatchPacked:return", K(DIST, PHARM, HOSP), _return_packed, by_kind(MASK["return_senders"]),
       "PackedShipmentDispatched"),
    Op("receivePacked", HOLDERS, _receive_packed, _not_addressee, "ShipmentReceived"),
    Op("unpack", HOLDERS, _unpack, _not_holder, "ContainerUnpacked"),
    Op("repack", HOLDERS, _repack, lambda s, a, c: _not_holder(s, a, c, 3), "ContainerRepacked"),
    Op("dispense:packed", K(PHARM, HOSP), _dispense_packed, by_kind(MASK["dispensers"]), "UnitDispensed"),
    Op("dispenseMany:packed", K(PHARM, HOSP), _dispense_many_packed, by_kind(MASK["dispensers"]), "UnitDispensed"),
    Op("decommission:packed", HOLDERS | REG, _decommission_packed, by_kind(MASK["holders"] | MASK["regulators"]),
       "UnitDecommissioned"),
    Op("packedDispatch", K(), _packing_only("packedDispatch"), only_packing(), None, pausable=False),
    Op("packedReceive", K(), _packing_only("packedReceive"), only_packing(), None, pausable=False),
    Op("dispenseMany", K(PHARM, HOSP), _dispense_many, by_kind(MASK["dispensers"]), "UnitDispensed"),
    Op("decommission", HOLDERS | REG, _decommission, by_kind(MASK["holders"] | MASK["regulators"]),
       "UnitDecommissioned"),
    # range custody of unpacked batches (D9): the CustodyLedger's alone
    *(Op(fn, K(), _ranges_only(fn), only_custody(), None, pausable=False)
      for fn in ("dispatchUnits", "receiveUnits", "returnUnits", "consumeMany")),

    *CORRECTIONS,
]


def _expect_revert(call: Call, sender: str, name: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(Reverted) as info:
        call.contract.transact(call.fn, *call.args, sender=sender)
    assert (info.value.name, info.value.args_) == (name, args)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=[k.name for k in ALL_KINDS])
@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
def test_every_write_against_every_kind(scene: Scene, op: Op, kind: Kind) -> None:
    actor = scene.w.primary(kind)
    call = op.prepare(scene, actor)
    if kind in op.allowed:
        result = call.contract.transact(call.fn, *call.args, sender=actor.account)
        assert op.event is not None and result.named(op.event), [e.name for e in result.events]
    else:
        name, args = op.refusal(scene, actor, call)
        _expect_revert(call, actor.account, name, args)


@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
def test_unregistered_account_is_refused(scene: Scene, op: Op) -> None:
    stranger = scene.w.stranger
    call = op.prepare(scene, scene.w.primary(next(iter(op.allowed), Kind.NATIONAL)))
    if not op.allowed:  # a suite-only (or PackingLedger-only) entry point: the same refusal as for any kind
        as_stranger = Actor("stranger", Kind.NATIONAL, 0, stranger, Z32)
        _expect_revert(call, stranger, *op.refusal(scene, as_stranger, call))
    else:
        _expect_revert(call, stranger, "OrgRegistryUnknownAccount", (stranger,))


@pytest.mark.parametrize("kind", ALL_KINDS, ids=[k.name for k in ALL_KINDS])
def test_flag_overdue_is_open_to_every_kind_and_to_strangers(scene: Scene, kind: Kind) -> None:
    """ProcurementLedger.flagOverdue is the one write outside the matrix: anyone (every kind, a
    suspended organisation, an unregistered account) may raise a due alert; only a pause stops it."""
    w = scene.w
    sid = _accepted(scene)
    w.chain.advance(30 * 86_400_000 + 1)
    actor = w.primary(kind)
    call = Call(w.procurement, "flagOverdue", (sid,))
    w.orgs.transact("pause", sender=w.acct("nat"))
    _expect_revert(call, actor.account, "OrgRegistryEnforcedPause", ())
    w.orgs.transact("unpause", sender=w.acct("nat"))
    if kind != Kind.NATIONAL:
        w.orgs.transact("suspendOrg", actor.org_id, H1, sender=w.acct("nat"))
    assert w.procurement.transact("flagOverdue", sid, sender=actor.account).one("SettlementOverdue")["paid"] is False
    _expect_revert(call, w.stranger, "ProcurementLedgerNotOverdue",
                   (sid, w.procurement.call("getDelivery", sid)[4], w.chain.timestamp_ms))


def test_flag_overdue_by_a_stranger(scene: Scene) -> None:
    w = scene.w
    sid = _accepted(scene)
    w.chain.advance(30 * 86_400_000 + 1)
    assert w.procurement.transact("flagOverdue", sid, sender=w.stranger).named("SettlementOverdue")


def test_every_procurement_write_is_covered() -> None:
    """The matrix names every state-changing function of IProcurementLedger (flagOverdue apart, above)."""
    import re
    from pathlib import Path

    src = (Path(__file__).resolve().parents[2] / "contracts" / "interfaces" / "IProcurementLedger.sol").read_text()
    writes = {m.group(1) for m in re.finditer(r"function (\w+)\([^)]*\)\s*external\s*(?:returns[^;]*)?;", src)}
    assert writes, "no write found in IProcurementLedger.sol"
    assert writes - {o.name for o in OPS} == {"flagOverdue"}


def test_packing_writes_need_the_holder_not_only_the_kind(scene: Scene) -> None:
    """Past the kind check, a packed batch's container and unit writes belong to the holder
    (contracts/README.md "Packing"): an organisation of an allowed kind that does not hold the
    container (or the unit, loose) is refused, whatever else of the batch it holds."""
    w = scene.w
    pb = _packed(scene)
    b = pb.batch_id
    w.packing.transact("unpack", b, pallet_key(0), sender=w.acct("man"))
    w.ship_packed(b, "man", "pharm", [case_key(0)])
    w.packing.transact("unpack", b, case_key(0), sender=w.acct("pharm"))  # units 0-9 loose at pharm
    w.ship_packed(b, "man", "hosp", [case_key(1)])  # units 10-19 in an intact case at hosp
    w.ship_packed(b, "man", "dist", [pallet_key(1)])  # dist holds units of the batch too (quantity checks pass)

    def refused(contract: Contract, fn: str, args: tuple[Any, ...], who: str, name: str, expect: tuple[Any, ...]) -> None:
        _expect_revert(Call(contract, fn, args), w.acct(who), name, expect)

    refused(w.packing, "unpack", (b, case_key(1)), "dist", "PackingLedgerNotHolder", (b, case_key(1), w.org("dist"), 1))
    refused(w.packing, "unpack", (b, case_key(1)), "pharm", "PackingLedgerNotHolder",
            (b, case_key(1), w.org("pharm"), 1))
    refused(w.packing, "repack", (b, case_key(0)), "hosp", "PackingLedgerNotHolder", (b, case_key(0), w.org("hosp"), 3))
    refused(w.packing, "repack", (b, case_key(0)), "man", "PackingLedgerNotHolder", (b, case_key(0), w.org("man"), 3))
    refused(w.packing, "dispatchPacked", (b, w.org("hosp"), w.org("log"), [case_key(1)], False, Z32), "dist",
            "PackingLedgerNotHolder", (b, case_key(1), w.org("dist"), 1))
    refused(w.packing, "dispatchPacked", (b, w.org("man"), w.org("log"), [3], True, Z32), "hosp",
            "PackingLedgerNotHolder", (b, 3, w.org("hosp"), 1))
    # dispensing: a unit loose at another holder (D9), and a unit of the dispenser's own intact case
    for who, i in (("hosp", 3), ("hosp", 13), ("pharm", 13)):
        refused(w.custody, "dispense", (b, i, pb.code_hash(i), pb.proof(i)), who, "CustodyLedgerNotUnitHolder",
                (b, i, w.org(who)))
    refused(w.custody, "dispenseMany", (b, [3, 13], [pb.code_hash(3), pb.code_hash(13)], pb.multiproof([3, 13])),
            "pharm", "CustodyLedgerNotUnitHolder", (b, 13, w.org("pharm")))
    # a regulator samples only from the unit's holder
    refused(w.custody, "decommission", (b, [13], [pb.code_hash(13)], pb.multiproof([13]), 5, w.org("hosp"), Z32),
            "prov", "CustodyLedgerNotUnitHolder", (b, 13, w.org("hosp")))
    # the holders themselves may
    assert w.custody.transact("dispense", b, 3, pb.code_hash(3), pb.proof(3), sender=w.acct("pharm")).named(
        "UnitDispensed")
    assert w.packing.transact("unpack", b, case_key(1), sender=w.acct("hosp")).named("ContainerUnpacked")
    assert w.custody.transact("decommission", b, [13], [pb.code_hash(13)], pb.multiproof([13]), 5, w.org("hosp"), Z32,
                              sender=w.acct("prov")).named("UnitDecommissioned")


def _writes(interface: str) -> set[str]:
    import re
    from pathlib import Path

    src = (Path(__file__).resolve().parents[2] / "contracts" / "interfaces" / interface).read_text()
    writes = {m.group(1) for m in re.finditer(r"function (\w+)\([^)]*\)\s*external\s*(?:returns[^;]*)?;", src)}
    assert writes, f"no write found in {interface}"
    return writes


def test_every_packing_and_custody_write_is_covered() -> None:
    """The matrix names every state-changing function of IPackingLedger and ICustodyLedger (the
    PackingLedger's entry points into custody included), and commitPackedBatch (issue 17A)."""
    names = {o.name.split(":")[0] for o in OPS}
    assert _writes("IPackingLedger.sol") - names == set()
    assert _writes("ICustodyLedger.sol") - names == set()
    assert _writes("IRangeLedger.sol") - names == set()
    assert "commitPackedBatch" in _writes("IDrugRegistry.sol") and "commitPackedBatch" in names
    # the packed variants of the unit-level writes, beside the plain ones
    assert {"dispense:packed", "dispenseMany:packed", "decommission:packed"} <= {o.name for o in OPS}


def _suspendable(op: Op) -> list[Kind]:
    return sorted(k for k in op.allowed if k != Kind.NATIONAL)  # the root cannot be suspended


@pytest.mark.parametrize("op", [o for o in OPS if _suspendable(o)], ids=[o.name for o in OPS if _suspendable(o)])
def test_suspended_organisation_is_refused(scene: Scene, op: Op) -> None:
    w = scene.w
    actor = w.primary(_suspendable(op)[0])
    call = op.prepare(scene, actor)
    w.orgs.transact("suspendOrg", actor.org_id, H1, sender=w.acct("nat"))
    _expect_revert(call, actor.account, "OrgRegistryOrgNotActive", (actor.org_id, 2))
    w.orgs.transact("restoreOrg", actor.org_id, H1, sender=w.acct("nat"))
    result = call.contract.transact(call.fn, *call.args, sender=actor.account)  # restored: allowed again
    assert result.named(op.event or "")


@pytest.mark.parametrize("op", [o for o in OPS if o.pausable], ids=[o.name for o in OPS if o.pausable])
def test_paused_suite_refuses_every_write(scene: Scene, op: Op) -> None:
    w = scene.w
    actor = w.primary(sorted(op.allowed)[0])
    call = op.prepare(scene, actor)
    w.orgs.transact("pause", sender=w.acct("nat"))
    _expect_revert(call, actor.account, "OrgRegistryEnforcedPause", ())
    w.orgs.transact("unpause", sender=w.acct("nat"))
    assert call.contract.transact(call.fn, *call.args, sender=actor.account).named(op.event or "")


def test_pause_twice_and_unpause_when_running_are_refused(scene: Scene) -> None:
    w = scene.w
    _expect_revert(Call(w.orgs, "unpause", ()), w.acct("nat"), "OrgRegistryPauseUnchanged", (False,))
    r = w.orgs.transact("pause", sender=w.acct("nat"))
    assert r.one("Paused").args == {"account": w.acct("nat")}
    assert w.orgs.call("paused") is True
    _expect_revert(Call(w.orgs, "pause", ()), w.acct("nat"), "OrgRegistryPauseUnchanged", (True,))
    assert w.orgs.transact("unpause", sender=w.acct("nat")).one("Unpaused").args == {"account": w.acct("nat")}


def test_expired_licence_is_refused(scene: Scene) -> None:
    w = scene.w
    expiry = w.chain.timestamp_ms + 1000
    w.orgs.transact("updateLicence", w.org("pharm"), expiry, H1, sender=w.acct("nat"))
    call = _dispense(scene, w["pharm"])
    w.chain.advance(1001)
    _expect_revert(call, w.acct("pharm"), "OrgRegistryLicenceExpired", (w.org("pharm"), expiry))


def test_link_suite_only_once_and_only_by_national(scene: Scene) -> None:
    w = scene.w
    args = (w.drugs.address, w.custody.address, w.obs.address, w.recalls.address)
    _expect_revert(Call(w.orgs, "linkSuite", args), w.acct("nat"), "OrgRegistrySuiteAlreadyLinked", ())
    for kind in ALL_KINDS[1:]:
        a = w.primary(kind)
        _expect_revert(Call(w.orgs, "linkSuite", args), a.account, "OrgRegistryUnauthorizedKind",
                       (a.org_id, int(kind), MASK["national"]))


def test_link_procurement_only_once_and_only_by_national(scene: Scene) -> None:
    """OrgRegistry.linkProcurement (issue 17 B) against every kind and a stranger."""
    w = scene.w
    call = Call(w.orgs, "linkProcurement", (w.procurement.address,))
    _expect_revert(call, w.acct("nat"), "OrgRegistrySuiteAlreadyLinked", ())
    for kind in ALL_KINDS[1:]:
        a = w.primary(kind)
        _expect_revert(call, a.account, "OrgRegistryUnauthorizedKind", (a.org_id, int(kind), MASK["national"]))
    _expect_revert(call, w.stranger, "OrgRegistryUnknownAccount", (w.stranger,))


# ----------------------------------------------------------------------------- provincial remit


def test_provincial_regulator_outside_its_region(scene: Scene) -> None:
    """``prov_b`` (region B) acting on region-A organisations, products, batches and cases."""
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    pb = w["prov_b"]
    outside = [
        (Call(w.orgs, "registerOrg", (b"\x43" * 32, int(Kind.PHARMACY), 110000, 0, Z32)),
         ("OrgRegistryOutsideRemit", (pb.org_id, b"\x43" * 32))),
        (Call(w.orgs, "suspendOrg", (w.org("pharm"), H1)), ("OrgRegistryOutsideRemit", (pb.org_id, w.org("pharm")))),
        (Call(w.orgs, "bindAccount", ("0x" + "78" * 20, w.org("pharm"))),
         ("OrgRegistryOutsideRemit", (pb.org_id, w.org("pharm")))),
        (Call(w.drugs, "setAdrPolicy", (p, 1, 0, True)), ("DrugRegistryOutsideRemit", (pb.org_id, w.org("man")))),
        (Call(w.drugs, "transitionBatch", (b, 2, 0, Z32)), ("DrugRegistryOutsideRemit", (pb.org_id, w.org("man")))),
        (Call(w.drugs, "transitionProduct", (p, 2, 0, Z32)),
         ("DrugRegistryOutsideRemit", (pb.org_id, w.org("man")))),
        (Call(w.custody, "releaseQuarantine", (b, w.org("pharm"), 1, Z32)),
         ("CustodyLedgerOutsideRemit", (pb.org_id, w.org("pharm")))),
        (Call(w.obs, "recordObservation", (int(Point.INSPECTION), b, 0, int(Result.FAIL), 0, 0, Z32)),
         ("ObservationLogUnauthorizedReporter", (int(Point.INSPECTION), pb.org_id))),
    ]
    for call, (name, args) in outside:
        _expect_revert(call, pb.account, name, args)
    # a provincial regulator may not manage regulators, even in its own region
    _expect_revert(Call(w.orgs, "suspendOrg", (w.org("prov"), H1)), pb.account, "OrgRegistryOutsideRemit",
                   (pb.org_id, w.org("prov")))
    _expect_revert(Call(w.orgs, "registerOrg", (b"\x44" * 32, int(Kind.PROVINCIAL), 310000, 0, Z32)), pb.account,
                   "OrgRegistryOutsideRemit", (pb.org_id, b"\x44" * 32))
    _expect_revert(Call(w.orgs, "registerOrg", (b"\x45" * 32, int(Kind.NATIONAL), 310000, 0, Z32)), w.acct("nat"),
                   "OrgRegistryInvalidKind", (int(Kind.NATIONAL),))
    _expect_revert(Call(w.orgs, "registerOrg", (Z32, int(Kind.PHARMACY), 310000, 0, Z32)), w.acct("nat"),
                   "OrgRegistryZeroOrgId", ())
    # in its own region it may onboard a pharmacy
    r = w.orgs.transact("registerOrg", b"\x46" * 32, int(Kind.PHARMACY), 310000, 0, Z32, sender=pb.account)
    ev = r.one("OrgRegistered")
    assert (ev["orgId"], ev["kind"], ev["region"], ev["byOrgId"]) == (b"\x46" * 32, int(Kind.PHARMACY), 310000,
                                                                      pb.org_id)


def test_provincial_regulator_outside_region_on_recalls(scene: Scene) -> None:
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    pb = w["prov_b"]
    w.stop_batch(b)
    _expect_revert(Call(w.recalls, "openRecall", (p, b, 1, H1)), pb.account, "RecallManagerUnauthorized",
                   (0, pb.org_id))
    rid = w.open_recall(p, b, 1)
    w.recalls.transact("issueNotice", rid, H1, sender=w.acct("man"))
    w.recalls.transact("completeRecall", rid, H1, sender=w.acct("man"))
    _expect_revert(Call(w.recalls, "evaluateRecall", (rid, True, H1)), pb.account, "RecallManagerUnauthorized",
                   (rid, pb.org_id))
    did = w.recalls.transact("recordDestruction", rid, 1, False, H1, sender=w.acct("dist")).output
    _expect_revert(Call(w.recalls, "countersignDestruction", (did,)), pb.account, "RecallManagerUnauthorized",
                   (rid, pb.org_id))


def test_manufacturer_acts_only_on_its_own_products(scene: Scene) -> None:
    w, b, p = scene.w, scene.batch.batch_id, scene.product
    mb = w["man_b"]
    t = w.chain.timestamp_ms
    _expect_revert(Call(w.drugs, "commitBatch", (p, "X", t, t + 1, 1, H1, Z32)), mb.account,
                   "DrugRegistryNotProductHolder", (p, mb.org_id))
    _expect_revert(Call(w.drugs, "transitionBatch", (b, 2, 0, Z32)), mb.account, "DrugRegistryNotProductHolder",
                   (p, mb.org_id))
    pending = w.commit_batch(p, "UNRELEASED", 3, release=False)
    w.pass_release_gate(pending)
    _expect_revert(Call(w.drugs, "releaseBatch", (pending.batch_id, Z32)), mb.account,
                   "DrugRegistryNotProductHolder", (p, mb.org_id))
    _expect_revert(Call(w.obs, "recordObservation", (int(Point.PROCESS_PROGRESS), pending.batch_id, 0, 0, 0, 0, Z32)),
                   mb.account, "ObservationLogUnauthorizedReporter", (int(Point.PROCESS_PROGRESS), mb.org_id))
    _expect_revert(Call(w.obs, "recordObservation", (int(Point.INSPECTION), b, 0, 0, 0, 0, Z32)), mb.account,
                   "ObservationLogUnauthorizedReporter", (int(Point.INSPECTION), mb.org_id))
    w.stop_batch(b)
    _expect_revert(Call(w.recalls, "openRecall", (p, b, 1, H1)), mb.account, "RecallManagerUnauthorized",
                   (0, mb.org_id))
    rid = w.open_recall(p, b, 1)
    _expect_revert(Call(w.recalls, "issueNotice", (rid, H1)), mb.account, "RecallManagerUnauthorized",
                   (rid, mb.org_id))


# ----------------------------------------------------------------------------- corrections: rank and remit


def test_voids_are_ranked_and_in_remit(scene: Scene) -> None:
    """A void never escapes a higher authority: a provincial regulator voids neither the national
    regulator's inspection, nor a destruction it counter-signed, nor a batch it stopped; another
    region's regulator voids nothing here. The national regulator voids each."""
    w, b = scene.w, scene.batch.batch_id
    nat_obs = w.obs.transact("recordObservation", int(Point.INSPECTION), b, 0, int(Result.OK), 0, 0, H1,
                             sender=w.acct("nat")).output
    prov_obs = w.obs.transact("recordObservation", int(Point.INSPECTION), b, 0, int(Result.OK), 0, 0, H1,
                              sender=w.acct("prov")).output
    void_obs = lambda oid: Call(w.obs, "voidObservation", (oid, H1))  # noqa: E731
    _expect_revert(void_obs(nat_obs), w.acct("prov"), "ObservationLogVoidUnauthorized", (nat_obs, w.org("prov")))
    _expect_revert(void_obs(prov_obs), w.acct("prov_b"), "ObservationLogVoidUnauthorized",
                   (prov_obs, w.org("prov_b")))
    assert w.obs.transact("voidObservation", nat_obs, H1, sender=w.acct("nat")).named("ObservationVoided")

    w.stop_batch(b)  # by the national regulator
    rid = w.open_recall(scene.product, b, 2)
    did = w.recalls.transact("recordDestruction", rid, 2, False, H1, sender=w.acct("dist")).output
    w.recalls.transact("countersignDestruction", did, sender=w.acct("nat"))
    void_d = Call(w.recalls, "voidDestruction", (did, H1))
    _expect_revert(void_d, w.acct("prov"), "RecallManagerVoidUnauthorized", (did, w.org("prov")))
    _expect_revert(void_d, w.acct("prov_b"), "RecallManagerUnauthorized", (rid, w.org("prov_b")))
    _expect_revert(void_d, w.acct("dist"), "RecallManagerVoidUnauthorized", (did, w.org("dist")))
    assert w.recalls.transact("voidDestruction", did, H1, sender=w.acct("nat")).named("DestructionVoided")

    other = w.commit_batch(scene.product, "RANKED", 4)
    w.stop_batch(other.batch_id)  # national
    void_b = Call(w.drugs, "voidBatch", (other.batch_id, H1))
    _expect_revert(void_b, w.acct("prov"), "DrugRegistryOutranked", (other.batch_id, w.org("nat"), w.org("prov")))
    _expect_revert(void_b, w.acct("man"), "DrugRegistryOutranked", (other.batch_id, w.org("nat"), w.org("man")))
    _expect_revert(void_b, w.acct("prov_b"), "DrugRegistryOutsideRemit", (w.org("prov_b"), w.org("man")))
    assert w.drugs.transact("voidBatch", other.batch_id, H1, sender=w.acct("nat")).named("BatchVoided")
