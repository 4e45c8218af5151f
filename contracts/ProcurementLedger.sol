// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IProcurementLedger, BidStatus, OrderStatus, DeliveryStatus} from "./interfaces/IProcurementLedger.sol";
import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {LifecycleState, ShipmentStatus} from "./common/DrugTraceTypes.sol";
import {MASK_DISTRIBUTOR, MASK_HOSPITAL, MASK_PLATFORM} from "./common/KindMasks.sol";

/**
 * @title ProcurementLedger - winning bids, purchase orders, deliveries and settlement (seed 001)
 * @notice See {IProcurementLedger}. Transition tables (anything else reverts):
 *  - bid: NONE -publishBid-> ACTIVE -withdrawBid-> WITHDRAWN.
 *  - order: NONE -placeOrder-> PLACED; PLACED -acceptOrder-> ACCEPTED; PLACED -declineOrder->
 *    DECLINED; PLACED -cancelOrder-> CANCELLED; ACCEPTED -confirmReceipt (accepted == quantity)->
 *    FULFILLED; ACCEPTED -closeOrder-> CLOSED.
 *  - delivery: NONE -recordDelivery-> SHIPPED; SHIPPED -confirmReceipt (the hospital; or the
 *    distributor's invoice, first)-> ACCEPTED or REFUSED, per the hospital's custody receipt, at its time;
 *    ACCEPTED -invoice-> INVOICED; INVOICED -recordPayment-> PAID. {flagOverdue} sets a flag on an
 *    ACCEPTED or INVOICED delivery past its deadline, once, without changing its status.
 * @dev Reads the CustodyLedger's shipment views and the DrugRegistry's product/batch views; it is
 * not a "system" member and cannot move custody. Nothing loops over user-growable data (the bid's
 * distributor and volume lists are capped per call).
 */
