"""``fisco-drugtrace ship`` and ``receive``: move units between organisations."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["ship", "receive"]


@click.command("ship")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.option("--to", "to_org", required=True, help="Addressee (ORG).")
@click.option("--carrier", required=True, help="Logistics company (ORG).")
@click.option("--quantity", "-n", type=click.IntRange(min=1), required=True, help="Units.")
@click.option("--return", "is_return", is_flag=True, help="A return toward the manufacturer (any lifecycle state).")
@evidence_option("manifest", "despatch note / code list")
@json_option
@pass_app
def ship(app: AppContext, batch_id: bytes, to_org: str, carrier: str, quantity: int, is_return: bool,
         manifest: str | None, as_json: bool) -> None:
    """Dispatch QUANTITY units of BATCH_ID to another organisation; prints the shipment."""
    svc = write_service(app)
    send = svc.dispatch_return if is_return else svc.dispatch
    show(send(batch_id, to_org, carrier, quantity, manifest_hash=evidence_hash(manifest)), as_json)


@click.command("receive")
@click.argument("shipment_id", type=click.IntRange(min=1))
@click.option("--quantity", "-n", type=click.IntRange(min=1), default=None,
              help="Units actually received (default: all dispatched). Fewer records a discrepancy.")
@click.option("--reject", is_flag=True, help="Refuse the shipment; the units go back to the sender.")
@evidence_option("evidence", "receiving record / refusal note")
@json_option
@pass_app
def receive(app: AppContext, shipment_id: int, quantity: int | None, reject: bool, evidence: str | None,
            as_json: bool) -> None:
    """Receive (or --reject) shipment SHIPMENT_ID addressed to your organisation."""
    svc = write_service(app)
    if reject:
        show(svc.reject(shipment_id, reason_hash=evidence_hash(evidence)), as_json)
    else:
        show(svc.receive(shipment_id, quantity, evidence_hash=evidence_hash(evidence)), as_json)
