// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {ShipmentStatus} from "../common/DrugTraceTypes.sol";

/// @notice Status of a winning bid. Numbering is part of the ABI: append only.
enum BidStatus {
    NONE,       // 0: not published
    ACTIVE,     // 1: published; live between its validFrom and validUntil
    WITHDRAWN   // 2: withdrawn by its platform (terminal)
}

/// @notice Status of a purchase order.
enum OrderStatus {
    NONE,       // 0
    PLACED,     // 1: placed by the hospital, awaiting the distributor
    ACCEPTED,   // 2: accepted by the distributor; deliveries may be recorded
    DECLINED,   // 3: declined by the distributor (terminal, volume released)
    CANCELLED,  // 4: cancelled by the hospital before acceptance (terminal, volume released)
    FULFILLED,  // 5: accepted quantity reached the ordered quantity (terminal)
    CLOSED      // 6: closed short by the hospital, nothing in flight (terminal, rest released)
}

/// @notice Status of a delivery (one custody shipment counted against one order line).
enum DeliveryStatus {
    NONE,       // 0
    SHIPPED,    // 1: the shipment is linked to the order, not yet received
    ACCEPTED,   // 2: the hospital received it (custody receipt); settlement clock running
    REFUSED,    // 3: the shipment was rejected or voided in custody (terminal, nothing accepted)
    INVOICED,   // 4: the distributor recorded the invoice
    PAID        // 5: the hospital recorded the payment (terminal)
}

/**
 * @title IProcurementLedger - provincial centralised procurement: winning bids, orders, deliveries, settlement
 * @notice A procurement platform publishes the winning bids of a tender (product, MAH, allowed
 * distributors, unit price, agreed volume per hospital, validity). A hospital orders only against
 * a live bid, at the bid's price, within its agreed volume, from an allowed distributor, who
 * accepts or declines. A delivery is a custody shipment of the bid's product from that distributor
 * to that hospital, linked once to the order line; the hospital's custody receipt is the
 * acceptance and starts the settlement clock (the platform's period, 30 days by default). The
 * distributor invoices exactly accepted quantity x unit price; the hospital records the payment.
 * A payment after the deadline, or a {flagOverdue} call by anyone once it has passed, emits
 * {SettlementOverdue}. Money stays off chain: amounts are in the currency's smallest unit (fen),
 * with references and times (milliseconds).
 */
