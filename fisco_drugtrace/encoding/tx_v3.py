"""FISCO BCOS 3.x transactions: ``TransactionData``/``Transaction`` Tars codec, hash, signing.

* Encoding (TarsCpp, ``Transaction.tars``): fields in tag order; ``version`` is always written
  (``1C`` for 0); empty strings and byte vectors and zero ``blockLimit``/``gasLimit``/
  ``importTime``/``attribute`` are left out. This reproduces the published vectors byte for byte.
* The data hash is **not** over the Tars bytes: it is the chain hash (Keccak-256 or SM3) of the
  plain field values — ``version`` (4-byte BE), ``chainID``, ``groupID``, ``blockLimit`` (8-byte
  BE), ``nonce``, ``to`` (verbatim, ``0x`` and case included), ``input``, ``abi``; from version 1
  ``value``, ``gasPrice``, ``gasLimit`` (8-byte BE), ``maxFeePerGas``,
  ``maxPriorityFeePerGas``; from version 2 ``extension``. The transaction hash is this value.
* Signatures: ECDSA ``r‖s‖v`` (v = 0/1), SM2 ``r‖s‖pub``; they sign the data hash directly.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.sm import SM2
from fisco_drugtrace.crypto.suite import CryptoSuite, Signer
from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.encoding.tars import (
    SIMPLE_LIST,
    STRING1,
    STRING4,
    STRUCT_BEGIN,
    STRUCT_END,
    CHAR,
    get_bytes,
    get_int,
    get_string,
    get_struct,
    put_bytes,
    put_int,
    put_string,
    read_struct,
)
from fisco_drugtrace.errors import SignatureError, TransactionDecodeError

__all__ = [
    "BLOCK_LIMIT_OFFSET",
    "TransactionData",
    "Transaction",
    "new_nonce",
    "new_transaction_data",
    "data_hash",
    "transaction_hash",
    "sign_transaction",
    "encode_transaction_data",
    "decode_transaction_data",
    "encode_transaction",
    "decode_transaction",
    "recover_sender",
    "contract_address_v3",
    "describe_transaction",
]

#: SDKs set blockLimit = current block + 500 (the node accepts (current, current + 1000]).
BLOCK_LIMIT_OFFSET = 500

_pack_i = struct.Struct(">i").pack
_pack_q = struct.Struct(">q").pack


@dataclass(frozen=True, slots=True)
class TransactionData:
    """The signed-over part of a 3.x transaction (Tars ``TransactionData``, tags 1-14).

    ``to`` is the contract address text exactly as it will be hashed (``""`` to deploy);
    ``input`` the call data or init code; ``abi`` the ABI JSON for deploys. The version-1
    fields (``value`` ... ``max_priority_fee_per_gas``) are hex strings or ``""``;
    ``extension`` is version 2.
    """

    version: int
    chain_id: str
    group_id: str
    block_limit: int
    nonce: str
    to: str
    input: bytes
    abi: str = ""
    value: str = ""
    gas_price: str = ""
    gas_limit: int = 0
    max_fee_per_gas: str = ""
    max_priority_fee_per_gas: str = ""
    extension: bytes = b""


@dataclass(frozen=True, slots=True)
class Transaction:
    """A 3.x transaction (Tars ``Transaction``): data, its hash and the signature.

    ``import_time`` (ms) and ``sender`` are set by the node; ``extra_data`` is not hashed.
    """

    data: TransactionData
    data_hash: bytes
    signature: bytes
    import_time: int = 0
    attribute: int = 0
    extra_data: str = ""
    sender: bytes = b""


def new_nonce() -> str:
    """A fresh random nonce: 32 hex characters (128 random bits), as the Java SDK makes them."""
    return os.urandom(16).hex()


def new_transaction_data(*, chain_id: str, group_id: str, block_number: int, to: str, input: bytes,
                         abi: str = "", nonce: str | None = None, version: int = 0,
                         block_limit_offset: int = BLOCK_LIMIT_OFFSET, value: str = "", gas_price: str = "",
                         gas_limit: int = 0, max_fee_per_gas: str = "", max_priority_fee_per_gas: str = "",
                         extension: bytes = b"") -> TransactionData:
    """A :class:`TransactionData` with ``blockLimit = block_number + 500`` and a fresh nonce.

    :param block_number: the chain's current block number.
    :raises TransactionDecodeError: a field has the wrong type or an impossible value.
    """
    if version not in (0, 1, 2):
        raise TransactionDecodeError(f"unsupported 3.x transaction version {version}")
    if block_number < 0 or block_limit_offset <= 0:
        raise TransactionDecodeError("block_number must be >= 0 and block_limit_offset > 0")
    if not isinstance(input, (bytes, bytearray)):
        raise TransactionDecodeError("input must be bytes")
    return TransactionData(
        version=version, chain_id=chain_id, group_id=group_id, block_limit=block_number + block_limit_offset,
        nonce=nonce if nonce is not None else new_nonce(), to=to, input=bytes(input), abi=abi, value=value,
        gas_price=gas_price, gas_limit=gas_limit, max_fee_per_gas=max_fee_per_gas,
        max_priority_fee_per_gas=max_priority_fee_per_gas, extension=bytes(extension),
    )


# --------------------------------------------------------------------------- hashing
def _hash_preimage(data: TransactionData) -> bytes:
    parts = [
        _pack_i(data.version),
        data.chain_id.encode(),
        data.group_id.encode(),
        _pack_q(data.block_limit),
        data.nonce.encode(),
        data.to.encode(),
        data.input,
        data.abi.encode(),
    ]
    if data.version >= 1:
        parts += (data.value.encode(), data.gas_price.encode(), _pack_q(data.gas_limit),
                  data.max_fee_per_gas.encode(), data.max_priority_fee_per_gas.encode())
    if data.version >= 2:
        parts.append(data.extension)
    return b"".join(parts)


def data_hash(data: TransactionData, suite: CryptoSuite) -> bytes:
    """The 32-byte hash the node computes for ``data`` (= the transaction hash)."""
    try:
        return suite.hash(_hash_preimage(data))
    except struct.error as exc:
        raise TransactionDecodeError(f"version/blockLimit/gasLimit out of range: {exc}") from exc


def transaction_hash(tx: Transaction, suite: CryptoSuite) -> bytes:
    """The transaction hash: recomputed from the fields (the embedded ``data_hash`` is not trusted)."""
    return data_hash(tx.data, suite)


def sign_transaction(data: TransactionData, signer: Signer, *, attribute: int = 0,
                     extra_data: str = "") -> Transaction:
    """Hash ``data`` with the signer's suite and sign it."""
    digest = data_hash(data, signer.suite)
    return Transaction(data, digest, signer.sign_digest(digest), 0, attribute, extra_data, b"")


