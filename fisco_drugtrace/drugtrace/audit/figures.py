"""A recall case's figures as the index replays them: the auditor's recomputation of
``RecallManager.recallFigures`` / ``productRecallFigures`` from the events alone.

The projection (:mod:`.projection`) keeps, per case, what was on the market (held outside the
MAH or in transit) when it opened, the units destroyed under supervision (a voided confirmed
destruction taken off again), the holders' declarations and the batch's write-offs then (units
missing from partial receipts or decommissioned away from the MAH); what is on the market now and
what was written off since come from the projected holdings, shipments and write-offs. A product-wide case sums its batch cases. A report
carries the chain's figures; ``audit verify --report`` recomputes them with this module from a
fresh index of the chain and fails closed on any difference.
"""

from __future__ import annotations

from dataclasses import dataclass

from fisco_drugtrace.drugtrace.audit.index import AuditIndex

__all__ = ["CaseFigures", "case_figures"]


@dataclass(frozen=True)
class CaseFigures:
    """Units on the market at the opening and now, recovered (what left the market since, less
    what was written off it, at most what was on it), destroyed under supervision, declared by
    holders, and written off since the opening (missing from partial receipts, decommissioned
    away from the MAH)."""

    recall_id: int
    in_market_at_open: int
    in_market_now: int
    recovered: int
    destroyed: int
    declared: int
    written_off: int = 0

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

    def now_and_written_off(b: bytes, off_at_open: int) -> tuple[int, int]:
        return projection.in_market(b), projection.written_off(b) - int(off_at_open)

    if batch is not None:
        (off_at_open,) = index.db.execute("SELECT written_off_at_open FROM case_figures WHERE recall_id = ?",
                                          (int(recall_id),)).fetchone()
        now, written_off = now_and_written_off(bytes(batch), off_at_open)
    else:
        parts = [now_and_written_off(bytes(b), o) for b, o in index.db.execute(
            "SELECT batch_id, written_off_at_open FROM case_figures WHERE product_case = ? ORDER BY recall_id",
            (int(recall_id),))]
        now, written_off = sum(p[0] for p in parts), sum(p[1] for p in parts)
    at_open, destroyed, declared = int(at_open), int(destroyed), int(declared)
    recovered = max(0, at_open - now - written_off)
    return CaseFigures(int(recall_id), at_open, now, recovered, destroyed, declared, written_off)
