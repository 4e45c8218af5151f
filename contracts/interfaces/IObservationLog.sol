// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {ObservationPoint, ObservationResult} from "../common/DrugTraceTypes.sol";

/**
 * @title IObservationLog - the eight observation points and their automatic actions
 * @notice Each point may be written only by the organisation kinds of {reporterKinds}. Automatic
 * actions: a FAIL/SERIOUS inspection stops a LISTED batch (T1, reasonId = observation id); a
 * transport temperature outside the product's range flags the shipment (its units are quarantined
 * at the receiver on receipt, or at once if already received); a storage excursion quarantines the
 * reporter's available holding; SERIOUS adverse reactions are counted per batch and, when the
 * product's threshold of them falls within its policy window (DrugRegistry.setAdrPolicy), raise
 * {AdverseReactionThresholdReached} and stop the batch when the policy's autoStop flag is set.
 * Points 1, 2 and 6 also keep the release gate of T0b ({releaseStatus}): a MAH's
 * PROCESS_DEFINITION (maxValue = step count, evidenceHash = process hash) is pending until a
 * regulator records an OK PROCESS_DEFINITION with the same hash (approval); a MAH's
 * PROCESS_PROGRESS with result OK sets step minValue of the approved definition for the batch;
 * the MAH's latest INSPECTION of the batch is its release test (OK = passed). A regulator's
 * PROCESS_DEFINITION with result FAIL and the pending definition's hash rejects it (the MAH must
 * propose again; an approved definition stays). A regulator's FAIL/SERIOUS INSPECTION of a batch
 * not yet released blocks its release until a regulator records an OK INSPECTION of it.
 * @dev Observation ids are counters starting at 1. Temperatures are in 0.1 degC.
 */
interface IObservationLog {
    // ------------------------------------------------------------------ errors
    /// @notice The point is NONE or unknown.
    /// @param point the observation point
    error ObservationLogInvalidPoint(ObservationPoint point);
    /// @notice The reporter's organisation may not write this point for this subject.
    /// @param point the observation point
    /// @param orgId the organisation
    error ObservationLogUnauthorizedReporter(ObservationPoint point, bytes32 orgId);
    /// @notice The subject (product or batch) does not exist.
    /// @param point the observation point
    /// @param subjectId the product or batch observed
    error ObservationLogUnknownSubject(ObservationPoint point, bytes32 subjectId);
    /// @notice The shipment is unknown, not of this batch, the reporter is not its carrier (TRANSPORT),
    /// or the reference does not fit in 64 bits.
    /// @param shipmentId the shipment
    /// @param subjectId the product or batch observed
    /// @param orgId the organisation
    error ObservationLogInvalidShipment(uint256 shipmentId, bytes32 subjectId, bytes32 orgId);
    /// @notice minValue > maxValue.
    /// @param minValue lowest observed value
    /// @param maxValue highest observed value
    error ObservationLogInvalidRange(int64 minValue, int64 maxValue);
    /// @notice An order was placed for a batch that is not usable (not LISTED).
    /// @param subjectId the product or batch observed
    error ObservationLogSubjectNotListed(bytes32 subjectId);
    /// @notice An order on a batch past its expiry date (usable means unexpired).
    /// @param subjectId the batch
    /// @param expiryDate its expiry (ms)
    error ObservationLogSubjectExpired(bytes32 subjectId, uint64 expiryDate);
    /// @notice A MAH's process definition must give its step count (maxValue) as 1..256.
    /// @param productId the product
    /// @param stepCount the step count given
    error ObservationLogInvalidStepCount(bytes32 productId, int64 stepCount);
    /// @notice Process progress needs a regulator-approved process definition of the product.
    /// @param productId the product
    error ObservationLogNoApprovedProcess(bytes32 productId);
    /// @notice A progress report's step (minValue) is not a step of the approved definition.
    /// @param batchId the batch
    /// @param step the step given
    /// @param stepCount the approved definition's step count
    error ObservationLogInvalidStep(bytes32 batchId, int64 step, uint16 stepCount);

