"""``fisco-drugtrace audit``: index the suite's events, query, report and verify against the chain."""

from __future__ import annotations

from pathlib import Path

import click

from fisco_drugtrace.cli.commands._domain import id_arg, read_service, show
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, progress

__all__ = ["audit"]

_no_sync = click.option("--no-sync", is_flag=True, help="Answer from the local index without syncing first.")


@click.group()
def audit() -> None:
    """The auditor's index (SQLite under the home dir): sync, query, report, verify."""


@audit.command("sync")
@click.option("--step", type=click.IntRange(min=1), default=500, show_default=True,
              help="Blocks per index transaction (getLogs pages are the node's, read ahead).")
@click.option("--rebuild", is_flag=True, help="Delete the index first and index the chain from the start.")
@json_option
@pass_app
def sync(app: AppContext, step: int, rebuild: bool, as_json: bool) -> None:
    """Index new suite events up to the chain's head (stops if the chain no longer matches)."""
    svc = read_service(app)
    if rebuild:
        svc.reset_audit_index()
    with progress("Indexing blocks", None, enabled=not as_json) as advance:
        seen = [0]

        def on_progress(done: int, total: int) -> None:
            advance(done - seen[0])
            seen[0] = done

        result = svc.audit_sync(step=step, on_progress=on_progress)
    show(result, as_json)


@audit.command("where")
@click.argument("batch_id", type=id_arg, metavar="BATCH_ID")
@click.option("--by-case", is_flag=True,
              help="A packed batch: every pallet and case and where it stands (read from the chain).")
@_no_sync
@json_option
@pass_app
def where(app: AppContext, batch_id: bytes, by_case: bool, no_sync: bool, as_json: bool) -> None:
    """Where every unit of a batch is now: holders, in transit, dispensed, destroyed, missing."""
    svc = read_service(app)
    if by_case:
        from fisco_drugtrace.drugtrace.ids import id_hex

        states = svc.where_by_case(batch_id)
        if as_json:
            show(states, True)
            return
        names = svc.org_labels()
        show([{"container": c.label, "status": c.status.name, "holder": names.get(id_hex(c.holder_org_id),
                                                                                id_hex(c.holder_org_id)),
               "shipment": c.shipment_id or "", "inside its pallet": "yes" if c.inside else ""} for c in states],
             False, title=f"Batch {id_hex(batch_id)} by case")
        return
    found = svc.where_is(batch_id, sync=not no_sync)
    if as_json:
        show(found, True)
        return
    names = svc.org_labels()
    rows = [{"holder": names.get(h.org_id, h.org_id), "in stock": h.quantity, "quarantined": h.quarantined,
             "dispensed": h.dispensed, "destroyed": h.destroyed} for h in found.holdings]
    show(rows, False, title=f"Batch {found.batch_id}: {found.unit_count} units")
    if found.in_transit:
        show(list(found.in_transit), False, title="In transit")
    echo(f"dispensed {found.dispensed}, destroyed {found.destroyed}, missing {found.missing}"
         + (f", voided {found.voided}" if found.voided else "") + "; "
         f"accounted for {found.accounted} of {found.unit_count}")


@audit.command("alerts")
@click.option("--since-block", type=int, default=0)
@_no_sync
@json_option
@pass_app
def alerts(app: AppContext, since_block: int, no_sync: bool, as_json: bool) -> None:
    """Duplicate dispenses, discrepancies, excursions, quarantines, adverse reactions, failed checks."""
    show(read_service(app).audit_alerts(since_block=since_block, sync=not no_sync), as_json, title="Alerts")


@audit.command("recalls")
@_no_sync
@json_option
@pass_app
def recalls(app: AppContext, no_sync: bool, as_json: bool) -> None:
    """Every recall case with its recovery and destruction figures."""
    show(read_service(app).audit_recalls(sync=not no_sync), as_json, title="Recall cases")


@audit.command("compliance")
@_no_sync
@json_option
@pass_app
def compliance(app: AppContext, no_sync: bool, as_json: bool) -> None:
    """Time-to-notify per case against the 1/3/7-day limits."""
    show(read_service(app).audit_compliance(sync=not no_sync), as_json, title="Time to notify")


@audit.command("report")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "csv"]), default="md", show_default=True)
@click.option("--section", type=click.Choice(["recalls", "completion", "compliance", "alerts", "evidence"]),
              default="alerts", show_default=True, help="Which table --format csv writes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@_no_sync
@json_option
@pass_app
def report(app: AppContext, fmt: str, section: str, out: Path | None, no_sync: bool, as_json: bool) -> None:
    """The auditor's report: recall cases, completion, time-to-notify, recalled stock, alerts."""
    from fisco_drugtrace.drugtrace.audit.report import report_to_json, report_to_markdown, rows_to_csv

    fmt = "json" if as_json else fmt
    svc = read_service(app)
    found = svc.audit_report(sync=not no_sync)
    if fmt == "json":
        text = report_to_json(found)
    elif fmt == "csv":
        text = rows_to_csv(getattr(found, section))
    else:
        text = report_to_markdown(found, names=svc.org_labels())
    if out is None:
        echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        echo(f"wrote {out}", err=True)


@audit.command("verify")
@click.option("--report", "report_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON report (audit report --format json); default: every indexed event.")
@json_option
@pass_app
def verify(app: AppContext, report_path: Path | None, as_json: bool) -> None:
    """Verify against the chain; exit 6 on any difference, 2 if the file is not a report.

    With --report, the report fails closed: its schema, chain, group and suite are checked and
    every figure (holdings, recall outstanding / recovered / destroyed, completion, time-to-notify
    verdicts, alerts, evidence) is recomputed from the chain up to the report's last block.
    Without it, every indexed event is re-checked (transaction, receipt, event, block hash).
    """
    if report_path is not None:
        show(read_service(app).audit_verify_report(report_path.read_bytes()), as_json)
        return
    with progress("Verifying", None, enabled=not as_json) as advance:
        result = read_service(app).audit_verify(None, on_progress=advance)
    show(result, as_json)
