"""``fisco-drugtrace trace`` (a unit, a batch, a shipment) and ``verify CODE`` (the patient's check)."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import id_arg, read_service, show
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit

__all__ = ["trace", "verify"]

_no_sync = click.option("--no-sync", is_flag=True, help="Answer from the local index without syncing first.")


def _entries(entries: object) -> list[dict]:
    return [{"block": e.block_number, "contract": e.contract, "event": e.event, "args": e.args}
            for e in entries]  # type: ignore[attr-defined]


@click.group()
def trace() -> None:
    """Full traces from the auditor's index (synced from the chain first)."""


@trace.command("unit")
@click.argument("code")
@_no_sync
@json_option
@pass_app
def unit(app: AppContext, code: str, no_sync: bool, as_json: bool) -> None:
    """Everything that happened to the unit with traceability code CODE."""
    found = read_service(app).trace_unit(code, sync=not no_sync)
    if as_json:
        emit(found, True)
        return
    echo(f"unit {code}: batch {found.batch_id}; dispensed: {found.dispensed} ({found.dispense_count} presentation(s))")
    emit(_entries(found.entries), False, title="Trace")


@trace.command("batch")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@_no_sync
@json_option
@pass_app
def batch(app: AppContext, batch_id: bytes, no_sync: bool, as_json: bool) -> None:
    """Every event of a batch (dispenses counted, not listed)."""
    found = read_service(app).trace_batch(batch_id, sync=not no_sync)
    if as_json:
        emit(found, True)
        return
    emit(_entries(found.entries), False, title=f"Batch {found.batch_id}")
    echo(f"units dispensed: {found.units_dispensed}; duplicate presentations: {found.duplicate_dispenses}")


@trace.command("shipment")
@click.argument("shipment_id", type=click.IntRange(min=1))
@_no_sync
@json_option
@pass_app
def shipment(app: AppContext, shipment_id: int, no_sync: bool, as_json: bool) -> None:
    """The custody chain of one shipment: sender, carrier, addressee, and its events."""
    show(read_service(app).trace_shipment(shipment_id, sync=not no_sync), as_json)


@click.command("verify")
@click.argument("code")
@json_option
@pass_app
def verify(app: AppContext, code: str, as_json: bool) -> None:
    """Is CODE genuine, its batch listed, the unit not yet dispensed — and where has it been?

    Exit code 0 when the unit may be used, 1 when it may not.
    """
    result = read_service(app).verify_code(code)
    show(result, as_json)
    ok = result.genuine and result.listed and not result.dispensed and not result.expired
    if not ok:
        raise click.exceptions.Exit(1)