contract ProcurementLedger is IProcurementLedger, SuiteMember {
    struct Bid {
        bytes32 platformOrgId;
        bytes32 productId;
        bytes32 mahOrgId;
        bytes32 tenderRef;
        uint128 unitPrice;
        uint64 validFrom;
        uint64 validUntil;
        BidStatus status;
    }

    struct Volume {
        uint64 agreed;
        uint64 ordered;
    }

    struct Order {
        bytes32 hospitalOrgId;
        bytes32 distributorOrgId;
        bytes32 orderRef;
        uint64 bidId;
        uint64 quantity;
        uint64 inFlight;
        uint64 accepted;
        uint64 placedAt;
        OrderStatus status;
    }

    struct Delivery {
        uint64 orderId;
        uint64 shipped;
        uint64 accepted;
        uint64 acceptedAt;
        uint64 dueAt;
        uint64 paidAt;
        DeliveryStatus status;
        bool overdueFlagged;
        uint128 amount;
    }

    /// @notice Settlement period until a platform sets its own: 30 days (national VBP rule).
    uint64 public constant DEFAULT_SETTLEMENT_PERIOD_MS = 30 days * 1000;
    uint64 private constant _MAX_PERIOD_MS = 365 days * 1000;
    uint256 private constant _MAX_DISTRIBUTORS = 8;
    uint256 private constant _MAX_VOLUMES = 32;

    ICustodyLedger private immutable _custody;
    IDrugRegistry private immutable _drugs;

    uint256 private _bidCount;
    uint256 private _orderCount;
    mapping(uint256 => Bid) private _bids;
    mapping(uint256 => mapping(bytes32 => bool)) private _allowed;
    mapping(uint256 => mapping(bytes32 => Volume)) private _volumes;
    mapping(uint256 => Order) private _orders;
    mapping(uint256 => Delivery) private _deliveries;
    mapping(bytes32 => uint64) private _periods;

    /**
     * @param orgRegistry_ the suite's OrgRegistry.
     * @param drugs the suite's DrugRegistry.
     * @param custody the suite's CustodyLedger.
     */
    constructor(IOrgRegistry orgRegistry_, IDrugRegistry drugs, ICustodyLedger custody) SuiteMember(orgRegistry_) {
        _drugs = drugs;
        _custody = custody;
    }

    // ================================================================== platform

    /// @inheritdoc IProcurementLedger
    function publishBid(
        bytes32 tenderRef,
        bytes32 productId,
        uint128 unitPrice,
        uint64 validFrom,
        uint64 validUntil,
        bytes32[] calldata distributors
    ) external override returns (uint256 bidId) {
        (bytes32 platform,,,) = _authorize(MASK_PLATFORM);
        uint256 n = distributors.length;
        if (unitPrice == 0 || validFrom >= validUntil || validUntil <= block.timestamp || n == 0 || n > _MAX_DISTRIBUTORS) {
            revert ProcurementLedgerInvalidBid(unitPrice, validFrom, validUntil, n);
        }
        bidId = _newBid(platform, tenderRef, productId, unitPrice, validFrom, validUntil);
        IOrgRegistry orgs = orgRegistry();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 d = distributors[i];
            orgs.requireActiveOrg(d, MASK_DISTRIBUTOR);
            if (!_allowed[bidId][d]) {
                _allowed[bidId][d] = true;
                emit BidDistributorAllowed(bidId, d);
            }
        }
    }

    /// @inheritdoc IProcurementLedger
    function setAgreedVolumes(uint256 bidId, bytes32[] calldata hospitals, uint64[] calldata volumes)
        external
        override
    {
        _platformBid(bidId);
        uint256 n = hospitals.length;
        if (n == 0 || n != volumes.length || n > _MAX_VOLUMES) revert ProcurementLedgerInvalidVolumes(n, volumes.length);
        IOrgRegistry orgs = orgRegistry();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 h = hospitals[i];
            orgs.requireActiveOrg(h, MASK_HOSPITAL);
            Volume storage v = _volumes[bidId][h];
            if (volumes[i] < v.ordered) revert ProcurementLedgerVolumeBelowOrdered(bidId, h, volumes[i], v.ordered);
            v.agreed = volumes[i];
            emit AgreedVolumeSet(bidId, h, volumes[i]);
        }
    }

    /// @inheritdoc IProcurementLedger
    function withdrawBid(uint256 bidId, bytes32 reasonHash) external override {
        Bid storage b = _platformBid(bidId);
        b.status = BidStatus.WITHDRAWN;
        emit BidWithdrawn(bidId, b.platformOrgId, reasonHash);
    }

    /// @inheritdoc IProcurementLedger
    function setSettlementPeriod(uint64 periodMs) external override {
        (bytes32 platform,,,) = _authorize(MASK_PLATFORM);
        if (periodMs < 1 days * 1000 || periodMs > _MAX_PERIOD_MS) revert ProcurementLedgerInvalidPeriod(periodMs);
        _periods[platform] = periodMs;
        emit SettlementPeriodSet(platform, periodMs);
    }

    // ================================================================== orders

    /// @inheritdoc IProcurementLedger
    function placeOrder(uint256 bidId, bytes32 distributorOrgId, uint64 quantity, bytes32 orderRef)
        external
        override
        returns (uint256 orderId)
    {
        (bytes32 hospital,,,) = _authorize(MASK_HOSPITAL);
        Bid storage b = _liveBid(bidId);
        if (!_allowed[bidId][distributorOrgId]) revert ProcurementLedgerDistributorNotAllowed(bidId, distributorOrgId);
        orgRegistry().requireActiveOrg(distributorOrgId, MASK_DISTRIBUTOR);
        Volume storage v = _volumes[bidId][hospital];
        if (quantity == 0 || uint256(v.ordered) + quantity > v.agreed) {
            revert ProcurementLedgerVolumeExceeded(bidId, hospital, v.agreed, v.ordered, quantity);
        }
        v.ordered += quantity;
        orderId = ++_orderCount;
        _orders[orderId] = Order({
            hospitalOrgId: hospital,
            distributorOrgId: distributorOrgId,
            orderRef: orderRef,
            bidId: uint64(bidId),
            quantity: quantity,
            inFlight: 0,
            accepted: 0,
            placedAt: uint64(block.timestamp),
            status: OrderStatus.PLACED
        });
        emit OrderPlaced(orderId, bidId, hospital, distributorOrgId, quantity, b.unitPrice, orderRef);
    }

    /// @inheritdoc IProcurementLedger
    function acceptOrder(uint256 orderId) external override {
        (Order storage o, bytes32 by) = _party(orderId, false);
        _requireOrderStatus(orderId, o, OrderStatus.PLACED);
        _liveBid(o.bidId);
        _moveOrder(orderId, o, OrderStatus.ACCEPTED, by, bytes32(0));
    }

    /// @inheritdoc IProcurementLedger
    function declineOrder(uint256 orderId, bytes32 reasonHash) external override {
        (Order storage o, bytes32 by) = _party(orderId, false);
        _requireOrderStatus(orderId, o, OrderStatus.PLACED);
        _volumes[o.bidId][o.hospitalOrgId].ordered -= o.quantity;
        _moveOrder(orderId, o, OrderStatus.DECLINED, by, reasonHash);
    }

    /// @inheritdoc IProcurementLedger
    function cancelOrder(uint256 orderId, bytes32 reasonHash) external override {
        (Order storage o, bytes32 by) = _party(orderId, true);
        _requireOrderStatus(orderId, o, OrderStatus.PLACED);
        _volumes[o.bidId][o.hospitalOrgId].ordered -= o.quantity;
        _moveOrder(orderId, o, OrderStatus.CANCELLED, by, reasonHash);
    }

    /// @inheritdoc IProcurementLedger
    function closeOrder(uint256 orderId, bytes32 reasonHash) external override {
        (Order storage o, bytes32 by) = _party(orderId, true);
        _requireOrderStatus(orderId, o, OrderStatus.ACCEPTED);
        if (o.inFlight != 0) revert ProcurementLedgerDeliveriesInFlight(orderId, o.inFlight);
        _volumes[o.bidId][o.hospitalOrgId].ordered -= o.quantity - o.accepted;
        _moveOrder(orderId, o, OrderStatus.CLOSED, by, reasonHash);
    }

    // ================================================================== deliveries

    /// @inheritdoc IProcurementLedger
    function recordDelivery(uint256 orderId, uint256 shipmentId) external override {
        (Order storage o,) = _party(orderId, false);
        _requireOrderStatus(orderId, o, OrderStatus.ACCEPTED);
        Delivery storage d = _deliveries[shipmentId];
        if (d.status != DeliveryStatus.NONE) revert ProcurementLedgerShipmentAlreadyCounted(shipmentId, d.orderId);
        (bytes32 batchId, uint64 quantity) = _checkShipment(orderId, o, shipmentId);
        uint64 counted = o.accepted + o.inFlight;
        if (uint256(counted) + quantity > o.quantity) {
            revert ProcurementLedgerOverDelivery(orderId, o.quantity, counted, quantity);
        }
        o.inFlight += quantity;
        d.orderId = uint64(orderId);
        d.shipped = quantity;
        d.status = DeliveryStatus.SHIPPED;
        emit DeliveryRecorded(shipmentId, orderId, batchId, quantity);
    }

    /// @inheritdoc IProcurementLedger
    function confirmReceipt(uint256 shipmentId) external override {
        Delivery storage d = _delivery(shipmentId);
        (Order storage o,) = _party(d.orderId, true);
        _requireDeliveryStatus(shipmentId, d, DeliveryStatus.SHIPPED);
        _accept(shipmentId, d, o);
    }

    // ================================================================== settlement

    /// @inheritdoc IProcurementLedger
    function invoice(uint256 shipmentId, uint128 amount, bytes32 invoiceRef) external override {
        Delivery storage d = _delivery(shipmentId);
        (Order storage o,) = _party(d.orderId, false);
        // the distributor need not wait for the hospital to record its receipt: the receipt is the acceptance
        if (d.status == DeliveryStatus.SHIPPED) _accept(shipmentId, d, o);
        _requireDeliveryStatus(shipmentId, d, DeliveryStatus.ACCEPTED);
        uint256 expected = uint256(d.accepted) * _bids[o.bidId].unitPrice;
        if (amount != expected) revert ProcurementLedgerInvoiceMismatch(shipmentId, expected, amount);
        d.amount = amount;
        d.status = DeliveryStatus.INVOICED;
        emit Invoiced(shipmentId, d.orderId, amount, invoiceRef);
    }

    /// @inheritdoc IProcurementLedger
    function recordPayment(uint256 shipmentId, uint128 amount, bytes32 paymentRef) external override {
        Delivery storage d = _delivery(shipmentId);
        (Order storage o,) = _party(d.orderId, true);
        _requireDeliveryStatus(shipmentId, d, DeliveryStatus.INVOICED);
        if (amount != d.amount) revert ProcurementLedgerPaymentMismatch(shipmentId, d.amount, amount);
        uint64 at = uint64(block.timestamp);
        bool late = at > d.dueAt;
        d.paidAt = at;
        d.status = DeliveryStatus.PAID;
        emit PaymentRecorded(shipmentId, d.orderId, amount, at, d.dueAt, paymentRef, late);
        if (late) emit SettlementOverdue(shipmentId, d.orderId, o.hospitalOrgId, o.distributorOrgId, d.dueAt, at, true);
    }

    /// @inheritdoc IProcurementLedger
    function flagOverdue(uint256 shipmentId) external override {
        if (orgRegistry().paused()) revert IOrgRegistry.OrgRegistryEnforcedPause();
        Delivery storage d = _delivery(shipmentId);
        uint64 at = uint64(block.timestamp);
        bool open = d.status == DeliveryStatus.ACCEPTED || d.status == DeliveryStatus.INVOICED;
        if (!open || at <= d.dueAt || d.overdueFlagged) revert ProcurementLedgerNotOverdue(shipmentId, d.dueAt, at);
        d.overdueFlagged = true;
        Order storage o = _orders[d.orderId];
        emit SettlementOverdue(shipmentId, d.orderId, o.hospitalOrgId, o.distributorOrgId, d.dueAt, at, false);
    }

    // ================================================================== views

    /// @inheritdoc IProcurementLedger
    function getBid(uint256 bidId)
        external
        view
        override
        returns (
            bytes32 platformOrgId,
            bytes32 productId,
            bytes32 mahOrgId,
            uint128 unitPrice,
            uint64 validFrom,
            uint64 validUntil,
            BidStatus status,
            bytes32 tenderRef
        )
    {
        Bid storage b = _bid(bidId);
        return (b.platformOrgId, b.productId, b.mahOrgId, b.unitPrice, b.validFrom, b.validUntil, b.status, b.tenderRef);
    }

    /// @inheritdoc IProcurementLedger
    function isAllowedDistributor(uint256 bidId, bytes32 distributorOrgId) external view override returns (bool allowed) {
        return _allowed[bidId][distributorOrgId];
    }

    /// @inheritdoc IProcurementLedger
    function volumeOf(uint256 bidId, bytes32 hospitalOrgId)
        external
        view
        override
        returns (uint64 agreed, uint64 ordered)
    {
        Volume storage v = _volumes[bidId][hospitalOrgId];
        return (v.agreed, v.ordered);
    }

    /// @inheritdoc IProcurementLedger
    function getOrder(uint256 orderId)
        external
        view
        override
        returns (
            uint256 bidId,
            bytes32 hospitalOrgId,
            bytes32 distributorOrgId,
            uint64 quantity,
            uint64 inFlight,
            uint64 accepted,
            uint64 placedAt,
            OrderStatus status,
            bytes32 orderRef
        )
    {
        Order storage o = _order(orderId);
        return (o.bidId, o.hospitalOrgId, o.distributorOrgId, o.quantity, o.inFlight, o.accepted, o.placedAt, o.status,
            o.orderRef);
    }

    /// @inheritdoc IProcurementLedger
    function getDelivery(uint256 shipmentId)
        external
        view
        override
        returns (
            uint256 orderId,
            uint64 shipped,
            uint64 accepted,
            uint64 acceptedAt,
            uint64 dueAt,
            uint128 amount,
            uint64 paidAt,
            DeliveryStatus status,
            bool overdueFlagged
        )
    {
        Delivery storage d = _deliveries[shipmentId];
        return (d.orderId, d.shipped, d.accepted, d.acceptedAt, d.dueAt, d.amount, d.paidAt, d.status, d.overdueFlagged);
    }

    /// @inheritdoc IProcurementLedger
    function settlementPeriodOf(bytes32 platformOrgId) public view override returns (uint64 periodMs) {
        periodMs = _periods[platformOrgId];
        if (periodMs == 0) periodMs = DEFAULT_SETTLEMENT_PERIOD_MS;
    }

    /// @inheritdoc IProcurementLedger
    function bidCount() external view override returns (uint256 count) {
        return _bidCount;
    }

    /// @inheritdoc IProcurementLedger
    function orderCount() external view override returns (uint256 count) {
        return _orderCount;
    }

    /// @inheritdoc IProcurementLedger
    function custodyLedger() external view override returns (address ledger) {
        return address(_custody);
    }

    /// @inheritdoc IProcurementLedger
    function drugRegistry() external view override returns (address registry) {
        return address(_drugs);
    }

    // ================================================================== internals

    /// @dev An existing bid.
    function _bid(uint256 bidId) private view returns (Bid storage b) {
        b = _bids[bidId];
        if (b.status == BidStatus.NONE) revert ProcurementLedgerUnknownBid(bidId);
    }

    /// @dev An ACTIVE bid of the calling platform.
    function _platformBid(uint256 bidId) private view returns (Bid storage b) {
        (bytes32 platform,,,) = _authorize(MASK_PLATFORM);
        b = _bid(bidId);
        if (b.platformOrgId != platform) revert ProcurementLedgerNotParty(platform, b.platformOrgId);
        if (b.status != BidStatus.ACTIVE) revert ProcurementLedgerBidNotActive(bidId, b.status);
    }

    /// @dev An ACTIVE bid within its validity now.
    function _liveBid(uint256 bidId) private view returns (Bid storage b) {
        b = _bid(bidId);
        uint64 at = uint64(block.timestamp);
        if (b.status != BidStatus.ACTIVE || at < b.validFrom || at > b.validUntil) {
            revert ProcurementLedgerBidNotLive(bidId, b.status, b.validFrom, b.validUntil, at);
        }
    }

    /// @dev An existing order.
    function _order(uint256 orderId) private view returns (Order storage o) {
        o = _orders[orderId];
        if (o.status == OrderStatus.NONE) revert ProcurementLedgerUnknownOrder(orderId);
    }

    /// @dev An existing order and the caller's org, which must be its hospital (`hospital`) or its distributor.
    function _party(uint256 orderId, bool hospital) private view returns (Order storage o, bytes32 by) {
        (by,,,) = _authorize(hospital ? MASK_HOSPITAL : MASK_DISTRIBUTOR);
        o = _order(orderId);
        bytes32 expected = hospital ? o.hospitalOrgId : o.distributorOrgId;
        if (by != expected) revert ProcurementLedgerNotParty(by, expected);
    }

    /// @dev An existing delivery.
    function _delivery(uint256 shipmentId) private view returns (Delivery storage d) {
        d = _deliveries[shipmentId];
        if (d.status == DeliveryStatus.NONE) revert ProcurementLedgerUnknownDelivery(shipmentId);
    }

    function _requireOrderStatus(uint256 orderId, Order storage o, OrderStatus status) private view {
        if (o.status != status) revert ProcurementLedgerInvalidOrderStatus(orderId, o.status);
    }

    function _requireDeliveryStatus(uint256 shipmentId, Delivery storage d, DeliveryStatus status) private view {
        if (d.status != status) revert ProcurementLedgerInvalidDeliveryStatus(shipmentId, d.status);
    }

    /// @dev The shipment goes from the order's distributor to its hospital, is no return, carries
    /// the bid's product and was not rejected or voided; returns its batch and quantity.
    function _checkShipment(uint256 orderId, Order storage o, uint256 shipmentId)
        private
        view
        returns (bytes32 batchId, uint64 quantity)
    {
        bytes32 from;
        bytes32 to;
        ShipmentStatus status;
        bool isReturn;
        (batchId, from, to,, quantity,,, status, isReturn,) = _custody.getShipment(shipmentId);
        if (status == ShipmentStatus.NONE || isReturn || from != o.distributorOrgId || to != o.hospitalOrgId) {
            revert ProcurementLedgerShipmentMismatch(shipmentId, orderId);
        }
        if (status == ShipmentStatus.REJECTED || status == ShipmentStatus.VOIDED) {
            revert ProcurementLedgerShipmentNotDeliverable(shipmentId, status);
        }
        (bytes32 productId,,,,,,,,) = _drugs.getBatch(batchId);
        if (productId != _bids[o.bidId].productId) revert ProcurementLedgerShipmentMismatch(shipmentId, orderId);
    }

    /// @dev Takes the hospital's custody receipt of a SHIPPED delivery as its acceptance: the
    /// units received are accepted at the receipt's time, and the settlement clock starts there.
    /// A rejected or voided shipment (or one received empty) is REFUSED; in transit reverts.
    function _accept(uint256 shipmentId, Delivery storage d, Order storage o) private {
        uint256 orderId = d.orderId;
        (,,,,, uint64 received,, ShipmentStatus status,,) = _custody.getShipment(shipmentId);
        if (status == ShipmentStatus.DISPATCHED) revert ProcurementLedgerShipmentNotReceived(shipmentId);
        o.inFlight -= d.shipped;
        bool counted = (status == ShipmentStatus.RECEIVED || status == ShipmentStatus.PARTIAL) && received != 0;
        if (!counted) {
            d.status = DeliveryStatus.REFUSED;
            emit DeliveryRefused(shipmentId, orderId, status);
            return;
        }
        uint64 acceptedAt = _custody.receivedAt(shipmentId);
        uint64 dueAt = acceptedAt + settlementPeriodOf(_bids[o.bidId].platformOrgId);
        d.accepted = received;
        d.acceptedAt = acceptedAt;
        d.dueAt = dueAt;
        d.status = DeliveryStatus.ACCEPTED;
        o.accepted += received;
        emit DeliveryAccepted(shipmentId, orderId, received, acceptedAt, dueAt);
        if (o.accepted == o.quantity) _moveOrder(orderId, o, OrderStatus.FULFILLED, o.hospitalOrgId, bytes32(0));
    }

    /// @dev Stores a new ACTIVE bid of a LISTED product (its MAH recorded) and emits {BidPublished}.
    function _newBid(
        bytes32 platform,
        bytes32 tenderRef,
        bytes32 productId,
        uint128 unitPrice,
        uint64 validFrom,
        uint64 validUntil
    ) private returns (uint256 bidId) {
        (bytes32 mah, LifecycleState state,,,) = _drugs.getProduct(productId);
        if (state != LifecycleState.LISTED) revert ProcurementLedgerProductNotListed(productId, uint8(state));
        bidId = ++_bidCount;
        Bid storage b = _bids[bidId];
        b.platformOrgId = platform;
        b.productId = productId;
        b.mahOrgId = mah;
        b.tenderRef = tenderRef;
        b.unitPrice = unitPrice;
        b.validFrom = validFrom;
        b.validUntil = validUntil;
        b.status = BidStatus.ACTIVE;
        _emitBid(bidId, b);
    }

    /// @dev Emits {BidPublished} from storage (keeps {_newBid}'s stack small).
    function _emitBid(uint256 bidId, Bid storage b) private {
        emit BidPublished(bidId, b.platformOrgId, b.productId, b.mahOrgId, b.unitPrice, b.validFrom, b.validUntil,
            b.tenderRef);
    }

    /// @dev Moves an order to `to` and emits {OrderStatusChanged}.
    function _moveOrder(uint256 orderId, Order storage o, OrderStatus to, bytes32 by, bytes32 reasonHash) private {
        OrderStatus from = o.status;
        o.status = to;
        emit OrderStatusChanged(orderId, from, to, by, reasonHash);
    }
}
