"""A small in-process EVM harness for the contract tests (pyrevm 0.3.7).

* :class:`Chain` wraps one ``pyrevm.EVM``: block number and timestamp (the timestamp is in
  MILLISECONDS, as on FISCO BCOS), deploy, snapshot/restore.
* :class:`Contract` calls and transacts with eth-abi encoding; a revert becomes :class:`Reverted`
  carrying the custom error's name and decoded arguments (looked up by selector in every ABI the
  chain knows), and a successful transaction returns a :class:`TxResult` with the gas used and
  the decoded events (from ``evm.result.logs``).
* :func:`load_artifacts` reads the committed artifacts in ``fisco_drugtrace/contracts/artifacts``.

pyrevm quirks this module hides (all in one place):

* a revert surfaces as ``RuntimeError("Revert { gas_used: N, output: 0x.. }")`` — the only way to
  get the revert data is to parse that text (``_revert_output``);
* a checkpoint can be reverted to only once, so :meth:`Chain.restore` takes a fresh one;
* pyrevm never finalises the journal between calls, so storage slots touched by an earlier call
  stay "warm" with their session-start original value: gas of a later call that rewrites them is
  UNDER-counted. :meth:`Chain.fresh_copy` rebuilds the current state into a new EVM's database so
  the next call is measured like the first transaction of a block (used by ``bench/gas_report.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env

__all__ = [
    "ARTIFACTS_DIR",
    "Artifact",
    "load_artifacts",
    "Reverted",
    "Event",
    "TxResult",
    "Contract",
    "Chain",
    "Snapshot",
    "DevChainHarness",
    "DAY_MS",
    "address_of",
]

ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "fisco_drugtrace" / "contracts" / "artifacts"
DAY_MS = 86_400_000
_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z in milliseconds


#: Test accounts live at 0xacc0…: clear of FISCO's system contract addresses (0x1000-0x10100), where
#: the dev chain has precompiles and a sender with code is refused (EIP-3607).
_ACCOUNT_BASE = 0xACC0 << 144


def address_of(n: int) -> str:
    """A deterministic test account address (lower-case hex)."""
    return "0x" + (_ACCOUNT_BASE + 0x1000 + n).to_bytes(20, "big").hex()


# --------------------------------------------------------------------------- ABI helpers


def _type_str(param: Mapping[str, Any]) -> str:
    t = param["type"]
    if t.startswith("tuple"):
        inner = ",".join(_type_str(c) for c in param["components"])
        return f"({inner}){t[len('tuple'):]}"
    return t


def _sig(item: Mapping[str, Any]) -> str:
    return f"{item['name']}({','.join(_type_str(p) for p in item.get('inputs', []))})"


def _normalise(value: Any) -> Any:
    """Make decoded values comparable: addresses lower-case, tuples stay tuples."""
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, (list, tuple)):
        return tuple(_normalise(v) for v in value)
    return value


@dataclass(frozen=True)
class Artifact:
    """Name, ABI and creation bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes


def load_artifacts(directory: Path = ARTIFACTS_DIR) -> dict[str, Artifact]:
    """All committed artifacts (``manifest.json`` excluded), by contract name."""
    out: dict[str, Artifact] = {}
    for path in sorted(directory.glob("*.json")):
        if path.name == "manifest.json":
            continue
        data = json.loads(path.read_text())
        code = data.get("bytecode") or data.get("bin") or ""
        if isinstance(code, dict):
            code = code.get("object", "")
        code = code[2:] if code.startswith("0x") else code
        if not code:
            continue  # interfaces and abstract contracts
        out[data.get("name", path.stem)] = Artifact(data.get("name", path.stem), data["abi"], bytes.fromhex(code))
    return out


# --------------------------------------------------------------------------- results


class Reverted(Exception):
    """A call or transaction reverted; ``name``/``args`` come from the ABI's custom errors."""

    def __init__(self, name: str, args: tuple[Any, ...], raw: bytes, gas_used: int | None) -> None:
        self.name = name
        self.args_ = args
        self.raw = raw
        self.gas_used = gas_used
        super().__init__(f"{name}{args!r}")


@dataclass(frozen=True)
class Event:
    """One decoded log: contract address, event name and arguments by name."""

    address: str
    name: str
    args: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.args[key]


