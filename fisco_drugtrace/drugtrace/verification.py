"""``verify CODE`` that never lies: genuine (with the unit's state), counterfeit, or cannot tell here.

The chain holds only each batch's Merkle root, so whether a code is genuine can be decided only
with the batch's code list (a manifest, :mod:`manifest`). The three verdicts:

- **genuine** — a code list held here lists the code, and its Merkle proof checks against the
  root the chain holds for that batch. The state says whether the unit may be used: listed,
  not released, stopped, recalled, destroyed, deregistered, already dispensed, expired.
- **counterfeit** — only when the chain proves the code is not real: it is malformed (not 20
  digits), or the chain binds its 7-digit drug identifier code to a product
  (``DrugRegistry.productOfDrugCode``, assigned once by the national regulator: NMPA's coding rule
  gives each drug identifier code to one product and package) and every batch ever committed on
  chain for that product is held here, rebuilds its root, and none lists it.
- **cannot tell here** — the chain binds no product to the drug identifier code (code lists held
  here prove nothing alone: another product on chain may carry the same prefix), or this home
  does not hold every committed batch of the bound product: the answer says which batches to
  import a manifest of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.codes import code_problem, drug_identifier
from fisco_drugtrace.drugtrace.ids import code_hash, id_hex
from fisco_drugtrace.drugtrace.merkle import verify_proof
from fisco_drugtrace.drugtrace.models import Batch, LifecycleState, Product
from fisco_drugtrace.errors import NotFound

__all__ = ["Verdict", "UnitState", "Cause", "Verification", "VerificationEvidence", "VerificationOps"]


class Verdict(str, Enum):
    """The answer to "is this code real?"."""

    GENUINE = "genuine"
    COUNTERFEIT = "counterfeit"
    CANNOT_TELL = "cannot_tell_here"


class Cause(str, Enum):
    """Why a code is not genuine — counterfeit, or cannot tell here — for a reader who needs plain
    words rather than the reason's technical detail (the patients' page)."""

    #: not a traceability code at all (counterfeit)
    MALFORMED = "malformed"
    #: every batch of the product its prefix is bound to is held here and none lists it (counterfeit)
    PROVEN_ABSENT = "proven_absent"
    #: the chain binds no product to its drug identifier code: an absence proves nothing
    NO_PRODUCT_BOUND = "no_product_bound"
    #: some batches of its product are not held here
    BATCHES_NOT_HELD = "batches_not_held"
    #: the code list held here does not prove against the chain (damaged, stale or another chain's)
    LIST_MISMATCH = "list_mismatch"
    #: the index has not seen the code's batch committed yet, and the chain cannot be asked now
    INDEX_BEHIND = "index_behind"
    #: no code list held here lists it, and the chain cannot be asked now
    CHAIN_UNREACHABLE = "chain_unreachable"


class UnitState(str, Enum):
    """What a genuine unit's record says (the first that applies, in this order)."""

    DISPENSED = "already_dispensed"
    UNIT_DESTROYED = "unit_destroyed"
    STOLEN = "stolen"
    LOST = "lost"
    SAMPLED = "sampled"
    DESTROYED = "destroyed"
    DEREGISTERED = "deregistered"
    RECALLED = "recalled"
    STOPPED = "stopped"
    NOT_RELEASED = "not_released"
    VOIDED = "voided"
    EXPIRED = "expired"
    LISTED = "listed"


_STATE_OF = {LifecycleState.DESTROYED: UnitState.DESTROYED, LifecycleState.DEREGISTERED: UnitState.DEREGISTERED,
             LifecycleState.RECALLED: UnitState.RECALLED, LifecycleState.STOPPED: UnitState.STOPPED,
             LifecycleState.NONE: UnitState.NOT_RELEASED, LifecycleState.VOIDED: UnitState.VOIDED}

#: CustodyLedger.unitState of a decommissioned unit (issue 12) -> what a check says
_DECOMMISSIONED = {2: UnitState.UNIT_DESTROYED, 3: UnitState.STOLEN, 4: UnitState.LOST, 5: UnitState.SAMPLED}

_ADVICE = {
    UnitState.UNIT_DESTROYED: "genuine, but this unit was recorded destroyed: do not accept it; report it",
    UnitState.STOLEN: "genuine, but this unit was reported stolen: do not accept it; report it to the regulator",
    UnitState.LOST: "genuine, but this unit was reported lost: do not accept it; report it",
    UnitState.SAMPLED: "genuine, but this unit was taken as a sample: it is not for sale; report it",
    UnitState.LISTED: "genuine, listed and not yet dispensed: may be used",
    UnitState.DISPENSED: "genuine, but this unit was already dispensed: do not accept it (a copied code?)",
    UnitState.DESTROYED: "genuine, but its batch was destroyed: do not use",
    UnitState.DEREGISTERED: "genuine, but the product's approval was cancelled: do not use",
    UnitState.RECALLED: "genuine, but its batch is recalled: do not use; return it",
    UnitState.STOPPED: "genuine, but its batch is under an emergency stop: do not use",
    UnitState.NOT_RELEASED: "genuine, but its batch was never released for sale: do not use",
    UnitState.EXPIRED: "genuine, but past its expiry date: do not use",
    UnitState.VOIDED: "its batch record was voided (mis-committed): do not use; report it",
}


