// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {OrgKind, OrgStatus} from "../common/DrugTraceTypes.sol";

/**
 * @title IOrgRegistry - organisations, their signing accounts, the suite link and the pause switch
 * @notice The national regulator (the deployer) is the root. Regulators onboard organisations,
 * bind signing accounts to them, suspend and restore them. Every write anywhere in the suite asks
 * this registry to {authorize} the caller, which also enforces the emergency pause.
 */
interface IOrgRegistry {
    // ------------------------------------------------------------------ errors
    /// @notice The contracts are paused (emergency stop of the software, not of a drug).
    error OrgRegistryEnforcedPause();
    /// @notice `pause` was called while paused, or `unpause` while not paused.
    /// @param paused the current pause state
    error OrgRegistryPauseUnchanged(bool paused);
    /// @notice The account is not bound to any organisation.
    /// @param account the signing address
    error OrgRegistryUnknownAccount(address account);
    /// @notice The account is already bound to `orgId`.
    /// @param account the signing address
    /// @param orgId the organisation
    error OrgRegistryAccountAlreadyBound(address account, bytes32 orgId);
    /// @notice No organisation with this id.
    /// @param orgId the organisation
    error OrgRegistryUnknownOrg(bytes32 orgId);
    /// @notice The zero id is reserved (it marks unbound accounts).
    error OrgRegistryZeroOrgId();
    /// @notice An organisation with this id already exists.
    /// @param orgId the organisation
    error OrgRegistryOrgExists(bytes32 orgId);
    /// @notice The organisation is not ACTIVE.
    /// @param orgId the organisation
    /// @param status the current status
    error OrgRegistryOrgNotActive(bytes32 orgId, OrgStatus status);
    /// @notice The organisation's licence expired at `expiry` (ms).
    /// @param orgId the organisation
    /// @param expiry the licence expiry, ms
    error OrgRegistryLicenceExpired(bytes32 orgId, uint64 expiry);
    /// @notice The organisation's kind is not among those allowed (`kindMask`, bit k = OrgKind(k)).
    /// @param orgId the organisation
    /// @param kind the organisation kind
    /// @param kindMask the allowed kinds (bit k = OrgKind(k))
    error OrgRegistryUnauthorizedKind(bytes32 orgId, OrgKind kind, uint256 kindMask);
    /// @notice The caller's organisation may not manage `orgId` (kind or region outside its remit).
    /// @param callerOrgId the caller's organisation
    /// @param orgId the organisation
    error OrgRegistryOutsideRemit(bytes32 callerOrgId, bytes32 orgId);
    /// @notice Invalid organisation kind for this operation.
    /// @param kind the organisation kind
    error OrgRegistryInvalidKind(OrgKind kind);
    /// @notice The status change is not allowed (e.g. restoring an ACTIVE org).
    /// @param orgId the organisation
    /// @param from the state before
    /// @param to the state after
    error OrgRegistryInvalidStatusChange(bytes32 orgId, OrgStatus from, OrgStatus to);
    /// @notice {linkSuite} was already called.
    error OrgRegistrySuiteAlreadyLinked();
    /// @notice An address given to {linkSuite} is zero.
    error OrgRegistryZeroAddress();
    /// @notice The caller is not a contract of the linked suite.
    /// @param caller the calling address
    error OrgRegistryNotSuiteContract(address caller);
    /// @notice The root organisation (national regulator) cannot be suspended nor given a licence
    /// expiry (either would lock the suite: nobody could restore or renew it).
    /// @param orgId the organisation
    error OrgRegistryRootProtected(bytes32 orgId);
    /// @notice An account cannot unbind itself (keeps a regulator from locking itself out by mistake).
    /// @param account the signing address
    error OrgRegistrySelfUnbind(address account);
    /// @notice The suspension was imposed by a higher authority than the caller (national over
    /// provincial), so the caller may not restore the organisation.
    /// @param orgId the suspended organisation
    /// @param imposerOrgId the regulator that suspended it
    /// @param callerOrgId the caller's organisation
    error OrgRegistryOutranked(bytes32 orgId, bytes32 imposerOrgId, bytes32 callerOrgId);
    /// @notice A suite address has no code, does not trust this registry, or does not point to the
    /// DrugRegistry / CustodyLedger given with it.
    /// @param member the offending address
    error OrgRegistryInvalidSuite(address member);