@dataclass(frozen=True)
class TxResult:
    """Outcome of a successful transaction."""

    gas_used: int
    events: list[Event]
    output: Any = None

    def named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]

    def one(self, name: str) -> Event:
        found = self.named(name)
        if len(found) != 1:
            raise AssertionError(f"expected exactly one {name} event, got {[e.name for e in self.events]}")
        return found[0]


_REVERT_RE = re.compile(r"Revert \{ gas_used: (\d+), output: 0x([0-9a-fA-F]*) \}")
_HALT_RE = re.compile(r"Halt \{ reason: (\w+), gas_used: (\d+) \}")


def _revert_output(exc: RuntimeError) -> tuple[bytes, int | None] | None:
    """The revert data from pyrevm's error text (the one place that parses it)."""
    text = str(exc)
    m = _REVERT_RE.search(text)
    if m:
        return bytes.fromhex(m.group(2)), int(m.group(1))
    m = _HALT_RE.search(text)
    if m:
        return b"", int(m.group(2))
    return None


def _decode_logs(index: "_AbiIndex", logs: Iterable[tuple[str, Sequence[bytes], bytes]]) -> list[Event]:
    """Decode (address, topics, data) logs with the ABIs in ``index`` (anonymous logs skipped)."""
    out: list[Event] = []
    for address, topics, data in logs:
        if not topics:
            continue
        item = index.events.get(bytes(topics[0]))
        if item is None:
            out.append(Event(address.lower(), f"<unknown 0x{bytes(topics[0]).hex()}>", {}))
            continue
        args: dict[str, Any] = {}
        indexed = [p for p in item["inputs"] if p.get("indexed")]
        plain = [p for p in item["inputs"] if not p.get("indexed")]
        for p, topic in zip(indexed, topics[1:]):
            t = _type_str(p)
            if t in ("string", "bytes") or t.endswith("]") or t.startswith("("):
                args[p["name"]] = bytes(topic)  # hashed
            else:
                args[p["name"]] = _normalise(abi_decode([t], bytes(topic))[0])
        values = abi_decode([_type_str(p) for p in plain], bytes(data)) if plain else ()
        for p, v in zip(plain, values):
            args[p["name"]] = _normalise(v)
        out.append(Event(address.lower(), item["name"], args))
    return out


# --------------------------------------------------------------------------- contract


class Contract:
    """A deployed contract: ``call`` (no state change kept) and ``transact``."""

    def __init__(self, chain: "Chain", name: str, abi: list[dict[str, Any]], address: str) -> None:
        self.chain = chain
        self.name = name
        self.abi = abi
        self.address = address.lower()
        self._functions: dict[str, list[dict[str, Any]]] = {}
        for item in abi:
            if item.get("type") == "function":
                self._functions.setdefault(item["name"], []).append(item)

    def __repr__(self) -> str:
        return f"Contract({self.name} @ {self.address})"

    def has(self, fn: str) -> bool:
        return fn in self._functions

    def function(self, fn: str, nargs: int | None = None) -> dict[str, Any]:
        items = self._functions.get(fn)
        if not items:
            raise AttributeError(f"{self.name} has no function {fn}")
        if nargs is not None:
            items = [i for i in items if len(i.get("inputs", [])) == nargs] or items
        return items[0]

    def _shape(self, fn: str, nargs: int) -> tuple[bytes, list[str], list[str]]:
        """(selector, input types, output types) of ``fn`` with ``nargs`` arguments, computed once."""
        cache = self.__dict__.setdefault("_shapes", {})
        shape = cache.get((fn, nargs))
        if shape is None:
            item = self.function(fn, nargs)
            shape = (keccak(text=_sig(item))[:4], [_type_str(p) for p in item.get("inputs", [])],
                     [_type_str(o) for o in item.get("outputs", [])])
            cache[(fn, nargs)] = shape
        return shape

    def encode(self, fn: str, args: Sequence[Any]) -> bytes:
        selector, types, _outs = self._shape(fn, len(args))
        return selector + abi_encode(types, list(args))

    def _decode_output(self, fn: str, nargs: int, data: bytes) -> Any:
        outs = self._shape(fn, nargs)[2]
        if not outs:
            return None
        values = _normalise(abi_decode(outs, data))
        return values[0] if len(values) == 1 else values

    def call(self, fn: str, *args: Any, sender: str | None = None) -> Any:
        """A read: executed and thrown away (snapshot + restore)."""
        data = self.encode(fn, args)
        out = self.chain._execute(sender or self.chain.reader, self.address, data, keep=False)
        return self._decode_output(fn, len(args), out)

    def transact(self, fn: str, *args: Any, sender: str) -> TxResult:
        """A transaction from ``sender``; raises :class:`Reverted` and leaves no trace on revert."""
        data = self.encode(fn, args)
        out, gas_used, events = self.chain._transact(sender, self.address, data)
        return TxResult(gas_used, events, self._decode_output(fn, len(args), out))


