// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

/**
 * @title IRangeLedger - which codes of a batch committed without packing each organisation holds (D9)
 * @notice Units of a batch are indexed 0..n-1 (the unit Merkle tree's leaf index). Custody of an
 * unpacked batch is a partition of [0, n) into ranges [start, end), each HELD by one organisation,
 * in TRANSIT in one shipment, or MISSING from its sender after a short receipt. Before the batch's
 * first move there is no record: its MAH holds [0, n). Each holder keeps its ranges in a queue;
 * a dispatch by quantity takes the sender's units first-in first-out from the queue's head (the
 * lowest indices of its oldest range first), a receipt appends them to the receiver's queue
 * (merged with its last range when adjacent), a rejection or a void puts them back at the head of
 * the sender's queue. CustodyLedger asks {heldBy} before it dispenses a unit of an unpacked
 * batch ({consumeMany} before it decommissions), so only the organisation holding the unit can.
 * @dev Deployed by the CustodyLedger's constructor; every write is the CustodyLedger's (the
 * organisation's authorisation, the pause and the quantities are checked there). Every loop is
 * bounded by a constant: ranges per shipment, ranges visited per move, words scanned per split,
 * and the four levels of the range-start bitmap (batches up to 2^32 units).
 */
interface IRangeLedger {
    /// @notice Where a range of units stands.
    enum RangeState {
        NONE,
        HELD,
        TRANSIT,
        MISSING
    }

    // ------------------------------------------------------------------ errors
    /// @notice Only the CustodyLedger that deployed this ledger may call.
    /// @param caller the caller
    error RangeLedgerOnlyCustody(address caller);
    /// @notice The units to move are spread over more ranges than one move may touch: send fewer
    /// units (the first ranges of the queue), then the rest.
    /// @param batchId the batch
    /// @param orgId the holder whose queue was walked
    /// @param ranges the ranges taken (or visited) when the bound was hit
    error RangeLedgerTooFragmented(bytes32 batchId, bytes32 orgId, uint256 ranges);
    /// @notice The holder's ranges hold fewer live units than the quantity to move (units credited
    /// or restored by quantity only, see contracts/README.md).
    /// @param batchId the batch
    /// @param orgId the holder
    /// @param short the units that could not be found
    error RangeLedgerShortOfUnits(bytes32 batchId, bytes32 orgId, uint256 short);
    /// @notice Splitting a range with dispensed or decommissioned units in it needs the position
    /// of its n-th live unit; the scan of the dispensed bitmap is bounded: send fewer units.
    /// @param batchId the batch
    /// @param start the range's first unit
    /// @param words the bitmap words scanned
    error RangeLedgerSplitTooFar(bytes32 batchId, uint256 start, uint256 words);
    /// @notice Range custody covers batches of at most 2^32 units (four bitmap levels).
    /// @param batchId the batch
    /// @param unitCount its unit count
    error RangeLedgerBatchTooLarge(bytes32 batchId, uint256 unitCount);
    /// @notice The unit index is beyond the batch's unit count (or the batch is unknown).
    /// @param batchId the batch
    /// @param index the unit
    /// @param unitCount the batch's unit count
    error RangeLedgerUnitOutOfRange(bytes32 batchId, uint256 index, uint256 unitCount);
    /// @notice A packed batch's custody is the PackingLedger's.
    /// @param batchId the batch
    error RangeLedgerPackedBatch(bytes32 batchId);

    // ------------------------------------------------------------------ events
    /// @notice The units of a shipment by quantity, as ranges: `bounds` = [start0, end0, start1, end1, ...].
    /// @param shipmentId the CustodyLedger shipment
    /// @param batchId the batch
    /// @param bounds the ranges taken from the sender, in queue order
    event RangesShipped(uint256 indexed shipmentId, bytes32 indexed batchId, uint256[] bounds);
    /// @notice A shipment's ranges arrived: all of them with the receiver except `missingBounds`
    /// (its last units, when fewer were received than shipped), missing from the sender.
    /// @param shipmentId the shipment
    /// @param batchId the batch
    /// @param missingBounds the missing ranges [start0, end0, ...] (empty for a full receipt)
    event RangesReceived(uint256 indexed shipmentId, bytes32 indexed batchId, uint256[] missingBounds);
    /// @notice A rejected or voided shipment's ranges are back at the head of the sender's queue.
    /// @param shipmentId the shipment
    /// @param batchId the batch
    event RangesReturned(uint256 indexed shipmentId, bytes32 indexed batchId);

