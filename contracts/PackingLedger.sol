// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IPackingLedger} from "./interfaces/IPackingLedger.sol";
import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {UnitMerkle} from "./lib/UnitMerkle.sol";
import {PackingMerkle} from "./lib/PackingMerkle.sol";
import {ShipmentStatus} from "./common/DrugTraceTypes.sol";
import {
    MASK_MANUFACTURER, MASK_DISTRIBUTOR, MASK_PHARMACY, MASK_HOSPITAL, MASK_ANY_ORG
} from "./common/KindMasks.sol";

/**
 * @title PackingLedger - cases and pallets of packed batches and who holds each (issue 17A)
 * @notice Container custody beside the CustodyLedger's quantities: a container moves as a whole
 * while intact, its children are loose with its holder once it is unpacked, and a unit of a
 * packed batch can be dispensed only by the organisation holding it loose.
 * @dev One slot per container that moved or opened, none for those that did not (a pallet
 * without a record is with the MAH; a case or unit without one is inside its parent). Lists are
 * strictly ascending calldata, so every loop is bounded by what the caller sends, except
 * {repack}, bounded by the batch's committed layout.
 */
contract PackingLedger is IPackingLedger, SuiteMember {
    /// @dev One slot. `unitsOut` (cases only): some unit of the case has its own record.
    struct Node {
        uint32 holderSeq;
        NodeStatus status;
        bool unitsOut;
        uint64 shipmentId;
    }

    /// @dev What one packed operation needs from the batch's layout.
    struct Layout {
        uint256 unitCount;
        uint256 unitsPerCase;
        uint256 casesPerPallet;
    }

    /// @dev The operation in progress (kept in memory: the calldata lists take the stack).
    struct Ctx {
        uint256 shipmentId;
        bytes32 batchId;
        bytes32 org;
        uint32 seq;
        uint32 senderSeq; // receipts: the shipment's sender (its items' holder in transit)
        Layout lay;
    }

    uint256 private constant _LEVEL_SHIFT = 248;
    uint256 private constant _INDEX_MASK = (1 << 248) - 1;

    ICustodyLedger private immutable _custody;
    IDrugRegistry private immutable _registry;
    mapping(bytes32 => mapping(uint256 => Node)) private _nodes;

    modifier onlyCustody() {
        if (msg.sender != address(_custody)) revert PackingLedgerOnlyCustody(msg.sender);
        _;
    }

    /**
     * @dev Deployed by the CustodyLedger's constructor (`msg.sender`).
     * @param orgRegistry_ the suite's OrgRegistry.
     * @param registry the suite's DrugRegistry.
     */
    constructor(IOrgRegistry orgRegistry_, IDrugRegistry registry) SuiteMember(orgRegistry_) {
        _custody = ICustodyLedger(msg.sender);
        _registry = registry;
    }

    // ================================================================== writes

    /// @inheritdoc IPackingLedger
    function dispatchPacked(
        bytes32 batchId,
        bytes32 toOrgId,
        bytes32 carrierOrgId,
        uint256[] calldata items,
        bool isReturn,
        bytes32 manifestHash
    ) external override returns (uint256 shipmentId) {
        Ctx memory r;
        (r.org,,, r.seq) = _authorize(
            isReturn ? MASK_DISTRIBUTOR | MASK_PHARMACY | MASK_HOSPITAL : MASK_MANUFACTURER | MASK_DISTRIBUTOR
        );
        r.batchId = batchId;
        r.lay = _layout(batchId);
        uint256 quantity = _sumQuantities(batchId, r.lay, items);
        shipmentId = _custody.packedDispatch(
            batchId, r.org, r.seq, toOrgId, carrierOrgId, uint64(quantity), isReturn, manifestHash
        );
        r.shipmentId = shipmentId;
        _moveOut(r, items);
        emit PackedShipmentDispatched(shipmentId, batchId, items);
    }

    /// @inheritdoc IPackingLedger
    function receivePacked(
        uint256 shipmentId,
        uint256[] calldata items,
        uint256[] calldata missing,
        uint256[] calldata extra,
        bytes32 evidenceHash
    ) external override {
        Ctx memory r;
        (r.org,,, r.seq) = _authorize(MASK_ANY_ORG);
        r.shipmentId = shipmentId;
        r.batchId = _custody.shipmentBatch(shipmentId);
        r.lay = _layout(r.batchId);
        // each item in transit in this shipment; their units add up to the shipment's (below),
        // so the list is the shipped one: the items are disjoint and each carries units
        uint256 listed = _checkInShipment(r, items);
        uint256 missingQuantity = _markMissing(r, items, missing);
        _receiveItems(r, items, missing);
        for (uint256 i = 0; i < extra.length; ++i) {
            _checkKey(r.batchId, r.lay, extra[i]);
            emit ContainerExtra(shipmentId, r.batchId, extra[i], r.org);
        }
        (, uint64 quantity) =
            _custody.packedReceive(shipmentId, r.org, r.seq, uint64(missingQuantity), evidenceHash);
        if (quantity != listed) revert PackingLedgerManifestMismatch(shipmentId);
    }

    /// @inheritdoc IPackingLedger
    function unpack(bytes32 batchId, uint256 key) external override {
        (bytes32 callerOrg,,, uint32 callerSeq) = _authorize(MASK_ANY_ORG);
        Layout memory lay = _layout(batchId);
        _checkKey(batchId, lay, key);
        mapping(uint256 => Node) storage nodes = _nodes[batchId];
        (Node memory n, bool inside) = _resolve(batchId, nodes, lay, key);
        if (
            key >> _LEVEL_SHIFT == 0 || inside || n.status != NodeStatus.HELD
                || !_holds(batchId, n.holderSeq, callerSeq, callerOrg)
        ) revert PackingLedgerNotHolder(batchId, key, callerOrg, n.status);
        Node storage w = nodes[key];
        w.holderSeq = callerSeq;
        w.status = NodeStatus.OPENED;
        w.shipmentId = 0;
        emit ContainerUnpacked(batchId, key, callerOrg);
    }

    /// @inheritdoc IPackingLedger
    function repack(bytes32 batchId, uint256 key) external override {
        (bytes32 callerOrg,,, uint32 callerSeq) = _authorize(MASK_ANY_ORG);
        Layout memory lay = _layout(batchId);
        _checkKey(batchId, lay, key);
        mapping(uint256 => Node) storage nodes = _nodes[batchId];
        (Node memory n, bool inside) = _resolve(batchId, nodes, lay, key);
        uint256 level = key >> _LEVEL_SHIFT;
        if (level == 0 || inside || n.status != NodeStatus.OPENED || n.holderSeq != callerSeq) {
            revert PackingLedgerNotHolder(batchId, key, callerOrg, n.status);
        }
        uint256 index = key & _INDEX_MASK;
        (uint256 first, uint256 end) = level == PackingMerkle.CASE
            ? (index * lay.unitsPerCase, _min((index + 1) * lay.unitsPerCase, lay.unitCount))
            : (index * lay.casesPerPallet, _min((index + 1) * lay.casesPerPallet, _caseCount(lay)));
        if (level == PackingMerkle.CASE) {
            if (_custody.anyUnitGone(batchId, first, end)) revert PackingLedgerUnitGone(batchId, first);
            if (n.unitsOut) {
                for (uint256 u = first; u < end; ++u) {
                    Node memory c = _settle(nodes[u]);
                    if (c.status != NodeStatus.NONE) {
                        if (c.status != NodeStatus.HELD || c.holderSeq != callerSeq) {
                            revert PackingLedgerNotHolder(batchId, u, callerOrg, c.status);
                        }
                        delete nodes[u];
                    }
                }
            }
        } else {
            uint256 caseLevel = PackingMerkle.CASE << _LEVEL_SHIFT;
            for (uint256 c = first; c < end; ++c) {
                Node memory cn = _settle(nodes[caseLevel | c]);
                if (cn.status != NodeStatus.NONE) {
                    if (cn.status != NodeStatus.HELD || cn.holderSeq != callerSeq) {
                        revert PackingLedgerNotHolder(batchId, caseLevel | c, callerOrg, cn.status);
                    }
                    delete nodes[caseLevel | c];
                }
            }
        }
        Node storage w = nodes[key];
        w.status = NodeStatus.HELD;
        w.unitsOut = false;
        emit ContainerRepacked(batchId, key, callerOrg);
    }

    // ================================================================== views

    /// @inheritdoc IPackingLedger
    function containerState(bytes32 batchId, uint256 key)
        external
        view
        override
        returns (NodeStatus status, bytes32 holderOrgId, uint256 shipmentId, bool inside)
    {
        Layout memory lay = _layout(batchId);
        Node memory n;
        (n, inside) = _resolve(batchId, _nodes[batchId], lay, key);
        if (n.holderSeq == 0) {
            (, holderOrgId) = _registry.batchOwner(batchId);
        } else {
            holderOrgId = orgRegistry().orgIdBySeq(n.holderSeq);
        }
        return (n.status, holderOrgId, n.shipmentId, inside);
    }

    /// @inheritdoc IPackingLedger
    function unitHolder(bytes32 batchId, uint256 index, uint256 unitsPerCase)
        external
        view
        override
        returns (uint32 holderSeq)
    {
        mapping(uint256 => Node) storage nodes = _nodes[batchId];
        Node storage c = nodes[(PackingMerkle.CASE << _LEVEL_SHIFT) | (index / unitsPerCase)];
        if (c.unitsOut) {
            Node memory u = nodes[index];
            if (u.status != NodeStatus.NONE) return _looseHolder(u);
        }
        return c.status == NodeStatus.OPENED ? c.holderSeq : 0;
    }

    /// @inheritdoc IPackingLedger
    function firstNotHeld(
        bytes32 batchId,
        uint256[] calldata indices,
        uint256 count,
        uint256 unitsPerCase,
        uint32 holderSeq
    ) external view override returns (uint256 index) {
        mapping(uint256 => Node) storage nodes = _nodes[batchId];
        uint256 caseKey = type(uint256).max;
        Node memory c;
        for (uint256 i = 0; i < count; ++i) {
            uint256 unit = indices[i];
            uint256 key = (PackingMerkle.CASE << _LEVEL_SHIFT) | (unit / unitsPerCase);
            if (key != caseKey) {
                caseKey = key;
                c = nodes[key];
            }
            uint32 holder = c.status == NodeStatus.OPENED ? c.holderSeq : 0;
            if (c.unitsOut) {
                Node memory u = nodes[unit];
                if (u.status != NodeStatus.NONE) holder = _looseHolder(u);
            }
            if (holder != holderSeq) return unit;
        }
        return type(uint256).max;
    }

    /// @inheritdoc IPackingLedger
    function verifyContainer(bytes32 batchId, uint256 level, uint256 index, bytes32 codeHash, bytes32[] calldata proof)
        external
        view
        override
        returns (bool ok)
    {
        if (!_inLayout(batchId, level, index)) return false;
        (bytes32 root,,,) = _registry.packingOf(batchId);
        return UnitMerkle.verify(proof, root, PackingMerkle.leaf(batchId, level, index, codeHash));
    }

    /// @inheritdoc IPackingLedger
    function caseOfUnit(bytes32 batchId, uint256 index)
        external
        view
        override
        returns (uint256 caseIndex, uint256 palletIndex)
    {
        Layout memory lay = _layout(batchId);
        _checkKey(batchId, lay, index);
        caseIndex = index / lay.unitsPerCase;
        palletIndex = caseIndex / lay.casesPerPallet;
    }

    /// @inheritdoc IPackingLedger
    function quantityOf(bytes32 batchId, uint256 key) external view override returns (uint256 quantity) {
        Layout memory lay = _layout(batchId);
        _checkKey(batchId, lay, key);
        return _quantity(lay, key);
    }

    /// @inheritdoc IPackingLedger
    function custodyLedger() external view override returns (address ledger) {
        return address(_custody);
    }

    // ================================================================== internals

    /// @dev The batch's layout; reverts for a batch that is not packed.
    function _layout(bytes32 batchId) private view returns (Layout memory lay) {
        (uint64 unitCount, uint16 unitsPerCase, uint16 casesPerPallet) = _registry.layoutOf(batchId);
        if (unitsPerCase == 0) revert PackingLedgerNotPacked(batchId);
        return Layout(unitCount, unitsPerCase, casesPerPallet);
    }

    function _caseCount(Layout memory lay) private pure returns (uint256) {
        return (lay.unitCount + lay.unitsPerCase - 1) / lay.unitsPerCase;
    }

    function _palletCount(Layout memory lay) private pure returns (uint256) {
        return (_caseCount(lay) + lay.casesPerPallet - 1) / lay.casesPerPallet;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev Whether (`level`, `index`) is a case or pallet of the batch's layout (false if not packed).
    function _inLayout(bytes32 batchId, uint256 level, uint256 index) private view returns (bool) {
        (, uint64 unitCount, uint16 unitsPerCase, uint16 casesPerPallet) = _registry.packingOf(batchId);
        if (unitsPerCase == 0) return false;
        Layout memory lay = Layout(unitCount, unitsPerCase, casesPerPallet);
        if (level == PackingMerkle.CASE) return index < _caseCount(lay);
        return level == PackingMerkle.PALLET && index < _palletCount(lay);
    }

    /// @dev Reverts unless `key` names a unit, case or pallet of the layout.
    function _checkKey(bytes32 batchId, Layout memory lay, uint256 key) private pure {
        uint256 level = key >> _LEVEL_SHIFT;
        uint256 index = key & _INDEX_MASK;
        uint256 count = level == 0 ? lay.unitCount : level == PackingMerkle.CASE
            ? _caseCount(lay)
            : level == PackingMerkle.PALLET ? _palletCount(lay) : 0;
        if (index >= count) revert PackingLedgerUnknownContainer(batchId, key);
    }

    /// @dev Units in a (checked) container.
    function _quantity(Layout memory lay, uint256 key) private pure returns (uint256) {
        uint256 level = key >> _LEVEL_SHIFT;
        uint256 index = key & _INDEX_MASK;
        if (level == 0) return 1;
        uint256 span = level == PackingMerkle.CASE ? lay.unitsPerCase : lay.unitsPerCase * lay.casesPerPallet;
        return _min((index + 1) * span, lay.unitCount) - index * span;
    }

    /// @dev Checks the list (strictly ascending, known keys) and sums its units (no storage read).
    function _sumQuantities(bytes32 batchId, Layout memory lay, uint256[] calldata items)
        private
        pure
        returns (uint256 quantity)
    {
        if (items.length == 0) revert PackingLedgerUnsortedList(0);
        uint256 previous;
        for (uint256 i = 0; i < items.length; ++i) {
            uint256 key = items[i];
            if (i != 0 && key <= previous) revert PackingLedgerUnsortedList(i);
            previous = key;
            _checkKey(batchId, lay, key);
            quantity += _quantity(lay, key);
        }
    }

    /**
     * @dev Status of a container through its parents: its own record if any (a rejected or
     * voided shipment's container is back, intact, with its sender); else a pallet is with the
     * MAH (seq 0), and a case or unit is loose with the holder of an opened parent, or inside
     * an intact (or in-transit, or missing) parent whose state it reports with `inside`.
     */
    function _resolve(bytes32 batchId, mapping(uint256 => Node) storage nodes, Layout memory lay, uint256 key)
        private
        view
        returns (Node memory n, bool inside)
    {
        n = _settle(nodes[key]);
        if (n.status != NodeStatus.NONE) return (n, false);
        uint256 level = key >> _LEVEL_SHIFT;
        uint256 index = key & _INDEX_MASK;
        if (level == PackingMerkle.PALLET) return (Node(0, NodeStatus.HELD, false, 0), false);
        uint256 parent = level == 0
            ? (PackingMerkle.CASE << _LEVEL_SHIFT) | (index / lay.unitsPerCase)
            : (PackingMerkle.PALLET << _LEVEL_SHIFT) | (index / lay.casesPerPallet);
        (Node memory p,) = _resolve(batchId, nodes, lay, parent);
        if (p.status == NodeStatus.OPENED) return (Node(p.holderSeq, NodeStatus.HELD, false, 0), false);
        return (Node(p.holderSeq, p.status, false, p.shipmentId), true);
    }

    /// @dev A record as it stands: one in transit in a rejected or voided shipment is back,
    /// intact (a unit: loose), with its sender.
    function _settle(Node memory n) private view returns (Node memory) {
        if (n.status == NodeStatus.TRANSIT) {
            ShipmentStatus s = _custody.shipmentStatus(n.shipmentId);
            if (s == ShipmentStatus.REJECTED || s == ShipmentStatus.VOIDED) {
                n.status = NodeStatus.HELD;
                n.shipmentId = 0;
            }
        }
        return n;
    }

    /// @dev The seq holding a unit with a record of its own loose (0: in transit or missing).
    function _looseHolder(Node memory u) private view returns (uint32) {
        u = _settle(u);
        return u.status == NodeStatus.HELD ? u.holderSeq : 0;
    }

    /// @dev Whether a resolved holder (0 = the MAH) is the caller.
    function _holds(bytes32 batchId, uint32 holderSeq, uint32 callerSeq, bytes32 callerOrg)
        private
        view
        returns (bool)
    {
        if (holderSeq != 0) return holderSeq == callerSeq;
        (, bytes32 mahOrgId) = _registry.batchOwner(batchId);
        return mahOrgId == callerOrg;
    }

    /// @dev A unit is getting its own record: flag its case so {unitHolder} reads unit records.
    function _markUnitsOut(mapping(uint256 => Node) storage nodes, Layout memory lay, uint256 unit) private {
        Node storage c = nodes[(PackingMerkle.CASE << _LEVEL_SHIFT) | (unit / lay.unitsPerCase)];
        if (!c.unitsOut) c.unitsOut = true;
    }

    /// @dev Puts each listed item in transit: an intact container the sender holds, not inside
    /// an intact parent, or a loose unit the sender holds that still exists.
    function _moveOut(Ctx memory r, uint256[] calldata items) private {
        mapping(uint256 => Node) storage nodes = _nodes[r.batchId];
        for (uint256 i = 0; i < items.length; ++i) {
            uint256 key = items[i];
            (Node memory n, bool inside) = _resolve(r.batchId, nodes, r.lay, key);
            if (inside || n.status != NodeStatus.HELD || !_holds(r.batchId, n.holderSeq, r.seq, r.org)) {
                revert PackingLedgerNotHolder(r.batchId, key, r.org, n.status);
            }
            if (key >> _LEVEL_SHIFT == 0) {
                if (_custody.unitGone(r.batchId, key)) revert PackingLedgerUnitGone(r.batchId, key);
                _markUnitsOut(nodes, r.lay, key);
            }
            Node storage w = nodes[key];
            w.holderSeq = r.seq;
            w.status = NodeStatus.TRANSIT;
            w.shipmentId = uint64(r.shipmentId);
        }
    }

    /// @dev Every item must be in transit in this shipment (strictly ascending); returns their units.
    function _checkInShipment(Ctx memory r, uint256[] calldata items) private view returns (uint256 quantity) {
        mapping(uint256 => Node) storage nodes = _nodes[r.batchId];
        uint256 previous;
        for (uint256 i = 0; i < items.length; ++i) {
            uint256 key = items[i];
            if (i != 0 && key <= previous) revert PackingLedgerUnsortedList(i);
            previous = key;
            Node memory n = nodes[key]; // one slot read (each read is a cold 2 100 on a 3.x host)
            if (n.status != NodeStatus.TRANSIT || n.shipmentId != r.shipmentId) {
                revert PackingLedgerManifestMismatch(r.shipmentId);
            }
            r.senderSeq = n.holderSeq;
            quantity += _quantity(r.lay, key);
        }
    }

    /// @dev Marks the missing containers (a missing case of a shipped pallet opens that pallet at
    /// the receiver) and returns their units.
    function _markMissing(Ctx memory r, uint256[] calldata items, uint256[] calldata missing)
        private
        returns (uint256 quantity)
    {
        mapping(uint256 => Node) storage nodes = _nodes[r.batchId];
        uint256 previous;
        for (uint256 i = 0; i < missing.length; ++i) {
            uint256 key = missing[i];
            if (i != 0 && key <= previous) revert PackingLedgerUnsortedList(i);
            previous = key;
            Node storage w = nodes[key];
            if (!_contains(items, key)) {
                // a case of a shipped pallet -- not of one itself reported missing (counted twice)
                uint256 pallet = (PackingMerkle.PALLET << _LEVEL_SHIFT) | ((key & _INDEX_MASK) / r.lay.casesPerPallet);
                if (key >> _LEVEL_SHIFT != PackingMerkle.CASE || !_contains(items, pallet) || _contains(missing, pallet)) {
                    revert PackingLedgerNotShipped(r.shipmentId, key);
                }
                w.holderSeq = r.senderSeq; // lost by the sender, like the shipped items reported missing
                Node storage p = nodes[pallet];
                if (p.status == NodeStatus.TRANSIT) {
                    p.holderSeq = r.seq;
                    p.status = NodeStatus.OPENED;
                    p.shipmentId = 0;
                    emit ContainerUnpacked(r.batchId, pallet, r.org);
                }
            }
            w.status = NodeStatus.MISSING;
            w.shipmentId = uint64(r.shipmentId);
            uint256 q = _quantity(r.lay, key);
            quantity += q;
            emit ContainerMissing(r.shipmentId, r.batchId, key, q, r.org);
        }
    }

    /// @dev Every item not reported missing arrives intact (loose, for units) with the receiver.
    function _receiveItems(Ctx memory r, uint256[] calldata items, uint256[] calldata missing) private {
        mapping(uint256 => Node) storage nodes = _nodes[r.batchId];
        uint256 m = 0;
        for (uint256 i = 0; i < items.length; ++i) {
            uint256 key = items[i];
            while (m < missing.length && missing[m] < key) ++m;
            if (m < missing.length && missing[m] == key) continue;
            Node storage w = nodes[key];
            if (w.status == NodeStatus.TRANSIT) { // a pallet opened by a missing case stays opened
                w.holderSeq = r.seq;
                w.status = NodeStatus.HELD;
                w.shipmentId = 0;
            }
        }
    }

    /// @dev Binary search in a strictly ascending list.
    function _contains(uint256[] calldata list, uint256 key) private pure returns (bool) {
        uint256 lo = 0;
        uint256 hi = list.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            uint256 v = list[mid];
            if (v == key) return true;
            if (v < key) lo = mid + 1;
            else hi = mid;
        }
        return false;
    }
}
