"""``fisco-drugtrace gov``: FISCO BCOS system precompiles and 3.x permission governance.

Each command makes one call into :mod:`fisco_drugtrace.contracts.precompiled` and renders what it
returns; refusals arrive as typed errors (a node return code: exit 1; a failed transaction such as
"you must be governor" or "Call permission denied.": exit 5).
"""

from __future__ import annotations

from typing import Any

import click

from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option
from fisco_drugtrace.cli.render import emit, emit_table

__all__ = ["gov"]

_AUTH_TYPES = {"none": 0, "white": 1, "black": 2}


def _auth(app: AppContext, read_only: bool = False) -> Any:
    from fisco_drugtrace.contracts.precompiled import AuthManager

    return AuthManager(app.client, None if read_only else app.signer)


def _proposal(info: Any, as_json: bool) -> None:
    emit(info, as_json, title=f"Proposal {info.id}")


@click.group()
def gov() -> None:
    """System config, consensus, BFS/CNS names and (3.x, chains started with -a) the committee."""


# ---------------------------------------------------------------------------- committee
@gov.command("committee")
@json_option
@pass_app
def committee(app: AppContext, as_json: bool) -> None:
    """Governors with their weights, and the participation and win rates (%)."""
    emit(_auth(app, read_only=True).committee_info(), as_json, title="Committee")


@gov.command("proposals")
@click.option("--id", "proposal_id", type=int, help="Only this proposal.")
@json_option
@pass_app
def proposals(app: AppContext, proposal_id: int | None, as_json: bool) -> None:
    """Every proposal (or one) with its status and voters."""
    auth = _auth(app, read_only=True)
    if proposal_id is not None:
        _proposal(auth.proposal(proposal_id), as_json)
        return
    rows = auth.proposals()
    if as_json:
        emit(rows, True)
    else:
        emit_table([{"id": p.id, "type": getattr(p.type, "name", p.type), "status": p.status.name,
                     "proposer": p.proposer, "agree": len(p.agree_voters), "against": len(p.against_voters),
                     "deadline": p.deadline_block} for p in rows], title="Proposals")


@gov.group("propose")
def propose() -> None:
    """Create a proposal (governors only); your own vote is its first "yes"."""


@propose.command("governor")
@click.argument("account")
@click.argument("weight", type=int)
@json_option
@pass_app
def propose_governor(app: AppContext, account: str, weight: int, as_json: bool) -> None:
    """Add ACCOUNT as governor, change its WEIGHT, or remove it (WEIGHT 0)."""
    _proposal(_auth(app).update_governor(account, weight), as_json)


@propose.command("rate")
@click.argument("participates", type=click.IntRange(0, 100))
@click.argument("win", type=click.IntRange(0, 100))
@json_option
@pass_app
def propose_rate(app: AppContext, participates: int, win: int, as_json: bool) -> None:
    """Votes needed: PARTICIPATES % of the weight must vote, WIN % of the votes agree."""
    _proposal(_auth(app).set_rate(participates, win), as_json)


@propose.command("deploy-type")
@click.argument("kind", type=click.Choice(sorted(_AUTH_TYPES)))
@json_option
@pass_app
def propose_deploy_type(app: AppContext, kind: str, as_json: bool) -> None:
    """Who may deploy: none (anyone), white (only allowed accounts), black (all but denied ones)."""
    _proposal(_auth(app).set_deploy_auth_type(_AUTH_TYPES[kind]), as_json)


@propose.command("deploy-auth")
@click.argument("account")
@click.option("--allow/--deny", default=True, show_default=True)
@json_option
@pass_app
def propose_deploy_auth(app: AppContext, account: str, allow: bool, as_json: bool) -> None:
    """Allow or deny ACCOUNT to deploy contracts."""
    _proposal(_auth(app).modify_deploy_auth(account, allow), as_json)


@propose.command("reset-admin")
@click.argument("contract")
@click.argument("new_admin")
@json_option
@pass_app
def propose_reset_admin(app: AppContext, contract: str, new_admin: str, as_json: bool) -> None:
    """Make NEW_ADMIN the admin of CONTRACT (who sets its method ACLs and status)."""
    _proposal(_auth(app).reset_admin(new_admin, contract), as_json)


