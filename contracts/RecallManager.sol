// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IRecallManager} from "./interfaces/IRecallManager.sol";
import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {
    DestructionStatus,
    LifecycleState,
    OrgKind,
    OrgStatus,
    RecallKind,
    RecallLevel,
    RecallStatus
} from "./common/DrugTraceTypes.sol";
import {
    MASK_MANUFACTURER,
    MASK_REGULATORS,
    MASK_AUDITOR,
    MASK_HOLDERS
} from "./common/KindMasks.sol";

/**
 * @title RecallManager - recall cases under the 2022 recall measures
 * @notice Opens cases (T3), tracks notice / progress / recovery / summary / evaluation, and
 * records supervised destruction (T4) through the DrugRegistry's and CustodyLedger's system
 * functions (this contract must be linked in the OrgRegistry).
 */
contract RecallManager is IRecallManager, SuiteMember {
    struct Recall {
        bytes32 productId;
        bytes32 batchId;
        bytes32 mahOrgId;
        bytes32 initiatorOrgId;
        RecallLevel level;
        RecallKind kind;
        RecallStatus status;
        uint64 decidedAt;
        uint64 noticeDeadline;
        uint64 noticeAt;
        uint64 lastProgressAt;
        uint64 completedAt;
        uint32 progressCount;
        // figures of a batch-scope case, computed on chain (issue 12, defect 5)
        uint64 inMarketAtOpen; // units held outside the MAH or in transit when the case opened
        uint64 mahAtOpen; // the MAH's own holding when the case opened
        uint64 destroyed; // units destroyed under supervision in the case
    }

    struct Destruction {
        uint256 recallId;
        bytes32 executorOrgId;
        bytes32 supervisorOrgId;
        bytes32 evidenceHash;
        uint64 quantity;
        bool finalDisposal;
        DestructionStatus status;
        bytes32 recordedByOrgId; // the executor, or a regulator acting for a suspended executor
    }

    /// @dev One day in FISCO block-timestamp units (milliseconds).
    uint64 private constant _DAY = 86_400_000;

    IDrugRegistry private immutable _registry;
    ICustodyLedger private immutable _custody;
    /// @dev Next recall / destruction ids, 1 from the constructor on (non-zero slots are cheaper to rewrite).
    uint256 private _nextRecallId;
    uint256 private _nextDestructionId;
    mapping(uint256 => Recall) private _recalls;
    mapping(uint256 => mapping(bytes32 => uint256)) private _recovered;
    mapping(uint256 => uint256) private _recoveredTotal;
    mapping(uint256 => Destruction) private _destructions;

    /**
     * @param orgRegistry_ the suite's OrgRegistry.
     * @param registry the suite's DrugRegistry.
     * @param custody the suite's CustodyLedger.
     */
    constructor(IOrgRegistry orgRegistry_, IDrugRegistry registry, ICustodyLedger custody)
        SuiteMember(orgRegistry_)
    {
        _registry = registry;
        _custody = custody;
        _nextRecallId = 1;
        _nextDestructionId = 1;
    }

    // ================================================================== writes

    /// @inheritdoc IRecallManager
    function openRecall(bytes32 productId, bytes32 batchId, RecallLevel level, bytes32 reasonHash)
        external
        override
        returns (uint256 recallId)
    {
        if (level == RecallLevel.NONE) revert RecallManagerInvalidLevel(level);
        (bytes32 callerOrg, RecallKind kind, bytes32 mahOrgId) = _opener(productId, batchId);
        recallId = _nextRecallId;
        _nextRecallId = recallId + 1;
        Recall storage c = _recalls[recallId];
        c.productId = productId;
        c.batchId = batchId;
        c.mahOrgId = mahOrgId;
        c.initiatorOrgId = callerOrg;
        c.level = level;
        c.kind = kind;
        c.status = RecallStatus.OPEN;
        c.decidedAt = uint64(block.timestamp);
        c.noticeDeadline = uint64(block.timestamp) + levelInterval(level);
        if (batchId != bytes32(0)) {
            (uint64 total,,) = _custody.batchStock(batchId);
            (uint128 mahHeld,) = _custody.holdingOf(batchId, mahOrgId);
            c.mahAtOpen = uint64(mahHeld);
            c.inMarketAtOpen = total - uint64(mahHeld);
        }
        emit RecallOpened(
            recallId, productId, batchId, level, kind, callerOrg, c.decidedAt, c.noticeDeadline, reasonHash
        );
        if (batchId != bytes32(0)) {
            _registry.systemTransitionBatch(batchId, LifecycleState.RECALLED, recallId, reasonHash, callerOrg);
        } else {
            _registry.systemTransitionProduct(productId, LifecycleState.RECALLED, recallId, reasonHash, callerOrg);
        }
    }

    /// @inheritdoc IRecallManager
    function issueNotice(uint256 recallId, bytes32 noticeHash) external override {
        Recall storage c = _mahCase(recallId, RecallStatus.OPEN);
        uint64 nowMs = uint64(block.timestamp);
        c.noticeAt = nowMs;
        c.lastProgressAt = nowMs;
        c.status = RecallStatus.NOTIFIED;
        emit RecallNoticeIssued(recallId, nowMs, nowMs > c.noticeDeadline, noticeHash);
    }

    /// @inheritdoc IRecallManager
    function reportProgress(uint256 recallId, bytes32 reportHash) external override {
        Recall storage c = _mahCase(recallId, RecallStatus.NOTIFIED);
        uint64 nowMs = uint64(block.timestamp);
        bool overdue = nowMs > c.lastProgressAt + levelInterval(c.level);
        uint32 reportNo = c.progressCount + 1;
        c.progressCount = reportNo;
        c.lastProgressAt = nowMs;
        emit RecallProgressReported(recallId, reportNo, nowMs, overdue, reportHash);
    }

    /// @inheritdoc IRecallManager
    function recordRecovery(uint256 recallId, uint64 quantity, bytes32 evidenceHash) external override {
        (bytes32 callerOrg,,,) = _authorize(MASK_HOLDERS);
        Recall storage c = _case(recallId);
        RecallStatus status = c.status;
        if (status != RecallStatus.OPEN && status != RecallStatus.NOTIFIED) {
            revert RecallManagerInvalidStatus(recallId, status);
        }
        bytes32 batchId = c.batchId;
        if (batchId == bytes32(0)) revert RecallManagerNotBatchScope(recallId);
        if (quantity == 0) revert RecallManagerInvalidQuantity(0);
        uint256 orgTotal = _recovered[recallId][callerOrg] + quantity;
        uint256 caseTotal = _recoveredTotal[recallId] + quantity;
        // A declaration is bounded by what the declarer holds (the MAH: what it holds beyond its
        // own stock at the opening), and the case total by what was on the market at the opening.
        (uint128 held,) = _custody.holdingOf(batchId, callerOrg);
        if (callerOrg == c.mahOrgId) held = held > c.mahAtOpen ? held - c.mahAtOpen : 0;
        if (orgTotal > held) revert RecallManagerRecoveryExceedsHolding(recallId, callerOrg, held, orgTotal);
        if (caseTotal > c.inMarketAtOpen) {
            revert RecallManagerRecoveryExceedsCirculation(recallId, c.inMarketAtOpen, caseTotal);
        }
        _recovered[recallId][callerOrg] = orgTotal;
        _recoveredTotal[recallId] = caseTotal;
        emit RecoveryRecorded(recallId, callerOrg, quantity, orgTotal, caseTotal, evidenceHash);
    }

    /// @inheritdoc IRecallManager
    function completeRecall(uint256 recallId, bytes32 summaryHash) external override {
        Recall storage c = _mahCase(recallId, RecallStatus.NOTIFIED);
        uint64 nowMs = uint64(block.timestamp);
        c.completedAt = nowMs;
        c.status = RecallStatus.COMPLETED;
        emit RecallCompleted(recallId, nowMs, summaryHash);
    }

    /// @inheritdoc IRecallManager
    function evaluateRecall(uint256 recallId, bool accepted, bytes32 evaluationHash) external override {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_REGULATORS);
        Recall storage c = _case(recallId);
        if (c.status != RecallStatus.COMPLETED) revert RecallManagerInvalidStatus(recallId, c.status);
        _checkRegion(recallId, callerOrg, kind, region, c.mahOrgId);
        c.status = accepted ? RecallStatus.CLOSED : RecallStatus.NOTIFIED;
        emit RecallEvaluated(recallId, accepted, callerOrg, evaluationHash);
        // accepted with no unit of the batch left in custody: the batch is destroyed (T4)
        if (accepted && _mayDestroyBatch(c, false)) {
            _registry.systemTransitionBatch(c.batchId, LifecycleState.DESTROYED, recallId, evaluationHash, callerOrg);
        }
    }

    /// @inheritdoc IRecallManager
    function recordDestruction(uint256 recallId, uint64 quantity, bool finalDisposal, bytes32 evidenceHash)
        external
        override
        returns (uint256 destructionId)
    {
        (bytes32 callerOrg,,,) = _authorize(MASK_HOLDERS);
        return _recordDestruction(recallId, callerOrg, callerOrg, quantity, finalDisposal, evidenceHash);
    }

    /// @inheritdoc IRecallManager
    function recordDestructionFor(
        uint256 recallId,
        bytes32 holderOrgId,
        uint64 quantity,
        bool finalDisposal,
        bytes32 evidenceHash
    ) external override returns (uint256 destructionId) {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_REGULATORS);
        _checkRegion(recallId, callerOrg, kind, region, holderOrgId);
        (OrgKind holderKind, OrgStatus holderStatus,,, uint64 licenceExpiry,) = orgRegistry().getOrg(holderOrgId);
        if (holderKind == OrgKind.NONE || (uint256(1) << uint256(holderKind)) & MASK_HOLDERS == 0) {
            revert RecallManagerUnauthorized(recallId, holderOrgId);
        }
        // Only for a holder that cannot act itself: suspended, or its licence lapsed.
        bool lapsed = licenceExpiry != 0 && block.timestamp > licenceExpiry;
        if (holderStatus == OrgStatus.ACTIVE && !lapsed) revert RecallManagerHolderCanAct(recallId, holderOrgId);
        return _recordDestruction(recallId, holderOrgId, callerOrg, quantity, finalDisposal, evidenceHash);
    }

    /// @inheritdoc IRecallManager
    function countersignDestruction(uint256 destructionId) external override {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_REGULATORS | MASK_AUDITOR);
        Destruction storage d = _destructions[destructionId];
        if (d.status == DestructionStatus.NONE) revert RecallManagerUnknownDestruction(destructionId);
        if (d.status != DestructionStatus.RECORDED) revert RecallManagerDestructionNotPending(destructionId, d.status);
        // The executor (a holder kind) can never be the supervisor (a regulator or auditor): the
        // kind masks are disjoint and an organisation's kind never changes, so no self check.
        bytes32 executor = d.executorOrgId;
        uint256 recallId = d.recallId;
        _checkRegion(recallId, callerOrg, kind, region, executor);
        // A regulator that recorded for a suspended holder does not also counter-sign it.
        if (d.recordedByOrgId == callerOrg) revert RecallManagerSelfCountersign(destructionId, callerOrg);
        d.supervisorOrgId = callerOrg;
        d.status = DestructionStatus.CONFIRMED;
        Recall storage c = _recalls[recallId];
        bytes32 batchId = c.batchId;
        c.destroyed += d.quantity;
        _custody.systemDestroy(batchId, executor, d.quantity, destructionId);
        // T4 (domain 6.3) only once the case's summary is accepted (CLOSED) and no unit of the batch
        // is held anywhere except quarantined stock awaiting destruction: a final destruction then
        // completes the disposal, and so does any destruction that leaves no unit at all.
        bool batchDestroyed = _mayDestroyBatch(c, d.finalDisposal);
        emit DestructionConfirmed(destructionId, recallId, callerOrg, batchDestroyed);
        if (batchDestroyed) {
            _registry.systemTransitionBatch(batchId, LifecycleState.DESTROYED, recallId, d.evidenceHash, callerOrg);
        }
    }

    // ================================================================== views

    /// @inheritdoc IRecallManager
    function getRecall(uint256 recallId)
        external
        view
        override
        returns (
            bytes32 productId,
            bytes32 batchId,
            bytes32 mahOrgId,
            bytes32 initiatorOrgId,
            RecallLevel level,
            RecallKind kind,
            RecallStatus status
        )
    {
        Recall storage c = _recalls[recallId];
        return (c.productId, c.batchId, c.mahOrgId, c.initiatorOrgId, c.level, c.kind, c.status);
    }

    /// @inheritdoc IRecallManager
    function recallTimes(uint256 recallId)
        external
        view
        override
        returns (
            uint64 decidedAt,
            uint64 noticeDeadline,
            uint64 noticeAt,
            uint64 lastProgressAt,
            uint32 progressCount,
            uint64 completedAt
        )
    {
        Recall storage c = _recalls[recallId];
        return (c.decidedAt, c.noticeDeadline, c.noticeAt, c.lastProgressAt, c.progressCount, c.completedAt);
    }

    /// @inheritdoc IRecallManager
    function recovered(uint256 recallId, bytes32 orgId) external view override returns (uint256 quantity) {
        return orgId == bytes32(0) ? _recoveredTotal[recallId] : _recovered[recallId][orgId];
    }

    /// @inheritdoc IRecallManager
    function recallFigures(uint256 recallId)
        external
        view
        override
        returns (uint64 inMarketAtOpen, uint64 inMarketNow, uint64 recoveredUnits, uint64 destroyed, uint64 declared)
    {
        Recall storage c = _recalls[recallId];
        inMarketAtOpen = c.inMarketAtOpen;
        destroyed = c.destroyed;
        declared = uint64(_recoveredTotal[recallId]);
        if (c.batchId == bytes32(0)) return (0, 0, 0, destroyed, declared);
        (uint64 total,,) = _custody.batchStock(c.batchId);
        (uint128 mahHeld,) = _custody.holdingOf(c.batchId, c.mahOrgId);
        inMarketNow = total > mahHeld ? total - uint64(mahHeld) : 0;
        // recovered = what left the market since the opening (back at the MAH or destroyed),
        // never more than was on the market then
        recoveredUnits = inMarketNow < inMarketAtOpen ? inMarketAtOpen - inMarketNow : 0;
    }

    /// @inheritdoc IRecallManager
    function getDestruction(uint256 destructionId)
        external
        view
        override
        returns (
            uint256 recallId,
            bytes32 executorOrgId,
            bytes32 supervisorOrgId,
            uint64 quantity,
            bool finalDisposal,
            DestructionStatus status
        )
    {
        Destruction storage d = _destructions[destructionId];
        return (d.recallId, d.executorOrgId, d.supervisorOrgId, d.quantity, d.finalDisposal, d.status);
    }

    /// @inheritdoc IRecallManager
    function drugRegistry() external view override returns (address registry) {
        return address(_registry);
    }

    /// @inheritdoc IRecallManager
    function custodyLedger() external view override returns (address ledger) {
        return address(_custody);
    }

    /// @inheritdoc IRecallManager
    function recallCount() external view override returns (uint256 count) {
        return _nextRecallId - 1;
    }

    /// @inheritdoc IRecallManager
    function destructionCount() external view override returns (uint256 count) {
        return _nextDestructionId - 1;
    }

    /// @inheritdoc IRecallManager
    function levelInterval(RecallLevel level) public pure override returns (uint64 interval) {
        if (level == RecallLevel.I) return _DAY;
        if (level == RecallLevel.II) return 3 * _DAY;
        if (level == RecallLevel.III) return 7 * _DAY;
        revert RecallManagerInvalidLevel(level);
    }

    // ================================================================== internals

    /// @dev Stores a RECORDED destruction of `executor`'s units (it must hold them).
    function _recordDestruction(
        uint256 recallId,
        bytes32 executor,
        bytes32 recordedBy,
        uint64 quantity,
        bool finalDisposal,
        bytes32 evidenceHash
    ) private returns (uint256 destructionId) {
        Recall storage c = _case(recallId);
        bytes32 batchId = c.batchId;
        if (batchId == bytes32(0)) revert RecallManagerNotBatchScope(recallId);
        // Allowed after the case is CLOSED: the supervised destruction that closes out the stock.
        if (quantity == 0) revert RecallManagerInvalidQuantity(0);
        (uint128 held,) = _custody.holdingOf(batchId, executor);
        if (quantity > held) revert RecallManagerExceedsHolding(recallId, executor, held, quantity);
        destructionId = _nextDestructionId;
        _nextDestructionId = destructionId + 1;
        _destructions[destructionId] = Destruction({
            recallId: recallId,
            executorOrgId: executor,
            supervisorOrgId: bytes32(0),
            evidenceHash: evidenceHash,
            quantity: quantity,
            finalDisposal: finalDisposal,
            status: DestructionStatus.RECORDED,
            recordedByOrgId: recordedBy
        });
        emit DestructionRecorded(destructionId, recallId, executor, quantity, finalDisposal, evidenceHash);
        if (recordedBy != executor) emit DestructionRecordedFor(destructionId, recallId, executor, recordedBy);
    }

    /// @dev T4's guard: batch case CLOSED, batch RECALLED, nothing in transit, every unit left in
    /// custody quarantined, and either a final disposal or no unit left at all.
    function _mayDestroyBatch(Recall storage c, bool finalDisposal) private view returns (bool) {
        bytes32 batchId = c.batchId;
        if (batchId == bytes32(0) || c.status != RecallStatus.CLOSED) return false;
        (LifecycleState batchState,,) = _registry.usability(batchId);
        if (batchState != LifecycleState.RECALLED) return false;
        (uint64 total, uint64 inTransit, uint64 quarantined) = _custody.batchStock(batchId);
        if (inTransit != 0 || total != quarantined) return false;
        return finalDisposal || total == 0;
    }

    /// @dev The MAH of the scope; the batch must belong to the product.
    function _scopeMah(bytes32 productId, bytes32 batchId) private view returns (bytes32 mahOrgId) {
        if (batchId != bytes32(0)) {
            bytes32 batchProduct;
            (batchProduct, mahOrgId) = _registry.batchOwner(batchId);
            if (batchProduct != productId || batchProduct == bytes32(0)) {
                revert RecallManagerInvalidScope(productId, batchId);
            }
        } else {
            (mahOrgId,,,,) = _registry.getProduct(productId);
            if (mahOrgId == bytes32(0)) revert RecallManagerInvalidScope(productId, batchId);
        }
    }

    /// @dev Who may open a case on this scope: its MAH (voluntary) or a regulator (ordered).
    function _opener(bytes32 productId, bytes32 batchId)
        private
        view
        returns (bytes32 callerOrg, RecallKind kind, bytes32 mahOrgId)
    {
        OrgKind callerKind;
        uint32 region;
        (callerOrg, callerKind, region,) = _authorize(MASK_MANUFACTURER | MASK_REGULATORS);
        mahOrgId = _scopeMah(productId, batchId);
        if (callerKind == OrgKind.MANUFACTURER) {
            if (mahOrgId != callerOrg) revert RecallManagerUnauthorized(0, callerOrg);
            return (callerOrg, RecallKind.VOLUNTARY, mahOrgId);
        }
        _checkRegion(0, callerOrg, callerKind, region, mahOrgId);
        return (callerOrg, RecallKind.ORDERED, mahOrgId);
    }

    /// @dev The case, checked to exist.
    function _case(uint256 recallId) private view returns (Recall storage c) {
        c = _recalls[recallId];
        if (c.status == RecallStatus.NONE) revert RecallManagerUnknownRecall(recallId);
    }

    /// @dev The case, checked to be in `status` and to belong to the caller's organisation (MAH).
    function _mahCase(uint256 recallId, RecallStatus status) private view returns (Recall storage c) {
        (bytes32 callerOrg,,,) = _authorize(MASK_MANUFACTURER);
        c = _case(recallId);
        if (c.mahOrgId != callerOrg) revert RecallManagerUnauthorized(recallId, callerOrg);
        if (c.status != status) revert RecallManagerInvalidStatus(recallId, c.status);
    }

    /// @dev Provincial regulators, and auditors with a regional remit (region != 0), act only for
    /// organisations of their region (the national regulator and national auditors pass).
    function _checkRegion(uint256 recallId, bytes32 callerOrg, OrgKind kind, uint32 region, bytes32 orgId)
        private
        view
    {
        if (kind != OrgKind.REGULATOR_PROVINCIAL && (kind != OrgKind.AUDITOR || region == 0)) return;
        (,, uint32 orgRegion,,,) = orgRegistry().getOrg(orgId);
        if (orgRegion != region) revert RecallManagerUnauthorized(recallId, callerOrg);
    }
}
