"""Option factories shared by every command, so flags mean the same thing everywhere."""

from __future__ import annotations

from typing import Any, Callable

import click

__all__ = ["json_option", "yes_option"]

F = Callable[..., Any]


def json_option(f: F) -> F:
    """``--json``: print the result as JSON instead of a table."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(f)


def yes_option(f: F) -> F:
    """``--yes``: do not ask for confirmation."""
    return click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")(f)
