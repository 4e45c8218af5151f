"""The auditor's report: recall cases, completion, time-to-notify, recalled stock, alerts.

:func:`build_report` gathers the queries into one :class:`AuditReport`; :func:`report_to_json`,
:func:`rows_to_csv` and :func:`report_to_markdown` render it. Every event the report relies on is
listed in ``evidence`` so that :mod:`.verify` can re-check it against the chain.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from fisco_drugtrace.drugtrace.audit.compliance import (
    NoticeCompliance,
    RecallSummary,
    RecallCompletion,
    notice_compliance,
    recall_cases,
    recall_completion,
)
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.procurement import EVENTS as PROCUREMENT_EVENTS
from fisco_drugtrace.drugtrace.audit.procurement import WHERE as PROCUREMENT_WHERE
from fisco_drugtrace.drugtrace.audit.procurement import ProcurementSection, procurement_section
from fisco_drugtrace.drugtrace.audit.queries import Alert, BatchWhereabouts, alerts, where_is
from fisco_drugtrace.jsonsafe import load_json

__all__ = [
    "Evidence",
    "AuditReport",
    "build_report",
    "report_to_json",
    "report_from_json",
    "report_to_markdown",
    "rows_to_csv",
    "plain",
]


@dataclass(frozen=True)
class Evidence:
    """One on-chain event a report relies on: enough to find and re-check it."""

    block_number: int
    tx_hash: str
    position: int
    address: str
    contract: str
    event: str
    args: Mapping[str, Any]


@dataclass(frozen=True)
class AuditReport:
    """Everything an auditor signs off, as of ``last_block``."""

    generated_ms: int
    deployment: Mapping[str, Any]
    last_block: int
    event_count: int
    recalls: tuple[RecallSummary, ...]
    completion: tuple[RecallCompletion, ...]
    compliance: tuple[NoticeCompliance, ...]
    recalled_batches: tuple[BatchWhereabouts, ...]
    alerts: tuple[Alert, ...]
    evidence: tuple[Evidence, ...]
    #: order -> delivery -> invoice -> payment reconciliation (issue 17 B), replayed from the events
    procurement: ProcurementSection | None = None
    #: the hash of ``last_block`` as the chain gives it: the report is of this chain's history, not
    #: of another with the same ids and numbers (``None`` only for an offline report from an index
    #: that never saw that block's hash)
    last_block_hash: str | None = None


def _evidence(index: AuditIndex, where: str, params: Sequence[Any]) -> list[Evidence]:
    return [Evidence(r["block_number"], r["tx_hash"], r["position"], r["address"], r["contract"], r["name"],
                     json.loads(r["args"])) for r in index.rows(where, params)]


def build_report(index: AuditIndex, *, now_ms: int | None = None,
                 figures: Mapping[int, Any] | None = None, last_block_hash: str | None = None) -> AuditReport:
    """Run every report query on the index.

    ``figures`` maps recall ids to the chain's figures (``TraceService.recall_figures``): the
    completion section then carries what the chain computed. Without it (``audit verify``'s
    recomputation, or an offline report) the figures are replayed from the index's events.
    ``last_block_hash``: the chain's hash of the index's last block (else the index's, if it holds it).
    """
    cases = recall_cases(index)
    completion = [c for c in (recall_completion(index, case.recall_id,
                                                None if figures is None else figures[case.recall_id])
                              for case in cases) if c is not None]
    batches = sorted({c.batch_id for c in cases if c.batch_id})
    found_alerts = alerts(index)
    evidence: list[Evidence] = []
    if cases:
        ids = [c.recall_id for c in cases]
        evidence += _evidence(index, f"recall_id IN ({','.join('?' * len(ids))})", ids)
    for a in found_alerts:
        evidence += _evidence(index, "name = ? AND name != 'UnitDispensed' AND block_number = ? AND tx_hash = ?",
                              (a.kind, a.block_number, a.tx_hash))
    moment = int(time.time() * 1000) if now_ms is None else now_ms
    procurement = procurement_section(index, now_ms=moment)
    evidence += _evidence(index, PROCUREMENT_WHERE, PROCUREMENT_EVENTS)
    unique = {(e.tx_hash, e.position): e for e in evidence}
    deployment = json.loads(index.get_meta("deployment") or "{}")
    return AuditReport(
        generated_ms=moment,
        deployment=deployment, last_block=index.last_block, event_count=index.event_count,
        recalls=tuple(cases), completion=tuple(completion),
        compliance=tuple(notice_compliance(index, now_ms=now_ms)),
        recalled_batches=tuple(where_is(index, bytes.fromhex(b[2:])) for b in batches),
        alerts=tuple(found_alerts),
        evidence=tuple(sorted(unique.values(), key=lambda e: (e.block_number, e.tx_hash, e.position))),
        procurement=procurement,
        last_block_hash=(last_block_hash or index.block_hash(index.last_block) or None) if index.last_block else None,
    )


def plain(obj: Any) -> Any:
    """Records -> JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (bytes, bytearray)):
        return "0x" + bytes(obj).hex()
    return obj


