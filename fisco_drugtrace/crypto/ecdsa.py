"""secp256k1 ECDSA with Keccak-256: the crypto suite of normal (non-SM) FISCO chains.

Signing and recovery run in libsecp256k1 (coincurve); Keccak-256 comes from pycryptodome.
Signatures are 65 bytes ``r‖s‖v`` with ``v`` the recovery id (0/1); libsecp256k1 always emits
low-s, and :meth:`EcdsaSecp256k1Suite.recover` refuses high-s (FISCO 2.x nodes do too).
"""

from __future__ import annotations

from coincurve import PrivateKey, PublicKey

from fisco_drugtrace.crypto.keccak import keccak256 as _fast_keccak256
from fisco_drugtrace.crypto.suite import DigestSigner
from fisco_drugtrace.errors import InvalidKeyError, SignatureError

__all__ = ["EcdsaSecp256k1Suite", "ECDSA", "keccak256", "SECP256K1_N", "SECP256K1_HALF_N"]

#: Order of the secp256k1 group.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: Largest ``s`` a low-s signature may have.
SECP256K1_HALF_N = SECP256K1_N // 2

def keccak256(data: bytes) -> bytes:
    """Keccak-256 (the pre-standard SHA-3 Ethereum and FISCO use) of ``data``."""
    return _fast_keccak256(data)


def _check_private(private_key: bytes) -> PrivateKey:
    if not isinstance(private_key, (bytes, bytearray)) or len(private_key) != 32:
        raise InvalidKeyError("a secp256k1 private key is 32 bytes")
    value = int.from_bytes(private_key, "big")
    if not 0 < value < SECP256K1_N:
        raise InvalidKeyError("private key out of range for secp256k1 (zero or >= n)")
    return PrivateKey(bytes(private_key))


class EcdsaSecp256k1Suite:
    """The :class:`~fisco_drugtrace.crypto.suite.CryptoSuite` of normal FISCO chains."""

    name = "ecdsa_secp256k1"
    signature_size = 65

    def hash(self, data: bytes) -> bytes:
        return _fast_keccak256(data)

    def private_to_public(self, private_key: bytes) -> bytes:
        return _check_private(private_key).public_key.format(compressed=False)[1:]

    def public_to_address(self, public_key: bytes) -> str:
        if len(public_key) != 64:
            raise InvalidKeyError(f"a public key is 64 bytes (X‖Y), got {len(public_key)}")
        return "0x" + self.hash(public_key)[12:].hex()

    def sign(self, private_key: bytes, digest: bytes) -> bytes:
        return self.signer_for(private_key)(digest)

    def signer_for(self, private_key: bytes) -> DigestSigner:
        key = _check_private(private_key)
        sign = key.sign_recoverable

        def sign_digest(digest: bytes) -> bytes:
            if len(digest) != 32:
                raise SignatureError(f"a digest to sign is 32 bytes, got {len(digest)}")
            return sign(digest, hasher=None)

        return sign_digest

    def recover(self, digest: bytes, signature: bytes) -> bytes:
        if len(digest) != 32:
            raise SignatureError(f"a digest is 32 bytes, got {len(digest)}")
        if len(signature) != 65:
            raise SignatureError(f"an ECDSA signature is 65 bytes r‖s‖v, got {len(signature)}")
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        v = signature[64]
        if v > 1:
            raise SignatureError(f"recovery id must be 0 or 1, got {v}")
        if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
            raise SignatureError("r or s out of range")
        if s > SECP256K1_HALF_N:
            raise SignatureError("high-s signature (s > n/2) is not accepted")
        try:
            public = PublicKey.from_signature_and_message(bytes(signature), digest, hasher=None)
        except (ValueError, TypeError) as exc:  # coincurve: "Failed to parse/recover ..."
            raise SignatureError("signature does not recover to a public key") from exc
        return public.format(compressed=False)[1:]

    def __repr__(self) -> str:
        return "EcdsaSecp256k1Suite()"


#: The shared instance callers pass around.
ECDSA = EcdsaSecp256k1Suite()