def recover_sender(tx: Transaction, suite: CryptoSuite) -> str:
    """The sender address: the key behind ``tx.signature`` over the recomputed data hash.

    :raises SignatureError: the signature is malformed or does not recover/verify.
    """
    return suite.public_to_address(suite.recover(data_hash(tx.data, suite), tx.signature))


def contract_address_v3(block_number: int, context_id: int, seq: int, suite: CryptoSuite) -> str:
    """Address of a contract deployed by a 3.x chain (default, non-``feature_evm_address`` mode).

    First 20 bytes of ``H(ascii("<block>_<contextID>_<seq>"))``: ``context_id`` is the index of the
    transaction in its block, ``seq`` 0 for a top-level deploy.
    """
    return "0x" + suite.hash(f"{block_number}_{context_id}_{seq}".encode("ascii"))[:20].hex()


# --------------------------------------------------------------------------- Tars codec
def _put_data_fields(buf: bytearray, data: TransactionData) -> None:
    try:
        put_int(buf, 1, data.version)
        if data.chain_id:
            put_string(buf, 2, data.chain_id.encode())
        if data.group_id:
            put_string(buf, 3, data.group_id.encode())
        if data.block_limit:
            put_int(buf, 4, data.block_limit)
        if data.nonce:
            put_string(buf, 5, data.nonce.encode())
        if data.to:
            put_string(buf, 6, data.to.encode())
        if data.input:
            put_bytes(buf, 7, data.input)
        if data.abi:
            put_string(buf, 8, data.abi.encode())
        if data.value:
            put_string(buf, 9, data.value.encode())
        if data.gas_price:
            put_string(buf, 10, data.gas_price.encode())
        if data.gas_limit:
            put_int(buf, 11, data.gas_limit)
        if data.max_fee_per_gas:
            put_string(buf, 12, data.max_fee_per_gas.encode())
        if data.max_priority_fee_per_gas:
            put_string(buf, 13, data.max_priority_fee_per_gas.encode())
        if data.extension:
            put_bytes(buf, 14, data.extension)
    except (AttributeError, TypeError) as exc:
        raise TransactionDecodeError(f"TransactionData field of the wrong type: {exc}") from exc


