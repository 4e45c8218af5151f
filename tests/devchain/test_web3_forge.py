"""Foundry's ``forge script`` deploys to and calls the dev chain through its Web3 port.

A tiny Foundry project in ``tmp_path`` (no forge-std: the ``vm`` cheatcodes through an interface at
the HEVM address) is compiled by solc 0.8.11 — a native ``solc`` 0.8.11 on PATH if there is one, else
``scripts/solc-solcjs``, the wrapper that serves forge's ``--version`` / ``--standard-json`` calls
with the pinned solcjs — and its script broadcast with ``forge script --broadcast`` to a dev chain
started with a Web3 port, as EIP-1559 and as legacy transactions. What it wrote is then read through
the FISCO port with the SDK (code, state, receipts, events) and through web3.py (Ethereum receipts).
"""

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

from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.devchain import dev_keypairs, runner
from fisco_drugtrace.devchain.ethtx import eth_create_address

ROOT = Path(__file__).resolve().parents[2]
FORGE = ROOT / "node_modules" / ".bin" / "forge"
SOLC_WRAPPER = ROOT / "scripts" / "solc-solcjs"
SOLCJS = ROOT / "node_modules" / "solc"

_STORE_SOL = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.11;

/// @notice A value only its deployer may set.
contract Store {
    address public immutable owner;
    uint256 public value;

    /// @notice `value` was set to `v` by `who`.
    event Set(address indexed who, uint256 v);
    /// @notice `who` is not the owner.
    error NotOwner(address who);

    constructor(uint256 v) {
        owner = msg.sender;
        value = v;
    }

    /// @notice Sets the value (owner only).
    function set(uint256 v) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        value = v;
        emit Set(msg.sender, v);
    }
}
"""

_SCRIPT_SOL = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.11;

import {Store} from "../src/Store.sol";

/// @notice The cheatcodes this script uses (forge-std's Vm, trimmed).
interface Vm {
    function envUint(string calldata name) external view returns (uint256);
    function addr(uint256 privateKey) external pure returns (address);
    function startBroadcast(uint256 privateKey) external;
    function stopBroadcast() external;
}

contract Deploy {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external returns (Store store) {
        uint256 key = vm.envUint("DEPLOYER_KEY");
        vm.startBroadcast(key);
        store = new Store(42);
        store.set(7);
        vm.stopBroadcast();
        require(store.value() == 7 && store.owner() == vm.addr(key), "not set by the deployer");
    }
}
"""


