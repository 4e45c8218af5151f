"""Key pairs: a private key with its suite, public key and FISCO address."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from fisco_drugtrace.crypto.suite import CryptoSuite
from fisco_drugtrace.errors import InvalidKeyError

__all__ = ["KeyPair"]


@dataclass(frozen=True)
class KeyPair:
    """A private key and what follows from it. The private key never appears in ``repr``.

    Build with :meth:`generate` or :meth:`from_private_key`; the public key and address are
    derived once, at construction.
    """

    private_key: bytes = field(repr=False)
    suite: CryptoSuite = field(repr=False)
    public_key: bytes = field(repr=False)
    address: str

    @classmethod
    def from_private_key(cls, private_key: bytes | str, suite: CryptoSuite) -> "KeyPair":
        """A key pair from 32 raw bytes or 64 hex digits (``0x`` optional).

        :raises InvalidKeyError: wrong length, not hex, zero or out of the curve's range.
        """
        if isinstance(private_key, str):
            text = private_key.strip()
            text = text[2:] if text[:2] in ("0x", "0X") else text
            try:
                raw = bytes.fromhex(text)
            except ValueError as exc:
                raise InvalidKeyError("private key is not hex") from exc
        elif isinstance(private_key, (bytes, bytearray)):
            raw = bytes(private_key)
        else:
            raise InvalidKeyError(f"private key must be bytes or hex text, not {type(private_key).__name__}")
        if len(raw) != 32:
            raise InvalidKeyError(f"a private key is 32 bytes, got {len(raw)}")
        public = suite.private_to_public(raw)
        return cls(private_key=raw, suite=suite, public_key=public, address=suite.public_to_address(public))

    @classmethod
    def generate(cls, suite: CryptoSuite) -> "KeyPair":
        """A fresh random key pair from the OS's CSPRNG."""
        while True:
            try:
                return cls.from_private_key(secrets.token_bytes(32), suite)
            except InvalidKeyError:  # pragma: no cover - probability ~2^-128
                continue
