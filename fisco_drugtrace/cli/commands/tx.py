"""``fisco-drugtrace tx``: offline transaction tools (no node, no configuration)."""

from __future__ import annotations

import sys

import click

from fisco_drugtrace.cli.render import emit

__all__ = ["tx"]


@click.group()
def tx() -> None:
    """Offline transaction tools."""


@tx.command("decode")
@click.argument("raw_hex", metavar="HEX")
@click.option("--dialect", type=click.Choice(["v3", "v2"]),
              help="FISCO BCOS 3.x (Tars) or 2.x (RLP); detected from the first byte when omitted.")
@click.option("--json", "as_json", is_flag=True, default=True, hidden=True)
@click.option("--table", "as_table", is_flag=True, help="Print a readable table instead of JSON.")
def decode(raw_hex: str, dialect: str | None, as_json: bool, as_table: bool) -> None:
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
    emit(summary, as_json=not as_table)
