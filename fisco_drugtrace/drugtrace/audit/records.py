"""Records of the auditor's index: one decoded suite event, and the outcome of a sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["IndexedEvent", "SyncResult", "KEY_COLUMNS", "PROCESS_DEFINITION_POINT"]

#: ObservationRecorded's ``subjectId`` is a productId for this point, a batchId for the others.
PROCESS_DEFINITION_POINT = 1

#: event argument name -> index column; these are the keys the queries look events up by.
KEY_COLUMNS: Mapping[str, str] = {
    "batchId": "batch_id",
    "productId": "product_id",
    "shipmentId": "shipment_id",
    "recallId": "recall_id",
    "observationId": "observation_id",
    "obsId": "observation_id",
    "codeHash": "code_hash",
    "orgId": "org_id",
    "byOrgId": "actor_org",
}


@dataclass(frozen=True)
class IndexedEvent:
    """One event of the suite as the index keeps it.

    ``args`` holds JSON-able values: bytes as ``0x`` hex, integers as ints, enums as ints,
    addresses lower-case. ``log_index`` is the log's position as the node reports it
    (``position`` is its position inside the transaction receipt, used by ``verify``).
    """

    block_number: int
    tx_hash: str
    log_index: int
    contract: str
    address: str
    name: str
    args: Mapping[str, Any]
    ts_ms: int | None = None
    position: int = 0
    block_hash: str | None = field(default=None, compare=False)
    #: ``args`` as compact JSON in ABI order, when the decoder could write it directly (it is
    #: exactly what ``json`` would give); the index stores it instead of encoding ``args`` again.
    args_json: str | None = field(default=None, compare=False, repr=False)
    #: the eight key columns of its ``events`` row (``KEY_ORDER``), when the decoder read them
    #: straight from the log's words; exactly what ``event_row_values`` derives from ``args``.
    row_keys: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SyncResult:
    """What one ``sync`` did."""

    from_block: int
    to_block: int
    events: int
    blocks_checked: int
