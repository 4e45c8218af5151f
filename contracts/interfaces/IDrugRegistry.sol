// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {LifecycleState} from "../common/DrugTraceTypes.sol";

/**
 * @title IDrugRegistry - products, batches and their five-state lifecycle
 * @notice Products (approvals) are registered by the national regulator; batches are committed by
 * the product's MAH with the Merkle root of their unit codes. Both follow the lifecycle
 * LISTED / STOPPED / RECALLED / DESTROYED / DEREGISTERED through one explicit transition table
 * with a role mask per transition ({transitionRoles}).
 * @dev Ids: productId = keccak256(abi.encode(approvalNumber, packageSpec));
 * batchId = keccak256(abi.encode(productId, lot)). Timestamps and dates are milliseconds (FISCO).
 * Temperatures are in 0.1 degC.
 */
interface IDrugRegistry {
    // ------------------------------------------------------------------ errors
    /// @notice A packed batch needs a non-zero packing root and layout.
    /// @param packingRoot the root given
    /// @param unitsPerCase the units per case given
    /// @param casesPerPallet the cases per pallet given
    error DrugRegistryInvalidPacking(bytes32 packingRoot, uint16 unitsPerCase, uint16 casesPerPallet);
    /// @notice A product with this id already exists.
    /// @param productId the product
    error DrugRegistryProductExists(bytes32 productId);
    /// @notice No product with this id.
    /// @param productId the product
    error DrugRegistryUnknownProduct(bytes32 productId);
    /// @notice A batch with this id already exists.
    /// @param batchId the batch
    error DrugRegistryBatchExists(bytes32 batchId);
    /// @notice No batch with this id.
    /// @param batchId the batch
    error DrugRegistryUnknownBatch(bytes32 batchId);
    /// @notice The temperature range is empty (min > max).
    /// @param minTemp lowest storage temperature, 0.1 degC
    /// @param maxTemp highest storage temperature, 0.1 degC
    error DrugRegistryInvalidTemperatureRange(int16 minTemp, int16 maxTemp);
    /// @notice Batch data is invalid (zero units, zero root, expiry not after production).
    /// @param batchId the batch
    error DrugRegistryInvalidBatch(bytes32 batchId);
    /// @notice The caller's organisation is not the product's MAH.
    /// @param productId the product
    /// @param callerOrgId the caller's organisation
    error DrugRegistryNotProductHolder(bytes32 productId, bytes32 callerOrgId);
    /// @notice A product or batch is not in the state the operation needs.
    /// @param id the product or batch id
    /// @param state its current state
    error DrugRegistryNotListed(bytes32 id, LifecycleState state);
    /// @notice The transition `from` -> `to` is not in the table for this scope.
    /// @param id the product or batch id
    /// @param from the state before
    /// @param to the state after
    error DrugRegistryInvalidTransition(bytes32 id, LifecycleState from, LifecycleState to);
    /// @notice The caller may not perform this (valid) transition.
    /// @param id the product or batch id
    /// @param from the state before
    /// @param to the state after
    /// @param callerOrgId the caller's organisation
    error DrugRegistryUnauthorizedTransition(bytes32 id, LifecycleState from, LifecycleState to, bytes32 callerOrgId);
    /// @notice The suite is not linked yet (OrgRegistry.linkSuite), so there is no ledger to credit.
    error DrugRegistrySuiteNotLinked();
    /// @notice The stop was imposed by a higher authority than the caller (national over provincial,
    /// a provincial regulator only within its region), so the caller may not lift it.
    /// @param id the product or batch id
    /// @param imposerOrgId the organisation whose decision stopped it
    /// @param callerOrgId the caller's organisation
    error DrugRegistryOutranked(bytes32 id, bytes32 imposerOrgId, bytes32 callerOrgId);
    /// @notice The batch is at or past its expiry date: it cannot be committed or released.
    /// @param batchId the batch
    /// @param expiryDate its expiry (ms)
    error DrugRegistryBatchExpired(bytes32 batchId, uint64 expiryDate);
    /// @notice The rework route T7 (RECALLED -> LISTED) needs the rework evidence's hash.
    /// @param batchId the batch
    error DrugRegistryEvidenceRequired(bytes32 batchId);
    /// @notice A provincial regulator acted on an item whose MAH is outside its region.
    /// @param callerOrgId the caller's organisation
    /// @param mahOrgId the product's MAH
    error DrugRegistryOutsideRemit(bytes32 callerOrgId, bytes32 mahOrgId);
    /// @notice An adverse-reaction threshold above the cap (the reports kept per batch).
    /// @param threshold the threshold asked for
    /// @param maxThreshold the highest threshold allowed (ADR_MAX_THRESHOLD)
    error DrugRegistryInvalidAdrPolicy(uint16 threshold, uint16 maxThreshold);
    /// @notice The batch is committed but not released: only {releaseBatch} moves it (T0b).
    /// @param batchId the batch
    error DrugRegistryBatchNotReleased(bytes32 batchId);
    /// @notice Release gate: the product has no regulator-approved process definition, or a newer
    /// definition by the MAH awaits approval (a change without approval blocks T0b).
    /// @param productId the product
    /// @param approvedDefinitionId the approved definition's observation id (0 = none)
    /// @param pendingDefinitionId the definition awaiting approval (0 = none)
    error DrugRegistryProcessNotApproved(bytes32 productId, uint256 approvedDefinitionId, uint256 pendingDefinitionId);
    /// @notice Release gate: not every step of the approved process is recorded for the batch.
    /// @param batchId the batch
    /// @param definitionId the approved process definition (observation id)
    /// @param stepBits the steps recorded against it (bit i = step i)
    /// @param stepCount the definition's number of steps
    error DrugRegistryProcessIncomplete(bytes32 batchId, uint256 definitionId, uint256 stepBits, uint16 stepCount);
    /// @notice Release gate: the MAH's latest release inspection of the batch is not OK (or none).
    /// @param batchId the batch
    error DrugRegistryReleaseTestMissing(bytes32 batchId);
    /// @notice Release gate: a regulator's FAIL/SERIOUS inspection of the unreleased batch blocks its
    /// release until a regulator records an OK inspection of it (checked before the other conditions).
    /// @param batchId the batch
    /// @param observationId the latest blocking inspection
    error DrugRegistryReleaseBlocked(bytes32 batchId, uint256 observationId);

