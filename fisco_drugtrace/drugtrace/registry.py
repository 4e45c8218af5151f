"""Organisations, products, batches (with their code lists) and lifecycle transitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.codes import PREFIX_LENGTH, load_codes, parse_drug_code, validate_codes
from fisco_drugtrace.drugtrace.ids import batch_id as make_batch_id
from fisco_drugtrace.drugtrace.ids import id_hex, org_ref, product_id as make_product_id
from fisco_drugtrace.drugtrace.merkle import build_batch_tree
from fisco_drugtrace.drugtrace.models import (
    AdrPolicy,
    Batch,
    BatchRegistration,
    LifecycleState,
    Organisation,
    OrgKind,
    OrgStatus,
    Product,
    TxInfo,
)
from fisco_drugtrace.drugtrace.suite import ZERO32
from fisco_drugtrace.errors import BatchDatesError, DrugCodeError, NotFound, TraceCodeError, TransactionFailed

__all__ = ["RegistryOps"]

Progress = Callable[[str, int, int], None]


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


def _counting(on_progress: Progress, total: int) -> Callable[[int], None]:
    """Turn validation's increments into cumulative ``("validate", done, total)`` reports."""
    done = 0

    def _step(n: int) -> None:
        nonlocal done
        done += n
        on_progress("validate", done, total)

    return _step


