"""Crypto suites: hashing, key derivation, sign/recover, low-s, SM2/SM3 and key pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from coincurve import PrivateKey

from fisco_drugtrace.accounts import LocalSigner, Signer
from fisco_drugtrace.crypto import ECDSA, SM2, CryptoSuite, KeyPair, keccak256, sm3, suite_by_name
from fisco_drugtrace.crypto.ecdsa import SECP256K1_HALF_N, SECP256K1_N
from fisco_drugtrace.errors import CryptoError, InvalidKeyError, SignatureError

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "fisco_v2.json").read_text())
KEY = bytes.fromhex(VECTORS["private_key"])


def test_hashes_match_known_digests() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert ECDSA.hash(b"abc") == keccak256(b"abc") and SM2.hash(b"abc") == sm3(b"abc")


def test_suites_implement_the_protocol() -> None:
    assert isinstance(ECDSA, CryptoSuite) and isinstance(SM2, CryptoSuite)
    assert suite_by_name("ecdsa") is ECDSA and suite_by_name("sm2_sm3") is SM2
    with pytest.raises(CryptoError):
        suite_by_name("rsa")


def test_ecdsa_address_of_known_key() -> None:
    pair = KeyPair.from_private_key("0x" + KEY.hex(), ECDSA)
    assert pair.address == VECTORS["address"]
    assert len(pair.public_key) == 64
    assert KeyPair.from_private_key(KEY, ECDSA) == pair


def test_sm2_public_key_and_address_of_known_key() -> None:
    pair = KeyPair.from_private_key(KEY, SM2)
    assert pair.public_key.hex() == VECTORS["sm_public_key"]
    assert pair.address == VECTORS["sm_address"]


def test_keypair_repr_hides_private_key() -> None:
    pair = KeyPair.from_private_key(KEY, ECDSA)
    assert KEY.hex() not in repr(pair) and pair.address in repr(pair)
    signer = LocalSigner(pair)
    assert KEY.hex() not in repr(signer) and isinstance(signer, Signer)


@pytest.mark.parametrize("bad", [b"", b"\x01" * 31, b"\x00" * 32, SECP256K1_N.to_bytes(32, "big"), "zz" * 32, 42])
def test_invalid_private_keys_are_rejected(bad: object) -> None:
    with pytest.raises(InvalidKeyError):
        KeyPair.from_private_key(bad, ECDSA)  # type: ignore[arg-type]


def test_ecdsa_sign_recover_and_low_s() -> None:
    pair = KeyPair.generate(ECDSA)
    for i in range(50):
        digest = keccak256(i.to_bytes(4, "big"))
        sig = ECDSA.sign(pair.private_key, digest)
        assert len(sig) == 65 and sig[64] in (0, 1)
        assert int.from_bytes(sig[32:64], "big") <= SECP256K1_HALF_N
        assert ECDSA.recover(digest, sig) == pair.public_key


def test_ecdsa_signature_matches_libsecp256k1_rfc6979() -> None:
    digest = keccak256(b"fisco")
    assert ECDSA.sign(KEY, digest) == PrivateKey(KEY).sign_recoverable(digest, hasher=None)


def _high_s(sig: bytes) -> bytes:
    s = int.from_bytes(sig[32:64], "big")
    return sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((sig[64] ^ 1,))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sig: sig[:64],  # too short
        lambda sig: sig[:64] + b"\x02",  # recovery id 2
        lambda sig: sig[:64] + b"\x1b",  # 27 is not a 3.x recovery id
        lambda sig: b"\x00" * 32 + sig[32:],  # r = 0
        lambda sig: sig[:32] + SECP256K1_N.to_bytes(32, "big") + sig[64:],  # s = n
        _high_s,  # the same signature with s' = n - s
    ],
)
def test_ecdsa_recover_rejects_malformed_signatures(mangle) -> None:  # type: ignore[no-untyped-def]
    digest = keccak256(b"x")
    sig = ECDSA.sign(KEY, digest)
    with pytest.raises(SignatureError):
        ECDSA.recover(digest, mangle(sig))


def test_recover_rejects_wrong_digest_length() -> None:
    with pytest.raises(SignatureError):
        ECDSA.recover(b"\x01" * 31, ECDSA.sign(KEY, b"\x01" * 32))
    with pytest.raises(SignatureError):
        ECDSA.sign(KEY, b"\x01" * 33)


def test_sm2_sign_verify_and_tamper_detection() -> None:
    pair = KeyPair.generate(SM2)
    digest = sm3(b"drug")
    sig = SM2.sign(pair.private_key, digest)
    assert len(sig) == 128 and sig[64:] == pair.public_key
    assert SM2.recover(digest, sig) == pair.public_key
    with pytest.raises(SignatureError):
        SM2.recover(sm3(b"other"), sig)
    forged = sig[:64] + KeyPair.generate(SM2).public_key
    with pytest.raises(SignatureError):
        SM2.recover(digest, forged)
    with pytest.raises(SignatureError):
        SM2.recover(digest, sig[:100])
    with pytest.raises(SignatureError):  # embedded key not on the curve
        SM2.recover(digest, sig[:64] + b"\x01" * 64)


def test_local_signer_signs_with_its_key() -> None:
    signer = LocalSigner(KeyPair.from_private_key(KEY, ECDSA))
    digest = keccak256(b"payload")
    assert ECDSA.public_to_address(ECDSA.recover(digest, signer.sign_digest(digest))) == signer.address
    assert signer.suite is ECDSA


def test_public_to_address_checks_length() -> None:
    with pytest.raises(InvalidKeyError):
        ECDSA.public_to_address(b"\x04" + b"\x01" * 64)
    with pytest.raises(InvalidKeyError):
        SM2.public_to_address(b"\x01" * 63)