    /// @notice A released batch whose units moved (shipped, dispensed, destroyed, returned) cannot be voided.
    /// @param batchId the batch
    /// @param unitCount units released
    /// @param mahHeld units still held by the MAH
    error DrugRegistryBatchMoved(bytes32 batchId, uint64 unitCount, uint64 mahHeld);
    /// @notice A drug identifier code must have 7 digits at most and not be 0 (0 < code < 10^7).
    /// @param drugCode the code given
    error DrugRegistryInvalidDrugCode(uint32 drugCode);
    /// @notice The drug identifier code is already assigned to another product.
    /// @param drugCode the code
    /// @param productId the product it is assigned to
    error DrugRegistryDrugCodeTaken(uint32 drugCode, bytes32 productId);
    /// @notice The product already has a drug identifier code (assigned once, never changed).
    /// @param productId the product
    /// @param drugCode its code
    error DrugRegistryDrugCodeAlreadySet(bytes32 productId, uint32 drugCode);

    // ------------------------------------------------------------------ events
    /// @notice A product (approval) was registered.
    /// @param productId the product
    /// @param mahOrgId the product's MAH
    /// @param approvalNumber approval number
    /// @param packageSpec package specification
    /// @param minTemp lowest storage temperature, 0.1 degC
    /// @param maxTemp highest storage temperature, 0.1 degC
    /// @param detailsHash hash of the off-chain document
    event ProductRegistered(bytes32 indexed productId, bytes32 indexed mahOrgId, string approvalNumber,
        string packageSpec, int16 minTemp, int16 maxTemp, bytes32 detailsHash);
    /// @notice A product changed lifecycle state (including NONE -> LISTED on registration).
    /// @param productId the product
    /// @param from the state before
    /// @param to the state after
    /// @param byOrgId the acting organisation
    /// @param reasonId observation, recall or destruction id behind the change (0 = none)
    /// @param evidenceHash hash of the evidence document
    event ProductStateChanged(bytes32 indexed productId, LifecycleState from, LifecycleState to,
        bytes32 indexed byOrgId, uint256 reasonId, bytes32 evidenceHash);
    /// @notice The adverse-reaction policy of a product was set.
    /// @param productId the product
    /// @param threshold serious reports per batch that raise the alert (0 = off)
    /// @param windowMs the reports must fall within this many ms (0 = no window: cumulative)
    /// @param autoStop whether reaching the threshold stops the batch
    /// @param byOrgId the acting organisation
    event AdrPolicySet(bytes32 indexed productId, uint16 threshold, uint64 windowMs, bool autoStop,
        bytes32 indexed byOrgId);
    /// @notice A batch was committed (not yet released: state NONE, no holding until {releaseBatch}).
    /// @param batchId the batch
    /// @param productId the product
    /// @param mahOrgId the product's MAH
    /// @param lot lot number
    /// @param productionDate production date, ms
    /// @param expiryDate the batch's expiry date, ms
    /// @param unitCount units in the batch
    /// @param unitRoot Merkle root of the unit codes
    /// @param aggregationRoot root of the packaging tree
    event BatchCommitted(bytes32 indexed batchId, bytes32 indexed productId, bytes32 indexed mahOrgId, string lot,
        uint64 productionDate, uint64 expiryDate, uint64 unitCount, bytes32 unitRoot, bytes32 aggregationRoot);
    /// @notice A packed batch's layout was committed with it (issue 17A): the packing root is the
    /// batch's aggregation root, over the case and pallet codes (rule in contracts/README.md).
    /// @param batchId the batch
    /// @param packingRoot Merkle root over the container leaves
    /// @param unitsPerCase units in every case but possibly the last
    /// @param casesPerPallet cases in every pallet but possibly the last
    event BatchPackingCommitted(bytes32 indexed batchId, bytes32 packingRoot, uint16 unitsPerCase,
        uint16 casesPerPallet);
    /// @notice A batch changed lifecycle state (including NONE -> LISTED on release).
    /// @param batchId the batch
    /// @param from the state before
    /// @param to the state after
    /// @param byOrgId the acting organisation
    /// @param reasonId observation, recall or destruction id behind the change (0 = none)
    /// @param evidenceHash hash of the evidence document
    event BatchStateChanged(bytes32 indexed batchId, LifecycleState from, LifecycleState to,
        bytes32 indexed byOrgId, uint256 reasonId, bytes32 evidenceHash);

