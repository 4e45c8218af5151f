"""Audit index and queries on synthetic, custody-consistent events (no chain)."""

from __future__ import annotations

import pytest

from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.queries import alerts, batch_trace, shipment_custody, unit_trace, where_is
from fisco_drugtrace.drugtrace.audit.synthetic import SyntheticChain, hex32
from fisco_drugtrace.errors import AuditError, IndexMismatchError

MAH, DIST, CARRIER, PHARM = hex32("mah"), hex32("distributor"), hex32("carrier"), hex32("pharmacy0")
BATCH, PRODUCT = hex32("batch-A"), hex32("product")


def _append(index: AuditIndex, chain: SyntheticChain, events) -> None:
    blocks = {e.block_number: (chain.block_hash(e.block_number), e.ts_ms) for e in events}
    index.append(events, blocks, chain.head)


@pytest.fixture()
def story(store_backend):
    chain = SyntheticChain(txs_per_block=1)
    index = AuditIndex(store_backend.location())
    _append(index, chain, chain.commit_batch(BATCH, PRODUCT, MAH, "L1", 100))
    s1, ev = chain.dispatch(BATCH, MAH, DIST, CARRIER, 60)
    _append(index, chain, ev)
    _append(index, chain, chain.receive(s1, BATCH, DIST, 60))
    s2, ev = chain.dispatch(BATCH, DIST, PHARM, CARRIER, 20)
    _append(index, chain, ev)
    _append(index, chain, chain.receive(s2, BATCH, PHARM, 18, dispatched=20))
    s3, ev = chain.dispatch(BATCH, DIST, PHARM, CARRIER, 5)  # still in transit
    _append(index, chain, ev)
    _append(index, chain, chain.dispense(BATCH, 7, hex32("unit7"), PHARM))
    _append(index, chain, chain.dispense(BATCH, 8, hex32("unit8"), PHARM))
    _append(index, chain, chain.dispense(BATCH, 7, hex32("unit7"), PHARM, duplicate=True))
    yield index, chain, (s1, s2, s3)
    index.close()


def test_where_is_accounts_for_every_unit(story) -> None:
    index, _, (s1, s2, s3) = story
    w = where_is(index, BATCH)
    by_org = {h.org_id: h for h in w.holdings}
    assert w.unit_count == 100
    assert by_org[MAH].quantity == 40
    assert by_org[DIST].quantity == 35
    assert by_org[PHARM].quantity == 16 and by_org[PHARM].dispensed == 2
    assert [t.shipment_id for t in w.in_transit] == [s3]
    assert w.missing == 2 and w.dispensed == 2
    assert w.accounted == w.unit_count


def test_unit_trace_has_batch_events_and_only_its_own_dispenses(story) -> None:
    index, _, _ = story
    t = unit_trace(index, BATCH, hex32("unit7"))
    names = [e.event for e in t.entries]
    assert names[0] == "BatchCommitted"
    assert names.count("UnitDispensed") == 1 and names.count("DuplicateDispense") == 1
    assert t.dispensed and t.dispense_count == 2
    assert all(e.args.get("codeHash") in (None, hex32("unit7")) for e in t.entries)
    other = unit_trace(index, BATCH, hex32("unit99"))
    assert not other.dispensed and "UnitDispensed" not in [e.event for e in other.entries]


def test_batch_trace_counts_unit_events(story) -> None:
    index, _, _ = story
    t = batch_trace(index, BATCH)
    assert t.units_dispensed == 2 and t.duplicate_dispenses == 1
    assert "UnitDispensed" not in [e.event for e in t.entries]
    blocks = [e.block_number for e in t.entries]
    assert blocks == sorted(blocks)


def test_shipment_custody_chain(story) -> None:
    index, _, (s1, s2, _) = story
    c = shipment_custody(index, s2)
    assert (c.from_org, c.carrier_org, c.to_org) == (DIST, CARRIER, PHARM)
    assert c.status == "PARTIAL" and c.received == 18
    assert [e.event for e in c.entries] == ["ShipmentDispatched", "ShipmentReceived", "ShipmentDiscrepancy"]
    assert shipment_custody(index, 999).status == "UNKNOWN"


def test_alerts_find_duplicates_and_discrepancies(story) -> None:
    index, _, _ = story
    kinds = [a.kind for a in alerts(index)]
    assert kinds == ["ShipmentDiscrepancy", "DuplicateDispense"]


def test_anchor_mismatch_and_duplicate_append_are_detected(story) -> None:
    index, chain, _ = story
    n = index.anchors(limit=1)[0][0]
    index.check_anchor(n, chain.block_hash(n))
    with pytest.raises(IndexMismatchError) as info:
        index.check_anchor(n, "0x" + "ab" * 32)
    assert info.value.block_number == n
    events = list(index.rows(limit=1))
    from fisco_drugtrace.drugtrace.audit.index import iter_events
    with pytest.raises(AuditError):
        index.append(list(iter_events(events)), {}, n)


def test_index_binds_to_one_deployment(store_backend) -> None:
    with AuditIndex(store_backend.location()) as index:
        index.bind({"chain": "c", "contracts": {"X": "0x1"}})
        index.bind({"chain": "c", "contracts": {"X": "0x1"}})
        with pytest.raises(AuditError):
            index.bind({"chain": "c", "contracts": {"X": "0x2"}})


def test_synthetic_market_projection_is_consistent(store_backend) -> None:
    chain = SyntheticChain()
    with AuditIndex(store_backend.location()) as index:
        events = list(chain.stream(batches=2, units_per_batch=50, pharmacies=3))
        index.append(events, {}, chain.head)
        for n in range(2):
            w = where_is(index, hex32(f"batch{n}"))
            assert w.dispensed == 50 and w.accounted == 50
            assert all(h.quantity == 0 for h in w.holdings)


def test_an_index_of_an_older_schema_is_refused_with_the_rebuild_command(tmp_path) -> None:
    """Schema 3 adds the PackingLedger's events: an index written before lacks them."""
    from fisco_drugtrace.drugtrace.audit.schema import SCHEMA_VERSION
    from fisco_drugtrace.errors import AuditError

    path = tmp_path / "audit.sqlite"
    with AuditIndex(path) as index, index.db:
        index.set_meta("schema_version", str(SCHEMA_VERSION - 1))
    with pytest.raises(AuditError, match="audit sync --rebuild"):
        AuditIndex(path)
