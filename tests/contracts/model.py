"""A plain-Python model of the drug-trace rules (docs/domain.md §6), the oracle for the contracts.

The rules (who may do what, the lifecycle table, custody arithmetic, observation triggers, recall
deadlines) are written here from domain.md §6.2-§6.4; the *order* in which checks fail and the
names/arguments of the errors follow the contracts' interfaces (``contracts/interfaces/*.sol``),
so the two can be compared call by call. Every operation either returns a value or raises
:class:`Rejected(name, args)`; a rejected operation changes nothing (like a revert).

Times are milliseconds (FISCO block timestamps).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

__all__ = [
    "Kind", "OrgStatus", "State", "ShipmentStatus", "Point", "Result", "Level", "RecallKind",
    "RecallStatus", "DestructionStatus", "bit", "MASK", "PRODUCT_TRANSITIONS", "BATCH_TRANSITIONS",
    "transition_mask", "REPORTERS", "DAY_MS", "LEVEL_INTERVAL", "Rejected", "Model", "UINT64_MAX",
    "ADR_MAX_THRESHOLD", "BidStatus", "OrderStatus", "DeliveryStatus", "Bid", "Order", "Delivery", "ProcurementRules",
    "PLATFORM_MASK", "DEFAULT_SETTLEMENT_MS", "UNIT", "CASE", "PALLET", "INSIDE", "HELD", "TRANSIT", "OPENED",
    "MISSING", "container_key",
]

DAY_MS = 86_400_000
UINT64_MAX = 2**64 - 1
ADR_MAX_THRESHOLD = 32  # the SERIOUS report times a batch keeps (ObservationLog's ring)
_UINT40_MAX = 2**40 - 1


class Kind(IntEnum):
    NONE = 0
    NATIONAL = 1
    PROVINCIAL = 2
    MANUFACTURER = 3
    DISTRIBUTOR = 4
    LOGISTICS = 5
    PHARMACY = 6
    HOSPITAL = 7
    AUDITOR = 8
    PLATFORM = 9  # issue 17: provincial procurement platform (registered by a regulator)


class OrgStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2


class State(IntEnum):
    NONE = 0
    LISTED = 1
    STOPPED = 2
    RECALLED = 3
    DESTROYED = 4
    DEREGISTERED = 5
    VOIDED = 6  # issue 12, corrections: a mis-committed batch


class ShipmentStatus(IntEnum):
    NONE = 0
    DISPATCHED = 1
    RECEIVED = 2
    PARTIAL = 3
    REJECTED = 4
    VOIDED = 5


class Point(IntEnum):
    NONE = 0
    PROCESS_DEFINITION = 1
    PROCESS_PROGRESS = 2
    ORDER = 3
    TRANSPORT = 4
    STORAGE = 5
    INSPECTION = 6
    EFFICACY = 7
    ADVERSE_REACTION = 8


class Result(IntEnum):
    OK = 0
    DEVIATION = 1
    FAIL = 2
    SERIOUS = 3


class Level(IntEnum):
    NONE = 0
    I = 1  # noqa: E741
    II = 2
    III = 3


class RecallKind(IntEnum):
    VOLUNTARY = 0
    ORDERED = 1


class RecallStatus(IntEnum):
    NONE = 0
    OPEN = 1
    NOTIFIED = 2
    COMPLETED = 3
    CLOSED = 4


class DestructionStatus(IntEnum):
    NONE = 0
    RECORDED = 1
    CONFIRMED = 2
    VOIDED = 3  # issue 12, corrections


def bit(kind: Kind) -> int:
    return 1 << int(kind)


SYSTEM = 1 << 15
MASK = {
    "national": bit(Kind.NATIONAL),
    "regulators": bit(Kind.NATIONAL) | bit(Kind.PROVINCIAL),
    "manufacturer": bit(Kind.MANUFACTURER),
    "forward_senders": bit(Kind.MANUFACTURER) | bit(Kind.DISTRIBUTOR),
    "return_senders": bit(Kind.DISTRIBUTOR) | bit(Kind.PHARMACY) | bit(Kind.HOSPITAL),
    "addressees": bit(Kind.DISTRIBUTOR) | bit(Kind.PHARMACY) | bit(Kind.HOSPITAL),
    "logistics": bit(Kind.LOGISTICS),
    "distributor": bit(Kind.DISTRIBUTOR),
    "dispensers": bit(Kind.PHARMACY) | bit(Kind.HOSPITAL),
    "holders": bit(Kind.MANUFACTURER) | bit(Kind.DISTRIBUTOR) | bit(Kind.PHARMACY) | bit(Kind.HOSPITAL),
    "supervisors": bit(Kind.NATIONAL) | bit(Kind.PROVINCIAL) | bit(Kind.AUDITOR),
    "openers": bit(Kind.MANUFACTURER) | bit(Kind.NATIONAL) | bit(Kind.PROVINCIAL),
    "any": sum(1 << k for k in range(1, 9)),  # the supply chain: not the procurement platform
    "platform": 1 << 9,
    "hospital": 1 << 7,
    "system": SYSTEM,
}

_REG = MASK["regulators"]
_NAT = MASK["national"]
_MAN = MASK["manufacturer"]

# domain.md §6.3: T0, T1 (regulator; automatic), T2, T3 (through a recall case), T5, T6.
PRODUCT_TRANSITIONS: dict[tuple[State, State], int] = {
    (State.NONE, State.LISTED): _NAT,
    (State.LISTED, State.STOPPED): _REG | _MAN | SYSTEM,  # MAH: voluntary product-wide recall (issue 12, 8)
    (State.STOPPED, State.LISTED): _REG,
    (State.STOPPED, State.RECALLED): SYSTEM,
    (State.STOPPED, State.DEREGISTERED): _NAT,
    (State.RECALLED, State.DEREGISTERED): _NAT,
}
# T0b (MAH), T1 (regulator, MAH self-suspension, automatic), T2, T3 (recall), T4 (counter-signed destruction).
BATCH_TRANSITIONS: dict[tuple[State, State], int] = {
    (State.NONE, State.LISTED): _MAN,
    (State.LISTED, State.STOPPED): _REG | _MAN | SYSTEM,
    (State.STOPPED, State.LISTED): _REG | SYSTEM,  # SYSTEM: the void of the stopping observation (issue 12)
    (State.STOPPED, State.RECALLED): SYSTEM,
    (State.RECALLED, State.DESTROYED): SYSTEM,
    (State.RECALLED, State.LISTED): _NAT,  # T7, the rework route, with evidence (issue 12, defect 6)
    # T8: a mis-committed batch voided before it moved (issue 12, corrections)
    (State.NONE, State.VOIDED): _REG | _MAN,
    (State.LISTED, State.VOIDED): _REG | _MAN,
    (State.STOPPED, State.VOIDED): _REG | _MAN,
}


def transition_mask(is_batch: bool, frm: State, to: State) -> int:
    table = BATCH_TRANSITIONS if is_batch else PRODUCT_TRANSITIONS
    return table.get((State(frm), State(to)), 0)


# domain.md §6.2/§6.4 — who writes each observation point.
REPORTERS: dict[Point, int] = {
    Point.PROCESS_DEFINITION: _MAN | _REG,  # MAH, approved by regulator
    Point.PROCESS_PROGRESS: _MAN,
    Point.ORDER: MASK["addressees"],
    Point.TRANSPORT: MASK["logistics"],
    Point.STORAGE: MASK["holders"] | MASK["logistics"],
    Point.INSPECTION: _REG | _MAN,
    Point.EFFICACY: bit(Kind.HOSPITAL),
    Point.ADVERSE_REACTION: _MAN | bit(Kind.PHARMACY) | bit(Kind.HOSPITAL) | _REG,  # regulators too (issue 12, 3)
}

LEVEL_INTERVAL = {Level.I: DAY_MS, Level.II: 3 * DAY_MS, Level.III: 7 * DAY_MS}


class Rejected(Exception):
    """The operation is refused: ``name`` and ``args`` as the contract's custom error."""

    def __init__(self, name: str, *args: Any) -> None:
        self.name = name
        self.args_ = tuple(args)
        super().__init__(f"{name}{self.args_!r}")


@dataclass
class Org:
    kind: Kind
    status: OrgStatus
    region: int
    seq: int
    licence_expiry: int = 0
    suspended_by: bytes = bytes(32)


def can_lift(kind: Kind, region: int, imposer: "Org | None") -> bool:
    """Authority.canLift: national lifts anything; provincial only a provincial decision of its
    region or a non-regulator's; nobody lifts above its rank (issue 12, defect 1)."""
    if imposer is None or kind == Kind.NATIONAL:
        return True
    if imposer.kind == Kind.NATIONAL:
        return False
    if imposer.kind == Kind.PROVINCIAL:
        return kind == Kind.PROVINCIAL and region == imposer.region
    return True


@dataclass
class Product:
    mah: bytes
    state: State
    min_temp: int
    max_temp: int
    adr_threshold: int = 0
    adr_autostop: bool = False
    adr_window: int = 0
    approved_def: int = 0  # the regulator-approved process definition (observation id)
    pending_def: int = 0   # a MAH definition awaiting approval (blocks T0b)
    step_count: int = 0    # steps of the approved definition
    stopped_by: bytes = bytes(32)  # who imposed the current/last stop (T1)


@dataclass
class Batch:
    product: bytes
    mah: bytes
    unit_count: int
    expiry: int
    state: State
    definition: int = 0    # the definition its step bits belong to
    step_bits: int = 0
    test_passed: bool = False  # the MAH's latest release inspection was OK
    test_failed: bool = False  # the MAH's release test FAILed: only a regulator's OK re-test clears it
    blocked_by: int = 0  # a regulator's FAIL/SERIOUS inspection before release (observation id)
    stopped_by: bytes = bytes(32)  # who imposed the current/last stop (T1)
    per_case: int = 0    # packed batch (issue 17A): units per case (0 = not packed)
    per_pallet: int = 0  # cases per pallet


@dataclass
class Shipment:
    batch: bytes
    frm: bytes
    to: bytes
    carrier: bytes
    quantity: int
    received: int = 0
    status: ShipmentStatus = ShipmentStatus.DISPATCHED
    is_return: bool = False
    excursion: bool = False
    received_at: int = 0  # the receipt's time (issue 17 B: a procurement delivery's acceptance)
    packed: bool = False  # sent by container through the PackingLedger (issue 17A)
    items: tuple[int, ...] = ()  # its containers and loose units (packed)
    units: list[int] = field(default_factory=list)  # its live units, in queue order (unpacked: D9)


@dataclass
class Recall:
    product: bytes
    batch: bytes
    mah: bytes
    initiator: bytes
    level: Level
    kind: RecallKind
    status: RecallStatus
    decided_at: int
    notice_deadline: int
    notice_at: int = 0
    last_progress_at: int = 0
    progress_count: int = 0
    completed_at: int = 0
    in_market_at_open: int = 0
    mah_at_open: int = 0
    written_off_at_open: int = 0  # CustodyLedger.writtenOff of the batch when the case opened
    destroyed: int = 0
    product_case: int = 0  # issue 12: a batch case opened under an open product-wide case
    follow_up_of: int = 0  # issue 12: the batch's previous, CLOSED case


@dataclass
class Destruction:
    recall: int
    executor: bytes
    quantity: int
    final: bool
    supervisor: bytes = bytes(32)
    status: DestructionStatus = DestructionStatus.RECORDED
    recorded_by: bytes = bytes(32)  # issue 12: a regulator recording for a suspended holder (else the executor)


ZERO = bytes(32)

# ---------------------------------------------------------------------------- packing (issue 17A)

