"""Keccak-256 batch Merkle trees hashed on two cores (a helper process takes half the leaves).

A batch tree over 10^5 codes is ~300,000 Keccak-256 hashes after the code hashes (two per leaf,
one per inner node), ~0.7 s of one core, and safe-pysha3 holds the interpreter lock for messages
this short, so threads cannot share the work. One helper process (started once, on first use:
``python treehash.py`` run as a plain script, reading requests on its stdin — no fork of a process
that runs threads, and unlike ``multiprocessing``'s spawn it never re-runs the caller's main
module, which in a script without a ``__main__`` guard would send its transactions again) hashes the leaves of an aligned first part
of the batch and that part's subtrees; this process does the rest at the same time, and the
levels are joined. The rule is :mod:`fisco_drugtrace.drugtrace.merkle`'s, node for node: parts
start at multiples of ``2**HEIGHT`` leaves, so no pair straddles two parts below that height, and
a level's odd last node (carried up) is only ever the batch's own last node.

Anything wrong with the helper (it cannot start, dies, the platform has no processes) and the
caller hashes everything itself: same result, one core.
"""

from __future__ import annotations

import atexit
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

__all__ = ["ANSWER_WAIT_S", "HEIGHT", "PARALLEL_MIN", "Helper", "forget_helper", "helper", "run_levels"]

#: levels hashed per part: parts are aligned to 2**HEIGHT leaves
HEIGHT = 12
#: below this many leaves one core is quicker than handing half away
PARALLEL_MIN = 32_768
#: longest wait for the helper's half once this process has hashed its own (a 10^7-code half takes ~20 s)
ANSWER_WAIT_S = 120.0

_HEAD = struct.Struct(">32sQBI")  # batch, first leaf index, height, code-hash bytes


def run_levels(batch: bytes, first: int, code_hashes: bytes, height: int = HEIGHT) -> list[bytes]:
    """Leaves ``first``… over the concatenated 32-byte ``code_hashes`` and their levels up to
    ``height`` (each level the concatenation of its nodes): a slice of the whole tree's levels
    when ``first`` is a multiple of ``2**height`` and the part ends at a multiple of it or at the
    batch's end."""
    from sha3 import keccak_256 as k

    count = len(code_hashes) // 32
    nodes = [k(k(batch + (first + i).to_bytes(32, "big") + code_hashes[i * 32:i * 32 + 32]).digest()).digest()
             for i in range(count)]
    levels = [b"".join(nodes)]
    for _ in range(height):
        if len(nodes) <= 1:
            break
        up = [k(a + b).digest() if a <= b else k(b + a).digest() for a, b in zip(nodes[0::2], nodes[1::2])]
        if len(nodes) % 2:
            up.append(nodes[-1])
        nodes = up
        levels.append(b"".join(nodes))
    return levels


def _read(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError("the tree helper's pipe closed")
    return data


class Helper:
    """The helper process, one request at a time (a lock around each request and its answer)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc = subprocess.Popen([sys.executable, "-I", str(Path(__file__).resolve())],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        atexit.register(self.close)

    def levels(self, batch: bytes, first: int, code_hashes: bytes, height: int = HEIGHT) -> list[bytes]:
        """:func:`run_levels` done by the helper. Raises ``OSError``/``EOFError`` if it is gone."""
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        with self._lock:
            proc.stdin.write(_HEAD.pack(batch, first, height, len(code_hashes)) + code_hashes)
            proc.stdin.flush()
            count = _read(proc.stdout, 1)[0]
            sizes = struct.unpack(f">{count}I", _read(proc.stdout, 4 * count))
            return [_read(proc.stdout, size) for size in sizes]

    def close(self) -> None:
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()


_lock = threading.Lock()
_helper: Helper | None = None
_broken = False


def helper() -> Helper | None:
    """The helper process (started on first use), or ``None`` if it cannot be had."""
    global _helper, _broken
    with _lock:
        if _helper is None and not _broken:
            try:
                import sha3  # noqa: F401 - the helper hashes with safe-pysha3, as this process does

                _helper = Helper()
            except (ImportError, OSError, ValueError):
                _broken = True
        return _helper


def forget_helper(*, kill: bool = False) -> None:
    """The helper failed: hash on one core from now on (``kill``: it hangs, end its process)."""
    global _helper, _broken
    with _lock:
        gone, _helper, _broken = _helper, None, True
    if kill and gone is not None:
        gone._proc.kill()


def _serve(inp: BinaryIO, out: BinaryIO) -> None:
    while True:
        head = inp.read(_HEAD.size)
        if not head or len(head) != _HEAD.size:
            return
        batch, first, height, size = _HEAD.unpack(head)
        levels = run_levels(batch, first, _read(inp, size), height)
        out.write(bytes([len(levels)]) + struct.pack(f">{len(levels)}I", *map(len, levels)) + b"".join(levels))
        out.flush()


if __name__ == "__main__":  # the helper process: requests on stdin, levels on stdout
    _serve(sys.stdin.buffer, sys.stdout.buffer)
