"""The national regulator as the committee: the operator's steps of ``chain-config/README.md``
(*Governance: the national regulator as the committee*) run in that order with the CLI against a
governed dev chain (``--auth <regulator>``, as ``build_chain.sh -a``) over real HTTP, with the
drug-trace suite itself — not a stand-in contract — as what governance protects.

What a node enforces is read from FISCO-BCOS ``bcos-executor/src/executive/TransactionExecutive.cpp``
(``checkAuth``: a deployment outside the white list is status 18 "Create permission denied", a frozen
account's transaction status 22), ``precompiled/extension/AccountManagerPrecompiled.cpp`` (a governor
sets an account's status) and bcos-auth ``CommitteeManager.sol`` / ``VoteComputer.sol`` (a proposal
passes once the participation and win rates are met)."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from fisco_drugtrace.cli.main import main
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, serve, write_dev_keystores
from fisco_drugtrace.drugtrace.story import ACTORS

NMPA, MAKER = ACTORS[0], ACTORS[1]
REGULATOR, MANUFACTURER, PROVINCE = "dev0", "dev1", "dev2"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("regulator-committee")
    accounts = write_dev_keystores(root / "accounts", count=3)
    chain = DevChain(DevChainConfig(auth_admin=accounts[0].address))  # devchain start --auth 0x<regulator>
    handle = serve(chain, port=0)
    patch = pytest.MonkeyPatch()
    for key, value in {"FISCO_RPC_URL": handle.url, "FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD,
                       "FISCO_ACCOUNT_DIR": str(root / "accounts"), "FISCO_DRUGTRACE_HOME": str(root / "home")}.items():
        patch.setenv(key, value)
    for key in ("FISCO_DRUGTRACE_CONFIG", "FISCO_ACCOUNT", "FISCO_GROUP", "FISCO_CHAIN_ID", "FISCO_DIALECT"):
        patch.delenv(key, raising=False)
    patch.chdir(root)
    yield {"chain": chain, "address": {f"dev{i}": a.address for i, a in enumerate(accounts)}}
    patch.undo()
    handle.stop()
    chain.close()


def run(capsys: pytest.CaptureFixture[str], account: str | None, *argv: str) -> tuple[int, str, str]:
    code = main((["--account", account] if account else []) + list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok_json(capsys: pytest.CaptureFixture[str], account: str | None, *argv: str) -> Any:
    code, out, err = run(capsys, account, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_regulators_steps_on_a_governed_chain(node: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    address = node["address"]
    # the genesis admin is the only governor, rates 0/0
    committee = ok_json(capsys, None, "gov", "committee")
    assert committee["governors"] == {address[REGULATOR]: 1}

    # only the regulator (and accounts it votes in) may deploy: a proposal that passes at once
    assert ok_json(capsys, REGULATOR, "gov", "propose", "deploy-type", "white")["status"] == "FINISHED"
    assert ok_json(capsys, REGULATOR, "gov", "propose", "deploy-auth", address[REGULATOR], "--allow")["status"] == \
        "FINISHED"
    suite = ok_json(capsys, REGULATOR, "contracts", "deploy", "--org-code", NMPA.credit_code, "--region",
                    str(NMPA.region), "--name", NMPA.name)
    orgs = suite["contracts"]["OrgRegistry"]
    # nobody can start a parallel suite: the node refuses the first deployment (status 18), one line, exit 5
    code, _, err = run(capsys, MANUFACTURER, "contracts", "deploy", "--org-code", MAKER.credit_code, "--region",
                       "110000", "--replace")
    assert code == 5 and "PermissionDenied" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    shown = ok_json(capsys, None, "gov", "acl", "deploy", address[MANUFACTURER])
    assert (shown["deploy_auth_type"], shown["may_deploy"]) == ("WHITE_LIST", False)
    # the regulator deployed the suite, so it administers each contract of it (method ACLs, freezing)
    acl = ok_json(capsys, None, "gov", "acl", "show", orgs, "registerOrg(bytes32,uint8,uint32,uint64,bytes32)")
    assert acl["admin"] == address[REGULATOR]

    # onboard a manufacturer; its account acts for it
    code, _, err = run(capsys, REGULATOR, "org", "register", MAKER.credit_code, "--kind", MAKER.kind.name, "--region",
                       str(MAKER.region), "--name", MAKER.name)
    assert code == 0, err
    assert run(capsys, REGULATOR, "org", "bind", address[MANUFACTURER], MAKER.credit_code)[0] == 0
    product = ok_json(capsys, REGULATOR, "product", "register", "--approval", "国药准字H20267777", "--spec",
                      "12 tablets", "--mah", MAKER.credit_code, "--min-temp", "20", "--max-temp", "80")

    # shared control with a provincial regulator: from now on a change needs a second vote
    assert ok_json(capsys, REGULATOR, "gov", "propose", "governor", address[PROVINCE], "1")["status"] == "FINISHED"
    assert ok_json(capsys, REGULATOR, "gov", "propose", "rate", "51", "51")["status"] == "FINISHED"
    waiting = ok_json(capsys, REGULATOR, "gov", "propose", "config", "tx_count_limit", "2000")
    assert waiting["status"] == "NOT_ENOUGH_VOTES"
    assert ok_json(capsys, None, "gov", "config", "get", "tx_count_limit")["value"] == "1000"  # not yet
    code, _, err = run(capsys, MANUFACTURER, "gov", "vote", str(waiting["id"]))
    assert code == 5 and "you must be governor" in err  # an organisation has no vote
    assert ok_json(capsys, PROVINCE, "gov", "vote", str(waiting["id"]))["status"] == "FINISHED"
    assert ok_json(capsys, None, "gov", "config", "get", "tx_count_limit")["value"] == "2000"

    # an incident: the regulator suspends the manufacturer's account; its next transaction is refused
    define = ("observe", "PROCESS_DEFINITION", product["product_id"], "--max", "2", "--evidence", "process v1")
    assert ok_json(capsys, REGULATOR, "gov", "account", "freeze", address[MANUFACTURER])["status"] == "FROZEN"
    height = node["chain"].block_number
    code, _, err = run(capsys, MANUFACTURER, *define)
    assert code == 5 and "AccountFrozen" in err and "Traceback" not in err
    assert node["chain"].block_number == height + 1  # refused on chain: a receipt, nothing recorded
    code, _, err = run(capsys, REGULATOR, "gov", "account", "freeze", address[PROVINCE])
    assert code == 5 and "Should not set governor's status." in err
    assert ok_json(capsys, REGULATOR, "gov", "account", "unfreeze", address[MANUFACTURER])["status"] == "NORMAL"
    code, _, err = run(capsys, MANUFACTURER, *define)
    assert code == 0, err

    # or freeze a contract of the suite (its admin): every transaction to it is refused, status 21
    onboard = ("org", "register", "91310000MA1CLLG3M", "--kind", "LOGISTICS", "--region", "310000")
    assert ok_json(capsys, REGULATOR, "gov", "contract", "freeze", orgs)["available"] is False
    code, _, err = run(capsys, REGULATOR, *onboard)
    assert code == 5 and "ContractFrozen" in err
    code, _, err = run(capsys, MANUFACTURER, "gov", "contract", "unfreeze", orgs)
    assert code == 1 and "-50000" in err  # only the contract's admin
    assert ok_json(capsys, REGULATOR, "gov", "contract", "unfreeze", orgs)["available"] is True
    code, _, err = run(capsys, REGULATOR, *onboard)
    assert code == 0, err
