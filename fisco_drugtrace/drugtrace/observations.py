"""The eight observation points; the chain runs their automatic actions (quarantine, stop, alerts)."""

from __future__ import annotations

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.models import Observation, ObservationPoint, ObservationResult, ObservationVoid
from fisco_drugtrace.drugtrace.suite import ZERO32
from fisco_drugtrace.errors import NotFound

__all__ = ["ObservationOps", "AUTOMATIC_EVENTS", "VOID_EVENTS"]

#: events that mean an observation set something in motion (or moved a batch's release gate)
AUTOMATIC_EVENTS = (
    "TemperatureExcursion",
    "ShipmentExcursionFlagged",
    "HoldingQuarantined",
    "BatchStateChanged",
    "ProductStateChanged",
    "SeriousAdverseReactionReported",
    "AdverseReactionThresholdReached",
    "AdverseReactionNotCounted",
    "ProcessDefinitionProposed",
    "ProcessDefinitionApproved",
    "ProcessDefinitionRejected",
    "ProcessStepRecorded",
    "ReleaseTestRecorded",
    "ReleaseBlocked",
    "ReleaseUnblocked",
)

#: events a void of an observation can set off (the figures that follow it)
VOID_EVENTS = ("ObservationVoided", "BatchStateChanged", "ReleaseUnblocked", "ReleaseBlocked")


class ObservationOps(ServiceBase):
    """Record observations and read them back."""

    def observe(self, point: ObservationPoint, subject: bytes, result: ObservationResult, *, shipment_id: int = 0,
                min_value: int = 0, max_value: int = 0, evidence_hash: bytes = ZERO32) -> Observation:
        """Record an observation about a batch (a product for process definitions).

        Values are in the point's unit (temperatures in 0.1 °C). The returned record lists the
        automatic actions the chain took (``triggered``: e.g. ``HoldingQuarantined``,
        ``BatchStateChanged``).
        """
        tx = self.suite.transact(self.suite.observations, "recordObservation", int(point), subject,
                                 int(shipment_id), int(result), int(min_value), int(max_value), evidence_hash)
        obs_id = next((int(a["observationId"]) for n, a in tx.events if n == "ObservationRecorded"), None)
        if obs_id is None:
            raise NotFound("observation", "(no ObservationRecorded event)")
        triggered = tuple(n for n, _ in tx.events if n in AUTOMATIC_EVENTS)
        return self.get_observation(obs_id, triggered=triggered)

    def get_observation(self, observation_id: int, *, triggered: tuple[str, ...] = ()) -> Observation:
        (point, subject, shipment, reporter, result, vmin, vmax, at, evidence) = self.suite.call(
            self.suite.observations, "getObservation", int(observation_id))
        if int(point) == 0:
            raise NotFound("observation", str(observation_id))
        return Observation(int(observation_id), ObservationPoint(point), bytes(subject), int(shipment),
                           bytes(reporter), ObservationResult(result), int(vmin), int(vmax), int(at),
                           bytes(evidence), triggered)

    def void_observation(self, observation_id: int, reason_hash: bytes = ZERO32) -> ObservationVoid:
        """Void an observation (EPCIS errorDeclaration; the record stays on chain). What was
        derived from it follows: the release gate, the ADR count and window, and — for a
        regulator's void — the automatic stop it caused. Its author voids it (not a FAIL or
        SERIOUS inspection), or a regulator in remit ranking at least as high as the author.
        """
        tx = self.suite.transact(self.suite.observations, "voidObservation", int(observation_id), reason_hash)
        found = next((a for n, a in tx.events if n == "ObservationVoided"), None)
        if found is None:
            raise NotFound("observation void", "(no ObservationVoided event)")
        return ObservationVoid(int(observation_id), _as_bytes(found["byOrgId"]), bytes(reason_hash),
                               bool(found["stopLifted"]), tx.tx_hash, tx.block_number,
                               tuple(n for n, _ in tx.events if n in VOID_EVENTS))

    def observation_voided_by(self, observation_id: int) -> bytes:
        """Who voided the observation (zero: it stands)."""
        return bytes(self.suite.call(self.suite.observations, "voidedBy", int(observation_id)))


def _as_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)  # type: ignore[arg-type]
