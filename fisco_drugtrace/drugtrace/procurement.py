"""Provincial centralised procurement through settlement (issue 17 part B, seed 001).

A procurement platform publishes winning bids; a hospital orders against a live bid (the bid
fixes the price, its agreed volume caps the quantity) from an allowed distributor, who accepts or
declines; a delivery is a custody shipment counted once against the order line and accepted by
the hospital's custody receipt; the distributor invoices exactly accepted units x bid price and the
hospital records the payment, within the platform's settlement period (30 days by default) or
with an on-chain overdue alert. Amounts are integers in the currency's smallest unit (fen); times
are milliseconds. The rules are the chain's (``contracts/ProcurementLedger.sol``): every method
here is one transaction and the typed record read back after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Iterable, Mapping, Sequence

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.ids import org_ref
from fisco_drugtrace.drugtrace.suite import ZERO32
from fisco_drugtrace.errors import AmountError, NotFound

__all__ = [
    "BidStatus",
    "OrderStatus",
    "DeliveryStatus",
    "WinningBid",
    "AgreedVolume",
    "PurchaseOrder",
    "Delivery",
    "ProcurementOps",
    "DAY_MS",
    "MAX_VOLUMES_PER_CALL",
]

DAY_MS = 86_400_000
#: hospitals per ``setAgreedVolumes`` transaction (the contract's cap; longer lists are split)
MAX_VOLUMES_PER_CALL = 32


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


@dataclass(frozen=True)
class WinningBid:
    bid_id: int
    platform_org_id: bytes
    product_id: bytes
    mah_org_id: bytes
    unit_price: int
    valid_from: int
    valid_until: int
    status: BidStatus
    tender_ref: bytes

    def live_at(self, at_ms: int) -> bool:
        """Whether an order may be placed (or accepted) at ``at_ms``."""
        return self.status is BidStatus.ACTIVE and self.valid_from <= at_ms <= self.valid_until


@dataclass(frozen=True)
class AgreedVolume:
    bid_id: int
    hospital_org_id: bytes
    agreed: int
    ordered: int

    @property
    def remaining(self) -> int:
        return self.agreed - self.ordered


@dataclass(frozen=True)
class PurchaseOrder:
    order_id: int
    bid_id: int
    hospital_org_id: bytes
    distributor_org_id: bytes
    quantity: int
    in_flight: int
    accepted: int
    placed_at: int
    status: OrderStatus
    order_ref: bytes

    @property
    def open_quantity(self) -> int:
        """Units still to ship (ordered minus accepted minus in flight)."""
        return self.quantity - self.accepted - self.in_flight


@dataclass(frozen=True)
class Delivery:
    """One custody shipment counted against one order line, and its settlement."""

    shipment_id: int
    order_id: int
    shipped: int
    accepted: int
    accepted_at: int
    due_at: int
    amount: int
    paid_at: int
    status: DeliveryStatus
    overdue_flagged: bool

    def overdue_at(self, at_ms: int) -> bool:
        """Unpaid past its deadline at ``at_ms`` (the chain's rule for ``flagOverdue``)."""
        return self.status in (DeliveryStatus.ACCEPTED, DeliveryStatus.INVOICED) and at_ms > self.due_at

    @property
    def paid_late(self) -> bool:
        return self.status is DeliveryStatus.PAID and self.paid_at > self.due_at


def _amount(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AmountError(f"{what} must be a whole number of the currency's smallest unit (fen), got {value!r}")
    return value


class ProcurementOps(ServiceBase):
    """Winning bids, purchase orders, deliveries, invoices and payments (``ProcurementLedger``)."""

    # -- the platform ----------------------------------------------------------------------
    def publish_bid(self, product: bytes, unit_price: int, valid_from: int, valid_until: int,
                    distributors: Sequence[str | bytes], *, tender_ref: bytes = ZERO32,
                    volumes: Mapping[str | bytes, int] | None = None) -> WinningBid:
        """The platform publishes a winning bid (price in fen, validity in ms, 1-8 distributors)
        and, optionally, the hospitals' agreed volumes under it."""
        tx = self.suite.transact(self.suite.procurement, "publishBid", bytes(tender_ref), bytes(product),
                                 _amount(unit_price, "unit price"), int(valid_from), int(valid_until),
                                 [org_ref(d) for d in distributors])
        bid_id = next(int(args["bidId"]) for name, args in tx.events if name == "BidPublished")
        if volumes:
            self.set_agreed_volumes(bid_id, volumes)
        return self.get_bid(bid_id)

    def set_agreed_volumes(self, bid_id: int, volumes: Mapping[str | bytes, int]) -> list[AgreedVolume]:
        """The bid's platform sets hospitals' agreed volumes (split into transactions of 32)."""
        items = [(org_ref(h), int(v)) for h, v in volumes.items()]
        if not items:
            raise AmountError("no hospital volumes given")
        for start in range(0, len(items), MAX_VOLUMES_PER_CALL):
            chunk = items[start:start + MAX_VOLUMES_PER_CALL]
            self.suite.transact(self.suite.procurement, "setAgreedVolumes", int(bid_id), [h for h, _ in chunk],
                                [v for _, v in chunk])
        return [self.agreed_volume(bid_id, h) for h, _ in items]

    def withdraw_bid(self, bid_id: int, *, reason_hash: bytes = ZERO32) -> WinningBid:
        self.suite.transact(self.suite.procurement, "withdrawBid", int(bid_id), bytes(reason_hash))
        return self.get_bid(bid_id)

    def set_settlement_period(self, period_ms: int) -> int:
        """The calling platform's settlement period (1-365 days, in ms) for deliveries accepted from now."""
        self.suite.transact(self.suite.procurement, "setSettlementPeriod", int(period_ms))
        return int(period_ms)

    def settlement_period(self, platform: str | bytes) -> int:
        """A platform's settlement period in ms (30 days until it sets one)."""
        return int(self.suite.call(self.suite.procurement, "settlementPeriodOf", org_ref(platform)))

    # -- orders ------------------------------------------------------------------------------
    def place_order(self, bid_id: int, distributor: str | bytes, quantity: int, *,
                    order_ref: bytes = ZERO32) -> PurchaseOrder:
        """A hospital orders ``quantity`` units under a live bid from an allowed distributor."""
        tx = self.suite.transact(self.suite.procurement, "placeOrder", int(bid_id), org_ref(distributor),
                                 int(quantity), bytes(order_ref))
        return self.get_order(next(int(args["orderId"]) for name, args in tx.events if name == "OrderPlaced"))

    def accept_order(self, order_id: int) -> PurchaseOrder:
        self.suite.transact(self.suite.procurement, "acceptOrder", int(order_id))
        return self.get_order(order_id)

    def decline_order(self, order_id: int, *, reason_hash: bytes = ZERO32) -> PurchaseOrder:
        self.suite.transact(self.suite.procurement, "declineOrder", int(order_id), bytes(reason_hash))
        return self.get_order(order_id)

    def cancel_order(self, order_id: int, *, reason_hash: bytes = ZERO32) -> PurchaseOrder:
        self.suite.transact(self.suite.procurement, "cancelOrder", int(order_id), bytes(reason_hash))
        return self.get_order(order_id)

    def close_order(self, order_id: int, *, reason_hash: bytes = ZERO32) -> PurchaseOrder:
        """The hospital closes an accepted order short (nothing in flight); the rest goes back to its volume."""
        self.suite.transact(self.suite.procurement, "closeOrder", int(order_id), bytes(reason_hash))
        return self.get_order(order_id)

    # -- deliveries and settlement ----------------------------------------------------------
    def record_delivery(self, order_id: int, shipment_id: int) -> Delivery:
        """The distributor counts its custody shipment to the hospital against the order line."""
        self.suite.transact(self.suite.procurement, "recordDelivery", int(order_id), int(shipment_id))
        return self.get_delivery(shipment_id)

    def confirm_receipt(self, shipment_id: int) -> Delivery:
        """The ordering hospital records its custody receipt as the acceptance: the units received,
        accepted at the receipt's time, which starts the settlement clock (not this call's time)."""
        self.suite.transact(self.suite.procurement, "confirmReceipt", int(shipment_id))
        return self.get_delivery(shipment_id)

    def invoice(self, shipment_id: int, amount: int | None = None, *, invoice_ref: bytes = ZERO32) -> Delivery:
        """The distributor records the invoice; ``amount`` None: accepted units x the bid's price
        (given, it must be exactly that, or the chain refuses it). A delivery the hospital received
        but has not recorded is accepted first, at the receipt's time (the chain does it)."""
        if amount is None:
            d = self.get_delivery(shipment_id)
            accepted = d.accepted
            if d.status is DeliveryStatus.SHIPPED:  # the chain will accept the units received first
                accepted = int(self.suite.call(self.suite.custody, "getShipment", int(shipment_id))[5])
            amount = accepted * self.get_bid(self.get_order(d.order_id).bid_id).unit_price
        self.suite.transact(self.suite.procurement, "invoice", int(shipment_id), _amount(amount, "invoice amount"),
                            bytes(invoice_ref))
        return self.get_delivery(shipment_id)

    def record_payment(self, shipment_id: int, amount: int | None = None, *, payment_ref: bytes = ZERO32) -> Delivery:
        """The hospital records the payment (``amount`` None: the invoice amount); a payment after
        the deadline raises the chain's ``SettlementOverdue`` alert (``paid_late``)."""
        if amount is None:
            amount = self.get_delivery(shipment_id).amount
        self.suite.transact(self.suite.procurement, "recordPayment", int(shipment_id),
                            _amount(amount, "payment amount"), bytes(payment_ref))
        return self.get_delivery(shipment_id)

    def flag_overdue(self, shipment_id: int) -> Delivery:
        """Raise the overdue alert of an unpaid delivery past its deadline (anyone, once)."""
        self.suite.transact(self.suite.procurement, "flagOverdue", int(shipment_id))
        return self.get_delivery(shipment_id)

    # -- reads -------------------------------------------------------------------------------
    def get_bid(self, bid_id: int) -> WinningBid:
        platform, product, mah, price, start, end, status, ref = self.suite.call(
            self.suite.procurement, "getBid", int(bid_id))
        return WinningBid(int(bid_id), bytes(platform), bytes(product), bytes(mah), int(price), int(start), int(end),
                          BidStatus(int(status)), bytes(ref))

    def bids(self) -> list[WinningBid]:
        """Every bid published on this suite (ids 1..bidCount)."""
        count = int(self.suite.call(self.suite.procurement, "bidCount"))
        return [self.get_bid(i) for i in range(1, count + 1)]

    def is_allowed_distributor(self, bid_id: int, distributor: str | bytes) -> bool:
        return bool(self.suite.call(self.suite.procurement, "isAllowedDistributor", int(bid_id), org_ref(distributor)))

    def agreed_volume(self, bid_id: int, hospital: str | bytes) -> AgreedVolume:
        agreed, ordered = self.suite.call(self.suite.procurement, "volumeOf", int(bid_id), org_ref(hospital))
        return AgreedVolume(int(bid_id), org_ref(hospital), int(agreed), int(ordered))

    def get_order(self, order_id: int) -> PurchaseOrder:
        (bid, hosp, dist, qty, flight, accepted, placed, status, ref) = self.suite.call(
            self.suite.procurement, "getOrder", int(order_id))
        return PurchaseOrder(int(order_id), int(bid), bytes(hosp), bytes(dist), int(qty), int(flight), int(accepted),
                             int(placed), OrderStatus(int(status)), bytes(ref))

    def orders(self) -> list[PurchaseOrder]:
        count = int(self.suite.call(self.suite.procurement, "orderCount"))
        return [self.get_order(i) for i in range(1, count + 1)]

    def get_delivery(self, shipment_id: int) -> Delivery:
        """The delivery of a shipment (``NotFound`` when the shipment counts against no order)."""
        (order, shipped, accepted, accepted_at, due, amount, paid_at, status, flagged) = self.suite.call(
            self.suite.procurement, "getDelivery", int(shipment_id))
        if int(status) == 0:
            raise NotFound("delivery", str(int(shipment_id)))
        return Delivery(int(shipment_id), int(order), int(shipped), int(accepted), int(accepted_at), int(due),
                        int(amount), int(paid_at), DeliveryStatus(int(status)), bool(flagged))

    def deliveries(self, shipment_ids: Iterable[int]) -> list[Delivery]:
        out = []
        for sid in shipment_ids:
            try:
                out.append(self.get_delivery(sid))
            except NotFound:
                continue
        return out