@propose.command("config")
@click.argument("key")
@click.argument("value")
@json_option
@pass_app
def propose_config(app: AppContext, key: str, value: str, as_json: bool) -> None:
    """Set system config KEY (tx_count_limit, tx_gas_limit, ...) to VALUE."""
    _proposal(_auth(app).set_sys_config(key, value), as_json)


@propose.command("node")
@click.argument("node_id")
@click.argument("weight", type=int)
@click.option("--add", is_flag=True, help="Join: as sealer (WEIGHT > 0) or observer (WEIGHT 0).")
@json_option
@pass_app
def propose_node(app: AppContext, node_id: str, weight: int, add: bool, as_json: bool) -> None:
    """Change a consensus node's WEIGHT (or, with --add, add it)."""
    _proposal(_auth(app).set_consensus_weight(node_id, weight, add), as_json)


@propose.command("remove-node")
@click.argument("node_id")
@json_option
@pass_app
def propose_remove_node(app: AppContext, node_id: str, as_json: bool) -> None:
    """Remove a node from consensus."""
    _proposal(_auth(app).remove_node(node_id), as_json)


@gov.command("vote")
@click.argument("proposal_id", type=int)
@click.option("--against", is_flag=True, help="Vote no.")
@json_option
@pass_app
def vote(app: AppContext, proposal_id: int, against: bool, as_json: bool) -> None:
    """Vote on a proposal (governors only); it is executed as soon as it passes."""
    _proposal(_auth(app).vote(proposal_id, not against), as_json)


@gov.command("revoke")
@click.argument("proposal_id", type=int)
@json_option
@pass_app
def revoke(app: AppContext, proposal_id: int, as_json: bool) -> None:
    """Withdraw your own open proposal."""
    _proposal(_auth(app).revoke(proposal_id), as_json)


# ---------------------------------------------------------------------------- ACLs and status
@gov.group("acl")
def acl() -> None:
    """Method ACLs of a contract (set by its admin) and the deploy rule."""


@acl.command("type")
@click.argument("contract")
@click.argument("method")
@click.argument("kind", type=click.Choice(["white", "black"]))
@json_option
@pass_app
def acl_type(app: AppContext, contract: str, method: str, kind: str, as_json: bool) -> None:
    """Give METHOD (a signature such as set(uint256), or 0x + 8 hex) a white or black list."""
    _auth(app).set_method_auth_type(contract, method, _AUTH_TYPES[kind])
    emit({"contract": contract, "method": method, "type": kind}, as_json, title="Method ACL")


@acl.command("open")
@click.argument("contract")
@click.argument("method")
@click.argument("account")
@json_option
@pass_app
def acl_open(app: AppContext, contract: str, method: str, account: str, as_json: bool) -> None:
    """Let ACCOUNT call METHOD."""
    _auth(app).set_method_auth(contract, method, account, allow=True)
    emit(_auth(app, read_only=True).method_auth(contract, method), as_json, title="Method ACL")


@acl.command("close")
@click.argument("contract")
@click.argument("method")
@click.argument("account")
@json_option
@pass_app
def acl_close(app: AppContext, contract: str, method: str, account: str, as_json: bool) -> None:
    """Stop ACCOUNT calling METHOD."""
    _auth(app).set_method_auth(contract, method, account, allow=False)
    emit(_auth(app, read_only=True).method_auth(contract, method), as_json, title="Method ACL")


@acl.command("show")
@click.argument("contract")
@click.argument("method")
@click.option("--account", help="Also say whether this account may call it.")
@json_option
@pass_app
def acl_show(app: AppContext, contract: str, method: str, account: str | None, as_json: bool) -> None:
    """METHOD's list type and its allowed / blocked accounts; the contract's admin."""
    auth = _auth(app, read_only=True)
    out: dict[str, Any] = {"contract": contract, "admin": auth.admin_of(contract),
                           "method_auth": auth.method_auth(contract, method)}
    if account:
        out["may_call"] = auth.check_method_auth(contract, method, account)
    emit(out, as_json, title="Method ACL")


