"""The auditor's side of the service: keep the index in sync and ask it questions.

Every query first brings the index up to the chain's head (incremental; a changed chain raises
``IndexMismatchError``), so answers are current. The index lives under the home directory,
one file per deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.audit import queries
from fisco_drugtrace.drugtrace.audit.compliance import NoticeCompliance, RecallSummary, notice_compliance, recall_cases
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.records import SyncResult
from fisco_drugtrace.drugtrace.audit.report import AuditReport, Evidence, build_report
from fisco_drugtrace.drugtrace.audit.sync import sync_index
from fisco_drugtrace.drugtrace.audit.verify import VerifyResult, index_evidence, verify_evidence
from fisco_drugtrace.drugtrace.ids import code_hash
from fisco_drugtrace.errors import CodeNotGenuine, NotFound

__all__ = ["AuditOps"]


class AuditOps(ServiceBase):
    """Index, query, report and verify."""

    def open_audit_index(self, path: str | Path | None = None) -> AuditIndex:
        """The audit index of this deployment, bound to it (refuses another deployment's file)."""
        index = AuditIndex(path or self.audit_path())
        dep = self.deployment
        index.bind({"chain": dep.chain_id, "group": dep.group_id, "contracts": dict(dep.contracts)})
        return index

    def audit_sync(self, index: AuditIndex | None = None, *, step: int = 500,
                   on_progress: Callable[[int, int], None] | None = None) -> SyncResult:
        """Index the suite's events up to the head (``IndexMismatchError`` if the chain changed)."""
        if index is None:
            with self.open_audit_index() as own:
                return self.audit_sync(own, step=step, on_progress=on_progress)
        return sync_index(index, self.client, self.suite.decoder, start_block=self.deployment.block_number,
                          step=step, on_progress=on_progress)

    def reset_audit_index(self) -> None:
        """Delete this deployment's index (e.g. after ``IndexMismatchError`` on a reset chain);
        the next sync rebuilds it from the chain."""
        base = self.audit_path()
        for suffix in ("", "-wal", "-shm"):
            Path(str(base) + suffix).unlink(missing_ok=True)

    def _query(self, fn: Callable[[AuditIndex], Any], *, sync: bool = True) -> Any:
        with self.open_audit_index() as index:
            if sync:
                self.audit_sync(index)
            return fn(index)

    def trace_unit(self, code: str, *, sync: bool = True) -> queries.UnitTrace:
        """A unit's full trace (its batch's custody and its own dispense events).

        :raises CodeNotGenuine: the code is counterfeit, or this home cannot tell (no manifest).
        """
        checked = self.verify_code(code)  # type: ignore[attr-defined]
        if not checked.genuine:
            raise CodeNotGenuine(checked.code, checked.verdict.value, checked.reason)
        location = self.codes.locate(checked.code)
        if location is None:  # pragma: no cover - verify_code found it a moment ago
            raise NotFound("unit code", code)
        return self._query(lambda ix: queries.unit_trace(ix, location.batch_id, code_hash(location.code)), sync=sync)

    def trace_batch(self, batch: bytes, *, sync: bool = True) -> queries.BatchTrace:
        return self._query(lambda ix: queries.batch_trace(ix, batch), sync=sync)

    def trace_shipment(self, shipment_id: int, *, sync: bool = True) -> queries.ShipmentCustody:
        return self._query(lambda ix: queries.shipment_custody(ix, shipment_id), sync=sync)

    def where_is(self, batch: bytes, *, sync: bool = True) -> queries.BatchWhereabouts:
        return self._query(lambda ix: queries.where_is(ix, batch), sync=sync)

    def audit_alerts(self, *, since_block: int = 0, sync: bool = True) -> list[queries.Alert]:
        return self._query(lambda ix: queries.alerts(ix, since_block=since_block), sync=sync)

    def audit_recalls(self, *, sync: bool = True) -> list[RecallSummary]:
        return self._query(recall_cases, sync=sync)

    def audit_compliance(self, *, now_ms: int | None = None, sync: bool = True) -> list[NoticeCompliance]:
        moment = self.now_ms() if now_ms is None else now_ms
        return self._query(lambda ix: notice_compliance(ix, now_ms=moment), sync=sync)

    def audit_report(self, *, now_ms: int | None = None, sync: bool = True) -> AuditReport:
        moment = self.now_ms() if now_ms is None else now_ms
        return self._query(lambda ix: build_report(ix, now_ms=moment), sync=sync)

    def org_labels(self) -> dict[str, str]:
        return self.address_book.labels(*self.chain_key)

    def audit_verify(self, evidence: Sequence[Evidence] | None = None, *,
                     on_progress: Callable[[int], None] | None = None) -> VerifyResult:
        """Re-check ``evidence`` (a report's) — or every indexed event — against the chain.

        :raises VerificationError: listing every record that differs.
        """
        with self.open_audit_index() as index:
            records = list(evidence) if evidence is not None else index_evidence(index)
            return verify_evidence(self.client, self.suite.decoder, records, index=index, on_progress=on_progress)
