// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {UnitMerkle} from "./lib/UnitMerkle.sol";
import {IPackingLedger} from "./interfaces/IPackingLedger.sol";
import {PackingLedger} from "./PackingLedger.sol";
import {IRangeLedger} from "./interfaces/IRangeLedger.sol";
import {RangeLedger} from "./RangeLedger.sol";
import {LifecycleState, OrgKind, ShipmentStatus, UnitState} from "./common/DrugTraceTypes.sol";
import {
    MASK_MANUFACTURER,
    MASK_DISTRIBUTOR,
    MASK_LOGISTICS,
    MASK_PHARMACY,
    MASK_HOSPITAL,
    MASK_REGULATORS,
    MASK_DISPENSERS,
    MASK_HOLDERS,
    MASK_ANY_ORG
} from "./common/KindMasks.sol";

/**
 * @title CustodyLedger - who holds how many units of which batch, and what moved where
 * @notice Quantities per (batch, organisation) with a quarantined part; shipments with a sender,
 * carrier and addressee; returns toward the manufacturer; once-only dispensing of single units
 * proven against the batch's Merkle root and recorded in a per-batch bitmap.
 * @dev Shipments store organisations by their OrgRegistry sequence number so that one shipment
 * costs two storage slots. Nothing here loops over user-growable data.
 */
