"""The auditor's side: an SQLite index of the suite's events, queries, reports and verification.

Scriptable from Python::

    from fisco_drugtrace.drugtrace.audit import build_report, report_to_markdown, where_is
    with service.open_audit_index() as index:      # service: a TraceService
        service.audit_sync(index)
        print(where_is(index, batch_id))
        print(report_to_markdown(build_report(index)))
"""

from __future__ import annotations

from fisco_drugtrace.drugtrace.audit.decoder import EventDecoder
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.queries import (
    Alert,
    BatchTrace,
    BatchWhereabouts,
    ShipmentCustody,
    TraceEntry,
    UnitTrace,
    alerts,
    batch_trace,
    shipment_custody,
    unit_trace,
    where_is,
)
from fisco_drugtrace.drugtrace.audit.compliance import (
    NoticeCompliance,
    RecallSummary,
    RecallCompletion,
    notice_compliance,
    recall_case,
    recall_cases,
    recall_completion,
)
from fisco_drugtrace.drugtrace.audit.records import IndexedEvent, SyncResult
from fisco_drugtrace.drugtrace.audit.report import (
    AuditReport,
    Evidence,
    build_report,
    report_from_json,
    report_to_json,
    report_to_markdown,
    rows_to_csv,
)
from fisco_drugtrace.drugtrace.audit.sync import sync_index
from fisco_drugtrace.drugtrace.audit.verify import VerifyResult, index_evidence, verify_evidence

__all__ = [
    "AuditIndex",
    "EventDecoder",
    "IndexedEvent",
    "SyncResult",
    "sync_index",
    "Alert",
    "BatchTrace",
    "BatchWhereabouts",
    "ShipmentCustody",
    "TraceEntry",
    "UnitTrace",
    "alerts",
    "batch_trace",
    "shipment_custody",
    "unit_trace",
    "where_is",
    "NoticeCompliance",
    "RecallSummary",
    "RecallCompletion",
    "notice_compliance",
    "recall_case",
    "recall_cases",
    "recall_completion",
    "AuditReport",
    "Evidence",
    "build_report",
    "report_from_json",
    "report_to_json",
    "report_to_markdown",
    "rows_to_csv",
    "VerifyResult",
    "index_evidence",
    "verify_evidence",
]