    // ------------------------------------------------------------------ events
    /// @notice An observation was recorded.
    /// @param observationId the observation
    /// @param point the observation point
    /// @param subjectId the product or batch observed
    /// @param shipmentId the shipment
    /// @param reporterOrgId the reporting organisation
    /// @param result the result code
    /// @param minValue lowest observed value
    /// @param maxValue highest observed value
    /// @param evidenceHash hash of the evidence document
    event ObservationRecorded(uint256 indexed observationId, ObservationPoint indexed point, bytes32 indexed subjectId,
        uint256 shipmentId, bytes32 reporterOrgId, ObservationResult result, int64 minValue, int64 maxValue,
        bytes32 evidenceHash);
    /// @notice The MAH recorded a new process definition; until a regulator approves it, the product's
    /// batches cannot be released.
    /// @param observationId the observation (the definition's id)
    /// @param productId the product
    /// @param processHash hash of the process definition document
    /// @param stepCount the number of steps a batch must record
    event ProcessDefinitionProposed(uint256 indexed observationId, bytes32 indexed productId, bytes32 processHash,
        uint16 stepCount);
    /// @notice A regulator approved the product's pending process definition (same hash, result OK).
    /// @param observationId the approving observation
    /// @param productId the product
    /// @param definitionId the approved definition's observation id
    /// @param stepCount its number of steps
    /// @param byOrgId the approving regulator
    event ProcessDefinitionApproved(uint256 indexed observationId, bytes32 indexed productId,
        uint256 indexed definitionId, uint16 stepCount, bytes32 byOrgId);
    /// @notice A regulator rejected the product's pending process definition (same hash, result FAIL);
    /// there is no pending definition any more (the approved one, if any, stays in force).
    /// @param observationId the rejecting observation
    /// @param productId the product
    /// @param definitionId the rejected definition's observation id
    /// @param byOrgId the rejecting regulator
    event ProcessDefinitionRejected(uint256 indexed observationId, bytes32 indexed productId,
        uint256 indexed definitionId, bytes32 byOrgId);
    /// @notice A step of the approved process was recorded OK for a batch.
    /// @param observationId the observation
    /// @param batchId the batch
    /// @param definitionId the approved definition the step belongs to
    /// @param step the step (0-based)
    event ProcessStepRecorded(uint256 indexed observationId, bytes32 indexed batchId, uint256 indexed definitionId,
        uint16 step);
    /// @notice The MAH recorded a release inspection of a batch (the latest one counts for release).
    /// @param observationId the observation
    /// @param batchId the batch
    /// @param passed whether the result was OK
    event ReleaseTestRecorded(uint256 indexed observationId, bytes32 indexed batchId, bool passed);
    /// @notice A regulator's FAIL/SERIOUS inspection of a batch not yet released blocks its release
    /// (DrugRegistry.releaseBatch reverts with DrugRegistryReleaseBlocked naming this observation).
    /// @param observationId the blocking observation
    /// @param batchId the batch
    /// @param byOrgId the inspecting regulator
    event ReleaseBlocked(uint256 indexed observationId, bytes32 indexed batchId, bytes32 byOrgId);
    /// @notice A regulator's OK inspection lifted the block on a batch's release.
    /// @param observationId the clearing observation
    /// @param batchId the batch
    /// @param blockingObservationId the observation that had blocked it
    /// @param byOrgId the inspecting regulator
    event ReleaseUnblocked(uint256 indexed observationId, bytes32 indexed batchId, uint256 blockingObservationId,
        bytes32 byOrgId);
    /// @notice A transport or storage temperature was outside the product's range.
    /// @param observationId the observation
    /// @param batchId the batch
    /// @param shipmentId the shipment
    /// @param reporterOrgId the reporting organisation
    /// @param minValue lowest observed value
    /// @param maxValue highest observed value
    /// @param allowedMin the product's lowest temperature, 0.1 degC
    /// @param allowedMax the product's highest temperature, 0.1 degC
    event TemperatureExcursion(uint256 indexed observationId, bytes32 indexed batchId, uint256 indexed shipmentId,
        bytes32 reporterOrgId, int64 minValue, int64 maxValue, int16 allowedMin, int16 allowedMax);
    /// @notice A SERIOUS adverse-reaction report that does not count toward the batch's ADR
    /// threshold: its reporter has never held units of the batch and is not a regulator, or it has
    /// already counted within the policy's window (no window: ever). The report stays recorded.
    /// @param observationId the report
    /// @param batchId the batch
    /// @param reporterOrgId the reporting organisation
    /// @param duplicate true if the reporter already counted within the window, false if it never held units
    event AdverseReactionNotCounted(uint256 indexed observationId, bytes32 indexed batchId, bytes32 indexed reporterOrgId,
        bool duplicate);
    /// @notice A SERIOUS adverse reaction was reported for a batch and counts toward its ADR
    /// threshold (alert to MAH and regulators); reports that do not count emit
    /// {AdverseReactionNotCounted} instead.
    /// @param observationId the observation
    /// @param batchId the batch
    /// @param productId the product
    /// @param seriousCount SERIOUS reports so far for the batch
    event SeriousAdverseReactionReported(uint256 indexed observationId, bytes32 indexed batchId,
        bytes32 indexed productId, uint256 seriousCount);
    /// @notice The batch's SERIOUS adverse reactions reached the product's threshold within its window
    /// (raised by every SERIOUS report for which the rule holds).
    /// @param observationId the observation
    /// @param batchId the batch
    /// @param productId the product
    /// @param seriousCount SERIOUS reports so far for the batch
    /// @param threshold serious reports per batch that raise the alert (0 = off)
    /// @param batchStopped whether the batch was stopped now
    event AdverseReactionThresholdReached(uint256 indexed observationId, bytes32 indexed batchId,
        bytes32 indexed productId, uint256 seriousCount, uint16 threshold, bool batchStopped);