UNIT, CASE, PALLET = 0, 1, 2
_LEVEL_SHIFT = 248
_INDEX_MASK = (1 << 248) - 1
# IPackingLedger.NodeStatus; INSIDE is the model's "no record of its own: inside its parent"
INSIDE, HELD, TRANSIT, OPENED, MISSING = range(5)


def container_key(level: int, index: int) -> int:
    return level << _LEVEL_SHIFT | index


@dataclass
class Box:
    """A container (or unit) with a place of its own: held intact, in transit, opened, missing.
    ``back_from``: the shipment it came back from, intact, when that was rejected or voided (the
    ledger still lists it as in that shipment, so a receipt of it reverts on the shipment)."""
    status: int
    holder: bytes  # the holder; in transit or missing: the sender
    shipment: int = 0
    back_from: int = 0


# ---------------------------------------------------------------------------- procurement (issue 17 B)

PLATFORM_MASK = 1 << 9
DEFAULT_SETTLEMENT_MS = 30 * DAY_MS


class BidStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    WITHDRAWN = 2


class OrderStatus(IntEnum):
    NONE = 0
    PLACED = 1
    ACCEPTED = 2
    DECLINED = 3
    CANCELLED = 4
    FULFILLED = 5
    CLOSED = 6


class DeliveryStatus(IntEnum):
    NONE = 0
    SHIPPED = 1
    ACCEPTED = 2
    REFUSED = 3
    INVOICED = 4
    PAID = 5


@dataclass
class Bid:
    platform: bytes
    product: bytes
    mah: bytes
    tender: bytes
    price: int
    valid_from: int
    valid_until: int
    status: BidStatus = BidStatus.ACTIVE


@dataclass
class Order:
    bid: int
    hospital: bytes
    distributor: bytes
    ref: bytes
    quantity: int
    placed_at: int
    in_flight: int = 0
    accepted: int = 0
    status: OrderStatus = OrderStatus.PLACED


@dataclass
class Delivery:
    order: int
    shipped: int
    accepted: int = 0
    accepted_at: int = 0
    due_at: int = 0
    amount: int = 0
    paid_at: int = 0
    status: DeliveryStatus = DeliveryStatus.SHIPPED
    flagged: bool = False


class ProcurementRules:
    """ProcurementLedger's rules, written from issue 17 B; checks in the contract's order."""

    # the Model's fields (declared there): bids, allowed, volumes, orders, deliveries, periods
    bids: list[Bid]
    allowed: set[tuple[int, bytes]]
    volumes: dict[tuple[int, bytes], list[int]]  # [agreed, ordered]
    orders: list[Order]
    deliveries: dict[int, Delivery]
    periods: dict[bytes, int]

    def _bid(self, bid_id: int) -> Bid:
        if not 1 <= bid_id <= len(self.bids):
            raise Rejected("ProcurementLedgerUnknownBid", bid_id)
        return self.bids[bid_id - 1]

    def _platform_bid(self, sender: str, bid_id: int) -> Bid:
        platform, _ = self.authorize(sender, PLATFORM_MASK)  # type: ignore[attr-defined]
        b = self._bid(bid_id)
        if b.platform != platform:
            raise Rejected("ProcurementLedgerNotParty", platform, b.platform)
        if b.status != BidStatus.ACTIVE:
            raise Rejected("ProcurementLedgerBidNotActive", bid_id, int(b.status))
        return b

    def _live_bid(self, bid_id: int) -> Bid:
        b = self._bid(bid_id)
        now = self.now  # type: ignore[attr-defined]
        if b.status != BidStatus.ACTIVE or now < b.valid_from or now > b.valid_until:
            raise Rejected("ProcurementLedgerBidNotLive", bid_id, int(b.status), b.valid_from, b.valid_until, now)
        return b

    def _order(self, order_id: int) -> Order:
        if not 1 <= order_id <= len(self.orders):
            raise Rejected("ProcurementLedgerUnknownOrder", order_id)
        return self.orders[order_id - 1]

    def _party(self, sender: str, order_id: int, hospital: bool) -> tuple[Order, bytes]:
        by, _ = self.authorize(sender, bit(Kind.HOSPITAL) if hospital else bit(Kind.DISTRIBUTOR))  # type: ignore
        o = self._order(order_id)
        expected = o.hospital if hospital else o.distributor
        if by != expected:
            raise Rejected("ProcurementLedgerNotParty", by, expected)
        return o, by

    @staticmethod
    def _order_status(order_id: int, o: Order, status: OrderStatus) -> None:
        if o.status != status:
            raise Rejected("ProcurementLedgerInvalidOrderStatus", order_id, int(o.status))

    def _delivery(self, sid: int) -> Delivery:
        d = self.deliveries.get(sid)
        if d is None:
            raise Rejected("ProcurementLedgerUnknownDelivery", sid)
        return d

    @staticmethod
    def _delivery_status(sid: int, d: Delivery, status: DeliveryStatus) -> None:
        if d.status != status:
            raise Rejected("ProcurementLedgerInvalidDeliveryStatus", sid, int(d.status))

    def publish_bid(self, sender: str, tender: bytes, pid: bytes, price: int, start: int, end: int,
                    distributors: list[bytes]) -> int:
        platform, _ = self.authorize(sender, PLATFORM_MASK)  # type: ignore[attr-defined]
        n = len(distributors)
        if price == 0 or start >= end or end <= self.now or n == 0 or n > 8:  # type: ignore[attr-defined]
            raise Rejected("ProcurementLedgerInvalidBid", price, start, end, n)
        p = self.products.get(pid)  # type: ignore[attr-defined]
        state = p.state if p else State.NONE
        if state != State.LISTED:
            raise Rejected("ProcurementLedgerProductNotListed", pid, int(state))
        self.bids.append(Bid(platform, pid, p.mah, tender, price, start, end))
        bid_id = len(self.bids)
        for d in distributors:
            self.require_active(d, bit(Kind.DISTRIBUTOR))  # type: ignore[attr-defined]
            self.allowed.add((bid_id, d))
        return bid_id

    def set_agreed_volumes(self, sender: str, bid_id: int, hospitals: list[bytes], volumes: list[int]) -> None:
        self._platform_bid(sender, bid_id)
        n = len(hospitals)
        if n == 0 or n != len(volumes) or n > 32:
            raise Rejected("ProcurementLedgerInvalidVolumes", n, len(volumes))
        for h, v in zip(hospitals, volumes):
            self.require_active(h, bit(Kind.HOSPITAL))  # type: ignore[attr-defined]
            entry = self.volumes.setdefault((bid_id, h), [0, 0])
            if v < entry[1]:
                raise Rejected("ProcurementLedgerVolumeBelowOrdered", bid_id, h, v, entry[1])
            entry[0] = v

    def withdraw_bid(self, sender: str, bid_id: int) -> None:
        self._platform_bid(sender, bid_id).status = BidStatus.WITHDRAWN

    def set_settlement_period(self, sender: str, period: int) -> None:
        platform, _ = self.authorize(sender, PLATFORM_MASK)  # type: ignore[attr-defined]
        if period < DAY_MS or period > 365 * DAY_MS:
            raise Rejected("ProcurementLedgerInvalidPeriod", period)
        self.periods[platform] = period

    def place_order(self, sender: str, bid_id: int, distributor: bytes, qty: int) -> int:
        hospital, _ = self.authorize(sender, bit(Kind.HOSPITAL))  # type: ignore[attr-defined]
        self._live_bid(bid_id)
        if (bid_id, distributor) not in self.allowed:
            raise Rejected("ProcurementLedgerDistributorNotAllowed", bid_id, distributor)
        self.require_active(distributor, bit(Kind.DISTRIBUTOR))  # type: ignore[attr-defined]
        agreed, ordered = self.volumes.get((bid_id, hospital), [0, 0])
        if qty == 0 or ordered + qty > agreed:
            raise Rejected("ProcurementLedgerVolumeExceeded", bid_id, hospital, agreed, ordered, qty)
        self.volumes.setdefault((bid_id, hospital), [0, 0])[1] += qty
        self.orders.append(Order(bid_id, hospital, distributor, b"", qty, self.now))  # type: ignore[attr-defined]
        return len(self.orders)

    def accept_order(self, sender: str, order_id: int) -> None:
        o, _ = self._party(sender, order_id, False)
        self._order_status(order_id, o, OrderStatus.PLACED)
        self._live_bid(o.bid)
        o.status = OrderStatus.ACCEPTED

    def decline_order(self, sender: str, order_id: int) -> None:
        o, _ = self._party(sender, order_id, False)
        self._order_status(order_id, o, OrderStatus.PLACED)
        self.volumes[(o.bid, o.hospital)][1] -= o.quantity
        o.status = OrderStatus.DECLINED

    def cancel_order(self, sender: str, order_id: int) -> None:
        o, _ = self._party(sender, order_id, True)
        self._order_status(order_id, o, OrderStatus.PLACED)
        self.volumes[(o.bid, o.hospital)][1] -= o.quantity
        o.status = OrderStatus.CANCELLED

    def close_order(self, sender: str, order_id: int) -> None:
        o, _ = self._party(sender, order_id, True)
        self._order_status(order_id, o, OrderStatus.ACCEPTED)
        if o.in_flight:
            raise Rejected("ProcurementLedgerDeliveriesInFlight", order_id, o.in_flight)
        self.volumes[(o.bid, o.hospital)][1] -= o.quantity - o.accepted
        o.status = OrderStatus.CLOSED

    def record_delivery(self, sender: str, order_id: int, sid: int) -> None:
        o, _ = self._party(sender, order_id, False)
        self._order_status(order_id, o, OrderStatus.ACCEPTED)
        if sid in self.deliveries:
            raise Rejected("ProcurementLedgerShipmentAlreadyCounted", sid, self.deliveries[sid].order)
        s = self.shipments[sid - 1] if 1 <= sid <= len(self.shipments) else None  # type: ignore[attr-defined]
        if s is None or s.is_return or s.frm != o.distributor or s.to != o.hospital:
            raise Rejected("ProcurementLedgerShipmentMismatch", sid, order_id)
        if s.status in (ShipmentStatus.REJECTED, ShipmentStatus.VOIDED):
            raise Rejected("ProcurementLedgerShipmentNotDeliverable", sid, int(s.status))
        if self.batches[s.batch].product != self.bids[o.bid - 1].product:  # type: ignore[attr-defined]
            raise Rejected("ProcurementLedgerShipmentMismatch", sid, order_id)
        counted = o.accepted + o.in_flight
        if counted + s.quantity > o.quantity:
            raise Rejected("ProcurementLedgerOverDelivery", order_id, o.quantity, counted, s.quantity)
        o.in_flight += s.quantity
        self.deliveries[sid] = Delivery(order_id, s.quantity)

    def confirm_receipt(self, sender: str, sid: int) -> None:
        d = self._delivery(sid)
        o, _ = self._party(sender, d.order, True)  # only the ordering hospital accepts
        self._delivery_status(sid, d, DeliveryStatus.SHIPPED)
        self._accept(sid, d, o)

    def _accept(self, sid: int, d: Delivery, o: Order) -> None:
        """The hospital's custody receipt is the acceptance: its units, at its time; the clock starts there."""
        s = self.shipments[sid - 1]  # type: ignore[attr-defined]
        if s.status == ShipmentStatus.DISPATCHED:
            raise Rejected("ProcurementLedgerShipmentNotReceived", sid)
        o.in_flight -= d.shipped
        if s.status not in (ShipmentStatus.RECEIVED, ShipmentStatus.PARTIAL) or s.received == 0:
            d.status = DeliveryStatus.REFUSED
            return
        d.accepted, d.accepted_at, d.status = s.received, s.received_at, DeliveryStatus.ACCEPTED
        d.due_at = s.received_at + self.periods.get(self.bids[o.bid - 1].platform, DEFAULT_SETTLEMENT_MS)
        o.accepted += s.received
        if o.accepted == o.quantity:
            o.status = OrderStatus.FULFILLED

    def invoice(self, sender: str, sid: int, amount: int) -> None:
        d = self._delivery(sid)
        o, _ = self._party(sender, d.order, False)
        if d.status == DeliveryStatus.SHIPPED:  # received but not yet recorded by the hospital
            self._accept(sid, d, o)
        self._delivery_status(sid, d, DeliveryStatus.ACCEPTED)
        expected = d.accepted * self.bids[o.bid - 1].price
        if amount != expected:
            raise Rejected("ProcurementLedgerInvoiceMismatch", sid, expected, amount)
        d.amount, d.status = amount, DeliveryStatus.INVOICED

    def record_payment(self, sender: str, sid: int, amount: int) -> bool:
        """Returns whether it was late (the contract then emits SettlementOverdue)."""
        d = self._delivery(sid)
        self._party(sender, d.order, True)
        self._delivery_status(sid, d, DeliveryStatus.INVOICED)
        if amount != d.amount:
            raise Rejected("ProcurementLedgerPaymentMismatch", sid, d.amount, amount)
        d.paid_at, d.status = self.now, DeliveryStatus.PAID  # type: ignore[attr-defined]
        return d.paid_at > d.due_at

    def flag_overdue(self, sender: str, sid: int) -> None:
        if self.paused:  # type: ignore[attr-defined]
            raise Rejected("OrgRegistryEnforcedPause")
        d = self._delivery(sid)
        now = self.now  # type: ignore[attr-defined]
        if d.status not in (DeliveryStatus.ACCEPTED, DeliveryStatus.INVOICED) or now <= d.due_at or d.flagged:
            raise Rejected("ProcurementLedgerNotOverdue", sid, d.due_at, now)
        d.flagged = True


