"""The auditor's questions, answered from the index (no RPC).

Every function takes an :class:`AuditIndex` and returns frozen records; :mod:`.report` turns them
into JSON, CSV and Markdown. Each query is a handful of index lookups (see ``schema.py``), so it
stays in milliseconds at 10^6 indexed events.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from fisco_drugtrace.contracts.known_abis import name_suite_event_args
from fisco_drugtrace.drugtrace.audit.index import AuditIndex

__all__ = [
    "TraceEntry",
    "UnitTrace",
    "UnitPacking",
    "BatchTrace",
    "ShipmentCustody",
    "HoldingRow",
    "InTransit",
    "BatchWhereabouts",
    "Alert",
    "unit_trace",
    "batch_trace",
    "shipment_custody",
    "where_is",
    "alerts",
    "events_named",
    "recall_ids_for_batch",
    "ALERT_EVENTS",
]

#: per-unit events: left out of a batch trace (counted instead), kept in a unit's trace
UNIT_EVENTS = ("UnitDispensed", "DuplicateDispense")

#: events that are alerts by themselves
ALERT_EVENTS: Mapping[str, str] = {
    "DuplicateDispense": "duplicate dispense: counterfeit or diversion suspected",
    "ShipmentDiscrepancy": "fewer units received than dispatched",
    "TemperatureExcursion": "temperature outside the product's range",
    "ShipmentExcursionFlagged": "shipment flagged for a temperature excursion",
    "HoldingQuarantined": "stock quarantined",
    "SeriousAdverseReactionReported": "serious adverse reaction reported",
    "AdverseReactionThresholdReached": "serious adverse reactions reached the product's threshold",
    # corrections (issue 12): the original stays on chain, the void is an alert of its own
    "ObservationVoided": "observation voided (correction)",
    "DestructionVoided": "destruction record voided (correction)",
    "BatchVoided": "batch voided: mis-committed (correction)",
    "ShipmentVoided": "shipment voided by a regulator: units back to the sender, quarantined",
    # procurement (issue 17 B)
    "SettlementOverdue": "settlement deadline missed: a delivery unpaid past its deadline, or paid late",
}

#: alerts about an observation that a later ObservationVoided cancels (their description says so)
_VOIDABLE = ("ObservationRecorded", "SeriousAdverseReactionReported", "AdverseReactionThresholdReached",
             "TemperatureExcursion")

#: ObservationRecorded results that are alerts (DEVIATION, FAIL, SERIOUS)
ALERT_RESULTS = (1, 2, 3)


def _hex(value: Any) -> str | None:
    if value is None:
        return None
    return "0x" + bytes(value).hex()


def _b(value: bytes | str) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


@dataclass(frozen=True)
class TraceEntry:
    """One event in a trace."""

    block_number: int
    ts_ms: int | None
    contract: str
    event: str
    tx_hash: str
    position: int
    args: Mapping[str, Any]


def _entries(rows: Iterable[Any]) -> list[TraceEntry]:
    # enums and kind masks by name (ints that print as names; JSON keeps the number beside them)
    return [TraceEntry(r["block_number"], r["ts_ms"], r["contract"], r["name"], r["tx_hash"], r["position"],
                       name_suite_event_args(r["contract"], r["name"], json.loads(r["args"]))) for r in rows]


@dataclass(frozen=True)
class UnitPacking:
    """A packed batch's unit: its case and pallet (from the committed layout), their codes when
    this home holds the packing, and the PackingLedger events of the unit, its case and its
    pallet from the index (its path by container: shipped, received, missing, opened, repacked)."""

    index: int
    case: int
    pallet: int
    case_code: str | None
    pallet_code: str | None
    entries: tuple[TraceEntry, ...]


@dataclass(frozen=True)
class UnitTrace:
    """A unit's story: its batch's events (custody at batch level) and its own terminal events;
    for a packed batch, only the container events of the unit's own case and pallet."""

    batch_id: str
    code_hash: str
    dispensed: bool
    dispense_count: int
    entries: tuple[TraceEntry, ...]
    packing: UnitPacking | None = None


@dataclass(frozen=True)
class BatchTrace:
    """Every event of a batch, with per-unit events counted rather than listed."""

    batch_id: str
    entries: tuple[TraceEntry, ...]
    units_dispensed: int
    duplicate_dispenses: int


@dataclass(frozen=True)
class ShipmentCustody:
    """The custody chain of one shipment: sender -> carrier -> addressee, with its events."""

    shipment_id: int
    batch_id: str | None
    from_org: str | None
    carrier_org: str | None
    to_org: str | None
    quantity: int
    received: int
    status: str
    is_return: bool
    excursion: bool
    entries: tuple[TraceEntry, ...]


