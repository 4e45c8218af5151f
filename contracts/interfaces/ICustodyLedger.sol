// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {LifecycleState, ShipmentStatus, UnitState} from "../common/DrugTraceTypes.sol";

/**
 * @title ICustodyLedger - holdings, shipments, returns, quarantine and once-only dispensing
 * @notice Custody is tracked as quantities per (batch, organisation), each with a quarantined
 * part that may not leave except as a return. Shipments are dispatched by the holder naming a
 * carrier and an addressee, and received (fully or partially) or rejected by the addressee.
 * A unit is dispensed once, proven against the batch's Merkle root and recorded in a bitmap; a
 * second dispense of the same unit emits {DuplicateDispense} and changes nothing, without reverting.
 * @dev Shipment ids are counters starting at 1. Quantities on shipments fit in uint40.
 */
interface ICustodyLedger {
    // ------------------------------------------------------------------ errors
    /// @notice Quantity is zero or too large.
    /// @param quantity number of units
    error CustodyLedgerInvalidQuantity(uint256 quantity);
    /// @notice The holder's available (unquarantined) quantity is too small.
    /// @param batchId the batch
    /// @param orgId the organisation
    /// @param available units available (not quarantined)
    /// @param requested units requested
    error CustodyLedgerInsufficientStock(bytes32 batchId, bytes32 orgId, uint256 available, uint256 requested);
    /// @notice The batch (or its product) is not LISTED.
    /// @param batchId the batch
    /// @param batchState the batch's state
    /// @param productState the product's state
    error CustodyLedgerBatchNotListed(bytes32 batchId, LifecycleState batchState, LifecycleState productState);
    /// @notice The batch is past its expiry date.
    /// @param batchId the batch
    /// @param expiryDate the batch's expiry date, ms
    error CustodyLedgerBatchExpired(bytes32 batchId, uint64 expiryDate);
    /// @notice No batch with this id.
    /// @param batchId the batch
    error CustodyLedgerUnknownBatch(bytes32 batchId);
    /// @notice The addressee is the sender, or not a valid addressee for this kind of shipment.
    /// @param batchId the batch
    /// @param toOrgId the addressee
    error CustodyLedgerInvalidAddressee(bytes32 batchId, bytes32 toOrgId);
    /// @notice No shipment with this id.
    /// @param shipmentId the shipment
    error CustodyLedgerUnknownShipment(uint256 shipmentId);
    /// @notice The caller's organisation is not the shipment's addressee.
    /// @param shipmentId the shipment
    /// @param callerOrgId the caller's organisation
    error CustodyLedgerNotAddressee(uint256 shipmentId, bytes32 callerOrgId);
    /// @notice The shipment is not in transit.
    /// @param shipmentId the shipment
    /// @param status the current status
    error CustodyLedgerShipmentNotInTransit(uint256 shipmentId, ShipmentStatus status);
    /// @notice The received quantity exceeds the dispatched quantity.
    /// @param shipmentId the shipment
    /// @param dispatched units dispatched
    /// @param received units received
    error CustodyLedgerReceivedTooMuch(uint256 shipmentId, uint256 dispatched, uint256 received);
    /// @notice The unit index is outside the batch.
    /// @param batchId the batch
    /// @param index the unit's position in the batch's code list
    /// @param unitCount units in the batch
    error CustodyLedgerUnitOutOfRange(bytes32 batchId, uint256 index, uint64 unitCount);
    /// @notice The Merkle proof does not lead to the batch's unit root.
    /// @param batchId the batch
    /// @param index the unit's position in the batch's code list
    error CustodyLedgerInvalidProof(bytes32 batchId, uint256 index);
    /// @notice More quarantine released than quarantined.
    /// @param batchId the batch
    /// @param orgId the organisation
    /// @param quarantined units in quarantine
    /// @param requested units requested
    error CustodyLedgerNotQuarantined(bytes32 batchId, bytes32 orgId, uint256 quarantined, uint256 requested);
    /// @notice A provincial regulator acted outside its region.
    /// @param callerOrgId the caller's organisation
    /// @param orgId the organisation
    error CustodyLedgerOutsideRemit(bytes32 callerOrgId, bytes32 orgId);

