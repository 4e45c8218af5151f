"""The auditor's side: an SQLite index of the suite's events, queries, reports and verification.

Scriptable from Python::

    from fisco_drugtrace.drugtrace.audit import AuditIndex, where_is
    with AuditIndex(path) as index:
        print(where_is(index, batch_id))
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
from fisco_drugtrace.drugtrace.audit.records import IndexedEvent, SyncResult
from fisco_drugtrace.drugtrace.audit.sync import sync_index

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
]
