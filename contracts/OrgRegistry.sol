// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {OrgKind, OrgStatus} from "./common/DrugTraceTypes.sol";
import {Authority} from "./common/Authority.sol";

/// @dev The links each suite contract exposes; {OrgRegistry-linkSuite} checks they point back.
interface ISuiteLinks {
    function orgRegistry() external view returns (address registry);
    function drugRegistry() external view returns (address registry);
    function custodyLedger() external view returns (address ledger);
}
import {MASK_NATIONAL, MASK_REGULATORS, MASK_ANY_ORG} from "./common/KindMasks.sol";

/**
 * @title OrgRegistry - organisations, signing accounts, suite link and emergency pause
 * @notice The deployer's account is bound to the root organisation, the national regulator. The
 * national regulator onboards any non-national organisation; a provincial regulator onboards and
 * manages non-regulator organisations of its own region. Every write of the suite calls
 * {authorize}, which checks the pause, the account binding, the organisation status, its licence
 * and its kind in one call.
 * @dev Organisations are keyed by `orgId` and also get a compact 1-based `seq` (uint32) so other
 * contracts can pack several organisations into one storage slot. Nothing here iterates.
 */
contract OrgRegistry is IOrgRegistry {
    /// @dev One storage slot per organisation (plus its details hash).
    struct Org {
        OrgKind kind;
        OrgStatus status;
        uint32 region;
        uint32 seq;
        uint64 licenceExpiry;
    }

    bytes32 private immutable _rootOrg;
    bool private _paused;
    uint32 private _orgCount;
    address private _drugRegistry;
    address private _custodyLedger;
    address private _observationLog;
    address private _recallManager;
    address private _procurementLedger;

    mapping(bytes32 => Org) private _orgs;
    mapping(bytes32 => bytes32) private _details;
    mapping(uint32 => bytes32) private _orgBySeq;
    mapping(address => bytes32) private _accountOrg;
    mapping(address => bool) private _suite;
    /// @dev Per suspended organisation, the regulator that suspended it (only the same or a
    /// higher authority restores it).
    mapping(bytes32 => bytes32) private _suspendedBy;

    /// @dev One-line guard in OpenZeppelin's Pausable shape.
    modifier whenNotPaused() {
        _requireNotPaused();
        _;
    }

    /**
     * @notice Deploy the registry; the deployer becomes the first account of the national regulator.
     * @dev Requirements: `rootOrgId` non-zero. Emits {OrgRegistered} and {AccountBound}.
     * @param rootOrgId orgId of the national regulator.
     * @param region its region code.
     * @param detailsHash hash of its registration file.
     */
    constructor(bytes32 rootOrgId, uint32 region, bytes32 detailsHash) {
        if (rootOrgId == bytes32(0)) revert OrgRegistryZeroOrgId();
        _rootOrg = rootOrgId;
        _addOrg(rootOrgId, OrgKind.REGULATOR_NATIONAL, region, 0, detailsHash, rootOrgId);
        _bind(msg.sender, rootOrgId, rootOrgId);
    }

    // ================================================================== writes

    /// @inheritdoc IOrgRegistry
    function registerOrg(bytes32 orgId, OrgKind kind, uint32 region, uint64 licenceExpiry, bytes32 detailsHash)
        external
        override
        whenNotPaused
    {
        (bytes32 callerOrg, OrgKind callerKind, uint32 callerRegion) = _caller(MASK_REGULATORS);
        if (orgId == bytes32(0)) revert OrgRegistryZeroOrgId();
        if (kind == OrgKind.NONE || kind == OrgKind.REGULATOR_NATIONAL) revert OrgRegistryInvalidKind(kind);
        if (_orgs[orgId].kind != OrgKind.NONE) revert OrgRegistryOrgExists(orgId);
        _checkRemit(callerOrg, callerKind, callerRegion, orgId, kind, region);
        _addOrg(orgId, kind, region, licenceExpiry, detailsHash, callerOrg);
    }

    /// @inheritdoc IOrgRegistry
    function suspendOrg(bytes32 orgId, bytes32 reasonHash) external override whenNotPaused {
        (bytes32 callerOrg,,) = _manage(orgId);
        if (orgId == _rootOrg) revert OrgRegistryRootProtected(orgId);
        _suspendedBy[orgId] = callerOrg;
        _setStatus(orgId, OrgStatus.ACTIVE, OrgStatus.SUSPENDED, reasonHash, callerOrg);
    }

    /// @inheritdoc IOrgRegistry
    function restoreOrg(bytes32 orgId, bytes32 reasonHash) external override whenNotPaused {
        (bytes32 callerOrg, OrgKind callerKind, uint32 callerRegion) = _manage(orgId);
        bytes32 imposer = _suspendedBy[orgId];
        if (imposer != bytes32(0) && imposer != callerOrg) {
            Org storage by = _orgs[imposer];
            if (!Authority.canLift(callerKind, callerRegion, by.kind, by.region)) {
                revert OrgRegistryOutranked(orgId, imposer, callerOrg);
            }
        }
        _setStatus(orgId, OrgStatus.SUSPENDED, OrgStatus.ACTIVE, reasonHash, callerOrg);
    }

    /// @inheritdoc IOrgRegistry
    function updateLicence(bytes32 orgId, uint64 licenceExpiry, bytes32 detailsHash)
        external
        override
        whenNotPaused
    {
        (bytes32 callerOrg,,) = _manage(orgId);
        // The root's licence cannot lapse: nobody could renew it, unpause or register anything.
        if (licenceExpiry != 0 && orgId == _rootOrg) revert OrgRegistryRootProtected(orgId);
        _orgs[orgId].licenceExpiry = licenceExpiry;
        _details[orgId] = detailsHash;
        emit OrgLicenceUpdated(orgId, licenceExpiry, detailsHash, callerOrg);
    }

    /// @inheritdoc IOrgRegistry
    function bindAccount(address account, bytes32 orgId) external override whenNotPaused {
        (bytes32 callerOrg,,) = _manage(orgId);
        bytes32 current = _accountOrg[account];
        if (current != bytes32(0)) revert OrgRegistryAccountAlreadyBound(account, current);
        _bind(account, orgId, callerOrg);
    }

    /// @inheritdoc IOrgRegistry
    function unbindAccount(address account) external override whenNotPaused {
        bytes32 orgId = _accountOrg[account];
        if (orgId == bytes32(0)) revert OrgRegistryUnknownAccount(account);
        (bytes32 callerOrg,,) = _manage(orgId);
        if (account == msg.sender) revert OrgRegistrySelfUnbind(account);
        delete _accountOrg[account];
        emit AccountUnbound(account, orgId, callerOrg);
    }

    /// @inheritdoc IOrgRegistry
    function linkSuite(address drugRegistry, address custodyLedger, address observationLog, address recallManager)
        external
        override
    {
        _caller(MASK_NATIONAL);
        if (_drugRegistry != address(0)) revert OrgRegistrySuiteAlreadyLinked();
        if (
            drugRegistry == address(0) || custodyLedger == address(0) || observationLog == address(0)
                || recallManager == address(0)
        ) revert OrgRegistryZeroAddress();
        // Each must be a contract that trusts this registry, and the three that act on others
        // must name the same DrugRegistry / CustodyLedger (issue 12, defect 9).
        _checkMember(drugRegistry);
        _checkMember(custodyLedger);
        _checkMember(observationLog);
        _checkMember(recallManager);
        if (ISuiteLinks(custodyLedger).drugRegistry() != drugRegistry) revert OrgRegistryInvalidSuite(custodyLedger);
        _checkActor(observationLog, drugRegistry, custodyLedger);
        _checkActor(recallManager, drugRegistry, custodyLedger);
        _drugRegistry = drugRegistry;
        _custodyLedger = custodyLedger;
        _observationLog = observationLog;
        _recallManager = recallManager;
        _suite[drugRegistry] = true;
        _suite[custodyLedger] = true;
        _suite[observationLog] = true;
        _suite[recallManager] = true;
        emit SuiteLinked(drugRegistry, custodyLedger, observationLog, recallManager);
    }

    /// @inheritdoc IOrgRegistry
    function linkProcurement(address procurementLedger_) external override {
        _caller(MASK_NATIONAL);
        if (_drugRegistry == address(0)) revert OrgRegistryInvalidSuite(address(0));
        if (_procurementLedger != address(0)) revert OrgRegistrySuiteAlreadyLinked();
        if (procurementLedger_ == address(0)) revert OrgRegistryZeroAddress();
        _checkMember(procurementLedger_);
        _checkActor(procurementLedger_, _drugRegistry, _custodyLedger);
        _procurementLedger = procurementLedger_;
        emit ProcurementLinked(procurementLedger_);
    }

    /// @inheritdoc IOrgRegistry
    function pause() external override {
        _caller(MASK_NATIONAL);
        if (_paused) revert OrgRegistryPauseUnchanged(true);
        _paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IOrgRegistry
    function unpause() external override {
        _caller(MASK_NATIONAL);
        if (!_paused) revert OrgRegistryPauseUnchanged(false);
        _paused = false;
        emit Unpaused(msg.sender);
    }

    // ================================================================== checks

    /// @inheritdoc IOrgRegistry
    function authorize(address account, uint256 kindMask)
        external
        view
        override
        returns (bytes32 orgId, OrgKind kind, uint32 region, uint32 seq)
    {
        _requireNotPaused();
        orgId = _accountOrg[account];
        if (orgId == bytes32(0)) revert OrgRegistryUnknownAccount(account);
        (kind, region, seq) = _requireActive(orgId, kindMask);
    }

    /// @inheritdoc IOrgRegistry
    function requireActiveOrg(bytes32 orgId, uint256 kindMask)
        external
        view
        override
        returns (OrgKind kind, uint32 region, uint32 seq)
    {
        return _requireActive(orgId, kindMask);
    }

    /// @inheritdoc IOrgRegistry
    function requireSuite(address caller) external view override {
        if (!_suite[caller]) revert OrgRegistryNotSuiteContract(caller);
    }

    // ================================================================== views

    /// @inheritdoc IOrgRegistry
    function paused() external view override returns (bool paused_) {
        return _paused;
    }

    /// @inheritdoc IOrgRegistry
    function rootOrg() external view override returns (bytes32 orgId) {
        return _rootOrg;
    }

    /// @inheritdoc IOrgRegistry
    function getOrg(bytes32 orgId)
        external
        view
        override
        returns (OrgKind kind, OrgStatus status, uint32 region, uint32 seq, uint64 licenceExpiry, bytes32 detailsHash)
    {
        Org storage o = _orgs[orgId];
        return (o.kind, o.status, o.region, o.seq, o.licenceExpiry, _details[orgId]);
    }

    /// @inheritdoc IOrgRegistry
    function suspendedBy(bytes32 orgId) external view override returns (bytes32 byOrgId) {
        return _orgs[orgId].status == OrgStatus.SUSPENDED ? _suspendedBy[orgId] : bytes32(0);
    }

    /// @inheritdoc IOrgRegistry
    function orgOf(address account) external view override returns (bytes32 orgId) {
        return _accountOrg[account];
    }

    /// @inheritdoc IOrgRegistry
    function orgIdBySeq(uint32 seq) external view override returns (bytes32 orgId) {
        return _orgBySeq[seq];
    }

    /// @inheritdoc IOrgRegistry
    function orgCount() external view override returns (uint32 count) {
        return _orgCount;
    }

    /// @inheritdoc IOrgRegistry
    function isSuiteContract(address account) external view override returns (bool linked) {
        return _suite[account];
    }

    /// @inheritdoc IOrgRegistry
    function suite()
        external
        view
        override
        returns (address drugRegistry, address custodyLedger, address observationLog, address recallManager)
    {
        return (_drugRegistry, _custodyLedger, _observationLog, _recallManager);
    }

    /// @inheritdoc IOrgRegistry
    function procurementLedger() external view override returns (address ledger) {
        return _procurementLedger;
    }

    // ================================================================== internals

    /// @dev Reverts with {OrgRegistryEnforcedPause} while paused.
    function _requireNotPaused() private view {
        if (_paused) revert OrgRegistryEnforcedPause();
    }

    /// @dev The caller's org, checked ACTIVE and of a kind in `kindMask`.
    function _caller(uint256 kindMask) private view returns (bytes32 orgId, OrgKind kind, uint32 region) {
        orgId = _accountOrg[msg.sender];
        if (orgId == bytes32(0)) revert OrgRegistryUnknownAccount(msg.sender);
        (kind, region,) = _requireActive(orgId, kindMask);
    }

    /// @dev Checks an org is ACTIVE, licensed and of an allowed kind.
    function _requireActive(bytes32 orgId, uint256 kindMask)
        private
        view
        returns (OrgKind kind, uint32 region, uint32 seq)
    {
        Org storage o = _orgs[orgId];
        kind = o.kind;
        if (kind == OrgKind.NONE) revert OrgRegistryUnknownOrg(orgId);
        if (o.status != OrgStatus.ACTIVE) revert OrgRegistryOrgNotActive(orgId, o.status);
        uint64 expiry = o.licenceExpiry;
        if (expiry != 0 && block.timestamp > expiry) revert OrgRegistryLicenceExpired(orgId, expiry);
        if (kindMask & (1 << uint256(kind)) == 0) revert OrgRegistryUnauthorizedKind(orgId, kind, kindMask);
        return (kind, o.region, o.seq);
    }

    /// @dev The caller (a regulator) must have `orgId` (existing) within its remit; returns the caller's org.
    function _manage(bytes32 orgId) private view returns (bytes32 callerOrg, OrgKind callerKind, uint32 callerRegion) {
        (callerOrg, callerKind, callerRegion) = _caller(MASK_REGULATORS);
        Org storage target = _orgs[orgId];
        if (target.kind == OrgKind.NONE) revert OrgRegistryUnknownOrg(orgId);
        _checkRemit(callerOrg, callerKind, callerRegion, orgId, target.kind, target.region);
    }

    /// @dev National: everything. Provincial: non-regulator, non-auditor kinds of its own region.
    /// Auditors counter-sign destruction within their remit (region 0 = national), so only the
    /// national regulator registers and manages them (issue 12, defect 2).
    function _checkRemit(
        bytes32 callerOrg,
        OrgKind callerKind,
        uint32 callerRegion,
        bytes32 orgId,
        OrgKind kind,
        uint32 region
    ) private pure {
        if (callerKind == OrgKind.REGULATOR_NATIONAL) return;
        bool regulatorTarget = kind == OrgKind.REGULATOR_NATIONAL || kind == OrgKind.REGULATOR_PROVINCIAL
            || kind == OrgKind.AUDITOR;
        if (regulatorTarget || region != callerRegion) revert OrgRegistryOutsideRemit(callerOrg, orgId);
    }

    /// @dev A suite member: code present and its `orgRegistry()` is this registry.
    function _checkMember(address member) private view {
        if (member.code.length == 0) revert OrgRegistryInvalidSuite(member);
        try ISuiteLinks(member).orgRegistry() returns (address registry) {
            if (registry != address(this)) revert OrgRegistryInvalidSuite(member);
        } catch {
            revert OrgRegistryInvalidSuite(member);
        }
    }

    /// @dev ObservationLog / RecallManager / ProcurementLedger: they act on (or read) this DrugRegistry and CustodyLedger.
    function _checkActor(address member, address drugRegistry, address custodyLedger) private view {
        ISuiteLinks links = ISuiteLinks(member);
        if (links.drugRegistry() != drugRegistry || links.custodyLedger() != custodyLedger) {
            revert OrgRegistryInvalidSuite(member);
        }
    }

    /// @dev Stores an ACTIVE organisation under the next sequence number.
    function _addOrg(
        bytes32 orgId,
        OrgKind kind,
        uint32 region,
        uint64 licenceExpiry,
        bytes32 detailsHash,
        bytes32 byOrg
    ) private {
        uint32 seq = _orgCount + 1;
        _orgCount = seq;
        _orgs[orgId] = Org({kind: kind, status: OrgStatus.ACTIVE, region: region, seq: seq, licenceExpiry: licenceExpiry});
        _details[orgId] = detailsHash;
        _orgBySeq[seq] = orgId;
        emit OrgRegistered(orgId, kind, region, seq, licenceExpiry, detailsHash, byOrg);
    }

    /// @dev Moves an organisation from status `from` to `to` (reverts if it is not in `from`).
    function _setStatus(bytes32 orgId, OrgStatus from, OrgStatus to, bytes32 reasonHash, bytes32 byOrg) private {
        OrgStatus current = _orgs[orgId].status;
        if (current != from) revert OrgRegistryInvalidStatusChange(orgId, current, to);
        _orgs[orgId].status = to;
        emit OrgStatusChanged(orgId, from, to, reasonHash, byOrg);
    }

    /// @dev Binds an (unbound) account to an organisation.
    function _bind(address account, bytes32 orgId, bytes32 byOrg) private {
        _accountOrg[account] = orgId;
        emit AccountBound(account, orgId, byOrg);
    }
}
