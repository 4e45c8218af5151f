"""Every statement the hot queries run is an index search, never a scan of ``events``.

This is what keeps a unit trace and "where is it now" in milliseconds at 10^6 events
(bench/bench_audit.py measures it); the test catches a query that silently loses its index.
"""

from __future__ import annotations

import pytest

from fisco_drugtrace.drugtrace.audit.compliance import notice_compliance, recall_completion
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.queries import alerts, batch_trace, shipment_custody, unit_trace, where_is
from fisco_drugtrace.drugtrace.audit.report import build_report
from fisco_drugtrace.drugtrace.audit.synthetic import SyntheticChain, hex32, recall_events


@pytest.fixture()
def index():
    chain = SyntheticChain(txs_per_block=50)
    idx = AuditIndex(":memory:")
    events = list(chain.stream(batches=3, units_per_batch=300))
    events += recall_events(chain, 1, hex32("batch1"), hex32("product"), hex32("mah"), level=1,
                            decided_at=0, notice_after_ms=1000, reports_after_ms=[5000])
    idx.append(events, {}, chain.head)
    idx.db.execute("ANALYZE")
    yield idx
    idx.close()


def _plans(index: AuditIndex, run) -> list[str]:
    statements: list[str] = []
    index.db.set_trace_callback(statements.append)
    try:
        run()
    finally:
        index.db.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            plans += [row[3] for row in index.db.execute("EXPLAIN QUERY PLAN " + sql)]
    return plans


@pytest.mark.parametrize("query", [
    lambda ix: unit_trace(ix, hex32("batch1"), hex32(f"{hex32('batch1')}/7")),
    lambda ix: batch_trace(ix, hex32("batch1")),
    lambda ix: where_is(ix, hex32("batch2")),
    lambda ix: shipment_custody(ix, 2),
    lambda ix: alerts(ix),
    lambda ix: notice_compliance(ix, now_ms=10**13),
    lambda ix: build_report(ix, now_ms=10**13),
], ids=["unit_trace", "batch_trace", "where_is", "shipment_custody", "alerts", "notice_compliance", "report"])
def test_hot_queries_never_scan_events(index, query) -> None:
    plans = _plans(index, lambda: query(index))
    assert plans, "the query ran no SELECT"
    scans = [p for p in plans if p.startswith("SCAN") and "events" in p]
    assert scans == []


def test_recall_completion_runs(index) -> None:
    done = recall_completion(index, 1)
    assert done is not None and done.recall_id == 1


def test_where_is_never_walks_a_batchs_unit_events(index) -> None:
    """A batch's rows in ``events_batch`` are mostly its units' dispenses (10^5 at the bench's
    scale): "where is it now" may search that index with the unit column bound (NULL: batch
    events), never by the batch alone."""
    plans = _plans(index, lambda: where_is(index, hex32("batch2")))
    assert not [p for p in plans if "events_batch (batch_id=?)" in p]