    // ------------------------------------------------------------------ writes (CustodyLedger only)
    /**
     * @notice Takes `quantity` live units first-in first-out from the sender's queue into the shipment.
     * @param batchId the batch (committed without packing)
     * @param unitCount the batch's unit count
     * @param fromSeq the sender's OrgRegistry seq
     * @param shipmentId the new shipment
     * @param quantity the units shipped
     * @param recount the sender dispenses (pharmacy, hospital): its ranges' dispensed units are
     * counted now on the dispensed bitmap (a dispense does not write here)
     */
    function dispatchUnits(
        bytes32 batchId,
        uint256 unitCount,
        uint32 fromSeq,
        uint256 shipmentId,
        uint256 quantity,
        bool recount
    ) external;

    /**
     * @notice Credits a shipment's first `received` live units to the receiver's queue; the rest
     * become MISSING from the sender.
     * @param batchId the batch
     * @param shipmentId the shipment
     * @param toSeq the receiver's seq
     * @param received the units received (1 .. shipped)
     */
    function receiveUnits(bytes32 batchId, uint256 shipmentId, uint32 toSeq, uint256 received) external;

    /**
     * @notice Puts a rejected or voided shipment's ranges back at the head of its sender's queue.
     * @param batchId the batch
     * @param shipmentId the shipment
     */
    function returnUnits(bytes32 batchId, uint256 shipmentId) external;

    /**
     * @notice Whether `seq` holds a unit (dispensing asks this; it writes nothing here).
     * @param batchId the batch
     * @param index the unit
     * @param seq the organisation that wants to dispense it
     * @return state HELD: held by `seq`; MISSING: missing from a short receipt (the caller raises
     * the alert); NONE: held by another organisation; TRANSIT: in a shipment
     */
    function heldBy(bytes32 batchId, uint256 index, uint32 seq) external view returns (RangeState state);

    /**
     * @notice {heldBy} for `indices[0..count)` (strictly ascending).
     * @param batchId the batch
     * @param indices the units
     * @param count how many of `indices` to check
     * @param seq the holder
     * @return notHeld the first unit `seq` does not hold, or type(uint256).max when it holds them all
     */
    function firstNotHeld(bytes32 batchId, uint256[] calldata indices, uint256 count, uint32 seq)
        external
        view
        returns (uint256 notHeld);

    /**
     * @notice Counts units as gone (decommissioned) from their ranges if `seq` holds them all.
     * @param batchId the batch
     * @param unitCount the batch's unit count
     * @param indices the units
     * @param count how many of `indices` to take
     * @param seq the holder
     * @return notHeld the first unit `seq` does not hold (nothing is then meant to be written: the
     * caller reverts), or type(uint256).max when it holds them all
     */
    function consumeMany(bytes32 batchId, uint256 unitCount, uint256[] calldata indices, uint256 count, uint32 seq)
        external
        returns (uint256 notHeld);

    // ------------------------------------------------------------------ views
    /**
     * @notice The range a unit of an unpacked batch is in, and where it stands.
     * @param batchId the batch
     * @param index the unit
     * @return start the range's first unit
     * @return end one past its last unit
     * @return state HELD, TRANSIT or MISSING
     * @return holderOrgId HELD: the holder; TRANSIT or MISSING: the sender
     * @return shipmentId TRANSIT or MISSING: the shipment (else 0)
     * @return gone units of the range dispensed or decommissioned
     */
    function rangeOf(bytes32 batchId, uint256 index)
        external
        view
        returns (uint256 start, uint256 end, RangeState state, bytes32 holderOrgId, uint256 shipmentId, uint256 gone);

    /**
     * @notice A page of an organisation's queue of ranges of a batch, in queue (first-out) order.
     * @param batchId the batch
     * @param orgId the holder
     * @param cursor 0 for the first page, else the `next` of the previous page
     * @param limit at most this many ranges (at most 256)
     * @return bounds [start0, end0, start1, end1, ...]
     * @return gone the units of each range already dispensed or decommissioned
     * @return next the cursor of the next page (0: no more)
     */
    function rangesOf(bytes32 batchId, bytes32 orgId, uint256 cursor, uint256 limit)
        external
        view
        returns (uint256[] memory bounds, uint256[] memory gone, uint256 next);

    /**
     * @notice The ranges of a shipment still in transit (empty once received, rejected or voided).
     * @param shipmentId the shipment
     * @return bounds [start0, end0, ...]
     */
    function shipmentRanges(uint256 shipmentId) external view returns (uint256[] memory bounds);

    /// @notice The CustodyLedger that deployed this ledger.
    /// @return ledger its address
    function custodyLedger() external view returns (address ledger);
}
