"""docs/cli.md documents every domain command and the exit codes the CLI really uses."""

from __future__ import annotations

import re
from pathlib import Path

import click

from fisco_drugtrace.cli.main import EXIT_CODES, cli

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
DOMAIN = ("org", "product", "batch", "ship", "receive", "dispense", "observe", "lifecycle", "recall", "trace",
          "verify", "audit")


def _paths(cmd: click.Command, prefix: list[str], ctx: click.Context) -> list[list[str]]:
    if not isinstance(cmd, click.Group):
        return [prefix]
    out = []
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        assert sub is not None
        out += _paths(sub, prefix + [name], click.Context(sub, info_name=name, parent=ctx))
    return out


def test_every_domain_command_is_documented() -> None:
    root = click.Context(cli, info_name="fisco-drugtrace")
    paths = [p for p in _paths(cli, [], root) if p[0] in DOMAIN] + [["contracts", "deploy"], ["contracts", "status"]]
    assert len(paths) > 40
    missing = [" ".join(p) for p in paths if f"`{' '.join(p)}" not in DOC]
    assert missing == []


def test_exit_code_table_matches_the_cli() -> None:
    table = dict(re.findall(r"^\| (\d+) \| ([^|]+) \|$", DOC, flags=re.M))
    for code, meaning in EXIT_CODES.items():
        assert str(code) in table, code
        assert table[str(code)].strip().startswith(meaning.split(" (")[0]), (code, table[str(code)])
