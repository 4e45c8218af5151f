"""System precompiles called from inside contracts: the code at each precompile address, and how a
transaction that calls one is run.

pyrevm 0.3.7 cannot host a Python precompile (no hook into ``CALL``), so each precompile address
holds a small EVM program, the *stub* (:data:`STUB_CODE`), that answers from its own storage:

* it looks up ``keccak256(calldata ‖ epoch)`` (``epoch`` = its slot 0) and, when the dev chain has
  put an answer there, returns it (or reverts with it, for a failed precompile call); an answer
  marked as a *write* moves the epoch on, so a later identical call — or a read after the write —
  is looked up afresh;
* otherwise it reverts with :data:`MAGIC` ‖ its address ‖ the caller ‖ the epoch ‖ the calldata.

The executor runs the transaction; when it comes back with that revert (Solidity bubbles a callee's
revert data up unchanged), it runs the precompile in Python — the same code that answers a
transaction or ``call`` addressed to the precompile, on the transaction's own copy of the
precompile tables — stores the answer for the stub and runs the transaction again from the same
state (a failed run leaves nothing behind). The k-th run gets past the k-th precompile call, in
program order: the runs are deterministic, so every earlier call meets the same answer again.
When a run ends without the marker the answers and the epochs are cleared, and the precompile
writes are kept only if the transaction succeeded. The answers are therefore exactly those of the
RPC path (tested side by side, ``tests/devchain/test_precompile_from_contracts.py``).

What is not a node's: a contract that *catches* the failed call (``try``/``catch``, or a low-level
``call`` whose failure it ignores) keeps the marker from reaching the top and sees the call fail;
the gas of a contract's call into a precompile includes the stub's own execution (a node charges
the ``CALL`` and, on 3.x, nothing for these precompiles); logs a precompile emits when called
from a contract are dropped; at most :data:`MAX_CALLS` precompile calls per transaction
(constructors included).
"""

from __future__ import annotations

from fisco_drugtrace.crypto.ecdsa import keccak256

__all__ = ["MAGIC", "STUB_CODE", "MAX_CALLS", "PrecompileCall", "parse_marker", "answer_slots"]

#: The first four bytes of the stub's "not answered yet" revert.
MAGIC = keccak256(b"fisco-drugtrace/devchain/precompile-call")[:4]
#: Most precompile calls one transaction may make from contracts.
MAX_CALLS = 256

_WRITE = 1 << 255
_FAILED = 1 << 254


def _assemble(program: list) -> bytes:
    """A two-pass assembler: items are opcode bytes, ``("push", n, value)`` and ``("label", name)``
    / ``("ref", name)`` (a PUSH2 of a label's offset)."""
    labels: dict[str, int] = {}
    for final in (False, True):
        out = bytearray()
        for item in program:
            if isinstance(item, int):
                out.append(item)
            elif item[0] == "push":
                _, size, value = item
                out.append(0x5F + size)
                out += int(value).to_bytes(size, "big")
            elif item[0] == "label":
                labels[item[1]] = len(out)
                out.append(0x5B)  # JUMPDEST
            else:  # ref
                out.append(0x61)
                out += labels.get(item[1], 0).to_bytes(2, "big")
        if final:
            return bytes(out)
    raise AssertionError("unreachable")


def _p1(value: int) -> tuple:
    return ("push", 1, value)


# opcodes
_ADD, _SUB, _LT, _ISZERO, _AND, _SHL, _SHR, _SHA3 = 0x01, 0x03, 0x10, 0x15, 0x16, 0x1B, 0x1C, 0x20
_ADDRESS, _CALLER, _CALLDATASIZE, _CALLDATACOPY = 0x30, 0x33, 0x36, 0x37
_POP, _MLOAD, _MSTORE, _SLOAD, _SSTORE, _JUMP, _JUMPI = 0x50, 0x51, 0x52, 0x54, 0x55, 0x56, 0x57
_DUP1, _DUP2, _DUP3, _SWAP1, _RETURN, _REVERT = 0x80, 0x81, 0x82, 0x90, 0xF3, 0xFD

