"""The SDK's whole RPC surface as reusable test classes (the eth-tester conformance pattern).

A subclass provides one class-scoped fixture, ``chain``, returning a :class:`ChainUnderTest`
(the connected client plus what the chain should say about itself). Every test here then runs
against it: the embedded dev chain over real HTTP in both dialects, or a real FISCO BCOS node.

The suites deploy the small ``Probe`` contract (``Probe.sol``) and use fresh random keys: FISCO
chains without permission checks accept transactions from any key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import ClientV2, ClientV3, FiscoClient
from fisco_drugtrace.client.records import (
    Block, BlockHeader, ClientVersion, ConsensusStatus, GroupInfo, GroupList, GroupOperationResult, NodeInfo,
    NodeInfoV2, NodeOverview, PeersInfo, SealerInfo, SyncStatus, SystemConfig, TotalTransactionCount,
    TransactionRecord,
)
from fisco_drugtrace.contracts import Contract
from fisco_drugtrace.crypto.ecdsa import ECDSA, keccak256
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.encoding import tx_v2, tx_v3
from fisco_drugtrace.errors import (
    MethodNotFound,
    BlockLimitCheckFailed, ContractRevert, InvalidChainId, ReceiptTimeout, RpcError, TransactionRejected,
)
from fisco_drugtrace.types import Dialect, Log, Receipt
from tests.conformance.probe import PROBE_INITIAL, load_probe

__all__ = ["ChainUnderTest", "Deployed", "NeutralConformance", "V3Conformance", "V2Conformance"]


@dataclass
class ChainUnderTest:
    """What a conformance subclass hands to the suite."""

    client: FiscoClient
    chain_id: str | int | None = None  # expected chain id (None = whatever the node says)


@dataclass
class Deployed:
    """A Probe deployed by ``owner`` plus one ``store`` transaction made after it."""

    probe: Contract
    owner: LocalSigner
    deploy_receipt: Receipt
    store_receipt: Receipt


def _signer() -> LocalSigner:
    return LocalSigner(KeyPair.generate(ECDSA))


def _wait_for_block_after(client: FiscoClient, number: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = client.block_number()
        if current > number:
            return current
        time.sleep(0.05)
    raise AssertionError(f"no block after {number} within {timeout} s")


class NeutralConformance:
    """The dialect-neutral FiscoClient surface (used by bindings, the service and auditors)."""

    @pytest.fixture(scope="class")
    @classmethod
    def client(cls, chain: ChainUnderTest) -> FiscoClient:
        return chain.client

    @pytest.fixture(scope="class")
    @classmethod
    def deployed(cls, client: FiscoClient) -> Deployed:
        owner = _signer()
        probe = Contract.deploy(client, load_probe(), PROBE_INITIAL, signer=owner, timeout=30)
        assert probe.deploy_receipt is not None
        stored = probe.transact("store", 7, "conformance", timeout=30)
        return Deployed(probe, owner, probe.deploy_receipt, stored.receipt)

    def test_identity_matches_the_chain(self, chain: ChainUnderTest, client: FiscoClient) -> None:
        ident = client.identity()
        assert ident.dialect is client.dialect
        assert ident.group_id == client.group
        if chain.chain_id is not None:
            assert ident.chain_id == chain.chain_id
        expected_type = str if client.dialect is Dialect.V3 else int
        assert isinstance(ident.chain_id, expected_type) and isinstance(ident.group_id, expected_type)

    def test_block_number_grows_with_transactions(self, client: FiscoClient, deployed: Deployed) -> None:
        assert client.block_number() >= deployed.store_receipt.block_number > 0
        before = client.block_number()
        deployed.probe.transact("store", 8, "grow", timeout=30)
        assert client.block_number() > before or _wait_for_block_after(client, before) > before

    def test_deploy_gives_code_and_a_working_contract(self, client: FiscoClient, deployed: Deployed) -> None:
        assert deployed.deploy_receipt.ok and deployed.deploy_receipt.contract_address == deployed.probe.address
        assert len(client.get_code(deployed.probe.address)) > 100
        assert client.get_code("0x" + "00" * 19 + "77") == b""
        value, owner = deployed.probe.call("pair")
        assert owner == deployed.owner.address and value >= 7

    def test_receipts_are_normalised(self, client: FiscoClient, deployed: Deployed) -> None:
        r = deployed.store_receipt
        assert r.ok and r.status == 0 and r.status_name == "None"
        assert r.transaction_hash.startswith("0x") and len(r.transaction_hash) == 66
        assert r.contract_address is None
        fetched = client.get_receipt(r.transaction_hash)
        assert fetched is not None and fetched.transaction_hash == r.transaction_hash
        assert fetched.block_number == r.block_number and fetched.logs == r.logs
        (log,) = r.logs
        assert log.address == deployed.probe.address and log.topics[0] == keccak256(b"Stored(address,uint256,string)")
        assert client.get_receipt("0x" + "ee" * 32) is None

    def test_events_decode_from_receipts(self, deployed: Deployed) -> None:
        (event,) = deployed.probe.decode_receipt_events(deployed.store_receipt)
        assert (event.name, event.args) == ("Stored", {"writer": deployed.owner.address, "value": 7,
                                                       "note": "conformance"})

    def test_call_returns_status_output_and_block(self, client: FiscoClient, deployed: Deployed) -> None:
        data = deployed.probe.abi.encode_call("divide", [10, 5])
        result = client.call(deployed.probe.address, data)
        assert result.ok and int.from_bytes(result.output, "big") == 2 and result.block_number >= 1

    def test_sign_send_raw_and_wait(self, client: FiscoClient, deployed: Deployed) -> None:
        data = deployed.probe.abi.encode_call("tag", [b"\x01" * 32, "raw"])
        signed = client.sign_transaction(deployed.owner, deployed.probe.address, data)
        assert client.send_raw(signed.raw) == signed.tx_hash
        receipt = client.wait_for_receipt(signed.tx_hash, timeout=30)
        assert receipt.ok and receipt.transaction_hash == signed.tx_hash
        assert deployed.probe.decode_receipt_events(receipt)[0].args == {"tag": b"\x01" * 32, "label": "raw"}

    def test_resending_the_same_bytes_is_refused_as_known(self, client: FiscoClient, deployed: Deployed) -> None:
        data = deployed.probe.abi.encode_call("tag", [b"\x02" * 32, "twice"])
        signed = client.sign_transaction(deployed.owner, deployed.probe.address, data)
        client.send_raw(signed.raw)
        client.wait_for_receipt(signed.tx_hash, timeout=30)
        with pytest.raises(TransactionRejected) as info:
            client.send_raw(signed.raw)
        assert info.value.reason in ("AlreadyInTxPool", "TxAlreadyInChain", "NonceCheckFail")

    def test_custom_error_revert_is_decoded(self, deployed: Deployed) -> None:
        stranger = _signer()
        with pytest.raises(ContractRevert) as info:
            deployed.probe.transact("store", 1, "no", signer=stranger, timeout=30)
        assert info.value.error_name == "ProbeNotOwner"
        assert info.value.args == {"caller": stranger.address, "code": 7}
        assert info.value.receipt is not None and info.value.receipt.status_name == "RevertInstruction"

    def test_failed_calls_decode_error_string_and_panic(self, deployed: Deployed) -> None:
        with pytest.raises(ContractRevert) as info:
            deployed.probe.call("fail", "nope")
        assert (info.value.error_name, info.value.args) == ("Error", {"message": "nope"})
        with pytest.raises(ContractRevert) as panic:
            deployed.probe.call("divide", 1, 0)
        assert (panic.value.error_name, panic.value.args) == ("Panic", {"code": 0x12})

    def test_get_logs_filters_by_address_and_topics(self, client: FiscoClient, deployed: Deployed) -> None:
        n = deployed.store_receipt.block_number
        topic = keccak256(b"Stored(address,uint256,string)")
        logs = client.get_logs(deployed.deploy_receipt.block_number, n, [deployed.probe.address], [topic])
        assert all(isinstance(log, Log) and log.address == deployed.probe.address for log in logs)
        values = [deployed.probe.abi.decode_log(log).args["value"] for log in logs]  # type: ignore[union-attr]
        assert values[:1] == [PROBE_INITIAL] and 7 in values
        assert any(log.transaction_hash == deployed.store_receipt.transaction_hash for log in logs)
        seven = client.get_logs(0, n, [deployed.probe.address], [topic, None, (7).to_bytes(32, "big")])
        assert [deployed.probe.abi.decode_log(log).args["note"] for log in seven] == ["conformance"]  # type: ignore[union-attr]
        assert client.get_logs(0, n, ["0x" + "00" * 19 + "99"], None) == []
        events = deployed.probe.get_events(0, n, "Stored")
        assert [e.args["value"] for e in events][:2] == [PROBE_INITIAL, 7]

    def test_block_hash_matches_the_block(self, client: FiscoClient, deployed: Deployed) -> None:
        n = deployed.store_receipt.block_number
        h = client.get_block_hash(n)
        block = client.get_block_by_number(n)  # type: ignore[attr-defined]
        assert h == block.hash and deployed.store_receipt.transaction_hash in block.transaction_hashes

    def test_wrong_chain_id_is_refused(self, client: FiscoClient, deployed: Deployed) -> None:
        wrong: FiscoClient
        if isinstance(client, ClientV3):
            wrong = ClientV3(client.rpc, group=str(client.group), node=client.node, chain_id="not-this-chain")
        else:
            wrong = ClientV2(client.rpc, group=int(client.group), chain_id=int(client.identity().chain_id) + 1000)
        data = deployed.probe.abi.encode_call("tag", [b"\x03" * 32, "wrong chain"])
        with pytest.raises(InvalidChainId):
            wrong.send_transaction(deployed.owner, deployed.probe.address, data, timeout=10)

    def test_wait_for_an_unknown_hash_times_out(self, client: FiscoClient) -> None:
        with pytest.raises(ReceiptTimeout):
            client.wait_for_receipt("0x" + "ab" * 32, timeout=0.3, poll=0.1)

    def test_node_overview(self, client: FiscoClient) -> None:
        o = client.node_overview()
        assert isinstance(o, NodeOverview) and o.dialect is client.dialect and o.group == client.group
        assert o.block_number >= 0 and o.sealers and all(isinstance(s, str) and s for s in o.sealers)


class V3Conformance(NeutralConformance):
    """Every ClientV3 method against a 3.x chain."""

    def test_transactions_and_receipts(self, client: ClientV3, deployed: Deployed) -> None:
        tx = client.get_transaction(deployed.store_receipt.transaction_hash)
        assert isinstance(tx, TransactionRecord) and tx.hash == deployed.store_receipt.transaction_hash
        assert tx.to_address == deployed.probe.address and tx.from_address == deployed.owner.address
        assert tx.input == deployed.probe.abi.encode_call("store", [7, "conformance"])
        assert tx.chain_id == client.identity().chain_id and tx.group_id == client.group
        assert client.get_transaction("0x" + "ee" * 32) is None
        receipt = client.get_transaction_receipt(deployed.store_receipt.transaction_hash)
        assert receipt is not None and receipt.logs == deployed.store_receipt.logs

    def test_submit_transaction_answers_with_the_receipt(self, client: ClientV3, deployed: Deployed) -> None:
        data = deployed.probe.abi.encode_call("tag", [b"\x04" * 32, "submit"])
        signed = client.sign_transaction(deployed.owner, deployed.probe.address, data)
        receipt = client.submit_transaction(signed.raw)
        assert receipt.ok and receipt.transaction_hash == signed.tx_hash and receipt.block_number >= 1

    def test_block_limit_outside_the_window_is_refused(self, client: ClientV3, deployed: Deployed) -> None:
        ident = client.identity()
        stale = tx_v3.new_transaction_data(chain_id=str(ident.chain_id), group_id=str(ident.group_id),
                                           block_number=client.block_number(), to=deployed.probe.address,
                                           input=b"", block_limit_offset=5000)
        raw = tx_v3.encode_transaction(tx_v3.sign_transaction(stale, deployed.owner))
        with pytest.raises(BlockLimitCheckFailed) as info:
            client.submit_transaction(raw)
        assert info.value.code == 10001

    def test_blocks(self, client: ClientV3, deployed: Deployed) -> None:
        n = deployed.store_receipt.block_number
        header = client.get_block_by_number(n, only_header=True)
        assert isinstance(header, Block) and header.number == n and header.transaction_hashes == ()
        full = client.get_block_by_number(n, only_header=False, only_tx_hash=False)
        assert any(t.hash == deployed.store_receipt.transaction_hash for t in full.transactions)
        by_hash = client.get_block_by_hash(full.hash)
        assert by_hash.number == n and by_hash.hash == client.get_block_hash_by_number(n)
        assert client.get_block_number() >= n
        if n > 0:
            assert client.get_block_by_number(n).parent_hash == client.get_block_hash_by_number(n - 1)

    def test_code_and_abi(self, client: ClientV3, deployed: Deployed) -> None:
        assert client.get_code(deployed.probe.address)
        assert '"store"' in client.get_abi(deployed.probe.address)

    def test_consensus_and_nodes(self, client: ClientV3) -> None:
        sealers = client.get_sealer_list()
        assert sealers and all(isinstance(s, SealerInfo) and len(s.node_id) >= 64 for s in sealers)
        assert isinstance(client.get_observer_list(), tuple)
        assert {s.node_id for s in client.get_node_list_by_type("consensus_sealer")} == {s.node_id for s in sealers}
        assert client.get_pbft_view() >= 0 and client.get_pending_tx_size() >= 0
        consensus = client.get_consensus_status()
        assert isinstance(consensus, ConsensusStatus) and consensus.consensus_nodes
        sync = client.get_sync_status()
        assert isinstance(sync, SyncStatus) and sync.known_highest_number >= sync.block_number
        assert sync.block_number <= client.get_block_number()

    def test_system_config_and_counts(self, client: ClientV3, deployed: Deployed) -> None:
        cfg = client.get_system_config_by_key("tx_gas_limit")
        assert isinstance(cfg, SystemConfig) and int(cfg.value) >= 100_000 and cfg.block_number is not None
        count = client.get_total_transaction_count()
        assert isinstance(count, TotalTransactionCount) and count.transaction_count >= 2
        assert count.block_number >= deployed.store_receipt.block_number

    def test_groups_and_peers(self, client: ClientV3) -> None:
        peers = client.get_peers()
        assert isinstance(peers, PeersInfo) and peers.node_id
        assert isinstance(client.get_group_peers(), tuple)
        groups = client.get_group_list()
        assert isinstance(groups, GroupList) and client.group in groups.groups
        info = client.get_group_info()
        assert isinstance(info, GroupInfo) and info.group_id == client.group and info.chain_id == client.identity().chain_id
        assert client.group in [g.group_id for g in client.get_group_info_list()]
        node = client.get_group_node_info()
        assert isinstance(node, NodeInfo) and node.node_id

    def test_filters(self, client: ClientV3, deployed: Deployed) -> None:
        if not client.has_log_methods():  # a 3.0-3.8 node: no filter methods at all
            for call in (lambda: client.new_filter("latest", "latest", [deployed.probe.address], []),
                         client.new_block_filter, client.new_pending_transaction_filter,
                         lambda: client.get_logs_page(0, 1), lambda: client.get_filter_changes(1)):
                with pytest.raises(MethodNotFound):
                    call()
            return
        log_filter = client.new_filter("latest", "latest", [deployed.probe.address], [])
        block_filter = client.new_block_filter()
        pending_filter = client.new_pending_transaction_filter()
        assert len({log_filter, block_filter, pending_filter}) == 3
        stored = deployed.probe.transact("store", 9, "filtered", timeout=30)
        changes = client.get_filter_changes(log_filter)
        assert any(isinstance(c, Log) and c.transaction_hash == stored.tx_hash for c in changes)
        blocks = client.get_filter_changes(block_filter)
        assert blocks and all(isinstance(b, str) and len(b) == 66 for b in blocks)
        assert isinstance(client.get_filter_changes(pending_filter), tuple)
        assert isinstance(client.get_filter_logs(log_filter), tuple)
        assert client.uninstall_filter(log_filter) is True
        assert client.uninstall_filter(block_filter) is True and client.uninstall_filter(pending_filter) is True

    def test_signed_call_runs_as_the_signer(self, client: ClientV3, deployed: Deployed) -> None:
        """3.4+: ``call`` with a signature runs as the recovered sender (``store`` is owner-only)."""
        version = client.node_version()
        if version is not None and version < (3, 4, 0):
            pytest.skip(f"signed calls need FISCO BCOS 3.4+, the node is {version}")
        data = deployed.probe.abi.encode_call("store", [5, "as owner"])
        assert client.call_signed(deployed.owner, deployed.probe.address, data).ok
        assert not client.call(deployed.probe.address, data).ok  # unsigned: address zero, not the owner
        assert not client.call_signed(_signer(), deployed.probe.address, data).ok

    def test_node_version_and_log_reading(self, client: ClientV3, deployed: Deployed) -> None:
        """The SDK learns the node's version; logs read from blocks and receipts are exactly
        the logs ``getLogs`` gives (where the node has it), and ``get_logs`` answers on every version."""
        version = client.node_version()
        assert version is not None and version[0] == 3
        assert client.has_log_methods() is (version >= (3, 9, 0))
        deployed.probe.transact("store", 11, "scanned", timeout=30)
        head = client.block_number()
        first = deployed.deploy_receipt.block_number
        scanned = client.scan_logs(first, head, [deployed.probe.address])
        assert scanned and client.get_logs(first, head, [deployed.probe.address]) == scanned
        if client.has_log_methods():
            assert client.get_logs(first, head) == client.scan_logs(first, head)


class V2Conformance(NeutralConformance):
    """Every ClientV2 method against a 2.x chain."""

    def test_version_and_node(self, client: ClientV2) -> None:
        v = client.get_client_version()
        assert isinstance(v, ClientVersion) and v.chain_id == client.identity().chain_id and v.version
        node = client.get_node_info()
        assert isinstance(node, NodeInfoV2) and node.node_id
        assert all(isinstance(p, NodeInfoV2) for p in client.get_peers())
        assert client.get_node_id_list()[0] == node.node_id
        assert isinstance(client.get_group_peers(), tuple)
        assert client.group in client.get_group_list().groups
        assert isinstance(client.query_peers(), tuple)
        assert client.rpc_modules()

    def test_consensus(self, client: ClientV2) -> None:
        sealers = client.get_sealer_list()
        assert sealers and all(len(s) == 128 for s in sealers)
        assert isinstance(client.get_observer_list(), tuple)
        assert client.get_pbft_view() >= 0
        consensus = client.get_consensus_status()
        assert isinstance(consensus, ConsensusStatus) and consensus.node_id
        sync = client.get_sync_status()
        assert isinstance(sync, SyncStatus) and sync.block_number <= client.get_block_number()
        try:
            epoch = client.get_epoch_sealers_list()
        except RpcError as exc:  # only rPBFT chains have epochs; PBFT answers -40009
            assert exc.code == -40009
        else:
            assert isinstance(epoch, tuple)

    def test_blocks_headers_and_transactions(self, client: ClientV2, deployed: Deployed) -> None:
        r = deployed.store_receipt
        block = client.get_block_by_number(r.block_number, include_transactions=True)
        assert any(t.hash == r.transaction_hash for t in block.transactions)
        assert client.get_block_by_hash(block.hash).number == r.block_number
        header = client.get_block_header_by_number(r.block_number)
        assert isinstance(header, BlockHeader) and header.hash == block.hash
        assert client.get_block_header_by_hash(block.hash, include_signatures=True).number == r.block_number
        assert client.get_block_hash_by_number(r.block_number) == block.hash
        tx = client.get_transaction_by_hash(r.transaction_hash)
        assert isinstance(tx, TransactionRecord) and tx.block_number == r.block_number
        assert tx.from_address == deployed.owner.address and tx.to_address == deployed.probe.address
        index = block.transaction_hashes.index(r.transaction_hash)
        assert client.get_transaction_by_block_hash_and_index(block.hash, index).hash == r.transaction_hash
        assert client.get_transaction_by_block_number_and_index(r.block_number, index).hash == r.transaction_hash
        assert client.get_transaction_by_hash("0x" + "ee" * 32) is None
        assert isinstance(client.get_pending_transactions(), tuple) and client.get_pending_tx_size() >= 0

    def test_proofs_and_batch_receipts(self, client: ClientV2, deployed: Deployed) -> None:
        r = deployed.store_receipt
        with_proof = client.get_transaction_by_hash_with_proof(r.transaction_hash)
        assert with_proof is not None and with_proof.transaction.hash == r.transaction_hash
        receipt_proof = client.get_transaction_receipt_by_hash_with_proof(r.transaction_hash)
        assert receipt_proof is not None and receipt_proof.receipt.transaction_hash == r.transaction_hash
        batch = client.get_batch_receipts_by_block_number_and_range(r.block_number)
        assert r.transaction_hash in [x.transaction_hash for x in batch.receipts]
        assert client.get_batch_receipts_by_block_hash_and_range(batch.block_hash, 0, 1).receipts[0].block_number == r.block_number
        compressed = client.get_batch_receipts_by_block_number_and_range(r.block_number, compress=True)
        assert [x.transaction_hash for x in compressed.receipts] == [x.transaction_hash for x in batch.receipts]

    def test_counts_and_config(self, client: ClientV2, deployed: Deployed) -> None:
        count = client.get_total_transaction_count()
        assert count.transaction_count >= 2 and count.block_number >= deployed.store_receipt.block_number
        assert int(client.get_system_config_by_key("tx_count_limit").value) >= 1

    def test_send_raw_variants(self, client: ClientV2, deployed: Deployed) -> None:
        for send in (client.send_raw_transaction, client.send_raw_transaction_and_get_proof):
            data = deployed.probe.abi.encode_call("tag", [keccak256(repr(send).encode()), "v2"])
            signed = client.sign_transaction(deployed.owner, deployed.probe.address, data)
            assert send(signed.raw) == signed.tx_hash
            assert client.wait_for_receipt(signed.tx_hash, timeout=30).ok

    def test_block_limit_outside_the_window_is_refused(self, client: ClientV2, deployed: Deployed) -> None:
        ident = client.identity()
        stale = tx_v2.new_transaction_v2(chain_id=int(ident.chain_id), group_id=int(ident.group_id),
                                         block_number=client.block_number(), to=deployed.probe.address, data=b"",
                                         block_limit_offset=5000)
        with pytest.raises(BlockLimitCheckFailed):
            client.send_raw_transaction(tx_v2.encode_signed_v2(tx_v2.sign_transaction_v2(stale, deployed.owner)))

    def test_group_administration_answers(self, client: ClientV2) -> None:
        status = client.query_group_status(int(client.group))
        assert isinstance(status, GroupOperationResult) and status.status == "RUNNING"
        start = client.start_group(int(client.group))
        assert isinstance(start, GroupOperationResult) and not start.ok  # already running
        created = client.generate_group(int(client.group), int(time.time() * 1000), list(client.get_sealer_list()))
        assert not created.ok  # the group already exists
        missing = 32000
        for operation in (client.stop_group, client.remove_group, client.recover_group):
            try:
                answer = operation(missing)
            except RpcError:
                continue  # dynamic groups disabled / unknown group: a typed node error
            assert isinstance(answer, GroupOperationResult) and not answer.ok
        for operation2 in (client.add_peers, client.erase_peers):
            try:
                peers_answer = operation2(["127.0.0.1:1"])
            except RpcError:
                continue
            assert isinstance(peers_answer, GroupOperationResult)


