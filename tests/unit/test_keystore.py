"""Key files: V3 keystores (interop with eth-account), PEM, and the account directory."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from eth_account import Account

from fisco_drugtrace.crypto import ECDSA, SM2, KeyPair
from fisco_drugtrace.crypto.keystore import (
    AccountStore,
    decrypt_keystore,
    encrypt_keystore,
    keypair_from_pem,
    keypair_to_pem,
    read_keystore_file,
    source_needs_password,
)
from fisco_drugtrace.errors import (
    AccountExists,
    AccountNotFound,
    InvalidKeyError,
    KeystoreError,
    KeystoreFormatError,
    WrongPasswordError,
)

VECTORS = Path(__file__).parents[1] / "vectors"
KEY = bytes.fromhex(json.loads((VECTORS / "fisco_v2.json").read_text())["private_key"])
PAIR = KeyPair.from_private_key(KEY, ECDSA)
CONSOLE_PEM = VECTORS / "secp256k1_0x83309d045a19c44dc3722d15a6abd472f95866ac.pem"
SM2_PEM = VECTORS / "sm2p256v1_0x791a0073e6dfd9dc5e5061aebc43ab4f7aa4ae8b.pem"


# --------------------------------------------------------------------------- V3 JSON
def test_keystore_round_trip_and_fields() -> None:
    doc = encrypt_keystore(PAIR, "secret", kdf="fast", name="alice")
    assert doc["version"] == 3 and doc["address"] == PAIR.address[2:] and doc["name"] == "alice"
    assert doc["crypto"]["kdf"] == "scrypt" and doc["crypto"]["kdfparams"]["n"] == 4096
    assert KEY.hex() not in json.dumps(doc)
    assert decrypt_keystore(doc, "secret").private_key == KEY


def test_keystore_interoperates_with_eth_account() -> None:
    ours = encrypt_keystore(PAIR, "pw", kdf="fast")
    assert bytes(Account.decrypt(ours, "pw")) == KEY
    theirs = Account.encrypt(KEY, "pw", kdf="pbkdf2", iterations=1024)
    assert decrypt_keystore(theirs, "pw").address == PAIR.address


def test_pbkdf2_preset_writes_pbkdf2() -> None:
    doc = encrypt_keystore(PAIR, "pw", kdf="pbkdf2", iterations=1000)
    assert doc["crypto"]["kdf"] == "pbkdf2" and doc["crypto"]["kdfparams"]["c"] == 1000
    assert decrypt_keystore(doc, "pw").private_key == KEY


def test_wrong_password() -> None:
    doc = encrypt_keystore(PAIR, "right", kdf="fast")
    with pytest.raises(WrongPasswordError):
        decrypt_keystore(doc, "wrong")


def test_sm2_keystore_keeps_sm_address() -> None:
    sm_pair = KeyPair.from_private_key(KEY, SM2)
    doc = encrypt_keystore(sm_pair, "pw", kdf="fast")
    assert doc["address"] == sm_pair.address[2:] and doc["cryptoSuite"] == "sm2_sm3"
    assert decrypt_keystore(doc, "pw", SM2) == sm_pair


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"hello": "world"},
        {"version": 4, "crypto": {}},
        {"version": 3, "crypto": {"cipher": "aes-128-ctr"}},
    ],
)
def test_foreign_json_is_a_format_error(document: object) -> None:
    with pytest.raises(KeystoreFormatError):
        decrypt_keystore(document, "pw")


def test_unknown_kdf_and_cipher() -> None:
    doc = encrypt_keystore(PAIR, "pw", kdf="fast")
    doc["crypto"]["kdf"] = "argon2"
    with pytest.raises(KeystoreFormatError):
        decrypt_keystore(doc, "pw")
    doc = encrypt_keystore(PAIR, "pw", kdf="fast")
    doc["crypto"]["cipher"] = "aes-256-gcm"
    with pytest.raises(KeystoreFormatError):
        decrypt_keystore(doc, "pw")
    with pytest.raises(KeystoreError):
        encrypt_keystore(PAIR, "pw", kdf="md5")  # type: ignore[arg-type]


def test_garbled_hex_in_keystore_is_a_format_error() -> None:
    doc = encrypt_keystore(PAIR, "pw", kdf="fast")
    doc["crypto"]["ciphertext"] = "zz" + doc["crypto"]["ciphertext"][2:]
    with pytest.raises(KeystoreFormatError):
        decrypt_keystore(doc, "pw")


def test_truncated_keystore_file(tmp_path: Path) -> None:
    text = json.dumps(encrypt_keystore(PAIR, "pw", kdf="fast"))
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(KeystoreFormatError) as info:
        read_keystore_file(path)
    assert info.value.path == str(path)
    with pytest.raises(KeystoreFormatError):
        read_keystore_file(tmp_path / "missing.json")


# --------------------------------------------------------------------------- PEM
def test_reads_console_pem_with_its_address() -> None:
    pair = keypair_from_pem(CONSOLE_PEM.read_bytes())
    assert pair.address == "0x83309d045a19c44dc3722d15a6abd472f95866ac"


def test_pem_written_like_the_console_and_read_back() -> None:
    pem = keypair_to_pem(PAIR)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\nMIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQg")
    assert keypair_from_pem(pem) == PAIR


def test_encrypted_pem_round_trip_and_wrong_password() -> None:
    pem = keypair_to_pem(PAIR, "pempw")
    assert "ENCRYPTED PRIVATE KEY" in pem
    assert keypair_from_pem(pem, "pempw") == PAIR
    with pytest.raises(WrongPasswordError):
        keypair_from_pem(pem, "nope")
    with pytest.raises(WrongPasswordError):
        keypair_from_pem(pem, None)


def test_reads_sec1_ec_private_key_pem() -> None:
    key = ec.derive_private_key(int.from_bytes(KEY, "big"), ec.SECP256K1())
    sec1 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    assert b"BEGIN EC PRIVATE KEY" in sec1
    assert keypair_from_pem(sec1) == PAIR


def test_pem_of_another_curve_is_an_invalid_key() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(InvalidKeyError):
        keypair_from_pem(p256)
    with pytest.raises(InvalidKeyError):  # SM2 curve: not readable with `cryptography`
        keypair_from_pem(SM2_PEM.read_bytes())


def test_garbled_pem_and_non_pem() -> None:
    good = keypair_to_pem(PAIR)
    with pytest.raises(KeystoreFormatError):
        keypair_from_pem(good[:60] + good[80:])
    with pytest.raises(KeystoreFormatError):
        keypair_from_pem(b"just some text")


def test_sm2_pem_read_and_written_like_the_console() -> None:
    text = SM2_PEM.read_text()
    pair = keypair_from_pem(text, suite=SM2)
    assert pair.suite is SM2 and pair.address == "0x791a0073e6dfd9dc5e5061aebc43ab4f7aa4ae8b"
    assert keypair_to_pem(pair) == text
    with pytest.raises(KeystoreError):
        keypair_to_pem(pair, "pw")


def test_sm2_pem_with_foreign_public_key_or_bad_der() -> None:
    pair = KeyPair.from_private_key(KEY, SM2)
    other = KeyPair.generate(SM2)
    mixed = keypair_to_pem(KeyPair(pair.private_key, SM2, other.public_key, pair.address))
    with pytest.raises(KeystoreFormatError):
        keypair_from_pem(mixed, suite=SM2)
    lines = SM2_PEM.read_text().splitlines()
    with pytest.raises(KeystoreFormatError):
        keypair_from_pem("\n".join(lines[:2] + lines[-1:]), suite=SM2)


def test_secp256k1_pem_with_sm2_suite_is_refused() -> None:
    with pytest.raises(InvalidKeyError):
        keypair_from_pem(CONSOLE_PEM.read_bytes(), suite=SM2)


# --------------------------------------------------------------------------- AccountStore
@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "accounts", kdf="fast")


def test_new_list_load(store: AccountStore) -> None:
    assert store.list() == []
    info = store.new("alice", "pw")
    assert store.list() == [info]
    mode = stat.S_IMODE(os.stat(info.path).st_mode)
    assert mode == 0o600
    assert store.load("alice", "pw").address == info.address
    assert store.load(info.address.upper().replace("0X", "0x"), "pw").address == info.address
    on_disk = json.loads(Path(info.path).read_text())
    assert on_disk["name"] == "alice" and "crypto" in on_disk


def test_duplicates_and_missing(store: AccountStore) -> None:
    store.import_key("bob", KEY.hex(), "pw")
    with pytest.raises(AccountExists):
        store.new("bob", "pw")
    with pytest.raises(AccountExists):  # same key under another name
        store.import_key("bob2", KEY.hex(), "pw")
    with pytest.raises(AccountNotFound):
        store.load("carol", "pw")
    with pytest.raises(KeystoreError):
        store.new("../evil", "pw")


def test_wrong_password_from_store(store: AccountStore) -> None:
    store.new("alice", "pw")
    with pytest.raises(WrongPasswordError):
        store.load("alice", "other")


def test_import_from_keystore_pem_and_hex(store: AccountStore, tmp_path: Path) -> None:
    keystore_file = tmp_path / "src.json"
    keystore_file.write_text(json.dumps(encrypt_keystore(PAIR, "srcpw", kdf="fast")))
    assert source_needs_password(keystore_file)
    info = store.import_key("from-json", keystore_file, "pw", source_password="srcpw")
    assert info.address == PAIR.address

    pem_file = tmp_path / "console.pem"
    pem_file.write_bytes(CONSOLE_PEM.read_bytes())
    assert not source_needs_password(pem_file)
    assert store.import_key("from-pem", pem_file, "pw").address == "0x83309d045a19c44dc3722d15a6abd472f95866ac"

    enc_pem = tmp_path / "enc.pem"
    other = KeyPair.generate(ECDSA)
    enc_pem.write_text(keypair_to_pem(other, "pempw"))
    assert source_needs_password(enc_pem)
    assert store.import_key("from-enc-pem", enc_pem, "pw", source_password="pempw").address == other.address

    with pytest.raises(InvalidKeyError):
        store.import_key("garbage", "not-a-key-or-file", "pw")
    assert {a.name for a in store.list()} == {"from-json", "from-pem", "from-enc-pem"}


def test_import_keystore_with_wrong_source_password(store: AccountStore, tmp_path: Path) -> None:
    keystore_file = tmp_path / "src.json"
    keystore_file.write_text(json.dumps(encrypt_keystore(PAIR, "srcpw", kdf="fast")))
    with pytest.raises(WrongPasswordError):
        store.import_key("x", keystore_file, "pw", source_password="bad")
    assert store.list() == []


def test_export_keystore_and_pem(store: AccountStore) -> None:
    store.import_key("bob", KEY.hex(), "pw")
    same = json.loads(store.export("bob", "pw"))
    assert decrypt_keystore(same, "pw").private_key == KEY
    rewrapped = json.loads(store.export("bob", "pw", out_password="new"))
    assert decrypt_keystore(rewrapped, "new").private_key == KEY
    assert keypair_from_pem(store.export("bob", "pw", fmt="pem")) == PAIR
    assert keypair_from_pem(store.export("bob", "pw", fmt="pem", out_password="p2"), "p2") == PAIR
    with pytest.raises(WrongPasswordError):
        store.export("bob", "bad", fmt="pem")


def test_list_ignores_foreign_files(store: AccountStore) -> None:
    store.new("alice", "pw")
    (store.directory / "notes.json").write_text('{"hello": 1}')
    (store.directory / "broken.json").write_text("{")
    assert [a.name for a in store.list()] == ["alice"]


def test_sm2_store(tmp_path: Path) -> None:
    sm_store = AccountStore(tmp_path, SM2, kdf="fast")
    info = sm_store.new("gm", "pw")
    pair = sm_store.load("gm", "pw")
    assert pair.suite is SM2 and pair.address == info.address
    imported = sm_store.import_key("console-sm", SM2_PEM, "pw")
    assert imported.address == "0x791a0073e6dfd9dc5e5061aebc43ab4f7aa4ae8b"
    assert sm_store.export("console-sm", "pw", fmt="pem") == SM2_PEM.read_text()
