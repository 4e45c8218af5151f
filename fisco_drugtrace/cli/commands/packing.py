"""``fisco-drugtrace unpack``, ``repack`` and ``decommission``: cases and pallets of packed
batches, and units that leave custody other than by dispensing (issues 17A and 12)."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["unpack", "repack", "decommission", "container_keys", "container_options"]


def container_keys(cases: tuple[int, ...], pallets: tuple[int, ...], units: tuple[int, ...] = ()) -> list[int]:
    """Contract keys of the containers named by ``--case``/``--pallet``/``--unit`` (sorted)."""
    from fisco_drugtrace.drugtrace.packing import CASE, PALLET, container_key

    return sorted([container_key(CASE, c) for c in cases] + [container_key(PALLET, p) for p in pallets]
                  + [int(u) for u in units])


def container_options(func):  # type: ignore[no-untyped-def]
    """``--case N`` / ``--pallet N`` (each repeatable): containers of a packed batch by index."""
    func = click.option("--pallet", "pallets", type=click.IntRange(min=0), multiple=True,
                        help="Pallet index in the batch's packing (repeatable).")(func)
    return click.option("--case", "cases", type=click.IntRange(min=0), multiple=True,
                        help="Case index in the batch's packing (repeatable).")(func)


def _one(cases: tuple[int, ...], pallets: tuple[int, ...]) -> int:
    keys = container_keys(cases, pallets)
    if len(keys) != 1:
        raise click.UsageError("name exactly one --case or --pallet")
    return keys[0]


@click.command("unpack")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@container_options
@json_option
@pass_app
def unpack(app: AppContext, batch_id: bytes, cases: tuple[int, ...], pallets: tuple[int, ...], as_json: bool) -> None:
    """Open (拆零) an intact case or pallet you hold: its units (cases) become loose with you, so
    they can be dispensed or shipped one by one."""
    show(write_service(app).unpack(batch_id, _one(cases, pallets)), as_json)


@click.command("repack")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@container_options
@json_option
@pass_app
def repack(app: AppContext, batch_id: bytes, cases: tuple[int, ...], pallets: tuple[int, ...], as_json: bool) -> None:
    """Close an opened case or pallet again: every unit (case) must be back with you, none gone."""
    show(write_service(app).repack(batch_id, _one(cases, pallets)), as_json)


@click.command("decommission")
@click.argument("codes", nargs=-1, required=True)
@click.option("--state", type=click.Choice(["destroyed", "stolen", "lost", "sampled"]), required=True,
              help="Why the units leave custody (a regulator records only `sampled`).")
@click.option("--holder", default=None, help="The holder debited (ORG; a regulator sampling; default: yours).")
@evidence_option("evidence", "destruction report / police report / sampling form")
@json_option
@pass_app
def decommission(app: AppContext, codes: tuple[str, ...], state: str, holder: str | None, evidence: str | None,
                 as_json: bool) -> None:
    """Record units of one batch destroyed, stolen, lost or taken as samples (one transaction).

    The holder's stock is debited; a later check of such a code says so, and presenting it for
    dispensing raises an on-chain alert."""
    show(write_service(app).decommission(list(codes), state, holder=holder, evidence_hash=evidence_hash(evidence)),
         as_json)
