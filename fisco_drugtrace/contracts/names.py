"""Names for numbers: Solidity enums and kind masks in decoded ABI values, and revert hints.

solc writes ``"internalType": "enum LifecycleState"`` beside ``"type": "uint8"`` for enum
parameters; :func:`name_values` uses that (and :data:`MASK_PARAMS` for bit masks such as
``kindMask``) to turn the plain integers the ABI decoder returns into :class:`EnumValue` /
:class:`MaskValue`. Both are ``int`` subclasses, so code comparing with numbers or with the
``IntEnum`` classes of ``drugtrace.models`` keeps working, while ``str()`` gives the name and
``repr()`` gives ``NAME(number)``.

The mechanism is generic: a new enum needs one :data:`ENUM_MEMBERS` entry (a test compares the
table with ``contracts/common/*.sol``), a new mask parameter one :data:`MASK_PARAMS` entry, a new
custom error's hint one :data:`REVERT_HINTS` entry.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

__all__ = [
    "ENUM_MEMBERS",
    "MASK_PARAMS",
    "REVERT_HINTS",
    "EnumValue",
    "MaskValue",
    "enum_value",
    "mask_value",
    "name_values",
    "revert_hint",
]

#: Solidity enum name -> member names in declaration order (``contracts/common/DrugTraceTypes.sol``).
ENUM_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "OrgKind": ("NONE", "REGULATOR_NATIONAL", "REGULATOR_PROVINCIAL", "MANUFACTURER", "DISTRIBUTOR", "LOGISTICS",
                "PHARMACY", "HOSPITAL", "AUDITOR", "PROCUREMENT_PLATFORM"),
    "OrgStatus": ("NONE", "ACTIVE", "SUSPENDED"),
    "LifecycleState": ("NONE", "LISTED", "STOPPED", "RECALLED", "DESTROYED", "DEREGISTERED", "VOIDED"),
    "ShipmentStatus": ("NONE", "DISPATCHED", "RECEIVED", "PARTIAL", "REJECTED", "VOIDED"),
    "ObservationPoint": ("NONE", "PROCESS_DEFINITION", "PROCESS_PROGRESS", "ORDER", "TRANSPORT", "STORAGE",
                         "INSPECTION", "EFFICACY", "ADVERSE_REACTION"),
    "ObservationResult": ("OK", "DEVIATION", "FAIL", "SERIOUS"),
    "RecallLevel": ("NONE", "I", "II", "III"),
    "RecallKind": ("VOLUNTARY", "ORDERED"),
    "RecallStatus": ("NONE", "OPEN", "NOTIFIED", "COMPLETED", "CLOSED"),
    "DestructionStatus": ("NONE", "RECORDED", "CONFIRMED", "VOIDED"),
    # contracts/interfaces/IProcurementLedger.sol (issue 17)
    "BidStatus": ("NONE", "ACTIVE", "WITHDRAWN"),
    "OrderStatus": ("NONE", "PLACED", "ACCEPTED", "DECLINED", "CANCELLED", "FULFILLED", "CLOSED"),
    "DeliveryStatus": ("NONE", "SHIPPED", "ACCEPTED", "REFUSED", "INVOICED", "PAID"),
    "NodeStatus": ("NONE", "HELD", "TRANSIT", "OPENED", "MISSING"),
    "UnitState": ("ACTIVE", "DISPENSED", "DESTROYED", "STOLEN", "LOST", "SAMPLED"),
    # contracts/interfaces/IRangeLedger.sol (D9: unit-level custody of unpacked batches)
    "RangeState": ("NONE", "HELD", "TRANSIT", "MISSING"),
}

#: parameter name -> the enum whose members are its bits (bit ``1 << member``), e.g. OrgRegistry's
#: ``kindMask & (1 << uint256(kind))``.
MASK_PARAMS: Mapping[str, str] = {
    "kindMask": "OrgKind",
    "allowedKinds": "OrgKind",
}

#: custom error name -> one line saying what to do about it.
REVERT_HINTS: Mapping[str, str] = {
    "DrugRegistryBatchExpired": "the batch is past its expiry date: it can no longer be committed, released or "
                                "ordered; destroy the stock under supervision",
    "DrugRegistryEvidenceRequired": "reworking a recalled batch (T7) needs the evidence document's hash: pass --evidence",
    "DrugRegistryOutranked": "this decision was imposed by a higher authority (see `stopAuthority`): only the same "
                             "or a higher regulator may lift it",
    "ObservationLogSubjectExpired": "the batch is past its expiry date: no order can be placed on it",
    "OrgRegistryInvalidSuite": "a linked address has no code or does not point back to this registry: deploy the "
                               "suite with `contracts deploy`, which links it correctly",
    "OrgRegistryOutranked": "the organisation was suspended by a higher authority: only the same or a higher "
                            "regulator may restore it",
    "RecallManagerExceedsHolding": "an organisation can destroy at most what it holds: check `closeout figures` and "
                                   "its holding",
    "RecallManagerHolderCanAct": "the holder is active and licensed: it records its own destruction; a regulator "
                                 "acts for a holder only when it is suspended or its licence lapsed",
    "RecallManagerRecoveryExceedsCirculation": "recovery cannot exceed what was on the market when the case opened: "
                                               "see `closeout figures RECALL_ID`",
    "RecallManagerRecoveryExceedsHolding": "declare recovery of at most what you hold now, before shipping the "
                                           "return (see `closeout figures RECALL_ID`)",
    "RecallManagerSelfCountersign": "a destruction recorded by a regulator for a holder must be counter-signed by "
                                    "another regulator or an auditor",
    # OrgRegistry
    "OrgRegistryUnknownAccount": "bind this account to an organisation first: a regulator runs `org bind ADDRESS ORG`"
                                 " (or sign with --account of a bound account)",
    "OrgRegistryUnknownOrg": "register the organisation first (`org register ORG --kind ...`), or check the code",
    "OrgRegistryOrgNotActive": "the organisation is suspended: a regulator runs `org restore ORG`",
    "OrgRegistryUnauthorizedKind": "this action is for another kind of organisation: sign with an account of one"
                                   " of the kinds in kindMask",
    "OrgRegistryLicenceExpired": "the organisation's licence has expired: a regulator re-registers it with a new"
                                 " --licence-expiry",
    "OrgRegistryOrgExists": "the organisation is already registered: `org show ORG`",
    "OrgRegistryAccountAlreadyBound": "the account is bound already: `org unbind ADDRESS` first, or use another account",
    "OrgRegistryOutsideRemit": "a provincial regulator acts only within its region: use the national regulator",
    "OrgRegistryEnforcedPause": "the suite is paused by the national regulator; wait until it is unpaused",
    "OrgRegistryInvalidKind": "use one of the organisation kinds listed in `org register --help`",
    "OrgRegistryInvalidStatusChange": "the organisation is already in that status: `org show ORG`",
    "OrgRegistryRootProtected": "the national regulator (the suite's root) cannot be suspended or unbound",
    "OrgRegistrySelfUnbind": "an account cannot unbind itself: ask another regulator account",
    "OrgRegistryZeroAddress": "give a non-zero account address",
    "OrgRegistryZeroOrgId": "give a non-zero organisation id",
    "OrgRegistryNotSuiteContract": "only the suite's own contracts may call this",
    "OrgRegistrySuiteAlreadyLinked": "the suite is linked already; deploy a new suite with `contracts deploy --replace`",
    "OrgRegistryPauseUnchanged": "the suite is already in that pause state",
    # DrugRegistry
    "DrugRegistryUnknownProduct": "register the product first (`product register`), or check the id (`product id`)",
    "DrugRegistryUnknownBatch": "register the batch first (`batch register`), or check the id (`batch id`)",
    "DrugRegistryProductExists": "the product is registered already: `product show PRODUCT_ID`",
    "DrugRegistryBatchExists": "the batch is registered already: `batch show BATCH_ID`",
    "DrugRegistryInvalidBatch": "check the batch: production date before the expiry date, a non-zero code root and"
                                " unit count",
    "DrugRegistryInvalidTemperatureRange": "--min-temp must be below --max-temp (both in 0.1 °C)",
    "DrugRegistryInvalidTransition": "the contract's transition table does not allow this change from the current"
                                     " state: `batch show` / `product show`",
    "DrugRegistryUnauthorizedTransition": "this state change is for a regulator (or the MAH for its own batch stop)",
    "DrugRegistryNotListed": "the product or batch is not LISTED (stopped, recalled or destroyed): `batch show`",
    "DrugRegistryNotProductHolder": "only the product's MAH may do this: sign with an account bound to the MAH",
    "DrugRegistryOutsideRemit": "a provincial regulator acts only within its region: use the national regulator",
    "DrugRegistryProcessNotApproved": "the MAH records `observe PROCESS_DEFINITION PRODUCT_ID --max N --evidence DOC`"
                                      " and a regulator approves it with `observe PROCESS_DEFINITION PRODUCT_ID"
                                      " --max N --evidence DOC --result OK`; `batch release-status` shows the gate",
    "DrugRegistryProcessIncomplete": "record the missing steps with `observe PROCESS_PROGRESS BATCH_ID --min I`"
                                     " (or `batch release --record-gate`); `batch release-status` lists them",
    "DrugRegistryReleaseTestMissing": "record the release test with `observe INSPECTION BATCH_ID --result OK`"
                                      " (or `batch release --record-gate`)",
    "DrugRegistryReleaseBlocked": "a regulator's failed inspection blocks the release until a regulator records"
                                  " `observe INSPECTION BATCH_ID --result OK`",
    "DrugRegistryBatchNotReleased": "release the batch first: `batch release BATCH_ID`",
    # corrections (issue 12)
    "DrugRegistryBatchMoved": "units of the batch have moved: it cannot be voided; stop it and open a recall case instead",
    "ObservationLogUnknownObservation": "no observation with this id",
    "ObservationLogAlreadyVoided": "this observation is already voided (the void is on chain)",
    "ObservationLogVoidUnauthorized": "only its author (not for a failed inspection) or a regulator in remit ranking"
                                      " at least as high as the author voids an observation",
    "RecallManagerVoidUnauthorized": "a recorded destruction is voided by its author or a regulator in remit; a"
                                     " confirmed one only by a regulator ranking as high as its recorder and supervisor",
    "RecallManagerBatchDestroyed": "the batch is DESTROYED (terminal): its confirmed destructions can no longer be voided",
    "RecallManagerCaseStillOpen": "the batch's recall case is still open: a follow-up case needs it CLOSED",
    "RecallManagerSuperseded": "the case has a follow-up: record the destruction in the batch's latest case",
    "DrugRegistryInvalidAdrPolicy": "--threshold must be at most maxThreshold",
    "DrugRegistrySuiteNotLinked": "the suite is not linked: deploy it with `contracts deploy`",
    # drug identifier codes
    "DrugRegistryInvalidDrugCode": "a drug identifier code has 7 digits and is not 0000000",
    "DrugRegistryDrugCodeTaken": "another product holds this drug identifier code: `product code-owner NNNNNNN`",
    "DrugRegistryDrugCodeAlreadySet": "the product's drug identifier code is set once and never changed:"
                                      " `product show PRODUCT_ID`",
    # CustodyLedger
    "CustodyLedgerInsufficientStock": "ship or release at most `available` units: `batch holding BATCH_ID ORG`",
    "CustodyLedgerBatchNotListed": "the batch (or its product) is not LISTED: `batch show BATCH_ID`",
    "CustodyLedgerBatchExpired": "the batch has expired; it can only be returned or destroyed",
    "CustodyLedgerInvalidAddressee": "ship to another organisation of a kind that may receive (not the sender)",
    "CustodyLedgerInvalidProof": "the code list does not match the batch root: `batch import-codes BATCH_ID FILE`",
    "CustodyLedgerInvalidQuantity": "give a quantity above zero",
    "CustodyLedgerNotAddressee": "only the addressee receives a shipment: sign with its account",
    "CustodyLedgerNotQuarantined": "release at most `quarantined` units",
    "CustodyLedgerOutsideRemit": "a provincial regulator acts only within its region",
    "CustodyLedgerReceivedTooMuch": "receive at most the dispatched quantity",
    "CustodyLedgerShipmentNotInTransit": "the shipment was received or rejected already: `trace shipment ID`",
    "CustodyLedgerUnitOutOfRange": "the unit index is beyond the batch's unit count",
    "CustodyLedgerUnknownBatch": "check the batch id (`batch id`) or register the batch",
    "CustodyLedgerUnknownShipment": "check the shipment id (`trace shipment ID`)",
    "CustodyLedgerPackedBatch": "the batch is packed: ship its cases/pallets through the PackingLedger, not a quantity",
    "CustodyLedgerPackedShipment": "the shipment lists cases/pallets: receive it per container through the PackingLedger",
    "CustodyLedgerNotPackedShipment": "the shipment is by quantity (or more units reported missing than shipped)",
    "CustodyLedgerNotUnitHolder": "only the organisation holding the unit dispenses or decommissions it: for a "
                                  "packed batch, loose (unpack its case first); otherwise one of the codes it "
                                  "received (RangeLedger.rangesOf lists them)",
    "CustodyLedgerOnlyPacking": "only the suite's PackingLedger calls this function",
    "CustodyLedgerInvalidUnitList": "list each unit once, ascending, with one code hash per unit",
    "CustodyLedgerInvalidUnitState": "decommission as DESTROYED, STOLEN, LOST or SAMPLED (regulators: SAMPLED only)",
    "CustodyLedgerUnitGone": "the unit already left custody (dispensed or decommissioned): `verify CODE`",
    "DrugRegistryInvalidPacking": "a packed batch needs a packing root and units per case / cases per pallet above 0",
    # PackingLedger
    "PackingLedgerNotPacked": "the batch was committed without packing: ship it by quantity",
    "PackingLedgerUnknownContainer": "no such case/pallet/unit in the batch's layout (key = level << 248 | index)",
    "PackingLedgerNotHolder": "you do not hold that container intact (or the unit loose): unpack its parent first, "
                              "or check PackingLedger.containerState",
    "PackingLedgerUnsortedList": "list each container once, in ascending key order",
    "PackingLedgerManifestMismatch": "list exactly the containers the shipment carried",
    "PackingLedgerNotShipped": "report missing only containers of the shipment (or cases of its pallets; "
                               "not a case of a pallet that is itself reported missing)",
    "PackingLedgerUnitGone": "the unit was dispensed or decommissioned: it cannot move or be repacked",
    "PackingLedgerOnlyCustody": "only the suite's CustodyLedger calls this function",
    # RangeLedger (unit-level custody of unpacked batches, D9)
    "RangeLedgerOnlyCustody": "only the suite's CustodyLedger calls this function",
    "RangeLedgerTooFragmented": "the units to ship are spread over too many code ranges: ship fewer units "
                                "(the sender's first ranges) now and the rest in another shipment",
    "RangeLedgerShortOfUnits": "the holder's code ranges hold fewer units than its quantity (units restored by "
                               "quantity only): ship at most what RangeLedger.rangesOf lists",
    "RangeLedgerSplitTooFar": "too many dispensed or decommissioned codes to count in one move: ship fewer units",
    "RangeLedgerBatchTooLarge": "unit-level custody covers batches of at most 2^32 units",
    "RangeLedgerUnitOutOfRange": "the unit index is beyond the batch's unit count (or the batch is unknown)",
    "RangeLedgerPackedBatch": "the batch is packed: its custody is per container (PackingLedger.containerState)",
    # ObservationLog
    "ObservationLogInvalidPoint": "use one of the observation points listed in `observe --help`",
    "ObservationLogInvalidRange": "--min must not exceed --max",
    "ObservationLogInvalidShipment": "the shipment does not carry this batch, or you are not its carrier",
    "ObservationLogInvalidStep": "the step must be within 1..stepCount of the approved process",
    "ObservationLogInvalidStepCount": "--max (the number of steps) must be 1..256",
    "ObservationLogNoApprovedProcess": "approve a process definition first (`observe PROCESS_DEFINITION ...`)",
    "ObservationLogSubjectNotListed": "the batch or product is not LISTED",
    "ObservationLogUnauthorizedReporter": "this observation point is for another kind of organisation",
    "ObservationLogUnknownSubject": "check the batch / product id",
    # RecallManager
    "RecallManagerInvalidLevel": "use --level I, II or III",
    "RecallManagerInvalidQuantity": "give a quantity above zero",
    "RecallManagerInvalidScope": "give either --batch or --product (a STOPPED one)",
    "RecallManagerInvalidStatus": "the recall case is not in the state this step needs: `recall show RECALL_ID`",
    "RecallManagerNotBatchScope": "this step needs a recall of one batch",
    "RecallManagerUnauthorized": "only the case's MAH or a regulator may do this (not the executor, to counter-sign)",
    "RecallManagerDestructionNotPending": "the destruction was counter-signed already",
    "RecallManagerUnknownDestruction": "check the destruction id",
    "RecallManagerUnknownRecall": "check the recall id (`audit recalls`)",
    # ProcurementLedger (issue 17)
    "ProcurementLedgerBidNotActive":
        "the bid was withdrawn by its platform: nothing more can change on it",
    "ProcurementLedgerBidNotLive":
        "the bid is withdrawn or outside its validity period: see `procure show bid BID_ID`",
    "ProcurementLedgerDeliveriesInFlight":
        "a delivery of this order is still in transit: receive (or reject) it and run `procure confirm SHIPMENT_ID` first",
    "ProcurementLedgerDistributorNotAllowed":
        "the bid does not allow this distributor: order from one listed by `procure show bid BID_ID`",
    "ProcurementLedgerInvalidBid":
        "a bid needs a price above 0, a validity that ends in the future after it starts, and 1 to 8 distributors",
    "ProcurementLedgerInvalidDeliveryStatus":
        "the delivery is not at this step: see `procure show delivery SHIPMENT_ID`",
    "ProcurementLedgerInvalidOrderStatus":
        "the order is not at this step: see `procure show order ORDER_ID`",
    "ProcurementLedgerInvalidPeriod":
        "the settlement period is 1 to 365 days",
    "ProcurementLedgerInvalidVolumes":
        "give as many volumes as hospitals, 1 to 32 per call",
    "ProcurementLedgerInvoiceMismatch":
        "the invoice amount must be the accepted quantity times the bid price (the error shows the expected amount)",
    "ProcurementLedgerNotOverdue":
        "the deadline has not passed, the delivery is paid, or its alert was already raised",
    "ProcurementLedgerNotParty":
        "only the order's own hospital or distributor (or the bid's platform) acts on it: sign with --account of that organisation",
    "ProcurementLedgerOverDelivery":
        "the shipment would take the order past its quantity: ship at most what is still open (`procure show order ORDER_ID`)",
    "ProcurementLedgerPaymentMismatch":
        "record the invoice amount as paid (the error shows it)",
    "ProcurementLedgerProductNotListed":
        "a bid needs a product on the market (LISTED)",
    "ProcurementLedgerShipmentAlreadyCounted":
        "this shipment already counts as a delivery of an order; each shipment counts once",
    "ProcurementLedgerShipmentMismatch":
        "the shipment must go from the order's distributor to its hospital, carry the bid's product and not be a return",
    "ProcurementLedgerShipmentNotDeliverable":
        "the shipment was rejected or voided: dispatch a new one",
    "ProcurementLedgerShipmentNotReceived":
        "the hospital has not received the shipment yet: `receive SHIPMENT_ID` first",
    "ProcurementLedgerUnknownBid":
        "no such bid: list them with `procure show bids`",
    "ProcurementLedgerUnknownDelivery":
        "this shipment is not a delivery of any order: `procure deliver ORDER_ID SHIPMENT_ID` first",
    "ProcurementLedgerUnknownOrder":
        "no such purchase order: check the id (`procure show order ORDER_ID`)",
    "ProcurementLedgerVolumeBelowOrdered":
        "the agreed volume cannot drop below what the hospital already ordered",
    "ProcurementLedgerVolumeExceeded":
        "the order would pass the hospital's agreed volume under the bid (or orders nothing): see `procure show bid BID_ID`",
}


class EnumValue(int):
    """An enum member decoded from the ABI: an ``int`` that prints as its name."""

    enum: str
    name: str

    def __new__(cls, value: int, enum: str, name: str) -> "EnumValue":
        obj = super().__new__(cls, value)
        obj.enum = enum
        obj.name = name
        return obj

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"{self.name}({int(self)})"

    def __reduce__(self) -> Any:
        return (EnumValue, (int(self), self.enum, self.name))


class MaskValue(int):
    """A bit mask of enum members: an ``int`` that prints as ``A|B`` (``names`` in bit order)."""

    enum: str
    names: tuple[str, ...]

    def __new__(cls, value: int, enum: str, names: Sequence[str]) -> "MaskValue":
        obj = super().__new__(cls, value)
        obj.enum = enum
        obj.names = tuple(names)
        return obj

    def __str__(self) -> str:
        return "|".join(self.names) if self.names else "none"

    def __repr__(self) -> str:
        return f"{self}({int(self)})"

    def __reduce__(self) -> Any:
        return (MaskValue, (int(self), self.enum, self.names))


def enum_value(enum: str, value: int) -> int:
    """``value`` named as a member of ``enum``; the plain int when the enum or member is unknown."""
    members = ENUM_MEMBERS.get(enum)
    if members is None or not 0 <= int(value) < len(members):
        return int(value)
    return EnumValue(int(value), enum, members[int(value)])


def mask_value(enum: str, value: int) -> int:
    """``value`` as a mask of ``enum`` members (bits beyond the members are shown as ``bitN``)."""
    members = ENUM_MEMBERS.get(enum)
    if members is None or int(value) < 0:
        return int(value)
    names = [members[i] if i < len(members) else f"bit{i}" for i in range(int(value).bit_length())
             if int(value) >> i & 1]
    return MaskValue(int(value), enum, names)


def _enum_of(param: Mapping[str, Any]) -> str | None:
    internal = str(param.get("internalType") or "")
    if not internal.startswith("enum "):
        return None
    # "enum LifecycleState" or "enum DrugRegistry.Kind": the last dotted part names it
    return internal[len("enum "):].rsplit(".", 1)[-1]


def name_values(params: Sequence[Mapping[str, Any]], args: Mapping[str, Any]) -> dict[str, Any]:
    """Decoded arguments with enums and masks named, guided by the ABI entry's ``inputs``.

    ``params`` are the JSON ABI parameters (with ``name`` and ``internalType``); ``args`` the decoded
    values by name (``arg0``... for unnamed ones, as the decoder names them). Values that are
    not enums, unknown enums and out-of-range numbers are returned unchanged.
    """
    out = dict(args)
    for i, param in enumerate(params):
        key = str(param.get("name") or f"arg{i}")
        value = out.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        enum = _enum_of(param)
        if enum is not None:
            out[key] = enum_value(enum, value)
        elif key in MASK_PARAMS and str(param.get("type", "")).startswith("uint"):
            out[key] = mask_value(MASK_PARAMS[key], value)
    return out


def revert_hint(error_name: str | None) -> str | None:
    """The one-line hint for a custom error, or ``None``."""
    return REVERT_HINTS.get(error_name or "")