    /// @notice The national regulator assigned a product its 7-digit drug identifier code (the
    /// prefix of every unit code of that product, NMPA coding rule), once, unique across products.
    /// @param productId the product
    /// @param drugCode the drug identifier code (0 < drugCode < 10^7)
    /// @param byOrgId the acting organisation (the national regulator)
    event DrugCodeAssigned(bytes32 indexed productId, uint32 indexed drugCode, bytes32 indexed byOrgId);

    // ------------------------------------------------------------------ writes
    /**
     * @notice Register a product (T0: NONE -> LISTED).
     * @dev Requirements: national regulator; not paused; the MAH is an ACTIVE manufacturer; the id
     * is new; minTemp <= maxTemp. Emits {ProductRegistered} then {ProductStateChanged}.
     * @param approvalNumber approval number (批准文号).
     * @param packageSpec package specification.
     * @param mahOrgId the marketing-authorisation holder.
     * @param minTemp lowest storage temperature, 0.1 degC.
     * @param maxTemp highest storage temperature, 0.1 degC.
     * @param detailsHash hash of the approval documents.
     * @return productId keccak256(abi.encode(approvalNumber, packageSpec)).
     */
    function registerProduct(
        string calldata approvalNumber,
        string calldata packageSpec,
        bytes32 mahOrgId,
        int16 minTemp,
        int16 maxTemp,
        bytes32 detailsHash
    ) external returns (bytes32 productId);

