"""``fisco-drugtrace lifecycle``: stop, resume, deregister; release quarantined stock."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, read_service, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["lifecycle"]

_product_flag = click.option("--product", "is_product", is_flag=True, help="TARGET is a product, not a batch.")
_reason = click.option("--reason-id", type=int, default=0, help="Reference (e.g. an observation id).")


@click.group()
def lifecycle() -> None:
    """The five lifecycle states: LISTED, STOPPED, RECALLED, DESTROYED, DEREGISTERED."""


@lifecycle.command("stop")
@click.argument("target", type=id_arg, metavar="TARGET_ID")
@_product_flag
@_reason
@evidence_option("evidence", "decision document")
@json_option
@pass_app
def stop(app: AppContext, target: bytes, is_product: bool, reason_id: int, evidence: str | None,
         as_json: bool) -> None:
    """Emergency stop of a batch (or --product): LISTED -> STOPPED."""
    show(write_service(app).stop(target, product=is_product, reason_id=reason_id,
                                 evidence_hash=evidence_hash(evidence)), as_json)


@lifecycle.command("resume")
@click.argument("target", type=id_arg, metavar="TARGET_ID")
@_product_flag
@_reason
@evidence_option("evidence", "decision document")
@json_option
@pass_app
def resume(app: AppContext, target: bytes, is_product: bool, reason_id: int, evidence: str | None,
           as_json: bool) -> None:
    """Lift a stop (regulators): STOPPED -> LISTED."""
    show(write_service(app).resume(target, product=is_product, reason_id=reason_id,
                                   evidence_hash=evidence_hash(evidence)), as_json)


@lifecycle.command("authority")
@click.argument("target", type=id_arg, metavar="TARGET_ID")
@_product_flag
@json_option
@pass_app
def authority(app: AppContext, target: bytes, is_product: bool, as_json: bool) -> None:
    """Who imposed the stop of a batch (or --product): only the same or a higher authority lifts it."""
    svc = read_service(app)
    item = svc.get_product(target) if is_product else svc.get_batch(target)
    by = svc.stop_authority(target)
    hex_by = "0x" + by.hex() if any(by) else None
    show({"target": "0x" + bytes(target).hex(), "state": item.state.name, "stopped_by": hex_by,
          "stopped_by_name": svc.org_labels().get(hex_by or "", "") if hex_by else ""}, as_json)


@lifecycle.command("deregister")
@click.argument("product_id", type=id_arg, metavar="PRODUCT_ID")
@_reason
@evidence_option("evidence", "cancellation decision")
@json_option
@pass_app
def deregister(app: AppContext, product_id: bytes, reason_id: int, evidence: str | None, as_json: bool) -> None:
    """Cancel a product's approval (national regulator): STOPPED/RECALLED -> DEREGISTERED."""
    show(write_service(app).deregister(product_id, reason_id=reason_id, evidence_hash=evidence_hash(evidence)),
         as_json)


@lifecycle.command("release")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.argument("holder", metavar="ORG")
@click.option("--quantity", "-n", type=click.IntRange(min=1), required=True)
@evidence_option("evidence", "inspection record")
@json_option
@pass_app
def release(app: AppContext, batch_id: bytes, holder: str, quantity: int, evidence: str | None,
            as_json: bool) -> None:
    """Release quarantined units of a holding after inspection (regulators)."""
    show(write_service(app).release_quarantine(batch_id, holder, quantity, evidence_hash=evidence_hash(evidence)),
         as_json)
