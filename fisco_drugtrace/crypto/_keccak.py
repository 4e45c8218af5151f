"""Keccak-256 with one reusable C state per thread (the suite's hash is on every hot path).

pycryptodome's public ``keccak.new(...)`` builds a hash object, a C state and its finaliser per
call (about 4-6 µs); the dev chain hashes several times per transaction. Here each thread keeps
one state and resets it between messages (about 1.5 µs). pycryptodome's private raw library is
used only when its cffi backend is active, with the public API as the fallback.
"""

from __future__ import annotations

import threading
from typing import Callable

from Crypto.Hash import keccak as _keccak

__all__ = ["keccak256"]

_keccak_new = _keccak.new


def _public_keccak256(data: bytes) -> bytes:
    return _keccak_new(digest_bits=256, data=data).digest()


def _state_hasher() -> Callable[[bytes], bytes] | None:
    """A hasher owning one C state (freed with it), or ``None`` if pycryptodome's internals differ."""
    try:
        from Crypto.Util import _raw_api

        lib = _keccak._raw_keccak_lib  # type: ignore[attr-defined]
        ffi = getattr(_raw_api, "ffi", None)
        if ffi is None or _raw_api.backend != "cffi":
            return None
        holder = ffi.new("void **")
        if lib.keccak_init(holder, 64, 24):  # capacity 2x32 bytes, 24 rounds
            return None
        state = ffi.gc(holder[0], lib.keccak_destroy)
    except Exception:  # pragma: no cover - pycryptodome changed its internals
        return None
    out = ffi.new("uint8_t[32]")
    view = ffi.buffer(out)
    absorb, digest, reset = lib.keccak_absorb, lib.keccak_digest, lib.keccak_reset

    def _hash(data: bytes) -> bytes:
        if type(data) is not bytes:
            data = bytes(data)
        reset(state)
        absorb(state, data, len(data))
        digest(state, out, 32, 1)  # padding 0x01: original Keccak, as Ethereum and FISCO
        return view[:]

    return _hash


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.hash = _state_hasher() or _public_keccak256


_local = _PerThread()


def keccak256(data: bytes) -> bytes:
    """Keccak-256 of ``data`` (thread-safe: each thread hashes with its own state)."""
    return _local.hash(data)
