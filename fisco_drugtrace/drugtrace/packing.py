"""A packed batch's layout and packing tree, node for node as ``PackingLedger`` verifies them.

Rule (contracts/README.md, "Packing", issue 17A):

- the layout is regular: unit ``i`` is in case ``i // units_per_case``, case ``c`` in pallet
  ``c // cases_per_pallet``; the last case and the last pallet may be short;
- a container leaf is ``keccak256(keccak256(abi.encode(batchId, level, index, codeHash)))`` with
  ``level`` 1 for a case and 2 for a pallet and ``codeHash = keccak256(utf8(code))``;
- the packing root is the suite's sorted-pair tree (:mod:`merkle`) over the case leaves in case
  order followed by the pallet leaves in pallet order.

"Unit in case" is positional (the unit's proof against the batch's unit root plus the layout);
"case in pallet" likewise; "case (or pallet) in batch" is a proof against the packing root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from fisco_drugtrace.crypto.keccak import keccak256

from .merkle import build_levels, level_sizes, proof_for

__all__ = ["CASE", "PALLET", "PackingLayout", "PackingTree", "container_leaf", "container_key",
           "MAX_UNITS_PER_CASE", "MAX_CASES_PER_PALLET"]

CASE = 1
PALLET = 2
MAX_UNITS_PER_CASE = 0xFFFF
MAX_CASES_PER_PALLET = 0xFFFF
_W = 32


def container_leaf(batch: bytes, level: int, index: int, code_hash: bytes,
                   hasher: Callable[[bytes], bytes] = keccak256) -> bytes:
    """The leaf of container (``level``, ``index``) of ``batch`` (``hasher``: the chain's
    KECCAK256, i.e. SM3 on an sm_crypto chain, as for the unit tree)."""
    if level not in (CASE, PALLET):
        raise ValueError(f"container level must be {CASE} (case) or {PALLET} (pallet), not {level}")
    return hasher(hasher(batch + level.to_bytes(32, "big") + index.to_bytes(32, "big") + code_hash))


def container_key(level: int, index: int) -> int:
    """The key the contracts use for a container (``level << 248 | index``; level 0 = unit)."""
    return (level << 248) | index


@dataclass(frozen=True)
class PackingLayout:
    """Regular packing of ``unit_count`` units: cases of ``units_per_case``, pallets of
    ``cases_per_pallet`` cases."""

    unit_count: int
    units_per_case: int
    cases_per_pallet: int

    def __post_init__(self) -> None:
        if self.unit_count <= 0:
            raise ValueError("a batch needs at least one unit")
        if not 0 < self.units_per_case <= MAX_UNITS_PER_CASE:
            raise ValueError(f"units per case must be 1..{MAX_UNITS_PER_CASE}")
        if not 0 < self.cases_per_pallet <= MAX_CASES_PER_PALLET:
            raise ValueError(f"cases per pallet must be 1..{MAX_CASES_PER_PALLET}")

    @property
    def case_count(self) -> int:
        return -(-self.unit_count // self.units_per_case)

    @property
    def pallet_count(self) -> int:
        return -(-self.case_count // self.cases_per_pallet)

    def case_of(self, unit: int) -> int:
        self._check(unit, self.unit_count, "unit")
        return unit // self.units_per_case

    def pallet_of(self, case: int) -> int:
        self._check(case, self.case_count, "case")
        return case // self.cases_per_pallet

    def units_of_case(self, case: int) -> range:
        self._check(case, self.case_count, "case")
        start = case * self.units_per_case
        return range(start, min(start + self.units_per_case, self.unit_count))

    def cases_of_pallet(self, pallet: int) -> range:
        self._check(pallet, self.pallet_count, "pallet")
        start = pallet * self.cases_per_pallet
        return range(start, min(start + self.cases_per_pallet, self.case_count))

    def quantity(self, level: int, index: int) -> int:
        """Units in a case or a pallet."""
        if level == CASE:
            return len(self.units_of_case(index))
        if level == PALLET:
            cases = self.cases_of_pallet(index)
            return min(cases.stop * self.units_per_case, self.unit_count) - cases.start * self.units_per_case
        raise ValueError(f"container level must be {CASE} or {PALLET}")

    @staticmethod
    def _check(i: int, n: int, what: str) -> None:
        if not 0 <= i < n:
            raise IndexError(f"{what} {i} out of range 0..{n - 1}")


@dataclass(frozen=True)
class PackingTree:
    """The packing tree of one batch: layout, container code hashes and tree levels."""

    batch_id: bytes
    layout: PackingLayout
    case_hashes: tuple[bytes, ...]
    pallet_hashes: tuple[bytes, ...]
    levels: tuple[bytes, ...]
    case_codes: tuple[str, ...] = ()
    pallet_codes: tuple[str, ...] = ()

    @classmethod
    def build(cls, batch: bytes, layout: PackingLayout, case_codes: Sequence[str],
              pallet_codes: Sequence[str], hasher: Callable[[bytes], bytes] = keccak256) -> "PackingTree":
        """The tree over ``case_codes`` (one per case, in case order) and ``pallet_codes``, hashed
        with ``hasher`` (the chain's KECCAK256: SM3 on an sm_crypto chain)."""
        if len(batch) != 32:
            raise ValueError("batch id must be 32 bytes")
        if len(case_codes) != layout.case_count:
            raise ValueError(f"the layout has {layout.case_count} cases, {len(case_codes)} case codes given")
        if len(pallet_codes) != layout.pallet_count:
            raise ValueError(f"the layout has {layout.pallet_count} pallets, {len(pallet_codes)} pallet codes given")
        codes = list(case_codes) + list(pallet_codes)
        if len(set(codes)) != len(codes):
            raise ValueError("container codes must be distinct")
        case_hashes = tuple(hasher(c.encode("utf-8")) for c in case_codes)
        pallet_hashes = tuple(hasher(c.encode("utf-8")) for c in pallet_codes)
        leaves = [container_leaf(batch, CASE, i, h, hasher) for i, h in enumerate(case_hashes)]
        leaves += [container_leaf(batch, PALLET, i, h, hasher) for i, h in enumerate(pallet_hashes)]
        return cls(batch, layout, case_hashes, pallet_hashes, tuple(build_levels(leaves, hasher)),
                   tuple(case_codes), tuple(pallet_codes))

    @property
    def root(self) -> bytes:
        return self.levels[-1]

    def position(self, level: int, index: int) -> int:
        """The leaf position of a container: cases first, then pallets."""
        if level == CASE:
            PackingLayout._check(index, self.layout.case_count, "case")
            return index
        if level == PALLET:
            PackingLayout._check(index, self.layout.pallet_count, "pallet")
            return self.layout.case_count + index
        raise ValueError(f"container level must be {CASE} or {PALLET}")

    def code_hash(self, level: int, index: int) -> bytes:
        return self.case_hashes[index] if level == CASE else self.pallet_hashes[index]

    def proof(self, level: int, index: int) -> list[bytes]:
        """Sibling hashes from the container's leaf to the packing root."""
        position = self.position(level, index)
        sizes = level_sizes(self.layout.case_count + self.layout.pallet_count)
        return proof_for(position, sizes, lambda lv, i: self.levels[lv][i * _W:(i + 1) * _W])