@acl.command("deploy")
@click.argument("account", required=False)
@json_option
@pass_app
def acl_deploy(app: AppContext, account: str | None, as_json: bool) -> None:
    """The deploy rule (and whether ACCOUNT may deploy)."""
    auth = _auth(app, read_only=True)
    out: dict[str, Any] = {"deploy_auth_type": auth.deploy_auth_type()}
    if account:
        out["may_deploy"] = auth.has_deploy_auth(account)
    emit(out, as_json, title="Deploy rule")


def _status_command(group: click.Group, what: str, setter: str, getter: str, label: str) -> None:
    for name, status in (("freeze", 1), ("unfreeze", 0), ("abolish", 2)):
        def command(app: AppContext, target: str, as_json: bool, _status: int = status) -> None:
            auth = _auth(app)
            getattr(auth, setter)(target, _status)
            emit({what: target, label: getattr(auth, getter)(target)}, as_json, title=what.capitalize())

        command.__doc__ = f"{name.capitalize()} the {what} (" + (
            "its admin" if what == "contract" else "a governor") + ")."
        group.command(name)(pass_app(json_option(click.argument("target", metavar=what.upper())(command))))


@gov.group("contract")
def contract_group() -> None:
    """Freeze, unfreeze or abolish a contract (its admin)."""


@gov.group("account")
def account_group() -> None:
    """Freeze, unfreeze or abolish an account (a governor)."""


_status_command(contract_group, "contract", "set_contract_status", "contract_available", "available")
_status_command(account_group, "account", "set_account_status", "account_status", "status")


@account_group.command("status")
@click.argument("account")
@json_option
@pass_app
def account_status(app: AppContext, account: str, as_json: bool) -> None:
    """NORMAL, FROZEN or ABOLISHED."""
    emit({"account": account, "status": _auth(app, read_only=True).account_status(account)}, as_json,
         title="Account")


@contract_group.command("status")
@click.argument("contract")
@json_option
@pass_app
def contract_status(app: AppContext, contract: str, as_json: bool) -> None:
    """Whether the contract may be called, and its admin."""
    auth = _auth(app, read_only=True)
    emit({"contract": contract, "available": auth.contract_available(contract), "admin": auth.admin_of(contract)},
         as_json, title="Contract")


# ---------------------------------------------------------------------------- system config, consensus
@gov.group("config")
def config() -> None:
    """System config through the SystemConfig precompile (on a governed chain: `gov propose config`)."""


@config.command("set")
@click.argument("key")
@click.argument("value")
@json_option
@pass_app
def config_set(app: AppContext, key: str, value: str, as_json: bool) -> None:
    """Set KEY to VALUE from the next block."""
    from fisco_drugtrace.contracts.precompiled import SystemConfig

    SystemConfig(app.client, app.signer).set(key, value)
    emit(app.client.get_system_config_by_key(key), as_json, title=key)


@config.command("get")
@click.argument("key")
@json_option
@pass_app
def config_get(app: AppContext, key: str, as_json: bool) -> None:
    """The value in force (the node's getSystemConfigByKey)."""
    emit(app.client.get_system_config_by_key(key), as_json, title=key)


@gov.group("consensus")
def consensus() -> None:
    """Sealers and observers (on a governed chain: `gov propose node`)."""


def _consensus(app: AppContext) -> Any:
    from fisco_drugtrace.contracts.precompiled import Consensus

    return Consensus(app.client, app.signer)


@consensus.command("add-observer")
@click.argument("node_id")
@pass_app
def add_observer(app: AppContext, node_id: str) -> None:
    """Add NODE_ID (128 hex digits) as an observer (or demote a sealer)."""
    _consensus(app).add_observer(node_id)
    click.echo(f"{node_id} is an observer from the next block")


@consensus.command("add-sealer")
@click.argument("node_id")
@click.option("--weight", type=int, default=1, show_default=True)
@pass_app
def add_sealer(app: AppContext, node_id: str, weight: int) -> None:
    """Make an observer a sealer (3.x; 2.x adds it directly)."""
    _consensus(app).add_sealer(node_id, weight)
    click.echo(f"{node_id} is a sealer from the next block")


