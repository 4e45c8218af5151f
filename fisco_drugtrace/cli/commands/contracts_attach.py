"""``fisco-drugtrace contracts attach [ORG_REGISTRY_ADDRESS]``: join a suite deployed by someone else.

Registered onto the ``contracts`` group (cli/commands/contracts.py, ``SUBCOMMANDS``).
"""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import read_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import echo, emit

__all__ = ["attach"]


@click.command("attach")
@click.argument("org_registry", required=False, metavar="[ORG_REGISTRY_ADDRESS]")
@click.option("--accept-different-code", is_flag=True,
              help="Record the suite even though some contract's code is not this release's.")
@click.option("--replace", is_flag=True, help="Switch this home to this suite though it names another live one.")
@json_option
@pass_app
def attach(app: AppContext, org_registry: str | None, accept_different_code: bool, replace: bool,
           as_json: bool) -> None:
    """Join the drug-trace suite already deployed on this chain and group.

    The address is the OrgRegistry's (the deployer publishes it); without one, `[suite]
    org_registry` from the settings ($FISCO_ORG_REGISTRY) is used, else the chain's name service
    (BFS on 3.x, CNS on 2.x). The linked contracts are read from the chain and each one's runtime
    code is compared with this release's artifacts before the suite is recorded in this home's
    address book. Sends no transaction.
    """
    address = org_registry or app.settings.org_registry or None
    source = "argument" if org_registry else ("settings" if address else "name service")
    done = read_service(app).attach(address, accept_different_code=accept_different_code, replace=replace,
                                    source=source)
    report = {"chain_id": done.deployment.chain_id, "group_id": done.deployment.group_id, "found_by": done.source,
              "contracts": [{"name": c.name, "address": c.address, "code": "matches" if c.matches else c.reason}
                            for c in done.checks],
              "block_number": done.deployment.block_number, "root_org_id": "0x" + done.root_org_id.hex()}
    if as_json:
        emit(report, True)
        return
    echo(f"Attached to the suite on chain {report['chain_id']} group {report['group_id']} (found by {done.source})")
    emit(report["contracts"], False)
    echo(f"root organisation (the suite's national regulator): {report['root_org_id']}")
    if source == "name service":
        echo("the name service is not authenticated: check this root organisation (and the OrgRegistry "
             "address) with your regulator before you rely on it", err=True)
    if done.differing:
        echo(f"warning: code differs from this release for {', '.join(done.differing)}", err=True)
