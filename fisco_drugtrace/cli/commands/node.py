"""``fisco-drugtrace node``: what the configured node says about itself."""

from __future__ import annotations

import click

from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import emit

__all__ = ["node"]


@click.group()
def node() -> None:
    """Query the configured FISCO BCOS node."""


@node.command("info")
@json_option
@pass_app
def info(app: AppContext, as_json: bool) -> None:
    """Block number, group, chain id, sealers, sync status and node version."""
    emit(app.client.node_overview(), as_json, title="Node")


@node.command("group")
@json_option
@pass_app
def group(app: AppContext, as_json: bool) -> None:
    """The group: chain and group ids, crypto suite, genesis settings, nodes (2.x: groups, peers, sealers)."""
    from fisco_drugtrace.contracts.chain_view import group_view

    emit(group_view(app.client), as_json, title="Group")