@dataclass(frozen=True)
class HoldingRow:
    org_id: str
    quantity: int
    quarantined: int
    received: int
    dispensed: int
    destroyed: int


@dataclass(frozen=True)
class InTransit:
    shipment_id: int
    from_org: str
    to_org: str
    carrier_org: str
    quantity: int
    is_return: bool
    excursion: bool


@dataclass(frozen=True)
class BatchWhereabouts:
    """Where every unit of a batch is now, by quantity."""

    batch_id: str
    unit_count: int
    holdings: tuple[HoldingRow, ...]
    in_transit: tuple[InTransit, ...]
    dispensed: int
    destroyed: int
    missing: int = 0
    accounted: int = field(default=0)
    voided: int = 0  # units taken out of custody by the void of a mis-committed batch (issue 12)
    decommissioned: int = 0  # units recorded destroyed, stolen, lost or sampled (issue 12, per unit)


@dataclass(frozen=True)
class Alert:
    """An event that needs someone's attention."""

    kind: str
    description: str
    block_number: int
    ts_ms: int | None
    tx_hash: str
    batch_id: str | None
    shipment_id: int | None
    args: Mapping[str, Any]


# --------------------------------------------------------------------------- queries
def _concerns(row: Any, keys: frozenset[int]) -> bool:
    """Whether a PackingLedger event names one of ``keys`` (its ``key``, or one of its ``items``)."""
    args = json.loads(row["args"])
    if "key" in args:
        return int(args["key"]) in keys
    return any(int(k) in keys for k in args.get("items", ()))


def _ranges_with(rows: Sequence[Any], unit: int) -> list[Any]:
    """The RangeLedger events (D9) among ``rows`` that concern ``unit``: the shipments whose ranges
    carried it, their receipts and returns; the other rows unchanged."""
    def contains(bounds: Sequence[Any]) -> bool:
        return any(int(bounds[k]) <= unit < int(bounds[k + 1]) for k in range(0, len(bounds) - 1, 2))

    carried = {json.loads(r["args"]).get("shipmentId") for r in rows
               if r["contract"] == "RangeLedger" and r["name"] == "RangesShipped"
               and contains(json.loads(r["args"]).get("bounds", ()))}
    return [r for r in rows if r["contract"] != "RangeLedger" or json.loads(r["args"]).get("shipmentId") in carried]


def unit_trace(index: AuditIndex, batch_id: bytes | str, code_hash: bytes | str,
               containers: Sequence[int] | None = None, unit: int | None = None) -> UnitTrace:
    """The trace of one unit: batch-level events plus the unit's own (dispense, duplicates).

    :param containers: for a unit of a packed batch, the container keys of the unit, its case
        and its pallet: the batch's PackingLedger events are kept only when they name one of them.
    :param unit: the unit's index in an unpacked batch: the batch's RangeLedger events are kept
        only for the shipments whose ranges carried it.
    """
    b, c = _b(batch_id), _b(code_hash)
    rows = list(index.rows("batch_id = ? AND code_hash IS NULL", (b,)))
    if containers is not None:
        keys = frozenset(int(k) for k in containers)
        rows = [r for r in rows if r["contract"] != "PackingLedger" or _concerns(r, keys)]
    if unit is not None:
        rows = _ranges_with(rows, int(unit))
    own = list(index.rows("batch_id = ? AND code_hash = ?", (b, c)))
    shipment_rows = _shipment_side_events(index, b)
    merged = sorted(rows + own + shipment_rows, key=lambda r: (r["block_number"], r["seq"]))
    dispensed = sum(1 for r in own if r["name"] == "UnitDispensed")
    return UnitTrace(_hex(b) or "", _hex(c) or "", dispensed > 0, dispensed + sum(
        1 for r in own if r["name"] == "DuplicateDispense"), tuple(_entries(merged)))


def _shipment_side_events(index: AuditIndex, batch: bytes) -> list[Any]:
    """Events that concern the batch without naming it: about its shipments, and about its recall
    cases (notices, progress, recoveries, destructions), including product-wide recalls."""
    # "+batch_id": keep SQLite on the shipment index (NULL-batch rows are many)
    shipments = list(index.rows(
        "+batch_id IS NULL AND shipment_id IN (SELECT shipment_id FROM shipments WHERE batch_id = ?)", (batch,)))
    recalls = recall_ids_for_batch(index, batch)
    if not recalls:
        return shipments
    marks = ",".join("?" * len(recalls))
    return shipments + list(index.rows(f"+batch_id IS NULL AND recall_id IN ({marks})", recalls))


