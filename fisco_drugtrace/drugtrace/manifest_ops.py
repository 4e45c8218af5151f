"""Exporting and importing code manifests (:mod:`manifest`) against the chain."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.hashing import hash_name
from fisco_drugtrace.drugtrace.ids import id_hex
from fisco_drugtrace.drugtrace.manifest import (
    Manifest,
    ManifestFormatError,
    ManifestMismatch,
    parse_manifest,
    render_manifest,
)
from fisco_drugtrace.crypto import treehash
from fisco_drugtrace.drugtrace.merkle import MerkleTree, build_tree_from_hashes, code_hashes_of
from fisco_drugtrace.errors import NotFound

if TYPE_CHECKING:
    from fisco_drugtrace.drugtrace.packing import PackingTree

__all__ = ["ManifestOps", "ManifestImport"]


@dataclass(frozen=True)
class ManifestImport:
    """What ``import_manifest`` did: the batch now held here, and the file's hash."""

    batch_id: bytes
    product_id: bytes
    lot: str
    unit_count: int
    unit_root: bytes
    manifest_hash: bytes
    already_held: bool
    shipment_id: int | None = None
    #: the product's details document the manifest carried was checked and is held here now
    details_stored: bool = False


class ManifestOps(ServiceBase):
    """Batch code lists that travel between organisations as manifest files."""

    def export_manifest(self, batch: bytes) -> bytes:
        """The manifest of a batch whose code list this home holds (its manufacturer, or anyone
        who imported it), checked against the batch's on-chain root first.

        :raises NotFound: the batch is not on chain, or its code list is not held here.
        """
        on_chain = self.get_batch(batch)  # type: ignore[attr-defined]
        stored = self.codes.batch(batch)
        if stored is None:
            raise NotFound("code list of batch", id_hex(batch) + " in this home")
        if stored.root != on_chain.unit_root:
            raise ManifestMismatch(f"the code list held here for batch {id_hex(batch)} does not rebuild its "
                                   "on-chain root; re-import it from its manufacturer")
        chain, group = self.chain_key
        packing = None
        if self.packing_layout(batch) is not None:  # type: ignore[attr-defined]
            packing = self.held_packing(batch)  # type: ignore[attr-defined]
            if packing is None:
                raise NotFound("packing (case and pallet codes) of batch", id_hex(batch) + " in this home")
        # the product's details document held here (checked when it was kept) travels with the codes
        details = self.codes.product_details(on_chain.product_id)
        return render_manifest(chain_id=chain, group_id=group, org_registry=self.deployment.address("OrgRegistry"),
                               batch_id=batch, product_id=on_chain.product_id, lot=on_chain.lot,
                               unit_root=on_chain.unit_root, codes=self.codes.codes(batch),
                               hash_name=hash_name(self.chain_hash), packing=packing, product_details=details)

    def import_manifest(self, data: bytes, *, shipment_id: int | None = None) -> ManifestImport:
        """Check a manifest against the chain and keep its code list here (for dispensing,
        verifying and auditing its units). Nothing is stored unless every check passes.

        Checks: the file parses (header, every code line); its chain, group and suite are this
        home's; the batch is on chain with that many units, and the header's product, lot and
        root (and packing root) are the chain's; the codes rebuild the on-chain root — also when
        this home already holds the batch, so a tampered copy is never reported as imported;
        with ``shipment_id``, the shipment is of that batch and its ``manifestHash`` is this file's.

        :raises ManifestFormatError: not a manifest (exit 2 in the CLI).
        :raises ManifestMismatch: the manifest is not this chain's record of the batch.
        :raises TraceCodeError: the chain binds the batch's product to a drug identifier code and a
            code of the manifest does not carry it (nothing stored).
        """
        manifest = parse_manifest(data)
        if manifest.unit_count >= treehash.PARALLEL_MIN:
            treehash.helper()  # start the tree's second core now: its start overlaps the checks below
        self._check_identity(manifest)
        if shipment_id is not None:
            self._check_shipment(manifest, shipment_id)
        on_chain = self.get_batch(manifest.batch_id)  # type: ignore[attr-defined]
        if on_chain.unit_count != manifest.unit_count:
            raise ManifestMismatch(f"batch {id_hex(manifest.batch_id)} has {on_chain.unit_count} units on chain, "
                                   f"the manifest lists {manifest.unit_count}")
        for name, claimed, actual in (("product", id_hex(manifest.product_id), id_hex(on_chain.product_id)),
                                      ("lot", manifest.lot, on_chain.lot),
                                      ("unit root", id_hex(manifest.unit_root), id_hex(on_chain.unit_root))):
            if claimed != actual:
                raise ManifestMismatch(f"the manifest's header says {name} {claimed}, batch "
                                       f"{id_hex(manifest.batch_id)} has {actual} on chain")
        # where the chain binds the product to a drug identifier code, every code must carry it
        self._check_code_prefixes(on_chain.product_id, manifest.codes, foreign=False)  # type: ignore[attr-defined]
        packing = self._check_packing(manifest)
        details = self._check_manifest_details(manifest, on_chain.product_id)
        code_hashes = code_hashes_of(manifest.codes, self.chain_hash)

        def checked_tree() -> MerkleTree:
            tree = build_tree_from_hashes(manifest.batch_id, code_hashes, self.chain_hash)
            if tree.root != on_chain.unit_root:
                raise ManifestMismatch(f"the manifest's codes do not rebuild batch {id_hex(manifest.batch_id)}'s "
                                       f"on-chain root ({id_hex(tree.root)[:18]}… ≠ {id_hex(on_chain.unit_root)[:18]}…)")
            return tree

        held = self.codes.batch(manifest.batch_id)
        if held is not None and held.root == on_chain.unit_root:
            checked_tree()  # a copy of a batch held here is checked all the same, and stores nothing
            kept = False
        else:
            # the units are written while the tree is rebuilt, in one transaction that commits only
            # once the codes rebuild the chain's root (else it rolls back: nothing is kept)
            self.codes.put_batch_building(manifest.batch_id, code_hashes, manifest.codes,
                                          product_id=on_chain.product_id, lot=on_chain.lot, build=checked_tree)
            kept = True
        # every check passed
        if packing is not None:
            self.keep_packing(manifest.batch_id, packing)  # type: ignore[attr-defined]
        if details is not None and self.codes.product_details(details.product_id) != manifest.product_details:
            import time

            self.codes.put_product_details(details.product_id, details.details_hash, manifest.product_details or b"",
                                           stored_ms=int(time.time() * 1000))
        return dataclasses.replace(self._result(manifest, on_chain, not kept, shipment_id),
                                   details_stored=details is not None)

    def _check_manifest_details(self, manifest: Manifest, product: bytes) -> Any:
        """The details document a manifest carries, checked: the batch's product's, hashing to its
        on-chain ``detailsHash`` (``None``: it carries none).

        :raises ManifestMismatch: a document that is not the product's registered one (nothing stored).
        """
        if manifest.product_details is None:
            return None
        from fisco_drugtrace.drugtrace.product_details import ProductDetailsFormatError, parse_product_details

        try:
            details = parse_product_details(manifest.product_details, hasher=self.chain_hash)
        except ProductDetailsFormatError as exc:
            raise ManifestFormatError(f"manifest header: product_details: {exc}") from exc
        if details.product_id != product:
            raise ManifestMismatch(f"the manifest's product details are for product {id_hex(details.product_id)}, "
                                   f"batch {id_hex(manifest.batch_id)} is of product {id_hex(product)}")
        on_chain = self.registered_details_hash(product)  # type: ignore[attr-defined]
        if on_chain != details.details_hash:
            raise ManifestMismatch(f"the manifest's product details hash to {id_hex(details.details_hash)}, product "
                                   f"{id_hex(product)} was registered with detailsHash "
                                   f"{id_hex(on_chain) if on_chain else 'none'}: not its document")
        return details

    def _check_packing(self, manifest: Manifest) -> PackingTree | None:
        """A packed batch's manifest must carry its packing, rebuilding the on-chain root and
        layout, with the header's ``packing_root`` claiming that root (the tree is returned, for
        the caller to keep once every check passed); a batch without packing must carry none."""
        from fisco_drugtrace.drugtrace.packing import PackingLayout, PackingTree

        layout = self.packing_layout(manifest.batch_id)  # type: ignore[attr-defined]
        claimed = manifest.packing
        if layout is None:
            if claimed is not None:
                raise ManifestMismatch(f"the manifest carries a packing, batch {id_hex(manifest.batch_id)} has none "
                                       "on chain")
            return None
        if claimed is None:
            raise ManifestMismatch(f"batch {id_hex(manifest.batch_id)} is packed on chain; the manifest carries no "
                                   "packing (case and pallet codes)")
        try:
            mine = PackingLayout(manifest.unit_count, claimed["units_per_case"], claimed["cases_per_pallet"])
            tree = PackingTree.build(manifest.batch_id, mine, claimed["case_codes"], claimed["pallet_codes"],
                                     hasher=self.chain_hash)  # type: ignore[attr-defined]
        except (ValueError, IndexError) as exc:
            raise ManifestMismatch(f"the manifest's packing does not fit its batch: {exc}") from exc
        on_chain = self.suite.call(self.suite.drugs, "packingOf", manifest.batch_id)[0]
        if mine != layout or tree.root != bytes(on_chain):
            raise ManifestMismatch(f"the manifest's packing does not rebuild batch {id_hex(manifest.batch_id)}'s "
                                   "on-chain packing root and layout")
        if str(claimed["packing_root"]).lower() != id_hex(tree.root):
            raise ManifestMismatch(f"the manifest's header says packing root {claimed['packing_root']}, batch "
                                   f"{id_hex(manifest.batch_id)} has {id_hex(tree.root)} on chain")
        return tree

    def _result(self, manifest: Manifest, on_chain: object, held: bool, shipment_id: int | None) -> ManifestImport:
        return ManifestImport(manifest.batch_id, on_chain.product_id, on_chain.lot,  # type: ignore[attr-defined]
                              on_chain.unit_count, on_chain.unit_root, manifest.file_hash,  # type: ignore[attr-defined]
                              held, shipment_id)

    def _check_identity(self, manifest: Manifest) -> None:
        chain, group = self.chain_key
        if (manifest.chain_id, manifest.group_id) != (chain, group):
            raise ManifestMismatch(f"the manifest is for chain {manifest.chain_id} group {manifest.group_id}, "
                                   f"this node serves chain {chain} group {group}")
        if manifest.hash_name != hash_name(self.chain_hash):
            raise ManifestMismatch(f"the manifest's codes are hashed with {manifest.hash_name}, this chain's contracts "
                                   f"hash with {hash_name(self.chain_hash)}")
        ours = self.deployment.address("OrgRegistry").lower()
        if manifest.org_registry != ours:
            raise ManifestMismatch(f"the manifest is for the suite at {manifest.org_registry}, this home uses {ours}")

    def _check_shipment(self, manifest: Manifest, shipment_id: int) -> None:
        shipment = self.get_shipment(shipment_id)  # type: ignore[attr-defined]
        if shipment.batch_id != manifest.batch_id:
            raise ManifestMismatch(f"shipment {shipment_id} is of batch {id_hex(shipment.batch_id)}, the manifest "
                                   f"of batch {id_hex(manifest.batch_id)}")
        events = self.suite.custody.get_events(self.deployment.block_number, self.client.block_number(),
                                               "ShipmentDispatched", [int(shipment_id).to_bytes(32, "big")])
        if not events:
            raise NotFound("shipment", str(shipment_id))
        referenced = bytes(events[0].args["manifestHash"])
        if referenced == bytes(32):
            raise ManifestMismatch(f"shipment {shipment_id} references no manifest (it was shipped without "
                                   "--manifest): import the file without --shipment; its codes are still checked "
                                   "against the chain")
        if referenced != manifest.file_hash:
            raise ManifestMismatch(f"shipment {shipment_id} references manifest {id_hex(referenced)}, this file is "
                                   f"{id_hex(manifest.file_hash)}")
