"""Shared helpers for the dev chain tests: signing with the SDK's codecs, raw JSON-RPC calls."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from eth_abi import encode

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.devchain import DevChain, dev_keypairs
from fisco_drugtrace.devchain.storage import DB_FILENAME
from fisco_drugtrace.encoding import tx_v2, tx_v3

STORE = json.loads((Path(__file__).parent / "data" / "Store.json").read_text())
STORE_CODE = bytes.fromhex(STORE["bytecode"])
SIGNERS = [LocalSigner(kp) for kp in dev_keypairs(3)]
#: The tables of a data dir's database every schema has.
TABLES = ("meta", "blocks", "txs", "receipts", "logs", "abis")


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the data dir ``path``, read through a plain connection (the logical content)."""
    db = sqlite3.connect(f"file:{path / DB_FILENAME}?mode=ro", uri=True)
    try:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    finally:
        db.close()


def hostport(url: str) -> tuple[str, int]:
    """(host, port) of an ``http(s)://host:port`` URL."""
    host, port = url.split("//")[1].split(":")
    return host, int(port)


def selector(signature: str) -> bytes:
    return ECDSA.hash(signature.encode())[:4]


def store_deploy(value: int = 42) -> bytes:
    return STORE_CODE + encode(["uint256"], [value])


def set_call(value: int) -> bytes:
    return selector("set(uint256)") + encode(["uint256"], [value])


def rpc(chain: DevChain, method: str, params: list, req_id: int = 1) -> dict[str, Any]:
    """One request through ``handle_raw`` (the bytes path the SDK uses)."""
    body = json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params}).encode()
    return json.loads(chain.handle_raw(body))


def result(chain: DevChain, method: str, params: list) -> Any:
    response = rpc(chain, method, params)
    assert "error" not in response, response
    return response["result"]


# ----------------------------------------------------------------------------- 3.x
def tx3(chain: DevChain, to: str, data: bytes, *, signer: LocalSigner = SIGNERS[0], abi: str = "",
        nonce: str | None = None, block_limit: int | None = None, chain_id: str = "chain0",
        group_id: str = "group0", version: int = 0, **fields: Any) -> bytes:
    td = tx_v3.new_transaction_data(chain_id=chain_id, group_id=group_id, block_number=chain.block_number, to=to,
                                    input=data, abi=abi, nonce=nonce, version=version)
    if block_limit is not None:
        td = replace(td, block_limit=block_limit)
    if fields:
        td = replace(td, **fields)
    return tx_v3.encode_transaction(tx_v3.sign_transaction(td, signer))


def send3(chain: DevChain, raw: bytes) -> dict[str, Any]:
    return rpc(chain, "sendTransaction", ["group0", "", "0x" + raw.hex(), False])


def deploy3(chain: DevChain, value: int = 42, **kw: Any) -> dict[str, Any]:
    response = send3(chain, tx3(chain, "", store_deploy(value), **kw))
    assert response["result"]["status"] == 0, response
    return response["result"]


# ----------------------------------------------------------------------------- 2.x
def tx2(chain: DevChain, to: str, data: bytes, *, signer: LocalSigner = SIGNERS[0], nonce: int | None = None,
        block_limit: int | None = None, chain_id: int = 1, group_id: int = 1) -> bytes:
    t = tx_v2.new_transaction_v2(chain_id=chain_id, group_id=group_id, block_number=chain.block_number, to=to,
                                 data=data, nonce=nonce)
    if block_limit is not None:
        t = replace(t, block_limit=block_limit)
    return tx_v2.encode_signed_v2(tx_v2.sign_transaction_v2(t, signer))


def send2(chain: DevChain, raw: bytes) -> dict[str, Any]:
    return rpc(chain, "sendRawTransaction", [1, "0x" + raw.hex()])


def receipt2(chain: DevChain, tx_hash: str, timeout: float = 10.0) -> dict[str, Any]:
    """Wait for a 2.x receipt (the node answers ``null`` until the block is committed)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = rpc(chain, "getTransactionReceipt", [1, tx_hash])["result"]
        if got is not None:
            return got
        chain.chain.wait_for_block(chain.block_number + 1, 0.05)
    raise AssertionError(f"no receipt for {tx_hash}")