# --------------------------------------------------------------------------- chain


@dataclass
class _AbiIndex:
    errors: dict[bytes, tuple[str, list[str], list[str]]] = field(default_factory=dict)
    events: dict[bytes, dict[str, Any]] = field(default_factory=dict)

    def add(self, abi: Iterable[Mapping[str, Any]]) -> None:
        for item in abi:
            if item.get("type") == "error":
                sel = keccak(text=_sig(item))[:4]
                self.errors[sel] = (
                    item["name"],
                    [_type_str(p) for p in item.get("inputs", [])],
                    [p["name"] for p in item.get("inputs", [])],
                )
            elif item.get("type") == "event" and not item.get("anonymous"):
                self.events[keccak(text=_sig(item))] = dict(item)


_PANIC = keccak(text="Panic(uint256)")[:4]
_ERROR = keccak(text="Error(string)")[:4]


@dataclass(frozen=True)
class Snapshot:
    """EVM checkpoint plus block number/timestamp at the time it was taken."""

    checkpoint: Any
    number: int
    timestamp_ms: int


class Chain:
    """One pyrevm EVM plus block environment (timestamp in milliseconds)."""

    def __init__(self, *, chain_id: int = 20200, number: int = 1, timestamp_ms: int = _START_MS,
                 spec_id: str | None = None) -> None:
        """``spec_id``: pyrevm's revision name, case-sensitive ("Istanbul", "London", ...); an unknown
        name silently means revm's latest, as does None (pyrevm's default)."""
        self.chain_id = chain_id
        self.number = number
        self.timestamp_ms = timestamp_ms
        self.spec_id = spec_id
        spec = {} if spec_id is None else {"spec_id": spec_id}
        self.evm = EVM(env=Env(cfg=CfgEnv(chain_id=chain_id), block=self._block()), **spec)
        self.reader = address_of(0xFFFF)
        self.index = _AbiIndex()
        self.contracts: dict[str, Contract] = {}
        self._nonce = 0

    # -- time
    def _block(self) -> BlockEnv:
        return BlockEnv(number=self.number, timestamp=self.timestamp_ms, gas_limit=2**63)

    def set_time(self, timestamp_ms: int, number: int | None = None) -> None:
        """Set the block timestamp (ms) and optionally the block number."""
        self.timestamp_ms = timestamp_ms
        if number is not None:
            self.number = number
        self.evm.set_block_env(self._block())

    def advance(self, ms: int, blocks: int = 1) -> None:
        self.set_time(self.timestamp_ms + ms, self.number + blocks)

    # -- state
    def snapshot(self) -> "Snapshot":
        """A checkpoint of the EVM state plus the block environment (not journaled by pyrevm)."""
        return Snapshot(self.evm.snapshot(), self.number, self.timestamp_ms)

    def revert(self, snap: "Snapshot") -> None:
        """Go back to ``snap`` (each snapshot can be reverted to once)."""
        self.evm.revert(snap.checkpoint)
        self.set_time(snap.timestamp_ms, snap.number)

    def restore(self, snap: "Snapshot") -> "Snapshot":
        """Go back to ``snap`` and return a fresh snapshot of the same state (for repeated use)."""
        self.revert(snap)
        return self.snapshot()

    # -- deploy
    def deploy(self, artifact: Artifact, *ctor_args: Any, sender: str, at: str | None = None) -> Contract:
        """Deploy ``artifact``; ``at`` places it at a chosen address (FISCO-style fixed addresses)."""
        ctor = next((i for i in artifact.abi if i.get("type") == "constructor"), None)
        types = [_type_str(p) for p in (ctor or {}).get("inputs", [])]
        initcode = artifact.bytecode + (abi_encode(types, list(ctor_args)) if types else b"")
        self.index.add(artifact.abi)
        try:
            if at is None:
                address = self.evm.deploy(sender, initcode, gas=2**62)
            else:
                address = at
                self.evm.insert_account_info(at, AccountInfo(code=initcode))
                runtime = self.evm.message_call(sender, at, b"", gas=2**62)
                self.evm.insert_account_info(at, AccountInfo(code=runtime, nonce=1))
        except RuntimeError as exc:
            raise self._reverted(exc) from exc
        c = Contract(self, artifact.name, artifact.abi, address)
        self.contracts[artifact.name] = c
        return c

    def attach(self, artifact: Artifact, address: str) -> Contract:
        """A contract already on this chain (e.g. created by another contract's constructor)."""
        self.index.add(artifact.abi)
        c = Contract(self, artifact.name, artifact.abi, address)
        self.contracts[artifact.name] = c
        return c

    # -- execution
    def _execute(self, sender: str, to: str, data: bytes, *, keep: bool) -> bytes:
        checkpoint = self.evm.snapshot()
        try:
            out = self.evm.message_call(sender, to, data, gas=30_000_000_000)
        except RuntimeError as exc:
            self.evm.revert(checkpoint)
            raise self._reverted(exc) from exc
        if keep:
            self.evm.commit()
        else:
            self.evm.revert(checkpoint)
        return bytes(out)

    def _transact(self, sender: str, to: str, data: bytes) -> tuple[bytes, int, list[Event]]:
        """A kept message call: (output, gas used, decoded events)."""
        out = self._execute(sender, to, data, keep=True)
        result = self.evm.result
        return out, result.gas_used, self.decode_logs(result.logs)

    def _reverted(self, exc: RuntimeError) -> Exception:
        parsed = _revert_output(exc)
        if parsed is None:
            return exc
        raw, gas = parsed
        name, args = self.decode_error(raw)
        return Reverted(name, args, raw, gas)

    def decode_error(self, raw: bytes) -> tuple[str, tuple[Any, ...]]:
        """Custom error (by selector), ``Error(string)``, ``Panic(uint256)`` or ``<empty>``."""
        if len(raw) < 4:
            return ("<empty>", ())
        sel, body = raw[:4], raw[4:]
        if sel == _ERROR:
            return ("Error", tuple(abi_decode(["string"], body)))
        if sel == _PANIC:
            return ("Panic", tuple(abi_decode(["uint256"], body)))
        known = self.index.errors.get(sel)
        if known is None:
            return (f"<unknown 0x{sel.hex()}>", (body,))
        name, types, _names = known
        return (name, _normalise(abi_decode(types, body)))

    def decode_logs(self, logs: Sequence[Any]) -> list[Event]:
        """Decode pyrevm logs with every ABI seen by this chain (unknown logs are skipped)."""
        return _decode_logs(self.index, ((log.address, *log.data) for log in logs))

    # -- gas measurement support

    def fresh_copy(self) -> "Chain":
        """A new Chain whose EVM database holds this chain's current state, journal empty."""
        return _cold_copy(self.evm, self.evm.get_code, self)