    // ------------------------------------------------------------------ writes
    /**
     * @notice Record an observation and run its automatic action.
     * @dev Requirements: not paused; the caller's kind is in {reporterKinds}(point); manufacturers
     * only for their own products/batches; the subject exists (productId for PROCESS_DEFINITION,
     * batchId otherwise); TRANSPORT names a shipment of the batch carried by the reporter; ORDER
     * needs the batch usable; TRANSPORT/STORAGE need minValue <= maxValue; a MAH's PROCESS_DEFINITION
     * needs 1 <= maxValue <= 256 (steps); PROCESS_PROGRESS needs an approved definition and
     * 0 <= minValue < its step count.
     * Emits {ObservationRecorded}, then the automatic action's events.
     * @param point the observation point.
     * @param subjectId productId (PROCESS_DEFINITION) or batchId (all others).
     * @param shipmentId the shipment for TRANSPORT, else 0 (or an optional reference).
     * @param result OK / DEVIATION / FAIL / SERIOUS.
     * @param minValue lowest value (temperature in 0.1 degC for TRANSPORT/STORAGE).
     * @param maxValue highest value.
     * @param evidenceHash hash of the full record (logger file, report).
     * @return observationId the new observation's id.
     */
    function recordObservation(
        ObservationPoint point,
        bytes32 subjectId,
        uint256 shipmentId,
        ObservationResult result,
        int64 minValue,
        int64 maxValue,
        bytes32 evidenceHash
    ) external returns (uint256 observationId);

    // ------------------------------------------------------------------ views
    /**
     * @notice The organisation kinds allowed to write a point (bit k = OrgKind(k)).
     * @param point the observation point.
     * @return mask kind mask (0 for NONE).
     */
    function reporterKinds(ObservationPoint point) external pure returns (uint256 mask);