interface IProcurementLedger {
    // ------------------------------------------------------------------ errors
    /// @notice No bid with this id.
    /// @param bidId the bid.
    error ProcurementLedgerUnknownBid(uint256 bidId);
    /// @notice No order with this id.
    /// @param orderId the order.
    error ProcurementLedgerUnknownOrder(uint256 orderId);
    /// @notice No delivery is recorded for this shipment.
    /// @param shipmentId the custody shipment.
    error ProcurementLedgerUnknownDelivery(uint256 shipmentId);
    /// @notice The caller's organisation is not the party this step belongs to.
    /// @param callerOrgId the caller's organisation.
    /// @param expectedOrgId the organisation that may act.
    error ProcurementLedgerNotParty(bytes32 callerOrgId, bytes32 expectedOrgId);
    /// @notice A bid's terms are invalid (zero price, empty or reversed validity, no or too many distributors).
    /// @param unitPrice the unit price given.
    /// @param validFrom start of validity (ms).
    /// @param validUntil end of validity (ms).
    /// @param distributors number of distributors given.
    error ProcurementLedgerInvalidBid(uint256 unitPrice, uint64 validFrom, uint64 validUntil, uint256 distributors);
    /// @notice The product is not on the market (a bid needs a LISTED product).
    /// @param productId the product.
    /// @param state its lifecycle state.
    error ProcurementLedgerProductNotListed(bytes32 productId, uint8 state);
    /// @notice The bid is withdrawn or outside its validity period at `at`.
    /// @param bidId the bid.
    /// @param status its status.
    /// @param validFrom start of validity (ms).
    /// @param validUntil end of validity (ms).
    /// @param at the block time (ms).
    error ProcurementLedgerBidNotLive(uint256 bidId, BidStatus status, uint64 validFrom, uint64 validUntil, uint64 at);
    /// @notice The bid is not ACTIVE (withdrawn).
    /// @param bidId the bid.
    /// @param status its status.
    error ProcurementLedgerBidNotActive(uint256 bidId, BidStatus status);
    /// @notice The distributor is not one the bid allows to deliver.
    /// @param bidId the bid.
    /// @param distributorOrgId the distributor named.
    error ProcurementLedgerDistributorNotAllowed(uint256 bidId, bytes32 distributorOrgId);
    /// @notice Volume list with mismatched lengths, empty or longer than the per-call limit.
    /// @param hospitals hospitals given.
    /// @param volumes volumes given.
    error ProcurementLedgerInvalidVolumes(uint256 hospitals, uint256 volumes);
    /// @notice A hospital's agreed volume cannot be set below what it has already ordered.
    /// @param bidId the bid.
    /// @param hospitalOrgId the hospital.
    /// @param volume the volume asked for.
    /// @param ordered already ordered.
    error ProcurementLedgerVolumeBelowOrdered(uint256 bidId, bytes32 hospitalOrgId, uint64 volume, uint64 ordered);
    /// @notice The order would take the hospital past its agreed volume (or orders nothing).
    /// @param bidId the bid.
    /// @param hospitalOrgId the hospital.
    /// @param agreed its agreed volume.
    /// @param ordered already ordered.
    /// @param quantity asked for.
    error ProcurementLedgerVolumeExceeded(
        uint256 bidId, bytes32 hospitalOrgId, uint64 agreed, uint64 ordered, uint64 quantity
    );
    /// @notice The order is not in the status this step needs.
    /// @param orderId the order.
    /// @param status its status.
    error ProcurementLedgerInvalidOrderStatus(uint256 orderId, OrderStatus status);
    /// @notice The order still has deliveries shipped but not yet received.
    /// @param orderId the order.
    /// @param inFlight units in flight.
    error ProcurementLedgerDeliveriesInFlight(uint256 orderId, uint64 inFlight);
    /// @notice The shipment is already counted against an order.
    /// @param shipmentId the shipment.
    /// @param orderId the order it is counted against.
    error ProcurementLedgerShipmentAlreadyCounted(uint256 shipmentId, uint256 orderId);
    /// @notice The shipment is not from the order's distributor to its hospital of the bid's
    /// product (or is a return, or does not exist).
    /// @param shipmentId the shipment.
    /// @param orderId the order.
    error ProcurementLedgerShipmentMismatch(uint256 shipmentId, uint256 orderId);
    /// @notice The shipment was rejected or voided in custody: nothing to deliver.
    /// @param shipmentId the shipment.
    /// @param status its custody status.
    error ProcurementLedgerShipmentNotDeliverable(uint256 shipmentId, ShipmentStatus status);
    /// @notice The shipment would take the order past its quantity.
    /// @param orderId the order.
    /// @param quantity ordered.
    /// @param counted accepted plus in flight.
    /// @param shipped units on the shipment.
    error ProcurementLedgerOverDelivery(uint256 orderId, uint64 quantity, uint64 counted, uint64 shipped);
    /// @notice The shipment is still in transit: the hospital has not received it.
    /// @param shipmentId the shipment.
    error ProcurementLedgerShipmentNotReceived(uint256 shipmentId);
    /// @notice The delivery is not in the status this step needs.
    /// @param shipmentId the shipment.
    /// @param status its delivery status.
    error ProcurementLedgerInvalidDeliveryStatus(uint256 shipmentId, DeliveryStatus status);
    /// @notice The invoice amount is not accepted quantity x bid price.
    /// @param shipmentId the delivery.
    /// @param expected accepted x unit price.
    /// @param amount the amount given.
    error ProcurementLedgerInvoiceMismatch(uint256 shipmentId, uint256 expected, uint256 amount);
    /// @notice The payment amount is not the invoice amount.
    /// @param shipmentId the delivery.
    /// @param invoiced the invoice amount.
    /// @param amount the amount given.
    error ProcurementLedgerPaymentMismatch(uint256 shipmentId, uint256 invoiced, uint256 amount);
    /// @notice The settlement deadline has not passed, the delivery is paid, or it was flagged already.
    /// @param shipmentId the delivery.
    /// @param dueAt its deadline (ms).
    /// @param at the block time (ms).
    error ProcurementLedgerNotOverdue(uint256 shipmentId, uint64 dueAt, uint64 at);
    /// @notice A settlement period outside 1 .. 365 days.
    /// @param periodMs the period given (ms).
    error ProcurementLedgerInvalidPeriod(uint64 periodMs);