_ACCOUNT_RE = re.compile(r"(0x[0-9a-f]{40}): Account \{")
_SLOT_RE = re.compile(r"(\d+): StorageSlot \{ previous_or_original_value: \d+, present_value: (\d+)")


def _cold_copy(evm: EVM, code_of: Any, like: Any) -> Chain:
    """A raw :class:`Chain` whose database holds ``evm``'s current state (journal empty), with
    ``like``'s block environment, ABI index and contracts.

    pyrevm exposes storage only through the journal's debug text, so this parses ``journal_str``
    (the single place that depends on that format).
    """
    text = evm.journal_str
    starts = [(m.start(), m.group(1)) for m in _ACCOUNT_RE.finditer(text)]
    twin = Chain(chain_id=like.chain_id, number=like.number, timestamp_ms=like.timestamp_ms, spec_id=like.spec_id)
    twin.index = like.index
    twin.reader = like.reader
    for i, (pos, addr) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        segment = text[pos:end]
        info = evm.basic(addr)
        code = code_of(addr)
        # pyrevm writes an insert into the journal (warm) once the account is loaded there, and
        # into the database otherwise; undoing the journal after each insert keeps the value in
        # the database and every slot cold.
        checkpoint = twin.evm.snapshot()
        twin.evm.insert_account_info(addr, AccountInfo(code=code or None, nonce=info.nonce))
        twin.evm.revert(checkpoint)
        for slot, value in _SLOT_RE.findall(segment):
            checkpoint = twin.evm.snapshot()
            twin.evm.insert_account_storage(addr, int(slot), int(value))
            twin.evm.revert(checkpoint)
    for name, c in like.contracts.items():
        twin.contracts[name] = Contract(twin, c.name, c.abi, c.address)
    return twin