    /**
     * @notice Assign a product its drug identifier code (药品标识码, the first 7 digits of every
     * unit code of the product), so that whoever verifies a code learns from the chain which product
     * its prefix belongs to.
     * @dev Requirements: national regulator (a provincial regulator or a MAH could squat another
     * product's code); not paused; product exists ({DrugRegistryUnknownProduct}); 0 < drugCode < 10^7
     * ({DrugRegistryInvalidDrugCode}); the product has no code yet ({DrugRegistryDrugCodeAlreadySet});
     * the code is not another product's ({DrugRegistryDrugCodeTaken}). Emits {DrugCodeAssigned}.
     * @param productId the product.
     * @param drugCode the 7-digit drug identifier code.
     */
    function assignDrugCode(bytes32 productId, uint32 drugCode) external;

    /**
     * @notice Set the adverse-reaction policy of a product.
     * @dev Requirements: national regulator, or provincial regulator of the MAH's region; product
     * exists; threshold <= ADR_MAX_THRESHOLD (32), else {DrugRegistryInvalidAdrPolicy}. `threshold`
     * 0 disables the threshold alert. The alert is raised by a SERIOUS report when the batch's
     * `threshold` latest SERIOUS reports (this one included) all fall within `windowMs` of it,
     * i.e. the oldest of them is at or after now - windowMs; `windowMs` 0 counts them all
     * (cumulative). Block timestamps are ms. Emits {AdrPolicySet}.
     * @param productId the product.
     * @param threshold number of SERIOUS adverse-reaction reports per batch that raises the alert.
     * @param windowMs the time window of the count, ms (0 = no window).
     * @param autoStop whether reaching the threshold also stops the batch (T1).
     */
    function setAdrPolicy(bytes32 productId, uint16 threshold, uint64 windowMs, bool autoStop) external;

    /**
     * @notice Commit a batch: record it (lot, dates, unit count, Merkle roots) in state NONE. It
     * goes LISTED, and its units to the MAH's holding, only at {releaseBatch} (T0b).
     * @dev Requirements: caller is the product's MAH (manufacturer); product LISTED; unitCount > 0;
     * unitRoot non-zero; expiryDate > productionDate; batch new. Gas does not depend on unitCount.
     * Emits {BatchCommitted}.
     * @param productId the product.
     * @param lot lot number.
     * @param productionDate production date, ms.
     * @param expiryDate expiry date, ms.
     * @param unitCount number of unit codes (leaves) in the batch.
     * @param unitRoot Merkle root over the unit codes (rule in docs/architecture.md).
     * @param aggregationRoot root of the packaging (parent-child) tree, or zero.
     * @return batchId keccak256(abi.encode(productId, lot)).
     */
    function commitBatch(
        bytes32 productId,
        string calldata lot,
        uint64 productionDate,
        uint64 expiryDate,
        uint64 unitCount,
        bytes32 unitRoot,
        bytes32 aggregationRoot
    ) external returns (bytes32 batchId);

    /**
     * @notice Commit a packed batch (issue 17A): as {commitBatch}, plus the packing — a regular
     * layout (unit i is in case i / unitsPerCase, case c in pallet c / casesPerPallet; the last
     * case and pallet may be short) and the Merkle root over the case and pallet codes.
     * @dev Requirements: those of {commitBatch}; packingRoot non-zero, unitsPerCase and
     * casesPerPallet non-zero, else {DrugRegistryInvalidPacking}. O(1) in the number of codes.
     * Emits {BatchCommitted} (aggregationRoot = packingRoot) then {BatchPackingCommitted}.
     * @param productId the product.
     * @param lot lot number.
     * @param productionDate production date, ms.
     * @param expiryDate expiry date, ms.
     * @param unitCount number of unit codes.
     * @param unitRoot Merkle root over the unit codes.
     * @param packingRoot Merkle root over the container leaves.
     * @param unitsPerCase units per case.
     * @param casesPerPallet cases per pallet.
     * @return batchId keccak256(abi.encode(productId, lot)).
     */
    function commitPackedBatch(
        bytes32 productId,
        string calldata lot,
        uint64 productionDate,
        uint64 expiryDate,
        uint64 unitCount,
        bytes32 unitRoot,
        bytes32 packingRoot,
        uint16 unitsPerCase,
        uint16 casesPerPallet
    ) external returns (bytes32 batchId);