    /**
     * @notice One observation.
     * @param observationId the observation.
     * @return point the point (NONE if unknown).
     * @return subjectId product or batch.
     * @return shipmentId shipment reference.
     * @return reporterOrgId reporter.
     * @return result result code.
     * @return minValue lowest value.
     * @return maxValue highest value.
     * @return recordedAt time, ms.
     * @return evidenceHash evidence hash.
     */
    function getObservation(uint256 observationId)
        external
        view
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
        );

    /// @notice The DrugRegistry this log acts on (checked by {IOrgRegistry-linkSuite}).
    /// @return registry its address.
    function drugRegistry() external view returns (address registry);

    /// @notice The CustodyLedger this log acts on (checked by {IOrgRegistry-linkSuite}).
    /// @return ledger its address.
    function custodyLedger() external view returns (address ledger);

    /// @notice Number of observations (ids run 1..observationCount).
    /// @return count the number.
    function observationCount() external view returns (uint256 count);

    /// @notice SERIOUS adverse reactions of a batch that counted (regulators and organisations
    /// that have held units of the batch, each once per policy window).
    /// @param batchId the batch.
    /// @return count the number.
    function seriousReactionCount(bytes32 batchId) external view returns (uint256 count);

    /**
     * @notice The release gate of a batch (T0b, DrugRegistry.releaseBatch).
     * @param productId the batch's product.
     * @param batchId the batch.
     * @return approvedDefinitionId the product's approved process definition (observation id, 0 = none).
     * @return pendingDefinitionId a newer definition awaiting approval (0 = none; blocks release).
     * @return stepCount the approved definition's number of steps.
     * @return stepBits steps recorded OK for the batch against the approved definition (bit i = step i).
     * @return releaseTestPassed whether the MAH's latest release inspection of the batch was OK.
     * @return blockingObservationId a regulator's FAIL/SERIOUS inspection blocking the release (0 = none).
     */
    function releaseStatus(bytes32 productId, bytes32 batchId)
        external
        view
        returns (
            uint256 approvedDefinitionId,
            uint256 pendingDefinitionId,
            uint16 stepCount,
            uint256 stepBits,
            bool releaseTestPassed,
            uint256 blockingObservationId
        );

    /**
     * @notice SERIOUS adverse reactions reported for a batch within the last `windowMs` (at or
     * after now - windowMs), counting among the latest ADR_MAX_THRESHOLD (32) only.
     * @param batchId the batch.
     * @param windowMs the window, ms (0 = all, as {seriousReactionCount}).
     * @return count the number.
     */
    function seriousReactionsWithin(bytes32 batchId, uint64 windowMs) external view returns (uint256 count);

    // ------------------------------------------------------------ corrections (issue 12)

    /// @notice No observation with this id.
    /// @param observationId the id
    error ObservationLogUnknownObservation(uint256 observationId);

    /// @notice The observation is already voided.
    /// @param observationId the id
    error ObservationLogAlreadyVoided(uint256 observationId);

    /// @notice The caller may not void this observation: neither its author (a failed inspection
    /// needs a regulator) nor a regulator in remit ranking at least as high as the author.
    /// @param observationId the id
    /// @param callerOrgId the caller's organisation
    error ObservationLogVoidUnauthorized(uint256 observationId, bytes32 callerOrgId);

    /// @notice An observation was voided (EPCIS errorDeclaration); the record stays on chain.
    /// @param observationId the voided observation
    /// @param point its point
    /// @param subjectId its subject
    /// @param byOrgId who voided it
    /// @param reasonHash hash of the reason document
    /// @param stopLifted whether the automatic stop it caused was lifted (T2 by the suite)
    event ObservationVoided(uint256 indexed observationId, ObservationPoint indexed point, bytes32 indexed subjectId,
        bytes32 byOrgId, bytes32 reasonHash, bool stopLifted);

    /**
     * @notice Void an observation (a correction, never an overwrite): the figures derived from it
     * follow — the release gate (process definition/approval, step bit, release test and re-test,
     * release block and its lift), the ADR count and window, and the automatic stop it caused.
     * @dev Requirements: its author (except a FAIL/SERIOUS inspection), or a regulator in remit
     * (provincial: the subject's MAH in its region) ranking at least as high as the author. Only a
     * regulator's void lifts a stop. Emits {ObservationVoided} (and {IDrugRegistry-BatchStateChanged}).
     * @param observationId the observation.
     * @param reasonHash hash of the reason document.
     */
    function voidObservation(uint256 observationId, bytes32 reasonHash) external;

    /// @notice Who voided an observation (0 = in force).
    /// @param observationId the observation.
    /// @return orgId the organisation.
    function voidedBy(uint256 observationId) external view returns (bytes32 orgId);
}
