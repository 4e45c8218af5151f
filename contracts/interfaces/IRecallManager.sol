// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {RecallKind, RecallLevel, RecallStatus, DestructionStatus} from "../common/DrugTraceTypes.sol";

/**
 * @title IRecallManager - recall cases, notices, progress, recovery and supervised destruction
 * @notice A recall case is opened voluntarily by the MAH or ordered by a regulator on a STOPPED
 * batch (or product), moving it to RECALLED (T3). The notice deadline is 1 / 3 / 7 days after the
 * decision for levels I / II / III; progress reports are due at the same interval. Holders record
 * recovered quantities; the MAH files the summary; a regulator evaluates it. Destruction is
 * recorded by the executor and counter-signed by a supervisor (regulator or auditor); the final
 * destruction moves the batch to DESTROYED (T4).
 * @dev Times are milliseconds (FISCO block timestamps): 1 day = 86_400_000. Late notices and
 * overdue progress reports are accepted but flagged in their events (compliance is audited, not blocked).
 */
interface IRecallManager {
    // ------------------------------------------------------------------ errors
    /// @notice No recall case with this id.
    /// @param recallId the recall case
    error RecallManagerUnknownRecall(uint256 recallId);
    /// @notice The level is NONE.
    /// @param level the recall level
    error RecallManagerInvalidLevel(RecallLevel level);
    /// @notice The product or batch is unknown, or the batch is not of the product.
    /// @param productId the product
    /// @param batchId the batch
    error RecallManagerInvalidScope(bytes32 productId, bytes32 batchId);
    /// @notice The caller's organisation may not act on this case (not its MAH, or outside its region).
    /// @param recallId the recall case
    /// @param callerOrgId the caller's organisation
    error RecallManagerUnauthorized(uint256 recallId, bytes32 callerOrgId);
    /// @notice The case is not in a status that allows the operation.
    /// @param recallId the recall case
    /// @param status the current status
    error RecallManagerInvalidStatus(uint256 recallId, RecallStatus status);
    /// @notice Destruction needs a batch-scope recall.
    /// @param recallId the recall case
    error RecallManagerNotBatchScope(uint256 recallId);
    /// @notice Quantity is zero.
    /// @param quantity number of units
    error RecallManagerInvalidQuantity(uint256 quantity);
    /// @notice No destruction record with this id.
    /// @param destructionId the destruction record
    error RecallManagerUnknownDestruction(uint256 destructionId);
    /// @notice The destruction record is not awaiting a counter-signature.
    /// @param destructionId the destruction record
    /// @param status the current status
    error RecallManagerDestructionNotPending(uint256 destructionId, DestructionStatus status);
    /// @notice A holder declared more recovered units than it holds (the MAH: beyond its own
    /// stock at the opening).
    /// @param recallId the case
    /// @param orgId the declaring organisation
    /// @param held the bound (units it holds)
    /// @param declared its declared total including this declaration
    error RecallManagerRecoveryExceedsHolding(uint256 recallId, bytes32 orgId, uint256 held, uint256 declared);
    /// @notice The case's declared recovery would exceed the units on the market when it opened.
    /// @param recallId the case
    /// @param inMarketAtOpen units held outside the MAH or in transit at the opening
    /// @param declared the case total including this declaration
    error RecallManagerRecoveryExceedsCirculation(uint256 recallId, uint256 inMarketAtOpen, uint256 declared);
    /// @notice A destruction of more units than the executor holds.
    /// @param recallId the case
    /// @param orgId the executor
    /// @param held units it holds
    /// @param quantity units to destroy
    error RecallManagerExceedsHolding(uint256 recallId, bytes32 orgId, uint256 held, uint256 quantity);
    /// @notice A regulator may record a destruction for a holder only while that holder cannot
    /// act itself (suspended, or its licence lapsed).
    /// @param recallId the case
    /// @param holderOrgId the holder
    error RecallManagerHolderCanAct(uint256 recallId, bytes32 holderOrgId);
    /// @notice The organisation that recorded a destruction may not counter-sign it.
    /// @param destructionId the record
    /// @param orgId the caller
    error RecallManagerSelfCountersign(uint256 destructionId, bytes32 orgId);

