"""Reference implementation of the shared identifiers and the Merkle rule.

Written straight from ``docs/architecture.md`` ("Identifiers and the Merkle rule") and kept
deliberately naive, so tests can check both the Solidity contracts and the production
``fisco_drugtrace.drugtrace.merkle`` module against an independent oracle:

* ``org_id``     = keccak256(utf8(unified social credit code))
* ``product_id`` = keccak256(abi.encode(string approvalNumber, string packageSpec))
* ``batch_id``   = keccak256(abi.encode(bytes32 productId, string lot))
* ``code_hash``  = keccak256(utf8(code))
* ``leaf``       = keccak256(abi.encodePacked(keccak256(abi.encode(batchId, uint256 index, codeHash))))
* node           = keccak256(min(a, b) ‖ max(a, b)); an odd level carries its last node up unchanged;
  the root of one leaf is the leaf; a proof lists siblings from the leaf upward, skipping the
  levels where the node was carried.
"""

from __future__ import annotations

from collections.abc import Sequence

from Crypto.Hash import keccak as _keccak
from eth_abi import encode as _abi_encode

__all__ = [
    "keccak",
    "org_id",
    "product_id",
    "batch_id",
    "code_hash",
    "leaf",
    "hash_pair",
    "MerkleTree",
    "verify",
]


def keccak(data: bytes) -> bytes:
    """Keccak-256 (the Ethereum flavour, not SHA3-256)."""
    return _keccak.new(digest_bits=256, data=data).digest()


def org_id(credit_code: str) -> bytes:
    """Organisation id from its unified social credit code."""
    return keccak(credit_code.encode("utf-8"))


def product_id(approval_number: str, package_spec: str) -> bytes:
    """Product id: keccak256(abi.encode(string, string))."""
    return keccak(_abi_encode(["string", "string"], [approval_number, package_spec]))


def batch_id(product: bytes, lot: str) -> bytes:
    """Batch id: keccak256(abi.encode(bytes32 productId, string lot))."""
    return keccak(_abi_encode(["bytes32", "string"], [product, lot]))


def code_hash(code: str) -> bytes:
    """Hash of one 20-digit unit code (ASCII)."""
    return keccak(code.encode("utf-8"))


def leaf(batch: bytes, index: int, unit_code_hash: bytes) -> bytes:
    """Double-hashed leaf of the unit at ``index`` of ``batch``."""
    inner = keccak(_abi_encode(["bytes32", "uint256", "bytes32"], [batch, index, unit_code_hash]))
    return keccak(inner)


def hash_pair(a: bytes, b: bytes) -> bytes:
    """Internal node: sorted pair, as OpenZeppelin ``MerkleProof``."""
    return keccak(a + b) if a <= b else keccak(b + a)


class MerkleTree:
    """All levels of the tree over ``leaves`` (level 0 = the leaves)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        levels: list[list[bytes]] = [list(leaves)]
        while len(levels[-1]) > 1:
            cur = levels[-1]
            nxt = [hash_pair(cur[i], cur[i + 1]) for i in range(0, len(cur) - 1, 2)]
            if len(cur) % 2:
                nxt.append(cur[-1])
            levels.append(nxt)
        self.levels = levels

    @classmethod
    def for_codes(cls, batch: bytes, codes: Sequence[str]) -> "MerkleTree":
        """Tree over the unit codes of one batch, in list order."""
        return cls([leaf(batch, i, code_hash(c)) for i, c in enumerate(codes)])

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def __len__(self) -> int:
        return len(self.levels[0])

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from the leaf at ``index`` upward."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        out: list[bytes] = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                out.append(level[sibling])
            index //= 2
        return out


def verify(proof: Sequence[bytes], root: bytes, leaf_hash: bytes) -> bool:
    """OpenZeppelin-style single-leaf verification."""
    node = leaf_hash
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root
