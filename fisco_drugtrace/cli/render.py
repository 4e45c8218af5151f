"""Rendering helpers: the only code in the CLI that writes to the terminal.

``emit(obj, as_json)`` turns library records (dataclasses, enums, bytes, mappings) into JSON or a
readable table. Progress bars for long work come from :func:`progress`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

import click

from fisco_drugtrace.contracts.names import EnumValue, MaskValue

__all__ = ["to_jsonable", "emit", "emit_table", "progress", "echo", "is_terminal"]


def _numbered(key: str, value: Any) -> list[tuple[str, Any]]:
    """``key: name`` and, for enums and masks, ``key_value: number`` beside it."""
    if isinstance(value, enum.Enum) and isinstance(value.value, int):
        return [(key, value.name), (f"{key}_value", int(value.value))]
    if isinstance(value, (EnumValue, MaskValue)):
        return [(key, str(value)), (f"{key}_value", int(value))]
    return [(key, to_jsonable(value))]


def to_jsonable(obj: Any) -> Any:
    """Library records -> plain JSON values (bytes as 0x-hex, enums and kind masks by name with
    the number beside them as ``<field>_value``)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dict(pair for f in dataclasses.fields(obj) if f.repr and f.name != "raw"
                    for pair in _numbered(f.name, getattr(obj, f.name)))
    if isinstance(obj, enum.Enum):
        return obj.name if not isinstance(obj.value, str) else obj.value
    if isinstance(obj, (EnumValue, MaskValue)):
        return str(obj)
    if isinstance(obj, (bytes, bytearray)):
        return "0x" + bytes(obj).hex()
    if isinstance(obj, Mapping):
        return dict(pair for k, v in obj.items() for pair in _numbered(str(k), v))
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
        click.echo(json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False))
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
        return json.dumps(value, default=str, ensure_ascii=False)
    return "" if value is None else str(value)


def _emit_mapping(data: Mapping[str, Any], title: str | None = None) -> None:
    from rich.table import Table

    if not _is_terminal():
        # a pipe or a file: "key  value" lines, aligned, nothing wrapped or cut
        pairs = [(str(k), _fmt(v)) for k, v in data.items() if not (str(k).endswith("_value") and str(k)[:-6] in data)]
        if title:
            click.echo(title)
        width = max((len(k) for k, _ in pairs), default=0)
        for key, value in pairs:
            click.echo(f"{key.ljust(width)}  {value}".rstrip())
        return
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(no_wrap=True, overflow="ignore")
    cells = [(str(key), _fmt(value)) for key, value in data.items()]
    for key, value in cells:
        table.add_row(key, value)
    _console(max((len(k) + len(v) + 1 for k, v in cells), default=0)).print(table)


def emit_table(rows: Sequence[Mapping[str, Any]], title: str | None = None) -> None:
    from rich.table import Table

    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    if not _is_terminal():
        # a pipe or a file: a header and one line per record, columns aligned with spaces,
        # ids never broken or shortened (scripts wanting fields use --json)
        shown = [c for c in columns if not (c.endswith("_value") and c[:-6] in columns)]
        lines = [shown] + [[_fmt(row.get(c)) for c in shown] for row in rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(shown))]
        if title:
            click.echo(title)
        for line in lines:
            click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        return
    table = Table(title=title)
    for col in columns:
        table.add_column(col, no_wrap=True, overflow="ignore")
    cells = [[_fmt(row.get(c)) for c in columns] for row in rows]
    for row_cells in cells:
        table.add_row(*row_cells)
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    _console(sum(widths) + 3 * len(widths) + 1).print(table)


def _is_terminal() -> bool:
    """Is stdout a terminal? Pipes, files and test runners get plain, unwrapped text."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def is_terminal() -> bool:
    """Is the output for a person (a terminal) rather than a pipe or a file?"""
    return _is_terminal()


def _console(needed: int = 0) -> Any:
    """A console at least ``needed`` columns wide: hex ids, addresses and hashes are never folded
    or cut — a table too wide for the terminal is left for the terminal to wrap whole lines."""
    from rich.console import Console

    width = Console().width
    return Console(width=max(width, needed), soft_wrap=True)


@contextmanager
def progress(description: str, total: int | None, enabled: bool = True) -> Iterator[Any]:
    """A rich progress bar; yields ``advance(n)``. Disabled (no output) for --json or when not a TTY."""
    if not enabled or not is_terminal():
        yield lambda n=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