    /// @notice A packed batch moves through the PackingLedger (containers), not by quantity.
    /// @param batchId the batch
    error CustodyLedgerPackedBatch(bytes32 batchId);
    /// @notice A shipment of a packed batch is received through the PackingLedger.
    /// @param shipmentId the shipment
    error CustodyLedgerPackedShipment(uint256 shipmentId);
    /// @notice A unit of a packed batch is dispensed only by the organisation holding it loose
    /// (its case unpacked there, or the unit received loose): the D9 guard of issue 17.
    /// @param batchId the batch
    /// @param index the unit
    /// @param orgId the caller
    error CustodyLedgerNotUnitHolder(bytes32 batchId, uint256 index, bytes32 orgId);
    /// @notice Not a shipment of containers (or more units reported missing than it carried).
    /// @param shipmentId the shipment
    error CustodyLedgerNotPackedShipment(uint256 shipmentId);
    /// @notice Unit lists must be non-empty, strictly ascending and matched by as many code hashes.
    /// @param position the first offending position
    error CustodyLedgerInvalidUnitList(uint256 position);
    /// @notice Decommissioning takes DESTROYED, STOLEN, LOST or SAMPLED (regulators: SAMPLED only).
    /// @param state the state given
    error CustodyLedgerInvalidUnitState(UnitState state);
    /// @notice The unit already left custody (dispensed or decommissioned).
    /// @param batchId the batch
    /// @param index the unit
    /// @param state where it stands
    error CustodyLedgerUnitGone(bytes32 batchId, uint256 index, UnitState state);
    /// @notice Only this ledger's PackingLedger may call.
    /// @param caller the caller
    error CustodyLedgerOnlyPacking(address caller);

