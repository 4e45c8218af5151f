"""The batch Merkle tree, node for node as the contracts verify it.

Rule (docs/architecture.md, "Identifiers and the Merkle rule"):

- leaf(index) = keccak256(keccak256(abi.encode(bytes32 batchId, uint256 index, bytes32 codeHash)))
- node = keccak256(min(a, b) ‖ max(a, b)) (sorted pair, as OpenZeppelin ``MerkleProof``)
- a level with an odd count carries its last node up unchanged; the root of one leaf is the leaf
- a proof lists sibling hashes from the leaf upward, skipping levels where the node was carried.

A tree is kept as its levels, each the concatenation of its 32-byte nodes (level 0 = leaves,
last level = the root), which is compact and what :mod:`codestore` persists.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Sequence

from fisco_drugtrace.crypto import treehash
from fisco_drugtrace.crypto.keccak import keccak256, new_bulk_hasher

__all__ = [
    "MerkleTree",
    "leaf_hash",
    "node_hash",
    "build_levels",
    "build_batch_tree",
    "build_tree_from_hashes",
    "code_hashes_of",
    "level_sizes",
    "proof_for",
    "verify_proof",
    "multiproof_for",
    "verify_multiproof",
]

_W = 32


def leaf_hash(batch: bytes, index: int, code_hash: bytes, hasher: Callable[[bytes], bytes] = keccak256) -> bytes:
    """The leaf of the unit at ``index`` (0-based) in batch ``batch``."""
    return hasher(hasher(batch + index.to_bytes(32, "big") + code_hash))


def node_hash(a: bytes, b: bytes, hasher: Callable[[bytes], bytes] = keccak256) -> bytes:
    """Parent of two nodes: keccak256 of the sorted pair."""
    return hasher(a + b) if a <= b else hasher(b + a)


def level_sizes(leaf_count: int) -> list[int]:
    """Node counts per level, leaves first, root last."""
    if leaf_count <= 0:
        raise ValueError("a tree needs at least one leaf")
    sizes = [leaf_count]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def build_levels(leaves: Sequence[bytes], hasher: Callable[[bytes], bytes] | None = None) -> list[bytes]:
    """All levels of the tree over ``leaves`` (each a concatenation of 32-byte nodes).

    ``hasher`` is the chain's ``keccak256`` (SM3 on sm_crypto chains); default Keccak-256.
    """
    if not leaves:
        raise ValueError("a tree needs at least one leaf")
    hasher = hasher or new_bulk_hasher()
    nodes = list(leaves)
    levels = [b"".join(nodes)]
    while len(nodes) > 1:
        up = [hasher(a + b) if a <= b else hasher(b + a) for a, b in zip(nodes[0::2], nodes[1::2])]
        if len(nodes) % 2:
            up.append(nodes[-1])
        nodes = up
        levels.append(b"".join(nodes))
    return levels


@dataclass(frozen=True)
class MerkleTree:
    """A batch tree: its root, its levels and the code hashes in list order."""

    batch_id: bytes
    root: bytes
    levels: tuple[bytes, ...]
    code_hashes: tuple[bytes, ...]

    @property
    def size(self) -> int:
        return len(self.code_hashes)

    def leaf(self, index: int) -> bytes:
        return self.levels[0][index * _W:(index + 1) * _W]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes for the unit at ``index``."""
        return proof_for(index, level_sizes(self.size), lambda lv, i: self.levels[lv][i * _W:(i + 1) * _W])

    def multiproof(self, indices: Sequence[int]) -> list[bytes]:
        """One proof for the units at ``indices`` (strictly ascending), as ``dispenseMany`` takes it."""
        return multiproof_for(indices, level_sizes(self.size), lambda lv, i: self.levels[lv][i * _W:(i + 1) * _W])


def build_batch_tree(batch: bytes, codes: Sequence[str], hasher: Callable[[bytes], bytes] | None = None) -> MerkleTree:
    """Code hashes, leaves and levels for a batch's ordered code list (10^5 codes: ~1 s).

    ``hasher``: the chain's ``keccak256`` (SM3 on sm_crypto chains); default Keccak-256.
    """
    if len(batch) != 32:
        raise ValueError("batch id must be 32 bytes")
    return build_tree_from_hashes(batch, code_hashes_of(codes, hasher), hasher)


def _bulk(hasher: Callable[[bytes], bytes] | None) -> Callable[[bytes], bytes]:
    return new_bulk_hasher() if hasher is None or hasher is keccak256 else hasher


def code_hashes_of(codes: Sequence[str], hasher: Callable[[bytes], bytes] | None = None) -> tuple[bytes, ...]:
    """Each code's hash, in list order (the first quarter of a tree's hashing): what a code store
    keys its units by, so storing can start before the rest of the tree is built."""
    hasher = _bulk(hasher)
    return tuple(hasher(c.encode("utf-8")) for c in codes)


def build_tree_from_hashes(batch: bytes, code_hashes: Sequence[bytes],
                           hasher: Callable[[bytes], bytes] | None = None) -> MerkleTree:
    """:func:`build_batch_tree` from the codes' hashes (:func:`code_hashes_of`)."""
    if len(batch) != 32:
        raise ValueError("batch id must be 32 bytes")
    if (hasher is None or hasher is keccak256) and len(code_hashes) >= treehash.PARALLEL_MIN:
        levels = _two_core_levels(batch, code_hashes)
        if levels is not None:
            return MerkleTree(batch_id=batch, root=levels[-1], levels=tuple(levels), code_hashes=tuple(code_hashes))
    hasher = _bulk(hasher)
    leaves = [hasher(hasher(batch + i.to_bytes(32, "big") + h)) for i, h in enumerate(code_hashes)]
    levels = build_levels(leaves, hasher)
    return MerkleTree(batch_id=batch, root=levels[-1], levels=tuple(levels), code_hashes=tuple(code_hashes))


