"""``fisco-drugtrace account ...`` and ``tx decode`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fisco_drugtrace.cli.main import main
from fisco_drugtrace.crypto import ECDSA
from fisco_drugtrace.crypto.keystore import AccountStore, keypair_from_pem

VECTORS = Path(__file__).parents[1] / "vectors"
V2 = json.loads((VECTORS / "fisco_v2.json").read_text())
V3 = json.loads((VECTORS / "fisco_v3.json").read_text())


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FISCO_KEYSTORE_PASSWORD", "pw")
    monkeypatch.chdir(tmp_path)  # no ./fisco-drugtrace.toml
    monkeypatch.setenv("FISCO_DRUGTRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FISCO_ACCOUNT_DIR", raising=False)
    monkeypatch.delenv("FISCO_DRUGTRACE_CONFIG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_new_list_export_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d = str(tmp_path / "acc")
    code, out, _ = run(capsys, "account", "new", "alice", "--dir", d, "--kdf", "fast", "--json")
    assert code == 0
    alice = json.loads(out)
    assert alice["name"] == "alice" and alice["address"].startswith("0x") and "pw" not in out

    code, out, _ = run(capsys, "account", "import", "bob", V2["private_key"], "--dir", d, "--kdf", "fast", "--json")
    assert code == 0 and json.loads(out)["address"] == V2["address"]

    code, out, _ = run(capsys, "account", "list", "--dir", d, "--json")
    assert code == 0
    assert [(a["name"], a["address"]) for a in json.loads(out)] == [("alice", alice["address"]), ("bob", V2["address"])]

    pem = tmp_path / "bob.pem"
    code, _, err = run(capsys, "account", "export", "bob", "--format", "pem", "--out", str(pem), "--dir", d)
    assert code == 0 and keypair_from_pem(pem.read_bytes()).address == V2["address"]
    assert (pem.stat().st_mode & 0o777) == 0o600

    code, out, _ = run(capsys, "account", "export", V2["address"], "--dir", d)
    assert code == 0 and json.loads(out)["address"] == V2["address"][2:]

    code, out, _ = run(capsys, "account", "import", "carol", str(tmp_path / "acc" / "alice.json"), "--dir",
                       str(tmp_path / "other"), "--kdf", "fast", "--json")
    assert code == 0 and json.loads(out)["address"] == alice["address"]


def test_import_from_hidden_prompt(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from fisco_drugtrace.cli.main import cli

    result = CliRunner().invoke(cli, ["account", "import", "eve", "-", "--dir", str(tmp_path / "acc"), "--kdf",
                                      "fast", "--json"], input=V2["private_key"] + "\n")
    assert result.exit_code == 0, result.output
    assert V2["address"] in result.output and V2["private_key"] not in result.output


def test_sm2_account_and_pem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d = str(tmp_path / "gm")
    pem = VECTORS / "sm2p256v1_0x791a0073e6dfd9dc5e5061aebc43ab4f7aa4ae8b.pem"
    code, out, _ = run(capsys, "account", "import", "gm", str(pem), "--suite", "sm2", "--dir", d, "--kdf", "fast",
                       "--json")
    assert code == 0 and json.loads(out)["address"] == "0x791a0073e6dfd9dc5e5061aebc43ab4f7aa4ae8b"
    code, _, err = run(capsys, "account", "import", "k1", str(pem), "--dir", d, "--kdf", "fast")
    assert code == 2 and "SM2" in err


def test_default_dir_comes_from_settings(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FISCO_ACCOUNT_DIR", str(tmp_path / "from-env"))
    assert run(capsys, "account", "new", "dave", "--kdf", "fast")[0] == 0
    assert [a.name for a in AccountStore(tmp_path / "from-env", ECDSA).list()] == ["dave"]


def test_errors_are_one_line_with_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    d = str(tmp_path / "acc")
    assert run(capsys, "account", "new", "alice", "--dir", d, "--kdf", "fast")[0] == 0

    code, out, err = run(capsys, "account", "new", "alice", "--dir", d, "--kdf", "fast")
    assert code == 2 and "already exists" in err and err.count("\n") == 1

    code, _, err = run(capsys, "account", "export", "nobody", "--dir", d)
    assert code == 2 and "no account" in err

    monkeypatch.setenv("FISCO_KEYSTORE_PASSWORD", "wrong")
    code, out, err = run(capsys, "account", "export", "alice", "--dir", d)
    assert code == 2 and "wrong password" in err and out == ""

    code, _, err = run(capsys, "account", "export", "alice", "--format", "pem", "--dir", d)
    assert code == 2 and "--out" in err

    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 3')
    code, _, err = run(capsys, "account", "import", "x", str(bad), "--dir", d)
    assert code == 2 and "not a readable key file" in err

    code, _, err = run(capsys, "account", "import", "y", "0x1234", "--dir", d)
    assert code == 2 and "Error:" in err


@pytest.mark.parametrize("vector", V3["signed"], ids=lambda v: v["id"])
def test_tx_decode_v3(capsys: pytest.CaptureFixture[str], vector: dict) -> None:
    code, out, _ = run(capsys, "tx", "decode", "0x" + vector["tx"], "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["dialect"] == "v3" and summary["hash_matches"] is True
    if "sender" in vector:
        assert summary["sender"] == vector["sender"]
    if "data_hash" in vector:
        assert summary["hash"] == "0x" + vector["data_hash"]


@pytest.mark.parametrize("vector", V2["decoded"], ids=lambda v: v["id"])
def test_tx_decode_v2(capsys: pytest.CaptureFixture[str], vector: dict) -> None:
    code, out, _ = run(capsys, "tx", "decode", vector["raw"], "--dialect", "v2", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["dialect"] == "v2" and summary["sender"] == vector["sender"]
    auto = json.loads(run(capsys, "tx", "decode", vector["raw"], "--json")[1])
    assert auto == summary


def test_tx_decode_from_stdin() -> None:
    from click.testing import CliRunner

    from fisco_drugtrace.cli.main import cli

    vector = V3["signed"][0]
    result = CliRunner().invoke(cli, ["tx", "decode", "-", "--json"], input="0x" + vector["tx"] + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sender"] == vector["sender"]


def test_tx_decode_prints_json_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tx", "decode", V2["signed"][0]["raw"])
    assert code == 0 and json.loads(out)["sender"] == V2["address"].lower()


def test_tx_decode_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tx", "decode", V2["signed"][0]["raw"], "--table")
    assert code == 0 and V2["address"].lower() in out.lower() and "dialect" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


@pytest.mark.parametrize(
    ("raw", "dialect"),
    [("0xnothex", None), ("0x0102", None), ("0x1a10", None), (V2["signed"][0]["raw"], "v3"), ("0xc0", "v2")],
)
def test_tx_decode_errors(capsys: pytest.CaptureFixture[str], raw: str, dialect: str | None) -> None:
    args = ["tx", "decode", raw] + (["--dialect", dialect] if dialect else [])
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "" and err.startswith("Error: ") and err.count("\n") == 1
