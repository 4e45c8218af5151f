"""Build the Solidity suite with solc 0.8.11: a native ``solc`` if one is on PATH, else solcjs.

The compiler is chosen explicitly and reported, never swapped silently: :func:`find_compiler`
returns a :class:`Compiler` saying which one (kind, version, path) will run, and
:func:`build` returns it with the artifacts. A native ``solc`` is driven through py-solc-x
(``solcx.compile_standard(..., solc_binary=path)``; py-solc-x cannot download compilers here);
solcjs comes from the repository's pinned npm package (``node_modules/.bin/solcjs``, locked by
``package.json`` + ``package-lock.json``) and is fed standard JSON on stdin.

Settings (fixed, recorded in the manifest): optimizer on with 200 runs, ``evmVersion`` istanbul
(FISCO BCOS 3.x runs solc <= 0.8.11 with a pre-Berlin EVM), outputs ``abi``,
``evm.bytecode.object`` and ``evm.deployedBytecode.object``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from fisco_drugtrace.contracts.artifacts import (
    ARTIFACTS_DIR,
    MANIFEST_NAME,
    ALL_CONTRACTS,
    SUITE_CONTRACTS,
    Artifact,
    Manifest,
    default_contracts_dir,
    source_files,
    sources_hash,
)
from fisco_drugtrace.errors import CompilerError, CompilerNotFound

__all__ = [
    "SOLC_VERSION",
    "SETTINGS",
    "FORBIDDEN_OPCODES",
    "Compiler",
    "BuildResult",
    "find_compiler",
    "standard_input",
    "compile_project",
    "compile_standard",
    "write_artifacts",
    "build",
    "strip_metadata",
    "post_istanbul_opcodes",
    "creation_code_opcodes",
]

#: The only compiler version the suite is built with (FISCO BCOS 3.x supports up to 0.8.11).
SOLC_VERSION = "0.8.11"

#: Standard-JSON settings (also written to the manifest).
SETTINGS: Mapping[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "istanbul",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}

#: Opcodes introduced after Istanbul (Berlin added none; London BASEFEE; Shanghai PUSH0; Cancun the rest).
FORBIDDEN_OPCODES: Mapping[int, str] = {
    0x48: "BASEFEE",
    0x49: "BLOBHASH",
    0x4A: "BLOBBASEFEE",
    0x5C: "TLOAD",
    0x5D: "TSTORE",
    0x5E: "MCOPY",
    0x5F: "PUSH0",
}

CompilerKind = Literal["solc", "solcjs"]
_VERSION_RE = re.compile(r"(\d+\.\d+\.\d+)(\+commit\.[0-9a-f]+)?")


@dataclass(frozen=True)
class Compiler:
    """A compiler that will run: ``kind`` ("solc" | "solcjs"), full ``version``, executable ``path``.

    ``skipped`` says why preferred candidates were passed over (e.g. a native solc of another
    version), so the caller can show that the fallback happened.
    """

    kind: CompilerKind
    version: str
    path: str
    skipped: tuple[str, ...] = field(default=(), compare=False)

    @property
    def short_version(self) -> str:
        """``"0.8.11"`` out of ``"0.8.11+commit.d7f03943"``."""
        return self.version.split("+", 1)[0]


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` did: which compiler ran, the artifacts, the source hash, where they went."""

    compiler: Compiler
    artifacts: Mapping[str, Artifact]
    source_hash: str
    out_dir: Path


# ----------------------------------------------------------------------------- finding a compiler
def _run_version(argv: list[str]) -> str | None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION_RE.search(proc.stdout + proc.stderr)
    return match.group(0) if match else None


def _native_solc() -> tuple[Compiler | None, str]:
    path = shutil.which("solc")
    if path is None:
        return None, "no `solc` on PATH"
    version = _run_version([path, "--version"])
    if version is None:
        return None, f"`{path} --version` printed no version"
    if version.split("+", 1)[0] != SOLC_VERSION:
        return None, f"`{path}` is solc {version}, not {SOLC_VERSION}"
    return Compiler("solc", version, path), ""


def _solcjs(root: Path) -> tuple[Compiler | None, str]:
    path = root / "node_modules" / ".bin" / "solcjs"
    if not path.exists():
        return None, f"no solcjs at {path} (run `npm ci` in {root})"
    if shutil.which("node") is None:
        return None, "solcjs needs `node` on PATH"
    version = _run_version([str(path), "--version"])
    if version is None:
        return None, f"`{path} --version` printed no version"
    if version.split("+", 1)[0] != SOLC_VERSION:
        return None, f"{path} is solcjs {version}, not {SOLC_VERSION}"
    return Compiler("solcjs", version, str(path)), ""


