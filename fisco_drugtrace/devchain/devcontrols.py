"""Test controls, as Anvil and Hardhat give them, in a ``dev_`` JSON-RPC namespace.

Only the dev chain serves these methods (both dialects); a real FISCO BCOS node answers them
with -32601 MethodNotFound, so a client that calls one against a node gets a clear error.
Params are positional, as every FISCO method's; there is no group param.

=================================  ==================================================================
``dev_increaseTime [ms]``          move the block clock forward; returns the total offset (ms)
``dev_setNextBlockTimestamp [ms]`` the next block's timestamp, exactly (ms, >= the head's)
``dev_time []``                    the chain's current time (ms): wall clock + offset
``dev_snapshot []``                a snapshot id ("0x1", ...) of state, height, clock and edits
``dev_revert [id]``                back to that snapshot (true), or false for an unknown id; the
                                   snapshot and every later one are used up (as Anvil's evm_revert)
``dev_mine [n]``                   seal n blocks now (default 1), the first with the pending txs
``dev_setMining [mode, ms]``       ``"auto"`` | ``"manual"`` | ``"interval"`` (one block every ms)
``dev_getMining []``               ``{"mode": ..., "intervalMs": ..., "pending": n}``
``dev_impersonateAccount [addr]``  allow ``dev_sendTransaction`` from ``addr`` without its key
``dev_stopImpersonatingAccount``   withdraw that permission
``dev_sendTransaction [tx]``       ``{"from", "to", "data", "abi"}``: sent as ``from``; answers the
                                   dialect's receipt once sealed (like ``sendTransaction``)
``dev_setCode [addr, code]``       replace an account's code (storage kept)
``dev_setStorageAt [addr, slot, value]``  write one 32-byte storage slot
``dev_dumpState []``               the chain's history (blocks, raw txs, edits) as JSON
``dev_loadState [dump]``           re-execute a dump on top of the head (on a fresh chain: the
                                   dumped state)
=================================  ==================================================================

What a revert means for a data dir: blocks above the snapshot's height are deleted from
``chain.sqlite`` in one SQLite transaction, the recorded state edits after the snapshot are
dropped from ``meta``, and the EVM state goes back to the snapshot's mark (a journal checkpoint,
:meth:`Executor.mark`) or, after a state edit, is rebuilt by re-executing the blocks that remain;
a restart afterwards replays to exactly the reverted state. Snapshots themselves live in memory
(as on Anvil): they do not survive a restart.

Dump and load work on history, not a state trie: pyrevm 0.3.7 cannot list an account's storage,
so a state cannot be read out slot by slot. A dump lists every block's timestamp and its
transactions (raw bytes and sender), and the state edits; a load executes those transactions as
new blocks (no txpool checks: nonces and blockLimits are history) and applies the edits after
the block they followed. Loaded into a fresh chain of the same dialect and chain id, block
numbers — and so 3.x contract addresses — come out as in the dumped chain.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from fisco_drugtrace.encoding import tx_v2, tx_v3
from fisco_drugtrace.encoding.hexutil import normalize_address, to_bytes
from fisco_drugtrace.errors import DevChainError, EncodingError, HexError, InvalidParams, SignatureError
from fisco_drugtrace.types import Dialect

from .chain import Chain, ChainMark
from .codec import Admission
from .devclock import MAX_TIMESTAMP_MS, MINING_MODES
from .devops import DevOp
from .records import ChainReceipt, ChainTx

__all__ = ["ChainControls", "dev_methods", "DUMP_FORMAT"]

DUMP_FORMAT = "fisco-drugtrace-devchain-dump/1"
#: Most blocks one ``dev_mine`` seals (each is a real block, written like any other).
MAX_MINE = 10_000
#: How long ``dev_sendTransaction`` waits for its block (as ``sendTransaction``).
SEND_TIMEOUT = 60.0
#: The placeholder signature of an impersonated 2.x transaction (valid range, low-s, recovers
#: to nobody in particular: the chain records the impersonated sender itself).
_V2_PLACEHOLDER = (27, 1, 1)

Handler = Callable[[list], Any]


def _address(value: Any, what: str = "address") -> str:
    try:
        raw = to_bytes(value if isinstance(value, str) else "", what=what)
    except HexError as exc:
        raise InvalidParams(-32602, f"Invalid params: {exc}") from exc
    if len(raw) != 20:
        raise InvalidParams(-32602, f"Invalid params: {what} must be 20 bytes")
    return "0x" + raw.hex()


def _data(value: Any, what: str) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        raise InvalidParams(-32602, f"Invalid params: {what} must be a hex string")
    try:
        return to_bytes(value, what=what)
    except HexError as exc:
        raise InvalidParams(-32602, f"Invalid params: {exc}") from exc


def _quantity(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise InvalidParams(-32602, f"Invalid params: {what} must be a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value, 16) if value[:2] in ("0x", "0X") else int(value, 10)
        except ValueError:
            raise InvalidParams(-32602, f"Invalid params: {what} must be a number") from None
    else:
        raise InvalidParams(-32602, f"Invalid params: {what} must be a number")
    if number < 0:
        raise InvalidParams(-32602, f"Invalid params: {what} must not be negative")
    return number


class ChainControls:
    """The controls over one :class:`Chain` (the RPC methods and the pytest plugin use these)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self._lock = threading.Lock()
        self._impersonated: set[str] = set()
        self._snapshots: dict[int, tuple[int, int, int, ChainMark | None]] = {}  # id -> (height, edits, clock offset, mark)
        self._next_id = 1
        self.mode = "auto"
        self.interval_ms = 0
        self._ticker: threading.Thread | None = None
        self._stop_ticker = threading.Event()

    # ------------------------------------------------------------------ clock
    def increase_time(self, ms: int) -> int:
        offset = self.chain.clock.increase(ms)
        self.chain.save_clock()
        return offset

    def set_next_block_timestamp(self, ms: int) -> None:
        self.chain.clock.set_next(ms, self.chain.head.timestamp)

    def now(self) -> int:
        return self.chain.clock.now()

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> int:
        chain = self.chain
        with self._lock:
            ident = self._next_id
            self._next_id += 1
            self._snapshots[ident] = (chain.head.number, len(chain.dev_ops), chain.clock.offset_ms, chain.mark())
        return ident

    def revert(self, ident: int) -> bool:
        with self._lock:
            taken = self._snapshots.get(ident)
            if taken is None:
                return False
            for later in [i for i in self._snapshots if i >= ident]:
                del self._snapshots[later]
        height, edits, offset, mark = taken
        self.chain.rewind(height, edits, offset, mark)
        return True

    # ------------------------------------------------------------------ mining
    def mine(self, count: int = 1) -> int:
        """Seal ``count`` blocks; returns the new head number."""
        if not 1 <= count <= MAX_MINE:
            raise InvalidParams(-32602, f"Invalid params: mine between 1 and {MAX_MINE} blocks at a time")
        self.chain.mine(count)
        return self.chain.head.number

    def set_mining(self, mode: str, interval_ms: int = 0) -> None:
        if mode not in MINING_MODES:
            raise InvalidParams(-32602, f"Invalid params: mining mode must be one of {', '.join(MINING_MODES)}")
        if mode == "interval" and interval_ms < 1:
            raise InvalidParams(-32602, "Invalid params: interval mining needs an interval in ms (>= 1)")
        self._stop()
        self.mode, self.interval_ms = mode, interval_ms if mode == "interval" else 0
        self.chain.set_sealing(mode == "auto")
        if mode == "auto":
            if self.chain.pool.pending_count():
                self.chain.mine(1)  # what waited goes in now
        elif mode == "interval":
            self._stop_ticker = threading.Event()
            self._ticker = threading.Thread(target=self._tick, args=(self._stop_ticker, interval_ms / 1000),
                                            name="devchain-interval-miner", daemon=True)
            self._ticker.start()

    def _tick(self, stop: threading.Event, seconds: float) -> None:
        while not stop.wait(seconds):
            try:
                self.chain.mine(1)
            except DevChainError:  # the chain closed
                return

    def _stop(self) -> None:
        if self._ticker is not None:
            self._stop_ticker.set()
            self._ticker.join(timeout=5)
            self._ticker = None

    def mining(self) -> dict[str, Any]:
        return {"mode": self.mode, "intervalMs": self.interval_ms, "pending": self.chain.pool.pending_count()}

    def close(self) -> None:
        self._stop()

    # ------------------------------------------------------------------ impersonation
    def impersonate(self, address: str) -> None:
        with self._lock:
            self._impersonated.add(address)

    def stop_impersonating(self, address: str) -> None:
        with self._lock:
            self._impersonated.discard(address)

    def is_impersonated(self, address: str) -> bool:
        with self._lock:
            return address in self._impersonated

    def send_as(self, sender: str, to: str, data: bytes, abi: str = "") -> tuple[ChainReceipt, ChainTx]:
        """Send a transaction as ``sender`` without its key (it must be impersonated)."""
        if not self.is_impersonated(sender):
            raise InvalidParams(-32602, f"Invalid params: {sender} is not impersonated (dev_impersonateAccount)")
        admission = self._unsigned(sender, to, data, abi)
        return self.chain.send_and_wait(b"", SEND_TIMEOUT, pre=admission)

    def _unsigned(self, sender: str, to: str, data: bytes, abi: str) -> Admission:
        chain = self.chain
        c = chain.config
        head = chain.head.number
        now = self.now()
        if c.dialect is Dialect.V3:
            fields = tx_v3.new_transaction_data(chain_id=str(c.chain_id), group_id=str(c.group_id),
                                                block_number=head, to=to, input=data, abi=abi if not to else "")
            digest = tx_v3.data_hash(fields, chain.suite)
            tx = tx_v3.Transaction(fields, digest, b"", now, 0, "", bytes.fromhex(sender[2:]))
            raw = tx_v3.encode_transaction(tx)
            chain_tx = ChainTx(digest, raw, sender, to, data, fields.nonce, fields.block_limit, fields.abi, now, tx)
            return Admission(chain_tx, fields.chain_id, fields.group_id, True)
        fields2 = tx_v2.new_transaction_v2(chain_id=int(c.chain_id or 0), group_id=int(c.group_id or 0),
                                           block_number=head, to=to, data=data)
        v, r, s = _V2_PLACEHOLDER
        stx = tx_v2.SignedTransactionV2(fields2, v, r, s)
        raw = tx_v2.encode_signed_v2(stx)
        tx_hash = tx_v2.tx_hash_v2(raw, chain.suite)
        chain_tx = ChainTx(tx_hash, raw, sender, to, data, str(fields2.nonce), int(fields2.block_limit), "", now,
                           stx)
        return Admission(chain_tx, int(fields2.chain_id), int(fields2.group_id), True)

    # ------------------------------------------------------------------ state edits
    def set_code(self, address: str, code: bytes) -> None:
        self.chain.record_op(DevOp(self.chain.head.number, "code", address, 0, code.hex()))

    def set_storage(self, address: str, slot: int, value: int) -> None:
        if slot >= 2**256 or value >= 2**256:
            raise InvalidParams(-32602, "Invalid params: slot and value are 32-byte words")
        self.chain.record_op(DevOp(self.chain.head.number, "storage", address, slot, hex(value)))

    def dump(self) -> dict[str, Any]:
        chain = self.chain
        c = chain.config
        blocks = []
        for block in chain.store.iter_blocks(1):
            if block.number > chain.head.number:
                break
            blocks.append({"number": block.number, "timestamp": block.timestamp,
                           "txs": [{"raw": "0x" + t.raw.hex(), "from": t.sender}
                                   for t in chain.store.txs_in_block(block.number)]})
        return {"format": DUMP_FORMAT, "dialect": c.dialect.value, "chainId": str(c.chain_id),
                "groupId": str(c.group_id), "blocks": blocks,
                "edits": [{"after": o.after, "kind": o.kind, "address": o.address, "slot": hex(o.slot),
                           "value": o.value} for o in chain.dev_ops]}

    def load(self, dump: Any) -> int:
        """Execute a :meth:`dump` on top of the head; returns the new head number."""
        chain = self.chain
        c = chain.config
        if not isinstance(dump, dict) or dump.get("format") != DUMP_FORMAT:
            raise InvalidParams(-32602, f"Invalid params: not a {DUMP_FORMAT} dump")
        if dump.get("dialect") != c.dialect.value or dump.get("chainId") != str(c.chain_id):
            raise InvalidParams(-32602, "Invalid params: the dump is of another dialect or chain id")
        try:
            plan = [(int(b["number"]), int(b["timestamp"]),
                     [self._loaded_tx(bytes.fromhex(t["raw"][2:]), _address(t["from"], "from")) for t in b["txs"]])
                    for b in dump["blocks"]]
            edits = [(int(e["after"]), e["kind"], _address(e["address"]), int(e["slot"], 16), str(e["value"]))
                     for e in dump.get("edits", [])]
            for _, kind, _, _, value in edits:  # the edit's payload must apply
                if kind == "code":
                    bytes.fromhex(value)
                elif int(value, 16) >= 2**256:
                    raise ValueError("storage value beyond 32 bytes")
        except (KeyError, TypeError, ValueError, AttributeError, HexError, EncodingError, SignatureError) as exc:
            raise InvalidParams(-32602, f"Invalid params: malformed dump ({exc})") from exc
        if any(not 0 <= timestamp <= MAX_TIMESTAMP_MS for _, timestamp, _ in plan) or any(
                kind not in ("code", "storage") or not 0 <= slot < 2**256 for _, kind, _, slot, _ in edits):
            raise InvalidParams(-32602, "Invalid params: malformed dump (timestamp, edit kind or slot out of range)")
        base = chain.head.number
        for after, kind, address, slot, value in edits:
            if after == 0 and kind in ("code", "storage"):
                chain.record_op(DevOp(base, kind, address, slot, value))
        for number, timestamp, txs in plan:
            chain.clock.set_next(max(timestamp, chain.head.timestamp), chain.head.timestamp)
            chain.seal_loaded(txs)
            for after, kind, address, slot, value in edits:
                if after == number and kind in ("code", "storage"):
                    chain.record_op(DevOp(chain.head.number, kind, address, slot, value))
        return chain.head.number

    def _loaded_tx(self, raw: bytes, sender: str) -> ChainTx:
        decoded = self.chain.codec.redecode(ChainTx(b"", raw, "", "", b"", "", 0, "", 0))
        if self.chain.config.dialect is Dialect.V3:
            d = decoded.data
            to = normalize_address(d.to) if d.to else ""
            return ChainTx(tx_v3.data_hash(d, self.chain.suite), raw, sender, to, d.input, d.nonce, d.block_limit,
                           d.abi if not to else "", 0, decoded)
        f = decoded.tx
        to = normalize_address(f.to) if f.to else ""
        return ChainTx(tx_v2.tx_hash_v2(raw, self.chain.suite), raw, sender, to, bytes(f.data), str(f.nonce),
                       int(f.block_limit), "", 0, decoded)


