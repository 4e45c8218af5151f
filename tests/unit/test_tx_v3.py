"""FISCO BCOS 3.x transactions against every published vector, plus building and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto import ECDSA, SM2, KeyPair, suite_by_name
from fisco_drugtrace.encoding import detect_dialect, tx_v3
from fisco_drugtrace.encoding.receipt_v3 import LogEntryV3, ReceiptDataV3, receipt_hash
from fisco_drugtrace.errors import HexError, SignatureError, TarsError, TransactionDecodeError

V = json.loads((Path(__file__).parents[1] / "vectors" / "fisco_v3.json").read_text())


@pytest.mark.parametrize("vector", V["hash_only"], ids=lambda v: v["id"])
def test_hash_only_vector(vector: dict) -> None:
    fields = dict(vector["data"], input=bytes.fromhex(vector["data"]["input"]))
    data = tx_v3.TransactionData(**fields)
    suite = suite_by_name(vector["suite"])
    digest = tx_v3.data_hash(data, suite)
    assert digest.hex() == vector["data_hash"]
    tx = tx_v3.Transaction(data, digest, bytes.fromhex(vector["signature"]))
    assert tx_v3.recover_sender(tx, suite) == vector["sender"]
    assert tx_v3.decode_transaction(tx_v3.encode_transaction(tx)) == tx


def test_to_is_hashed_verbatim() -> None:
    vector = V["hash_only"][0]
    fields = dict(vector["data"], input=bytes.fromhex(vector["data"]["input"]))
    without_0x = tx_v3.TransactionData(**dict(fields, to=fields["to"][2:]))
    assert tx_v3.data_hash(without_0x, ECDSA).hex() != vector["data_hash"]


@pytest.mark.parametrize("vector", V["signed"], ids=lambda v: v["id"])
def test_signed_vector_round_trips_byte_for_byte(vector: dict) -> None:
    suite = suite_by_name(vector["suite"])
    raw = bytes.fromhex(vector["tx"])
    tx = tx_v3.decode_transaction(raw)
    assert tx_v3.encode_transaction(tx) == raw
    assert tx_v3.data_hash(tx.data, suite) == tx.data_hash
    if "data_hash" in vector:
        assert tx.data_hash.hex() == vector["data_hash"]
    if "tx_data" in vector:
        assert tx_v3.decode_transaction_data(vector["tx_data"]) == tx.data
        assert tx_v3.encode_transaction_data(tx.data).hex() == vector["tx_data"]
    sender = tx_v3.recover_sender(tx, suite)
    assert sender.startswith("0x") and len(sender) == 42
    if "sender" in vector:
        assert sender == vector["sender"]
    summary = tx_v3.describe_transaction(tx)
    assert summary["suite"] == suite.name and summary["sender"] == sender and summary["hash_matches"] is True
    assert detect_dialect(raw) == "v3"


def test_v1_vector_fields() -> None:
    vector = next(v for v in V["signed"] if v["id"] == "V-5")
    tx = tx_v3.decode_transaction(vector["tx"])
    assert (tx.data.version, tx.data.block_limit, tx.data.gas_limit) == (1, 133, 1)
    assert tx.data.value == tx.data.gas_price == tx.data.max_fee_per_gas == ""
    assert bytes.fromhex(vector["tx"])[1:3] == b"\x10\x01"  # version 1 written as Char


def test_sm_signature_header_is_128_bytes() -> None:
    vector = next(v for v in V["signed"] if v["id"] == "V-3")
    assert "3d00010080" in vector["tx"]
    tx = tx_v3.decode_transaction(vector["tx"])
    assert len(tx.signature) == 128
    tampered = tx_v3.Transaction(tx.data, tx.data_hash, tx.signature[:63] + bytes((tx.signature[63] ^ 1,))
                                 + tx.signature[64:])
    with pytest.raises(SignatureError):
        tx_v3.recover_sender(tampered, SM2)


@pytest.mark.parametrize("vector", V["receipts"], ids=lambda v: v["id"])
def test_receipt_hash_vectors(vector: dict) -> None:
    logs = tuple(LogEntryV3(log["address"], tuple(bytes.fromhex(t) for t in log["topics"]), bytes.fromhex(log["data"]))
                 for log in vector["logs"])
    receipt = ReceiptDataV3(vector["version"], vector["gas_used"], vector["contract_address"], vector["status"],
                            bytes.fromhex(vector["output"]), vector["block_number"], logs)
    assert receipt_hash(receipt, ECDSA).hex() == vector["hash"]


def test_receipt_v1_includes_effective_gas_price() -> None:
    base = ReceiptDataV3(1, "21000", "", 0, b"", 5)
    assert receipt_hash(base, ECDSA) != receipt_hash(ReceiptDataV3(1, "21000", "", 0, b"", 5, (), "0x1"), ECDSA)
    v0 = ReceiptDataV3(0, "21000", "", 0, b"", 5)
    assert receipt_hash(v0, ECDSA) == receipt_hash(ReceiptDataV3(0, "21000", "", 0, b"", 5, (), "0x1"), ECDSA)


@pytest.mark.parametrize("vector", V["contract_addresses"])
def test_contract_address_v3(vector: dict) -> None:
    suite = suite_by_name(vector["suite"])
    assert tx_v3.contract_address_v3(vector["block_number"], vector["context_id"], vector["seq"], suite) == vector["address"]


def test_builder_block_limit_nonce_and_signing() -> None:
    signer = LocalSigner(KeyPair.generate(ECDSA))
    data = tx_v3.new_transaction_data(chain_id="chain0", group_id="group0", block_number=41, to="0x" + "11" * 20,
                                      input=b"\x01\x02")
    assert data.block_limit == 541 and len(data.nonce) == 32
    assert tx_v3.new_nonce() != tx_v3.new_nonce()
    tx = tx_v3.sign_transaction(data, signer, extra_data="note")
    assert tx.data_hash == tx_v3.data_hash(data, ECDSA) == tx_v3.transaction_hash(tx, ECDSA)
    assert len(tx.signature) == 65 and tx.signature[64] in (0, 1)
    decoded = tx_v3.decode_transaction(tx_v3.encode_transaction(tx))
    assert decoded == tx and tx_v3.recover_sender(decoded, ECDSA) == signer.address


def test_extra_data_is_not_hashed_but_v2_extension_is() -> None:
    data = tx_v3.TransactionData(2, "c", "g", 10, "n", "", b"", extension=b"ext")
    assert tx_v3.data_hash(data, ECDSA) != tx_v3.data_hash(tx_v3.TransactionData(2, "c", "g", 10, "n", "", b""), ECDSA)
    assert tx_v3.data_hash(tx_v3.TransactionData(1, "c", "g", 10, "n", "", b"", extension=b"ext"), ECDSA) == \
        tx_v3.data_hash(tx_v3.TransactionData(1, "c", "g", 10, "n", "", b""), ECDSA)


def test_sm2_signing_round_trip() -> None:
    signer = LocalSigner(KeyPair.generate(SM2))
    data = tx_v3.new_transaction_data(chain_id="chain0", group_id="group0", block_number=0, to="", input=b"\x60")
    tx = tx_v3.sign_transaction(data, signer)
    assert len(tx.signature) == 128
    assert tx_v3.recover_sender(tx_v3.decode_transaction(tx_v3.encode_transaction(tx)), SM2) == signer.address


def test_builder_rejects_bad_arguments() -> None:
    with pytest.raises(TransactionDecodeError):
        tx_v3.new_transaction_data(chain_id="c", group_id="g", block_number=-1, to="", input=b"")
    with pytest.raises(TransactionDecodeError):
        tx_v3.new_transaction_data(chain_id="c", group_id="g", block_number=1, to="", input=b"", version=3)
    with pytest.raises(TransactionDecodeError):
        tx_v3.new_transaction_data(chain_id="c", group_id="g", block_number=1, to="", input="0x00")  # type: ignore[arg-type]
    with pytest.raises(TransactionDecodeError):
        tx_v3.data_hash(tx_v3.TransactionData(0, "c", "g", 2**63, "n", "", b""), ECDSA)


def test_describe_reports_a_bad_signature_instead_of_failing() -> None:
    data = tx_v3.TransactionData(0, "c", "g", 10, "n", "", b"")
    summary = tx_v3.describe_transaction(tx_v3.Transaction(data, b"", b"\x01" * 64))
    assert summary["sender"] is None and "signature_error" in summary and summary["hash_matches"] is True
    wrong_hash = tx_v3.describe_transaction(tx_v3.Transaction(data, b"\x00" * 32, b""))
    assert wrong_hash["hash_matches"] is False


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("0xzz", HexError),
        ("0x123", HexError),
        ("", TransactionDecodeError),
        ("2001", TransactionDecodeError),  # valid Tars, but no TransactionData struct
        ("1001", TarsError),  # tag 1 is an int, not a struct
        ("1a1c2606636861", TarsError),  # truncated inside chainID
        ("1a1c0b2d0000", TarsError),  # SimpleList length missing
        ("1a2d00000b", TarsError),  # TransactionData.version is a SimpleList... wrong type
    ],
)
def test_malformed_transactions(raw: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        tx_v3.decode_transaction(raw)


def test_truncated_vector_is_a_tars_error() -> None:
    raw = bytes.fromhex(V["signed"][0]["tx"])
    for cut in (1, 10, len(raw) // 2, len(raw) - 1):
        with pytest.raises(TarsError):
            tx_v3.decode_transaction(raw[:cut])


def test_detect_dialect_rejects_unknown_prefix() -> None:
    with pytest.raises(TransactionDecodeError):
        detect_dialect(b"\x01\x02")
    with pytest.raises(TransactionDecodeError):
        detect_dialect(b"")
