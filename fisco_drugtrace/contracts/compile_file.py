"""Compile one's own Solidity file (and the files it imports) for ``deploy FILE.sol``.

Only the file and what it imports, transitively, are given to the compiler (native solc 0.8.11
or the pinned solcjs, see :mod:`fisco_drugtrace.contracts.compiler`), with the suite's settings
(Istanbul EVM, as FISCO BCOS needs). Imports are resolved relative to the importing file, then
to the file's directory and each ``--include`` directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from fisco_drugtrace.contracts.artifacts import Artifact
from fisco_drugtrace.contracts.compiler import SETTINGS, Compiler, compile_standard, find_compiler
from fisco_drugtrace.errors import CompilerError

__all__ = ["CompiledFile", "compile_file"]

_IMPORT = re.compile(r"""^\s*import\s+(?:[^'"]*\bfrom\s+)?["']([^"']+)["']""", re.M)


@dataclass(frozen=True)
class CompiledFile:
    """What :func:`compile_file` built: every deployable contract, and which compiler ran."""

    path: Path
    contracts: Mapping[str, Artifact]
    compiler: Compiler

    def pick(self, name: str | None) -> Artifact:
        """The contract called ``name``, or the only / last-defined one of the file.

        :raises CompilerError: ``name`` is not among them, or the file defines several and no name was given.
        """
        if name is not None:
            if name not in self.contracts:
                raise CompilerError(f"{self.path} defines no deployable contract {name!r} "
                                    f"(it has: {', '.join(self.contracts) or 'none'})")
            return self.contracts[name]
        own = [a for a in self.contracts.values() if a.source_name == self.path.name]
        if len(own) == 1:
            return own[0]
        if not own:
            raise CompilerError(f"{self.path} defines no deployable contract (interfaces and abstract contracts "
                                "cannot be deployed)")
        raise CompilerError(f"{self.path} defines several contracts ({', '.join(a.name for a in own)}): "
                            "say which with --contract NAME")


def _resolve(spec: str, importer: Path, roots: Iterable[Path]) -> Path | None:
    candidates = [importer.parent / spec] if spec.startswith(".") else []
    candidates += [root / spec for root in roots]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    return None


def _sources(path: Path, roots: list[Path]) -> tuple[dict[str, dict[str, str]], dict[Path, str]]:
    """Every source reachable by imports, keyed by a unit name the import statements will find."""
    base = path.parent
    names: dict[Path, str] = {}
    sources: dict[str, dict[str, str]] = {}
    todo = [path.resolve()]
    while todo:
        current = todo.pop()
        if current in names:
            continue
        try:
            text = current.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CompilerError(f"cannot read {current}: {exc}") from None
        try:
            unit = current.relative_to(base.resolve()).as_posix()
        except ValueError:
            unit = current.as_posix().lstrip("/")
        names[current] = unit
        sources[unit] = {"content": text}
        for spec in _IMPORT.findall(text):
            found = _resolve(spec, current, roots)
            if found is None:
                raise CompilerError(f"{current.name}: cannot find the import {spec!r} "
                                    f"(looked next to it and in {', '.join(str(r) for r in roots)})")
            todo.append(found)
    return sources, names


def compile_file(path: str | Path, *, prefer: Any = None, include: Iterable[str | Path] = ()) -> CompiledFile:
    """Compile ``path`` with the suite's compiler and settings.

    :raises CompilerNotFound: no usable compiler.
    :raises CompilerError: the compiler reported errors, or an import is missing.
    """
    source = Path(path)
    roots = [source.parent.resolve(), *(Path(p).resolve() for p in include)]
    sources, names = _sources(source, roots)
    # each unit's imports must name units: rewrite them to the unit names chosen above
    for file, unit in names.items():
        text = sources[unit]["content"]

        def rename(match: re.Match[str], importer: Path = file) -> str:
            found = _resolve(match.group(1), importer, roots)
            return match.group(0).replace(match.group(1), names[found]) if found in names else match.group(0)

        sources[unit]["content"] = _IMPORT.sub(rename, text)
    compiler = find_compiler(prefer)
    output = compile_standard({"language": "Solidity", "sources": sources,
                               "settings": {**SETTINGS}}, compiler)
    errors = [e.get("formattedMessage", e.get("message", "")) for e in output.get("errors", [])
              if e.get("severity") == "error"]
    if errors or "contracts" not in output:
        raise CompilerError(f"{compiler.kind} {compiler.version} reported {len(errors)} error(s) in {source}",
                            errors=errors)
    out: dict[str, Artifact] = {}
    for unit_name, contracts in output["contracts"].items():
        for name, data in contracts.items():
            code = data.get("evm", {}).get("bytecode", {}).get("object", "")
            if not code:
                continue
            out[name] = Artifact(name=name, abi=tuple(data.get("abi") or ()), bytecode=bytes.fromhex(code),
                                 source_hash="", deployed_bytecode=bytes.fromhex(
                                     data["evm"].get("deployedBytecode", {}).get("object", "") or ""),
                                 source_name=unit_name)
    return CompiledFile(source, out, compiler)
