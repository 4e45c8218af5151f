"""The peer run of ``bench_devchain.py``: Anvil, Hardhat Network and Ganache against our dev chain,
the same pre-signed contract call from N sender processes over keep-alive HTTP.

Each system answers once the transaction is mined: ours (FISCO ``sendTransaction``) returns the
committed receipt; Hardhat Network (automine) and Ganache (``--miner.instamine eager``) mine
inside ``eth_sendRawTransaction`` before answering; Anvil answers ``eth_sendRawTransaction`` at
admission and mines right after (automine), so its sender asks ``eth_getTransactionReceipt`` on
the same connection until the receipt is there (``anvil``). For reference: ``anvil-async`` (the
admission answer alone, not mined) and ``anvil-sync`` (Anvil's ``eth_sendRawTransactionSync``,
EIP-7966, which waits for the block itself but measured far slower here). Every sender process has its own key and
sends its own transactions in nonce order, one at a time, on one connection.

The peers are the npm packages pinned in ``package-lock.json`` (``npm ci``):
``@foundry-rs/anvil-linux-amd64``, ``hardhat``, ``ganache``. A peer that is not installed is
reported as skipped, never silently left out.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlparse

from eth_account import Account
from eth_abi import encode

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.drugtrace.suite import ZERO32, deploy_suite, suite_abi
from fisco_drugtrace.encoding.abi import ContractAbi
from fisco_drugtrace.types import CallResult, Log, Receipt

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "node_modules" / ".bin"
STORE = json.loads((ROOT / "tests" / "devchain" / "data" / "Store.json").read_text())
KIND = {"MANUFACTURER": 3, "DISTRIBUTOR": 4, "LOGISTICS": 5}
FUNDS = 10**30
GWEI = 10**9

__all__ = ["PEERS", "Peer", "start_peer", "prepare", "presign_eth", "run_eth_senders", "summarise"]


def _org(label: str) -> bytes:
    return keccak256(f"91110000BENCH{label}".encode())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Peer:
    name: str
    url: str
    process: subprocess.Popen
    send_method: str
    workdir: Path | None = None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _rpc(url: str, method: str, params: list, timeout: float = 60) -> Any:
    parsed = urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request("POST", "/", json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
                     {"Content-Type": "application/json"})
        reply = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"peer exited with {process.returncode}")
        try:
            _rpc(url, "eth_chainId", [], timeout=2)
            return
        except (OSError, RuntimeError, ValueError):
            time.sleep(0.2)
    raise RuntimeError(f"peer at {url} did not answer within {timeout}s")


def _anvil(port: int) -> tuple[list[str], Path | None]:
    return [str(BIN / "anvil"), "--port", str(port), "--host", "127.0.0.1", "--quiet",
            "--disable-code-size-limit"], None


def _hardhat(port: int) -> tuple[list[str], Path | None]:
    work = Path(tempfile.mkdtemp(prefix="bench-hardhat-"))
    (work / "hardhat.config.js").write_text(
        "module.exports = { networks: { hardhat: { allowUnlimitedContractSize: true, "
        "mining: { auto: true }, loggingEnabled: false } } };\n")
    (work / "node_modules").symlink_to(ROOT / "node_modules")
    return [str(BIN / "hardhat"), "node", "--hostname", "127.0.0.1", "--port", str(port)], work


def _ganache(port: int) -> tuple[list[str], Path | None]:
    return [str(BIN / "ganache"), "--server.host", "127.0.0.1", "--server.port", str(port), "--logging.quiet",
            "--miner.instamine", "eager", "--chain.allowUnlimitedContractSize", "--wallet.totalAccounts", "1"], None


#: name -> (command maker, binary that must exist, how transactions are sent)
PEERS: dict[str, tuple[Callable[[int], tuple[list[str], Path | None]], str, str]] = {
    # Anvil answers eth_sendRawTransaction at admission; the sender then asks for the receipt on
    # the same connection until it is there (automine: at once), so the call ends once mined
    "anvil": (_anvil, "anvil", "eth_sendRawTransaction+receipt"),
    # for reference: Anvil's own synchronous send (EIP-7966), and its answer at admission alone
    "anvil-sync": (_anvil, "anvil", "eth_sendRawTransactionSync"),
    "anvil-async": (_anvil, "anvil", "eth_sendRawTransaction"),
    "hardhat": (_hardhat, "hardhat", "eth_sendRawTransaction"),
    "ganache": (_ganache, "ganache", "eth_sendRawTransaction"),
}


def start_peer(name: str) -> Peer | None:
    """Start one peer on a free loopback port; ``None`` when its npm package is not installed."""
    make, binary, method = PEERS[name]
    if not (BIN / binary).exists():
        return None
    port = _free_port()
    argv, work = make(port)
    process = subprocess.Popen(argv, cwd=work or ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    peer = Peer(name, url, process, method, work)
    try:
        _wait_ready(url, process)
    except BaseException:
        peer.stop()
        raise
    return peer


class EthSetupClient:
    """Just enough of :class:`FiscoClient` (send, call, code) over Ethereum JSON-RPC for
    ``deploy_suite`` and the bindings to set a peer up (not timed)."""

    def __init__(self, url: str, keys: dict[str, bytes]) -> None:
        self.url = url
        self.keys = keys  # address -> private key
        self.chain_id = int(_rpc(url, "eth_chainId", []), 16)

    def send_transaction(self, signer: Any, to: str | None, data: bytes, *, abi: str = "", timeout: float = 60) -> Receipt:
        sender = signer.address
        nonce = int(_rpc(self.url, "eth_getTransactionCount", [sender, "pending"]), 16)
        tx = {"type": 2, "chainId": self.chain_id, "nonce": nonce, "gas": 15_000_000, "maxFeePerGas": 100 * GWEI,
              "maxPriorityFeePerGas": GWEI, "value": 0, "data": data}
        if to:
            tx["to"] = _checksum(to)
        raw = Account.from_key(self.keys[sender]).sign_transaction(tx).raw_transaction
        tx_hash = _rpc(self.url, "eth_sendRawTransaction", ["0x" + bytes(raw).hex()])
        deadline = time.monotonic() + timeout
        while (got := _rpc(self.url, "eth_getTransactionReceipt", [tx_hash])) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no receipt for {tx_hash}")
            time.sleep(0.02)
        ok = int(got["status"], 16) == 1
        logs = tuple(Log(l["address"].lower(), tuple(bytes.fromhex(t[2:]) for t in l["topics"]),
                         bytes.fromhex(l["data"][2:])) for l in got["logs"])
        return Receipt(tx_hash, int(got["blockNumber"], 16), 0 if ok else 16, "None" if ok else "RevertInstruction",
                       int(got["gasUsed"], 16), b"", logs,
                       got["contractAddress"].lower() if got.get("contractAddress") else None, sender, to)

    def call(self, to: str, data: bytes, *, sender: str | None = None) -> CallResult:
        out = _rpc(self.url, "eth_call", [{"to": _checksum(to), "data": "0x" + data.hex()}, "latest"])
        return CallResult(0, bytes.fromhex(out[2:]), 0)

    def get_code(self, address: str) -> bytes:
        return bytes.fromhex(_rpc(self.url, "eth_getCode", [_checksum(address), "latest"])[2:])


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address
    return to_checksum_address(address)


class _Key:
    def __init__(self, key: bytes) -> None:
        self.address = Account.from_key(key).address.lower()


def prepare(peer: Peer, workload: str, sender_keys: Sequence[bytes]) -> tuple[str, bytes]:
    """Fund the senders and deploy the workload's contract(s); returns (to, call data)."""
    admin = b"\x5a" * 32
    keys = {Account.from_key(k).address.lower(): k for k in [admin, *sender_keys]}
    setter = {"anvil": "anvil_setBalance", "hardhat": "hardhat_setBalance", "ganache": "evm_setAccountBalance"}
    for address in keys:
        _rpc(peer.url, setter[peer.name.split("-")[0]], [_checksum(address), hex(FUNDS)])
    client = EthSetupClient(peer.url, keys)
    if workload == "set":
        receipt = client.send_transaction(_Key(admin), None, bytes.fromhex(STORE["bytecode"]) + encode(["uint256"], [1]))
        assert receipt.ok and receipt.contract_address
        return receipt.contract_address, _set_call(7)
    return _prepare_dispatch(client, _Key(admin), [_Key(k) for k in sender_keys])


