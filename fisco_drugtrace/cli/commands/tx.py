"""``fisco-drugtrace tx``: ``decode`` a signed transaction offline (no node, no configuration) and
``get`` one from the node, each with its calldata decoded against the suite's ABIs (and ``--abi``)."""

from __future__ import annotations

import sys

import click

from pathlib import Path

from fisco_drugtrace.cli.commands.generic import abi_option
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import emit

__all__ = ["tx"]


@click.group()
def tx() -> None:
    """Transactions: decode one offline, or get one from the node."""


@tx.command("get")
@click.argument("tx_hash", metavar="HASH")
@abi_option
@json_option
@pass_app
def get(app: AppContext, tx_hash: str, abi_file: Path | None, as_json: bool) -> None:
    """Transaction HASH as the node holds it: sender, target, block, and the calldata decoded."""
    from fisco_drugtrace.cli.commands.chain import known_abis
    from fisco_drugtrace.contracts.chain_view import transaction_view

    emit(transaction_view(app.client, tx_hash, known_abis(abi_file)), as_json, title="Transaction")


@tx.command("decode")
@click.argument("raw_hex", metavar="HEX")
@click.option("--dialect", type=click.Choice(["v3", "v2"]),
              help="FISCO BCOS 3.x (Tars) or 2.x (RLP); detected from the first byte when omitted.")
@click.option("--json", "as_json", is_flag=True, default=True, hidden=True)
@click.option("--table", "as_table", is_flag=True, help="Print a readable table instead of JSON.")
@abi_option
def decode(raw_hex: str, dialect: str | None, as_json: bool, as_table: bool, abi_file: Path | None) -> None:
    """Decode a signed transaction given as HEX ("-" reads it from stdin): fields, hash and
    sender as JSON (SM2 is detected from the signature)."""
    from fisco_drugtrace.encoding import detect_dialect
    from fisco_drugtrace.encoding.hexutil import to_bytes

    if raw_hex == "-":
        raw_hex = sys.stdin.read().strip()
    raw = to_bytes(raw_hex, what="transaction")
    chosen = dialect or detect_dialect(raw)
    if chosen == "v3":
        from fisco_drugtrace.encoding.tx_v3 import decode_transaction, describe_transaction

        summary = describe_transaction(decode_transaction(raw))
    else:
        from fisco_drugtrace.encoding.tx_v2 import decode_signed_v2, describe_transaction_v2

        summary = describe_transaction_v2(decode_signed_v2(raw))
    from fisco_drugtrace.cli.commands.chain import known_abis
    from fisco_drugtrace.contracts.chain_view import calldata_view
    from fisco_drugtrace.encoding.hexutil import to_bytes as _bytes

    summary = dict(summary)
    data = summary.get("input") or summary.get("data") or "0x"
    summary["call"] = calldata_view(known_abis(abi_file), _bytes(str(data), what="input"), summary.get("to") or None) \
        if summary.get("to") else "deploy"
    emit(summary, as_json=not as_table)