    // ------------------------------------------------------------------ events
    /// @notice A unit left custody other than by dispensing (issue 12, routine decommissioning).
    /// @param batchId the batch
    /// @param index the unit
    /// @param codeHash keccak256(utf8(code))
    /// @param holderOrgId the holder debited
    /// @param state DESTROYED, STOLEN, LOST or SAMPLED
    /// @param byOrgId who recorded it (the holder, or the regulator that sampled)
    /// @param evidenceHash hash of the record (destruction report, police report, sampling form)
    event UnitDecommissioned(bytes32 indexed batchId, uint256 index, bytes32 codeHash, bytes32 indexed holderOrgId,
        UnitState state, bytes32 indexed byOrgId, bytes32 evidenceHash);
    /// @notice A decommissioned unit's code was presented for dispensing: refused without
    /// reverting, so the alert (a stolen or destroyed code back on the market) stays on chain.
    /// @param batchId the batch
    /// @param index the unit
    /// @param codeHash keccak256(utf8(code))
    /// @param orgId the dispenser that presented it
    /// @param state its decommissioned state
    event DecommissionedUnitPresented(bytes32 indexed batchId, uint256 indexed index, bytes32 codeHash,
        bytes32 indexed orgId, UnitState state);
    /// @notice A unit missing from a short receipt (see IRangeLedger) was presented for dispensing:
    /// refused without reverting, so the alert stays on chain.
    /// @param batchId the batch
    /// @param index the unit
    /// @param codeHash keccak256(utf8(code))
    /// @param orgId the dispenser that presented it
    event MissingUnitPresented(bytes32 indexed batchId, uint256 indexed index, bytes32 codeHash,
        bytes32 indexed orgId);
    /// @notice Units were credited to a holding (batch commit).
    /// @param batchId the batch
    /// @param orgId the organisation
    /// @param quantity number of units
    event HoldingCredited(bytes32 indexed batchId, bytes32 indexed orgId, uint256 quantity);
    /// @notice A shipment left its sender (forward or return).
    /// @param shipmentId the shipment
    /// @param batchId the batch
    /// @param fromOrgId the sender
    /// @param toOrgId the addressee
    /// @param carrierOrgId the carrier
    /// @param quantity number of units
    /// @param isReturn true for a return toward the manufacturer
    /// @param manifestHash hash or root of the shipped code list
    event ShipmentDispatched(uint256 indexed shipmentId, bytes32 indexed batchId, bytes32 indexed fromOrgId,
        bytes32 toOrgId, bytes32 carrierOrgId, uint256 quantity, bool isReturn, bytes32 manifestHash);
    /// @notice A shipment was received; `quarantined` of the received units went to quarantine.
    /// @param shipmentId the shipment
    /// @param batchId the batch
    /// @param toOrgId the addressee
    /// @param received units received
    /// @param quarantined units in quarantine
    /// @param evidenceHash hash of the evidence document
    event ShipmentReceived(uint256 indexed shipmentId, bytes32 indexed batchId, bytes32 indexed toOrgId,
        uint256 received, uint256 quarantined, bytes32 evidenceHash);
    /// @notice Fewer units arrived than were dispatched (suspect-product signal).
    /// @param shipmentId the shipment
    /// @param batchId the batch
    /// @param toOrgId the addressee
    /// @param dispatched units dispatched
    /// @param received units received
    event ShipmentDiscrepancy(uint256 indexed shipmentId, bytes32 indexed batchId, bytes32 indexed toOrgId,
        uint256 dispatched, uint256 received);
    /// @notice The addressee refused the shipment; its quantity is back with the sender.
    /// @param shipmentId the shipment
    /// @param batchId its batch
    /// @param toOrgId the addressee who refused it
    /// @param quantity units put back with the sender
    /// @param quarantined how many of them are quarantined at the sender (all of a return or of a
    /// shipment with a reported excursion, else 0)
    /// @param reasonHash hash of the refusal reason
    event ShipmentRejected(uint256 indexed shipmentId, bytes32 indexed batchId, bytes32 indexed toOrgId,
        uint256 quantity, uint256 quarantined, bytes32 reasonHash);
    /// @notice A regulator voided a shipment stuck in transit (e.g. its addressee is suspended or
    /// unlicensed): the units are back with the sender, all quarantined.
    /// @param shipmentId the shipment
    /// @param batchId its batch
    /// @param fromOrgId the sender, who holds the units again (quarantined)
    /// @param quantity units put back (all quarantined)
    /// @param byOrgId the regulator
    /// @param reasonHash hash of the decision
    event ShipmentVoided(uint256 indexed shipmentId, bytes32 indexed batchId, bytes32 indexed fromOrgId,
        uint256 quantity, bytes32 byOrgId, bytes32 reasonHash);
    /// @notice A temperature excursion was reported for a shipment (quarantine on receipt).
    /// @param shipmentId the shipment
    /// @param batchId the batch
    /// @param reasonId observation, recall or destruction id behind the change (0 = none)
    event ShipmentExcursionFlagged(uint256 indexed shipmentId, bytes32 indexed batchId, uint256 reasonId);
    /// @notice Units of a holding were put in quarantine.
    /// @param batchId the batch
    /// @param orgId the organisation
    /// @param quantity number of units
    /// @param reasonId observation, recall or destruction id behind the change (0 = none)
    event HoldingQuarantined(bytes32 indexed batchId, bytes32 indexed orgId, uint256 quantity, uint256 reasonId);
    /// @notice Quarantined units were released by a regulator.
    /// @param batchId the batch
    /// @param orgId the organisation
    /// @param quantity number of units
    /// @param byOrgId the acting organisation
    /// @param evidenceHash hash of the evidence document
    event QuarantineReleased(bytes32 indexed batchId, bytes32 indexed orgId, uint256 quantity,
        bytes32 indexed byOrgId, bytes32 evidenceHash);
    /// @notice Units of a holding were destroyed (counter-signed destruction).
    /// @param batchId the batch
    /// @param orgId the organisation
    /// @param quantity number of units
    /// @param reasonId observation, recall or destruction id behind the change (0 = none)
    event HoldingDestroyed(bytes32 indexed batchId, bytes32 indexed orgId, uint256 quantity, uint256 reasonId);
    /// @notice One unit was dispensed / sold.
    /// @param batchId the batch
    /// @param index the unit's position in the batch's code list
    /// @param codeHash keccak256 of the unit code
    /// @param orgId the organisation
    event UnitDispensed(bytes32 indexed batchId, uint256 indexed index, bytes32 codeHash, bytes32 indexed orgId);
    /// @notice A unit already dispensed was presented again (counterfeit / diversion alert). No state changed.
    /// @param batchId the batch
    /// @param index the unit's position in the batch's code list
    /// @param codeHash keccak256 of the unit code
    /// @param orgId the organisation
    event DuplicateDispense(bytes32 indexed batchId, uint256 indexed index, bytes32 codeHash, bytes32 indexed orgId);

