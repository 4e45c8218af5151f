"""``fisco-drugtrace devchain time|snapshot|revert|mine|mining|impersonate|send-as|set-code|set-storage|dump|load``:
the dev chain's test controls, against the node given by ``--rpc-url`` / the config.

Each verb makes one :class:`~fisco_drugtrace.client.devtools.DevControls` call and renders its
answer. Against a real node they fail with exit code 4 (the node answers MethodNotFound).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import emit
from fisco_drugtrace.encoding.hexutil import to_bytes
from fisco_drugtrace.jsonsafe import load_json

__all__ = ["register"]


def _controls(app: AppContext) -> Any:
    from fisco_drugtrace.client.devtools import DevControls

    return DevControls(app.client)


def _hex_or_file(value: str) -> bytes:
    """``0x…`` hex, or ``@path`` to a file holding hex."""
    text = Path(value[1:]).read_text().strip() if value.startswith("@") else value
    return to_bytes(text, what="hex")


@click.command("time")
@click.option("--increase", "increase_ms", type=click.IntRange(min=0), help="Move the clock forward by MS milliseconds.")
@click.option("--set-next", "next_ms", type=click.IntRange(min=0), help="The next block's timestamp (ms), exactly.")
@json_option
@pass_app
def time_cmd(app: AppContext, increase_ms: int | None, next_ms: int | None, as_json: bool) -> None:
    """Show or move the dev chain's block clock (milliseconds, as FISCO timestamps)."""
    controls = _controls(app)
    out: dict[str, Any] = {}
    if increase_ms is not None:
        out["offset_ms"] = controls.increase_time(increase_ms)
    if next_ms is not None:
        controls.set_next_block_timestamp(next_ms)
        out["next_block_timestamp"] = next_ms
    out["time_ms"] = controls.time()
    emit(out, as_json, title="dev chain clock")


@click.command()
@json_option
@pass_app
def snapshot(app: AppContext, as_json: bool) -> None:
    """Take a snapshot (state, height, clock); prints its id for `revert`."""
    emit({"snapshot": _controls(app).snapshot()}, as_json)


@click.command()
@click.argument("snapshot_id")
@json_option
@pass_app
def revert(app: AppContext, snapshot_id: str, as_json: bool) -> None:
    """Go back to a snapshot: later blocks are deleted (from the data dir too), state rebuilt."""
    reverted = _controls(app).revert(snapshot_id)
    if not reverted:
        raise click.BadParameter(f"no snapshot {snapshot_id} (unknown, or used up by an earlier revert)",
                                 param_hint="SNAPSHOT_ID")
    emit({"reverted": True, "snapshot": snapshot_id, "block_number": app.client.block_number()}, as_json)


@click.command()
@click.argument("blocks", type=click.IntRange(min=1), default=1)
@json_option
@pass_app
def mine(app: AppContext, blocks: int, as_json: bool) -> None:
    """Seal BLOCKS blocks now (the first with the pending transactions)."""
    emit({"block_number": _controls(app).mine(blocks)}, as_json)


@click.command()
@click.argument("mode", type=click.Choice(["auto", "manual", "interval"]), required=False)
@click.option("--interval-ms", type=click.IntRange(min=1), help="Interval mode: one block every MS.")
@json_option
@pass_app
def mining(app: AppContext, mode: str | None, interval_ms: int | None, as_json: bool) -> None:
    """Show or set the mining mode: auto, manual (only `mine`), interval (--interval-ms)."""
    controls = _controls(app)
    if mode is not None:
        if mode == "interval" and interval_ms is None:
            raise click.UsageError("interval mining needs --interval-ms")
        controls.set_mining(mode, interval_ms or 0)
    state = controls.mining()
    emit({"mode": state.mode, "interval_ms": state.interval_ms, "pending": state.pending}, as_json)


@click.command()
@click.argument("address")
@click.option("--stop", is_flag=True, help="Withdraw the impersonation.")
@json_option
@pass_app
def impersonate(app: AppContext, address: str, stop: bool, as_json: bool) -> None:
    """Let `send-as` (and eth_sendTransaction on the Web3 port) send as ADDRESS without its key."""
    controls = _controls(app)
    (controls.stop_impersonating if stop else controls.impersonate)(address)
    emit({"address": address, "impersonated": not stop}, as_json)


@click.command("send-as")
@click.argument("address")
@click.argument("to")
@click.argument("data")
@json_option
@pass_app
def send_as(app: AppContext, address: str, to: str, data: str, as_json: bool) -> None:
    """Send DATA (hex call data) to TO as the impersonated ADDRESS; prints the receipt."""
    receipt = _controls(app).send_as(address, to, _hex_or_file(data))
    emit({"transaction_hash": receipt.transaction_hash, "block_number": receipt.block_number,
          "status": receipt.status, "status_name": receipt.status_name, "from": receipt.from_address}, as_json)


@click.command("set-code")
@click.argument("address")
@click.argument("code")
@json_option
@pass_app
def set_code(app: AppContext, address: str, code: str, as_json: bool) -> None:
    """Replace ADDRESS's code with CODE (hex, or @file); its storage is kept."""
    runtime = _hex_or_file(code)
    _controls(app).set_code(address, runtime)
    emit({"address": address, "code_bytes": len(runtime)}, as_json)


@click.command("set-storage")
@click.argument("address")
@click.argument("slot")
@click.argument("value")
@json_option
@pass_app
def set_storage(app: AppContext, address: str, slot: str, value: str, as_json: bool) -> None:
    """Write VALUE into storage SLOT of ADDRESS (integers, decimal or 0x hex)."""
    def number(text: str, name: str) -> int:
        try:
            return int(text, 0)
        except ValueError:
            raise click.BadParameter(f"{text!r} is not a number", param_hint=name) from None

    _controls(app).set_storage(address, number(slot, "SLOT"), number(value, "VALUE"))
    emit({"address": address, "slot": slot, "value": value}, as_json)


@click.command()
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write the dump (JSON) to.")
@json_option
@pass_app
def dump(app: AppContext, out_path: Path, as_json: bool) -> None:
    """Write the chain's history (blocks, raw transactions, state edits) to a JSON file."""
    data = _controls(app).dump()
    out_path.write_text(json.dumps(data))
    emit({"file": str(out_path), "blocks": len(data["blocks"])}, as_json)


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_app
def load(app: AppContext, path: Path, as_json: bool) -> None:
    """Re-execute a dump on top of the head (on a fresh chain: the dumped state)."""
    try:
        data = load_json(path.read_text())
    except ValueError as exc:
        raise click.BadParameter(f"{path} is not JSON: {exc}", param_hint="PATH") from None
    emit({"block_number": _controls(app).load(data)}, as_json)


def register(group: click.Group) -> None:
    """Add the test-control verbs to the ``devchain`` group."""
    for command in (time_cmd, snapshot, revert, mine, mining, impersonate, send_as, set_code, set_storage, dump, load):
        group.add_command(command)
