"""The deployed suite plus a cast of organisations, for the contract tests and the gas report.

Deployment follows the recipe of ``contracts/README.md``: OrgRegistry(rootOrgId, region,
detailsHash) by the national regulator's account; DrugRegistry(orgs); CustodyLedger(orgs,
drugs); ObservationLog(orgs, drugs, custody); RecallManager(orgs, drugs, custody); then
``OrgRegistry.linkSuite(drugs, custody, observations, recalls)``; ProcurementLedger(orgs, drugs,
custody) and ``OrgRegistry.linkProcurement(procurement)``.

The cast (one signing account per organisation): ``nat`` (national regulator, root),
``prov`` (provincial regulator of region A), ``prov_b`` (region B), ``man`` (the MAH of the
standard product, region A), ``man_b`` (another MAH, region B), ``dist``, ``dist2``, ``log``,
``pharm``, ``hosp``, ``aud``, ``plat`` (the procurement platform; all region A), and ``stranger`` (an account bound to nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import merkle_reference as ref
from harness import DAY_MS, Artifact, Chain, Contract, TxResult, address_of
from model import Kind

from fisco_drugtrace.drugtrace.merkle import multiproof_for
from fisco_drugtrace.drugtrace.packing import CASE, PALLET, PackingLayout, PackingTree, container_key

__all__ = ["Scene", "REGION_A", "REGION_B", "Actor", "BatchInfo", "PackedBatch", "World", "unit_codes", "CAST",
           "case_key", "pallet_key"]

REGION_A = 110000
REGION_B = 310000
Z32 = bytes(32)
PROCESS_HASH = b"\x9f" * 32  # the process definition document's hash in helpers

# name -> (kind, region)
CAST: dict[str, tuple[Kind, int]] = {
    "nat": (Kind.NATIONAL, REGION_A),
    "prov": (Kind.PROVINCIAL, REGION_A),
    "prov_b": (Kind.PROVINCIAL, REGION_B),
    "man": (Kind.MANUFACTURER, REGION_A),
    "man_b": (Kind.MANUFACTURER, REGION_B),
    "dist": (Kind.DISTRIBUTOR, REGION_A),
    "dist2": (Kind.DISTRIBUTOR, REGION_A),
    "log": (Kind.LOGISTICS, REGION_A),
    "pharm": (Kind.PHARMACY, REGION_A),
    "hosp": (Kind.HOSPITAL, REGION_A),
    "aud": (Kind.AUDITOR, REGION_A),
    "plat": (Kind.PLATFORM, REGION_A),
}
# The primary organisation of each kind (the one the permission tables use).
PRIMARY = {Kind.NATIONAL: "nat", Kind.PROVINCIAL: "prov", Kind.MANUFACTURER: "man", Kind.DISTRIBUTOR: "dist",
           Kind.LOGISTICS: "log", Kind.PHARMACY: "pharm", Kind.HOSPITAL: "hosp", Kind.AUDITOR: "aud",
           Kind.PLATFORM: "plat"}


def unit_codes(n: int, prefix: str = "8123456") -> list[str]:
    """``n`` distinct 20-digit codes: 7-digit product prefix + 9-digit serial + 4 digits."""
    return [f"{prefix}{i:09d}{(i * 7919) % 10000:04d}" for i in range(n)]


@dataclass(frozen=True)
class Actor:
    name: str
    kind: Kind
    region: int
    account: str
    org_id: bytes


@dataclass
class BatchInfo:
    batch_id: bytes
    product_id: bytes
    lot: str
    codes: list[str]
    tree: ref.MerkleTree
    expiry: int

    def proof(self, index: int) -> list[bytes]:
        return self.tree.proof(index)

    def multiproof(self, indices: list[int]) -> list[bytes]:
        """The multiproof of ``indices`` (ascending) in the order ``UnitMerkle.verifyMulti`` reads it."""
        return multiproof_for(indices, [len(level) for level in self.tree.levels],
                              lambda lv, i: self.tree.levels[lv][i])

    def code_hash(self, index: int) -> bytes:
        return ref.code_hash(self.codes[index])


def case_key(index: int) -> int:
    return container_key(CASE, index)


def pallet_key(index: int) -> int:
    return container_key(PALLET, index)


@dataclass
class PackedBatch(BatchInfo):
    """A batch committed with its packing (issue 17A)."""

    layout: PackingLayout = None  # type: ignore[assignment]
    packing: PackingTree = None  # type: ignore[assignment]


@dataclass
class World:
    chain: Chain
    orgs: Contract
    drugs: Contract
    custody: Contract
    obs: Contract
    recalls: Contract
    packing: Contract
    procurement: Contract
    ranges: Contract
    actors: dict[str, Actor] = field(default_factory=dict)
    stranger: str = address_of(999)

    # ------------------------------------------------------------------ construction

    @classmethod
    def deploy(cls, artifacts: dict[str, Artifact], chain: Chain | None = None) -> "World":
        chain = chain or Chain()
        nat_account = address_of(1)
        nat_org = ref.org_id("NAT-91100000000000000A")
        orgs = chain.deploy(artifacts["OrgRegistry"], nat_org, REGION_A, Z32, sender=nat_account)
        drugs = chain.deploy(artifacts["DrugRegistry"], orgs.address, sender=nat_account)
        custody = chain.deploy(artifacts["CustodyLedger"], orgs.address, drugs.address, sender=nat_account)
        obs = chain.deploy(artifacts["ObservationLog"], orgs.address, drugs.address, custody.address,
                           sender=nat_account)
        recalls = chain.deploy(artifacts["RecallManager"], orgs.address, drugs.address, custody.address,
                               sender=nat_account)
        orgs.transact("linkSuite", drugs.address, custody.address, obs.address, recalls.address, sender=nat_account)
        packing = chain.attach(artifacts["PackingLedger"], custody.call("packingLedger"))
        procurement = chain.deploy(artifacts["ProcurementLedger"], orgs.address, drugs.address, custody.address,
                                   sender=nat_account)
        orgs.transact("linkProcurement", procurement.address, sender=nat_account)
        ranges = chain.attach(artifacts["RangeLedger"], custody.call("rangeLedger"))
        w = cls(chain, orgs, drugs, custody, obs, recalls, packing, procurement, ranges)
        w.actors["nat"] = Actor("nat", Kind.NATIONAL, REGION_A, nat_account, nat_org)
        for i, (name, (kind, region)) in enumerate(CAST.items()):
            if name != "nat":
                w.onboard(name, kind, region, account=address_of(10 + i))
        return w

    def onboard(self, name: str, kind: Kind, region: int, *, account: str, by: str = "nat",
                licence_expiry: int = 0) -> Actor:
        org = ref.org_id(f"ORG-{name}")
        self.orgs.transact("registerOrg", org, int(kind), region, licence_expiry, Z32, sender=self.acct(by))
        self.orgs.transact("bindAccount", account, org, sender=self.acct(by))
        actor = Actor(name, kind, region, account, org)
        self.actors[name] = actor
        return actor

    # ------------------------------------------------------------------ lookups

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]

    def acct(self, name: str) -> str:
        return self.actors[name].account

    def org(self, name: str) -> bytes:
        return self.actors[name].org_id

    def primary(self, kind: Kind) -> Actor:
        return self.actors[PRIMARY[Kind(kind)]]

    # ------------------------------------------------------------------ common operations

    def register_product(self, approval: str = "国药准字H20260001", spec: str = "10片/盒", *, mah: str = "man",
                         min_temp: int = 20, max_temp: int = 250) -> bytes:
        r = self.drugs.transact("registerProduct", approval, spec, self.org(mah), min_temp, max_temp, Z32,
                                sender=self.acct("nat"))
        return r.output

    def commit_batch(self, product_id: bytes, lot: str = "L0001", n: int = 64, *, mah: str = "man",
                     shelf_days: int = 730, release: bool = True) -> BatchInfo:
        """Commit a batch and (``release``) pass its release gate and release it (T0b)."""
        bid = ref.batch_id(product_id, lot)
        codes = unit_codes(n, prefix=f"{int.from_bytes(ref.keccak(lot.encode()), 'big') % 10**7:07d}")
        tree = ref.MerkleTree.for_codes(bid, codes)
        production = self.chain.timestamp_ms - DAY_MS
        expiry = production + shelf_days * DAY_MS
        self.drugs.transact("commitBatch", product_id, lot, production, expiry, n, tree.root, Z32,
                            sender=self.acct(mah))
        info = BatchInfo(bid, product_id, lot, codes, tree, expiry)
        if release:
            self.release_batch(info, mah=mah)
        return info

    def commit_packed_batch(self, product_id: bytes, lot: str = "PK0001", n: int = 100, *, per_case: int = 10,
                            per_pallet: int = 4, mah: str = "man", release: bool = True,
                            shelf_days: int = 730) -> PackedBatch:
        """Commit a packed batch (``per_case`` units per case, ``per_pallet`` cases per pallet,
        SSCC-like container codes) and (``release``) release it."""
        bid = ref.batch_id(product_id, lot)
        codes = unit_codes(n, prefix=f"{int.from_bytes(ref.keccak(lot.encode()), 'big') % 10**7:07d}")
        tree = ref.MerkleTree.for_codes(bid, codes)
        layout = PackingLayout(n, per_case, per_pallet)
        salt = int.from_bytes(bid[:4], "big") % 10**6
        case_codes = [f"00{salt:06d}1{i:09d}" for i in range(layout.case_count)]
        pallet_codes = [f"00{salt:06d}2{i:09d}" for i in range(layout.pallet_count)]
        packing = PackingTree.build(bid, layout, case_codes, pallet_codes)
        production = self.chain.timestamp_ms - DAY_MS
        expiry = production + shelf_days * DAY_MS
        self.drugs.transact("commitPackedBatch", product_id, lot, production, expiry, n, tree.root, packing.root,
                            per_case, per_pallet, sender=self.acct(mah))
        info = PackedBatch(bid, product_id, lot, codes, tree, expiry, layout, packing)
        if release:
            self.release_batch(info, mah=mah)
        return info

    def ship_packed(self, batch: bytes, frm: str, to: str, items: list[int], *, receive: bool = True,
                    is_return: bool = False, missing: list[int] | None = None,
                    extra: list[int] | None = None) -> int:
        items = sorted(items)
        sid = self.packing.transact("dispatchPacked", batch, self.org(to), self.org("log"), items, is_return, Z32,
                                    sender=self.acct(frm)).output
        if receive:
            self.packing.transact("receivePacked", sid, items, sorted(missing or []), sorted(extra or []), Z32,
                                  sender=self.acct(to))
        return sid

    def approve_process(self, product_id: bytes, steps: int = 1, *, mah: str = "man", by: str = "nat",
                        process_hash: bytes = PROCESS_HASH) -> int:
        """The MAH defines the product's process (``steps`` steps) and a regulator approves it;
        returns the definition's observation id."""
        r = self.obs.transact("recordObservation", 1, product_id, 0, 0, 0, steps, process_hash, sender=self.acct(mah))
        # the approval names the same document and step count (issue 12, defect 9)
        self.obs.transact("recordObservation", 1, product_id, 0, 0, 0, steps, process_hash, sender=self.acct(by))
        return r.output

    def pass_release_gate(self, info: BatchInfo, *, mah: str = "man") -> None:
        """Approve a process if the product has none (or one pending), record every missing step
        for the batch and an OK release inspection by the MAH."""
        approved, pending, steps, bits, *_ = self.obs.call("releaseStatus", info.product_id, info.batch_id)
        if not approved or pending:
            self.approve_process(info.product_id, mah=mah)
            approved, pending, steps, bits, *_ = self.obs.call("releaseStatus", info.product_id, info.batch_id)
        for step in range(steps):
            if not bits >> step & 1:
                self.obs.transact("recordObservation", 2, info.batch_id, 0, 0, step, 0, Z32, sender=self.acct(mah))
        self.obs.transact("recordObservation", 6, info.batch_id, 0, 0, 0, 0, Z32, sender=self.acct(mah))

    def release_batch(self, info: BatchInfo, *, mah: str = "man") -> TxResult:
        """Pass the release gate, then release the batch (T0b, units credited to the MAH)."""
        self.pass_release_gate(info, mah=mah)
        return self.drugs.transact("releaseBatch", info.batch_id, Z32, sender=self.acct(mah))

    def ship(self, batch: bytes, frm: str, to: str, qty: int, *, receive: bool = True) -> int:
        r = self.custody.transact("dispatch", batch, self.org(to), self.org("log"), qty, Z32, sender=self.acct(frm))
        sid = r.output
        if receive:
            self.custody.transact("receiveShipment", sid, qty, Z32, sender=self.acct(to))
        return sid

    def ranges_of(self, batch: bytes, who: str) -> list[tuple[int, int]]:
        """The ranges [start, end) of an unpacked batch ``who`` holds, in queue (first-out) order."""
        bounds, _gone, _next = self.ranges.call("rangesOf", batch, self.org(who), 0, 256)
        return [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]

    def held_units(self, batch: bytes, who: str) -> list[int]:
        """The unit indices of an unpacked batch ``who`` holds (its ranges, less the units gone)."""
        return [i for a, b in self.ranges_of(batch, who) for i in range(a, b)
                if self.custody.call("unitState", batch, i) == 0]

    def holding(self, batch: bytes, who: str) -> tuple[int, int]:
        return self.custody.call("holdingOf", batch, self.org(who))

    def batch_state(self, batch: bytes) -> int:
        return self.drugs.call("getBatch", batch)[5]

    def product_state(self, product: bytes) -> int:
        return self.drugs.call("getProduct", product)[1]

    def dispense(self, info: BatchInfo, index: int, who: str = "pharm", proof: list[bytes] | None = None,
                 code_hash: bytes | None = None) -> TxResult:
        return self.custody.transact("dispense", info.batch_id, index,
                                     code_hash if code_hash is not None else info.code_hash(index),
                                     info.proof(index) if proof is None else proof, sender=self.acct(who))

    def dispense_many(self, info: BatchInfo, indices: list[int], who: str = "pharm") -> TxResult:
        indices = sorted(indices)
        return self.custody.transact("dispenseMany", info.batch_id, indices, [info.code_hash(i) for i in indices],
                                     info.multiproof(indices), sender=self.acct(who))

    def decommission(self, info: BatchInfo, indices: list[int], state: int, who: str, *,
                     holder: str | None = None) -> TxResult:
        indices = sorted(indices)
        return self.custody.transact("decommission", info.batch_id, indices, [info.code_hash(i) for i in indices],
                                     info.multiproof(indices), state, self.org(holder or who), Z32,
                                     sender=self.acct(who))

    def stop_batch(self, batch: bytes, by: str = "nat") -> TxResult:
        return self.drugs.transact("transitionBatch", batch, 2, 0, Z32, sender=self.acct(by))

    def open_recall(self, product: bytes, batch: bytes, level: int = 1, by: str = "man") -> int:
        return self.recalls.transact("openRecall", product, batch, level, Z32, sender=self.acct(by)).output

    def close_recall(self, rid: int, *, mah: str = "man", by: str = "nat") -> None:
        """Notice, summary and the regulator's acceptance: the case is CLOSED."""
        self.recalls.transact("issueNotice", rid, Z32, sender=self.acct(mah))
        self.recalls.transact("completeRecall", rid, Z32, sender=self.acct(mah))
        self.recalls.transact("evaluateRecall", rid, True, Z32, sender=self.acct(by))

    def destroy_recalled_batch(self, rid: int, batch: bytes, *, mah: str = "man") -> None:
        """Close the case, then destroy every unit the cast holds under the national regulator's
        counter-signature: the last destruction leaves no unit, so the batch becomes DESTROYED (T4)."""
        self.close_recall(rid, mah=mah)
        for name in list(self.actors):
            held = self.holding(batch, name)[0]
            if held and self.actors[name].kind in (Kind.MANUFACTURER, Kind.DISTRIBUTOR, Kind.PHARMACY, Kind.HOSPITAL):
                did = self.recalls.transact("recordDestruction", rid, held, False, Z32, sender=self.acct(name)).output
                self.recalls.transact("countersignDestruction", did, sender=self.acct("nat"))

    # ------------------------------------------------------------------ procurement (issue 17)

    def publish_bid(self, product: bytes, *, price: int = 1250, distributors: tuple[str, ...] = ("dist",),
                    volumes: dict[str, int] | None = None, valid_days: int = 365, by: str = "plat",
                    tender: bytes = b"\x7e" * 32) -> int:
        """A live winning bid (valid from now for ``valid_days``) and the hospitals' agreed volumes."""
        now = self.chain.timestamp_ms
        r = self.procurement.transact("publishBid", tender, product, price, now, now + valid_days * DAY_MS,
                                      [self.org(d) for d in distributors], sender=self.acct(by))
        bid = r.output
        volumes = {"hosp": 100} if volumes is None else volumes
        if volumes:
            self.procurement.transact("setAgreedVolumes", bid, [self.org(h) for h in volumes], list(volumes.values()),
                                      sender=self.acct(by))
        return bid

    def place_order(self, bid: int, qty: int, *, hosp: str = "hosp", dist: str = "dist", accept: bool = True) -> int:
        oid = self.procurement.transact("placeOrder", bid, self.org(dist), qty, b"\x0d" * 32, sender=self.acct(hosp)).output
        if accept:
            self.procurement.transact("acceptOrder", oid, sender=self.acct(dist))
        return oid

    def deliver(self, order: int, batch: bytes, qty: int, *, dist: str = "dist", hosp: str = "hosp",
                received: int | None = None, confirm: bool = True) -> int:
        """Dispatch ``qty`` from the distributor to the hospital, count it against the order, and
        (``received`` not None, default ``qty``) receive it in custody and confirm the receipt."""
        sid = self.custody.transact("dispatch", batch, self.org(hosp), self.org("log"), qty, Z32,
                                    sender=self.acct(dist)).output
        self.procurement.transact("recordDelivery", order, sid, sender=self.acct(dist))
        if confirm:
            self.custody.transact("receiveShipment", sid, qty if received is None else received, Z32,
                                  sender=self.acct(hosp))
            self.procurement.transact("confirmReceipt", sid, sender=self.acct(hosp))
        return sid

    def all_events(self, result: TxResult) -> list[tuple[str, dict[str, Any]]]:
        return [(e.name, e.args) for e in result.events]


@dataclass
class Scene:
    """The standard scene built by conftest.py (see its docstring)."""

    w: World
    product: bytes
    batch: BatchInfo
    start_ms: int
