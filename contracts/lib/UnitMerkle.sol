// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

/**
 * @title UnitMerkle - the suite's unit leaf and sorted-pair Merkle verification
 * @notice Implements the rule fixed in docs/architecture.md ("Identifiers and the Merkle rule"):
 * leaf = keccak256(keccak256(abi.encode(batchId, index, codeHash))); node = keccak256 of the
 * sorted pair. Written for this project in the shape of OpenZeppelin's MerkleProof.verify.
 * @dev The loop runs over the proof, whose length is bounded by the calldata the caller paid for.
 */
library UnitMerkle {
    /**
     * @notice The leaf of the unit at `index` of `batchId`.
     * @param batchId the batch.
     * @param index position of the unit in the batch's code list.
     * @param codeHash keccak256(utf8(code)).
     * @return leaf the double-hashed leaf.
     */
    function leaf(bytes32 batchId, uint256 index, bytes32 codeHash) internal pure returns (bytes32) {
        // Same bytes as keccak256(abi.encodePacked(keccak256(abi.encode(batchId, index, codeHash)))),
        // hashed in place above the free memory pointer and in scratch space (nothing allocated).
        bytes32 result;
        assembly {
            let ptr := mload(0x40)
            mstore(ptr, batchId)
            mstore(add(ptr, 0x20), index)
            mstore(add(ptr, 0x40), codeHash)
            mstore(0x00, keccak256(ptr, 0x60))
            result := keccak256(0x00, 0x20)
        }
        return result;
    }

    /**
     * @notice Whether `proof` leads from `leafHash` to `root`.
     * @param proof sibling hashes from the leaf upward.
     * @param root the expected root.
     * @param leafHash the leaf.
     * @return ok true if the computed root equals `root`.
     */
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leafHash) internal pure returns (bool ok) {
        // Hashes the sorted pair in scratch space, reading siblings straight from calldata.
        assembly {
            let node := leafHash
            let offset := proof.offset
            let end := add(offset, shl(5, proof.length))
            for {} lt(offset, end) { offset := add(offset, 0x20) } {
                let sibling := calldataload(offset)
                switch gt(node, sibling)
                case 0 {
                    mstore(0x00, node)
                    mstore(0x20, sibling)
                }
                default {
                    mstore(0x00, sibling)
                    mstore(0x20, node)
                }
                node := keccak256(0x00, 0x40)
            }
            ok := eq(node, root)
        }
    }
}
