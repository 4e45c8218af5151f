"""docs/cli.md documents every command of the click tree, nothing that is not there, and the exit
codes the CLI really uses.

A command is documented when a table row's first cell names it in backticks (`org bind ...`).
Commands added in new modules fail this test until a row is written for them.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from fisco_drugtrace.cli.main import EXIT_CODES, cli

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
_WORD = re.compile(r"^[a-z][a-z0-9-]*$")


def _paths(cmd: click.Command, prefix: list[str], ctx: click.Context) -> list[list[str]]:
    if not isinstance(cmd, click.Group):
        return [prefix]
    out = []
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        assert sub is not None, f"{' '.join(prefix + [name])} is listed but cannot be imported"
        out += _paths(sub, prefix + [name], click.Context(sub, info_name=name, parent=ctx))
    return out


def _tree() -> set[str]:
    return {" ".join(p) for p in _paths(cli, [], click.Context(cli, info_name="fisco-drugtrace"))}


def _documented() -> dict[str, int]:
    """Command paths named in the first cell of table rows -> their line in the doc."""
    found: dict[str, int] = {}
    for number, line in enumerate(DOC.splitlines(), 1):
        if not line.startswith("| `"):
            continue
        first = re.split(r"(?<!\\)\|", line)[1]
        for snippet in re.findall(r"`([^`]+)`", first):
            words = []
            for word in snippet.split():
                if not _WORD.match(word):
                    break
                words.append(word)
            if words:
                found.setdefault(" ".join(words), number)
    return found


def _resolve(words: list[str]) -> tuple[bool, str]:
    """Does ``words`` start with a real command path? (leaf commands may be followed by lowercase args)"""
    cmd: click.Command = cli
    ctx = click.Context(cli, info_name="fisco-drugtrace")
    walked: list[str] = []
    for word in words:
        if not isinstance(cmd, click.Group):
            break
        sub = cmd.get_command(ctx, word)
        if sub is None:
            return False, " ".join(walked + [word])
        walked.append(word)
        cmd, ctx = sub, click.Context(sub, info_name=word, parent=ctx)
    return True, " ".join(walked)


def test_every_command_is_documented() -> None:
    tree = _tree()
    assert len(tree) > 60
    documented = _documented()
    covered = {_resolve(path.split())[1] for path in documented}
    missing = sorted(tree - covered)
    assert not missing, (f"{DOC_PATH.name} has no table row for: {', '.join(missing)} — add a row whose first "
                         "cell is `<command> <ARGS> [--options]` (and a line of what it does)")


def test_nothing_documented_is_absent() -> None:
    absent = {}
    for path, line in _documented().items():
        ok, where = _resolve(path.split())
        if not ok:
            absent[path] = (line, where)
    assert not absent, "documented in docs/cli.md but not a command: " + "; ".join(
        f"line {line}: `{path}` (no command `{where}`)" for path, (line, where) in sorted(absent.items()))


def test_the_sync_check_itself_catches_both_directions() -> None:
    # a made-up row is reported as absent, and a real command that is nowhere in the doc as missing
    assert _resolve(["org", "frobnicate"]) == (False, "org frobnicate")
    assert _resolve(["trace", "unit", "extra"]) == (True, "trace unit")
    assert "org frobnicate" not in _documented()


def test_exit_code_table_matches_the_cli() -> None:
    table = dict(re.findall(r"^\| (\d+) \| ([^|]+) \|$", DOC, flags=re.M))
    for code, meaning in EXIT_CODES.items():
        assert str(code) in table, f"exit code {code} ({meaning}) is not in the table of {DOC_PATH.name}"
        assert table[str(code)].strip().startswith(meaning.split(" (")[0]), (code, table[str(code)])
    assert set(table) - {str(c) for c in EXIT_CODES} <= {"130"}, "documented exit codes the CLI never uses"
