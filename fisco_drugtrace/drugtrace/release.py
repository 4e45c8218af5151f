"""The release gate of a batch (T0b, docs/domain.md §6.3 with observation points 1, 2 and 6).

A committed batch is recorded but not on the market (state NONE, no holding). It goes LISTED, and
its units to the MAH's holding, only through :meth:`ReleaseOps.release_batch`, which the chain
refuses unless no regulator's failed inspection blocks the batch, the product has a
regulator-approved process definition with no unapproved change, every step of that definition is
recorded OK for the batch, and the MAH's latest release inspection of the batch is OK. The helpers
here write those observations, and the regulator's two vetoes: rejecting a pending definition and
a failed official inspection before release.
"""

from __future__ import annotations

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.models import (
    Batch,
    LifecycleState,
    Observation,
    ObservationPoint,
    ObservationResult,
    ReleaseStatus,
)
from fisco_drugtrace.drugtrace.suite import ZERO32
from fisco_drugtrace.errors import NotFound, ReleaseGateError

__all__ = ["ReleaseOps", "MAX_PROCESS_STEPS"]

#: Most steps a process definition may have (one 256-bit word of step bits per batch).
MAX_PROCESS_STEPS = 256


class ReleaseOps(ServiceBase):
    """Process definitions and their approval, process steps, release tests and batch release."""

    # The writes are observations: ObservationOps.observe, composed with this mixin in TraceService.
    def _gate_observation(self, point: ObservationPoint, subject: bytes, result: ObservationResult,
                          **kw: int | bytes) -> Observation:
        return self.observe(point, subject, result, **kw)  # type: ignore[attr-defined,no-any-return]

    def define_process(self, product: bytes, step_count: int, process_hash: bytes) -> Observation:
        """The MAH records its process definition (``process_hash`` of the document, 1..256 steps);
        until a regulator approves it, no batch of the product can be released."""
        return self._gate_observation(ObservationPoint.PROCESS_DEFINITION, product, ObservationResult.OK,
                                      max_value=int(step_count), evidence_hash=process_hash)

    def approve_process(self, product: bytes, process_hash: bytes, step_count: int | None = None) -> Observation:
        """A regulator approves the product's pending definition: the approval names the same
        document hash and step count (otherwise the observation is recorded and nothing is
        approved — check ``triggered``). ``step_count`` None: the pending definition's, read from
        the chain (what the regulator reviewed is what is on chain)."""
        if step_count is None:
            _approved, pending, *_ = self.suite.call(self.suite.observations, "releaseStatus", bytes(product),
                                                     bytes(32))
            step_count = self.get_observation(int(pending)).max_value if int(pending) else 0  # type: ignore[attr-defined]
        return self._gate_observation(ObservationPoint.PROCESS_DEFINITION, product, ObservationResult.OK,
                                      max_value=int(step_count), evidence_hash=process_hash)

    def reject_process(self, product: bytes, process_hash: bytes) -> Observation:
        """A regulator rejects the product's pending definition (it must carry the same hash; then
        ``ProcessDefinitionRejected`` is in ``triggered`` and the MAH must propose again). An approved
        definition stays in force."""
        return self._gate_observation(ObservationPoint.PROCESS_DEFINITION, product, ObservationResult.FAIL,
                                      evidence_hash=process_hash)

    def record_official_inspection(self, batch: bytes, *, passed: bool, evidence_hash: bytes = ZERO32) -> Observation:
        """A regulator's inspection (sampling) of a batch. Failed: an unreleased batch's release is
        blocked (``ReleaseBlocked``), a LISTED batch is stopped (T1). Passed: lifts a block
        (``ReleaseUnblocked``)."""
        result = ObservationResult.OK if passed else ObservationResult.FAIL
        return self._gate_observation(ObservationPoint.INSPECTION, batch, result, evidence_hash=evidence_hash)

    def record_process_step(self, batch: bytes, step: int, *, result: ObservationResult = ObservationResult.OK,
                            evidence_hash: bytes = ZERO32) -> Observation:
        """The MAH records step ``step`` (0-based) of the approved process for a batch (only OK completes it)."""
        return self._gate_observation(ObservationPoint.PROCESS_PROGRESS, batch, result, min_value=int(step),
                                      evidence_hash=evidence_hash)

    def record_release_test(self, batch: bytes, *, passed: bool = True, evidence_hash: bytes = ZERO32) -> Observation:
        """The MAH's QC release inspection of a batch (its latest one counts for release)."""
        result = ObservationResult.OK if passed else ObservationResult.FAIL
        return self._gate_observation(ObservationPoint.INSPECTION, batch, result, evidence_hash=evidence_hash)

    def release_status(self, batch: bytes) -> ReleaseStatus:
        """Where a committed batch stands against its release gate."""
        product, _mah = self.suite.call(self.suite.drugs, "batchOwner", batch)
        if not any(bytes(product)):
            raise NotFound("batch", "0x" + bytes(batch).hex())
        approved, pending, steps, bits, passed, blocked_by = self.suite.call(self.suite.observations,
                                                                             "releaseStatus", bytes(product), batch)
        return ReleaseStatus(bytes(batch), bytes(product), int(approved), int(pending), int(steps), int(bits),
                             bool(passed), int(blocked_by))

    def release_gate_problems(self, batch: bytes) -> list[str]:
        """What stops the signer's MAH from passing the gate with its own observations (steps and
        release test) and releasing the batch: each problem with the command that fixes it. Empty
        when :meth:`pass_release_gate` can go ahead."""
        status = self.release_status(batch)
        found = self.get_batch(batch)  # type: ignore[attr-defined]
        product = self.get_product(status.product_id)  # type: ignore[attr-defined]
        bid, pid = "0x" + bytes(batch).hex(), "0x" + status.product_id.hex()
        problems: list[str] = []
        if found.state != LifecycleState.NONE:
            problems.append(f"the batch is already released (state {found.state.name})")
        if product.state != LifecycleState.LISTED:
            problems.append(f"the product is {product.state.name}, not LISTED")
        signer = self._need_signer()
        try:
            mine = self.org_of(signer.address).org_id  # type: ignore[attr-defined]
        except NotFound:
            mine = None
        if mine != product.mah_org_id:
            problems.append(f"account {signer.address} does not act for the product's MAH: sign with an account "
                            "bound to it (`org bind ADDRESS MAH`)")
        if status.blocked:
            problems.append(f"a regulator's failed inspection (observation {status.blocking_observation_id}) blocks "
                            f"the release: a regulator records `observe INSPECTION {bid} --result OK`")
        if status.approved_definition_id == 0:
            problems.append(f"no approved process definition: the MAH records `observe PROCESS_DEFINITION {pid} "
                            f"--max N --evidence DOC`, a regulator approves it with `observe PROCESS_DEFINITION "
                            f"{pid} --evidence DOC --result OK`")
        if status.pending_definition_id != 0:
            problems.append(f"a changed process definition (observation {status.pending_definition_id}) awaits "
                            f"approval: a regulator records `observe PROCESS_DEFINITION {pid} --evidence DOC "
                            "--result OK` (or FAIL to reject it)")
        return problems

    def pass_release_gate(self, batch: bytes, *, evidence_hash: bytes = ZERO32) -> ReleaseStatus:
        """For the MAH that has done them: record every step of the approved process still missing
        for the batch and an OK release test. The definition itself must already be approved (and a
        regulator's block lifted by a regulator).

        Every precondition is checked first (:meth:`release_gate_problems`); when one fails nothing
        is written.

        :raises ReleaseGateError: listing every unmet precondition with the command that meets it.
        """
        problems = self.release_gate_problems(batch)
        if problems:
            raise ReleaseGateError("0x" + bytes(batch).hex(), problems)
        status = self.release_status(batch)
        for step in status.missing_steps:
            self.record_process_step(batch, step, evidence_hash=evidence_hash)
        if not status.release_test_passed:
            self.record_release_test(batch, passed=True, evidence_hash=evidence_hash)
        return self.release_status(batch)

    def release_batch(self, batch: bytes, *, evidence_hash: bytes = ZERO32) -> Batch:
        """T0b: release a committed batch (its MAH); it goes LISTED and its units to the MAH.

        :raises ContractRevert: the gate does not hold — ``DrugRegistryReleaseBlocked``,
            ``DrugRegistryProcessNotApproved``,
            ``DrugRegistryProcessIncomplete``, ``DrugRegistryReleaseTestMissing`` (with arguments),
            or ``DrugRegistryInvalidTransition`` for a batch already released.
        """
        self.suite.transact(self.suite.drugs, "releaseBatch", batch, evidence_hash)
        return self.get_batch(batch)  # type: ignore[attr-defined,no-any-return]