    // ------------------------------------------------------------------ events
    /// @notice An organisation was registered.
    /// @param orgId the organisation
    /// @param kind the organisation kind
    /// @param region the region code
    /// @param seq the organisation's sequence number
    /// @param licenceExpiry licence expiry, ms (0 = none)
    /// @param detailsHash hash of the off-chain document
    /// @param byOrgId the acting organisation
    event OrgRegistered(bytes32 indexed orgId, OrgKind kind, uint32 region, uint32 seq, uint64 licenceExpiry,
        bytes32 detailsHash, bytes32 indexed byOrgId);
    /// @notice An organisation's status changed (suspended or restored).
    /// @param orgId the organisation
    /// @param from the state before
    /// @param to the state after
    /// @param reasonHash hash of the reason document
    /// @param byOrgId the acting organisation
    event OrgStatusChanged(bytes32 indexed orgId, OrgStatus from, OrgStatus to, bytes32 reasonHash,
        bytes32 indexed byOrgId);
    /// @notice An organisation's licence expiry was updated.
    /// @param orgId the organisation
    /// @param licenceExpiry licence expiry, ms (0 = none)
    /// @param detailsHash hash of the off-chain document
    /// @param byOrgId the acting organisation
    event OrgLicenceUpdated(bytes32 indexed orgId, uint64 licenceExpiry, bytes32 detailsHash, bytes32 indexed byOrgId);
    /// @notice A signing account was bound to an organisation.
    /// @param account the signing address
    /// @param orgId the organisation
    /// @param byOrgId the acting organisation
    event AccountBound(address indexed account, bytes32 indexed orgId, bytes32 indexed byOrgId);
    /// @notice A signing account was unbound from its organisation.
    /// @param account the signing address
    /// @param orgId the organisation
    /// @param byOrgId the acting organisation
    event AccountUnbound(address indexed account, bytes32 indexed orgId, bytes32 indexed byOrgId);
    /// @notice The suite contracts were linked (once).
    /// @param drugRegistry DrugRegistry address
    /// @param custodyLedger CustodyLedger address
    /// @param observationLog ObservationLog address
    /// @param recallManager RecallManager address
    event SuiteLinked(address drugRegistry, address custodyLedger, address observationLog, address recallManager);
    /// @notice The ProcurementLedger was linked (after the suite).
    /// @param procurementLedger its address
    event ProcurementLinked(address procurementLedger);
    /// @notice The suite was paused by `account`.
    /// @param account the signing address
    event Paused(address indexed account);
    /// @notice The suite was unpaused by `account`.
    /// @param account the signing address
    event Unpaused(address indexed account);

    // ------------------------------------------------------------------ writes
    /**
     * @notice Register an organisation.
     * @dev Requirements: caller is an ACTIVE national regulator (any kind except national), or an
     * ACTIVE provincial regulator (non-regulator kinds other than AUDITOR, `region` equal to its
     * own: an auditor counter-signs destruction, so only the national regulator registers and
     * manages auditors; an auditor's `region` is its remit, 0 = national); not paused;
     * `orgId` non-zero and unused; `kind` neither NONE nor national. Emits {OrgRegistered}.
     * @param orgId keccak256(utf8(unified social credit code)).
     * @param kind organisation kind.
     * @param region administrative region code (e.g. GB/T 2260 province code).
     * @param licenceExpiry licence expiry in ms since epoch, 0 = no expiry.
     * @param detailsHash hash of the off-chain registration file.
     */
    function registerOrg(bytes32 orgId, OrgKind kind, uint32 region, uint64 licenceExpiry, bytes32 detailsHash)
        external;

