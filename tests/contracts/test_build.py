"""The committed artifacts are fresh, Istanbul-clean and reproducible; the source hash is sound.

* staleness: the manifest's source hash equals ``sources_hash(contracts/)`` — fails as soon as
  a ``.sol`` file changes without ``fisco-drugtrace contracts compile``;
* every committed bytecode is free of post-Istanbul opcodes (walked, skipping PUSH data);
* recompiling with solcjs (through the CLI) reproduces every committed file byte for byte.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fisco_drugtrace.contracts.artifacts import (
    ARTIFACTS_DIR,
    ALL_CONTRACTS,
    SUITE_CONTRACTS,
    Artifact,
    check_fresh,
    default_contracts_dir,
    list_artifacts,
    load_artifact,
    load_manifest,
    sources_hash,
    suite_errors_abi,
)
from fisco_drugtrace.contracts.compiler import (
    FORBIDDEN_OPCODES,
    SETTINGS,
    creation_code_opcodes,
    post_istanbul_opcodes,
    strip_metadata,
)
from fisco_drugtrace.errors import ArtifactNotFound, ArtifactStale

CONTRACTS = default_contracts_dir()


def test_committed_artifacts_match_the_sources() -> None:
    # If this fails: run `fisco-drugtrace contracts compile` and commit the artifacts.
    assert check_fresh() == load_manifest().source_hash == sources_hash(CONTRACTS)


def test_manifest_records_compiler_settings_and_suite_order() -> None:
    manifest = load_manifest()
    assert manifest.compiler_version.startswith("0.8.11+commit.")
    assert manifest.compiler_kind in ("solc", "solcjs")
    assert manifest.settings == json.loads(json.dumps(SETTINGS))
    assert manifest.settings["evmVersion"] == "istanbul"
    assert manifest.settings["optimizer"] == {"enabled": True, "runs": 200}
    assert list_artifacts() == list(ALL_CONTRACTS)
    assert sorted(manifest.sources) == list(manifest.sources)
    assert {p.relative_to(CONTRACTS).as_posix() for p in CONTRACTS.rglob("*.sol")} == set(manifest.sources)


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_each_artifact_is_complete_and_carries_the_source_hash(name: str) -> None:
    art = load_artifact(name)
    assert art.name == name and art.source_name == f"{name}.sol"
    assert art.source_hash == load_manifest().source_hash
    assert len(art.bytecode) > 1000 and len(art.deployed_bytecode) > 1000
    assert any(e["type"] == "function" for e in art.abi) and any(e["type"] == "event" for e in art.abi)
    assert Artifact.from_json(art.to_json()) == art


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_bytecode_has_no_opcode_newer_than_istanbul(name: str) -> None:
    art = load_artifact(name)
    others = [load_artifact(n).bytecode for n in ALL_CONTRACTS if n != name]
    assert creation_code_opcodes(art.bytecode, art.deployed_bytecode, others) == []
    assert post_istanbul_opcodes(art.deployed_bytecode) == []


def test_unknown_artifact_is_reported() -> None:
    with pytest.raises(ArtifactNotFound):
        load_artifact("NoSuchContract")
    with pytest.raises(ArtifactNotFound):
        load_manifest(Path("/nonexistent-dir"))


def test_error_selectors_are_unique_across_the_suite() -> None:
    errors = suite_errors_abi()
    names = [e["name"] for e in errors]
    assert len(names) == len(set(names))
    prefixes = tuple(ALL_CONTRACTS)
    assert all(n.startswith(prefixes) for n in names)
    assert "OrgRegistryEnforcedPause" in names and "CustodyLedgerInvalidProof" in names


# --------------------------------------------------------------------------- source hash
def _copy_contracts(tmp_path: Path) -> Path:
    target = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def test_sources_hash_ignores_non_solidity_files_and_location(tmp_path: Path) -> None:
    copy = _copy_contracts(tmp_path)
    (copy / "NOTES.md").write_text("not a source")
    assert sources_hash(copy) == sources_hash(CONTRACTS)


def test_editing_a_source_makes_the_artifacts_stale(tmp_path: Path) -> None:
    copy = _copy_contracts(tmp_path)
    target = copy / "CustodyLedger.sol"
    target.write_text(target.read_text() + "\n// edited\n")
    with pytest.raises(ArtifactStale):
        check_fresh(copy, ARTIFACTS_DIR)


def test_renaming_or_adding_a_source_changes_the_hash(tmp_path: Path) -> None:
    copy = _copy_contracts(tmp_path)
    before = sources_hash(copy)
    (copy / "lib" / "UnitMerkle.sol").rename(copy / "lib" / "UnitMerkle2.sol")
    renamed = sources_hash(copy)
    (copy / "Extra.sol").write_text("// SPDX-License-Identifier: Apache-2.0\n")
    assert len({before, renamed, sources_hash(copy)}) == 3


# --------------------------------------------------------------------------- opcode walker
def test_push_data_is_not_mistaken_for_opcodes() -> None:
    assert post_istanbul_opcodes(bytes([0x60, 0x5F, 0x00])) == []  # PUSH1 0x5f
    assert post_istanbul_opcodes(bytes([0x7F]) + b"\x48" * 32 + b"\x00") == []  # PUSH32 of BASEFEE bytes
    assert post_istanbul_opcodes(bytes([0x60, 0x01, 0x5F])) == [(2, 0x5F)]
    assert post_istanbul_opcodes(bytes([0x48])) == [(0, 0x48)]


def test_metadata_trailer_is_stripped() -> None:
    code = load_artifact("OrgRegistry").deployed_bytecode
    body = strip_metadata(code)
    trailer = code[len(body):]
    assert 0 < len(trailer) < 100 and trailer[0] == 0xA2  # {ipfs, solc}
    assert int.from_bytes(trailer[-2:], "big") == len(trailer) - 2
    assert strip_metadata(b"\x00") == b"\x00"


_SAFE_OPS = [op for op in range(0x00, 0x60) if op not in FORBIDDEN_OPCODES] + list(range(0x80, 0x100))
_INSTRUCTION = st.one_of(
    st.sampled_from(_SAFE_OPS).map(lambda op: bytes([op])),
    st.integers(1, 32).flatmap(lambda n: st.binary(min_size=n, max_size=n).map(lambda d: bytes([0x5F + n]) + d)),
)


@given(program=st.lists(_INSTRUCTION, max_size=40), op=st.sampled_from(sorted(FORBIDDEN_OPCODES)),
       data=st.data())
def test_walker_finds_exactly_the_forbidden_instruction(program: list[bytes], op: int, data: st.DataObject) -> None:
    clean = b"".join(program) + b"\x00\x00"  # trailing STOPs: a zero CBOR length, never stripped
    assert post_istanbul_opcodes(clean) == []
    at = data.draw(st.integers(0, len(program)))
    offset = len(b"".join(program[:at]))
    dirty = b"".join(program[:at]) + bytes([op]) + b"".join(program[at:]) + b"\x00\x00"
    assert post_istanbul_opcodes(dirty) == [(offset, op)]


@pytest.mark.parametrize("name", ALL_CONTRACTS)
def test_runtime_code_stays_under_eip170_with_headroom(name: str) -> None:
    # EIP-170 caps deployed code at 24,576 bytes; keep 2 KiB free so a fix still fits (issue 17A:
    # the packing went into its own contract rather than into CustodyLedger).
    assert len(load_artifact(name).deployed_bytecode) <= 24_576 - 2_048


def test_creation_code_walk_skips_the_runtime_and_embedded_creation_codes_only() -> None:
    runtime = bytes([0x60, 0x01, 0x00, 0x4A])  # data of the creation code: checked as the runtime
    embedded = bytes([0x5F, 0x48])  # another contract's creation code (`new X`): checked as its own
    code = bytes([0x60, 0x00]) + runtime + embedded + bytes([0x00])
    assert creation_code_opcodes(code, runtime, [embedded]) == []
    assert creation_code_opcodes(bytes([0x48]) + runtime, runtime) == [(0, 0x48)]
    assert creation_code_opcodes(code + bytes([0x5F]), runtime, [embedded]) == [(len(code), 0x5F)]