def _set_call(value: int) -> bytes:
    return keccak256(b"set(uint256)")[:4] + encode(["uint256"], [value])


def _prepare_dispatch(client: EthSetupClient, regulator: _Key, senders: list[_Key]) -> tuple[str, bytes]:
    """The bench's dispatch set-up on an Ethereum peer (timestamps in seconds there): the suite, three
    orgs, every sender bound to the manufacturer, a product, a released batch."""
    from fisco_drugtrace.contracts.binding import Contract

    deployment = deploy_suite(client, regulator, root_org_id=_org("ROOT"), region=110000, chain_id="eth",
                              group_id="eth")
    c = deployment.contracts
    orgs = Contract(client, suite_abi("OrgRegistry").entries, c["OrgRegistry"], signer=regulator)
    drugs = Contract(client, suite_abi("DrugRegistry").entries, c["DrugRegistry"], signer=regulator)
    for label, kind in KIND.items():
        orgs.transact("registerOrg", _org(label), kind, 110000, 0, ZERO32)
    for s in senders:
        orgs.transact("bindAccount", s.address, _org("MANUFACTURER"))
    drugs.transact("registerProduct", "国药准字H20249999", "10片/盒", _org("MANUFACTURER"), 2, 8, ZERO32)
    product_id = keccak256(encode(["string", "string"], ["国药准字H20249999", "10片/盒"]))
    now = int(time.time())
    day = 86_400
    maker = senders[0]
    as_maker = Contract(client, suite_abi("DrugRegistry").entries, c["DrugRegistry"], signer=maker)
    as_maker.transact("commitBatch", product_id, "BENCH-1", now - day, now + 700 * day, 10_000_000,
                      keccak256(b"root"), ZERO32)
    batch_id = keccak256(encode(["bytes32", "string"], [product_id, "BENCH-1"]))
    for signer, point, subject, steps in ((maker, 1, product_id, 1), (regulator, 1, product_id, 1),
                                          (maker, 2, batch_id, 0), (maker, 6, batch_id, 0)):
        Contract(client, suite_abi("ObservationLog").entries, c["ObservationLog"], signer=signer).transact(
            "recordObservation", point, subject, 0, 0, 0, steps, ZERO32)
    assert as_maker.transact("releaseBatch", batch_id, ZERO32).receipt.ok
    abi = ContractAbi(suite_abi("CustodyLedger").entries)
    return c["CustodyLedger"], abi.encode_call("dispatch", [batch_id, _org("DISTRIBUTOR"), _org("LOGISTICS"), 1,
                                                            ZERO32])


