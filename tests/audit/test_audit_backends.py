"""Same queries, same results: one synthetic market (custody, dispenses, duplicates, recalls)
indexed into SQLite and into PostgreSQL answers every query and report identically."""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.drugtrace.audit.compliance import notice_compliance, recall_cases, recall_completion
from fisco_drugtrace.drugtrace.audit.index import AuditIndex, iter_events
from fisco_drugtrace.drugtrace.audit.queries import (
    alerts,
    batch_trace,
    events_named,
    recall_ids_for_batch,
    shipment_custody,
    unit_trace,
    where_is,
)
from fisco_drugtrace.drugtrace.audit.report import build_report, report_to_json, report_to_markdown
from fisco_drugtrace.drugtrace.audit.synthetic import SyntheticChain, hex32, recall_events
from fisco_drugtrace.drugtrace.sqldb import StoreLocation, schema_name
from tests.pgserver import PgServer

DAY_MS = 86_400_000


def _market_events(chain: SyntheticChain) -> list:
    events = list(chain.stream(batches=3, units_per_batch=120, pharmacies=3))
    events += recall_events(chain, 1, hex32("batch1"), hex32("product"), hex32("mah"), level=1, decided_at=0,
                            notice_after_ms=1000, reports_after_ms=[5000, 2 * DAY_MS])
    events += recall_events(chain, 2, hex32("batch2"), hex32("product"), hex32("mah"), level=2, decided_at=0,
                            notice_after_ms=4 * DAY_MS)
    events += recall_events(chain, 3, hex32("batch0"), hex32("product"), hex32("mah"), level=3, decided_at=0,
                            notice_after_ms=None)
    # alerts: a duplicate dispense, a failed inspection (matched through json_extract), a passed one
    events += chain.dispense(hex32("batch1"), 7, hex32(f"{hex32('batch1')}/7"), hex32("pharmacy0"), duplicate=True)
    for observation, result in ((1, 2), (2, 0), (3, 3)):
        events += chain.tx(("ObservationLog", "ObservationRecorded",
                            {"observationId": observation, "subjectId": hex32("batch0"), "point": 6,
                             "result": result, "orgId": hex32("mah")}))
    return events


def _everything(index: AuditIndex) -> dict:
    """Every query's answer, as plain data."""
    out: dict = {"report": json.loads(report_to_json(build_report(index, now_ms=10**13))),
                 "markdown": report_to_markdown(build_report(index, now_ms=10**13)),
                 "alerts": [repr(a) for a in alerts(index)], "recalls": [repr(c) for c in recall_cases(index)],
                 "compliance": [repr(c) for c in notice_compliance(index, now_ms=10**13)],
                 "events": [repr(e) for e in iter_events(index.rows())], "last_block": index.last_block,
                 "event_count": index.event_count, "anchors": index.anchors(limit=5)}
    for n in range(3):
        batch = hex32(f"batch{n}")
        out[f"where{n}"] = repr(where_is(index, batch))
        out[f"trace{n}"] = repr(batch_trace(index, batch))
        out[f"recall_ids{n}"] = recall_ids_for_batch(index, batch)
        out[f"unit{n}"] = repr(unit_trace(index, batch, hex32(f"{batch}/7")))
    for shipment in range(1, 12):
        out[f"shipment{shipment}"] = repr(shipment_custody(index, shipment))
    for recall in (1, 2, 3):
        out[f"completion{recall}"] = repr(recall_completion(index, recall))
    out["named"] = repr(events_named(index, ["RecallOpened", "ShipmentDispatched"]))
    return out


def test_sqlite_and_postgresql_answer_alike(tmp_path, pg_server) -> None:
    chain = SyntheticChain(txs_per_block=7)
    events = _market_events(chain)
    blocks = {e.block_number: (chain.block_hash(e.block_number), e.ts_ms) for e in events}
    places = [tmp_path / "index.sqlite",
              StoreLocation(url=pg_server.dsn, schema=schema_name(PgServer.new_prefix(), "audit", "same"))]
    answers = []
    for place in places:
        with AuditIndex(place) as index:
            # two appends, as a sync does range by range
            half = len(events) // 2
            cut = events[half].block_number
            first = [e for e in events if e.block_number < cut]
            index.append(first, {n: v for n, v in blocks.items() if n < cut}, cut - 1)
            index.append(events[len(first):], {n: v for n, v in blocks.items() if n >= cut}, chain.head)
            answers.append(_everything(index))
    sqlite, postgres = answers
    assert sqlite["report"]["recalls"] and sqlite["event_count"] == len(events)
    assert sum("ObservationRecorded" in a for a in sqlite["alerts"]) == 2 and any(
        "DuplicateDispense" in a for a in sqlite["alerts"])
    for key in sqlite:
        assert postgres[key] == sqlite[key], key


def test_a_postgresql_index_reopens_without_ddl_and_keeps_its_binding(pg_server) -> None:
    place = StoreLocation(url=pg_server.dsn, schema=schema_name(PgServer.new_prefix(), "audit", "reopen"))
    chain = SyntheticChain(txs_per_block=1)
    with AuditIndex(place) as index:
        assert index.db.fresh
        index.bind({"chain": "c", "contracts": {"X": "0x1"}})
        index.append(list(chain.stream(batches=1, units_per_batch=10)), {}, chain.head)
    with AuditIndex(place) as again:
        assert not again.db.fresh and again.event_count > 0
        again.bind({"chain": "c", "contracts": {"X": "0x1"}})
        with pytest.raises(Exception, match="another deployment"):
            again.bind({"chain": "c", "contracts": {"X": "0x2"}})
        more = list(chain.stream(batches=1, units_per_batch=5))
        before = again.event_count
        assert more and min(e.block_number for e in more) > again.last_block
        again.append(more, {}, chain.head)  # the meta and holdings upserts run on a reopened store
        assert again.event_count == before + len(more) and again.last_block == chain.head
