"""``fisco-drugtrace contracts``: build (and later deploy / inspect) the Solidity suite.

Subcommands are listed in :data:`SUBCOMMANDS` as ``name -> "module:attribute"`` and imported on
first use, so ``deploy`` / ``status`` can live in their own modules and be added with one line.
"""

from __future__ import annotations

from pathlib import Path

import click

from fisco_drugtrace.cli.main import LazyGroup
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit

__all__ = ["contracts", "compile_cmd", "SUBCOMMANDS"]

#: Lazily imported subcommands of ``contracts`` (add ``deploy``/``status`` here).
SUBCOMMANDS: dict[str, str] = {
    "compile": "fisco_drugtrace.cli.commands.contracts:compile_cmd",
    "deploy": "fisco_drugtrace.cli.commands.contracts_deploy:deploy",
    "status": "fisco_drugtrace.cli.commands.contracts_deploy:status",
    "attach": "fisco_drugtrace.cli.commands.contracts_attach:attach",
}


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
def contracts() -> None:
    """Build, deploy and inspect the drug-trace contract suite."""


@click.command("compile")
@click.option("--compiler", "prefer", type=click.Choice(["solc", "solcjs"]), default=None,
              help="Demand one compiler (default: native solc 0.8.11 on PATH, else the pinned solcjs).")
@click.option("--contracts-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Solidity sources (default: contracts/ of this checkout).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the artifacts (default: the package's committed artifacts).")
@click.option("--check", is_flag=True,
              help="Do not compile: fail if the committed artifacts were built from other sources.")
@json_option
def compile_cmd(prefer: str | None, contracts_dir: Path | None, out_dir: Path | None, check: bool,
                as_json: bool) -> None:
    """Compile contracts/ with solc 0.8.11 (istanbul, optimizer 200) and write the artifacts.

    Always says which compiler ran (kind, version, path).
    """
    from fisco_drugtrace.contracts.artifacts import check_fresh, load_manifest

    if check:
        digest = check_fresh(contracts_dir, out_dir)
        manifest = load_manifest(out_dir)
        emit({"fresh": True, "source_hash": digest, "compiler": {"kind": manifest.compiler_kind,
              "version": manifest.compiler_version}, "contracts": list(manifest.contracts)}, as_json)
        return

    from fisco_drugtrace.contracts.compiler import build

    result = build(contracts_dir, out_dir, prefer)  # type: ignore[arg-type]
    report = {
        "compiler": {"kind": result.compiler.kind, "version": result.compiler.version, "path": result.compiler.path,
                     "skipped": list(result.compiler.skipped)},
        "contracts": {name: {"bytecode_bytes": len(a.bytecode), "abi_entries": len(a.abi)}
                      for name, a in result.artifacts.items()},
        "source_hash": result.source_hash,
        "out_dir": str(result.out_dir),
    }
    if as_json:
        emit(report, True)
        return
    for reason in result.compiler.skipped:
        echo(f"note: {reason}", err=True)
    echo(f"Compiled with {result.compiler.kind} {result.compiler.version} ({result.compiler.path})")
    emit([{"contract": n, **v} for n, v in report["contracts"].items()], False)
    echo(f"source hash {result.source_hash}")
    echo(f"artifacts written to {result.out_dir}")
