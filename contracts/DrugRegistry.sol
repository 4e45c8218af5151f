// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IObservationLog} from "./interfaces/IObservationLog.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {Authority} from "./common/Authority.sol";
import {ADR_MAX_THRESHOLD, LifecycleState, OrgKind} from "./common/DrugTraceTypes.sol";
import {
    MASK_NATIONAL,
    MASK_MANUFACTURER,
    MASK_REGULATORS,
    MASK_SYSTEM,
    MASK_ANY_ORG
} from "./common/KindMasks.sol";

/**
 * @title DrugRegistry - products, batches and the lifecycle transition table
 * @notice Products are registered by the national regulator, batches committed by the product's
 * MAH with the Merkle root of their unit codes (constant gas whatever the number of codes) and
 * released (T0b) by it once the ObservationLog's release gate holds. All
 * lifecycle changes go through one internal {_transition} that checks the explicit table
 * {transitionRoles} and emits one event.
 * @dev Product-level states are not cascaded to batches (that would loop over a user-growable
 * list); instead {effectiveState} combines them, and custody checks both.
 */
contract DrugRegistry is IDrugRegistry, SuiteMember {
    /// @dev `seq` (1-based, 0 = no such product) keys the product's lifecycle in {_productLife},
    /// so a batch reaches its product's state through the 32-bit seq packed next to its own state.
    /// The MAH never changes after registration; batches read it from here.
    struct Product {
        bytes32 mahOrgId;
        uint32 seq;
        int16 minTemp;
        int16 maxTemp;
        uint16 adrThreshold;
        bool adrAutoStop;
        uint64 adrWindow;
        /// @dev the drug identifier code (0 = none), packed in the seq's slot
        uint32 drugCode;
    }

    /// @dev The lifecycle of a product, keyed by its seq (one slot).
    struct ProductLife {
        LifecycleState state;
        uint64 since;
    }

    /// @dev Slot 3 holds everything custody checks (expiry, count, state, the product's seq and
    /// the packing layout) so that usability is two storage reads and a dispense check three
    /// (with the root). A packed batch (issue 17A) keeps its packing root in `aggregationRoot`
    /// and its layout in `unitsPerCase`/`casesPerPallet` (0 = not packed).
    struct Batch {
        bytes32 productId;
        bytes32 unitRoot;
        bytes32 aggregationRoot;
        uint64 expiryDate;
        uint64 unitCount;
        LifecycleState state;
        uint48 since;
        uint32 productSeq;
        uint16 unitsPerCase;
        uint16 casesPerPallet;
        uint64 productionDate;
    }

    /// @dev Next product seq; starts at 1 in the constructor (0 marks an unknown product).
    uint32 private _nextProductSeq;
    mapping(bytes32 => Product) private _products;
    mapping(uint32 => ProductLife) private _productLife;
    mapping(bytes32 => string) private _approvalNumbers;
    mapping(bytes32 => string) private _packageSpecs;
    mapping(bytes32 => Batch) private _batches;
    mapping(bytes32 => string) private _lots;
    /// @dev Per product or batch id: the organisation whose decision put it in STOPPED (the
    /// emergency stop's authority, domain 6.3 T1), so only the same or a higher one lifts it (T2).
    mapping(bytes32 => bytes32) private _stoppedBy;
    /// @dev Per batch: the observation whose automatic action stopped it (0 = a manual stop), so
    /// that voiding that observation lifts the stop it caused (issue 12, corrections).
    mapping(bytes32 => uint256) private _autoStopReason;
    /// @dev Drug identifier code -> the product it is assigned to (the reverse of Product.drugCode).
    mapping(uint32 => bytes32) private _productOfDrugCode;

    /// @param orgRegistry_ the suite's OrgRegistry.
    constructor(IOrgRegistry orgRegistry_) SuiteMember(orgRegistry_) {
        _nextProductSeq = 1;
    }

    // ================================================================== writes

    /// @inheritdoc IDrugRegistry
    function registerProduct(
        string calldata approvalNumber,
        string calldata packageSpec,
        bytes32 mahOrgId,
        int16 minTemp,
        int16 maxTemp,
        bytes32 detailsHash
    ) external override returns (bytes32 productId) {
        (bytes32 callerOrg,,,) = _authorize(MASK_NATIONAL);
        orgRegistry().requireActiveOrg(mahOrgId, MASK_MANUFACTURER);
        if (minTemp > maxTemp) revert DrugRegistryInvalidTemperatureRange(minTemp, maxTemp);
        productId = keccak256(abi.encode(approvalNumber, packageSpec));
        Product storage p = _products[productId];
        if (p.seq != 0) revert DrugRegistryProductExists(productId);
        uint32 seq = _nextProductSeq;
        _nextProductSeq = seq + 1;
        p.seq = seq;
        p.mahOrgId = mahOrgId;
        p.minTemp = minTemp;
        p.maxTemp = maxTemp;
        _approvalNumbers[productId] = approvalNumber;
        _packageSpecs[productId] = packageSpec;
        emit ProductRegistered(productId, mahOrgId, approvalNumber, packageSpec, minTemp, maxTemp, detailsHash);
        _transition(false, productId, LifecycleState.LISTED, MASK_NATIONAL, callerOrg, 0, detailsHash);
    }

    /// @inheritdoc IDrugRegistry
    function assignDrugCode(bytes32 productId, uint32 drugCode) external override {
        (bytes32 callerOrg,,,) = _authorize(MASK_NATIONAL);
        Product storage p = _products[productId];
        if (p.seq == 0) revert DrugRegistryUnknownProduct(productId);
        if (drugCode == 0 || drugCode >= 10_000_000) revert DrugRegistryInvalidDrugCode(drugCode);
        if (p.drugCode != 0) revert DrugRegistryDrugCodeAlreadySet(productId, p.drugCode);
        bytes32 holder = _productOfDrugCode[drugCode];
        if (holder != bytes32(0)) revert DrugRegistryDrugCodeTaken(drugCode, holder);
        p.drugCode = drugCode;
        _productOfDrugCode[drugCode] = productId;
        emit DrugCodeAssigned(productId, drugCode, callerOrg);
    }

    /// @inheritdoc IDrugRegistry
    function setAdrPolicy(bytes32 productId, uint16 threshold, uint64 windowMs, bool autoStop)
        external
        override
    {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_REGULATORS);
        Product storage p = _products[productId];
        if (p.seq == 0) revert DrugRegistryUnknownProduct(productId);
        _checkRegion(callerOrg, kind, region, p.mahOrgId);
        if (threshold > ADR_MAX_THRESHOLD) revert DrugRegistryInvalidAdrPolicy(threshold, ADR_MAX_THRESHOLD);
        p.adrThreshold = threshold;
        p.adrWindow = windowMs;
        p.adrAutoStop = autoStop;
        emit AdrPolicySet(productId, threshold, windowMs, autoStop, callerOrg);
    }

    /// @inheritdoc IDrugRegistry
    function commitBatch(
        bytes32 productId,
        string calldata lot,
        uint64 productionDate,
        uint64 expiryDate,
        uint64 unitCount,
        bytes32 unitRoot,
        bytes32 aggregationRoot
    ) external override returns (bytes32 batchId) {
        batchId = _commit(productId, lot, productionDate, expiryDate, unitCount, unitRoot, aggregationRoot);
    }

    /// @inheritdoc IDrugRegistry
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
    ) external override returns (bytes32 batchId) {
        if (packingRoot == bytes32(0) || unitsPerCase == 0 || casesPerPallet == 0) {
            revert DrugRegistryInvalidPacking(packingRoot, unitsPerCase, casesPerPallet);
        }
        batchId = _commit(productId, lot, productionDate, expiryDate, unitCount, unitRoot, packingRoot);
        Batch storage b = _batches[batchId];
        b.unitsPerCase = unitsPerCase;
        b.casesPerPallet = casesPerPallet;
        emit BatchPackingCommitted(batchId, packingRoot, unitsPerCase, casesPerPallet);
    }

    /// @inheritdoc IDrugRegistry
    function releaseBatch(bytes32 batchId, bytes32 evidenceHash) external override {
        (bytes32 callerOrg,,,) = _authorize(MASK_MANUFACTURER);
        Batch storage b = _batches[batchId];
        bytes32 productId = b.productId;
        if (productId == bytes32(0)) revert DrugRegistryUnknownBatch(batchId);
        _listedProductOf(productId, callerOrg);
        LifecycleState state = b.state;
        if (state != LifecycleState.NONE) revert DrugRegistryInvalidTransition(batchId, state, LifecycleState.LISTED);
        if (b.expiryDate <= block.timestamp) revert DrugRegistryBatchExpired(batchId, b.expiryDate);
        (, address custody, address observations,) = orgRegistry().suite();
        if (custody == address(0)) revert DrugRegistrySuiteNotLinked();
        _checkReleaseGate(IObservationLog(observations), batchId, productId);
        _transition(true, batchId, LifecycleState.LISTED, MASK_MANUFACTURER, callerOrg, 0, evidenceHash);
        ICustodyLedger(custody).systemCredit(batchId, callerOrg, b.unitCount);
    }

    /// @inheritdoc IDrugRegistry
    function transitionProduct(bytes32 productId, LifecycleState to, uint256 reasonId, bytes32 evidenceHash)
        external
        override
    {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_ANY_ORG);
        Product storage p = _products[productId];
        if (p.seq == 0) revert DrugRegistryUnknownProduct(productId);
        if (kind == OrgKind.MANUFACTURER && p.mahOrgId != callerOrg) {
            revert DrugRegistryNotProductHolder(productId, callerOrg);
        }
        _checkRegion(callerOrg, kind, region, p.mahOrgId);
        _checkLift(productId, _productLife[p.seq].state, to, callerOrg, kind, region);
        _transition(false, productId, to, 1 << uint256(kind), callerOrg, reasonId, evidenceHash);
    }

    /// @inheritdoc IDrugRegistry
    function transitionBatch(bytes32 batchId, LifecycleState to, uint256 reasonId, bytes32 evidenceHash)
        external
        override
    {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_ANY_ORG);
        Batch storage b = _batches[batchId];
        bytes32 productId = b.productId;
        if (productId == bytes32(0)) revert DrugRegistryUnknownBatch(batchId);
        if (b.state == LifecycleState.NONE) revert DrugRegistryBatchNotReleased(batchId);
        bytes32 mahOrgId = _products[productId].mahOrgId;
        if (kind == OrgKind.MANUFACTURER && mahOrgId != callerOrg) {
            revert DrugRegistryNotProductHolder(productId, callerOrg);
        }
        _checkRegion(callerOrg, kind, region, mahOrgId);
        _checkLift(batchId, b.state, to, callerOrg, kind, region);
        if (b.state == LifecycleState.RECALLED && to == LifecycleState.LISTED && evidenceHash == bytes32(0)) {
            revert DrugRegistryEvidenceRequired(batchId);
        }
        if (to == LifecycleState.STOPPED && _autoStopReason[batchId] != 0) delete _autoStopReason[batchId];
        _transition(true, batchId, to, 1 << uint256(kind), callerOrg, reasonId, evidenceHash);
    }

    /// @inheritdoc IDrugRegistry
    function systemTransitionProduct(
        bytes32 productId,
        LifecycleState to,
        uint256 reasonId,
        bytes32 evidenceHash,
        bytes32 byOrgId
    ) external override onlySuite {
        if (_products[productId].seq == 0) revert DrugRegistryUnknownProduct(productId);
        _transition(false, productId, to, MASK_SYSTEM, byOrgId, reasonId, evidenceHash);
    }

    /// @inheritdoc IDrugRegistry
    function systemTransitionBatch(
        bytes32 batchId,
        LifecycleState to,
        uint256 reasonId,
        bytes32 evidenceHash,
        bytes32 byOrgId
    ) external override onlySuite {
        if (_batches[batchId].productId == bytes32(0)) revert DrugRegistryUnknownBatch(batchId);
        if (to == LifecycleState.STOPPED) _autoStopReason[batchId] = reasonId;
        _transition(true, batchId, to, MASK_SYSTEM, byOrgId, reasonId, evidenceHash);
    }

    // ================================================================== corrections (issue 12)

    /// @inheritdoc IDrugRegistry
    function voidBatch(bytes32 batchId, bytes32 reasonHash) external override {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_MANUFACTURER | MASK_REGULATORS);
        Batch storage b = _batches[batchId];
        bytes32 productId = b.productId;
        if (productId == bytes32(0)) revert DrugRegistryUnknownBatch(batchId);
        bytes32 mahOrgId = _products[productId].mahOrgId;
        if (kind == OrgKind.MANUFACTURER && mahOrgId != callerOrg) {
            revert DrugRegistryNotProductHolder(productId, callerOrg);
        }
        _checkRegion(callerOrg, kind, region, mahOrgId);
        LifecycleState from = b.state;
        if (from == LifecycleState.STOPPED) _checkVoidRank(batchId, callerOrg, kind, region);
        address custody;
        if (from == LifecycleState.LISTED || from == LifecycleState.STOPPED) {
            custody = _checkUnmoved(batchId, mahOrgId, b.unitCount);
        }
        // the table refuses RECALLED, DESTROYED and VOIDED batches (T8: NONE/LISTED/STOPPED -> VOIDED)
        _transition(true, batchId, LifecycleState.VOIDED, 1 << uint256(kind), callerOrg, 0, reasonHash);
        emit BatchVoided(batchId, from, callerOrg, reasonHash);
        if (custody != address(0)) {
            ICustodyLedger(custody).systemCorrectHolding(batchId, mahOrgId, b.unitCount, false, 0);
        }
    }

    /// @inheritdoc IDrugRegistry
    function systemLiftStop(bytes32 batchId, uint256 observationId, bytes32 reasonHash, bytes32 byOrgId)
        external
        override
        onlySuite
        returns (bool lifted)
    {
        if (observationId == 0 || _autoStopReason[batchId] != observationId) return false;
        if (_batches[batchId].state != LifecycleState.STOPPED) return false;
        delete _autoStopReason[batchId];
        _transition(true, batchId, LifecycleState.LISTED, MASK_SYSTEM, byOrgId, observationId, reasonHash);
        return true;
    }

    /// @inheritdoc IDrugRegistry
    function autoStopReason(bytes32 batchId) external view override returns (uint256 observationId) {
        if (_batches[batchId].state != LifecycleState.STOPPED) return 0;
        return _autoStopReason[batchId];
    }

    // ================================================================== views

    /// @inheritdoc IDrugRegistry
    function transitionRoles(bool isBatch, LifecycleState from, LifecycleState to)
        public
        pure
        override
        returns (uint256 mask)
    {
        // The explicit transition table (docs/domain.md 6.3). Anything not listed is 0 = refused.
        if (isBatch) {
            // T0b: through releaseBatch only (its gate); transitionBatch refuses unreleased batches
            if (from == LifecycleState.NONE && to == LifecycleState.LISTED) return MASK_MANUFACTURER; // T0b
            if (from == LifecycleState.LISTED && to == LifecycleState.STOPPED) {
                return MASK_REGULATORS | MASK_MANUFACTURER | MASK_SYSTEM; // T1
            }
            // T2; the suite lifts an automatic stop whose observation was voided (issue 12)
            if (from == LifecycleState.STOPPED && to == LifecycleState.LISTED) return MASK_REGULATORS | MASK_SYSTEM;
            if (from == LifecycleState.STOPPED && to == LifecycleState.RECALLED) return MASK_SYSTEM; // T3
            if (from == LifecycleState.RECALLED && to == LifecycleState.DESTROYED) return MASK_SYSTEM; // T4
            // T8: a mis-committed batch voided before it moved (voidBatch only)
            if (to == LifecycleState.VOIDED && uint8(from) <= uint8(LifecycleState.STOPPED)) {
                return MASK_REGULATORS | MASK_MANUFACTURER;
            }
            // T7: the rework route (relabel/repack, no expiry extension), national with evidence
            if (from == LifecycleState.RECALLED && to == LifecycleState.LISTED) return MASK_NATIONAL;
            return 0;
        }
        if (from == LifecycleState.NONE && to == LifecycleState.LISTED) return MASK_NATIONAL; // T0
        // T1: a MAH stops its own product for a voluntary product-wide recall (its decision, recorded)
        if (from == LifecycleState.LISTED && to == LifecycleState.STOPPED) {
            return MASK_REGULATORS | MASK_MANUFACTURER | MASK_SYSTEM;
        }
        if (from == LifecycleState.STOPPED && to == LifecycleState.LISTED) return MASK_REGULATORS; // T2
        if (from == LifecycleState.STOPPED && to == LifecycleState.RECALLED) return MASK_SYSTEM; // T3
        if (from == LifecycleState.STOPPED && to == LifecycleState.DEREGISTERED) return MASK_NATIONAL; // T5
        if (from == LifecycleState.RECALLED && to == LifecycleState.DEREGISTERED) return MASK_NATIONAL; // T6
        return 0;
    }

    /// @inheritdoc IDrugRegistry
    function getProduct(bytes32 productId)
        external
        view
        override
        returns (bytes32 mahOrgId, LifecycleState state, uint64 since, int16 minTemp, int16 maxTemp)
    {
        Product storage p = _products[productId];
        ProductLife storage life = _productLife[p.seq];
        return (p.mahOrgId, life.state, life.since, p.minTemp, p.maxTemp);
    }

    /// @inheritdoc IDrugRegistry
    function productLabel(bytes32 productId)
        external
        view
        override
        returns (string memory approvalNumber, string memory packageSpec)
    {
        return (_approvalNumbers[productId], _packageSpecs[productId]);
    }

    /// @inheritdoc IDrugRegistry
    function productOfDrugCode(uint32 drugCode) external view override returns (bytes32 productId) {
        return _productOfDrugCode[drugCode];
    }

    /// @inheritdoc IDrugRegistry
    function drugCodeOf(bytes32 productId) external view override returns (uint32 drugCode) {
        return _products[productId].drugCode;
    }

    /// @inheritdoc IDrugRegistry
    function adrPolicy(bytes32 productId)
        external
        view
        override
        returns (uint16 threshold, uint64 windowMs, bool autoStop)
    {
        Product storage p = _products[productId];
        return (p.adrThreshold, p.adrWindow, p.adrAutoStop);
    }

    /// @inheritdoc IDrugRegistry
    function getBatch(bytes32 batchId)
        external
        view
        override
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
        )
    {
        Batch storage b = _batches[batchId];
        return (
            b.productId,
            _products[b.productId].mahOrgId,
            b.productionDate,
            b.expiryDate,
            b.unitCount,
            b.state,
            b.since,
            b.unitRoot,
            b.aggregationRoot
        );
    }

    /// @inheritdoc IDrugRegistry
    function stopAuthority(bytes32 id) external view override returns (bytes32 orgId) {
        return _stoppedBy[id];
    }

    /// @inheritdoc IDrugRegistry
    function batchLot(bytes32 batchId) external view override returns (string memory lot) {
        return _lots[batchId];
    }

    /// @inheritdoc IDrugRegistry
    function usability(bytes32 batchId)
        external
        view
        override
        returns (LifecycleState batchState, LifecycleState productState, uint64 expiryDate)
    {
        Batch storage b = _batches[batchId];
        return (b.state, _productLife[b.productSeq].state, b.expiryDate);
    }

    /// @inheritdoc IDrugRegistry
    function unitInfo(bytes32 batchId)
        external
        view
        override
        returns (
            LifecycleState batchState,
            LifecycleState productState,
            uint64 expiryDate,
            uint64 unitCount,
            bytes32 unitRoot,
            uint16 unitsPerCase
        )
    {
        Batch storage b = _batches[batchId];
        return (b.state, _productLife[b.productSeq].state, b.expiryDate, b.unitCount, b.unitRoot, b.unitsPerCase);
    }

    /// @inheritdoc IDrugRegistry
    function layoutOf(bytes32 batchId)
        external
        view
        override
        returns (uint64 unitCount, uint16 unitsPerCase, uint16 casesPerPallet)
    {
        Batch storage b = _batches[batchId];
        return (b.unitCount, b.unitsPerCase, b.casesPerPallet);
    }

    /// @inheritdoc IDrugRegistry
    function packingOf(bytes32 batchId)
        external
        view
        override
        returns (bytes32 packingRoot, uint64 unitCount, uint16 unitsPerCase, uint16 casesPerPallet)
    {
        Batch storage b = _batches[batchId];
        if (b.unitsPerCase == 0) return (bytes32(0), b.unitCount, 0, 0);
        return (b.aggregationRoot, b.unitCount, b.unitsPerCase, b.casesPerPallet);
    }

    /// @inheritdoc IDrugRegistry
    function batchOwner(bytes32 batchId) external view override returns (bytes32 productId, bytes32 mahOrgId) {
        productId = _batches[batchId].productId;
        mahOrgId = _products[productId].mahOrgId;
    }

    /// @inheritdoc IDrugRegistry
    function effectiveState(bytes32 batchId) external view override returns (LifecycleState state) {
        Batch storage b = _batches[batchId];
        state = b.state;
        if (state != LifecycleState.LISTED) return state;
        LifecycleState productState = _productLife[b.productSeq].state;
        return productState == LifecycleState.LISTED ? state : productState;
    }

    /// @inheritdoc IDrugRegistry
    function productIdOf(string calldata approvalNumber, string calldata packageSpec)
        external
        pure
        override
        returns (bytes32 productId)
    {
        return keccak256(abi.encode(approvalNumber, packageSpec));
    }

    /// @inheritdoc IDrugRegistry
    function batchIdOf(bytes32 productId, string calldata lot) external pure override returns (bytes32 batchId) {
        return keccak256(abi.encode(productId, lot));
    }

    // ================================================================== internals

    /// @dev Records a batch in state NONE (shared by {commitBatch} and {commitPackedBatch}).
    function _commit(
        bytes32 productId,
        string calldata lot,
        uint64 productionDate,
        uint64 expiryDate,
        uint64 unitCount,
        bytes32 unitRoot,
        bytes32 aggregationRoot
    ) private returns (bytes32 batchId) {
        (bytes32 callerOrg,,,) = _authorize(MASK_MANUFACTURER);
        uint32 productSeq = _listedProductOf(productId, callerOrg);
        batchId = keccak256(abi.encode(productId, lot));
        Batch storage b = _batches[batchId];
        if (b.productId != bytes32(0)) revert DrugRegistryBatchExists(batchId);
        if (unitCount == 0 || unitRoot == bytes32(0) || expiryDate <= productionDate) {
            revert DrugRegistryInvalidBatch(batchId);
        }
        if (expiryDate <= block.timestamp) revert DrugRegistryBatchExpired(batchId, expiryDate);
        b.productId = productId;
        b.productSeq = productSeq;
        b.unitRoot = unitRoot;
        b.aggregationRoot = aggregationRoot;
        b.productionDate = productionDate;
        b.expiryDate = expiryDate;
        b.unitCount = unitCount;
        _lots[batchId] = lot;
        emit BatchCommitted(
            batchId, productId, callerOrg, lot, productionDate, expiryDate, unitCount, unitRoot, aggregationRoot
        );
    }

    /**
     * @dev The one place a lifecycle state changes. Checks the table and the actor's bit, writes
     * the state and its time, emits the scope's StateChanged event.
     */
    function _transition(
        bool isBatch,
        bytes32 id,
        LifecycleState to,
        uint256 actorBit,
        bytes32 byOrg,
        uint256 reasonId,
        bytes32 evidenceHash
    ) private {
        LifecycleState from = isBatch ? _batches[id].state : _productLife[_products[id].seq].state;
        uint256 mask = transitionRoles(isBatch, from, to);
        if (mask == 0) revert DrugRegistryInvalidTransition(id, from, to);
        if (mask & actorBit == 0) revert DrugRegistryUnauthorizedTransition(id, from, to, byOrg);
        if (to == LifecycleState.STOPPED) _stoppedBy[id] = byOrg;
        if (isBatch) {
            Batch storage b = _batches[id];
            b.state = to;
            b.since = uint48(block.timestamp);
            emit BatchStateChanged(id, from, to, byOrg, reasonId, evidenceHash);
        } else {
            ProductLife storage life = _productLife[_products[id].seq];
            life.state = to;
            life.since = uint64(block.timestamp);
            emit ProductStateChanged(id, from, to, byOrg, reasonId, evidenceHash);
        }
    }

    /**
     * @dev T0b's guard (docs/domain.md 6.3, observation points 1, 2 and 6): no regulator's failed
     * inspection blocks the batch, the current process definition of the product is approved (none
     * pending), all its steps are recorded for the batch, and the MAH's latest release inspection is OK.
     */
    function _checkReleaseGate(IObservationLog observations, bytes32 batchId, bytes32 productId) private view {
        (
            uint256 approvedId,
            uint256 pendingId,
            uint16 stepCount,
            uint256 stepBits,
            bool releaseTestPassed,
            uint256 blockedBy
        ) = observations.releaseStatus(productId, batchId);
        if (blockedBy != 0) revert DrugRegistryReleaseBlocked(batchId, blockedBy);
        if (approvedId == 0 || pendingId != 0) revert DrugRegistryProcessNotApproved(productId, approvedId, pendingId);
        uint256 all = stepCount == 256 ? type(uint256).max : (uint256(1) << stepCount) - 1;
        if (stepBits != all) revert DrugRegistryProcessIncomplete(batchId, approvedId, stepBits, stepCount);
        if (!releaseTestPassed) revert DrugRegistryReleaseTestMissing(batchId);
    }

    /// @dev The seq of a LISTED product whose MAH is `callerOrg`, else revert (batch commits and releases).
    function _listedProductOf(bytes32 productId, bytes32 callerOrg) private view returns (uint32 seq) {
        Product storage p = _products[productId];
        seq = p.seq;
        if (seq == 0) revert DrugRegistryUnknownProduct(productId);
        if (p.mahOrgId != callerOrg) revert DrugRegistryNotProductHolder(productId, callerOrg);
        LifecycleState state = _productLife[seq].state;
        if (state != LifecycleState.LISTED) revert DrugRegistryNotListed(productId, state);
    }

    /// @dev Lifting a stop (T2) needs the same or a higher authority than the one that imposed it.
    function _checkLift(
        bytes32 id,
        LifecycleState from,
        LifecycleState to,
        bytes32 callerOrg,
        OrgKind kind,
        uint32 region
    ) private view {
        // Non-regulators are refused T2 by the table itself ({DrugRegistryUnauthorizedTransition}).
        if (from != LifecycleState.STOPPED || to != LifecycleState.LISTED || uint256(kind) > 2) return;
        bytes32 imposer = _stoppedBy[id];
        if (imposer == bytes32(0) || imposer == callerOrg) return;
        (OrgKind imposerKind,, uint32 imposerRegion,,,) = orgRegistry().getOrg(imposer);
        if (!Authority.canLift(kind, region, imposerKind, imposerRegion)) {
            revert DrugRegistryOutranked(id, imposer, callerOrg);
        }
    }

    /// @dev Provincial regulators act only on items whose MAH is in their region.
    function _checkRegion(bytes32 callerOrg, OrgKind kind, uint32 region, bytes32 mahOrgId) private view {
        if (kind != OrgKind.REGULATOR_PROVINCIAL) return;
        (,, uint32 mahRegion,,,) = orgRegistry().getOrg(mahOrgId);
        if (mahRegion != region) revert DrugRegistryOutsideRemit(callerOrg, mahOrgId);
    }

    /// @dev Voiding must not escape a stop: only who imposed it, or may lift it, voids a STOPPED batch.
    function _checkVoidRank(bytes32 batchId, bytes32 callerOrg, OrgKind kind, uint32 region) private view {
        bytes32 imposer = _stoppedBy[batchId];
        if (imposer == callerOrg || imposer == bytes32(0)) return;
        (OrgKind imposerKind,, uint32 imposerRegion,,,) = orgRegistry().getOrg(imposer);
        if (kind == OrgKind.MANUFACTURER || !Authority.canLift(kind, region, imposerKind, imposerRegion)) {
            revert DrugRegistryOutranked(batchId, imposer, callerOrg);
        }
    }

    /// @dev A released batch is voidable only while every unit is still with the MAH, available:
    /// none dispensed, destroyed, in transit or returned (returns arrive quarantined).
    function _checkUnmoved(bytes32 batchId, bytes32 mahOrgId, uint64 unitCount) private view returns (address custody) {
        (, custody,,) = orgRegistry().suite();
        (uint64 total, uint64 inTransit, uint64 quarantined) = ICustodyLedger(custody).batchStock(batchId);
        (uint128 mahHeld,) = ICustodyLedger(custody).holdingOf(batchId, mahOrgId);
        if (total != unitCount || inTransit != 0 || quarantined != 0 || mahHeld != unitCount) {
            revert DrugRegistryBatchMoved(batchId, unitCount, uint64(mahHeld));
        }
    }
}
