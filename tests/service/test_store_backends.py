"""The service on PostgreSQL stores, against a dev chain: an auditor whose index and code store
live in PostgreSQL syncs, reports and verifies exactly as one with SQLite files does."""

from __future__ import annotations

import json

from fisco_drugtrace.drugtrace.audit.report import report_to_json
from fisco_drugtrace.drugtrace.sqldb import StoreLocation
from multiparty_helpers import other_home, released_batch


class _Pg:
    def __init__(self, server, prefix: str) -> None:
        self.database, self.schema_prefix = server.dsn, prefix


def test_an_auditor_on_postgresql_reports_what_one_on_sqlite_does(market, tmp_path, pg_server) -> None:
    from tests.pgserver import PgServer

    batch, codes = released_batch(market)
    man = market.svc["manufacturer"]
    shipped = man.dispatch(batch.batch_id, market.orgs["pharmacy"], market.orgs["logistics"], 5)
    market.svc["pharmacy"].receive(shipped.shipment_id, 5)
    on_sqlite = other_home(market, tmp_path / "a", role="regulator")
    on_pg = other_home(market, tmp_path / "b", role="regulator", stores=_Pg(pg_server, PgServer.new_prefix()))
    assert isinstance(on_pg.store_location("audit"), StoreLocation) and on_pg.store_location("audit").postgres
    moment = man.now_ms()
    reports = []
    for svc in (on_sqlite, on_pg):
        result = svc.audit_sync()
        assert result.events > 0
        reports.append(json.loads(report_to_json(svc.audit_report(now_ms=moment))))
        assert svc.where_is(batch.batch_id).accounted == len(codes)
    assert reports[1] == reports[0]
    assert not (tmp_path / "b" / "audit").exists()  # nothing of the PostgreSQL home's index is a file
    # the report verifies on the PostgreSQL home, its evidence re-checks against the chain
    assert on_pg.audit_verify_report(json.dumps(reports[1])).last_block == reports[1]["last_block"]
    assert on_pg.audit_verify().checked > 0
    # --rebuild on PostgreSQL drops the schema; the next sync rebuilds the same index
    on_pg.reset_audit_index()
    with on_pg.open_audit_index() as fresh:
        assert fresh.event_count == 0
    on_pg.audit_sync()
    assert json.loads(report_to_json(on_pg.audit_report(now_ms=moment))) == reports[0]
    # the code store: a manifest imported into PostgreSQL verifies the unit
    on_pg.import_manifest(man.export_manifest(batch.batch_id))
    assert on_pg.verify_code(codes[4]).genuine and on_pg.verify_code(codes[4]).index == 4
    on_sqlite.close()
    on_pg.close()
