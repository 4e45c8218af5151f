"""Key files: V3 keystore JSON, PEM, and the account directory. The only file I/O in ``crypto``.

* V3 keystore JSON — the eth-account / Web3 Secret Storage format, via ``eth_keyfile`` (the
  library eth-account itself uses). We add two informative keys, ``name`` and ``cryptoSuite``,
  which other readers ignore; ``address`` is the FISCO address under the key's suite.
* PEM — unencrypted or encrypted PKCS#8 ``PRIVATE KEY`` with curve OID secp256k1, the format
  of the FISCO console and ``get_account.sh``; SEC1 ``EC PRIVATE KEY`` is read too. Via
  ``cryptography``. (SM2 PEM files are not readable: ``cryptography`` has no SM2 curve.)
* :class:`AccountStore` — a directory with one encrypted keystore per account; keys at rest are
  always encrypted.

Foreign errors are translated here: a wrong password is :class:`WrongPasswordError`, a file we
cannot read is :class:`KeystoreFormatError`, a key of the wrong curve is :class:`InvalidKeyError`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from eth_keyfile import create_keyfile_json, decode_keyfile_json

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.crypto.suite import CryptoSuite
from fisco_drugtrace.jsonsafe import JsonTooDeep, load_json
from fisco_drugtrace.errors import (
    AccountExists,
    AccountNotFound,
    CryptoError,
    InvalidKeyError,
    KeystoreError,
    KeystoreFormatError,
    WrongPasswordError,
)

__all__ = [
    "KdfName",
    "KDF_PRESETS",
    "encrypt_keystore",
    "decrypt_keystore",
    "read_keystore_file",
    "keypair_from_pem",
    "keypair_to_pem",
    "source_needs_password",
    "write_private_file",
    "AccountInfo",
    "AccountStore",
]

KdfName = Literal["scrypt", "pbkdf2", "fast"]

#: name -> (eth_keyfile kdf, work factor). ``scrypt`` is the standard (n = 2**18, ~0.5-1 s to
#: open); ``fast`` (scrypt n = 2**12, milliseconds) is for dev-chain accounts and tests only.
KDF_PRESETS: Mapping[str, tuple[str, int]] = {
    "scrypt": ("scrypt", 262144),
    "pbkdf2": ("pbkdf2", 1_000_000),
    "fast": ("scrypt", 4096),
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


# --------------------------------------------------------------------------- V3 keystore JSON
def encrypt_keystore(keypair: KeyPair, password: str, *, kdf: KdfName = "scrypt", name: str | None = None,
                     iterations: int | None = None) -> dict[str, Any]:
    """The V3 keystore JSON object for ``keypair`` encrypted with ``password``.

    :param kdf: a :data:`KDF_PRESETS` name; ``iterations`` overrides its work factor.
    """
    if kdf not in KDF_PRESETS:
        raise KeystoreError(f"unknown kdf {kdf!r}; choose one of {', '.join(KDF_PRESETS)}")
    kdf_name, work = KDF_PRESETS[kdf]
    document = create_keyfile_json(keypair.private_key, password.encode("utf-8"), version=3, kdf=kdf_name,
                                   iterations=iterations or work)
    document["address"] = keypair.address[2:]
    document["cryptoSuite"] = keypair.suite.name
    if name is not None:
        document["name"] = name
    return document


def decrypt_keystore(document: Any, password: str, suite: CryptoSuite = ECDSA, *,
                     path: str | None = None) -> KeyPair:
    """The key pair inside a V3 keystore JSON object.

    :raises WrongPasswordError: the MAC does not match.
    :raises KeystoreFormatError: not a V3 keystore (missing members, unknown KDF/cipher, bad hex).
    :raises InvalidKeyError: the decrypted key is not valid for ``suite``.
    """
    _check_v3_shape(document, path)
    try:
        private = decode_keyfile_json(document, password.encode("utf-8"))
    except ValueError as exc:
        # eth_keyfile signals a wrong password only by this message (one ValueError class for all).
        if "MAC mismatch" in str(exc):
            raise WrongPasswordError(path) from exc
        raise KeystoreFormatError(f"cannot decrypt: {exc}", path) from exc
    except (KeyError, TypeError, AttributeError, NotImplementedError) as exc:
        raise KeystoreFormatError(f"malformed keystore ({type(exc).__name__}: {exc})", path) from exc
    if len(private) != 32:
        raise KeystoreFormatError(f"decrypted key is {len(private)} bytes, not 32", path)
    return KeyPair.from_private_key(bytes(private), suite)


def _check_v3_shape(document: Any, path: str | None) -> None:
    if not isinstance(document, dict):
        raise KeystoreFormatError("not a JSON object", path)
    crypto = document.get("crypto", document.get("Crypto"))
    if document.get("version") != 3 or not isinstance(crypto, dict):
        raise KeystoreFormatError("not a version 3 keystore (no 'version': 3 and 'crypto' object)", path)
    for member in ("cipher", "ciphertext", "kdf", "kdfparams", "mac", "cipherparams"):
        if member not in crypto:
            raise KeystoreFormatError(f"keystore 'crypto' lacks {member!r}", path)
    if crypto["cipher"] != "aes-128-ctr":
        raise KeystoreFormatError(f"unsupported cipher {crypto['cipher']!r}", path)
    if crypto["kdf"] not in ("scrypt", "pbkdf2"):
        raise KeystoreFormatError(f"unsupported kdf {crypto['kdf']!r}", path)


def read_keystore_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a keystore file into its JSON object (no decryption).

    :raises KeystoreFormatError: unreadable, not JSON, or not a V3 keystore.
    """
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeystoreFormatError(f"cannot read file ({exc.__class__.__name__})", where) from exc
    try:
        document = load_json(text)  # nesting bounded: a hostile "keystore" must not crash the CLI
    except JsonTooDeep as exc:
        raise KeystoreFormatError(f"not a keystore ({exc})", where) from None
    except json.JSONDecodeError as exc:
        raise KeystoreFormatError(f"not JSON (truncated?) at line {exc.lineno}", where) from exc
    _check_v3_shape(document, where)
    return document


