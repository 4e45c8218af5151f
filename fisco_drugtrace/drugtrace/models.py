"""Typed records of the drug-trace domain (frozen dataclasses) and the contracts' enumerations.

Enum numbering is the contracts' ABI (``contracts/common/DrugTraceTypes.sol``): do not reorder.
Ids are ``bytes``; times are milliseconds since the epoch (FISCO BCOS block time);
temperatures are in 0.1 °C.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Mapping

__all__ = [
    "OrgKind",
    "OrgStatus",
    "LifecycleState",
    "ShipmentStatus",
    "ObservationPoint",
    "ObservationResult",
    "RecallLevel",
    "RecallKind",
    "RecallStatus",
    "DestructionStatus",
    "TxInfo",
    "Organisation",
    "Product",
    "AdrPolicy",
    "ADR_MAX_THRESHOLD",
    "Batch",
    "BatchRegistration",
    "ReleaseStatus",
    "Holding",
    "Shipment",
    "DispenseResult",
    "Observation",
    "RecallCase",
    "Destruction",
    "RecallFigures",
    "RecallLinks",
    "ObservationVoid",
    "BatchStock",
    "SuiteStatus",
]


class OrgKind(IntEnum):
    NONE = 0
    REGULATOR_NATIONAL = 1
    REGULATOR_PROVINCIAL = 2
    MANUFACTURER = 3
    DISTRIBUTOR = 4
    LOGISTICS = 5
    PHARMACY = 6
    HOSPITAL = 7
    AUDITOR = 8
    PROCUREMENT_PLATFORM = 9


class OrgStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2


class LifecycleState(IntEnum):
    NONE = 0
    LISTED = 1
    STOPPED = 2
    RECALLED = 3
    DESTROYED = 4
    DEREGISTERED = 5
    VOIDED = 6  # a mis-committed batch voided before it moved (issue 12)


class ShipmentStatus(IntEnum):
    NONE = 0
    DISPATCHED = 1
    RECEIVED = 2
    PARTIAL = 3
    REJECTED = 4
    VOIDED = 5


class ObservationPoint(IntEnum):
    NONE = 0
    PROCESS_DEFINITION = 1
    PROCESS_PROGRESS = 2
    ORDER = 3
    TRANSPORT = 4
    STORAGE = 5
    INSPECTION = 6
    EFFICACY = 7
    ADVERSE_REACTION = 8


class ObservationResult(IntEnum):
    OK = 0
    DEVIATION = 1
    FAIL = 2
    SERIOUS = 3


class RecallLevel(IntEnum):
    NONE = 0
    I = 1  # noqa: E741 - the regulation's name
    II = 2
    III = 3


class RecallKind(IntEnum):
    VOLUNTARY = 0
    ORDERED = 1


class RecallStatus(IntEnum):
    NONE = 0
    OPEN = 1
    NOTIFIED = 2
    COMPLETED = 3
    CLOSED = 4


class DestructionStatus(IntEnum):
    NONE = 0
    RECORDED = 1
    CONFIRMED = 2
    VOIDED = 3  # voided by its author or a regulator (issue 12)


@dataclass(frozen=True)
class TxInfo:
    """The transaction that made a change: hash, block and the suite events it emitted."""

    tx_hash: str
    block_number: int
    events: tuple[tuple[str, Mapping[str, Any]], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Organisation:
    org_id: bytes
    kind: OrgKind
    status: OrgStatus
    region: int
    seq: int
    licence_expiry: int
    details_hash: bytes
    name: str = ""


@dataclass(frozen=True)
class Product:
    product_id: bytes
    approval_number: str
    package_spec: str
    mah_org_id: bytes
    state: LifecycleState
    since: int
    min_temp: int
    max_temp: int


#: The highest adverse-reaction threshold a policy may set (``ADR_MAX_THRESHOLD`` in
#: ``contracts/common/DrugTraceTypes.sol``: the SERIOUS report times kept per batch).
ADR_MAX_THRESHOLD = 32


@dataclass(frozen=True)
class AdrPolicy:
    """A product's adverse-reaction policy: ``threshold`` SERIOUS reports on one batch within
    ``window_ms`` (0 = no window, cumulative) raise the alert, and stop the batch if ``auto_stop``;
    ``threshold`` 0 = no alert."""

    product_id: bytes
    threshold: int
    window_ms: int
    auto_stop: bool


@dataclass(frozen=True)
class Batch:
    batch_id: bytes
    product_id: bytes
    lot: str
    mah_org_id: bytes
    production_date: int
    expiry_date: int
    unit_count: int
    state: LifecycleState
    since: int
    unit_root: bytes
    aggregation_root: bytes


@dataclass(frozen=True)
class BatchRegistration:
    """A committed batch: the record read back after the commit, and the commit transaction."""

    batch: Batch
    tx: TxInfo


@dataclass(frozen=True)
class ReleaseStatus:
    """A batch's release gate (T0b): the product's approved process definition (observation id,
    0 = none) and a newer one awaiting approval (0 = none), the approved definition's step count
    and the steps recorded OK for the batch against it (bit i = step i), whether the MAH's
    latest release inspection was OK, and a regulator's failed inspection blocking the release
    (observation id, 0 = none; a regulator's OK inspection lifts it)."""

    batch_id: bytes
    product_id: bytes
    approved_definition_id: int
    pending_definition_id: int
    step_count: int
    step_bits: int
    release_test_passed: bool
    blocking_observation_id: int

    @property
    def blocked(self) -> bool:
        """Whether a regulator's failed inspection blocks the release."""
        return self.blocking_observation_id != 0

    @property
    def missing_steps(self) -> tuple[int, ...]:
        """Steps of the approved definition not yet recorded for the batch."""
        return tuple(i for i in range(self.step_count) if not self.step_bits >> i & 1)

    @property
    def ready(self) -> bool:
        """Whether the gate holds (the product must also be LISTED, and the batch unreleased)."""
        return (not self.blocked and self.approved_definition_id != 0 and self.pending_definition_id == 0
                and not self.missing_steps and self.release_test_passed)


@dataclass(frozen=True)
class Holding:
    batch_id: bytes
    org_id: bytes
    quantity: int
    quarantined: int

    @property
    def available(self) -> int:
        return self.quantity - self.quarantined


@dataclass(frozen=True)
class Shipment:
    shipment_id: int
    batch_id: bytes
    from_org_id: bytes
    to_org_id: bytes
    carrier_org_id: bytes
    quantity: int
    received: int
    dispatched_at: int
    status: ShipmentStatus
    is_return: bool
    excursion: bool


@dataclass(frozen=True)
class DispenseResult:
    """Outcome of presenting a unit: ``dispensed`` False means it had been dispensed before
    (the chain recorded a ``DuplicateDispense`` alert and changed nothing)."""

    code: str
    batch_id: bytes
    index: int
    dispensed: bool
    tx: TxInfo


@dataclass(frozen=True)
class Observation:
    observation_id: int
    point: ObservationPoint
    subject_id: bytes
    shipment_id: int
    reporter_org_id: bytes
    result: ObservationResult
    min_value: int
    max_value: int
    recorded_at: int
    evidence_hash: bytes
    triggered: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecallCase:
    recall_id: int
    product_id: bytes
    batch_id: bytes
    mah_org_id: bytes
    initiator_org_id: bytes
    level: RecallLevel
    kind: RecallKind
    status: RecallStatus
    decided_at: int
    notice_deadline: int
    notice_at: int
    last_progress_at: int
    progress_count: int
    completed_at: int


@dataclass(frozen=True)
class RecallFigures:
    """A batch-scope case's figures as the chain computes them (``RecallManager.recallFigures``):
    units on the market (held outside the MAH or in transit) at the opening and now, the units
    that left it since back to the MAH or by a supervised destruction (recovered), units destroyed
    under supervision in the case, the holders' bounded declarations, and the units written off
    the market since the opening (missing from a partial receipt, or decommissioned — stolen,
    lost, sampled, destroyed — away from the MAH): never recovered, no longer outstanding.
    ``in_market_now + recovered + written_off == in_market_at_open`` unless units came back on
    the market after the opening (a destruction of an earlier case voided)."""

    recall_id: int
    in_market_at_open: int
    in_market_now: int
    recovered: int
    destroyed: int
    declared: int
    written_off: int = 0

    @property
    def percent(self) -> float:
        """Recovered share of what was on the market at the opening (0.0 if nothing was)."""
        return round(100.0 * self.recovered / self.in_market_at_open, 2) if self.in_market_at_open else 0.0


@dataclass(frozen=True)
class RecallLinks:
    """How a case sits among the others (``RecallManager.recallLinks``): the batch's closed case it
    follows up (0: none), the open product-wide case it belongs to (0: none), for a product-wide
    case the number of its batch cases, and the latest case of the same scope (the one that takes
    destruction records: an older, superseded case refuses them)."""

    recall_id: int
    follow_up_of: int
    product_case_id: int
    batch_case_count: int
    latest_case_of_scope: int

    @property
    def superseded(self) -> bool:
        """A later case of the same scope exists (destruction goes through it)."""
        return self.latest_case_of_scope != self.recall_id


@dataclass(frozen=True)
class ObservationVoid:
    """An observation voided (EPCIS errorDeclaration): the record stays on chain; ``stop_lifted``
    says whether the automatic stop it caused was lifted with it, ``triggered`` lists the events
    the void set off (``ObservationVoided``, ``BatchStateChanged``, ``ReleaseUnblocked`` ...)."""

    observation_id: int
    voided_by: bytes
    reason_hash: bytes
    stop_lifted: bool
    tx_hash: str
    block_number: int
    triggered: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchStock:
    """``CustodyLedger.batchStock``: units of a batch still in custody (held anywhere or in
    transit), of which in transit and held in quarantine."""

    batch_id: bytes
    total: int
    in_transit: int
    quarantined: int


@dataclass(frozen=True)
class Destruction:
    destruction_id: int
    recall_id: int
    executor_org_id: bytes
    supervisor_org_id: bytes
    quantity: int
    final_disposal: bool
    status: DestructionStatus


@dataclass(frozen=True)
class SuiteStatus:
    """The deployed suite on this chain/group."""

    chain_id: str
    group_id: str
    contracts: Mapping[str, str]
    code_present: Mapping[str, bool]
    paused: bool
    root_org_id: bytes
    org_count: int
    shipment_count: int
    observation_count: int
    recall_count: int
    block_number: int
