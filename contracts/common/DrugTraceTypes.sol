// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

// Shared enumerations of the drug-trace contract suite
// File-level enums used by every contract and interface of the suite, so that the ABI
// encodes them as `uint8` with the same numbering everywhere. Numbering is part of the ABI:
// append new members at the end only.

// Highest adverse-reaction threshold a product's policy may set. ObservationLog keeps
// the times of this many latest SERIOUS reports per batch (a fixed ring, 8 storage slots), so a
// windowed count needs no loop and no growing list.
uint16 constant ADR_MAX_THRESHOLD = 32;

/// @notice Kind of an organisation. The numeric value doubles as the bit index in kind masks.
enum OrgKind {
    NONE,                   // 0: not registered
    REGULATOR_NATIONAL,     // 1: national regulator (NMPA), root of the suite
    REGULATOR_PROVINCIAL,   // 2: provincial regulator, acts within its region
    MANUFACTURER,           // 3: marketing-authorisation holder / manufacturer
    DISTRIBUTOR,            // 4: wholesaler
    LOGISTICS,              // 5: carrier / third-party warehouse
    PHARMACY,               // 6: retail pharmacy
    HOSPITAL,               // 7: medical institution (using unit)
    AUDITOR,                // 8: auditor / notary (read, counter-sign destruction)
    PROCUREMENT_PLATFORM    // 9: provincial centralised procurement platform (bids, settlement rules)
}

/// @notice Status of an organisation.
enum OrgStatus {
    NONE,       // 0: not registered
    ACTIVE,     // 1: may act
    SUSPENDED   // 2: every write by its accounts reverts
}

/// @notice The five collaborative lifecycle states of products and batches (NONE = not registered).
enum LifecycleState {
    NONE,           // 0
    LISTED,         // 1: on the market
    STOPPED,        // 2: emergency stop
    RECALLED,       // 3: under a recall case
    DESTROYED,      // 4: destroyed under supervision (batch, terminal)
    DEREGISTERED,   // 5: approval cancelled (product, terminal)
    VOIDED          // 6: a mis-committed batch voided before it moved (batch, terminal; issue 12)
}

/// @notice Status of a shipment.
enum ShipmentStatus {
    NONE,        // 0
    DISPATCHED,  // 1: in transit
    RECEIVED,    // 2: received in full
    PARTIAL,     // 3: received with fewer units than dispatched (discrepancy)
    REJECTED,    // 4: refused by the addressee, quantity back with the sender
    VOIDED       // 5: voided by a regulator while stuck in transit, quantity back with the sender, quarantined
}

/// @notice The eight observation points (HACCP-style critical control points).
enum ObservationPoint {
    NONE,                // 0
    PROCESS_DEFINITION,  // 1
    PROCESS_PROGRESS,    // 2
    ORDER,               // 3
    TRANSPORT,           // 4
    STORAGE,             // 5
    INSPECTION,          // 6
    EFFICACY,            // 7
    ADVERSE_REACTION     // 8
}

/// @notice Result code of an observation.
enum ObservationResult {
    OK,         // 0
    DEVIATION,  // 1
    FAIL,       // 2
    SERIOUS     // 3
}

/// @notice Recall level under the 2022 recall measures (I = most serious).
enum RecallLevel {
    NONE,   // 0
    I,      // 1: notice within 1 day
    II,     // 2: notice within 3 days
    III     // 3: notice within 7 days
}

/// @notice How a recall was initiated.
enum RecallKind {
    VOLUNTARY,  // 0: opened by the MAH
    ORDERED     // 1: ordered by a regulator
}

/// @notice Status of a recall case.
enum RecallStatus {
    NONE,       // 0
    OPEN,       // 1: decided, notice not yet issued
    NOTIFIED,   // 2: notice issued, recovery under way
    COMPLETED,  // 3: MAH filed the summary, awaiting evaluation
    CLOSED      // 4: regulator accepted the summary
}

/// @notice Status of a destruction record.
enum DestructionStatus {
    NONE,       // 0
    RECORDED,   // 1: recorded by the executor, awaiting counter-signature
    CONFIRMED,  // 2: counter-signed by a supervisor
    VOIDED      // 3: voided by its author or a regulator (the record stays; issue 12)
}

/// @notice Where a unit (one code) stands (issue 12, per-unit decommissioning; domain 6.1).
enum UnitState {
    ACTIVE,     // 0: in custody (or not yet released)
    DISPENSED,  // 1: dispensed to a patient, once
    DESTROYED,  // 2: destroyed (expired, damaged) by its holder
    STOLEN,     // 3: reported stolen by its holder
    LOST,       // 4: reported lost by its holder
    SAMPLED     // 5: taken as a sample (official sampling by a regulator debits the holder)
}