def _two_core_levels(batch: bytes, code_hashes: Sequence[bytes]) -> list[bytes] | None:
    """The Keccak tree's levels with a helper process hashing the first half of the leaves
    (:mod:`fisco_drugtrace.crypto.treehash`) while this one hashes the second; ``None`` when no
    helper is to be had (the caller then hashes everything)."""
    helper = treehash.helper()
    if helper is None:
        return None
    unit = 1 << treehash.HEIGHT
    split = (len(code_hashes) // 2 // unit) * unit
    blob = b"".join(code_hashes)
    answer: dict[str, list[bytes]] = {}

    def ask() -> None:  # waits on the pipe (no interpreter lock) while this thread hashes
        try:
            answer["levels"] = helper.levels(batch, 0, blob[:split * 32])
        except (OSError, EOFError, ValueError):
            treehash.forget_helper()

    asking = threading.Thread(target=ask, name="treehash-ask", daemon=True)
    asking.start()
    mine = treehash.run_levels(batch, split, blob[split * 32:])
    asking.join(timeout=treehash.ANSWER_WAIT_S)
    if asking.is_alive():  # a helper that hangs is dropped (and killed): its half is hashed here
        treehash.forget_helper(kill=True)
    theirs = answer.get("levels") or treehash.run_levels(batch, 0, blob[:split * 32])
    joined = [a + b for a, b in zip(theirs, mine)]  # both parts reach HEIGHT (each has >= 2**HEIGHT leaves)
    top = build_levels([joined[-1][i:i + _W] for i in range(0, len(joined[-1]), _W)], new_bulk_hasher())
    return joined + top[1:]


def proof_for(index: int, sizes: Sequence[int], node: Callable[[int, int], bytes]) -> list[bytes]:
    """The proof for leaf ``index`` given level sizes and a ``node(level, i)`` accessor.

    The accessor lets a store read only the ~log2(n) nodes it needs.
    """
    if not 0 <= index < sizes[0]:
        raise IndexError(f"leaf index {index} out of range 0..{sizes[0] - 1}")
    proof: list[bytes] = []
    i = index
    for level, count in enumerate(sizes[:-1]):
        sibling = i ^ 1
        if sibling < count:
            proof.append(node(level, sibling))
        i //= 2
    return proof


def verify_proof(root: bytes, leaf: bytes, proof: Sequence[bytes],
                 hasher: Callable[[bytes], bytes] = keccak256) -> bool:
    """True when ``proof`` takes ``leaf`` to ``root`` under the sorted-pair rule."""
    acc = leaf
    for sibling in proof:
        acc = node_hash(acc, sibling, hasher)
    return acc == root


def multiproof_for(positions: Sequence[int], sizes: Sequence[int], node: Callable[[int, int], bytes]) -> list[bytes]:
    """The multiproof for the leaves at ``positions`` (strictly ascending) of a tree with level
    sizes ``sizes``: the sibling hashes in the order ``UnitMerkle.verifyMulti`` consumes them
    (level by level; a given node pairs with the next given node when that is its sibling, a
    level's odd last node is carried up, every other sibling comes from the proof)."""
    current = list(positions)
    if not current or any(b <= a for a, b in zip(current, current[1:])):
        raise ValueError("positions must be a non-empty strictly ascending list")
    if current[0] < 0 or current[-1] >= sizes[0]:
        raise IndexError(f"leaf positions must be within 0..{sizes[0] - 1}")
    proof: list[bytes] = []
    for level, width in enumerate(sizes[:-1]):
        given = set(current)
        up: list[int] = []
        i = 0
        while i < len(current):
            k = current[i]
            if k % 2 == 0 and k + 1 == width:
                pass  # carried up
            elif k % 2 == 0 and k + 1 in given:
                i += 1
            else:
                proof.append(node(level, k ^ 1))
            up.append(k // 2)
            i += 1
        current = up
    return proof


def verify_multiproof(root: bytes, leaves: Sequence[bytes], positions: Sequence[int], width: int,
                      proof: Sequence[bytes], hasher: Callable[[bytes], bytes] = keccak256) -> bool:
    """The contract's ``UnitMerkle.verifyMulti``, for checking proofs off chain."""
    nodes, pos, used = list(leaves), list(positions), 0
    while width > 1:
        out_nodes: list[bytes] = []
        out_pos: list[int] = []
        i = 0
        while i < len(nodes):
            k, n = pos[i], nodes[i]
            if k % 2 == 0 and k + 1 == width:
                parent = n
            elif k % 2 == 0 and i + 1 < len(nodes) and pos[i + 1] == k + 1:
                parent = node_hash(n, nodes[i + 1], hasher)
                i += 1
            else:
                if used == len(proof):
                    return False
                parent = node_hash(n, proof[used], hasher)
                used += 1
            out_nodes.append(parent)
            out_pos.append(k // 2)
            i += 1
        nodes, pos, width = out_nodes, out_pos, (width + 1) // 2
    return used == len(proof) and len(nodes) == 1 and nodes[0] == root
