"""Served verification: the patients' check of a code answered from local stores, as of a block.

:meth:`TraceService.verify_code` asks the chain (batch, product, effective state, dispense flag,
shipments: several calls per code). A web service answering thousands of scans a second reads
instead what it keeps in step with the chain:

- the **code store** (the manifests held here): the unit's batch and index, one key lookup;
- a **proof file** per batch: the batch's Merkle levels laid out flat and memory-mapped (built
  once from the code store; the store's level blobs are read whole by SQLite, 320 MB at 10^7
  codes), so a proof is ~log2(n) slices of a map;
- the **audit index**, kept in step by the server's background sync: the batch's
  ``BatchCommitted`` (root, lot, dates, MAH, block and transaction), the product, the batch's and
  product's lifecycle state, recall cases, shipments and the unit's ``UnitDispensed``.

Every answer names the index's block (``as_of_block``) and never lies:

- **genuine** only when the unit's Merkle proof checks, here and for this answer, against the
  root of the batch's ``BatchCommitted`` event in the index;
- a batch the index has not seen committed (the index is behind, or the code store is not this
  chain's), or a proof that does not check: **cannot tell here**, never counterfeit;
- a code that no manifest held here lists is decided by the chain itself
  (:meth:`TraceService.verify_code`: counterfeit only when proven up to the chain's head); when
  the chain cannot be asked, **cannot tell here**.
"""

from __future__ import annotations

import json
import mmap
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from fisco_drugtrace.crypto.keccak import keccak256
from fisco_drugtrace.drugtrace.codes import code_problem
from fisco_drugtrace.drugtrace.codestore import CodeStore, StoredBatch
from fisco_drugtrace.drugtrace.ids import id_hex
from fisco_drugtrace.drugtrace.merkle import level_sizes, proof_for
from fisco_drugtrace.drugtrace.models import Batch, LifecycleState, Product, ShipmentStatus
from fisco_drugtrace.drugtrace.product_details import ProductDetails, checked_details, registered_details_hash
from fisco_drugtrace.drugtrace.served_lookup import UnitFacts, UnitLookup
from fisco_drugtrace.drugtrace.verification import (
    _ADVICE,
    _DECOMMISSIONED,
    _STATE_OF,
    Cause,
    UnitState,
    Verdict,
    Verification,
    VerificationEvidence,
)
from fisco_drugtrace.errors import DrugTraceError

__all__ = ["IndexedVerifier", "ProofFile", "BatchView", "UNIT_GONE_EVENTS"]

#: per-unit events that take a unit off the market, and the state they give it (first wins:
#: a dispensed unit cannot be decommissioned, a decommissioned one is refused at dispense);
#: ``UnitDecommissioned``'s state comes from its ``state`` argument (``_DECOMMISSIONED``)
UNIT_GONE_EVENTS: Mapping[str, UnitState | None] = {"UnitDispensed": UnitState.DISPENSED, "UnitDecommissioned": None}

_ZERO = b"\0" * 32

try:  # safe-pysha3's Keccak-256 type (a dependency): the proof loop calls it directly
    from sha3 import keccak_256 as _KECCAK_TYPE
except ImportError:  # pragma: no cover
    _KECCAK_TYPE = None