    // ------------------------------------------------------------------ events
    /// @notice A recall case was opened (the batch/product moved to RECALLED).
    /// @param recallId the recall case
    /// @param productId the product
    /// @param batchId the batch
    /// @param level the recall level
    /// @param kind the organisation kind
    /// @param initiatorOrgId who opened the case
    /// @param decidedAt decision time, ms
    /// @param noticeDeadline notice deadline, ms
    /// @param reasonHash hash of the reason document
    event RecallOpened(uint256 indexed recallId, bytes32 indexed productId, bytes32 indexed batchId,
        RecallLevel level, RecallKind kind, bytes32 initiatorOrgId, uint64 decidedAt, uint64 noticeDeadline,
        bytes32 reasonHash);
    /// @notice The MAH issued the recall notice; `late` if after the deadline.
    /// @param recallId the recall case
    /// @param issuedAt notice time, ms
    /// @param late true if after the deadline
    /// @param noticeHash hash of the notice
    event RecallNoticeIssued(uint256 indexed recallId, uint64 issuedAt, bool late, bytes32 noticeHash);
    /// @notice The MAH reported progress; `overdue` if the interval since the last report was exceeded.
    /// @param recallId the recall case
    /// @param reportNo 1-based report number
    /// @param reportedAt report time, ms
    /// @param overdue true if the reporting interval was exceeded
    /// @param reportHash hash of the report
    event RecallProgressReported(uint256 indexed recallId, uint32 reportNo, uint64 reportedAt, bool overdue,
        bytes32 reportHash);
    /// @notice A holder recorded recovered units for the case.
    /// @param recallId the recall case
    /// @param orgId the organisation
    /// @param quantity number of units
    /// @param orgTotal units recovered by this organisation so far
    /// @param caseTotal units recovered in the case so far
    /// @param evidenceHash hash of the evidence document
    event RecoveryRecorded(uint256 indexed recallId, bytes32 indexed orgId, uint64 quantity, uint256 orgTotal,
        uint256 caseTotal, bytes32 evidenceHash);
    /// @notice The MAH filed the summary report.
    /// @param recallId the recall case
    /// @param completedAt summary time, ms
    /// @param summaryHash hash of the summary
    event RecallCompleted(uint256 indexed recallId, uint64 completedAt, bytes32 summaryHash);
    /// @notice A regulator evaluated the summary (accepted closes the case; otherwise recovery resumes).
    /// @param recallId the recall case
    /// @param accepted whether the recall was judged effective
    /// @param byOrgId the acting organisation
    /// @param evaluationHash hash of the evaluation
    event RecallEvaluated(uint256 indexed recallId, bool accepted, bytes32 indexed byOrgId, bytes32 evaluationHash);
    /// @notice An executor recorded a destruction awaiting counter-signature.
    /// @param destructionId the destruction record
    /// @param recallId the recall case
    /// @param executorOrgId the organisation that destroyed the units
    /// @param quantity number of units
    /// @param finalDisposal whether this completes the batch's disposal
    /// @param evidenceHash hash of the evidence document
    event DestructionRecorded(uint256 indexed destructionId, uint256 indexed recallId, bytes32 indexed executorOrgId,
        uint64 quantity, bool finalDisposal, bytes32 evidenceHash);
    /// @notice A regulator recorded a destruction for a holder that cannot act itself.
    /// @param destructionId the record
    /// @param recallId the recall case
    /// @param executorOrgId the holder whose units are destroyed
    /// @param recordedByOrgId the regulator that recorded it
    event DestructionRecordedFor(uint256 indexed destructionId, uint256 indexed recallId, bytes32 indexed executorOrgId,
        bytes32 recordedByOrgId);
    /// @notice A supervisor counter-signed a destruction; the units left the executor's holding.
    /// @param destructionId the destruction record
    /// @param recallId the recall case
    /// @param supervisorOrgId the counter-signing organisation
    /// @param batchDestroyed whether the batch moved to DESTROYED (T4)
    event DestructionConfirmed(uint256 indexed destructionId, uint256 indexed recallId,
        bytes32 indexed supervisorOrgId, bool batchDestroyed);

    // ------------------------------------------------------------------ writes
    /**
     * @notice Open a recall case (T3: STOPPED -> RECALLED for the batch, or for the product when
     * `batchId` is zero).
     * @dev Requirements: not paused; caller is the product's MAH (VOLUNTARY) or a regulator
     * (ORDERED; provincial: MAH in its region); level I-III; the target is STOPPED.
     * Emits {RecallOpened} and the registry's state-change event.
     * @param productId the product.
     * @param batchId the batch, or zero for a product-wide case.
     * @param level recall level.
     * @param reasonHash hash of the investigation / assessment report.
     * @return recallId the new case's id.
     */
    function openRecall(bytes32 productId, bytes32 batchId, RecallLevel level, bytes32 reasonHash)
        external
        returns (uint256 recallId);