@dataclass(frozen=True)
class VerificationEvidence:
    """Where a served (index-backed) verdict comes from: the batch's commit, the Merkle proof
    checked against the root committed there, and the unit's dispense if any."""

    #: block and transaction of the batch's ``BatchCommitted`` event
    committed_block: int
    committed_tx: str
    #: the unit's Merkle proof was checked against that root, here, for this answer
    proof_checked: bool
    #: proof length (sibling hashes from the leaf to the root)
    proof_length: int = 0
    #: block and transaction of the unit's ``UnitDispensed`` event (``None``: not dispensed as of the index)
    dispensed_block: int | None = None
    dispensed_tx: str | None = None


@dataclass(frozen=True)
class Verification:
    """The answer to a code check. ``usable`` only when genuine, listed, unexpired, not dispensed."""

    code: str
    verdict: Verdict
    reason: str
    state: UnitState | None = None
    batch_id: bytes | None = None
    index: int | None = None
    product: Product | None = None
    batch: Batch | None = None
    expired: bool = False
    dispensed: bool = False
    history: tuple[str, ...] = ()
    #: batches this home would need the manifests of to decide (``cannot_tell_here`` only)
    missing_batches: tuple[bytes, ...] = ()
    #: the batch's effective lifecycle state (product state included) is LISTED
    listed: bool = False
    #: the answer comes from the audit index as of this block (``None``: read from the chain's head)
    as_of_block: int | None = None
    #: block, transaction and proof behind a served answer (index-backed verification)
    evidence: VerificationEvidence | None = None
    #: open recall cases of the unit's batch (or its product), as the audit index has them
    #: (``audit.compliance.RecallSummary``; served answers only)
    recalls: tuple[Any, ...] = ()
    #: why it is not genuine, in one word (``None`` for a genuine code)
    cause: Cause | None = None
    #: the product's details document held here (its names), checked against the product's
    #: on-chain ``detailsHash`` (``product_details.ProductDetails``; ``None``: none held that matches)
    details: Any = None

    #: the verdict is GENUINE (a field, so JSON renderings carry it)
    genuine: bool = field(init=False)
    #: genuine, listed, unexpired, not dispensed: the unit may be used
    usable: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "genuine", self.verdict is Verdict.GENUINE)
        object.__setattr__(self, "usable", self.verdict is Verdict.GENUINE and self.state is UnitState.LISTED)