    /**
     * @notice Suspend an ACTIVE organisation: every write by its accounts reverts from now on.
     * @dev Requirements: as {registerOrg} for the target's kind/region; target ACTIVE; not the root.
     * Emits {OrgStatusChanged}.
     * @param orgId the organisation.
     * @param reasonHash hash of the decision document.
     */
    function suspendOrg(bytes32 orgId, bytes32 reasonHash) external;

    /**
     * @notice Restore a SUSPENDED organisation to ACTIVE.
     * @dev Requirements: as {suspendOrg}; target SUSPENDED; the regulator that suspended it does
     * not outrank the caller ({OrgRegistryOutranked}: a provincial regulator cannot restore an
     * organisation the national regulator suspended). Emits {OrgStatusChanged}.
     * @param orgId the organisation.
     * @param reasonHash hash of the decision document.
     */
    function restoreOrg(bytes32 orgId, bytes32 reasonHash) external;

    /**
     * @notice Update an organisation's licence expiry.
     * @dev Requirements: as {suspendOrg} (the root accepts only `licenceExpiry` 0, its details hash
     * may change). Emits {OrgLicenceUpdated}.
     * @param orgId the organisation.
     * @param licenceExpiry new expiry in ms, 0 = none.
     * @param detailsHash hash of the new licence document.
     */
    function updateLicence(bytes32 orgId, uint64 licenceExpiry, bytes32 detailsHash) external;

    /**
     * @notice Bind a signing account to an organisation.
     * @dev Requirements: as {suspendOrg} for the target org (the national regulator may bind
     * accounts to its own org); the account is unbound. Emits {AccountBound}.
     * @param account the signing address.
     * @param orgId the organisation.
     */
    function bindAccount(address account, bytes32 orgId) external;

    /**
     * @notice Unbind a signing account from its organisation.
     * @dev Requirements: as {bindAccount}; the caller cannot unbind itself. Emits {AccountUnbound}.
     * @param account the signing address.
     */
    function unbindAccount(address account) external;

    /**
     * @notice Link the suite contracts (once). Only linked contracts may call "system" functions.
     * @dev Requirements: national regulator; not linked yet; no zero address; each address has
     * code and its `orgRegistry()` is this registry, the CustodyLedger's `drugRegistry()` and the
     * ObservationLog's and RecallManager's `drugRegistry()`/`custodyLedger()` are the addresses
     * given ({OrgRegistryInvalidSuite}). Emits {SuiteLinked}.
     * @param drugRegistry DrugRegistry address.
     * @param custodyLedger CustodyLedger address.
     * @param observationLog ObservationLog address.
     * @param recallManager RecallManager address.
     */
    function linkSuite(address drugRegistry, address custodyLedger, address observationLog, address recallManager)
        external;

    /**
     * @notice Link the ProcurementLedger (once, after {linkSuite}). It reads the suite and is not
     * a "system" member: it gets no power over custody or lifecycle.
     * @dev Requirements: national regulator; suite linked ({OrgRegistryInvalidSuite} before);
     * not linked yet ({OrgRegistrySuiteAlreadyLinked}); no zero address; code whose
     * `orgRegistry()` is this registry and whose `drugRegistry()`/`custodyLedger()` are the
     * linked ones ({OrgRegistryInvalidSuite}). Emits {ProcurementLinked}.
     * @param procurementLedger ProcurementLedger address.
     */
    function linkProcurement(address procurementLedger) external;

    /**
     * @notice Pause every write of the suite.
     * @dev Requirements: national regulator; not paused. Emits {Paused}.
     */
    function pause() external;

    /**
     * @notice Lift the pause.
     * @dev Requirements: national regulator; paused. Emits {Unpaused}.
     */
    function unpause() external;

