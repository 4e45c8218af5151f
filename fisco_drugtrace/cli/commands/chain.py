"""Chain reads, as the FISCO console and ``cast`` have them: ``receipt``, ``block``, ``logs``,
``code``, ``sysconfig`` (``tx get`` lives with ``tx decode``, group info with ``node``).

Decoding against the suite's ABIs (and any ``--abi``) is done by
:mod:`fisco_drugtrace.contracts.chain_view`; this module reads options and renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fisco_drugtrace.cli.commands.generic import abi_option
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit

__all__ = ["receipt", "block", "logs", "code", "sysconfig", "known_abis"]


def known_abis(abi_files: Any) -> Any:
    """The suite's ABIs plus the given files' (the user's first)."""
    from fisco_drugtrace.contracts.known_abis import KnownAbis

    files = [abi_files] if isinstance(abi_files, Path) else list(abi_files or ())
    return KnownAbis.with_files(files)


def _events_lines(events: list[dict[str, Any]]) -> None:
    for e in events:
        if e.get("event"):
            args = ", ".join(f"{k}={v}" for k, v in e["args"].items())
            echo(f"  {e.get('contract') or e['address']}.{e['event']}({args})")
        else:
            echo(f"  {e['address']}: topics {e.get('topics')} data {e.get('data')}")


def _plain(value: Any) -> Any:
    from fisco_drugtrace.cli.render import to_jsonable

    return to_jsonable(value)


@click.command("receipt")
@click.argument("tx_hash", metavar="HASH")
@abi_option
@json_option
@pass_app
def receipt(app: AppContext, tx_hash: str, abi_file: Path | None, as_json: bool) -> None:
    """The receipt of transaction HASH: status in words, gas, deployed address, events and revert
    decoded (the suite's ABIs, and --abi)."""
    from fisco_drugtrace.contracts.chain_view import receipt_view

    view = receipt_view(app.client, tx_hash, known_abis(abi_file))
    if as_json:
        emit(view, True)
        return
    events = view.pop("events")
    revert = view.pop("revert", None)
    emit({k: v for k, v in view.items() if v is not None}, False, title="Receipt")
    if revert:
        echo(f"revert: {revert['message']}")
        if revert.get("hint"):
            echo(f"hint: {revert['hint']}")
    echo(f"events: {len(events)}")
    _events_lines(_plain(events))


@click.command("block")
@click.argument("which", metavar="N|latest", default="latest")
@click.option("--full", is_flag=True, help="Include the transactions (sender, target, input), not only their hashes.")
@json_option
@pass_app
def block(app: AppContext, which: str, full: bool, as_json: bool) -> None:
    """Block N (or latest): header fields and its transactions."""
    from fisco_drugtrace.contracts.chain_view import block_view

    view = block_view(app.client, which, full=full)
    if as_json:
        emit(view, True)
        return
    listed = view.pop("transactions", None) or view.pop("transaction_hashes", [])
    emit(view, False, title=f"Block {view['number']}")
    if listed and isinstance(listed[0], dict):
        emit(listed, False, title="Transactions")
    else:
        for h in listed:
            echo(f"  {h}")


@click.command("logs")
@click.option("--address", "addresses", multiple=True, help="Only logs of this contract (repeatable).")
@click.option("--topic", "topics", multiple=True,
              help="Topic filter by position: 0x + 64 hex, an event signature for topic0, or '*' (repeatable).")
@click.option("--from", "from_block", default="0", show_default=True, help="First block (N or latest).")
@click.option("--to", "to_block", default="latest", show_default=True, help="Last block (N or latest).")
@abi_option
@json_option
@pass_app
def logs(app: AppContext, addresses: tuple[str, ...], topics: tuple[str, ...], from_block: str, to_block: str,
         abi_file: Path | None, as_json: bool) -> None:
    """Event logs in a block range, decoded where the ABI is known (the suite's, and --abi)."""
    from fisco_drugtrace.contracts.chain_view import logs_view

    found = logs_view(app.client, known_abis(abi_file), from_block=from_block, to_block=to_block,
                      addresses=addresses, topics=list(topics))
    if as_json:
        emit(found, True)
        return
    if not found:
        echo("(no logs)")
    for entry in _plain(found):
        label = f"{entry['contract']}.{entry['event']}" if entry.get("event") else "(unknown event)"
        echo(f"block {entry['block_number']} tx {entry['transaction_hash']} {entry['address']} {label}")
        if entry.get("event"):
            for k, v in entry["args"].items():
                echo(f"    {k}: {v}")
        else:
            echo(f"    topics: {' '.join(entry['topics'])}")
            echo(f"    data: {entry['data']}")


@click.command("code")
@click.argument("address")
@json_option
@pass_app
def code(app: AppContext, address: str, as_json: bool) -> None:
    """The runtime code at ADDRESS (0x when there is none)."""
    from fisco_drugtrace.encoding.hexutil import normalize_address

    where = normalize_address(address)
    found = "0x" + bytes(app.client.get_code(where)).hex()
    emit({"address": where, "code": found, "size": (len(found) - 2) // 2} if as_json else found, as_json)


@click.command("sysconfig")
@click.argument("key")
@json_option
@pass_app
def sysconfig(app: AppContext, key: str, as_json: bool) -> None:
    """A system config value (tx_count_limit, tx_gas_limit, consensus_leader_period, ...)."""
    from fisco_drugtrace.contracts.chain_view import system_config_view

    view = system_config_view(app.client, key)
    emit(view if as_json else view["value"], as_json)
