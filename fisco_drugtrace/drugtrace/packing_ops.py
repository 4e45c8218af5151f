"""Packed batches and unit-level operations (issues 17A and 12): register a batch with its packing,
ship and receive cases and pallets reconciled per container, unpack and repack, see a unit's case
and pallet, dispense many codes in one transaction, decommission units.

Containers are named by the contracts' key ``level << 248 | index`` (:func:`packing.container_key`;
level 1 = case, 2 = pallet, 0 = a loose unit by its index in the batch).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Sequence

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.codes import code_problem, validate_codes
from fisco_drugtrace.drugtrace.ids import batch_id as make_batch_id
from fisco_drugtrace.drugtrace.ids import id_hex, org_ref
from fisco_drugtrace.drugtrace.models import BatchRegistration, Shipment, TxInfo
from fisco_drugtrace.drugtrace.packing import CASE, PALLET, PackingLayout, PackingTree, container_key
from fisco_drugtrace.drugtrace.suite import ZERO32
from fisco_drugtrace.errors import NotFound, TraceCodeError
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["PackingOps", "ContainerStatus", "UnitCustodyState", "ContainerState", "UnitPath", "CaseTable",
           "ManyDispenseResult", "DecommissionResult", "DECOMMISSION_STATES"]


class ContainerStatus(IntEnum):
    """``IPackingLedger.NodeStatus``."""

    NONE = 0
    HELD = 1
    TRANSIT = 2
    OPENED = 3
    MISSING = 4


class UnitCustodyState(IntEnum):
    """``DrugTraceTypes.UnitState``: where one unit stands."""

    ACTIVE = 0
    DISPENSED = 1
    DESTROYED = 2
    STOLEN = 3
    LOST = 4
    SAMPLED = 5


#: the states :meth:`PackingOps.decommission` takes, by name
DECOMMISSION_STATES = {s.name.lower(): s for s in (UnitCustodyState.DESTROYED, UnitCustodyState.STOLEN,
                                                   UnitCustodyState.LOST, UnitCustodyState.SAMPLED)}


@dataclass(frozen=True)
class ContainerState:
    """A case, pallet or unit of a packed batch as the PackingLedger resolves it."""

    batch_id: bytes
    key: int
    status: ContainerStatus
    holder_org_id: bytes
    shipment_id: int
    inside: bool  # inside an intact parent (it moves only with it)

    @property
    def level(self) -> int:
        return self.key >> 248

    @property
    def index(self) -> int:
        return self.key & ((1 << 248) - 1)

    @property
    def label(self) -> str:
        return f"{('unit', 'case', 'pallet')[self.level]} {self.index}"


@dataclass(frozen=True)
class UnitPath:
    """A unit's place in its batch's packing: its case and pallet and where each stands."""

    code: str
    batch_id: bytes
    index: int
    state: UnitCustodyState
    unit: ContainerState
    case: ContainerState
    pallet: ContainerState


@dataclass(frozen=True)
class CaseTable:
    """Every pallet and case of a packed batch and where it stands, as of ``block``: replayed
    from the audit index (``source`` "index", when it is in step with the chain) or read from
    the chain's PackingLedger ("chain")."""

    batch_id: bytes
    containers: tuple[ContainerState, ...]
    source: str
    block: int


@dataclass(frozen=True)
class ManyDispenseResult:
    """Outcome of a batched dispense: the codes dispensed now and those that only raised an alert
    (dispensed before: ``DuplicateDispense``; decommissioned: ``DecommissionedUnitPresented``)."""

    batch_id: bytes
    dispensed: tuple[str, ...]
    alerts: tuple[str, ...]
    tx: TxInfo


@dataclass(frozen=True)
class DecommissionResult:
    batch_id: bytes
    codes: tuple[str, ...]
    state: UnitCustodyState
    holder_org_id: bytes
    tx: TxInfo


