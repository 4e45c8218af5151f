"""SM2 + SM3: the crypto suite of FISCO "guomi" (SM) chains — a pure-Python implementation.

SM3 comes from ``cryptography`` (OpenSSL). SM2 has no binding in our dependencies, so the curve
arithmetic is written here from GB/T 32918 (sm2p256v1, Jacobian coordinates). It is correct but
**not constant-time and slow** (milliseconds per operation): fine for decoding and verifying SM
transactions and for development chains, not for protecting production keys from timing attacks.

FISCO's SM2 signature is 128 bytes ``r‖s‖pub`` (the 64-byte public key rides along) over
``e = SM3(Z ‖ digest)``, with ``Z`` the standard hash of the default user id ``1234567812345678``
and the curve/key parameters. :meth:`Sm2Sm3Suite.recover` returns the embedded key after
verifying the signature with it.
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes

from fisco_drugtrace.crypto.suite import DigestSigner
from fisco_drugtrace.errors import InvalidKeyError, SignatureError

__all__ = ["Sm2Sm3Suite", "SM2", "sm3", "SM2_DEFAULT_ID"]

_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

#: The user id FISCO (and most SM2 software) uses in ``Z``.
SM2_DEFAULT_ID = b"1234567812345678"

_Jac = tuple[int, int, int]
_INF: _Jac = (1, 1, 0)


def sm3(data: bytes) -> bytes:
    """SM3 digest (32 bytes) of ``data``."""
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def _double(pt: _Jac) -> _Jac:
    x, y, z = pt
    if z == 0 or y == 0:
        return _INF
    yy = y * y % _P
    s = 4 * x * yy % _P
    zz = z * z % _P
    m = (3 * x * x + _A * zz * zz) % _P
    x3 = (m * m - 2 * s) % _P
    y3 = (m * (s - x3) - 8 * yy * yy) % _P
    z3 = 2 * y * z % _P
    return x3, y3, z3


def _add(p1: _Jac, p2: _Jac) -> _Jac:
    if p1[2] == 0:
        return p2
    if p2[2] == 0:
        return p1
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1 = z1 * z1 % _P
    z2z2 = z2 * z2 % _P
    u1 = x1 * z2z2 % _P
    u2 = x2 * z1z1 % _P
    s1 = y1 * z2 * z2z2 % _P
    s2 = y2 * z1 * z1z1 % _P
    if u1 == u2:
        return _double(p1) if s1 == s2 else _INF
    h = (u2 - u1) % _P
    r = (s2 - s1) % _P
    hh = h * h % _P
    hhh = h * hh % _P
    v = u1 * hh % _P
    x3 = (r * r - hhh - 2 * v) % _P
    y3 = (r * (v - x3) - s1 * hhh) % _P
    z3 = h * z1 * z2 % _P
    return x3, y3, z3


def _mul(k: int, pt: _Jac) -> _Jac:
    result = _INF
    addend = pt
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _double(addend)
        k >>= 1
    return result


def _affine(pt: _Jac) -> tuple[int, int]:
    x, y, z = pt
    if z == 0:
        raise SignatureError("point at infinity")
    zinv = pow(z, -1, _P)
    zinv2 = zinv * zinv % _P
    return x * zinv2 % _P, y * zinv2 * zinv % _P


_G: _Jac = (_GX, _GY, 1)


def _public_point(public_key: bytes) -> _Jac:
    if len(public_key) != 64:
        raise InvalidKeyError(f"an SM2 public key is 64 bytes (X‖Y), got {len(public_key)}")
    x = int.from_bytes(public_key[:32], "big")
    y = int.from_bytes(public_key[32:], "big")
    if not (x < _P and y < _P) or (y * y - (x * x * x + _A * x + _B)) % _P:
        raise InvalidKeyError("public key is not a point on the SM2 curve")
    return x, y, 1


def _z_value(public_key: bytes, user_id: bytes = SM2_DEFAULT_ID) -> bytes:
    entl = (len(user_id) * 8).to_bytes(2, "big")
    params = b"".join(v.to_bytes(32, "big") for v in (_A, _B, _GX, _GY))
    return sm3(entl + user_id + params + public_key)


def _private_scalar(private_key: bytes) -> int:
    if not isinstance(private_key, (bytes, bytearray)) or len(private_key) != 32:
        raise InvalidKeyError("an SM2 private key is 32 bytes")
    d = int.from_bytes(private_key, "big")
    if not 0 < d < _N - 1:
        raise InvalidKeyError("private key out of range for SM2")
    return d


class Sm2Sm3Suite:
    """The :class:`~fisco_drugtrace.crypto.suite.CryptoSuite` of SM chains (pure Python SM2)."""

    name = "sm2_sm3"
    signature_size = 128

    def hash(self, data: bytes) -> bytes:
        return sm3(data)

    def private_to_public(self, private_key: bytes) -> bytes:
        x, y = _affine(_mul(_private_scalar(private_key), _G))
        return x.to_bytes(32, "big") + y.to_bytes(32, "big")

    def public_to_address(self, public_key: bytes) -> str:
        if len(public_key) != 64:
            raise InvalidKeyError(f"a public key is 64 bytes (X‖Y), got {len(public_key)}")
        return "0x" + sm3(public_key)[12:].hex()

    def sign(self, private_key: bytes, digest: bytes) -> bytes:
        return self.signer_for(private_key)(digest)

    def signer_for(self, private_key: bytes) -> DigestSigner:
        d = _private_scalar(private_key)
        public = self.private_to_public(private_key)
        z = _z_value(public)
        inv_1d = pow(1 + d, -1, _N)

        def sign_digest(digest: bytes) -> bytes:
            if len(digest) != 32:
                raise SignatureError(f"a digest to sign is 32 bytes, got {len(digest)}")
            e = int.from_bytes(sm3(z + digest), "big")
            while True:
                k = secrets.randbelow(_N - 1) + 1
                x1, _ = _affine(_mul(k, _G))
                r = (e + x1) % _N
                if r == 0 or r + k == _N:
                    continue
                s = inv_1d * (k - r * d) % _N
                if s:
                    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + public

        return sign_digest

    def verify(self, digest: bytes, signature: bytes, public_key: bytes) -> bool:
        """True when ``signature`` (``r‖s`` or ``r‖s‖pub``) is valid for ``digest`` and the key."""
        point = _public_point(public_key)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        if not (0 < r < _N and 0 < s < _N):
            return False
        t = (r + s) % _N
        if t == 0:
            return False
        e = int.from_bytes(sm3(_z_value(public_key) + digest), "big")
        total = _add(_mul(s, _G), _mul(t, point))
        if total[2] == 0:
            return False
        x1, _ = _affine(total)
        return (e + x1) % _N == r

    def recover(self, digest: bytes, signature: bytes) -> bytes:
        if len(digest) != 32:
            raise SignatureError(f"a digest is 32 bytes, got {len(digest)}")
        if len(signature) != 128:
            raise SignatureError(f"an SM2 signature is 128 bytes r‖s‖pub, got {len(signature)}")
        public = bytes(signature[64:])
        try:
            ok = self.verify(digest, signature, public)
        except InvalidKeyError as exc:
            raise SignatureError("the public key inside the SM2 signature is not on the curve") from exc
        if not ok:
            raise SignatureError("SM2 signature does not verify with its embedded public key")
        return public

    def __repr__(self) -> str:
        return "Sm2Sm3Suite()"


#: The shared instance callers pass around.
SM2 = Sm2Sm3Suite()
