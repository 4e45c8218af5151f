"""The CLI against a dev chain over real HTTP on 127.0.0.1: the path a developer's shell takes.

Runs through ``main()`` (exit codes, one-line errors) with only environment variables pointing
it at the node, as ``chain-config/README.md`` tells users to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from fisco_drugtrace.cli.main import main
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, serve, write_dev_keystores

REGULATOR_CODE = "11100000000013127X"
MAKER_CODE = "91110000MA01HXPH1K"
PHARMACY_CODE = "92110000MA0KJPH4P"
CARRIER_CODE = "91310000MA1CLLG3M"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cli-http")
    chain = DevChain(DevChainConfig())
    handle = serve(chain, port=0)
    accounts = write_dev_keystores(root / "accounts", count=5)
    patch = pytest.MonkeyPatch()
    for key, value in {"FISCO_RPC_URL": handle.url, "FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD,
                       "FISCO_ACCOUNT_DIR": str(root / "accounts"), "FISCO_DRUGTRACE_HOME": str(root / "home")}.items():
        patch.setenv(key, value)
    for key in ("FISCO_DRUGTRACE_CONFIG", "FISCO_ACCOUNT", "FISCO_GROUP", "FISCO_CHAIN_ID", "FISCO_DIALECT"):
        patch.delenv(key, raising=False)
    patch.chdir(root)
    yield {"url": handle.url, "accounts": accounts, "root": Path(root)}
    patch.undo()
    handle.stop()
    chain.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_node_info_over_http(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "node", "info", "--json")
    info = json.loads(out)
    assert code == 0
    assert (info["dialect"], info["group"], info["chain_id"]) == ("v3", "group0", "chain0")
    assert info["url"] == node["url"] and isinstance(info["block_number"], int)
    assert info["is_syncing"] is False and len(info["sealers"]) == 1


def test_deploy_onboard_and_read_back_over_http(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--account", "dev0", "contracts", "deploy", "--org-code", REGULATOR_CODE,
                         "--region", "110000", "--json")
    assert code == 0, err
    contracts = json.loads(out)["contracts"]
    assert set(contracts) == {"OrgRegistry", "DrugRegistry", "CustodyLedger", "ObservationLog", "RecallManager",
                              "ProcurementLedger"}

    maker = node["accounts"][1].address
    assert run(capsys, "--account", "dev0", "org", "register", MAKER_CODE, "--kind", "manufacturer",
               "--region", "110000")[0] == 0
    assert run(capsys, "--account", "dev0", "org", "bind", maker, MAKER_CODE)[0] == 0
    code, out, _ = run(capsys, "org", "of", maker, "--json")
    assert code == 0 and json.loads(out)["kind"] == "MANUFACTURER"

    # the status read goes to the chain: every contract has code there
    code, out, _ = run(capsys, "contracts", "status", "--json")
    status = json.loads(out)
    assert code == 0 and all(status["code_present"].values()) and status["org_count"] == 2


def test_contract_revert_over_http_is_one_decoded_line(node: dict[str, Any],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # dev2 is bound to no organisation: the registry refuses it, and the CLI names the error
    code, out, err = run(capsys, "--account", "dev2", "org", "register", "91330000MA27XYZ12Q", "--kind", "pharmacy",
                         "--region", "330000")
    assert code == 5
    error, hint = err.splitlines()
    assert error.startswith("Error: reverted: OrgRegistryUnknownAccount(")
    assert node["accounts"][2].address.lower() in error.lower()
    assert hint.startswith("Hint: ") and "org bind" in hint


def test_a_node_that_is_down_is_exit_code_3(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--rpc-url", "http://127.0.0.1:9", "node", "info")
    assert code == 3 and "Connection refused" in err and "Traceback" not in err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_every_command_group_over_http(node: dict[str, Any], capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """One pass over every group of issue 16 against the HTTP node: the operator flow with its
    release gate, names beside numbers, the duplicate-dispense exit code, the generic commands and
    chain reads, and the usage errors."""
    from fisco_drugtrace.drugtrace.story import story_codes

    root: Path = node["root"]
    maker, pharmacy, carrier = (a.address for a in node["accounts"][1:2] + node["accounts"][3:5])
    if run(capsys, "org", "of", maker)[0] != 0:  # this test may run alone
        test_deploy_onboard_and_read_back_over_http(node, capsys)
    for code_, kind, who in ((PHARMACY_CODE, "PHARMACY", "dev3"), (CARRIER_CODE, "LOGISTICS", "dev4")):
        assert run(capsys, "--account", "dev0", "org", "register", code_, "--kind", kind, "--region", "110000")[0] == 0
        assert run(capsys, "--account", "dev0", "org", "bind", who, code_)[0] == 0  # by account name

    # product and batch: a bad code file lists every problem, exit 2
    product = ok(capsys, "--account", "dev0", "product", "register", "--approval", "国药准字H20260001", "--spec",
                 "12 片", "--mah", MAKER_CODE, "--min-temp", "20", "--max-temp", "80")
    assert product["approval_number"] == "国药准字H20260001"
    pid = product["product_id"]
    codes = story_codes(10)
    (root / "bad.txt").write_text(f"{codes[0]}\nxyz\n{codes[0]}\n")
    code, _, err = run(capsys, "--account", "dev1", "batch", "register", str(root / "bad.txt"), "--product", pid,
                       "--lot", "H-1", "--produced", "2026-01-01", "--expires", "2030-01-01")
    assert code == 2 and "2 problem(s)" in err and "line 2: 'xyz'" in err
    (root / "codes.txt").write_text("".join(c + "\n" for c in codes))
    b = ok(capsys, "--account", "dev1", "batch", "register", str(root / "codes.txt"), "--product", pid, "--lot",
           "H-1", "--produced", "2026-01-01", "--expires", "2030-01-01")["batch_id"]

    # the release gate: refused with the commands that meet it, --record-gate writes nothing until approved
    code, _, err = run(capsys, "--account", "dev1", "batch", "release", b, "--record-gate")
    assert code == 1 and "nothing was recorded" in err and "observe PROCESS_DEFINITION" in err
    ok(capsys, "--account", "dev1", "observe", "PROCESS_DEFINITION", pid, "--max", "2", "--evidence", "SOP v1")
    approved = ok(capsys, "--account", "dev0", "observe", "PROCESS_DEFINITION", pid, "--max", "2", "--evidence", "SOP v1")
    assert (approved["point"], approved["point_value"]) == ("PROCESS_DEFINITION", 1)
    assert ok(capsys, "--account", "dev1", "batch", "release", b, "--record-gate")["state"] == "LISTED"

    # custody and the duplicate-dispense exit code
    shipment = ok(capsys, "--account", "dev1", "ship", b, "--to", PHARMACY_CODE, "--carrier", CARRIER_CODE, "-n", "4")
    code, _, err = run(capsys, "--account", "dev1", "ship", b, "--to", "NOSUCHORG", "--carrier", CARRIER_CODE,
                       "-n", "1")
    assert code == 1 and "'NOSUCHORG'" in err
    ok(capsys, "--account", "dev3", "receive", str(shipment["shipment_id"]))
    assert run(capsys, "--account", "dev3", "dispense", codes[0])[0] == 0
    code, _, err = run(capsys, "--account", "dev3", "dispense", codes[0])
    assert code == 9 and "DuplicateDispense" in err
    assert run(capsys, "verify", codes[0])[0] == 1 and run(capsys, "verify", codes[1])[0] == 0

    # names beside numbers: a revert, the trace JSON
    code, _, err = run(capsys, "--account", "dev0", "lifecycle", "resume", b)
    assert code == 5 and "from=LISTED" in err and "to=LISTED" in err and "Hint:" in err
    trace = ok(capsys, "trace", "batch", b)
    points = {e["args"]["point"] for e in trace["entries"] if e["event"] == "ObservationRecorded"}
    assert {"PROCESS_PROGRESS", "INSPECTION"} <= points
    code, _, err = run(capsys, "--account", "dev1", "recall", "open", "--batch", b, "--level", "I")
    # a recall needs a STOPPED batch: the chain refuses the LISTED -> RECALLED transition, by name
    assert code == 5 and "DrugRegistryInvalidTransition(" in err and "from=LISTED, to=RECALLED" in err
    assert err.splitlines()[1].startswith("Hint: the contract's transition table")

    # the auditor: a garbage report is a usage error
    (root / "garbage.json").write_text("garbage")
    code, _, err = run(capsys, "audit", "verify", "--report", str(root / "garbage.json"))
    assert code == 2 and "not an audit report" in err

    # generic commands and chain reads
    deployed = ok(capsys, "--account", "dev2", "deploy", str(DATA / "Counter.json"), "1")
    sent = ok(capsys, "--account", "dev2", "send", deployed["address"], "bump(uint256)", "2", "--abi",
              str(DATA / "Counter.json"))
    assert run(capsys, "call", deployed["address"], "count()(uint256)")[1].strip() == "3"
    assert ok(capsys, "receipt", sent["transaction_hash"])["result"] == "success"
    got = ok(capsys, "tx", "get", sent["transaction_hash"])
    assert got["from"] == node["accounts"][2].address.lower() and got["call"] is None  # no --abi: not the suite's

    assert ok(capsys, "block", "latest", "--full")["transactions"]
    logs = ok(capsys, "logs", "--address", deployed["address"], "--abi", str(DATA / "Counter.json"))
    assert [e["event"] for e in logs] == ["Bumped"]
    assert len(run(capsys, "code", deployed["address"])[1].strip()) > 10
    assert int(run(capsys, "sysconfig", "tx_count_limit")[1]) > 0
    assert ok(capsys, "node", "group")["crypto"] == "ecdsa_secp256k1"
    assert run(capsys, "selector", "bump(uint256)")[1].strip() == "0x" + ok(
        capsys, "abi", "encode", "bump(uint256)", "1")["data"][2:10]
    assert run(capsys, "keccak", "x")[0] == 0

    # accounts: an SM2 key on this ECDSA chain is refused before anything is sent
    assert run(capsys, "account", "new", "gm", "--suite", "sm2", "--kdf", "fast")[0] == 0
    head = ok(capsys, "block", "latest")["number"]
    code, _, err = run(capsys, "--account", "gm", "send", deployed["address"], "bump(uint256)", "1")
    assert code == 2 and "SM2 key but the chain uses ECDSA" in err
    assert ok(capsys, "block", "latest")["number"] == head

    # no password and no terminal (pytest's stdin is not one): a usage error naming what to set
    monkeypatch.delenv("FISCO_KEYSTORE_PASSWORD")
    code, _, err = run(capsys, "--account", "dev2", "send", deployed["address"], "bump(uint256)", "1")
    assert code == 2 and "set FISCO_KEYSTORE_PASSWORD (or --password-file FILE)" in err