    // ------------------------------------------------------------------ writes
    /**
     * @notice Dispatch units of a batch to a downstream organisation.
     * @dev Requirements: caller is a manufacturer or distributor; not paused; batch and product
     * LISTED and not expired; available quantity >= `quantity`; addressee an ACTIVE distributor,
     * pharmacy or hospital other than the sender; carrier an ACTIVE logistics org.
     * Emits {ShipmentDispatched}.
     * @param batchId the batch.
     * @param toOrgId addressee.
     * @param carrierOrgId carrier.
     * @param quantity units shipped (1 .. 2^40-1).
     * @param manifestHash hash (or Merkle root) of the shipped case/unit code list.
     * @return shipmentId the new shipment's id.
     */
    function dispatch(bytes32 batchId, bytes32 toOrgId, bytes32 carrierOrgId, uint64 quantity, bytes32 manifestHash)
        external
        returns (uint256 shipmentId);

    /**
     * @notice Send units back toward the manufacturer (allowed in any lifecycle state).
     * @dev Requirements: caller is a distributor, pharmacy or hospital; not paused; holding quantity
     * (quarantined units first) >= `quantity`; addressee the batch's MAH or an ACTIVE distributor;
     * carrier an ACTIVE logistics org. Emits {ShipmentDispatched} with isReturn = true.
     * @param batchId the batch.
     * @param toOrgId addressee (MAH or distributor).
     * @param carrierOrgId carrier.
     * @param quantity units returned.
     * @param manifestHash hash of the returned code list / return note.
     * @return shipmentId the new shipment's id.
     */
    function dispatchReturn(
        bytes32 batchId,
        bytes32 toOrgId,
        bytes32 carrierOrgId,
        uint64 quantity,
        bytes32 manifestHash
    ) external returns (uint256 shipmentId);

    /**
     * @notice Receive a shipment, fully or partially.
     * @dev Requirements: caller's org is the addressee; shipment DISPATCHED; 0 < received <= dispatched.
     * Received units are credited to the addressee; they are quarantined for returns and for
     * shipments with a reported temperature excursion. Missing units are not credited anywhere.
     * Emits {ShipmentReceived}, and {ShipmentDiscrepancy} when received < dispatched.
     * @param shipmentId the shipment.
     * @param receivedQuantity units actually received.
     * @param evidenceHash hash of the receiving record.
     */
    function receiveShipment(uint256 shipmentId, uint64 receivedQuantity, bytes32 evidenceHash) external;

    /**
     * @notice Refuse a shipment; its quantity returns to the sender's holding.
     * @dev Requirements: caller's org is the addressee; shipment DISPATCHED. Emits {ShipmentRejected}.
     * @param shipmentId the shipment.
     * @param reasonHash hash of the refusal note.
     */
    function rejectShipment(uint256 shipmentId, bytes32 reasonHash) external;

    /**
     * @notice Dispense or sell one unit, proven by a Merkle proof.
     * @dev Requirements: caller is a pharmacy or hospital; not paused; batch known; index < unitCount;
     * the proof is valid. If the unit was already dispensed, emits {DuplicateDispense} and returns
     * false WITHOUT reverting and without changing custody state, whatever the batch's lifecycle
     * state or expiry (a decommissioned unit: {DecommissionedUnitPresented}); otherwise requires
     * batch and product LISTED and the batch not expired, on a packed batch the unit held loose by
     * the caller ({CustodyLedgerNotUnitHolder}), and one available unit; sets the bit, debits the
     * holding and emits {UnitDispensed}.
     * @param batchId the batch.
     * @param index position of the unit in the batch's code list (0-based).
     * @param codeHash keccak256(utf8(unit code)).
     * @param proof sibling hashes from the leaf upward.
     * @return dispensed true if this call dispensed the unit, false for a duplicate.
     */
    function dispense(bytes32 batchId, uint256 index, bytes32 codeHash, bytes32[] calldata proof)
        external
        returns (bool dispensed);

