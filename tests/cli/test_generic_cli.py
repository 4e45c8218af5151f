"""Generic contract commands and chain reads (``call``/``send``/``deploy``, ``abi``, ``keccak``,
``selector``, ``tx get``/``tx decode``, ``receipt``, ``block``, ``logs``, ``code``, ``sysconfig``,
``node group``) on an in-process dev chain, through ``main()``: output, ``--json`` and exit codes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

import fisco_drugtrace.client as client_module
from fisco_drugtrace.cli.main import main
from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, write_dev_keystores

DATA = Path(__file__).resolve().parent / "data"
_REAL_CONNECT = client_module.connect  # before any fixture patches it
REGULATOR_CODE = "11100000000013127X"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("generic")
    chain = DevChain(DevChainConfig())
    accounts = write_dev_keystores(root / "accounts", count=3)
    real_connect = client_module.connect
    patch = pytest.MonkeyPatch()
    patch.setattr(client_module, "connect", lambda settings, handler=None: real_connect(
        settings, handler=chain.handle_raw))
    for key, value in {"FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD, "FISCO_ACCOUNT_DIR": str(root / "accounts"),
                       "FISCO_DRUGTRACE_HOME": str(root / "home"), "FISCO_RPC_URL": "http://127.0.0.1:9"}.items():
        patch.setenv(key, value)
    for key in ("FISCO_DRUGTRACE_CONFIG", "FISCO_ACCOUNT"):
        patch.delenv(key, raising=False)
    patch.chdir(root)
    yield {"root": root, "accounts": accounts, "chain": chain}
    patch.undo()
    chain.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------- offline tools
def test_keccak_and_selector_match_known_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "selector", "transfer(address,uint256)")[1].strip() == "0xa9059cbb"
    # names and return types do not change a selector
    assert run(capsys, "selector", "transfer(address to, uint256 amount)(bool)")[1].strip() == "0xa9059cbb"
    topic = run(capsys, "selector", "--event", "Transfer(address indexed,address indexed,uint256)")[1].strip()
    assert topic == "0x" + keccak256(b"Transfer(address,address,uint256)").hex()
    assert ok_json(capsys, "keccak", "")["keccak256"] == \
        "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    # hex is hashed as the bytes it spells
    assert run(capsys, "keccak", "0x68656c6c6f")[1] == run(capsys, "keccak", "hello")[1]


def test_abi_encode_decode_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    data = ok_json(capsys, "abi", "encode", "(uint256,string,address[])", "0x10", "药品", f"[0x{'ab' * 20}]")["data"]
    assert data.startswith("0x" + "00" * 31 + "10")
    values = ok_json(capsys, "abi", "decode", "(uint256,string,address[])", data)["values"]
    assert values == [16, "药品", ["0x" + "ab" * 20]]
    calldata = run(capsys, "abi", "encode", "transfer(address,uint256)", "0x" + "01" * 20, "5")[1].strip()
    assert calldata.startswith("0xa9059cbb") and len(calldata) == 2 + 2 * (4 + 64)
    assert ok_json(capsys, "abi", "decode", "--input", "transfer(address,uint256)", calldata)["values"] == \
        ["0x" + "01" * 20, 5]


@pytest.mark.parametrize("argv, needle", [
    (("abi", "encode", "(uint256)", "ten"), "'ten' is not an integer"),
    (("abi", "encode", "(uint8,bool)", "1"), "expected 2 value(s)"),
    (("abi", "encode", "(uint257)", "1"), "unknown type 'uint257'"),
    (("abi", "encode", "(address)", "0x1234"), "is not an address"),
    (("abi", "decode", "(uint256,string)", "0x01"), "does not decode"),
    (("selector", "no parens"), "not a function signature"),
    (("abi", "decode", "(uint256)", "0xZZ"), "hex"),
])
def test_bad_abi_input_is_a_usage_error(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                        needle: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and needle in err and "Traceback" not in err and err.count("\n") == 1


# --------------------------------------------------------------------------- a user's contract
@pytest.fixture(scope="module")
def counter(env: dict[str, Any]) -> dict[str, Any]:
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(["--account", "dev0", "deploy", str(DATA / "Counter.json"), "7", "--json"])
    assert code == 0
    return json.loads(buf.getvalue())


def test_deploy_artifact_then_call_and_send(env: dict[str, Any], counter: dict[str, Any],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    address = counter["address"]
    assert counter["contract"] == "Counter" and counter["block_number"] >= 1 and counter["compiler"] is None
    code, out, _ = run(capsys, "code", address)
    assert code == 0 and len(out.strip()) > 100
    assert run(capsys, "call", address, "count()(uint256)")[1].strip() == "7"

    sent = ok_json(capsys, "--account", "dev1", "send", address, "bump(uint256)", "5", "--abi",
                   str(DATA / "Counter.json"))
    (event,) = sent["events"]
    assert event["event"] == "Bumped" and event["args"]["newCount"] == 12
    assert event["args"]["by"] == env["accounts"][1].address.lower()
    got = ok_json(capsys, "call", address, "pair(uint256,string)(uint256 doubled,string echoed)", "21", "hi")
    assert got["results"] == {"doubled": 42, "echoed": "hi"}
    # with --abi the name is enough
    assert run(capsys, "call", address, "count", "--abi", str(DATA / "Counter.json"))[1].strip() == "12"

    # chain reads of that transaction: the calldata and event decode with --abi
    tx = ok_json(capsys, "tx", "get", sent["transaction_hash"], "--abi", str(DATA / "Counter.json"))
    assert tx["from"] == env["accounts"][1].address.lower() and tx["to"] == address
    assert tx["call"] == {"contract": "Counter", "function": "bump(uint256)", "args": {"by": 5}}
    receipt = ok_json(capsys, "receipt", sent["transaction_hash"], "--abi", str(DATA / "Counter.json"))
    assert receipt["result"] == "success" and receipt["events"][0]["event"] == "Bumped"
    block = ok_json(capsys, "block", str(sent["block_number"]), "--full")
    assert sent["transaction_hash"] in [t["hash"] for t in block["transactions"]]
    assert ok_json(capsys, "block", "latest")["number"] >= sent["block_number"]
    found = ok_json(capsys, "logs", "--address", address, "--topic", "Bumped(address,uint256,uint8)",
                    "--from", "0", "--abi", str(DATA / "Counter.json"))
    assert [e["args"]["newCount"] for e in found] == [12]
    assert ok_json(capsys, "logs", "--address", address, "--topic", "0x" + "00" * 32) == []
    # without the ABI the log is still listed, raw
    (raw,) = ok_json(capsys, "logs", "--address", address)
    assert raw["event"] is None and raw["topics"][0] == "0x" + keccak256(b"Bumped(address,uint256,uint8)").hex()


def test_send_revert_is_exit_5_with_the_error_decoded(env: dict[str, Any], counter: dict[str, Any],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--account", "dev0", "send", counter["address"], "bump(uint256)", "0", "--abi",
                       str(DATA / "Counter.json"))
    assert code == 5 and "CounterZeroStep(mode=0)" in err
    code, _, err = run(capsys, "call", counter["address"], "bump(uint256)(uint256)", "0", "--abi",
                       str(DATA / "Counter.json"))
    assert code == 5 and "CounterZeroStep" in err


def test_call_errors_are_usage_errors(env: dict[str, Any], counter: dict[str, Any],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "call", "0x1234", "count()(uint256)")
    assert code == 2 and "address" in err
    code, _, err = run(capsys, "call", counter["address"], "count")
    assert code == 2 and "give a signature" in err
    code, _, err = run(capsys, "call", counter["address"], "nosuch", "--abi", str(DATA / "Counter.json"))
    assert code == 2 and "no function 'nosuch'" in err
    code, _, err = run(capsys, "call", "0x" + "42" * 20, "count()(uint256)")
    assert code == 1 and "no contract code" in err
    code, _, err = run(capsys, "receipt", "0x1234")
    assert code == 2 and "transaction hash" in err
    code, _, err = run(capsys, "receipt", "0x" + "ab" * 32)
    assert code == 1 and "not found" in err
    code, _, err = run(capsys, "block", "soon")
    assert code == 2 and "not a block number" in err
    code, _, err = run(capsys, "logs", "--address", "0x12")
    assert code == 2 and "address" in err
    code, _, err = run(capsys, "logs", "--topic", "0x12")
    assert code == 2 and "topic" in err
    code, _, err = run(capsys, "logs", "--from", "9", "--to", "3")
    assert code == 2 and "after --to" in err
    code, _, err = run(capsys, "code", "nope")
    assert code == 2


def test_deploy_a_solidity_file_says_which_compiler_ran(env: dict[str, Any], capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    from fisco_drugtrace.contracts.compiler import find_compiler
    from fisco_drugtrace.errors import CompilerNotFound

    try:
        compiler = find_compiler()
    except CompilerNotFound as exc:
        pytest.skip(f"no Solidity compiler: {exc}")
    for name in ("Counter.sol", "CounterTypes.sol"):
        shutil.copy(DATA / name, tmp_path / name)
    code, out, err = run(capsys, "--account", "dev0", "deploy", str(tmp_path / "Counter.sol"), "3")
    assert code == 0, err
    assert f"compiled Counter.sol with {compiler.kind} {compiler.version}" in err
    address = next(line.split()[-1] for line in out.splitlines() if line.startswith("address"))
    assert run(capsys, "call", address, "count()(uint256)")[1].strip() == "3"
    (tmp_path / "Broken.sol").write_text("pragma solidity 0.8.11; contract B { function f() { } }")
    code, _, err = run(capsys, "--account", "dev0", "deploy", str(tmp_path / "Broken.sol"))
    assert code == 1 and "error" in err


# --------------------------------------------------------------------------- the suite's ABIs are known
def test_suite_transactions_decode_without_an_abi(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    dep = ok_json(capsys, "--account", "dev0", "contracts", "deploy", "--org-code", REGULATOR_CODE, "--region",
                  "110000")
    orgs = dep["contracts"]["OrgRegistry"]
    ok_json(capsys, "--account", "dev0", "org", "register", "91110000MA01HXPH1K", "--kind", "MANUFACTURER",
            "--region", "110000")
    found = ok_json(capsys, "logs", "--address", orgs)
    named = [e for e in found if e["event"] == "OrgRegistered"]
    # the root (national regulator) and the manufacturer, enums by name with the number beside
    assert [(e["args"]["kind"], e["args"]["kind_value"]) for e in named] == [("REGULATOR_NATIONAL", 1),
                                                                             ("MANUFACTURER", 3)]
    tx_hash = named[-1]["transaction_hash"]
    tx = ok_json(capsys, "tx", "get", tx_hash)
    assert tx["call"]["contract"] == "OrgRegistry" and tx["call"]["function"].startswith("registerOrg(")
    assert tx["call"]["args"]["kind"] == "MANUFACTURER" and tx["call"]["args"]["kind_value"] == 3

    # a reverted suite transaction: its receipt names the error, enums by name, and a hint
    code, _, err = run(capsys, "--account", "dev2", "org", "register", "91330000MA27XYZ12Q", "--kind", "pharmacy",
                       "--region", "330000")
    assert code == 5 and "Hint:" in err
    head = ok_json(capsys, "block", "latest")
    last = head["transaction_hashes"][-1]
    receipt = ok_json(capsys, "receipt", last)
    assert receipt["result"] == "reverted by the contract"
    assert receipt["revert"]["error"] == "OrgRegistryUnknownAccount" and "org bind" in receipt["revert"]["hint"]


def test_sysconfig_and_group(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert int(run(capsys, "sysconfig", "tx_count_limit")[1].strip()) > 0
    group = ok_json(capsys, "node", "group")
    assert group["group_id"] == "group0" and group["crypto"] == "ecdsa_secp256k1" and len(group["nodes"]) == 1


def test_tx_decode_also_decodes_the_calldata(capsys: pytest.CaptureFixture[str]) -> None:
    """Offline: a signed 3.x transaction calling the suite's OrgRegistry.registerOrg decodes to the
    function and its arguments (enum by name); with --abi, a user's contract's call does too."""
    from fisco_drugtrace.accounts import LocalSigner
    from fisco_drugtrace.crypto import ECDSA
    from fisco_drugtrace.crypto.keys import KeyPair
    from fisco_drugtrace.drugtrace.suite import suite_abi
    from fisco_drugtrace.encoding.abi import ContractAbi
    from fisco_drugtrace.encoding.tx_v3 import encode_transaction, new_transaction_data, sign_transaction

    signer = LocalSigner(KeyPair.from_private_key(b"\x01" * 32, ECDSA))
    calldata = suite_abi("OrgRegistry").encode_call("registerOrg", [b"\x11" * 32, 6, 330000, 0, b"\x00" * 32])

    def signed(to: str, data: bytes) -> str:
        tx = new_transaction_data(chain_id="chain0", group_id="group0", block_number=1, to=to, input=data)
        return "0x" + encode_transaction(sign_transaction(tx, signer)).hex()

    out = ok_json(capsys, "tx", "decode", signed("0x" + "22" * 20, calldata))
    assert out["sender"] == signer.address and out["call"]["contract"] == "OrgRegistry"
    assert out["call"]["function"].startswith("registerOrg(")
    assert (out["call"]["args"]["kind"], out["call"]["args"]["kind_value"]) == ("PHARMACY", 6)

    counter = ContractAbi(json.loads((DATA / "Counter.json").read_text())["abi"])
    raw = signed("0x" + "33" * 20, counter.encode_call("bump", [9]))
    assert ok_json(capsys, "tx", "decode", raw)["call"] is None  # not a suite call, no --abi
    assert ok_json(capsys, "tx", "decode", raw, "--abi", str(DATA / "Counter.json"))["call"] == {
        "contract": "Counter", "function": "bump(uint256)", "args": {"by": 9}}


def test_chain_reads_on_a_2x_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The same commands against a FISCO BCOS 2.x dev chain (RLP transactions, group 1)."""
    chain = DevChain(DevChainConfig(dialect="v2"))
    try:
        write_dev_keystores(tmp_path / "accounts", count=1)
        monkeypatch.setattr(client_module, "connect", lambda settings, handler=None: _REAL_CONNECT(
            settings, handler=chain.handle_raw))
        for key, value in {"FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD, "FISCO_ACCOUNT_DIR": str(tmp_path / "accounts"),
                           "FISCO_DRUGTRACE_HOME": str(tmp_path / "home"), "FISCO_RPC_URL": "http://127.0.0.1:9",
                           "FISCO_DIALECT": "v2", "FISCO_GROUP": "1"}.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("FISCO_CHAIN_ID", raising=False)
        deployed = ok_json(capsys, "--account", "dev0", "deploy", str(DATA / "Counter.json"), "4")
        sent = ok_json(capsys, "--account", "dev0", "send", deployed["address"], "bump(uint256)", "1", "--abi",
                       str(DATA / "Counter.json"))
        assert run(capsys, "call", deployed["address"], "count()(uint256)")[1].strip() == "5"
        tx = ok_json(capsys, "tx", "get", sent["transaction_hash"], "--abi", str(DATA / "Counter.json"))
        assert tx["call"]["function"] == "bump(uint256)"
        receipt = ok_json(capsys, "receipt", sent["transaction_hash"], "--abi", str(DATA / "Counter.json"))
        assert receipt["result"] == "success" and receipt["events"][0]["event"] == "Bumped"
        block = ok_json(capsys, "block", str(sent["block_number"]), "--full")
        assert [t["hash"] for t in block["transactions"]] == [sent["transaction_hash"]]
        assert [e["event"] for e in ok_json(capsys, "logs", "--address", deployed["address"], "--abi",
                                            str(DATA / "Counter.json"))] == ["Bumped"]
        assert int(run(capsys, "sysconfig", "tx_count_limit")[1]) > 0
        group = ok_json(capsys, "node", "group")
        assert group["groups"] and group["crypto"] == "ecdsa_secp256k1" and group["sealers"]
    finally:
        chain.close()


def test_sdk_bindings_name_event_enums_too(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """Not only the CLI: a suite binding's events carry named enums (ints that print as names)."""
    from fisco_drugtrace.contracts.binding import Contract
    from fisco_drugtrace.drugtrace.suite import suite_abi
    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import load_settings

    code, out, _ = run(capsys, "contracts", "status", "--json")
    dep = json.loads(out) if code == 0 else ok_json(capsys, "--account", "dev0", "contracts", "deploy", "--org-code",
                                                     REGULATOR_CODE, "--region", "110000")
    client = connect(load_settings(None))
    orgs = Contract(client, suite_abi("OrgRegistry"), dep["contracts"]["OrgRegistry"])
    events = orgs.get_events(0, client.block_number(), "OrgRegistered")
    assert events and str(events[0].args["kind"]) == "REGULATOR_NATIONAL" and events[0].args["kind"] == 1
