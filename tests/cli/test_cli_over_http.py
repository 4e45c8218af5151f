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


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cli-http")
    chain = DevChain(DevChainConfig())
    handle = serve(chain, port=0)
    accounts = write_dev_keystores(root / "accounts", count=3)
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
    assert set(contracts) == {"OrgRegistry", "DrugRegistry", "CustodyLedger", "ObservationLog", "RecallManager"}

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
