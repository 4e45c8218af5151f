"""Round trips: Tars values, 3.x and 2.x transactions (encode -> decode -> encode), sign -> recover."""

from __future__ import annotations

import rlp
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto import ECDSA, SM2, KeyPair
from fisco_drugtrace.crypto.ecdsa import SECP256K1_N
from fisco_drugtrace.encoding import tars, tx_v2, tx_v3

SIGNER = LocalSigner(KeyPair.from_private_key(bytes.fromhex("11" * 32), ECDSA))
SM_SIGNER = LocalSigner(KeyPair.from_private_key(bytes.fromhex("22" * 32), SM2))

int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
int32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
text = st.text(max_size=300)
blob = st.binary(max_size=600)
uint256 = st.integers(min_value=0, max_value=2**256 - 1)
address = st.one_of(st.just(""), st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()))


@st.composite
def tars_fields(draw: st.DrawFn) -> list[tuple[int, str, object]]:
    tags = draw(st.lists(st.integers(min_value=0, max_value=255), unique=True, max_size=12))
    out = []
    for tag in sorted(tags):
        kind = draw(st.sampled_from(["int", "string", "bytes"]))
        value = draw({"int": int64, "string": st.binary(max_size=400), "bytes": blob}[kind])
        out.append((tag, kind, value))
    return out


@given(tars_fields())
def test_tars_round_trip(fields: list[tuple[int, str, object]]) -> None:
    writers = {"int": tars.put_int, "string": tars.put_string, "bytes": tars.put_bytes}
    readers = {"int": tars.get_int, "string": lambda f, t: f[t].value, "bytes": tars.get_bytes}
    buf = bytearray()
    for tag, kind, value in fields:
        writers[kind](buf, tag, value)  # type: ignore[operator]
    decoded = tars.read_struct(bytes(buf))
    assert sorted(decoded) == [tag for tag, _, _ in fields]
    again = bytearray()
    for tag, kind, _ in fields:
        value = readers[kind](decoded, tag)  # type: ignore[operator]
        writers[kind](again, tag, value)  # type: ignore[operator]
    assert bytes(again) == bytes(buf)


@given(st.recursive(
    st.one_of(int64.map(lambda v: ("int", v)), st.binary(max_size=60).map(lambda v: ("bytes", v))),
    lambda children: st.lists(children, max_size=5).map(lambda v: ("struct", v)),
    max_leaves=20,
))
def test_tars_nested_structs_round_trip(tree: tuple) -> None:
    def write(buf: bytearray, tag: int, node: tuple) -> None:
        kind, value = node
        if kind == "int":
            tars.put_int(buf, tag, value)
        elif kind == "bytes":
            tars.put_bytes(buf, tag, value)
        else:
            tars.put_struct_begin(buf, tag)
            for i, child in enumerate(value):
                write(buf, i, child)
            tars.put_struct_end(buf)

    def read(item: tars.TarsValue) -> tuple:
        if item.type == tars.STRUCT_BEGIN:
            return ("struct", [read(item.value[i]) for i in sorted(item.value)])
        if item.type == tars.SIMPLE_LIST:
            return ("bytes", item.value)
        return ("int", item.value)

    buf = bytearray()
    write(buf, 0, tree)
    assert read(tars.read_struct(bytes(buf))[0]) == tree


transaction_data = st.builds(
    tx_v3.TransactionData,
    version=st.integers(min_value=0, max_value=2),
    chain_id=text, group_id=text, block_limit=int64, nonce=text, to=st.one_of(address, text), input=blob,
    abi=text, value=text, gas_price=text, gas_limit=int64, max_fee_per_gas=text, max_priority_fee_per_gas=text,
    extension=blob,
)


@given(transaction_data, int64, int32, text)
def test_v3_transaction_round_trip(data: tx_v3.TransactionData, import_time: int, attribute: int,
                                   extra: str) -> None:
    tx = tx_v3.sign_transaction(data, SIGNER, attribute=attribute, extra_data=extra)
    tx = tx_v3.Transaction(tx.data, tx.data_hash, tx.signature, import_time, attribute, extra, b"")
    raw = tx_v3.encode_transaction(tx)
    decoded = tx_v3.decode_transaction(raw)
    assert decoded == tx
    assert tx_v3.encode_transaction(decoded) == raw
    assert tx_v3.decode_transaction_data(tx_v3.encode_transaction_data(data)) == data
    assert tx_v3.recover_sender(decoded, ECDSA) == SIGNER.address


transaction_v2 = st.builds(
    tx_v2.TransactionV2,
    nonce=uint256, gas_price=uint256, gas_limit=uint256, block_limit=uint256, to=address, value=uint256,
    data=blob, chain_id=uint256, group_id=uint256, extra_data=blob,
)


@given(transaction_v2)
def test_v2_transaction_round_trip(tx: tx_v2.TransactionV2) -> None:
    stx = tx_v2.sign_transaction_v2(tx, SIGNER)
    raw = tx_v2.encode_signed_v2(stx)
    assert raw == rlp.encode([tx.nonce, tx.gas_price, tx.gas_limit, tx.block_limit, bytes.fromhex(tx.to[2:]),
                              tx.value, tx.data, tx.chain_id, tx.group_id, tx.extra_data, stx.v, stx.r, stx.s])
    assert tx_v2.sign_and_encode_v2(tx, SIGNER) == (stx, raw)  # RFC 6979: deterministic
    decoded = tx_v2.decode_signed_v2(raw)
    assert decoded == stx
    assert tx_v2.encode_signed_v2(decoded) == raw
    assert tx_v2.recover_sender_v2(decoded, ECDSA) == SIGNER.address


@given(st.integers(min_value=1, max_value=SECP256K1_N - 1), st.binary(min_size=32, max_size=32))
def test_ecdsa_sign_recover(secret: int, digest: bytes) -> None:
    pair = KeyPair.from_private_key(secret.to_bytes(32, "big"), ECDSA)
    sig = ECDSA.sign(pair.private_key, digest)
    assert int.from_bytes(sig[32:64], "big") <= SECP256K1_N // 2
    assert ECDSA.recover(digest, sig) == pair.public_key


@settings(max_examples=10)
@given(st.binary(min_size=32, max_size=32))
def test_sm2_sign_recover(digest: bytes) -> None:
    sig = SM_SIGNER.sign_digest(digest)
    assert SM2.public_to_address(SM2.recover(digest, sig)) == SM_SIGNER.address


@given(st.binary(max_size=200))
def test_v3_decoder_never_crashes_untyped(raw: bytes) -> None:
    from fisco_drugtrace.errors import EncodingError

    try:
        tx_v3.decode_transaction(b"\x1a" + raw)
    except EncodingError:
        pass


@given(st.binary(max_size=200))
def test_v2_decoder_never_crashes_untyped(raw: bytes) -> None:
    from fisco_drugtrace.errors import EncodingError, SignatureError

    try:
        tx_v2.decode_signed_v2(raw)
    except (EncodingError, SignatureError):
        pass
