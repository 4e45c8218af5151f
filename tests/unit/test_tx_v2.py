"""FISCO BCOS 2.x RLP transactions against the documented vectors, plus strict decoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rlp

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto import ECDSA, SM2, KeyPair, suite_by_name
from fisco_drugtrace.crypto.ecdsa import SECP256K1_N
from fisco_drugtrace.encoding import detect_dialect, tx_v2
from fisco_drugtrace.errors import HexError, RlpError, SignatureError, TransactionDecodeError

V = json.loads((Path(__file__).parents[1] / "vectors" / "fisco_v2.json").read_text())
KEY = bytes.fromhex(V["private_key"])
SIGNER = LocalSigner(KeyPair.from_private_key(KEY, ECDSA))


def _tx(fields: dict) -> tx_v2.TransactionV2:
    return tx_v2.TransactionV2(**dict(fields, data=bytes.fromhex(fields["data"]),
                                      extra_data=bytes.fromhex(fields["extra_data"])))


@pytest.mark.parametrize("vector", V["signed"], ids=lambda v: v["id"])
def test_signed_vectors_byte_for_byte(vector: dict) -> None:
    tx = _tx(vector["fields"])
    if "unsigned" in vector:
        assert tx_v2.encode_unsigned_v2(tx).hex() == vector["unsigned"]
        assert tx_v2.signing_hash(tx, ECDSA).hex() == vector["signing_hash"]
        assert tx_v2.signing_hash(tx, SM2).hex() == vector["sm_signing_hash"]  # vector C
    stx = tx_v2.sign_transaction_v2(tx, SIGNER)
    raw = tx_v2.encode_signed_v2(stx)
    assert raw.hex() == vector["raw"]
    assert tx_v2.tx_hash_v2(raw, ECDSA).hex() == vector["tx_hash"]
    if "v" in vector:
        assert (stx.v, stx.r, stx.s) == (vector["v"], int(vector["r"], 16), int(vector["s"], 16))
    assert tx_v2.sign_and_encode_v2(tx, SIGNER) == (stx, raw)
    decoded = tx_v2.decode_signed_v2(raw)
    assert decoded == stx and decoded.tx == tx
    assert tx_v2.recover_sender_v2(decoded, ECDSA) == V["address"]
    assert detect_dialect(raw) == "v2"


@pytest.mark.parametrize("vector", V["decoded"], ids=lambda v: v["id"])
def test_real_node_samples(vector: dict) -> None:
    suite = suite_by_name(vector["suite"])
    stx = tx_v2.decode_signed_v2("0x" + vector["raw"])
    assert stx.tx.block_limit == vector["block_limit"] and (stx.tx.chain_id, stx.tx.group_id) == (1, 1)
    assert tx_v2.encode_signed_v2(stx).hex() == vector["raw"]
    assert tx_v2.recover_sender_v2(stx, suite) == vector["sender"]
    if "tx_hash" in vector:
        assert tx_v2.tx_hash_v2(vector["raw"], suite).hex() == vector["tx_hash"]
    if "signing_hash" in vector:
        assert tx_v2.signing_hash(stx.tx, suite).hex() == vector["signing_hash"]
    summary = tx_v2.describe_transaction_v2(stx)
    assert summary["suite"] == suite.name and summary["sender"] == vector["sender"]


@pytest.mark.parametrize("vector", V["contract_addresses"], ids=lambda v: f"{v['sender'][:6]}-{v['nonce']}")
def test_contract_address_v2(vector: dict) -> None:
    assert tx_v2.contract_address_v2(vector["sender"], vector["nonce"], suite_by_name(vector["suite"])) == vector["address"]


def test_contract_address_v2_checks_sender() -> None:
    with pytest.raises(HexError):
        tx_v2.contract_address_v2("0x1234", 0)


def test_sm2_signing_round_trip_with_vector_c_key() -> None:
    signer = LocalSigner(KeyPair.from_private_key(KEY, SM2))
    tx = _tx(V["signed"][0]["fields"])
    stx = tx_v2.sign_transaction_v2(tx, signer)
    assert isinstance(stx.v, bytes) and stx.v.hex() == V["sm_public_key"]
    raw = tx_v2.encode_signed_v2(stx)
    sm_stx, sm_raw = tx_v2.sign_and_encode_v2(tx, signer)  # SM2 is randomised: compare structure
    assert sm_raw == tx_v2.encode_signed_v2(sm_stx) and sm_stx.v == stx.v
    # a long RLP list whose length fits the bytes (r and s are minimal integers: a random SM2
    # signature with a leading zero byte in r or s is one byte shorter, ~0.5 % of signatures)
    assert raw[0] == 0xF9 and int.from_bytes(raw[1:3], "big") == len(raw) - 3
    assert bytes.fromhex("b840" + V["sm_public_key"]) in raw
    assert tx_v2.recover_sender_v2(tx_v2.decode_signed_v2(raw), SM2) == V["sm_address"]


def test_builder() -> None:
    tx = tx_v2.new_transaction_v2(chain_id=1, group_id=1, block_number=99, to="", data=b"\x60")
    assert tx.block_limit == 599 and 0 <= tx.nonce < 2**250
    assert tx_v2.new_nonce_v2() != tx_v2.new_nonce_v2()
    with pytest.raises(TransactionDecodeError):
        tx_v2.new_transaction_v2(chain_id=1, group_id=1, block_number=-1, to="", data=b"")


def test_lean_writer_agrees_with_rlp_package() -> None:
    tx = _tx(V["signed"][0]["fields"])
    items = [tx.nonce, tx.gas_price, tx.gas_limit, tx.block_limit, bytes.fromhex(tx.to[2:]), tx.value, tx.data,
             tx.chain_id, tx.group_id, tx.extra_data]
    assert tx_v2.encode_unsigned_v2(tx) == rlp.encode(items)
    big = tx_v2.TransactionV2(2**255, 0, 0, 1, "", 0, b"\x00" * 70000, 1, 1, b"\x7f")
    assert tx_v2.encode_unsigned_v2(big) == rlp.encode([2**255, 0, 0, 1, b"", 0, b"\x00" * 70000, 1, 1, b"\x7f"])


@pytest.mark.parametrize(
    "tx",
    [
        tx_v2.TransactionV2(-1, 0, 0, 1, "", 0, b"", 1, 1),
        tx_v2.TransactionV2(2**256, 0, 0, 1, "", 0, b"", 1, 1),
        tx_v2.TransactionV2(1, 0, 0, 1, "0x1234", 0, b"", 1, 1),
        tx_v2.TransactionV2(1, 0, 0, 1, "0xzz" + "00" * 19, 0, b"", 1, 1),
        tx_v2.TransactionV2(1, 0, 0, 1, "", 0, "text", 1, 1),  # type: ignore[arg-type]
    ],
)
def test_unencodable_fields(tx: tx_v2.TransactionV2) -> None:
    with pytest.raises(TransactionDecodeError):
        tx_v2.encode_unsigned_v2(tx)


def _signed_items() -> list:
    return rlp.decode(bytes.fromhex(V["signed"][0]["raw"]))


def _raw(items: list) -> bytes:
    return rlp.encode(items)


def test_non_canonical_integer_is_rejected() -> None:
    items = _signed_items()
    items[0] = b"\x00" + items[0]  # nonce with a leading zero byte
    with pytest.raises(RlpError):
        tx_v2.decode_signed_v2(_raw(items))


def test_non_canonical_rlp_length_is_rejected() -> None:
    items = _signed_items()
    encoded = [rlp.encode(item) for item in items]
    assert encoded[7] == b"\x01"
    encoded[7] = b"\x81\x01"  # chainId 1 with a needless length prefix
    payload = b"".join(encoded)
    raw = bytes((0xF8, len(payload))) + payload
    with pytest.raises(RlpError):
        tx_v2.decode_signed_v2(raw)


def test_high_s_is_rejected() -> None:
    items = _signed_items()
    s = int.from_bytes(items[12], "big")
    items[12] = (SECP256K1_N - s).to_bytes(32, "big")
    items[10] = bytes((55 - items[10][0],))  # flip 27 <-> 28 so the signature stays valid math-wise
    with pytest.raises(SignatureError):
        tx_v2.decode_signed_v2(_raw(items))


@pytest.mark.parametrize("v", [b"\x25", b"\x01", b"", b"\x01" * 65])
def test_bad_v_is_rejected(v: bytes) -> None:
    items = _signed_items()
    items[10] = v
    with pytest.raises(SignatureError):
        tx_v2.decode_signed_v2(_raw(items))


def test_wrong_shape() -> None:
    items = _signed_items()
    with pytest.raises(RlpError):
        tx_v2.decode_signed_v2(_raw(items[:12]))
    with pytest.raises(RlpError):
        tx_v2.decode_signed_v2(rlp.encode(b"not a list"))
    nested = list(items)
    nested[6] = [b"a"]
    with pytest.raises(RlpError):
        tx_v2.decode_signed_v2(_raw(nested))
    short_to = list(items)
    short_to[4] = b"\x01" * 19
    with pytest.raises(TransactionDecodeError):
        tx_v2.decode_signed_v2(_raw(short_to))


@pytest.mark.parametrize("raw", ["0xf8", "zz", bytes.fromhex(V["signed"][0]["raw"])[:-1]])
def test_garbage_and_truncated(raw: object) -> None:
    with pytest.raises((RlpError, HexError)):
        tx_v2.decode_signed_v2(raw)  # type: ignore[arg-type]


def test_tampered_signature_gives_another_sender() -> None:
    stx = tx_v2.decode_signed_v2(V["signed"][0]["raw"])
    changed = tx_v2.SignedTransactionV2(tx_v2.TransactionV2(**{**{f: getattr(stx.tx, f) for f in (
        "nonce", "gas_price", "gas_limit", "block_limit", "to", "value", "data", "chain_id", "group_id",
        "extra_data")}, "nonce": 1}), stx.v, stx.r, stx.s)
    assert tx_v2.recover_sender_v2(changed, ECDSA) != V["address"]