def report_to_json(report: AuditReport) -> str:
    """The JSON report, tagged with its format and version (:mod:`.schema`)."""
    from fisco_drugtrace.drugtrace.audit.report_schema import REPORT_FORMAT, REPORT_VERSION

    return json.dumps({"format": REPORT_FORMAT, "version": REPORT_VERSION, **plain(report)}, indent=2,
                      sort_keys=False, ensure_ascii=False)


def report_from_json(text: str) -> list[Evidence]:
    """The evidence list of a JSON report (what ``audit verify --report`` re-checks)."""
    data = load_json(text)
    return [Evidence(int(e["block_number"]), e["tx_hash"], int(e["position"]), e["address"], e["contract"],
                     e["event"], e["args"]) for e in data.get("evidence", [])]


def rows_to_csv(rows: Iterable[Any]) -> str:
    """Records (dataclasses or mappings) as CSV; nested values become JSON text."""
    items = [plain(r) for r in rows]
    out = io.StringIO()
    if not items:
        return ""
    columns: list[str] = []
    for item in items:
        for key in item:
            if key not in columns:
                columns.append(key)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in item.items()})
    return out.getvalue()


def _when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _dur(ms: int | None) -> str:
    if ms is None:
        return "—"
    hours = ms / 3_600_000
    return f"{hours / 24:.2f} d" if hours >= 24 else f"{hours:.1f} h"