def recall_ids_for_batch(index: AuditIndex, batch_id: bytes | str) -> list[int]:
    """Recall cases covering a batch: opened for it, or for its whole product."""
    b = _b(batch_id)
    product = _batch_product(index, b)
    rows = index.db.execute(
        "SELECT recall_id, batch_id, product_id FROM events WHERE name = 'RecallOpened' "
        "AND name != 'UnitDispensed'")  # few rows: filtered here rather than by an OR the planner scans
    return sorted({int(r[0]) for r in rows if r[0] is not None and (
        r[1] == b or (r[1] is None and product is not None and r[2] == product))})


def _committed(index: AuditIndex, batch: bytes) -> Any:
    return next(index.rows("batch_id = ? AND code_hash IS NULL AND name = 'BatchCommitted'", (batch,), limit=1),
                None)


def _batch_product(index: AuditIndex, batch: bytes) -> bytes | None:
    row = _committed(index, batch)
    return bytes(row["product_id"]) if row is not None and row["product_id"] is not None else None


def batch_trace(index: AuditIndex, batch_id: bytes | str) -> BatchTrace:
    """Every event of a batch in chain order (dispenses counted, not listed)."""
    b = _b(batch_id)
    rows = list(index.rows("batch_id = ? AND code_hash IS NULL", (b,))) + _shipment_side_events(index, b)
    rows.sort(key=lambda r: (r["block_number"], r["seq"]))
    (dispensed,) = index.db.execute("SELECT coalesce(sum(dispensed), 0) FROM holdings WHERE batch_id = ?",
                                    (b,)).fetchone()
    (duplicates,) = index.db.execute(
        "SELECT count(*) FROM events WHERE name = 'DuplicateDispense' AND name != 'UnitDispensed' AND batch_id = ?",
        (b,)).fetchone()
    return BatchTrace(_hex(b) or "", tuple(_entries(rows)), int(dispensed), int(duplicates))


def shipment_custody(index: AuditIndex, shipment_id: int) -> ShipmentCustody:
    """The custody chain of a shipment, from its projection row and its events."""
    row = index.db.execute(
        "SELECT batch_id, from_org, carrier_org, to_org, quantity, received, status, is_return, excursion "
        "FROM shipments WHERE shipment_id = ?", (int(shipment_id),)).fetchone()
    entries = tuple(_entries(index.rows("shipment_id = ?", (int(shipment_id),))))
    if row is None:
        return ShipmentCustody(int(shipment_id), None, None, None, None, 0, 0, "UNKNOWN", False, False, entries)
    return ShipmentCustody(int(shipment_id), _hex(row[0]), _hex(row[1]), _hex(row[2]), _hex(row[3]), int(row[4]),
                           int(row[5]), str(row[6]), bool(row[7]), bool(row[8]), entries)


def where_is(index: AuditIndex, batch_id: bytes | str) -> BatchWhereabouts:
    """Where every unit of a batch is now: holders, in transit, dispensed, destroyed, missing."""
    b = _b(batch_id)
    committed = _committed(index, b)
    unit_count = int(json.loads(committed["args"]).get("unitCount", 0)) if committed is not None else 0
    holdings = tuple(
        HoldingRow(_hex(r[0]) or "", int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]))
        for r in index.db.execute(
            "SELECT org_id, quantity, quarantined, received, dispensed, destroyed FROM holdings "
            "WHERE batch_id = ? ORDER BY org_id", (b,)))
    transit = tuple(
        InTransit(int(r[0]), _hex(r[1]) or "", _hex(r[2]) or "", _hex(r[3]) or "", int(r[4]), bool(r[5]), bool(r[6]))
        for r in index.db.execute(
            "SELECT shipment_id, from_org, to_org, carrier_org, quantity, is_return, excursion FROM shipments "
            "WHERE batch_id = ? AND status = 'DISPATCHED' ORDER BY shipment_id", (b,)))
    (missing,) = index.db.execute(
        "SELECT coalesce(sum(quantity - received), 0) FROM shipments WHERE batch_id = ? AND status = 'PARTIAL'",
        (b,)).fetchone()
    dispensed = sum(h.dispensed for h in holdings)
    destroyed = sum(h.destroyed for h in holdings)
    voided = sum(int(json.loads(r["args"])["quantity"]) for r in index.rows(
        "batch_id = ? AND code_hash IS NULL AND name = 'HoldingCorrected'", (b,))
        if not json.loads(r["args"])["restored"])
    (decommissioned,) = index.db.execute(
        # "name != 'UnitDispensed'" lets the partial name index serve it: by batch alone it would
        # walk every unit event of the batch (190 ms at 10^5 units; bench/bench_audit.py)
        "SELECT count(*) FROM events WHERE batch_id = ? AND name = 'UnitDecommissioned' AND name != 'UnitDispensed'",
        (b,)).fetchone()
    accounted = sum(h.quantity for h in holdings) + sum(t.quantity for t in transit) + dispensed + destroyed + \
        missing + voided + int(decommissioned)
    return BatchWhereabouts(_hex(b) or "", unit_count, holdings, transit, dispensed, destroyed, int(missing),
                            int(accounted), voided, int(decommissioned))


