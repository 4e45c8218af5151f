"""Projections kept beside the event log: holdings per (batch, org), shipments by id, and the
recall cases' figures (``case_figures``: what was on the market at each case's opening, what was
destroyed under supervision, what holders declared), replayed as ``RecallManager`` keeps them.

They replay the CustodyLedger's quantity rules from its events, so "where is every unit of a
batch now" is a lookup of a few rows, not a scan of the batch's (possibly 10^6) events. They are
written in the same transaction as the events they come from (see ``AuditIndex.append``).
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable, Mapping, Sequence

from fisco_drugtrace.drugtrace.audit.records import IndexedEvent

__all__ = ["Projection", "PROJECTION_SCHEMA"]

PROJECTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS holdings (
    batch_id    BLOB NOT NULL,
    org_id      BLOB NOT NULL,
    quantity    INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    received    INTEGER NOT NULL DEFAULT 0,
    dispensed   INTEGER NOT NULL DEFAULT 0,
    destroyed   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, org_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shipments (
    shipment_id INTEGER PRIMARY KEY,
    batch_id    BLOB NOT NULL,
    from_org    BLOB NOT NULL,
    to_org      BLOB NOT NULL,
    carrier_org BLOB NOT NULL,
    quantity    INTEGER NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    is_return   INTEGER NOT NULL,
    status      TEXT NOT NULL,
    excursion   INTEGER NOT NULL DEFAULT 0,
    dispatched_block INTEGER NOT NULL,
    dispatched_ms    INTEGER
);
CREATE INDEX IF NOT EXISTS shipments_batch ON shipments (batch_id, status);
CREATE TABLE IF NOT EXISTS batch_owners (
    batch_id    BLOB PRIMARY KEY,
    mah_org     BLOB NOT NULL,
    written_off INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS case_figures (
    recall_id    INTEGER PRIMARY KEY,
    batch_id     BLOB,
    product_case INTEGER NOT NULL DEFAULT 0,
    at_open      INTEGER NOT NULL DEFAULT 0,
    destroyed    INTEGER NOT NULL DEFAULT 0,
    declared     INTEGER NOT NULL DEFAULT 0,
    written_off_at_open INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS case_figures_product ON case_figures (product_case);
CREATE TABLE IF NOT EXISTS destructions (
    destruction_id INTEGER PRIMARY KEY,
    recall_id      INTEGER NOT NULL,
    quantity       INTEGER NOT NULL,
    executor_org   BLOB
);
"""

