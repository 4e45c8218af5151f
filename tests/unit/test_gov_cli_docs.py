"""Every ``gov`` command is in docs/cli.md (the docs must match what the CLI offers)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from fisco_drugtrace.cli.commands.gov import gov

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")


def _paths(group: click.Group, prefix: str) -> list[str]:
    out = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        out += _paths(command, path) if isinstance(command, click.Group) else [path]
    return out


def test_every_gov_command_is_documented() -> None:
    commands = _paths(gov, "gov")
    assert len(commands) > 25
    undocumented = []
    for path in commands:
        words = path.split()
        # "gov acl open" may be documented as "`gov acl open\\|close ...`" (alternatives of one group)
        group, verb = " ".join(words[:-1]), words[-1]
        pattern = re.compile(rf"`{re.escape(group)} (?:[\w-]+\\\|)*{re.escape(verb)}(?:[\s`\\]|$)")
        if not pattern.search(DOCS):
            undocumented.append(path)
    assert undocumented == []


def test_every_gov_command_has_help() -> None:
    missing = []

    def walk(group: click.Group, prefix: str) -> None:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(command, f"{prefix} {name}")
            elif not (command.help or "").strip():
                missing.append(f"{prefix} {name}")

    walk(gov, "gov")
    assert missing == []
