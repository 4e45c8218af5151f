"""Keys, hashing and signatures behind the :class:`CryptoSuite` interface, and key files.

``ECDSA`` (secp256k1 + Keccak-256) is the suite of normal chains; ``SM2`` (SM2 + SM3, pure
Python) that of SM chains. Key files live in :mod:`fisco_drugtrace.crypto.keystore`.
"""

from fisco_drugtrace.crypto.ecdsa import ECDSA, EcdsaSecp256k1Suite, keccak256
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.crypto.sm import SM2, Sm2Sm3Suite, sm3
from fisco_drugtrace.crypto.suite import CryptoSuite, DigestSigner
from fisco_drugtrace.errors import CryptoError

__all__ = [
    "CryptoSuite",
    "DigestSigner",
    "EcdsaSecp256k1Suite",
    "ECDSA",
    "Sm2Sm3Suite",
    "SM2",
    "KeyPair",
    "keccak256",
    "sm3",
    "suite_by_name",
]


def suite_by_name(name: str) -> CryptoSuite:
    """The suite called ``name`` (``"ecdsa_secp256k1"``/``"ecdsa"`` or ``"sm2_sm3"``/``"sm"``).

    :raises CryptoError: no such suite.
    """
    lowered = name.lower()
    if lowered in ("ecdsa_secp256k1", "ecdsa", "secp256k1"):
        return ECDSA
    if lowered in ("sm2_sm3", "sm", "sm2", "gm"):
        return SM2
    raise CryptoError(f"unknown crypto suite {name!r} (ecdsa_secp256k1 or sm2_sm3)")