def find_compiler(prefer: CompilerKind | None = None, *, root: Path | str | None = None) -> Compiler:
    """The compiler to use: native solc 0.8.11 on PATH first, else the pinned solcjs.

    :param prefer: ``"solc"`` or ``"solcjs"`` to demand one kind (no fallback to the other).
    :param root: repository root holding ``node_modules`` (default: the checkout of this package).
    :raises CompilerNotFound: nothing suitable; the message says what was looked for and why it failed.
    """
    repo = Path(root) if root is not None else default_contracts_dir().parent
    candidates = {"solc": lambda: _native_solc(), "solcjs": lambda: _solcjs(repo)}
    order = [prefer] if prefer else ["solc", "solcjs"]
    reasons = []
    for kind in order:
        if kind not in candidates:
            raise CompilerNotFound(f"unknown compiler kind {kind!r} (use 'solc' or 'solcjs')")
        compiler, why = candidates[kind]()
        if compiler is not None:
            return replace(compiler, skipped=tuple(reasons))
        reasons.append(why)
    raise CompilerNotFound(
        f"no Solidity {SOLC_VERSION} compiler: " + "; ".join(reasons)
        + f". Install solc {SOLC_VERSION} on PATH or run `npm ci` at the repository root."
    )


# ----------------------------------------------------------------------------- compiling
def standard_input(contracts_dir: Path | str) -> dict[str, Any]:
    """The standard-JSON input: every ``*.sol`` under ``contracts_dir`` keyed by its relative path."""
    root = Path(contracts_dir)
    sources = {rel: {"content": (root / rel).read_text(encoding="utf-8")} for rel in source_files(root)}
    return {"language": "Solidity", "sources": sources, "settings": json.loads(json.dumps(SETTINGS))}


