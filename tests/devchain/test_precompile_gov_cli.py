"""``fisco-drugtrace gov`` against a governed dev chain (``--auth dev0``) over real HTTP: exit codes,
one-line refusals and JSON answers, as an operator's shell sees them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.cli.main import main
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, dev_keypairs, serve, write_dev_keystores

from devchain_helpers import STORE_CODE

@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("gov-cli")
    accounts = write_dev_keystores(root / "accounts", count=3)
    chain = DevChain(DevChainConfig(auth_admin=accounts[0].address))
    handle = serve(chain, port=0)
    client = connect(Settings(), handler=chain.handle_raw)
    deployed = client.send_transaction(LocalSigner(dev_keypairs(1)[0]), None, STORE_CODE + bytes(32))
    client.close()
    assert deployed.ok
    patch = pytest.MonkeyPatch()
    for key, value in {"FISCO_RPC_URL": handle.url, "FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD,
                       "FISCO_ACCOUNT_DIR": str(root / "accounts"), "FISCO_DRUGTRACE_HOME": str(root / "home")}.items():
        patch.setenv(key, value)
    for key in ("FISCO_DRUGTRACE_CONFIG", "FISCO_ACCOUNT", "FISCO_GROUP", "FISCO_CHAIN_ID", "FISCO_DIALECT"):
        patch.delenv(key, raising=False)
    patch.chdir(root)
    yield {"chain": chain, "accounts": [a.address for a in accounts], "root": Path(root),
           "contract": deployed.contract_address}
    patch.undo()
    handle.stop()
    chain.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_committee_and_a_config_proposal(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    admin = node["accounts"][0]
    code, out, _ = run(capsys, "gov", "committee", "--json")
    assert code == 0 and json.loads(out)["governors"] == {admin: 1}
    code, out, err = run(capsys, "--account", "dev0", "gov", "propose", "config", "tx_count_limit", "300", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "FINISHED"
    code, out, _ = run(capsys, "gov", "config", "get", "tx_count_limit", "--json")
    assert code == 0 and json.loads(out)["value"] == "300"


def test_refusals_are_one_line_with_the_documented_exit_code(node: dict[str, Any],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--account", "dev2", "gov", "propose", "config", "tx_count_limit", "5")
    assert code == 5 and "you must be governor" in err and "Traceback" not in err
    code, _, err = run(capsys, "--account", "dev0", "gov", "config", "set", "tx_count_limit", "5")
    assert code == 1 and "-50000" in err  # a governed chain: only through the committee
    code, _, err = run(capsys, "gov", "bfs", "readlink", "/apps/nothing")
    assert code == 1 and "BFS link /apps/nothing not found" in err
    code, _, err = run(capsys, "gov", "proposals", "--id", "99")
    assert code == 1 and "no proposal 99" in err


def test_votes_decide_once_the_rates_are_raised(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    second = node["accounts"][1]
    assert run(capsys, "--account", "dev0", "gov", "propose", "governor", second, "1")[0] == 0
    assert run(capsys, "--account", "dev0", "gov", "propose", "rate", "51", "51")[0] == 0
    code, out, _ = run(capsys, "--account", "dev0", "gov", "propose", "deploy-type", "white", "--json")
    proposal = json.loads(out)
    assert code == 0 and proposal["status"] == "NOT_ENOUGH_VOTES"
    code, out, _ = run(capsys, "--account", "dev1", "gov", "vote", str(proposal["id"]), "--json")
    assert code == 0 and json.loads(out)["status"] == "FINISHED"
    code, out, _ = run(capsys, "gov", "acl", "deploy", node["accounts"][2], "--json")
    shown = json.loads(out)  # the renderer may add the enum's number beside its name
    assert (shown["deploy_auth_type"], shown["may_deploy"]) == ("WHITE_LIST", False)
    code, out, _ = run(capsys, "gov", "proposals", "--json")
    assert [p["status"] for p in json.loads(out)][-1] == "FINISHED"


def test_acl_contract_and_account_commands(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    admin, _, user = node["accounts"]
    contract = node["contract"]  # deployed by dev0 before any rule changed: dev0 is its admin
    assert run(capsys, "--account", "dev0", "gov", "acl", "type", contract, "set(uint256)", "white")[0] == 0
    code, out, _ = run(capsys, "--account", "dev0", "gov", "acl", "open", contract, "set(uint256)", user, "--json")
    assert code == 0 and json.loads(out)["allowed"] == [user]
    code, out, _ = run(capsys, "gov", "acl", "show", contract, "set(uint256)", "--account", admin, "--json")
    shown = json.loads(out)
    assert shown["admin"] == admin and shown["may_call"] is False
    code, out, _ = run(capsys, "--account", "dev0", "gov", "contract", "freeze", contract, "--json")
    assert code == 0 and json.loads(out)["available"] is False
    code, out, _ = run(capsys, "--account", "dev0", "gov", "account", "freeze", user, "--json")
    assert code == 0 and json.loads(out)["status"] == "FROZEN"
    code, _, err = run(capsys, "--account", "dev0", "gov", "account", "freeze", admin)
    assert code == 5 and "Should not set governor's status." in err


def test_bfs_commands(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    target = node["accounts"][2]  # BFS links need no contract at the address
    assert run(capsys, "--account", "dev0", "gov", "bfs", "ln", "/apps/DrugTrace/Regulator", target)[0] == 0
    code, out, _ = run(capsys, "gov", "bfs", "readlink", "/apps/DrugTrace/Regulator")
    assert code == 0 and out.strip() == target
    code, out, _ = run(capsys, "gov", "bfs", "ls", "/apps/DrugTrace", "--json")
    assert code == 0 and [e["name"] for e in json.loads(out)] == ["Regulator"]


def test_cns_commands_on_a_2x_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = write_dev_keystores(tmp_path / "accounts", count=1)
    with DevChain(DevChainConfig(dialect="v2")) as chain:
        handle = serve(chain, port=0)
        try:
            for key, value in {"FISCO_RPC_URL": handle.url, "FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD,
                               "FISCO_ACCOUNT_DIR": str(tmp_path / "accounts"), "FISCO_DIALECT": "v2",
                               "FISCO_GROUP": "1", "FISCO_DRUGTRACE_HOME": str(tmp_path / "home")}.items():
                monkeypatch.setenv(key, value)
            target = accounts[0].address
            for version in ("1", "2"):
                assert run(capsys, "--account", "dev0", "gov", "cns", "register", "Suite", version, target)[0] == 0
            code, out, _ = run(capsys, "gov", "cns", "resolve", "Suite")
            assert code == 0 and out.strip() == target
            code, out, _ = run(capsys, "gov", "cns", "list", "Suite", "--json")
            assert code == 0 and [r["version"] for r in json.loads(out)] == ["1", "2"]
            code, _, err = run(capsys, "--account", "dev0", "gov", "cns", "register", "Suite", "1", target)
            assert code == 1 and "-51200" in err
        finally:
            handle.stop()
