"""The SQLite schema of the auditor's index (one file per deployment).

``events`` is append-only (``seq`` in chain order; ``(tx_hash, position)`` names a log); the key
columns are extracted from the event arguments so that every query is an index lookup. ``blocks`` anchors the index to the
chain: the hash of every block that holds an event, and of the last block of each synced range.
Derived tables (``holdings``, ``units``, ``alerts``) are projections maintained while indexing
so "where is it now" stays O(holders) at 10^6 events.
"""

from __future__ import annotations

__all__ = ["SCHEMA", "SCHEMA_VERSION"]

SCHEMA_VERSION = 4  # 2: corrections (issue 12) and recall case figures; 3: PackingLedger events (17A);
#   4: recall write-offs (units lost in transit or decommissioned away from the MAH, issue 12)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash   TEXT NOT NULL,
    ts_ms  INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    seq            INTEGER PRIMARY KEY,
    block_number   INTEGER NOT NULL,
    tx_hash        TEXT NOT NULL,
    position       INTEGER NOT NULL,
    log_index      INTEGER NOT NULL,
    contract       TEXT NOT NULL,
    address        TEXT NOT NULL,
    name           TEXT NOT NULL,
    ts_ms          INTEGER,
    batch_id       BLOB,
    product_id     BLOB,
    shipment_id    INTEGER,
    recall_id      INTEGER,
    observation_id INTEGER,
    code_hash      BLOB,
    org_id         BLOB,
    actor_org      BLOB,
    args           TEXT NOT NULL
);
-- Every row: (batch, unit). The bulk of a market's events are per-unit dispenses, so the other
-- indexes are partial (NULL keys cost nothing) and the name index leaves dispenses out.
CREATE INDEX IF NOT EXISTS events_batch ON events (batch_id, code_hash);
CREATE INDEX IF NOT EXISTS events_shipment ON events (shipment_id) WHERE shipment_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_recall ON events (recall_id) WHERE recall_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_observation ON events (observation_id) WHERE observation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_product ON events (product_id) WHERE product_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_org ON events (org_id) WHERE org_id IS NOT NULL AND code_hash IS NULL;
CREATE INDEX IF NOT EXISTS events_unit ON events (code_hash) WHERE code_hash IS NOT NULL AND batch_id IS NULL;
CREATE INDEX IF NOT EXISTS events_name ON events (name, block_number) WHERE name != 'UnitDispensed';
"""