def report_to_markdown(report: AuditReport, names: Mapping[str, str] | None = None) -> str:
    """A readable Markdown report; ``names`` maps org ids (0x-hex) to display names."""
    label = (lambda h: (names or {}).get(h or "", (h or "—")[:10] + "…" if h else "—"))
    lines = [
        "# Drug-trace audit report", "",
        f"- Generated: {_when(report.generated_ms)}",
        f"- Chain: {report.deployment.get('chain', '?')} / group {report.deployment.get('group', '?')}",
        f"- Indexed up to block {report.last_block} ({report.event_count} events)"
        + (f", block hash `{report.last_block_hash}`" if report.last_block_hash else ""), "",
        "## Recall cases", "",
    ]
    if not report.recalls:
        lines.append("No recall cases.")
    else:
        lines += ["| # | level | kind | batch | status | decided | notice | recovered | destroyed (confirmed) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for c in report.recalls:
            lines.append(f"| {c.recall_id} | {c.level} | {c.kind} | {(c.batch_id or 'product-wide')[:10]} | "
                         f"{c.status} | {_when(c.decided_at)} | {_when(c.notice_at)} | {c.recovered} | "
                         f"{c.destroyed_confirmed} |")
    lines += ["", "## Time to notify (limit: I 1 day, II 3 days, III 7 days)", ""]
    if report.compliance:
        lines += ["| # | level | limit | took | verdict | contract flagged late | late progress reports | "
                  "next report overdue |", "|---|---|---|---|---|---|---|---|"]
        for n in report.compliance:
            verdict = {True: "compliant", False: "NOT compliant", None: "pending"}[n.compliant]
            lines.append(f"| {n.recall_id} | {n.level} | {_dur(n.limit_ms)} | {_dur(n.elapsed_ms)} | {verdict} | "
                         f"{'—' if n.contract_late is None else ('yes' if n.contract_late else 'no')} | "
                         f"{n.overdue_reports} (chain: {n.contract_overdue_reports}) | "
                         f"{'—' if n.progress_overdue_now is None else ('YES' if n.progress_overdue_now else 'no')} |")
    else:
        lines.append("Nothing to assess.")
    lines += ["", "## Recall completion", ""]
    for c in report.completion:
        lines.append(f"- Case {c.recall_id}: {c.recovered} of {c.outstanding_at_decision} units on the market at the "
                     f"opening are recovered ({c.percent:.1f} %; {c.in_market_now} still out, "
                     f"{c.written_off} written off: lost in transit or decommissioned, never coming back), "
                     f"{c.destroyed_confirmed} destroyed under supervision, {c.declared} declared by holders "
                     "(figures computed on chain).")
    if not report.completion:
        lines.append("Nothing to assess.")
    lines += ["", "## Where the recalled stock is now", ""]
    for w in report.recalled_batches:
        lines.append(f"### Batch {w.batch_id[:10]}… ({w.unit_count} units)")
        lines += ["", "| holder | in stock | quarantined | dispensed | destroyed |", "|---|---|---|---|---|"]
        for h in w.holdings:
            lines.append(f"| {label(h.org_id)} | {h.quantity} | {h.quarantined} | {h.dispensed} | {h.destroyed} |")
        for t in w.in_transit:
            lines.append(f"| in transit #{t.shipment_id} → {label(t.to_org)} | {t.quantity} | | | |")
        if w.missing:
            lines.append(f"| missing (received short) | {w.missing} | | | |")
        lines.append("")
    if not report.recalled_batches:
        lines.append("No recalled batches.")
    lines += ["", "## Alerts", ""]
    if report.alerts:
        lines += ["| block | time | alert | batch | shipment |", "|---|---|---|---|---|"]
        for a in report.alerts:
            lines.append(f"| {a.block_number} | {_when(a.ts_ms)} | {a.description} | "
                         f"{(a.batch_id or '—')[:10]} | {a.shipment_id or '—'} |")
    else:
        lines.append("No alerts.")
    lines += ["", "## Procurement and settlement", ""]
    proc = report.procurement
    if proc is None or not proc.orders:
        lines.append("No purchase orders.")
    else:
        lines += ["| order | bid | hospital | distributor | ordered | accepted | invoiced (fen) | paid (fen) | status |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for o in proc.orders:
            lines.append(f"| {o.order_id} | {o.bid_id} | {label(o.hospital)} | {label(o.distributor)} | {o.ordered} | "
                         f"{o.accepted} | {o.invoiced} | {o.paid} | {o.status} |")
        for title, rows in (("By hospital", proc.by_hospital), ("By distributor", proc.by_distributor)):
            lines += ["", f"### {title}", "", "| organisation | orders | ordered | accepted | invoiced | paid | "
                      "outstanding | overdue |", "|---|---|---|---|---|---|---|---|"]
            for t in rows:
                lines.append(f"| {label(t.org)} | {t.orders} | {t.ordered} | {t.accepted} | {t.invoiced} | {t.paid} | "
                             f"{t.outstanding} | {t.overdue} |")
        lines += ["", "### Volumes against agreed volumes", "", "| bid | hospital | agreed | ordered | accepted |",
                  "|---|---|---|---|---|"]
        for v in proc.volumes:
            lines.append(f"| {v.bid_id} | {label(v.hospital)} | {v.agreed} | {v.ordered} | {v.accepted} |")
        lines += ["", "### Settlements overdue and paid late", ""]
        for s in proc.overdue:
            lines.append(f"- OVERDUE: delivery {s.shipment_id} (order {s.order_id}) from {label(s.distributor)} to "
                         f"{label(s.hospital)}: {s.amount_due} fen due {_when(s.due_at)}"
                         f"{' (alert on chain)' if s.alerted else ''}")
        for s in proc.late_payments:
            lines.append(f"- Paid late: delivery {s.shipment_id} (order {s.order_id}), due {_when(s.due_at)}, paid "
                         f"{_when(s.paid_at)}")
        if not proc.overdue and not proc.late_payments:
            lines.append("Every settlement on time.")
    lines += ["", f"_{len(report.evidence)} on-chain events back this report; "
              "`fisco-drugtrace audit verify --report <json>` re-checks them._", ""]
    return "\n".join(lines)