def alerts(index: AuditIndex, *, since_block: int = 0) -> list[Alert]:
    """Everything that needs attention: duplicate dispenses, discrepancies, excursions,
    quarantines, adverse reactions, and observations whose result is not OK."""
    names = sorted(ALERT_EVENTS)
    rows = list(index.rows(f"name IN ({','.join('?' * len(names))}) AND name != 'UnitDispensed' "
                           "AND block_number >= ?", (*names, since_block)))
    out = [_alert(r, r["name"], ALERT_EVENTS[r["name"]]) for r in rows]
    results = ",".join(str(x) for x in ALERT_RESULTS)
    for r in index.rows(f"name = 'ObservationRecorded' AND name != 'UnitDispensed' AND block_number >= ? "
                        f"AND json_extract(args, '$.result') IN ({results})", (since_block,)):
        out.append(_alert(r, "ObservationRecorded", _observation_text(json.loads(r["args"]))))
    void_rows = list(index.rows("name = 'ObservationVoided' AND name != 'UnitDispensed'", ()))
    voided = {int(r["observation_id"]) for r in void_rows}
    if voided:
        out = [dataclasses.replace(a, description=a.description + " — voided")
               if a.kind in _VOIDABLE and _observation_of(a) in voided else a for a in out]
        # a count alert (report N of the batch, threshold reached) stated a figure that counted an
        # earlier serious report of the batch voided since: it says so, naming the voided report
        counted = {int(r["observation_id"]) for r in index.rows(
            "name = 'SeriousAdverseReactionReported' AND name != 'UnitDispensed'", ())}
        adr_voids: dict[str, list[int]] = {}
        for r in void_rows:
            a = json.loads(r["args"])
            if int(a.get("point", 0)) == 8 and int(r["observation_id"]) in counted:
                adr_voids.setdefault(str(a.get("subjectId", "")).lower(), []).append(int(r["observation_id"]))
        if adr_voids:
            out = [_count_corrected(a, adr_voids) for a in out]
    out.sort(key=lambda a: (a.block_number, a.tx_hash))
    return out


#: alerts that state a batch's count of serious adverse reactions (ObservationLog's, at that report)
_ADR_COUNT_ALERTS = ("SeriousAdverseReactionReported", "AdverseReactionThresholdReached")


def _count_corrected(a: Alert, adr_voids: Mapping[str, list[int]]) -> Alert:
    own = _observation_of(a)
    if a.kind not in _ADR_COUNT_ALERTS or own is None or a.batch_id is None:
        return a
    earlier = sorted(v for v in adr_voids.get(a.batch_id.lower(), ()) if v < own)
    if not earlier:
        return a
    named = ", ".join(f"#{v}" for v in earlier)
    return dataclasses.replace(a, description=a.description + f" — counted report {named} voided since")


def _observation_of(a: Alert) -> int | None:
    value = a.args.get("observationId")
    return None if value is None else int(value)


_POINTS = {1: "process definition", 2: "process progress", 3: "order", 4: "transport", 5: "storage",
           6: "inspection", 7: "efficacy", 8: "adverse reaction"}
_RESULTS = {0: "OK", 1: "DEVIATION", 2: "FAIL", 3: "SERIOUS"}


def _observation_text(args: Mapping[str, Any]) -> str:
    point = _POINTS.get(int(args.get("point", 0)), "observation")
    return f"{point} observation: {_RESULTS.get(int(args.get('result', 0)), args.get('result'))}"


def _alert(r: Any, kind: str, description: str) -> Alert:
    args = json.loads(r["args"])
    if "contract" in r.keys() and "name" in r.keys():
        args = name_suite_event_args(r["contract"], r["name"], args)
    return Alert(kind, description, r["block_number"], r["ts_ms"], r["tx_hash"], _hex(r["batch_id"]),
                 r["shipment_id"], args)


def events_named(index: AuditIndex, names: Sequence[str], where: str = "", params: Sequence[Any] = ()
                 ) -> list[TraceEntry]:
    """Entries of the given event names (optionally further filtered)."""
    cond = f"name IN ({','.join('?' * len(names))})" + (f" AND {where}" if where else "")
    if "UnitDispensed" not in names:
        cond += " AND name != 'UnitDispensed'"  # lets SQLite use the partial name index
    return _entries(index.rows(cond, (*names, *params)))
