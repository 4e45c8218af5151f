"""Ethereum transactions as the FISCO BCOS 3.9+ Web3 port reads them: legacy (EIP-155 or not),
EIP-2930 (type 1) and EIP-1559 (type 2), RLP-decoded with the ``rlp`` package.

Read from ``bcos-rpc/web3jsonrpc/model/Web3Transaction.cpp`` (FISCO-BCOS): the signing payload
(``encodeForSign``: legacy ``rlp([nonce, gasPrice, gas, to, value, data(, chainId, 0, 0)])``,
typed ``type || rlp([chainId, nonce, ...fields, accessList])``), the transaction hash
(``txHash``: keccak of the whole encoding as received) and the sender, recovered from
``r || s || v`` over the signing hash (``takeToTarsTransaction``). EIP-4844 blob transactions
are refused: a dev chain has no blobs.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp

from fisco_drugtrace.crypto.ecdsa import ECDSA, keccak256
from fisco_drugtrace.errors import EncodingError, SignatureError

__all__ = ["EthTransaction", "decode_eth_transaction", "eth_create_address"]

_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True, slots=True)
class EthTransaction:
    """A decoded, sender-recovered Ethereum transaction. ``to`` is ``""`` for a deployment;
    ``chain_id`` is ``None`` for a pre-EIP-155 legacy transaction."""

    type: int
    chain_id: int | None
    nonce: int
    gas_price: int  # legacy / type 1; for type 2 the max fee
    max_priority_fee: int
    gas: int
    to: str
    value: int
    data: bytes
    v: int
    r: int
    s: int
    sender: str
    hash: bytes
    signing_hash: bytes
    raw: bytes


def _int(item: object, name: str) -> int:
    if not isinstance(item, bytes) or (item[:1] == b"\x00"):
        raise EncodingError(f"{name} is not a canonical RLP integer")
    return int.from_bytes(item, "big")


def _to(item: object) -> str:
    if not isinstance(item, bytes) or len(item) not in (0, 20):
        raise EncodingError("to must be 20 bytes or empty")
    return "0x" + item.hex() if item else ""


def _recover(digest: bytes, r: int, s: int, parity: int) -> str:
    if not (0 < r < _N and 0 < s < _N) or parity not in (0, 1):
        raise SignatureError("signature r, s or v out of range")
    if s > _N // 2:
        raise SignatureError("high-s signature")
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([parity])
    return ECDSA.public_to_address(ECDSA.recover(digest, signature))


def decode_eth_transaction(raw: bytes) -> EthTransaction:
    """Decode signed transaction bytes and recover the sender.

    :raises EncodingError: not a legacy / type 1 / type 2 transaction, or malformed RLP.
    :raises SignatureError: the signature does not recover (or is out of range / high-s).
    """
    if not raw:
        raise EncodingError("empty transaction")
    kind = raw[0]
    try:
        if kind >= 0xC0:
            items = rlp.decode(raw)
            if not isinstance(items, list) or len(items) != 9:
                raise EncodingError("a legacy transaction is an RLP list of 9 items")
            nonce, price, gas = (_int(items[i], n) for i, n in ((0, "nonce"), (1, "gasPrice"), (2, "gas")))
            to, value, data = _to(items[3]), _int(items[4], "value"), items[5]
            v, r, s = _int(items[6], "v"), _int(items[7], "r"), _int(items[8], "s")
            if v in (27, 28):
                chain_id, parity, unsigned = None, v - 27, items[:6]
            elif v >= 35:
                chain_id, parity = (v - 35) // 2, (v - 35) % 2
                unsigned = items[:6] + [chain_id, 0, 0]
            else:
                raise SignatureError(f"legacy v must be 27, 28 or >= 35, got {v}")
            digest = keccak256(rlp.encode(unsigned))
            return EthTransaction(0, chain_id, nonce, price, price, gas, to, value, bytes(data), v, r, s,
                                  _recover(digest, r, s, parity), keccak256(raw), digest, bytes(raw))
        if kind in (1, 2):
            items = rlp.decode(raw[1:])
            size = 11 if kind == 1 else 12
            if not isinstance(items, list) or len(items) != size:
                raise EncodingError(f"a type-{kind} transaction is an RLP list of {size} items")
            chain_id, nonce = _int(items[0], "chainId"), _int(items[1], "nonce")
            if kind == 1:
                tip = price = _int(items[2], "gasPrice")
                rest = items[3:]
            else:
                tip, price = _int(items[2], "maxPriorityFeePerGas"), _int(items[3], "maxFeePerGas")
                rest = items[4:]
            gas, to, value, data, access = _int(rest[0], "gas"), _to(rest[1]), _int(rest[2], "value"), rest[3], rest[4]
            if not isinstance(access, list) or not isinstance(data, bytes):
                raise EncodingError("malformed data or access list")
            parity, r, s = _int(rest[5], "yParity"), _int(rest[6], "r"), _int(rest[7], "s")
            digest = keccak256(bytes([kind]) + rlp.encode(items[:size - 3]))
            return EthTransaction(kind, chain_id, nonce, price, tip, gas, to, value, bytes(data), parity, r, s,
                                  _recover(digest, r, s, parity), keccak256(raw), digest, bytes(raw))
    except rlp.exceptions.DecodingError as exc:
        raise EncodingError(f"malformed RLP: {exc}") from exc
    raise EncodingError(f"unsupported transaction type {kind}")


def eth_create_address(sender: str, nonce: int) -> str:
    """Ethereum's CREATE address, ``keccak(rlp([sender, nonce]))[12:]`` — what a FISCO 3.9+ node
    gives an externally owned account's deployment with ``feature_evm_address``
    (``bcos-scheduler/src/SerialBlockExecutive.cpp``, ``newLegacyEVMAddressString``)."""
    return "0x" + keccak256(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:].hex()
