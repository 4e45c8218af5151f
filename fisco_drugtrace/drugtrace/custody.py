"""Shipments, returns, quarantine and dispensing by code (the code check is in :mod:`verification`)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.codes import code_problem
from fisco_drugtrace.drugtrace.ids import id_hex, org_ref
from fisco_drugtrace.drugtrace.models import (
    BatchStock,
    DispenseResult,
    Holding,
    Shipment,
    ShipmentStatus,
)
from fisco_drugtrace.drugtrace.suite import ZERO32
from fisco_drugtrace.errors import NotFound, TraceCodeError

__all__ = ["CustodyOps"]


@contextmanager
def _orgs_as_given(*given: str | bytes) -> Iterator[None]:
    """Re-raise "organisation 0x<id> not found" naming the organisation as the caller typed it."""
    try:
        yield
    except NotFound as exc:
        if exc.kind != "organisation":
            raise
        for text in given:
            if isinstance(text, str) and id_hex(org_ref(text)) == exc.key and text.strip() != exc.key:
                raise NotFound("organisation", f"{text.strip()!r} (id {exc.key})") from exc
        raise


class CustodyOps(ServiceBase):
    """Custody: who holds how many units of which batch, and once-only dispensing."""

    # -- shipments -----------------------------------------------------------------------
    def dispatch(self, batch: bytes, to_org: str | bytes, carrier_org: str | bytes, quantity: int, *,
                 manifest_hash: bytes = ZERO32) -> Shipment:
        """Send units downstream; returns the new shipment.

        :raises NotFound: an organisation is unknown (named as it was given, with its id).
        """
        with _orgs_as_given(to_org, carrier_org):
            tx = self.suite.transact(self.suite.custody, "dispatch", batch, org_ref(to_org), org_ref(carrier_org),
                                     int(quantity), manifest_hash)
        return self.get_shipment(_shipment_id(tx.events))

    def dispatch_return(self, batch: bytes, to_org: str | bytes, carrier_org: str | bytes, quantity: int, *,
                        manifest_hash: bytes = ZERO32) -> Shipment:
        """Send units back toward the manufacturer (quarantined units leave first)."""
        with _orgs_as_given(to_org, carrier_org):
            tx = self.suite.transact(self.suite.custody, "dispatchReturn", batch, org_ref(to_org),
                                     org_ref(carrier_org), int(quantity), manifest_hash)
        return self.get_shipment(_shipment_id(tx.events))

    def receive(self, shipment_id: int, quantity: int | None = None, *, evidence_hash: bytes = ZERO32) -> Shipment:
        """Receive a shipment, in full (``quantity=None``) or partially."""
        if quantity is None:
            quantity = self.get_shipment(shipment_id).quantity
        self.suite.transact(self.suite.custody, "receiveShipment", int(shipment_id), int(quantity), evidence_hash)
        return self.get_shipment(shipment_id)

    def reject(self, shipment_id: int, *, reason_hash: bytes = ZERO32) -> Shipment:
        self.suite.transact(self.suite.custody, "rejectShipment", int(shipment_id), reason_hash)
        return self.get_shipment(shipment_id)

    def void_shipment(self, shipment_id: int, *, reason_hash: bytes = ZERO32) -> Shipment:
        """A regulator voids a shipment stuck in transit (e.g. its addressee is suspended): the
        units go back to the sender, quarantined (``ShipmentVoided``)."""
        self.suite.transact(self.suite.custody, "voidShipment", int(shipment_id), reason_hash)
        return self.get_shipment(shipment_id)

    def batch_stock(self, batch: bytes) -> BatchStock:
        """Units of the batch still in custody (held anywhere or in transit), in transit, quarantined."""
        total, in_transit, quarantined = self.suite.call(self.suite.custody, "batchStock", bytes(batch))
        return BatchStock(bytes(batch), int(total), int(in_transit), int(quarantined))

    def get_shipment(self, shipment_id: int) -> Shipment:
        (batch, src, dst, carrier, qty, got, at, status, is_return, excursion) = self.suite.call(
            self.suite.custody, "getShipment", int(shipment_id))
        if not any(bytes(batch)):
            raise NotFound("shipment", str(shipment_id))
        return Shipment(int(shipment_id), bytes(batch), bytes(src), bytes(dst), bytes(carrier), int(qty), int(got),
                        int(at), ShipmentStatus(status), bool(is_return), bool(excursion))

    def shipments_of(self, batch: bytes) -> list[Shipment]:
        """The batch's shipments, found through the ledger's ``ShipmentDispatched`` events."""
        head = self.client.block_number()
        events = self.suite.custody.get_events(self.deployment.block_number, head, "ShipmentDispatched",
                                               [None, batch])
        return [self.get_shipment(int(e.args["shipmentId"])) for e in events]

    # -- holdings ------------------------------------------------------------------------
    def holding(self, batch: bytes, org: str | bytes) -> Holding:
        oid = org_ref(org)
        quantity, quarantined = self.suite.call(self.suite.custody, "holdingOf", batch, oid)
        return Holding(batch, oid, int(quantity), int(quarantined))

    def release_quarantine(self, batch: bytes, holder: str | bytes, quantity: int, *,
                           evidence_hash: bytes = ZERO32) -> Holding:
        self.suite.transact(self.suite.custody, "releaseQuarantine", batch, org_ref(holder), int(quantity),
                            evidence_hash)
        return self.holding(batch, holder)

    # -- units ---------------------------------------------------------------------------
    def dispense(self, code: str) -> DispenseResult:
        """Dispense one unit by its code: batch, index and proof come from the local code store.

        A unit dispensed before is not an error: the chain records a ``DuplicateDispense`` alert
        and ``dispensed`` is False.

        :raises TraceCodeError: ``code`` is not a 20-digit traceability code.
        :raises NotFound: no batch in the local code store lists it.
        """
        problem = code_problem(code.strip())
        if problem is not None:
            raise TraceCodeError([(0, code, f"{code!r} is not a 20-digit traceability code: {problem}")])
        location = self.codes.locate(code.strip())
        if location is None:
            raise NotFound("unit code", code)
        proof = self.codes.proof(location.batch_id, location.index)
        tx = self.suite.transact(self.suite.custody, "dispense", location.batch_id, location.index,
                                 location.code_hash, proof)
        dispensed = any(name == "UnitDispensed" for name, _ in tx.events)
        return DispenseResult(location.code, location.batch_id, location.index, dispensed, tx)

    def held_ranges(self, batch: bytes, org: str | bytes) -> list[tuple[int, int]]:
        """The unit ranges ``[start, end)`` of a batch committed without packing that ``org`` holds
        (the RangeLedger's queue, D9), in the order its next dispatch takes them (first in, first
        out). Units already dispensed or decommissioned inside a range are still listed."""
        oid = org_ref(org)
        out: list[tuple[int, int]] = []
        cursor = 0
        for _ in range(1024):  # bounded: 256 ranges a page
            bounds, _gone, cursor = self.suite.call(self.suite.ranges, "rangesOf", batch, oid, cursor, 256)
            out += [(int(bounds[i]), int(bounds[i + 1])) for i in range(0, len(bounds), 2)]
            if not cursor:
                break
        return out

    def held_indices(self, batch: bytes, org: str | bytes, limit: int | None = None) -> list[int]:
        """The unit indices of an unpacked batch ``org`` holds and may still dispense: its ranges
        less the units gone (one dispensed-bitmap word read per 256 units), at most ``limit``."""
        found: list[int] = []
        words: dict[int, int] = {}
        for start, end in self.held_ranges(batch, org):
            for index in range(start, end):
                word = index >> 8
                if word not in words:
                    words[word] = int(self.suite.call(self.suite.custody, "dispenseWord", batch, word))
                if not words[word] >> (index & 0xFF) & 1:
                    found.append(index)
                    if limit is not None and len(found) >= limit:
                        return found
        return found

    def unit_holder(self, batch: bytes, index: int) -> tuple[int, int, int, bytes, int]:
        """Where a unit of an unpacked batch stands (``RangeLedger.rangeOf``): its range's
        ``(start, end, state, holder_or_sender_org_id, shipment_id)``; state 1 held, 2 in transit,
        3 missing from the sender after a short receipt."""
        start, end, state, holder, shipment, _gone = self.suite.call(self.suite.ranges, "rangeOf", batch, int(index))
        return int(start), int(end), int(state), bytes(holder), int(shipment)

    def is_dispensed(self, batch: bytes, index: int) -> bool:
        return bool(self.suite.call(self.suite.custody, "isDispensed", batch, int(index)))

    def _label(self, org: bytes) -> str:
        return self.address_book.labels(*self.chain_key).get(id_hex(org), id_hex(org)[:10] + "…")


def _shipment_id(events: tuple) -> int:
    for name, args in events:
        if name == "ShipmentDispatched":
            return int(args["shipmentId"])
    raise NotFound("shipment", "(no ShipmentDispatched event)")


def _describe(s: Shipment, label) -> str:  # type: ignore[no-untyped-def]
    kind = "return" if s.is_return else "shipment"
    text = f"{kind} #{s.shipment_id}: {s.quantity} units {label(s.from_org_id)} -> {label(s.to_org_id)} " \
           f"via {label(s.carrier_org_id)}, {s.status.name.lower()}"
    if s.excursion:
        text += " (temperature excursion)"
    return text