    /**
     * @notice Release a committed batch (T0b: NONE -> LISTED) and credit its units to the MAH.
     * @dev Requirements: caller is the product's MAH (manufacturer); the batch is committed and not
     * yet released (else {DrugRegistryInvalidTransition}); product LISTED; the release gate of the
     * ObservationLog ({IObservationLog-releaseStatus}): no regulator's FAIL/SERIOUS inspection blocks
     * the batch ({DrugRegistryReleaseBlocked}); the product has a regulator-approved process
     * definition and no newer one awaiting approval ({DrugRegistryProcessNotApproved}), every step
     * of that definition is recorded for the batch ({DrugRegistryProcessIncomplete}), and the MAH's
     * latest release inspection of the batch is OK ({DrugRegistryReleaseTestMissing}).
     * Emits {BatchStateChanged} and the CustodyLedger's {HoldingCredited}.
     * @param batchId the batch.
     * @param evidenceHash hash of the release certificate.
     */
    function releaseBatch(bytes32 batchId, bytes32 evidenceHash) external;

    /**
     * @notice Move a product to another lifecycle state (T1, T2, T5, T6).
     * @dev Requirements: the pair is in the product table and the caller's kind in its role mask
     * (provincial regulators: MAH in their region). Emits {ProductStateChanged}.
     * @param productId the product.
     * @param to target state.
     * @param reasonId reason reference (e.g. an observation id), 0 if none.
     * @param evidenceHash hash of the decision document.
     */
    function transitionProduct(bytes32 productId, LifecycleState to, uint256 reasonId, bytes32 evidenceHash)
        external;

    /**
     * @notice Move a batch to another lifecycle state (T1 incl. MAH self-suspension, T2).
     * @dev Requirements: as {transitionProduct} with the batch table; manufacturers only for their
     * own batches; the batch released ({DrugRegistryBatchNotReleased}: T0b is {releaseBatch}'s).
     * Emits {BatchStateChanged}.
     * @param batchId the batch.
     * @param to target state.
     * @param reasonId reason reference, 0 if none.
     * @param evidenceHash hash of the decision document.
     */
    function transitionBatch(bytes32 batchId, LifecycleState to, uint256 reasonId, bytes32 evidenceHash) external;

    /**
     * @notice The organisation whose decision last put a product or batch in STOPPED (0 = never
     * stopped). Lifting the stop (T2) needs the same or a higher authority ({DrugRegistryOutranked}).
     * @param id a product or batch id.
     * @return orgId the imposing organisation.
     */
    function stopAuthority(bytes32 id) external view returns (bytes32 orgId);

    /**
     * @notice Transition on behalf of a suite contract (automatic T1, recall T3/T4).
     * @dev Requirements: caller is a linked suite contract; SYSTEM in the role mask. Emits {ProductStateChanged}.
     * @param productId the product.
     * @param to target state.
     * @param reasonId observation or recall id.
     * @param evidenceHash evidence hash.
     * @param byOrgId organisation on whose behalf the suite acts.
     */
    function systemTransitionProduct(
        bytes32 productId,
        LifecycleState to,
        uint256 reasonId,
        bytes32 evidenceHash,
        bytes32 byOrgId
    ) external;

    /**
     * @notice Batch transition on behalf of a suite contract (automatic T1, recall T3/T4).
     * @dev Requirements: as {systemTransitionProduct}. Emits {BatchStateChanged}.
     * @param batchId the batch.
     * @param to target state.
     * @param reasonId observation or recall id.
     * @param evidenceHash evidence hash.
     * @param byOrgId organisation on whose behalf the suite acts.
     */
    function systemTransitionBatch(
        bytes32 batchId,
        LifecycleState to,
        uint256 reasonId,
        bytes32 evidenceHash,
        bytes32 byOrgId
    ) external;

