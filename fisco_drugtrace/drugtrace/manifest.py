"""Code manifests: a batch's ordered code list as a file that travels with its units.

The chain keeps only a batch's Merkle root; whoever dispenses, verifies or audits a unit needs the
list. A manifest is a UTF-8 text file: one JSON header line, then one 20-digit code a line in the
batch's order::

    {"format": "fisco-drugtrace/code-manifest", "version": 1, "chain_id": "chain0", "group_id": "group0",
     "org_registry": "0x…", "batch_id": "0x…", "product_id": "0x…", "lot": "L1",
     "unit_count": 100000, "unit_root": "0x…", "hash": "keccak256"}
    81603470000000010000
    …

Its *manifest hash* is the keccak256 of the file's bytes — what ``ship --manifest @FILE`` puts in
the shipment's ``manifestHash`` field, so a receiver can import exactly the file the sender
referenced. Importing trusts nothing in the file: the codes are re-hashed into the tree and the
root must be the one the chain holds for that batch; the header's claims (product, lot, unit count,
root) must be the chain's too, or the file is refused even when its codes are right. A packed
batch's header also carries ``packing`` (layout, case and pallet codes, packing root): on import
the container codes must rebuild the batch's on-chain packing root and layout, which the header's
``packing_root`` must name. The header may carry the product's details document
(``product_details``, its text: the names a patient reads): on import its keccak256 must be the
product's on-chain ``detailsHash``, or the file is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from fisco_drugtrace.crypto.keccak import keccak256
from fisco_drugtrace.drugtrace.codes import CODE_LENGTH, validate_codes
from fisco_drugtrace.drugtrace.ids import id_hex, parse_id
from fisco_drugtrace.errors import DomainError, EncodingError
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["MANIFEST_FORMAT", "Manifest", "ManifestFormatError", "ManifestMismatch", "manifest_hash",
           "render_manifest", "parse_manifest"]

MANIFEST_FORMAT = "fisco-drugtrace/code-manifest"
_VERSION = 1


class ManifestFormatError(EncodingError):
    """The file is not a code manifest (bad header, bad code lines)."""


class ManifestMismatch(DomainError):
    """A manifest does not match the chain (another chain, suite or batch; a different root)."""


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest: the header's claims and the codes (not yet checked against the chain)."""

    chain_id: str
    group_id: str
    org_registry: str
    batch_id: bytes
    product_id: bytes
    lot: str
    unit_count: int
    unit_root: bytes
    hash_name: str
    codes: tuple[str, ...]
    file_hash: bytes
    #: a packed batch's packing (issue 17A): ``units_per_case``, ``cases_per_pallet``,
    #: ``case_codes``, ``pallet_codes``, ``packing_root`` (a claim, checked on import)
    packing: dict[str, Any] | None = None
    #: the product's details document (its names, :mod:`.product_details`), byte for byte (a
    #: claim: on import its keccak256 must be the product's on-chain ``detailsHash``)
    product_details: bytes | None = None

    def header(self) -> dict[str, Any]:
        out = {"format": MANIFEST_FORMAT, "version": _VERSION, "chain_id": self.chain_id,
               "group_id": self.group_id, "org_registry": self.org_registry, "batch_id": id_hex(self.batch_id),
               "product_id": id_hex(self.product_id), "lot": self.lot, "unit_count": self.unit_count,
               "unit_root": id_hex(self.unit_root), "hash": self.hash_name}
        if self.packing is not None:
            out["packing"] = dict(self.packing)
        if self.product_details is not None:
            out["product_details"] = self.product_details.decode("utf-8")
        return out


def manifest_hash(data: bytes) -> bytes:
    """The hash a shipment carries for a manifest file: keccak256 of its bytes."""
    return keccak256(data)


