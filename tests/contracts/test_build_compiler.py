"""Compiler discovery and the solcjs build.

* :func:`find_compiler` reports which compiler will run and never falls back silently: a wrong
  native version is refused with the reason, a demanded kind is not swapped for the other;
* ``fisco-drugtrace contracts compile`` with solcjs reproduces the committed artifacts byte for
  byte and says which compiler ran (~10-20 s: one full solcjs compilation);
* compilation errors surface as :class:`CompilerError` with the compiler's messages.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from fisco_drugtrace.cli.main import main
from fisco_drugtrace.contracts.artifacts import ARTIFACTS_DIR, default_contracts_dir
from fisco_drugtrace.contracts.compiler import Compiler, build, compile_project, find_compiler
from fisco_drugtrace.errors import CompilerError, CompilerNotFound

REPO = default_contracts_dir().parent
SOLCJS = REPO / "node_modules" / ".bin" / "solcjs"
needs_solcjs = pytest.mark.skipif(not SOLCJS.exists(), reason=f"solcjs not installed at {SOLCJS} (run `npm ci`)")


def _fake_solc(directory: Path, version: str) -> Path:
    """A `solc` script that only answers --version."""
    path = directory / "solc"
    path.write_text(f"#!/bin/sh\necho 'solc, the solidity compiler commandline interface'\n"
                    f"echo 'Version: {version}.Linux.g++'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_no_compiler_at_all_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CompilerNotFound) as info:
        find_compiler(root=tmp_path)
    text = str(info.value)
    assert "no `solc` on PATH" in text and "no solcjs at" in text and "0.8.11" in text


def test_native_solc_of_the_right_version_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_solc(tmp_path, "0.8.11+commit.d7f03943")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    compiler = find_compiler(root=REPO)
    assert compiler == Compiler("solc", "0.8.11+commit.d7f03943", str(fake))
    assert compiler.short_version == "0.8.11" and compiler.skipped == ()


def test_native_solc_of_another_version_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_solc(tmp_path, "0.8.20+commit.a1b79de6")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(CompilerNotFound) as info:
        find_compiler("solc", root=REPO)
    assert "0.8.20" in str(info.value)
    if SOLCJS.exists():  # without a preference, the pinned solcjs is used instead, and says why
        fallback = find_compiler(root=REPO)
        assert fallback.kind == "solcjs"
        assert len(fallback.skipped) == 1 and "0.8.20" in fallback.skipped[0]


def test_a_demanded_kind_is_never_swapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_solc(tmp_path, "0.8.11+commit.d7f03943")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(CompilerNotFound):
        find_compiler("solcjs", root=tmp_path)  # no node_modules there, and no fallback to solc
    with pytest.raises(CompilerNotFound):
        find_compiler("vyper", root=REPO)  # type: ignore[arg-type]


@needs_solcjs
def test_solcjs_rebuild_reproduces_the_committed_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    # A native solc of another version is on PATH: the build falls back to solcjs and says why.
    _fake_solc(tmp_path, "0.8.20+commit.a1b79de6")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "artifacts"
    assert main(["contracts", "compile", "--out-dir", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["compiler"]["kind"] == "solcjs"
    assert len(report["compiler"]["skipped"]) == 1 and "0.8.20" in report["compiler"]["skipped"][0]
    assert report["compiler"]["version"].startswith("0.8.11+commit.")
    assert report["compiler"]["path"] == str(SOLCJS)
    committed = sorted(p.name for p in ARTIFACTS_DIR.glob("*.json"))
    assert sorted(p.name for p in out.glob("*.json")) == committed
    for name in committed:
        assert (out / name).read_bytes() == (ARTIFACTS_DIR / name).read_bytes(), name


@needs_solcjs
def test_native_solc_branch_runs_through_py_solc_x(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    # A `solc` on PATH that answers --version like solc 0.8.11 and --standard-json by handing the
    # input to the pinned solcjs: exercises the py-solc-x path end to end, whose output must equal
    # the committed artifacts (same compiler version, same settings).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "solc"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "Version: 0.8.11+commit.d7f03943.Linux.g++"; exit 0; fi\n'
        'in=$(mktemp); out=$(mktemp); cat > "$in"\n'
        f'"{SOLCJS}" --standard-json < "$in" > "$out"; cat "$out"; rm -f "$in" "$out"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "artifacts"
    assert main(["contracts", "compile", "--out-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Compiled with solc 0.8.11+commit.d7f03943 ({fake})" in printed
    assert json.loads((out / "manifest.json").read_text())["compiler"]["kind"] == "solc"
    for path in ARTIFACTS_DIR.glob("*.json"):
        if path.name != "manifest.json":
            assert (out / path.name).read_bytes() == path.read_bytes(), path.name


@needs_solcjs
def test_compile_errors_carry_the_compiler_messages(tmp_path: Path) -> None:
    src = tmp_path / "contracts"
    src.mkdir()
    (src / "Broken.sol").write_text("// SPDX-License-Identifier: Apache-2.0\npragma solidity 0.8.11;\n"
                                    "contract Broken { function f() external { uint x = ; } }\n")
    with pytest.raises(CompilerError) as info:
        compile_project(src, find_compiler("solcjs", root=REPO))
    assert info.value.errors and "ParserError" in info.value.errors[0]


@needs_solcjs
def test_cli_check_reports_fresh_artifacts(capsys: pytest.CaptureFixture) -> None:
    assert main(["contracts", "compile", "--check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fresh"] is True


def test_cli_check_fails_on_stale_sources(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "contracts"
    src.mkdir()
    (src / "Other.sol").write_text("// SPDX-License-Identifier: Apache-2.0\n")
    assert main(["contracts", "compile", "--check", "--contracts-dir", str(src)]) == 1
    assert "contracts compile" in capsys.readouterr().err


def test_cli_without_any_compiler_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["contracts", "compile", "--compiler", "solc", "--out-dir", str(tmp_path / "a")]) == 1
    assert "no `solc` on PATH" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_building_without_sources_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CompilerError) as info:
        build(tmp_path / "missing", tmp_path / "out")
    assert "no Solidity sources" in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompilerError):
        build(tmp_path / "empty", tmp_path / "out")
    assert not (tmp_path / "out").exists()