# --------------------------------------------------------------------------- PEM
_PEM_PKCS8 = b"-----BEGIN PRIVATE KEY-----"
_OID_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")  # 1.2.840.10045.2.1
_OID_SM2 = bytes.fromhex("2a811ccf5501822d")  # 1.2.156.10197.1.301


def keypair_from_pem(data: bytes | str, password: str | None = None, suite: CryptoSuite = ECDSA, *,
                     path: str | None = None) -> KeyPair:
    """The key pair in a PEM private key (PKCS#8 ``PRIVATE KEY`` or SEC1 ``EC PRIVATE KEY``).

    secp256k1 keys go through ``cryptography``; unencrypted PKCS#8 SM2 keys (curve OID
    1.2.156.10197.1.301, as the FISCO console writes them) are parsed here and need ``suite=SM2``.

    :raises InvalidKeyError: a key of another curve or algorithm, or of a curve ``suite`` does not use.
    :raises WrongPasswordError: the PEM is encrypted and ``password`` is wrong or missing.
    :raises KeystoreFormatError: not PEM, or a truncated/garbled PEM.
    """
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    if b"-----BEGIN" not in raw:
        raise KeystoreFormatError("not a PEM file (no -----BEGIN line)", path)
    encrypted = b"ENCRYPTED" in raw
    if encrypted and password is None:
        raise WrongPasswordError(path)
    try:
        key = serialization.load_pem_private_key(raw, password.encode("utf-8") if encrypted and password else None)
    except UnsupportedAlgorithm as exc:
        if not encrypted and _PEM_PKCS8 in raw:
            return _sm2_from_pkcs8(raw, suite, path, exc)
        raise InvalidKeyError("PEM key uses an unsupported curve or algorithm") from exc
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise WrongPasswordError(path) from exc
        raise KeystoreFormatError("malformed PEM private key", path) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidKeyError(f"PEM holds a {type(key).__name__.lstrip('_')}, not an EC key")
    if not isinstance(key.curve, ec.SECP256K1):
        raise InvalidKeyError(f"PEM key is on curve {key.curve.name}, not secp256k1")
    if suite.name != "ecdsa_secp256k1":
        raise InvalidKeyError(f"PEM holds a secp256k1 key but the suite is {suite.name}")
    return KeyPair.from_private_key(key.private_numbers().private_value.to_bytes(32, "big"), suite)