def encode_transaction_data(data: TransactionData) -> bytes:
    """Tars bytes of ``TransactionData`` alone (top-level, without struct begin/end)."""
    buf = bytearray()
    _put_data_fields(buf, data)
    return bytes(buf)


def encode_transaction(tx: Transaction) -> bytes:
    """Tars bytes of a signed ``Transaction`` — what ``sendTransaction`` takes (as hex)."""
    buf = bytearray(((1 << 4) | STRUCT_BEGIN,))  # head 0x1a: tag 1, StructBegin
    _put_data_fields(buf, tx.data)
    buf.append(STRUCT_END)
    if tx.data_hash:
        put_bytes(buf, 2, tx.data_hash)
    if tx.signature:
        put_bytes(buf, 3, tx.signature)
    if tx.import_time:
        put_int(buf, 4, tx.import_time)
    if tx.attribute:
        put_int(buf, 5, tx.attribute)
    if tx.sender:
        put_bytes(buf, 7, tx.sender)
    if tx.extra_data:
        put_string(buf, 8, tx.extra_data.encode())
    return bytes(buf)


def _data_from_fields(fields: dict) -> TransactionData:
    return TransactionData(
        version=get_int(fields, 1), chain_id=get_string(fields, 2), group_id=get_string(fields, 3),
        block_limit=get_int(fields, 4), nonce=get_string(fields, 5), to=get_string(fields, 6),
        input=get_bytes(fields, 7), abi=get_string(fields, 8), value=get_string(fields, 9),
        gas_price=get_string(fields, 10), gas_limit=get_int(fields, 11), max_fee_per_gas=get_string(fields, 12),
        max_priority_fee_per_gas=get_string(fields, 13), extension=get_bytes(fields, 14),
    )


def decode_transaction_data(raw: bytes | str) -> TransactionData:
    """Parse Tars ``TransactionData`` bytes (hex accepted). Unknown tags are skipped.

    :raises HexError: ``raw`` is text but not hex.
    :raises TarsError: truncated or malformed Tars, or a field of the wrong type.
    """
    return _data_from_fields(read_struct(to_bytes(raw, what="transaction data")))


# Fast path for the canonical layout (what every SDK writes): tags strictly ascending, one head
# byte each, the expected wire type per tag. Anything else — unknown or repeated tags, List-of-Char
# bytes, bad UTF-8, truncation — returns None and the general reader decides (and raises).
_INT, _STR, _BYTES = 0, 1, 2
_DATA_KINDS = (None, _INT, _STR, _STR, _INT, _STR, _STR, _BYTES, _STR, _STR, _STR, _INT, _STR, _STR, _BYTES)
_TX_KINDS = (None, None, _BYTES, _BYTES, _INT, _INT, None, _BYTES, _STR)
_INT_WIDTH = {0: 1, 1: 2, 2: 4, 3: 8, 12: 0}  # CHAR, SHORT, INT32, INT64, ZERO
_from_bytes = int.from_bytes


def _read_canonical(body: bytes, pos: int, kinds: tuple, end_head: bool, out: list) -> int:
    """Fields at ``pos`` into ``out`` (indexed by tag); returns the position after them, -1 to bail."""
    n = len(body)
    last = 0
    while pos < n:
        head = body[pos]
        type_, tag = head & 0x0F, head >> 4
        pos += 1
        if type_ == STRUCT_END:
            # canonical end is exactly 0x0B; a tag nibble (0xFB announces a second tag byte) is
            # left to the general reader, which knows every head form
            return pos if end_head and tag == 0 else -1
        if tag <= last or tag >= len(kinds) or kinds[tag] is None:
            return -1
        kind = kinds[tag]
        last = tag
        if kind == _INT:
            width = _INT_WIDTH.get(type_)
            if width is None or pos + width > n:
                return -1
            out[tag] = _from_bytes(body[pos:pos + width], "big", signed=True)
            pos += width
        elif kind == _STR:
            if type_ == STRING1 and pos < n:
                size = body[pos]
                pos += 1
            elif type_ == STRING4 and pos + 4 <= n:
                size = _from_bytes(body[pos:pos + 4], "big")
                pos += 4
            else:
                return -1
            if pos + size > n:
                return -1
            try:
                out[tag] = body[pos:pos + size].decode("utf-8")
            except UnicodeDecodeError:
                return -1
            pos += size
        else:
            if type_ != SIMPLE_LIST or pos + 2 > n or body[pos] != CHAR:
                return -1
            length_head = body[pos + 1]
            width = _INT_WIDTH.get(length_head & 0x0F)
            pos += 2
            if length_head >> 4 != 0 or width is None or pos + width > n:
                return -1
            size = _from_bytes(body[pos:pos + width], "big", signed=True)
            pos += width
            if size < 0 or pos + size > n:
                return -1
            out[tag] = body[pos:pos + size]
            pos += size
    return -1 if end_head else pos


