"""A compiled contract from a JSON file: ours, Hardhat's, Foundry's, or solc's combined output.

Accepted shapes: ``{"abi": [...], "bytecode": "0x.."}`` (this project's artifacts, Hardhat,
Truffle), ``{"abi": [...], "bytecode": {"object": "0x.."}}`` (Foundry ``out/``), and
``{"contracts": {"File.sol:Name": {"abi": ..., "bin": ".."}}}`` (``solc --combined-json abi,bin``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from fisco_drugtrace.errors import ContractError
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["LoadedArtifact", "load_artifact_file"]


@dataclass(frozen=True)
class LoadedArtifact:
    name: str
    abi: list[Mapping[str, Any]]
    bytecode: bytes


def _code(value: Any, path: Path) -> bytes:
    if isinstance(value, Mapping):
        value = value.get("object")
    if not isinstance(value, str):
        raise ContractError(f"{path}: no creation bytecode ('bytecode' as hex, or {{'object': hex}})")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    if "__" in text or "$" in text:
        raise ContractError(f"{path}: the bytecode has unlinked library placeholders; link the libraries first")
    try:
        code = bytes.fromhex(text)
    except ValueError:
        raise ContractError(f"{path}: the bytecode is not hex") from None
    if not code:
        raise ContractError(f"{path}: empty bytecode (an interface or abstract contract cannot be deployed)")
    return code


def _abi(value: Any, path: Path) -> list[Mapping[str, Any]]:
    if isinstance(value, str):
        try:
            value = load_json(value)
        except ValueError:
            raise ContractError(f"{path}: the 'abi' member is not JSON") from None
    if not isinstance(value, list) or not all(isinstance(e, Mapping) for e in value):
        raise ContractError(f"{path}: no ABI list")
    return value


def load_artifact_file(path: str | Path, name: str | None = None) -> LoadedArtifact:
    """The ABI and creation bytecode in ``path`` (``name`` picks one of a combined output).

    :raises ContractError: unreadable, not JSON, or no ABI / bytecode in it.
    """
    where = Path(path)
    try:
        data = load_json(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read {where}: {exc}") from None
    except ValueError as exc:
        raise ContractError(f"{where} is not JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise ContractError(f"{where}: expected a JSON object with 'abi' and 'bytecode'")
    if isinstance(data.get("contracts"), Mapping) and "abi" not in data:
        entries = {key.rsplit(":", 1)[-1]: value for key, value in data["contracts"].items()
                   if isinstance(value, Mapping)}
        if name is None and len(entries) == 1:
            name = next(iter(entries))
        if name not in entries:
            raise ContractError(f"{where}: say which contract with --contract ({', '.join(entries)})")
        chosen = entries[name]
        return LoadedArtifact(str(name), _abi(chosen.get("abi"), where), _code(chosen.get("bin"), where))
    label = name or str(data.get("contractName") or where.stem)
    return LoadedArtifact(label, _abi(data.get("abi"), where), _code(data.get("bytecode"), where))
