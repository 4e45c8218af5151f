"""The ``devchain`` command (detach / status / stop) and the deterministic dev accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from fisco_drugtrace.cli.main import cli
from fisco_drugtrace.crypto.keystore import AccountStore
from fisco_drugtrace.devchain import DEV_PASSWORD, dev_keypairs, write_dev_keystores
from fisco_drugtrace.devchain.accounts import read_dev_accounts
from fisco_drugtrace.errors import DevChainNotRunning, DevChainRunning


def test_dev_accounts_are_deterministic_and_distinct() -> None:
    first, second = dev_keypairs(10), dev_keypairs(10)
    assert [k.address for k in first] == [k.address for k in second]
    assert len({k.address for k in first}) == 10


def test_dev_keystores_open_with_the_documented_password(tmp_path: Path) -> None:
    accounts = write_dev_keystores(tmp_path, 3)
    store = AccountStore(tmp_path)
    assert [a.name for a in accounts] == ["dev0", "dev1", "dev2"]
    for account in accounts:
        assert store.load(account.name, DEV_PASSWORD).address == account.address
        assert Path(account.keystore).is_file()
    again = write_dev_keystores(tmp_path, 3)  # reused, not rewritten
    assert [a.keystore for a in again] == [a.keystore for a in accounts]


def test_read_dev_accounts_lists_only_genuine_dev_keystores(tmp_path: Path) -> None:
    written = write_dev_keystores(tmp_path, 3)
    assert read_dev_accounts(tmp_path, 3) == written
    Path(written[1].keystore).unlink()
    AccountStore(tmp_path, kdf="fast").add("dev1", dev_keypairs(5)[4], "x")  # a dev1.json with another key
    assert [a.name for a in read_dev_accounts(tmp_path, 3)] == ["dev0", "dev2"]
    assert read_dev_accounts(tmp_path / "missing") == []


@pytest.mark.slow
def test_detach_status_stop(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "chain"
    started = runner.invoke(cli, ["devchain", "start", "--detach", "--port", "0", "--dialect", "v2",
                                  "--data-dir", str(data_dir), "--json"], catch_exceptions=False)
    assert started.exit_code == 0, started.output
    info = json.loads(started.output)
    try:
        assert info["url"].startswith("http://127.0.0.1:") and info["chain_id"] == "1"
        assert info["keystore_password"] == DEV_PASSWORD
        assert [a["address"] for a in info["accounts"]] == [k.address for k in dev_keypairs(10)]
        store = AccountStore(data_dir / "accounts")
        for account in info["accounts"][:2]:
            assert Path(account["keystore"]).parent == data_dir / "accounts"
            assert store.load(account["name"], DEV_PASSWORD).address == account["address"]
        answer = requests.post(info["url"], json={"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber",
                                                  "params": [1]}, timeout=10).json()
        assert answer["result"] == "0x0"
        status = runner.invoke(cli, ["devchain", "status", "--data-dir", str(data_dir), "--json"])
        assert json.loads(status.output)["pid"] == info["pid"]
        again = runner.invoke(cli, ["devchain", "start", "--detach", "--port", "0", "--data-dir", str(data_dir)])
        assert isinstance(again.exception, DevChainRunning)
        shown = runner.invoke(cli, ["devchain", "status", "--data-dir", str(data_dir)])
        assert shown.exit_code == 0
        assert sorted(p.name for p in (data_dir / "accounts").iterdir())[:2] == ["dev0.json", "dev1.json"]
    finally:
        stopped = runner.invoke(cli, ["devchain", "stop", "--data-dir", str(data_dir), "--json"])
    assert json.loads(stopped.output)["stopped"] is True
    after = runner.invoke(cli, ["devchain", "status", "--data-dir", str(data_dir)])
    assert isinstance(after.exception, DevChainNotRunning)


@pytest.mark.slow
def test_detached_tls_chain_writes_sdk_certificates(tmp_path: Path) -> None:
    runner = CliRunner()
    started = runner.invoke(cli, ["devchain", "start", "--detach", "--port", "0", "--tls", "--data-dir",
                                  str(tmp_path), "--json"], catch_exceptions=False)
    info = json.loads(started.output)
    try:
        assert info["url"].startswith("https://")
        sdk = tmp_path / "sdk"
        answer = requests.post(info["url"], json={"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber",
                                                  "params": ["group0", ""]},
                               cert=(str(sdk / "sdk.crt"), str(sdk / "sdk.key")), verify=str(sdk / "ca.crt"),
                               timeout=10).json()
        assert answer["result"] == 0
    finally:
        runner.invoke(cli, ["devchain", "stop", "--data-dir", str(tmp_path)])


@pytest.mark.slow
def test_detach_prints_dev_accounts_as_text(tmp_path: Path) -> None:
    runner = CliRunner()
    started = runner.invoke(cli, ["devchain", "start", "--detach", "--port", "0", "--data-dir", str(tmp_path)],
                            catch_exceptions=False)
    try:
        assert started.exit_code == 0, started.output
        text = started.output
        # the test terminal is 80 columns wide: rich wraps the address and path cells
        assert "dev chain" in text and "dev accounts" in text and DEV_PASSWORD in text
        for index, pair in enumerate(dev_keypairs(10)):
            assert f"dev{index} " in text and pair.address[:30] in text
        assert str(tmp_path / "accounts")[:20] in text
    finally:
        runner.invoke(cli, ["devchain", "stop", "--data-dir", str(tmp_path)])