    /**
     * @notice Dispense many codes of one batch in one call (a pharmacy's end-of-day upload, a
     * ward's issue list) with one Merkle multiproof.
     * @dev Requirements: pharmacy or hospital; `indices` strictly ascending, as many `codeHashes`
     * ({CustodyLedgerInvalidUnitList}), in range, `proof` the multiproof of the suite's tree
     * ({CustodyLedgerInvalidProof}). Each unit already gone raises its alert
     * ({DuplicateDispense}, or {DecommissionedUnitPresented}) and is skipped, never a revert; if
     * any unit is new, the batch must be usable and (packed batch) each new unit held loose by
     * the caller, and the holding must have that many available units. Emits {UnitDispensed}
     * per new unit; one write per bitmap word.
     * @param batchId the batch.
     * @param indices the units, strictly ascending.
     * @param codeHashes keccak256(utf8(code)) of each.
     * @param proof the multiproof (UnitMerkle.verifyMulti).
     * @return dispensed how many were dispensed by this call.
     */
    function dispenseMany(bytes32 batchId, uint256[] calldata indices, bytes32[] calldata codeHashes,
        bytes32[] calldata proof) external returns (uint256 dispensed);

    /**
     * @notice Decommission units (issue 12): destroyed (expired, damaged), stolen, lost or taken
     * as samples. Per-unit state beside the dispensed bitmap; the holder's quantity is debited
     * (quarantined units first) and the units leave the batch's stock.
     * @dev Requirements: a holder kind recording for itself (`holderOrgId` = its own), state
     * DESTROYED..SAMPLED; or a regulator (provincial: holder in its region) recording SAMPLED
     * for `holderOrgId` (official sampling). Lists and proof as {dispenseMany}; no unit already
     * gone ({CustodyLedgerUnitGone}); packed batch: each unit held loose by the holder; the
     * holder holds that many units. Any lifecycle state. Emits {UnitDecommissioned} per unit.
     * @param batchId the batch.
     * @param indices the units, strictly ascending.
     * @param codeHashes keccak256(utf8(code)) of each.
     * @param proof the multiproof.
     * @param state DESTROYED, STOLEN, LOST or SAMPLED.
     * @param holderOrgId the holder debited.
     * @param evidenceHash hash of the record.
     */
    function decommission(bytes32 batchId, uint256[] calldata indices, bytes32[] calldata codeHashes,
        bytes32[] calldata proof, UnitState state, bytes32 holderOrgId, bytes32 evidenceHash) external;

    /// @notice Where a unit stands: ACTIVE, DISPENSED or its decommissioned state.
    /// @param batchId the batch.
    /// @param index the unit.
    /// @return state the state.
    function unitState(bytes32 batchId, uint256 index) external view returns (UnitState state);

    /**
     * @notice Release quarantined units of a holding after inspection.
     * @dev Requirements: national regulator, or provincial regulator of the holder's region.
     * Emits {QuarantineReleased}.
     * @param batchId the batch.
     * @param holderOrgId the holder.
     * @param quantity units to release.
     * @param evidenceHash hash of the inspection record.
     */
    function releaseQuarantine(bytes32 batchId, bytes32 holderOrgId, uint64 quantity, bytes32 evidenceHash) external;

    // ------------------------------------------------------------------ packing (PackingLedger only)
    /**
     * @notice A shipment of a packed batch's containers (PackingLedger.dispatchPacked).
     * @dev Same rules, checks and event as {dispatch} (or {dispatchReturn} if `isReturn`), for
     * the sender the PackingLedger authorized; the shipment is marked packed, so it is received
     * only through the PackingLedger. Caller: this ledger's PackingLedger.
     * @param batchId the batch.
     * @param fromOrg the sender.
     * @param fromSeq the sender's seq.
     * @param toOrgId addressee.
     * @param carrierOrgId carrier.
     * @param quantity units in the listed containers.
     * @param isReturn a return.
     * @param manifestHash hash of the despatch advice.
     * @return shipmentId the shipment.
     */
    function packedDispatch(bytes32 batchId, bytes32 fromOrg, uint32 fromSeq, bytes32 toOrgId,
        bytes32 carrierOrgId, uint64 quantity, bool isReturn, bytes32 manifestHash) external returns (uint256 shipmentId);

    /**
     * @notice The receipt of a packed shipment (PackingLedger.receivePacked): as
     * {receiveShipment} with `received = quantity - missingQuantity` (0 allowed: all missing).
     * Caller: this ledger's PackingLedger.
     * @param shipmentId the shipment.
     * @param callerOrg the receiver.
     * @param callerSeq the receiver's seq.
     * @param missingQuantity units of the containers reported missing.
     * @param evidenceHash hash of the receiving record.
     * @return batchId the shipment's batch.
     * @return quantity the units dispatched (the PackingLedger checks its list adds up to it).
     */
    function packedReceive(uint256 shipmentId, bytes32 callerOrg, uint32 callerSeq, uint64 missingQuantity,
        bytes32 evidenceHash) external returns (bytes32 batchId, uint64 quantity);

