"""The drug-trace domain API: ``TraceService`` and its typed records.

No printing and no click here; the CLI (``fisco_drugtrace.cli``) renders what this returns.
"""

from __future__ import annotations

from fisco_drugtrace.drugtrace.addressbook import AddressBook, Deployment
from fisco_drugtrace.drugtrace.codes import load_codes, validate_codes
from fisco_drugtrace.drugtrace.codestore import CodeStore
from fisco_drugtrace.drugtrace.ids import batch_id, code_hash, org_id, product_id, text_hash
from fisco_drugtrace.drugtrace.models import (
    ADR_MAX_THRESHOLD,
    AdrPolicy,
    Batch,
    BatchRegistration,
    Destruction,
    DestructionStatus,
    DispenseResult,
    Holding,
    LifecycleState,
    Observation,
    ObservationPoint,
    ObservationResult,
    Organisation,
    OrgKind,
    OrgStatus,
    Product,
    RecallCase,
    RecallKind,
    RecallLevel,
    RecallStatus,
    ReleaseStatus,
    Shipment,
    ShipmentStatus,
    SuiteStatus,
    TxInfo,
)
from fisco_drugtrace.drugtrace.service import TraceService
from fisco_drugtrace.drugtrace.verification import UnitState, Verdict, Verification

UnitVerification = Verification  # the name before verdicts; kept for callers

__all__ = [
    "TraceService",
    "AddressBook",
    "Deployment",
    "CodeStore",
    "load_codes",
    "validate_codes",
    "batch_id",
    "code_hash",
    "org_id",
    "product_id",
    "text_hash",
    "ADR_MAX_THRESHOLD",
    "AdrPolicy",
    "Batch",
    "BatchRegistration",
    "Destruction",
    "DestructionStatus",
    "DispenseResult",
    "Holding",
    "LifecycleState",
    "Observation",
    "ObservationPoint",
    "ObservationResult",
    "Organisation",
    "OrgKind",
    "OrgStatus",
    "Product",
    "RecallCase",
    "RecallKind",
    "RecallLevel",
    "RecallStatus",
    "ReleaseStatus",
    "Shipment",
    "ShipmentStatus",
    "SuiteStatus",
    "TxInfo",
    "UnitVerification",
    "Verification",
    "Verdict",
    "UnitState",
]
