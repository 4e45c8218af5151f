// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IObservationLog} from "./interfaces/IObservationLog.sol";
import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {Authority} from "./common/Authority.sol";
import {
    ADR_MAX_THRESHOLD,
    LifecycleState,
    ObservationPoint,
    ObservationResult,
    OrgKind
} from "./common/DrugTraceTypes.sol";
import {
    MASK_MANUFACTURER,
    MASK_DISTRIBUTOR,
    MASK_LOGISTICS,
    MASK_PHARMACY,
    MASK_HOSPITAL,
    MASK_REGULATORS,
    MASK_HOLDERS,
    MASK_ANY_ORG
} from "./common/KindMasks.sol";

/**
 * @title ObservationLog - eight observation points with automatic collaborative actions
 * @notice Records observations (result code, values, evidence hash) by the organisations the
 * permission matrix allows, and triggers the automatic actions through the DrugRegistry's and
 * CustodyLedger's "system" functions (this contract must be linked in the OrgRegistry).
 * @dev Each observation is stored in four slots and announced by {ObservationRecorded}.
 */
contract ObservationLog is IObservationLog, SuiteMember {
    struct Observation {
        bytes32 subjectId;
        bytes32 reporterOrgId;
        bytes32 evidenceHash;
        ObservationPoint point;
        ObservationResult result;
        int64 minValue;
        int64 maxValue;
        uint48 recordedAt;
        uint64 shipmentId;
    }

    /// @dev The values of one report, passed between the internal steps.
    struct Report {
        uint256 id;
        ObservationPoint point;
        bytes32 subjectId;
        uint256 shipmentId;
        ObservationResult result;
        int64 minValue;
        int64 maxValue;
        bytes32 evidenceHash;
        bytes32 reporterOrgId;
        OrgKind reporterKind;
        uint32 reporterRegion;
        bytes32 productId;
    }

    /// @dev A product's process definitions (observation ids, one slot): the regulator-approved
    /// one with its step count, and the MAH's newer one awaiting approval (0 = none).
    struct Process {
        uint64 approvedId;
        uint64 pendingId;
        uint16 stepCount;
        uint64 approvalId; // the regulator's observation that approved {approvedId}
    }

    /// @dev A batch's release record (one slot, observation ids): the definition its step bits
    /// belong to, the regulator's FAIL inspection that blocks its release (0 = none), the latest
    /// release test (the MAH's latest inspection, or a regulator's OK re-test; 0 = none or voided),
    /// the regulator's latest re-test, the MAH's failed tests since it (a FAIL stays on the gate
    /// until a regulator's OK re-test) and how many failures that re-test cleared (restored if it
    /// is voided). The test passes iff no failure is pending and the latest test is OK.
    struct Release {
        uint48 definitionId;
        uint48 blockedBy;
        uint48 lastTestId;
        uint48 retestId;
        uint32 failCount;
        uint32 clearedCount;
    }

    /// @dev Who may call {voidObservation}: every kind that reports (the author check follows).
    uint256 private constant MASK_ANY_REPORTER = MASK_ANY_ORG;

    /// @dev Most steps a process definition may have (one bitmap word per batch).
    uint16 private constant _MAX_STEPS = 256;

    IDrugRegistry private immutable _registry;
    ICustodyLedger private immutable _custody;
    /// @dev Next observation id, 1 from the constructor on (a non-zero slot is cheaper to rewrite).
    uint256 private _nextObservationId;
    mapping(uint256 => Observation) private _observations;
    mapping(bytes32 => uint256) private _seriousReactions;
    /// @dev Per batch, the times (ms) of the latest ADR_MAX_THRESHOLD SERIOUS reports: report n
    /// (1-based, the cumulative count) is kept at index (n - 1) % ADR_MAX_THRESHOLD, so the ring
    /// does not depend on the policy in force when each report arrived (4 times per slot).
    mapping(bytes32 => uint64[ADR_MAX_THRESHOLD]) private _seriousTimes;
    mapping(bytes32 => Process) private _processes;
    mapping(bytes32 => Release) private _releases;
    /// @dev Per batch and reporting organisation, the time (ms) of its last SERIOUS report that
    /// counted toward the ADR threshold: one organisation counts once per policy window.
    mapping(bytes32 => mapping(bytes32 => uint64)) private _lastCountedSerious;
    /// @dev Per batch, bit i = step i of {Release.definitionId} recorded OK.
    mapping(bytes32 => uint256) private _stepBits;
    /// @dev Corrections (issue 12): per observation, the organisation that voided it (0 = in force).
    mapping(uint256 => bytes32) private _voidedBy;
    /// @dev Per counted SERIOUS report, its 1-based number in the batch's count (its ring position).
    mapping(uint256 => uint256) private _seriousNo;
    /// @dev Per batch, the voided counted SERIOUS reports.
    mapping(bytes32 => uint256) private _seriousVoided;
    /// @dev Per regulator FAIL inspection that replaced a release block, the block it replaced.
    mapping(uint256 => uint256) private _replacedBlock;
    /// @dev Per regulator OK inspection that lifted a release block, the block it lifted.
    mapping(uint256 => uint256) private _liftedBlock;

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
        _nextObservationId = 1;
    }

    // ================================================================== writes

    /// @inheritdoc IObservationLog
    function recordObservation(
        ObservationPoint point,
        bytes32 subjectId,
        uint256 shipmentId,
        ObservationResult result,
        int64 minValue,
        int64 maxValue,
        bytes32 evidenceHash
    ) external override returns (uint256 observationId) {
        uint256 mask = reporterKinds(point);
        if (mask == 0) revert ObservationLogInvalidPoint(point);
        Report memory r;
        r.point = point;
        r.subjectId = subjectId;
        r.shipmentId = shipmentId;
        r.result = result;
        r.minValue = minValue;
        r.maxValue = maxValue;
        r.evidenceHash = evidenceHash;
        (r.reporterOrgId, r.reporterKind, r.reporterRegion,) = _authorize(mask);
        _checkSubject(r, r.reporterRegion);
        _checkProcess(r);
        observationId = _nextObservationId;
        _nextObservationId = observationId + 1;
        r.id = observationId;
        _observations[observationId] = Observation({
            subjectId: subjectId,
            reporterOrgId: r.reporterOrgId,
            evidenceHash: evidenceHash,
            point: point,
            result: result,
            minValue: minValue,
            maxValue: maxValue,
            recordedAt: uint48(block.timestamp),
            shipmentId: uint64(shipmentId)
        });
        emit ObservationRecorded(
            observationId, point, subjectId, shipmentId, r.reporterOrgId, result, minValue, maxValue, evidenceHash
        );
        _act(r);
    }

    /// @inheritdoc IObservationLog
    function voidObservation(uint256 observationId, bytes32 reasonHash) external override {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_ANY_REPORTER);
        Observation storage o = _observations[observationId];
        ObservationPoint point = o.point;
        if (point == ObservationPoint.NONE) revert ObservationLogUnknownObservation(observationId);
        if (_voidedBy[observationId] != bytes32(0)) revert ObservationLogAlreadyVoided(observationId);
        bytes32 subjectId = o.subjectId;
        bool regulator = kind == OrgKind.REGULATOR_NATIONAL || kind == OrgKind.REGULATOR_PROVINCIAL;
        bool failedInspection = point == ObservationPoint.INSPECTION
            && (o.result == ObservationResult.FAIL || o.result == ObservationResult.SERIOUS);
        if (regulator) {
            _checkVoidRemit(observationId, o, callerOrg, kind, region);
        } else if (o.reporterOrgId != callerOrg || failedInspection) {
            // its author corrects its own record; a failed inspection stays until a regulator voids it
            revert ObservationLogVoidUnauthorized(observationId, callerOrg);
        }
        _voidedBy[observationId] = callerOrg;
        bool stopLifted = _unwind(observationId, o, regulator, reasonHash, callerOrg);
        emit ObservationVoided(observationId, point, subjectId, callerOrg, reasonHash, stopLifted);
    }

    // ================================================================== views

    /// @inheritdoc IObservationLog
    function voidedBy(uint256 observationId) external view override returns (bytes32 orgId) {
        return _voidedBy[observationId];
    }

    /// @inheritdoc IObservationLog
    function reporterKinds(ObservationPoint point) public pure override returns (uint256 mask) {
        // The permission matrix of docs/domain.md 6.2 / 6.4, one row per point.
        if (point == ObservationPoint.PROCESS_DEFINITION) return MASK_MANUFACTURER | MASK_REGULATORS;
        if (point == ObservationPoint.PROCESS_PROGRESS) return MASK_MANUFACTURER;
        if (point == ObservationPoint.ORDER) return MASK_DISTRIBUTOR | MASK_PHARMACY | MASK_HOSPITAL;
        if (point == ObservationPoint.TRANSPORT) return MASK_LOGISTICS;
        if (point == ObservationPoint.STORAGE) return MASK_HOLDERS | MASK_LOGISTICS;
        if (point == ObservationPoint.INSPECTION) return MASK_REGULATORS | MASK_MANUFACTURER;
        if (point == ObservationPoint.EFFICACY) return MASK_HOSPITAL;
        if (point == ObservationPoint.ADVERSE_REACTION) {
            return MASK_MANUFACTURER | MASK_PHARMACY | MASK_HOSPITAL | MASK_REGULATORS;
        }
        return 0;
    }

    /// @inheritdoc IObservationLog
    function getObservation(uint256 observationId)
        external
        view
        override
        returns (
            ObservationPoint point,
            bytes32 subjectId,
            uint256 shipmentId,
            bytes32 reporterOrgId,
            ObservationResult result,
            int64 minValue,
            int64 maxValue,
            uint64 recordedAt,
            bytes32 evidenceHash
        )
    {
        Observation storage o = _observations[observationId];
        return (
            o.point,
            o.subjectId,
            o.shipmentId,
            o.reporterOrgId,
            o.result,
            o.minValue,
            o.maxValue,
            o.recordedAt,
            o.evidenceHash
        );
    }

    /// @inheritdoc IObservationLog
    function drugRegistry() external view override returns (address registry) {
        return address(_registry);
    }

    /// @inheritdoc IObservationLog
    function custodyLedger() external view override returns (address ledger) {
        return address(_custody);
    }

    /// @inheritdoc IObservationLog
    function observationCount() external view override returns (uint256 count) {
        return _nextObservationId - 1;
    }

    /// @inheritdoc IObservationLog
    function seriousReactionCount(bytes32 batchId) external view override returns (uint256 count) {
        return _seriousReactions[batchId] - _seriousVoided[batchId];
    }

    /// @inheritdoc IObservationLog
    function releaseStatus(bytes32 productId, bytes32 batchId)
        external
        view
        override
        returns (
            uint256 approvedDefinitionId,
            uint256 pendingDefinitionId,
            uint16 stepCount,
            uint256 stepBits,
            bool releaseTestPassed,
            uint256 blockingObservationId
        )
    {
        Process storage p = _processes[productId];
        Release storage rel = _releases[batchId];
        approvedDefinitionId = p.approvedId;
        pendingDefinitionId = p.pendingId;
        stepCount = p.stepCount;
        if (approvedDefinitionId != 0 && rel.definitionId == approvedDefinitionId) stepBits = _stepBits[batchId];
        uint256 lastTestId = rel.lastTestId;
        releaseTestPassed =
            lastTestId != 0 && rel.failCount == 0 && _observations[lastTestId].result == ObservationResult.OK;
        blockingObservationId = rel.blockedBy;
    }

    /// @inheritdoc IObservationLog
    function seriousReactionsWithin(bytes32 batchId, uint64 windowMs) external view override returns (uint256 count) {
        uint256 total = _seriousReactions[batchId];
        if (windowMs == 0) return total - _seriousVoided[batchId]; // as seriousReactionCount: voids left it
        uint64[ADR_MAX_THRESHOLD] storage times = _seriousTimes[batchId];
        uint256 kept = total < ADR_MAX_THRESHOLD ? total : ADR_MAX_THRESHOLD;
        // Bounded by ADR_MAX_THRESHOLD; newest first, stop at the first report outside the window;
        // a voided report's time is 0 and is skipped.
        for (uint256 k = 1; k <= kept; ++k) {
            uint64 at = times[(total - k) % ADR_MAX_THRESHOLD];
            if (at == 0) continue;
            if (!_within(at, windowMs)) break;
            ++count;
        }
    }

    // ================================================================== internals

    /// @dev Subject existence, ownership (manufacturers), region (provincial regulators), shipment.
    function _checkSubject(Report memory r, uint32 region) private view {
        bytes32 mahOrgId;
        if (r.point == ObservationPoint.PROCESS_DEFINITION) {
            (mahOrgId,,,,) = _registry.getProduct(r.subjectId);
            r.productId = r.subjectId;
        } else {
            (r.productId, mahOrgId) = _registry.batchOwner(r.subjectId);
        }
        if (mahOrgId == bytes32(0)) revert ObservationLogUnknownSubject(r.point, r.subjectId);
        if (r.reporterKind == OrgKind.MANUFACTURER && mahOrgId != r.reporterOrgId) {
            revert ObservationLogUnauthorizedReporter(r.point, r.reporterOrgId);
        }
        if (r.reporterKind == OrgKind.REGULATOR_PROVINCIAL) {
            (,, uint32 mahRegion,,,) = orgRegistry().getOrg(mahOrgId);
            if (mahRegion != region) revert ObservationLogUnauthorizedReporter(r.point, r.reporterOrgId);
        }
        if (r.shipmentId > type(uint64).max) {
            revert ObservationLogInvalidShipment(r.shipmentId, r.subjectId, r.reporterOrgId);
        }
        if (r.point == ObservationPoint.TRANSPORT || r.point == ObservationPoint.STORAGE) {
            if (r.minValue > r.maxValue) revert ObservationLogInvalidRange(r.minValue, r.maxValue);
        }
        if (r.point == ObservationPoint.TRANSPORT) {
            (bytes32 shipBatch,,, bytes32 carrier,,,,,,) = _custody.getShipment(r.shipmentId);
            if (shipBatch != r.subjectId || carrier != r.reporterOrgId) {
                revert ObservationLogInvalidShipment(r.shipmentId, r.subjectId, r.reporterOrgId);
            }
        }
        if (r.point == ObservationPoint.ORDER) {
            // usable = batch and product LISTED and the batch not past its expiry
            (LifecycleState batchState, LifecycleState productState, uint64 expiryDate) = _registry.usability(r.subjectId);
            if (batchState != LifecycleState.LISTED || productState != LifecycleState.LISTED) {
                revert ObservationLogSubjectNotListed(r.subjectId);
            }
            if (block.timestamp > expiryDate) revert ObservationLogSubjectExpired(r.subjectId, expiryDate);
        }
    }

    /**
     * @dev Process points: a MAH's definition carries its step count in maxValue (1..256); a
     * progress report names a step of the product's approved definition in minValue.
     */
    function _checkProcess(Report memory r) private view {
        if (r.point == ObservationPoint.PROCESS_DEFINITION && r.reporterKind == OrgKind.MANUFACTURER) {
            if (r.maxValue < 1 || r.maxValue > int64(uint64(_MAX_STEPS))) {
                revert ObservationLogInvalidStepCount(r.productId, r.maxValue);
            }
        } else if (r.point == ObservationPoint.PROCESS_PROGRESS) {
            Process storage p = _processes[r.productId];
            if (p.approvedId == 0) revert ObservationLogNoApprovedProcess(r.productId);
            if (r.minValue < 0 || r.minValue >= int64(uint64(p.stepCount))) {
                revert ObservationLogInvalidStep(r.subjectId, r.minValue, p.stepCount);
            }
        }
    }

    /// @dev The automatic collaborative actions of docs/domain.md 6.4.
    function _act(Report memory r) private {
        if (r.point == ObservationPoint.INSPECTION) {
            bool failed = r.result == ObservationResult.FAIL || r.result == ObservationResult.SERIOUS;
            if (r.reporterKind == OrgKind.MANUFACTURER) {
                _recordReleaseTest(r);
                if (failed) _stopIfListed(r);
            } else {
                _regulatorInspection(r, failed);
            }
        } else if (r.point == ObservationPoint.PROCESS_DEFINITION) {
            _defineProcess(r);
        } else if (r.point == ObservationPoint.PROCESS_PROGRESS) {
            if (r.result == ObservationResult.OK) _recordStep(r);
        } else if (r.point == ObservationPoint.TRANSPORT || r.point == ObservationPoint.STORAGE) {
            _checkTemperature(r);
        } else if (r.point == ObservationPoint.ADVERSE_REACTION && r.result == ObservationResult.SERIOUS) {
            _countSeriousReaction(r);
        }
    }

    /**
     * @dev Point 1: a MAH's definition becomes the product's pending one (blocking releases until
     * approved); a regulator's definition with the pending one's hash approves it (OK) or rejects
     * it (FAIL: no pending one any more, the approved one stays). Other regulator reports only
     * record the observation.
     */
    function _defineProcess(Report memory r) private {
        Process storage p = _processes[r.subjectId];
        if (r.reporterKind == OrgKind.MANUFACTURER) {
            p.pendingId = uint64(r.id);
            emit ProcessDefinitionProposed(r.id, r.subjectId, r.evidenceHash, uint16(uint64(r.maxValue)));
            return;
        }
        uint64 pendingId = p.pendingId;
        bool approve = r.result == ObservationResult.OK;
        if (pendingId == 0 || !(approve || r.result == ObservationResult.FAIL)) return;
        Observation storage proposed = _observations[pendingId];
        if (proposed.evidenceHash != r.evidenceHash) return;
        // the approval binds the step count as well as the document (issue 12, defect 9)
        if (approve && proposed.maxValue != r.maxValue) return;
        if (!approve) {
            p.pendingId = 0;
            emit ProcessDefinitionRejected(r.id, r.subjectId, pendingId, r.reporterOrgId);
            return;
        }
        uint16 steps = uint16(uint64(proposed.maxValue));
        p.approvedId = pendingId;
        p.pendingId = 0;
        p.stepCount = steps;
        p.approvalId = uint64(r.id);
        emit ProcessDefinitionApproved(r.id, r.subjectId, pendingId, steps, r.reporterOrgId);
    }

    /// @dev Point 2 (OK): sets the step's bit for the approved definition (bits of an older one are dropped).
    function _recordStep(Report memory r) private {
        uint64 definitionId = _processes[r.productId].approvedId;
        Release storage rel = _releases[r.subjectId];
        uint256 bits;
        if (rel.definitionId == definitionId) {
            bits = _stepBits[r.subjectId];
        } else {
            rel.definitionId = uint48(definitionId);
        }
        uint16 step = uint16(uint64(r.minValue));
        _stepBits[r.subjectId] = bits | (uint256(1) << step);
        emit ProcessStepRecorded(r.id, r.subjectId, definitionId, step);
    }

    /// @dev Point 6 by the MAH: its latest release inspection of the batch decides the release test.
    function _recordReleaseTest(Report memory r) private {
        Release storage rel = _releases[r.subjectId];
        bool failed = r.result == ObservationResult.FAIL || r.result == ObservationResult.SERIOUS;
        uint32 failCount = rel.failCount;
        if (failed) rel.failCount = ++failCount;
        // a FAIL stays on the gate: the MAH's later OK does not overwrite it (a regulator re-tests)
        bool passed = r.result == ObservationResult.OK && failCount == 0;
        rel.lastTestId = uint48(r.id);
        emit ReleaseTestRecorded(r.id, r.subjectId, passed);
    }

    /**
     * @dev Point 6 by a regulator: FAIL/SERIOUS blocks the release of an unreleased batch (the
     * latest such report is named) and stops a LISTED one (T1); a later OK lifts the block.
     */
    function _regulatorInspection(Report memory r, bool failed) private {
        Release storage rel = _releases[r.subjectId];
        uint64 blockedBy = rel.blockedBy;
        // A block is lifted, or replaced by a later failed inspection, only by the same or a
        // higher authority than the one that imposed it (a provincial OK is then only recorded).
        bool outranks = blockedBy == 0 || _outranks(r, blockedBy);
        if (!failed) {
            if (r.result == ObservationResult.OK && rel.failCount != 0) {
                // the regulator's re-test clears the MAH's failed release test and passes it
                rel.clearedCount = rel.failCount;
                rel.failCount = 0;
                rel.retestId = uint48(r.id);
                rel.lastTestId = uint48(r.id);
                emit ReleaseTestRecorded(r.id, r.subjectId, true);
            }
            if (r.result != ObservationResult.OK || blockedBy == 0 || !outranks) return;
            rel.blockedBy = 0;
            _liftedBlock[r.id] = blockedBy;
            emit ReleaseUnblocked(r.id, r.subjectId, blockedBy, r.reporterOrgId);
            return;
        }
        LifecycleState state = _batchState(r.subjectId);
        if (state == LifecycleState.NONE) {
            if (!outranks) return;
            if (blockedBy != 0) _replacedBlock[r.id] = blockedBy;
            rel.blockedBy = uint48(r.id);
            emit ReleaseBlocked(r.id, r.subjectId, r.reporterOrgId);
        } else if (state == LifecycleState.LISTED) {
            _stop(r);
        }
    }

    /// @dev Whether the reporter ranks at least as high as the author of observation `blockingId`.
    function _outranks(Report memory r, uint256 blockingId) private view returns (bool) {
        bytes32 imposer = _observations[blockingId].reporterOrgId;
        if (imposer == r.reporterOrgId) return true;
        (OrgKind imposerKind,, uint32 imposerRegion,,,) = orgRegistry().getOrg(imposer);
        return Authority.canLift(r.reporterKind, r.reporterRegion, imposerKind, imposerRegion);
    }

    /// @dev TRANSPORT/STORAGE: values outside the product's range flag the shipment or quarantine the holding.
    function _checkTemperature(Report memory r) private {
        (bytes32 productId,) = _registry.batchOwner(r.subjectId);
        (,,, int16 allowedMin, int16 allowedMax) = _registry.getProduct(productId);
        if (r.minValue >= allowedMin && r.maxValue <= allowedMax) return;
        emit TemperatureExcursion(
            r.id, r.subjectId, r.shipmentId, r.reporterOrgId, r.minValue, r.maxValue, allowedMin, allowedMax
        );
        if (r.point == ObservationPoint.TRANSPORT) {
            _custody.systemFlagShipmentExcursion(r.shipmentId, r.id);
        } else {
            _custody.systemQuarantine(r.subjectId, r.reporterOrgId, type(uint64).max, r.id);
        }
    }

    /**
     * @dev Counts a SERIOUS adverse reaction and keeps its time in the batch's ring. The threshold
     * is reached when there are at least `threshold` reports and the oldest of the latest
     * `threshold` (this one included) is within the policy's window (no window: always); then
     * alerts and (autoStop) stops. The policy caps `threshold` at the ring's size.
     */
    function _countSeriousReaction(Report memory r) private {
        (uint16 threshold, uint64 windowMs, bool autoStop) = _registry.adrPolicy(r.productId);
        // Only a regulator, or an organisation that has held units of the batch, counts; and each
        // organisation once within the window (no window: once) - issue 12, defect 3.
        bool regulator = r.reporterKind == OrgKind.REGULATOR_NATIONAL || r.reporterKind == OrgKind.REGULATOR_PROVINCIAL;
        if (!regulator && !_custody.hasHeld(r.subjectId, r.reporterOrgId)) {
            emit AdverseReactionNotCounted(r.id, r.subjectId, r.reporterOrgId, false);
            return;
        }
        uint64 last = _lastCountedSerious[r.subjectId][r.reporterOrgId];
        if (last != 0 && (windowMs == 0 || _within(last, windowMs))) {
            emit AdverseReactionNotCounted(r.id, r.subjectId, r.reporterOrgId, true);
            return;
        }
        _lastCountedSerious[r.subjectId][r.reporterOrgId] = uint64(block.timestamp);
        uint256 total = ++_seriousReactions[r.subjectId];
        _seriousNo[r.id] = total;
        uint64[ADR_MAX_THRESHOLD] storage times = _seriousTimes[r.subjectId];
        times[(total - 1) % ADR_MAX_THRESHOLD] = uint64(block.timestamp);
        uint256 voided = _seriousVoided[r.subjectId];
        uint256 count = total - voided;
        bytes32 productId = r.productId;
        emit SeriousAdverseReactionReported(r.id, r.subjectId, productId, count);
        if (threshold == 0 || count < threshold) return;
        if (windowMs != 0) {
            if (voided == 0) {
                if (!_within(times[(total - threshold) % ADR_MAX_THRESHOLD], windowMs)) return;
            } else if (_countedWithin(r.subjectId, total, total, block.timestamp, windowMs) < threshold) {
                // voided reports leave holes (time 0) in the ring: count what is left (bounded by 32)
                return;
            }
        }
        bool stopped = autoStop && _stopIfListed(r);
        emit AdverseReactionThresholdReached(r.id, r.subjectId, productId, count, threshold, stopped);
    }

    /// @dev Whether a report made at `at` (ms) is within `windowMs` of now: at >= now - windowMs.
    function _within(uint64 at, uint64 windowMs) private view returns (bool) {
        return uint256(at) + windowMs >= block.timestamp;
    }

    /// @dev T1 on behalf of the reporter, reasonId = observation id; no-op unless the batch is LISTED.
    function _stopIfListed(Report memory r) private returns (bool stopped) {
        if (_batchState(r.subjectId) != LifecycleState.LISTED) return false;
        _stop(r);
        return true;
    }

    /// @dev T1 (LISTED -> STOPPED) of the report's batch on behalf of the reporter.
    function _stop(Report memory r) private {
        _registry.systemTransitionBatch(r.subjectId, LifecycleState.STOPPED, r.id, r.evidenceHash, r.reporterOrgId);
    }

    /// @dev The batch's own lifecycle state (NONE until released).
    function _batchState(bytes32 batchId) private view returns (LifecycleState state) {
        (,,,,, state,,,) = _registry.getBatch(batchId);
    }

    // ================================================================== corrections (issue 12)

    /// @dev A regulator voids in its remit (national; provincial: the subject's MAH in its region)
    /// and only a record of an author it ranks at least as high as.
    function _checkVoidRemit(
        uint256 observationId,
        Observation storage o,
        bytes32 callerOrg,
        OrgKind kind,
        uint32 region
    ) private view {
        bytes32 author = o.reporterOrgId;
        if (author == callerOrg) return;
        if (kind == OrgKind.REGULATOR_PROVINCIAL) {
            bytes32 mahOrgId;
            if (o.point == ObservationPoint.PROCESS_DEFINITION) {
                (mahOrgId,,,,) = _registry.getProduct(o.subjectId);
            } else {
                (, mahOrgId) = _registry.batchOwner(o.subjectId);
            }
            (,, uint32 mahRegion,,,) = orgRegistry().getOrg(mahOrgId);
            if (mahRegion != region) revert ObservationLogVoidUnauthorized(observationId, callerOrg);
        }
        (OrgKind authorKind,, uint32 authorRegion,,,) = orgRegistry().getOrg(author);
        if (!Authority.canLift(kind, region, authorKind, authorRegion)) {
            revert ObservationLogVoidUnauthorized(observationId, callerOrg);
        }
    }

    /// @dev Every figure derived from the observation follows its void; returns whether a stop it
    /// caused was lifted (only a regulator's void lifts a stop: T2 stays a regulator's act).
    function _unwind(uint256 id, Observation storage o, bool regulator, bytes32 reasonHash, bytes32 byOrg)
        private
        returns (bool stopLifted)
    {
        ObservationPoint point = o.point;
        bytes32 subjectId = o.subjectId;
        if (point == ObservationPoint.PROCESS_DEFINITION) {
            Process storage p = _processes[subjectId];
            if (p.pendingId == id) p.pendingId = 0;
            if (p.approvedId == id || p.approvalId == id) {
                // no approved process any more: releases wait for a new approval
                p.approvedId = 0;
                p.approvalId = 0;
                p.stepCount = 0;
            }
        } else if (point == ObservationPoint.PROCESS_PROGRESS) {
            if (o.result != ObservationResult.OK) return false;
            (bytes32 productId,) = _registry.batchOwner(subjectId);
            Process storage p = _processes[productId];
            Release storage rel = _releases[subjectId];
            if (p.approvedId != 0 && rel.definitionId == p.approvedId && id > p.approvalId) {
                _stepBits[subjectId] &= ~(uint256(1) << uint16(uint64(o.minValue)));
            }
        } else if (point == ObservationPoint.INSPECTION) {
            _unwindInspection(id, o, subjectId);
            bool failed = o.result == ObservationResult.FAIL || o.result == ObservationResult.SERIOUS;
            if (failed && regulator) stopLifted = _registry.systemLiftStop(subjectId, id, reasonHash, byOrg);
        } else if (point == ObservationPoint.ADVERSE_REACTION) {
            uint256 n = _seriousNo[id];
            if (n == 0) return false; // not counted: no figure depends on it
            stopLifted = _unwindSerious(id, o, n, regulator, reasonHash, byOrg);
        }
    }

    /// @dev Point 6: the release test, the re-test and the release block follow the void.
    function _unwindInspection(uint256 id, Observation storage o, bytes32 batchId) private {
        Release storage rel = _releases[batchId];
        if (rel.lastTestId == id) rel.lastTestId = 0; // the release test is missing again
        (, bytes32 mahOrgId) = _registry.batchOwner(batchId);
        bool failed = o.result == ObservationResult.FAIL || o.result == ObservationResult.SERIOUS;
        if (o.reporterOrgId == mahOrgId) {
            if (!failed) return;
            // a failed release test: off the gate if still pending, else no longer restored by a void of the re-test
            if (id > rel.retestId) {
                if (rel.failCount != 0) rel.failCount -= 1;
            } else if (rel.clearedCount != 0) {
                rel.clearedCount -= 1;
            }
            return;
        }
        if (rel.retestId == id) {
            // a voided re-test: the failures it cleared are back on the gate
            rel.failCount += rel.clearedCount;
            rel.clearedCount = 0;
            rel.retestId = 0;
        }
        if (rel.blockedBy == id) {
            // a voided block: the block it replaced (if still in force) is back
            uint256 replaced = _replacedBlock[id];
            rel.blockedBy = _voidedBy[replaced] == bytes32(0) ? uint48(replaced) : 0;
        } else if (rel.blockedBy == 0 && _liftedBlock[id] != 0) {
            // a voided lift: the block it lifted is back (if not voided itself)
            uint256 lifted = _liftedBlock[id];
            if (_voidedBy[lifted] == bytes32(0) && _batchState(batchId) == LifecycleState.NONE) {
                rel.blockedBy = uint48(lifted);
            }
        }
    }

    /**
     * @dev Point 8: a counted SERIOUS report leaves the count (its ring time becomes 0) and its
     * reporter may count again; an automatic ADR stop still in force is lifted (by a regulator's
     * void) if this report caused it or, without it, the threshold was no longer reached at the
     * report that caused it (bounded by the 32 reports kept).
     */
    function _unwindSerious(
        uint256 id,
        Observation storage o,
        uint256 n,
        bool regulator,
        bytes32 reasonHash,
        bytes32 byOrg
    ) private returns (bool stopLifted) {
        bytes32 batchId = o.subjectId;
        uint256 total = _seriousReactions[batchId];
        _seriousVoided[batchId] += 1;
        if (n + ADR_MAX_THRESHOLD > total) _seriousTimes[batchId][(n - 1) % ADR_MAX_THRESHOLD] = 0;
        if (_lastCountedSerious[batchId][o.reporterOrgId] == o.recordedAt) {
            _lastCountedSerious[batchId][o.reporterOrgId] = 0;
        }
        if (!regulator) return false;
        uint256 stopId = _registry.autoStopReason(batchId);
        if (stopId == 0) return false;
        if (stopId != id) {
            uint256 stopNo = _seriousNo[stopId];
            if (stopNo == 0 || n > stopNo) return false; // not an ADR stop, or this report came after it
            (bytes32 productId,) = _registry.batchOwner(batchId);
            (uint16 threshold, uint64 windowMs,) = _registry.adrPolicy(productId);
            uint256 left = _countedWithin(batchId, total, stopNo, _observations[stopId].recordedAt, windowMs);
            if (threshold != 0 && left >= threshold) return false;
        }
        return _registry.systemLiftStop(batchId, stopId, reasonHash, byOrg);
    }

    /**
     * @dev Counted, non-voided SERIOUS reports numbered at most `upTo` and made within `windowMs`
     * before `at` (0 = no window), among the ring's 32; reports older than the ring count as in
     * force when no window applies. Bounded by ADR_MAX_THRESHOLD.
     */
    function _countedWithin(bytes32 batchId, uint256 total, uint256 upTo, uint256 at, uint64 windowMs)
        private
        view
        returns (uint256 count)
    {
        uint64[ADR_MAX_THRESHOLD] storage times = _seriousTimes[batchId];
        uint256 kept = total < ADR_MAX_THRESHOLD ? total : ADR_MAX_THRESHOLD;
        for (uint256 k = 0; k < kept; ++k) {
            uint256 no = total - k;
            if (no > upTo) continue;
            uint64 t = times[(no - 1) % ADR_MAX_THRESHOLD];
            if (t == 0) continue;
            if (windowMs != 0 && uint256(t) + windowMs < at) break;
            ++count;
        }
        if (windowMs == 0 && total > kept) {
            uint256 older = total - kept;
            count += upTo < older ? upTo : older;
        }
    }
}
