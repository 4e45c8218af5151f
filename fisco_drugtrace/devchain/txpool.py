"""Transaction admission exactly as a FISCO node's txpool does it, and the pending queue.

Checks and their order follow the node (3.x: ``MemoryStorage`` + ``TxValidator`` +
``LedgerNonceChecker``; 2.x: ``TxPool::import``). Nonces are unique over the pool and the last
``block_limit`` blocks; a blockLimit is valid iff ``current < blockLimit <= current + block_limit``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque

from fisco_drugtrace.errors import DevChainError
from fisco_drugtrace.types import Dialect

from .records import ChainTx
from .refusals import refusal

__all__ = ["TxPool"]


class TxPool:
    """Pending transactions plus the nonce caches; thread-safe.

    :param chain_id: / :param group_id: what transactions must carry.
    """

    def __init__(self, dialect: Dialect, *, chain_id: str | int, group_id: str | int,
                 block_limit: int, pool_limit: int) -> None:
        self._dialect = dialect
        self._chain_id = chain_id
        self._group_id = group_id
        self._window = block_limit
        self._limit = pool_limit
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._pending: OrderedDict[bytes, ChainTx] = OrderedDict()
        self._sealing: set[bytes] = set()
        self._pool_nonces: set[str] = set()
        self._ledger_nonces: dict[str, int] = {}
        self._recent_hashes: set[bytes] = set()
        self._per_block: deque[tuple[int, list[str], list[bytes]]] = deque()
        self._head = 0
        self._closed = False
        self._paused = False
        self._inbox: list[object] = []

    # ------------------------------------------------------------------ admission
    def admit(self, tx: ChainTx, *, chain_id: str | int, group_id: str | int, signature_ok: bool,
              wake: bool = True) -> None:
        """Queue ``tx`` or raise the node's refusal (:class:`TransactionRejected`).

        ``wake=False``: the caller seals the transaction itself, so the sealer is not woken for it.
        """
        with self._lock:
            status = self._check_v3(tx, group_id, signature_ok) if self._dialect is Dialect.V3 \
                else self._check_v2(tx, chain_id, group_id, signature_ok)
            if status is not None:
                raise refusal(self._dialect, status, tx_hash=tx.hash, block_limit=tx.block_limit)
            self._pending[tx.hash] = tx
            self._pool_nonces.add(tx.nonce)
            if wake:
                self._ready.notify()

    def _block_limit_ok(self, tx: ChainTx) -> bool:
        return self._head < tx.block_limit <= self._head + self._window

    def _check_v3(self, tx: ChainTx, group_id: str | int, signature_ok: bool) -> str | None:
        if tx.hash in self._pending or tx.hash in self._sealing:
            return "AlreadyInTxPool"
        if len(self._pending) + len(self._sealing) >= self._limit:
            return "TxPoolIsFull"
        if group_id != self._group_id:
            return "InvalidGroupId"
        if not signature_ok:
            return "InvalidSignature"
        if tx.nonce in self._pool_nonces or tx.nonce in self._ledger_nonces:
            return "NonceCheckFail"
        if not self._block_limit_ok(tx):
            return "BlockLimitCheckFail"
        return None

    def _check_v2(self, tx: ChainTx, chain_id: str | int, group_id: str | int, signature_ok: bool) -> str | None:
        if len(self._pending) + len(self._sealing) >= self._limit:
            return "TxPoolIsFull"
        if tx.hash in self._pending or tx.hash in self._sealing:
            return "AlreadyInTxPool"
        if tx.hash in self._recent_hashes:
            return "TxAlreadyInChain"
        if tx.nonce in self._ledger_nonces:
            return "NonceCheckFail"
        if not self._block_limit_ok(tx):
            return "BlockLimitCheckFail"
        if not signature_ok:
            return "Malformed"
        if tx.nonce in self._pool_nonces:
            return "TxPoolNonceCheckFail"
        if chain_id != self._chain_id:
            return "InvalidChainId"
        if group_id != self._group_id:
            return "InvalidGroupId"
        return None

    # ------------------------------------------------------------------ inbox
    def deliver(self, item: object) -> None:
        """Queue signed bytes that the sealer still has to decode and :meth:`admit`.

        Decoding and admitting in the sealer's thread keeps the per-transaction work off the
        request threads (fewer interpreter hand-offs under load).
        """
        with self._lock:
            if self._closed:
                raise DevChainError("the chain is closed")
            self._inbox.append(item)
            self._ready.notify()

    def drain_inbox(self) -> list[object]:
        """Everything delivered and not yet handed out (on close or failure)."""
        with self._lock:
            items, self._inbox = self._inbox, []
            return items

    # ------------------------------------------------------------------ sealing
    def _has_work(self) -> bool:
        return bool(self._inbox) or (bool(self._pending) and not self._paused)

    def wait_for_work(self, timeout: float | None) -> list[object]:
        """Wait (up to ``timeout``) until there is work — delivered bytes, or pending transactions
        while not paused — and return the inbox (now empty). Pending transactions stay where they
        are: :meth:`take` hands them out. (Group commit is the caller's: see :meth:`arrivals`.)
        """
        with self._ready:
            if not self._has_work() and not self._closed:
                self._ready.wait(timeout)
            items, self._inbox = self._inbox, []
            return items

    def arrivals(self, timeout: float, *, enough: int) -> list[object] | None:
        """While a round fills: wait up to ``timeout`` for newly delivered bytes and return them
        (``[]`` when none came). ``None`` once ``enough`` transactions are pending, or when
        paused or closed: the round should be sealed (or skipped) now."""
        with self._ready:
            if not self._inbox and len(self._pending) < enough and not self._paused and not self._closed:
                self._ready.wait(timeout)
            if not self._inbox and (len(self._pending) >= enough or self._paused or self._closed):
                return None
            items, self._inbox = self._inbox, []
            return items

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def take(self, limit: int, timeout: float | None) -> list[ChainTx]:
        """Wait (up to ``timeout``; ``0`` = not at all) for pending transactions and hand out at
        most ``limit``, oldest first.

        The handed-out transactions still count as "in the pool" (hash and nonce) until
        :meth:`committed` is called for their block.
        """
        with self._ready:
            if (self._paused or not self._pending) and not self._closed and timeout != 0:
                self._ready.wait(timeout)
            if self._paused:
                return []
            batch: list[ChainTx] = []
            while self._pending and len(batch) < limit:
                tx_hash, tx = self._pending.popitem(last=False)
                self._sealing.add(tx_hash)
                batch.append(tx)
            return batch

    def committed(self, number: int, txs: list[ChainTx]) -> None:
        """Block ``number`` is durable: move its nonces from the pool to the ledger window."""
        with self._lock:
            self._record_block(number, [t.nonce for t in txs], [t.hash for t in txs])
            for tx in txs:
                self._sealing.discard(tx.hash)
                self._pool_nonces.discard(tx.nonce)

    def load_history(self, number: int, nonces: list[str], hashes: list[bytes]) -> None:
        """Rebuild the ledger window on start (blocks given in ascending order)."""
        with self._lock:
            self._record_block(number, nonces, hashes)

    def _record_block(self, number: int, nonces: list[str], hashes: list[bytes]) -> None:
        self._head = max(self._head, number)
        for nonce in nonces:
            self._ledger_nonces[nonce] = number
        self._recent_hashes.update(hashes)
        self._per_block.append((number, nonces, hashes))
        while self._per_block and self._per_block[0][0] <= number - self._window:
            _, old_nonces, old_hashes = self._per_block.popleft()
            for nonce in old_nonces:
                if self._ledger_nonces.get(nonce, -1) <= number - self._window:
                    self._ledger_nonces.pop(nonce, None)
            self._recent_hashes.difference_update(old_hashes)

    def rewind(self, number: int) -> list[ChainTx]:
        """Forget the ledger window and everything pending (a dev chain revert to block
        ``number``); the caller reloads the window with :meth:`load_history`. Returns the
        pending transactions dropped."""
        with self._lock:
            dropped = list(self._pending.values())
            self._pending.clear()
            self._sealing.clear()
            self._pool_nonces.clear()
            self._ledger_nonces.clear()
            self._recent_hashes.clear()
            self._per_block.clear()
            self._head = number
            return dropped

    def take_now(self, limit: int) -> list[ChainTx]:
        """Hand out up to ``limit`` pending transactions even while paused (a manual ``mine``)."""
        with self._lock:
            batch: list[ChainTx] = []
            while self._pending and len(batch) < limit:
                tx_hash, tx = self._pending.popitem(last=False)
                self._sealing.add(tx_hash)
                batch.append(tx)
            return batch

    def set_head(self, number: int) -> None:
        with self._lock:
            self._head = max(self._head, number)

    # ------------------------------------------------------------------ views
    def pending(self) -> list[ChainTx]:
        with self._lock:
            return list(self._pending.values())

    def size(self) -> int:
        with self._lock:
            return len(self._pending) + len(self._sealing)

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def set_paused(self, paused: bool) -> None:
        """While paused, :meth:`take` hands out nothing (block production stops)."""
        with self._ready:
            self._paused = paused
            self._ready.notify_all()