    // ------------------------------------------------------------------ views
    /**
     * @notice Role mask of a transition (0 = not allowed). Bit k = OrgKind(k); bit 15 = suite contract.
     * @param isBatch true for the batch table, false for the product table.
     * @param from current state.
     * @param to target state.
     * @return mask role mask.
     */
    function transitionRoles(bool isBatch, LifecycleState from, LifecycleState to)
        external
        pure
        returns (uint256 mask);

    /**
     * @notice A product.
     * @param productId the product.
     * @return mahOrgId its MAH (zero if unknown).
     * @return state lifecycle state.
     * @return since when it entered the state, ms.
     * @return minTemp lowest storage temperature, 0.1 degC.
     * @return maxTemp highest storage temperature, 0.1 degC.
     */
    function getProduct(bytes32 productId)
        external
        view
        returns (bytes32 mahOrgId, LifecycleState state, uint64 since, int16 minTemp, int16 maxTemp);

    /**
     * @notice The approval number and package spec of a product.
     * @param productId the product.
     * @return approvalNumber approval number.
     * @return packageSpec package specification.
     */
    function productLabel(bytes32 productId)
        external
        view
        returns (string memory approvalNumber, string memory packageSpec);

    /// @notice The product a drug identifier code is assigned to.
    /// @param drugCode the 7-digit drug identifier code.
    /// @return productId the product (zero: no product bears this code on chain).
    function productOfDrugCode(uint32 drugCode) external view returns (bytes32 productId);

    /// @notice The drug identifier code of a product.
    /// @param productId the product.
    /// @return drugCode its code (0: none assigned).
    function drugCodeOf(bytes32 productId) external view returns (uint32 drugCode);

    /**
     * @notice The adverse-reaction policy of a product.
     * @param productId the product.
     * @return threshold serious reports per batch that raise the alert (0 = off).
     * @return windowMs time window of the count, ms (0 = no window).
     * @return autoStop whether the threshold stops the batch.
     */
    function adrPolicy(bytes32 productId) external view returns (uint16 threshold, uint64 windowMs, bool autoStop);

    /**
     * @notice A batch.
     * @param batchId the batch.
     * @return productId its product (zero if unknown).
     * @return mahOrgId its MAH.
     * @return productionDate production date, ms.
     * @return expiryDate expiry date, ms.
     * @return unitCount number of units.
     * @return state lifecycle state.
     * @return since when it entered the state, ms.
     * @return unitRoot Merkle root of the unit codes.
     * @return aggregationRoot packaging tree root.
     */
    function getBatch(bytes32 batchId)
        external
        view
        returns (
            bytes32 productId,
            bytes32 mahOrgId,
            uint64 productionDate,
            uint64 expiryDate,
            uint64 unitCount,
            LifecycleState state,
            uint64 since,
            bytes32 unitRoot,
            bytes32 aggregationRoot
        );

    /// @notice The lot number of a batch.
    /// @param batchId the batch.
    /// @return lot lot number.
    function batchLot(bytes32 batchId) external view returns (string memory lot);

    /**
     * @notice What custody needs to allow outbound movements of a batch.
     * @param batchId the batch.
     * @return batchState batch state (NONE if unknown).
     * @return productState product state.
     * @return expiryDate expiry date, ms.
     */
    function usability(bytes32 batchId)
        external
        view
        returns (LifecycleState batchState, LifecycleState productState, uint64 expiryDate);

    /**
     * @notice What custody needs to verify and dispense one unit.
     * @param batchId the batch.
     * @return batchState batch state.
     * @return productState product state.
     * @return expiryDate expiry date, ms.
     * @return unitCount number of units.
     * @return unitRoot Merkle root.
     * @return unitsPerCase the packing layout's units per case (0 = batch not packed).
     */
    function unitInfo(bytes32 batchId)
        external
        view
        returns (
            LifecycleState batchState,
            LifecycleState productState,
            uint64 expiryDate,
            uint64 unitCount,
            bytes32 unitRoot,
            uint16 unitsPerCase
        );