def render_manifest(*, chain_id: str, group_id: str, org_registry: str, batch_id: bytes, product_id: bytes,
                    lot: str, unit_root: bytes, codes: Sequence[str], hash_name: str = "keccak256",
                    packing: dict[str, Any] | None = None, product_details: bytes | None = None) -> bytes:
    """The manifest file's bytes (``packing``: a packed batch's layout and container codes;
    ``product_details``: the product's details document, carried as its UTF-8 text)."""
    header = {"format": MANIFEST_FORMAT, "version": _VERSION, "chain_id": str(chain_id), "group_id": str(group_id),
              "org_registry": org_registry.lower(), "batch_id": id_hex(batch_id), "product_id": id_hex(product_id),
              "lot": lot, "unit_count": len(codes), "unit_root": id_hex(unit_root), "hash": hash_name}
    if packing is not None:
        header["packing"] = dict(packing)
    if product_details is not None:
        header["product_details"] = bytes(product_details).decode("utf-8")
    return (json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n" + "\n".join(codes) + "\n").encode("utf-8")


def _field(header: dict[str, Any], name: str, kind: type) -> Any:
    value = header.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ManifestFormatError(f"manifest header: {name!r} must be a {kind.__name__}")
    return value


def _details(header: dict[str, Any]) -> bytes | None:
    value = header.get("product_details")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ManifestFormatError("manifest header: 'product_details' must be the details document's text")
    return value.encode("utf-8")


def _packing(header: dict[str, Any]) -> dict[str, Any] | None:
    packing = header.get("packing")
    if packing is None:
        return None
    if not isinstance(packing, dict):
        raise ManifestFormatError("manifest header: 'packing' must be an object")
    for name in ("units_per_case", "cases_per_pallet"):
        _field(packing, name, int)
    _field(packing, "packing_root", str)
    for name in ("case_codes", "pallet_codes"):
        codes = packing.get(name)
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ManifestFormatError(f"manifest header: packing {name!r} must be a list of codes")
    return packing


def parse_manifest(data: bytes) -> Manifest:
    """Parse a manifest's bytes; every code line is checked (20 digits, no repeats).

    :raises ManifestFormatError: not a manifest, or a bad code line (with its line number).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestFormatError(f"a manifest is UTF-8 text: {exc}") from exc
    head, sep, body = text.partition("\n")
    try:
        header = load_json(head)
    except ValueError as exc:
        raise ManifestFormatError("the first line of a manifest is its JSON header") from exc
    if not isinstance(header, dict) or header.get("format") != MANIFEST_FORMAT:
        raise ManifestFormatError(f"not a code manifest (format is not {MANIFEST_FORMAT!r})")
    if header.get("version") != _VERSION:
        raise ManifestFormatError(f"manifest version {header.get('version')!r} is not supported (this reads 1)")
    codes = body.split("\n")
    if codes and codes[-1] == "":
        codes.pop()
    joined = "".join(codes)
    # the fast path: every line 20 ASCII digits and no repeats; else the line-numbered report
    if not (len(joined) == CODE_LENGTH * len(codes) and joined.isascii() and joined.isdigit()
            and all(len(c) == CODE_LENGTH for c in codes) and len(set(codes)) == len(codes)):
        try:
            validate_codes(enumerate(codes, 2))
        except DomainError as exc:
            raise ManifestFormatError(f"manifest code list: {exc}") from exc
    try:
        manifest = Manifest(
            chain_id=str(_field(header, "chain_id", str)), group_id=str(_field(header, "group_id", str)),
            org_registry=_field(header, "org_registry", str).lower(),
            batch_id=parse_id(_field(header, "batch_id", str)), product_id=parse_id(_field(header, "product_id", str)),
            lot=_field(header, "lot", str), unit_count=_field(header, "unit_count", int),
            unit_root=parse_id(_field(header, "unit_root", str)), hash_name=_field(header, "hash", str),
            codes=tuple(codes), file_hash=manifest_hash(data), packing=_packing(header),
            product_details=_details(header))
    except ValueError as exc:
        raise ManifestFormatError(f"manifest header: {exc}") from exc
    if manifest.unit_count != len(codes):
        raise ManifestFormatError(f"the header says {manifest.unit_count} units, the file lists {len(codes)} codes")
    return manifest


def read_manifest(path: str | Path) -> Manifest:
    """Parse the manifest file at ``path``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ManifestFormatError(f"cannot read manifest {path}: {exc}") from exc
    return parse_manifest(data)


__all__ += ["read_manifest"]
