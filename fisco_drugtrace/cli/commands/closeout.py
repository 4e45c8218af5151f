"""``fisco-drugtrace closeout``: the paths that keep recalled or stuck stock from being stranded.

A regulator voids a shipment stuck in transit, records destruction for a holder that cannot act
(suspended or unlicensed), the national regulator reworks a recalled batch (T7), and anyone reads
a case's figures as the chain computes them. The contracts decide who may do what.
"""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, read_service, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["closeout"]


@click.group()
def closeout() -> None:
    """Close-out paths: void a stuck shipment, destroy for a suspended holder, rework (T7), case figures."""


@closeout.command("void-shipment")
@click.argument("shipment_id", type=click.IntRange(min=1))
@evidence_option("reason", "decision")
@json_option
@pass_app
def void_shipment(app: AppContext, shipment_id: int, reason: str | None, as_json: bool) -> None:
    """Void a shipment stuck in transit (regulators): its units go back to the sender, quarantined."""
    show(write_service(app).void_shipment(shipment_id, reason_hash=evidence_hash(reason)), as_json)


@closeout.command("destroy-for")
@click.argument("recall_id", type=click.IntRange(min=1))
@click.option("--holder", required=True, help="The suspended or unlicensed holder (ORG).")
@click.option("--quantity", "-n", type=click.IntRange(min=1), required=True)
@click.option("--final", is_flag=True, help="This destruction completes the batch's disposal.")
@evidence_option("evidence", "destruction record")
@json_option
@pass_app
def destroy_for(app: AppContext, recall_id: int, holder: str, quantity: int, final: bool, evidence: str | None,
                as_json: bool) -> None:
    """Record, as a regulator, a destruction of a holder's units; another supervisor counter-signs."""
    from fisco_drugtrace.drugtrace.ids import org_ref

    show(write_service(app).record_destruction_for(recall_id, org_ref(holder), quantity, final=final,
                                                   evidence_hash=evidence_hash(evidence)), as_json)


@closeout.command("rework")
@click.argument("batch_id", type=id_arg)
@evidence_option("evidence", "rework record (required)")
@json_option
@pass_app
def rework(app: AppContext, batch_id: bytes, evidence: str | None, as_json: bool) -> None:
    """Return a RECALLED batch to LISTED after rework (T7; the national regulator, with evidence)."""
    if not evidence:
        raise click.UsageError("--evidence is required: T7 needs the rework record's hash")
    show(write_service(app).rework(batch_id, evidence_hash(evidence)), as_json)


@closeout.command("figures")
@click.argument("recall_id", type=click.IntRange(min=1))
@json_option
@pass_app
def figures(app: AppContext, recall_id: int, as_json: bool) -> None:
    """A case's figures as the chain computes them (on the market at opening / now, recovered, destroyed)."""
    show(read_service(app).recall_figures(recall_id), as_json)
