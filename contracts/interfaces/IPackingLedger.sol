// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

/**
 * @title IPackingLedger - cases and pallets of packed batches, and who holds each (issue 17A)
 * @notice A packed batch (DrugRegistry.commitPackedBatch) has a regular layout: unit i is in case
 * i / unitsPerCase, case c in pallet c / casesPerPallet. Containers are named by a key
 * `level << 248 | index` (level 0 = unit, 1 = case, 2 = pallet). A container that never moved is
 * with the batch's MAH; an intact container carries its children; an unpacked (opened) one
 * leaves them loose with its holder. Shipments of packed batches list containers (and loose
 * units) and are received here, reconciled per container. CustodyLedger asks {unitHolder} before
 * it dispenses a unit of a packed batch, so only the organisation holding the unit loose can.
 * @dev Deployed by the CustodyLedger's constructor; the only contract allowed to call the
 * ledger's `packed*` functions. Records are written only when a container moves or opens.
 */
interface IPackingLedger {
    /// @notice Where a container stands.
    enum NodeStatus {
        NONE,     // 0: no record: inside its parent, or (a pallet) with the MAH
        HELD,     // 1: intact, held by `holderSeq`
        TRANSIT,  // 2: intact, in shipment `shipmentId` (sent by `holderSeq`)
        OPENED,   // 3: unpacked at `holderSeq`: its children are loose there
        MISSING   // 4: not found at the receipt of its shipment (in dispute)
    }

    // ------------------------------------------------------------------ errors
    /// @notice The batch was committed without packing.
    /// @param batchId the batch
    error PackingLedgerNotPacked(bytes32 batchId);
    /// @notice A container key names no container of the batch's layout.
    /// @param batchId the batch
    /// @param key the key
    error PackingLedgerUnknownContainer(bytes32 batchId, uint256 key);
    /// @notice The caller does not hold the container (or unit) as the operation needs: intact
    /// and not inside an intact parent (dispatch, unpack), opened (repack), loose (units).
    /// @param batchId the batch
    /// @param key the container
    /// @param callerOrgId the caller
    /// @param status the container's status as resolved
    error PackingLedgerNotHolder(bytes32 batchId, uint256 key, bytes32 callerOrgId, NodeStatus status);
    /// @notice Lists must be non-empty and strictly ascending (no container twice).
    /// @param position the first offending position
    error PackingLedgerUnsortedList(uint256 position);
    /// @notice The listed containers are not those the shipment carried.
    /// @param shipmentId the shipment
    error PackingLedgerManifestMismatch(uint256 shipmentId);
    /// @notice A container reported missing was not in the shipment (nor a case of a shipped
    /// pallet), or is a case of a pallet reported missing too (its units would count twice).
    /// @param shipmentId the shipment
    /// @param key the container
    error PackingLedgerNotShipped(uint256 shipmentId, uint256 key);
    /// @notice A loose unit listed for shipment was dispensed or decommissioned.
    /// @param batchId the batch
    /// @param index the unit
    error PackingLedgerUnitGone(bytes32 batchId, uint256 index);
    /// @notice Only the CustodyLedger that deployed this contract may call.
    /// @param caller the caller
    error PackingLedgerOnlyCustody(address caller);

    // ------------------------------------------------------------------ events
    /// @notice A shipment of a packed batch listed these containers and loose units.
    /// @param shipmentId the CustodyLedger shipment (its ShipmentDispatched carries the quantity)
    /// @param batchId the batch
    /// @param items container keys, strictly ascending
    event PackedShipmentDispatched(uint256 indexed shipmentId, bytes32 indexed batchId, uint256[] items);
    /// @notice A listed container (or a case of a listed pallet) was not found on receipt.
    /// @param shipmentId the shipment
    /// @param batchId the batch
    /// @param key the container
    /// @param quantity its units
    /// @param receiverOrgId the receiver
    event ContainerMissing(uint256 indexed shipmentId, bytes32 indexed batchId, uint256 key, uint256 quantity,
        bytes32 indexed receiverOrgId);
    /// @notice The receiver found a container the shipment did not list (not credited: it is
    /// recorded elsewhere; a discrepancy for investigation).
    /// @param shipmentId the shipment
    /// @param batchId the batch
    /// @param key the container
    /// @param receiverOrgId the receiver
    event ContainerExtra(uint256 indexed shipmentId, bytes32 indexed batchId, uint256 key,
        bytes32 indexed receiverOrgId);
    /// @notice A container was unpacked (拆零): its children are loose with the holder.
    /// @param batchId the batch
    /// @param key the container
    /// @param orgId the holder
    event ContainerUnpacked(bytes32 indexed batchId, uint256 key, bytes32 indexed orgId);
    /// @notice An opened container was packed again with all its children.
    /// @param batchId the batch
    /// @param key the container
    /// @param orgId the holder
    event ContainerRepacked(bytes32 indexed batchId, uint256 key, bytes32 indexed orgId);