def _decode_canonical(body: bytes) -> Transaction | None:
    if len(body) < 2 or body[0] != (1 << 4) | STRUCT_BEGIN:
        return None
    d: list = [None, 0, "", "", 0, "", "", b"", "", "", "", 0, "", "", b""]
    pos = _read_canonical(body, 1, _DATA_KINDS, True, d)
    if pos < 0:
        return None
    t: list = [None, None, b"", b"", 0, 0, None, b"", ""]
    if _read_canonical(body, pos, _TX_KINDS, False, t) != len(body):
        return None
    data = TransactionData(d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14])
    return Transaction(data, t[2], t[3], t[4], t[5], t[8], t[7])


def decode_transaction(raw: bytes | str) -> Transaction:
    """Parse a signed 3.x transaction (Tars bytes or hex). Unknown tags are skipped.

    :raises HexError: ``raw`` is text but not hex.
    :raises TarsError: truncated or malformed Tars, or a field of the wrong type.
    :raises TransactionDecodeError: well-formed Tars that is not a transaction (no data struct).
    """
    body = to_bytes(raw, what="transaction")
    if not body:
        raise TransactionDecodeError("empty transaction")
    fast = _decode_canonical(body)
    return fast if fast is not None else _decode_general(body)


def _decode_general(body: bytes) -> Transaction:
    fields = read_struct(body)
    data_fields = get_struct(fields, 1)
    if data_fields is None:
        raise TransactionDecodeError("no TransactionData struct at tag 1: not a 3.x transaction")
    return Transaction(
        data=_data_from_fields(data_fields), data_hash=get_bytes(fields, 2), signature=get_bytes(fields, 3),
        import_time=get_int(fields, 4), attribute=get_int(fields, 5), extra_data=get_string(fields, 8),
        sender=get_bytes(fields, 7),
    )



def describe_transaction(tx: Transaction, suite: CryptoSuite | None = None) -> dict[str, object]:
    """A plain summary of a decoded transaction: fields, recomputed hash, sender.

    :param suite: defaults to SM2/SM3 for a 128-byte signature, ECDSA/Keccak otherwise.
    ``sender`` is ``None`` (with ``signature_error`` set) when the signature does not recover.
    """
    if suite is None:
        suite = SM2 if len(tx.signature) == SM2.signature_size else ECDSA
    digest = data_hash(tx.data, suite)
    sender: str | None
    error: str | None = None
    try:
        sender = suite.public_to_address(suite.recover(digest, tx.signature))
    except SignatureError as exc:
        sender, error = None, str(exc)
    d = tx.data
    out: dict[str, object] = {
        "dialect": "v3",
        "suite": suite.name,
        "hash": "0x" + digest.hex(),
        "hash_matches": (not tx.data_hash) or tx.data_hash == digest,
        "sender": sender,
        "version": d.version,
        "chain_id": d.chain_id,
        "group_id": d.group_id,
        "block_limit": d.block_limit,
        "nonce": d.nonce,
        "to": d.to,
        "input": "0x" + d.input.hex(),
        "abi": d.abi,
    }
    if d.version >= 1:
        out.update(value=d.value, gas_price=d.gas_price, gas_limit=d.gas_limit, max_fee_per_gas=d.max_fee_per_gas,
                   max_priority_fee_per_gas=d.max_priority_fee_per_gas)
    if d.version >= 2:
        out["extension"] = "0x" + d.extension.hex()
    out.update(data_hash="0x" + tx.data_hash.hex(), signature="0x" + tx.signature.hex(), import_time=tx.import_time,
               attribute=tx.attribute, extra_data=tx.extra_data)
    if error is not None:
        out["signature_error"] = error
    return out
