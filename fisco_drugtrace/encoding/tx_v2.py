"""FISCO BCOS 2.x transactions: the 13-item RLP form, signing hash, decoding, contract addresses.

Layout (node ``libethcore/Transaction.cpp``, "RC2"): ``[nonce, gasPrice, gas, blockLimit, to,
value, data, chainId, groupId, extraData, v, r, s]``. The signing hash is ``H(RLP(items 0-9))``
(no EIP-155: the chain id is item 7 and ``v`` is 27/28), the transaction hash ``H(RLP(all 13))``,
with H = Keccak-256 (SM3 on SM chains, where ``v`` carries the 64-byte public key).
Integers must be canonical (no leading zero bytes) and ECDSA ``s`` must be low, as on the node.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import rlp
from rlp.exceptions import RLPException

from fisco_drugtrace.crypto.ecdsa import ECDSA, SECP256K1_HALF_N, SECP256K1_N
from fisco_drugtrace.crypto.sm import SM2
from fisco_drugtrace.crypto.suite import CryptoSuite, Signer
from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.errors import HexError, RlpError, SignatureError, TransactionDecodeError

__all__ = [
    "TransactionV2",
    "SignedTransactionV2",
    "new_nonce_v2",
    "new_transaction_v2",
    "signing_hash",
    "sign_transaction_v2",
    "sign_and_encode_v2",
    "encode_unsigned_v2",
    "encode_signed_v2",
    "decode_signed_v2",
    "tx_hash_v2",
    "recover_sender_v2",
    "contract_address_v2",
    "describe_transaction_v2",
]



# --------------------------------------------------------------------------- lean RLP writer
# Signing loops encode every transaction twice (preimage, then the signed list); the generic
# ``rlp.encode`` (sedes inference per item) costs more than the signature itself, so flat lists
# of ints/bytes are written here. ``rlp`` still decodes, and tests check this writer against it.
def _rlp_len(length: int, offset: int) -> bytes:
    if length <= 55:
        return bytes((offset + length,))
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(size),)) + size


def _rlp_item(value: int | bytes) -> bytes:
    if type(value) is int:
        if value < 0x80:
            return b"\x80" if value == 0 else bytes((value,))  # negative -> ValueError
        if value >> 256:
            raise OverflowError(f"integer {value} is wider than 256 bits")
        value = value.to_bytes((value.bit_length() + 7) // 8, "big")
    elif type(value) is not bytes:
        value = bytes(value)  # bytearray/memoryview; anything else -> TypeError
    if len(value) == 1 and value[0] < 0x80:
        return value
    return _rlp_len(len(value), 0x80) + value


def _rlp_list_payload(items: list) -> bytes:
    return b"".join([_rlp_item(item) for item in items])


def _rlp_encode(items: list) -> bytes:
    """RLP of a flat list of non-negative ints and byte strings (same bytes as ``rlp.encode``)."""
    payload = _rlp_list_payload(items)
    return _rlp_len(len(payload), 0xC0) + payload


@dataclass(frozen=True, slots=True)
class TransactionV2:
    """The ten signed-over fields of a 2.x transaction.

    ``to`` is ``"0x"`` + 40 hex (any case) or ``""`` to deploy; integers are non-negative.
    """

    nonce: int
    gas_price: int
    gas_limit: int
    block_limit: int
    to: str
    value: int
    data: bytes
    chain_id: int
    group_id: int
    extra_data: bytes = b""


@dataclass(frozen=True, slots=True)
class SignedTransactionV2:
    """A signed 2.x transaction: the fields plus ``v`` (27/28 for ECDSA, the 64-byte public key
    for SM2), ``r`` and ``s``."""

    tx: TransactionV2
    v: int | bytes
    r: int
    s: int


def new_nonce_v2() -> int:
    """A fresh random nonce: 250 random bits, as the 2.x Java SDK makes them."""
    return secrets.randbits(250)


def new_transaction_v2(*, chain_id: int, group_id: int, block_number: int, to: str, data: bytes,
                       nonce: int | None = None, gas_price: int = 30_000_000, gas_limit: int = 30_000_000,
                       value: int = 0, extra_data: bytes = b"", block_limit_offset: int = 500) -> TransactionV2:
    """A :class:`TransactionV2` with ``blockLimit = block_number + 500`` and a fresh nonce."""
    if block_number < 0 or block_limit_offset <= 0:
        raise TransactionDecodeError("block_number must be >= 0 and block_limit_offset > 0")
    return TransactionV2(nonce if nonce is not None else new_nonce_v2(), gas_price, gas_limit,
                         block_number + block_limit_offset, to, value, bytes(data), chain_id, group_id,
                         bytes(extra_data))


def _to_bytes20(to: str) -> bytes:
    if not to:
        return b""
    try:
        raw = bytes.fromhex(to[2:] if to[:2] in ("0x", "0X") else to)
    except (ValueError, TypeError) as exc:
        raise TransactionDecodeError(f"'to' is not hex: {to!r}") from exc
    if len(raw) != 20:
        raise TransactionDecodeError(f"'to' must be 20 bytes or empty, got {len(raw)}")
    return raw


def _payload(items: list) -> bytes:
    try:
        return _rlp_list_payload(items)
    except (OverflowError, ValueError, TypeError, AttributeError) as exc:
        raise TransactionDecodeError(f"a field is not a non-negative integer of at most 256 bits or bytes: {exc}") from exc


def _items(tx: TransactionV2) -> list:
    return [tx.nonce, tx.gas_price, tx.gas_limit, tx.block_limit, _to_bytes20(tx.to), tx.value, tx.data,
            tx.chain_id, tx.group_id, tx.extra_data]


def encode_unsigned_v2(tx: TransactionV2) -> bytes:
    """RLP of the first ten items: the signing preimage."""
    payload = _payload(_items(tx))
    return _rlp_len(len(payload), 0xC0) + payload


def signing_hash(tx: TransactionV2, suite: CryptoSuite) -> bytes:
    """``H(RLP(items 0-9))``: the digest a 2.x transaction signature covers."""
    return suite.hash(encode_unsigned_v2(tx))


def sign_transaction_v2(tx: TransactionV2, signer: Signer) -> SignedTransactionV2:
    """Sign ``tx`` with ``signer`` (ECDSA -> v = 27/28; SM2 -> v = public key)."""
    sig = signer.sign_digest(signing_hash(tx, signer.suite))
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    v: int | bytes = sig[64] + 27 if len(sig) == 65 else bytes(sig[64:128])
    return SignedTransactionV2(tx, v, r, s)


def sign_and_encode_v2(tx: TransactionV2, signer: Signer) -> tuple[SignedTransactionV2, bytes]:
    """Sign ``tx`` and encode it in one pass (the ten items are encoded once, not twice).

    Returns the signed record and its raw bytes, identical to
    ``encode_signed_v2(sign_transaction_v2(tx, signer))``; the hot path of clients.
    """
    payload = _payload(_items(tx))
    sig = signer.sign_digest(signer.suite.hash(_rlp_len(len(payload), 0xC0) + payload))
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:64], "big")
    v: int | bytes = sig[64] + 27 if len(sig) == 65 else bytes(sig[64:128])
    payload += _rlp_item(v) + _rlp_item(r) + _rlp_item(s)
    return SignedTransactionV2(tx, v, r, s), _rlp_len(len(payload), 0xC0) + payload


def encode_signed_v2(stx: SignedTransactionV2) -> bytes:
    """RLP of the 13 items — what ``sendRawTransaction`` takes (as hex)."""
    payload = _payload(_items(stx.tx) + [stx.v, stx.r, stx.s])
    return _rlp_len(len(payload), 0xC0) + payload


def _int(item: object, name: str) -> int:
    if not isinstance(item, bytes):
        raise RlpError(f"{name}: expected a byte string, found a list")
    if item[:1] == b"\x00":
        raise RlpError(f"{name}: non-canonical integer (leading zero byte)")
    if len(item) > 32:
        raise RlpError(f"{name}: integer longer than 32 bytes")
    return int.from_bytes(item, "big")


def _bytes(item: object, name: str) -> bytes:
    if not isinstance(item, bytes):
        raise RlpError(f"{name}: expected a byte string, found a list")
    return item


def decode_signed_v2(raw: bytes | str) -> SignedTransactionV2:
    """Parse a signed 2.x transaction (RLP bytes or hex).

    :raises HexError: ``raw`` is text but not hex.
    :raises RlpError: malformed or non-canonical RLP, not a 13-item list.
    :raises TransactionDecodeError: ``to`` is neither empty nor 20 bytes.
    :raises SignatureError: ECDSA ``v`` not 27/28, ``r``/``s`` out of range, or high ``s``.
    """
    body = to_bytes(raw, what="transaction")
    try:
        items = rlp.decode(body, strict=True)
    except RLPException as exc:
        raise RlpError(f"malformed RLP: {exc}") from exc
    if not isinstance(items, list) or len(items) != 13:
        count = len(items) if isinstance(items, list) else "not a list"
        raise RlpError(f"a signed 2.x transaction is an RLP list of 13 items, got {count}")
    to = _bytes(items[4], "to")
    if len(to) not in (0, 20):
        raise TransactionDecodeError(f"'to' must be 20 bytes or empty, got {len(to)}")
    tx = TransactionV2(
        nonce=_int(items[0], "nonce"), gas_price=_int(items[1], "gasPrice"), gas_limit=_int(items[2], "gas"),
        block_limit=_int(items[3], "blockLimit"), to="0x" + to.hex() if to else "", value=_int(items[5], "value"),
        data=_bytes(items[6], "data"), chain_id=_int(items[7], "chainId"), group_id=_int(items[8], "groupId"),
        extra_data=_bytes(items[9], "extraData"),
    )
    v_raw = _bytes(items[10], "v")
    r = _int(items[11], "r")
    s = _int(items[12], "s")
    v: int | bytes
    if len(v_raw) <= 1:
        v = _int(v_raw, "v")
        if v not in (27, 28):
            raise SignatureError(f"ECDSA v must be 27 or 28, got {v}")
        if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
            raise SignatureError("ECDSA r or s out of range")
        if s > SECP256K1_HALF_N:
            raise SignatureError("high-s signature (s > n/2): the node refuses it")
    else:
        if len(v_raw) > 64:
            raise SignatureError(f"SM2 public key in v is {len(v_raw)} bytes (max 64)")
        v = v_raw.rjust(64, b"\x00")
    return SignedTransactionV2(tx, v, r, s)


def tx_hash_v2(raw: bytes | str | SignedTransactionV2, suite: CryptoSuite) -> bytes:
    """``H(RLP(13 items))`` — the 2.x transaction hash (canonical re-encoding of ``raw``)."""
    if isinstance(raw, SignedTransactionV2):
        return suite.hash(encode_signed_v2(raw))
    return suite.hash(encode_signed_v2(decode_signed_v2(raw)))


def recover_sender_v2(stx: SignedTransactionV2, suite: CryptoSuite) -> str:
    """The sender address of a signed 2.x transaction.

    :raises SignatureError: the signature does not recover (ECDSA) or verify (SM2).
    """
    digest = signing_hash(stx.tx, suite)
    rs = stx.r.to_bytes(32, "big") + stx.s.to_bytes(32, "big")
    if isinstance(stx.v, int):
        signature = rs + bytes((stx.v - 27,))
    else:
        signature = rs + stx.v
    return suite.public_to_address(suite.recover(digest, signature))


def contract_address_v2(sender: str, nonce: int, suite: CryptoSuite = ECDSA) -> str:
    """Address of the ``nonce``-th (0-based) contract deployed by ``sender`` on a 2.x chain.

    ``last20(H(RLP([sender, nonce])))``; 2.x counts only contract creations in this nonce.
    """
    sender_bytes = to_bytes(sender, what="sender")
    if len(sender_bytes) != 20:
        raise HexError(f"sender must be 20 bytes, got {len(sender_bytes)}")
    return "0x" + suite.hash(_rlp_encode([sender_bytes, nonce]))[12:].hex()


def describe_transaction_v2(stx: SignedTransactionV2, suite: CryptoSuite | None = None) -> dict[str, object]:
    """A plain summary of a decoded 2.x transaction: fields, hashes, sender.

    :param suite: defaults to SM2/SM3 when ``v`` is a public key, ECDSA/Keccak otherwise.
    ``sender`` is ``None`` (with ``signature_error`` set) when the signature does not recover.
    """
    if suite is None:
        suite = SM2 if isinstance(stx.v, bytes) else ECDSA
    sender: str | None
    error: str | None = None
    try:
        sender = recover_sender_v2(stx, suite)
    except SignatureError as exc:
        sender, error = None, str(exc)
    tx = stx.tx
    out: dict[str, object] = {
        "dialect": "v2",
        "suite": suite.name,
        "hash": "0x" + tx_hash_v2(stx, suite).hex(),
        "signing_hash": "0x" + signing_hash(tx, suite).hex(),
        "sender": sender,
        "nonce": tx.nonce,
        "gas_price": tx.gas_price,
        "gas_limit": tx.gas_limit,
        "block_limit": tx.block_limit,
        "to": tx.to,
        "value": tx.value,
        "data": "0x" + tx.data.hex(),
        "chain_id": tx.chain_id,
        "group_id": tx.group_id,
        "extra_data": "0x" + tx.extra_data.hex(),
        "v": stx.v if isinstance(stx.v, int) else "0x" + stx.v.hex(),
        "r": "0x%064x" % stx.r,
        "s": "0x%064x" % stx.s,
    }
    if error is not None:
        out["signature_error"] = error
    return out
