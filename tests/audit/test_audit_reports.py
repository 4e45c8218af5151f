"""Recall compliance, completion and the report renderings on synthetic events."""

from __future__ import annotations

import csv
import io
import json

import pytest

from fisco_drugtrace.drugtrace.audit.compliance import DAY_MS, notice_compliance, recall_case, recall_completion
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.queries import batch_trace
from fisco_drugtrace.drugtrace.audit.report import (
    build_report,
    report_from_json,
    report_to_json,
    report_to_markdown,
    rows_to_csv,
)
from fisco_drugtrace.drugtrace.audit.synthetic import SyntheticChain, hex32, recall_events

MAH, DIST, CARRIER, PHARM = hex32("mah"), hex32("distributor"), hex32("carrier"), hex32("pharmacy0")
PRODUCT = hex32("product")
B1, B2 = hex32("batch-1"), hex32("batch-2")
T0 = 1_767_225_600_000


@pytest.fixture()
def index(store_backend):
    chain = SyntheticChain(txs_per_block=1)
    idx = AuditIndex(store_backend.location())
    events = chain.commit_batch(B1, PRODUCT, MAH, "L1", 100) + chain.commit_batch(B2, PRODUCT, MAH, "L2", 10)
    sid, ev = chain.dispatch(B1, MAH, PHARM, CARRIER, 50)
    events += ev + chain.receive(sid, B1, PHARM, 50)
    events += chain.dispense(B1, 0, hex32("u0"), PHARM) + chain.dispense(B1, 1, hex32("u1"), PHARM)
    # case 1: level I, notified after 20 h (compliant), 30 of 48 recovered so far, 30 destroyed
    events += recall_events(chain, 1, B1, PRODUCT, MAH, level=1, decided_at=T0, notice_after_ms=20 * 3_600_000,
                            recovered=[(PHARM, 30)], destroyed=30, supervisor=hex32("regulator"),
                            reports_after_ms=[DAY_MS, 3 * DAY_MS, 3 * DAY_MS + 3_600_000])
    # the pharmacy returns the 30 it declared: they leave the market (back at the MAH)
    sid, ev = chain.dispatch(B1, PHARM, MAH, CARRIER, 30, is_return=True)
    events += ev + chain.receive(sid, B1, MAH, 30, quarantined=30)
    # case 2: level II, notified after 4 days (late)
    events += recall_events(chain, 2, B2, PRODUCT, MAH, level=2, decided_at=T0, notice_after_ms=4 * DAY_MS)
    # case 3: level III, not yet notified
    events += recall_events(chain, 3, B2, PRODUCT, MAH, level=3, decided_at=T0, notice_after_ms=None)
    idx.append(events, {}, chain.head)
    yield idx
    idx.close()


def test_notice_compliance_against_level_limits(index) -> None:
    by_id = {n.recall_id: n for n in notice_compliance(index, now_ms=T0 + 2 * DAY_MS)}
    assert by_id[1].compliant is True and by_id[1].elapsed_ms == 20 * 3_600_000
    # reports at +1 d (4 h after the notice), +3 d (2 days later: late), +3 d 1 h
    assert by_id[1].overdue_reports == by_id[1].contract_overdue_reports == 1
    assert by_id[1].progress_overdue_now is False and by_id[3].progress_overdue_now is None
    assert by_id[2].compliant is False and by_id[2].contract_late is True
    assert by_id[3].compliant is None  # 2 days into a 7-day limit
    late = {n.recall_id: n for n in notice_compliance(index, now_ms=T0 + 8 * DAY_MS)}
    assert late[3].compliant is False
    assert late[2].progress_overdue_now is True  # notified at +4 d, no report since: 4 d > 3 d


def test_recall_case_and_completion(index) -> None:
    case = recall_case(index, 1)
    assert case is not None and case.level == "I" and case.status == "NOTIFIED"
    assert case.recovered == 30 and case.recovered_by_org == {PHARM: 30} and case.destroyed_confirmed == 30
    done = recall_completion(index, 1)
    # 50 shipped to the pharmacy, 2 dispensed there: 48 on the market; the MAH's 50 are not "out".
    # Recovered is what left the market since (the 30 returned), replayed as recallFigures counts it
    assert done is not None and done.outstanding_at_decision == 48
    assert (done.recovered, done.in_market_now, done.declared) == (30, 18, 30)
    assert done.percent == pytest.approx(62.5)
    assert recall_case(index, 42) is None


def test_batch_trace_includes_its_recall_events(index) -> None:
    names = [e.event for e in batch_trace(index, B1).entries]
    assert "RecallOpened" in names and "RecallNoticeIssued" in names and "DestructionConfirmed" in names
    assert "RecallNoticeIssued" in [e.event for e in batch_trace(index, B2).entries]


def test_report_json_markdown_csv(index) -> None:
    report = build_report(index, now_ms=T0 + 8 * DAY_MS)
    assert [c.recall_id for c in report.recalls] == [1, 2, 3]
    data = json.loads(report_to_json(report))
    assert data["compliance"][1]["compliant"] is False
    evidence = report_from_json(report_to_json(report))
    assert {e.event for e in evidence} >= {"RecallOpened", "RecallNoticeIssued", "RecoveryRecorded"}
    assert len(evidence) == len(report.evidence)
    md = report_to_markdown(report, names={PHARM: "City Pharmacy"})
    assert "NOT compliant" in md and "City Pharmacy" in md and "| 1 | I |" in md
    rows = list(csv.DictReader(io.StringIO(rows_to_csv(report.compliance))))
    assert [r["recall_id"] for r in rows] == ["1", "2", "3"]
    assert rows_to_csv([]) == ""