    // ------------------------------------------------------------------ events
    /// @notice A winning bid was published.
    /// @param bidId the bid.
    /// @param platformOrgId the publishing platform.
    /// @param productId the product.
    /// @param mahOrgId the product's MAH.
    /// @param unitPrice price per unit (smallest currency unit).
    /// @param validFrom start of validity (ms).
    /// @param validUntil end of validity (ms).
    /// @param tenderRef reference of the tender document.
    event BidPublished(
        uint256 indexed bidId,
        bytes32 indexed platformOrgId,
        bytes32 indexed productId,
        bytes32 mahOrgId,
        uint128 unitPrice,
        uint64 validFrom,
        uint64 validUntil,
        bytes32 tenderRef
    );
    /// @notice A distributor may deliver under the bid.
    /// @param bidId the bid.
    /// @param distributorOrgId the distributor.
    event BidDistributorAllowed(uint256 indexed bidId, bytes32 indexed distributorOrgId);
    /// @notice A hospital's agreed volume under the bid was set.
    /// @param bidId the bid.
    /// @param hospitalOrgId the hospital.
    /// @param volume agreed units over the bid's validity.
    event AgreedVolumeSet(uint256 indexed bidId, bytes32 indexed hospitalOrgId, uint64 volume);
    /// @notice The platform withdrew the bid.
    /// @param bidId the bid.
    /// @param platformOrgId the platform.
    /// @param reasonHash hash of the reason.
    event BidWithdrawn(uint256 indexed bidId, bytes32 indexed platformOrgId, bytes32 reasonHash);
    /// @notice A platform set its settlement period.
    /// @param platformOrgId the platform.
    /// @param periodMs days from acceptance to payment, in ms.
    event SettlementPeriodSet(bytes32 indexed platformOrgId, uint64 periodMs);
    /// @notice A hospital placed a purchase order.
    /// @param orderId the order.
    /// @param bidId the bid.
    /// @param hospitalOrgId the hospital.
    /// @param distributorOrgId the distributor addressed.
    /// @param quantity units ordered.
    /// @param unitPrice the bid's price.
    /// @param orderRef the hospital's order reference.
    event OrderPlaced(
        uint256 indexed orderId,
        uint256 indexed bidId,
        bytes32 indexed hospitalOrgId,
        bytes32 distributorOrgId,
        uint64 quantity,
        uint128 unitPrice,
        bytes32 orderRef
    );
    /// @notice An order changed status.
    /// @param orderId the order.
    /// @param from previous status.
    /// @param to new status.
    /// @param byOrgId the acting organisation.
    /// @param reasonHash hash of the reason (zero when none).
    event OrderStatusChanged(
        uint256 indexed orderId, OrderStatus from, OrderStatus to, bytes32 indexed byOrgId, bytes32 reasonHash
    );
    /// @notice A custody shipment was counted against an order line.
    /// @param shipmentId the shipment.
    /// @param orderId the order.
    /// @param batchId the shipment's batch.
    /// @param quantity units shipped.
    event DeliveryRecorded(uint256 indexed shipmentId, uint256 indexed orderId, bytes32 batchId, uint64 quantity);
    /// @notice The hospital's receipt was counted: accepted units, and the settlement deadline.
    /// @param shipmentId the shipment.
    /// @param orderId the order.
    /// @param accepted units received.
    /// @param acceptedAt time of acceptance (ms).
    /// @param dueAt settlement deadline (ms).
    event DeliveryAccepted(
        uint256 indexed shipmentId, uint256 indexed orderId, uint64 accepted, uint64 acceptedAt, uint64 dueAt
    );
    /// @notice The shipment was rejected or voided in custody; nothing counted.
    /// @param shipmentId the shipment.
    /// @param orderId the order.
    /// @param status its custody status.
    event DeliveryRefused(uint256 indexed shipmentId, uint256 indexed orderId, ShipmentStatus status);
    /// @notice The distributor recorded the invoice of a delivery.
    /// @param shipmentId the delivery.
    /// @param orderId the order.
    /// @param amount invoice amount (accepted x unit price).
    /// @param invoiceRef invoice reference (number or hash).
    event Invoiced(uint256 indexed shipmentId, uint256 indexed orderId, uint128 amount, bytes32 invoiceRef);
    /// @notice The hospital recorded the payment of a delivery.
    /// @param shipmentId the delivery.
    /// @param orderId the order.
    /// @param amount amount paid (the invoice amount).
    /// @param paidAt time of recording (ms).
    /// @param dueAt the settlement deadline (ms).
    /// @param paymentRef payment reference (bank transfer number or hash).
    /// @param late true if paid after the deadline.
    event PaymentRecorded(
        uint256 indexed shipmentId,
        uint256 indexed orderId,
        uint128 amount,
        uint64 paidAt,
        uint64 dueAt,
        bytes32 paymentRef,
        bool late
    );
    /// @notice Alert: a settlement deadline was missed (flagged while unpaid, or paid late).
    /// @param shipmentId the delivery.
    /// @param orderId the order.
    /// @param hospitalOrgId the paying hospital.
    /// @param distributorOrgId the distributor owed.
    /// @param dueAt the deadline (ms).
    /// @param at the time of the flag or the late payment (ms).
    /// @param paid true when raised by the late payment itself.
    event SettlementOverdue(
        uint256 indexed shipmentId,
        uint256 indexed orderId,
        bytes32 indexed hospitalOrgId,
        bytes32 distributorOrgId,
        uint64 dueAt,
        uint64 at,
        bool paid
    );

