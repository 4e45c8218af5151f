"""The Web3-compatible port, tested with web3.py itself (and Foundry's ``cast`` where the npm
package is installed): deploy and call through it, the same state as the FISCO port both ways,
the node's limits and refusals."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractLogicError

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.devchain.ethtx import eth_create_address
from fisco_drugtrace.drugtrace.suite import deploy_suite, suite_abi

from devchain_helpers import STORE, deploy3, result, rpc, selector, send3, set_call, tx3

ROOT = Path(__file__).resolve().parents[2]
CAST = ROOT / "node_modules" / ".bin" / "cast"
KEY = b"\x07" * 32


@pytest.fixture
def node() -> Iterator[tuple[DevChain, Web3, str]]:
    with DevChain(DevChainConfig()) as chain:
        handle = serve(chain.web3_port(), port=0)
        try:
            yield chain, Web3(Web3.HTTPProvider(handle.url)), handle.url
        finally:
            handle.stop()


def _send(w3: Web3, tx: dict, key: bytes = KEY) -> dict:
    signed = Account.from_key(key).sign_transaction(tx)
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=10)


def _deploy_store(w3: Web3, value: int = 42, key: bytes = KEY) -> tuple[str, dict]:
    me = Account.from_key(key).address
    factory = w3.eth.contract(abi=STORE["abi"], bytecode=STORE["bytecode"])
    tx = factory.constructor(value).build_transaction({"from": me, "nonce": w3.eth.get_transaction_count(me)})
    receipt = _send(w3, tx, key)
    assert receipt.status == 1
    return receipt.contractAddress, receipt


def test_web3py_deploys_and_calls_at_ethereums_create_address(node: tuple[DevChain, Web3, str]) -> None:
    chain, w3, _ = node
    assert w3.eth.chain_id == 20200 and w3.net.version == "20200"
    me = Account.from_key(KEY).address
    address, receipt = _deploy_store(w3)
    assert address.lower() == eth_create_address(me.lower(), 0)
    store = w3.eth.contract(address=address, abi=STORE["abi"])
    assert store.functions.value().call() == 42
    assert w3.eth.get_transaction_count(me) == 1
    tx = store.functions.set(7).build_transaction({"from": me, "nonce": 1})
    receipt = _send(w3, tx)
    assert receipt.status == 1 and store.functions.value().call() == 7
    event = store.events.Stored().process_receipt(receipt)[0]
    assert event.args["value"] == 7
    block = w3.eth.get_block(receipt.blockNumber, full_transactions=True)
    assert block.transactions[0]["hash"] == receipt.transactionHash
    assert block.timestamp == chain.chain.block(receipt.blockNumber).timestamp // 1000  # seconds, as the node
    assert w3.eth.get_transaction(receipt.transactionHash)["nonce"] == 1
    assert w3.eth.get_storage_at(address, 0) == (7).to_bytes(32, "big")
    with pytest.raises(ContractLogicError):
        store.functions.fail().call()


def test_a_legacy_eip155_transaction_is_accepted(node: tuple[DevChain, Web3, str]) -> None:
    _, w3, _ = node
    me = Account.from_key(KEY).address
    tx = {"nonce": 0, "gasPrice": 0, "gas": 3_000_000, "to": None, "value": 0, "chainId": 20200,
          "data": STORE["bytecode"] + "00" * 31 + "05"}
    tx.pop("to")
    receipt = _send(w3, tx)
    assert receipt.status == 1 and w3.eth.get_transaction(receipt.transactionHash)["type"] == 0
    assert receipt.contractAddress.lower() == eth_create_address(me.lower(), 0)


def test_the_fisco_suite_is_callable_through_the_web3_port_and_back(node: tuple[DevChain, Web3, str]) -> None:
    chain, w3, _ = node
    client = connect(Settings(chain_id="chain0"), handler=chain.handle_raw)
    regulator = LocalSigner(dev_keypairs(1)[0])
    root = keccak256(b"91110000WEB3ROOT")
    deployment = deploy_suite(client, regulator, root_org_id=root, region=110000, chain_id="chain0", group_id="group0")
    orgs_address = deployment.contracts["OrgRegistry"]
    orgs = w3.eth.contract(address=Web3.to_checksum_address(orgs_address), abi=suite_abi("OrgRegistry").entries)
    assert orgs.functions.rootOrg().call() == root  # deployed through FISCO, read through Web3
    assert orgs.functions.orgOf(Web3.to_checksum_address(regulator.address)).call() == root
    # written through Web3 by the regulator's key (a role-checked call), read through FISCO
    newcomer = keccak256(b"91110000WEB3ORG")
    me = Account.from_key(dev_keypairs(1)[0].private_key).address
    tx = orgs.functions.registerOrg(newcomer, 2, 110000, 0, bytes(32)).build_transaction(  # 2: provincial
        {"from": me, "nonce": w3.eth.get_transaction_count(me)})
    assert _send(w3, tx, dev_keypairs(1)[0].private_key).status == 1
    fisco_orgs = Contract(client, suite_abi("OrgRegistry").entries, orgs_address)
    assert fisco_orgs.call("orgCount") == 2 and fisco_orgs.call("getOrg", newcomer)[0] == 2
    # and the other way: deployed and written through Web3, read and written through FISCO
    address, receipt = _deploy_store(w3, 3)
    fisco_tx = result(chain, "getTransaction", ["group0", "", receipt.transactionHash.to_0x_hex(), False])
    assert fisco_tx["from"] == Account.from_key(KEY).address.lower()
    call = result(chain, "call", ["group0", "", address.lower(), "0x" + selector("value()").hex()])
    assert int(call["output"], 16) == 3
    assert send3(chain, tx3(chain, address.lower(), set_call(11)))["result"]["status"] == 0
    assert w3.eth.contract(address=address, abi=STORE["abi"]).functions.value().call() == 11
    # a FISCO transaction is visible on the Web3 port too
    fisco_deployed = deploy3(chain, 9)
    web3_receipt = w3.eth.get_transaction_receipt(fisco_deployed["transactionHash"])
    assert web3_receipt.contractAddress.lower() == fisco_deployed["contractAddress"]


def test_nonces_chain_ids_and_value_are_checked(node: tuple[DevChain, Web3, str]) -> None:
    _, w3, _ = node
    me = Account.from_key(KEY).address
    _deploy_store(w3)
    base = {"gas": 100_000, "maxFeePerGas": 0, "maxPriorityFeePerGas": 0, "to": me, "data": b"", "value": 0,
            "chainId": 20200, "type": 2}
    for nonce, word in ((0, "too low"), (5, "too high")):
        raw = Account.from_key(KEY).sign_transaction({**base, "nonce": nonce}).raw_transaction
        reply = w3.provider.make_request("eth_sendRawTransaction", [raw.to_0x_hex()])
        assert reply["error"]["code"] == -32603 and word in reply["error"]["message"], reply
    raw = Account.from_key(KEY).sign_transaction({**base, "nonce": 1, "chainId": 1}).raw_transaction
    assert w3.provider.make_request("eth_sendRawTransaction", [raw.to_0x_hex()])["error"]["code"] == -32602
    raw = Account.from_key(KEY).sign_transaction({**base, "nonce": 1, "value": 1}).raw_transaction
    assert "native coin" in w3.provider.make_request("eth_sendRawTransaction", [raw.to_0x_hex()])["error"]["message"]
    assert w3.provider.make_request("eth_sendRawTransaction", ["0x02c0"])["error"]["code"] == -32602


#: The node's table (FISCO-BCOS bcos-rpc/web3jsonrpc/endpoints/EndpointsMapping.cpp).
NODE_METHODS = """eth_protocolVersion eth_syncing eth_coinbase eth_chainId eth_mining eth_hashrate eth_gasPrice
eth_accounts eth_blockNumber eth_getBalance eth_getStorageAt eth_getTransactionCount
eth_getBlockTransactionCountByHash eth_getBlockTransactionCountByNumber eth_getUncleCountByBlockHash
eth_getUncleCountByBlockNumber eth_getCode eth_sign eth_sendTransaction eth_signTransaction eth_sendRawTransaction
eth_call eth_estimateGas eth_getBlockByHash eth_getBlockByNumber eth_getTransactionByHash
eth_getTransactionByBlockHashAndIndex eth_getTransactionByBlockNumberAndIndex eth_getTransactionReceipt
eth_getUncleByBlockHashAndIndex eth_getUncleByBlockNumberAndIndex eth_newFilter eth_newBlockFilter
eth_newPendingTransactionFilter eth_uninstallFilter eth_getFilterChanges eth_getFilterLogs eth_getLogs
eth_maxPriorityFeePerGas net_version net_peerCount net_listening web3_clientVersion web3_sha3""".split()


def test_envelope_limits_and_node_answers(node: tuple[DevChain, Web3, str]) -> None:
    chain, w3, _ = node
    port = chain.web3_port()
    # every method of the node's table is served, except the one the node itself answers MethodNotFound
    assert len(NODE_METHODS) == 44
    assert [m for m in NODE_METHODS if m not in port.table] == ["eth_protocolVersion"]
    assert port.handle({"jsonrpc": "2.0", "id": 1, "method": "web3_sha3", "params": ["0x"]})["result"] == \
        "0x" + keccak256(b"").hex()
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber", "params": []} for i in range(8)]
    assert [r["result"] for r in port.handle(batch)] == ["0x0"] * 8
    assert port.handle(batch + batch[:1])["error"]["code"] == -32600  # batch_request_size_limit = 8
    assert json.loads(port.handle_raw(b"{nope"))["error"]["code"] == -32700
    assert port.handle({"jsonrpc": "2.0", "id": "a", "method": "eth_protocolVersion"})["error"]["code"] == -32601
    assert port.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_accounts", "params": []})["result"] == []
    assert w3.eth.get_balance(Account.from_key(KEY).address) == 0
    assert port.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionReceipt",
                        "params": ["0x" + "11" * 32]})["result"] is None
    # request_body_size_limit: 10,240,000 bytes is answered, one byte more refused (also over HTTP)
    from fisco_drugtrace.devchain.web3rpc import WEB3_BODY_LIMIT

    request = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'
    assert WEB3_BODY_LIMIT == 10_240_000
    at_limit = request + b" " * (WEB3_BODY_LIMIT - len(request))
    assert json.loads(port.handle_raw(at_limit))["result"] == "0x0"
    assert json.loads(port.handle_raw(at_limit + b" "))["error"]["code"] == -32600
    over = w3.provider.make_request("eth_blockNumber", ["0x" + "00" * (WEB3_BODY_LIMIT // 2)])
    assert over["error"]["code"] == -32600 and "too large" in over["error"]["message"]


def test_impersonation_and_anvil_names_on_the_web3_port(node: tuple[DevChain, Web3, str]) -> None:
    chain, w3, _ = node
    address, _ = _deploy_store(w3)
    height = w3.eth.block_number
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    whale = Web3.to_checksum_address("0x" + "ee" * 20)
    assert "error" in w3.provider.make_request("eth_sendTransaction", [{"from": whale, "to": address}])
    w3.provider.make_request("anvil_impersonateAccount", [whale])
    store = w3.eth.contract(address=address, abi=STORE["abi"])
    tx_hash = store.functions.set(5).transact({"from": whale})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1 and receipt["from"].lower() == whale.lower()
    assert store.functions.value().call() == 5
    before = w3.eth.get_block("latest").timestamp
    w3.provider.make_request("evm_increaseTime", [3600])
    w3.provider.make_request("evm_mine", [])
    assert w3.eth.get_block("latest").timestamp >= before + 3600
    assert w3.provider.make_request("evm_revert", [snap])["result"] is True
    assert w3.eth.block_number == height and store.functions.value().call() == 42


@pytest.mark.skipif(not CAST.exists(), reason="Foundry's cast is not installed (npm @foundry-rs/cast-linux-amd64)")
def test_cast_deploys_sends_and_calls(node: tuple[DevChain, Web3, str]) -> None:
    _, w3, url = node

    def cast(*args: str) -> str:
        done = subprocess.run([str(CAST), args[0], "--rpc-url", url, *args[1:]], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    key = "0x" + KEY.hex()
    assert cast("chain-id") == "20200"
    created = json.loads(cast("send", "--private-key", key, "--json", "--create",
                              STORE["bytecode"] + "00" * 31 + "2a"))
    address = created["contractAddress"]
    assert cast("call", address, "value()(uint256)") == "42"
    cast("send", "--private-key", key, address, "set(uint256)", "9")
    cast("send", "--legacy", "--private-key", key, address, "set(uint256)", "10")
    assert cast("call", address, "value()(uint256)") == "10"
    assert w3.eth.contract(address=Web3.to_checksum_address(address), abi=STORE["abi"]).functions.value().call() == 10


def test_a_started_chain_serves_both_ports_on_one_state() -> None:
    from fisco_drugtrace.devchain import runner

    running = runner.start(runner.StartOptions(port=0, web3_port=0, web3_chain_id=1337))
    try:
        assert running.web3_server is not None
        w3 = Web3(Web3.HTTPProvider(running.web3_server.url))
        assert w3.eth.chain_id == 1337
        address, _ = _deploy_store(w3, 8)
        client = connect(Settings(chain_id="chain0", urls=(running.url,)))
        store = Contract(client, STORE["abi"], address.lower())
        assert store.call("value") == 8
        client.close()
    finally:
        running.close()


def test_logs_and_filters_through_web3py(node: tuple[DevChain, Web3, str]) -> None:
    _, w3, _ = node
    address, _ = _deploy_store(w3)
    store = w3.eth.contract(address=address, abi=STORE["abi"])
    log_filter = w3.eth.filter({"address": address})
    block_filter = w3.eth.filter("latest")
    receipt = _send(w3, store.functions.set(3).build_transaction({"from": Account.from_key(KEY).address,
                                                                   "nonce": 1}))
    changes = log_filter.get_new_entries()
    assert [c["transactionHash"] for c in changes] == [receipt.transactionHash]
    assert receipt.blockHash in block_filter.get_new_entries()
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": address})
    assert store.events.Stored().process_log(logs[-1]).args["value"] == 3
    assert w3.eth.get_block(receipt.blockNumber).logsBloom != bytes(256)  # the bloom has the log's bits


def test_web3_transactions_replay_on_a_restarted_data_dir(tmp_path: Path) -> None:
    me = Account.from_key(KEY).address
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        handle = serve(chain.web3_port(), port=0)
        try:
            w3 = Web3(Web3.HTTPProvider(handle.url))
            address, _ = _deploy_store(w3, 4)
            # an EIP-2930 (type 1) transaction too
            tx = w3.eth.contract(address=address, abi=STORE["abi"]).functions.set(6).build_transaction(
                {"from": me, "nonce": 1, "gasPrice": 0, "accessList": [], "type": 1})
            tx.pop("maxFeePerGas", None)
            tx.pop("maxPriorityFeePerGas", None)
            receipt = _send(w3, tx)
            assert receipt.status == 1 and w3.eth.get_transaction(receipt.transactionHash)["type"] == 1
        finally:
            handle.stop()
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        handle = serve(chain.web3_port(), port=0)
        try:
            w3 = Web3(Web3.HTTPProvider(handle.url))
            assert w3.eth.get_transaction_count(me) == 2  # nonces are state: rebuilt by the replay
            assert w3.eth.contract(address=address, abi=STORE["abi"]).functions.value().call() == 6
            assert w3.eth.get_transaction_receipt(receipt.transactionHash).status == 1
            again, _ = _deploy_store(w3, 1)
            assert again.lower() == eth_create_address(me.lower(), 2)
        finally:
            handle.stop()


HARDHAT = ROOT / "node_modules" / ".bin" / "hardhat"
_HARDHAT_SCRIPT = """
const hre = require("hardhat");
async function main() {
  const p = hre.network.provider;   // signs locally with the configured key, sends eth_sendRawTransaction
  const [from] = await p.request({ method: "eth_accounts" });
  const hash = await p.request({ method: "eth_sendTransaction", params: [{ from, data: process.env.STORE_CODE }] });
  const receipt = await p.request({ method: "eth_getTransactionReceipt", params: [hash] });
  const value = await p.request({ method: "eth_call", params: [{ to: receipt.contractAddress, data: "0x3fa4f245" }, "latest"] });
  console.log(JSON.stringify({ from, status: receipt.status, address: receipt.contractAddress, value }));
}
main().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.skipif(not HARDHAT.exists(), reason="Hardhat is not installed (npm ci installs the pinned devDependency)")
def test_hardhat_deploys_and_calls_through_the_web3_port(node: tuple[DevChain, Web3, str], tmp_path: Path) -> None:
    _, w3, url = node
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    (tmp_path / "hardhat.config.js").write_text(
        'module.exports = { networks: { fisco: { url: process.env.FISCO_WEB3_URL, accounts: ["0x%s"] } } };\n'
        % KEY.hex())
    (tmp_path / "deploy.js").write_text(_HARDHAT_SCRIPT)
    env = {**os.environ, "FISCO_WEB3_URL": url, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
           "STORE_CODE": "0x" + STORE["bytecode"] + "00" * 31 + "2a"}
    done = subprocess.run([str(HARDHAT), "run", "--network", "fisco", "deploy.js"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "0x1" and int(out["value"], 16) == 42
    assert out["address"].lower() == eth_create_address(Account.from_key(KEY).address.lower(), 0)
    assert w3.eth.contract(address=out["address"], abi=STORE["abi"]).functions.value().call() == 42


ETHERS = ROOT / "node_modules" / "ethers"
_ETHERS_SCRIPT = """
const { ethers } = require(process.env.ETHERS_PATH);
async function main() {
  // cacheTimeout -1: ethers otherwise answers a repeated eth_getTransactionCount from a 250 ms cache,
  // and a chain that seals in a millisecond has moved on by then (the same happens with Anvil)
  const provider = new ethers.JsonRpcProvider(process.env.FISCO_WEB3_URL, undefined,
                                              { staticNetwork: true, cacheTimeout: -1 });
  const wallet = new ethers.Wallet(process.env.KEY, provider);
  const store = JSON.parse(require("fs").readFileSync(process.env.STORE_JSON, "utf8"));
  const factory = new ethers.ContractFactory(store.abi, "0x" + store.bytecode, wallet);
  const contract = await factory.deploy(42);
  await contract.waitForDeployment();
  const tx = await contract.set(9);
  const receipt = await tx.wait();
  let reverted = false;
  try { await contract.fail(); } catch (e) { reverted = true; }
  console.log(JSON.stringify({ address: await contract.getAddress(), value: (await contract.value()).toString(),
                               status: receipt.status, reverted, chainId: (await provider.getNetwork()).chainId.toString() }));
}
main().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.skipif(not ETHERS.exists() or shutil.which("node") is None,
                    reason="ethers (npm devDependency) or node is not installed")
def test_ethers_deploys_calls_and_sees_reverts(node: tuple[DevChain, Web3, str], tmp_path: Path) -> None:
    _, w3, url = node
    (tmp_path / "deploy.js").write_text(_ETHERS_SCRIPT)
    env = {**os.environ, "FISCO_WEB3_URL": url, "KEY": "0x" + KEY.hex(), "ETHERS_PATH": str(ETHERS),
           "STORE_JSON": str(ROOT / "tests" / "devchain" / "data" / "Store.json")}
    done = subprocess.run(["node", "deploy.js"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"address": out["address"], "value": "9", "status": 1, "reverted": True, "chainId": "20200"}
    assert w3.eth.contract(address=out["address"], abi=STORE["abi"]).functions.value().call() == 9


def _web3_deploy_suite(w3: Web3, key: bytes, root: bytes, region: int) -> dict[str, str]:
    """The suite deployed and linked through the Web3 port alone (web3.py, EIP-1559 transactions),
    in ``deploy_suite``'s order with the same artifacts and constructor arguments."""
    from fisco_drugtrace.contracts.artifacts import load_artifact

    me = Account.from_key(key).address
    addresses: dict[str, str] = {}

    def deploy(name: str, *args: object) -> str:
        factory = w3.eth.contract(abi=suite_abi(name).entries, bytecode=load_artifact(name).bytecode)
        tx = factory.constructor(*args).build_transaction({"from": me, "nonce": w3.eth.get_transaction_count(me)})
        receipt = _send(w3, tx, key)
        assert receipt.status == 1, name
        addresses[name] = receipt.contractAddress
        return receipt.contractAddress

    def transact(name: str, fn: str, *args: object) -> None:
        contract = w3.eth.contract(address=addresses[name], abi=suite_abi(name).entries)
        tx = contract.get_function_by_name(fn)(*args).build_transaction(
            {"from": me, "nonce": w3.eth.get_transaction_count(me)})
        assert _send(w3, tx, key).status == 1, fn

    orgs = deploy("OrgRegistry", root, region, bytes(32))
    drugs = deploy("DrugRegistry", orgs)
    custody = deploy("CustodyLedger", orgs, drugs)
    obs = deploy("ObservationLog", orgs, drugs, custody)
    recalls = deploy("RecallManager", orgs, drugs, custody)
    transact("OrgRegistry", "linkSuite", drugs, custody, obs, recalls)
    deploy("ProcurementLedger", orgs, drugs, custody)
    transact("OrgRegistry", "linkProcurement", addresses["ProcurementLedger"])
    return {name: address.lower() for name, address in addresses.items()}


def test_the_suite_deployed_through_the_web3_port_runs_through_the_fisco_port(node: tuple[DevChain, Web3, str],
                                                                              tmp_path: Path) -> None:
    """The other direction of the issue's check: the drug-trace suite deployed by web3.py is
    attached to and used by the FISCO SDK (role checks as the FISCO signer), and what the FISCO
    port writes, a Web3 transaction builds on and the FISCO side reads again."""
    from fisco_drugtrace.drugtrace import AddressBook, OrgKind, TraceService
    from fisco_drugtrace.drugtrace.story import ACTORS

    chain, w3, _ = node
    regulator_key, manufacturer_key, stranger_key = dev_keypairs(3)
    nmpa, maker, distributor = ACTORS[0], ACTORS[1], ACTORS[2]
    deployed = _web3_deploy_suite(w3, regulator_key.private_key, nmpa.org_id, nmpa.region)
    # at Ethereum's CREATE addresses of the regulator's Web3 nonces (5 is linkSuite), not FISCO's rule
    assert [deployed[n] for n in ("OrgRegistry", "DrugRegistry", "ProcurementLedger")] == \
        [eth_create_address(regulator_key.address, n) for n in (0, 1, 6)]

    client = connect(Settings(chain_id="chain0"), handler=chain.handle_raw)
    regulator = TraceService(client, LocalSigner(regulator_key), AddressBook.in_home(tmp_path), home=tmp_path)
    attachment = regulator.attach(deployed["OrgRegistry"])
    assert attachment.deployment.contracts == deployed  # the links the Web3 transactions set
    assert all(check.matches for check in attachment.checks)  # this release's code, byte for byte
    assert attachment.root_org_id == nmpa.org_id
    # FISCO transactions on the Web3-deployed suite, as its root regulator
    regulator.register_org(maker.credit_code, maker.kind, maker.region, name=maker.name)
    regulator.bind_account(manufacturer_key.address, maker.credit_code)
    product = regulator.register_product("国药准字H20269999", "10 tablets", maker.org_id, min_temp=20, max_temp=80)
    manufacturer = regulator.with_signer(LocalSigner(manufacturer_key))
    assert manufacturer.get_product(product.product_id).mah_org_id == maker.org_id

    # read through Web3 what FISCO wrote
    orgs = w3.eth.contract(address=Web3.to_checksum_address(deployed["OrgRegistry"]),
                           abi=suite_abi("OrgRegistry").entries)
    assert orgs.functions.orgOf(Web3.to_checksum_address(manufacturer_key.address)).call() == maker.org_id
    assert orgs.functions.orgCount().call() == 2

    # a Web3 write passes (and fails) the suite's role checks as its signer
    def register_distributor(key: bytes) -> dict:
        me = Account.from_key(key).address
        tx = orgs.functions.registerOrg(distributor.org_id, int(OrgKind.DISTRIBUTOR), distributor.region, 0,
                                        bytes(32)).build_transaction(
            {"from": me, "nonce": w3.eth.get_transaction_count(me), "gas": 3_000_000})
        return _send(w3, tx, key)

    assert register_distributor(stranger_key.private_key).status == 0  # not a regulator: refused
    assert register_distributor(manufacturer_key.private_key).status == 0  # an organisation, not a regulator
    assert register_distributor(regulator_key.private_key).status == 1
    assert regulator.get_org(distributor.credit_code).kind is OrgKind.DISTRIBUTOR  # read back through FISCO
    assert [o.org_id for o in regulator.list_orgs()] == [nmpa.org_id, maker.org_id, distributor.org_id]
    regulator.close()
    client.close()


def test_governance_binds_web3_transactions_as_fisco_ones() -> None:
    """On a governed chain (``--auth``) the Web3 port's transactions pass the same ``checkAuth``:
    a deployment outside the white list and a frozen account's call fail (Ethereum status 0; the
    FISCO port's receipt of the same transaction has the node's status 18 / 22)."""
    from precompile_helpers import send

    admin, outsider = dev_keypairs(2)
    with DevChain(DevChainConfig(auth_admin=admin.address)) as chain:
        handle = serve(chain.web3_port(), port=0)
        try:
            w3 = Web3(Web3.HTTPProvider(handle.url))
            address, _ = _deploy_store(w3, 1, outsider.private_key)  # deploy type 0: anyone deploys
            committee = "0x0000000000000000000000000000000000010001"
            signer = LocalSigner(admin)
            assert send(chain, committee, "createSetDeployAuthTypeProposal(uint8,uint256)", 1, 100,
                        signer=signer)["status"] == 0
            me = Account.from_key(outsider.private_key).address
            factory = w3.eth.contract(abi=STORE["abi"], bytecode=STORE["bytecode"])
            tx = factory.constructor(2).build_transaction({"from": me, "nonce": w3.eth.get_transaction_count(me),
                                                           "gas": 3_000_000})
            refused = _send(w3, tx, outsider.private_key)
            assert refused.status == 0
            fisco = result(chain, "getTransactionReceipt", ["group0", "", refused.transactionHash.to_0x_hex(), False])
            assert fisco["status"] == 18
            accounts = "0x0000000000000000000000000000000000010003"
            assert send(chain, accounts, "setAccountStatus(address,uint8)", outsider.address, 1,
                        signer=signer)["status"] == 0
            store = w3.eth.contract(address=address, abi=STORE["abi"])
            frozen = _send(w3, store.functions.set(9).build_transaction(
                {"from": me, "nonce": w3.eth.get_transaction_count(me), "gas": 100_000}), outsider.private_key)
            assert frozen.status == 0 and store.functions.value().call() == 1
            fisco = result(chain, "getTransactionReceipt", ["group0", "", frozen.transactionHash.to_0x_hex(), False])
            assert fisco["status"] == 22
        finally:
            handle.stop()
