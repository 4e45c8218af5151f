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

    /**
     * @notice Whether `proof` takes the leaves `nodes` (at the ascending positions `positions` of
     * a tree of `width` leaves) to `root` — a multiproof in the suite's tree shape (an odd
     * level's last node is carried up unchanged).
     * @dev Level by level, in place: a node at an even position pairs with the next given node
     * if that is its sibling, else with the next proof hash (or is carried up when it is the
     * level's last); a node at an odd position takes its left sibling from the proof. Every
     * proof hash must be used. Overwrites `nodes` and `positions`. Loops are bounded by the
     * calldata (leaves, proof) and log2(width).
     * Requirements (checked by the caller): positions strictly ascending and below `width`.
     * @param proof the sibling hashes in the order the walk consumes them.
     * @param root the expected root.
     * @param nodes the leaves, in position order.
     * @param positions their positions.
     * @param width number of leaves of the tree.
     * @return ok true if the computed root equals `root`.
     */
    function verifyMulti(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32[] memory nodes,
        uint256[] memory positions,
        uint256 width
    ) internal pure returns (bool ok) {
        uint256 count = nodes.length;
        uint256 used = 0;
        while (width > 1) {
            uint256 out = 0;
            uint256 i = 0;
            while (i < count) {
                uint256 k = positions[i];
                bytes32 node = nodes[i];
                bytes32 sibling;
                if (k & 1 == 0) {
                    if (k + 1 == width) {
                        sibling = bytes32(0); // carried up unchanged
                    } else if (i + 1 < count && positions[i + 1] == k + 1) {
                        sibling = nodes[i + 1];
                        ++i;
                    } else {
                        if (used == proof.length) return false;
                        sibling = proof[used++];
                    }
                } else {
                    if (used == proof.length) return false;
                    sibling = proof[used++];
                }
                if (!(k & 1 == 0 && k + 1 == width)) node = _hashPair(node, sibling);
                nodes[out] = node;
                positions[out] = k >> 1;
                ++out;
                ++i;
            }
            count = out;
            width = (width + 1) >> 1;
        }
        return used == proof.length && count == 1 && nodes[0] == root;
    }

    /// @dev keccak256 of the sorted pair, in scratch space.
    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        assembly {
            switch gt(a, b)
            case 0 {
                mstore(0x00, a)
                mstore(0x20, b)
            }
            default {
                mstore(0x00, b)
                mstore(0x20, a)
            }
            h := keccak256(0x00, 0x40)
        }
    }
}
