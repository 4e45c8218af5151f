"""``fisco-drugtrace contracts deploy|status``: put the suite on a chain and look at it.

Registered onto the ``contracts`` group (cli/commands/contracts.py, ``SUBCOMMANDS``).
"""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, read_service, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo

__all__ = ["deploy", "status"]


@click.command("deploy")
@click.option("--org-code", required=True, help="Unified social credit code of the national regulator (the root).")
@click.option("--region", type=int, required=True, help="The root's region code (e.g. 100000).")
@click.option("--name", default="", help="Display name of the root organisation.")
@click.option("--replace", is_flag=True, help="Deploy even though the address book names a live suite here.")
@evidence_option("details", "root's registration file")
@json_option
@pass_app
def deploy(app: AppContext, org_code: str, region: int, name: str, replace: bool, details: str | None,
           as_json: bool) -> None:
    """Deploy and link the five contracts; the signing account becomes the root regulator.

    The addresses are recorded in the address book (home dir) for this chain and group.
    """
    deployment = write_service(app).deploy(org_code, region=region, name=name, replace=replace,
                                           details_hash=evidence_hash(details),
                                           on_step=None if as_json else _step)
    show(deployment, as_json)
    if not as_json:
        last = deployment.last_block_number or deployment.block_number
        echo(f"deployed in blocks {deployment.block_number}–{last}" if last != deployment.block_number
             else f"deployed in block {last}")
        for line in join_instructions(deployment.address("OrgRegistry"), deployment.name_service):
            echo(line, err=True)


def _step(line: str) -> None:
    """A deploy step done (✓), or one that was not (a line starting with "!")."""
    echo(f"  {line[1:].strip()} ✗" if line.startswith("!") else f"  {line} ✓", err=True)


def join_instructions(org_registry: str, published_at: str = "") -> list[str]:
    """What another organisation runs, on its own machine, to join this deployment."""
    where = (f"published at {published_at}: `contracts attach` with no address finds it" if published_at
             else "not published in the chain's name service: give them the address")
    return [
        f"Suite OrgRegistry {org_registry} ({where}).",
        "Another organisation joins this deployment from its own machine with:",
        "  fisco-drugtrace account new NAME                    # its signing key; send the address to the regulator",
        f"  fisco-drugtrace contracts attach {org_registry}   # reads and checks the suite, records it",
        "  fisco-drugtrace --account NAME org of ADDRESS       # once registered and bound: shows its organisation",
    ]


@click.command("status")
@json_option
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """The suite on this chain/group: addresses, code present, pause switch, counters."""
    show(read_service(app).status(), as_json)
