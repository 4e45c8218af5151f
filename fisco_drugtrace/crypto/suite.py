"""The crypto suite interface: hashing, key derivation, signing and recovery in one object.

A FISCO chain is either a "normal" chain (secp256k1 + Keccak-256) or an SM chain (SM2 + SM3).
Everything that hashes or signs receives a :class:`CryptoSuite` as an argument — never a module
global — so adding the SM implementation touches no caller.
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

__all__ = ["CryptoSuite", "DigestSigner", "Signer"]

#: A function bound to one private key: 32-byte digest -> signature bytes.
DigestSigner = Callable[[bytes], bytes]


@runtime_checkable
class CryptoSuite(Protocol):
    """What the SDK needs from a signature scheme and its hash function.

    ``name`` is ``"ecdsa_secp256k1"`` or ``"sm2_sm3"``; ``signature_size`` is 65 (``r‖s‖v``) for
    ECDSA and 128 (``r‖s‖pub``) for SM2.
    """

    name: str
    signature_size: int

    def hash(self, data: bytes) -> bytes:
        """The chain hash (Keccak-256 or SM3) of ``data``: 32 bytes."""
        ...

    def private_to_public(self, private_key: bytes) -> bytes:
        """The 64-byte uncompressed public key (``X‖Y``, no ``04`` prefix).

        :raises InvalidKeyError: the private key is not a valid scalar for the curve.
        """
        ...

    def public_to_address(self, public_key: bytes) -> str:
        """``"0x"`` + 40 lower-case hex: the last 20 bytes of ``hash(public_key)``."""
        ...

    def sign(self, private_key: bytes, digest: bytes) -> bytes:
        """Sign a 32-byte digest (no further hashing; ECDSA signatures are always low-s)."""
        ...

    def signer_for(self, private_key: bytes) -> DigestSigner:
        """A signing function bound to ``private_key`` with per-key work done once (hot paths)."""
        ...

    def recover(self, digest: bytes, signature: bytes) -> bytes:
        """The 64-byte public key that made ``signature`` over ``digest``.

        ECDSA recovers it from ``r‖s‖v``; SM2 carries it in the signature and verifies it.

        :raises SignatureError: malformed, high-s, or not a valid signature.
        """
        ...


@runtime_checkable
class Signer(Protocol):
    """Something that signs digests for one account: a local key, an HSM, a remote signer.

    Defined here (the lowest layer that needs it) so the transaction codecs can accept it;
    :mod:`fisco_drugtrace.accounts` re-exports it with :class:`~fisco_drugtrace.accounts.LocalSigner`.
    """

    @property
    def address(self) -> str:
        """``"0x"`` + 40 lower-case hex."""
        ...

    @property
    def suite(self) -> CryptoSuite:
        """The crypto suite the signatures are for."""
        ...

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a 32-byte digest (ECDSA: 65 bytes ``r‖s‖v``, v = 0/1, low-s; SM2: 128 bytes)."""
        ...
