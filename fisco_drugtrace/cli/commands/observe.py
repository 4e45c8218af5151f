"""``fisco-drugtrace observe``: record an observation at one of the eight points."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["observe"]

_POINTS = ["PROCESS_DEFINITION", "PROCESS_PROGRESS", "ORDER", "TRANSPORT", "STORAGE", "INSPECTION", "EFFICACY",
           "ADVERSE_REACTION"]


@click.command("observe")
@click.argument("point", type=click.Choice(_POINTS, case_sensitive=False))
@click.argument("subject", type=id_arg, metavar="BATCH_ID")
@click.option("--result", type=click.Choice(["OK", "DEVIATION", "FAIL", "SERIOUS"], case_sensitive=False),
              default="OK", show_default=True)
@click.option("--shipment", "shipment_id", type=int, default=0, help="Shipment (TRANSPORT observations).")
@click.option("--min", "min_value", type=int, default=0, help="Lowest value (temperatures in 0.1 °C).")
@click.option("--max", "max_value", type=int, default=0, help="Highest value.")
@evidence_option("evidence", "record (logger file, report)")
@json_option
@pass_app
def observe(app: AppContext, point: str, subject: bytes, result: str, shipment_id: int, min_value: int,
            max_value: int, evidence: str | None, as_json: bool) -> None:
    """Record an observation about BATCH_ID (a product id for PROCESS_DEFINITION).

    The chain acts on it: excursions quarantine stock, a failed inspection stops the batch,
    serious adverse reactions raise alerts. `triggered` lists what happened.
    """
    from fisco_drugtrace.drugtrace import ObservationPoint, ObservationResult

    record = write_service(app).observe(ObservationPoint[point.upper()], subject, ObservationResult[result.upper()],
                                        shipment_id=shipment_id, min_value=min_value, max_value=max_value,
                                        evidence_hash=evidence_hash(evidence))
    show(record, as_json)
