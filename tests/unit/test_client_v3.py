"""ClientV3 against a fake 3.x node: every method, typed records, transactions, error mapping."""

from __future__ import annotations

import json

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import ClientV3
from fisco_drugtrace.client.error_maps import map_error_v3
from fisco_drugtrace.client.records import (
    Block, ConsensusStatus, GroupInfo, NodeInfo, PeersInfo, SealerInfo, SyncStatus, TransactionRecord,
)
from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.encoding import tx_v3
from fisco_drugtrace.errors import (
    AlreadyInChain, AlreadyInTxPool, BadResponseError, BlockLimitCheckFailed, ConnectError, GroupNotFound,
    InvalidChainId, LedgerError, MalformedTransaction, NonceCheckFailed, ReceiptTimeout, RpcError,
    TransactionHashMismatch, TransactionRejected,
)
from fisco_drugtrace.rpc import InProcessTransport, JsonRpc, RetryPolicy
from fisco_drugtrace.types import Dialect
from tests.fakes import (
    BLOCK_HASH, CONTRACT, NODE_ID, NODE_ID_2, TOPIC, TX_HASH, FakeNode, RpcFailure, v3_node, v3_receipt,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _client(node: FakeNode, **kwargs: object) -> ClientV3:
    rpc = JsonRpc(InProcessTransport(node.handle_raw), map_error_v3, retry=RetryPolicy(attempts=1))
    clock = FakeClock()
    return ClientV3(rpc, group="group0", node="node0", sleep=clock.sleep, clock=clock, **kwargs)  # type: ignore[arg-type]


def _fail(code: int, message: str):  # noqa: ANN202
    def handler(params: list) -> None:
        raise RpcFailure(code, message)
    return handler


@pytest.fixture()
def node() -> FakeNode:
    return v3_node()


@pytest.fixture()
def signer() -> LocalSigner:
    return LocalSigner(KeyPair.generate(ECDSA))


def test_every_read_method_returns_typed_records(node: FakeNode) -> None:
    c = _client(node)
    assert c.get_block_number() == 5 and c.block_number() == 5
    assert c.call(CONTRACT, b"\x01").output[-1] == 0x2A
    tx = c.get_transaction(TX_HASH)
    assert isinstance(tx, TransactionRecord) and tx.hash == TX_HASH and tx.input == b"\xab\xcd"
    assert tx.block_limit == 505 and tx.chain_id == "chain0" and tx.import_time == 1700000000000
    receipt = c.get_transaction_receipt(TX_HASH)
    assert receipt is not None and receipt.logs[0].address == CONTRACT  # 0x added
    block = c.get_block_by_number(5)
    assert isinstance(block, Block) and block.number == 5 and block.transaction_hashes == (TX_HASH,)
    assert block.parent_hash == "0x" + "aa" * 32 and block.timestamp == 1700000000123
    assert c.get_block_by_hash(BLOCK_HASH).hash == BLOCK_HASH
    assert c.get_block_hash_by_number(5) == BLOCK_HASH == c.get_block_hash(5)
    assert c.get_code(CONTRACT) == b"\x60\x80"
    assert c.get_abi(CONTRACT) == "[]"
    assert c.get_sealer_list() == (SealerInfo(NODE_ID, 1, 1),)
    assert c.get_observer_list() == (NODE_ID_2,)
    assert c.get_node_list_by_type("consensus_sealer")[0].node_id == NODE_ID
    assert c.get_pbft_view() == 7
    assert c.get_pending_tx_size() == 0
    sync = c.get_sync_status()
    assert isinstance(sync, SyncStatus) and sync.node_id == NODE_ID and sync.peers[0].node_id == NODE_ID_2
    consensus = c.get_consensus_status()
    assert isinstance(consensus, ConsensusStatus) and consensus.view == 7 and consensus.consensus_nodes == (NODE_ID,)
    cfg = c.get_system_config_by_key("tx_gas_limit")
    assert (cfg.key, cfg.value, cfg.block_number) == ("tx_gas_limit", "3000000000", 0)
    total = c.get_total_transaction_count()
    assert (total.transaction_count, total.failed_transaction_count) == (9, 1)
    peers = c.get_peers()
    assert isinstance(peers, PeersInfo) and peers.peers[0].node_id == NODE_ID_2 and peers.groups["group0"] == (NODE_ID,)
    assert c.get_group_peers() == (NODE_ID, NODE_ID_2)
    assert c.get_group_list().groups == ("group0",)
    info = c.get_group_info()
    assert isinstance(info, GroupInfo) and info.chain_id == "chain0" and info.genesis_config == {"consensusType": "pbft"}
    assert c.get_group_info_list()[0].group_id == "group0"
    node_info = c.get_group_node_info()
    assert isinstance(node_info, NodeInfo) and node_info.version == "3.16.4" and node_info.chain_id == "chain0"
    assert c.new_block_filter() == 1 and c.new_pending_transaction_filter() == 2
    assert c.new_filter(0, 5, [CONTRACT], [TOPIC]) == 3
    assert c.get_filter_changes(3)[0].topics == (bytes.fromhex(TOPIC[2:]),)  # type: ignore[union-attr]
    assert c.get_filter_logs(3)[0].block_hash == BLOCK_HASH
    assert c.uninstall_filter(3) is True
    called = set(node.methods_called())
    assert called >= set(node.handlers) - {"sendTransaction", "getLogs"}


def test_params_carry_group_and_node(node: FakeNode) -> None:
    c = _client(node)
    c.get_block_number()
    c.call("0x" + "AB" * 20, b"\x01\x02")
    c.get_block_by_number(3, only_header=True)
    c.get_group_info()
    c.get_peers()
    c.uninstall_filter(10)
    assert node.calls == [
        ("getBlockNumber", ["group0", "node0"]),
        ("call", ["group0", "node0", "0x" + "ab" * 20, "0x0102"]),
        ("getBlockByNumber", ["group0", "node0", 3, True, True]),
        ("getGroupInfo", ["group0"]),
        ("getPeers", []),
        ("uninstallFilter", ["group0", "0xa"]),
    ]


def test_receipt_is_normalised(node: FakeNode) -> None:
    node.on("getTransactionReceipt", v3_receipt(status=16, output="0x08c379a0",
                                                contract_address="0x" + "56" * 20))
    r = _client(node).get_receipt(TX_HASH.upper().replace("0X", "0x"))
    assert r is not None
    assert (r.status, r.status_name, r.ok) == (16, "RevertInstruction", False)
    assert r.gas_used == 24363 and r.block_number == 5 and r.output == bytes.fromhex("08c379a0")
    assert r.contract_address == "0x" + "56" * 20
    assert r.logs[0].transaction_hash == TX_HASH and r.logs[0].data == b"\x01" and r.logs[0].log_index == 0


def test_unknown_receipt_is_none_both_ways(node: FakeNode) -> None:
    node.on("getTransactionReceipt", None)
    assert _client(node).get_receipt(TX_HASH) is None
    node.on("getTransactionReceipt", _fail(3008, "GetStorageError"))
    assert _client(node).get_receipt(TX_HASH) is None
    node.on("getTransactionReceipt", _fail(3001, "OpenDBFailed"))
    with pytest.raises(LedgerError):
        _client(node).get_receipt(TX_HASH)


def test_identity_is_read_from_group_info_once(node: FakeNode) -> None:
    c = _client(node)
    ident = c.identity()
    assert (ident.dialect, ident.chain_id, ident.group_id) == (Dialect.V3, "chain0", "group0")
    c.identity()
    assert node.methods_called().count("getGroupInfo") == 1


def test_configured_chain_id_needs_no_rpc(node: FakeNode) -> None:
    c = _client(node, chain_id="mychain")
    assert c.identity().chain_id == "mychain"
    assert node.calls == []


def test_send_transaction_builds_signs_and_uses_the_receipt_directly(node: FakeNode, signer: LocalSigner) -> None:
    seen: list[tx_v3.Transaction] = []

    def send(params: list) -> dict:
        assert params[:2] == ["group0", "node0"] and params[3] is False
        tx = tx_v3.decode_transaction(bytes.fromhex(params[2][2:]))
        seen.append(tx)
        assert tx_v3.recover_sender(tx, ECDSA) == signer.address
        return v3_receipt("0x" + tx.data_hash.hex())

    node.on("sendTransaction", send)
    c = _client(node)
    receipt = c.send_transaction(signer, CONTRACT, b"\xde\xad", abi="[]")
    (tx,) = seen
    assert tx.data.chain_id == "chain0" and tx.data.group_id == "group0"
    assert tx.data.block_limit == 5 + 500
    assert tx.data.to == CONTRACT and tx.data.input == b"\xde\xad" and tx.data.abi == "[]"
    assert len(tx.data.nonce) >= 16
    assert receipt.transaction_hash == "0x" + tx.data_hash.hex()
    assert "getTransactionReceipt" not in node.methods_called()  # no polling in 3.x


def test_nonces_differ_between_transactions(node: FakeNode, signer: LocalSigner) -> None:
    c = _client(node)
    a = tx_v3.decode_transaction(c.sign_transaction(signer, CONTRACT, b"").raw)
    b = tx_v3.decode_transaction(c.sign_transaction(signer, CONTRACT, b"").raw)
    assert a.data.nonce != b.data.nonce


def test_deploy_sends_empty_to(node: FakeNode, signer: LocalSigner) -> None:
    signed = _client(node).sign_transaction(signer, None, b"\x60\x80")
    assert tx_v3.decode_transaction(signed.raw).data.to == ""
    assert signed.tx_hash == "0x" + tx_v3.decode_transaction(signed.raw).data_hash.hex()


def test_send_retries_same_bytes_and_treats_already_in_pool_as_success(node: FakeNode, signer: LocalSigner) -> None:
    bodies: list[str] = []

    def first_drops(params: list) -> dict:
        bodies.append(params[2])
        raise RpcFailure(10004, "AlreadyInTxPool")

    node.on("sendTransaction", first_drops)
    inner = InProcessTransport(node.handle_raw)
    attempts = {"n": 0}

    class Flaky:
        url = "flaky://"

        def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
            if json.loads(body)["method"] == "sendTransaction":
                attempts["n"] += 1
                if attempts["n"] == 1:
                    bodies.append(json.loads(body)["params"][2])
                    raise ConnectError("connection reset", url=self.url)
            return inner.send(body, timeout=timeout)

        def close(self) -> None:
            pass

    clock = FakeClock()
    c = ClientV3(JsonRpc(Flaky(), map_error_v3, retry=RetryPolicy(attempts=1)), group="group0",
                 sleep=clock.sleep, clock=clock)
    receipt = c.send_transaction(signer, CONTRACT, b"\x01")
    assert len(bodies) == 2 and bodies[0] == bodies[1]  # the very same signed bytes
    assert receipt.transaction_hash == TX_HASH  # fetched with getTransactionReceipt
    assert "getTransactionReceipt" in node.methods_called()


def test_already_in_chain_on_first_attempt_is_an_error(node: FakeNode, signer: LocalSigner) -> None:
    node.on("sendTransaction", _fail(10005, "TxAlreadyInChain"))
    with pytest.raises(AlreadyInChain):
        _client(node).send_transaction(signer, CONTRACT, b"")


def test_send_gives_up_after_bounded_transport_failures(node: FakeNode, signer: LocalSigner) -> None:
    calls = {"n": 0}

    def down(params: list) -> dict:
        calls["n"] += 1
        raise ConnectionError  # never reached: the transport fails first

    class Down:
        url = "down://"

        def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
            if json.loads(body)["method"] == "sendTransaction":
                calls["n"] += 1
                raise ConnectError("refused", url=self.url)
            return node.handle_raw(body)

        def close(self) -> None:
            pass

    clock = FakeClock()
    c = ClientV3(JsonRpc(Down(), map_error_v3, retry=RetryPolicy(attempts=1)), group="group0",
                 sleep=clock.sleep, clock=clock)
    with pytest.raises(ConnectError):
        c.send_transaction(signer, CONTRACT, b"")
    assert calls["n"] == 3


def test_wait_for_receipt_times_out(node: FakeNode) -> None:
    node.on("getTransactionReceipt", None)
    c = _client(node)
    with pytest.raises(ReceiptTimeout) as info:
        c.wait_for_receipt(TX_HASH, timeout=1.0, poll=0.25)
    assert info.value.tx_hash == TX_HASH and info.value.timeout == 1.0
    sleeps = c._sleep.__self__.sleeps  # type: ignore[attr-defined]
    assert sleeps[:5] == [0.01, 0.02, 0.04, 0.08, 0.16]  # backoff from 10 ms ...
    assert max(sleeps) == 0.25 and sum(sleeps) == pytest.approx(1.0)  # ... capped at poll, until the deadline
    assert node.methods_called().count("getTransactionReceipt") == len(sleeps) + 1


def test_wait_for_receipt_returns_once_committed(node: FakeNode) -> None:
    answers = [None, None, v3_receipt()]
    node.on("getTransactionReceipt", lambda p: answers.pop(0))
    assert _client(node).wait_for_receipt(TX_HASH, timeout=5, poll=0.1).transaction_hash == TX_HASH


@pytest.mark.parametrize(
    ("code", "message", "cls", "reason"),
    [
        (10000, "NonceCheckFail", NonceCheckFailed, "NonceCheckFail"),
        (10001, "BlockLimitCheckFail", BlockLimitCheckFailed, "BlockLimitCheckFail"),
        (10004, "AlreadyInTxPool", AlreadyInTxPool, "AlreadyInTxPool"),
        (10005, "TxAlreadyInChain", AlreadyInChain, "TxAlreadyInChain"),
        (10006, "InvalidChainId", InvalidChainId, "InvalidChainId"),
        (10009, "RequestNotBelongToTheGroup", TransactionRejected, "RequestNotBelongToTheGroup"),
        (-1, "transaction hash mismatching, expected 0x1", TransactionHashMismatch, "TransactionHashMismatch"),
        (-1, "Chain ID mismatch!", InvalidChainId, "InvalidChainId"),
        (-1, "decode failed", MalformedTransaction, "Malformed"),
    ],
)
def test_send_errors_map_to_typed_rejections(node: FakeNode, code: int, message: str, cls: type, reason: str) -> None:
    node.on("sendTransaction", _fail(code, message))
    with pytest.raises(cls) as info:
        _client(node).send_raw(b"\x00")
    assert type(info.value) is cls
    assert info.value.node_message == message and info.value.code == code
    assert info.value.reason == reason


def test_minus_one_outside_send_is_a_plain_rpc_error(node: FakeNode) -> None:
    node.on("getCode", _fail(-1, "hash mismatch"))
    with pytest.raises(RpcError) as info:
        _client(node).get_code(CONTRACT)
    assert type(info.value) is RpcError


def test_unknown_group_is_group_not_found(node: FakeNode) -> None:
    node.on("getBlockNumber", _fail(-32005, "GroupNotExist"))
    with pytest.raises(GroupNotFound):
        _client(node).block_number()


def test_get_logs_sends_a_full_filter_and_filters_results(node: FakeNode) -> None:
    other = {"address": "0x" + "99" * 20, "topics": [TOPIC], "data": "0x", "logIndex": "0x1", "blockNumber": "0x5",
             "blockHash": BLOCK_HASH, "transactionIndex": "0x0", "transactionHash": TX_HASH, "removed": False}
    node.on("getLogs", lambda p: [node.handlers["getFilterLogs"]([])[0], other])
    logs = _client(node).get_logs(1, 5, [CONTRACT], [[TOPIC, "0x" + "00" * 32], None])
    assert [log.address for log in logs] == [CONTRACT]
    method, params = node.calls[-1]
    assert method == "getLogs" and params[0] == "group0"
    assert params[1] == {"fromBlock": "0x1", "toBlock": "0x5", "address": [CONTRACT],
                         "topics": [[TOPIC, "0x" + "00" * 32], None]}


def test_malformed_results_are_bad_responses(node: FakeNode) -> None:
    node.on("getBlockNumber", "five")
    with pytest.raises(BadResponseError):
        _client(node).get_block_number()
    node.on("getBlockHashByNumber", "0x1234")
    with pytest.raises(BadResponseError):
        _client(node).get_block_hash(1)


def test_node_overview_summarises_the_node(node: FakeNode) -> None:
    o = _client(node).node_overview()
    assert (o.block_number, o.chain_id, o.group, o.version) == (5, "chain0", "group0", "3.16.4")
    assert o.sealers == (NODE_ID,) and o.is_syncing is False and o.node_id == NODE_ID


def test_context_manager_closes() -> None:
    closed = []

    class T:
        url = "t://"

        def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
            return b""

        def close(self) -> None:
            closed.append(True)

    with ClientV3(JsonRpc(T()), group="group0"):
        pass
    assert closed == [True]


def test_tls_failure_while_sending_is_not_retried(node: FakeNode, signer: LocalSigner) -> None:
    from fisco_drugtrace.errors import TlsError

    attempts = {"n": 0}

    class Tls:
        url = "tls://"

        def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
            if json.loads(body)["method"] == "sendTransaction":
                attempts["n"] += 1
                raise TlsError("certificate refused", url=self.url)
            return node.handle_raw(body)

        def close(self) -> None:
            pass

    c = ClientV3(JsonRpc(Tls(), map_error_v3, retry=RetryPolicy(attempts=1)), group="group0", sleep=lambda s: None)
    with pytest.raises(TlsError):
        c.send_transaction(signer, CONTRACT, b"")
    assert attempts["n"] == 1
