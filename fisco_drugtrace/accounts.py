"""Signers: who signs transactions. ``LocalSigner`` holds a decrypted key in memory.

The :class:`Signer` protocol (``address``, ``suite``, ``sign_digest``) is defined in
:mod:`fisco_drugtrace.crypto.suite` so the transaction codecs below this layer can accept it;
it is re-exported here, where callers look for it.
"""

from __future__ import annotations

from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.crypto.suite import CryptoSuite, Signer

__all__ = ["Signer", "LocalSigner"]


class LocalSigner:
    """A :class:`Signer` over an in-memory :class:`KeyPair`; per-key setup is done once.

    The private key is never shown in ``repr``.
    """

    __slots__ = ("_keypair", "_sign", "address", "suite")

    def __init__(self, keypair: KeyPair) -> None:
        self._keypair = keypair
        self.address: str = keypair.address
        self.suite: CryptoSuite = keypair.suite
        self._sign = keypair.suite.signer_for(keypair.private_key)

    @property
    def public_key(self) -> bytes:
        """The 64-byte public key."""
        return self._keypair.public_key

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a 32-byte digest with the key."""
        return self._sign(digest)

    def __repr__(self) -> str:
        return f"LocalSigner(address={self.address!r}, suite={self.suite.name!r})"