class VerificationOps(ServiceBase):
    """The patient's and the inspector's check of one code, read-only."""

    def verify_code(self, code: str) -> Verification:
        """Genuine (with state), counterfeit (proven), or cannot tell here (with what to import)."""
        code = code.strip()
        problem = code_problem(code)
        if problem is not None:
            return Verification(code, Verdict.COUNTERFEIT, f"not a traceability code: {problem}", cause=Cause.MALFORMED)
        location = self.codes.locate(code)
        if location is None:
            return self._absent(code)
        try:
            batch = self.get_batch(location.batch_id)  # type: ignore[attr-defined]
        except NotFound:
            return Verification(code, Verdict.CANNOT_TELL,
                                f"the code list held here names batch {id_hex(location.batch_id)}, which is not on "
                                "this chain: this home's code store is not this chain's; import the manifest again",
                                missing_batches=(location.batch_id,), cause=Cause.LIST_MISMATCH)
        leaf = self.codes.leaf(location.batch_id, location.index)
        proof = self.codes.proof(location.batch_id, location.index)
        if not (verify_proof(batch.unit_root, leaf, proof, self.chain_hash)
                and location.code_hash == code_hash(code, hasher=self.chain_hash)):
            return Verification(code, Verdict.CANNOT_TELL,
                                f"the code list held here for batch {id_hex(location.batch_id)} does not prove "
                                "against the chain's root: import the batch's manifest again",
                                batch_id=location.batch_id, missing_batches=(location.batch_id,),
                                cause=Cause.LIST_MISMATCH)
        product = self.get_product(batch.product_id)  # type: ignore[attr-defined]
        lifecycle = self.effective_state(location.batch_id)  # type: ignore[attr-defined]
        expired = batch.expiry_date <= self.now_ms()
        dispensed = self.is_dispensed(location.batch_id, location.index)  # type: ignore[attr-defined]
        decommissioned = None if dispensed else _DECOMMISSIONED.get(int(self.suite.call(
            self.suite.custody, "unitState", location.batch_id, location.index)))
        state = UnitState.DISPENSED if dispensed else decommissioned or _STATE_OF.get(lifecycle) or (
            UnitState.EXPIRED if expired else UnitState.LISTED)
        history = tuple(self._history(location.batch_id))
        return Verification(code, Verdict.GENUINE, _ADVICE[state], state=state, batch_id=location.batch_id,
                            index=location.index, product=product, batch=batch, expired=expired, dispensed=dispensed,
                            history=history, listed=lifecycle is LifecycleState.LISTED)

    def _history(self, batch: bytes) -> list[str]:
        from fisco_drugtrace.drugtrace.custody import _describe

        return [_describe(s, self._label) for s in self.shipments_of(batch)]  # type: ignore[attr-defined]

    def _absent(self, code: str) -> Verification:
        """No code list held here lists ``code``: counterfeit only if the chain proves it.

        The proof needs the chain's binding of the code's drug identifier code to a product X
        (``DrugRegistry.productOfDrugCode``, assigned by the national regulator): then the code is
        counterfeit when every batch ever committed for X is held here, rebuilds its on-chain root
        and none lists it. Without a binding no absence proves anything (another product on chain
        may carry the prefix and this home may hold none of its batches): cannot tell here.
        """
        prefix = drug_identifier(code)
        how = (f"ask the manufacturer (or whoever shipped the unit) for the batch's code manifest and run "
               f"`fisco-drugtrace batch import-manifest FILE`")
        # 0000000 is never assigned (the contract refuses it)
        bound = bytes(self.suite.call(self.suite.drugs, "productOfDrugCode", int(prefix))) if int(prefix) else b""
        if not any(bound):
            held = " (this home holds code lists with that prefix, which prove nothing alone)" \
                if self.codes.products_with_prefix(prefix) else ""
            return Verification(code, Verdict.CANNOT_TELL,
                                f"cannot tell here: the chain binds no product to drug identifier code {prefix} "
                                f"(the national regulator assigns it: `fisco-drugtrace product assign-code`), so no "
                                f"absence of this code proves it counterfeit{held}; {how}", cause=Cause.NO_PRODUCT_BOUND)
        product = bound
        committed = self._committed_batches({product})
        held_ids = {b.batch_id for b in self.codes.batches()}
        missing = tuple(sorted(b for b in committed if b not in held_ids))
        if missing:
            return Verification(code, Verdict.CANNOT_TELL,
                                f"cannot tell here: {len(missing)} of the {len(committed)} batches committed for "
                                f"product {id_hex(product)} (drug identifier code {prefix} on chain) are not held "
                                f"here (first: {id_hex(missing[0])}); {how}", missing_batches=missing,
                                cause=Cause.BATCHES_NOT_HELD)
        stale = [bid for bid in sorted(committed) if not self._held_list_is_the_chains(bid)]
        if stale:
            return Verification(code, Verdict.CANNOT_TELL,
                                f"cannot tell here: the code list held for batch {id_hex(stale[0])} does not rebuild "
                                f"its on-chain root; {how}", missing_batches=tuple(stale), cause=Cause.LIST_MISMATCH)
        return Verification(code, Verdict.COUNTERFEIT,
                            f"counterfeit: the chain binds drug identifier code {prefix} to product "
                            f"{id_hex(product)}, and none of the {len(committed)} batches ever committed on chain "
                            f"for it lists this code (all are held here and rebuild their roots)", cause=Cause.PROVEN_ABSENT)

    def _held_list_is_the_chains(self, batch_id: bytes) -> bool:
        """The list held for ``batch_id`` is the one the chain committed (same root, same count)."""
        held = self.codes.batch(batch_id)
        try:
            on_chain = self.get_batch(batch_id)  # type: ignore[attr-defined]
        except NotFound:
            return False
        return held is not None and (held.root, held.unit_count) == (on_chain.unit_root, on_chain.unit_count)

    def _committed_batches(self, products: set[bytes]) -> set[bytes]:
        """Every batch committed on chain for ``products``: ``BatchCommitted`` events, read once
        and then only for the blocks sealed since (kept in the code store; PBFT blocks are final)."""
        head = self.client.block_number()
        start = max(self.codes.committed_scanned_to() + 1, self.deployment.block_number)
        if start <= head:
            events = self.suite.drugs.get_events(start, head, "BatchCommitted")
            self.codes.add_committed([(bytes(e.args["batchId"]), bytes(e.args["productId"]),
                                       int(e.log.block_number or 0)) for e in events], head)
        return self.codes.committed_batches(products)