def keypair_to_pem(keypair: KeyPair, password: str | None = None) -> str:
    """PKCS#8 PEM of the key: secp256k1 via ``cryptography`` (encrypted with ``password`` when
    given); SM2 in the console's unencrypted PKCS#8 layout (``password`` is refused for SM2)."""
    if keypair.suite.name == "sm2_sm3":
        if password:
            raise KeystoreError("encrypted PEM is not supported for SM2 keys; export a keystore instead")
        return _sm2_to_pkcs8(keypair)
    if keypair.suite.name != "ecdsa_secp256k1":
        raise InvalidKeyError(f"no PEM form for suite {keypair.suite.name}")
    key = ec.derive_private_key(int.from_bytes(keypair.private_key, "big"), ec.SECP256K1())
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode("utf-8")) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode("ascii")


def _der_items(der: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) TLVs at one DER level. Raises ValueError on malformed lengths."""
    items, pos = [], 0
    while pos < len(der):
        if pos + 2 > len(der):
            raise ValueError("truncated DER")
        tag, length = der[pos], der[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or pos + count > len(der):
                raise ValueError("bad DER length")
            length = int.from_bytes(der[pos:pos + count], "big")
            pos += count
        if pos + length > len(der):
            raise ValueError("truncated DER")
        items.append((tag, der[pos:pos + length]))
        pos += length
    return items


def _sm2_from_pkcs8(raw: bytes, suite: CryptoSuite, path: str | None, cause: Exception) -> KeyPair:
    try:
        body = b"".join(line.strip() for line in raw.split(b"-----BEGIN PRIVATE KEY-----", 1)[1]
                        .split(b"-----END PRIVATE KEY-----", 1)[0].splitlines())
        ((outer_tag, outer),) = _der_items(base64.b64decode(body, validate=True))
        version, algorithm, private = _der_items(outer)[:3]
        oids = [content for tag, content in _der_items(algorithm[1]) if tag == 0x06]
        if outer_tag != 0x30 or version != (0x02, b"\x00") or private[0] != 0x04:
            raise ValueError("not PKCS#8")
        (ec_tag, ec_key), = _der_items(private[1])
        fields = _der_items(ec_key)
    except (ValueError, IndexError, binascii.Error) as exc:
        raise KeystoreFormatError("malformed PEM private key", path) from exc
    if oids != [_OID_EC_PUBLIC_KEY, _OID_SM2]:
        raise InvalidKeyError("PEM key uses an unsupported curve or algorithm") from cause
    if suite.name != "sm2_sm3":
        raise InvalidKeyError(f"PEM holds an SM2 key but the suite is {suite.name}") from cause
    secret = next((content for tag, content in fields if tag == 0x04), None)
    if ec_tag != 0x30 or secret is None or len(secret) > 32:
        raise KeystoreFormatError("malformed SM2 private key", path)
    pair = KeyPair.from_private_key(secret.rjust(32, b"\x00"), suite)
    embedded = next((content for tag, content in fields if tag == 0xA1), None)
    if embedded is not None and embedded[-64:] != pair.public_key:
        raise KeystoreFormatError("the public key in the PEM does not belong to its private key", path)
    return pair


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    head = bytes((size,)) if size < 0x80 else bytes((0x81, size))  # every part here is < 256 bytes
    return bytes((tag,)) + head + content


def _sm2_to_pkcs8(keypair: KeyPair) -> str:
    ec_key = _der(0x30, _der(0x02, b"\x01") + _der(0x04, keypair.private_key)
                  + _der(0xA1, _der(0x03, b"\x00\x04" + keypair.public_key)))
    algorithm = _der(0x30, _der(0x06, _OID_EC_PUBLIC_KEY) + _der(0x06, _OID_SM2))
    der = _der(0x30, _der(0x02, b"\x00") + algorithm + _der(0x04, ec_key))
    text = base64.b64encode(der).decode("ascii")
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----\n"


def source_needs_password(source: str | os.PathLike[str]) -> bool:
    """True when ``source`` is a file that needs a password to open (keystore JSON or
    encrypted PEM); false for plain PEM, hex text and paths that are not files."""
    path = Path(os.fspath(source)).expanduser()
    if not path.is_file():
        return False
    try:
        head = path.read_bytes()[:1 << 20]
    except OSError:
        return False
    if b"-----BEGIN" in head:
        return b"ENCRYPTED" in head
    return True


# --------------------------------------------------------------------------- account directory
@dataclass(frozen=True)
class AccountInfo:
    """One account in an :class:`AccountStore`: its name, FISCO address and keystore path."""

    name: str
    address: str
    path: str


class AccountStore:
    """A directory of encrypted V3 keystores, one ``<name>.json`` per account.

    :param directory: created (mode 0700) on the first write.
    :param suite: the crypto suite of the chain the accounts sign for.
    :param kdf: the :data:`KDF_PRESETS` name used for files this store writes.
    """

    def __init__(self, directory: str | os.PathLike[str], suite: CryptoSuite = ECDSA, *,
                 kdf: KdfName = "scrypt") -> None:
        if kdf not in KDF_PRESETS:
            raise KeystoreError(f"unknown kdf {kdf!r}; choose one of {', '.join(KDF_PRESETS)}")
        self.directory = Path(directory).expanduser()
        self.suite = suite
        self.kdf: KdfName = kdf

    # -- queries ---------------------------------------------------------------------------
    def list(self) -> list[AccountInfo]:
        """Accounts sorted by name. Files that are not keystores are ignored."""
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                document = read_keystore_file(path)
            except KeystoreFormatError:
                continue
            out.append(AccountInfo(name=path.stem, address=_address_of(document), path=str(path)))
        return out

    def find(self, name_or_address: str) -> AccountInfo:
        """The account with this name, or this address (``0x`` optional, any case).

        :raises AccountNotFound: no such account.
        """
        key = name_or_address.strip()
        if _NAME_RE.match(key):
            path = self.directory / f"{key}.json"
            if path.is_file():
                return AccountInfo(name=key, address=_address_of(read_keystore_file(path)), path=str(path))
        wanted = key.lower().removeprefix("0x")
        if len(wanted) == 40:
            for info in self.list():
                if info.address[2:] == wanted:
                    return info
        raise AccountNotFound(name_or_address, str(self.directory))

    def load(self, name_or_address: str, password: str) -> KeyPair:
        """Decrypt the account's key.

        :raises AccountNotFound, WrongPasswordError, KeystoreFormatError:
        """
        info = self.find(name_or_address)
        document = read_keystore_file(info.path)
        return decrypt_keystore(document, password, self._suite_of(document), path=info.path)

    def _suite_of(self, document: Any) -> CryptoSuite:
        """The suite the keystore says it was written for (our ``cryptoSuite`` member), else the
        store's: an SM2 key read as ECDSA would sign as some other address."""
        recorded = document.get("cryptoSuite") if isinstance(document, dict) else None
        if isinstance(recorded, str) and recorded != self.suite.name:
            from fisco_drugtrace.crypto import suite_by_name

            try:
                return suite_by_name(recorded)
            except CryptoError:
                return self.suite
        return self.suite

    # -- writes ----------------------------------------------------------------------------
    def new(self, name: str, password: str) -> AccountInfo:
        """Create an account with a fresh random key, encrypted with ``password``."""
        return self.add(name, KeyPair.generate(self.suite), password)

    def add(self, name: str, keypair: KeyPair, password: str) -> AccountInfo:
        """Store ``keypair`` as account ``name``.

        :raises AccountExists: the name, or the address under another name, is taken.
        """
        self._check_name(name)
        path = self.directory / f"{name}.json"
        if path.exists():
            raise AccountExists(name, str(path))
        for info in self.list():
            if info.address == keypair.address:
                raise AccountExists(info.name, info.path)
        document = encrypt_keystore(keypair, password, kdf=self.kdf, name=name)
        write_private_file(path, json.dumps(document, indent=2) + "\n")
        return AccountInfo(name=name, address=keypair.address, path=str(path))

    def import_key(self, name: str, source: str | os.PathLike[str], password: str,
                   source_password: str | None = None) -> AccountInfo:
        """Import a key from a keystore file, a PEM file, or hex text, stored under ``password``.

        :param source: a path to a ``.json`` keystore or a PEM file, or a 64-hex private key.
        :param source_password: password of an encrypted source file (default: ``password``).
        """
        keypair = self._read_source(source, password if source_password is None else source_password)
        return self.add(name, keypair, password)

    def export(self, name_or_address: str, password: str, fmt: Literal["keystore", "pem"] = "keystore",
               out_password: str | None = None) -> str:
        """The account's key as keystore JSON text or PEM text.

        The keystore is re-encrypted under ``out_password`` when given (else the stored file is
        returned); PEM is encrypted (PKCS#8) when ``out_password`` is given, plain otherwise.
        """
        info = self.find(name_or_address)
        keypair = self.load(info.name, password)
        if fmt == "pem":
            return keypair_to_pem(keypair, out_password)
        if fmt != "keystore":
            raise KeystoreError(f"unknown export format {fmt!r} (keystore or pem)")
        if out_password is None:
            return Path(info.path).read_text(encoding="utf-8")
        return json.dumps(encrypt_keystore(keypair, out_password, kdf=self.kdf, name=info.name), indent=2) + "\n"

    # -- helpers ---------------------------------------------------------------------------
    def _read_source(self, source: str | os.PathLike[str], password: str) -> KeyPair:
        text = os.fspath(source)
        path = Path(text).expanduser()
        if path.is_file():
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise KeystoreFormatError(f"cannot read file ({exc.__class__.__name__})", str(path)) from exc
            if b"-----BEGIN" in data:
                return keypair_from_pem(data, password or None, self.suite, path=str(path))
            return decrypt_keystore(read_keystore_file(path), password, self.suite, path=str(path))
        try:
            return KeyPair.from_private_key(text, self.suite)
        except InvalidKeyError as exc:
            # never echo any part of what was typed: it may be (most of) a private key
            raise InvalidKeyError("the source is neither an existing key file (keystore JSON or PEM) nor a "
                                  "32-byte hex private key (what was given is not shown)") from None

    @staticmethod
    def _check_name(name: str) -> None:
        if not _NAME_RE.match(name):
            raise KeystoreError(f"account name {name!r}: use 1-64 letters, digits, '_', '.', '-' (not leading)")


def _address_of(document: Mapping[str, Any]) -> str:
    address = str(document.get("address", "")).lower().removeprefix("0x")
    return "0x" + address


def write_private_file(path: str | os.PathLike[str], text: str) -> Path:
    """Write key material to ``path`` atomically with mode 0600, whatever existed there before.

    The text goes to a fresh 0600 temporary file in the same directory, is flushed to disk and
    then renamed over ``path``: an existing 0644 file (or a symlink) is replaced, never
    rewritten in place, so the key is never readable by others, not even for a moment. A
    missing parent directory is created with mode 0700.

    :raises KeystoreError: the file cannot be written (the message names it).
    """
    target = Path(path).expanduser()
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    except OSError as exc:
        raise KeystoreError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise KeystoreError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


_write_private = write_private_file  # the old private name
