"""The auditor's side of the service: keep the index in sync and ask it questions.

Every query first brings the index up to the chain's head (incremental; a changed chain raises
``IndexMismatchError``), so answers are current. The index lives under the home directory,
one file per deployment.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Callable, Sequence

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.audit import queries
from fisco_drugtrace.drugtrace.audit.compliance import NoticeCompliance, RecallSummary, notice_compliance, recall_cases
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.records import SyncResult
from fisco_drugtrace.drugtrace.audit.report import AuditReport, Evidence, build_report
from fisco_drugtrace.drugtrace.audit.sync import sync_index
from fisco_drugtrace.drugtrace.audit.verify import ReportVerification, VerifyResult, index_evidence, verify_evidence
from fisco_drugtrace.drugtrace.ids import code_hash
from fisco_drugtrace.errors import CodeNotGenuine, ContractRevert, NotFound, TransportError, VerificationError

__all__ = ["AuditOps"]


class AuditOps(ServiceBase):
    """Index, query, report and verify."""

    def open_audit_index(self, path: str | Path | None = None) -> AuditIndex:
        """The audit index of this deployment, bound to it (refuses another deployment's file)."""
        index = AuditIndex(path or self.store_location("audit"))
        dep = self.deployment
        index.bind({"chain": dep.chain_id, "group": dep.group_id, "contracts": dict(dep.contracts)})
        return index

    def audit_sync(self, index: AuditIndex | None = None, *, step: int = 500,
                   on_progress: Callable[[int, int], None] | None = None) -> SyncResult:
        """Index the suite's events up to the head (``IndexMismatchError`` if the chain changed)."""
        if index is None:
            with self.open_audit_index() as own:
                return self.audit_sync(own, step=step, on_progress=on_progress)
        return sync_index(index, self.client, self.suite.full_decoder(), start_block=self.deployment.block_number,
                          step=step, on_progress=on_progress)

    def reset_audit_index(self) -> None:
        """Delete this deployment's index (e.g. after ``IndexMismatchError`` on a reset chain);
        the next sync rebuilds it from the chain."""
        location = self.store_location("audit")
        if location.postgres:
            from fisco_drugtrace.drugtrace.sqldb import drop_store

            drop_store(location)
            return
        base = self.audit_path()
        for suffix in ("", "-wal", "-shm"):
            Path(str(base) + suffix).unlink(missing_ok=True)

    def _query(self, fn: Callable[[AuditIndex], Any], *, sync: bool = True) -> Any:
        with self.open_audit_index() as index:
            if sync:
                self.audit_sync(index)
            return fn(index)

    def trace_unit(self, code: str, *, sync: bool = True, checked: Any = None) -> queries.UnitTrace:
        """A unit's full trace (its batch's custody and its own dispense events).

        ``checked``: the code's verification already made from this home's index (a served
        answer, :class:`~.served.IndexedVerifier`) instead of asking the chain; the batch's packing
        layout is then read from the index too, so the trace needs no node at all.

        :raises CodeNotGenuine: the code is counterfeit, or this home cannot tell (no manifest).
        """
        if checked is None:
            checked = self.verify_code(code)  # type: ignore[attr-defined]
        if not checked.genuine:
            raise CodeNotGenuine(checked.code, checked.verdict.value, checked.reason)
        location = self.codes.locate(checked.code)
        if location is None:  # pragma: no cover - verify_code found it a moment ago
            raise NotFound("unit code", code)
        if checked.as_of_block is not None and checked.batch is not None:
            with self.open_audit_index() as index:
                layout = _indexed_layout(index, location.batch_id, int(checked.batch.unit_count))
        else:
            try:
                layout = self.packing_layout(location.batch_id)  # type: ignore[attr-defined]
            except ContractRevert:  # a DrugRegistry older than packing (issue 17A): no batch is packed
                layout = None
        if layout is None:
            return self._query(lambda ix: queries.unit_trace(ix, location.batch_id,
                                                             code_hash(location.code, hasher=self.chain_hash),
                                                             unit=location.index), sync=sync)
        return self._query(lambda ix: self._packed_unit_trace(ix, location, layout), sync=sync)

    def _packed_unit_trace(self, index: AuditIndex, location: Any, layout: Any) -> queries.UnitTrace:
        """A packed unit's trace: container events of its own case and pallet only, and its
        path by container (:class:`~.audit.queries.UnitPacking`)."""
        from fisco_drugtrace.drugtrace.packing import CASE, PALLET, container_key

        unit = int(location.index)
        case = layout.case_of(unit)
        pallet = layout.pallet_of(case)
        found = queries.unit_trace(index, location.batch_id, code_hash(location.code, hasher=self.chain_hash),
                                   containers=(unit, container_key(CASE, case), container_key(PALLET, pallet)))
        held = self.held_packing(location.batch_id) or {}  # type: ignore[attr-defined]
        case_codes, pallet_codes = held.get("case_codes") or [], held.get("pallet_codes") or []
        packing = queries.UnitPacking(
            unit, case, pallet,
            str(case_codes[case]) if case < len(case_codes) else None,
            str(pallet_codes[pallet]) if pallet < len(pallet_codes) else None,
            tuple(e for e in found.entries if e.contract == "PackingLedger"))
        return dataclasses.replace(found, packing=packing)

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
        """The auditor's report as of the index's last block. Its recall figures are the chain's
        (``recall_figures``: ``recallFigures``, product-wide ``productRecallFigures`` in pages),
        read while the chain's head is the index's last block, and checked against the index's
        own replay of them: a difference raises ``VerificationError`` (exit 6) rather than
        producing a report that cannot verify. With ``sync=False`` and an index behind the
        head, or a node that cannot be asked (``TransportError``: a server whose node is down
        still shows its board), the figures are the index's replay (equal to the chain's at that
        block) and the block hash is the one the index recorded when it synced that block."""
        moment = self.now_ms() if now_ms is None else now_ms
        with self.open_audit_index() as index:
            figures = None
            for _attempt in range(5):
                if sync:
                    self.audit_sync(index)
                try:
                    if self.client.block_number() != index.last_block:
                        if not sync:
                            break
                        continue
                    read = self.chain_recall_figures(index)
                    if self.client.block_number() == index.last_block:
                        figures = read
                        break
                except TransportError:
                    if sync:
                        raise
                    break
            else:
                raise VerificationError(["the chain kept moving while its recall figures were read; try again"])
            anchor = None
            if index.last_block:
                try:
                    anchor = self.client.get_block_hash(index.last_block)
                except TransportError:  # the node is down: the index's own anchor of that block
                    if sync:
                        raise
            report = build_report(index, now_ms=moment, figures=figures, last_block_hash=anchor)
            if figures is not None:
                replayed = build_report(index, now_ms=moment)
                differences = _figure_differences(report.completion, replayed.completion)
                if differences:
                    raise VerificationError(differences)
            return report

    def chain_recall_figures(self, index: AuditIndex) -> dict[int, Any]:
        """The chain's figures of every indexed recall case, by recall id."""
        return {case.recall_id: self.recall_figures(case.recall_id)  # type: ignore[attr-defined]
                for case in recall_cases(index)}

    def org_labels(self) -> dict[str, str]:
        return self.address_book.labels(*self.chain_key)

    def audit_verify_report(self, text: str | bytes) -> ReportVerification:
        """Verify a JSON report, failing closed: recompute every figure from the chain.

        The report's shape is checked (:mod:`audit.report_schema`), then its chain, group and suite must
        be this home's, its ``last_block`` on the chain and its ``generated_ms`` not before that
        block. A fresh index is then built from the chain up to ``last_block`` (never from this
        home's index, a local file) and the report rebuilt from it at ``generated_ms``; every
        figure — holdings, recall outstanding/recovered/destroyed, completion, time-to-notify
        verdicts, alerts, the evidence list — must be the same.

        :raises ReportFormatError: not a report (exit 2).
        :raises VerificationError: listing every figure that differs (exit 6).
        """
        from fisco_drugtrace.drugtrace.audit.report_schema import parse_report
        from fisco_drugtrace.drugtrace.audit.verify import report_differences

        claimed = parse_report(text)
        dep = self.deployment
        identity = {"chain": dep.chain_id, "group": dep.group_id, "contracts": dict(dep.contracts)}
        problems, _ = report_differences({"deployment": claimed["deployment"]}, {"deployment": identity})
        if problems:
            raise VerificationError([f"the report is not of this chain, group and suite: {p}" for p in problems])
        last = int(claimed["last_block"])
        head = self.client.block_number()
        if last > head:
            raise VerificationError([f"last_block {last} is beyond the chain's head {head}"])
        rebuilt, block_ms = self.recompute_report(last, int(claimed["generated_ms"]))
        if claimed["version"] == 1:  # an older report: every figure is checked, it has no block hash to check
            rebuilt["version"] = 1
            rebuilt.pop("last_block_hash", None)
        differences, figures = report_differences(claimed, rebuilt)
        differences += self._live_figure_differences(claimed, last)
        if block_ms is not None and int(claimed["generated_ms"]) < block_ms:
            differences.insert(0, f"generated_ms {claimed['generated_ms']} is before block {last} ({block_ms})")
        if differences:
            raise VerificationError(differences)
        return ReportVerification(last, int(rebuilt["event_count"]), figures, len(rebuilt["evidence"]),
                                  rebuilt.get("last_block_hash"))

    def _live_figure_differences(self, claimed: dict[str, Any], last_block: int) -> list[str]:
        """While the chain's head is still the report's last block, its recall figures are read
        again and compared with the report's completion section (a second, independent check
        beside the replay from the events)."""
        if self.client.block_number() != last_block:
            return []
        out = []
        for i, done in enumerate(claimed.get("completion") or []):
            if not isinstance(done, dict) or not isinstance(done.get("recall_id"), int):
                continue
            try:
                chain = self.recall_figures(done["recall_id"])  # type: ignore[attr-defined]
            except NotFound:
                out.append(f"completion[{i}]: the chain has no recall case {done['recall_id']}")
                continue
            for field, value in (("outstanding_at_decision", chain.in_market_at_open),
                                 ("in_market_now", chain.in_market_now), ("recovered", chain.recovered),
                                 ("destroyed_confirmed", chain.destroyed), ("declared", chain.declared),
                                 ("written_off", chain.written_off)):
                if done.get(field) != value:
                    out.append(f"completion[{i}].{field}: report {done.get(field)!r}, chain's recallFigures {value}")
        return out

    def recompute_report(self, last_block: int, generated_ms: int) -> tuple[dict[str, Any], int | None]:
        """The JSON report as the chain gives it up to ``last_block`` at ``generated_ms``, and that
        block's time: a fresh index from the chain in a temporary file, never this home's index."""
        import tempfile

        from fisco_drugtrace.drugtrace.audit.report import report_to_json

        dep = self.deployment
        self.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="audit-verify-", dir=str(self.home)) as tmp:
            with self.open_audit_index(Path(tmp) / "fresh.sqlite") as fresh:
                sync_index(fresh, self.client, self.suite.full_decoder(), start_block=dep.block_number, to_block=last_block)
                anchor = self.client.get_block_hash(last_block) if last_block else None
                rebuilt = json.loads(report_to_json(build_report(fresh, now_ms=generated_ms, last_block_hash=anchor)))
                return rebuilt, fresh.block_time(last_block)

    def audit_verify(self, evidence: Sequence[Evidence] | None = None, *,
                     on_progress: Callable[[int], None] | None = None) -> VerifyResult:
        """Re-check ``evidence`` (a report's) — or every indexed event — against the chain.

        :raises VerificationError: listing every record that differs.
        """
        with self.open_audit_index() as index:
            records = list(evidence) if evidence is not None else index_evidence(index)
            return verify_evidence(self.client, self.suite.full_decoder(), records, index=index, on_progress=on_progress)