class PackingOps(ServiceBase):
    """Cases, pallets and unit-level custody."""

    # -- commit --------------------------------------------------------------------------
    def register_packed_batch(self, product: bytes, lot: str, codes: Sequence[str], *, units_per_case: int,
                              cases_per_pallet: int, case_codes: Sequence[str], pallet_codes: Sequence[str],
                              production_date: int, expiry_date: int,
                              expected_prefix: str | None = None) -> tuple[BatchRegistration, PackingTree]:
        """As ``register_batch``, with the packing: units listed case by case (``units_per_case``
        each, the last case may be short), ``cases_per_pallet`` cases per pallet, one code per
        case and per pallet (SSCC-18 or the manufacturer's case codes). The packing root and
        layout are committed with the batch (``commitPackedBatch``).

        :raises ValueError: the container codes do not match the layout.
        """
        from fisco_drugtrace.drugtrace.registry import _check_dates, _noop

        _check_dates(production_date, expiry_date)
        checked = validate_codes(enumerate(codes, 1), expected_prefix=expected_prefix)
        bid = make_batch_id(product, lot, hasher=self.chain_hash)
        layout = PackingLayout(len(checked), int(units_per_case), int(cases_per_pallet))
        tree = PackingTree.build(bid, layout, list(case_codes), list(pallet_codes), hasher=self.chain_hash)
        registration = self._commit(product, lot, checked, production_date, expiry_date,  # type: ignore[attr-defined]
                                    tree.root, _noop, packing=tree)
        self.keep_packing(bid, tree)
        return registration, tree

    def keep_packing(self, batch: bytes, tree: PackingTree) -> None:
        """Keep a packed batch's case and pallet codes in this home (they travel in its manifest)."""
        path = self._packing_file(batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "units_per_case": tree.layout.units_per_case, "cases_per_pallet": tree.layout.cases_per_pallet,
            "case_codes": list(tree.case_codes), "pallet_codes": list(tree.pallet_codes),
            "packing_root": id_hex(tree.root)}, sort_keys=True), encoding="utf-8")

    def held_packing(self, batch: bytes) -> dict | None:
        """The packing kept here for ``batch`` (``None`` if none)."""
        path = self._packing_file(batch)
        if not path.is_file():
            return None
        found = load_json(path.read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else None

    def _packing_file(self, batch: bytes):  # type: ignore[no-untyped-def]
        return self.home / "packing" / f"{self._scope_name()}_{id_hex(batch)[2:]}.json"

    def packing_layout(self, batch: bytes) -> PackingLayout | None:
        """The batch's committed layout, or ``None`` for a batch without packing."""
        root, count, per_case, per_pallet = self.suite.call(self.suite.drugs, "packingOf", bytes(batch))
        return PackingLayout(int(count), int(per_case), int(per_pallet)) if int(per_case) else None

    # -- shipments -----------------------------------------------------------------------
    def ship_packed(self, batch: bytes, to_org: str | bytes, carrier_org: str | bytes, items: Sequence[int], *,
                    is_return: bool = False, manifest_hash: bytes = ZERO32) -> Shipment:
        """Dispatch intact cases/pallets (and loose units) the signer holds; one shipment."""
        tx = self.suite.transact(self.suite.packing, "dispatchPacked", bytes(batch), org_ref(to_org),
                                 org_ref(carrier_org), sorted(int(i) for i in items), bool(is_return), manifest_hash)
        sid = next(int(a["shipmentId"]) for name, a in tx.events if name == "ShipmentDispatched")
        return self.get_shipment(sid)  # type: ignore[attr-defined]

    def packed_items(self, shipment_id: int) -> list[int]:
        """The containers a packed shipment listed (its ``PackedShipmentDispatched`` event)."""
        head = self.client.block_number()
        events = self.suite.packing.get_events(self.deployment.block_number, head, "PackedShipmentDispatched",
                                               [int(shipment_id).to_bytes(32, "big")])
        if not events:
            raise NotFound("packed shipment", str(shipment_id))
        return [int(k) for k in events[-1].args["items"]]

    def receive_packed(self, shipment_id: int, *, missing: Sequence[int] = (), extra: Sequence[int] = (),
                       evidence_hash: bytes = ZERO32) -> Shipment:
        """Receive a packed shipment, reconciled per container: ``missing`` (listed containers, or
        cases of a listed pallet, not found) and ``extra`` (found, not listed) are flagged on chain."""
        items = self.packed_items(shipment_id)
        self.suite.transact(self.suite.packing, "receivePacked", int(shipment_id), items,
                            sorted(int(k) for k in missing), sorted(int(k) for k in extra), evidence_hash)
        return self.get_shipment(shipment_id)  # type: ignore[attr-defined]

    # -- containers ----------------------------------------------------------------------
    def unpack(self, batch: bytes, key: int) -> ContainerState:
        """Open (拆零) an intact case or pallet the signer holds: its children become loose."""
        self.suite.transact(self.suite.packing, "unpack", bytes(batch), int(key))
        return self.container_state(batch, key)

    def repack(self, batch: bytes, key: int) -> ContainerState:
        """Close an opened container again (every child back with the signer)."""
        self.suite.transact(self.suite.packing, "repack", bytes(batch), int(key))
        return self.container_state(batch, key)

    def container_state(self, batch: bytes, key: int) -> ContainerState:
        status, holder, sid, inside = self.suite.call(self.suite.packing, "containerState", bytes(batch), int(key))
        return ContainerState(bytes(batch), int(key), ContainerStatus(status), bytes(holder), int(sid), bool(inside))

    def unit_path(self, code: str) -> UnitPath:
        """A unit's case and pallet, and where the unit, its case and its pallet stand.

        :raises NotFound: the code is not in the local code store, or its batch is not packed.
        """
        location = self._locate(code)
        bid, index = location.batch_id, location.index
        if self.packing_layout(bid) is None:
            raise NotFound("packing of batch", id_hex(bid))
        case, pallet = self.suite.call(self.suite.packing, "caseOfUnit", bid, index)
        return UnitPath(location.code, bid, index, self.unit_state(bid, index), self.container_state(bid, index),
                        self.container_state(bid, container_key(CASE, int(case))),
                        self.container_state(bid, container_key(PALLET, int(pallet))))

    def where_by_case(self, batch: bytes, *, sync: bool = True) -> list[ContainerState]:
        """Every pallet, then every case, of a packed batch and where it stands (see :meth:`case_table`).

        :raises NotFound: the batch is not packed.
        """
        return list(self.case_table(batch, sync=sync).containers)

    def case_table(self, batch: bytes, *, sync: bool = True) -> CaseTable:
        """Every pallet and case of a packed batch and where it stands.

        Answered from the audit index (its PackingLedger events replayed:
        :func:`~.audit.containers.containers_by_case`) when, after the sync (``sync``), the index
        is at the chain's head; otherwise — the index behind (``sync=False``), the chain moving,
        or a batch the index does not know as packed — read from the chain's ``PackingLedger``
        (one ``containerState`` call per container). Both give the same table.

        :raises NotFound: the batch is not packed.
        """
        from fisco_drugtrace.drugtrace.audit.containers import containers_by_case

        bid = bytes(batch)
        with self.open_audit_index() as index:  # type: ignore[attr-defined]
            if sync:
                self.audit_sync(index)  # type: ignore[attr-defined]
            head = self.client.block_number()
            if index.last_block == head:
                found = containers_by_case(index, bid)
                if found is not None and self.client.block_number() == head:
                    return CaseTable(bid, tuple(ContainerState(bid, r.key, ContainerStatus(r.status), r.holder,
                                                               r.shipment_id, r.inside) for r in found), "index", head)
        return self.chain_case_table(bid)

    def chain_case_table(self, batch: bytes) -> CaseTable:
        """:meth:`case_table` read from the chain's ``PackingLedger`` only.

        :raises NotFound: the batch is not packed.
        """
        head = self.client.block_number()
        layout = self.packing_layout(batch)
        if layout is None:
            raise NotFound("packing of batch", id_hex(batch))
        keys = [container_key(PALLET, p) for p in range(layout.pallet_count)]
        keys += [container_key(CASE, c) for c in range(layout.case_count)]
        return CaseTable(bytes(batch), tuple(self.container_state(batch, k) for k in keys), "chain", head)

    def unit_state(self, batch: bytes, index: int) -> UnitCustodyState:
        return UnitCustodyState(self.suite.call(self.suite.custody, "unitState", bytes(batch), int(index)))

    # -- many units ----------------------------------------------------------------------
    def dispense_many(self, codes: Sequence[str]) -> ManyDispenseResult:
        """Dispense many codes of one batch in one transaction (one multiproof from the code
        store). Codes dispensed before only raise their alert; nothing reverts for them.

        :raises TraceCodeError: a malformed code, or codes of more than one batch.
        :raises NotFound: a code is not in the local code store.
        """
        bid, units = self._units(codes)
        indices = sorted(units)
        tx = self.suite.transact(self.suite.custody, "dispenseMany", bid, indices,
                                 [units[i].code_hash for i in indices], self.codes.multiproof(bid, indices))
        done = {int(a["index"]) for name, a in tx.events if name == "UnitDispensed"}
        return ManyDispenseResult(bid, tuple(units[i].code for i in indices if i in done),
                                  tuple(units[i].code for i in indices if i not in done), tx)

    def decommission(self, codes: Sequence[str], state: UnitCustodyState | str, *, holder: str | bytes | None = None,
                     evidence_hash: bytes = ZERO32) -> DecommissionResult:
        """Record units destroyed, stolen, lost or sampled (the holder's stock is debited). The
        signer's organisation is the holder unless a regulator samples from ``holder``.

        :raises ValueError: an unknown state.
        """
        if isinstance(state, str):
            if state.lower() not in DECOMMISSION_STATES:
                raise ValueError(f"state must be one of {', '.join(DECOMMISSION_STATES)}")
            state = DECOMMISSION_STATES[state.lower()]
        bid, units = self._units(codes)
        indices = sorted(units)
        holder_id = org_ref(holder) if holder is not None else self._signer_org()
        tx = self.suite.transact(self.suite.custody, "decommission", bid, indices,
                                 [units[i].code_hash for i in indices], self.codes.multiproof(bid, indices),
                                 int(state), holder_id, evidence_hash)
        return DecommissionResult(bid, tuple(units[i].code for i in indices), UnitCustodyState(state), holder_id, tx)

    # -- helpers -------------------------------------------------------------------------
    def _signer_org(self) -> bytes:
        signer = self._need_signer()
        return bytes(self.suite.call(self.suite.orgs, "orgOf", signer.address))

    def _locate(self, code: str):  # type: ignore[no-untyped-def]
        code = code.strip()
        problem = code_problem(code)
        if problem is not None:
            raise TraceCodeError([(0, code, f"{code!r} is not a 20-digit traceability code: {problem}")])
        location = self.codes.locate(code)
        if location is None:
            raise NotFound("unit code", code)
        return location

    def _units(self, codes: Sequence[str]):  # type: ignore[no-untyped-def]
        if not codes:
            raise TraceCodeError([(0, "", "give at least one code")])
        found = {}
        batches = set()
        for code in codes:
            location = self._locate(code)
            batches.add(location.batch_id)
            found[location.index] = location
        if len(batches) > 1:
            raise TraceCodeError([(0, "", "the codes belong to more than one batch: send one call per batch")])
        return batches.pop(), found