    /**
     * @notice Issue the recall notice.
     * @dev Requirements: caller is the case's MAH; status OPEN. Emits {RecallNoticeIssued}.
     * @param recallId the case.
     * @param noticeHash hash of the notice.
     */
    function issueNotice(uint256 recallId, bytes32 noticeHash) external;

    /**
     * @notice Report progress.
     * @dev Requirements: caller is the case's MAH; status NOTIFIED. Emits {RecallProgressReported}.
     * @param recallId the case.
     * @param reportHash hash of the report.
     */
    function reportProgress(uint256 recallId, bytes32 reportHash) external;

    /**
     * @notice Record units recovered by the caller's organisation (return receipts, local collection).
     * @dev Requirements: caller is a manufacturer, distributor, pharmacy or hospital; status OPEN or
     * NOTIFIED; batch-scope case ({RecallManagerNotBatchScope}); quantity > 0; the caller's declared
     * total at most what it holds now (the MAH: beyond its holding at the opening,
     * {RecallManagerRecoveryExceedsHolding}); the case total at most the units on the market at the
     * opening ({RecallManagerRecoveryExceedsCirculation}). The authoritative, derived figures are
     * {recallFigures}. Emits {RecoveryRecorded}.
     * @param recallId the case.
     * @param quantity units recovered.
     * @param evidenceHash hash of the receipt.
     */
    function recordRecovery(uint256 recallId, uint64 quantity, bytes32 evidenceHash) external;

    /**
     * @notice File the summary report.
     * @dev Requirements: caller is the case's MAH; status NOTIFIED. Emits {RecallCompleted}.
     * @param recallId the case.
     * @param summaryHash hash of the summary.
     */
    function completeRecall(uint256 recallId, bytes32 summaryHash) external;

    /**
     * @notice Evaluate the summary: accept (CLOSED) or send back to recovery (NOTIFIED).
     * @dev Requirements: regulator (provincial: MAH in its region); status COMPLETED. Emits
     * {RecallEvaluated}; if accepted, batch scope, batch RECALLED and no unit of it left in custody
     * (every unit dispensed before the case or destroyed), also T4 ({BatchStateChanged} to DESTROYED).
     * @param recallId the case.
     * @param accepted whether the recall was effective.
     * @param evaluationHash hash of the evaluation.
     */
    function evaluateRecall(uint256 recallId, bool accepted, bytes32 evaluationHash) external;

    /**
     * @notice Record a destruction of recalled units held by the caller's organisation.
     * @dev Requirements: not paused; caller is a manufacturer, distributor, pharmacy or hospital;
     * batch-scope case (any status: after CLOSED it is the close-out of the remaining stock);
     * 0 < quantity <= the caller's holding ({RecallManagerExceedsHolding}). Allowed after the batch
     * is DESTROYED (quarantined units left are written off the same way). Emits {DestructionRecorded}.
     * @param recallId the case.
     * @param quantity units destroyed.
     * @param finalDisposal true if this destruction completes the batch's disposal (T4 on counter-sign
     * if the guard of {countersignDestruction} holds).
     * @param evidenceHash hash of the destruction record.
     * @return destructionId the new record's id.
     */
    function recordDestruction(uint256 recallId, uint64 quantity, bool finalDisposal, bytes32 evidenceHash)
        external
        returns (uint256 destructionId);

    /**
     * @notice Record, as a regulator, the destruction of units held by a holder that cannot act
     * itself (suspended, or its licence lapsed) - a close-out path for stock stranded at it.
     * @dev Requirements: regulator (provincial: holder in its region, {RecallManagerUnauthorized});
     * the holder a manufacturer, distributor, pharmacy or hospital, SUSPENDED or with a lapsed
     * licence ({RecallManagerHolderCanAct}); as {recordDestruction} otherwise. Another supervisor
     * counter-signs it. Emits {DestructionRecorded} and {DestructionRecordedFor}.
     * @param recallId the case.
     * @param holderOrgId the holder whose units are destroyed (the executor).
     * @param quantity units destroyed.
     * @param finalDisposal as {recordDestruction}.
     * @param evidenceHash hash of the destruction record.
     * @return destructionId the new record's id.
     */
    function recordDestructionFor(
        uint256 recallId,
        bytes32 holderOrgId,
        uint64 quantity,
        bool finalDisposal,
        bytes32 evidenceHash
    ) external returns (uint256 destructionId);

