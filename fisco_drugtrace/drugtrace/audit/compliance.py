"""Recall cases from the index: completion per case and time-to-notify compliance.

Limits (2022 drug recall measures): the recall notice must go out within 1 / 3 / 7 days of the
decision for level I / II / III, and progress reports are due at the same intervals. Times are
milliseconds, as on FISCO BCOS. The contract flags late notices itself (``late``); the auditor
recomputes the verdict independently and reports both, so a disagreement is visible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.queries import BatchWhereabouts, where_is

__all__ = [
    "DAY_MS",
    "LEVEL_LIMIT_MS",
    "LEVEL_NAMES",
    "RecallSummary",
    "RecallCompletion",
    "NoticeCompliance",
    "RecallSchedule",
    "recall_schedule",
    "recall_cases",
    "recall_case",
    "recall_completion",
    "notice_compliance",
]

DAY_MS = 86_400_000
LEVEL_LIMIT_MS: Mapping[int, int] = {1: 1 * DAY_MS, 2: 3 * DAY_MS, 3: 7 * DAY_MS}
LEVEL_NAMES: Mapping[int, str] = {1: "I", 2: "II", 3: "III"}
_KINDS = {0: "VOLUNTARY", 1: "ORDERED"}


@dataclass(frozen=True)
class RecallSummary:
    """A recall case as its events tell it."""

    recall_id: int
    product_id: str
    batch_id: str | None
    level: str
    kind: str
    initiator_org: str
    decided_at: int
    notice_deadline: int
    notice_at: int | None
    notice_late: bool | None
    progress_reports: int
    overdue_reports: int
    progress_times: tuple[int, ...]
    recovered: int
    recovered_by_org: Mapping[str, int]
    destroyed_recorded: int
    destroyed_confirmed: int
    completed_at: int | None
    accepted: bool | None
    status: str


@dataclass(frozen=True)
class RecallCompletion:
    """How much of what was on the market when the case opened has left it, as the chain's
    ``recallFigures`` counts it (a product-wide case: summed over its batch cases): on the
    market at the opening (``outstanding_at_decision``) and now, recovered, destroyed under
    supervision, declared by holders, and written off (missing from a partial receipt, or
    decommissioned away from the MAH: never recovered, no longer outstanding)."""

    recall_id: int
    batch_id: str | None
    outstanding_at_decision: int
    recovered: int
    destroyed_confirmed: int
    percent: float
    whereabouts: BatchWhereabouts | None
    in_market_now: int = 0
    declared: int = 0
    written_off: int = 0  # left the market since the opening without being recovered


@dataclass(frozen=True)
class NoticeCompliance:
    """Time-to-notify for one case against its level's limit."""

    recall_id: int
    level: str
    limit_ms: int
    decided_at: int
    notice_at: int | None
    elapsed_ms: int | None
    compliant: bool | None  # None: still within the limit and not yet notified
    contract_late: bool | None
    overdue_reports: int  # progress reports filed later than the interval, recomputed here
    contract_overdue_reports: int  # ... as the contract flagged them
    progress_overdue_now: bool | None  # an open case whose next report is already late


@dataclass(frozen=True)
class RecallSchedule:
    """A case's deadlines at one moment: the notice's (1 / 3 / 7 days after the decision) and,
    once notified, the next progress report's (the same interval after the notice or the last
    report), each with whether it is already missed."""

    recall_id: int
    #: the level's limit and report interval
    interval_ms: int
    notice_deadline: int
    #: not notified, and the deadline has passed
    notice_overdue: bool
    #: notified after the deadline
    notice_late: bool
    #: when the next progress report is due (``None``: no report is due — not yet notified, or
    #: the case is completed or closed)
    next_report_due: int | None
    #: that report's time has passed without it
    report_overdue: bool
    #: reports filed later than the interval (recomputed from their times)
    late_reports: int


def recall_schedule(case: RecallSummary, now_ms: int) -> RecallSchedule:
    """The case's notice and progress-report deadlines as of ``now_ms`` (the rule of
    :func:`notice_compliance`: each report counted from the notice or the previous report)."""
    limit = LEVEL_LIMIT_MS.get({"I": 1, "II": 2, "III": 3}.get(case.level, 0), 0)
    late_reports, last = 0, case.notice_at
    for at in case.progress_times:
        if last is not None and at - last > limit:
            late_reports += 1
        last = at
    due = last + limit if case.status == "NOTIFIED" and last is not None else None
    return RecallSchedule(case.recall_id, limit, case.notice_deadline,
                          case.notice_at is None and case.status == "OPEN" and now_ms > case.notice_deadline,
                          case.notice_at is not None and case.notice_at > case.notice_deadline,
                          due, due is not None and now_ms > due, late_reports)


def _args(row: Any) -> dict[str, Any]:
    return json.loads(row["args"])


