"""``fisco-drugtrace procure``: provincial centralised procurement through settlement (issue 17 B).

The platform publishes winning bids (``bid``, ``volumes``, ``withdraw``, ``period``); the hospital
orders against a live bid (``order``, ``cancel``, ``close``); the distributor accepts or declines
(``accept``, ``decline``), counts its custody shipments as deliveries (``deliver``) and invoices
(``invoice``); the hospital's custody receipt is recorded as the acceptance (``confirm``) and the
hospital records the payment (``pay``); anyone raises the alert of an unpaid delivery past its
deadline (``flag-overdue``). Amounts are in fen (the currency's smallest unit); the chain decides
every rule (no false orders: an order names a bid, never a price).
"""

from __future__ import annotations

from typing import Any

import click

from fisco_drugtrace.cli.commands._domain import DATE, evidence_hash, id_arg, read_service, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.drugtrace.procurement import DAY_MS

__all__ = ["procure"]


def _volumes(values: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in values:
        org, sep, qty = item.rpartition("=")
        if not sep or not org or not qty.strip().isdigit():
            raise click.BadParameter(f"{item!r}: use HOSPITAL=UNITS (credit code or 0x id)", param_hint="--volume")
        out[org.strip()] = int(qty)
    return out


_ref = click.option("--ref", "ref", default=None, metavar="TEXT|@FILE",
                    help="A reference (document number, or @file): its keccak256 goes on chain.")
_reason = click.option("--reason", "reason", default=None, metavar="TEXT|@FILE",
                       help="Why (text or @file): its keccak256 goes on chain.")
_shipment = click.argument("shipment_id", type=click.IntRange(min=1))
_order = click.argument("order_id", type=click.IntRange(min=1))


@click.group()
def procure() -> None:
    """Winning bids, purchase orders, deliveries, invoices, payments (ProcurementLedger)."""


# -- the platform -----------------------------------------------------------------------------
@procure.command("bid")
@click.argument("product_id", type=id_arg)
@click.option("--price", type=click.IntRange(min=1), required=True, help="Unit price in fen.")
@click.option("--from", "valid_from", type=DATE, required=True, help="Start of validity (YYYY-MM-DD or ms).")
@click.option("--until", "valid_until", type=DATE, required=True, help="End of validity (YYYY-MM-DD or ms).")
@click.option("--distributor", "distributors", multiple=True, required=True,
              help="A distributor allowed to deliver (repeat, 1 to 8).")
@click.option("--volume", "volumes", multiple=True, metavar="HOSPITAL=UNITS",
              help="A hospital's agreed volume under the bid (repeat).")
@click.option("--tender", "tender", default=None, metavar="TEXT|@FILE", help="The tender document (hashed).")
@json_option
@pass_app
def bid(app: AppContext, product_id: bytes, price: int, valid_from: int, valid_until: int,
        distributors: tuple[str, ...], volumes: tuple[str, ...], tender: str | None, as_json: bool) -> None:
    """The platform publishes a winning bid of PRODUCT_ID (and hospitals' agreed volumes)."""
    show(write_service(app).publish_bid(product_id, price, valid_from, valid_until, list(distributors),
                                        tender_ref=evidence_hash(tender), volumes=_volumes(volumes) or None), as_json)


@procure.command("volumes")
@click.argument("bid_id", type=click.IntRange(min=1))
@click.argument("volumes", nargs=-1, required=True, metavar="HOSPITAL=UNITS...")
@json_option
@pass_app
def volumes_cmd(app: AppContext, bid_id: int, volumes: tuple[str, ...], as_json: bool) -> None:
    """The bid's platform sets hospitals' agreed volumes (never below what they ordered)."""
    show(write_service(app).set_agreed_volumes(bid_id, _volumes(volumes)), as_json)


@procure.command("withdraw")
@click.argument("bid_id", type=click.IntRange(min=1))
@_reason
@json_option
@pass_app
def withdraw(app: AppContext, bid_id: int, reason: str | None, as_json: bool) -> None:
    """The bid's platform withdraws it: no new order, no acceptance of a placed one."""
    show(write_service(app).withdraw_bid(bid_id, reason_hash=evidence_hash(reason)), as_json)


@procure.command("period")
@click.argument("days", type=click.IntRange(min=1, max=365))
@json_option
@pass_app
def period(app: AppContext, days: int, as_json: bool) -> None:
    """The platform's settlement period in days (default 30) for deliveries accepted from now."""
    ms = write_service(app).set_settlement_period(days * DAY_MS)
    show({"settlement_period_days": days, "settlement_period_ms": ms}, as_json)


# -- orders -------------------------------------------------------------------------------------
@procure.command("order")
@click.argument("bid_id", type=click.IntRange(min=1))
@click.option("--distributor", required=True, help="The distributor addressed (one the bid allows).")
@click.option("-n", "--quantity", type=click.IntRange(min=1), required=True, help="Units.")
@_ref
@json_option
@pass_app
def order(app: AppContext, bid_id: int, distributor: str, quantity: int, ref: str | None, as_json: bool) -> None:
    """The hospital orders under a live bid, at its price, within its agreed volume."""
    show(write_service(app).place_order(bid_id, distributor, quantity, order_ref=evidence_hash(ref)), as_json)


@procure.command("accept")
@_order
@json_option
@pass_app
def accept(app: AppContext, order_id: int, as_json: bool) -> None:
    """The order's distributor accepts it (the bid must still be live)."""
    show(write_service(app).accept_order(order_id), as_json)


@procure.command("decline")
@_order
@_reason
@json_option
@pass_app
def decline(app: AppContext, order_id: int, reason: str | None, as_json: bool) -> None:
    """The order's distributor declines it (the quantity goes back to the hospital's volume)."""
    show(write_service(app).decline_order(order_id, reason_hash=evidence_hash(reason)), as_json)


@procure.command("cancel")
@_order
@_reason
@json_option
@pass_app
def cancel(app: AppContext, order_id: int, reason: str | None, as_json: bool) -> None:
    """The hospital cancels an order not yet accepted."""
    show(write_service(app).cancel_order(order_id, reason_hash=evidence_hash(reason)), as_json)


@procure.command("close")
@_order
@_reason
@json_option
@pass_app
def close(app: AppContext, order_id: int, reason: str | None, as_json: bool) -> None:
    """The hospital closes an accepted order short (nothing in flight)."""
    show(write_service(app).close_order(order_id, reason_hash=evidence_hash(reason)), as_json)


# -- deliveries and settlement ------------------------------------------------------------------
@procure.command("deliver")
@_order
@_shipment
@json_option
@pass_app
def deliver(app: AppContext, order_id: int, shipment_id: int, as_json: bool) -> None:
    """The distributor counts its custody shipment SHIPMENT_ID (to the order's hospital, of the
    bid's product) against ORDER_ID; over-delivery and counting a shipment twice are refused."""
    show(write_service(app).record_delivery(order_id, shipment_id), as_json)


@procure.command("confirm")
@_shipment
@json_option
@pass_app
def confirm(app: AppContext, shipment_id: int, as_json: bool) -> None:
    """Record the hospital's custody receipt of a delivery as its acceptance (the ordering
    hospital); the settlement deadline runs from the receipt's time."""
    show(write_service(app).confirm_receipt(shipment_id), as_json)


@procure.command("invoice")
@_shipment
@click.option("--amount", type=click.IntRange(min=0), default=None,
              help="Invoice amount in fen (default: accepted units x bid price, which it must equal).")
@_ref
@json_option
@pass_app
def invoice(app: AppContext, shipment_id: int, amount: int | None, ref: str | None, as_json: bool) -> None:
    """The distributor records the invoice of an accepted delivery (one the hospital received but
    has not confirmed is accepted first, at the receipt's time)."""
    show(write_service(app).invoice(shipment_id, amount, invoice_ref=evidence_hash(ref)), as_json)


@procure.command("pay")
@_shipment
@click.option("--amount", type=click.IntRange(min=0), default=None, help="Amount paid in fen (default: the invoice's).")
@_ref
@json_option
@pass_app
def pay(app: AppContext, shipment_id: int, amount: int | None, ref: str | None, as_json: bool) -> None:
    """The hospital records the payment of an invoiced delivery (late: an on-chain alert)."""
    show(write_service(app).record_payment(shipment_id, amount, payment_ref=evidence_hash(ref)), as_json)


@procure.command("flag-overdue")
@_shipment
@json_option
@pass_app
def flag_overdue(app: AppContext, shipment_id: int, as_json: bool) -> None:
    """Raise the overdue alert of an unpaid delivery past its deadline (anyone, once)."""
    show(write_service(app).flag_overdue(shipment_id), as_json)


# -- reads ---------------------------------------------------------------------------------------
@procure.command("show")
@click.argument("what", type=click.Choice(["bid", "order", "delivery", "bids", "orders", "volume"]))
@click.argument("ident", required=False)
@click.option("--hospital", default=None, help="With `volume BID_ID`: the hospital.")
@json_option
@pass_app
def show_cmd(app: AppContext, what: str, ident: str | None, hospital: str | None, as_json: bool) -> None:
    """Show a bid, an order, a delivery (by shipment id), every bid or order, or a hospital's
    agreed volume under a bid (`show volume BID_ID --hospital ORG`)."""
    svc = read_service(app)
    if what in ("bids", "orders"):
        show(svc.bids() if what == "bids" else svc.orders(), as_json)
        return
    if ident is None or not ident.isdigit() or int(ident) < 1:
        raise click.UsageError(f"`procure show {what}` needs a positive id")
    number = int(ident)
    result: Any
    if what == "bid":
        result = svc.get_bid(number)
    elif what == "order":
        result = svc.get_order(number)
    elif what == "delivery":
        result = svc.get_delivery(number)
    else:
        if not hospital:
            raise click.UsageError("`procure show volume BID_ID` needs --hospital")
        result = svc.agreed_volume(number, hospital)
    show(result, as_json)