def _run_solcjs(compiler: Compiler, payload: dict[str, Any]) -> dict[str, Any]:
    # solcjs reads stdin with readFileSync(0) (EAGAIN on some pipes) and calls process.exit()
    # right after writing stdout (a pipe loses everything past 64 KiB): use files for both.
    with tempfile.TemporaryFile(mode="w+b") as stdin, tempfile.TemporaryFile(mode="w+b") as stdout:
        stdin.write(json.dumps(payload).encode("utf-8"))
        stdin.seek(0)
        try:
            proc = subprocess.run([compiler.path, "--standard-json"], stdin=stdin, stdout=stdout,
                                  stderr=subprocess.PIPE, timeout=600, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise CompilerError(f"could not run {compiler.path}: {exc}") from exc
        stdout.seek(0)
        text = stdout.read().decode("utf-8", "replace")
    start = text.find("{")  # solcjs may print warnings before the JSON
    try:
        return json.loads(text[start:]) if start >= 0 else {}
    except json.JSONDecodeError as exc:
        raise CompilerError(f"solcjs returned no JSON (exit {proc.returncode}): "
                            f"{proc.stderr.decode('utf-8', 'replace')[:500]}") from exc


def _run_solc(compiler: Compiler, payload: dict[str, Any]) -> dict[str, Any]:
    import solcx
    from solcx.exceptions import SolcError

    try:
        return solcx.compile_standard(payload, solc_binary=compiler.path)
    except SolcError as exc:  # py-solc-x raises on error-severity output; keep the messages
        details = getattr(exc, "error_dict", None) or []
        errors = [e.get("formattedMessage", "") for e in details if e.get("severity") == "error"]
        raise CompilerError(f"solc {compiler.version} failed", errors=errors or [str(exc)]) from exc
    except ValueError as exc:  # the binary printed something that is not JSON
        raise CompilerError(f"{compiler.path} returned no JSON: {exc}") from exc


def compile_standard(payload: dict[str, Any], compiler: Compiler) -> dict[str, Any]:
    """Run ``compiler`` on a standard-JSON ``payload`` and return its raw standard-JSON output."""
    return _run_solc(compiler, payload) if compiler.kind == "solc" else _run_solcjs(compiler, payload)


def compile_project(contracts_dir: Path | str, compiler: Compiler) -> dict[str, Artifact]:
    """Compile every source under ``contracts_dir``; return the deployable contracts' artifacts.

    Deployable = non-empty creation bytecode and a non-empty ABI (skips interfaces, abstract
    contracts and internal-only libraries). Suite contracts come first, in deployment order.

    :raises CompilerError: the compiler reported errors (kept in ``.errors``).
    """
    payload = standard_input(contracts_dir)
    output = _run_solc(compiler, payload) if compiler.kind == "solc" else _run_solcjs(compiler, payload)
    errors = [e.get("formattedMessage", e.get("message", "")) for e in output.get("errors", [])
              if e.get("severity") == "error"]
    if errors or "contracts" not in output:
        raise CompilerError(f"{compiler.kind} {compiler.version} reported {len(errors)} error(s)", errors=errors)
    digest = sources_hash(contracts_dir)
    out: dict[str, Artifact] = {}
    for source_name in sorted(output["contracts"]):
        for name, data in sorted(output["contracts"][source_name].items()):
            code = data.get("evm", {}).get("bytecode", {}).get("object", "")
            if not code or not data.get("abi"):
                continue
            out[name] = Artifact(
                name=name,
                abi=tuple(data["abi"]),
                bytecode=bytes.fromhex(code),
                source_hash=digest,
                deployed_bytecode=bytes.fromhex(data["evm"].get("deployedBytecode", {}).get("object", "")),
                source_name=source_name,
            )
    order = {name: i for i, name in enumerate(ALL_CONTRACTS)}
    return dict(sorted(out.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def write_artifacts(
    artifacts: Mapping[str, Artifact],
    compiler: Compiler,
    contracts_dir: Path | str,
    out_dir: Path | str | None = None,
) -> Manifest:
    """Write ``<Name>.json`` per artifact and ``manifest.json``; remove artifacts no longer built."""
    target = ARTIFACTS_DIR if out_dir is None else Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.json"):
        if old.name != MANIFEST_NAME and old.stem not in artifacts:
            old.unlink()
    for name, artifact in artifacts.items():
        _write_json(target / f"{name}.json", artifact.to_json())
    manifest = Manifest(
        compiler_kind=compiler.kind,
        compiler_version=compiler.version,
        settings=SETTINGS,
        source_hash=sources_hash(contracts_dir),
        sources=tuple(source_files(contracts_dir)),
        contracts={name: f"{name}.json" for name in artifacts},
    )
    _write_json(target / MANIFEST_NAME, manifest.to_json())
    return manifest


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def build(
    contracts_dir: Path | str | None = None,
    out_dir: Path | str | None = None,
    prefer: CompilerKind | None = None,
) -> BuildResult:
    """Find a compiler, compile ``contracts_dir``, write the artifacts and manifest.

    :raises CompilerNotFound: no suitable compiler.
    :raises CompilerError: compilation failed, or the output uses opcodes newer than Istanbul.
    """
    root = default_contracts_dir() if contracts_dir is None else Path(contracts_dir)
    if not root.is_dir() or not source_files(root):
        raise CompilerError(f"no Solidity sources under {root} (the sources ship with a source checkout, "
                            f"not with an installed package)")
    compiler = find_compiler(prefer)
    artifacts = compile_project(root, compiler)
    for name, artifact in artifacts.items():
        others = [a.bytecode for n, a in artifacts.items() if n != name and a.bytecode]
        bad = post_istanbul_opcodes(artifact.deployed_bytecode) or creation_code_opcodes(
            artifact.bytecode, artifact.deployed_bytecode, others)
        if bad:
            offset, op = bad[0]
            raise CompilerError(f"{name}: opcode {FORBIDDEN_OPCODES[op]} (0x{op:02x}) at {offset} is newer than "
                                f"Istanbul; FISCO BCOS would reject it")
    target = ARTIFACTS_DIR if out_dir is None else Path(out_dir)
    write_artifacts(artifacts, compiler, root, target)
    return BuildResult(compiler=compiler, artifacts=artifacts, source_hash=sources_hash(root), out_dir=target)


# ----------------------------------------------------------------------------- bytecode checks
def strip_metadata(code: bytes) -> bytes:
    """``code`` without solc's trailing CBOR metadata (its length is in the last two bytes)."""
    if len(code) < 2:
        return code
    length = int.from_bytes(code[-2:], "big")
    if length + 2 > len(code) or code[-2 - length] not in (0xA1, 0xA2, 0xA3, 0xA4, 0xA5):
        return code
    return code[: -2 - length]


def creation_code_opcodes(code: bytes, runtime: bytes, others: Sequence[bytes] = ()) -> list[tuple[int, int]]:
    """:func:`post_istanbul_opcodes` of a creation code's own instructions: the runtime it
    returns and the creation codes of contracts it deploys (``new X``, e.g. CustodyLedger's
    PackingLedger) are data inside it, checked as their own artifacts, and skipped here."""
    spans = []
    for part in [runtime, *others]:
        at = code.find(part) if part else -1
        if at >= 0:
            spans.append((at, at + len(part)))
    found: list[tuple[int, int]] = []
    start = 0
    for begin, end in sorted(spans) + [(len(code), len(code))]:
        if begin > start:
            found += [(start + i, op) for i, op in post_istanbul_opcodes(code[start:begin])]
        start = max(start, end)
    return found


def post_istanbul_opcodes(code: bytes) -> list[tuple[int, int]]:
    """``(offset, opcode)`` of every opcode newer than Istanbul, walking ``code`` and skipping PUSH data.

    The trailing metadata is stripped first (it is data, not code).
    """
    body = strip_metadata(code)
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(body):
        op = body[i]
        if op in FORBIDDEN_OPCODES:
            found.append((i, op))
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return found
