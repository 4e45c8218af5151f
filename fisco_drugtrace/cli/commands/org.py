"""``fisco-drugtrace org``: onboard organisations, bind accounts, suspend/restore, look them up.

ORG is a unified social credit code or an organisation id (0x + 64 hex).
"""

from __future__ import annotations

import click

from fisco_drugtrace.cli.commands._domain import evidence_hash, evidence_option, read_service, show, write_service
from fisco_drugtrace.cli.context import AppContext, pass_app
from fisco_drugtrace.cli.options import json_option

__all__ = ["org"]

_KINDS = ["REGULATOR_PROVINCIAL", "MANUFACTURER", "DISTRIBUTOR", "LOGISTICS", "PHARMACY", "HOSPITAL", "AUDITOR",
          "PROCUREMENT_PLATFORM"]


@click.group()
def org() -> None:
    """Organisations and their signing accounts (regulators onboard; everyone can look up)."""


@org.command("register")
@click.argument("code", metavar="ORG")
@click.option("--kind", type=click.Choice(_KINDS, case_sensitive=False), required=True, help="Organisation kind.")
@click.option("--region", type=int, required=True, help="Administrative region code (e.g. 110000).")
@click.option("--name", default="", help="Display name, kept in the local address book.")
@click.option("--licence-expiry", "expiry", type=int, default=0, help="Licence expiry, ms since epoch (0 = none).")
@evidence_option("details", "registration file")
@json_option
@pass_app
def register(app: AppContext, code: str, kind: str, region: int, name: str, expiry: int, details: str | None,
             as_json: bool) -> None:
    """Onboard organisation ORG (its unified social credit code)."""
    from fisco_drugtrace.drugtrace import OrgKind

    record = write_service(app).register_org(code, OrgKind[kind.upper()], region, licence_expiry=expiry,
                                             details_hash=evidence_hash(details), name=name)
    show(record, as_json)


@org.command("bind")
@click.argument("address")
@click.argument("code", metavar="ORG")
@json_option
@pass_app
def bind(app: AppContext, address: str, code: str, as_json: bool) -> None:
    """Bind signing account ADDRESS (or the name of an account in the account dir) to organisation ORG."""
    show(write_service(app).bind_account(_account_address(app, address), code), as_json)


def _account_address(app: AppContext, text: str) -> str:
    """An address as given, or the address of the named account in the account dir (no password needed)."""
    from fisco_drugtrace.encoding.hexutil import normalize_address
    from fisco_drugtrace.errors import HexError

    try:
        return normalize_address(text)
    except HexError:
        pass
    from fisco_drugtrace.crypto.keystore import AccountStore

    return AccountStore(app.settings.account_dir).find(text).address


@org.command("unbind")
@click.argument("address")
@json_option
@pass_app
def unbind(app: AppContext, address: str, as_json: bool) -> None:
    """Unbind signing account ADDRESS (or account name) from its organisation."""
    show(write_service(app).unbind_account(_account_address(app, address)), as_json)


@org.command("suspend")
@click.argument("code", metavar="ORG")
@evidence_option("reason", "decision document")
@json_option
@pass_app
def suspend(app: AppContext, code: str, reason: str | None, as_json: bool) -> None:
    """Suspend ORG: every write by its accounts reverts."""
    show(write_service(app).suspend_org(code, evidence_hash(reason)), as_json)


@org.command("restore")
@click.argument("code", metavar="ORG")
@evidence_option("reason", "decision document")
@json_option
@pass_app
def restore(app: AppContext, code: str, reason: str | None, as_json: bool) -> None:
    """Restore a suspended ORG."""
    show(write_service(app).restore_org(code, evidence_hash(reason)), as_json)


@org.command("show")
@click.argument("code", metavar="ORG")
@json_option
@pass_app
def show_cmd(app: AppContext, code: str, as_json: bool) -> None:
    """Show organisation ORG."""
    show(read_service(app).get_org(code), as_json)


@org.command("suspended-by")
@click.argument("code", metavar="ORG")
@json_option
@pass_app
def suspended_by(app: AppContext, code: str, as_json: bool) -> None:
    """Which regulator's suspension of ORG is in force (only the same or a higher one restores it)."""
    svc = read_service(app)
    found = svc.get_org(code)
    by = svc.suspended_by(found.org_id)
    hex_by = "0x" + by.hex() if any(by) else None
    show({"org_id": "0x" + found.org_id.hex(), "status": found.status.name, "suspended_by": hex_by,
          "suspended_by_name": svc.org_labels().get(hex_by or "", "") if hex_by else ""}, as_json)


@org.command("list")
@json_option
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """List every registered organisation."""
    show(read_service(app).list_orgs(), as_json, title="Organisations")


@org.command("of")
@click.argument("address")
@json_option
@pass_app
def of(app: AppContext, address: str, as_json: bool) -> None:
    """The organisation ADDRESS signs for."""
    show(read_service(app).org_of(address), as_json)