contract CustodyLedger is ICustodyLedger, SuiteMember {
    /// @dev `quantity` includes `quarantined`; `held` is set for good once the organisation has
    /// received or been credited units of the batch (who may count toward the ADR threshold).
    struct Holding {
        uint120 quantity;
        uint120 quarantined;
        bool held;
    }

    /// @dev Per batch, one slot: units that still exist in custody (`total` = held anywhere plus
    /// in transit), the part in transit and the part held in quarantine. Kept in step by every
    /// move so "no unit held anywhere except quarantined stock" (T4) and the recall figures are
    /// two reads, not a loop over holders. `writtenOff` (cumulative, never decreases) counts the
    /// units that left the market without coming back: missing from a partial receipt, or
    /// decommissioned (stolen, lost, sampled, destroyed) by a holder other than the batch's MAH;
    /// a recall case subtracts its value at the opening so such units are not "recovered".
    struct Stock {
        uint64 total;
        uint64 inTransit;
        uint64 quarantined;
        uint64 writtenOff;
    }

    struct Shipment {
        bytes32 batchId;
        uint32 fromSeq;
        uint32 toSeq;
        uint32 carrierSeq;
        uint40 quantity;
        uint40 received;
        uint48 dispatchedAt;
        ShipmentStatus status;
        bool isReturn;
        bool excursion;
        bool packed;
    }

    /// @dev The registry's `unitInfo` of a batch (memory: it would not fit the stack).
    struct UnitBatch {
        LifecycleState batchState;
        LifecycleState productState;
        uint64 expiryDate;
        uint64 unitCount;
        bytes32 unitRoot;
        uint16 unitsPerCase;
    }

    /// @dev One decommissioning record (memory: it would not fit the stack).
    struct Decommissioning {
        UnitState state;
        bytes32 holderOrgId;
        bytes32 byOrgId;
        bytes32 evidenceHash;
    }

    uint256 private constant _MAX_SHIPMENT_QUANTITY = type(uint40).max;

    IDrugRegistry private immutable _registry;
    /// @dev Deployed by this constructor: container custody of packed batches (issue 17A).
    IPackingLedger private immutable _packing;
    /// @dev Deployed by this constructor: unit-level custody of unpacked batches (D9).
    IRangeLedger private immutable _ranges;
    /// @dev Next shipment id; starts at 1 in the constructor so the first dispatch rewrites a
    /// non-zero slot (5 000 gas) instead of creating one (22 100 gas).
    uint256 private _nextShipmentId;
    mapping(bytes32 => mapping(bytes32 => Holding)) private _holdings;
    mapping(uint256 => Shipment) private _shipments;
    mapping(bytes32 => mapping(uint256 => uint256)) private _dispensed;
    mapping(bytes32 => Stock) private _stock;
    /// @dev Per batch, 4 bits per unit (64 per word): the {UnitState} of a decommissioned unit.
    /// Its bit in `_dispensed` is set too, so that bitmap means "left custody" and the dispense
    /// path reads this map only for a unit already gone.
    mapping(bytes32 => mapping(uint256 => uint256)) private _unitStates;
    /// @dev Receipt time (block time, ms) of each received shipment (issue 17 B: the acceptance of
    /// a procurement delivery); kept apart because the Shipment's two slots are full.
    mapping(uint256 => uint64) private _receivedAt;

    /**
     * @param orgRegistry_ the suite's OrgRegistry.
     * @param registry the suite's DrugRegistry.
     */
    constructor(IOrgRegistry orgRegistry_, IDrugRegistry registry) SuiteMember(orgRegistry_) {
        _registry = registry;
        _nextShipmentId = 1;
        _packing = new PackingLedger(orgRegistry_, registry);
        _ranges = new RangeLedger(orgRegistry_, registry);
    }

    /// @dev One-line guard for the functions only the PackingLedger calls.
    modifier onlyPacking() {
        if (msg.sender != address(_packing)) revert CustodyLedgerOnlyPacking(msg.sender);
        _;
    }

    // ================================================================== writes

    /// @inheritdoc ICustodyLedger
    function dispatch(bytes32 batchId, bytes32 toOrgId, bytes32 carrierOrgId, uint64 quantity, bytes32 manifestHash)
        external
        override
        returns (uint256 shipmentId)
    {
        (bytes32 fromOrg,,, uint32 fromSeq) = _authorize(MASK_MANUFACTURER | MASK_DISTRIBUTOR);
        _checkShipmentQuantity(quantity);
        (uint16 unitsPerCase, uint64 unitCount) = _requireUsableBatch(batchId);
        if (unitsPerCase != 0) revert CustodyLedgerPackedBatch(batchId);
        shipmentId = _dispatch(batchId, fromOrg, fromSeq, toOrgId, carrierOrgId, quantity, manifestHash, false);
        _ranges.dispatchUnits(batchId, unitCount, fromSeq, shipmentId, quantity, false);
    }

    /// @dev A forward shipment of a usable batch (by quantity, or of the packing's containers).
    function _dispatch(
        bytes32 batchId,
        bytes32 fromOrg,
        uint32 fromSeq,
        bytes32 toOrgId,
        bytes32 carrierOrgId,
        uint64 quantity,
        bytes32 manifestHash,
        bool packed
    ) private returns (uint256 shipmentId) {
        _checkShipmentQuantity(quantity);
        if (toOrgId == fromOrg) revert CustodyLedgerInvalidAddressee(batchId, toOrgId);
        IOrgRegistry orgs = orgRegistry();
        (,, uint32 toSeq) = orgs.requireActiveOrg(toOrgId, MASK_DISTRIBUTOR | MASK_PHARMACY | MASK_HOSPITAL);
        (,, uint32 carrierSeq) = orgs.requireActiveOrg(carrierOrgId, MASK_LOGISTICS);
        _debitAvailable(batchId, fromOrg, quantity);
        _stock[batchId].inTransit += quantity;
        shipmentId = _newShipment(batchId, fromSeq, toSeq, carrierSeq, quantity, false, packed);
        emit ShipmentDispatched(shipmentId, batchId, fromOrg, toOrgId, carrierOrgId, quantity, false, manifestHash);
    }

    /// @inheritdoc ICustodyLedger
    function dispatchReturn(
        bytes32 batchId,
        bytes32 toOrgId,
        bytes32 carrierOrgId,
        uint64 quantity,
        bytes32 manifestHash
    ) external override returns (uint256 shipmentId) {
        (bytes32 fromOrg, OrgKind kind,, uint32 fromSeq) = _authorize(MASK_DISTRIBUTOR | MASK_PHARMACY | MASK_HOSPITAL);
        (,,, uint64 unitCount,, uint16 unitsPerCase) = _registry.unitInfo(batchId);
        if (unitsPerCase != 0) revert CustodyLedgerPackedBatch(batchId);
        shipmentId = _dispatchReturn(batchId, fromOrg, fromSeq, toOrgId, carrierOrgId, quantity, manifestHash, false);
        // a dispenser's dispensed units are counted out of its ranges when they move on
        _ranges.dispatchUnits(batchId, unitCount, fromSeq, shipmentId, quantity, kind != OrgKind.DISTRIBUTOR);
    }

    /// @dev A return (by quantity, or of the packing's containers): any lifecycle state.
    function _dispatchReturn(
        bytes32 batchId,
        bytes32 fromOrg,
        uint32 fromSeq,
        bytes32 toOrgId,
        bytes32 carrierOrgId,
        uint64 quantity,
        bytes32 manifestHash,
        bool packed
    ) private returns (uint256 shipmentId) {
        _checkShipmentQuantity(quantity);
        (uint32 toSeq, uint32 carrierSeq) = _returnParties(batchId, fromOrg, toOrgId, carrierOrgId);
        _debit(batchId, fromOrg, quantity);
        _stock[batchId].inTransit += quantity;
        shipmentId = _newShipment(batchId, fromSeq, toSeq, carrierSeq, quantity, true, packed);
        emit ShipmentDispatched(shipmentId, batchId, fromOrg, toOrgId, carrierOrgId, quantity, true, manifestHash);
    }

    /// @inheritdoc ICustodyLedger
    function packedDispatch(
        bytes32 batchId,
        bytes32 fromOrg,
        uint32 fromSeq,
        bytes32 toOrgId,
        bytes32 carrierOrgId,
        uint64 quantity,
        bool isReturn,
        bytes32 manifestHash
    ) external override onlyPacking returns (uint256 shipmentId) {
        if (isReturn) {
            return _dispatchReturn(batchId, fromOrg, fromSeq, toOrgId, carrierOrgId, quantity, manifestHash, true);
        }
        (LifecycleState batchState, LifecycleState productState, uint64 expiryDate) = _registry.usability(batchId);
        _requireUsable(batchId, batchState, productState, expiryDate);
        return _dispatch(batchId, fromOrg, fromSeq, toOrgId, carrierOrgId, quantity, manifestHash, true);
    }

    /// @inheritdoc ICustodyLedger
    function packedReceive(
        uint256 shipmentId,
        bytes32 callerOrg,
        uint32 callerSeq,
        uint64 missingQuantity,
        bytes32 evidenceHash
    ) external override onlyPacking returns (bytes32 batchId, uint64 quantity) {
        Shipment storage s = _inTransitFor(shipmentId, callerOrg, callerSeq);
        quantity = s.quantity;
        if (!s.packed || missingQuantity > quantity) revert CustodyLedgerNotPackedShipment(shipmentId);
        batchId = s.batchId;
        _receive(s, shipmentId, callerOrg, quantity - missingQuantity, evidenceHash);
    }

    /// @inheritdoc ICustodyLedger
    function receiveShipment(uint256 shipmentId, uint64 receivedQuantity, bytes32 evidenceHash) external override {
        (bytes32 callerOrg,,, uint32 callerSeq) = _authorize(MASK_ANY_ORG);
        Shipment storage s = _inTransitFor(shipmentId, callerOrg, callerSeq);
        if (s.packed) revert CustodyLedgerPackedShipment(shipmentId);
        if (receivedQuantity == 0) revert CustodyLedgerInvalidQuantity(0);
        if (receivedQuantity > s.quantity) {
            revert CustodyLedgerReceivedTooMuch(shipmentId, s.quantity, receivedQuantity);
        }
        _receive(s, shipmentId, callerOrg, receivedQuantity, evidenceHash);
        _ranges.receiveUnits(s.batchId, shipmentId, callerSeq, receivedQuantity);
    }

    /// @dev Credits a receipt (the missing part of a partial one is in dispute, credited to nobody).
    function _receive(
        Shipment storage s,
        uint256 shipmentId,
        bytes32 callerOrg,
        uint256 receivedQuantity,
        bytes32 evidenceHash
    ) private {
        uint256 dispatched = s.quantity;
        bytes32 batchId = s.batchId;
        uint256 quarantine = (s.isReturn || s.excursion) ? receivedQuantity : 0;
        Holding storage h = _holdings[batchId][callerOrg];
        h.quantity += uint120(receivedQuantity);
        if (quarantine != 0) h.quarantined += uint120(quarantine);
        h.held = true;
        Stock storage st = _stock[batchId];
        st.inTransit -= uint64(dispatched);
        // the missing units of a partial receipt are in dispute: no longer in anyone's custody,
        // written off the market (a recall does not count them as recovered)
        if (receivedQuantity < dispatched) {
            uint64 missing = uint64(dispatched - receivedQuantity);
            st.total -= missing;
            st.writtenOff += missing;
        }
        if (quarantine != 0) st.quarantined += uint64(quarantine);
        s.received = uint40(receivedQuantity);
        _receivedAt[shipmentId] = uint64(block.timestamp);
        bool isPartial = receivedQuantity < dispatched;
        s.status = isPartial ? ShipmentStatus.PARTIAL : ShipmentStatus.RECEIVED;
        emit ShipmentReceived(shipmentId, batchId, callerOrg, receivedQuantity, quarantine, evidenceHash);
        if (isPartial) emit ShipmentDiscrepancy(shipmentId, batchId, callerOrg, dispatched, receivedQuantity);
    }

    /// @inheritdoc ICustodyLedger
    function rejectShipment(uint256 shipmentId, bytes32 reasonHash) external override {
        (bytes32 callerOrg,,, uint32 callerSeq) = _authorize(MASK_ANY_ORG);
        Shipment storage s = _inTransitFor(shipmentId, callerOrg, callerSeq);
        uint256 quarantined = _backToSender(s, s.isReturn || s.excursion);
        if (!s.packed) _ranges.returnUnits(s.batchId, shipmentId);
        s.status = ShipmentStatus.REJECTED;
        emit ShipmentRejected(shipmentId, s.batchId, callerOrg, s.quantity, quarantined, reasonHash);
    }

    /// @inheritdoc ICustodyLedger
    function voidShipment(uint256 shipmentId, bytes32 reasonHash) external override {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_REGULATORS);
        Shipment storage s = _shipments[shipmentId];
        ShipmentStatus status = s.status;
        if (status == ShipmentStatus.NONE) revert CustodyLedgerUnknownShipment(shipmentId);
        if (status != ShipmentStatus.DISPATCHED) revert CustodyLedgerShipmentNotInTransit(shipmentId, status);
        bytes32 fromOrg = orgRegistry().orgIdBySeq(s.fromSeq);
        _checkRemit(callerOrg, kind, region, fromOrg);
        // A stuck shipment's units go back to the sender in quarantine: they left its control.
        uint256 quantity = _backToSender(s, true);
        if (!s.packed) _ranges.returnUnits(s.batchId, shipmentId);
        s.status = ShipmentStatus.VOIDED;
        emit ShipmentVoided(shipmentId, s.batchId, fromOrg, quantity, callerOrg, reasonHash);
    }

    /// @inheritdoc ICustodyLedger
    function dispense(bytes32 batchId, uint256 index, bytes32 codeHash, bytes32[] calldata proof)
        external
        override
        returns (bool dispensed)
    {
        (bytes32 orgId,,, uint32 seq) = _authorize(MASK_DISPENSERS);
        mapping(uint256 => uint256) storage words = _dispensed[batchId];
        uint256 wordIndex = index >> 8;
        uint256 bit = 1 << (index & 0xff);
        uint256 word;
        {
            UnitBatch memory b = _checkUnit(batchId, index, codeHash, proof);
            word = words[wordIndex];
            if (word & bit != 0) {
                // Refused without reverting, so the alert stays on chain; no custody state changes.
                // Checked before usability: a copy of a dispensed code turning up on a stopped,
                // recalled or expired batch is exactly the alert that must not be lost.
                _alertGone(batchId, index, codeHash, orgId);
                return false;
            }
            // only the organisation holding the unit dispenses it (D9): loose, for a packed
            // batch; in one of its ranges (counted gone there), for an unpacked one. A unit
            // missing from a short receipt is an alert, like a duplicate: refused, no revert.
            IRangeLedger.RangeState held = _unitHeld(batchId, index, seq, b);
            if (held == IRangeLedger.RangeState.MISSING) {
                emit MissingUnitPresented(batchId, index, codeHash, orgId);
                return false;
            }
            _requireUsable(batchId, b.batchState, b.productState, b.expiryDate);
            if (held != IRangeLedger.RangeState.HELD) revert CustodyLedgerNotUnitHolder(batchId, index, orgId);
        }
        _debitDispensed(batchId, orgId, 1);
        words[wordIndex] = word | bit;
        emit UnitDispensed(batchId, index, codeHash, orgId);
        return true;
    }

    /// @inheritdoc ICustodyLedger
    function dispenseMany(
        bytes32 batchId,
        uint256[] calldata indices,
        bytes32[] calldata codeHashes,
        bytes32[] calldata proof
    ) external override returns (uint256 dispensed) {
        (bytes32 orgId,,, uint32 seq) = _authorize(MASK_DISPENSERS);
        UnitBatch memory b = _checkUnits(batchId, indices, codeHashes, proof);
        uint256[] memory fresh = new uint256[](indices.length);
        dispensed = _markDispensed(batchId, indices, codeHashes, orgId, fresh);
        if (dispensed == 0) return 0;
        _requireUsable(batchId, b.batchState, b.productState, b.expiryDate);
        _requireHeld(batchId, fresh, dispensed, b, seq, orgId, false);
        _debitDispensed(batchId, orgId, dispensed);
    }

    /// @inheritdoc ICustodyLedger
    function decommission(
        bytes32 batchId,
        uint256[] calldata indices,
        bytes32[] calldata codeHashes,
        bytes32[] calldata proof,
        UnitState state,
        bytes32 holderOrgId,
        bytes32 evidenceHash
    ) external override {
        (bytes32 byOrg, uint32 holderSeq) = _decommissioner(state, holderOrgId);
        UnitBatch memory b = _checkUnits(batchId, indices, codeHashes, proof);
        _markDecommissioned(batchId, indices, codeHashes, Decommissioning(state, holderOrgId, byOrg, evidenceHash));
        _requireHeld(batchId, indices, indices.length, b, holderSeq, holderOrgId, true);
        _debit(batchId, holderOrgId, uint64(indices.length));
        _leaveCustody(batchId, holderOrgId, uint64(indices.length));
    }

    /// @dev Decommissioned units leave custody; away from the MAH they leave the market without
    /// being recovered (written off, see {Stock}).
    function _leaveCustody(bytes32 batchId, bytes32 holderOrgId, uint64 count) private {
        Stock storage st = _stock[batchId];
        st.total -= count;
        (, bytes32 mahOrgId) = _registry.batchOwner(batchId);
        if (holderOrgId != mahOrgId) st.writtenOff += count;
    }

    /// @inheritdoc ICustodyLedger
    function releaseQuarantine(bytes32 batchId, bytes32 holderOrgId, uint64 quantity, bytes32 evidenceHash)
        external
        override
    {
        (bytes32 callerOrg, OrgKind kind, uint32 region,) = _authorize(MASK_REGULATORS);
        _checkRemit(callerOrg, kind, region, holderOrgId);
        if (quantity == 0) revert CustodyLedgerInvalidQuantity(0);
        Holding storage h = _holdings[batchId][holderOrgId];
        if (h.quarantined < quantity) {
            revert CustodyLedgerNotQuarantined(batchId, holderOrgId, h.quarantined, quantity);
        }
        h.quarantined -= quantity;
        _stock[batchId].quarantined -= quantity;
        emit QuarantineReleased(batchId, holderOrgId, quantity, callerOrg, evidenceHash);
    }

    // ================================================================== system

    /// @inheritdoc ICustodyLedger
    function systemCredit(bytes32 batchId, bytes32 orgId, uint64 quantity) external override onlySuite {
        Holding storage h = _holdings[batchId][orgId];
        h.quantity += quantity;
        h.held = true;
        _stock[batchId].total += quantity;
        emit HoldingCredited(batchId, orgId, quantity);
    }

    /// @inheritdoc ICustodyLedger
    function systemQuarantine(bytes32 batchId, bytes32 orgId, uint64 quantity, uint256 reasonId)
        external
        override
        onlySuite
        returns (uint256 quarantined)
    {
        return _quarantine(batchId, orgId, quantity, reasonId);
    }

    /// @inheritdoc ICustodyLedger
    function systemFlagShipmentExcursion(uint256 shipmentId, uint256 reasonId) external override onlySuite {
        Shipment storage s = _shipments[shipmentId];
        ShipmentStatus status = s.status;
        if (status == ShipmentStatus.NONE) revert CustodyLedgerUnknownShipment(shipmentId);
        // Units of a return, or of a shipment flagged before, are already quarantined wherever
        // they landed (or will be on receipt): quarantine them once, never twice.
        bool alreadyQuarantined = s.isReturn || s.excursion;
        s.excursion = true;
        emit ShipmentExcursionFlagged(shipmentId, s.batchId, reasonId);
        if (status == ShipmentStatus.DISPATCHED || alreadyQuarantined) return; // quarantined on receipt
        bool rejected = status == ShipmentStatus.REJECTED;
        bytes32 holder = orgRegistry().orgIdBySeq(rejected ? s.fromSeq : s.toSeq);
        _quarantine(s.batchId, holder, rejected ? s.quantity : s.received, reasonId);
    }

    /// @inheritdoc ICustodyLedger
    function systemDestroy(bytes32 batchId, bytes32 orgId, uint64 quantity, uint256 reasonId)
        external
        override
        onlySuite
    {
        _debit(batchId, orgId, quantity);
        _stock[batchId].total -= quantity;
        emit HoldingDestroyed(batchId, orgId, quantity, reasonId);
    }

    // ================================================================== views

    /// @inheritdoc ICustodyLedger
    function holdingOf(bytes32 batchId, bytes32 orgId)
        external
        view
        override
        returns (uint128 quantity, uint128 quarantined)
    {
        Holding storage h = _holdings[batchId][orgId];
        return (h.quantity, h.quarantined);
    }

    /// @inheritdoc ICustodyLedger
    function getShipment(uint256 shipmentId)
        external
        view
        override
        returns (
            bytes32 batchId,
            bytes32 fromOrgId,
            bytes32 toOrgId,
            bytes32 carrierOrgId,
            uint64 quantity,
            uint64 received,
            uint64 dispatchedAt,
            ShipmentStatus status,
            bool isReturn,
            bool excursion
        )
    {
        Shipment storage s = _shipments[shipmentId];
        IOrgRegistry orgs = orgRegistry();
        return (
            s.batchId,
            orgs.orgIdBySeq(s.fromSeq),
            orgs.orgIdBySeq(s.toSeq),
            orgs.orgIdBySeq(s.carrierSeq),
            s.quantity,
            s.received,
            s.dispatchedAt,
            s.status,
            s.isReturn,
            s.excursion
        );
    }

    /// @inheritdoc ICustodyLedger
    function receivedAt(uint256 shipmentId) external view override returns (uint64 at) {
        return _receivedAt[shipmentId];
    }

    /// @inheritdoc ICustodyLedger
    function hasHeld(bytes32 batchId, bytes32 orgId) external view override returns (bool held) {
        return _holdings[batchId][orgId].held;
    }

    /// @inheritdoc ICustodyLedger
    function batchStock(bytes32 batchId)
        external
        view
        override
        returns (uint64 total, uint64 inTransit, uint64 quarantined)
    {
        Stock storage st = _stock[batchId];
        return (st.total, st.inTransit, st.quarantined);
    }

    /// @inheritdoc ICustodyLedger
    function writtenOff(bytes32 batchId) external view override returns (uint64 units) {
        return _stock[batchId].writtenOff;
    }

    /// @inheritdoc ICustodyLedger
    function shipmentCount() external view override returns (uint256 count) {
        return _nextShipmentId - 1;
    }

    /// @inheritdoc ICustodyLedger
    function isDispensed(bytes32 batchId, uint256 index) external view override returns (bool dispensed) {
        return _dispensed[batchId][index >> 8] & (1 << (index & 0xff)) != 0 && _stateOf(batchId, index) == 0;
    }

    /// @inheritdoc ICustodyLedger
    function unitState(bytes32 batchId, uint256 index) external view override returns (UnitState state) {
        return _unitStateOf(batchId, index);
    }

    /// @inheritdoc ICustodyLedger
    function dispenseWord(bytes32 batchId, uint256 wordIndex) external view override returns (uint256 word) {
        return _dispensed[batchId][wordIndex];
    }

    /// @inheritdoc ICustodyLedger
    function drugRegistry() external view override returns (address registry) {
        return address(_registry);
    }

    /// @inheritdoc ICustodyLedger
    function packingLedger() external view override returns (address packing) {
        return address(_packing);
    }

    /// @inheritdoc ICustodyLedger
    function rangeLedger() external view override returns (address ranges) {
        return address(_ranges);
    }

    /// @inheritdoc ICustodyLedger
    function shipmentStatus(uint256 shipmentId) external view override returns (ShipmentStatus status) {
        return _shipments[shipmentId].status;
    }

    /// @inheritdoc ICustodyLedger
    function shipmentBatch(uint256 shipmentId) external view override returns (bytes32 batchId) {
        return _shipments[shipmentId].batchId;
    }

    /// @inheritdoc ICustodyLedger
    function unitGone(bytes32 batchId, uint256 index) external view override returns (bool gone) {
        return _dispensed[batchId][index >> 8] & (1 << (index & 0xff)) != 0;
    }

    /// @inheritdoc ICustodyLedger
    function anyUnitGone(bytes32 batchId, uint256 start, uint256 end) external view override returns (bool gone) {
        mapping(uint256 => uint256) storage words = _dispensed[batchId];
        for (uint256 i = start; i < end; ) {
            uint256 w = i >> 8;
            uint256 last = (w + 1) << 8;
            if (last > end) last = end;
            // bits [i % 256, last - (w << 8)) of word w
            uint256 lo = i & 0xff;
            uint256 width = last - i;
            uint256 mask = width == 256 ? type(uint256).max : ((1 << width) - 1) << lo;
            if (words[w] & mask != 0) return true;
            i = last;
        }
        return false;
    }

    // ================================================================== internals

    /// @dev Shipment quantities are 1 .. 2^40-1 (they are packed as uint40).
    function _checkShipmentQuantity(uint256 quantity) private pure {
        if (quantity == 0 || quantity > _MAX_SHIPMENT_QUANTITY) revert CustodyLedgerInvalidQuantity(quantity);
    }

    /// @dev Outbound movements and dispensing need batch and product LISTED and the batch unexpired.
    function _requireUsable(
        bytes32 batchId,
        LifecycleState batchState,
        LifecycleState productState,
        uint64 expiryDate
    ) private view {
        if (batchState == LifecycleState.NONE) revert CustodyLedgerUnknownBatch(batchId);
        if (batchState != LifecycleState.LISTED || productState != LifecycleState.LISTED) {
            revert CustodyLedgerBatchNotListed(batchId, batchState, productState);
        }
        if (block.timestamp > expiryDate) revert CustodyLedgerBatchExpired(batchId, expiryDate);
    }

    /// @dev Sequence numbers of a return's addressee (the batch's MAH or a distributor) and carrier.
    function _returnParties(bytes32 batchId, bytes32 fromOrg, bytes32 toOrgId, bytes32 carrierOrgId)
        private
        view
        returns (uint32 toSeq, uint32 carrierSeq)
    {
        (bytes32 productId, bytes32 mahOrgId) = _registry.batchOwner(batchId);
        if (productId == bytes32(0)) revert CustodyLedgerUnknownBatch(batchId);
        if (toOrgId == fromOrg) revert CustodyLedgerInvalidAddressee(batchId, toOrgId);
        IOrgRegistry orgs = orgRegistry();
        uint256 toMask = toOrgId == mahOrgId ? MASK_MANUFACTURER : MASK_DISTRIBUTOR;
        (,, toSeq) = orgs.requireActiveOrg(toOrgId, toMask);
        (,, carrierSeq) = orgs.requireActiveOrg(carrierOrgId, MASK_LOGISTICS);
    }

    /// @dev Reads the batch's states and expiry and requires it usable; returns its packing
    /// layout's units per case (0 = not packed).
    function _requireUsableBatch(bytes32 batchId) private view returns (uint16 unitsPerCase, uint64 unitCount) {
        (LifecycleState batchState, LifecycleState productState, uint64 expiryDate, uint64 count,, uint16 perCase) =
            _registry.unitInfo(batchId);
        _requireUsable(batchId, batchState, productState, expiryDate);
        return (perCase, count);
    }

    /// @dev Debit unquarantined units (forward shipments).
    function _debitAvailable(bytes32 batchId, bytes32 orgId, uint64 quantity) private {
        Holding storage h = _holdings[batchId][orgId];
        uint256 available = h.quantity - h.quarantined;
        if (available < quantity) revert CustodyLedgerInsufficientStock(batchId, orgId, available, quantity);
        h.quantity -= uint120(quantity);
    }

    /// @dev Provincial regulators act only for holders of their region.
    function _checkRemit(bytes32 callerOrg, OrgKind kind, uint32 region, bytes32 orgId) private view {
        if (kind != OrgKind.REGULATOR_PROVINCIAL) return;
        (,, uint32 orgRegion,,,) = orgRegistry().getOrg(orgId);
        if (orgRegion != region) revert CustodyLedgerOutsideRemit(callerOrg, orgId);
    }

    /// @dev Puts an in-transit shipment's whole quantity back with its sender (quarantined if
    /// `quarantine`); returns the quarantined quantity.
    function _backToSender(Shipment storage s, bool quarantine) private returns (uint256 quarantined) {
        bytes32 batchId = s.batchId;
        uint120 quantity = s.quantity;
        Holding storage h = _holdings[batchId][orgRegistry().orgIdBySeq(s.fromSeq)];
        h.quantity += quantity;
        Stock storage st = _stock[batchId];
        st.inTransit -= uint64(quantity);
        if (quarantine) {
            h.quarantined += quantity;
            st.quarantined += uint64(quantity);
            quarantined = quantity;
        }
    }

    /// @dev Who may decommission for `holderOrgId` with `state`: the holder itself (DESTROYED ..
    /// SAMPLED), or a regulator in remit taking official samples (SAMPLED); returns the
    /// recording organisation and the holder's seq.
    function _decommissioner(UnitState state, bytes32 holderOrgId) private view returns (bytes32 byOrg, uint32 holderSeq) {
        OrgKind kind;
        uint32 region;
        (byOrg, kind, region, holderSeq) = _authorize(MASK_HOLDERS | MASK_REGULATORS);
        if (kind == OrgKind.REGULATOR_NATIONAL || kind == OrgKind.REGULATOR_PROVINCIAL) {
            if (state != UnitState.SAMPLED) revert CustodyLedgerInvalidUnitState(state);
            _checkRemit(byOrg, kind, region, holderOrgId);
            (,,, holderSeq,,) = orgRegistry().getOrg(holderOrgId);
        } else {
            if (holderOrgId != byOrg) revert CustodyLedgerOutsideRemit(byOrg, holderOrgId);
            if (state < UnitState.DESTROYED) revert CustodyLedgerInvalidUnitState(state);
        }
    }

    /// @dev Whether `seq` holds the unit: loose (packed batch: HELD or NONE), or in one of its
    /// ranges (unpacked batch; MISSING after a short receipt).
    function _unitHeld(bytes32 batchId, uint256 index, uint32 seq, UnitBatch memory b)
        private
        view
        returns (IRangeLedger.RangeState)
    {
        if (b.unitsPerCase == 0) return _ranges.heldBy(batchId, index, seq);
        return _packing.unitHolder(batchId, index, b.unitsPerCase) == seq
            ? IRangeLedger.RangeState.HELD
            : IRangeLedger.RangeState.NONE;
    }

    /// @dev Each of `units[0..count)` must be held by `holderSeq`: loose (packed batch), or in one
    /// of its ranges (unpacked batch; `decommissioned`: counted gone there).
    function _requireHeld(
        bytes32 batchId,
        uint256[] memory units,
        uint256 count,
        UnitBatch memory b,
        uint32 holderSeq,
        bytes32 holderOrgId,
        bool decommissioned
    ) private {
        uint256 notHeld = b.unitsPerCase != 0
            ? _packing.firstNotHeld(batchId, units, count, b.unitsPerCase, holderSeq)
            : decommissioned
            ? _ranges.consumeMany(batchId, b.unitCount, units, count, holderSeq)
            : _ranges.firstNotHeld(batchId, units, count, holderSeq);
        if (notHeld != type(uint256).max) revert CustodyLedgerNotUnitHolder(batchId, notHeld, holderOrgId);
    }

    /// @dev ACTIVE, DISPENSED or the decommissioned state of a unit.
    function _unitStateOf(bytes32 batchId, uint256 index) private view returns (UnitState) {
        if (_dispensed[batchId][index >> 8] & (1 << (index & 0xff)) == 0) return UnitState.ACTIVE;
        uint256 decommissioned = _stateOf(batchId, index);
        return decommissioned == 0 ? UnitState.DISPENSED : UnitState(decommissioned);
    }

    /// @dev The decommissioned state nibble of a unit (0 = not decommissioned).
    function _stateOf(bytes32 batchId, uint256 index) private view returns (uint256) {
        return (_unitStates[batchId][index >> 6] >> ((index & 63) << 2)) & 0xf;
    }

    /// @dev A unit already gone presented for dispensing: the duplicate alert, or, for a
    /// decommissioned (destroyed, stolen, lost, sampled) unit, the alert naming its state.
    function _alertGone(bytes32 batchId, uint256 index, bytes32 codeHash, bytes32 orgId) private {
        uint256 decommissioned = _stateOf(batchId, index);
        if (decommissioned == 0) emit DuplicateDispense(batchId, index, codeHash, orgId);
        else emit DecommissionedUnitPresented(batchId, index, codeHash, orgId, UnitState(decommissioned));
    }

    /// @dev Lists strictly ascending, of one length, indices in range and the multiproof valid;
    /// returns the batch's unit info.
    function _checkUnits(
        bytes32 batchId,
        uint256[] calldata indices,
        bytes32[] calldata codeHashes,
        bytes32[] calldata proof
    ) private view returns (UnitBatch memory b) {
        b = _unitBatch(batchId);
        uint256 n = indices.length;
        if (n == 0 || codeHashes.length != n) revert CustodyLedgerInvalidUnitList(0);
        bytes32[] memory leaves = new bytes32[](n);
        uint256[] memory positions = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 index = indices[i];
            if (i != 0 && index <= positions[i - 1]) revert CustodyLedgerInvalidUnitList(i);
            positions[i] = index;
        }
        if (positions[n - 1] >= b.unitCount) {
            revert CustodyLedgerUnitOutOfRange(batchId, positions[n - 1], b.unitCount);
        }
        for (uint256 i = 0; i < n; ++i) leaves[i] = UnitMerkle.leaf(batchId, positions[i], codeHashes[i]);
        if (!UnitMerkle.verifyMulti(proof, b.unitRoot, leaves, positions, b.unitCount)) {
            revert CustodyLedgerInvalidProof(batchId, indices[0]);
        }
    }

    /// @dev Sets the bits of the units not yet gone (one write per bitmap word), emits
    /// {UnitDispensed} for each and the alert for each gone one; lists the fresh ones in `fresh`.
    function _markDispensed(
        bytes32 batchId,
        uint256[] calldata indices,
        bytes32[] calldata codeHashes,
        bytes32 orgId,
        uint256[] memory fresh
    ) private returns (uint256 count) {
        mapping(uint256 => uint256) storage words = _dispensed[batchId];
        // the bitmap word in hand: [index, value, value as read]
        uint256[3] memory w = [type(uint256).max, 0, 0];
        for (uint256 i = 0; i < indices.length; ++i) {
            uint256 index = indices[i];
            if (index >> 8 != w[0]) {
                if (w[1] != w[2]) words[w[0]] = w[1];
                w[0] = index >> 8;
                w[1] = words[w[0]];
                w[2] = w[1];
            }
            if (w[1] & (1 << (index & 0xff)) != 0) {
                _alertGone(batchId, index, codeHashes[i], orgId);
                continue;
            }
            w[1] |= 1 << (index & 0xff);
            fresh[count++] = index;
            emit UnitDispensed(batchId, index, codeHashes[i], orgId);
        }
        if (w[1] != w[2]) words[w[0]] = w[1];
    }

    /// @dev Marks each unit gone with its decommissioned state; a unit already gone reverts.
    function _markDecommissioned(
        bytes32 batchId,
        uint256[] calldata indices,
        bytes32[] calldata codeHashes,
        Decommissioning memory d
    ) private {
        mapping(uint256 => uint256) storage words = _dispensed[batchId];
        mapping(uint256 => uint256) storage states = _unitStates[batchId];
        for (uint256 i = 0; i < indices.length; ++i) {
            uint256 index = indices[i];
            uint256 word = words[index >> 8];
            if (word & (1 << (index & 0xff)) != 0) {
                revert CustodyLedgerUnitGone(batchId, index, _unitStateOf(batchId, index));
            }
            words[index >> 8] = word | (1 << (index & 0xff));
            states[index >> 6] |= uint256(d.state) << ((index & 63) << 2);
            emit UnitDecommissioned(batchId, index, codeHashes[i], d.holderOrgId, d.state, d.byOrgId, d.evidenceHash);
        }
    }

    /// @dev Debits `count` units leaving custody for good from the holder's available stock and
    /// the batch total (dispensing).
    function _debitDispensed(bytes32 batchId, bytes32 orgId, uint256 count) private {
        Holding storage h = _holdings[batchId][orgId];
        uint120 quantity = h.quantity;
        uint256 available = quantity - h.quarantined;
        if (available < count) revert CustodyLedgerInsufficientStock(batchId, orgId, available, count);
        // quantity - quarantined >= count and the batch total counts these units: no underflow.
        unchecked {
            h.quantity = quantity - uint120(count);
            _stock[batchId].total -= uint64(count);
        }
    }

    /// @dev Batch known, index in range and proof valid, else revert; returns what
    /// {_requireUsable} needs (checked by the caller after the duplicate check).
    function _checkUnit(bytes32 batchId, uint256 index, bytes32 codeHash, bytes32[] calldata proof)
        private
        view
        returns (UnitBatch memory b)
    {
        b = _unitBatch(batchId);
        if (index >= b.unitCount) revert CustodyLedgerUnitOutOfRange(batchId, index, b.unitCount);
        if (!UnitMerkle.verify(proof, b.unitRoot, UnitMerkle.leaf(batchId, index, codeHash))) {
            revert CustodyLedgerInvalidProof(batchId, index);
        }
    }

    /// @dev What the registry knows of a batch's units; reverts for an unknown batch.
    function _unitBatch(bytes32 batchId) private view returns (UnitBatch memory b) {
        (b.batchState, b.productState, b.expiryDate, b.unitCount, b.unitRoot, b.unitsPerCase) =
            _registry.unitInfo(batchId);
        if (b.batchState == LifecycleState.NONE) revert CustodyLedgerUnknownBatch(batchId);
    }

    /// @dev The shipment, checked to exist, be in transit and be addressed to the caller.
    function _inTransitFor(uint256 shipmentId, bytes32 callerOrg, uint32 callerSeq)
        private
        view
        returns (Shipment storage s)
    {
        s = _shipments[shipmentId];
        if (s.status == ShipmentStatus.NONE) revert CustodyLedgerUnknownShipment(shipmentId);
        if (s.toSeq != callerSeq) revert CustodyLedgerNotAddressee(shipmentId, callerOrg);
        if (s.status != ShipmentStatus.DISPATCHED) revert CustodyLedgerShipmentNotInTransit(shipmentId, s.status);
    }

    /// @dev Debit a holding, taking quarantined units first (returns, destruction).
    function _debit(bytes32 batchId, bytes32 orgId, uint64 quantity) private {
        Holding storage h = _holdings[batchId][orgId];
        uint120 held = h.quantity;
        if (held < quantity) revert CustodyLedgerInsufficientStock(batchId, orgId, held, quantity);
        uint120 quarantined = h.quarantined;
        uint120 fromQuarantine = quarantined > quantity ? quantity : quarantined;
        h.quarantined = quarantined - fromQuarantine;
        h.quantity = held - quantity;
        if (fromQuarantine != 0) _stock[batchId].quarantined -= uint64(fromQuarantine);
    }

    /// @dev Quarantine up to `quantity` available units; returns how many were quarantined.
    function _quarantine(bytes32 batchId, bytes32 orgId, uint256 quantity, uint256 reasonId)
        private
        returns (uint256 amount)
    {
        Holding storage h = _holdings[batchId][orgId];
        uint256 available = h.quantity - h.quarantined;
        amount = quantity < available ? quantity : available;
        if (amount == 0) return 0;
        h.quarantined += uint120(amount);
        _stock[batchId].quarantined += uint64(amount);
        emit HoldingQuarantined(batchId, orgId, amount, reasonId);
    }

    /// @dev Stores a DISPATCHED shipment (two slots) under the next id.
    function _newShipment(
        bytes32 batchId,
        uint32 fromSeq,
        uint32 toSeq,
        uint32 carrierSeq,
        uint64 quantity,
        bool isReturn,
        bool packed
    ) private returns (uint256 shipmentId) {
        shipmentId = _nextShipmentId;
        _nextShipmentId = shipmentId + 1;
        _shipments[shipmentId] = Shipment({
            batchId: batchId,
            fromSeq: fromSeq,
            toSeq: toSeq,
            carrierSeq: carrierSeq,
            quantity: uint40(quantity),
            received: 0,
            dispatchedAt: uint48(block.timestamp),
            status: ShipmentStatus.DISPATCHED,
            isReturn: isReturn,
            excursion: false,
            packed: packed
        });
    }

    // ================================================================== corrections (issue 12)

    /// @inheritdoc ICustodyLedger
    function systemCorrectHolding(bytes32 batchId, bytes32 orgId, uint64 quantity, bool restore, uint256 reasonId)
        external
        override
        onlySuite
    {
        Stock storage st = _stock[batchId];
        if (restore) {
            // a voided destruction: the units were never destroyed; back in the holder's stock,
            // quarantined until a regulator releases them
            Holding storage h = _holdings[batchId][orgId];
            h.quantity += quantity;
            h.quarantined += quantity;
            st.total += quantity;
            st.quarantined += quantity;
        } else {
            // a voided batch: its units leave custody (they never existed as released units)
            _debit(batchId, orgId, quantity);
            st.total -= quantity;
        }
        emit HoldingCorrected(batchId, orgId, quantity, restore, reasonId);
    }
}
