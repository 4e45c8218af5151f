"""``fisco-drugtrace void``: corrections, never overwrites (EPCIS errorDeclaration).

An observation, a destruction record or a mis-committed batch is voided by its author or a
regulator, with a reason whose hash goes on chain; the original record stays, the void is an
event, and what was derived from the record follows (release gate, ADR count, automatic stop,
holdings, recall figures). A shipment stuck in transit is voided with ``closeout void-shipment``.
The contracts decide who may void what.
"""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, id_arg, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["void"]

_reason = click.option("--reason", "reason", required=True, metavar="TEXT|@FILE",
                       help="Why the record is wrong (required): its keccak256 goes on chain "
                            "(text, or @path for a file).")


@click.group()
def void() -> None:
    """Void an observation, a destruction record or a mis-committed batch (with a reason)."""


@void.command("observation")
@click.argument("observation_id", type=click.IntRange(min=1))
@_reason
@json_option
@pass_app
def observation(app: AppContext, observation_id: int, reason: str, as_json: bool) -> None:
    """Void an observation: its author (not a failed inspection) or a regulator ranking as high.

    A regulator's void also lifts the automatic stop the observation caused, if it was the cause.
    """
    show(write_service(app).void_observation(observation_id, evidence_hash(reason)), as_json)


@void.command("destruction")
@click.argument("destruction_id", type=click.IntRange(min=1))
@_reason
@json_option
@pass_app
def destruction(app: AppContext, destruction_id: int, reason: str, as_json: bool) -> None:
    """Void a destruction record (a counter-signed one: regulators only; its units come back
    to the executor, quarantined)."""
    show(write_service(app).void_destruction(destruction_id, evidence_hash(reason)), as_json)


@void.command("batch")
@click.argument("batch_id", type=id_arg)
@_reason
@json_option
@pass_app
def batch(app: AppContext, batch_id: bytes, reason: str, as_json: bool) -> None:
    """Void a mis-committed batch (T8, terminal) while all its units are still with the MAH."""
    show(write_service(app).void_batch(batch_id, evidence_hash(reason)), as_json)