class RegistryOps(ServiceBase):
    """Organisations, products, batches and their lifecycle."""

    # -- organisations -------------------------------------------------------------------
    def register_org(self, org: str | bytes, kind: OrgKind, region: int, *, licence_expiry: int = 0,
                     details_hash: bytes = ZERO32, name: str = "") -> Organisation:
        """Onboard an organisation (regulators only); ``org`` is its credit code or 0x id."""
        oid = org_ref(org)
        self.suite.transact(self.suite.orgs, "registerOrg", oid, int(kind), int(region), int(licence_expiry),
                            details_hash)
        if name:
            self.address_book.set_label(*self.chain_key, id_hex(oid), name)
        return self.get_org(oid)

    def bind_account(self, address: str, org: str | bytes) -> TxInfo:
        """Bind a signing account to an organisation."""
        return self.suite.transact(self.suite.orgs, "bindAccount", address, org_ref(org))

    def unbind_account(self, address: str) -> TxInfo:
        return self.suite.transact(self.suite.orgs, "unbindAccount", address)

    def suspend_org(self, org: str | bytes, reason_hash: bytes = ZERO32) -> Organisation:
        oid = org_ref(org)
        self.suite.transact(self.suite.orgs, "suspendOrg", oid, reason_hash)
        return self.get_org(oid)

    def restore_org(self, org: str | bytes, reason_hash: bytes = ZERO32) -> Organisation:
        oid = org_ref(org)
        self.suite.transact(self.suite.orgs, "restoreOrg", oid, reason_hash)
        return self.get_org(oid)

    def get_org(self, org: str | bytes) -> Organisation:
        oid = org_ref(org)
        kind, status, region, seq, expiry, details = self.suite.call(self.suite.orgs, "getOrg", oid)
        if int(kind) == 0:
            typed = org.strip() if isinstance(org, str) else ""
            raise NotFound("organisation", id_hex(oid) if not typed or typed.lower() == id_hex(oid)
                           else f"{typed!r} (id {id_hex(oid)})")
        name = self.address_book.labels(*self.chain_key).get(id_hex(oid), "")
        return Organisation(oid, OrgKind(kind), OrgStatus(status), int(region), int(seq), int(expiry),
                            bytes(details), name)

    def org_of(self, address: str) -> Organisation:
        """The organisation an account is bound to."""
        oid = bytes(self.suite.call(self.suite.orgs, "orgOf", address))
        if not any(oid):
            raise NotFound("account binding", address)
        return self.get_org(oid)

    def list_orgs(self) -> list[Organisation]:
        count = int(self.suite.call(self.suite.orgs, "orgCount"))
        return [self.get_org(bytes(self.suite.call(self.suite.orgs, "orgIdBySeq", seq))) for seq in
                range(1, count + 1)]

    # -- products ------------------------------------------------------------------------
    def register_product(self, approval_number: str, package_spec: str, mah: str | bytes, *, min_temp: int,
                         max_temp: int, details_hash: bytes = ZERO32, drug_code: str | int | None = None) -> Product:
        """Register a product (national regulator); temperatures in 0.1 °C. With ``drug_code`` (its
        7-digit drug identifier code) the product is also bound to it on chain (:meth:`assign_drug_code`,
        a second transaction; the code is checked free first, so a taken code registers nothing).

        :raises DrugCodeError: ``drug_code`` is not 7 digits, or another product holds it (nothing sent).
        """
        code = None if drug_code is None else parse_drug_code(drug_code)
        if code is not None:
            holder = self.product_of_drug_code(code)
            if holder is not None:
                raise DrugCodeError(f"drug identifier code {code:07d} is already assigned to product {id_hex(holder)}")
        self.suite.transact(self.suite.drugs, "registerProduct", approval_number, package_spec, org_ref(mah),
                            int(min_temp), int(max_temp), details_hash)
        pid = make_product_id(approval_number, package_spec, hasher=self.chain_hash)
        if code is not None:
            self.assign_drug_code(pid, code)
        return self.get_product(pid)

    def assign_drug_code(self, product: bytes, drug_code: str | int) -> TxInfo:
        """Bind a product to its 7-digit drug identifier code on chain (national regulator; once per
        product, unique across products). Verification then knows, from the chain, which product
        every code with that prefix must belong to.

        :raises DrugCodeError: not 7 digits (nothing sent).
        :raises ContractRevert: ``DrugRegistryDrugCodeTaken(drugCode, productId)``,
            ``DrugRegistryDrugCodeAlreadySet(productId, drugCode)``, ``DrugRegistryUnknownProduct``,
            ``OrgRegistryUnauthorizedKind`` (not the national regulator).
        """
        return self.suite.transact(self.suite.drugs, "assignDrugCode", product, parse_drug_code(drug_code))

    def drug_code_of(self, product: bytes) -> str | None:
        """The product's drug identifier code on chain, 7 digits (``None``: none assigned)."""
        code = int(self.suite.call(self.suite.drugs, "drugCodeOf", product))
        return f"{code:07d}" if code else None

    def product_of_drug_code(self, drug_code: str | int) -> bytes | None:
        """The product the chain binds to a drug identifier code (``None``: no product bears it)."""
        pid = bytes(self.suite.call(self.suite.drugs, "productOfDrugCode", parse_drug_code(drug_code)))
        return pid if any(pid) else None

    def _check_code_prefixes(self, product: bytes, codes: Sequence[str], *, foreign: bool = True) -> None:
        """Refuse a code list for ``product`` whose codes carry a drug identifier code the chain does
        not give that product: any other than its bound code, or (``foreign``) one bound to another
        product. Costs one view call per distinct prefix (a real list has one).

        :raises TraceCodeError: naming the first offending code and its 1-based position in the list.
        """
        prefixes = {c[:PREFIX_LENGTH] for c in codes}

        def first(prefix: str) -> tuple[int, str, str]:
            # line 0: the position is in the list of codes, not necessarily a line of the file read
            i = next(i for i, c in enumerate(codes) if c.startswith(prefix))
            return 0, codes[i], f"code #{i + 1} ({codes[i]}): "

        bound = self.drug_code_of(product)
        for prefix in sorted(prefixes):
            if bound is not None:
                if prefix != bound:
                    line, code, where = first(prefix)
                    raise TraceCodeError([(line, code, f"{where}drug identifier code {prefix} is not product "
                                                       f"{id_hex(product)}'s {bound} (bound on chain)")])
            elif foreign and int(prefix) and (holder := self.product_of_drug_code(int(prefix))) not in (None, product):
                line, code, where = first(prefix)
                raise TraceCodeError([(line, code, f"{where}drug identifier code {prefix} is bound on chain to "
                                                   f"another product ({id_hex(holder)})")])

    def set_adr_policy(self, product: bytes, threshold: int, auto_stop: bool, *, window_ms: int = 0) -> TxInfo:
        """Set a product's adverse-reaction policy (regulators): ``threshold`` SERIOUS reports on
        one batch within ``window_ms`` milliseconds (0 = no window) raise the alert, and stop the
        batch when ``auto_stop``; ``threshold`` 0 turns the alert off.

        :raises ContractRevert: ``DrugRegistryInvalidAdrPolicy(threshold, ADR_MAX_THRESHOLD)`` for a
            threshold above :data:`~fisco_drugtrace.drugtrace.models.ADR_MAX_THRESHOLD`.
        """
        return self.suite.transact(self.suite.drugs, "setAdrPolicy", product, int(threshold), int(window_ms),
                                   bool(auto_stop))

    def get_adr_policy(self, product: bytes) -> AdrPolicy:
        """A product's adverse-reaction policy (all zero if never set)."""
        threshold, window_ms, auto_stop = self.suite.call(self.suite.drugs, "adrPolicy", product)
        return AdrPolicy(product, int(threshold), int(window_ms), bool(auto_stop))

    def get_product(self, product: bytes) -> Product:
        mah, state, since, tmin, tmax = self.suite.call(self.suite.drugs, "getProduct", product)
        if not any(bytes(mah)):
            raise NotFound("product", id_hex(product))
        approval, spec = self.suite.call(self.suite.drugs, "productLabel", product)
        return Product(product, approval, spec, bytes(mah), LifecycleState(state), int(since), int(tmin), int(tmax))

    # -- batches -------------------------------------------------------------------------
    def register_batch(self, product: bytes, lot: str, codes: Sequence[str], *, production_date: int,
                       expiry_date: int, aggregation_root: bytes = ZERO32, expected_prefix: str | None = None,
                       on_progress: Progress = _noop) -> BatchRegistration:
        """Commit a batch from its ordered unit codes: validate, build the Merkle tree, keep the
        codes and levels in the local store, then commit the root on chain. The batch is recorded
        unreleased (state NONE, no holding): release it with ``release_batch`` once its gate holds.

        :raises TraceCodeError: a malformed or duplicated code (with its line number).
        :raises BatchDatesError: the expiry date is not after the production date (nothing sent).
        """
        _check_dates(production_date, expiry_date)
        checked = validate_codes(enumerate(codes, 1), expected_prefix=expected_prefix,
                                 on_progress=_counting(on_progress, len(codes)))
        on_progress("validate", len(checked), len(checked))
        return self._commit(product, lot, checked, production_date, expiry_date, aggregation_root, on_progress)

    def register_batch_file(self, product: bytes, lot: str, path: str | Path, *, production_date: int,
                            expiry_date: int, aggregation_root: bytes = ZERO32, expected_prefix: str | None = None,
                            on_progress: Progress = _noop) -> BatchRegistration:
        """As :meth:`register_batch`, reading the codes from a text or CSV file (line numbers kept)."""
        _check_dates(production_date, expiry_date)
        checked = load_codes(path, expected_prefix=expected_prefix, on_progress=_counting(on_progress, 0))
        on_progress("validate", len(checked), len(checked))
        return self._commit(product, lot, checked, production_date, expiry_date, aggregation_root, on_progress)

    def _commit(self, product: bytes, lot: str, codes: list[str], production_date: int, expiry_date: int,
                aggregation_root: bytes, on_progress: Progress, packing: Any = None) -> BatchRegistration:
        self._check_code_prefixes(product, codes)  # before anything is stored or sent
        bid = make_batch_id(product, lot, hasher=self.chain_hash)
        total = len(codes)
        on_progress("hash", 0, total)
        tree = build_batch_tree(bid, codes, self.chain_hash)
        on_progress("hash", total, total)
        # A batch already on chain keeps its stored list: the commit below reverts with
        # DrugRegistryBatchExists, and the store is left as it was.
        fresh = self._chain_batch_root(bid) is None
        on_progress("store", 0, total)
        if fresh:
            self.codes.put_batch(tree, codes, product_id=product, lot=lot)
        on_progress("store", total, total)
        on_progress("commit", 0, 1)
        try:
            if packing is None:
                tx = self.suite.transact(self.suite.drugs, "commitBatch", product, lot, int(production_date),
                                         int(expiry_date), total, tree.root, aggregation_root)
            else:  # a packed batch (issue 17A): a PackingTree built for this batch id and code count
                tx = self.suite.transact(self.suite.drugs, "commitPackedBatch", product, lot, int(production_date),
                                         int(expiry_date), total, tree.root, packing.root,
                                         packing.layout.units_per_case, packing.layout.cases_per_pallet)
        except TransactionFailed:
            # the chain refused this list: do not keep it (a timeout, by contrast, may still land)
            if fresh and self._chain_batch_root(bid) != tree.root:
                self.codes.remove_batch(bid)
            raise
        on_progress("commit", 1, 1)
        return BatchRegistration(self.get_batch(bid), tx)

    def _chain_batch_root(self, bid: bytes) -> bytes | None:
        try:
            return self.get_batch(bid).unit_root
        except NotFound:
            return None

    def import_codes(self, batch: bytes, codes: Sequence[str]) -> Batch:
        """Load a batch's code list received from its manufacturer (e.g. at a pharmacy) into the
        local store, after checking that it rebuilds the root committed on chain."""
        on_chain = self.get_batch(batch)
        checked = validate_codes(enumerate(codes, 1))
        self._check_code_prefixes(on_chain.product_id, checked, foreign=False)
        tree = build_batch_tree(batch, checked, self.chain_hash)
        if tree.root != on_chain.unit_root or len(checked) != on_chain.unit_count:
            raise TraceCodeError([(0, "", f"the code list does not rebuild batch {id_hex(batch)}'s on-chain root")])
        self.codes.put_batch(tree, checked, product_id=on_chain.product_id, lot=on_chain.lot)
        return on_chain

    def get_batch(self, batch: bytes) -> Batch:
        (product, mah, produced, expiry, units, state, since, root, agg) = self.suite.call(
            self.suite.drugs, "getBatch", batch)
        if not any(bytes(product)):
            raise NotFound("batch", id_hex(batch))
        lot = self.suite.call(self.suite.drugs, "batchLot", batch)
        return Batch(batch, bytes(product), lot, bytes(mah), int(produced), int(expiry), int(units),
                     LifecycleState(state), int(since), bytes(root), bytes(agg))

    def effective_state(self, batch: bytes) -> LifecycleState:
        return LifecycleState(self.suite.call(self.suite.drugs, "effectiveState", batch))

    # -- lifecycle -----------------------------------------------------------------------
    def transition_batch(self, batch: bytes, to: LifecycleState, *, reason_id: int = 0,
                         evidence_hash: bytes = ZERO32) -> Batch:
        """Move a batch (stop = STOPPED, resume = LISTED); the contract's table decides who may."""
        self.suite.transact(self.suite.drugs, "transitionBatch", batch, int(to), int(reason_id), evidence_hash)
        return self.get_batch(batch)

    def transition_product(self, product: bytes, to: LifecycleState, *, reason_id: int = 0,
                           evidence_hash: bytes = ZERO32) -> Product:
        """Move a product (stop, resume, deregister)."""
        self.suite.transact(self.suite.drugs, "transitionProduct", product, int(to), int(reason_id), evidence_hash)
        return self.get_product(product)

    def stop(self, target: bytes, *, product: bool = False, reason_id: int = 0,
             evidence_hash: bytes = ZERO32) -> Batch | Product:
        fn = self.transition_product if product else self.transition_batch
        return fn(target, LifecycleState.STOPPED, reason_id=reason_id, evidence_hash=evidence_hash)

    def resume(self, target: bytes, *, product: bool = False, reason_id: int = 0,
               evidence_hash: bytes = ZERO32) -> Batch | Product:
        fn = self.transition_product if product else self.transition_batch
        return fn(target, LifecycleState.LISTED, reason_id=reason_id, evidence_hash=evidence_hash)

    def rework(self, batch: bytes, evidence_hash: bytes, *, reason_id: int = 0) -> Batch:
        """T7, the rework route: the national regulator returns a RECALLED batch to LISTED, with
        the rework evidence's hash (required, non-zero)."""
        return self.transition_batch(batch, LifecycleState.LISTED, reason_id=reason_id, evidence_hash=evidence_hash)

    def void_batch(self, batch: bytes, reason_hash: bytes = ZERO32) -> Batch:
        """Void a mis-committed batch (T8 -> VOIDED, terminal; the commit stays on chain): the
        product's MAH or a regulator in remit, only while every released unit is still with the
        MAH (they then leave custody, ``HoldingCorrected``); a STOPPED batch only by who may lift
        its stop."""
        self.suite.transact(self.suite.drugs, "voidBatch", bytes(batch), reason_hash)
        return self.get_batch(batch)

    def stop_authority(self, target: bytes) -> bytes:
        """The organisation whose decision last stopped a product or batch (zero: never stopped);
        only the same or a higher authority lifts it."""
        return bytes(self.suite.call(self.suite.drugs, "stopAuthority", bytes(target)))

    def suspended_by(self, org: str | bytes) -> bytes:
        """The regulator whose suspension of ``org`` is in force (zero if it is not suspended)."""
        return bytes(self.suite.call(self.suite.orgs, "suspendedBy", org_ref(org)))

    def deregister(self, product: bytes, *, reason_id: int = 0, evidence_hash: bytes = ZERO32) -> Product:
        return self.transition_product(product, LifecycleState.DEREGISTERED, reason_id=reason_id,
                                       evidence_hash=evidence_hash)


def _check_dates(production_date: int, expiry_date: int) -> None:
    """The chain refuses a batch that expires on or before its production (``DrugRegistryInvalidBatch``
    without a reason): say why before anything is stored or sent."""
    if int(expiry_date) <= int(production_date):
        raise BatchDatesError(int(production_date), int(expiry_date))