    /**
     * @notice The packing layout of a batch (one storage read; unitsPerCase 0 = not packed).
     * @param batchId the batch.
     * @return unitCount number of units.
     * @return unitsPerCase units per case.
     * @return casesPerPallet cases per pallet.
     */
    function layoutOf(bytes32 batchId)
        external
        view
        returns (uint64 unitCount, uint16 unitsPerCase, uint16 casesPerPallet);

    /**
     * @notice The packing of a batch (issue 17A); all zero but `unitCount` when not packed.
     * @param batchId the batch.
     * @return packingRoot Merkle root over the container leaves.
     * @return unitCount number of units.
     * @return unitsPerCase units per case.
     * @return casesPerPallet cases per pallet.
     */
    function packingOf(bytes32 batchId)
        external
        view
        returns (bytes32 packingRoot, uint64 unitCount, uint16 unitsPerCase, uint16 casesPerPallet);

    /**
     * @notice Product and MAH of a batch.
     * @param batchId the batch.
     * @return productId its product (zero if unknown).
     * @return mahOrgId its MAH.
     */
    function batchOwner(bytes32 batchId) external view returns (bytes32 productId, bytes32 mahOrgId);

    /**
     * @notice The effective state of a batch: the more restrictive of its own and its product's
     * (LISTED only if both are LISTED; otherwise the non-LISTED one, the batch's first).
     * @param batchId the batch.
     * @return state effective state.
     */
    function effectiveState(bytes32 batchId) external view returns (LifecycleState state);

    /// @notice productId for an approval number and package spec.
    /// @param approvalNumber approval number.
    /// @param packageSpec package spec.
    /// @return productId keccak256(abi.encode(approvalNumber, packageSpec)).
    function productIdOf(string calldata approvalNumber, string calldata packageSpec)
        external
        pure
        returns (bytes32 productId);

    /// @notice batchId for a product and lot.
    /// @param productId the product.
    /// @param lot lot number.
    /// @return batchId keccak256(abi.encode(productId, lot)).
    function batchIdOf(bytes32 productId, string calldata lot) external pure returns (bytes32 batchId);

    // ------------------------------------------------------------ corrections (issue 12)

    /// @notice A mis-committed batch was voided (T8); the commit stays on chain.
    /// @param batchId the batch
    /// @param from its state before the void
    /// @param byOrgId the MAH or regulator that voided it
    /// @param reasonHash hash of the reason document
    event BatchVoided(bytes32 indexed batchId, LifecycleState from, bytes32 indexed byOrgId, bytes32 reasonHash);

    /**
     * @notice Void a mis-committed batch (T8: NONE, LISTED or STOPPED -> VOIDED, terminal).
     * @dev Requirements: the product's MAH or a regulator in remit; a STOPPED batch only by who may
     * lift its stop ({DrugRegistryOutranked}); a released batch only while every unit is still
     * with the MAH, available ({DrugRegistryBatchMoved}); its units then leave custody. Emits
     * {BatchStateChanged}, {BatchVoided} and, if released, {ICustodyLedger-HoldingCorrected}.
     * @param batchId the batch.
     * @param reasonHash hash of the reason document.
     */
    function voidBatch(bytes32 batchId, bytes32 reasonHash) external;

    /**
     * @notice Lift the automatic stop (T2 by the suite) caused by `observationId`, after that
     * observation was voided; no-op (false) unless the batch is STOPPED by exactly that observation.
     * @param batchId the batch.
     * @param observationId the voided observation.
     * @param reasonHash the void's reason hash.
     * @param byOrgId the organisation that voided the observation.
     * @return lifted true if the stop was lifted.
     */
    function systemLiftStop(bytes32 batchId, uint256 observationId, bytes32 reasonHash, bytes32 byOrgId)
        external
        returns (bool lifted);

    /// @notice The observation whose automatic action holds the batch STOPPED (0: not stopped, or a manual stop).
    /// @param batchId the batch.
    /// @return observationId the observation.
    function autoStopReason(bytes32 batchId) external view returns (uint256 observationId);
}
