"""A recall case's figures as the index replays them: the auditor's recomputation of
``RecallManager.recallFigures`` / ``productRecallFigures`` from the events alone.

The projection (:mod:`.projection`) keeps, per case, what was on the market (held outside the
MAH or in transit) when it opened, the units destroyed under supervision (a voided confirmed
destruction taken off again) and the holders' declarations; what is on the market now comes
from the projected holdings and shipments. A product-wide case sums its batch cases. A report
carries the chain's figures; ``audit verify --report`` recomputes them with this module from a
fresh index of the chain and fails closed on any difference.
"""

from __future__ import annotations

from dataclasses import dataclass

from fisco_drugtrace.drugtrace.audit.index import AuditIndex

__all__ = ["CaseFigures", "case_figures"]


@dataclass(frozen=True)
class CaseFigures:
    """Units on the market at the opening and now, recovered (what left the market since, at
    most what was on it), destroyed under supervision, declared by holders."""

    recall_id: int
    in_market_at_open: int
    in_market_now: int
    recovered: int
    destroyed: int
    declared: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.recovered / self.in_market_at_open, 2) if self.in_market_at_open else 0.0


def case_figures(index: AuditIndex, recall_id: int) -> CaseFigures | None:
    """The case's figures from the index (``None``: the case is not indexed)."""
    row = index.db.execute("SELECT batch_id, at_open, destroyed, declared FROM case_figures WHERE recall_id = ?",
                           (int(recall_id),)).fetchone()
    if row is None:
        return None
    batch, at_open, destroyed, declared = row
    projection = index.projection
    if batch is not None:
        now = projection.in_market(bytes(batch))
    else:
        now = sum(projection.in_market(bytes(b)) for (b,) in index.db.execute(
            "SELECT batch_id FROM case_figures WHERE product_case = ? ORDER BY recall_id", (int(recall_id),)))
    at_open, destroyed, declared = int(at_open), int(destroyed), int(declared)
    return CaseFigures(int(recall_id), at_open, now, max(0, at_open - now), destroyed, declared)