def _solc() -> str | None:
    """A native solc 0.8.11 on PATH, else the solcjs wrapper (None when neither can run)."""
    native = shutil.which("solc")
    if native is not None:
        done = subprocess.run([native, "--version"], capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and "Version: 0.8.11+" in done.stdout:
            return native
    if shutil.which("node") is not None and SOLCJS.exists():
        return str(SOLC_WRAPPER)
    return None


SOLC = _solc()


@pytest.fixture
def chain() -> Iterator[runner.RunningChain]:
    running = runner.start(runner.StartOptions(port=0, web3_port=0))
    try:
        yield running
    finally:
        running.close()


def _project(root: Path, solc: str) -> None:
    (root / "src").mkdir()
    (root / "script").mkdir()
    (root / "src" / "Store.sol").write_text(_STORE_SOL)
    (root / "script" / "Deploy.s.sol").write_text(_SCRIPT_SOL)
    (root / "foundry.toml").write_text(
        "[profile.default]\n"
        'src = "src"\nscript = "script"\nout = "out"\nlibs = []\n'
        f"solc = {json.dumps(solc)}\n"
        "offline = true\n"
        'evm_version = "istanbul"\n'
        "optimizer = true\noptimizer_runs = 200\n")


def test_the_solcjs_wrapper_answers_as_solc(tmp_path: Path) -> None:
    if shutil.which("node") is None or not SOLCJS.exists():
        pytest.skip("node or the pinned solcjs (npm solc@0.8.11) is not installed")
    version = subprocess.run([str(SOLC_WRAPPER), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0
    assert version.stdout.splitlines()[-1].startswith("Version: 0.8.11+commit.d7f03943")
    request = {"language": "Solidity", "sources": {"A.sol": {"content": 'import "./B.sol"; contract A is B {}'}},
               "settings": {"evmVersion": "istanbul", "outputSelection": {"*": {"*": ["abi"]}}}}
    (tmp_path / "B.sol").write_text("// SPDX-License-Identifier: MIT\npragma solidity 0.8.11;\n"
                                    "contract B { function b() external {} }\n")
    done = subprocess.run([str(SOLC_WRAPPER), "--base-path", str(tmp_path), "--standard-json"],
                          input=json.dumps(request), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [e for e in out.get("errors", []) if e["severity"] == "error"] == []
    assert [f["name"] for f in out["contracts"]["A.sol"]["A"]["abi"]] == ["b"]  # B.sol read from the base path
    # an import outside the base, include and allowed paths is refused, as native solc refuses it
    request["sources"]["A.sol"]["content"] = 'import "/etc/hostname";'
    done = subprocess.run([str(SOLC_WRAPPER), "--base-path", str(tmp_path), "--standard-json"],
                          input=json.dumps(request), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert any("not found" in e["message"] for e in json.loads(done.stdout)["errors"])
    refused = subprocess.run([str(SOLC_WRAPPER), "--bin", "A.sol"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "unsupported option --bin" in refused.stderr


@pytest.mark.skipif(not FORGE.exists(), reason="Foundry's forge is not installed (npm @foundry-rs/forge-linux-amd64)")
@pytest.mark.skipif(SOLC is None, reason="neither a native solc 0.8.11 nor node with the pinned solcjs is available")
@pytest.mark.parametrize("legacy", [False, True], ids=["eip1559", "legacy"])
def test_forge_script_deploys_and_calls_through_the_web3_port(chain: runner.RunningChain, tmp_path: Path,
                                                              legacy: bool) -> None:
    assert chain.web3_server is not None and SOLC is not None
    _project(tmp_path, SOLC)
    w3 = Web3(Web3.HTTPProvider(chain.web3_server.url))
    pair = dev_keypairs(1)[0]
    key = "0x" + pair.private_key.hex()
    me = Account.from_key(pair.private_key).address
    nonce = w3.eth.get_transaction_count(me)
    args = [str(FORGE), "script", "script/Deploy.s.sol:Deploy", "--rpc-url", chain.web3_server.url,
            "--broadcast", "--slow", "--private-key", key, *(["--legacy"] if legacy else [])]
    done = subprocess.run(args, cwd=tmp_path, env={**os.environ, "DEPLOYER_KEY": key, "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "ONCHAIN EXECUTION COMPLETE & SUCCESSFUL" in done.stdout

    run = json.loads((tmp_path / "broadcast" / "Deploy.s.sol" / "20200" / "run-latest.json").read_text())
    create, call = run["transactions"]
    assert (create["transactionType"], call["transactionType"]) == ("CREATE", "CALL")
    address = create["contractAddress"].lower()
    assert address == eth_create_address(me.lower(), nonce)  # Ethereum's CREATE address, the key's nonce

    # through web3.py: both Ethereum receipts, of the type forge was told to send, and forge's log
    # names each transaction by its own hash (without --slow, forge 1.7.1 may swap them: see the README)
    for tx in (create, call):
        assert w3.eth.get_transaction(tx["hash"]).nonce == int(tx["transaction"]["nonce"], 16)
        receipt = w3.eth.get_transaction_receipt(tx["hash"])
        assert receipt.status == 1 and receipt.type == (0 if legacy else 2)
        assert receipt["from"].lower() == me.lower()
    assert w3.eth.get_transaction_receipt(create["hash"]).contractAddress.lower() == address
    assert w3.eth.get_transaction_count(me) == nonce + 2

    # through the FISCO port with the SDK: forge's artifact binds, the code and the state are there
    artifact = json.loads((tmp_path / "out" / "Store.sol" / "Store.json").read_text())
    client = connect(Settings(chain_id="chain0", urls=(chain.url,)))
    try:
        # the runtime code forge compiled, byte for byte, with the immutable owner the constructor set
        expected = bytearray.fromhex(artifact["deployedBytecode"]["object"].removeprefix("0x"))
        (slots,) = artifact["deployedBytecode"]["immutableReferences"].values()
        for slot in slots:
            expected[slot["start"]:slot["start"] + slot["length"]] = bytes.fromhex(me[2:]).rjust(slot["length"], b"\0")
        assert client.get_code(address) == bytes(expected)
        store = Contract(client, artifact["abi"], address)
        assert store.call("value") == 7
        assert store.call("owner").lower() == me.lower()
        receipt = client.get_transaction_receipt(call["hash"])
        assert receipt is not None and receipt.ok and receipt.to_address is not None
        assert receipt.to_address.lower() == address
        (log,) = receipt.logs
        assert log.topics[0] == keccak256(b"Set(address,uint256)")
        assert int.from_bytes(log.data, "big") == 7
        deployed = client.get_transaction_receipt(create["hash"])
        assert deployed is not None and deployed.ok and str(deployed.contract_address).lower() == address
    finally:
        client.close()