    /**
     * @notice Counter-sign a destruction as supervisor.
     * @dev Requirements: regulator (provincial: executor in its region) or auditor (never the
     * executor: executors are holder kinds; an auditor of region r != 0 only for executors of r,
     * of region 0 everywhere); record RECORDED; the executor still holds the units.
     * The caller did not record it ({RecallManagerSelfCountersign}). Removes the units from the
     * executor's holding (the ledger's {HoldingDestroyed}); then T4 (domain 6.3) moves the batch
     * RECALLED -> DESTROYED iff the case is CLOSED (summary accepted), nothing of the batch is in
     * transit, every unit still held anywhere is quarantined, and the record is final or no unit is
     * left at all. Otherwise the destruction is confirmed without T4 (`batchDestroyed` false).
     * Emits {DestructionConfirmed} and, on T4, {BatchStateChanged}.
     * @param destructionId the record.
     */
    function countersignDestruction(uint256 destructionId) external;

    // ------------------------------------------------------------------ views
    /**
     * @notice A recall case.
     * @param recallId the case.
     * @return productId product.
     * @return batchId batch (zero for product-wide).
     * @return mahOrgId the MAH.
     * @return initiatorOrgId who opened it.
     * @return level level.
     * @return kind voluntary or ordered.
     * @return status status.
     */
    function getRecall(uint256 recallId)
        external
        view
        returns (
            bytes32 productId,
            bytes32 batchId,
            bytes32 mahOrgId,
            bytes32 initiatorOrgId,
            RecallLevel level,
            RecallKind kind,
            RecallStatus status
        );

    /**
     * @notice The time line of a recall case (ms; 0 = not yet).
     * @param recallId the case.
     * @return decidedAt decision time.
     * @return noticeDeadline notice deadline.
     * @return noticeAt notice time.
     * @return lastProgressAt last progress report.
     * @return progressCount number of progress reports.
     * @return completedAt summary time.
     */
    function recallTimes(uint256 recallId)
        external
        view
        returns (
            uint64 decidedAt,
            uint64 noticeDeadline,
            uint64 noticeAt,
            uint64 lastProgressAt,
            uint32 progressCount,
            uint64 completedAt
        );

    /**
     * @notice A batch-scope case's figures, computed on chain from custody (product-scope cases:
     * only `destroyed` and `declared`).
     * @param recallId the case.
     * @return inMarketAtOpen units held outside the MAH or in transit when the case opened.
     * @return inMarketNow units held outside the MAH or in transit now.
     * @return recoveredUnits units that left the market since the opening back to the MAH or by a
     * supervised destruction: what left it less `writtenOff`, at most `inMarketAtOpen`.
     * @return destroyed units destroyed under supervision in the case.
     * @return declared units declared recovered by holders ({recordRecovery}, bounded).
     * @return writtenOff units that left the market since the opening without being recovered:
     * missing from a partial receipt, or decommissioned (stolen, lost, sampled, destroyed) at a
     * holder other than the MAH ({ICustodyLedger-writtenOff} since the opening).
     */
    function recallFigures(uint256 recallId)
        external
        view
        returns (
            uint64 inMarketAtOpen,
            uint64 inMarketNow,
            uint64 recoveredUnits,
            uint64 destroyed,
            uint64 declared,
            uint64 writtenOff
        );

    /**
     * @notice Units recovered in a case.
     * @param recallId the case.
     * @param orgId a holder (zero for the case total).
     * @return quantity units.
     */
    function recovered(uint256 recallId, bytes32 orgId) external view returns (uint256 quantity);

    /**
     * @notice A destruction record.
     * @param destructionId the record.
     * @return recallId its case.
     * @return executorOrgId executor.
     * @return supervisorOrgId supervisor (zero until counter-signed).
     * @return quantity units.
     * @return finalDisposal whether it completes the disposal.
     * @return status status.
     */
    function getDestruction(uint256 destructionId)
        external
        view
        returns (
            uint256 recallId,
            bytes32 executorOrgId,
            bytes32 supervisorOrgId,
            uint64 quantity,
            bool finalDisposal,
            DestructionStatus status
        );

    /// @notice The DrugRegistry this manager acts on (checked by {IOrgRegistry-linkSuite}).
    /// @return registry its address.
    function drugRegistry() external view returns (address registry);

    /// @notice The CustodyLedger this manager acts on (checked by {IOrgRegistry-linkSuite}).
    /// @return ledger its address.
    function custodyLedger() external view returns (address ledger);

    /// @notice Number of recall cases.
    /// @return count the number.
    function recallCount() external view returns (uint256 count);