    /// @notice The PackingLedger this ledger deployed (container custody of packed batches).
    /// @return packing its address.
    function packingLedger() external view returns (address packing);

    /// @notice The RangeLedger this ledger deployed (which codes of an unpacked batch each holder holds).
    /// @return ranges its address.
    function rangeLedger() external view returns (address ranges);

    /// @notice Status of a shipment.
    /// @param shipmentId the shipment.
    /// @return status its status (NONE = unknown).
    function shipmentStatus(uint256 shipmentId) external view returns (ShipmentStatus status);

    /// @notice Batch of a shipment.
    /// @param shipmentId the shipment.
    /// @return batchId its batch (0 = unknown).
    function shipmentBatch(uint256 shipmentId) external view returns (bytes32 batchId);

    /// @notice Whether a unit has left custody for good (dispensed or decommissioned).
    /// @param batchId the batch.
    /// @param index the unit.
    /// @return gone true if so.
    function unitGone(bytes32 batchId, uint256 index) external view returns (bool gone);

    /// @notice Whether any unit of [start, end) has left custody for good (a loop over at most
    /// (end - start) / 256 + 2 bitmap words).
    /// @param batchId the batch.
    /// @param start first unit.
    /// @param end one past the last unit.
    /// @return gone true if any has.
    function anyUnitGone(bytes32 batchId, uint256 start, uint256 end) external view returns (bool gone);

    // ------------------------------------------------------------------ system (suite contracts only)
    /**
     * @notice Void a shipment stuck in transit (a close-out path: its addressee is suspended or
     * unlicensed and can neither receive nor reject it).
     * @dev Requirements: regulator (provincial: the sender in its region, {CustodyLedgerOutsideRemit});
     * shipment DISPATCHED ({CustodyLedgerShipmentNotInTransit}). The whole quantity goes back to
     * the sender as quarantined units; status VOIDED. Emits {ShipmentVoided}.
     * @param shipmentId the shipment.
     * @param reasonHash hash of the decision.
     */
    function voidShipment(uint256 shipmentId, bytes32 reasonHash) external;

    /**
     * @notice Credit units to a holding (DrugRegistry on batch commit). Emits {HoldingCredited}.
     * @param batchId the batch.
     * @param orgId the holder.
     * @param quantity units.
     */
    function systemCredit(bytes32 batchId, bytes32 orgId, uint64 quantity) external;

    /**
     * @notice Quarantine up to `quantity` available units of a holding (storage excursion).
     * Emits {HoldingQuarantined} when something was quarantined.
     * @param batchId the batch.
     * @param orgId the holder.
     * @param quantity upper bound (type(uint64).max = everything available).
     * @param reasonId observation id.
     * @return quarantined units actually quarantined.
     */
    function systemQuarantine(bytes32 batchId, bytes32 orgId, uint64 quantity, uint256 reasonId)
        external
        returns (uint256 quarantined);

    /**
     * @notice Flag a temperature excursion on a shipment: quarantine on receipt, or at once at the
     * receiver if it was already received (at the sender if it was rejected). Units of a return or
     * of a shipment flagged before are already quarantined and are not quarantined again.
     * Emits {ShipmentExcursionFlagged}, and {HoldingQuarantined} when units were quarantined now.
     * @param shipmentId the shipment.
     * @param reasonId observation id.
     */
    function systemFlagShipmentExcursion(uint256 shipmentId, uint256 reasonId) external;

    /**
     * @notice Remove destroyed units from a holding (quarantined units first). Emits {HoldingDestroyed}.
     * @param batchId the batch.
     * @param orgId the holder.
     * @param quantity units destroyed.
     * @param reasonId destruction record id.
     */
    function systemDestroy(bytes32 batchId, bytes32 orgId, uint64 quantity, uint256 reasonId) external;

    // ------------------------------------------------------------------ views
    /**
     * @notice A holding.
     * @param batchId the batch.
     * @param orgId the holder.
     * @return quantity units held (including quarantined).
     * @return quarantined units in quarantine.
     */
    function holdingOf(bytes32 batchId, bytes32 orgId) external view returns (uint128 quantity, uint128 quarantined);

