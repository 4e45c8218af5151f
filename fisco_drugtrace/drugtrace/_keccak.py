"""Keccak-256 for the domain layer, fast enough for 100,000-code batches.

pycryptodome's public ``keccak.new(...)`` allocates a new C state per hash (about 6 µs); a
Merkle tree over 10^5 codes needs ~4x10^5 hashes. :class:`KeccakHasher` keeps one C state
and resets it between messages (about 2.5 µs per hash). The private pycryptodome entry point
is used in this one place only, with a fallback to the public API if it ever disappears.
The state is not thread-safe: each tree build takes its own hasher.
"""

from __future__ import annotations

from typing import Callable

from Crypto.Hash import keccak as _keccak

from fisco_drugtrace.crypto.ecdsa import keccak256

__all__ = ["keccak256", "new_hasher"]


def _raw_api_module() -> object:
    from Crypto.Util import _raw_api

    return _raw_api


def new_hasher() -> Callable[[bytes], bytes]:
    """A Keccak-256 function that reuses one C state; use it from one thread only."""
    lib = getattr(_keccak, "_raw_keccak_lib", None)
    if lib is None:  # pragma: no cover - pycryptodome changed its internals
        return keccak256
    try:
        from Crypto.Util._raw_api import SmartPointer, VoidPointer, c_size_t, c_ubyte, create_string_buffer

        state = VoidPointer()
        if lib.keccak_init(state.address_of(), c_size_t(64), c_ubyte(24)):
            return keccak256  # pragma: no cover
    except Exception:  # pragma: no cover - internals changed shape
        return keccak256
    owner = SmartPointer(state.get(), lib.keccak_destroy)  # frees the C state with the closure
    handle = owner.get()
    out = create_string_buffer(32)
    absorb, digest, reset = lib.keccak_absorb, lib.keccak_digest, lib.keccak_reset
    ffi = getattr(_raw_api_module(), "ffi", None)
    view = ffi.buffer(out) if ffi is not None else None  # slicing a cffi buffer is ~10x bytes(out)

    def _hash(data: bytes) -> bytes:
        absorb(handle, data, len(data))
        digest(handle, out, 32, 1)  # padding byte 0x01: original Keccak, as Ethereum
        reset(handle)
        return view[:] if view is not None else bytes(out)

    _hash.__dict__["_owner"] = owner
    return _hash