    // ------------------------------------------------------------------ writes
    /**
     * @notice Dispatch containers and loose units of a packed batch (one CustodyLedger shipment).
     * @dev Requirements: forward: manufacturer or distributor, batch usable, addressee a
     * distributor, pharmacy or hospital; return (`isReturn`): distributor, pharmacy or hospital
     * toward the MAH or a distributor (CustodyLedger's rules and errors). `items` strictly
     * ascending; each an intact container held by the caller and not inside an intact parent,
     * or a loose unit held by the caller, not dispensed or decommissioned. Emits the ledger's
     * {ShipmentDispatched} (quantity = the items' units) then {PackedShipmentDispatched}.
     * @param batchId the batch.
     * @param toOrgId addressee.
     * @param carrierOrgId carrier (logistics).
     * @param items container keys.
     * @param isReturn a return (units arrive quarantined).
     * @param manifestHash hash of the despatch advice.
     * @return shipmentId the shipment.
     */
    function dispatchPacked(bytes32 batchId, bytes32 toOrgId, bytes32 carrierOrgId, uint256[] calldata items,
        bool isReturn, bytes32 manifestHash) external returns (uint256 shipmentId);

    /**
     * @notice Receive a packed shipment, reconciled per container.
     * @dev Requirements: the addressee; shipment in transit; `items` exactly the shipped list
     * (each in transit in it, and their units add up to the shipment's, else
     * {PackingLedgerManifestMismatch});
     * `missing` strictly ascending, each a shipped item or a case of a shipped pallet not itself
     * reported missing (that pallet then arrives opened), else {PackingLedgerNotShipped}. Every
     * item not missing is held by the receiver; each missing one becomes MISSING (its holder: the
     * sender) with {ContainerMissing}; each `extra` key raises {ContainerExtra}. The
     * ledger credits the units received ({ShipmentReceived}; {ShipmentDiscrepancy} if any missing).
     * @param shipmentId the shipment.
     * @param items the shipped list.
     * @param missing containers not found.
     * @param extra containers found but not listed.
     * @param evidenceHash hash of the receiving record.
     */
    function receivePacked(uint256 shipmentId, uint256[] calldata items, uint256[] calldata missing,
        uint256[] calldata extra, bytes32 evidenceHash) external;

    /**
     * @notice Unpack (拆零) an intact case or pallet the caller holds ({PackingLedgerUnknownContainer}
     * for a key outside the layout). Emits {ContainerUnpacked}.
     * @param batchId the batch.
     * @param key the container.
     */
    function unpack(bytes32 batchId, uint256 key) external;

    /**
     * @notice Pack an opened container again: every child must be back, loose (intact for the
     * cases of a pallet) with the caller, none dispensed or decommissioned. Loops over the
     * children (at most unitsPerCase or casesPerPallet, fixed by the batch's layout).
     * Emits {ContainerRepacked}.
     * @param batchId the batch.
     * @param key the container.
     */
    function repack(bytes32 batchId, uint256 key) external;

    // ------------------------------------------------------------------ views
    /**
     * @notice Status and holder of a container or unit, as resolved through its parents.
     * @param batchId the batch.
     * @param key the container (level 0 = unit).
     * @return status NONE is never returned for a known container: a container inside an intact
     * parent reports the parent's status with `inside` set.
     * @return holderOrgId the holder (for TRANSIT: the sender; the MAH when it never moved).
     * @return shipmentId the shipment when in transit.
     * @return inside whether it is inside an intact parent.
     */
    function containerState(bytes32 batchId, uint256 key)
        external
        view
        returns (NodeStatus status, bytes32 holderOrgId, uint256 shipmentId, bool inside);

    /**
     * @notice For CustodyLedger: the seq of the organisation holding unit `index` loose
     * (0 = nobody: the unit is inside an intact case, in transit or missing). A loose unit
     * back from a rejected or voided shipment is loose with its sender again.
     * @param batchId the batch.
     * @param index the unit.
     * @param unitsPerCase the batch's layout.
     * @return holderSeq the holder's OrgRegistry seq, or 0.
     */
    function unitHolder(bytes32 batchId, uint256 index, uint256 unitsPerCase) external view returns (uint32 holderSeq);

    /**
     * @notice For CustodyLedger's many-unit operations: the first of `indices[0..count)` not
     * held loose by `holderSeq` (type(uint256).max if all are); one case read per case.
     * @param batchId the batch.
     * @param indices the units.
     * @param count how many of `indices` to check.
     * @param unitsPerCase the batch's layout.
     * @param holderSeq the holder's seq.
     * @return index the first unit not held, or type(uint256).max.
     */
    function firstNotHeld(bytes32 batchId, uint256[] calldata indices, uint256 count, uint256 unitsPerCase,
        uint32 holderSeq) external view returns (uint256 index);

    /**
     * @notice Whether (`level`, `index`, `codeHash`) is a container of the batch's packing root.
     * @param batchId the batch.
     * @param level 1 = case, 2 = pallet.
     * @param index position at its level.
     * @param codeHash keccak256(utf8(container code)).
     * @param proof sibling hashes from the container's leaf to the packing root.
     * @return ok true if the proof holds.
     */
    function verifyContainer(bytes32 batchId, uint256 level, uint256 index, bytes32 codeHash,
        bytes32[] calldata proof) external view returns (bool ok);

    /**
     * @notice The case and pallet of a unit, by the batch's layout.
     * @param batchId the batch.
     * @param index the unit.
     * @return caseIndex its case.
     * @return palletIndex its pallet.
     */
    function caseOfUnit(bytes32 batchId, uint256 index) external view returns (uint256 caseIndex, uint256 palletIndex);

    /**
     * @notice Units in a container (by the layout).
     * @param batchId the batch.
     * @param key the container.
     * @return quantity its units.
     */
    function quantityOf(bytes32 batchId, uint256 key) external view returns (uint256 quantity);

    /// @notice The CustodyLedger this contract serves.
    /// @return ledger its address.
    function custodyLedger() external view returns (address ledger);
}