    // ------------------------------------------------------------------ checks used by the suite
    /**
     * @notice Check that `account` may write as a member of an ACTIVE organisation of a kind in `kindMask`.
     * @dev Reverts with {OrgRegistryEnforcedPause}, {OrgRegistryUnknownAccount}, {OrgRegistryOrgNotActive},
     * {OrgRegistryLicenceExpired} or {OrgRegistryUnauthorizedKind}.
     * @param account the transaction's caller as seen by the suite contract.
     * @param kindMask allowed kinds (bit k = OrgKind(k)).
     * @return orgId the caller's organisation.
     * @return kind its kind.
     * @return region its region.
     * @return seq its sequence number (compact id used in storage).
     */
    function authorize(address account, uint256 kindMask)
        external
        view
        returns (bytes32 orgId, OrgKind kind, uint32 region, uint32 seq);

    /**
     * @notice Check that organisation `orgId` is ACTIVE, licensed and of a kind in `kindMask`.
     * @param orgId the organisation.
     * @param kindMask allowed kinds.
     * @return kind its kind.
     * @return region its region.
     * @return seq its sequence number.
     */
    function requireActiveOrg(bytes32 orgId, uint256 kindMask)
        external
        view
        returns (OrgKind kind, uint32 region, uint32 seq);

    /**
     * @notice Revert with {OrgRegistryNotSuiteContract} unless `caller` is a linked suite contract.
     * @param caller the address to check.
     */
    function requireSuite(address caller) external view;

    // ------------------------------------------------------------------ views
    /// @notice Whether the suite is paused.
    /// @return paused_ true when paused.
    function paused() external view returns (bool paused_);

    /// @notice The root organisation (national regulator).
    /// @return orgId its id.
    function rootOrg() external view returns (bytes32 orgId);

    /**
     * @notice The regulator whose suspension is in force on an organisation (0 if it is not
     * suspended). Only the same or a higher authority restores it ({OrgRegistryOutranked}).
     * @param orgId the organisation.
     * @return byOrgId the suspending regulator.
     */
    function suspendedBy(bytes32 orgId) external view returns (bytes32 byOrgId);

    /**
     * @notice One organisation.
     * @param orgId the organisation.
     * @return kind kind (NONE if unknown).
     * @return status status.
     * @return region region code.
     * @return seq sequence number (1-based; 0 if unknown).
     * @return licenceExpiry licence expiry in ms (0 = none).
     * @return detailsHash hash of the registration file.
     */
    function getOrg(bytes32 orgId)
        external
        view
        returns (OrgKind kind, OrgStatus status, uint32 region, uint32 seq, uint64 licenceExpiry, bytes32 detailsHash);

    /// @notice The organisation an account is bound to (zero if none).
    /// @param account the signing address.
    /// @return orgId its organisation.
    function orgOf(address account) external view returns (bytes32 orgId);

    /// @notice The organisation id with sequence number `seq` (zero if none).
    /// @param seq sequence number.
    /// @return orgId the organisation.
    function orgIdBySeq(uint32 seq) external view returns (bytes32 orgId);

    /// @notice Number of registered organisations (sequence numbers run 1..orgCount).
    /// @return count the number.
    function orgCount() external view returns (uint32 count);

    /// @notice Whether `account` is a linked suite contract.
    /// @param account address to check.
    /// @return linked true if linked.
    function isSuiteContract(address account) external view returns (bool linked);

    /**
     * @notice The linked suite contracts (zero before {linkSuite}).
     * @return drugRegistry DrugRegistry.
     * @return custodyLedger CustodyLedger.
     * @return observationLog ObservationLog.
     * @return recallManager RecallManager.
     */
    function suite()
        external
        view
        returns (address drugRegistry, address custodyLedger, address observationLog, address recallManager);

    /**
     * @notice The linked ProcurementLedger (zero before {linkProcurement}).
     * @return ledger its address.
     */
    function procurementLedger() external view returns (address ledger);
}
