"""Issue 19 item 7 (SDK/CLI part): key-holding files are 0600 whatever existed before, and
``account import`` never echoes any part of a key."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from fisco_drugtrace.cli.main import main
from fisco_drugtrace.crypto import ECDSA
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.crypto.keystore import AccountStore, keypair_from_pem, write_private_file
from fisco_drugtrace.errors import KeystoreError


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FISCO_KEYSTORE_PASSWORD", "pw")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FISCO_DRUGTRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FISCO_ACCOUNT_DIR", raising=False)
    monkeypatch.delenv("FISCO_DRUGTRACE_CONFIG", raising=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _alice(tmp_path: Path) -> tuple[str, KeyPair]:
    directory = tmp_path / "acc"
    keypair = KeyPair.generate(ECDSA)
    AccountStore(directory, kdf="fast").add("alice", keypair, "pw")
    return str(directory), keypair


@pytest.mark.parametrize("fmt", ["pem", "keystore"])
def test_export_over_an_existing_world_readable_file_leaves_it_0600(
        fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the 0600 mode only applied on creation, so the cleartext PEM stayed 0644."""
    directory, keypair = _alice(tmp_path)
    out = tmp_path / f"alice.{fmt}"
    out.write_text("old, longer content that must not survive " * 10)
    os.chmod(out, 0o644)
    code = main(["account", "export", "alice", "--dir", directory, "--format", fmt, "--out", str(out)])
    capsys.readouterr()
    assert code == 0
    assert _mode(out) == 0o600
    text = out.read_text()
    assert "old, longer" not in text
    if fmt == "pem":
        assert keypair_from_pem(text).private_key == keypair.private_key
    else:
        assert json.loads(text)["address"] == keypair.address[2:]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_write_private_file_replaces_instead_of_rewriting_in_place(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    target.write_text("x")
    os.chmod(target, 0o666)
    before = target.stat().st_ino
    write_private_file(target, "secret")
    assert _mode(target) == 0o600 and target.read_text() == "secret"
    assert target.stat().st_ino != before  # a new file: the old 0666 inode never held the key
    (tmp_path / "dir").mkdir()
    with pytest.raises(KeystoreError):
        write_private_file(tmp_path / "dir", "secret")


def test_keystores_the_store_writes_are_0600(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "acc", kdf="fast")
    info = store.new("bob", "pw")
    assert _mode(Path(info.path)) == 0o600 and _mode(tmp_path / "acc") == 0o700


def test_import_never_echoes_any_part_of_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: ``account import`` echoed the first 12 hex digits of a mistyped key."""
    almost = KeyPair.generate(ECDSA).private_key.hex()[:-1] + "z"  # one bad digit
    code = main(["account", "import", "carol", almost, "--dir", str(tmp_path / "acc"), "--kdf", "fast"])
    out, err = capsys.readouterr()
    assert code == 2
    for size in (6, 8, 12):
        assert almost[:size] not in out + err
    assert "not shown" in err
    good = KeyPair.generate(ECDSA).private_key.hex()
    code = main(["account", "import", "dave", good, "--dir", str(tmp_path / "acc"), "--kdf", "fast", "--json"])
    out, err = capsys.readouterr()
    assert code == 0
    assert good[:6] not in out + err and good[-6:] not in out + err