    /// @notice Number of destruction records.
    /// @return count the number.
    function destructionCount() external view returns (uint256 count);

    /// @notice Notice deadline / progress interval for a level, ms (1, 3, 7 days).
    /// @param level recall level.
    /// @return interval the interval in ms.
    function levelInterval(RecallLevel level) external pure returns (uint64 interval);

    // ------------------------------------------------------------ corrections, follow-ups, product figures (issue 12)

    /// @notice The caller may not void this destruction record.
    /// @param destructionId the record
    /// @param callerOrgId the caller's organisation
    error RecallManagerVoidUnauthorized(uint256 destructionId, bytes32 callerOrgId);

    /// @notice A confirmed destruction of a batch already DESTROYED (T4) cannot be voided.
    /// @param destructionId the record
    /// @param batchId the batch
    error RecallManagerBatchDestroyed(uint256 destructionId, bytes32 batchId);

    /// @notice A follow-up case needs the batch's latest case CLOSED.
    /// @param batchId the batch
    /// @param latestRecallId its latest case
    error RecallManagerCaseStillOpen(bytes32 batchId, uint256 latestRecallId);

    /// @notice The case has a follow-up: destruction is recorded in the batch's latest case.
    /// @param recallId the superseded case
    /// @param latestRecallId the batch's latest case
    error RecallManagerSuperseded(uint256 recallId, uint256 latestRecallId);

    /// @notice A destruction record was voided; the record stays on chain.
    /// @param destructionId the record
    /// @param recallId its case
    /// @param byOrgId who voided it
    /// @param wasConfirmed whether it had been counter-signed (its units are then restored, quarantined)
    /// @param reasonHash hash of the reason document
    event DestructionVoided(uint256 indexed destructionId, uint256 indexed recallId, bytes32 indexed byOrgId,
        bool wasConfirmed, bytes32 reasonHash);

    /// @notice A batch case linked at its opening: a follow-up of the batch's closed case, or a
    /// batch case of an open product-wide case.
    /// @param recallId the new case
    /// @param followUpOf the batch's previous case (0: none)
    /// @param productRecallId the product-wide case (0: none)
    event RecallCaseLinked(uint256 indexed recallId, uint256 indexed followUpOf, uint256 indexed productRecallId);

    /**
     * @notice Void a destruction record (a correction): RECORDED by its author or a regulator in
     * remit; CONFIRMED only by a regulator in remit ranking at least as high as its recorder and
     * supervisor — its units come back to the executor, quarantined, and leave the case's figures;
     * if a later case of the batch is open by then (a follow-up) and the executor is not the MAH,
     * that case's `inMarketAtOpen` takes them (they are on the market under it).
     * @dev Reverts {RecallManagerBatchDestroyed} once the batch is DESTROYED. Emits
     * {DestructionVoided} (and {ICustodyLedger-HoldingCorrected}).
     * @param destructionId the record.
     * @param reasonHash hash of the reason document.
     */
    function voidDestruction(uint256 destructionId, bytes32 reasonHash) external;

    /**
     * @notice How a case is linked.
     * @param recallId the case.
     * @return followUpOf the batch's previous case it follows up (0: none).
     * @return productCaseId the product-wide case it belongs to (0: none).
     * @return batchCaseCount for a product-wide case, its batch cases.
     * @return latestCaseOfScope the latest case of the same batch (or product).
     */
    function recallLinks(uint256 recallId)
        external
        view
        returns (uint256 followUpOf, uint256 productCaseId, uint256 batchCaseCount, uint256 latestCaseOfScope);

    /// @notice The latest case of a batch (batch scope) or product (product-wide), 0 = none.
    /// @param scopeId the batch or product id.
    /// @return recallId the case.
    function latestCase(bytes32 scopeId) external view returns (uint256 recallId);

    /**
     * @notice One page of a product-wide case's figures over its batch cases (at most 64 a page).
     * @param recallId the product-wide case.
     * @param start first batch case (0-based).
     * @param count batch cases in the page.
     * @return caseCount all its batch cases.
     * @return inMarketAtOpen the page's market at the batch cases' openings.
     * @return inMarketNow the page's market now.
     * @return destroyed the whole case's destroyed units (all batch cases).
     * @return writtenOff the page's units written off since the batch cases' openings.
     */
    function productRecallFigures(uint256 recallId, uint256 start, uint256 count)
        external
        view
        returns (uint256 caseCount, uint64 inMarketAtOpen, uint64 inMarketNow, uint64 destroyed, uint64 writtenOff);
}
