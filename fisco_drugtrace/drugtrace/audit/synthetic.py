"""Synthetic, internally consistent event streams of the suite (for tests and benchmarks).

The events have the shapes the contracts emit (names and argument names of the interfaces in
``contracts/interfaces``) and obey the custody rules: a batch is committed to its MAH, shipped to
a distributor, then to pharmacies, and units are dispensed there. Nothing here touches a chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

from fisco_drugtrace.crypto.keccak import keccak256
from fisco_drugtrace.drugtrace.audit.records import IndexedEvent

__all__ = ["SyntheticChain", "hex32", "recall_events"]


def hex32(label: str) -> str:
    """A deterministic bytes32 as 0x-hex."""
    return "0x" + keccak256(label.encode()).hex()


@dataclass
class SyntheticChain:
    """Builds events block by block; one transaction per call, one block per ``blocks_per`` txs."""

    start_ms: int = 1_767_225_600_000
    block_ms: int = 1_000
    txs_per_block: int = 100
    _block: int = 1
    _tx: int = 0
    _shipments: int = 0

    def _next(self) -> tuple[int, str, int]:
        self._tx += 1
        if self._tx % self.txs_per_block == 0:
            self._block += 1
        return self._block, "0x" + keccak256(b"tx%d" % self._tx).hex(), self.start_ms + self._block * self.block_ms

    def block_hash(self, number: int) -> str:
        return "0x" + keccak256(b"block%d" % number).hex()

    @property
    def head(self) -> int:
        return self._block

    def tx(self, *events: tuple[str, str, dict]) -> list[IndexedEvent]:
        """One transaction emitting ``(contract, name, args)`` events."""
        number, tx_hash, ts = self._next()
        return [IndexedEvent(number, tx_hash, i, contract, "0x" + keccak256(contract.encode()).hex()[:40], name,
                             args, ts, i) for i, (contract, name, args) in enumerate(events)]

    # -- domain helpers ------------------------------------------------------------------
    def commit_batch(self, batch: str, product: str, mah: str, lot: str, units: int) -> list[IndexedEvent]:
        """A batch committed (one transaction) and released (T0b, a second one: LISTED, units to the MAH)."""
        committed = self.tx(
            ("DrugRegistry", "BatchCommitted", {"batchId": batch, "productId": product, "mahOrgId": mah, "lot": lot,
                                                "productionDate": 0, "expiryDate": 1, "unitCount": units,
                                                "unitRoot": hex32(batch + "root"), "aggregationRoot": "0x" + "00" * 32}),
        )
        return committed + self.tx(
            ("DrugRegistry", "BatchStateChanged", {"batchId": batch, "from": 0, "to": 1, "byOrgId": mah,
                                                   "reasonId": 0, "evidenceHash": "0x" + "00" * 32}),
            ("CustodyLedger", "HoldingCredited", {"batchId": batch, "orgId": mah, "quantity": units}),
        )

    def dispatch(self, batch: str, src: str, dst: str, carrier: str, qty: int, is_return: bool = False
                 ) -> tuple[int, list[IndexedEvent]]:
        self._shipments += 1
        sid = self._shipments
        return sid, self.tx(("CustodyLedger", "ShipmentDispatched", {
            "shipmentId": sid, "batchId": batch, "fromOrgId": src, "toOrgId": dst, "carrierOrgId": carrier,
            "quantity": qty, "isReturn": is_return, "manifestHash": hex32(f"manifest{sid}")}))

    def receive(self, sid: int, batch: str, dst: str, received: int, quarantined: int = 0,
                dispatched: int | None = None) -> list[IndexedEvent]:
        events = [("CustodyLedger", "ShipmentReceived", {"shipmentId": sid, "batchId": batch, "toOrgId": dst,
                                                         "received": received, "quarantined": quarantined,
                                                         "evidenceHash": "0x" + "00" * 32})]
        if dispatched is not None and received < dispatched:
            events.append(("CustodyLedger", "ShipmentDiscrepancy", {"shipmentId": sid, "batchId": batch,
                                                                    "toOrgId": dst, "dispatched": dispatched,
                                                                    "received": received}))
        return self.tx(*events)

    def dispense(self, batch: str, index: int, code_hash: str, org: str, duplicate: bool = False
                 ) -> list[IndexedEvent]:
        name = "DuplicateDispense" if duplicate else "UnitDispensed"
        return self.tx(("CustodyLedger", name, {"batchId": batch, "index": index, "codeHash": code_hash,
                                                "orgId": org}))

    def stream(self, batches: int, units_per_batch: int, pharmacies: int = 4) -> Iterator[IndexedEvent]:
        """A whole market: every unit of every batch dispensed (about ``batches*units`` events)."""
        mah, dist, carrier = hex32("mah"), hex32("distributor"), hex32("carrier")
        pharm = [hex32(f"pharmacy{i}") for i in range(pharmacies)]
        product = hex32("product")
        for n in range(batches):
            batch = hex32(f"batch{n}")
            yield from self.commit_batch(batch, product, mah, f"L{n}", units_per_batch)
            sid, ev = self.dispatch(batch, mah, dist, carrier, units_per_batch)
            yield from ev
            yield from self.receive(sid, batch, dist, units_per_batch)
            share = units_per_batch // pharmacies
            for k, p in enumerate(pharm):
                qty = share if k < pharmacies - 1 else units_per_batch - share * (pharmacies - 1)
                sid, ev = self.dispatch(batch, dist, p, carrier, qty)
                yield from ev
                yield from self.receive(sid, batch, p, qty)
            for i in range(units_per_batch):
                yield from self.dispense(batch, i, hex32(f"{batch}/{i}"), pharm[min(i // max(share, 1),
                                                                                    pharmacies - 1)])


def recall_events(chain: SyntheticChain, recall_id: int, batch: str, product: str, mah: str, *, level: int,
                  decided_at: int, notice_after_ms: int | None, recovered: Sequence[tuple[str, int]] = (),
                  destroyed: int = 0, supervisor: str = "", reports_after_ms: Sequence[int] = ()
                  ) -> list[IndexedEvent]:
    """A recall case's events (open, notice, recoveries, destruction + counter-signature)."""
    limit = {1: 1, 2: 3, 3: 7}[level] * 86_400_000
    events = chain.tx(("RecallManager", "RecallOpened", {
        "recallId": recall_id, "productId": product, "batchId": batch, "level": level, "kind": 0,
        "initiatorOrgId": mah, "decidedAt": decided_at, "noticeDeadline": decided_at + limit,
        "reasonHash": hex32("reason")}))
    if notice_after_ms is not None:
        events += chain.tx(("RecallManager", "RecallNoticeIssued", {
            "recallId": recall_id, "issuedAt": decided_at + notice_after_ms, "late": notice_after_ms > limit,
            "noticeHash": hex32("notice")}))
    last = decided_at + (notice_after_ms or 0)
    for n, after in enumerate(reports_after_ms, 1):
        at = decided_at + after
        events += chain.tx(("RecallManager", "RecallProgressReported", {
            "recallId": recall_id, "reportNo": n, "reportedAt": at, "overdue": at > last + limit,
            "reportHash": hex32(f"report{n}")}))
        last = at
    total = 0
    for org, qty in recovered:
        total += qty
        events += chain.tx(("RecallManager", "RecoveryRecorded", {
            "recallId": recall_id, "orgId": org, "quantity": qty, "orgTotal": qty, "caseTotal": total,
            "evidenceHash": hex32("recovery")}))
    if destroyed:
        events += chain.tx(("RecallManager", "DestructionRecorded", {
            "destructionId": recall_id, "recallId": recall_id, "executorOrgId": mah, "quantity": destroyed,
            "finalDisposal": True, "evidenceHash": hex32("destroy")}))
        events += chain.tx(("RecallManager", "DestructionConfirmed", {
            "destructionId": recall_id, "recallId": recall_id, "supervisorOrgId": supervisor,
            "batchDestroyed": True}))
    return events