#: Memory: 0x00 epoch, 0x20 key, 0x40 answer length, 0x60 loop index, 0x80.. data.
STUB_CODE = _assemble([
    _p1(0), _SLOAD, _p1(0), _MSTORE,                                        # mem[0] = epoch
    _CALLDATASIZE, _p1(0), _p1(0x80), _CALLDATACOPY,                        # mem[0x80..] = calldata
    _p1(0), _MLOAD, _CALLDATASIZE, _p1(0x80), _ADD, _MSTORE,                # then the epoch
    _CALLDATASIZE, _p1(0x20), _ADD, _p1(0x80), _SHA3,                       # key
    _DUP1, _p1(0x20), _MSTORE, _SLOAD,                                      # head = sload(key)
    _DUP1, _ISZERO, ("ref", "miss"), _JUMPI,
    _DUP1, ("push", 8, 2**64 - 1), _AND, _p1(1), _SWAP1, _SUB, _p1(0x40), _MSTORE,  # length
    _DUP1, _p1(255), _SHR, _ISZERO, ("ref", "read"), _JUMPI,
    _p1(1), _p1(0), _MLOAD, _ADD, _p1(0), _SSTORE,                          # a write: epoch + 1
    ("label", "read"),
    ("label", "loop"),
    _p1(0x60), _MLOAD, _DUP1, _p1(5), _SHL, _p1(0x40), _MLOAD, _SWAP1, _LT, _ISZERO, ("ref", "done"), _JUMPI,
    _DUP1, _p1(0x20), _MLOAD, _ADD, _p1(1), _ADD, _SLOAD,                   # word i of the answer
    _DUP2, _p1(5), _SHL, _p1(0x80), _ADD, _MSTORE,
    _p1(1), _ADD, _p1(0x60), _MSTORE, ("ref", "loop"), _JUMP,
    ("label", "done"),
    _POP, _p1(254), _SHR, _p1(1), _AND, _p1(0x40), _MLOAD, _p1(0x80), _DUP3, ("ref", "failed"), _JUMPI,
    _RETURN,
    ("label", "failed"),
    _REVERT,
    ("label", "miss"),
    _POP, ("push", 4, int.from_bytes(MAGIC, "big")), _p1(224), _SHL, _p1(0x80), _MSTORE,
    _ADDRESS, _p1(0x84), _MSTORE, _CALLER, _p1(0xA4), _MSTORE, _p1(0), _MLOAD, _p1(0xC4), _MSTORE,
    _CALLDATASIZE, _p1(0), _p1(0xE4), _CALLDATACOPY,
    _CALLDATASIZE, _p1(100), _ADD, _p1(0x80), _REVERT,
])


class PrecompileCall:
    """One call the stub could not answer: which precompile, from whom, at which epoch, with what."""

    __slots__ = ("address", "caller", "epoch", "data")

    def __init__(self, address: str, caller: str, epoch: int, data: bytes) -> None:
        self.address, self.caller, self.epoch, self.data = address, caller, epoch, data


def parse_marker(output: bytes) -> PrecompileCall | None:
    """The stub's "not answered yet" revert data, or ``None`` for any other output."""
    if len(output) < 100 or output[:4] != MAGIC:
        return None
    return PrecompileCall("0x" + output[16:36].hex(), "0x" + output[48:68].hex(),
                          int.from_bytes(output[68:100], "big"), bytes(output[100:]))


def answer_slots(call: PrecompileCall, output: bytes, *, wrote: bool, failed: bool) -> list[tuple[int, int]]:
    """The storage writes that make the stub answer ``call`` with ``output``: (slot, value)."""
    key = int.from_bytes(keccak256(call.data + call.epoch.to_bytes(32, "big")), "big")
    head = (len(output) + 1) | (_WRITE if wrote else 0) | (_FAILED if failed else 0)
    padded = output + bytes(-len(output) % 32)
    words = [int.from_bytes(padded[i:i + 32], "big") for i in range(0, len(padded), 32)]
    return [(key, head)] + [((key + 1 + i) % 2**256, w) for i, w in enumerate(words)]