def dev_methods(controls: ChainControls, render_receipt: Callable[[ChainReceipt, ChainTx], Any]) -> dict[str, Handler]:
    """The ``dev_`` method table; ``render_receipt`` gives the dialect's receipt JSON."""

    def arg(params: list, index: int, default: Any = None) -> Any:
        return params[index] if index < len(params) else default

    def increase_time(params: list) -> Any:
        return controls.increase_time(_quantity(arg(params, 0), "ms"))

    def set_next(params: list) -> Any:
        controls.set_next_block_timestamp(_quantity(arg(params, 0), "timestamp"))
        return True

    def snapshot(params: list) -> Any:
        return hex(controls.snapshot())

    def revert(params: list) -> Any:
        return controls.revert(_quantity(arg(params, 0), "snapshot id"))

    def mine(params: list) -> Any:
        return controls.mine(_quantity(arg(params, 0, 1), "block count"))

    def set_mining(params: list) -> Any:
        mode = arg(params, 0)
        if not isinstance(mode, str):
            raise InvalidParams(-32602, "Invalid params: mining mode must be a string")
        controls.set_mining(mode, _quantity(arg(params, 1, 0), "interval"))
        return True

    def impersonate(params: list) -> Any:
        controls.impersonate(_address(arg(params, 0)))
        return True

    def stop_impersonating(params: list) -> Any:
        controls.stop_impersonating(_address(arg(params, 0)))
        return True

    def send(params: list) -> Any:
        tx = arg(params, 0)
        if not isinstance(tx, dict):
            raise InvalidParams(-32602, "Invalid params: a transaction object {from, to, data}")
        to = _address(tx["to"], "to") if tx.get("to") else ""
        abi = tx.get("abi", "")
        if not isinstance(abi, str):
            raise InvalidParams(-32602, "Invalid params: abi must be a string")
        receipt, chain_tx = controls.send_as(_address(tx.get("from"), "from"), to, _data(tx.get("data"), "data"), abi)
        return render_receipt(receipt, chain_tx)

    def set_code(params: list) -> Any:
        controls.set_code(_address(arg(params, 0)), _data(arg(params, 1), "code"))
        return True

    def set_storage(params: list) -> Any:
        controls.set_storage(_address(arg(params, 0)), _quantity(arg(params, 1), "slot"),
                             _quantity(arg(params, 2), "value"))
        return True

    return {
        "dev_increaseTime": increase_time,
        "dev_setNextBlockTimestamp": set_next,
        "dev_time": lambda params: controls.now(),
        "dev_snapshot": snapshot,
        "dev_revert": revert,
        "dev_mine": mine,
        "dev_setMining": set_mining,
        "dev_getMining": lambda params: controls.mining(),
        "dev_impersonateAccount": impersonate,
        "dev_stopImpersonatingAccount": stop_impersonating,
        "dev_sendTransaction": send,
        "dev_setCode": set_code,
        "dev_setStorageAt": set_storage,
        "dev_dumpState": lambda params: controls.dump(),
        "dev_loadState": lambda params: controls.load(arg(params, 0)),
    }
