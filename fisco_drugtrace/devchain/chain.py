"""The chain itself: admission, the sealer thread, execution, commit, replay on start.

Block production: a sealer thread works in rounds. It decodes and admits the signed bytes that
``send_and_wait`` delivered since the last round (refusals go straight back), drains the pool into
one block (up to ``tx_count_limit`` transactions), executes them in order, writes the block
durably and only then wakes the requests waiting for those receipts. So several transactions share
a block under load, an answered transaction is always on disk, and the per-transaction work runs
in one thread instead of being passed between request threads (which, with the interpreter lock,
costs more than the work itself).

A request that finds itself alone (no other ``send_and_wait`` in flight, no round running, and
the last block held one transaction) runs that round in its own thread instead: with one sender
there is nobody to batch with, and the two thread hand-offs (to the sealer and back) cost more
than the round itself. After a block of several the sealer gathers the next round even for a
request that arrives alone: the others are on their way. Only one round runs at a time, whoever
runs it (``_round``).

Persistence: blocks, transactions, receipts and logs live in SQLite; the EVM state is rebuilt on
start by re-executing every stored transaction with its stored block number and timestamp. The
replay also re-derives each block's receipts root and hash, so a damaged or tampered data dir is
detected (:class:`DataDirError`) instead of silently reused.
"""

from __future__ import annotations

import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.suite import CryptoSuite
from fisco_drugtrace.errors import DataDirError, DevChainError, RpcError
from fisco_drugtrace.types import Dialect

from .codec import Admission, TxCodec, codec_for
from .config import DevChainConfig
from .devclock import DevClock
from .devops import META_KEY as _OPS_KEY
from .devops import DevOp, dump_ops, load_ops
from .ethtx import eth_create_address
from .evm import Executor
from .rawcheck import stored_tx_problem
from .runfile import DataDirLock
from .records import ZERO_HASH, ChainBlock, ChainReceipt, ChainTx, ExecOutcome
from .memstore import open_store
from .precompiles import PrecompileHost
from .storage import SCHEMA_VERSION, raw_digest
from .txpool import TxPool

__all__ = ["Chain", "ChainMark", "now_ms", "GATHER_LINGER", "WEB3_NONCE_PREFIX"]

#: A transaction's uniqueness key starts with this when it came through the Web3 port:
#: ``"w3:<sender>:<ethereum nonce>"`` (FISCO nonces are hex or decimal, never this).
WEB3_NONCE_PREFIX = "w3:"

_pack_q = struct.Struct(">q").pack

#: Longest a sealer waits, once a transaction is pending, for the rest of the expected batch (s).
GATHER_LINGER = 0.002