def _indexed_layout(index: AuditIndex, batch: bytes, unit_count: int) -> Any:
    """The batch's packing layout as its ``BatchPackingCommitted`` event in the index has it
    (``None``: not packed) — what ``DrugRegistry.packingOf`` answers, without the node."""
    from fisco_drugtrace.drugtrace.packing import PackingLayout

    row = index.db.execute("SELECT args FROM events WHERE batch_id = ? AND name = 'BatchPackingCommitted' "
                           "ORDER BY seq DESC LIMIT 1", (bytes(batch),)).fetchone()
    if row is None:
        return None
    a = json.loads(row[0])
    return PackingLayout(unit_count, int(a["unitsPerCase"]), int(a["casesPerPallet"])) if int(a["unitsPerCase"]) else None


def _figure_differences(chain: Sequence[Any], replayed: Sequence[Any]) -> list[str]:
    """Where the index's replay of the recall figures differs from the chain's."""
    ours = {c.recall_id: c for c in replayed}
    out = []
    for c in chain:
        r = ours.get(c.recall_id)
        for field in ("outstanding_at_decision", "in_market_now", "recovered", "destroyed_confirmed", "declared",
                      "written_off"):
            if r is None or getattr(r, field) != getattr(c, field):
                out.append(f"recall case {c.recall_id}: {field} is {getattr(c, field)} on chain, "
                           f"{getattr(r, field, None)} in the index's replay")
    return out
