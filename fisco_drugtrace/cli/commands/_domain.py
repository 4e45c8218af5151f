"""Helpers shared by the domain commands (org, product, batch, ship, ... audit).

Parsing of ids, organisations, dates and evidence, the service for reads (no signer) or writes
(the configured account signs), and the batch progress bar. No RPC, ABI or signing here.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from fisco_drugtrace.cli.context import AppContext
from fisco_drugtrace.cli.render import progress

__all__ = [
    "read_service",
    "write_service",
    "id_arg",
    "IdType",
    "DATE",
    "to_ms",
    "evidence_option",
    "evidence_hash",
    "batch_progress",
    "show",
    "iter_lines",
]


def read_service(app: AppContext) -> Any:
    """The service for read-only commands: no account, no password prompt."""
    from fisco_drugtrace.drugtrace import TraceService

    svc = TraceService.from_settings(app.settings, client=app.client, signer=None)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(svc.close)  # closes its code store; the client is the app's
    return svc


def write_service(app: AppContext) -> Any:
    """The service acting as the configured account (--account / $FISCO_ACCOUNT)."""
    return app.service


class IdType(click.ParamType):
    """A bytes32 id given as 0x + 64 hex."""

    name = "ID"

    def convert(self, value: Any, param: Any, ctx: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        from fisco_drugtrace.drugtrace.ids import parse_id

        try:
            return parse_id(str(value))
        except ValueError as exc:
            self.fail(f"{value!r} is not an id (0x + 64 hex digits): {exc}", param, ctx)


id_arg = IdType()


class _DateType(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        try:
            return to_ms(str(value))
        except ValueError:
            self.fail(f"{value!r}: use YYYY-MM-DD, an ISO date-time, or milliseconds since the epoch", param, ctx)


DATE = _DateType()


def to_ms(text: str) -> int:
    """YYYY-MM-DD (UTC midnight), ISO date-time, or an integer of milliseconds -> ms."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        day = date.fromisoformat(text)
        return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)
    except ValueError:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return int(moment.timestamp() * 1000)


def evidence_option(name: str = "evidence", help_text: str = "document") -> Callable[[Any], Any]:
    """``--<name> TEXT|@FILE``: the keccak256 of a note, or of a file's bytes, goes on chain."""
    return click.option(f"--{name}", name, default=None, metavar="TEXT|@FILE",
                        help=f"The {help_text}: its keccak256 goes on chain (text, or @path for a file).")


def evidence_hash(value: str | None) -> bytes:
    from fisco_drugtrace.drugtrace.ids import text_hash

    if value and value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return text_hash(path.read_bytes())
        except OSError as exc:
            raise click.BadParameter(f"cannot read {path}: {exc}") from exc
    return text_hash(value)


class batch_progress:  # noqa: N801 - used like a function in a with-statement
    """A progress bar over the stages of a batch registration (validate, hash, store, commit)."""

    _WEIGHT = {"validate": 1, "hash": 1, "store": 1, "commit": 0}

    def __init__(self, count: int, enabled: bool) -> None:
        self.count = count
        self.enabled = enabled
        self._done: dict[str, int] = {}

    def __enter__(self) -> Callable[[str, int, int], None]:
        self._cm = progress("Registering batch", self.count * 3 + 1, enabled=self.enabled)
        self._advance = self._cm.__enter__()
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        if stage == "commit":
            if done:
                self._advance(1)
            return
        previous = self._done.get(stage, 0)
        if done > previous:
            self._advance(done - previous)
            self._done[stage] = done

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)


def show(obj: Any, as_json: bool, title: str | None = None) -> None:
    from fisco_drugtrace.cli.render import emit

    emit(obj, as_json, title=title)


def iter_lines(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.strip()
