"""The execution engine: pyrevm with FISCO's environment and FISCO's receipt statuses.

FISCO differences from Ethereum that matter to applications, and how they are mirrored here:

* ``TIMESTAMP`` is in milliseconds (the block's ``timestamp`` field is used as is);
* ``CHAINID`` is what :attr:`DevChainConfig.evm_chain_id` says (0 by default, as FISCO's host);
* every transaction runs with the chain's ``tx_gas_limit``, whatever the transaction says;
* a deployment's address is chosen by the chain (3.x: from block/context/seq; 2.x: from the
  sender's count of creations), so code is placed at that address and the constructor is run
  there (pyrevm's own ``deploy`` would use Ethereum's CREATE rule);
* the outcome is reported with FISCO's status numbers (revert = 16 on 3.x, 0x16 on 2.x);
* the EVM runs at the dialect's revision (3.x: Paris, revm ``"Merge"``; 2.x: Istanbul) and the
  receipt's ``gasUsed`` is counted as that node counts it (3.x: execution gas only; 2.x: with the
  intrinsic gas at 68 per non-zero data byte) — both from :mod:`.schedule`.

Internal ``CREATE``/``CREATE2`` inside contracts use the EVM's own (Ethereum) rule. pyrevm is not
thread-safe: :class:`Executor` serialises every use with its own lock.

Code is installed *analysed*. revm keeps a contract's code either raw or analysed (its jump
table computed); raw code is copied and analysed again on every call frame, about 1 µs per KB.
pyrevm 0.3.7 builds raw code from bytes, and only a ``CREATE`` stores analysed code, so a
deployment's runtime is passed once through a ``CREATE`` from an internal address and the
analysed code is bound to the FISCO address by its hash (see :meth:`Executor._install_code`).
A 10 KB contract's call then costs 5 µs of fixed overhead instead of 15 µs.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from typing import Callable

from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.errors import DevChainError
from fisco_drugtrace.types import Dialect

from .bridge import MAX_CALLS as MAX_BRIDGED_CALLS
from .bridge import STUB_CODE, answer_slots, parse_marker
from .precompiles import PrecompileHost
from .precompiles.base import Tables
from .records import ChainLog, ExecOutcome
from .schedule import SCHEDULES, BaseGas, GasSchedule, base_gas, receipt_gas, revm_gas_limit

__all__ = ["Executor", "STATUS", "AddressRule", "error_output", "MAX_MARKS"]

#: (block_number, context index, sender, creations-so-far by sender) -> "0x" + 40 hex
AddressRule = Callable[[int, int, str, int], str]

#: FISCO status numbers by dialect for the outcomes the EVM can produce.
STATUS: dict[Dialect, dict[str, int]] = {
    Dialect.V3: {
        "ok": 0, "unknown": 1, "intrinsic": 2, "bad_instruction": 10, "bad_jump": 11,
        "out_of_gas": 12, "out_of_stack": 13, "stack_underflow": 14, "revert": 16,
        "call_address": 19,
    },
    Dialect.V2: {
        "ok": 0x0, "unknown": 0x1, "intrinsic": 0x4, "bad_instruction": 0xA, "bad_jump": 0xB,
        "out_of_gas": 0xC, "out_of_stack": 0xD, "stack_underflow": 0xE, "revert": 0x16,
        "call_address": 0x1A,
    },
}

#: pyrevm's own revisions, spelt as its ``spec_id`` wants them (any other name means its latest).
_KNOWN_REVISIONS = frozenset({"Istanbul", "Berlin", "London", "Merge", "Shanghai", "Cancun"})

_REVERT_RE = re.compile(r"Revert \{ gas_used: (\d+), output: 0x([0-9a-fA-F]*) \}")
_HALT_RE = re.compile(r"Halt \{ reason: (\w+)")
_HALT_KIND = {
    "OutOfGas": "out_of_gas",
    "OpcodeNotFound": "bad_instruction",
    "InvalidFEOpcode": "bad_instruction",
    "NotActivated": "bad_instruction",
    "InvalidJump": "bad_jump",
    "StackUnderflow": "stack_underflow",
    "StackOverflow": "out_of_stack",
    "CreateContractSizeLimit": "out_of_gas",
    "CreateContractStartingWithEF": "bad_instruction",
    "CallTooDeep": "out_of_stack",
}
_ERROR_SELECTOR = bytes.fromhex("08c379a0")

#: Most marks outstanding at once (each one is a level of revm's journal depth, of 1024).
MAX_MARKS = 64

#: The internal account whose ``CREATE`` analyses each deployed runtime (never a FISCO sender:
#: no key exists for it). Its nonce counts the installations.
_ANALYSER = "0x00000000000000000000000000000000000a4a15"
#: revm pads analysed code with this many zero bytes (``to_analysed``); pyrevm returns them too.
_ANALYSED_PADDING = 33
#: The largest code revm's own CREATE accepts (EIP-170's 24,576 bytes; pyrevm's default config).
_REVM_CREATE_LIMIT = 0x6000
#: The stub that returns the runtime after it: PUSH2 n DUP1 PUSH1 12 PUSH1 0 CODECOPY PUSH1 0 RETURN.
_STUB_LENGTH = 12


def error_output(message: str) -> bytes:
    """ABI ``Error(string)`` bytes, as FISCO puts in ``output`` for ``CallAddressError``."""
    text = message.encode()
    padded = text + bytes((32 - len(text) % 32) % 32)
    return _ERROR_SELECTOR + (32).to_bytes(32, "big") + len(text).to_bytes(32, "big") + padded


def _classify(exc: RuntimeError) -> tuple[str, int | None, bytes]:
    """pyrevm reports failures only as text; this is the one place that reads it.

    :returns: (outcome kind, gas used if stated, revert output).
    """
    text = str(exc)
    match = _REVERT_RE.search(text)
    if match:
        return "revert", int(match.group(1)), bytes.fromhex(match.group(2))
    match = _HALT_RE.search(text)
    if match:
        return _HALT_KIND.get(match.group(1), "unknown"), None, b""
    if "Transaction(" in text:  # refused before running: intrinsic gas above the limit, ...
        return "intrinsic", None, b""
    return "unknown", None, b""


class Executor:
    """One EVM state with FISCO's rules; all methods are thread-safe.

    :param address_rule: computes a top-level deployment's address.
    """

    def __init__(self, dialect: Dialect, *, gas_limit: int, evm_chain_id: int, address_rule: AddressRule,
                 precompiles: PrecompileHost | None = None) -> None:
        schedule = SCHEDULES[dialect]
        if schedule.revision not in _KNOWN_REVISIONS:  # pragma: no cover - guards an edit of the table
            raise DevChainError(f"unknown EVM revision {schedule.revision!r} (pyrevm would run its latest)")
        self._dialect = dialect
        self._schedule: GasSchedule = schedule
        self._status = STATUS[dialect]
        self._gas = gas_limit
        self._address_rule = address_rule
        self._max_code = schedule.max_code_size
        self._lock = threading.RLock()
        self._evm = EVM(
            env=Env(cfg=CfgEnv(chain_id=evm_chain_id), block=BlockEnv(number=0, timestamp=0, gas_limit=2**63)),
            # pyrevm refuses a call whose gas exceeds this cap; every call states its own gas, which
            # on 3.x is the limit plus revm's intrinsic gas (see ``schedule.revm_gas_limit``).
            gas_limit=2**62,
            spec_id=schedule.revision,
        )
        self._creations: dict[str, int] = {}
        #: next Ethereum nonce per sender, counted over the Web3 port's transactions (state: rebuilt by replay)
        self.web3_nonces: dict[str, int] = {}
        self._with_code: set[str] = set()  # deployed here: skips copying their code on every call
        self._block = (0, 0)
        #: outstanding marks (:meth:`mark`), oldest first, and the account writes pyrevm does not
        #: journal that were made while any is outstanding: (address, whether it was loaded in the
        #: journal's state, the account before the write)
        self._marks: list[_Mark] = []
        self._unjournaled: list[tuple[str, bool, AccountInfo | None]] = []
        #: the precompile tables written by the contracts' calls of the last run, until kept
        self._bridged: Tables | None = None
        self.precompiles = precompiles
        if precompiles is not None:
            self._install_precompile_stubs(precompiles)

    # ------------------------------------------------------------------ block environment
    def set_block(self, number: int, timestamp_ms: int) -> None:
        """Set NUMBER and TIMESTAMP (ms) for the following executions."""
        with self._lock:
            self._block = (number, timestamp_ms)
            self._evm.set_block_env(BlockEnv(number=number, timestamp=timestamp_ms, gas_limit=2**63))

    # ------------------------------------------------------------------ transactions
    def apply(self, sender: str, to: str, data: bytes, context_index: int) -> ExecOutcome:
        """Execute one transaction of the current block and keep its effects (unless it failed)."""
        with self._lock:
            if self.precompiles is not None:
                if to and self.precompiles.handles(to):
                    return self._precompiled(sender, to, data, readonly=False)
                refused = self.precompiles.admit(sender, to, data, call=False, number=self._block[0])
                if refused is not None:
                    return refused
            if to:
                return self._call(sender, to, data)
            return self._deploy(sender, data, context_index)

    def apply_web3(self, sender: str, to: str, data: bytes, nonce: int, create_address: str) -> ExecOutcome:
        """Execute a transaction that came in through the Web3 port: a deployment goes to
        ``create_address`` (Ethereum's CREATE rule), and the sender's Web3 nonce moves on."""
        with self._lock:
            self.web3_nonces[sender] = nonce + 1
            if self.precompiles is not None:  # the same system precompiles and governance as the FISCO port
                if to and self.precompiles.handles(to):
                    return self._precompiled(sender, to, data, readonly=False)
                refused = self.precompiles.admit(sender, to, data, call=False, number=self._block[0])
                if refused is not None:
                    return refused
            if to:
                return self._call(sender, to, data)
            return self._deploy(sender, data, 0, address=create_address)

    def call(self, sender: str, to: str, data: bytes) -> ExecOutcome:
        """Run a read-only call against the current state; nothing is kept."""
        with self._lock:
            if self.precompiles is not None:
                if self.precompiles.handles(to):
                    return self._precompiled(sender, to, data, readonly=True)
                refused = self.precompiles.admit(sender, to, data, call=True, number=self._block[0])
                if refused is not None:
                    return refused
            checkpoint = self._evm.snapshot()
            try:
                return self._call(sender, to, data, keep=False)
            finally:
                self._evm.revert(checkpoint)

    @property
    def schedule(self) -> GasSchedule:
        """The revision and gas rules this executor runs with."""
        return self._schedule

    @property
    def evm(self) -> EVM:
        """The pyrevm engine itself, for test harnesses that read state pyrevm only shows through
        it (``journal_str``); use it while holding :attr:`lock` and change nothing through it."""
        return self._evm

    @property
    def lock(self) -> "threading.RLock":
        """The lock every use of the engine holds (re-entrant)."""
        return self._lock

    def code(self, address: str) -> bytes:
        """The runtime code at ``address`` as deployed (without revm's analysis padding)."""
        with self._lock:
            code = self._evm.get_code(address) or b""
            if len(code) < _ANALYSED_PADDING or any(code[-_ANALYSED_PADDING:]):
                return code
            # analysed code (ours, or made by a contract's own CREATE) comes back padded with 33
            # zero bytes; the code hash tells the padding from a runtime that ends in zeros
            expected = bytes(self._evm.basic(address).code_hash)
            if keccak256(code) != expected and keccak256(code[:-_ANALYSED_PADDING]) == expected:
                return code[:-_ANALYSED_PADDING]
            return code

    def storage(self, address: str, slot: int) -> int:
        with self._lock:
            return int(self._evm.storage(address, slot))

    # ------------------------------------------------------------------ precompiles
    def _precompiled(self, sender: str, to: str, data: bytes, *, readonly: bool) -> ExecOutcome:
        """A transaction or call addressed to a system precompile: answered by Python (the EVM
        never sees it)."""
        assert self.precompiles is not None
        outcome = self.precompiles.execute(sender, to, data, block_number=self._block[0], readonly=readonly,
                                           code_exists=self._has_code)
        if readonly:
            return outcome
        # the receipt's gasUsed: the transaction's base gas (3.x: 0; 2.x: ``baseGasRequired``, charged
        # before the precompile runs, kept when it fails) plus what the precompile charged
        base = base_gas(self._schedule, revm_calldata=data, tx_data=data, creation=False).node
        return dataclasses.replace(outcome, gas_used=base + outcome.gas_used) if base else outcome

    def _install_precompile_stubs(self, precompiles: PrecompileHost) -> None:
        """The stub (:data:`.bridge.STUB_CODE`) at each precompile address, through which a contract
        calls the precompile (:meth:`_message_call`). Transactions and calls addressed to the
        precompile never run it (:meth:`apply` and :meth:`call` answer them first)."""
        for address in precompiles.precompiles:
            self._evm.insert_account_info(address, AccountInfo(code=STUB_CODE))

    def _message_call(self, sender: str, to: str, data: bytes, gas: int, *, keep: bool) -> bytes:
        """``message_call``, with the system precompiles answering the contracts that call them
        (:mod:`.bridge`): run, and while the run ends in the stub's "not answered yet" revert,
        answer that call in Python and run again from the same state. ``keep``: the precompile
        writes become real when the run succeeds; otherwise they wait in :attr:`_bridged` for
        :meth:`_keep_bridged` (a deployment, which can still fail after its constructor)."""
        evm = self._evm
        host = self.precompiles
        self._bridged = None
        if host is None:
            return evm.message_call(sender, to, data, gas=gas)
        pending: Tables | None = None
        written: dict[str, set[int]] = {}
        try:
            for _ in range(MAX_BRIDGED_CALLS + 1):
                try:
                    output = evm.message_call(sender, to, data, gas=gas)
                except RuntimeError as exc:
                    kind, _gas, revert_output = _classify(exc)
                    call = parse_marker(revert_output) if kind == "revert" else None
                    if call is None or call.address not in host.precompiles:
                        raise
                    if pending is None:
                        pending = Tables()
                        pending.data = dict(host.tables.data)  # tables are replaced on write, never mutated
                    answer, failed, wrote = host.call_from_contract(
                        pending, call.caller, sender, call.address, call.data, block_number=self._block[0],
                        code_exists=self._has_code)
                    # loaded first, so that every write below goes through the journal (pyrevm writes the
                    # database of an account not loaded: a revert or a mark would not undo that)
                    self._evm.basic(call.address)
                    slots = written.setdefault(call.address, {0})
                    for slot, value in answer_slots(call, answer, wrote=wrote, failed=failed):
                        evm.insert_account_storage(call.address, slot, value)
                        slots.add(slot)
                    continue
                self._bridged = pending
                if keep:
                    self._keep_bridged()
                return output
            raise DevChainError(f"more than {MAX_BRIDGED_CALLS} system precompile calls in one transaction")
        finally:
            for address, slots in written.items():  # the stubs' answers and epochs: gone again
                for slot in slots:
                    evm.insert_account_storage(address, slot, 0)

    def _keep_bridged(self) -> None:
        """Make the precompile writes of the last :meth:`_message_call` real."""
        if self._bridged is not None and self.precompiles is not None:
            self.precompiles.tables.data = self._bridged.data
        self._bridged = None

    def set_gas_limit(self, gas_limit: int) -> None:
        """The ``tx_gas_limit`` in force for the following transactions (a SystemConfig change)."""
        with self._lock:
            self._gas = gas_limit

    def _has_code(self, address: str) -> bool:
        return address in self._with_code or bool(self._evm.get_code(address))
    def set_code(self, address: str, code: bytes) -> None:
        """Replace the code at ``address`` (a dev chain test control; storage and nonce kept)."""
        with self._lock:
            nonce = self._evm.basic(address).nonce
            self._install_code(address, code, nonce)
            if code:
                self._with_code.add(address)
            else:
                self._with_code.discard(address)

    def set_storage(self, address: str, slot: int, value: int) -> None:
        """Write one storage slot directly (a dev chain test control)."""
        with self._lock:
            self._evm.insert_account_storage(address, slot, value)

    # ------------------------------------------------------------------ marks (fast dev_revert)
    def mark(self) -> int | None:
        """Remember the current state so that :meth:`back_to` can return to it without
        re-executing anything; returns the mark's token, or ``None`` when :data:`MAX_MARKS` are
        outstanding (the caller then rebuilds by replay).

        A mark is a pyrevm journal checkpoint (revm undoes every journaled change after it: storage,
        nonces, accounts loaded, logs) plus what the journal does not hold: the Python state here
        and in the precompiles, and each account write pyrevm makes outside the journal
        (``insert_account_info`` replaces a loaded account's info in place, or writes the database
        for one not loaded), recorded with the account as it was before (:meth:`_put`). An
        outstanding checkpoint adds one to the journal depth every call runs at.
        """
        with self._lock:
            if len(self._marks) >= MAX_MARKS:
                return None
            host = self.precompiles
            self._marks.append(_Mark(
                self._evm.snapshot(), len(self._unjournaled), host.snapshot() if host is not None else None,
                dict(self._creations), dict(self.web3_nonces), set(self._with_code), self._block, self._gas))
            return len(self._marks)

    def has_mark(self, token: int) -> bool:
        with self._lock:
            return 1 <= token <= len(self._marks)

    def back_to(self, token: int) -> None:
        """Return to the state of mark ``token``; it and every later mark are used up."""
        with self._lock:
            if not 1 <= token <= len(self._marks):
                raise DevChainError(f"no mark {token} to go back to")
            while len(self._marks) >= token:
                mark = self._marks.pop()
                self._evm.revert(mark.checkpoint)  # newest first: revm's depth stays balanced
                writes = self._unjournaled[mark.writes:]
                del self._unjournaled[mark.writes:]
                if not writes:
                    continue
                loaded = self._evm.journal_state  # after the revert: the accounts loaded before the mark
                for address, in_state, before in reversed(writes):
                    if in_state:
                        # replaced in the journal's state: undone by the revert itself when the account
                        # was loaded after the mark (it is gone); put back when loaded before it
                        if _checksum(address) in loaded:
                            self._evm.insert_account_info(address, before)
                    elif _checksum(address) not in loaded:  # a database write: put the database back
                        self._evm.insert_account_info(address, before if before is not None else AccountInfo())
            if mark.precompiles is not None and self.precompiles is not None:
                self.precompiles.restore(mark.precompiles)
            self._creations, self.web3_nonces, self._with_code = mark.creations, mark.web3_nonces, mark.with_code
            self._gas = mark.gas
            self.set_block(*mark.block)

    def _put(self, address: str, info: AccountInfo) -> None:
        """``insert_account_info``, recording the account as it was while a mark is outstanding
        (read from the journal's or the database's accounts: reading through ``basic`` would load
        it, and loading changes what the next execution pays)."""
        if self._marks:
            key = _checksum(address)
            before = self._evm.journal_state.get(key)
            if before is not None:
                self._unjournaled.append((address, True, before))
            else:
                self._unjournaled.append((address, False, self._evm.db_accounts.get(key)))
        self._evm.insert_account_info(address, info)

    # ------------------------------------------------------------------ internals
    def _call(self, sender: str, to: str, data: bytes, keep: bool = True) -> ExecOutcome:
        evm = self._evm
        if to not in self._with_code and not evm.get_code(to):
            message = f"Error address:{to[2:]}"
            return ExecOutcome(self._status["call_address"], error_output(message), 0)
        base = base_gas(self._schedule, revm_calldata=data, tx_data=data, creation=False)
        if base.node > self._gas:
            return ExecOutcome(self._status["intrinsic"], b"", self._gas)
        # A failed message call leaves the state untouched, so no checkpoint is needed here (and an
        # unreleased checkpoint would count as call depth: 1024 of them make every call fail).
        try:
            output = self._message_call(sender, to, data, revm_gas_limit(self._gas, base), keep=keep)
        except RuntimeError as exc:
            return self._failure(exc, base)
        result = evm.result
        gas = receipt_gas(self._schedule, base, revm_gas_used=int(result.gas_used),
                          revm_refunded=int(result.gas_refunded))
        return ExecOutcome(self._status["ok"], bytes(output), gas, _logs(result))

    def _deploy(self, sender: str, initcode: bytes, context_index: int, address: str = "") -> ExecOutcome:
        evm = self._evm
        if not address:
            created = self._creations.get(sender, 0)
            address = self._address_rule(self._block[0], context_index, sender, created)
            # 2.x counts every attempted creation (a reverted deploy still uses its nonce)
            self._creations[sender] = created + 1
        if evm.get_code(address):
            return ExecOutcome(self._status["unknown"], b"", 0)
        base = base_gas(self._schedule, revm_calldata=b"", tx_data=initcode, creation=True)
        if base.node > self._gas:
            return ExecOutcome(self._status["intrinsic"], b"", self._gas)
        checkpoint = evm.snapshot()
        self._put(address, AccountInfo(code=initcode))
        try:
            runtime = self._message_call(sender, address, b"", revm_gas_limit(self._gas, base), keep=False)
        except RuntimeError as exc:
            evm.revert(checkpoint)
            self._put(address, AccountInfo())
            return self._failure(exc, base)
        result = evm.result
        gas = receipt_gas(self._schedule, base, revm_gas_used=int(result.gas_used),
                          revm_refunded=int(result.gas_refunded), runtime_size=len(runtime))
        # Too large, or the code deposit does not fit in the gas left (refunds come after it):
        # both nodes fail the deployment as out of gas (``exceptionalFailedCodeDeposit``).
        spent = gas + int(result.gas_refunded) if self._schedule.refunds else gas
        if len(runtime) > self._max_code or spent > self._gas:
            evm.revert(checkpoint)
            self._put(address, AccountInfo())
            return ExecOutcome(self._status["out_of_gas"], b"", self._gas)
        evm.commit()  # releases the checkpoint, keeping the constructor's effects
        self._keep_bridged()  # and the precompile writes its calls made
        logs = _logs(result)
        self._install_code(address, bytes(runtime), evm.basic(address).nonce)
        if runtime:
            self._with_code.add(address)
        if self.precompiles is not None:
            self.precompiles.deployed(address, sender)
        return ExecOutcome(self._status["ok"], b"", gas, logs, address)

    def _install_code(self, address: str, runtime: bytes, nonce: int) -> None:
        """Give ``address`` the code ``runtime`` (keeping its nonce), analysed when revm allows.

        The runtime goes through one ``CREATE`` (from :data:`_ANALYSER`, at Ethereum's address
        for it) so that revm analyses it; that code is filed under its hash in the database by a
        write to a fresh cold address; ``address`` then gets the hash alone and loads the analysed
        code on first use. The CREATE's account and the cold one are emptied afterwards. Code
        that revm's CREATE would refuse (over 24,576 bytes) is installed raw, as before.
        """
        evm = self._evm
        if not runtime or len(runtime) > _REVM_CREATE_LIMIT:
            self._put(address, AccountInfo(code=runtime, nonce=nonce))
            return
        n = len(runtime)
        stub = bytes([0x61, n >> 8, n & 0xFF, 0x80, 0x60, _STUB_LENGTH, 0x60, 0, 0x39, 0x60, 0, 0xF3])
        created = evm.deploy(_ANALYSER, stub + runtime, gas=10_000_000)
        analysed = evm.basic(created)
        code_hash = bytes(analysed.code_hash)
        parking = "0x" + keccak256(b"fisco-drugtrace/devchain/analysed-code" + code_hash)[-20:].hex()
        self._put(parking, analysed)  # cold: files the analysed code under its hash
        self._put(parking, AccountInfo())
        self._put(created, AccountInfo())
        self._put(address, AccountInfo(nonce=nonce, code_hash=code_hash))
        installed = evm.get_code(address) or b""
        if installed[:n] != runtime or any(installed[n:]):  # pragma: no cover - revm changed its layout
            self._put(address, AccountInfo(code=runtime, nonce=nonce))

    def _failure(self, exc: RuntimeError, base: BaseGas) -> ExecOutcome:
        """A failed execution: a revert keeps the gas it left (counted by the dialect's rules);
        any other failure (out of gas, bad instruction, ...) uses the whole limit, on both nodes."""
        kind, gas_used, output = _classify(exc)
        if kind not in self._status:  # pragma: no cover - table above only names known kinds
            raise DevChainError(f"unclassified EVM outcome {kind}")
        if gas_used is None:
            return ExecOutcome(self._status[kind], output, self._gas)
        gas = receipt_gas(self._schedule, base, revm_gas_used=gas_used, revm_refunded=0)
        return ExecOutcome(self._status[kind], output, min(gas, self._gas))


class _Mark:
    """One outstanding :meth:`Executor.mark`."""

    __slots__ = ("checkpoint", "writes", "precompiles", "creations", "web3_nonces", "with_code", "block", "gas")

    def __init__(self, checkpoint: object, writes: int, precompiles: object, creations: dict[str, int],
                 web3_nonces: dict[str, int], with_code: set[str], block: tuple[int, int], gas: int) -> None:
        self.checkpoint, self.writes, self.precompiles = checkpoint, writes, precompiles
        self.creations, self.web3_nonces, self.with_code = creations, web3_nonces, with_code
        self.block, self.gas = block, gas


def _checksum(address: str) -> str:
    """EIP-55 spelling of ``0x`` + 40 lower-case hex: how pyrevm keys ``journal_state`` and
    ``db_accounts``."""
    body = address[2:].lower()
    digest = keccak256(body.encode()).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest))


def _logs(result: object) -> tuple[ChainLog, ...]:
    """pyrevm's logs of the last execution as :class:`ChainLog` records."""
    if result is None:
        return ()
    return tuple(
        ChainLog(log.address.lower(), tuple(bytes(t) for t in log.data[0]), bytes(log.data[1]))
        for log in result.logs  # type: ignore[attr-defined]
    )
