"""Recall cases: open, notice, progress, recovery, completion, evaluation, destruction."""

from __future__ import annotations

from fisco_drugtrace.drugtrace._base import ServiceBase
from fisco_drugtrace.drugtrace.models import (
    Destruction,
    DestructionStatus,
    RecallCase,
    RecallFigures,
    RecallLinks,
    RecallKind,
    RecallLevel,
    RecallStatus,
    TxInfo,
)
from fisco_drugtrace.drugtrace.suite import ZERO32
from fisco_drugtrace.errors import NotFound

__all__ = ["RecallOps", "FIGURES_PAGE"]

#: batch cases summed per ``productRecallFigures`` call (the contract caps a page at 64)
FIGURES_PAGE = 64


class RecallOps(ServiceBase):
    """The recall case workflow (the contract enforces who may do what, and when)."""

    def open_recall(self, level: RecallLevel, *, batch: bytes = ZERO32, product: bytes | None = None,
                    reason_hash: bytes = ZERO32) -> RecallCase:
        """Open a case for a STOPPED batch (or, with ``batch`` zero, a whole product).

        The MAH opens voluntary recalls; a regulator's case is an ordered recall.
        """
        if product is None:
            product = self.get_batch(batch).product_id  # type: ignore[attr-defined]
        tx = self.suite.transact(self.suite.recalls, "openRecall", product, batch, int(level), reason_hash)
        return self.get_recall(_id(tx, "RecallOpened", "recallId"))

    def issue_notice(self, recall_id: int, notice_hash: bytes = ZERO32) -> RecallCase:
        self.suite.transact(self.suite.recalls, "issueNotice", int(recall_id), notice_hash)
        return self.get_recall(recall_id)

    def report_progress(self, recall_id: int, report_hash: bytes = ZERO32) -> RecallCase:
        self.suite.transact(self.suite.recalls, "reportProgress", int(recall_id), report_hash)
        return self.get_recall(recall_id)

    def record_recovery(self, recall_id: int, quantity: int, evidence_hash: bytes = ZERO32) -> TxInfo:
        """A holder reports units recovered (returned or secured) for the case."""
        return self.suite.transact(self.suite.recalls, "recordRecovery", int(recall_id), int(quantity),
                                   evidence_hash)

    def complete_recall(self, recall_id: int, summary_hash: bytes = ZERO32) -> RecallCase:
        self.suite.transact(self.suite.recalls, "completeRecall", int(recall_id), summary_hash)
        return self.get_recall(recall_id)

    def evaluate_recall(self, recall_id: int, accepted: bool, evaluation_hash: bytes = ZERO32) -> RecallCase:
        """The regulator accepts (closes) or rejects the MAH's summary."""
        self.suite.transact(self.suite.recalls, "evaluateRecall", int(recall_id), bool(accepted), evaluation_hash)
        return self.get_recall(recall_id)

    def record_destruction(self, recall_id: int, quantity: int, *, final: bool = False,
                           evidence_hash: bytes = ZERO32) -> Destruction:
        """The executor records a destruction; a supervisor must counter-sign it."""
        tx = self.suite.transact(self.suite.recalls, "recordDestruction", int(recall_id), int(quantity),
                                 bool(final), evidence_hash)
        return self.get_destruction(_id(tx, "DestructionRecorded", "destructionId"))

    def record_destruction_for(self, recall_id: int, holder: bytes, quantity: int, *, final: bool = False,
                               evidence_hash: bytes = ZERO32) -> Destruction:
        """A regulator records the destruction of units held by a holder that cannot act itself
        (suspended, or its licence lapsed); another supervisor counter-signs it."""
        tx = self.suite.transact(self.suite.recalls, "recordDestructionFor", int(recall_id), bytes(holder),
                                 int(quantity), bool(final), evidence_hash)
        return self.get_destruction(_id(tx, "DestructionRecorded", "destructionId"))

    def recall_figures(self, recall_id: int) -> RecallFigures:
        """The case's figures as the chain computes them.

        A batch case: ``recallFigures`` (one call). A product-wide case: the sums over its batch
        cases, read with ``productRecallFigures`` in pages of :data:`FIGURES_PAGE` (a product
        can have more batch cases than one view call should walk); ``recovered`` is then what
        left the market since those cases opened less what was written off it, ``declared`` the
        holders' declarations on the product-wide case itself.
        """
        case = self.get_recall(recall_id)  # NotFound for an unknown case
        if any(case.batch_id):
            at_open, now, recovered, destroyed, declared, written_off = self.suite.call(
                self.suite.recalls, "recallFigures", int(recall_id))
            return RecallFigures(int(recall_id), int(at_open), int(now), int(recovered), int(destroyed),
                                 int(declared), int(written_off))
        at_open = now = destroyed = written_off = 0
        start, count = 0, 1
        while start < count:
            count, page_open, page_now, destroyed, page_off = (int(v) for v in self.suite.call(
                self.suite.recalls, "productRecallFigures", int(recall_id), start, FIGURES_PAGE))
            at_open, now, written_off = at_open + page_open, now + page_now, written_off + page_off
            start += FIGURES_PAGE
        declared = int(self.suite.call(self.suite.recalls, "recovered", int(recall_id), ZERO32))
        return RecallFigures(int(recall_id), at_open, now, max(0, at_open - now - written_off), destroyed, declared,
                             written_off)

    def recall_links(self, recall_id: int) -> RecallLinks:
        """Where the case sits: the case it follows up, its product-wide case, its batch cases
        (product scope) and the latest case of its scope."""
        self.get_recall(recall_id)
        follow, product_case, batch_cases, latest = self.suite.call(self.suite.recalls, "recallLinks",
                                                                    int(recall_id))
        return RecallLinks(int(recall_id), int(follow), int(product_case), int(batch_cases), int(latest))

    def latest_case(self, scope: bytes) -> int:
        """The latest case of a batch (or, for a product id, of the product-wide scope); 0: none."""
        return int(self.suite.call(self.suite.recalls, "latestCase", bytes(scope)))

    def open_follow_up(self, batch: bytes, level: RecallLevel, *, reason_hash: bytes = ZERO32) -> RecallCase:
        """Open a follow-up case on a RECALLED batch whose case is CLOSED (stock found after the
        close): destruction is then recorded through the new case, which the chain links to the
        old one (``RecallCaseLinked``).

        :raises NotFound: the batch never had a case (open a first case with :meth:`open_recall`).
        """
        previous = self.latest_case(batch)
        if previous == 0:
            raise NotFound("recall case of batch", "0x" + bytes(batch).hex())
        case = self.open_recall(level, batch=batch, reason_hash=reason_hash)
        return case

    def void_destruction(self, destruction_id: int, reason_hash: bytes = ZERO32) -> Destruction:
        """Void a destruction record (a correction; the record stays on chain): a RECORDED one by
        its author or a regulator in remit; a CONFIRMED one only by a regulator ranking at least
        as high as its recorder and supervisor — its units come back to the executor,
        quarantined (``HoldingCorrected``), and leave the case's figures."""
        self.suite.transact(self.suite.recalls, "voidDestruction", int(destruction_id), reason_hash)
        return self.get_destruction(destruction_id)

    def countersign_destruction(self, destruction_id: int) -> Destruction:
        """A regulator or auditor (not the executor) counter-signs; units leave the holding."""
        self.suite.transact(self.suite.recalls, "countersignDestruction", int(destruction_id))
        return self.get_destruction(destruction_id)

    def get_recall(self, recall_id: int) -> RecallCase:
        (product, batch, mah, initiator, level, kind, status) = self.suite.call(
            self.suite.recalls, "getRecall", int(recall_id))
        if int(status) == 0:
            raise NotFound("recall case", str(recall_id))
        (decided, deadline, notice, last_progress, count, completed) = self.suite.call(
            self.suite.recalls, "recallTimes", int(recall_id))
        return RecallCase(int(recall_id), bytes(product), bytes(batch), bytes(mah), bytes(initiator),
                          RecallLevel(level), RecallKind(kind), RecallStatus(status), int(decided), int(deadline),
                          int(notice), int(last_progress), int(count), int(completed))

    def recovered(self, recall_id: int, org: bytes) -> int:
        return int(self.suite.call(self.suite.recalls, "recovered", int(recall_id), org))

    def get_destruction(self, destruction_id: int) -> Destruction:
        (recall_id, executor, supervisor, qty, final, status) = self.suite.call(
            self.suite.recalls, "getDestruction", int(destruction_id))
        if int(status) == 0:
            raise NotFound("destruction record", str(destruction_id))
        return Destruction(int(destruction_id), int(recall_id), bytes(executor), bytes(supervisor), int(qty),
                           bool(final), DestructionStatus(status))


def _id(tx: TxInfo, event: str, arg: str) -> int:
    for name, args in tx.events:
        if name == event:
            return int(args[arg])
    raise NotFound(event, "(not emitted)")