    // ------------------------------------------------------------------ writes
    /**
     * @notice Publish a winning bid of a tender.
     * @dev Requirements: caller's org is an ACTIVE PROCUREMENT_PLATFORM; product LISTED; price > 0;
     * validFrom < validUntil and validUntil in the future; 1..8 distributors, each an ACTIVE
     * DISTRIBUTOR. The MAH is the product's. Emits {BidPublished} and {BidDistributorAllowed} per
     * distributor.
     * @param tenderRef tender document reference.
     * @param productId the product.
     * @param unitPrice price per unit (smallest currency unit).
     * @param validFrom start of validity (ms).
     * @param validUntil end of validity (ms).
     * @param distributors the distributors allowed to deliver.
     * @return bidId the new bid (1-based).
     */
    function publishBid(
        bytes32 tenderRef,
        bytes32 productId,
        uint128 unitPrice,
        uint64 validFrom,
        uint64 validUntil,
        bytes32[] calldata distributors
    ) external returns (uint256 bidId);

    /**
     * @notice Set hospitals' agreed volumes under a bid (up to 32 per call).
     * @dev Requirements: the bid's platform; bid ACTIVE; equal non-empty lengths; each an ACTIVE
     * HOSPITAL; no volume below what that hospital already ordered. Emits {AgreedVolumeSet} each.
     * @param bidId the bid.
     * @param hospitals the hospitals.
     * @param volumes their agreed volumes (units over the bid's validity).
     */
    function setAgreedVolumes(uint256 bidId, bytes32[] calldata hospitals, uint64[] calldata volumes) external;

    /**
     * @notice Withdraw a bid: no new order, no acceptance of a placed one.
     * @dev Requirements: the bid's platform; bid ACTIVE. Emits {BidWithdrawn}.
     * @param bidId the bid.
     * @param reasonHash hash of the reason.
     */
    function withdrawBid(uint256 bidId, bytes32 reasonHash) external;

