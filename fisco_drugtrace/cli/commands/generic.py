"""Generic contract commands, as the FISCO console and Foundry ``cast`` have them: ``call``,
``send``, ``deploy`` for any contract, and the offline ``abi encode/decode``, ``keccak``, ``selector``.

The parsing of signatures and values and the decoding live in the library
(:mod:`fisco_drugtrace.contracts.signature`, :mod:`~fisco_drugtrace.contracts.generic`); this
module reads options and renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit

__all__ = ["call", "send", "deploy", "abi", "keccak_cmd", "selector_cmd", "abi_option"]

_ABI_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def abi_option(f: Any) -> Any:
    return click.option("--abi", "abi_file", type=_ABI_FILE, default=None,
                        help="ABI JSON file (a list, or an artifact with an 'abi' member).")(f)


def _value_line(value: Any) -> str:
    """One return value as ``cast`` prints it: scalars as they are, bytes as 0x hex, lists and
    tuples as compact JSON (enums by name)."""
    import json

    from fisco_drugtrace.cli.render import to_jsonable

    plain = to_jsonable(value)
    if isinstance(plain, (list, dict)):
        return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain)


def _abi(abi_file: Path | None) -> Any:
    if abi_file is None:
        return None
    from fisco_drugtrace.contracts.known_abis import load_abi_file

    return load_abi_file(abi_file)


@click.command("call")
@click.argument("address")
@click.argument("function", metavar="'fn(types)(returns)'|NAME")
@click.argument("args", nargs=-1)
@abi_option
@click.option("--from", "sender", default=None, help="Call as this address (msg.sender).")
@json_option
@pass_app
def call(app: AppContext, address: str, function: str, args: tuple[str, ...], abi_file: Path | None,
         sender: str | None, as_json: bool) -> None:
    """Call FUNCTION read-only at ADDRESS with ARGS (nothing is sent, no account needed).

    FUNCTION is a signature with return types, e.g. 'balanceOf(address)(uint256)', or a name
    from --abi. Integers in decimal or 0x hex, bools true/false, bytes as 0x hex, arrays [a,b],
    tuples (a,b).
    """
    from fisco_drugtrace.contracts.generic import call_function

    outcome = call_function(app.client, address, function, list(args), abi=_abi(abi_file), sender=sender)
    if as_json:
        emit({"function": outcome.function, "block_number": outcome.block_number, "results": outcome.results}, True)
    elif not outcome.results:
        echo("(no return values)")
    else:
        for value in outcome.results.values():
            echo(_value_line(value))


@click.command("send")
@click.argument("address")
@click.argument("function", metavar="'fn(types)'|NAME")
@click.argument("args", nargs=-1)
@abi_option
@json_option
@pass_app
def send(app: AppContext, address: str, function: str, args: tuple[str, ...], abi_file: Path | None,
         as_json: bool) -> None:
    """Sign FUNCTION(ARGS) to ADDRESS as --account, send it, and print the receipt's essentials
    and the events decoded (a revert exits 5 with the error named)."""
    from fisco_drugtrace.contracts.generic import send_function

    outcome = send_function(app.client, app.signer, address, function, list(args), abi=_abi(abi_file))
    emit(outcome, as_json, title=outcome.function)


@click.command("deploy")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE.sol|ARTIFACT")
@click.argument("args", nargs=-1)
@click.option("--contract", "contract_name", default=None, help="Which contract of the file (when it defines several).")
@click.option("--compiler", "prefer", type=click.Choice(["solc", "solcjs"]), default=None,
              help="Demand one compiler (default: native solc 0.8.11 on PATH, else the pinned solcjs).")
@click.option("--include", "include", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="Another directory to resolve imports from (repeatable).")
@json_option
@pass_app
def deploy(app: AppContext, source: Path, args: tuple[str, ...], contract_name: str | None, prefer: str | None,
           include: tuple[str, ...], as_json: bool) -> None:
    """Deploy one's own contract: a Solidity FILE.sol (compiled here with the suite's compiler and
    settings) or a compiled ARTIFACT JSON (with 'abi' and 'bytecode'); ARGS go to the constructor."""
    from fisco_drugtrace.contracts.generic import deploy_artifact

    name, abi_entries, bytecode, compiled_by = _load_deployable(source, contract_name, prefer, include)
    if not as_json and compiled_by:
        echo(f"compiled {source.name} with {compiled_by}", err=True)
    outcome = deploy_artifact(app.client, app.signer, name, abi_entries, bytecode, list(args))
    out = {"contract": name, "address": outcome.contract_address, "transaction_hash": outcome.transaction_hash,
           "block_number": outcome.block_number, "gas_used": outcome.gas_used, "compiler": compiled_by}
    emit(out, as_json, title=f"Deployed {name}")


def _load_deployable(source: Path, name: str | None, prefer: str | None,
                     include: tuple[str, ...]) -> tuple[str, list[Any], bytes, str | None]:
    if source.suffix == ".sol":
        from fisco_drugtrace.contracts.compile_file import compile_file

        built = compile_file(source, prefer=prefer, include=include)
        artifact = built.pick(name)
        return (artifact.name, list(artifact.abi), artifact.bytecode,
                f"{built.compiler.kind} {built.compiler.version}")
    from fisco_drugtrace.contracts.artifact_file import load_artifact_file

    loaded = load_artifact_file(source, name)
    return loaded.name, loaded.abi, loaded.bytecode, None


# --------------------------------------------------------------------------- offline tools
@click.group("abi")
def abi() -> None:
    """ABI-encode and decode values offline."""


@abi.command("encode")
@click.argument("types", metavar="'(types)'|'fn(types)'")
@click.argument("values", nargs=-1)
@json_option
def abi_encode(types: str, values: tuple[str, ...], as_json: bool) -> None:
    """ABI-encode VALUES for TYPES; with a function signature the selector comes first (calldata)."""
    from fisco_drugtrace.contracts.signature import encode_values, parse_function, selector

    if not types.lstrip().startswith("(") and "(" in types:
        entry = parse_function(types)
        from fisco_drugtrace.contracts.signature import canonical

        data = selector(types) + encode_values("(" + canonical(entry["inputs"]) + ")", list(values))
    else:
        data = encode_values(types, list(values))
    emit({"data": "0x" + data.hex()} if as_json else "0x" + data.hex(), as_json)


@abi.command("decode")
@click.argument("types", metavar="'(types)'|'fn(types)(returns)'")
@click.argument("data", metavar="HEX")
@click.option("--input", "as_input", is_flag=True, help="DATA is calldata of the function: skip its selector "
                                                        "and decode the inputs (default with a signature: outputs).")
@json_option
def abi_decode(types: str, data: str, as_input: bool, as_json: bool) -> None:
    """Decode HEX as values of TYPES (or of a signature's return types; --input: its arguments)."""
    from fisco_drugtrace.contracts.signature import canonical, decode_values, parse_function
    from fisco_drugtrace.encoding.hexutil import to_bytes

    raw = to_bytes(data, what="ABI data")
    if not types.lstrip().startswith("(") and "(" in types:
        entry = parse_function(types)
        params = entry["inputs"] if as_input else entry["outputs"]
        if as_input:
            raw = raw[4:]
        types = "(" + canonical(params) + ")"
    values = decode_values(types, raw)
    if as_json:
        emit({"values": values}, True)
    else:
        for value in values:
            echo(_value_line(value))


@click.command("keccak")
@click.argument("text")
@json_option
def keccak_cmd(text: str, as_json: bool) -> None:
    """Keccak-256 of TEXT (0x hex is hashed as the bytes it spells, anything else as UTF-8)."""
    from fisco_drugtrace.contracts.signature import keccak

    digest = "0x" + keccak(text).hex()
    emit({"keccak256": digest} if as_json else digest, as_json)


@click.command("selector")
@click.argument("signature")
@click.option("--event", is_flag=True, help="SIGNATURE is an event: print its topic0.")
@json_option
def selector_cmd(signature: str, event: bool, as_json: bool) -> None:
    """The 4-byte selector of a function signature (or --event: the event's 32-byte topic0)."""
    from fisco_drugtrace.contracts.signature import event_topic, selector

    value = "0x" + (event_topic(signature) if event else selector(signature)).hex()
    emit({"event_topic" if event else "selector": value} if as_json else value, as_json)
