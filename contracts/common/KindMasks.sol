// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

// Organisation-kind bit masks
// Bit `k` of a mask stands for `OrgKind(k)`; `SYSTEM` (bit 15) stands for a contract of the
// linked suite acting through a "system" function (automatic actions, recall cases).
// File-level constants so every contract and test reads the same values.

uint256 constant MASK_NATIONAL = 1 << 1;
uint256 constant MASK_PROVINCIAL = 1 << 2;
uint256 constant MASK_MANUFACTURER = 1 << 3;
uint256 constant MASK_DISTRIBUTOR = 1 << 4;
uint256 constant MASK_LOGISTICS = 1 << 5;
uint256 constant MASK_PHARMACY = 1 << 6;
uint256 constant MASK_HOSPITAL = 1 << 7;
uint256 constant MASK_AUDITOR = 1 << 8;
uint256 constant MASK_PLATFORM = 1 << 9;
uint256 constant MASK_SYSTEM = 1 << 15;

uint256 constant MASK_REGULATORS = MASK_NATIONAL | MASK_PROVINCIAL;
uint256 constant MASK_DISPENSERS = MASK_PHARMACY | MASK_HOSPITAL;
uint256 constant MASK_HOLDERS = MASK_MANUFACTURER | MASK_DISTRIBUTOR | MASK_PHARMACY | MASK_HOSPITAL;
uint256 constant MASK_ANY_ORG = (1 << 9) - 2; // bits 1..8 (the supply chain; not the procurement platform)