    /**
     * @notice Set the caller platform's settlement period (applies to deliveries accepted afterwards).
     * @dev Requirements: an ACTIVE PROCUREMENT_PLATFORM; 1 .. 365 days. Emits {SettlementPeriodSet}.
     * @param periodMs the period in ms.
     */
    function setSettlementPeriod(uint64 periodMs) external;

    /**
     * @notice Place a purchase order against a live bid, at its price.
     * @dev Requirements: an ACTIVE HOSPITAL; bid live; distributor allowed and ACTIVE; 0 < quantity
     * and ordered + quantity <= agreed volume. Emits {OrderPlaced}.
     * @param bidId the bid.
     * @param distributorOrgId the distributor addressed.
     * @param quantity units.
     * @param orderRef the hospital's order reference.
     * @return orderId the new order (1-based).
     */
    function placeOrder(uint256 bidId, bytes32 distributorOrgId, uint64 quantity, bytes32 orderRef)
        external
        returns (uint256 orderId);

    /**
     * @notice Accept an order (PLACED -> ACCEPTED).
     * @dev Requirements: the order's distributor; bid still live. Emits {OrderStatusChanged}.
     * @param orderId the order.
     */
    function acceptOrder(uint256 orderId) external;

    /**
     * @notice Decline an order (PLACED -> DECLINED); its quantity goes back to the agreed volume.
     * @dev Requirements: the order's distributor. Emits {OrderStatusChanged}.
     * @param orderId the order.
     * @param reasonHash hash of the reason.
     */
    function declineOrder(uint256 orderId, bytes32 reasonHash) external;

    /**
     * @notice Cancel an order not yet accepted (PLACED -> CANCELLED).
     * @dev Requirements: the order's hospital. Emits {OrderStatusChanged}.
     * @param orderId the order.
     * @param reasonHash hash of the reason.
     */
    function cancelOrder(uint256 orderId, bytes32 reasonHash) external;

    /**
     * @notice Close an accepted order short (ACCEPTED -> CLOSED); the undelivered rest goes back
     * to the agreed volume.
     * @dev Requirements: the order's hospital; nothing in flight. Emits {OrderStatusChanged}.
     * @param orderId the order.
     * @param reasonHash hash of the reason.
     */
    function closeOrder(uint256 orderId, bytes32 reasonHash) external;

    /**
     * @notice Count a custody shipment against an accepted order line.
     * @dev Requirements: the order's distributor; order ACCEPTED; shipment not counted before,
     * not a return, from that distributor to that hospital, of a batch of the bid's product, not
     * rejected or voided; accepted + in flight + shipment quantity <= ordered. Emits {DeliveryRecorded}.
     * @param orderId the order.
     * @param shipmentId the CustodyLedger shipment.
     */
    function recordDelivery(uint256 orderId, uint256 shipmentId) external;

    /**
     * @notice Record the hospital's custody receipt of a delivered shipment as its acceptance.
     * @dev Requirements: the order's hospital; delivery SHIPPED; shipment no longer in transit.
     * RECEIVED/PARTIAL with units: ACCEPTED with the units received, accepted at the receipt's
     * time ({ICustodyLedger-receivedAt}, not this transaction's), deadline = receipt time + the
     * platform's period, the order FULFILLED once accepted reaches its quantity. Rejected, voided
     * or nothing received: REFUSED. {invoice} does the same first when the hospital has not.
     * Emits {DeliveryAccepted} or {DeliveryRefused} (and {OrderStatusChanged}).
     * @param shipmentId the shipment.
     */
    function confirmReceipt(uint256 shipmentId) external;

    /**
     * @notice Record the invoice of an accepted delivery.
     * @dev Requirements: the order's distributor; delivery ACCEPTED, or SHIPPED and received by the
     * hospital (then first accepted as in {confirmReceipt}); amount == accepted x unit price.
     * Emits {Invoiced} (after {DeliveryAccepted} when it accepted).
     * @param shipmentId the delivery.
     * @param amount invoice amount.
     * @param invoiceRef invoice reference.
     */
    function invoice(uint256 shipmentId, uint128 amount, bytes32 invoiceRef) external;

