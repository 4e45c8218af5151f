"""``fisco-drugtrace watch``: an organisation's domain events as they happen (JSON lines), and
optionally POSTed to a back-end through a durable outbox (``--webhook``)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import click

from fisco_drugtrace.cli.commands._domain import read_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo

__all__ = ["watch"]

_KINDS = "batch-stopped, batch-recalled, batch-released, shipment-incoming, recall-notice, alert"


@click.command()
@click.option("--org", help="Organisation (credit code or 0x id); default: every organisation (regulator's desk).")
@click.option("--kinds", help=f"Comma-separated kinds to show (default all): {_KINDS}.")
@click.option("--from-block", type=click.IntRange(min=0), help="First block (default: the head; a checkpoint wins).")
@click.option("--to-block", type=click.IntRange(min=0), help="Stop after this block (default: follow the chain).")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Resume from / save progress to this file after each event.")
@click.option("--webhook", help="POST each event (JSON, HMAC-SHA256 signed) to this http(s) URL.")
@click.option("--secret-env", default="FISCO_WEBHOOK_SECRET", show_default=True,
              help="Environment variable holding the webhook signing secret.")
@click.option("--outbox", type=click.Path(dir_okay=False, path_type=Path),
              help="The webhook's SQLite outbox (default: <home>/webhooks/<hash of url+org>.sqlite).")
@click.option("--drain-timeout", type=float, default=30.0, show_default=True,
              help="With --to-block: seconds to wait for the back-end to take what is pending before exiting.")
@click.option("--poll", is_flag=True, help="Poll getLogs even when the node URL is a push transport.")
@json_option
@pass_app
def watch(app: AppContext, org: str | None, kinds: str | None, from_block: int | None, to_block: int | None,
          checkpoint_file: Path | None, webhook: str | None, secret_env: str, outbox: Path | None,
          drain_timeout: float, poll: bool, as_json: bool) -> None:
    """Print the organisation's events as they arrive; Ctrl-C stops (progress is kept)."""
    from fisco_drugtrace.client.subscribe import Checkpoint
    from fisco_drugtrace.drugtrace.watch import parse_kinds
    from fisco_drugtrace.drugtrace.webhook import open_webhook, pump

    wanted = parse_kinds(kinds) if kinds else None
    service = read_service(app)
    box = sender = None
    checkpoint = Checkpoint.load(checkpoint_file) if checkpoint_file else None
    if webhook:
        secret = os.environ.get(secret_env, "")
        if not secret:
            raise click.UsageError(f"--webhook needs the signing secret in ${secret_env}")
        box, sender, saved = open_webhook(service, webhook, secret.encode(), org, outbox)
        checkpoint = saved or checkpoint
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stream = service.watch(org, kinds=wanted, from_block=from_block, to_block=to_block, checkpoint=checkpoint,
                           push=False if poll else None)
    try:
        pump(stream, on_event=lambda e: _show(e, as_json), outbox=box, checkpoint_file=checkpoint_file, stop=stop)
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()
        if sender is not None and box is not None:
            if to_block is not None and not stop.is_set() and not sender.drain(drain_timeout):
                echo(f"{box.counts()[1]} event(s) still pending in {box.path}; the next watch sends them", err=True)
            sender.stop()
            box.close()


def _show(event: object, as_json: bool) -> None:
    import json

    e: Any = event
    if as_json:
        echo(json.dumps(e.to_json(), sort_keys=True))
    else:
        echo(f"{e.block_number:>8}  {e.kind.value:<18} {e.event:<26} batch {e.batch_id or '-'}  id {e.event_id}")