    /**
     * @notice A shipment.
     * @param shipmentId the shipment.
     * @return batchId the batch (zero if unknown).
     * @return fromOrgId sender.
     * @return toOrgId addressee.
     * @return carrierOrgId carrier.
     * @return quantity units dispatched.
     * @return received units received (0 until received).
     * @return dispatchedAt dispatch time, ms.
     * @return status status.
     * @return isReturn true for returns.
     * @return excursion true if a temperature excursion was reported.
     */
    function getShipment(uint256 shipmentId)
        external
        view
        returns (
            bytes32 batchId,
            bytes32 fromOrgId,
            bytes32 toOrgId,
            bytes32 carrierOrgId,
            uint64 quantity,
            uint64 received,
            uint64 dispatchedAt,
            ShipmentStatus status,
            bool isReturn,
            bool excursion
        );

    /**
     * @notice When a shipment was received (RECEIVED or PARTIAL): the receipt's block time, ms.
     * @dev The receipt is the addressee's acceptance of the goods; a procurement delivery's
     * settlement clock starts here (see ProcurementLedger).
     * @param shipmentId the shipment.
     * @return at receipt time, ms (0 if never received: in transit, rejected, voided or unknown).
     */
    function receivedAt(uint256 shipmentId) external view returns (uint64 at);

    /**
     * @notice Whether an organisation has ever held units of a batch (credited at release or
     * received on a shipment); set for good.
     * @param batchId the batch.
     * @param orgId the organisation.
     * @return held true once it has held units.
     */
    function hasHeld(bytes32 batchId, bytes32 orgId) external view returns (bool held);

    /**
     * @notice The units of a batch still in custody: `total` held anywhere plus in transit (units
     * leave it when dispensed, destroyed or missing from a partial receipt), of which `inTransit`
     * in shipments under way and `quarantined` held in quarantine.
     * @param batchId the batch.
     * @return total units held anywhere or in transit.
     * @return inTransit units in DISPATCHED shipments.
     * @return quarantined units held in quarantine.
     */
    function batchStock(bytes32 batchId) external view returns (uint64 total, uint64 inTransit, uint64 quarantined);

    /**
     * @notice Units of a batch written off the market so far (cumulative): missing from partial
     * receipts (in dispute, in nobody's custody) and decommissioned at a holder other than the
     * batch's MAH (stolen, lost, sampled, destroyed outside a recall's destruction record). They
     * left `total` without coming back, so a recall case does not count them as recovered.
     * @param batchId the batch.
     * @return units the cumulative count.
     */
    function writtenOff(bytes32 batchId) external view returns (uint64 units);

    /// @notice Number of shipments so far (ids run 1..shipmentCount).
    /// @return count the number.
    function shipmentCount() external view returns (uint256 count);

    /// @notice Whether the unit at `index` of `batchId` was dispensed.
    /// @param batchId the batch.
    /// @param index unit index.
    /// @return dispensed true if dispensed.
    function isDispensed(bytes32 batchId, uint256 index) external view returns (bool dispensed);

    /// @notice One 256-bit word of a batch's dispense bitmap (bit i of word w = unit w*256+i).
    /// @param batchId the batch.
    /// @param wordIndex index / 256.
    /// @return word the bits.
    function dispenseWord(bytes32 batchId, uint256 wordIndex) external view returns (uint256 word);

    /// @notice The DrugRegistry this ledger reads batch states from.
    /// @return registry its address.
    function drugRegistry() external view returns (address registry);

    // ------------------------------------------------------------ corrections (issue 12)

    /**
     * @notice A correction of a holding by the suite (never an overwrite of a record): `restore`
     * puts back, quarantined, the units of a voided destruction record; otherwise the units of a
     * voided, unmoved batch leave custody.
     * @param batchId the batch.
     * @param orgId the holder.
     * @param quantity units.
     * @param restore true to credit back (quarantined), false to debit.
     * @param reasonId the voided record (destruction id) or 0 for a batch.
     */
    function systemCorrectHolding(bytes32 batchId, bytes32 orgId, uint64 quantity, bool restore, uint256 reasonId)
        external;

    /// @notice A holding corrected by a void (see {systemCorrectHolding}).
    event HoldingCorrected(
        bytes32 indexed batchId, bytes32 indexed orgId, uint256 quantity, bool restored, uint256 reasonId
    );
}
