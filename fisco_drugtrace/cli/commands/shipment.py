"""``fisco-drugtrace ship`` and ``receive``: move units between organisations."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, show, write_service
from fisco_drugtrace.cli.commands.packing import container_keys, container_options
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["ship", "receive"]


@click.command("ship")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.option("--to", "to_org", required=True, help="Addressee (ORG).")
@click.option("--carrier", required=True, help="Logistics company (ORG).")
@click.option("--quantity", "-n", type=click.IntRange(min=1), default=None, help="Units (a batch without packing).")
@container_options
@click.option("--unit", "units", type=click.IntRange(min=0), multiple=True,
              help="A loose unit of a packed batch, by index (repeatable).")
@click.option("--return", "is_return", is_flag=True, help="A return toward the manufacturer (any lifecycle state).")
@evidence_option("manifest", "despatch note / code list")
@json_option
@pass_app
def ship(app: AppContext, batch_id: bytes, to_org: str, carrier: str, quantity: int | None, cases: tuple[int, ...],
         pallets: tuple[int, ...], units: tuple[int, ...], is_return: bool, manifest: str | None,
         as_json: bool) -> None:
    """Dispatch QUANTITY units of BATCH_ID to another organisation, or (a packed batch) the
    cases, pallets and loose units named; prints the shipment."""
    items = container_keys(cases, pallets, units)
    if (quantity is None) == (not items):
        raise click.UsageError("give either --quantity or --case/--pallet/--unit (a packed batch)")
    svc = write_service(app)
    if items:
        show(svc.ship_packed(batch_id, to_org, carrier, items, is_return=is_return,
                             manifest_hash=evidence_hash(manifest)), as_json)
        return
    send = svc.dispatch_return if is_return else svc.dispatch
    show(send(batch_id, to_org, carrier, quantity, manifest_hash=evidence_hash(manifest)), as_json)


@click.command("receive")
@click.argument("shipment_id", type=click.IntRange(min=1))
@click.option("--quantity", "-n", type=click.IntRange(min=1), default=None,
              help="Units actually received (default: all dispatched). Fewer records a discrepancy.")
@click.option("--reject", is_flag=True, help="Refuse the shipment; the units go back to the sender.")
@click.option("--packed", is_flag=True, help="A shipment of cases/pallets: received per container.")
@click.option("--missing-case", "missing_cases", type=click.IntRange(min=0), multiple=True,
              help="A listed case (or a case of a listed pallet) not found (repeatable; implies --packed).")
@click.option("--missing-pallet", "missing_pallets", type=click.IntRange(min=0), multiple=True,
              help="A listed pallet not found (repeatable; implies --packed).")
@click.option("--extra-case", "extra_cases", type=click.IntRange(min=0), multiple=True,
              help="A case found but not listed (repeatable; implies --packed).")
@evidence_option("evidence", "receiving record / refusal note")
@json_option
@pass_app
def receive(app: AppContext, shipment_id: int, quantity: int | None, reject: bool, packed: bool,
            missing_cases: tuple[int, ...], missing_pallets: tuple[int, ...], extra_cases: tuple[int, ...],
            evidence: str | None, as_json: bool) -> None:
    """Receive (or --reject) shipment SHIPMENT_ID addressed to your organisation; a packed one is
    reconciled per case and pallet (the missing and extra ones are flagged on chain)."""
    svc = write_service(app)
    if reject:
        show(svc.reject(shipment_id, reason_hash=evidence_hash(evidence)), as_json)
    elif packed or missing_cases or missing_pallets or extra_cases:
        if quantity is not None:
            raise click.UsageError("a packed shipment is received per container, not by --quantity")
        show(svc.receive_packed(shipment_id, missing=container_keys(missing_cases, missing_pallets),
                                extra=container_keys(extra_cases, ()), evidence_hash=evidence_hash(evidence)), as_json)
    else:
        show(svc.receive(shipment_id, quantity, evidence_hash=evidence_hash(evidence)), as_json)