def _b(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


class ProofFile:
    """A batch's Merkle levels, leaves first, as one flat file read through ``mmap``.

    Layout: ``DTPROOF1``, batch id (32), unit count (8, big-endian), root (32), then every level's
    nodes. The file is only a faster copy: each proof taken from it is checked against the root
    the audit index holds, so a damaged or foreign file gives "cannot tell here", never a verdict.
    """

    MAGIC = b"DTPROOF1"
    HEADER = 8 + 32 + 8 + 32

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with open(self.path, "rb") as f:
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        head = self._mm[:self.HEADER]
        if len(head) != self.HEADER or head[:8] != self.MAGIC:
            self._mm.close()
            raise ValueError(f"{self.path} is not a proof file")
        self.batch_id = bytes(head[8:40])
        self.unit_count = int.from_bytes(head[40:48], "big")
        self.root = bytes(head[48:80])
        self.sizes = level_sizes(self.unit_count) if self.unit_count else [0]
        offsets, at = [], self.HEADER
        for count in self.sizes:
            offsets.append(at)
            at += 32 * count
        if at != len(self._mm):
            self._mm.close()
            raise ValueError(f"{self.path}: {len(self._mm)} bytes, its levels need {at}")
        self._levels = tuple(zip(offsets[:-1], self.sizes[:-1]))

    def matches(self, stored: StoredBatch) -> bool:
        return (self.batch_id, self.unit_count, self.root) == (stored.batch_id, stored.unit_count, stored.root)

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from leaf ``index`` up (as :func:`merkle.proof_for`)."""
        if not 0 <= index < self.unit_count:
            raise IndexError(f"leaf index {index} out of range 0..{self.unit_count - 1}")
        mm, out, i = self._mm, [], index
        for offset, count in self._levels:
            sibling = i ^ 1
            if sibling < count:
                at = offset + 32 * sibling
                out.append(mm[at:at + 32])
            i >>= 1
        return out

    def close(self) -> None:
        self._mm.close()

    @classmethod
    def build(cls, codes: CodeStore, stored: StoredBatch, path: str | Path) -> "ProofFile":
        """Lay out ``stored``'s levels from the code store (written aside, then renamed into place).

        :raises ValueError: the store's levels are missing or do not end in the batch's root.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        sizes = level_sizes(stored.unit_count)
        try:
            with open(tmp, "wb") as out:
                out.write(cls.MAGIC + stored.batch_id + stored.unit_count.to_bytes(8, "big") + stored.root)
                last = b""
                for level, count in enumerate(sizes):
                    nodes = codes.level_nodes(stored.batch_id, level)
                    if nodes is None or len(nodes) != 32 * count:
                        raise ValueError(f"batch {id_hex(stored.batch_id)}: level {level} is not stored whole")
                    out.write(nodes)
                    last = nodes
                if last != stored.root:
                    raise ValueError(f"batch {id_hex(stored.batch_id)}: the stored levels do not end in its root")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return cls(path)


@dataclass(frozen=True)
class BatchView:
    """A batch as the audit index tells it at one block."""

    batch: Batch
    product: Product
    #: the batch's state with the product's (as ``DrugRegistry.effectiveState``)
    effective: LifecycleState
    committed_block: int
    committed_tx: str
    #: the batch's shipments in plain words
    history: tuple[str, ...]
    #: the index's recall cases of this batch (or of its whole product) not yet closed
    open_recalls: tuple[Any, ...]
    #: the product's ``detailsHash`` in its ``ProductRegistered`` event
    details_hash: bytes | None = None


@dataclass
class _Snapshot:
    block: int
    batches: dict[bytes, BatchView | None]
    recalls: list[Any]
    labels: dict[str, str]


class IndexedVerifier:
    """Answers ``verify_code`` from the code store, proof files and the audit index.

    :param service: returns this thread's :class:`TraceService` (read-only); its code store,
        audit index, hash and clock are used, and its :meth:`verify_code` for codes no manifest
        held here lists.
    :param proof_dir: where proof files are kept (default ``<home>/serve/<deployment>/``).
    """

    def __init__(self, service: Callable[[], Any], *, proof_dir: str | Path | None = None) -> None:
        self._service = service
        self._proof_dir = Path(proof_dir) if proof_dir is not None else None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._files: dict[bytes, ProofFile] = {}
        self._file_tried: dict[bytes, float] = {}
        self._indexes: list[Any] = []
        self._lookups: list[UnitLookup] = []
        #: product id -> (monotonic time read, on-chain detailsHash, the checked document or None)
        self._details: dict[bytes, tuple[float, bytes | None, ProductDetails | None]] = {}
        #: ask the code store and the index in one statement per verification where they allow
        #: it (``False``: store by store, as the tests' reference path)
        self.one_statement = True

    # -- where things are -------------------------------------------------------------------
    def proof_dir(self) -> Path:
        if self._proof_dir is None:
            svc = self._service()
            self._proof_dir = svc.home / "serve" / svc._scope_name()
        return self._proof_dir

    def _index(self) -> Any:
        index = getattr(self._local, "index", None)
        if index is None:
            index = self._local.index = self._service().open_audit_index()
            with self._lock:
                self._indexes.append(index)
        return index

    def as_of_block(self) -> int:
        """The last block the audit index has synced (0: nothing yet)."""
        return int(self._index().last_block)

    def _lookup(self) -> UnitLookup | None:
        """This thread's one-statement lookup (:mod:`.served_lookup`), or ``None`` when the stores
        cannot be asked in one statement (tried again at most once a second)."""
        lookup = getattr(self._local, "lookup", None)
        if lookup is not None and lookup.broken:  # its connection is gone: open another
            lookup = self._local.lookup = None
        if lookup is not None or not self.one_statement:
            return lookup
        now = time.monotonic()
        if now - getattr(self._local, "lookup_tried", -10.0) < 1.0:
            return None
        self._local.lookup_tried = now
        lookup = UnitLookup.open(self._service().codes.location, self._index().location)
        if lookup is not None:
            self._local.lookup = lookup
            with self._lock:
                self._lookups.append(lookup)
        return lookup

    def unit_facts(self, unit_hash: bytes) -> UnitFacts:
        """The index's block, the unit's ``(batch, index)`` in the code store and its first
        leaving event at or below that block: one statement when the stores allow it, else
        asked store by store (the same answers)."""
        lookup = self._lookup()
        if lookup is not None:
            try:
                return lookup.facts(unit_hash)
            except Exception:  # noqa: BLE001 - a database error: retried once if the connection broke
                if not lookup.broken:
                    raise
                self._local.lookup_tried = -10.0  # reconnect now (a restarted server), else the error
                lookup = self._lookup()
                if lookup is None:
                    raise
                return lookup.facts(unit_hash)
        block = self.as_of_block()
        slot = self._service().codes.unit_slot(unit_hash)
        gone = self._gone_row(slot[0], unit_hash, block) if slot is not None else None
        return UnitFacts(block, slot, gone)

    # -- proof files ------------------------------------------------------------------------
    def refresh(self) -> int:
        """Build or replace the proof file of every batch held in the code store whose file is
        missing or stale (called by the server after each sync round); returns files built."""
        svc = self._service()
        built = 0
        for stored in svc.codes.batches():
            current = self._open_file(stored.batch_id, force=True)
            if current is not None and current.matches(stored):
                continue
            path = self._file_path(stored.batch_id)
            made = ProofFile.build(svc.codes, stored, path)
            with self._lock:
                old = self._files.pop(stored.batch_id, None)
                self._files[stored.batch_id] = made
            if old is not None:
                old.close()
            built += 1
        return built

    def _file_path(self, batch_id: bytes) -> Path:
        return self.proof_dir() / f"{batch_id.hex()}.proof"

    def _open_file(self, batch_id: bytes, *, force: bool = False) -> ProofFile | None:
        found = self._files.get(batch_id)
        if found is not None:
            return found
        now = time.monotonic()
        if not force and now - self._file_tried.get(batch_id, -10.0) < 1.0:
            return None  # looked for it a moment ago (another process may be building it)
        self._file_tried[batch_id] = now
        try:
            made = ProofFile(self._file_path(batch_id))
        except (OSError, ValueError):
            return None
        with self._lock:
            self._files.setdefault(batch_id, made)
            return self._files[batch_id]

    def _proof(self, codes: CodeStore, batch_id: bytes, index: int, unit_count: int) -> list[bytes]:
        file = self._open_file(batch_id)
        if file is not None and file.batch_id == batch_id and file.unit_count == unit_count:
            return file.proof(index)
        # no proof file yet (the sync builds it): the code store's levels, slower but the same nodes
        return proof_for(index, level_sizes(unit_count), lambda lv, i: codes._node(batch_id, lv, i))

    # -- the index at one block -------------------------------------------------------------
    def _current(self, block: int | None = None) -> _Snapshot:
        """The index at ``block`` (default: its last block, one read of ``last_block``); the rest
        is kept per block."""
        if block is None:
            block = self.as_of_block()
        snap = self._snapshot
        if snap is None or snap.block != block:
            from fisco_drugtrace.drugtrace.audit.compliance import recall_cases

            svc = self._service()
            try:
                labels = svc.org_labels()
            except DrugTraceError:
                labels = {}
            snap = _Snapshot(block, {}, recall_cases(self._index()), labels)
            self._snapshot = snap
        return snap

    def recalls(self) -> list[Any]:
        """The index's recall cases (as :func:`audit.compliance.recall_cases`) at its last block."""
        return list(self._current().recalls)

    def labels(self) -> dict[str, str]:
        return dict(self._current().labels)

    def batch_view(self, batch_id: bytes, snap: _Snapshot | None = None) -> BatchView | None:
        """The batch as the index tells it (``None``: the index has not seen it committed)."""
        snap = snap if snap is not None else self._current()
        if batch_id not in snap.batches:
            snap.batches[batch_id] = self._read_batch(snap, batch_id)
        return snap.batches[batch_id]

    def _read_batch(self, snap: _Snapshot, batch_id: bytes) -> BatchView | None:
        db = self._index().db
        upto = snap.block
        row = db.execute("SELECT block_number, tx_hash, args FROM events WHERE batch_id = ? AND code_hash IS NULL "
                         "AND name = 'BatchCommitted' AND block_number <= ? ORDER BY seq LIMIT 1",
                         (batch_id, upto)).fetchone()
        if row is None:
            return None
        committed_block, committed_tx, a = int(row[0]), str(row[1]), json.loads(row[2])
        product_id = _b(a["productId"])
        state, since = self._last_state(db, "batch_id", batch_id, "BatchStateChanged", upto)
        registered = db.execute("SELECT args FROM events WHERE product_id = ? AND name = 'ProductRegistered' "
                                "AND block_number <= ? ORDER BY seq LIMIT 1", (product_id, upto)).fetchone()
        if registered is None:
            return None
        p = json.loads(registered[0])
        p_state, p_since = self._last_state(db, "product_id", product_id, "ProductStateChanged", upto)
        product = Product(product_id, str(p["approvalNumber"]), str(p["packageSpec"]), _b(p["mahOrgId"]), p_state,
                          p_since, int(p["minTemp"]), int(p["maxTemp"]))
        batch = Batch(batch_id, product_id, str(a["lot"]), _b(a["mahOrgId"]), int(a["productionDate"]),
                      int(a["expiryDate"]), int(a["unitCount"]), state, since, _b(a["unitRoot"]),
                      _b(a["aggregationRoot"]))
        effective = state if state is not LifecycleState.LISTED or p_state is LifecycleState.LISTED else p_state
        label = snap.labels.get
        history = []
        for sid, frm, to, via, qty, is_return, status, excursion in db.execute(
                "SELECT shipment_id, from_org, to_org, carrier_org, quantity, is_return, status, excursion "
                "FROM shipments WHERE batch_id = ? ORDER BY shipment_id", (batch_id,)):
            names = [label(id_hex(bytes(o)), id_hex(bytes(o))[:10] + "…") for o in (frm, to, via)]
            text = (f"{'return' if is_return else 'shipment'} #{sid}: {qty} units {names[0]} -> {names[1]} "
                    f"via {names[2]}, {ShipmentStatus[str(status)].name.lower()}")
            history.append(text + (" (temperature excursion)" if excursion else ""))
        batch_hex, product_hex = "0x" + batch_id.hex(), "0x" + product_id.hex()
        open_recalls = tuple(c for c in snap.recalls if c.status in ("OPEN", "NOTIFIED")
                             and c.product_id == product_hex and c.batch_id in (batch_hex, None))
        details_hash = _b(p["detailsHash"]) if p.get("detailsHash") is not None else None
        return BatchView(batch, product, effective, committed_block, committed_tx, tuple(history), open_recalls,
                         details_hash)

    #: how long a product's details document (or its absence) is taken as read (an upload to
    #: another worker process shows here after at most this long)
    DETAILS_TTL_S = 5.0

    def product_details(self, product_id: bytes, on_chain: bytes | None) -> ProductDetails | None:
        """The product's details document held here, if it hashes to ``on_chain`` (the product's
        ``detailsHash``), read from the code store at most every :attr:`DETAILS_TTL_S` seconds."""
        now = time.monotonic()
        hit = self._details.get(product_id)
        if hit is not None and now - hit[0] < self.DETAILS_TTL_S and hit[1] == on_chain:
            return hit[2]
        svc = self._service()
        found = checked_details(svc.codes.product_details(product_id), on_chain, svc.chain_hash)
        self._details[product_id] = (now, on_chain, found)
        return found

    def forget_details(self) -> None:
        """Read products' details documents afresh (one was just uploaded here)."""
        self._details.clear()

    @staticmethod
    def _last_state(db: Any, column: str, key: bytes, event: str, upto: int) -> tuple[LifecycleState, int]:
        row = db.execute(f"SELECT args, ts_ms FROM events WHERE {column} = ? AND name = ? AND block_number <= ? "
                         f"{'AND code_hash IS NULL ' if column == 'batch_id' else ''}ORDER BY seq DESC LIMIT 1",
                         (key, event, upto)).fetchone()
        if row is None:
            return LifecycleState.NONE, 0
        return LifecycleState(int(json.loads(row[0])["to"])), int(row[1] or 0)

    def _gone_row(self, batch_id: bytes, code_hash: bytes, upto: int) -> tuple[str, int, str, str] | None:
        names = tuple(UNIT_GONE_EVENTS)
        row = self._index().db.execute(
            f"SELECT name, block_number, tx_hash, args FROM events WHERE batch_id = ? AND code_hash = ? AND name IN "
            f"({','.join('?' * len(names))}) AND block_number <= ? ORDER BY seq LIMIT 1",
            (batch_id, code_hash, *names, upto)).fetchone()
        return (str(row[0]), int(row[1]), str(row[2]), str(row[3])) if row is not None else None

    @staticmethod
    def _unit_gone(row: tuple[str, int, str, str] | None) -> tuple[UnitState, int, str] | None:
        """A leaving event's unit state, block and transaction (``None``: still on the market)."""
        if row is None:
            return None
        state = UNIT_GONE_EVENTS[row[0]]
        if state is None:  # UnitDecommissioned: destroyed, stolen, lost or sampled, as the chain's unitState
            state = _DECOMMISSIONED.get(int(json.loads(row[3])["state"]))
            if state is None:  # pragma: no cover - the ledger emits only decommissioning states
                return None
        return state, int(row[1]), str(row[2])

    # -- the question ----------------------------------------------------------------------
    def verify(self, code: str, *, chain: bool = True) -> Verification | None:
        """Genuine (with state), counterfeit, or cannot tell here, as of the index's last block.

        ``chain=False``: return ``None`` instead of asking the chain (a code no manifest held
        here lists), so that a caller on an event loop can ask again from a worker thread.
        """
        code = code.strip()
        problem = code_problem(code)
        if problem is not None:
            return Verification(code, Verdict.COUNTERFEIT, f"not a traceability code: {problem}", cause=Cause.MALFORMED)
        svc = self._service()
        codes: CodeStore = svc.codes
        hasher = svc.chain_hash
        unit_hash = hasher(code.encode("ascii"))
        facts = self.unit_facts(unit_hash)
        if facts.slot is None:
            if not chain:
                return None
            return self._from_chain(svc, code)
        batch_id, index = facts.slot
        snap = self._current(facts.block)
        view = self.batch_view(batch_id, snap)
        if view is None:
            # The index cannot vouch for the batch (not synced that far, or another chain's list):
            # the chain decides, and if it cannot be asked the answer is "cannot tell here".
            if not chain:
                return None
            return self._from_chain(svc, code, unindexed=batch_id)
        batch = view.batch
        proof = self._proof(codes, batch_id, index, batch.unit_count) if index < batch.unit_count else None
        acc = hasher(hasher(batch_id + index.to_bytes(32, "big") + unit_hash))
        if hasher is keccak256 and _KECCAK_TYPE is not None:
            new = _KECCAK_TYPE  # the same Keccak-256, called without a Python frame per node
            for sibling in proof or ():
                acc = new(acc + sibling if acc <= sibling else sibling + acc).digest()
        else:
            for sibling in proof or ():
                acc = hasher(acc + sibling) if acc <= sibling else hasher(sibling + acc)
        if proof is None or acc != batch.unit_root:
            return Verification(code, Verdict.CANNOT_TELL,
                                f"cannot tell here: the code list held here for batch {id_hex(batch_id)} does not "
                                f"prove against the root committed on chain (block {view.committed_block}): import "
                                "the batch's manifest again", batch_id=batch_id, index=index,
                                missing_batches=(batch_id,), as_of_block=snap.block, cause=Cause.LIST_MISMATCH)
        gone = self._unit_gone(facts.gone)
        expired = batch.expiry_date <= svc.now_ms()
        state = gone[0] if gone else (_STATE_OF.get(view.effective) or
                                      (UnitState.EXPIRED if expired else UnitState.LISTED))
        dispensed = gone is not None and gone[0] is UnitState.DISPENSED
        evidence = VerificationEvidence(view.committed_block, view.committed_tx, True, len(proof),
                                        gone[1] if dispensed and gone else None, gone[2] if dispensed and gone else None)
        return Verification(code, Verdict.GENUINE, _ADVICE[state], state=state, batch_id=batch_id, index=index,
                            product=view.product, batch=batch, expired=expired, dispensed=dispensed,
                            history=view.history, listed=view.effective is LifecycleState.LISTED,
                            as_of_block=snap.block, evidence=evidence, recalls=view.open_recalls,
                            details=self.product_details(view.product.product_id, view.details_hash))

    def _from_chain(self, svc: Any, code: str, *, unindexed: bytes | None = None) -> Verification:
        """What the index cannot answer — a code no manifest here lists (only the chain can prove
        it counterfeit), or a batch the index has not seen committed — asked of the chain."""
        block = self.as_of_block()
        try:
            result = svc.verify_code(code)
        except DrugTraceError as exc:
            if unindexed is not None:
                why = (f"the code list held here names batch {id_hex(unindexed)}, which the audit index (as of "
                       f"block {block}) has not seen committed")
            else:
                why = "no code list held here lists this code"
            return Verification(code, Verdict.CANNOT_TELL,
                                f"cannot tell here: {why}, and the chain cannot be asked now "
                                f"({exc.user_message or exc})", batch_id=unindexed,
                                missing_batches=(unindexed,) if unindexed else (), as_of_block=block,
                                cause=Cause.INDEX_BEHIND if unindexed is not None else Cause.CHAIN_UNREACHABLE)
        if result.product is not None and result.details is None:  # the names, as the index has the product
            try:
                on_chain = registered_details_hash(self._index().db, result.product.product_id)
                result = replace(result, details=self.product_details(result.product.product_id, on_chain))
            except DrugTraceError:
                pass
        return result  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            files, self._files = self._files, {}
            indexes, self._indexes = self._indexes, []
            lookups, self._lookups = self._lookups, []
        for f in files.values():
            f.close()
        for lookup in lookups:
            lookup.close()
        for index in indexes:  # SQLite lets a connection be closed from another thread only if
            try:               # it was opened with check_same_thread=False; otherwise the GC does it
                index.close()
            except Exception:  # noqa: BLE001
                pass
        self._local = threading.local()

