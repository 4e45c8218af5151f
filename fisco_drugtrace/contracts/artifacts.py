"""Committed build output of the Solidity suite: ABI + bytecode per contract, and a manifest.

The artifacts live as package data in ``fisco_drugtrace/contracts/artifacts/`` (one
``<Name>.json`` per deployable contract plus ``manifest.json``), so deploying and calling the
contracts never needs a compiler. ``manifest.json`` records the compiler (kind and version), the
standard-JSON settings and :func:`sources_hash` of the ``contracts/`` tree they were built from;
:func:`check_fresh` compares that hash with the sources on disk.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from fisco_drugtrace.errors import ArtifactNotFound, ArtifactStale

__all__ = [
    "ARTIFACTS_DIR",
    "MANIFEST_NAME",
    "SUITE_CONTRACTS",
    "CREATED_CONTRACTS",
    "ALL_CONTRACTS",
    "Artifact",
    "Manifest",
    "default_contracts_dir",
    "source_files",
    "sources_hash",
    "load_artifact",
    "list_artifacts",
    "load_manifest",
    "check_fresh",
    "suite_errors_abi",
]

#: Where the committed artifacts live (package data).
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
#: File name of the build manifest inside :data:`ARTIFACTS_DIR`.
MANIFEST_NAME = "manifest.json"
#: The deployable contracts of the suite, in deployment order (see contracts/README.md).
SUITE_CONTRACTS: tuple[str, ...] = (
    "OrgRegistry",
    "DrugRegistry",
    "CustodyLedger",
    "ObservationLog",
    "RecallManager",
    "ProcurementLedger",
)
#: Contracts a suite contract creates in its constructor (not deployed by the recipe): name ->
#: (creator, the creator's getter of its address). CustodyLedger creates the PackingLedger and the
#: RangeLedger.
CREATED_CONTRACTS: dict[str, tuple[str, str]] = {
    "PackingLedger": ("CustodyLedger", "packingLedger"),
    "RangeLedger": ("CustodyLedger", "rangeLedger"),
}
#: Every contract with an artifact, in manifest order: the recipe's, then the created ones.
ALL_CONTRACTS: tuple[str, ...] = SUITE_CONTRACTS + tuple(CREATED_CONTRACTS)


@dataclass(frozen=True)
class Artifact:
    """One compiled contract.

    :param name: contract name, e.g. ``"CustodyLedger"``.
    :param abi: the contract ABI (list of JSON entries).
    :param bytecode: creation bytecode (without constructor arguments).
    :param source_hash: :func:`sources_hash` of the sources it was built from (hex).
    :param deployed_bytecode: runtime bytecode as emitted by the compiler (immutables zeroed).
    :param source_name: the defining file, relative to ``contracts/``.
    """

    name: str
    abi: tuple[Mapping[str, Any], ...] = field(repr=False)
    bytecode: bytes = field(repr=False)
    source_hash: str
    deployed_bytecode: bytes = field(default=b"", repr=False)
    source_name: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``<name>.json``."""
        return {
            "contractName": self.name,
            "sourceName": self.source_name,
            "sourceHash": self.source_hash,
            "abi": list(self.abi),
            "bytecode": "0x" + self.bytecode.hex(),
            "deployedBytecode": "0x" + self.deployed_bytecode.hex(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Artifact":
        """Inverse of :meth:`to_json`."""
        return cls(
            name=str(data["contractName"]),
            abi=tuple(data["abi"]),
            bytecode=bytes.fromhex(str(data["bytecode"]).removeprefix("0x")),
            source_hash=str(data["sourceHash"]),
            deployed_bytecode=bytes.fromhex(str(data.get("deployedBytecode", "")).removeprefix("0x")),
            source_name=str(data.get("sourceName", "")),
        )


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says about a build.

    :param compiler_kind: ``"solc"`` or ``"solcjs"``.
    :param compiler_version: full version string, e.g. ``"0.8.11+commit.d7f03943"``.
    :param settings: the standard-JSON ``settings`` object used.
    :param source_hash: :func:`sources_hash` of the sources.
    :param sources: source files (relative to ``contracts/``), sorted.
    :param contracts: contract name -> artifact file name.
    """

    compiler_kind: str
    compiler_version: str
    settings: Mapping[str, Any]
    source_hash: str
    sources: tuple[str, ...]
    contracts: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``manifest.json``."""
        return {
            "compiler": {"kind": self.compiler_kind, "version": self.compiler_version},
            "settings": dict(self.settings),
            "sourceHash": self.source_hash,
            "sources": list(self.sources),
            "contracts": dict(self.contracts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Manifest":
        """Inverse of :meth:`to_json`."""
        return cls(
            compiler_kind=str(data["compiler"]["kind"]),
            compiler_version=str(data["compiler"]["version"]),
            settings=dict(data["settings"]),
            source_hash=str(data["sourceHash"]),
            sources=tuple(data["sources"]),
            contracts=dict(data["contracts"]),
        )


def default_contracts_dir() -> Path:
    """The ``contracts/`` directory of a source checkout (next to the package directory)."""
    return Path(__file__).resolve().parents[2] / "contracts"


def source_files(contracts_dir: Path | str) -> list[str]:
    """All ``*.sol`` files under ``contracts_dir``, as sorted POSIX paths relative to it."""
    root = Path(contracts_dir)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.sol") if p.is_file())


def sources_hash(contracts_dir: Path | str) -> str:
    """SHA-256 (hex) over the sorted contract sources.

    Each file contributes its relative POSIX path, a NUL byte, its bytes and a NUL byte, in
    sorted path order, so renaming, adding or editing any source changes the hash.
    """
    root = Path(contracts_dir)
    digest = hashlib.sha256()
    for rel in source_files(root):
        digest.update(rel.encode("utf-8") + b"\0")
        digest.update((root / rel).read_bytes() + b"\0")
    return digest.hexdigest()


def _dir(directory: Path | str | None) -> Path:
    return ARTIFACTS_DIR if directory is None else Path(directory)


def load_manifest(directory: Path | str | None = None) -> Manifest:
    """Read ``manifest.json``; :class:`ArtifactNotFound` when there is none."""
    path = _dir(directory) / MANIFEST_NAME
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ArtifactNotFound(f"no build manifest at {path}; run `fisco-drugtrace contracts compile`") from exc


def list_artifacts(directory: Path | str | None = None) -> list[str]:
    """Names of the contracts with an artifact, in manifest order."""
    return list(load_manifest(directory).contracts)


def load_artifact(name: str, directory: Path | str | None = None) -> Artifact:
    """The committed artifact of contract ``name``; :class:`ArtifactNotFound` if there is none."""
    path = _dir(directory) / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactNotFound(f"no artifact for contract {name!r} in {path.parent}") from exc
    return Artifact.from_json(data)


def check_fresh(contracts_dir: Path | str | None = None, directory: Path | str | None = None) -> str:
    """Raise :class:`ArtifactStale` unless the manifest was built from the sources on disk.

    :return: the (matching) source hash.
    """
    root = default_contracts_dir() if contracts_dir is None else Path(contracts_dir)
    manifest = load_manifest(directory)
    actual = sources_hash(root)
    if actual != manifest.source_hash:
        raise ArtifactStale(
            f"artifacts were built from sources {manifest.source_hash[:12]}…, but {root} hashes to "
            f"{actual[:12]}…; run `fisco-drugtrace contracts compile`"
        )
    return actual


def suite_errors_abi(names: Sequence[str] = ALL_CONTRACTS, directory: Path | str | None = None) -> list[dict]:
    """The union of the custom-error ABI entries of ``names``.

    Suite contracts call each other and Solidity re-throws the callee's revert data, so a
    transaction to one contract can revert with another's error (e.g. ``OrgRegistryEnforcedPause``
    from ``CustodyLedger.dispatch``). Decode revert data with this list. Error selectors are
    unique across the suite (every error name starts with its contract's name).
    """
    seen: dict[tuple[str, str], dict] = {}
    for name in names:
        for entry in load_artifact(name, directory).abi:
            if entry.get("type") == "error":
                key = (str(entry["name"]), json.dumps(entry.get("inputs", []), sort_keys=True))
                seen.setdefault(key, dict(entry))
    return list(seen.values())
