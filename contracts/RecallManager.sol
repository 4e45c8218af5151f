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
    }

    struct Destruction {
        uint256 recallId;
        bytes32 executorOrgId;
        bytes32 supervisorOrgId;
        bytes32 evidenceHash;
        uint64 quantity;
        bool finalDisposal;
        DestructionStatus status;
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
        RecallStatus status = _recalls[recallId].status;
        if (status == RecallStatus.NONE) revert RecallManagerUnknownRecall(recallId);
        if (status != RecallStatus.OPEN && status != RecallStatus.NOTIFIED) {
            revert RecallManagerInvalidStatus(recallId, status);
        }
        if (quantity == 0) revert RecallManagerInvalidQuantity(0);
        uint256 orgTotal = _recovered[recallId][callerOrg] + quantity;
        uint256 caseTotal = _recoveredTotal[recallId] + quantity;
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
    }

    /// @inheritdoc IRecallManager
    function recordDestruction(uint256 recallId, uint64 quantity, bool finalDisposal, bytes32 evidenceHash)
        external
        override
        returns (uint256 destructionId)
    {
        (bytes32 callerOrg,,,) = _authorize(MASK_HOLDERS);
        Recall storage c = _case(recallId);
        if (c.batchId == bytes32(0)) revert RecallManagerNotBatchScope(recallId);
        if (c.status == RecallStatus.CLOSED) revert RecallManagerInvalidStatus(recallId, RecallStatus.CLOSED);
        if (quantity == 0) revert RecallManagerInvalidQuantity(0);
        destructionId = _nextDestructionId;
        _nextDestructionId = destructionId + 1;
        _destructions[destructionId] = Destruction({
            recallId: recallId,
            executorOrgId: callerOrg,
            supervisorOrgId: bytes32(0),
            evidenceHash: evidenceHash,
            quantity: quantity,
            finalDisposal: finalDisposal,
            status: DestructionStatus.RECORDED
        });
        emit DestructionRecorded(destructionId, recallId, callerOrg, quantity, finalDisposal, evidenceHash);
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
        d.supervisorOrgId = callerOrg;
        d.status = DestructionStatus.CONFIRMED;
        bytes32 batchId = _recalls[recallId].batchId;
        // Several holders may each declare their (local) destruction final: the first one
        // counter-signed moves the batch RECALLED -> DESTROYED (T4); later ones are confirmed
        // like partial destructions, since DESTROYED is terminal. A batch case's batch is
        // RECALLED or DESTROYED here (T3 opened the case; T4 is the only way out).
        bool batchDestroyed;
        if (d.finalDisposal) {
            (LifecycleState batchState,,) = _registry.usability(batchId);
            batchDestroyed = batchState != LifecycleState.DESTROYED;
        }
        emit DestructionConfirmed(destructionId, recallId, callerOrg, batchDestroyed);
        _custody.systemDestroy(batchId, executor, d.quantity, destructionId);
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
