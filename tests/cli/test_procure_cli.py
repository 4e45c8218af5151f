"""``procure`` end to end on an in-process dev chain (issue 17 B): output, --json and exit codes.

The cast is the story's plus a procurement platform (the last dev account). The 30-day rule is
covered by the contract and service tests (they move the clock); here the CLI's verbs, their JSON
and the exit code of a refused order.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

import fisco_drugtrace.client as client_module
from fisco_drugtrace.cli.main import cli, main
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, write_dev_keystores
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes

ROLES = [a.role for a in ACTORS] + ["platform"]
CODE = {a.role: a.credit_code for a in ACTORS} | {"platform": "12110000PROCURE02Y"}


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cli-procure")
    chain = DevChain(DevChainConfig())
    accounts = write_dev_keystores(root / "accounts", count=len(ROLES))
    real_connect = client_module.connect
    patch = pytest.MonkeyPatch()
    patch.setattr(client_module, "connect", lambda settings, handler=None: real_connect(
        settings, handler=chain.handle_raw))
    for key, value in {"FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD, "FISCO_ACCOUNT_DIR": str(root / "accounts"),
                       "FISCO_DRUGTRACE_HOME": str(root / "home"), "FISCO_RPC_URL": "http://127.0.0.1:9"}.items():
        patch.setenv(key, value)
    patch.delenv("FISCO_DRUGTRACE_CONFIG", raising=False)
    patch.delenv("FISCO_ACCOUNT", raising=False)
    patch.chdir(root)
    yield {"root": root, "accounts": dict(zip(ROLES, accounts)), "chain": chain}
    patch.undo()
    chain.close()


def invoke(*args: str, as_role: str | None = None) -> Any:
    argv = (["--account", f"dev{ROLES.index(as_role)}"] if as_role else []) + list(args)
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def as_json(*args: str, as_role: str | None = None) -> Any:
    return json.loads(invoke(*args, "--json", as_role=as_role))


@pytest.fixture(scope="module")
def world(env) -> dict[str, Any]:
    invoke("contracts", "deploy", "--org-code", CODE["regulator"], "--region", "110000", as_role="regulator")
    for actor in ACTORS[1:]:
        invoke("org", "register", actor.credit_code, "--kind", actor.kind.name, "--region", str(actor.region),
               as_role="regulator")
        invoke("org", "bind", env["accounts"][actor.role].address, actor.credit_code, as_role="regulator")
    invoke("org", "register", CODE["platform"], "--kind", "procurement_platform", "--region", "110000",
           as_role="regulator")
    invoke("org", "bind", env["accounts"]["platform"].address, CODE["platform"], as_role="regulator")
    product = as_json("product", "register", "--approval", "国药准字H20268881", "--spec", "12 tablets",
                      "--mah", CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80", as_role="regulator")
    codes_file = env["root"] / "codes.csv"
    codes_file.write_text("serial,trace_code\n" + "".join(f"{i},{c}\n" for i, c in enumerate(story_codes(100))))
    batch = as_json("batch", "register", str(codes_file), "--product", product["product_id"], "--lot", "PC-1",
                    "--produced", "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")
    for role in ("manufacturer", "regulator"):
        invoke("observe", "PROCESS_DEFINITION", product["product_id"], "--max", "1", "--evidence", "process v1",
               as_role=role)
    invoke("batch", "release", batch["batch_id"], "--record-gate", as_role="manufacturer")
    s = as_json("ship", batch["batch_id"], "--to", CODE["distributor"], "--carrier", CODE["logistics"], "-n", "60",
                as_role="manufacturer")
    invoke("receive", str(s["shipment_id"]), as_role="distributor")
    return {"product": product, "batch": batch}


@pytest.fixture(scope="module")
def bid(world) -> dict[str, Any]:
    """The platform's one bid (40 units agreed for the hospital), shared by the tests below; each
    of them orders from it without relying on what another one ordered (any may run first)."""
    return as_json("procure", "bid", world["product"]["product_id"], "--price", "1250", "--from", "2026-01-01",
                   "--until", "2031-01-01", "--distributor", CODE["distributor"], "--volume",
                   f"{CODE['hospital']}=40", "--tender", "GD-2026-VBP-07", as_role="platform")


def test_bid_order_deliver_invoice_pay(world, bid, capsys) -> None:
    assert bid["status"] == "ACTIVE" and bid["unit_price"] == 1250
    bid_id = str(bid["bid_id"])
    vol = as_json("procure", "show", "volume", bid_id, "--hospital", CODE["hospital"])
    assert vol["agreed"] == 40
    order = as_json("procure", "order", bid_id, "--distributor", CODE["distributor"], "-n", "20", "--ref", "PO-1",
                    as_role="hospital")
    assert order["status"] == "PLACED" and order["quantity"] == 20
    after = as_json("procure", "show", "volume", bid_id, "--hospital", CODE["hospital"])
    assert (after["agreed"], after["ordered"]) == (40, vol["ordered"] + 20)
    oid = str(order["order_id"])
    assert as_json("procure", "accept", oid, as_role="distributor")["status"] == "ACCEPTED"
    s = as_json("ship", world["batch"]["batch_id"], "--to", CODE["hospital"], "--carrier", CODE["logistics"], "-n",
                "20", as_role="distributor")
    sid = str(s["shipment_id"])
    assert as_json("procure", "deliver", oid, sid, as_role="distributor")["status"] == "SHIPPED"
    invoke("receive", sid, as_role="hospital")
    d = as_json("procure", "confirm", sid, as_role="hospital")
    assert d["status"] == "ACCEPTED" and d["due_at"] - d["accepted_at"] == 30 * 86_400_000
    assert as_json("procure", "show", "order", oid)["status"] == "FULFILLED"
    assert as_json("procure", "invoice", sid, "--ref", "INV-1", as_role="distributor")["amount"] == 20 * 1250
    paid = as_json("procure", "pay", sid, "--ref", "BANK-1", as_role="hospital")
    assert paid["status"] == "PAID"
    assert "PAID" in invoke("procure", "show", "delivery", sid)
    assert [b["bid_id"] for b in as_json("procure", "show", "bids")] == [bid["bid_id"]]


def test_refused_orders_exit_5_with_a_hint(world, bid, capsys) -> None:
    bids = as_json("procure", "show", "bids")
    bid_id = str(bids[0]["bid_id"])
    assert bid_id == str(bid["bid_id"])
    code = main(["--account", f"dev{ROLES.index('hospital')}", "procure", "order", bid_id, "--distributor",
                 CODE["distributor"], "-n", "41"])  # more than the 40 agreed, whatever was ordered before
    _, err = capsys.readouterr()
    assert code == 5 and "ProcurementLedgerVolumeExceeded" in err and "Hint:" in err
    code = main(["--account", f"dev{ROLES.index('hospital')}", "procure", "order", bid_id, "--distributor",
                 CODE["pharmacy"], "-n", "1"])
    _, err = capsys.readouterr()
    assert code == 5 and "ProcurementLedgerDistributorNotAllowed" in err
    code = main(["procure", "show", "order", "99"])
    _, err = capsys.readouterr()
    assert code == 1 and "purchase order 99 not found" in err


def test_only_the_hospital_confirms_and_the_invoice_accepts_an_unconfirmed_receipt(world, bid, capsys) -> None:
    bid_id = str(bid["bid_id"])
    oid = str(as_json("procure", "order", bid_id, "--distributor", CODE["distributor"], "-n", "5",
                      as_role="hospital")["order_id"])
    invoke("procure", "accept", oid, as_role="distributor")
    sid = str(as_json("ship", world["batch"]["batch_id"], "--to", CODE["hospital"], "--carrier", CODE["logistics"],
                      "-n", "5", as_role="distributor")["shipment_id"])
    invoke("procure", "deliver", oid, sid, as_role="distributor")
    invoke("receive", sid, as_role="hospital")
    code = main(["--account", f"dev{ROLES.index('distributor')}", "procure", "confirm", sid])
    _, err = capsys.readouterr()
    assert code == 5 and "OrgRegistryUnauthorizedKind" in err and "Traceback" not in err
    d = as_json("procure", "invoice", sid, as_role="distributor")  # the hospital never confirmed
    assert (d["status"], d["accepted"], d["amount"]) == ("INVOICED", 5, 5 * 1250)
    assert d["accepted_at"] > 0 and d["due_at"] - d["accepted_at"] == 30 * 86_400_000