_SAVE = (
    "INSERT OR REPLACE INTO holdings (batch_id, org_id, quantity, quarantined, received, dispensed, destroyed) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# positions in a holding's state list
_QTY, _QUAR, _RECV, _DISP, _DEST = range(5)


def _b(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


class Projection:
    """Applies custody events to the ``holdings`` and ``shipments`` tables."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._cache: dict[tuple[bytes, bytes], list[int]] = {}
        self._by_value: dict[tuple[Any, Any], list[int]] = {}
        self._handlers: Mapping[str, Callable[[IndexedEvent], None]] = {
            "HoldingCredited": self._credited,
            "ShipmentDispatched": self._dispatched,
            "ShipmentReceived": self._received,
            "ShipmentDiscrepancy": self._discrepancy,
            "UnitDecommissioned": self._decommissioned,
            "ShipmentRejected": self._rejected,
            "ShipmentVoided": self._voided,
            "ShipmentExcursionFlagged": self._excursion,
            "HoldingQuarantined": self._quarantined,
            "QuarantineReleased": self._released,
            "HoldingDestroyed": self._destroyed,
            "UnitDispensed": self._dispensed,
            "HoldingCorrected": self._corrected,
            "BatchCommitted": self._committed,
            "RecallOpened": self._recall_opened,
            "RecallCaseLinked": self._case_linked,
            "RecoveryRecorded": self._recovery,
            "DestructionRecorded": self._destruction_recorded,
            "DestructionConfirmed": self._destruction_confirmed,
            "DestructionVoided": self._destruction_voided,
        }

    def create(self) -> None:
        self.db.executescript(PROJECTION_SCHEMA)

    def apply(self, events: Sequence[IndexedEvent]) -> None:
        """Apply events in order; touched holdings are read once and written once per call."""
        self._cache = {}
        self._by_value = {}
        handlers = self._handlers
        for event in events:
            handler = handlers.get(event.name)
            if handler is not None:
                handler(event)
        self.db.executemany(_SAVE, ((b, o, *state) for (b, o), state in self._cache.items()))
        self._cache = {}
        self._by_value = {}

    # -- helpers -------------------------------------------------------------------------
    def _state(self, batch: Any, org: Any) -> list[int]:
        # the same (batch, org) hex strings recur in most events: convert them once per apply()
        found = self._by_value.get((batch, org))
        if found is not None:
            return found
        key = (_b(batch), _b(org))
        state = self._cache.get(key)
        if state is None:
            row = self.db.execute(
                "SELECT quantity, quarantined, received, dispensed, destroyed FROM holdings "
                "WHERE batch_id = ? AND org_id = ?", key).fetchone()
            state = self._cache[key] = list(row) if row else [0, 0, 0, 0, 0]
        self._by_value[(batch, org)] = state
        return state

    def _holding(self, batch: Any, org: Any, quantity: int = 0, quarantined: int = 0, received: int = 0,
                 dispensed: int = 0, destroyed: int = 0) -> None:
        state = self._state(batch, org)
        state[_QTY] += quantity
        state[_QUAR] = max(0, state[_QUAR] + quarantined)
        state[_RECV] += received
        state[_DISP] += dispensed
        state[_DEST] += destroyed

    def _quarantined_of(self, batch: Any, org: Any) -> int:
        return self._state(batch, org)[_QUAR]

    def in_market(self, batch: bytes) -> int:
        """Units of ``batch`` held outside its MAH or in transit, as the ledger's ``batchStock``
        total less the MAH's holding (what ``RecallManager`` calls "on the market")."""
        held = {bytes(o): int(q) for o, q in self.db.execute(
            "SELECT org_id, quantity FROM holdings WHERE batch_id = ?", (batch,))}
        for (b, o), state in self._cache.items():
            if b == batch:
                held[o] = state[_QTY]
        (transit,) = self.db.execute("SELECT COALESCE(SUM(quantity), 0) FROM shipments WHERE batch_id = ? "
                                     "AND status = 'DISPATCHED'", (batch,)).fetchone()
        owner = self.db.execute("SELECT mah_org FROM batch_owners WHERE batch_id = ?", (batch,)).fetchone()
        mah = held.get(bytes(owner[0]), 0) if owner else 0
        total = sum(held.values()) + int(transit)
        return max(0, total - mah)

    def _case_add(self, recall_id: int, column: str, delta: int) -> None:
        """Add to a case's figure, and to its product-wide case's (as the contract does)."""
        row = self.db.execute("SELECT product_case FROM case_figures WHERE recall_id = ?", (recall_id,)).fetchone()
        ids = [recall_id] + ([int(row[0])] if row and int(row[0]) else [])
        for rid in ids:
            self.db.execute(f"UPDATE case_figures SET {column} = {column} + ? WHERE recall_id = ?", (delta, rid))

    # -- recall case figures -------------------------------------------------------------
    def _committed(self, e: IndexedEvent) -> None:
        a = e.args
        self.db.execute("INSERT OR REPLACE INTO batch_owners (batch_id, mah_org) VALUES (?, ?)",
                        (_b(a["batchId"]), _b(a["mahOrgId"])))

    def written_off(self, batch: bytes) -> int:
        """The ledger's ``writtenOff`` of ``batch``: units missing from partial receipts and units
        decommissioned away from its MAH, cumulative."""
        row = self.db.execute("SELECT written_off FROM batch_owners WHERE batch_id = ?", (batch,)).fetchone()
        return int(row[0]) if row else 0

    def _write_off(self, batch: bytes, quantity: int) -> None:
        self.db.execute("UPDATE batch_owners SET written_off = written_off + ? WHERE batch_id = ?", (quantity, batch))

    def _discrepancy(self, e: IndexedEvent) -> None:
        """A partial receipt: the missing units are written off the market (in nobody's custody)."""
        a = e.args
        self._write_off(_b(a["batchId"]), int(a["dispatched"]) - int(a["received"]))

    def _decommissioned(self, e: IndexedEvent) -> None:
        """A unit decommissioned (destroyed, stolen, lost, sampled) leaves its holder's stock,
        quarantined units first (the ledger's debit); at a holder other than the MAH it also
        left the market for good."""
        a = e.args
        from_q = min(1, self._quarantined_of(a["batchId"], a["holderOrgId"]))
        self._holding(a["batchId"], a["holderOrgId"], quantity=-1, quarantined=-from_q)
        batch = _b(a["batchId"])
        owner = self.db.execute("SELECT mah_org FROM batch_owners WHERE batch_id = ?", (batch,)).fetchone()
        if owner is not None and bytes(owner[0]) != _b(a["holderOrgId"]):
            self._write_off(batch, 1)

    def _recall_opened(self, e: IndexedEvent) -> None:
        a = e.args
        batch = _b(a["batchId"])
        scoped = any(batch)
        self.db.execute("INSERT OR REPLACE INTO case_figures (recall_id, batch_id, product_case, at_open, destroyed, "
                        "declared, written_off_at_open) VALUES (?, ?, 0, ?, 0, 0, ?)",
                        (int(a["recallId"]), batch if scoped else None, self.in_market(batch) if scoped else 0,
                         self.written_off(batch) if scoped else 0))

    def _case_linked(self, e: IndexedEvent) -> None:
        a = e.args
        parent = int(a["productRecallId"])
        if parent:
            rid = int(a["recallId"])
            self.db.execute("UPDATE case_figures SET product_case = ? WHERE recall_id = ?", (parent, rid))
            self.db.execute("UPDATE case_figures SET at_open = at_open + (SELECT at_open FROM case_figures "
                            "WHERE recall_id = ?) WHERE recall_id = ?", (rid, parent))

    def _recovery(self, e: IndexedEvent) -> None:
        a = e.args
        self.db.execute("UPDATE case_figures SET declared = ? WHERE recall_id = ?",
                        (int(a["caseTotal"]), int(a["recallId"])))

    def _destruction_recorded(self, e: IndexedEvent) -> None:
        a = e.args
        self.db.execute("INSERT OR REPLACE INTO destructions (destruction_id, recall_id, quantity, executor_org) "
                        "VALUES (?, ?, ?, ?)", (int(a["destructionId"]), int(a["recallId"]), int(a["quantity"]),
                                                _b(a["executorOrgId"])))

    def _destruction_quantity(self, destruction_id: int) -> int:
        row = self.db.execute("SELECT quantity FROM destructions WHERE destruction_id = ?",
                              (destruction_id,)).fetchone()
        return int(row[0]) if row else 0

    def _destruction_confirmed(self, e: IndexedEvent) -> None:
        a = e.args
        self._case_add(int(a["recallId"]), "destroyed", self._destruction_quantity(int(a["destructionId"])))

    def _destruction_voided(self, e: IndexedEvent) -> None:
        a = e.args
        if not a["wasConfirmed"]:
            return
        rid, quantity = int(a["recallId"]), self._destruction_quantity(int(a["destructionId"]))
        self._case_add(rid, "destroyed", -quantity)
        # units back on the market after a later case of the batch opened: that case covers them
        # (RecallManager adds them to its market at the opening)
        row = self.db.execute(
            "SELECT c.batch_id, d.executor_org, o.mah_org FROM case_figures c JOIN destructions d "
            "ON d.destruction_id = ? LEFT JOIN batch_owners o ON o.batch_id = c.batch_id WHERE c.recall_id = ?",
            (int(a["destructionId"]), rid)).fetchone()
        if row is None or row[0] is None or row[1] is None or (row[2] is not None and bytes(row[1]) == bytes(row[2])):
            return
        (latest,) = self.db.execute("SELECT max(recall_id) FROM case_figures WHERE batch_id = ?", (row[0],)).fetchone()
        if latest is not None and int(latest) != rid:
            self.db.execute("UPDATE case_figures SET at_open = at_open + ? WHERE recall_id = ?", (quantity, int(latest)))

    # -- handlers ------------------------------------------------------------------------
    def _credited(self, e: IndexedEvent) -> None:
        a = e.args
        self._holding(a["batchId"], a["orgId"], quantity=int(a["quantity"]))

    def _dispatched(self, e: IndexedEvent) -> None:
        a = e.args
        qty = int(a["quantity"])
        is_return = bool(a.get("isReturn"))
        # returns leave quarantined units first (ICustodyLedger.dispatchReturn)
        from_q = min(qty, self._quarantined_of(a["batchId"], a["fromOrgId"])) if is_return else 0
        self._holding(a["batchId"], a["fromOrgId"], quantity=-qty, quarantined=-from_q)
        self.db.execute(
            "INSERT OR REPLACE INTO shipments (shipment_id, batch_id, from_org, to_org, carrier_org, quantity, "
            "is_return, status, dispatched_block, dispatched_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (int(a["shipmentId"]), _b(a["batchId"]), _b(a["fromOrgId"]), _b(a["toOrgId"]), _b(a["carrierOrgId"]),
             qty, int(is_return), "DISPATCHED", e.block_number, e.ts_ms),
        )

    def _received(self, e: IndexedEvent) -> None:
        a = e.args
        got, quarantined = int(a["received"]), int(a.get("quarantined", 0))
        self._holding(a["batchId"], a["toOrgId"], quantity=got, quarantined=quarantined, received=got)
        self.db.execute(
            "UPDATE shipments SET received = ?, quarantined = ?, "
            "status = CASE WHEN ? < quantity THEN 'PARTIAL' ELSE 'RECEIVED' END WHERE shipment_id = ?",
            (got, quarantined, got, int(a["shipmentId"])),
        )

    def _rejected(self, e: IndexedEvent) -> None:
        a = e.args
        row = self.db.execute("SELECT from_org, is_return, excursion FROM shipments WHERE shipment_id = ?",
                              (int(a["shipmentId"]),)).fetchone()
        if row is None:
            return
        qty = int(a["quantity"])
        # a refused return (or a shipment with an excursion) goes back to the sender's quarantine;
        # the event says how many since issue 12 (older logs: derived from the shipment)
        quarantined = int(a["quarantined"]) if "quarantined" in a else (qty if (row[1] or row[2]) else 0)
        self._holding(a["batchId"], row[0], quantity=qty, quarantined=quarantined)
        self.db.execute("UPDATE shipments SET status = 'REJECTED' WHERE shipment_id = ?", (int(a["shipmentId"]),))

    def _voided(self, e: IndexedEvent) -> None:
        """A regulator voided a stuck shipment: the whole quantity is back with the sender, quarantined."""
        a = e.args
        qty = int(a["quantity"])
        self._holding(a["batchId"], a["fromOrgId"], quantity=qty, quarantined=qty)
        self.db.execute("UPDATE shipments SET status = 'VOIDED' WHERE shipment_id = ?", (int(a["shipmentId"]),))

    def _excursion(self, e: IndexedEvent) -> None:
        self.db.execute("UPDATE shipments SET excursion = 1 WHERE shipment_id = ?", (int(e.args["shipmentId"]),))

    def _quarantined(self, e: IndexedEvent) -> None:
        a = e.args
        self._holding(a["batchId"], a["orgId"], quarantined=int(a["quantity"]))

    def _released(self, e: IndexedEvent) -> None:
        a = e.args
        self._holding(a["batchId"], a["orgId"], quarantined=-int(a["quantity"]))

    def _destroyed(self, e: IndexedEvent) -> None:
        a = e.args
        qty = int(a["quantity"])
        from_q = min(qty, self._quarantined_of(a["batchId"], a["orgId"]))
        self._holding(a["batchId"], a["orgId"], quantity=-qty, quarantined=-from_q, destroyed=qty)

    def _corrected(self, e: IndexedEvent) -> None:
        """A void corrected a holding (issue 12): a voided counter-signed destruction gives its
        units back to the executor, quarantined (they were never destroyed); a voided batch's
        units leave custody (quarantined ones first, as the ledger's debit does)."""
        a = e.args
        qty = int(a["quantity"])
        if a["restored"]:
            self._holding(a["batchId"], a["orgId"], quantity=qty, quarantined=qty,
                          destroyed=-qty if int(a["reasonId"]) else 0)
        else:
            from_q = min(qty, self._quarantined_of(a["batchId"], a["orgId"]))
            self._holding(a["batchId"], a["orgId"], quantity=-qty, quarantined=-from_q)

    def _dispensed(self, e: IndexedEvent) -> None:
        a = e.args
        self._holding(a["batchId"], a["orgId"], quantity=-1, dispensed=1)