# --------------------------------------------------------------------------- on the dev chain


class DevChainHarness:
    """The harness's :class:`Chain` API over a :class:`~fisco_drugtrace.devchain.DevChain` — the
    pytest plugin's session chain (``devchain_session``) in the contract tests.

    Every transaction is a real dev chain transaction: sent as its sender through the test
    controls (``dev_impersonateAccount`` + ``dev_sendTransaction``: the harness's accounts have no
    keys), sealed in a block of its own, with the 3.x receipt's status, output, ``gasUsed`` and
    logs. Time is the harness's: each transaction's block gets exactly :attr:`timestamp_ms`
    (``dev_setNextBlockTimestamp``), and a read after the clock moved first mines an empty block at
    the new time (``dev_mine``), as an Anvil user mines after ``evm_increaseTime``: views that read
    ``block.timestamp`` see it. Block numbers only go forward (the chain's, one block per
    transaction): :attr:`number` is the next block's. Snapshots are the chain's (``dev_snapshot``/
    ``dev_revert``: state, height and clock) plus this object's clock.

    Differences from the raw :class:`Chain` a test can see: ``gas_used`` is FISCO 3.x's receipt
    gas (execution only, no intrinsic 21,000); deployments get FISCO's addresses; a failed
    transaction still takes a block. Gas figures that need the cold state of a first transaction
    in a block come from :meth:`fresh_copy` (a raw :class:`Chain`) or a raw chain of their own.
    """

    def __init__(self, devchain: Any) -> None:
        self.devchain = devchain
        self._chain = devchain.chain
        self._controls = devchain.controls
        self.chain_id = devchain.config.evm_chain_id
        self.spec_id: str | None = None
        self.timestamp_ms = self._chain.head.timestamp
        self.reader = address_of(0xFFFF)
        self.index = _AbiIndex()
        self.contracts: dict[str, Contract] = {}
        self._impersonated: set[str] = set()

    # -- time and height
    @property
    def number(self) -> int:
        """The number of the block the next transaction goes into."""
        return self._chain.head.number + 1

    def set_time(self, timestamp_ms: int, number: int | None = None) -> None:
        """The block time (ms) from now on; ``number``: mine empty blocks until the next block is
        that one (a dev chain's height never goes back: a lower number is refused)."""
        head = self._chain.head
        if timestamp_ms < head.timestamp:
            raise ValueError(f"time {timestamp_ms} is before the dev chain's head block ({head.timestamp}): "
                             "go back with a snapshot")
        if number is not None and number < head.number + 1:
            raise ValueError(f"block {number} is behind the dev chain's next block {head.number + 1}")
        self.timestamp_ms = timestamp_ms
        while number is not None and self.number < number:
            self._mine_at_now()

    def advance(self, ms: int, blocks: int = 1) -> None:
        """Move the clock forward by ``ms``; the next transaction is ``blocks`` blocks after the
        last one (each transaction is in a block of its own anyway)."""
        self.set_time(self.timestamp_ms + ms, self.number + blocks - 1)

    def _mine_at_now(self) -> None:
        self._controls.set_next_block_timestamp(self.timestamp_ms)
        self._controls.mine(1)

    def _clock_for_next_block(self) -> None:
        head = self._chain.head
        if self.timestamp_ms < head.timestamp:
            raise RuntimeError(f"the dev chain's head block ({head.timestamp} ms) is later than this harness's "
                               f"clock ({self.timestamp_ms} ms): a test moved the chain's time without reverting")
        self._controls.set_next_block_timestamp(self.timestamp_ms)

    # -- state
    def snapshot(self) -> Snapshot:
        """The chain's snapshot (``dev_snapshot``) plus this harness's clock."""
        return Snapshot(self._controls.snapshot(), self.number, self.timestamp_ms)

    def revert(self, snap: Snapshot) -> None:
        """Back to ``snap`` (``dev_revert``; it and every later snapshot are used up)."""
        if not self._controls.revert(snap.checkpoint):
            raise RuntimeError(f"dev chain snapshot {snap.checkpoint} is unknown or used up")
        self.timestamp_ms = snap.timestamp_ms

    def restore(self, snap: Snapshot) -> Snapshot:
        """Go back to ``snap`` and return a fresh snapshot of the same state (for repeated use)."""
        self.revert(snap)
        return self.snapshot()

    # -- deploy
    def deploy(self, artifact: Artifact, *ctor_args: Any, sender: str, at: str | None = None) -> Contract:
        """Deploy ``artifact`` at the chain's address for it; ``at`` places it at a chosen address
        (its constructor run there: ``dev_setCode`` with the creation code, a call, then the runtime)."""
        ctor = next((i for i in artifact.abi if i.get("type") == "constructor"), None)
        types = [_type_str(p) for p in (ctor or {}).get("inputs", [])]
        initcode = artifact.bytecode + (abi_encode(types, list(ctor_args)) if types else b"")
        self.index.add(artifact.abi)
        if at is None:
            receipt = self._send(sender, "", initcode)
            address = receipt.contract_address
        else:
            address = at.lower()
            self._controls.set_code(address, initcode)
            try:
                receipt = self._send(sender, address, b"")
            except Reverted:
                self._controls.set_code(address, b"")
                raise
            self._controls.set_code(address, bytes(receipt.output))
        c = Contract(self, artifact.name, artifact.abi, address)
        self.contracts[artifact.name] = c
        return c

    def attach(self, artifact: Artifact, address: str) -> Contract:
        """A contract already on this chain (e.g. created by another contract's constructor)."""
        self.index.add(artifact.abi)
        c = Contract(self, artifact.name, artifact.abi, address)
        self.contracts[artifact.name] = c
        return c

    # -- execution
    def _send(self, sender: str, to: str, data: bytes) -> Any:
        sender = sender.lower()
        if sender not in self._impersonated:
            self._controls.impersonate(sender)
            self._impersonated.add(sender)
        self._clock_for_next_block()
        receipt, _tx = self._controls.send_as(sender, to, data)
        if receipt.status != 0:
            name, args = self.decode_error(bytes(receipt.output))
            raise Reverted(name, args, bytes(receipt.output), receipt.gas_used)
        return receipt

    def _transact(self, sender: str, to: str, data: bytes) -> tuple[bytes, int, list[Event]]:
        receipt = self._send(sender, to, data)
        events = _decode_logs(self.index, ((log.address, log.topics, log.data) for log in receipt.logs))
        return bytes(receipt.output), receipt.gas_used, events

    def _execute(self, sender: str, to: str, data: bytes, *, keep: bool) -> bytes:
        if keep:
            return self._transact(sender, to, data)[0]
        if self.timestamp_ms != self._chain.head.timestamp:
            self._mine_at_now()  # reads see the moved clock (a call runs on the head block)
        outcome = self._chain.call(sender.lower(), to, data)
        if outcome.status != 0:
            name, args = self.decode_error(bytes(outcome.output))
            raise Reverted(name, args, bytes(outcome.output), outcome.gas_used)
        return bytes(outcome.output)

    decode_error = Chain.decode_error

    def decode_logs(self, logs: Sequence[Any]) -> list[Event]:
        """Decode dev chain logs (``ChainLog``: address, topics, data) with every ABI seen here."""
        return _decode_logs(self.index, ((log.address, log.topics, log.data) for log in logs))

    # -- gas measurement support
    def fresh_copy(self) -> Chain:
        """A raw :class:`Chain` holding the dev chain's current state with a cold journal (for gas
        measured as the first transaction of a block; see :meth:`Chain.fresh_copy`)."""
        executor = self._chain.executor
        with executor.lock:
            return _cold_copy(executor.evm, executor.code, self)


def checksum(address: str) -> str:
    """EIP-55 form (for messages only)."""
    return to_checksum_address(address)
