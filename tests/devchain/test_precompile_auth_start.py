"""``devchain start --auth ADMIN_ADDRESS`` (as ``build_chain.sh -a``): bad values are usage errors,
a detached governed chain reports governance over HTTP and keeps it in its data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from fisco_drugtrace.cli.main import cli, main
from fisco_drugtrace.devchain import dev_keypairs


@pytest.mark.parametrize("argv", [["--auth", "regulator"], ["--auth", "0x1234"],
                                  ["--dialect", "v2", "--auth", "0x" + "ab" * 20]])
def test_bad_auth_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["devchain", "start", "--port", "0", *argv])
    err = capsys.readouterr().err
    assert code == 2 and "--auth" in err and "Traceback" not in err


@pytest.mark.slow
def test_detached_governed_chain(tmp_path: Path) -> None:
    admin = dev_keypairs(1)[0].address
    runner = CliRunner()
    started = runner.invoke(cli, ["devchain", "start", "--detach", "--port", "0", "--auth", admin,
                                  "--data-dir", str(tmp_path), "--json"], catch_exceptions=False)
    assert started.exit_code == 0, started.output
    url = json.loads(started.output)["url"]
    try:
        answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getSystemConfigByKey",
                                          "params": ["group0", "", "auth_check_status"]}, timeout=10).json()
        assert answer["result"]["value"] == "1"
    finally:
        runner.invoke(cli, ["devchain", "stop", "--data-dir", str(tmp_path)])