    /**
     * @notice Record the payment of an invoiced delivery.
     * @dev Requirements: the order's hospital; delivery INVOICED; amount == invoice amount. Emits
     * {PaymentRecorded}, and {SettlementOverdue} when after the deadline.
     * @param shipmentId the delivery.
     * @param amount amount paid.
     * @param paymentRef payment reference.
     */
    function recordPayment(uint256 shipmentId, uint128 amount, bytes32 paymentRef) external;

    /**
     * @notice Raise the overdue alert of an unpaid delivery past its deadline (anyone, once).
     * @dev Requirements: suite not paused; delivery ACCEPTED or INVOICED; now > deadline; not
     * flagged before. Emits {SettlementOverdue}.
     * @param shipmentId the delivery.
     */
    function flagOverdue(uint256 shipmentId) external;

    // ------------------------------------------------------------------ views
    /**
     * @notice A bid.
     * @param bidId the bid.
     * @return platformOrgId publishing platform.
     * @return productId product.
     * @return mahOrgId the product's MAH.
     * @return unitPrice price per unit.
     * @return validFrom start of validity (ms).
     * @return validUntil end of validity (ms).
     * @return status status.
     * @return tenderRef tender reference.
     */
    function getBid(uint256 bidId)
        external
        view
        returns (
            bytes32 platformOrgId,
            bytes32 productId,
            bytes32 mahOrgId,
            uint128 unitPrice,
            uint64 validFrom,
            uint64 validUntil,
            BidStatus status,
            bytes32 tenderRef
        );

    /**
     * @notice Whether a distributor may deliver under a bid.
     * @param bidId the bid.
     * @param distributorOrgId the distributor.
     * @return allowed true if allowed.
     */
    function isAllowedDistributor(uint256 bidId, bytes32 distributorOrgId) external view returns (bool allowed);

    /**
     * @notice A hospital's agreed volume under a bid and how much of it is ordered.
     * @param bidId the bid.
     * @param hospitalOrgId the hospital.
     * @return agreed agreed units.
     * @return ordered units on orders placed, accepted or fulfilled (declined, cancelled and the
     * undelivered rest of closed orders released).
     */
    function volumeOf(uint256 bidId, bytes32 hospitalOrgId) external view returns (uint64 agreed, uint64 ordered);

    /**
     * @notice An order.
     * @param orderId the order.
     * @return bidId its bid.
     * @return hospitalOrgId the ordering hospital.
     * @return distributorOrgId the distributor.
     * @return quantity units ordered.
     * @return inFlight units shipped, not yet received.
     * @return accepted units accepted.
     * @return placedAt time placed (ms).
     * @return status status.
     * @return orderRef the hospital's reference.
     */
    function getOrder(uint256 orderId)
        external
        view
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
        );

    /**
     * @notice The delivery of a shipment.
     * @param shipmentId the shipment.
     * @return orderId its order (0: not a delivery).
     * @return shipped units shipped.
     * @return accepted units accepted.
     * @return acceptedAt time of acceptance (ms).
     * @return dueAt settlement deadline (ms).
     * @return amount invoice amount (0 before the invoice).
     * @return paidAt time of payment (ms, 0 unpaid).
     * @return status status.
     * @return overdueFlagged whether the overdue alert was raised.
     */
    function getDelivery(uint256 shipmentId)
        external
        view
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
        );

    /**
     * @notice A platform's settlement period (the default, 30 days, until it sets one).
     * @param platformOrgId the platform.
     * @return periodMs the period in ms.
     */
    function settlementPeriodOf(bytes32 platformOrgId) external view returns (uint64 periodMs);

    /// @notice Bids published so far (ids are 1 .. bidCount).
    /// @return count the count.
    function bidCount() external view returns (uint256 count);

    /// @notice Orders placed so far (ids are 1 .. orderCount).
    /// @return count the count.
    function orderCount() external view returns (uint256 count);

    /// @notice The CustodyLedger whose shipments are deliveries.
    /// @return ledger its address.
    function custodyLedger() external view returns (address ledger);

    /// @notice The DrugRegistry of the products.
    /// @return registry its address.
    function drugRegistry() external view returns (address registry);
}
