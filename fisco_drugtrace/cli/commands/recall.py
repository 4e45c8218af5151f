"""``fisco-drugtrace recall``: the recall case, from opening to closing."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, id_arg, read_service, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["recall"]

_case = click.argument("recall_id", type=click.IntRange(min=1))


@click.group()
def recall() -> None:
    """Recall cases: levels I/II/III with 1/3/7-day notice limits, recovery, supervised destruction."""


@recall.command("open")
@click.option("--batch", "batch_id", type=id_arg, default=None, help="The STOPPED batch to recall.")
@click.option("--product", "product_id", type=id_arg, default=None, help="A whole product (no --batch).")
@click.option("--level", type=click.Choice(["I", "II", "III"]), required=True)
@evidence_option("reason", "investigation report")
@json_option
@pass_app
def open_cmd(app: AppContext, batch_id: bytes | None, product_id: bytes | None, level: str, reason: str | None,
             as_json: bool) -> None:
    """Open a case (the MAH: voluntary; a regulator: ordered)."""
    from fisco_drugtrace.drugtrace import RecallLevel

    if (batch_id is None) == (product_id is None):
        raise click.UsageError("give exactly one of --batch or --product")
    kwargs = {"batch": batch_id} if batch_id is not None else {"product": product_id}
    show(write_service(app).open_recall(RecallLevel[level], reason_hash=evidence_hash(reason), **kwargs), as_json)


@recall.command("follow-up")
@click.option("--batch", "batch_id", type=id_arg, required=True, help="The RECALLED batch whose case is CLOSED.")
@click.option("--level", type=click.Choice(["I", "II", "III"]), required=True)
@evidence_option("reason", "finding (stock found after the close)")
@json_option
@pass_app
def follow_up(app: AppContext, batch_id: bytes, level: str, reason: str | None, as_json: bool) -> None:
    """Open a follow-up case on a batch whose case is closed (destruction then goes through it)."""
    from fisco_drugtrace.drugtrace import RecallLevel

    show(write_service(app).open_follow_up(batch_id, RecallLevel[level], reason_hash=evidence_hash(reason)),
         as_json)


@recall.command("links")
@_case
@json_option
@pass_app
def links(app: AppContext, recall_id: int, as_json: bool) -> None:
    """The case it follows up, its product-wide case, its batch cases and its scope's latest case."""
    show(read_service(app).recall_links(recall_id), as_json)


@recall.command("figures")
@_case
@json_option
@pass_app
def figures(app: AppContext, recall_id: int, as_json: bool) -> None:
    """A case's figures as the chain computes them (product-wide: summed over its batch cases)."""
    show(read_service(app).recall_figures(recall_id), as_json)


@recall.command("notice")
@_case
@evidence_option("notice", "recall notice")
@json_option
@pass_app
def notice(app: AppContext, recall_id: int, notice: str | None, as_json: bool) -> None:
    """Record that the recall notice went out (the clock stops here)."""
    show(write_service(app).issue_notice(recall_id, evidence_hash(notice)), as_json)


@recall.command("report")
@_case
@evidence_option("report", "progress report")
@json_option
@pass_app
def report(app: AppContext, recall_id: int, report: str | None, as_json: bool) -> None:
    """File a progress report (due every 1/3/7 days by level)."""
    show(write_service(app).report_progress(recall_id, evidence_hash(report)), as_json)


@recall.command("recover")
@_case
@click.option("--quantity", "-n", type=click.IntRange(min=1), required=True)
@evidence_option("evidence", "recovery receipt")
@json_option
@pass_app
def recover(app: AppContext, recall_id: int, quantity: int, evidence: str | None, as_json: bool) -> None:
    """Report units your organisation recovered (returned or secured) for the case."""
    show(write_service(app).record_recovery(recall_id, quantity, evidence_hash(evidence)), as_json)


@recall.command("destroy")
@_case
@click.option("--quantity", "-n", type=click.IntRange(min=1), required=True)
@click.option("--final", is_flag=True, help="This destruction completes the batch's disposal.")
@evidence_option("evidence", "destruction record")
@json_option
@pass_app
def destroy(app: AppContext, recall_id: int, quantity: int, final: bool, evidence: str | None,
            as_json: bool) -> None:
    """Record a destruction (awaits a supervisor's counter-signature)."""
    show(write_service(app).record_destruction(recall_id, quantity, final=final,
                                               evidence_hash=evidence_hash(evidence)), as_json)


@recall.command("countersign")
@click.argument("destruction_id", type=click.IntRange(min=1))
@json_option
@pass_app
def countersign(app: AppContext, destruction_id: int, as_json: bool) -> None:
    """Counter-sign a destruction (a regulator or auditor other than the executor)."""
    show(write_service(app).countersign_destruction(destruction_id), as_json)


@recall.command("complete")
@_case
@evidence_option("summary", "summary report")
@json_option
@pass_app
def complete(app: AppContext, recall_id: int, summary: str | None, as_json: bool) -> None:
    """File the summary report (the MAH)."""
    show(write_service(app).complete_recall(recall_id, evidence_hash(summary)), as_json)


@recall.command("close")
@_case
@click.option("--reject", is_flag=True, help="The recall was not effective: do not close.")
@evidence_option("evaluation", "evaluation")
@json_option
@pass_app
def close(app: AppContext, recall_id: int, reject: bool, evaluation: str | None, as_json: bool) -> None:
    """Evaluate the summary and close the case (regulators)."""
    show(write_service(app).evaluate_recall(recall_id, not reject, evidence_hash(evaluation)), as_json)


@recall.command("show")
@_case
@json_option
@pass_app
def show_cmd(app: AppContext, recall_id: int, as_json: bool) -> None:
    """Show a case as the chain holds it."""
    show(read_service(app).get_recall(recall_id), as_json)
