// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

/**
 * @title PackingMerkle - the container leaf of a batch's packing tree (issue 17A)
 * @notice leaf = keccak256(keccak256(abi.encode(batchId, level, index, codeHash))) with level 1
 * for a case and 2 for a pallet; the tree is the suite's sorted-pair tree (UnitMerkle.verify) over
 * the case leaves in case order followed by the pallet leaves in pallet order. A container leaf
 * hashes four words and a unit leaf three, so neither can pass for the other (nor for a node).
 */
library PackingMerkle {
    /// @dev Level of a case in container keys and leaves.
    uint256 internal constant CASE = 1;
    /// @dev Level of a pallet in container keys and leaves.
    uint256 internal constant PALLET = 2;

    /**
     * @notice The leaf of container (`level`, `index`) of `batchId`.
     * @param batchId the batch.
     * @param level 1 = case, 2 = pallet.
     * @param index the container's position at its level (0-based).
     * @param codeHash keccak256(utf8(container code)), e.g. an SSCC-18.
     * @return leaf the double-hashed leaf.
     */
    function leaf(bytes32 batchId, uint256 level, uint256 index, bytes32 codeHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(keccak256(abi.encode(batchId, level, index, codeHash))));
    }
}