def now_ms() -> int:
    """Wall-clock time in milliseconds (FISCO's unit for timestamps)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class ChainMark:
    """A mark of one executor's state (:meth:`Chain.mark`) and the chain's counters then."""

    executor: Executor
    token: int
    total_txs: int
    failed_txs: int


class _Waiter:
    """One request waiting for its receipt; ``raw`` is set when the sealer still has to decode it."""

    __slots__ = ("_done", "receipt", "error", "raw", "tx", "pre")

    def __init__(self, raw: bytes = b"") -> None:
        # A bare lock, held until the answer is in: cheaper to wait on and to release than an
        # Event (no Python-level Condition), which counts with thousands of waiters a second.
        self._done = threading.Lock()
        self._done.acquire()
        self.receipt: ChainReceipt | None = None
        self.error: BaseException | None = None
        self.raw = raw
        self.tx: ChainTx | None = None
        self.pre: Admission | None = None  # already decoded (an impersonated send): skip the codec

    def finish(self) -> None:
        self._done.release()

    def wait(self, timeout: float) -> bool:
        return self._done.acquire(timeout=timeout)


class Chain:
    """One dev chain's state machine (dialect-neutral); the RPC handlers sit on top of it."""

    def __init__(self, config: DevChainConfig, suite: CryptoSuite = ECDSA,
                 progress: Callable[[int, int], None] | None = None) -> None:
        """:param progress: called during replay, about twice a second, with (blocks replayed, head)."""
        self.config = config
        self._progress = progress
        self.suite = suite
        self.codec: TxCodec = codec_for(config.dialect, suite, config.chain_id or "")
        data_dir = Path(config.data_dir) if config.data_dir is not None else None
        self._dir_lock = DataDirLock(data_dir) if data_dir is not None else None
        try:
            self.store = open_store(data_dir, fsync=config.fsync)
        except BaseException:
            self._release_dir()
            raise
        try:
            self.auth_admin = self._resolve_auth()
        except BaseException:
            self.store.close()
            self._release_dir()
            raise
        self.executor = self._new_executor()
        #: test controls (see :mod:`.devcontrols`): the block clock and recorded state edits
        self.clock = DevClock()
        self.dev_ops: list[DevOp] = []
        self.pool = TxPool(config.dialect, chain_id=config.chain_id or "", group_id=config.group_id or "",
                           block_limit=config.block_limit, pool_limit=config.pool_limit)
        self._lock = threading.Lock()
        self._round = threading.Lock()  # held by whoever runs a round: the sealer or a lone request
        self._in_flight = 0  # send_and_wait calls not yet answered
        self._last_block_size = 1  # transactions in the last block sealed (the next round's target)
        self._new_block = threading.Condition(self._lock)
        self._waiters: dict[bytes, list[_Waiter]] = {}
        self._admitted: deque[tuple[int, bytes]] = deque(maxlen=100_000)
        self._admitted_seq = 0
        self._failed: BaseException | None = None
        self._closed = False
        self.total_txs = 0
        self.failed_txs = 0
        self.replay_seconds = 0.0
        try:
            self.head = self._open()
        except BaseException:
            self.store.close()
            self._release_dir()
            raise
        self.pool.set_head(self.head.number)
        self._sealer = threading.Thread(target=self._seal_loop, name="devchain-sealer", daemon=True)
        self._sealer.start()

    def _new_executor(self) -> Executor:
        """A fresh executor (genesis state) with fresh system precompiles of its own."""
        c = self.config
        return Executor(c.dialect, gas_limit=c.gas_limit, evm_chain_id=c.evm_chain_id,
                        address_rule=self.codec.contract_address, precompiles=self._precompile_host())

    # ================================================================== opening
    def _resolve_auth(self) -> str | None:
        """The governance admin: as configured, or as the data dir was created (``meta.auth_admin``).
        Starting a governed dir with another admin would replay another chain: refused."""
        wanted = self.config.auth_admin
        if self.store.fresh:
            return wanted
        stored = self.store.meta().get("auth_admin") or None
        if wanted is not None and stored != wanted:
            raise DataDirError(self.store.location, f"belongs to another chain: auth admin {stored!r} "
                                                    f"(expected {wanted!r})")
        return stored

    @property
    def precompiles(self) -> PrecompileHost:
        """The system precompiles of the current state (they belong to the executor)."""
        assert self.executor.precompiles is not None
        return self.executor.precompiles

    def _precompile_host(self) -> PrecompileHost:
        """The system precompiles, with the genesis system config and consensus list."""
        c = self.config
        genesis = {"tx_gas_limit": str(c.gas_limit), "tx_count_limit": str(c.tx_count_limit)}
        if c.dialect is Dialect.V3:
            genesis.update({"consensus_leader_period": "1", "compatibility_version": "3.7.0", "tx_gas_price": "0x0"})
        else:
            genesis.update({"rpbft_epoch_block_num": "1000", "rpbft_epoch_sealer_num": "1", "consensus_timeout": "3"})
        return PrecompileHost(c.dialect, self.suite.hash, system_config=genesis, node_id=c.node_id,
                              auth_admin=self.auth_admin)

    def _tx_count_limit(self) -> int:
        """``tx_count_limit`` for the next block (SystemConfig, from the block after it was set)."""
        value = self.precompiles.config_at("tx_count_limit", self.head.number + 1)
        return int(value) if value is not None else self.config.tx_count_limit

    def _apply_system_config(self, number: int, executor: Executor | None = None) -> None:
        """Before ``executor`` (default: the chain's) executes block ``number``: the
        ``tx_gas_limit`` in force for it, from that executor's own SystemConfig state."""
        executor = executor or self.executor
        host = executor.precompiles
        value = host.config_at("tx_gas_limit", number) if host is not None else None
        executor.set_gas_limit(int(value) if value is not None else self.config.gas_limit)

    def _identity(self) -> dict[str, str]:
        c = self.config
        return {"dialect": c.dialect.value, "chain_id": str(c.chain_id), "group_id": str(c.group_id),
                "crypto": self.suite.name}

    def _open(self) -> ChainBlock:
        if self.store.fresh:
            return self._create_genesis()
        try:
            return self._reopen()
        except DataDirError:
            raise
        except Exception as exc:  # whatever a damaged row makes a reader or the EVM raise, it is damage
            raise DataDirError(self.store.location, f"damaged: reading the stored chain failed "
                                                    f"({type(exc).__name__}: {exc})") from exc

    def _reopen(self) -> ChainBlock:
        store = self.store
        meta = store.meta()
        where = store.location
        if meta.get("schema") != SCHEMA_VERSION:
            raise DataDirError(where, f"damaged or unknown schema version {meta.get('schema')!r}")
        mine = self._identity()
        theirs = {k: meta.get(k) for k in mine}
        if theirs != mine:
            diff = ", ".join(f"{k}={theirs[k]!r} (expected {mine[k]!r})" for k in mine if theirs[k] != mine[k])
            raise DataDirError(where, f"belongs to another chain: {diff}")
        wanted = self.config.genesis_timestamp
        if wanted is not None and meta.get("genesis_timestamp") != str(wanted):
            raise DataDirError(where, f"belongs to another chain: genesis timestamp {meta.get('genesis_timestamp')}")
        rules = self.executor.schedule.tag  # receipts replay identically only under the same rules
        if meta.get("execution") != rules:
            written = meta.get("execution") or "revm's latest revision, Ethereum gas (before EVM revisions)"
            raise DataDirError(where, f"written under other execution rules ({written}); this dev chain "
                                      f"executes as {rules}: start it on a new data dir")
        self.dev_ops = load_ops(meta.get(_OPS_KEY))
        self.clock.offset_ms = int(meta.get("dev_time_offset_ms", "0"))
        started = time.perf_counter()
        head = self._replay(meta.get("genesis_hash", ""))
        self.replay_seconds = time.perf_counter() - started
        return head

    def _check_stored_tx(self, tx: ChainTx, number: int) -> None:
        """The stored signed bytes decode to the stored hash and columns (:mod:`.rawcheck`).

        Transactions that came in through the Web3 port (Ethereum encodings) are only checked by
        re-execution in blocks written before digests existed."""
        if tx.nonce[:3] == WEB3_NONCE_PREFIX:
            return
        try:
            problem = stored_tx_problem(self.config.dialect, self.suite, tx)
        except Exception as exc:
            raise DataDirError(self.store.location, f"damaged: stored bytes of 0x{tx.hash.hex()} in block {number} "
                                                    f"do not decode ({type(exc).__name__}: {exc})") from exc
        if problem is not None:
            raise DataDirError(self.store.location, f"damaged: stored bytes of 0x{tx.hash.hex()} in block {number} "
                                                    f"do not match its stored {problem}")

    def _genesis_state_root(self) -> bytes:
        c = self.config
        return self.suite.hash(f"fisco-drugtrace-devchain|{c.dialect.value}|{c.chain_id}|{c.group_id}".encode())

    def _create_genesis(self) -> ChainBlock:
        timestamp = self.config.genesis_timestamp if self.config.genesis_timestamp is not None else now_ms()
        genesis = self._make_block(0, ZERO_HASH, timestamp, (), (), self._genesis_state_root(), 0)
        self.store.set_meta({**self._identity(), "schema": SCHEMA_VERSION, "genesis_timestamp": str(timestamp),
                             "genesis_hash": genesis.hash.hex(), "execution": self.executor.schedule.tag,
                             **({"auth_admin": self.auth_admin} if self.auth_admin else {})})
        self.store.write_block(genesis, (), (), {})
        return genesis

    def _make_block(self, number: int, parent: bytes, timestamp: int, tx_hashes: tuple[bytes, ...],
                    receipt_hashes: tuple[bytes, ...], state_root: bytes, gas_used: int) -> ChainBlock:
        h = self.suite.hash
        txs_root = h(b"".join(tx_hashes)) if tx_hashes else ZERO_HASH
        receipts_root = h(b"".join(receipt_hashes)) if receipt_hashes else ZERO_HASH
        block_hash = h(_pack_q(number) + parent + txs_root + receipts_root + state_root + _pack_q(timestamp)
                       + _pack_q(gas_used))
        return ChainBlock(number, block_hash, parent, timestamp, txs_root, receipts_root, state_root, gas_used,
                          tx_hashes)

    def _replay(self, genesis_hash: str) -> ChainBlock:
        """Verify the hash chain and rebuild the EVM state; returns the head block."""
        where = self.store.location
        stored_head = self.store.head()
        previous: ChainBlock | None = None
        window_start = stored_head - self.config.block_limit + 1
        missing_digests: list[tuple[int, bytes]] = []  # a data dir written before raw digests
        report = self._progress
        next_report = time.monotonic() + 0.5
        for block in self.store.iter_blocks():
            if report is not None and time.monotonic() >= next_report:
                report(block.number, stored_head)
                next_report = time.monotonic() + 0.5
            if previous is None:
                if block.number != 0 or block.hash.hex() != genesis_hash or block.state_root != self._genesis_state_root():
                    raise DataDirError(where, "damaged: genesis block does not match the recorded genesis")
                expected = self._make_block(0, ZERO_HASH, block.timestamp, (), (), block.state_root, 0)
            else:
                txs = self.store.txs_in_block(block.number)
                if txs:
                    # the digest was taken when the block was written, from the bytes admission had
                    # just decoded and hashed: when it matches, the bytes still are those; blocks
                    # written before digests existed have each transaction decoded and re-hashed
                    digest = raw_digest(txs)
                    recorded = self.store.raw_digest(block.number)
                    if recorded is None:
                        for tx in txs:
                            self._check_stored_tx(tx, block.number)
                        missing_digests.append((block.number, digest))
                    elif recorded != digest:
                        raise DataDirError(where, f"damaged: stored transactions of block {block.number} (signed "
                                                  "bytes or columns) differ from their recorded digest")
                stored = {r.tx_hash: r for r in self.store.receipts_in_block(block.number)}
                receipts = self._execute(block.number, block.timestamp, txs)
                for r in receipts:
                    if stored.get(r.tx_hash) != r:
                        raise DataDirError(where, f"damaged: receipt of 0x{r.tx_hash.hex()} in block {block.number} "
                                                  "differs from re-execution")
                state_root = self.suite.hash(previous.state_root + self._receipts_root(receipts))
                expected = self._make_block(block.number, previous.hash, block.timestamp,
                                            tuple(t.hash for t in txs), tuple(r.hash for r in receipts),
                                            state_root, sum(r.gas_used for r in receipts))
                self.total_txs += len(receipts)
                self.failed_txs += sum(1 for r in receipts if r.status != 0)
                if block.number >= window_start:
                    self.pool.load_history(block.number, [t.nonce for t in txs], [t.hash for t in txs])
            if expected != block:
                raise DataDirError(where, f"damaged: block {block.number} hash chain broken")
            self._apply_ops_after(block.number)
            previous = block
        if previous is None or previous.number != stored_head:
            raise DataDirError(where, f"damaged: blocks stop at {previous.number if previous else -1}, "
                                      f"highest stored is {stored_head}")
        if missing_digests:
            self.store.record_raw_digests(missing_digests)
        return previous

    def _apply_ops_after(self, number: int, executor: Executor | None = None) -> None:
        """Re-apply the test controls' state edits made when block ``number`` was the head."""
        for op in self.dev_ops:
            if op.after == number:
                op.apply(executor or self.executor)

    def _receipts_root(self, receipts: list[ChainReceipt]) -> bytes:
        return self.suite.hash(b"".join(r.hash for r in receipts)) if receipts else ZERO_HASH

    # ================================================================== execution
    def _execute(self, number: int, timestamp: int, txs: list[ChainTx],
                 executor: Executor | None = None) -> list[ChainReceipt]:
        executor = executor or self.executor
        executor.set_block(number, timestamp)
        self._apply_system_config(number, executor)
        receipts = []
        outcome_hash = self.codec.outcome_hash
        apply = executor.apply
        for index, tx in enumerate(txs):
            if tx.nonce[:3] == WEB3_NONCE_PREFIX:  # came in through the Web3 port (see .web3rpc)
                out = self._apply_web3(tx, executor)
            else:
                out = apply(tx.sender, tx.to, tx.input, index)
            receipts.append(ChainReceipt(tx.hash, number, index, out.status, out.output, out.gas_used, out.logs,
                                         out.contract_address, tx.sender, tx.to, outcome_hash(out, number)))
        return receipts

    @staticmethod
    def _apply_web3(tx: ChainTx, executor: Executor) -> ExecOutcome:
        nonce = int(tx.nonce.rsplit(":", 1)[1])
        created = "" if tx.to else eth_create_address(tx.sender, nonce)
        return executor.apply_web3(tx.sender, tx.to, tx.input, nonce, created)

    def set_sealing(self, enabled: bool) -> None:
        """Pause (``False``) or resume block production; paused, transactions wait in the pool."""
        self.pool.set_paused(not enabled)

    def _seal_loop(self) -> None:
        while not self._closed and self._failed is None:
            try:
                inbox = self.pool.wait_for_work(timeout=0.5)
                with self._round:
                    limit = self._tx_count_limit()
                    if inbox:
                        self._admit_inbox(inbox)  # type: ignore[arg-type]
                    self._fill_round(min(self._last_block_size, limit))
                    batch = self.pool.take(limit, timeout=0)
                    if not batch:
                        continue
                    self._seal(batch)
            except BaseException as exc:  # storage failure: the chain can no longer promise durability
                self._fail(exc)
                return

    def _fill_round(self, target: int) -> None:
        """Group commit: wait up to :data:`GATHER_LINGER` for the round to reach ``target`` pending
        transactions (as many as the last block had: they come from clients that were waiting for
        it; the target adapts down when fewer arrive in time), decoding each arrival at once, so
        that signature recovery (which releases the GIL) overlaps the senders' own work."""
        deadline = time.monotonic() + GATHER_LINGER
        while self.pool.pending_count() < target:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            more = self.pool.arrivals(left, enough=target)
            if more is None:
                return
            if more:
                self._admit_inbox(more)  # type: ignore[arg-type]

    def _admit_inbox(self, waiters: list[_Waiter], wake: bool = True) -> None:
        """Decode and admit delivered transactions; refusals go straight back to their senders.

        Only the round's holder calls this, so nothing is sealed between a transaction's admission
        and its waiter's registration. ``wake=False``: the caller seals them itself (a lone round).
        """
        if any(w.pre is not None for w in waiters):  # impersonated sends come decoded
            decoded = iter(self._decode_many([w.raw for w in waiters if w.pre is None]))
            admissions = [w.pre if w.pre is not None else next(decoded) for w in waiters]
        else:
            admissions = self._decode_many([w.raw for w in waiters])
        refused: list[_Waiter] = []
        admitted: list[_Waiter] = []
        admit = self.pool.admit
        for waiter, admission in zip(waiters, admissions):
            if isinstance(admission, Exception):
                waiter.error = admission
                refused.append(waiter)
                continue
            waiter.tx = admission.tx
            try:
                admit(admission.tx, chain_id=admission.chain_id, group_id=admission.group_id,
                      signature_ok=admission.signature_ok, wake=wake)
            except Exception as exc:  # the node's refusal (typed, from refusals.py)
                waiter.error = exc
                refused.append(waiter)
                continue
            admitted.append(waiter)
        if admitted:
            with self._lock:
                for waiter in admitted:
                    tx_hash = waiter.tx.hash  # type: ignore[union-attr]
                    self._waiters.setdefault(tx_hash, []).append(waiter)
                    self._note_admitted(tx_hash)
        for waiter in refused:
            waiter.finish()

    def _decode_many(self, raws: list[bytes]) -> list[Admission | Exception]:
        """Decode a round of signed transactions in the sealer's thread.

        (Measured: handing half of them to a helper thread is slower, not faster — signature
        recovery releases the GIL, but the many short hand-offs back cost more than it saves.)
        """
        now = now_ms()
        decode = self.codec.decode
        out: list[Admission | Exception] = []
        for raw in raws:
            try:
                out.append(decode(raw, now))
            except Exception as exc:  # the node's refusal of malformed bytes
                out.append(exc)
        return out

    def _seal(self, batch: list[ChainTx]) -> None:
        head = self.head
        number = head.number + 1
        timestamp = self.clock.block_time(head.timestamp)
        receipts = self._execute(number, timestamp, batch)
        state_root = self.suite.hash(head.state_root + self._receipts_root(receipts))
        block = self._make_block(number, head.hash, timestamp, tuple(t.hash for t in batch),
                                 tuple(r.hash for r in receipts), state_root, sum(r.gas_used for r in receipts))
        abis = {r.contract_address: t.abi for t, r in zip(batch, receipts) if r.contract_address and t.abi}
        self.store.write_block(block, batch, receipts, abis)  # durable before anyone hears of it
        self._last_block_size = len(batch)
        self.pool.committed(number, batch)
        with self._new_block:
            self.head = block
            self.total_txs += len(receipts)
            self.failed_txs += sum(1 for r in receipts if r.status != 0)
            woken = [(self._waiters.pop(r.tx_hash, ()), r) for r in receipts]
            self._new_block.notify_all()
        for waiters, receipt in woken:
            for waiter in waiters:
                waiter.receipt = receipt
                waiter.finish()

    def _fail(self, exc: BaseException) -> None:
        """The chain stops (storage failure, or closing): every waiting request gets the reason."""
        with self._new_block:
            self._failed = exc
            waiters = [w for ws in self._waiters.values() for w in ws]
            self._waiters.clear()
            self._new_block.notify_all()
        self.pool.close()  # nothing will take from the inbox any more: later deliveries are refused
        waiters += self.pool.drain_inbox()  # type: ignore[arg-type]
        stopped = exc if isinstance(exc, DevChainError) else DevChainError(f"the chain stopped: {exc}")
        if stopped is not exc:
            stopped.__cause__ = exc
        for waiter in waiters:
            waiter.error = stopped
            waiter.finish()

    # ================================================================== submission
    def decode(self, raw: bytes) -> Admission:
        """Decode and pre-check signed bytes (raises the node's refusal)."""
        return self.codec.decode(raw, now_ms())

    def submit(self, admission: Admission) -> bytes:
        """Admit a decoded transaction to the pool; returns its hash."""
        self._check_alive()
        self.pool.admit(admission.tx, chain_id=admission.chain_id, group_id=admission.group_id,
                        signature_ok=admission.signature_ok)
        self._record_admitted(admission.tx.hash)
        return admission.tx.hash

    def _record_admitted(self, tx_hash: bytes) -> None:
        with self._lock:
            self._note_admitted(tx_hash)

    def _note_admitted(self, tx_hash: bytes) -> None:
        """Record an admission for pending-transaction filters (the caller holds ``_lock``)."""
        self._admitted_seq += 1
        self._admitted.append((self._admitted_seq, tx_hash))

    def send_and_wait(self, raw: bytes, timeout: float, *, pre: Admission | None = None
                      ) -> tuple[ChainReceipt, ChainTx]:
        """Deliver signed bytes and wait until their block is committed; returns (receipt, tx).

        The sealer decodes and admits the bytes (raising the node's refusal here, in the caller's
        thread, when it refuses them).
        """
        self._check_alive()
        waiter = _Waiter(raw)
        waiter.pre = pre
        with self._lock:
            self._in_flight += 1
            # alone now, and the last block was a lone transaction too: under concurrent load
            # (blocks of several) the sealer gathers the round, even if this one came first
            alone = self._in_flight == 1 and self._last_block_size == 1
        try:
            if not (alone and self._run_own_round(waiter)):
                try:
                    self.pool.deliver(waiter)
                except DevChainError:  # the chain stopped between the check and the delivery
                    self._check_alive()
                    raise
            if not waiter.wait(timeout):
                raise RpcError(10010, "TransactionPoolTimeout")
        finally:
            with self._lock:
                self._in_flight -= 1
        if waiter.error is not None:
            raise waiter.error
        assert waiter.receipt is not None and waiter.tx is not None
        return waiter.receipt, waiter.tx

    def _run_own_round(self, waiter: _Waiter) -> bool:
        """A lone request's round, in its own thread: decode, admit and seal what is pending.

        Returns False (nothing done) when a round is already running: the request then goes
        through the sealer. While sealing is paused the transaction is admitted and stays
        pending; the sealer seals it on resume.
        """
        if not self._round.acquire(blocking=False):
            return False
        try:
            self._check_alive()
            try:
                self._admit_inbox([waiter], wake=False)
                # older pending transactions (submitted without waiting) go first, a block at a time
                while waiter.receipt is None and waiter.error is None:
                    batch = self.pool.take(self._tx_count_limit(), timeout=0)
                    if not batch:  # paused: the sealer seals it on resume
                        break
                    self._seal(batch)
            except BaseException as exc:  # storage failure: as in the sealer, the chain stops
                self._fail(exc)
                if waiter.receipt is None and waiter.error is None:  # failed before it was registered
                    waiter.error = exc if isinstance(exc, DevChainError) else DevChainError(f"the chain stopped: {exc}")
                    waiter.finish()
        finally:
            self._round.release()
        return True

    # ================================================================== the split HTTP front's hooks
    @staticmethod
    def make_waiter(raw: bytes) -> _Waiter:
        """A request for :meth:`run_round` (``receipt``/``tx`` or ``error`` are set when done)."""
        return _Waiter(raw)

    def run_round(self, waiters: list[_Waiter]) -> None:
        """Decode, admit and seal a round of delivered transactions in the caller's thread, with
        no hand-off to the sealer (the engine thread of :mod:`.frontproc`). Waiters not done on
        return are pending (manual mining): they finish when their block is sealed."""
        with self._round:
            self._check_alive()
            try:
                self._admit_inbox(waiters, wake=False)
                while any(w.receipt is None and w.error is None for w in waiters):
                    batch = self.pool.take(self.config.tx_count_limit, timeout=0)
                    if not batch:  # paused: sealed later, by dev_mine or the sealer on resume
                        break
                    self._seal(batch)
            except BaseException as exc:  # storage failure: as in the sealer, the chain stops
                self._fail(exc)
                stopped = exc if isinstance(exc, DevChainError) else DevChainError(f"the chain stopped: {exc}")
                for waiter in waiters:
                    if waiter.receipt is None and waiter.error is None and waiter.tx is None:
                        waiter.error = stopped
                        waiter.finish()

    # ================================================================== test controls' hooks
    def mine(self, count: int) -> list[ChainBlock]:
        """Seal ``count`` blocks now, the first with what is pending (even while paused)."""
        sealed = []
        with self._round:
            self._check_alive()
            for _ in range(count):
                self._seal(self.pool.take_now(self.config.tx_count_limit))
                sealed.append(self.head)
        return sealed

    def seal_loaded(self, txs: list[ChainTx]) -> None:
        """Seal one block of already-decided transactions (a dump being loaded: no pool checks)."""
        with self._round:
            self._check_alive()
            self._seal(list(txs))

    def record_op(self, op: DevOp) -> None:
        """Apply a state edit now and keep it for replays (in the data dir's meta)."""
        with self._round:
            self._check_alive()
            op.apply(self.executor)
            self.dev_ops.append(op)
            self.store.set_meta({_OPS_KEY: dump_ops(self.dev_ops)})

    def save_clock(self) -> None:
        self.store.set_meta({"dev_time_offset_ms": str(self.clock.offset_ms)})

    def mark(self) -> ChainMark | None:
        """An in-memory mark of the EVM and precompile state for a fast :meth:`rewind` (``None``
        when the executor has no mark left: the rewind then rebuilds by replay)."""
        with self._round:
            token = self.executor.mark()
            return None if token is None else ChainMark(self.executor, token, self.total_txs, self.failed_txs)

    def rewind(self, number: int, ops: int, offset_ms: int, mark: ChainMark | None = None) -> None:
        """Go back to block ``number``: later blocks are deleted from the store, pending
        transactions dropped (their senders get an error), state edits after the first ``ops``
        forgotten, and the EVM state brought back to block ``number``.

        With a ``mark`` taken at that point (:meth:`mark`) and no state edit since, the executor
        goes back to the mark (its journal checkpoint: nothing re-executed); otherwise it is rebuilt
        by re-executing blocks 1..``number``. Both give the same state: the equivalence is tested
        (``tests/devchain/test_devcontrols.py``)."""
        with self._round:
            self._check_alive()
            fast = (mark is not None and mark.executor is self.executor and ops == len(self.dev_ops)
                    and self.executor.has_mark(mark.token))
            if number == self.head.number and ops == len(self.dev_ops) and not self.pool.pending_count():
                # nothing was sealed or edited since: the state is the one asked for (only blocks and
                # recorded edits change it); only the clock may have moved
                if fast:
                    assert mark is not None
                    self.executor.back_to(mark.token)  # releases the mark (and any later one)
                if offset_ms != self.clock.offset_ms:
                    self.clock.offset_ms = offset_ms
                    self.save_clock()
                return
            dropped = self.pool.rewind(number)
            with self._lock:
                waiters = [w for ws in self._waiters.values() for w in ws]
                self._waiters.clear()
            self.store.truncate_after(number)
            del self.dev_ops[ops:]
            self.clock.offset_ms = offset_ms
            self.store.set_meta({_OPS_KEY: dump_ops(self.dev_ops), "dev_time_offset_ms": str(offset_ms)})
            window = number - self.config.block_limit + 1
            if fast:
                assert mark is not None
                self.executor.back_to(mark.token)
                self.total_txs, self.failed_txs = mark.total_txs, mark.failed_txs
                for block in self.store.iter_blocks(max(1, window)):
                    if block.number > number:
                        break
                    txs = self.store.txs_in_block(block.number)
                    self.pool.load_history(block.number, [t.nonce for t in txs], [t.hash for t in txs])
            else:
                # rebuilt aside, then swapped in: readers see the old state until the new one is whole
                executor = self._new_executor()
                total = failed = 0
                self._apply_ops_after(0, executor)
                for block in self.store.iter_blocks(1):
                    if block.number > number:
                        break
                    txs = self.store.txs_in_block(block.number)
                    receipts = self._execute(block.number, block.timestamp, txs, executor)
                    total += len(receipts)
                    failed += sum(1 for r in receipts if r.status != 0)
                    if block.number >= window:
                        self.pool.load_history(block.number, [t.nonce for t in txs], [t.hash for t in txs])
                    self._apply_ops_after(block.number, executor)
                self.executor, self.total_txs, self.failed_txs = executor, total, failed
            head = self.store.block(number)
            assert head is not None
            self._last_block_size = 1
            with self._new_block:
                self.head = head
                self._new_block.notify_all()
        for waiter in waiters:
            waiter.error = DevChainError(f"reverted to block {number} before the transaction was sealed")
            waiter.finish()
        del dropped

    def _check_alive(self) -> None:
        if self._closed:
            raise DevChainError("the chain is closed")
        if self._failed is not None:
            raise DevChainError(f"the chain stopped after a storage failure: {self._failed}")

    def wait_for_block(self, number: int, timeout: float) -> bool:
        """Block until the head reaches ``number`` (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._new_block:
            while self.head.number < number:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                self._new_block.wait(left)
            return True

    def admitted_since(self, seq: int) -> tuple[int, list[bytes]]:
        """Hashes admitted after sequence number ``seq`` (for pending-transaction filters)."""
        with self._lock:
            return self._admitted_seq, [h for s, h in self._admitted if s > seq]

    # ================================================================== reads
    def call(self, sender: str, to: str, data: bytes) -> ExecOutcome:
        return self.executor.call(sender, to, data)

    def block(self, number: int) -> ChainBlock | None:
        if number == self.head.number:
            return self.head
        return self.store.block(number) if 0 <= number <= self.head.number else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.pool.close()
        self._sealer.join(timeout=10)
        running = self._round.acquire(timeout=10)  # a lone request's round finishes before the store closes
        try:
            self._fail(DevChainError("the chain was closed before the transaction was sealed"))
            self.store.close()
        finally:
            if running:
                self._round.release()
        self._release_dir()

    def _release_dir(self) -> None:
        if self._dir_lock is not None:
            self._dir_lock.release()
            self._dir_lock = None