def recall_case(index: AuditIndex, recall_id: int) -> RecallSummary | None:
    """One case from its events (``None`` if not indexed)."""
    rows = list(index.rows("recall_id = ?", (int(recall_id),)))
    opened = next((r for r in rows if r["name"] == "RecallOpened"), None)
    if opened is None:
        return None
    o = _args(opened)
    notice = next((_args(r) for r in rows if r["name"] == "RecallNoticeIssued"), None)
    progress = [_args(r) for r in rows if r["name"] == "RecallProgressReported"]
    by_org: dict[str, int] = {}
    recovered = 0
    for r in rows:
        if r["name"] == "RecoveryRecorded":
            a = _args(r)
            by_org[a["orgId"]] = int(a["orgTotal"])
            recovered = max(recovered, int(a["caseTotal"]))
    destructions = {int(_args(r)["destructionId"]): int(_args(r)["quantity"])
                    for r in rows if r["name"] == "DestructionRecorded"}
    # a voided record (issue 12) stays on chain but counts for nothing: neither recorded nor confirmed
    voided = {int(_args(r)["destructionId"]) for r in rows if r["name"] == "DestructionVoided"}
    confirmed = sum(destructions.get(int(_args(r)["destructionId"]), 0)
                    for r in rows if r["name"] == "DestructionConfirmed"
                    and int(_args(r)["destructionId"]) not in voided)
    destructions = {k: v for k, v in destructions.items() if k not in voided}
    completed = next((_args(r) for r in rows if r["name"] == "RecallCompleted"), None)
    evaluated = [_args(r) for r in rows if r["name"] == "RecallEvaluated"]
    accepted = bool(evaluated[-1]["accepted"]) if evaluated else None
    status = ("CLOSED" if accepted else "COMPLETED" if completed else "NOTIFIED" if notice else "OPEN")
    batch = o.get("batchId")
    return RecallSummary(
        recall_id=int(recall_id), product_id=o["productId"],
        batch_id=batch if batch and int(batch, 16) else None,
        level=LEVEL_NAMES.get(int(o["level"]), str(o["level"])), kind=_KINDS.get(int(o["kind"]), str(o["kind"])),
        initiator_org=o["initiatorOrgId"], decided_at=int(o["decidedAt"]), notice_deadline=int(o["noticeDeadline"]),
        notice_at=int(notice["issuedAt"]) if notice else None, notice_late=bool(notice["late"]) if notice else None,
        progress_reports=len(progress), overdue_reports=sum(1 for p in progress if p.get("overdue")),
        progress_times=tuple(int(p["reportedAt"]) for p in progress),
        recovered=recovered, recovered_by_org=by_org, destroyed_recorded=sum(destructions.values()),
        destroyed_confirmed=confirmed, completed_at=int(completed["completedAt"]) if completed else None,
        accepted=accepted, status=status,
    )


def recall_cases(index: AuditIndex) -> list[RecallSummary]:
    """Every indexed recall case, oldest first."""
    ids = [int(r[0]) for r in index.db.execute(
        "SELECT recall_id FROM events WHERE name = 'RecallOpened' AND name != 'UnitDispensed' ORDER BY seq")]
    return [c for c in (recall_case(index, i) for i in ids) if c is not None]


def recall_completion(index: AuditIndex, recall_id: int, figures: Any = None) -> RecallCompletion | None:
    """The case's completion. ``figures`` (a ``RecallFigures``-like record: ``in_market_at_open``,
    ``in_market_now``, ``recovered``, ``destroyed``, ``declared``, ``written_off``) is what the chain computed, as
    the report carries it; without it the figures are replayed from the index
    (:func:`~.figures.case_figures`), which is how ``audit verify`` recomputes them."""
    from fisco_drugtrace.drugtrace.audit.figures import case_figures

    case = recall_case(index, recall_id)
    if case is None:
        return None
    if figures is None:
        figures = case_figures(index, recall_id)
        if figures is None:
            return None
    whereabouts = where_is(index, bytes.fromhex(case.batch_id[2:])) if case.batch_id is not None else None
    at_open, recovered = int(figures.in_market_at_open), int(figures.recovered)
    percent = round(100.0 * recovered / at_open, 2) if at_open else 0.0
    return RecallCompletion(case.recall_id, case.batch_id, at_open, recovered, int(figures.destroyed), percent,
                            whereabouts, int(figures.in_market_now), int(figures.declared),
                            int(getattr(figures, "written_off", 0)))


def notice_compliance(index: AuditIndex, *, now_ms: int | None = None) -> list[NoticeCompliance]:
    """Each case's time-to-notify against the 1/3/7-day limit of its level, and its progress
    reports against the same interval (each counted from the notice or the previous report).

    A case not yet notified is non-compliant once ``now_ms`` is past its limit, and pending
    (``compliant=None``) before that; without ``now_ms`` it stays pending.
    """
    out = []
    for case in recall_cases(index):
        level = {"I": 1, "II": 2, "III": 3}.get(case.level, 0)
        limit = LEVEL_LIMIT_MS.get(level, 0)
        if case.notice_at is not None:
            elapsed: int | None = case.notice_at - case.decided_at
            compliant: bool | None = elapsed <= limit
        else:
            elapsed = None if now_ms is None else now_ms - case.decided_at
            compliant = False if (elapsed is not None and elapsed > limit) else None
        late_reports, last = 0, case.notice_at
        for at in case.progress_times:
            if last is not None and at - last > limit:
                late_reports += 1
            last = at
        overdue_now: bool | None = None
        if case.status == "NOTIFIED" and last is not None and now_ms is not None:
            overdue_now = now_ms - last > limit
        out.append(NoticeCompliance(case.recall_id, case.level, limit, case.decided_at, case.notice_at, elapsed,
                                    compliant, case.notice_late, late_reports, case.overdue_reports, overdue_now))
    return out
