// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IRecallManager} from "./interfaces/IRecallManager.sol";
import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {Authority} from "./common/Authority.sol";
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
        uint64 destroyed; // units destroyed under supervision in the case (product scope: in its batch cases)
        uint64 productCaseId; // a batch case opened under an open product-wide case of its product
        uint64 followUpOf; // the batch's previous (CLOSED) case, for a follow-up case on a RECALLED batch
        uint64 writtenOffAtOpen; // the batch's CustodyLedger.writtenOff when the case opened
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
    /// @dev Per batch, its latest batch-scope case; per product, its latest product-wide case.
    mapping(bytes32 => uint256) private _latestCase;
    /// @dev Per product-wide case, the batch cases opened under it (one per batch: follow-ups are not added).
    mapping(uint256 => uint256[]) private _batchCases;

    /// @dev Most batch cases a product-wide case's figures page may sum.
    uint256 private constant _MAX_PAGE = 64;

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
        bool followUp;
        if (batchId != bytes32(0)) {
            (uint64 total,,) = _custody.batchStock(batchId);
            (uint128 mahHeld,) = _custody.holdingOf(batchId, mahOrgId);
            c.mahAtOpen = uint64(mahHeld);
            c.inMarketAtOpen = total - uint64(mahHeld);
            c.writtenOffAtOpen = _custody.writtenOff(batchId);
            followUp = _linkBatchCase(c, recallId, productId, batchId);
        } else {
            _latestCase[productId] = recallId;
        }
        emit RecallOpened(
            recallId, productId, batchId, level, kind, callerOrg, c.decidedAt, c.noticeDeadline, reasonHash
        );
        if (c.followUpOf != 0 || c.productCaseId != 0) emit RecallCaseLinked(recallId, c.followUpOf, c.productCaseId);
        if (followUp) {
            // the batch stays RECALLED: no transition, the new case covers the stock found later
        } else if (batchId != bytes32(0)) {
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
        if (c.productCaseId != 0) _recalls[c.productCaseId].destroyed += d.quantity;
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

    /// @inheritdoc IRecallManager
    function voidDestruction(uint256 destructionId, bytes32 reasonHash) external override {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_HOLDERS | MASK_REGULATORS);
        Destruction storage d = _destructions[destructionId];
        DestructionStatus status = d.status;
        if (status == DestructionStatus.NONE) revert RecallManagerUnknownDestruction(destructionId);
        if (status == DestructionStatus.VOIDED) revert RecallManagerDestructionNotPending(destructionId, status);
        _checkVoider(d, destructionId, callerOrg, kind, region);
        d.status = DestructionStatus.VOIDED;
        bool wasConfirmed = status == DestructionStatus.CONFIRMED;
        emit DestructionVoided(destructionId, d.recallId, callerOrg, wasConfirmed, reasonHash);
        if (wasConfirmed) _restoreDestroyed(d, destructionId);
    }

    // ================================================================== views

    /// @inheritdoc IRecallManager
    function recallLinks(uint256 recallId)
        external
        view
        override
        returns (uint256 followUpOf, uint256 productCaseId, uint256 batchCaseCount, uint256 latestCaseOfScope)
    {
        Recall storage c = _recalls[recallId];
        bytes32 scope = c.batchId != bytes32(0) ? c.batchId : c.productId;
        return (c.followUpOf, c.productCaseId, _batchCases[recallId].length, _latestCase[scope]);
    }

    /// @inheritdoc IRecallManager
    function latestCase(bytes32 scopeId) external view override returns (uint256 recallId) {
        return _latestCase[scopeId];
    }

    /// @inheritdoc IRecallManager
    function productRecallFigures(uint256 recallId, uint256 start, uint256 count)
        external
        view
        override
        returns (uint256 caseCount, uint64 inMarketAtOpen, uint64 inMarketNow, uint64 destroyed, uint64 writtenOff)
    {
        Recall storage c = _recalls[recallId];
        if (c.status == RecallStatus.NONE) revert RecallManagerUnknownRecall(recallId);
        if (c.batchId != bytes32(0)) revert RecallManagerInvalidScope(c.productId, c.batchId);
        if (count > _MAX_PAGE) count = _MAX_PAGE;
        caseCount = _batchCases[recallId].length;
        (inMarketAtOpen, inMarketNow, writtenOff) = _sumBatchCases(recallId, start, count);
        destroyed = c.destroyed;
    }

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
        returns (
            uint64 inMarketAtOpen,
            uint64 inMarketNow,
            uint64 recoveredUnits,
            uint64 destroyed,
            uint64 declared,
            uint64 writtenOff
        )
    {
        Recall storage c = _recalls[recallId];
        inMarketAtOpen = c.inMarketAtOpen;
        destroyed = c.destroyed;
        declared = uint64(_recoveredTotal[recallId]);
        if (c.batchId == bytes32(0)) {
            // product scope: the sum over its batch cases (a view; see productRecallFigures for pages)
            uint256 n = _batchCases[recallId].length;
            (, inMarketNow, writtenOff) = _sumBatchCases(recallId, 0, n);
        } else {
            (inMarketNow, writtenOff) = _caseNow(c);
        }
        recoveredUnits = _recoveredOf(inMarketAtOpen, inMarketNow, writtenOff);
    }

    /// @dev What left the market since the opening (back at the MAH or destroyed) less what was
    /// written off it (lost in transit, decommissioned away from the MAH): never more than was on
    /// the market at the opening, never negative.
    function _recoveredOf(uint64 atOpen, uint64 now_, uint64 writtenOff) private pure returns (uint64) {
        if (now_ >= atOpen) return 0;
        uint64 left = atOpen - now_;
        return left > writtenOff ? left - writtenOff : 0;
    }

    /// @dev A batch case's market now (held outside the MAH or in transit) and the units written
    /// off it since the opening.
    function _caseNow(Recall storage c) private view returns (uint64 inMarketNow, uint64 writtenOff) {
        (uint64 total,,) = _custody.batchStock(c.batchId);
        (uint128 mahHeld,) = _custody.holdingOf(c.batchId, c.mahOrgId);
        inMarketNow = total > mahHeld ? total - uint64(mahHeld) : 0;
        writtenOff = _custody.writtenOff(c.batchId) - c.writtenOffAtOpen;
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
        uint256 latest = _latestCase[batchId];
        if (latest != recallId) revert RecallManagerSuperseded(recallId, latest);
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
        if (_recalls[_latestCase[batchId]].status != RecallStatus.CLOSED) return false; // a follow-up is open
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

    // ================================================================== corrections, follow-ups, product figures (issue 12)

    /**
     * @dev Links a new batch case: on a RECALLED batch it is a follow-up of the batch's latest case,
     * which must be CLOSED (stock found after the close-out); otherwise, opened while its product
     * has an open product-wide case, it is one of that case's batch cases and adds its market
     * figure at the opening to it. Returns whether it is a follow-up (no T3 then).
     */
    function _linkBatchCase(Recall storage c, uint256 recallId, bytes32 productId, bytes32 batchId)
        private
        returns (bool followUp)
    {
        uint256 previous = _latestCase[batchId];
        _latestCase[batchId] = recallId;
        (LifecycleState batchState,,) = _registry.usability(batchId);
        if (batchState == LifecycleState.RECALLED) {
            RecallStatus previousStatus = _recalls[previous].status;
            if (previousStatus != RecallStatus.CLOSED) revert RecallManagerCaseStillOpen(batchId, previous);
            c.followUpOf = uint64(previous);
            return true;
        }
        uint256 productCase = _latestCase[productId];
        if (productCase == 0) return false;
        Recall storage parent = _recalls[productCase];
        if (parent.status == RecallStatus.CLOSED) return false;
        c.productCaseId = uint64(productCase);
        parent.inMarketAtOpen += c.inMarketAtOpen;
        _batchCases[productCase].push(recallId);
    }

    /// @dev Sum of the batch cases [start, start+count) of a product-wide case: market at their
    /// opening, and now (held outside the MAH or in transit), and the units written off since.
    function _sumBatchCases(uint256 recallId, uint256 start, uint256 count)
        private
        view
        returns (uint64 atOpen, uint64 now_, uint64 writtenOff)
    {
        uint256[] storage cases = _batchCases[recallId];
        uint256 end = start + count;
        if (end > cases.length) end = cases.length;
        for (uint256 k = start; k < end; ++k) {
            Recall storage b = _recalls[cases[k]];
            atOpen += b.inMarketAtOpen;
            (uint64 inMarket, uint64 off) = _caseNow(b);
            now_ += inMarket;
            writtenOff += off;
        }
    }

    /// @dev A regulator acts on a record only if it ranks at least as high as `imposer` (0: nobody).
    function _checkRank(uint256 destructionId, bytes32 callerOrg, OrgKind kind, uint32 region, bytes32 imposer)
        private
        view
    {
        if (imposer == bytes32(0) || imposer == callerOrg) return;
        (OrgKind imposerKind,, uint32 imposerRegion,,,) = orgRegistry().getOrg(imposer);
        if (!Authority.canLift(kind, region, imposerKind, imposerRegion)) {
            revert RecallManagerVoidUnauthorized(destructionId, callerOrg);
        }
    }

    /// @dev Who may void a destruction record: its author while RECORDED; a regulator in remit of
    /// the executor ranking at least as high as its recorder and (CONFIRMED) its supervisor.
    function _checkVoider(Destruction storage d, uint256 destructionId, bytes32 callerOrg, OrgKind kind, uint32 region)
        private
        view
    {
        bool regulator = kind == OrgKind.REGULATOR_NATIONAL || kind == OrgKind.REGULATOR_PROVINCIAL;
        if (!regulator) {
            // its author corrects a record not yet counter-signed; a confirmed one needs a regulator
            if (d.recordedByOrgId != callerOrg || d.status != DestructionStatus.RECORDED) {
                revert RecallManagerVoidUnauthorized(destructionId, callerOrg);
            }
            return;
        }
        _checkRegion(d.recallId, callerOrg, kind, region, d.executorOrgId);
        _checkRank(destructionId, callerOrg, kind, region, d.recordedByOrgId);
        if (d.status == DestructionStatus.CONFIRMED) _checkRank(destructionId, callerOrg, kind, region, d.supervisorOrgId);
    }

    /// @dev A voided confirmed destruction: the units were not destroyed; they leave the case's
    /// figures and come back to the executor, quarantined. Refused once the batch is DESTROYED.
    function _restoreDestroyed(Destruction storage d, uint256 destructionId) private {
        Recall storage c = _recalls[d.recallId];
        bytes32 batchId = c.batchId;
        (LifecycleState batchState,,) = _registry.usability(batchId);
        if (batchState == LifecycleState.DESTROYED) revert RecallManagerBatchDestroyed(destructionId, batchId);
        uint64 quantity = d.quantity;
        c.destroyed -= quantity;
        if (c.productCaseId != 0) _recalls[c.productCaseId].destroyed -= quantity;
        _custody.systemCorrectHolding(batchId, d.executorOrgId, quantity, true, destructionId);
        // Units back on the market (not at the MAH) after a later case of the batch opened: that
        // case covers them now, so its market at the opening takes them (else its figures would
        // show more units out than were in circulation when it opened).
        uint256 latest = _latestCase[batchId];
        if (latest != d.recallId && d.executorOrgId != c.mahOrgId) _recalls[latest].inMarketAtOpen += quantity;
    }
}
