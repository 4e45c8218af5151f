"""Re-check reported records against the chain: transaction, receipt and event.

For each :class:`Evidence` record: the receipt exists and succeeded, in the same block; the block
hash matches the index's anchor (when the index has one); the transaction was sent to the
contract that emitted the event (when the client can fetch transactions); and the receipt's log
at the recorded position decodes to the same event with the same arguments. Any difference
raises :class:`~fisco_drugtrace.errors.VerificationError` listing every difference found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from fisco_drugtrace.drugtrace.audit.decoder import EventDecoder
from fisco_drugtrace.drugtrace.audit.index import AuditIndex
from fisco_drugtrace.drugtrace.audit.report import Evidence
from fisco_drugtrace.errors import RpcError, VerificationError

__all__ = ["VerifyResult", "verify_evidence", "index_evidence"]


@dataclass(frozen=True)
class VerifyResult:
    """How many records were re-checked (all matched, or ``verify_evidence`` would have raised)."""

    checked: int
    transactions: int
    blocks: int
    transactions_fetched: int = 0  # transactions read back from the node (0 if it cannot serve them)


def index_evidence(index: AuditIndex, where: str = "", params: Sequence[Any] = (),
                   limit: int | None = None) -> list[Evidence]:
    """Index rows as evidence records (``audit verify`` without a report checks the index itself)."""
    import json

    return [Evidence(r["block_number"], r["tx_hash"], r["position"], r["address"], r["contract"], r["name"],
                     json.loads(r["args"])) for r in index.rows(where, params, limit=limit)]


def _fetch_tx(client: Any, tx_hash: str) -> tuple[bool, Any]:
    """``(served, record)``: whether the client can fetch transactions, and the record (or None)."""
    getter = getattr(client, "get_transaction", None) or getattr(client, "get_transaction_by_hash", None)
    if getter is None:
        return False, None
    try:
        return True, getter(tx_hash)
    except RpcError:
        return True, None


def verify_evidence(
    client: Any,
    decoder: EventDecoder,
    records: Iterable[Evidence],
    *,
    index: AuditIndex | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Check every record against the chain; raise ``VerificationError`` on any difference."""
    differences: list[str] = []
    receipts: dict[str, Any] = {}
    block_ok: dict[int, bool] = {}
    checked = 0
    suite = set(decoder.addresses)
    for rec in records:
        checked += 1
        where = f"block {rec.block_number} tx {rec.tx_hash[:12]}… {rec.event}"
        if rec.tx_hash not in receipts:
            receipts[rec.tx_hash] = client.get_receipt(rec.tx_hash)
        receipt = receipts[rec.tx_hash]
        if receipt is None:
            differences.append(f"{where}: the chain has no such transaction")
            continue
        if receipt.status != 0:
            differences.append(f"{where}: receipt status is {receipt.status}, not success")
        if receipt.block_number != rec.block_number:
            differences.append(f"{where}: chain has it in block {receipt.block_number}")
        if index is not None and rec.block_number not in block_ok:
            stored = index.block_hash(rec.block_number)
            chain_hash = client.get_block_hash(rec.block_number) if stored else None
            block_ok[rec.block_number] = stored is None or (chain_hash or "").lower() == stored.lower()
            if not block_ok[rec.block_number]:
                differences.append(f"block {rec.block_number}: hash {chain_hash} differs from the index's {stored}")
        logs = [log for log in receipt.logs if str(log.address).lower() in suite]
        if rec.position >= len(logs):
            differences.append(f"{where}: the receipt has no event at position {rec.position}")
            continue
        log = logs[rec.position]
        if str(log.address).lower() != rec.address.lower():
            differences.append(f"{where}: emitted by {log.address}, not {rec.address}")
        decoded = decoder.decode_args(log)
        if decoded is None:
            differences.append(f"{where}: the log does not decode as a suite event")
            continue
        _, name, args = decoded
        if name != rec.event:
            differences.append(f"{where}: the chain's event is {name}")
        elif dict(args) != dict(rec.args):
            changed = sorted(k for k in set(args) | set(rec.args) if args.get(k) != rec.args.get(k))
            differences.append(f"{where}: arguments differ: " + ", ".join(
                f"{k} chain={args.get(k)!r} record={rec.args.get(k)!r}" for k in changed))
        if on_progress is not None:
            on_progress(1)
    fetched = 0
    for tx_hash, receipt in receipts.items():
        if receipt is None:
            continue
        served, tx = _fetch_tx(client, tx_hash)
        if not served:
            continue
        if tx is None:
            differences.append(f"tx {tx_hash[:12]}…: the node has a receipt but no transaction")
            continue
        fetched += 1
        # a deploy has no "to": the contract it created is in the receipt
        target = str(getattr(tx, "to_address", None) or receipt.contract_address or "").lower()
        if target not in suite:
            differences.append(f"tx {tx_hash[:12]}…: sent to {target or '(nobody)'}, not a suite contract")
        if str(getattr(tx, "hash", tx_hash)).lower() != tx_hash.lower():
            differences.append(f"tx {tx_hash[:12]}…: the node returned transaction {tx.hash}")
    if differences:
        raise VerificationError(differences)
    return VerifyResult(checked=checked, transactions=len(receipts), blocks=len(block_ok),
                        transactions_fetched=fetched)


# --------------------------------------------------------------------------- whole reports
@dataclass(frozen=True)
class ReportVerification:
    """A report that matched the chain in every figure (else ``VerificationError`` was raised)."""

    last_block: int
    events: int
    figures: int
    evidence: int
    #: the chain's hash of ``last_block``, which the report carries (``None``: a version-1 report,
    #: checked figure by figure but not anchored to the block's hash)
    block_hash: str | None = None


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every scalar of a JSON value by its path (``recalls[0].recovered``)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return out or {path: {}}
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{i}]"))
        return out or {path: []}
    return {path: value}


def report_differences(claimed: Any, recomputed: Any, *, limit: int = 200) -> tuple[list[str], int]:
    """``(differences, figures compared)`` between a report and the one recomputed from the chain.

    Every scalar is compared by its path; a field present on one side only is a difference.
    Types count: ``1`` and ``true`` and ``"1"`` are different figures.
    """
    ours, theirs = _leaves(recomputed), _leaves(claimed)
    differences = []
    for path in sorted(set(ours) | set(theirs)):
        a, b = theirs.get(path, _MISSING), ours.get(path, _MISSING)
        if type(a) is not type(b) or a != b:
            differences.append(f"{path}: report {_show(a)}, chain {_show(b)}")
            if len(differences) >= limit:
                differences.append("… (more differences not listed)")
                break
    return differences, len(ours)


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 80 else text[:77] + "…"


__all__ += ["ReportVerification", "report_differences"]