@dataclass
class Model(ProcurementRules):
    """The whole suite's state; each public method is one transaction."""

    now: int = 0
    paused: bool = False
    orgs: dict[bytes, Org] = field(default_factory=dict)
    accounts: dict[str, bytes] = field(default_factory=dict)
    by_seq: dict[int, bytes] = field(default_factory=dict)
    products: dict[bytes, Product] = field(default_factory=dict)
    batches: dict[bytes, Batch] = field(default_factory=dict)
    holdings: dict[tuple[bytes, bytes], list[int]] = field(default_factory=dict)  # [quantity, quarantined]
    shipments: list[Shipment] = field(default_factory=list)
    dispensed: set[tuple[bytes, int]] = field(default_factory=set)
    decommissioned: dict[tuple[bytes, int], int] = field(default_factory=dict)  # (batch, unit) -> UnitState
    decommissioned_off: dict[bytes, int] = field(default_factory=dict)  # units decommissioned away from the MAH
    observations: int = 0
    held: set[tuple[bytes, bytes]] = field(default_factory=set)  # (batch, org) that ever held units
    last_counted: dict[tuple[bytes, bytes], int] = field(default_factory=dict)  # last counted SERIOUS report
    obs_reporters: dict[int, bytes] = field(default_factory=dict)
    serious: dict[bytes, int] = field(default_factory=dict)
    serious_times: dict[bytes, list[int]] = field(default_factory=dict)  # every SERIOUS report's time
    definitions: dict[int, tuple[bytes, int]] = field(default_factory=dict)  # MAH definitions: (hash, steps)
    recalls: list[Recall] = field(default_factory=list)
    recovered: dict[tuple[int, bytes], int] = field(default_factory=dict)
    destructions: list[Destruction] = field(default_factory=list)
    # issue 12, corrections: what a void needs to know of each observation, and what it changes
    obs_info: dict[int, tuple[Point, bytes, Result, int, int]] = field(default_factory=dict)  # point, subject,
    #   result, recorded at, the batch's state when recorded (0 for a product subject)
    voided_by: dict[int, bytes] = field(default_factory=dict)
    serious_no: dict[int, int] = field(default_factory=dict)  # counted SERIOUS report -> its number on the batch
    serious_voided: dict[bytes, int] = field(default_factory=dict)
    auto_stop: dict[bytes, int] = field(default_factory=dict)  # DrugRegistry.autoStopReason (while STOPPED)
    # issue 17 B: ProcurementLedger
    bids: list[Bid] = field(default_factory=list)
    allowed: set[tuple[int, bytes]] = field(default_factory=set)
    volumes: dict[tuple[int, bytes], list[int]] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    periods: dict[bytes, int] = field(default_factory=dict)
    # issue 17A: PackingLedger -- the containers (and loose units) that have a place of their own
    boxes: dict[tuple[bytes, int], Box] = field(default_factory=dict)
    # D9, unit-level custody of unpacked batches (RangeLedger): each holder's live units in the
    # order its next dispatch takes them (first in, first out); a batch nobody moved is its MAH's
    queues: dict[tuple[bytes, bytes], list[int]] = field(default_factory=dict)
    missing: dict[tuple[bytes, int], tuple[bytes, int]] = field(default_factory=dict)  # unit -> (sender, shipment)

    # ------------------------------------------------------------------ transactions

    def clone(self) -> "Model":
        return copy.deepcopy(self)

    def apply(self, op: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``op``; on :class:`Rejected` the state is left exactly as before."""
        before = self.clone()
        try:
            return getattr(self, op)(*args, **kwargs)
        except Rejected:
            self.__dict__.update(before.__dict__)
            raise

    # ------------------------------------------------------------------ organisations

    @classmethod
    def genesis(cls, root_account: str, root_org: bytes, region: int, now: int) -> "Model":
        m = cls(now=now)
        m._add_org(root_org, Kind.NATIONAL, region, 0)
        m.accounts[root_account] = root_org
        return m

    def _add_org(self, org_id: bytes, kind: Kind, region: int, licence: int) -> None:
        seq = len(self.orgs) + 1
        self.orgs[org_id] = Org(Kind(kind), OrgStatus.ACTIVE, region, seq, licence)
        self.by_seq[seq] = org_id

    def require_active(self, org_id: bytes, mask: int) -> Org:
        org = self.orgs.get(org_id)
        if org is None:
            raise Rejected("OrgRegistryUnknownOrg", org_id)
        if org.status != OrgStatus.ACTIVE:
            raise Rejected("OrgRegistryOrgNotActive", org_id, int(org.status))
        if org.licence_expiry and self.now > org.licence_expiry:
            raise Rejected("OrgRegistryLicenceExpired", org_id, org.licence_expiry)
        if not mask & bit(org.kind):
            raise Rejected("OrgRegistryUnauthorizedKind", org_id, int(org.kind), mask)
        return org

    def _caller(self, account: str, mask: int) -> tuple[bytes, Org]:
        org_id = self.accounts.get(account)
        if org_id is None:
            raise Rejected("OrgRegistryUnknownAccount", account)
        return org_id, self.require_active(org_id, mask)

    def authorize(self, account: str, mask: int) -> tuple[bytes, Org]:
        if self.paused:
            raise Rejected("OrgRegistryEnforcedPause")
        return self._caller(account, mask)

    def _remit(self, caller_id: bytes, caller: Org, org_id: bytes, kind: Kind, region: int) -> None:
        if caller.kind == Kind.NATIONAL:
            return
        # auditors are the national regulator's to register and manage (issue 12, defect 2)
        if kind in (Kind.NATIONAL, Kind.PROVINCIAL, Kind.AUDITOR) or region != caller.region:
            raise Rejected("OrgRegistryOutsideRemit", caller_id, org_id)

    def register_org(self, sender: str, org_id: bytes, kind: Kind, region: int, licence: int = 0) -> None:
        if self.paused:
            raise Rejected("OrgRegistryEnforcedPause")
        caller_id, caller = self._caller(sender, _REG)
        if org_id == ZERO:
            raise Rejected("OrgRegistryZeroOrgId")
        if kind in (Kind.NONE, Kind.NATIONAL):
            raise Rejected("OrgRegistryInvalidKind", int(kind))
        if org_id in self.orgs:
            raise Rejected("OrgRegistryOrgExists", org_id)
        self._remit(caller_id, caller, org_id, Kind(kind), region)
        self._add_org(org_id, Kind(kind), region, licence)

    def _manage(self, sender: str, org_id: bytes, *, with_caller: bool = False) -> Any:
        if self.paused:
            raise Rejected("OrgRegistryEnforcedPause")
        caller_id, caller = self._caller(sender, _REG)
        target = self.orgs.get(org_id)
        if target is None:
            raise Rejected("OrgRegistryUnknownOrg", org_id)
        self._remit(caller_id, caller, org_id, target.kind, target.region)
        return (caller_id, caller) if with_caller else caller_id

    def bind_account(self, sender: str, account: str, org_id: bytes) -> None:
        self._manage(sender, org_id)
        if account in self.accounts:
            raise Rejected("OrgRegistryAccountAlreadyBound", account, self.accounts[account])
        self.accounts[account] = org_id

    def update_licence(self, sender: str, org_id: bytes, expiry: int, root: bytes) -> None:
        self._manage(sender, org_id)
        if expiry and org_id == root:  # a lapsed root licence would lock the suite for good
            raise Rejected("OrgRegistryRootProtected", org_id)
        self.orgs[org_id].licence_expiry = expiry

    def suspend_org(self, sender: str, org_id: bytes, root: bytes) -> None:
        caller_id = self._manage(sender, org_id)
        if org_id == root:
            raise Rejected("OrgRegistryRootProtected", org_id)
        self._set_status(org_id, OrgStatus.ACTIVE, OrgStatus.SUSPENDED)
        self.orgs[org_id].suspended_by = caller_id

    def restore_org(self, sender: str, org_id: bytes) -> None:
        caller_id, caller = self._manage(sender, org_id, with_caller=True)
        imposer = self.orgs[org_id].suspended_by
        if imposer not in (ZERO, caller_id) and not can_lift(caller.kind, caller.region, self.orgs[imposer]):
            raise Rejected("OrgRegistryOutranked", org_id, imposer, caller_id)
        self._set_status(org_id, OrgStatus.SUSPENDED, OrgStatus.ACTIVE)

    def _set_status(self, org_id: bytes, frm: OrgStatus, to: OrgStatus) -> None:
        cur = self.orgs[org_id].status
        if cur != frm:
            raise Rejected("OrgRegistryInvalidStatusChange", org_id, int(cur), int(to))
        self.orgs[org_id].status = to

    def pause(self, sender: str) -> None:
        self._caller(sender, _NAT)
        if self.paused:
            raise Rejected("OrgRegistryPauseUnchanged", True)
        self.paused = True

    def unpause(self, sender: str) -> None:
        self._caller(sender, _NAT)
        if not self.paused:
            raise Rejected("OrgRegistryPauseUnchanged", False)
        self.paused = False

    # ------------------------------------------------------------------ products and batches

    def register_product(self, sender: str, pid: bytes, mah: bytes, min_temp: int, max_temp: int) -> bytes:
        self.authorize(sender, _NAT)
        self.require_active(mah, _MAN)
        if min_temp > max_temp:
            raise Rejected("DrugRegistryInvalidTemperatureRange", min_temp, max_temp)
        if pid in self.products:
            raise Rejected("DrugRegistryProductExists", pid)
        self.products[pid] = Product(mah, State.LISTED, min_temp, max_temp)
        return pid

    def set_adr_policy(self, sender: str, pid: bytes, threshold: int, autostop: bool, window: int = 0) -> None:
        caller_id, caller = self.authorize(sender, _REG)
        p = self.products.get(pid)
        if p is None:
            raise Rejected("DrugRegistryUnknownProduct", pid)
        self._region(caller_id, caller, p.mah, "DrugRegistryOutsideRemit")
        if threshold > ADR_MAX_THRESHOLD:
            raise Rejected("DrugRegistryInvalidAdrPolicy", threshold, ADR_MAX_THRESHOLD)
        p.adr_threshold, p.adr_autostop, p.adr_window = threshold, autostop, window

    def commit_batch(self, sender: str, pid: bytes, bid: bytes, production: int, expiry: int,
                     unit_count: int, root_nonzero: bool = True) -> bytes:
        caller_id, _ = self.authorize(sender, _MAN)
        p = self.products.get(pid)
        if p is None:
            raise Rejected("DrugRegistryUnknownProduct", pid)
        if p.mah != caller_id:
            raise Rejected("DrugRegistryNotProductHolder", pid, caller_id)
        if p.state != State.LISTED:
            raise Rejected("DrugRegistryNotListed", pid, int(p.state))
        if bid in self.batches:
            raise Rejected("DrugRegistryBatchExists", bid)
        if unit_count == 0 or not root_nonzero or expiry <= production:
            raise Rejected("DrugRegistryInvalidBatch", bid)
        if expiry <= self.now:  # born expired (issue 12, defect 7)
            raise Rejected("DrugRegistryBatchExpired", bid, expiry)
        self.batches[bid] = Batch(pid, caller_id, unit_count, expiry, State.NONE)  # recorded, not released
        return bid

    def release_status(self, bid: bytes) -> tuple[int, int, int, int, bool, int]:
        """ObservationLog.releaseStatus: (approved, pending, steps, step bits, release test OK, blocked by)."""
        b = self.batches[bid]
        p = self.products[b.product]
        bits = b.step_bits if p.approved_def and b.definition == p.approved_def else 0
        return p.approved_def, p.pending_def, p.step_count, bits, b.test_passed, b.blocked_by

    def release_batch(self, sender: str, bid: bytes) -> None:
        """T0b (domain §6.3): the product's MAH, product LISTED, the release gate of points 1, 2, 6."""
        caller_id, _ = self.authorize(sender, _MAN)
        b = self.batches.get(bid)
        if b is None:
            raise Rejected("DrugRegistryUnknownBatch", bid)
        p = self.products[b.product]
        if p.mah != caller_id:
            raise Rejected("DrugRegistryNotProductHolder", b.product, caller_id)
        if p.state != State.LISTED:
            raise Rejected("DrugRegistryNotListed", b.product, int(p.state))
        if b.state != State.NONE:
            raise Rejected("DrugRegistryInvalidTransition", bid, int(b.state), int(State.LISTED))
        if b.expiry <= self.now:
            raise Rejected("DrugRegistryBatchExpired", bid, b.expiry)
        approved, pending, steps, bits, passed, blocked_by = self.release_status(bid)
        if blocked_by:
            raise Rejected("DrugRegistryReleaseBlocked", bid, blocked_by)
        if not approved or pending:
            raise Rejected("DrugRegistryProcessNotApproved", b.product, approved, pending)
        if bits != (1 << steps) - 1:
            raise Rejected("DrugRegistryProcessIncomplete", bid, approved, bits, steps)
        if not passed:
            raise Rejected("DrugRegistryReleaseTestMissing", bid)
        self._transition(True, bid, State.LISTED, _MAN, caller_id)
        self._holding(bid, caller_id)[0] += b.unit_count
        self.held.add((bid, caller_id))

    def _region(self, caller_id: bytes, caller: Org, org_id: bytes, error: str, *prefix: Any,
                auditors: bool = False) -> None:
        # provincial regulators (and, for counter-signatures, auditors of a regional remit) act in their region
        regional_auditor = auditors and caller.kind == Kind.AUDITOR and caller.region != 0
        if caller.kind != Kind.PROVINCIAL and not regional_auditor:
            return
        region = self.orgs[org_id].region if org_id in self.orgs else 0
        if region != caller.region:
            if error == "DrugRegistryOutsideRemit" or error == "CustodyLedgerOutsideRemit":
                raise Rejected(error, caller_id, org_id)
            raise Rejected(error, *prefix, caller_id)

    def _transition(self, is_batch: bool, ident: bytes, to: State, actor_bit: int, by: bytes) -> None:
        item = self.batches[ident] if is_batch else self.products[ident]
        frm = item.state
        mask = transition_mask(is_batch, frm, to)
        if mask == 0:
            raise Rejected("DrugRegistryInvalidTransition", ident, int(frm), int(to))
        if not mask & actor_bit:
            raise Rejected("DrugRegistryUnauthorizedTransition", ident, int(frm), int(to), by)
        item.state = State(to)
        if to == State.STOPPED:
            item.stopped_by = by

    def _check_lift(self, ident: bytes, item: Any, to: State, caller_id: bytes, caller: Org) -> None:
        """T2 needs the same or a higher authority than the stop's (issue 12, defect 1)."""
        if item.state != State.STOPPED or to != State.LISTED or item.stopped_by in (ZERO, caller_id) or \
                caller.kind not in (Kind.NATIONAL, Kind.PROVINCIAL):
            return
        if not can_lift(caller.kind, caller.region, self.orgs.get(item.stopped_by)):
            raise Rejected("DrugRegistryOutranked", ident, item.stopped_by, caller_id)

    def transition_product(self, sender: str, pid: bytes, to: State) -> None:
        caller_id, caller = self.authorize(sender, MASK["any"])
        p = self.products.get(pid)
        if p is None:
            raise Rejected("DrugRegistryUnknownProduct", pid)
        if caller.kind == Kind.MANUFACTURER and p.mah != caller_id:
            raise Rejected("DrugRegistryNotProductHolder", pid, caller_id)
        self._region(caller_id, caller, p.mah, "DrugRegistryOutsideRemit")
        self._check_lift(pid, p, to, caller_id, caller)
        self._transition(False, pid, to, bit(caller.kind), caller_id)

    def transition_batch(self, sender: str, bid: bytes, to: State, evidence: bytes = b"\x01" * 32) -> None:
        caller_id, caller = self.authorize(sender, MASK["any"])
        b = self.batches.get(bid)
        if b is None:
            raise Rejected("DrugRegistryUnknownBatch", bid)
        if b.state == State.NONE:  # T0b is releaseBatch's
            raise Rejected("DrugRegistryBatchNotReleased", bid)
        if caller.kind == Kind.MANUFACTURER and b.mah != caller_id:
            raise Rejected("DrugRegistryNotProductHolder", b.product, caller_id)
        self._region(caller_id, caller, b.mah, "DrugRegistryOutsideRemit")
        self._check_lift(bid, b, to, caller_id, caller)
        if b.state == State.RECALLED and to == State.LISTED and evidence == ZERO:
            raise Rejected("DrugRegistryEvidenceRequired", bid)
        if to == State.STOPPED:
            self.auto_stop.pop(bid, None)  # a stop by decision is nobody's observation
        self._transition(True, bid, to, bit(caller.kind), caller_id)

    def effective_state(self, bid: bytes) -> State:
        b = self.batches.get(bid)
        if b is None:
            return State.NONE
        if b.state != State.LISTED:
            return b.state
        ps = self.products[b.product].state
        return b.state if ps == State.LISTED else ps

    # ------------------------------------------------------------------ custody

    def _holding(self, bid: bytes, org: bytes) -> list[int]:
        return self.holdings.setdefault((bid, org), [0, 0])

    def holding(self, bid: bytes, org: bytes) -> tuple[int, int]:
        h = self.holdings.get((bid, org), [0, 0])
        return h[0], h[1]

    def _usable(self, bid: bytes) -> Batch:
        b = self.batches.get(bid)
        if b is None or b.state == State.NONE:  # custody knows a batch from its release on
            raise Rejected("CustodyLedgerUnknownBatch", bid)
        ps = self.products[b.product].state
        if b.state != State.LISTED or ps != State.LISTED:
            raise Rejected("CustodyLedgerBatchNotListed", bid, int(b.state), int(ps))
        if self.now > b.expiry:
            raise Rejected("CustodyLedgerBatchExpired", bid, b.expiry)
        return b

    @staticmethod
    def _check_qty(q: int) -> None:
        if q == 0 or q > _UINT40_MAX:
            raise Rejected("CustodyLedgerInvalidQuantity", q)

    # ------------------------------------------------------------------ range custody (D9)
    # contracts/README.md "Unit-level custody of unpacked batches": quantity shipments take the
    # sender's units first in, first out; a receipt appends them to the receiver's queue (the
    # shipment's last units missing from the sender when fewer arrive); a rejection or void puts
    # them back at the head of the sender's queue; only the holder dispenses or decommissions.

    def queue(self, bid: bytes, org: bytes) -> list[int]:
        b = self.batches[bid]
        if (bid, b.mah) not in self.queues:
            self.queues[(bid, b.mah)] = list(range(b.unit_count))
        return self.queues.setdefault((bid, org), [])

    def place(self, bid: bytes, index: int) -> tuple[int, bytes, int]:
        """RangeLedger.rangeOf's (state, holder or sender, shipment) of a live unit."""
        if (bid, index) in self.missing:
            sender, sid = self.missing[(bid, index)]
            return 3, sender, sid
        for sid, s in enumerate(self.shipments, start=1):
            if s.batch == bid and s.status == ShipmentStatus.DISPATCHED and index in s.units:
                return 2, s.frm, sid
        self.queue(bid, self.batches[bid].mah)
        for (xb, org), units in self.queues.items():
            if xb == bid and index in units:
                return 1, org, 0
        raise AssertionError(f"unit {index} is nowhere")

    def _take(self, bid: bytes, frm: bytes, qty: int) -> list[int]:
        q = self.queue(bid, frm)
        if len(q) < qty:
            raise Rejected("RangeLedgerShortOfUnits", bid, frm, qty - len(q))
        taken, q[:] = q[:qty], q[qty:]
        return taken

    def _first_not_held(self, bid: bytes, units: list[int], holder: bytes) -> None:
        q = self.queue(bid, holder)
        for i in units:
            if i not in q:
                raise Rejected("CustodyLedgerNotUnitHolder", bid, i, holder)

    def _gone(self, bid: bytes, holder: bytes, units: list[int]) -> None:
        q = self.queue(bid, holder)
        q[:] = [i for i in q if i not in units]

    def dispatch(self, sender: str, bid: bytes, to: bytes, carrier: bytes, qty: int) -> int:
        frm, _ = self.authorize(sender, MASK["forward_senders"])
        self._check_qty(qty)
        if self._usable(bid).per_case:  # a packed batch moves by container only
            raise Rejected("CustodyLedgerPackedBatch", bid)
        return self._forward(frm, bid, to, carrier, qty)

    def _forward(self, frm: bytes, bid: bytes, to: bytes, carrier: bytes, qty: int, packed: bool = False) -> int:
        if to == frm:
            raise Rejected("CustodyLedgerInvalidAddressee", bid, to)
        self.require_active(to, MASK["addressees"])
        self.require_active(carrier, MASK["logistics"])
        h = self._holding(bid, frm)
        available = h[0] - h[1]
        if available < qty:
            raise Rejected("CustodyLedgerInsufficientStock", bid, frm, available, qty)
        units = [] if packed else self._take(bid, frm, qty)
        h[0] -= qty
        self.shipments.append(Shipment(bid, frm, to, carrier, qty, packed=packed, units=units))
        return len(self.shipments)

    def dispatch_return(self, sender: str, bid: bytes, to: bytes, carrier: bytes, qty: int) -> int:
        frm, _ = self.authorize(sender, MASK["return_senders"])
        b = self.batches.get(bid)
        if b is not None and b.per_case:
            raise Rejected("CustodyLedgerPackedBatch", bid)
        return self._return(frm, bid, to, carrier, qty)

    def _return(self, frm: bytes, bid: bytes, to: bytes, carrier: bytes, qty: int, packed: bool = False) -> int:
        self._check_qty(qty)
        b = self.batches.get(bid)
        if b is None:
            raise Rejected("CustodyLedgerUnknownBatch", bid)
        if to == frm:
            raise Rejected("CustodyLedgerInvalidAddressee", bid, to)
        self.require_active(to, _MAN if to == b.mah else MASK["distributor"])
        self.require_active(carrier, MASK["logistics"])
        h = self._holding(bid, frm)
        if h[0] < qty:
            raise Rejected("CustodyLedgerInsufficientStock", bid, frm, h[0], qty)
        units = [] if packed else self._take(bid, frm, qty)
        self._debit(bid, frm, qty)
        self.shipments.append(Shipment(bid, frm, to, carrier, qty, is_return=True, packed=packed, units=units))
        return len(self.shipments)

    def _debit(self, bid: bytes, org: bytes, qty: int) -> None:
        h = self._holding(bid, org)
        if h[0] < qty:
            raise Rejected("CustodyLedgerInsufficientStock", bid, org, h[0], qty)
        h[1] = max(h[1] - qty, 0)
        h[0] -= qty

    def _in_transit_for(self, sid: int, caller: bytes) -> Shipment:
        if not 1 <= sid <= len(self.shipments):
            raise Rejected("CustodyLedgerUnknownShipment", sid)
        s = self.shipments[sid - 1]
        if s.to != caller:
            raise Rejected("CustodyLedgerNotAddressee", sid, caller)
        if s.status != ShipmentStatus.DISPATCHED:
            raise Rejected("CustodyLedgerShipmentNotInTransit", sid, int(s.status))
        return s

    def receive(self, sender: str, sid: int, qty: int) -> None:
        caller, _ = self.authorize(sender, MASK["any"])
        s = self._in_transit_for(sid, caller)
        if s.packed:  # reconciled per container (receive_packed)
            raise Rejected("CustodyLedgerPackedShipment", sid)
        if qty == 0:
            raise Rejected("CustodyLedgerInvalidQuantity", 0)
        if qty > s.quantity:
            raise Rejected("CustodyLedgerReceivedTooMuch", sid, s.quantity, qty)
        self._credit_receipt(s, caller, qty)

    def _credit_receipt(self, s: Shipment, caller: bytes, qty: int) -> None:
        h = self._holding(s.batch, caller)
        h[0] += qty
        if s.is_return or s.excursion:
            h[1] += qty
        self.held.add((s.batch, caller))
        s.received, s.received_at = qty, self.now
        s.status = ShipmentStatus.PARTIAL if qty < s.quantity else ShipmentStatus.RECEIVED
        if not s.packed:
            self.queue(s.batch, caller).extend(s.units[:qty])
            sid = self.shipments.index(s) + 1
            for i in s.units[qty:]:  # the shipment's last units: missing from the sender
                self.missing[(s.batch, i)] = (s.frm, sid)

    def reject(self, sender: str, sid: int) -> None:
        caller, _ = self.authorize(sender, MASK["any"])
        s = self._in_transit_for(sid, caller)
        h = self._holding(s.batch, s.frm)
        h[0] += s.quantity
        if s.is_return or s.excursion:
            h[1] += s.quantity
        s.status = ShipmentStatus.REJECTED
        self._back_intact(sid, s)
        self._back_to_sender(s)

    def void_shipment(self, sender: str, sid: int) -> None:
        """A regulator's void of a stuck shipment: back to the sender, quarantined (issue 12, defect 6)."""
        caller_id, caller = self.authorize(sender, _REG)
        if not 1 <= sid <= len(self.shipments):
            raise Rejected("CustodyLedgerUnknownShipment", sid)
        s = self.shipments[sid - 1]
        if s.status != ShipmentStatus.DISPATCHED:
            raise Rejected("CustodyLedgerShipmentNotInTransit", sid, int(s.status))
        self._region(caller_id, caller, s.frm, "CustodyLedgerOutsideRemit")
        h = self._holding(s.batch, s.frm)
        h[0] += s.quantity
        h[1] += s.quantity
        s.status = ShipmentStatus.VOIDED
        self._back_intact(sid, s)
        self._back_to_sender(s)

    def _back_to_sender(self, s: Shipment) -> None:
        if not s.packed:
            q = self.queue(s.batch, s.frm)
            q[:0] = s.units

    def dispense(self, sender: str, bid: bytes, index: int, proof_ok: bool) -> bool:
        org, _ = self.authorize(sender, MASK["dispensers"])
        b = self.batches.get(bid)
        if b is None or b.state == State.NONE:
            raise Rejected("CustodyLedgerUnknownBatch", bid)
        if index >= b.unit_count:
            raise Rejected("CustodyLedgerUnitOutOfRange", bid, index, b.unit_count)
        if not proof_ok:
            raise Rejected("CustodyLedgerInvalidProof", bid, index)
        if (bid, index) in self.dispensed or (bid, index) in self.decommissioned:
            # DuplicateDispense (DecommissionedUnitPresented), nothing changes -- in every lifecycle state and after expiry,
            # so the counterfeit/diversion alert is never lost to a usability revert.
            return False
        if not b.per_case and (bid, index) in self.missing:
            return False  # MissingUnitPresented: an alert, nothing changes
        self._usable(bid)
        if b.per_case and self._loose_seq(bid, index) != self.orgs[org].seq:  # D9: only its holder
            raise Rejected("CustodyLedgerNotUnitHolder", bid, index, org)
        if not b.per_case and index not in self.queue(bid, org):
            raise Rejected("CustodyLedgerNotUnitHolder", bid, index, org)
        h = self._holding(bid, org)
        if h[0] - h[1] == 0:
            raise Rejected("CustodyLedgerInsufficientStock", bid, org, 0, 1)
        h[0] -= 1
        self.dispensed.add((bid, index))
        if not b.per_case:
            self._gone(bid, org, [index])
        return True

    def _unit_list(self, bid: bytes, indices: list[int], proof_ok: bool) -> None:
        b = self.batches.get(bid)
        if b is None or b.state == State.NONE:
            raise Rejected("CustodyLedgerUnknownBatch", bid)
        if not indices:
            raise Rejected("CustodyLedgerInvalidUnitList", 0)
        for i in range(1, len(indices)):
            if indices[i] <= indices[i - 1]:
                raise Rejected("CustodyLedgerInvalidUnitList", i)
        if indices[-1] >= b.unit_count:
            raise Rejected("CustodyLedgerUnitOutOfRange", bid, indices[-1], b.unit_count)
        if not proof_ok:
            raise Rejected("CustodyLedgerInvalidProof", bid, indices[0])

    def unit_state(self, bid: bytes, index: int) -> int:
        """CustodyLedger.unitState: 0 ACTIVE, 1 DISPENSED, else the decommissioned state."""
        if (bid, index) in self.decommissioned:
            return self.decommissioned[(bid, index)]
        return 1 if (bid, index) in self.dispensed else 0

    def dispense_many(self, sender: str, bid: bytes, indices: list[int], proof_ok: bool) -> int:
        org, _ = self.authorize(sender, MASK["dispensers"])
        self._unit_list(bid, indices, proof_ok)
        fresh = [i for i in indices if self.unit_state(bid, i) == 0]  # the others only alert
        if not fresh:
            return 0
        self._usable(bid)
        self._require_loose(bid, fresh, org)
        h = self._holding(bid, org)
        if h[0] - h[1] < len(fresh):
            raise Rejected("CustodyLedgerInsufficientStock", bid, org, h[0] - h[1], len(fresh))
        h[0] -= len(fresh)
        self.dispensed.update((bid, i) for i in fresh)
        if not self.batches[bid].per_case:
            self._gone(bid, org, fresh)
        return len(fresh)

    def decommission(self, sender: str, bid: bytes, indices: list[int], proof_ok: bool, state: int,
                     holder: bytes) -> None:
        caller_id, caller = self.authorize(sender, MASK["holders"] | _REG)
        if caller.kind in (Kind.NATIONAL, Kind.PROVINCIAL):
            if state != 5:  # official sampling only
                raise Rejected("CustodyLedgerInvalidUnitState", state)
            self._region(caller_id, caller, holder, "CustodyLedgerOutsideRemit")
        else:
            if holder != caller_id:
                raise Rejected("CustodyLedgerOutsideRemit", caller_id, holder)
            if state < 2:
                raise Rejected("CustodyLedgerInvalidUnitState", state)
        self._unit_list(bid, indices, proof_ok)
        for i in indices:
            if self.unit_state(bid, i):
                raise Rejected("CustodyLedgerUnitGone", bid, i, self.unit_state(bid, i))
        self._require_loose(bid, indices, holder)
        self._debit(bid, holder, len(indices))
        for i in indices:
            self.decommissioned[(bid, i)] = state
        if not self.batches[bid].per_case:
            self._gone(bid, holder, indices)
        if holder != self.batches[bid].mah:  # left the market without coming back
            self.decommissioned_off[bid] = self.decommissioned_off.get(bid, 0) + len(indices)

    # ------------------------------------------------------------------ packing (issue 17A)
    # contracts/README.md "Packing and unit-level custody": a pallet without a place of its own is
    # with the MAH, a case or unit without one is inside its parent (loose with the parent's holder
    # once the parent is opened); intact containers move whole; a unit of a packed batch is
    # dispensed (decommissioned) only by the organisation holding it loose.

    def commit_packed_batch(self, sender: str, pid: bytes, bid: bytes, production: int, expiry: int,
                            unit_count: int, packing_root: bytes, per_case: int, per_pallet: int) -> bytes:
        if packing_root == ZERO or per_case == 0 or per_pallet == 0:  # checked before the caller
            raise Rejected("DrugRegistryInvalidPacking", packing_root, per_case, per_pallet)
        self.commit_batch(sender, pid, bid, production, expiry, unit_count)
        b = self.batches[bid]
        b.per_case, b.per_pallet = per_case, per_pallet
        return bid

    def _layout(self, bid: bytes) -> Batch:
        b = self.batches.get(bid)
        if b is None or not b.per_case:
            raise Rejected("PackingLedgerNotPacked", bid)
        return b

    @staticmethod
    def case_count(b: Batch) -> int:
        return -(-b.unit_count // b.per_case)

    def pallet_count(self, b: Batch) -> int:
        return -(-self.case_count(b) // b.per_pallet)

    def _check_key(self, bid: bytes, b: Batch, key: int) -> None:
        level, index = key >> _LEVEL_SHIFT, key & _INDEX_MASK
        count = {UNIT: b.unit_count, CASE: self.case_count(b), PALLET: self.pallet_count(b)}.get(level, 0)
        if index >= count:
            raise Rejected("PackingLedgerUnknownContainer", bid, key)

    @staticmethod
    def _units_in(b: Batch, key: int) -> int:
        level, index = key >> _LEVEL_SHIFT, key & _INDEX_MASK
        if level == UNIT:
            return 1
        span = b.per_case if level == CASE else b.per_case * b.per_pallet
        return min((index + 1) * span, b.unit_count) - index * span

    @staticmethod
    def children(b: Batch, key: int, case_count: int) -> list[int]:
        level, index = key >> _LEVEL_SHIFT, key & _INDEX_MASK
        if level == CASE:
            return list(range(index * b.per_case, min((index + 1) * b.per_case, b.unit_count)))
        return [container_key(CASE, c) for c in range(index * b.per_pallet, min((index + 1) * b.per_pallet,
                                                                                   case_count))]

    def where(self, bid: bytes, key: int) -> tuple[int, bytes, int, bool]:
        """PackingLedger.containerState: (status, holder, shipment, inside its intact parent)."""
        box = self.boxes.get((bid, key))
        if box is not None:
            return box.status, box.holder, box.shipment if box.status in (TRANSIT, MISSING) else 0, False
        b = self.batches[bid]
        level, index = key >> _LEVEL_SHIFT, key & _INDEX_MASK
        if level == PALLET:
            return HELD, b.mah, 0, False
        parent = container_key(CASE, index // b.per_case) if level == UNIT else \
            container_key(PALLET, index // b.per_pallet)
        status, holder, shipment, _ = self.where(bid, parent)
        if status == OPENED:
            return HELD, holder, 0, False  # loose with the holder of its opened parent
        return status, holder, shipment, True

    def loose_holder(self, bid: bytes, index: int) -> bytes | None:
        """Who holds unit ``index`` loose (None: inside a case, in transit, missing)."""
        status, holder, _, inside = self.where(bid, index)
        return holder if status == HELD and not inside else None

    def _loose_seq(self, bid: bytes, index: int) -> int:
        holder = self.loose_holder(bid, index)
        return self.orgs[holder].seq if holder is not None else 0

    def _require_loose(self, bid: bytes, units: list[int], holder: bytes) -> None:
        if not self.batches[bid].per_case:  # an unpacked batch: in one of the holder's ranges (D9)
            self._first_not_held(bid, units, holder)
            return
        seq = self.orgs[holder].seq if holder in self.orgs else 0
        for i in units:
            if self._loose_seq(bid, i) != seq:
                raise Rejected("CustodyLedgerNotUnitHolder", bid, i, holder)

    def _back_intact(self, sid: int, s: Shipment) -> None:
        """A rejected or voided packed shipment: its containers are back, intact, with the sender."""
        for key in s.items:
            box = self.boxes.get((s.batch, key))
            if box is not None and box.status == TRANSIT and box.shipment == sid:
                self.boxes[(s.batch, key)] = Box(HELD, s.frm, 0, back_from=sid)

    def dispatch_packed(self, sender: str, bid: bytes, to: bytes, carrier: bytes, items: list[int],
                        is_return: bool) -> int:
        frm, _ = self.authorize(sender, MASK["return_senders"] if is_return else MASK["forward_senders"])
        b = self._layout(bid)
        if not items:
            raise Rejected("PackingLedgerUnsortedList", 0)
        qty = 0
        for i, key in enumerate(items):
            if i and key <= items[i - 1]:
                raise Rejected("PackingLedgerUnsortedList", i)
            self._check_key(bid, b, key)
            qty += self._units_in(b, key)
        if is_return:
            sid = self._return(frm, bid, to, carrier, qty, packed=True)
        else:
            self._usable(bid)
            sid = self._forward(frm, bid, to, carrier, qty, packed=True)
        for key in items:
            status, holder, _, inside = self.where(bid, key)
            if inside or status != HELD or holder != frm:
                raise Rejected("PackingLedgerNotHolder", bid, key, frm, status)
            if key >> _LEVEL_SHIFT == UNIT and self.unit_state(bid, key):
                raise Rejected("PackingLedgerUnitGone", bid, key)
            self.boxes[(bid, key)] = Box(TRANSIT, frm, sid)
        self.shipments[sid - 1].items = tuple(items)
        return sid

    def receive_packed(self, sender: str, sid: int, items: list[int], missing: list[int], extra: list[int]) -> None:
        org, _ = self.authorize(sender, MASK["any"])
        bid = self.shipments[sid - 1].batch if 1 <= sid <= len(self.shipments) else ZERO
        b = self._layout(bid)
        listed = 0
        for i, key in enumerate(items):
            if i and key <= items[i - 1]:
                raise Rejected("PackingLedgerUnsortedList", i)
            box = self.boxes.get((bid, key))
            if box is None or not ((box.status == TRANSIT and box.shipment == sid) or box.back_from == sid):
                raise Rejected("PackingLedgerManifestMismatch", sid)
            listed += self._units_in(b, key)
        short = 0
        for i, key in enumerate(missing):
            if i and key <= missing[i - 1]:
                raise Rejected("PackingLedgerUnsortedList", i)
            if key not in items:  # a case of a shipped pallet, which then arrives opened
                pallet = container_key(PALLET, (key & _INDEX_MASK) // b.per_pallet)
                if key >> _LEVEL_SHIFT != CASE or pallet not in items or pallet in missing:
                    raise Rejected("PackingLedgerNotShipped", sid, key)
                if self.boxes[(bid, pallet)].status == TRANSIT:
                    self.boxes[(bid, pallet)] = Box(OPENED, org)
            sender_org = self.shipments[sid - 1].frm
            self.boxes[(bid, key)] = Box(MISSING, sender_org, sid)
            short += self._units_in(b, key)
        for key in items:
            box = self.boxes[(bid, key)]
            if key not in missing and box.status == TRANSIT:
                self.boxes[(bid, key)] = Box(HELD, org)
        for key in extra:
            self._check_key(bid, b, key)  # ContainerExtra: recorded, not credited
        s = self._in_transit_for(sid, org)
        if not s.packed or short > s.quantity:
            raise Rejected("CustodyLedgerNotPackedShipment", sid)
        self._credit_receipt(s, org, s.quantity - short)
        if s.quantity != listed:
            raise Rejected("PackingLedgerManifestMismatch", sid)

    def unpack(self, sender: str, bid: bytes, key: int) -> None:
        org, _ = self.authorize(sender, MASK["any"])
        b = self._layout(bid)
        self._check_key(bid, b, key)
        status, holder, _, inside = self.where(bid, key)
        if key >> _LEVEL_SHIFT == UNIT or inside or status != HELD or holder != org:
            raise Rejected("PackingLedgerNotHolder", bid, key, org, status)
        self.boxes[(bid, key)] = Box(OPENED, org)

    def repack(self, sender: str, bid: bytes, key: int) -> None:
        org, _ = self.authorize(sender, MASK["any"])
        b = self._layout(bid)
        self._check_key(bid, b, key)
        status, holder, _, inside = self.where(bid, key)
        if key >> _LEVEL_SHIFT == UNIT or inside or status != OPENED or holder != org:
            raise Rejected("PackingLedgerNotHolder", bid, key, org, status)
        kids = self.children(b, key, self.case_count(b))
        if key >> _LEVEL_SHIFT == CASE and any(self.unit_state(bid, u) for u in kids):
            raise Rejected("PackingLedgerUnitGone", bid, kids[0])
        for kid in kids:  # every child back, loose, with the caller
            box = self.boxes.get((bid, kid))
            if box is not None and (box.status != HELD or box.holder != org):
                raise Rejected("PackingLedgerNotHolder", bid, kid, org, box.status)
        for kid in kids:
            self.boxes.pop((bid, kid), None)
        self.boxes[(bid, key)] = Box(HELD, org)

    def release_quarantine(self, sender: str, bid: bytes, holder: bytes, qty: int) -> None:
        caller_id, caller = self.authorize(sender, _REG)
        self._region(caller_id, caller, holder, "CustodyLedgerOutsideRemit")
        if qty == 0:
            raise Rejected("CustodyLedgerInvalidQuantity", 0)
        h = self._holding(bid, holder)
        if h[1] < qty:
            raise Rejected("CustodyLedgerNotQuarantined", bid, holder, h[1], qty)
        h[1] -= qty

    def _quarantine(self, bid: bytes, org: bytes, qty: int) -> int:
        h = self._holding(bid, org)
        amount = min(qty, h[0] - h[1])
        h[1] += amount
        return amount

    # ------------------------------------------------------------------ observations

    def record_observation(self, sender: str, point: Point, subject: bytes, shipment: int,
                           result: Result, lo: int, hi: int, evidence: bytes = ZERO) -> dict[str, Any]:
        """Returns what the automatic action did: {'stopped', 'excursion', 'quarantined', 'threshold'}."""
        mask = REPORTERS.get(Point(point), 0)
        if mask == 0:
            raise Rejected("ObservationLogInvalidPoint", int(point))
        org_id, org = self.authorize(sender, mask)
        if point == Point.PROCESS_DEFINITION:
            mah = self.products[subject].mah if subject in self.products else ZERO
        else:
            mah = self.batches[subject].mah if subject in self.batches else ZERO
        if mah == ZERO:
            raise Rejected("ObservationLogUnknownSubject", int(point), subject)
        if org.kind == Kind.MANUFACTURER and mah != org_id:
            raise Rejected("ObservationLogUnauthorizedReporter", int(point), org_id)
        if org.kind == Kind.PROVINCIAL and self.orgs[mah].region != org.region:
            raise Rejected("ObservationLogUnauthorizedReporter", int(point), org_id)
        if point in (Point.TRANSPORT, Point.STORAGE) and lo > hi:
            raise Rejected("ObservationLogInvalidRange", lo, hi)
        if point == Point.TRANSPORT:
            s = self.shipments[shipment - 1] if 1 <= shipment <= len(self.shipments) else None
            if s is None or s.batch != subject or s.carrier != org_id:
                raise Rejected("ObservationLogInvalidShipment", shipment, subject, org_id)
        if point == Point.ORDER and self.effective_state(subject) != State.LISTED:
            raise Rejected("ObservationLogSubjectNotListed", subject)
        if point == Point.ORDER and self.now > self.batches[subject].expiry:
            raise Rejected("ObservationLogSubjectExpired", subject, self.batches[subject].expiry)
        pid = subject if point == Point.PROCESS_DEFINITION else self.batches[subject].product
        product = self.products[pid]
        if point == Point.PROCESS_DEFINITION and org.kind == Kind.MANUFACTURER and not 1 <= hi <= 256:
            raise Rejected("ObservationLogInvalidStepCount", pid, hi)
        if point == Point.PROCESS_PROGRESS:
            if not product.approved_def:
                raise Rejected("ObservationLogNoApprovedProcess", pid)
            if not 0 <= lo < product.step_count:
                raise Rejected("ObservationLogInvalidStep", subject, lo, product.step_count)
        self.observations += 1
        self.obs_reporters[self.observations] = org_id
        self.obs_info[self.observations] = (Point(point), subject, Result(result), self.now,
                                            int(self.batches[subject].state) if subject in self.batches else 0)
        out: dict[str, Any] = {"id": self.observations, "stopped": False, "excursion": False,
                               "quarantined": 0, "threshold": False}
        if point == Point.INSPECTION:
            b = self.batches[subject]
            failed = result in (Result.FAIL, Result.SERIOUS)
            # a block is lifted or replaced only by the same or a higher authority (issue 12, 1)
            imposer = self.obs_reporters.get(b.blocked_by)
            outranks = not b.blocked_by or imposer == org_id or can_lift(org.kind, org.region, self.orgs[imposer])
            if org.kind == Kind.MANUFACTURER:  # the MAH's latest inspection is the release test
                b.test_failed = b.test_failed or failed  # a FAIL stays (issue 12, defect 9)
                b.test_passed = result == Result.OK and not b.test_failed
            elif failed and b.state == State.NONE:  # a regulator's FAIL blocks the release
                if outranks:
                    b.blocked_by = self.observations
            elif result == Result.OK:
                if b.test_failed:  # a regulator's re-test clears the MAH's failed release test
                    b.test_failed, b.test_passed = False, True
                if outranks:  # ... and lifts its block if it ranks high enough
                    b.blocked_by = 0
            if failed:
                out["stopped"] = self._stop_if_listed(subject, org_id)
        elif point == Point.PROCESS_DEFINITION:
            if org.kind == Kind.MANUFACTURER:
                self.definitions[self.observations] = (evidence, hi)
                product.pending_def = self.observations
            elif result in (Result.OK, Result.FAIL) and product.pending_def and \
                    self.definitions[product.pending_def][0] == evidence and \
                    (result == Result.FAIL or self.definitions[product.pending_def][1] == hi):  # approves/rejects
                if result == Result.OK:
                    product.approved_def = product.pending_def
                    product.step_count = self.definitions[product.pending_def][1]
                product.pending_def = 0
        elif point == Point.PROCESS_PROGRESS:
            if result == Result.OK:
                b = self.batches[subject]
                if b.definition != product.approved_def:
                    b.definition, b.step_bits = product.approved_def, 0
                b.step_bits |= 1 << lo
        elif point in (Point.TRANSPORT, Point.STORAGE):
            p = self.products[self.batches[subject].product]
            if not (lo >= p.min_temp and hi <= p.max_temp):
                out["excursion"] = True
                if point == Point.TRANSPORT:
                    out["quarantined"] = self._flag_excursion(shipment)
                else:
                    out["quarantined"] = self._quarantine(subject, org_id, UINT64_MAX)
        elif point == Point.ADVERSE_REACTION and result == Result.SERIOUS:
            p = self.products[self.batches[subject].product]
            # counts only from a regulator or a past holder, each once per window (issue 12, 3)
            last = self.last_counted.get((subject, org_id), 0)
            if org.kind not in (Kind.NATIONAL, Kind.PROVINCIAL) and (subject, org_id) not in self.held:
                return out
            if last and (p.adr_window == 0 or last + p.adr_window >= self.now):
                return out
            self.last_counted[(subject, org_id)] = self.now
            total = self.serious.get(subject, 0) + 1
            self.serious[subject] = total
            self.serious_no[self.observations] = total
            times = self.serious_times.setdefault(subject, [])
            times.append(self.now)
            voided = self.serious_voided.get(subject, 0)
            count = total - voided
            p = self.products[self.batches[subject].product]
            # domain §6.4 obs. 8: `threshold` serious reports within the window (none: ever); voided
            # reports leave holes in the ring (issue 12)
            if p.adr_threshold and count >= p.adr_threshold and (
                    p.adr_window == 0 or (times[-p.adr_threshold] >= self.now - p.adr_window if not voided else
                                          self.counted_within(subject, total, total, self.now, p.adr_window)
                                          >= p.adr_threshold)):
                out["threshold"] = True
                out["stopped"] = p.adr_autostop and self._stop_if_listed(subject, org_id)
        return out

    def serious_within(self, bid: bytes, window: int) -> int:
        """SERIOUS reports on the batch at or after now - window (0: all), among the latest 32."""
        times = self.serious_times.get(bid, [])
        if window == 0:
            return len(times) - self.serious_voided.get(bid, 0)  # as seriousReactionCount (issue 12)
        return sum(1 for t in times[-ADR_MAX_THRESHOLD:] if t >= self.now - window)

    def _stop_if_listed(self, bid: bytes, by: bytes) -> bool:
        b = self.batches[bid]
        if b.state != State.LISTED:
            return False
        b.state = State.STOPPED
        b.stopped_by = by
        self.auto_stop[bid] = self.observations  # T1 by the suite: the observation is the reason
        return True

    def _flag_excursion(self, sid: int) -> int:
        s = self.shipments[sid - 1]
        already = s.is_return or s.excursion  # returns and flagged shipments are quarantined once
        s.excursion = True
        if s.status == ShipmentStatus.DISPATCHED or already:
            return 0
        if s.status == ShipmentStatus.REJECTED:
            return self._quarantine(s.batch, s.frm, s.quantity)
        return self._quarantine(s.batch, s.to, s.received)

    # ------------------------------------------------------------------ recalls

    def open_recall(self, sender: str, pid: bytes, bid: bytes, level: Level) -> int:
        if level == Level.NONE:
            raise Rejected("RecallManagerInvalidLevel", 0)
        caller_id, caller = self.authorize(sender, MASK["openers"])
        if bid != ZERO:
            b = self.batches.get(bid)
            if b is None or b.product != pid:
                raise Rejected("RecallManagerInvalidScope", pid, bid)
            mah = b.mah
        else:
            p = self.products.get(pid)
            if p is None:
                raise Rejected("RecallManagerInvalidScope", pid, bid)
            mah = p.mah
        if caller.kind == Kind.MANUFACTURER:
            if mah != caller_id:
                raise Rejected("RecallManagerUnauthorized", 0, caller_id)
            kind = RecallKind.VOLUNTARY
        else:
            self._region(caller_id, caller, mah, "RecallManagerUnauthorized", 0)
            kind = RecallKind.ORDERED
        rec = Recall(pid, bid, mah, caller_id, Level(level), kind, RecallStatus.OPEN,
                     self.now, self.now + LEVEL_INTERVAL[Level(level)])
        rid = len(self.recalls) + 1
        if bid != ZERO:
            rec.mah_at_open = self.holding(bid, mah)[0]
            rec.in_market_at_open = self.stock(bid)[0] - rec.mah_at_open
            rec.written_off_at_open = self.written_off(bid)
            # issue 12: a follow-up case on a RECALLED batch once its latest case is CLOSED
            previous = self.latest_case(bid)
            if self.batches[bid].state == State.RECALLED:
                if self.recalls[previous - 1].status != RecallStatus.CLOSED:
                    raise Rejected("RecallManagerCaseStillOpen", bid, previous)
                rec.follow_up_of = previous
                self.recalls.append(rec)
                return rid
            parent = self.latest_case(pid)
            if parent and self.recalls[parent - 1].status != RecallStatus.CLOSED:
                rec.product_case = parent
        self._transition(bid != ZERO, bid if bid != ZERO else pid, State.RECALLED, SYSTEM, caller_id)
        if rec.product_case:
            self.recalls[rec.product_case - 1].in_market_at_open += rec.in_market_at_open
        self.recalls.append(rec)
        return rid

    def latest_case(self, scope: bytes) -> int:
        """RecallManager.latestCase: the latest case of a batch (batch scope) or product (product-wide)."""
        for i in range(len(self.recalls), 0, -1):
            c = self.recalls[i - 1]
            if (c.batch == scope) or (c.batch == ZERO and c.product == scope):
                return i
        return 0

    def _case(self, rid: int) -> Recall:
        if not 1 <= rid <= len(self.recalls):
            raise Rejected("RecallManagerUnknownRecall", rid)
        return self.recalls[rid - 1]

    def _mah_case(self, sender: str, rid: int, status: RecallStatus) -> Recall:
        caller_id, _ = self.authorize(sender, _MAN)
        c = self._case(rid)
        if c.mah != caller_id:
            raise Rejected("RecallManagerUnauthorized", rid, caller_id)
        if c.status != status:
            raise Rejected("RecallManagerInvalidStatus", rid, int(c.status))
        return c

    def issue_notice(self, sender: str, rid: int) -> bool:
        c = self._mah_case(sender, rid, RecallStatus.OPEN)
        c.notice_at = c.last_progress_at = self.now
        c.status = RecallStatus.NOTIFIED
        return self.now > c.notice_deadline  # late

    def report_progress(self, sender: str, rid: int) -> bool:
        c = self._mah_case(sender, rid, RecallStatus.NOTIFIED)
        overdue = self.now > c.last_progress_at + LEVEL_INTERVAL[c.level]
        c.progress_count += 1
        c.last_progress_at = self.now
        return overdue

    def record_recovery(self, sender: str, rid: int, qty: int) -> tuple[int, int]:
        caller_id, _ = self.authorize(sender, MASK["holders"])
        c = self._case(rid)
        if c.status not in (RecallStatus.OPEN, RecallStatus.NOTIFIED):
            raise Rejected("RecallManagerInvalidStatus", rid, int(c.status))
        if c.batch == ZERO:
            raise Rejected("RecallManagerNotBatchScope", rid)
        if qty == 0:
            raise Rejected("RecallManagerInvalidQuantity", 0)
        org_total = self.recovered.get((rid, caller_id), 0) + qty
        case_total = self.recovered.get((rid, ZERO), 0) + qty
        held = self.holding(c.batch, caller_id)[0]
        if caller_id == c.mah:
            held = max(0, held - c.mah_at_open)
        if org_total > held:
            raise Rejected("RecallManagerRecoveryExceedsHolding", rid, caller_id, held, org_total)
        if case_total > c.in_market_at_open:
            raise Rejected("RecallManagerRecoveryExceedsCirculation", rid, c.in_market_at_open, case_total)
        self.recovered[(rid, caller_id)] = org_total
        self.recovered[(rid, ZERO)] = case_total
        return org_total, case_total

    def complete_recall(self, sender: str, rid: int) -> None:
        c = self._mah_case(sender, rid, RecallStatus.NOTIFIED)
        c.completed_at = self.now
        c.status = RecallStatus.COMPLETED

    def evaluate_recall(self, sender: str, rid: int, accepted: bool) -> None:
        caller_id, caller = self.authorize(sender, _REG)
        c = self._case(rid)
        if c.status != RecallStatus.COMPLETED:
            raise Rejected("RecallManagerInvalidStatus", rid, int(c.status))
        self._region(caller_id, caller, c.mah, "RecallManagerUnauthorized", rid)
        c.status = RecallStatus.CLOSED if accepted else RecallStatus.NOTIFIED
        if accepted and self._may_destroy(c, False):
            self._transition(True, c.batch, State.DESTROYED, SYSTEM, caller_id)

    def record_destruction(self, sender: str, rid: int, qty: int, final: bool) -> int:
        caller_id, _ = self.authorize(sender, MASK["holders"])
        c = self._case(rid)
        if c.batch == ZERO:
            raise Rejected("RecallManagerNotBatchScope", rid)
        latest = self.latest_case(c.batch)
        if latest != rid:  # issue 12: a follow-up case supersedes the closed one
            raise Rejected("RecallManagerSuperseded", rid, latest)
        if qty == 0:  # a CLOSED case still takes the close-out destruction (issue 12, defect 6)
            raise Rejected("RecallManagerInvalidQuantity", 0)
        held = self.holding(c.batch, caller_id)[0]
        if qty > held:
            raise Rejected("RecallManagerExceedsHolding", rid, caller_id, held, qty)
        self.destructions.append(Destruction(rid, caller_id, qty, final, recorded_by=caller_id))
        return len(self.destructions)

    def countersign(self, sender: str, did: int) -> bool:
        caller_id, caller = self.authorize(sender, MASK["supervisors"])
        if not 1 <= did <= len(self.destructions):
            raise Rejected("RecallManagerUnknownDestruction", did)
        d = self.destructions[did - 1]
        if d.status != DestructionStatus.RECORDED:
            raise Rejected("RecallManagerDestructionNotPending", did, int(d.status))
        # no self-countersign check: executors are holder kinds, supervisors are not
        self._region(caller_id, caller, d.executor, "RecallManagerUnauthorized", d.recall, auditors=True)
        if d.recorded_by == caller_id:  # a regulator that recorded for a suspended holder (issue 12)
            raise Rejected("RecallManagerSelfCountersign", did, caller_id)
        d.supervisor = caller_id
        d.status = DestructionStatus.CONFIRMED
        c = self.recalls[d.recall - 1]
        bid = c.batch
        self._debit(bid, d.executor, d.quantity)
        c.destroyed += d.quantity
        if c.product_case:
            self.recalls[c.product_case - 1].destroyed += d.quantity
        # T4 only with the case CLOSED and no unit held anywhere except quarantined stock (issue 12, 4)
        batch_destroyed = self._may_destroy(c, d.final)
        if batch_destroyed:
            self._transition(True, bid, State.DESTROYED, SYSTEM, caller_id)
        return batch_destroyed

    def _may_destroy(self, c: Recall, final: bool) -> bool:
        if c.batch == ZERO or c.status != RecallStatus.CLOSED or self.batches[c.batch].state != State.RECALLED:
            return False
        if self.recalls[self.latest_case(c.batch) - 1].status != RecallStatus.CLOSED:
            return False  # issue 12: a follow-up case is open
        total, in_transit, quarantined = self.stock(c.batch)
        return in_transit == 0 and total == quarantined and (final or total == 0)

    def stock(self, bid: bytes) -> tuple[int, int, int]:
        """CustodyLedger.batchStock: (held anywhere + in transit, in transit, quarantined)."""
        held = sum(h[0] for (b, _), h in self.holdings.items() if b == bid)
        quarantined = sum(h[1] for (b, _), h in self.holdings.items() if b == bid)
        in_transit = sum(s.quantity for s in self.shipments if s.batch == bid and s.status == ShipmentStatus.DISPATCHED)
        return held + in_transit, in_transit, quarantined

    def written_off(self, bid: bytes) -> int:
        """CustodyLedger.writtenOff: units missing from partial receipts, and decommissioned at a
        holder other than the batch's MAH (cumulative)."""
        missing = sum(s.quantity - s.received for s in self.shipments
                      if s.batch == bid and s.status == ShipmentStatus.PARTIAL)
        return missing + self.decommissioned_off.get(bid, 0)

    def _case_now(self, c: Recall) -> tuple[int, int]:
        now = max(0, self.stock(c.batch)[0] - self.holding(c.batch, c.mah)[0])
        return now, self.written_off(c.batch) - c.written_off_at_open

    def recall_figures(self, rid: int) -> tuple[int, int, int, int, int, int]:
        """RecallManager.recallFigures: (at open, now, recovered, destroyed, declared, written off);
        recovered is what left the market less what was written off it (issue 12)."""
        c = self.recalls[rid - 1]
        declared = self.recovered.get((rid, ZERO), 0)
        if c.batch == ZERO:
            # issue 12: the sum over its batch cases
            kids = [self._case_now(k) for k in self.recalls if k.product_case == rid]
            now, off = sum(k[0] for k in kids), sum(k[1] for k in kids)
        else:
            now, off = self._case_now(c)
        left = max(0, c.in_market_at_open - now)
        return c.in_market_at_open, now, max(0, left - off), c.destroyed, declared, off

    # ------------------------------------------------------------------ corrections (issue 12)
    # Voids (EPCIS errorDeclaration) and a regulator acting for a holder that cannot act. Kept in
    # a section of its own: the record stays, the void changes only what was derived from it.

    #: observations whose void the model follows in full: no release-gate figure depends on them
    #: (points 3, 4, 5, 7, 8, and a regulator's failed inspection of a released batch). Voids of
    #: process definitions and steps, of a MAH's release tests and of pre-release blocks/lifts
    #: move the gate's counters, which this model keeps as booleans: not drawn by the machine.
    def void_modelled(self, oid: int) -> bool:
        info = self.obs_info.get(oid)
        if info is None:
            return False
        point, subject, result, _, state_then = info
        if point in (Point.ORDER, Point.TRANSPORT, Point.STORAGE, Point.EFFICACY, Point.ADVERSE_REACTION):
            return True
        reporter = self.orgs[self.obs_reporters[oid]]
        return point == Point.INSPECTION and result in (Result.FAIL, Result.SERIOUS) and \
            reporter.kind in (Kind.NATIONAL, Kind.PROVINCIAL) and state_then != int(State.NONE)

    def counted_within(self, bid: bytes, total: int, up_to: int, at: int, window: int) -> int:
        """ObservationLog._countedWithin: counted, non-voided reports numbered <= up_to within
        ``window`` before ``at``, among the ring's 32; older ones count when no window applies."""
        times = self.serious_times.get(bid, [])
        kept = min(total, ADR_MAX_THRESHOLD)
        count = 0
        for k in range(kept):
            no = total - k
            if no > up_to:
                continue
            t = times[no - 1]
            if t == 0:
                continue
            if window and t + window < at:
                break
            count += 1
        if window == 0 and total > kept:
            count += min(up_to, total - kept)
        return count

    def auto_stop_reason(self, bid: bytes) -> int:
        b = self.batches.get(bid)
        return self.auto_stop.get(bid, 0) if b is not None and b.state == State.STOPPED else 0

    def _lift_stop(self, bid: bytes, oid: int) -> bool:
        """DrugRegistry.systemLiftStop: only the automatic stop this observation caused."""
        if oid == 0 or self.auto_stop.get(bid, 0) != oid or self.batches[bid].state != State.STOPPED:
            return False
        del self.auto_stop[bid]
        self.batches[bid].state = State.LISTED
        return True

    def void_observation(self, sender: str, oid: int) -> None:
        caller_id, caller = self.authorize(sender, MASK["any"])
        if oid not in self.obs_info:
            raise Rejected("ObservationLogUnknownObservation", oid)
        if oid in self.voided_by:
            raise Rejected("ObservationLogAlreadyVoided", oid)
        point, subject, result, at, _ = self.obs_info[oid]
        author = self.obs_reporters[oid]
        regulator = caller.kind in (Kind.NATIONAL, Kind.PROVINCIAL)
        failed_inspection = point == Point.INSPECTION and result in (Result.FAIL, Result.SERIOUS)
        if regulator:
            if author != caller_id:
                if caller.kind == Kind.PROVINCIAL:
                    mah = self.products[subject].mah if point == Point.PROCESS_DEFINITION else \
                        self.batches[subject].mah
                    if self.orgs[mah].region != caller.region:
                        raise Rejected("ObservationLogVoidUnauthorized", oid, caller_id)
                if not can_lift(caller.kind, caller.region, self.orgs[author]):
                    raise Rejected("ObservationLogVoidUnauthorized", oid, caller_id)
        elif author != caller_id or failed_inspection:
            raise Rejected("ObservationLogVoidUnauthorized", oid, caller_id)
        assert self.void_modelled(oid), f"the model does not follow the void of observation {oid} ({point.name})"
        self.voided_by[oid] = caller_id
        if failed_inspection and regulator:
            self._lift_stop(subject, oid)
        elif point == Point.ADVERSE_REACTION and oid in self.serious_no:
            self._unwind_serious(oid, subject, author, at, regulator)

    def _unwind_serious(self, oid: int, bid: bytes, author: bytes, at: int, regulator: bool) -> None:
        n = self.serious_no[oid]
        total = self.serious[bid]
        self.serious_voided[bid] = self.serious_voided.get(bid, 0) + 1
        if n + ADR_MAX_THRESHOLD > total:
            self.serious_times[bid][n - 1] = 0
        if self.last_counted.get((bid, author)) == at:
            self.last_counted[(bid, author)] = 0
        if not regulator:
            return
        stop = self.auto_stop_reason(bid)
        if stop == 0:
            return
        if stop != oid:
            stop_no = self.serious_no.get(stop, 0)
            if stop_no == 0 or n > stop_no:
                return
            p = self.products[self.batches[bid].product]
            left = self.counted_within(bid, total, stop_no, self.obs_info[stop][3], p.adr_window)
            if p.adr_threshold and left >= p.adr_threshold:
                return
        self._lift_stop(bid, stop)

    def void_batch(self, sender: str, bid: bytes) -> None:
        """T8: a mis-committed batch -> VOIDED while every released unit is still with the MAH."""
        caller_id, caller = self.authorize(sender, _MAN | _REG)
        b = self.batches.get(bid)
        if b is None:
            raise Rejected("DrugRegistryUnknownBatch", bid)
        if caller.kind == Kind.MANUFACTURER and b.mah != caller_id:
            raise Rejected("DrugRegistryNotProductHolder", b.product, caller_id)
        self._region(caller_id, caller, b.mah, "DrugRegistryOutsideRemit")
        frm = b.state
        if frm == State.STOPPED and b.stopped_by not in (ZERO, caller_id):
            if caller.kind == Kind.MANUFACTURER or not can_lift(caller.kind, caller.region, self.orgs[b.stopped_by]):
                raise Rejected("DrugRegistryOutranked", bid, b.stopped_by, caller_id)
        if frm in (State.LISTED, State.STOPPED):
            total, in_transit, quarantined = self.stock(bid)
            mah_held = self.holding(bid, b.mah)[0]
            if total != b.unit_count or in_transit or quarantined or mah_held != b.unit_count:
                raise Rejected("DrugRegistryBatchMoved", bid, b.unit_count, mah_held)
        self._transition(True, bid, State.VOIDED, bit(caller.kind), caller_id)
        if frm in (State.LISTED, State.STOPPED):
            self._holding(bid, b.mah)[0] -= b.unit_count

    def void_destruction(self, sender: str, did: int) -> None:
        caller_id, caller = self.authorize(sender, MASK["holders"] | _REG)
        if not 1 <= did <= len(self.destructions):
            raise Rejected("RecallManagerUnknownDestruction", did)
        d = self.destructions[did - 1]
        if d.status == DestructionStatus.VOIDED:
            raise Rejected("RecallManagerDestructionNotPending", did, int(d.status))
        if caller.kind not in (Kind.NATIONAL, Kind.PROVINCIAL):
            if d.recorded_by != caller_id or d.status != DestructionStatus.RECORDED:
                raise Rejected("RecallManagerVoidUnauthorized", did, caller_id)
        else:
            self._region(caller_id, caller, d.executor, "RecallManagerUnauthorized", d.recall)
            for imposer in (d.recorded_by, d.supervisor if d.status == DestructionStatus.CONFIRMED else ZERO):
                if imposer not in (ZERO, caller_id) and not can_lift(caller.kind, caller.region, self.orgs[imposer]):
                    raise Rejected("RecallManagerVoidUnauthorized", did, caller_id)
        was_confirmed = d.status == DestructionStatus.CONFIRMED
        d.status = DestructionStatus.VOIDED
        if was_confirmed:
            c = self.recalls[d.recall - 1]
            if self.batches[c.batch].state == State.DESTROYED:
                raise Rejected("RecallManagerBatchDestroyed", did, c.batch)
            c.destroyed -= d.quantity
            if c.product_case:
                self.recalls[c.product_case - 1].destroyed -= d.quantity
            h = self._holding(c.batch, d.executor)
            h[0] += d.quantity
            h[1] += d.quantity
            # back on the market after a later case opened: that case covers them (issue 12)
            latest = self.latest_case(c.batch)
            if latest != d.recall and d.executor != c.mah:
                self.recalls[latest - 1].in_market_at_open += d.quantity

    def record_destruction_for(self, sender: str, rid: int, holder: bytes, qty: int, final: bool) -> int:
        """A regulator records the destruction of a suspended (or unlicensed) holder's units."""
        caller_id, caller = self.authorize(sender, _REG)
        self._region(caller_id, caller, holder, "RecallManagerUnauthorized", rid)
        org = self.orgs.get(holder)
        if org is None or not bit(org.kind) & MASK["holders"]:
            raise Rejected("RecallManagerUnauthorized", rid, holder)
        lapsed = org.licence_expiry != 0 and self.now > org.licence_expiry
        if org.status == OrgStatus.ACTIVE and not lapsed:
            raise Rejected("RecallManagerHolderCanAct", rid, holder)
        c = self._case(rid)
        if c.batch == ZERO:
            raise Rejected("RecallManagerNotBatchScope", rid)
        latest = self.latest_case(c.batch)
        if latest != rid:
            raise Rejected("RecallManagerSuperseded", rid, latest)
        if qty == 0:
            raise Rejected("RecallManagerInvalidQuantity", 0)
        held = self.holding(c.batch, holder)[0]
        if qty > held:
            raise Rejected("RecallManagerExceedsHolding", rid, holder, held, qty)
        self.destructions.append(Destruction(rid, holder, qty, final, recorded_by=caller_id))
        return len(self.destructions)