def presign_eth(peer: Peer, keys: Sequence[bytes], to: str, data: bytes, per_sender: int) -> list[list[bytes]]:
    """Per sender, ``per_sender`` signed EIP-1559 calls in nonce order, as JSON-RPC bodies."""
    chain_id = int(_rpc(peer.url, "eth_chainId", []), 16)
    out = []
    for key in keys:
        account = Account.from_key(key)
        nonce = int(_rpc(peer.url, "eth_getTransactionCount", [account.address, "pending"]), 16)
        bodies = []
        for i in range(per_sender):
            raw = account.sign_transaction({"type": 2, "chainId": chain_id, "nonce": nonce + i, "gas": 1_000_000,
                                            "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": GWEI, "value": 0,
                                            "to": _checksum(to), "data": data}).raw_transaction
            method = peer.send_method.split("+")[0]
            bodies.append(json.dumps({"jsonrpc": "2.0", "id": i, "method": method,
                                      "params": ["0x" + bytes(raw).hex()]}).encode())
        out.append(bodies)
    return out


def run_eth_senders(url: str, per_sender: Sequence[Sequence[bytes]], check: str) -> tuple[float, list[float]]:
    """Send each list from its own process (one keep-alive connection each); (elapsed, latencies).
    The senders come from :mod:`_senders` (a forkserver), not forked from this process."""
    from _senders import run_senders

    return run_senders(url, per_sender, check)


def summarise(label: str, senders: int, elapsed: float, latencies: list[float]) -> dict[str, Any]:
    lat = sorted(latencies)
    row = {"system": label, "senders": senders, "txs": len(lat), "tx_per_s": round(len(lat) / elapsed),
           "p50_ms": round(statistics.median(lat) * 1000, 2), "p99_ms": round(lat[max(int(len(lat) * 0.99) - 1, 0)] * 1000, 2)}
    return row
