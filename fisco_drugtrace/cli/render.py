"""Rendering helpers: the only code in the CLI that writes to the terminal.

``emit(obj, as_json)`` turns library records (dataclasses, enums, bytes, mappings) into JSON or a
readable table. Progress bars for long work come from :func:`progress`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

import click

__all__ = ["to_jsonable", "emit", "emit_table", "progress", "echo"]


def to_jsonable(obj: Any) -> Any:
    """Library records -> plain JSON values (bytes as 0x-hex, enums by name)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.repr and f.name != "raw"}
    if isinstance(obj, enum.Enum):
        return obj.name if not isinstance(obj.value, str) else obj.value
    if isinstance(obj, (bytes, bytearray)):
        return "0x" + bytes(obj).hex()
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "_asdict"):
        return to_jsonable(obj._asdict())
    return obj


def echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err)


def emit(obj: Any, as_json: bool, *, title: str | None = None) -> None:
    """Print a record or a list of records, as JSON or as a table / key-value listing."""
    data = to_jsonable(obj)
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
        return
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        emit_table(data, title=title)
    elif isinstance(data, dict):
        _emit_mapping(data, title=title)
    elif isinstance(data, list) and not data:
        click.echo("(none)")
    else:
        click.echo(str(data))


def _fmt(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def _emit_mapping(data: Mapping[str, Any], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in data.items():
        table.add_row(str(key), _fmt(value))
    Console(soft_wrap=False).print(table)


def emit_table(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    table = Table(title=title)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*[_fmt(row.get(c)) for c in columns])
    Console(soft_wrap=False).print(table)


@contextmanager
def progress(description: str, total: int | None, enabled: bool = True) -> Iterator[Any]:
    """A rich progress bar; yields ``advance(n)``. Disabled (no output) for --json or when not a TTY."""
    if not enabled:
        yield lambda n=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
