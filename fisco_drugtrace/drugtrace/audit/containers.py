"""Where every pallet and case of a packed batch stands, replayed from the index (issue 17A).

The PackingLedger writes a record only when a container moves or opens, and every such write
has its event: ``PackedShipmentDispatched`` (the listed items leave with the sender),
``ContainerMissing`` (missing from the sender at the receipt), ``ContainerUnpacked`` (opened by
its holder, or a pallet opened at a receipt that found one of its cases missing),
``ContainerRepacked`` (closed again; its children's records are gone), and the CustodyLedger's
``ShipmentReceived`` / ``ShipmentRejected`` / ``ShipmentVoided`` of a packed shipment (what is
still in transit in it is then the receiver's, or back intact with the sender). Replaying them in
chain order gives the records, and resolving a container through its parents as
``PackingLedger._resolve`` does gives exactly ``containerState`` — without a view call per
container. ``tests/service/test_service_packing.py`` compares the two for shipped, missing,
unpacked, repacked and rejected containers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fisco_drugtrace.drugtrace.audit.index import AuditIndex

__all__ = ["ContainerRecord", "containers_by_case"]

_CASE, _PALLET = 1, 2
_SHIFT = 248
_INDEX = (1 << _SHIFT) - 1
# IPackingLedger.NodeStatus
_NONE, _HELD, _TRANSIT, _OPENED, _MISSING = range(5)
_NAMES = ("BatchCommitted", "BatchPackingCommitted", "ShipmentDispatched", "PackedShipmentDispatched",
          "ContainerMissing", "ContainerUnpacked", "ContainerRepacked", "ShipmentReceived", "ShipmentRejected",
          "ShipmentVoided")


@dataclass(frozen=True)
class ContainerRecord:
    """One pallet or case as ``PackingLedger.containerState`` answers it."""

    key: int
    status: int  # IPackingLedger.NodeStatus
    holder: bytes
    shipment_id: int
    inside: bool  # inside an intact (in transit, missing) parent


def _b(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


def containers_by_case(index: AuditIndex, batch_id: bytes) -> list[ContainerRecord] | None:
    """Every pallet, then every case, of a packed batch, from the indexed events; ``None`` when
    the index does not know the batch as packed (not committed with packing, or not indexed)."""
    b = bytes(batch_id)
    marks = ",".join("?" * len(_NAMES))
    rows = list(index.rows(f"batch_id = ? AND code_hash IS NULL AND name IN ({marks})", (b, *_NAMES)))
    mah = units = per_case = per_pallet = None
    records: dict[int, list[Any]] = {}  # key -> [status, holder, shipment]
    senders: dict[int, bytes] = {}
    items: dict[int, list[int]] = {}
    for row in rows:
        name, args = row["name"], json.loads(row["args"])
        if name == "BatchCommitted":
            mah, units = _b(args["mahOrgId"]), int(args["unitCount"])
        elif name == "BatchPackingCommitted":
            per_case, per_pallet = int(args["unitsPerCase"]), int(args["casesPerPallet"])
        elif name == "ShipmentDispatched":
            senders[int(args["shipmentId"])] = _b(args["fromOrgId"])
        elif name == "PackedShipmentDispatched":
            sid = int(args["shipmentId"])
            items[sid] = [int(k) for k in args["items"]]
            for key in items[sid]:
                records[key] = [_TRANSIT, senders[sid], sid]
        elif name == "ContainerMissing":
            sid = int(args["shipmentId"])
            records[int(args["key"])] = [_MISSING, senders[sid], sid]
        elif name == "ContainerUnpacked":
            records[int(args["key"])] = [_OPENED, _b(args["orgId"]), 0]
        elif name == "ContainerRepacked":
            key = int(args["key"])
            if key >> _SHIFT == _PALLET and per_pallet:  # the cases' records are gone (units: not kept here)
                first = (key & _INDEX) * per_pallet
                for case in range(first, first + per_pallet):
                    records.pop(_CASE << _SHIFT | case, None)
            records[key] = [_HELD, _b(args["orgId"]), 0]
        elif int(args["shipmentId"]) in items:  # a packed shipment received, rejected or voided
            sid = int(args["shipmentId"])
            holder = _b(args["toOrgId"]) if name == "ShipmentReceived" else senders[sid]
            for key in items[sid]:
                record = records.get(key)
                if record is not None and record[0] == _TRANSIT and record[2] == sid:
                    records[key] = [_HELD, holder, 0]
    if mah is None or units is None or not per_case or not per_pallet:
        return None
    cases = -(-units // per_case)
    pallets = -(-cases // per_pallet)

    def resolve(key: int) -> ContainerRecord:
        own = records.get(key)
        if own is not None:
            status, holder, sid = own
            return ContainerRecord(key, status, holder, sid if status in (_TRANSIT, _MISSING) else 0, False)
        if key >> _SHIFT == _PALLET:
            return ContainerRecord(key, _HELD, mah, 0, False)  # never moved: with the MAH
        parent = resolve(_PALLET << _SHIFT | (key & _INDEX) // per_pallet)
        if parent.status == _OPENED:
            return ContainerRecord(key, _HELD, parent.holder, 0, False)  # loose in an opened pallet
        return ContainerRecord(key, parent.status, parent.holder, parent.shipment_id, True)

    keys = [_PALLET << _SHIFT | p for p in range(pallets)] + [_CASE << _SHIFT | c for c in range(cases)]
    return [resolve(k) for k in keys]
