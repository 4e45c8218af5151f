"""ClientV2 against a fake 2.x node: every method, hex decoding, sends, block-scan logs, errors."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import ClientV2
from fisco_drugtrace.client.error_maps import map_error_v2
from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.encoding import tx_v2
from fisco_drugtrace.errors import (
    AlreadyInChain, AlreadyInTxPool, BlockLimitCheckFailed, CallNeedsFrom, GroupNotExist, InternalError,
    InvalidChainId, InvalidGroupId, NonceCheckFailed, NotInGroup, TxPoolFull,
)
from fisco_drugtrace.rpc import InProcessTransport, JsonRpc, RetryPolicy
from fisco_drugtrace.types import Dialect
from tests.fakes import BLOCK_HASH, CONTRACT, NODE_ID, NODE_ID_2, TOPIC, TX_HASH, FakeNode, RpcFailure, v2_node, v2_receipt


def _client(node: FakeNode, **kwargs: object) -> ClientV2:
    rpc = JsonRpc(InProcessTransport(node.handle_raw), map_error_v2, retry=RetryPolicy(attempts=1))
    return ClientV2(rpc, group=1, sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


def _fail(code: int, message: str):  # noqa: ANN202
    def handler(params: list) -> None:
        raise RpcFailure(code, message)
    return handler


@pytest.fixture()
def node() -> FakeNode:
    return v2_node()


def test_every_method_decodes_hex_and_returns_records(node: FakeNode) -> None:
    c = _client(node)
    v = c.get_client_version()
    assert (v.version, v.chain_id, v.git_commit_hash) == ("2.11.1", 1, "2ace59886")
    assert c.get_node_info().node_id == NODE_ID and c.get_node_info().topics == ("t1",)
    assert c.get_block_number() == 5 and c.get_pbft_view() == 3
    assert c.get_sealer_list() == (NODE_ID,) and c.get_observer_list() == ()
    assert c.get_epoch_sealers_list() == (NODE_ID,)
    cs = c.get_consensus_status()
    assert (cs.node_id, cs.block_number, cs.view, cs.consensus_nodes) == (NODE_ID, 5, 3, (NODE_ID,))
    sync = c.get_sync_status()
    assert sync.tx_pool_size == 0 and sync.peers[0].node_id == NODE_ID_2 and sync.block_number == 5
    assert c.get_peers()[0].ip_and_port == "127.0.0.1:30301"
    assert c.get_group_peers() == (NODE_ID, NODE_ID_2) == c.get_node_id_list()
    assert c.get_group_list().groups == (1,)
    block = c.get_block_by_number(5)
    assert (block.number, block.timestamp, block.transaction_hashes) == (5, 1700000000123, (TX_HASH,))
    assert c.get_block_by_hash(BLOCK_HASH[2:]).hash == BLOCK_HASH  # hash without 0x accepted
    header = c.get_block_header_by_number(5)
    assert header.number == 5 and header.sealer_list == (NODE_ID,)
    assert c.get_block_header_by_hash(BLOCK_HASH).hash == BLOCK_HASH
    assert c.get_block_hash_by_number(5) == BLOCK_HASH
    tx = c.get_transaction_by_hash(TX_HASH)
    assert tx is not None and tx.hash == TX_HASH and tx.block_number == 5 and tx.chain_id == 1
    assert tx.signature[:1] == b"\x01" and tx.block_limit == 0x1F9
    assert c.get_transaction_by_block_hash_and_index(BLOCK_HASH, 0).transaction_index == 0
    assert c.get_transaction_by_block_number_and_index(5, 0).hash == TX_HASH
    r = c.get_transaction_receipt(TX_HASH)
    assert r is not None and r.gas_used == 0x5F5E100 and r.contract_address is None
    pending = c.get_pending_transactions()
    assert pending[0].block_number is None
    assert c.get_pending_tx_size() == 0
    assert c.get_code(CONTRACT) == b"\x60\x80"
    total = c.get_total_transaction_count()
    assert (total.block_number, total.transaction_count, total.failed_transaction_count) == (5, 9, 1)
    cfg = c.get_system_config_by_key("tx_count_limit")
    assert (cfg.value, cfg.block_number) == ("1000", None)
    assert c.call(CONTRACT, b"\x01").output[-1] == 42
    assert c.send_raw_transaction(b"\x01") == TX_HASH
    assert c.send_raw_transaction_and_get_proof(b"\x01") == TX_HASH
    twp = c.get_transaction_by_hash_with_proof(TX_HASH)
    assert twp is not None and twp.transaction.hash == TX_HASH and len(twp.proof) == 1
    rwp = c.get_transaction_receipt_by_hash_with_proof(TX_HASH)
    assert rwp is not None and rwp.receipt.status == 0
    batch = c.get_batch_receipts_by_block_number_and_range(5)
    assert batch.block_number == 5 and batch.receipts[0].block_number == 5 and batch.receipts_count == 1
    assert c.get_batch_receipts_by_block_hash_and_range(BLOCK_HASH).block_hash == BLOCK_HASH
    g = c.generate_group(2, 1700000000000, [NODE_ID])
    assert (g.code, g.message, g.ok) == (2, "GROUP_ALREADY_EXISTS", False)
    assert c.start_group(1).code == 3
    assert c.stop_group(2).ok and c.remove_group(2).ok and c.recover_group(2).ok
    assert c.query_group_status(1).status == "RUNNING"
    assert c.add_peers(["127.0.0.1:30302"]).ok and c.erase_peers(["127.0.0.1:30302"]).ok
    assert c.query_peers() == ("127.0.0.1:30301",)
    assert c.rpc_modules() == {"FISCO BCOS": "2.0"}
    assert set(node.methods_called()) == set(node.handlers)


def test_params_put_the_integer_group_first_and_hex_numbers(node: FakeNode) -> None:
    c = _client(node)
    c.get_block_by_number(26, include_transactions=True)
    c.get_transaction_by_block_number_and_index(26, 2)
    c.call(CONTRACT, b"\xab", sender="0x" + "CD" * 20)
    c.get_batch_receipts_by_block_number_and_range(26, 1, 2, False)
    c.get_client_version()
    assert node.calls == [
        ("getBlockByNumber", [1, "0x1a", True]),
        ("getTransactionByBlockNumberAndIndex", [1, "0x1a", "0x2"]),
        ("call", [1, {"from": "0x" + "cd" * 20, "to": CONTRACT, "value": "0x0", "data": "0xab"}]),
        ("getBatchReceiptsByBlockNumberAndRange", [1, "26", "1", "2", False]),
        ("getClientVersion", []),
    ]


def test_call_without_sender_uses_the_zero_address(node: FakeNode) -> None:
    _client(node).call(CONTRACT, b"")
    assert node.calls[-1][1][1]["from"] == "0x" + "0" * 40


def test_compressed_batch_receipts_are_inflated(node: FakeNode) -> None:
    plain = node.handlers["getBatchReceiptsByBlockNumberAndRange"]([])
    node.on("getBatchReceiptsByBlockNumberAndRange",
            base64.b64encode(zlib.compress(json.dumps(plain).encode())).decode())
    assert _client(node).get_batch_receipts_by_block_number_and_range(5, compress=True).receipts[0].transaction_hash == TX_HASH


def test_receipt_status_is_hex_and_named(node: FakeNode) -> None:
    node.on("getTransactionReceipt", v2_receipt(status="0x16", contract_address="0x" + "56" * 20))
    r = _client(node).get_receipt(TX_HASH)
    assert r is not None and (r.status, r.status_name) == (22, "RevertInstruction")
    assert r.contract_address == "0x" + "56" * 20 and r.logs[0].block_hash == BLOCK_HASH


def test_missing_receipt_and_transaction_are_none(node: FakeNode) -> None:
    node.on("getTransactionReceipt", None).on("getTransactionByHash", None)
    c = _client(node)
    assert c.get_receipt(TX_HASH) is None and c.get_transaction_by_hash(TX_HASH) is None


def test_identity_reads_chain_id_from_client_version(node: FakeNode) -> None:
    ident = _client(node).identity()
    assert (ident.dialect, ident.chain_id, ident.group_id) == (Dialect.V2, 1, 1)


def test_send_transaction_signs_rlp_and_polls_for_the_receipt(node: FakeNode) -> None:
    signer = LocalSigner(KeyPair.generate(ECDSA))
    sent: list[bytes] = []

    def send(params: list) -> str:
        raw = bytes.fromhex(params[1][2:])
        sent.append(raw)
        return "0x" + tx_v2.tx_hash_v2(raw, ECDSA).hex()

    answers: list[object] = [None]
    node.on("sendRawTransaction", send)
    node.on("getTransactionReceipt", lambda p: answers.pop(0) if answers else v2_receipt(p[1]))
    receipt = _client(node).send_transaction(signer, CONTRACT, b"\x01\x02", timeout=5)
    stx = tx_v2.decode_signed_v2(sent[0])
    assert stx.tx.chain_id == 1 and stx.tx.group_id == 1 and stx.tx.block_limit == 505
    assert stx.tx.to.lower() in (CONTRACT, CONTRACT[2:]) or bytes.fromhex(CONTRACT[2:]) == stx.tx.to
    assert tx_v2.recover_sender_v2(stx, ECDSA) == signer.address
    assert receipt.transaction_hash == "0x" + tx_v2.tx_hash_v2(sent[0], ECDSA).hex()
    assert node.methods_called().count("getTransactionReceipt") == 2


@pytest.mark.parametrize(
    ("token", "cls"),
    [
        ("BlockLimitCheckFailed, txBlockLimit=3811, txHash=25bf", BlockLimitCheckFailed),
        ("TransactionNonceCheckFail, txHash=1", NonceCheckFailed),
        ("TxPoolNonceCheckFail", NonceCheckFailed),
        ("InvalidChainId", InvalidChainId),
        ("InvalidGroupId", InvalidGroupId),
        ("TransactionAlreadyKown", AlreadyInTxPool),
        ("TransactionAlreadyInChain", AlreadyInChain),
        ("TransactionPoolIsFull", TxPoolFull),
    ],
)
def test_v2_reason_tokens_map_to_rejections(node: FakeNode, token: str, cls: type) -> None:
    message = f"INTERNAL_ERROR: : INTERNAL_ERROR: : Dynamic exception type: ... [CommentDescription*] = {token}"
    node.on("sendRawTransaction", _fail(-32603, message))
    with pytest.raises(cls) as info:
        _client(node).send_raw(b"\x01")
    assert info.value.node_message == message and info.value.code == -32603


def test_internal_error_without_token_stays_internal(node: FakeNode) -> None:
    node.on("sendRawTransaction", _fail(-32603, "INTERNAL_ERROR: : bad RLP"))
    with pytest.raises(InternalError) as info:
        _client(node).send_raw(b"\x01")
    assert type(info.value) is InternalError


@pytest.mark.parametrize(("code", "cls"), [(-40001, GroupNotExist), (-40006, CallNeedsFrom), (-40009, NotInGroup)])
def test_fisco_2x_codes_are_typed(node: FakeNode, code: int, cls: type) -> None:
    node.on("getBlockNumber", _fail(code, "x"))
    with pytest.raises(cls):
        _client(node).block_number()


def test_get_logs_scans_blocks_and_receipts(node: FakeNode) -> None:
    hashes = {3: ["0x" + "01" * 32], 4: [], 5: ["0x" + "02" * 32, "0x" + "03" * 32]}
    other = {"address": "0x" + "99" * 20, "topics": [TOPIC], "data": "0x"}
    mine = {"address": CONTRACT, "topics": [TOPIC, "0x" + "00" * 32], "data": "0x07"}

    template = v2_node().handlers["getBlockByNumber"]([])
    block_of = {h: n for n, hs in hashes.items() for h in hs}

    def block(params: list) -> dict:
        number = int(params[1], 16)
        return {**template, "number": hex(number), "hash": "0x" + f"{number:064x}", "transactions": hashes[number]}

    def receipt(params: list) -> dict:
        h = params[1]
        return v2_receipt(h, block_number=block_of[h], logs=[other, mine] if h.endswith("03") else [mine])

    node.on("getBlockByNumber", block).on("getTransactionReceipt", receipt)
    logs = _client(node).get_logs(3, 5, [CONTRACT], [TOPIC])
    assert [(log.block_number, log.transaction_hash) for log in logs] == [
        (3, "0x" + "01" * 32), (5, "0x" + "02" * 32), (5, "0x" + "03" * 32)]
    assert all(log.address == CONTRACT and log.data == b"\x07" for log in logs)
    assert [log.log_index for log in logs] == [0, 0, 2]  # index within the block, after the foreign log
    assert [log.transaction_index for log in logs] == [0, 0, 0]  # as the receipts report it
    assert logs[0].block_hash == "0x" + f"{3:064x}"
    none = _client(node).get_logs(3, 5, None, [None, "0x" + "11" * 32])
    assert none == []


def test_node_overview(node: FakeNode) -> None:
    o = _client(node).node_overview()
    assert (o.dialect, o.group, o.chain_id, o.version, o.sealers) == (Dialect.V2, 1, 1, "2.11.1", (NODE_ID,))


def test_a_hash_the_node_computes_differently_is_not_resent(node: FakeNode) -> None:
    from fisco_drugtrace.errors import BadResponseError

    signer = LocalSigner(KeyPair.generate(ECDSA))
    node.on("sendRawTransaction", "0x" + "99" * 32)
    with pytest.raises(BadResponseError, match="another crypto suite"):
        _client(node).send_transaction(signer, CONTRACT, b"", timeout=5)
    assert node.methods_called().count("sendRawTransaction") == 1
