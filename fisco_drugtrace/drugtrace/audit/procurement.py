"""Procurement reconciliation from the index (issue 17 B): order -> delivery -> invoice -> payment.

Replayed from the ``ProcurementLedger`` events alone (no chain read), so ``audit verify --report``
recomputes every figure from a fresh index of the chain: per order, per hospital and per
distributor the units ordered and accepted and the amounts invoiced and paid; the hospitals'
volumes against their agreed volumes per bid; the settlements overdue at the report's time
(accepted, unpaid, past the deadline), the late payments, and the chain's overdue alerts.
Amounts in fen, times in ms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fisco_drugtrace.drugtrace.audit.index import AuditIndex

__all__ = ["EVENTS", "WHERE", "OrderLine", "PartyTotals", "VolumeUse", "OverdueSettlement", "ProcurementSection",
           "procurement_section"]

_ORDER_STATUS = {1: "PLACED", 2: "ACCEPTED", 3: "DECLINED", 4: "CANCELLED", 5: "FULFILLED", 6: "CLOSED"}
_RELEASED = {3, 4}
#: the ProcurementLedger's events the reconciliation reads (by name: the index's name index serves it)
EVENTS = ("BidPublished", "AgreedVolumeSet", "OrderPlaced", "OrderStatusChanged", "DeliveryRecorded",
          "DeliveryAccepted", "DeliveryRefused", "Invoiced", "PaymentRecorded", "SettlementOverdue")
WHERE = f"name IN ({','.join('?' * len(EVENTS))}) AND name != 'UnitDispensed'"  # declined, cancelled: the whole quantity goes back to the volume


@dataclass(frozen=True)
class OrderLine:
    order_id: int
    bid_id: int
    hospital: str
    distributor: str
    unit_price: int
    ordered: int
    accepted: int
    invoiced: int
    paid: int
    status: str


@dataclass(frozen=True)
class PartyTotals:
    org: str
    orders: int
    ordered: int
    accepted: int
    invoiced: int
    paid: int
    outstanding: int
    overdue: int


@dataclass(frozen=True)
class VolumeUse:
    bid_id: int
    hospital: str
    agreed: int
    ordered: int
    accepted: int


@dataclass(frozen=True)
class OverdueSettlement:
    shipment_id: int
    order_id: int
    hospital: str
    distributor: str
    amount_due: int
    due_at: int
    paid_at: int | None
    alerted: bool


@dataclass(frozen=True)
class ProcurementSection:
    orders: tuple[OrderLine, ...]
    by_hospital: tuple[PartyTotals, ...]
    by_distributor: tuple[PartyTotals, ...]
    volumes: tuple[VolumeUse, ...]
    overdue: tuple[OverdueSettlement, ...]
    late_payments: tuple[OverdueSettlement, ...]


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def procurement_section(index: AuditIndex, *, now_ms: int) -> ProcurementSection:
    """The reconciliation as of ``now_ms`` (the report's time)."""
    bids: dict[int, dict[str, Any]] = {}
    volumes: dict[tuple[int, str], list[int]] = {}  # agreed, ordered, accepted
    orders: dict[int, dict[str, Any]] = {}
    deliveries: dict[int, dict[str, Any]] = {}
    alerted: set[int] = set()
    for row in index.rows(WHERE, EVENTS):
        name, a = row["name"], json.loads(row["args"])
        if name == "BidPublished":
            bids[int(a["bidId"])] = {"price": int(a["unitPrice"])}
        elif name == "AgreedVolumeSet":
            volumes.setdefault((int(a["bidId"]), _hex(a["hospitalOrgId"])), [0, 0, 0])[0] = int(a["volume"])
        elif name == "OrderPlaced":
            oid, bid = int(a["orderId"]), int(a["bidId"])
            orders[oid] = {"bid": bid, "hospital": _hex(a["hospitalOrgId"]), "distributor": _hex(a["distributorOrgId"]),
                           "price": int(a["unitPrice"]), "ordered": int(a["quantity"]), "accepted": 0, "status": 1}
            volumes.setdefault((bid, orders[oid]["hospital"]), [0, 0, 0])[1] += int(a["quantity"])
        elif name == "OrderStatusChanged" and int(a["orderId"]) in orders:
            o = orders[int(a["orderId"])]
            to = int(a["to"])
            vol = volumes.setdefault((o["bid"], o["hospital"]), [0, 0, 0])
            if to in _RELEASED:
                vol[1] -= o["ordered"]
            elif to == 6:
                vol[1] -= o["ordered"] - o["accepted"]
            o["status"] = to
        elif name == "DeliveryRecorded":
            deliveries[int(a["shipmentId"])] = {"order": int(a["orderId"]), "accepted": 0, "due": 0, "amount": 0,
                                                "paid": 0, "paid_at": None, "refused": False}
        elif name == "DeliveryAccepted" and int(a["shipmentId"]) in deliveries:
            d = deliveries[int(a["shipmentId"])]
            d["accepted"], d["due"] = int(a["accepted"]), int(a["dueAt"])
            o = orders.get(d["order"])
            if o is not None:
                o["accepted"] += d["accepted"]
                volumes.setdefault((o["bid"], o["hospital"]), [0, 0, 0])[2] += d["accepted"]
        elif name == "DeliveryRefused" and int(a["shipmentId"]) in deliveries:
            deliveries[int(a["shipmentId"])]["refused"] = True
        elif name == "Invoiced" and int(a["shipmentId"]) in deliveries:
            deliveries[int(a["shipmentId"])]["amount"] = int(a["amount"])
        elif name == "PaymentRecorded" and int(a["shipmentId"]) in deliveries:
            d = deliveries[int(a["shipmentId"])]
            d["paid"], d["paid_at"] = int(a["amount"]), int(a["paidAt"])
        elif name == "SettlementOverdue":
            alerted.add(int(a["shipmentId"]))
    invoiced: dict[int, int] = {}
    paid: dict[int, int] = {}
    overdue, late = [], []
    for sid, d in sorted(deliveries.items()):
        invoiced[d["order"]] = invoiced.get(d["order"], 0) + d["amount"]
        paid[d["order"]] = paid.get(d["order"], 0) + d["paid"]
        o = orders.get(d["order"])
        if o is None or d["refused"] or not d["due"]:
            continue
        due_amount = d["amount"] or d["accepted"] * o["price"]
        record = OverdueSettlement(sid, d["order"], o["hospital"], o["distributor"], due_amount - d["paid"],
                                   d["due"], d["paid_at"], sid in alerted)
        if d["paid_at"] is None and now_ms > d["due"]:
            overdue.append(record)
        elif d["paid_at"] is not None and d["paid_at"] > d["due"]:
            late.append(record)
    lines = tuple(OrderLine(oid, o["bid"], o["hospital"], o["distributor"], o["price"], o["ordered"], o["accepted"],
                            invoiced.get(oid, 0), paid.get(oid, 0), _ORDER_STATUS.get(o["status"], str(o["status"])))
                  for oid, o in sorted(orders.items()))

    def totals(key: str) -> tuple[PartyTotals, ...]:
        out: dict[str, list[int]] = {}
        for line in lines:
            org = getattr(line, key)
            t = out.setdefault(org, [0] * 7)
            live = line.status not in ("DECLINED", "CANCELLED")
            t[0] += 1
            t[1] += line.ordered if live else 0
            t[2] += line.accepted
            t[3] += line.invoiced
            t[4] += line.paid
            t[5] += line.accepted * line.unit_price - line.paid
        for record in overdue:
            out.setdefault(getattr(record, key), [0] * 7)[6] += 1
        return tuple(PartyTotals(org, *t) for org, t in sorted(out.items()))

    return ProcurementSection(
        orders=lines, by_hospital=totals("hospital"), by_distributor=totals("distributor"),
        volumes=tuple(VolumeUse(bid, h, *v) for (bid, h), v in sorted(volumes.items())),
        overdue=tuple(overdue), late_payments=tuple(late))