@consensus.command("remove")
@click.argument("node_id")
@pass_app
def remove_node(app: AppContext, node_id: str) -> None:
    """Remove NODE_ID from consensus (never the last sealer)."""
    _consensus(app).remove(node_id)
    click.echo(f"{node_id} left consensus")


@consensus.command("set-weight")
@click.argument("node_id")
@click.argument("weight", type=int)
@pass_app
def set_weight(app: AppContext, node_id: str, weight: int) -> None:
    """Give a sealer a new vote WEIGHT (3.x)."""
    _consensus(app).set_weight(node_id, weight)
    click.echo(f"{node_id} has weight {weight} from the next block")


# ---------------------------------------------------------------------------- names: BFS and CNS
@gov.group("bfs")
def bfs() -> None:
    """The 3.x contract file system (/apps/...)."""


def _bfs(app: AppContext, read_only: bool = False) -> Any:
    from fisco_drugtrace.contracts.precompiled import Bfs

    return Bfs(app.client, None if read_only else app.signer)


@bfs.command("ls")
@click.argument("path", default="/apps")
@json_option
@pass_app
def bfs_ls(app: AppContext, path: str, as_json: bool) -> None:
    """The files in PATH (default /apps), or the link at PATH with its address."""
    entries = _bfs(app, read_only=True).list(path)
    if as_json:
        emit(entries, True)
    else:
        emit_table([{"name": e.name, "type": e.type, "address": e.link_address or ""} for e in entries], title=path)


@bfs.command("ln")
@click.argument("path")
@click.argument("address")
@click.option("--abi", default="", help="ABI JSON text stored with the link.")
@pass_app
def bfs_ln(app: AppContext, path: str, address: str, abi: str) -> None:
    """Point PATH (under /apps/) at ADDRESS."""
    _bfs(app).link(path, address, abi)
    click.echo(f"{path} -> {address}")


@bfs.command("readlink")
@click.argument("path")
@pass_app
def bfs_readlink(app: AppContext, path: str) -> None:
    """The address the link at PATH points at (exit 1 when there is none)."""
    from fisco_drugtrace.errors import NotFound

    address = _bfs(app, read_only=True).readlink(path)
    if address is None:
        raise NotFound("BFS link", path)
    click.echo(address)


@bfs.command("mkdir")
@click.argument("path")
@pass_app
def bfs_mkdir(app: AppContext, path: str) -> None:
    """Create PATH and its missing parents (under /apps/, /tables/ or /usr/)."""
    _bfs(app).mkdir(path)
    click.echo(f"created {path}")


@gov.group("cns")
def cns() -> None:
    """The 2.x contract name service."""


@cns.command("register")
@click.argument("name")
@click.argument("version")
@click.argument("address")
@click.option("--abi", default="")
@pass_app
def cns_register(app: AppContext, name: str, version: str, address: str, abi: str) -> None:
    """Register NAME at VERSION for ADDRESS (once per name and version)."""
    from fisco_drugtrace.contracts.precompiled import Cns

    Cns(app.client, app.signer).insert(name, version, address, abi)
    click.echo(f"{name} {version} -> {address}")


@cns.command("resolve")
@click.argument("name")
@click.option("--version", help="Default: the latest registration.")
@pass_app
def cns_resolve(app: AppContext, name: str, version: str | None) -> None:
    """The address of NAME (its latest version, or --version); exit 1 when unknown."""
    from fisco_drugtrace.contracts.precompiled import Cns
    from fisco_drugtrace.errors import NotFound

    address = Cns(app.client).address_of(name, version)
    if address is None:
        raise NotFound("CNS entry", name + (f" {version}" if version else ""))
    click.echo(address)


@cns.command("list")
@click.argument("name")
@json_option
@pass_app
def cns_list(app: AppContext, name: str, as_json: bool) -> None:
    """Every version registered under NAME, oldest first."""
    from fisco_drugtrace.contracts.precompiled import Cns

    rows = Cns(app.client).select(name)
    if as_json:
        emit(rows, True)
    else:
        emit_table([{"version": r.version, "address": r.address} for r in rows], title=name)
