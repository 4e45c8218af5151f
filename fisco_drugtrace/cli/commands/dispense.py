"""``fisco-drugtrace dispense``: dispense or sell units by their codes (once each)."""

from __future__ import annotations

from pathlib import Path

import click

from fisco_drugtrace.cli.commands._domain import iter_lines, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, progress

__all__ = ["dispense"]


@click.command("dispense")
@click.argument("codes", nargs=-1)
@click.option("--file", "codes_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read codes from a file, one a line.")
@click.option("--many", is_flag=True,
              help="One transaction for all the codes (one batch; one Merkle multiproof), e.g. a day's sales.")
@json_option
@pass_app
def dispense(app: AppContext, codes: tuple[str, ...], codes_file: Path | None, many: bool, as_json: bool) -> None:
    """Dispense each unit CODE (batch, index and proof come from the local code store).

    A code dispensed before is refused by the chain with a DuplicateDispense alert (dispensed:
    false): a warning names each such code on stderr and the exit code is 7, so scripts notice.
    """
    todo = list(codes) + (list(iter_lines(codes_file)) if codes_file else [])
    if not todo:
        raise click.UsageError("give at least one CODE or --file")
    svc = write_service(app)
    if many:
        batch = svc.dispense_many(todo)
        show([{"code": c, "batch_id": batch.batch_id, "dispensed": c in batch.dispensed, "tx_hash": batch.tx.tx_hash}
              for c in todo], as_json)
        for code in batch.alerts:
            echo(f"Warning: {code} had left custody before (dispensed or decommissioned): the chain recorded an "
                 f"alert in {batch.tx.tx_hash}", err=True)
        if batch.alerts:
            from fisco_drugtrace.cli.main import EXIT_DUPLICATE_DISPENSE

            raise click.exceptions.Exit(EXIT_DUPLICATE_DISPENSE)
        return
    results = []
    with progress("Dispensing", len(todo), enabled=not as_json and len(todo) > 1) as advance:
        for code in todo:
            results.append(svc.dispense(code))
            advance(1)
    show([{"code": r.code, "batch_id": r.batch_id, "index": r.index, "dispensed": r.dispensed,
           "tx_hash": r.tx.tx_hash} for r in results], as_json)
    duplicates = [r for r in results if not r.dispensed]
    for r in duplicates:
        echo(f"Warning: {r.code} was dispensed before: the chain recorded a DuplicateDispense alert "
             f"(possible counterfeit or diversion) in {r.tx.tx_hash}", err=True)
    if duplicates:
        from fisco_drugtrace.cli.main import EXIT_DUPLICATE_DISPENSE

        raise click.exceptions.Exit(EXIT_DUPLICATE_DISPENSE)
