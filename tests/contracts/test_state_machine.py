"""Random operation sequences by random actors, contracts vs the plain-Python model (model.py).

Every step runs one operation on both; they must agree on success or failure, on the custom
error's name and arguments, and on the return value. After every step the observable state is
compared: organisation statuses, pause flag, product and batch lifecycle states, every holding
(quantity and quarantine) of every batch at every organisation, shipment status/received/
excursion, the dispense bitmaps, recall and destruction statuses, recovered totals, observation
and serious-reaction counters (cumulative and within a window), and each batch's release gate
(approved/pending process definition, step bits, release test), and for packed batches (issue
17A) every pallet's, case's and unit's place (containerState) and every unit's loose holder
(unitHolder) after each step that may move one. Each example starts from a snapshot of one
deployed world. ``PackingMachine`` is the same machine narrowed to custody and packing, with a
packed batch stocked first, so pallets, cases and loose units go deep in a short run.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import merkle_reference as ref
from harness import DAY_MS, ARTIFACTS_DIR, DevChainHarness, Reverted, address_of, load_artifacts
from model import (CASE, HELD, OPENED, PALLET, REPORTERS, TRANSIT, Kind, Level, Model, Point, Rejected, Result,
                   ShipmentStatus, State, bit, container_key)
from world import CAST, Actor, BatchInfo, World

from fisco_drugtrace.drugtrace.packing import PackingLayout, PackingTree

Z32 = bytes(32)
H = b"\x5d" * 32
H2 = b"\x6e" * 32  # another process definition document

_ARTIFACTS = load_artifacts(ARTIFACTS_DIR) if ARTIFACTS_DIR.is_dir() else {}
if "RecallManager" not in _ARTIFACTS:  # committed package data: missing is a defect, not a skip
    pytest.fail(f"contract artifacts missing in {ARTIFACTS_DIR} (rebuild with `fisco-drugtrace contracts compile`)",
                pytrace=False)

_BASE: dict[str, Any] = {}
# the calls after which the containers' places are compared (the comparison is ~50 calls a batch)
_MOVES_CONTAINERS = {"commitPackedBatch", "dispatchPacked", "receivePacked", "unpack", "repack", "rejectShipment",
                     "voidShipment", "dispense", "dispenseMany", "decommission"}
REPORTER_KINDS = {p: tuple(k for k in Kind if k and mask & bit(k)) for p, mask in REPORTERS.items()}


@pytest.fixture(scope="module", autouse=True)
def _on_the_dev_chain(module_chain: DevChainHarness) -> Iterator[None]:
    """The machine's world lives on the plugin's session dev chain (gone after this module); it is
    deployed here, outside any one test's snapshot, so both machines start from it."""
    _BASE["chain"] = module_chain
    _base()
    try:
        yield
    finally:
        _BASE.clear()


def _base() -> tuple[World, Model]:
    """Deploy once per module; every example reverts to this state."""
    if "world" not in _BASE:
        w = World.deploy(_ARTIFACTS, chain=_BASE["chain"])
        m = Model.genesis(w.acct("nat"), w.org("nat"), CAST["nat"][1], w.chain.timestamp_ms)
        for name, actor in w.actors.items():
            if name != "nat":
                m.register_org(w.acct("nat"), actor.org_id, actor.kind, actor.region)
                m.bind_account(w.acct("nat"), actor.account, actor.org_id)
        _BASE.update(world=w, model=m)
    return _BASE["world"], _BASE["model"]


ACTOR_NAMES = list(CAST) + ["stranger"]
LOTS = ["L1", "L2", "L3"]
# Biased toward the transitions that exist, without excluding any pair or actor.
TARGET_STATES = st.sampled_from([State.STOPPED] * 3 + [State.LISTED] * 2 + list(State))
LIFECYCLE_ACTORS = st.sampled_from(["nat", "nat", "prov", "prov_b", "man", "man", "man_b"] + ACTOR_NAMES)
APPROVALS = [("国药准字A1", "10片"), ("国药准字B2", "1瓶")]
# Thresholds around the small counts a run reaches, plus the cap and just above it (refused).
ADR_THRESHOLDS = st.sampled_from([0, 1, 2, 2, 3, 3, 32, 33])
ADR_WINDOWS = st.sampled_from([0, 0, 60_000, DAY_MS])


class DrugTraceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        base_world, base_model = _base()
        self.w = base_world
        self.snap = self.w.chain.snapshot()
        self.actors = dict(self.w.actors)
        self.m = base_model.clone()
        self.products: list[bytes] = []
        self.batches: dict[bytes, BatchInfo] = {}
        self.extra_orgs = 0
        self.settle_lots = 0  # batches stocked by settle_an_order (issue 17 B)
        self.packed: list[bytes] = []  # packed batches committed (issue 17A)
        self.packing_dirty = False  # a step that may have moved a container: compare them all
        self.gate_lots = 0  # batches committed by release_gate_fail_then_ok (issue 12)
        self.root = self.w.org("nat")

    def teardown(self) -> None:
        self.w.chain.revert(self.snap)
        self.w.actors = self.actors

    # ------------------------------------------------------------------ the comparison

    def account(self, name: str) -> str:
        return self.w.stranger if name == "stranger" else self.w.acct(name)

    def run(self, op: str, margs: tuple[Any, ...], contract: Any, fn: str, cargs: tuple[Any, ...],
            sender: str) -> Any:
        if fn in _MOVES_CONTAINERS:
            self.packing_dirty = True
        try:
            expected: Any = ("ok", self.m.apply(op, *margs))
        except Rejected as rej:
            expected = ("err", rej.name, rej.args_)
        try:
            actual: Any = ("ok", contract.transact(fn, *cargs, sender=sender).output)
        except Reverted as rev:
            actual = ("err", rev.name, rev.args_)
        if expected[0] == "ok" and actual[0] == "ok":
            value = expected[1]["id"] if isinstance(expected[1], dict) else expected[1]
            if actual[1] is not None and not isinstance(value, tuple):  # functions without outputs give None
                assert actual[1] == value, (fn, cargs, expected, actual)
        else:
            assert actual == expected, (fn, cargs, expected, actual, sender)
        return actual

    # ------------------------------------------------------------------ a stocked start

    @initialize(n=st.integers(1, 20), shelf_days=st.integers(5, 30))
    def stock(self, n: int, shelf_days: int) -> None:
        """Both products registered, one batch committed and spread along the chain (all compared)."""
        for (approval, spec), mah in zip(APPROVALS, ("man", "man_b")):
            pid = ref.product_id(approval, spec)
            self.run("register_product", (self.account("nat"), pid, self.w.org(mah), 20, 80), self.w.drugs,
                     "registerProduct", (approval, spec, self.w.org(mah), 20, 80, Z32), self.account("nat"))
            self.products.append(pid)
        self._commit(self.products[0], "L0", n, shelf_days, "man")
        bid = next(iter(self.batches))
        self._release(bid, "man", approve=True)
        for frm, to, qty in (("man", "dist", n), ("dist", "pharm", n // 2), ("dist", "hosp", n // 4)):
            if qty == 0:
                continue
            sid = self.run("dispatch", (self.account(frm), bid, self.w.org(to), self.w.org("log"), qty),
                           self.w.custody, "dispatch", (bid, self.w.org(to), self.w.org("log"), qty, H),
                           self.account(frm))[1]
            self.run("receive", (self.account(to), sid, qty), self.w.custody, "receiveShipment", (sid, qty, H),
                     self.account(to))

    def _commit(self, pid: bytes, lot: str, n: int, shelf_days: int, by: str) -> bool:
        bid = ref.batch_id(pid, lot)
        codes = [f"{int.from_bytes(bid[:3], 'big') % 10**7:07d}{i:013d}" for i in range(n)]
        tree = ref.MerkleTree.for_codes(bid, codes)
        now = self.w.chain.timestamp_ms
        production, expiry = now - DAY_MS, now + shelf_days * DAY_MS
        r = self.run("commit_batch", (self.account(by), pid, bid, production, expiry, n), self.w.drugs,
                     "commitBatch", (pid, lot, production, expiry, n, tree.root, Z32), self.account(by))
        if r[0] == "ok":
            self.batches[bid] = BatchInfo(bid, pid, lot, codes, tree, expiry)
        return r[0] == "ok"

    def _observe(self, by: str, point: Point, subject: bytes, result: Result, lo: int, hi: int,
                 evidence: bytes = H, shipment: int = 0) -> Any:
        return self.run("record_observation", (self.account(by), point, subject, shipment, result, lo, hi, evidence),
                        self.w.obs, "recordObservation", (int(point), subject, shipment, int(result), lo, hi, evidence),
                        self.account(by))

    def _release(self, bid: bytes, by: str, *, approve: bool = False, steps: int = 1) -> Any:
        """Pass the release gate as far as the model lets the MAH (approve a ``steps``-step process
        first if asked; a regulator lifts a block), then try releaseBatch as ``by``."""
        info = self.batches[bid]
        mah = next(n for n, a in self.w.actors.items() if a.org_id == self.m.batches[bid].mah)
        approved, pending, *_, blocked_by = self.m.release_status(bid)
        if blocked_by:
            self._observe("nat", Point.INSPECTION, bid, Result.OK, 0, 0)
        if approve or not approved or pending:
            self._observe(mah, Point.PROCESS_DEFINITION, info.product_id, Result.OK, 0, steps)
            # the approval names the same document and step count (issue 12, defect 9)
            self._observe("nat", Point.PROCESS_DEFINITION, info.product_id, Result.OK, 0, steps)
        _, _, count, bits, *_ = self.m.release_status(bid)
        for step in range(count):
            if not bits >> step & 1:
                self._observe(mah, Point.PROCESS_PROGRESS, bid, Result.OK, step, 0)
        self._observe(mah, Point.INSPECTION, bid, Result.OK, 0, 0)
        return self._release_only(bid, by)

    def _release_only(self, bid: bytes, by: str) -> Any:
        outcome = self.run("release_batch", (self.account(by), bid), self.w.drugs, "releaseBatch", (bid, H),
                           self.account(by))
        event(f"releaseBatch: {'released' if outcome[0] == 'ok' else outcome[1]}")
        return outcome

    # ------------------------------------------------------------------ rules: organisations

    @rule(data=st.data(), kind=st.sampled_from(list(Kind)[1:]), region=st.sampled_from([110000, 310000]))
    def onboard(self, data: st.DataObject, kind: Kind, region: int) -> None:
        if self.extra_orgs >= 4:
            return
        by = data.draw(st.sampled_from(["nat", "prov", "prov_b", "man", "stranger"]))
        org = ref.org_id(f"EXTRA-{self.extra_orgs}")
        acct = address_of(500 + self.extra_orgs)
        r = self.run("register_org", (self.account(by), org, kind, region), self.w.orgs, "registerOrg",
                     (org, int(kind), region, 0, Z32), self.account(by))
        if r[0] == "ok":
            self.extra_orgs += 1
            self.run("bind_account", (self.account(by), acct, org), self.w.orgs, "bindAccount", (acct, org),
                     self.account(by))
            name = f"extra{self.extra_orgs}"
            self.w.actors[name] = Actor(name, kind, region, acct, org)

    def _org_names(self) -> list[str]:
        return list(self.w.actors)

    @rule(data=st.data(), suspend=st.sampled_from([True, False, False]))
    def suspend_or_restore(self, data: st.DataObject, suspend: bool) -> None:
        by = data.draw(st.sampled_from(["nat", "nat", "prov", "prov_b", "dist", "stranger"]))
        suspended = [n for n in self._org_names() if self.m.orgs[self.w.org(n)].status == 2]
        target = data.draw(st.sampled_from(suspended if suspended and not suspend else self._org_names()))
        org = self.w.org(target)
        if suspend:
            self.run("suspend_org", (self.account(by), org, self.root), self.w.orgs, "suspendOrg", (org, H),
                     self.account(by))
        else:
            self.run("restore_org", (self.account(by), org), self.w.orgs, "restoreOrg", (org, H), self.account(by))

    @rule(data=st.data(), lifetime=st.sampled_from([0, 0, 60_000, DAY_MS, 5 * DAY_MS]))
    def update_licence(self, data: st.DataObject, lifetime: int) -> None:
        """Give an organisation a licence expiring soon (or none); time rules then let it lapse."""
        by = data.draw(st.sampled_from(["nat", "prov", "prov_b", "man"]))
        # the root too: it accepts only "no expiry" (OrgRegistryRootProtected otherwise)
        target = data.draw(st.sampled_from(self._org_names() + ["nat"] * 3))
        expiry = self.w.chain.timestamp_ms + lifetime if lifetime else 0
        org = self.w.org(target)
        self.run("update_licence", (self.account(by), org, expiry, self.root), self.w.orgs, "updateLicence", (org, expiry, H),
                 self.account(by))

    @rule(data=st.data())
    def pause_briefly(self, data: st.DataObject) -> None:
        """Pause (by a random actor), try a random write while paused, unpause (random actor)."""
        for op in ("pause", "unpause"):
            by = data.draw(st.sampled_from(["nat", "nat", "nat", "prov", "man"]))
            self.run(op, (self.account(by),), self.w.orgs, op, (), self.account(by))
            if op == "pause" and self.batches:
                info = self.batches[self._batch(data)]
                self.run("dispense", (self.account("pharm"), info.batch_id, 0, True), self.w.custody, "dispense",
                         (info.batch_id, 0, info.code_hash(0), info.proof(0)), self.account("pharm"))
        if self.m.paused:  # both refused to unpause: leave the suite running for the next steps
            self.run("unpause", (self.account("nat"),), self.w.orgs, "unpause", (), self.account("nat"))

    @rule(ms=st.sampled_from([1, 60_000, 60_000, DAY_MS, DAY_MS, 3 * DAY_MS + 1]))
    def advance_time(self, ms: int) -> None:
        self.w.chain.advance(ms)
        self.m.now = self.w.chain.timestamp_ms

    # ------------------------------------------------------------------ rules: products and batches

    @rule(data=st.data(), which=st.sampled_from(APPROVALS), temps=st.sampled_from([(20, 80), (-200, 250), (5, 4)]))
    def register_product(self, data: st.DataObject, which: tuple[str, str], temps: tuple[int, int]) -> None:
        by = data.draw(st.sampled_from(["nat", "nat", "prov", "man"]))
        mah = data.draw(st.sampled_from(["man", "man_b", "dist"]))
        pid = ref.product_id(*which)
        r = self.run("register_product", (self.account(by), pid, self.w.org(mah), *temps), self.w.drugs,
                     "registerProduct", (*which, self.w.org(mah), *temps, Z32), self.account(by))
        if r[0] == "ok" and pid not in self.products:
            self.products.append(pid)

    @rule(data=st.data(), lot=st.sampled_from(LOTS), n=st.integers(1, 24), shelf_days=st.integers(1, 6))
    def commit_batch(self, data: st.DataObject, lot: str, n: int, shelf_days: int) -> None:
        pid = data.draw(st.sampled_from(self.products))
        mah = next((n for n, a in self.w.actors.items() if a.org_id == self.m.products[pid].mah), "man")
        by = data.draw(st.sampled_from([mah] * 3 + ["man", "man_b", "dist", "nat"]))
        if self._commit(pid, lot, n, shelf_days, by) and data.draw(st.sampled_from([True, False, False])):
            self._release(ref.batch_id(pid, lot), by, steps=data.draw(st.sampled_from([1, 2])))  # the MAH, gate passed

    @rule(data=st.data(), steps=st.sampled_from([1, 1, 2, 3, 0, 257]), result=st.sampled_from([Result.OK] * 2 +
                                                                                          [Result.FAIL] * 2),
          approve=st.booleans())
    def define_process(self, data: st.DataObject, steps: int, result: Result, approve: bool) -> None:
        """Point 1: a (random) MAH defines a product's process; a (random) regulator may approve it,
        with the same document hash or another."""
        if not self.products:
            return
        pid = data.draw(st.sampled_from(self.products))
        by = data.draw(st.sampled_from(["man", "man", "man_b", "nat", "dist"]))
        evidence = data.draw(st.sampled_from([H, H, H2]))
        self._observe(by, Point.PROCESS_DEFINITION, pid, Result.OK, 0, steps, evidence)
        if approve:
            approver = data.draw(st.sampled_from(["nat", "prov", "prov_b", "man"]))
            pending = self.m.products[pid].pending_def
            self._observe(approver, Point.PROCESS_DEFINITION, pid, result, 0, 0, data.draw(st.sampled_from([H, H2])))
            if pending and not self.m.products[pid].pending_def:
                event("process definition " + ("approved" if self.m.products[pid].approved_def == pending
                                               else "rejected"))

    @rule(data=st.data(), step=st.sampled_from([0, 0, 1, 2, -1, 3]), result=st.sampled_from([Result.OK] * 3 +
                                                                                          [Result.DEVIATION]))
    def process_step(self, data: st.DataObject, step: int, result: Result) -> None:
        """Point 2: a step of the approved process for a batch (or a step outside it)."""
        if not self.batches:
            return
        bid = self._batch(data)
        by = data.draw(st.sampled_from(["man", "man", "man_b"]))
        self._observe(by, Point.PROCESS_PROGRESS, bid, result, step, 0)

    @rule(data=st.data())
    def release_batch(self, data: st.DataObject) -> None:
        """T0b: pass the gate (steps, release test) for a batch, then release it (random actor)."""
        if not self.batches:
            return
        unreleased = sorted(b for b in self.batches if self.m.batches[b].state == State.NONE)
        bid = data.draw(st.sampled_from(unreleased)) if unreleased and data.draw(st.booleans()) else self._batch(data)
        mah = next(n for n, a in self.w.actors.items() if a.org_id == self.m.batches[bid].mah)
        by = data.draw(st.sampled_from([mah] * 4 + ["man", "man_b", "nat", "dist"]))
        if data.draw(st.booleans()):
            self._release(bid, by)
        else:
            self._release_only(bid, by)

    @precondition(lambda self: any(b.state == State.NONE for b in self.m.batches.values()))
    @rule(data=st.data(), gate=st.sampled_from(["none", "steps", "test"]))
    def release_with_partial_gate(self, data: st.DataObject, gate: str) -> None:
        """An unreleased batch's MAH records part of the gate (nothing, the steps, or only the
        release test), then tries to release: the refusal must name what is missing."""
        bid = data.draw(st.sampled_from(sorted(b for b, x in self.m.batches.items() if x.state == State.NONE)))
        mah = next(n for n, a in self.w.actors.items() if a.org_id == self.m.batches[bid].mah)
        _, _, count, bits, *_ = self.m.release_status(bid)
        if gate == "steps":
            for step in range(count):
                if not bits >> step & 1:
                    self._observe(mah, Point.PROCESS_PROGRESS, bid, Result.OK, step, 0)
        elif gate == "test":
            self._observe(mah, Point.INSPECTION, bid, data.draw(st.sampled_from(list(Result))), 0, 0)
        self._release_only(bid, mah)

    @precondition(lambda self: any(b.state == State.NONE for b in self.m.batches.values()))
    @rule(data=st.data(), by=st.sampled_from(["nat", "prov", "prov", "prov_b", "man"]),
          result=st.sampled_from([Result.FAIL, Result.FAIL, Result.SERIOUS, Result.OK, Result.OK, Result.DEVIATION]))
    def inspect_before_release(self, data: st.DataObject, by: str, result: Result) -> None:
        """Point 6 on an unreleased batch: a regulator's FAIL blocks its release, a regulator's OK
        lifts the block (the MAH's own inspection is its release test); then its MAH tries."""
        bid = data.draw(st.sampled_from(sorted(b for b, x in self.m.batches.items() if x.state == State.NONE)))
        self._observe(by, Point.INSPECTION, bid, result, 0, 0)
        mah = next(n for n, a in self.w.actors.items() if a.org_id == self.m.batches[bid].mah)
        self._release_only(bid, mah)

    @rule(data=st.data(), blocker=st.sampled_from(["man", "nat", "prov", "prov_b"]),
          lifter=st.sampled_from(["man", "nat", "prov", "prov", "prov_b"]))
    def release_gate_fail_then_ok(self, data: st.DataObject, blocker: str, lifter: str) -> None:
        """Issue 12 as model-compared steps: a fresh batch whose gate is otherwise passed gets a
        FAIL inspection before release, then its MAH's OK. A MAH's FAIL stays on the gate (its own
        later OK does not lift it, defect 9); a regulator's FAIL blocks the release until a
        regulator of the same or higher rank records an OK (defect 1). Then ``lifter`` inspects OK
        and the MAH tries again. Each release attempt is compared with the model and, where the
        rule says so, asserted refused."""
        if self.gate_lots >= 3:
            return
        pid = self.products[0]
        lot = f"G{self.gate_lots}"
        if not self._commit(pid, lot, 4, 30, "man"):
            event("gate: commit refused")
            return
        self.gate_lots += 1
        bid = ref.batch_id(pid, lot)
        approved, pending, count, bits, *_ = self.m.release_status(bid)
        if not approved or pending:
            self._observe("man", Point.PROCESS_DEFINITION, pid, Result.OK, 0, 1)
            self._observe("nat", Point.PROCESS_DEFINITION, pid, Result.OK, 0, 1)
        _, _, count, bits, *_ = self.m.release_status(bid)
        for step in range(count):
            if not bits >> step & 1:
                self._observe("man", Point.PROCESS_PROGRESS, bid, Result.OK, step, 0)
        failed = self._observe(blocker, Point.INSPECTION, bid, Result.FAIL, 0, 0)[0] == "ok"
        ok = self._observe("man", Point.INSPECTION, bid, Result.OK, 0, 0)[0] == "ok"
        outcome = self._release_only(bid, "man")
        if failed and ok:
            assert outcome[0] == "err", (blocker, outcome)
            if self.m.products[pid].state == State.LISTED:  # else refused for that first
                want = "DrugRegistryReleaseTestMissing" if blocker == "man" else "DrugRegistryReleaseBlocked"
                assert outcome[1] == want, (blocker, outcome)
        lifted = self._observe(lifter, Point.INSPECTION, bid, Result.OK, 0, 0)[0] == "ok"
        outcome = self._release_only(bid, "man")
        ranks = lifter == "nat" or (lifter == "prov" and blocker in ("man", "prov"))
        if failed and ok and lifter == "man":
            assert outcome[0] == "err", (blocker, outcome)  # the MAH never lifts a FAIL on its own
        elif failed and ok and lifted and not ranks:
            assert outcome[0] == "err", (blocker, lifter, outcome)  # outranked: the block stays
        event(f"gate: {blocker} FAIL, MAH OK, {lifter} OK -> {'released' if outcome[0] == 'ok' else outcome[1]}")

    @rule(data=st.data(), to=TARGET_STATES)
    def transition_batch(self, data: st.DataObject, to: State) -> None:
        if not self.batches:
            return
        bid = data.draw(st.sampled_from(sorted(self.batches)))
        by = data.draw(LIFECYCLE_ACTORS)
        self.run("transition_batch", (self.account(by), bid, to), self.w.drugs, "transitionBatch",
                 (bid, int(to), 0, H), self.account(by))

    @rule(data=st.data(), to=TARGET_STATES)
    def transition_product(self, data: st.DataObject, to: State) -> None:
        if not self.products:
            return
        pid = data.draw(st.sampled_from(self.products))
        by = data.draw(LIFECYCLE_ACTORS)
        self.run("transition_product", (self.account(by), pid, to), self.w.drugs, "transitionProduct",
                 (pid, int(to), 0, H), self.account(by))

    @rule(data=st.data(), threshold=ADR_THRESHOLDS, window=ADR_WINDOWS, autostop=st.booleans())
    def set_adr_policy(self, data: st.DataObject, threshold: int, window: int, autostop: bool) -> None:
        if not self.products:
            return
        pid = data.draw(st.sampled_from(self.products))
        by = data.draw(st.sampled_from(["nat", "prov", "prov_b", "man"]))
        self.run("set_adr_policy", (self.account(by), pid, threshold, autostop, window), self.w.drugs,
                 "setAdrPolicy", (pid, threshold, window, autostop), self.account(by))

    # ------------------------------------------------------------------ rules: custody

    def _batch(self, data: st.DataObject) -> bytes:
        return data.draw(st.sampled_from(sorted(self.batches)))

    @rule(data=st.data(), qty=st.integers(0, 15))
    def dispatch(self, data: st.DataObject, qty: int) -> None:
        if not self.batches:
            return
        bid = self._batch(data)
        by = data.draw(st.sampled_from(["man", "man", "dist", "dist2", "pharm", "stranger"]))
        to = data.draw(st.sampled_from(["dist", "dist2", "pharm", "hosp", "log", "man"]))
        carrier = data.draw(st.sampled_from(["log", "log", "log", "dist"]))
        self.run("dispatch", (self.account(by), bid, self.w.org(to), self.w.org(carrier), qty), self.w.custody,
                 "dispatch", (bid, self.w.org(to), self.w.org(carrier), qty, H), self.account(by))

    @rule(data=st.data(), qty=st.integers(0, 8))
    def dispatch_return(self, data: st.DataObject, qty: int) -> None:
        if not self.batches:
            return
        bid = self._batch(data)
        by = data.draw(st.sampled_from(["dist", "pharm", "pharm", "hosp", "hosp", "man"]))
        to = data.draw(st.sampled_from(["man", "man", "man", "man_b", "dist", "dist2", "hosp"]))
        self.run("dispatch_return", (self.account(by), bid, self.w.org(to), self.w.org("log"), qty),
                 self.w.custody, "dispatchReturn", (bid, self.w.org(to), self.w.org("log"), qty, H), self.account(by))

    def _shipment(self, data: st.DataObject) -> int:
        return self._some_id(data, len(self.m.shipments))

    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        sid = self._shipment(data)
        if sid <= len(self.m.shipments) and data.draw(st.booleans()):
            s = self.m.shipments[sid - 1]
            by = next((n for n, a in self.w.actors.items() if a.org_id == s.to), "dist")
            qty = data.draw(st.integers(0, s.quantity + 1))
        else:
            by = data.draw(st.sampled_from(ACTOR_NAMES))
            qty = data.draw(st.integers(0, 10))
        self.run("receive", (self.account(by), sid, qty), self.w.custody, "receiveShipment", (sid, qty, H),
                 self.account(by))

    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        sid = self._shipment(data)
        if sid <= len(self.m.shipments):
            s = self.m.shipments[sid - 1]
            by = next((n for n, a in self.w.actors.items() if a.org_id == s.to), "dist")
        else:
            by = "dist"
        self.run("reject", (self.account(by), sid), self.w.custody, "rejectShipment", (sid, H), self.account(by))

    @rule(data=st.data(), by=st.sampled_from(["nat", "prov", "prov_b", "dist"]))
    def void_shipment(self, data: st.DataObject, by: str) -> None:
        sid = self._shipment(data)
        self.run("void_shipment", (self.account(by), sid), self.w.custody, "voidShipment", (sid, H), self.account(by))

    @rule(data=st.data(), forged=st.booleans())
    def dispense(self, data: st.DataObject, forged: bool) -> None:
        if not self.batches:
            return
        info = self.batches[self._batch(data)]
        n = len(info.codes)
        # Often a unit dispensed before: duplicates must be flagged (not reverted) in every
        # lifecycle state and after expiry, which the stop/recall/time rules reach in between.
        seen = sorted(i for (b, i) in self.m.dispensed if b == info.batch_id)
        index = data.draw(st.sampled_from(seen) if seen and data.draw(st.booleans()) else st.integers(0, n))
        stocked = [n for n in ("pharm", "hosp") if self.m.holding(info.batch_id, self.w.org(n))[0] >
                   self.m.holding(info.batch_id, self.w.org(n))[1]]
        by = data.draw(st.sampled_from(stocked * 3 + ["pharm", "hosp", "dist"]))
        proof_index = min(index, n - 1)
        proof = info.proof(proof_index)
        code_hash = info.code_hash(proof_index)
        if forged:
            if proof:
                proof = [bytes([proof[0][0] ^ 1]) + proof[0][1:]] + proof[1:]
            else:
                code_hash = ref.code_hash("forged")
        self.run("dispense", (self.account(by), info.batch_id, index, not forged), self.w.custody, "dispense",
                 (info.batch_id, index, code_hash, proof), self.account(by))

    def _units(self, data: st.DataObject, info: BatchInfo, k: int) -> list[int]:
        """Up to ``k`` units, often some already gone; now and then out of order (refused)."""
        n = len(info.codes)
        gone = sorted(i for (b, i) in set(self.m.dispensed) | set(self.m.decommissioned) if b == info.batch_id)
        pool = st.sampled_from(gone) | st.integers(0, n - 1) if gone else st.integers(0, n - 1)
        units = sorted(data.draw(st.sets(pool, min_size=1, max_size=k)))
        if len(units) > 1 and data.draw(st.integers(0, 9)) == 0:
            units.reverse()
        return units

    def _multi(self, info: BatchInfo, units: list[int], forged: bool) -> tuple[list[bytes], list[bytes]]:
        hashes = [info.code_hash(i) for i in units]
        proof = info.multiproof(units) if units == sorted(units) else []
        if forged:
            if proof:
                proof = [bytes([proof[0][0] ^ 1]) + proof[0][1:]] + proof[1:]
            else:
                hashes = [ref.code_hash("forged")] + hashes[1:]
        return hashes, proof

    @rule(data=st.data(), forged=st.sampled_from([False, False, False, True]), k=st.integers(1, 6))
    def dispense_many(self, data: st.DataObject, forged: bool, k: int) -> None:
        if not self.batches:
            return
        info = self.batches[self._batch(data)]
        units = self._units(data, info, k)
        hashes, proof = self._multi(info, units, forged)
        ok = not forged and units == sorted(units)
        by = data.draw(st.sampled_from(["pharm", "pharm", "hosp", "dist"]))
        self.run("dispense_many", (self.account(by), info.batch_id, units, ok), self.w.custody, "dispenseMany",
                 (info.batch_id, units, hashes, proof), self.account(by))

    @rule(data=st.data(), forged=st.sampled_from([False, False, False, True]), k=st.integers(1, 3),
          state=st.sampled_from([2, 3, 4, 5, 5, 1]),
          by=st.sampled_from(["man", "dist", "pharm", "hosp", "nat", "prov", "prov_b", "log"]))
    def decommission(self, data: st.DataObject, forged: bool, k: int, state: int, by: str) -> None:
        if not self.batches:
            return
        info = self.batches[self._batch(data)]
        units = self._units(data, info, k)
        hashes, proof = self._multi(info, units, forged)
        ok = not forged and units == sorted(units)
        holder = self.w.org(data.draw(st.sampled_from([by, by, "dist", "pharm"])))
        self.run("decommission", (self.account(by), info.batch_id, units, ok, state, holder), self.w.custody,
                 "decommission", (info.batch_id, units, hashes, proof, state, holder, H), self.account(by))

    @rule(data=st.data(), qty=st.integers(0, 5))
    def release_quarantine(self, data: st.DataObject, qty: int) -> None:
        if not self.batches:
            return
        bid = self._batch(data)
        by = data.draw(st.sampled_from(["nat", "prov", "prov_b", "man"]))
        holder = data.draw(st.sampled_from(["man", "dist", "pharm", "hosp"]))
        self.run("release_quarantine", (self.account(by), bid, self.w.org(holder), qty), self.w.custody,
                 "releaseQuarantine", (bid, self.w.org(holder), qty, H), self.account(by))

    # ------------------------------------------------------------------ rules: observations

    @rule(data=st.data(), point=st.sampled_from(list(Point)), result=st.sampled_from(list(Result)),
          temps=st.sampled_from([(30, 60), (10, 60), (100, 300), (9, 8)]))
    def observe(self, data: st.DataObject, point: Point, result: Result, temps: tuple[int, int]) -> None:
        if not self.batches:
            return
        allowed = [n for n, a in self.w.actors.items() if a.kind in REPORTER_KINDS.get(point, ())]
        by = data.draw(st.sampled_from(allowed * 3 + ACTOR_NAMES if allowed else ACTOR_NAMES))
        bid = self._batch(data)
        subject = self.batches[bid].product_id if point == Point.PROCESS_DEFINITION else bid
        sid = self._some_id(data, len(self.m.shipments)) if point == Point.TRANSPORT else 0
        self._observe(by, point, subject, result, *temps, shipment=sid)

    @rule(data=st.data(), temps=st.sampled_from([(30, 60), (10, 60), (100, 300)]))
    def temperature_report(self, data: st.DataObject, temps: tuple[int, int]) -> None:
        """A holder's storage reading or a carrier's transport reading, often out of range."""
        if not self.batches:
            return
        bid = self._batch(data)
        if data.draw(st.booleans()) and self.m.shipments:
            sid = self._some_id(data, len(self.m.shipments))
            bid = self.m.shipments[sid - 1].batch if sid <= len(self.m.shipments) else bid
            point, by = Point.TRANSPORT, "log"
        else:
            sid, point = 0, Point.STORAGE
            by = data.draw(st.sampled_from(["man", "dist", "pharm", "hosp", "log"]))
        self._observe(by, point, bid, Result.OK, *temps, shipment=sid)

    @rule(data=st.data(), threshold=ADR_THRESHOLDS, window=ADR_WINDOWS, autostop=st.booleans(),
          reports=st.integers(1, 6))
    def serious_reactions(self, data: st.DataObject, threshold: int, window: int, autostop: bool,
                          reports: int) -> None:
        """Set a product's ADR policy, then a burst of SERIOUS (and some milder) reports on one batch,
        some of them spaced around the window (exactly at its edge, or just past it)."""
        if not self.batches:
            return
        info = self.batches[self._batch(data)]
        self.run("set_adr_policy", (self.account("nat"), info.product_id, threshold, autostop, window),
                 self.w.drugs, "setAdrPolicy", (info.product_id, threshold, window, autostop), self.account("nat"))
        for _ in range(reports):
            gap = data.draw(st.sampled_from([0, 0, 0, 1, window, window + 1, 30_000]))
            if gap:
                self.advance_time(gap)
            by = data.draw(st.sampled_from(["hosp", "pharm", "man", "man_b"]))
            result = data.draw(st.sampled_from([Result.SERIOUS] * 3 + [Result.FAIL]))
            self._observe(by, Point.ADVERSE_REACTION, info.batch_id, result, 0, 0)

    # ------------------------------------------------------------------ rules: recalls

    @rule(data=st.data(), level=st.sampled_from(list(Level)), product_wide=st.booleans())
    def open_recall(self, data: st.DataObject, level: Level, product_wide: bool) -> None:
        if not self.batches:
            return
        info = self.batches[self._batch(data)]
        bid = Z32 if product_wide else info.batch_id
        by = data.draw(st.sampled_from(["man", "man_b", "nat", "prov", "prov_b", "dist"]))
        self.run("open_recall", (self.account(by), info.product_id, bid, level), self.w.recalls, "openRecall",
                 (info.product_id, bid, int(level), H), self.account(by))

    @rule(data=st.data(), level=st.sampled_from(list(Level)[1:]))
    def stop_then_recall(self, data: st.DataObject, level: Level) -> None:
        """T1 then T3 on one batch (random stopper and opener, biased to allowed ones)."""
        if not self.batches:
            return
        info = self.batches[self._batch(data)]
        stopper = data.draw(st.sampled_from(["nat", "man", "man", "prov"]))
        self.run("transition_batch", (self.account(stopper), info.batch_id, State.STOPPED), self.w.drugs,
                 "transitionBatch", (info.batch_id, int(State.STOPPED), 0, H), self.account(stopper))
        opener = data.draw(st.sampled_from(["man", "man", "nat", "prov", "prov_b", "man_b"]))
        self.run("open_recall", (self.account(opener), info.product_id, info.batch_id, level), self.w.recalls,
                 "openRecall", (info.product_id, info.batch_id, int(level), H), self.account(opener))

    @staticmethod
    def _some_id(data: st.DataObject, count: int) -> int:
        """Mostly an existing id (1..count), sometimes the next, unknown one."""
        return data.draw(st.sampled_from(list(range(1, count + 1)) * 4 + [count + 1]))

    def _recall(self, data: st.DataObject) -> int:
        return self._some_id(data, len(self.m.recalls))

    def _mah_of_case(self, rid: int) -> str:
        if rid > len(self.m.recalls):
            return "man"
        mah = self.m.recalls[rid - 1].mah
        return next(n for n, a in self.w.actors.items() if a.org_id == mah)

    @precondition(lambda self: bool(self.m.recalls))
    @rule(data=st.data())
    def mah_recall_step(self, data: st.DataObject) -> None:
        rid = self._recall(data)
        steps = ["issue_notice", "report_progress", "complete_recall"]
        natural = {1: "issue_notice", 2: data.draw(st.sampled_from(steps[1:]))}
        status = self.m.recalls[rid - 1].status if rid <= len(self.m.recalls) else 0
        step = data.draw(st.sampled_from([natural.get(status, "complete_recall")] * 3 + steps))
        by = data.draw(st.sampled_from([self._mah_of_case(rid)] * 4 + ["man", "man_b", "nat"]))
        fn = {"issue_notice": "issueNotice", "report_progress": "reportProgress",
              "complete_recall": "completeRecall"}[step]
        self.run(step, (self.account(by), rid), self.w.recalls, fn, (rid, H), self.account(by))

    @precondition(lambda self: bool(self.m.recalls))
    @rule(data=st.data(), accepted=st.booleans())
    def evaluate_recall(self, data: st.DataObject, accepted: bool) -> None:
        rid = self._recall(data)
        by = data.draw(st.sampled_from(["nat", "prov", "prov_b", "man"]))
        self.run("evaluate_recall", (self.account(by), rid, accepted), self.w.recalls, "evaluateRecall",
                 (rid, accepted, H), self.account(by))

    @precondition(lambda self: bool(self.m.recalls))
    @rule(data=st.data(), qty=st.integers(0, 6))
    def record_recovery(self, data: st.DataObject, qty: int) -> None:
        rid = self._recall(data)
        by = data.draw(st.sampled_from(["man", "dist", "pharm", "hosp", "log"]))
        self.run("record_recovery", (self.account(by), rid, qty), self.w.recalls, "recordRecovery", (rid, qty, H),
                 self.account(by))

    @precondition(lambda self: bool(self.m.recalls))
    @rule(data=st.data(), qty=st.integers(0, 12), final=st.booleans())
    def record_destruction(self, data: st.DataObject, qty: int, final: bool) -> None:
        rid = self._recall(data)
        by = data.draw(st.sampled_from(["man", "dist", "pharm", "hosp", "aud"]))
        self.run("record_destruction", (self.account(by), rid, qty, final), self.w.recalls, "recordDestruction",
                 (rid, qty, final, H), self.account(by))

    @precondition(lambda self: bool(self.m.destructions))
    @rule(data=st.data())
    def countersign(self, data: st.DataObject) -> None:
        did = self._some_id(data, len(self.m.destructions))
        by = data.draw(st.sampled_from(["nat", "prov", "prov_b", "aud", "man"]))
        self.run("countersign", (self.account(by), did), self.w.recalls, "countersignDestruction", (did,),
                 self.account(by))

    @precondition(lambda self: bool(self.m.recalls))
    @rule(data=st.data())
    def two_final_destructions(self, data: st.DataObject) -> None:
        """Two holders each declare a final destruction, both counter-signed: only the first
        confirmed may move the batch (T4); the other must complete too, not be stuck."""
        rid = self._recall(data)
        executors = data.draw(st.lists(st.sampled_from(["man", "dist", "pharm", "hosp"]), min_size=2, max_size=2))
        ids = []
        for by in executors:
            self.run("record_destruction", (self.account(by), rid, 1, True), self.w.recalls, "recordDestruction",
                     (rid, 1, True, H), self.account(by))
            ids.append(len(self.m.destructions))
        for did in reversed(ids) if data.draw(st.booleans()) else ids:
            self.run("countersign", (self.account("aud"), did), self.w.recalls, "countersignDestruction", (did,),
                     self.account("aud"))

    # ------------------------------------------------------------------ rules: corrections (issue 12)
    # Voids (the record stays, what was derived from it follows) and a regulator acting for a
    # holder that cannot act; in a section of their own. Void of observations: only those whose
    # effects the model follows in full (Model.void_modelled) are drawn.

    def _actor_of(self, org_id: bytes, fallback: str) -> str:
        return next((n for n, a in self.w.actors.items() if a.org_id == org_id), fallback)

    @precondition(lambda self: any(self.m.void_modelled(i) for i in self.m.obs_info))
    @rule(data=st.data(), by=st.sampled_from(["nat", "prov", "prov_b", "man", "dist", "pharm", "hosp", "log", "aud"]),
          author=st.booleans())
    def void_observation(self, data: st.DataObject, by: str, author: bool) -> None:
        ids = sorted(i for i in self.m.obs_info if self.m.void_modelled(i))
        oid = data.draw(st.sampled_from(ids * 4 + [self.m.observations + 1]))
        if author and oid in self.m.obs_reporters:
            by = self._actor_of(self.m.obs_reporters[oid], by)
        r = self.run("void_observation", (self.account(by), oid), self.w.obs, "voidObservation", (oid, H),
                     self.account(by))
        event("void observation " + ("done" if r[0] == "ok" else r[1]))

    @rule(data=st.data(), by=LIFECYCLE_ACTORS, mah=st.booleans())
    def void_batch(self, data: st.DataObject, by: str, mah: bool) -> None:
        bid = self._batch(data)
        if mah and bid in self.m.batches:
            by = self._actor_of(self.m.batches[bid].mah, by)
        r = self.run("void_batch", (self.account(by), bid), self.w.drugs, "voidBatch", (bid, H), self.account(by))
        event("void batch " + ("done" if r[0] == "ok" else r[1]))

    @precondition(lambda self: bool(self.m.destructions))
    @rule(data=st.data(), by=st.sampled_from(["nat", "nat", "prov", "prov_b", "man", "dist", "pharm", "hosp", "aud"]),
          author=st.booleans())
    def void_destruction(self, data: st.DataObject, by: str, author: bool) -> None:
        did = self._some_id(data, len(self.m.destructions))
        if author and did <= len(self.m.destructions):
            by = self._actor_of(self.m.destructions[did - 1].recorded_by, by)
        r = self.run("void_destruction", (self.account(by), did), self.w.recalls, "voidDestruction", (did, H),
                     self.account(by))
        event("void destruction " + ("done" if r[0] == "ok" else r[1]))

    def _holders_of_case(self, rid: int) -> list[str]:
        """Cast members holding units of the case's batch (else the usual holders)."""
        c = self.m.recalls[rid - 1] if rid <= len(self.m.recalls) else None
        found = [n for n in ("man", "dist", "pharm", "hosp") if c is not None and c.batch in self.m.batches
                 and self.m.holding(c.batch, self.w.org(n))[0] > 0]
        return found or ["man", "dist", "pharm", "hosp", "log"]

    @precondition(lambda self: bool(self.m.recalls))
    @rule(data=st.data(), by=st.sampled_from(["nat", "nat", "prov", "prov_b", "man", "aud"]), qty=st.integers(0, 6),
          final=st.booleans(), suspend=st.booleans())
    def destroy_for_a_suspended_holder(self, data: st.DataObject, by: str, qty: int, final: bool,
                                       suspend: bool) -> None:
        rid = self._recall(data)
        holder = data.draw(st.sampled_from(self._holders_of_case(rid)))
        org = self.w.org(holder)
        if suspend:
            self.run("suspend_org", (self.account("nat"), org, self.root), self.w.orgs, "suspendOrg", (org, H),
                     self.account("nat"))
        r = self.run("record_destruction_for", (self.account(by), rid, org, qty, final), self.w.recalls,
                     "recordDestructionFor", (rid, org, qty, final, H), self.account(by))
        event("destroy for " + ("done" if r[0] == "ok" else r[1]))

    @precondition(lambda self: bool(self.m.recalls))
    @rule(data=st.data(), qty=st.integers(1, 4), confirm=st.booleans(),
          by=st.sampled_from(["nat", "prov", "prov_b", "aud", "author"]))
    def destroy_then_void(self, data: st.DataObject, qty: int, confirm: bool, by: str) -> None:
        """A destruction recorded (and perhaps counter-signed), then voided: the holding and the
        case's figures follow the void (a confirmed one's units come back, quarantined)."""
        rid = self._recall(data)
        holder = data.draw(st.sampled_from(self._holders_of_case(rid)))
        r = self.run("record_destruction", (self.account(holder), rid, qty, False), self.w.recalls,
                     "recordDestruction", (rid, qty, False, H), self.account(holder))
        if r[0] != "ok":
            return
        did = len(self.m.destructions)
        if confirm:
            self.run("countersign", (self.account("nat"), did), self.w.recalls, "countersignDestruction", (did,),
                     self.account("nat"))
        who = holder if by == "author" else by
        r = self.run("void_destruction", (self.account(who), did), self.w.recalls, "voidDestruction", (did, H),
                     self.account(who))
        event("destroy then void " + ("done" if r[0] == "ok" else r[1]))

    # ------------------------------------------------------------------ rules: procurement (issue 17 B)

    PROC_PRICE = 1250

    def _bid_id(self, data: st.DataObject) -> int:
        return self._some_id(data, len(self.m.bids))

    def _order_id(self, data: st.DataObject) -> int:
        return self._some_id(data, len(self.m.orders))

    def _delivery_id(self, data: st.DataObject) -> int:
        known = sorted(self.m.deliveries)
        return data.draw(st.sampled_from(known * 3 + [len(self.m.shipments) + 1] if known else [1]))

    @rule(data=st.data(), valid_days=st.sampled_from([-1, 0, 1, 40, 365]), n_dist=st.sampled_from([0, 1, 2, 2, 9]),
          price=st.sampled_from([0, 1250, 1250]))
    def publish_bid(self, data: st.DataObject, valid_days: int, n_dist: int, price: int) -> None:
        if not self.products:
            return
        by = data.draw(st.sampled_from(["plat", "plat", "plat", "hosp", "nat", "stranger"]))
        pid = data.draw(st.sampled_from(self.products))
        now = self.w.chain.timestamp_ms
        start, end = (now, now + valid_days * DAY_MS) if valid_days > 0 else (now - DAY_MS, now + valid_days * DAY_MS)
        pool = data.draw(st.sampled_from([["dist", "dist2"], ["dist", "pharm"]]))
        dists = [self.w.org(pool[i % 2]) for i in range(n_dist)]
        r = self.run("publish_bid", (self.account(by), H, pid, price, start, end, dists), self.w.procurement,
                     "publishBid", (H, pid, price, start, end, dists), self.account(by))
        event("publishBid: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data(), volume=st.sampled_from([0, 5, 20, 20, 60]))
    def set_agreed_volume(self, data: st.DataObject, volume: int) -> None:
        by = data.draw(st.sampled_from(["plat", "plat", "plat", "hosp"]))
        hosp = data.draw(st.sampled_from(["hosp", "hosp", "pharm"]))
        bid = self._bid_id(data)
        self.run("set_agreed_volumes", (self.account(by), bid, [self.w.org(hosp)], [volume]), self.w.procurement,
                 "setAgreedVolumes", (bid, [self.w.org(hosp)], [volume]), self.account(by))

    @rule(data=st.data())
    def withdraw_bid(self, data: st.DataObject) -> None:
        by = data.draw(st.sampled_from(["plat", "plat", "dist"]))
        bid = self._bid_id(data)
        self.run("withdraw_bid", (self.account(by), bid), self.w.procurement, "withdrawBid", (bid, H), self.account(by))

    @rule(data=st.data(), days=st.sampled_from([0, 1, 15, 366]))
    def set_settlement_period(self, data: st.DataObject, days: int) -> None:
        by = data.draw(st.sampled_from(["plat", "plat", "hosp"]))
        self.run("set_settlement_period", (self.account(by), days * DAY_MS), self.w.procurement,
                 "setSettlementPeriod", (days * DAY_MS,), self.account(by))

    @rule(data=st.data(), qty=st.sampled_from([0, 1, 3, 5, 10, 25]))
    def place_order(self, data: st.DataObject, qty: int) -> None:
        by = data.draw(st.sampled_from(["hosp", "hosp", "hosp", "pharm", "plat"]))
        dist = data.draw(st.sampled_from(["dist", "dist", "dist2", "pharm"]))
        bid = self._bid_id(data)
        r = self.run("place_order", (self.account(by), bid, self.w.org(dist), qty), self.w.procurement, "placeOrder",
                     (bid, self.w.org(dist), qty, Z32), self.account(by))
        event("placeOrder: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data(), step=st.sampled_from(["accept", "accept", "accept", "decline", "cancel", "close"]))
    def order_step(self, data: st.DataObject, step: str) -> None:
        oid = self._order_id(data)
        hospital_step = step in ("cancel", "close")
        by = data.draw(st.sampled_from(["hosp", "hosp", "dist"] if hospital_step else ["dist", "dist", "dist2", "hosp"]))
        fn = {"accept": "acceptOrder", "decline": "declineOrder", "cancel": "cancelOrder", "close": "closeOrder"}[step]
        cargs: tuple[Any, ...] = (oid,) if step == "accept" else (oid, H)
        r = self.run(f"{step}_order", (self.account(by), oid), self.w.procurement, fn, cargs, self.account(by))
        event(f"{fn}: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data(), qty=st.integers(0, 12), fresh=st.booleans())
    def deliver(self, data: st.DataObject, qty: int, fresh: bool) -> None:
        """Dispatch from a distributor to the hospital (or take any shipment), then count it against an order."""
        if fresh and self.batches:
            bid = self._batch(data)
            frm = data.draw(st.sampled_from(["dist", "dist", "dist2"]))
            to = data.draw(st.sampled_from(["hosp", "hosp", "hosp", "pharm"]))
            r = self.run("dispatch", (self.account(frm), bid, self.w.org(to), self.w.org("log"), qty),
                         self.w.custody, "dispatch", (bid, self.w.org(to), self.w.org("log"), qty, H), self.account(frm))
            sid = r[1] if r[0] == "ok" else self._shipment(data)
        else:
            sid = self._shipment(data)
        oid = self._order_id(data)
        by = data.draw(st.sampled_from(["dist", "dist", "dist", "dist2", "hosp"]))
        r = self.run("record_delivery", (self.account(by), oid, sid), self.w.procurement, "recordDelivery", (oid, sid),
                     self.account(by))
        event("recordDelivery: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data())
    def confirm_receipt(self, data: st.DataObject) -> None:
        sid = self._delivery_id(data)
        by = data.draw(st.sampled_from(["hosp", "hosp", "dist", "pharm", "dist2"]))
        r = self.run("confirm_receipt", (self.account(by), sid), self.w.procurement, "confirmReceipt", (sid,),
                     self.account(by))
        event("confirmReceipt: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data(), off=st.sampled_from([0, 0, 0, 1, -1]))
    def invoice(self, data: st.DataObject, off: int) -> None:
        sid = self._delivery_id(data)
        d = self.m.deliveries.get(sid)
        amount = max(0, (d.accepted if d else 1) * self.PROC_PRICE + off)
        by = data.draw(st.sampled_from(["dist", "dist", "dist2", "hosp"]))
        r = self.run("invoice", (self.account(by), sid, amount), self.w.procurement, "invoice", (sid, amount, H),
                     self.account(by))
        event("invoice: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data(), off=st.sampled_from([0, 0, 0, 1]))
    def pay(self, data: st.DataObject, off: int) -> None:
        sid = self._delivery_id(data)
        d = self.m.deliveries.get(sid)
        amount = (d.amount if d else 0) + off
        by = data.draw(st.sampled_from(["hosp", "hosp", "hosp", "dist"]))
        r = self.run("record_payment", (self.account(by), sid, amount), self.w.procurement, "recordPayment",
                     (sid, amount, H), self.account(by))
        # late or on time: paidAt against dueAt is compared with the model after every step
        event("recordPayment: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data())
    def flag_overdue(self, data: st.DataObject) -> None:
        sid = self._delivery_id(data)
        by = data.draw(st.sampled_from(["stranger", "hosp", "aud"]))
        r = self.run("flag_overdue", (self.account(by), sid), self.w.procurement, "flagOverdue", (sid,),
                     self.account(by))
        event("flagOverdue: " + ("ok" if r[0] == "ok" else r[1]))

    @rule(data=st.data(), qty=st.integers(1, 12), shipped=st.integers(0, 12), got=st.integers(0, 12),
          late=st.booleans(), gap=st.sampled_from([0, 0, DAY_MS, 31 * DAY_MS]),
          recorder=st.sampled_from(["hosp", "hosp", "dist", "nobody"]))
    def order_through_settlement(self, data: st.DataObject, qty: int, shipped: int, got: int, late: bool, gap: int,
                                 recorder: str) -> None:
        """The whole path in one step (each call compared): bid, volume, order, acceptance, a custody
        shipment counted as a delivery, the receipt, invoice and payment, sometimes past the deadline.
        The clock may move (``gap``) between the hospital's custody receipt and its record on the
        procurement ledger — by the hospital, refused to the distributor, or left to the invoice —:
        the deadline counts from the receipt either way."""
        if not self.products or not self.batches:
            return
        held = [b for b in sorted(self.batches) if self.m.holding(b, self.w.org("dist"))[0] > 0]
        bid_batch = data.draw(st.sampled_from(held)) if held and data.draw(st.booleans()) is not False else \
            self._batch(data)
        pid = self.batches[bid_batch].product_id
        shipped = min(shipped, qty, max(1, self.m.holding(bid_batch, self.w.org("dist"))[0]))
        now = self.w.chain.timestamp_ms
        dist, hosp, plat = self.w.org("dist"), self.w.org("hosp"), self.account("plat")
        r = self.run("publish_bid", (plat, H, pid, self.PROC_PRICE, now, now + 90 * DAY_MS, [dist]),
                     self.w.procurement, "publishBid", (H, pid, self.PROC_PRICE, now, now + 90 * DAY_MS, [dist]), plat)
        if r[0] != "ok":
            return
        bid = r[1]
        self.run("set_agreed_volumes", (plat, bid, [hosp], [20]), self.w.procurement, "setAgreedVolumes",
                 (bid, [hosp], [20]), plat)
        r = self.run("place_order", (self.account("hosp"), bid, dist, qty), self.w.procurement, "placeOrder",
                     (bid, dist, qty, Z32), self.account("hosp"))
        oid = r[1] if r[0] == "ok" else len(self.m.orders) + 1
        self.run("accept_order", (self.account("dist"), oid), self.w.procurement, "acceptOrder", (oid,),
                 self.account("dist"))
        r = self.run("dispatch", (self.account("dist"), bid_batch, hosp, self.w.org("log"), shipped), self.w.custody,
                     "dispatch", (bid_batch, hosp, self.w.org("log"), shipped, H), self.account("dist"))
        sid = r[1] if r[0] == "ok" else len(self.m.shipments) + 1
        r = self.run("record_delivery", (self.account("dist"), oid, sid), self.w.procurement, "recordDelivery",
                     (oid, sid), self.account("dist"))
        event("order through settlement: delivery " + ("ok" if r[0] == "ok" else r[1]))
        got = min(got, shipped)
        self.run("receive", (self.account("hosp"), sid, got), self.w.custody, "receiveShipment", (sid, got, H),
                 self.account("hosp"))
        if gap:
            self.advance_time(gap)
        if recorder != "nobody":
            r = self.run("confirm_receipt", (self.account(recorder), sid), self.w.procurement, "confirmReceipt", (sid,),
                         self.account(recorder))
            event(f"order through settlement: receipt recorded by {recorder} " + ("ok" if r[0] == "ok" else r[1]))
        d = self.m.deliveries.get(sid)
        amount = (d.accepted if d else 0) * self.PROC_PRICE
        self.run("invoice", (self.account("dist"), sid, amount), self.w.procurement, "invoice", (sid, amount, H),
                 self.account("dist"))
        if late:
            self.pass_a_settlement_period()
            self.run("flag_overdue", (self.w.stranger, sid), self.w.procurement, "flagOverdue", (sid,), self.w.stranger)
        r = self.run("record_payment", (self.account("hosp"), sid, amount), self.w.procurement, "recordPayment",
                     (sid, amount, H), self.account("hosp"))
        event("order through settlement: payment " + ("late" if r[0] == "ok" and late else
                                                       "on time" if r[0] == "ok" else r[1]))

    @rule()
    def pass_a_settlement_period(self) -> None:
        self.w.chain.advance(30 * DAY_MS + 1)
        self.m.now = self.w.chain.timestamp_ms

    # ------------------------------------------------------------------ rules: procurement settlement (issue 17 B, items 1-3)
    # One order taken through partial deliveries, an over-delivery, the hospital's receipts (the
    # acceptance, at the receipt's time), invoices (the amount rule) and payments on time or late.
    # The precondition asks the model for a scene where the path can run, so the whole path is
    # exercised in most runs (the random rules above mostly hit refusals); every call is compared.

    def _parties_can_act(self) -> bool:
        """Model view: the suite runs and the MAH, distributor, hospital, platform and carrier are ACTIVE."""
        m = self.m
        if m.paused:
            return False
        try:
            for who in ("man", "plat", "hosp", "dist", "log"):
                org = self.w.org(who)
                if org not in m.orgs:
                    return False
                m.require_active(org, bit(m.orgs[org].kind))
                expiry = m.orgs[org].licence_expiry
                if expiry and expiry <= m.now + 90 * DAY_MS:  # the path moves the clock up to 76 days
                    return False
        except Rejected:
            return False
        return any(m.products[p].state == State.LISTED and m.products[p].mah == self.w.org("man")
                   for p in self.products if p in m.products)

    def _settle_batch(self) -> bytes | None:
        """A batch the distributor can ship now (model view), or a fresh one stocked for the purpose."""
        m, dist = self.m, self.w.org("dist")
        for b in sorted(self.batches):
            try:
                m._usable(b)
            except Rejected:
                continue
            if m.batches[b].per_case:  # a packed batch moves by container, not by quantity (issue 17A)
                continue
            qty, quarantined = m.holding(b, dist)
            if qty - quarantined >= 3 and m.batches[b].expiry > m.now + 2 * DAY_MS:
                return b
        pid = next(p for p in self.products if m.products[p].state == State.LISTED and m.products[p].mah ==
                   self.w.org("man"))
        self.settle_lots += 1
        lot = f"S{self.settle_lots}"
        if not self._commit(pid, lot, 12, 120, "man"):
            return None
        b = next(x for x, info in self.batches.items() if info.lot == lot and info.product_id == pid)
        if self._release(b, "man", approve=True)[0] != "ok":
            return None
        r = self.run("dispatch", (self.account("man"), b, dist, self.w.org("log"), 12), self.w.custody, "dispatch",
                     (b, dist, self.w.org("log"), 12, H), self.account("man"))
        if r[0] != "ok":
            return None
        self.run("receive", (self.account("dist"), r[1], 12), self.w.custody, "receiveShipment", (r[1], 12, H),
                 self.account("dist"))
        return b

    @precondition(lambda self: self._parties_can_act())
    @rule(data=st.data(), gap=st.sampled_from([0, 0, 3 * DAY_MS, 31 * DAY_MS]),
          recorder=st.sampled_from(["hosp", "hosp", "dist", "nobody"]), wrong_invoice=st.sampled_from([0, 0, 1, -1]),
          pay_after=st.sampled_from([0, 29 * DAY_MS, 30 * DAY_MS, 30 * DAY_MS + 1, 45 * DAY_MS]))
    def settle_an_order(self, data: st.DataObject, gap: int, recorder: str, wrong_invoice: int, pay_after: int) -> None:
        batch = self._settle_batch()
        if batch is None:
            event("settle: no batch could be stocked")
            return
        m, w = self.m, self.w
        dist_org, hosp_org, log_org = w.org("dist"), w.org("hosp"), w.org("log")
        plat, hosp, dist = self.account("plat"), self.account("hosp"), self.account("dist")
        available = m.holding(batch, dist_org)[0] - m.holding(batch, dist_org)[1]
        qty = data.draw(st.integers(2, min(available - 1, 10)), label="ordered")
        first = data.draw(st.integers(1, qty - 1), label="first delivery")
        got = data.draw(st.integers(1, first), label="first receipt")  # short: the rest stays open
        pid = self.batches[batch].product_id
        now = w.chain.timestamp_ms
        r = self.run("publish_bid", (plat, H, pid, self.PROC_PRICE, now, now + 365 * DAY_MS, [dist_org]),
                     w.procurement, "publishBid", (H, pid, self.PROC_PRICE, now, now + 365 * DAY_MS, [dist_org]), plat)
        if r[0] != "ok":
            event("settle: bid refused " + r[1])
            return
        bid = r[1]
        self.run("set_agreed_volumes", (plat, bid, [hosp_org], [qty]), w.procurement, "setAgreedVolumes",
                 (bid, [hosp_org], [qty]), plat)
        oid = self.run("place_order", (hosp, bid, dist_org, qty), w.procurement, "placeOrder",
                       (bid, dist_org, qty, Z32), hosp)[1]
        r = self.run("place_order", (hosp, bid, dist_org, 1), w.procurement, "placeOrder", (bid, dist_org, 1, Z32), hosp)
        assert r[:2] == ("err", "ProcurementLedgerVolumeExceeded"), r  # beyond the agreed volume: no false order
        self.run("accept_order", (dist, oid), w.procurement, "acceptOrder", (oid,), dist)

        def ship(n: int) -> int:
            r = self.run("dispatch", (dist, batch, hosp_org, log_org, n), w.custody, "dispatch",
                         (batch, hosp_org, log_org, n, H), dist)
            assert r[0] == "ok", r
            return int(r[1])

        s1 = ship(first)
        self.run("record_delivery", (dist, oid, s1), w.procurement, "recordDelivery", (oid, s1), dist)
        over = ship(qty - first + 1)  # one more than the order still lacks, counting the first in flight
        r = self.run("record_delivery", (dist, oid, over), w.procurement, "recordDelivery", (oid, over), dist)
        assert r[:2] == ("err", "ProcurementLedgerOverDelivery"), r
        self.run("reject", (hosp, over), w.custody, "rejectShipment", (over, H), hosp)  # back to the distributor
        s2 = ship(qty - first)
        self.run("record_delivery", (dist, oid, s2), w.procurement, "recordDelivery", (oid, s2), dist)
        # the hospital's receipts; the clock may move before anyone records them
        self.run("receive", (hosp, s1, got), w.custody, "receiveShipment", (s1, got, H), hosp)
        self.run("receive", (hosp, s2, qty - first), w.custody, "receiveShipment", (s2, qty - first, H), hosp)
        received_at = m.now
        if gap:
            self.advance_time(gap)
        for sid in (s1, s2):
            if recorder != "nobody":
                r = self.run("confirm_receipt", (self.account(recorder), sid), w.procurement, "confirmReceipt", (sid,),
                             self.account(recorder))
                event(f"settle: receipt recorded by {recorder}: " + ("ok" if r[0] == "ok" else r[1]))
            d = m.deliveries[sid]
            accepted = d.accepted if d.status != 1 else m.shipments[sid - 1].received
            if wrong_invoice:
                r = self.run("invoice", (dist, sid, accepted * self.PROC_PRICE + wrong_invoice), w.procurement,
                             "invoice", (sid, accepted * self.PROC_PRICE + wrong_invoice, H), dist)
                assert r[:2] == ("err", "ProcurementLedgerInvoiceMismatch"), r
            r = self.run("invoice", (dist, sid, accepted * self.PROC_PRICE), w.procurement, "invoice",
                         (sid, accepted * self.PROC_PRICE, H), dist)
            assert r[0] == "ok", r
            assert m.deliveries[sid].accepted_at == received_at, "accepted at the receipt's time"
        order = m.orders[oid - 1]
        event("settle: order " + ("FULFILLED" if order.status == 5 else "short, open"))
        elapsed = m.now - received_at
        if pay_after > elapsed:
            self.advance_time(pay_after - elapsed)
        for sid in (s1, s2):
            r = self.run("flag_overdue", (w.stranger, sid), w.procurement, "flagOverdue", (sid,), w.stranger)
            amount = m.deliveries[sid].amount
            r = self.run("record_payment", (hosp, sid, amount), w.procurement, "recordPayment", (sid, amount, H), hosp)
            assert r[0] == "ok", r
            late = m.deliveries[sid].paid_at > m.deliveries[sid].due_at
            period = m.periods.get(w.org("plat"), 30 * DAY_MS)
            assert late == (m.now > received_at + period), (pay_after, gap, period)  # the clock ran from the receipt
            event("settle: paid " + ("late (SettlementOverdue)" if late else "on time"))

    # ------------------------------------------------------------------ rules: packing (issue 17A)
    # Packed batches (pallet -> cases -> units) committed and moved by container: dispatch of
    # pallets, cases and loose units, receipts reconciled per container (a missing case, an
    # extra one), unpacking and repacking, and the unit-level custody of dispensing (D9). Every
    # call compared with the model; after every step each container's place and each unit's
    # loose holder are compared too (same_observable_state).

    PACKED_LOTS = ["P1", "P2", "P3"]

    def _commit_packed(self, pid: bytes, lot: str, n: int, per_case: int, per_pallet: int, by: str, *,
                       bad: str = "") -> bytes | None:
        bid = ref.batch_id(pid, lot)
        codes = [f"{int.from_bytes(bid[:3], 'big') % 10**7:07d}{i:013d}" for i in range(n)]
        tree = ref.MerkleTree.for_codes(bid, codes)
        layout = PackingLayout(n, per_case, per_pallet)
        salt = int.from_bytes(bid[:3], "big") % 10**6
        packing = PackingTree.build(bid, layout, [f"00{salt:06d}1{i:09d}" for i in range(layout.case_count)],
                                    [f"00{salt:06d}2{i:09d}" for i in range(layout.pallet_count)])
        root = Z32 if bad == "root" else packing.root
        per_case_sent = 0 if bad == "layout" else per_case
        now = self.w.chain.timestamp_ms
        production, expiry = now - DAY_MS, now + 3650 * DAY_MS  # outlives the settlement rules' clock moves
        r = self.run("commit_packed_batch", (self.account(by), pid, bid, production, expiry, n, root, per_case_sent,
                                             per_pallet), self.w.drugs, "commitPackedBatch",
                     (pid, lot, production, expiry, n, tree.root, root, per_case_sent, per_pallet), self.account(by))
        event("commitPackedBatch: " + ("ok" if r[0] == "ok" else r[1]))
        if r[0] != "ok":
            return None
        self.batches[bid] = BatchInfo(bid, pid, lot, codes, tree, expiry)
        self.packed.append(bid)
        return bid

    @precondition(lambda self: len(self.packed) < 2)
    @rule(data=st.data(), lot=st.sampled_from(PACKED_LOTS), n=st.integers(1, 12), per_case=st.integers(1, 4),
          per_pallet=st.integers(1, 3), bad=st.sampled_from(["", "", "", "", "root", "layout"]))
    def commit_packed(self, data: st.DataObject, lot: str, n: int, per_case: int, per_pallet: int, bad: str) -> None:
        pid = data.draw(st.sampled_from(self.products))
        mah = next((x for x, a in self.w.actors.items() if a.org_id == self.m.products[pid].mah), "man")
        by = data.draw(st.sampled_from([mah] * 4 + ["man_b", "dist"]))
        bid = self._commit_packed(pid, lot, n, per_case, per_pallet, by, bad=bad)
        if bid is not None and data.draw(st.sampled_from([True, True, True, False])):
            self._release(bid, by, approve=True)

    def _keys(self, bid: bytes) -> list[int]:
        b = self.m.batches[bid]
        return (list(range(b.unit_count)) + [container_key(CASE, c) for c in range(self.m.case_count(b))]
                + [container_key(PALLET, p) for p in range(self.m.pallet_count(b))])

    def _name(self, org: bytes, fallback: str = "dist") -> str:
        return next((n for n, a in self.w.actors.items() if a.org_id == org), fallback)

    def _movable(self, bid: bytes, org: bytes) -> list[int]:
        """Model view: what ``org`` may put on a shipment of ``bid`` (held intact, or loose and not gone)."""
        out = []
        for key in self._keys(bid):
            status, holder, _, inside = self.m.where(bid, key)
            if status == HELD and not inside and holder == org and not (key < 1 << 248 and self.m.unit_state(bid, key)):
                out.append(key)
        return out

    def _ship_packed(self, bid: bytes, frm: str, to: str, items: list[int], is_return: bool) -> Any:
        return self.run("dispatch_packed", (self.account(frm), bid, self.w.org(to), self.w.org("log"), items, is_return),
                        self.w.packing, "dispatchPacked", (bid, self.w.org(to), self.w.org("log"), items, is_return, H),
                        self.account(frm))

    def _receive_packed(self, sid: int, by: str, items: list[int], missing: list[int], extra: list[int]) -> Any:
        return self.run("receive_packed", (self.account(by), sid, items, missing, extra), self.w.packing,
                        "receivePacked", (sid, items, missing, extra, H), self.account(by))

    @precondition(lambda self: bool(self.packed))
    @rule(data=st.data(), is_return=st.sampled_from([False, False, False, True]))
    def dispatch_packed(self, data: st.DataObject, is_return: bool) -> None:
        """A holder ships some of what it holds (pallets, cases, loose units); now and then a
        container it does not hold, an unknown key or an unsorted list (refused)."""
        bid = data.draw(st.sampled_from(self.packed))
        senders = ["man", "dist", "dist2", "pharm", "hosp"]
        holding = [x for x in senders if self._movable(bid, self.w.org(x))]
        frm = data.draw(st.sampled_from(holding * 4 + senders if holding else senders))
        movable = self._movable(bid, self.w.org(frm))
        keys = self._keys(bid)
        items = sorted(data.draw(st.sets(st.sampled_from(movable), min_size=1, max_size=4))) if movable else []
        spoil = data.draw(st.sampled_from([""] * 12 + ["other", "other", "unknown", "unsorted", "empty"]))
        if spoil == "other":
            items = sorted(set(items) | {data.draw(st.sampled_from(keys))})
        elif spoil == "unknown":
            items = sorted(set(items) | {container_key(CASE, 200)})
        elif spoil == "unsorted" and len(items) > 1:
            items = items[::-1]
        elif spoil == "empty":
            items = []
        if not items:
            items = [data.draw(st.sampled_from(keys))] if spoil != "empty" else []
        # pharmacies and hospitals send back, the MAH only forward (the other way is refused by
        # kind); the is_return draw keeps a few of those
        if frm == "man" or frm in ("pharm", "hosp"):
            is_return = (frm != "man") != (is_return and data.draw(st.booleans()))
        if is_return:
            to = data.draw(st.sampled_from(["man", "man", "man", "dist", "dist", "man_b"]))
        else:
            to = data.draw(st.sampled_from(["dist", "dist2", "pharm", "pharm", "hosp", "hosp", "log"]))
        r = self._ship_packed(bid, frm, to, items, is_return)
        event("dispatchPacked: " + ("ok" if r[0] == "ok" else r[1]))
        if r[0] == "ok" and data.draw(st.integers(0, 2)):  # mostly scanned on arrival at once
            self.receive_packed(data, data.draw(st.sampled_from(self.SHAPES)), sid=r[1])

    def _open_packed(self, data: st.DataObject) -> list[int]:
        return [i for i, s in enumerate(self.m.shipments, start=1) if s.packed and s.status == ShipmentStatus.DISPATCHED]

    SHAPES = ["whole", "whole", "missing", "missing", "missing-case", "missing-case", "extra", "short-list",
              "wrong-receiver", "both", "reject"]

    @precondition(lambda self: any(s.packed for s in self.m.shipments))
    @rule(data=st.data(), shape=st.sampled_from(SHAPES))
    def receive_packed(self, data: st.DataObject, shape: str, sid: int = 0) -> None:
        """The addressee scans what arrived: all of it, with missing items (or a missing case of a
        shipped pallet, which then arrives opened), an extra case, a short list (refused), or the
        wrong receiver; or a shipment already closed."""
        if not sid:
            open_ = self._open_packed(data)
            packed = [i for i, s in enumerate(self.m.shipments, start=1) if s.packed]
            sid = data.draw(st.sampled_from(open_ if open_ and data.draw(st.integers(0, 5)) else packed))
        s = self.m.shipments[sid - 1]
        b = self.m.batches[s.batch]
        items = list(s.items)
        by = self._name(s.to)
        missing: list[int] = []
        extra: list[int] = []
        pallets = [k for k in items if k >> 248 == PALLET]
        cases_of = [c for p in pallets for c in self.m.children(b, p, self.m.case_count(b))]
        if shape == "missing":
            missing = sorted(data.draw(st.sets(st.sampled_from(items), min_size=1, max_size=2)))
        elif shape == "missing-case" and cases_of:
            missing = sorted(data.draw(st.sets(st.sampled_from(cases_of), min_size=1, max_size=2)))
        elif shape == "both" and cases_of:  # a pallet reported missing whole, and one of its cases too
            case = data.draw(st.sampled_from(cases_of))
            missing = sorted({case, container_key(PALLET, (case & ((1 << 248) - 1)) // b.per_pallet)})
        elif shape == "extra":
            extra = [data.draw(st.sampled_from(self._keys(s.batch)))]
        elif shape == "short-list" and len(items) > 1:
            items = items[1:]
        elif shape == "wrong-receiver":
            by = data.draw(st.sampled_from(["dist", "pharm", "hosp", "man", "log", "stranger"]))
        elif shape == "reject":  # refused at the door: the containers go back, intact, to the sender
            r = self.run("reject", (self.account(by), sid), self.w.custody, "rejectShipment", (sid, H), self.account(by))
            event("rejectShipment packed: " + ("ok" if r[0] == "ok" else r[1]))
            return
        r = self._receive_packed(sid, by, items, missing, extra)
        event(f"receivePacked {shape}: " + ("ok" if r[0] == "ok" else r[1]))

    @precondition(lambda self: bool(self.packed))
    @rule(data=st.data(), repack=st.booleans())
    def unpack_or_repack(self, data: st.DataObject, repack: bool) -> None:
        """拆零 or re-pack: mostly by the container's holder, sometimes by another organisation."""
        bid = data.draw(st.sampled_from(self.packed))
        want = OPENED if repack else HELD
        keys = [k for k in self._keys(bid) if k >= 1 << 248]
        fitting = [k for k in keys if self.m.where(bid, k)[0] == want and not self.m.where(bid, k)[3]]
        key = data.draw(st.sampled_from(fitting if fitting and data.draw(st.integers(0, 4)) else keys + [0]))
        holder = self._name(self.m.where(bid, key)[1]) if key else "man"
        by = data.draw(st.sampled_from([holder] * 4 + ["dist", "pharm", "nat"]))
        fn = "repack" if repack else "unpack"
        r = self.run(fn, (self.account(by), bid, key), self.w.packing, fn, (bid, key), self.account(by))
        event(f"{fn}: " + ("ok" if r[0] == "ok" else r[1]))

    @precondition(lambda self: bool(self.packed))
    @rule(data=st.data())
    def dispense_packed(self, data: st.DataObject) -> None:
        """D9: a unit loose at one holder is dispensed by another holder of the same batch (refused,
        CustodyLedgerNotUnitHolder), then by its holder; or a unit still inside a case."""
        bid = data.draw(st.sampled_from(self.packed))
        info = self.batches[bid]
        n = self.m.batches[bid].unit_count
        loose = [i for i in range(n) if self.m.loose_holder(bid, i) in (self.w.org("pharm"), self.w.org("hosp"))
                 and not self.m.unit_state(bid, i)]
        index = data.draw(st.sampled_from(loose)) if loose and data.draw(st.integers(0, 3)) else \
            data.draw(st.integers(0, n - 1))
        holder = self.m.loose_holder(bid, index)
        others = [x for x in ("pharm", "hosp") if self.w.org(x) != holder]
        for by in [data.draw(st.sampled_from(others))] + ([self._name(holder)] if holder else []):
            r = self.run("dispense", (self.account(by), bid, index, True), self.w.custody, "dispense",
                         (bid, index, info.code_hash(index), info.proof(index)), self.account(by))
            event("dispense packed unit by " + ("its holder" if self.w.org(by) == holder else "another") + ": "
                  + ("ok" if r[0] == "ok" else r[1]))

    @precondition(lambda self: bool(self.products) and not self.m.paused)
    @rule(data=st.data(), n=st.integers(4, 12), per_case=st.integers(1, 3), per_pallet=st.integers(2, 3))
    def packed_walk(self, data: st.DataObject, n: int, per_case: int, per_pallet: int) -> None:
        """One packed batch along the chain, so the deep paths run in most examples: the MAH ships
        a pallet to the distributor, who finds a case missing (the pallet arrives opened), ships a
        case to the pharmacy and another to the hospital; both unpack; each tries the other's unit
        (D9: refused) and its own; the pharmacy repacks what is whole again. Every call compared."""
        listed = [p for p in self.products if self.m.products[p].state == State.LISTED]
        if not listed or len(self.packed) >= 3:
            return
        pid = data.draw(st.sampled_from(listed))
        mah = self._name(self.m.products[pid].mah, "man")
        lot = f"W{len(self.packed)}"
        bid = self._commit_packed(pid, lot, n, per_case, per_pallet, mah)
        if bid is None or self._release(bid, mah, approve=True)[0] != "ok":
            return
        info = self.batches[bid]
        b = self.m.batches[bid]
        p0 = container_key(PALLET, 0)
        cases = self.m.children(b, p0, self.m.case_count(b))
        ok = self._ship_packed(bid, mah, "dist", [p0], False)
        if ok[0] != "ok":
            return
        sid = ok[1]
        lost = [cases[-1]] if len(cases) > 1 and data.draw(st.booleans()) else []
        extra = [container_key(CASE, self.m.case_count(b) - 1)] if data.draw(st.booleans()) else []
        self._receive_packed(sid, "dist", [p0], lost, extra)
        if not lost:
            self.run("unpack", (self.account("dist"), bid, p0), self.w.packing, "unpack", (bid, p0), self.account("dist"))
        for who, case in zip(("pharm", "hosp"), cases):
            if case in lost:
                continue
            r = self._ship_packed(bid, "dist", who, [case], False)
            if r[0] == "ok":
                self._receive_packed(r[1], who, [case], [], [])
                self.run("unpack", (self.account(who), bid, case), self.w.packing, "unpack", (bid, case),
                         self.account(who))
        for who, other in (("pharm", "hosp"), ("hosp", "pharm")):
            mine = [i for i in range(b.unit_count) if self.m.loose_holder(bid, i) == self.w.org(who)
                    and not self.m.unit_state(bid, i)]
            if not mine or (who == "hosp" and data.draw(st.booleans())):  # the hospital's case may stay whole
                continue
            i = data.draw(st.sampled_from(mine))
            for by in (other, who):  # the D9 case first: another holder of the same batch
                r = self.run("dispense", (self.account(by), bid, i, True), self.w.custody, "dispense",
                             (bid, i, info.code_hash(i), info.proof(i)), self.account(by))
                event(f"packed walk: dispense by {'holder' if by == who else 'other holder'}: "
                      + ("ok" if r[0] == "ok" else r[1]))
        for who, case in zip(("pharm", "hosp"), cases):  # the pharmacy's case has a unit gone: refused
            r = self.run("repack", (self.account(who), bid, case), self.w.packing, "repack", (bid, case),
                         self.account(who))
            event(f"packed walk: repack by {who} " + ("ok" if r[0] == "ok" else r[1]))

    # ------------------------------------------------------------------ the observable state

    @invariant()
    def same_observable_state(self) -> None:
        w, m = self.w, self.m
        assert w.orgs.call("paused") is m.paused
        for org_id, org in m.orgs.items():
            got = w.orgs.call("getOrg", org_id)
            assert (got[1], got[4]) == (org.status, org.licence_expiry), "organisation"
        for pid, p in m.products.items():
            assert w.product_state(pid) == p.state, "product state"
            assert w.drugs.call("stopAuthority", pid) == p.stopped_by, "stop authority"
        for bid, b in m.batches.items():
            assert w.batch_state(bid) == b.state, "batch state"
            assert w.drugs.call("stopAuthority", bid) == b.stopped_by, "stop authority"
            assert w.custody.call("batchStock", bid) == m.stock(bid), "batch stock"
            for org_id in m.orgs:
                assert w.custody.call("holdingOf", bid, org_id) == m.holding(bid, org_id), "holding"
            words = (b.unit_count + 255) // 256
            for word in range(words):
                gone = set(m.dispensed) | set(m.decommissioned)  # the bitmap means "left custody"
                expected = sum(1 << (i - 256 * word) for (xb, i) in gone if xb == bid and i // 256 == word)
                assert w.custody.call("dispenseWord", bid, word) == expected, "dispensed bits"
            for (xb, i), state in m.decommissioned.items():
                if xb == bid:
                    assert w.custody.call("unitState", bid, i) == state, "decommissioned state"
            assert w.obs.call("seriousReactionCount", bid) == m.serious.get(bid, 0) - m.serious_voided.get(bid, 0)
            assert w.drugs.call("autoStopReason", bid) == m.auto_stop_reason(bid), "automatic stop's reason"
            assert w.obs.call("releaseStatus", b.product, bid) == m.release_status(bid), "release gate"
            for window in (0, 60_000, DAY_MS):
                assert w.obs.call("seriousReactionsWithin", bid, window) == m.serious_within(bid, window)
        assert w.custody.call("shipmentCount") == len(m.shipments)
        for sid, s in enumerate(m.shipments, start=1):
            got = w.custody.call("getShipment", sid)
            assert (got[5], got[7], got[9]) == (s.received, s.status, s.excursion), "shipment"
            assert w.custody.call("receivedAt", sid) == s.received_at, "receipt time"
        assert w.recalls.call("recallCount") == len(m.recalls)
        for rid, c in enumerate(m.recalls, start=1):
            assert w.recalls.call("getRecall", rid)[6] == c.status, "recall status"
            assert w.recalls.call("recovered", rid, Z32) == m.recovered.get((rid, Z32), 0)
            assert w.recalls.call("recallFigures", rid) == m.recall_figures(rid), "recall figures"
            at_open, now, recovered, _, _, written_off = m.recall_figures(rid)
            # every unit on the market at the opening is outstanding, recovered or written off, once
            assert now + recovered + written_off == at_open, ("recall figures add up", rid, m.recall_figures(rid))
            times = w.recalls.call("recallTimes", rid)
            assert times == (c.decided_at, c.notice_deadline, c.notice_at, c.last_progress_at, c.progress_count,
                             c.completed_at)
        for did, d in enumerate(m.destructions, start=1):
            assert w.recalls.call("getDestruction", did)[5] == d.status
        assert w.obs.call("observationCount") == m.observations
        for oid in m.voided_by:  # corrections (issue 12)
            assert w.obs.call("voidedBy", oid) == m.voided_by[oid], "voided by"
        # procurement (issue 17 B)
        assert w.procurement.call("bidCount") == len(m.bids)
        for i, b in enumerate(m.bids, start=1):
            got = w.procurement.call("getBid", i)
            assert (got[0], got[1], got[2], got[3], got[6]) == (b.platform, b.product, b.mah, b.price, b.status), "bid"
        for (i, h), (agreed, ordered) in m.volumes.items():
            assert w.procurement.call("volumeOf", i, h) == (agreed, ordered), "agreed volume"
        assert w.procurement.call("orderCount") == len(m.orders)
        for i, o in enumerate(m.orders, start=1):
            got = w.procurement.call("getOrder", i)
            assert got[:8] == (o.bid, o.hospital, o.distributor, o.quantity, o.in_flight, o.accepted, o.placed_at,
                               o.status), "order"
        for sid, d in m.deliveries.items():
            assert w.procurement.call("getDelivery", sid) == (d.order, d.shipped, d.accepted, d.accepted_at, d.due_at,
                                                              d.amount, d.paid_at, d.status, d.flagged), "delivery"
        # range custody of unpacked batches (D9): every live unit's place, every holder's FIFO order
        for bid, b in m.batches.items():
            if b.per_case:
                continue
            for i in range(b.unit_count):
                if m.unit_state(bid, i) == 0:
                    _, _, state, holder, sid, _ = w.ranges.call("rangeOf", bid, i)
                    assert (state, holder, sid) == m.place(bid, i), ("unit place", i)
            for name in ("man", "man_b", "dist", "dist2", "pharm", "hosp"):
                org = w.org(name)
                bounds, _, _ = w.ranges.call("rangesOf", bid, org, 0, 256)
                live = [i for k in range(0, len(bounds), 2) for i in range(bounds[k], bounds[k + 1])
                        if m.unit_state(bid, i) == 0]
                assert live == m.queue(bid, org), ("queue order", name)
        # packing (issue 17A): every container's place, every unit's loose holder
        for bid in self.packed if self.packing_dirty else ():
            b = m.batches[bid]
            for key in self._keys(bid):
                assert w.packing.call("containerState", bid, key) == m.where(bid, key), ("container", key)
            for i in range(b.unit_count):
                holder = m.loose_holder(bid, i)
                seq = m.orgs[holder].seq if holder is not None else 0
                assert w.packing.call("unitHolder", bid, i, b.per_case) == seq, ("unit holder", i)
        self.packing_dirty = False


DrugTraceMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_contracts_agree_with_the_model = DrugTraceMachine.TestCase


class PackingMachine(DrugTraceMachine):
    """The same machine narrowed to custody and packing (issue 17A), so packed batches go deep in
    a short run: a packed batch is stocked first, and only the packing rules and the custody,
    lifecycle and organisation rules that act on them run (the others are switched off)."""

    @initialize(n=st.integers(1, 20), shelf_days=st.integers(5, 30), units=st.integers(4, 12),
                per_case=st.integers(1, 4), per_pallet=st.integers(1, 3))
    def stock(self, n: int, shelf_days: int, units: int, per_case: int, per_pallet: int) -> None:
        DrugTraceMachine.stock(self, n=n, shelf_days=shelf_days)
        bid = self._commit_packed(self.products[0], "PK", units, per_case, per_pallet, "man")
        assert bid is not None and self._release(bid, "man", approve=True)[0] == "ok"


_PACKING_RULES = {"commit_packed", "dispatch_packed", "receive_packed", "unpack_or_repack", "dispense_packed",
                  "packed_walk", "dispatch", "dispatch_return", "receive", "reject", "void_shipment", "dispense",
                  "dispense_many", "decommission", "suspend_or_restore", "transition_batch", "advance_time"}
_OFF = [n for n, v in vars(DrugTraceMachine).items() if hasattr(v, "hypothesis_stateful_rule") and n not in _PACKING_RULES]
assert _OFF and _PACKING_RULES <= set(vars(DrugTraceMachine)), "hypothesis's rule marker or a rule name changed"
for _name in _OFF:
    setattr(PackingMachine, _name, None)  # not a rule of the narrowed machine

PackingMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_packing_agrees_with_the_model = PackingMachine.TestCase
