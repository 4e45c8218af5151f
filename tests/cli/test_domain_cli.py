"""The domain commands end to end on an in-process dev chain: output, --json and exit codes.

Commands run through click's ``CliRunner`` (output) and through ``main()`` (error -> exit code).
The client is the real one; only its transport is the dev chain's in-process handler.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

import fisco_drugtrace.client as client_module
from fisco_drugtrace.cli.main import cli, main
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, write_dev_keystores
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes

ROLES = [a.role for a in ACTORS]  # dev0 = regulator, dev1 = manufacturer, ...
CODE = {a.role: a.credit_code for a in ACTORS}


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("cli")
    chain = DevChain(DevChainConfig())
    accounts = write_dev_keystores(root / "accounts", count=len(ACTORS))
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
    yield {"root": root, "accounts": {role: a for role, a in zip(ROLES, accounts)}, "chain": chain}
    patch.undo()
    chain.close()


def invoke(*args: str, as_role: str | None = None) -> Any:
    argv = (["--account", f"dev{ROLES.index(as_role)}"] if as_role else []) + list(args)
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def as_json(*args: str, as_role: str | None = None) -> Any:
    return json.loads(invoke(*args, "--json", as_role=as_role))


def run_main(capsys, *args: str, as_role: str | None = None) -> tuple[int, str, str]:
    argv = (["--account", f"dev{ROLES.index(as_role)}"] if as_role else []) + list(args)
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def world(env) -> dict[str, Any]:
    dep = as_json("contracts", "deploy", "--org-code", CODE["regulator"], "--region", "110000", "--name", "NMPA",
                  as_role="regulator")
    for actor in ACTORS[1:]:
        invoke("org", "register", actor.credit_code, "--kind", actor.kind.name, "--region", str(actor.region),
               "--name", actor.name, as_role="regulator")
        invoke("org", "bind", env["accounts"][actor.role].address, actor.credit_code, as_role="regulator")
    product = as_json("product", "register", "--approval", "国药准字H20269999", "--spec", "12 tablets",
                      "--mah", CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80", as_role="regulator")
    codes_file = env["root"] / "codes.csv"
    codes = story_codes(300)
    codes_file.write_text("serial,trace_code\n" + "".join(f"{i},{c}\n" for i, c in enumerate(codes)))
    batch = as_json("batch", "register", str(codes_file), "--product", product["product_id"], "--lot", "CLI-1",
                    "--produced", "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")
    # the release gate (T0b): a 2-step process defined by the MAH, approved by the regulator
    invoke("observe", "PROCESS_DEFINITION", product["product_id"], "--max", "2", "--evidence", "process v1",
           as_role="manufacturer")
    invoke("observe", "PROCESS_DEFINITION", product["product_id"], "--max", "2", "--evidence", "process v1",
           as_role="regulator")  # the approval names the same document and step count
    gate = as_json("batch", "release-status", batch["batch_id"])
    released = as_json("batch", "release", batch["batch_id"], "--record-gate", "--evidence", "release decision",
                       as_role="manufacturer")
    return {"deployment": dep, "product": product, "batch": batch, "codes": codes, "gate": gate,
            "released": released}


def test_deploy_and_status(world, capsys) -> None:
    code, _, err = run_main(capsys, "contracts", "deploy", "--org-code", CODE["regulator"], "--region", "110000",
                            as_role="regulator")
    assert code == 1 and "--replace" in err
    status = as_json("contracts", "status")
    assert set(status["contracts"]) == set(world["deployment"]["contracts"])
    assert all(status["code_present"].values()) and status["org_count"] == 6
    assert "OrgRegistry" in invoke("contracts", "status")


def test_org_and_batch_reads(world) -> None:
    org = as_json("org", "show", CODE["pharmacy"])
    assert org["kind"] == "PHARMACY" and org["status"] == "ACTIVE" and org["name"] == "Kangjian Pharmacy"
    assert len(as_json("org", "list")) == 6
    assert world["batch"]["unit_count"] == 300 and world["batch"]["state"] == "NONE"  # committed, not released
    assert world["gate"]["missing_steps"] == [0, 1] and world["gate"]["ready"] is False
    assert world["gate"]["approved_definition_id"] != 0 and world["gate"]["pending_definition_id"] == 0
    assert world["released"]["state"] == "LISTED" and world["released"]["batch_id"] == world["batch"]["batch_id"]
    assert as_json("batch", "release-status", world["batch"]["batch_id"])["ready"] is True
    shown = as_json("batch", "show", world["batch"]["batch_id"])
    assert shown["unit_root"] == world["batch"]["unit_root"]
    table = invoke("batch", "show", world["batch"]["batch_id"])
    assert "unit_count" in table and "300" in table


def test_ship_receive_dispense_trace_verify(world, capsys) -> None:
    b = world["batch"]["batch_id"]
    s = as_json("ship", b, "--to", CODE["pharmacy"], "--carrier", CODE["logistics"], "-n", "50",
                "--manifest", "DN-1", as_role="manufacturer")
    assert s["status"] == "DISPATCHED" and s["quantity"] == 50
    got = as_json("receive", str(s["shipment_id"]), as_role="pharmacy")
    assert got["status"] == "RECEIVED"
    # a duplicate dispense is an on-chain alert: its own exit code and a warning, the JSON still printed
    code, text, err = run_main(capsys, "dispense", world["codes"][10], world["codes"][10], "--json",
                               as_role="pharmacy")
    out = json.loads(text)
    assert code == 9 and [r["dispensed"] for r in out] == [True, False]
    assert err.startswith(f"Warning: {world['codes'][10]} was dispensed before") and "DuplicateDispense" in err
    held = as_json("batch", "holding", b, CODE["pharmacy"])
    assert held["quantity"] == 49
    unit = as_json("trace", "unit", world["codes"][10])
    names = [e["event"] for e in unit["entries"]]
    assert "UnitDispensed" in names and "DuplicateDispense" in names and unit["dispensed"] is True
    custody = as_json("trace", "shipment", str(s["shipment_id"]))
    assert custody["status"] == "RECEIVED" and custody["carrier_org"].startswith("0x")
    code, text, _ = run_main(capsys, "verify", world["codes"][11])
    assert code == 0 and "genuine, listed and not yet dispensed" in text
    code, text, _ = run_main(capsys, "verify", world["codes"][10], "--json")
    assert code == 1 and json.loads(text)["dispensed"] is True
    code, text, _ = run_main(capsys, "verify", world["codes"][10])
    assert code == 1 and "DO NOT USE" in text and "Where its batch has been" in text
    table = invoke("trace", "unit", world["codes"][10])
    assert "UnitDispensed" in table and "Kangjian" in table  # organisations by their names
    # unit-level custody (D9): which organisation holds a code not yet dispensed, from its range
    at_pharmacy = invoke("trace", "unit", world["codes"][11])
    assert "custody: unit 11, in codes 0..49, held by Kangjian" in at_pharmacy
    assert "custody: unit 200, in codes 50..299, held by " in invoke("trace", "unit", world["codes"][200])
    # its trace keeps the range events of the shipments that carried it, not the batch's others
    carried = [e["event"] for e in as_json("trace", "unit", world["codes"][11])["entries"]]
    assert "RangesShipped" in carried and "RangesReceived" in carried
    assert "RangesShipped" not in [e["event"] for e in as_json("trace", "unit", world["codes"][200])["entries"]]
    assert "custody:" not in table  # a dispensed unit has left custody


def test_regulator_inspection_blocks_release_until_lifted(world, capsys, tmp_path) -> None:
    """A regulator's failed inspection of an unreleased batch shows in release-status and makes the
    chain refuse the release (exit 5, the custom error's name and arguments) until an OK one."""
    codes_file = tmp_path / "blocked.txt"
    codes_file.write_text("".join(f"{c}\n" for c in story_codes(4, "8160399")))
    batch = as_json("batch", "register", str(codes_file), "--product", world["product"]["product_id"], "--lot",
                    "CLI-BLOCK", "--produced", "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")
    b = batch["batch_id"]
    failed = as_json("observe", "INSPECTION", b, "--result", "FAIL", as_role="regulator")
    assert "ReleaseBlocked" in failed["triggered"]
    gate = as_json("batch", "release-status", b)
    assert gate["blocking_observation_id"] == failed["observation_id"] and gate["ready"] is False
    # --record-gate checks every precondition first: blocked, so it writes nothing and says what to do
    code, _, err = run_main(capsys, "batch", "release", b, "--record-gate", as_role="manufacturer")
    assert code == 1 and "nothing was recorded" in err
    assert f"failed inspection (observation {failed['observation_id']})" in err
    assert f"observe INSPECTION {b} --result OK" in err
    assert as_json("batch", "release-status", b) == gate
    # without --record-gate the chain refuses, the error named with its arguments and a hint
    code, _, err = run_main(capsys, "batch", "release", b, as_role="manufacturer")
    assert code == 5 and "DrugRegistryReleaseBlocked" in err and f"observationId={failed['observation_id']}" in err
    assert "Hint: a regulator's failed inspection blocks the release" in err
    assert "ReleaseUnblocked" in as_json("observe", "INSPECTION", b, as_role="regulator")["triggered"]
    assert as_json("batch", "release-status", b)["blocking_observation_id"] == 0
    assert as_json("batch", "release", b, "--record-gate", as_role="manufacturer")["state"] == "LISTED"


def test_errors_map_to_documented_exit_codes(world, capsys, tmp_path) -> None:
    b = world["batch"]["batch_id"]
    code, _, err = run_main(capsys, "ship", b, "--to", CODE["distributor"], "--carrier", CODE["logistics"],
                            "-n", "100000", as_role="manufacturer")
    assert code == 5 and "CustodyLedgerInsufficientStock" in err and "requested=100000" in err
    code, _, err = run_main(capsys, "receive", "999", as_role="pharmacy")
    assert code == 1 and "shipment" in err and "not found" in err
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{world['codes'][0]}\n12345\n{world['codes'][0]}\n")
    code, _, err = run_main(capsys, "batch", "register", str(bad), "--product", world["product"]["product_id"],
                            "--lot", "BAD", "--produced", "2026-01-01", "--expires", "2030-01-01",
                            as_role="manufacturer")
    assert code == 2 and "2 problem(s)" in err
    assert "line 2: '12345'" in err and "line 3:" in err and "duplicate of line 1" in err
    code, _, err = run_main(capsys, "batch", "show", "0x1234")
    assert code == 2
    code, _, err = run_main(capsys, "org", "register", "X", "--kind", "PHARMACY", "--region", "1",
                            as_role="pharmacy")
    assert code == 5 and "OrgRegistryUnauthorizedKind" in err


def _own_story_batch(env, world, capsys, lot: str, prefix: str) -> tuple[str, list[str]]:
    """A released 300-unit batch of the module's product with 50 units received by the pharmacy
    and one of them dispensed — what test_ship_receive_dispense_trace_verify leaves the module's
    batch in, built here so that the test needing it does not depend on which test ran first."""
    codes = story_codes(300, prefix=prefix)
    codes_file = env["root"] / f"codes-{lot}.csv"
    codes_file.write_text("serial,trace_code\n" + "".join(f"{i},{c}\n" for i, c in enumerate(codes)))
    b = as_json("batch", "register", str(codes_file), "--product", world["product"]["product_id"], "--lot", lot,
                "--produced", "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")["batch_id"]
    as_json("batch", "release", b, "--record-gate", "--evidence", "release decision", as_role="manufacturer")
    s = as_json("ship", b, "--to", CODE["pharmacy"], "--carrier", CODE["logistics"], "-n", "50",
                as_role="manufacturer")
    as_json("receive", str(s["shipment_id"]), as_role="pharmacy")
    code, _, _ = run_main(capsys, "dispense", codes[10], codes[10], "--json", as_role="pharmacy")
    assert code == 9  # dispensed, then an on-chain DuplicateDispense alert
    return b, codes


def test_lifecycle_recall_and_audit(env, world, capsys, tmp_path) -> None:
    b, _codes = _own_story_batch(env, world, capsys, "CLI-R", "8160377")
    # a regulator voids a shipment stuck in transit: the units are back with the sender, quarantined
    stuck = as_json("ship", b, "--to", CODE["distributor"], "--carrier", CODE["logistics"], "-n", "1",
                    as_role="manufacturer")
    voided = as_json("closeout", "void-shipment", str(stuck["shipment_id"]), "--reason", "addressee closed",
                     as_role="regulator")
    assert voided["status"] == "VOIDED"
    stopped = as_json("lifecycle", "stop", b, "--evidence", "QC failure", as_role="manufacturer")
    assert stopped["state"] == "STOPPED"
    case = as_json("recall", "open", "--batch", b, "--level", "I", "--reason", "@" + str(Path(__file__)),
                   as_role="manufacturer")
    assert case["status"] == "OPEN" and case["level"] == "I"
    assert as_json("recall", "notice", str(case["recall_id"]), as_role="manufacturer")["status"] == "NOTIFIED"
    # a declaration is bounded by the declarer's holding: declared, then returned (issue 12, defect 5)
    as_json("recall", "recover", str(case["recall_id"]), "-n", "49", as_role="pharmacy")
    ret = as_json("ship", b, "--return", "--to", CODE["manufacturer"], "--carrier", CODE["logistics"], "-n", "49",
                  as_role="pharmacy")
    as_json("receive", str(ret["shipment_id"]), as_role="manufacturer")
    as_json("recall", "complete", str(case["recall_id"]), as_role="manufacturer")
    assert as_json("recall", "close", str(case["recall_id"]), as_role="regulator")["status"] == "CLOSED"
    figures = as_json("closeout", "figures", str(case["recall_id"]))  # computed on chain
    assert figures["recovered"] == 49 and figures["in_market_now"] == figures["in_market_at_open"] - 49
    # T4 needs the summary accepted: the final destruction comes after the close
    d = as_json("recall", "destroy", str(case["recall_id"]), "-n", "299", "--final", as_role="manufacturer")
    assert as_json("recall", "countersign", str(d["destruction_id"]), as_role="regulator")["status"] == "CONFIRMED"
    assert as_json("batch", "show", b)["state"] == "DESTROYED"
    synced = as_json("audit", "sync")
    assert synced["events"] > 0
    where = as_json("audit", "where", b)
    assert where["destroyed"] == 299 and where["dispensed"] == 1 and where["accounted"] == 300
    # this test's case (another test of the module may have opened and closed one before it)
    (compliance,) = [c for c in as_json("audit", "compliance") if c["recall_id"] == case["recall_id"]]
    assert compliance["compliant"] is True
    kinds = [a["kind"] for a in as_json("audit", "alerts")]
    assert "DuplicateDispense" in kinds
    assert {r["recall_id"]: r["status"] for r in as_json("audit", "recalls")}[case["recall_id"]] == "CLOSED"
    md = invoke("audit", "report")
    assert "# Drug-trace audit report" in md and "Kangjian Pharmacy" in md
    csv_text = invoke("audit", "report", "--format", "csv", "--section", "compliance")
    assert csv_text.splitlines()[0].startswith("recall_id,")
    assert {r["recall_id"]: r["status"] for r in as_json("audit", "report")["recalls"]}[case["recall_id"]] == "CLOSED"
    report_file = tmp_path / "report.json"
    invoke("audit", "report", "--format", "json", "--out", str(report_file))
    checked = as_json("audit", "verify", "--report", str(report_file))
    assert checked["evidence"] == len(json.loads(report_file.read_text())["evidence"]) and checked["figures"] > 50
    data = json.loads(report_file.read_text())
    data["evidence"][0]["args"]["recallId"] = 77
    report_file.write_text(json.dumps(data))
    code, _, err = run_main(capsys, "audit", "verify", "--report", str(report_file))
    assert code == 6 and "differ" in err
    rebuilt = as_json("audit", "sync", "--rebuild")
    assert rebuilt["from_block"] <= 2 and rebuilt["events"] >= synced["events"]
    trace_b = as_json("trace", "batch", b)
    assert trace_b["units_dispensed"] == 1 and "RecallOpened" in [e["event"] for e in trace_b["entries"]]


def test_observe_and_offline_ids(world) -> None:
    product = world["product"]["product_id"]
    assert as_json("product", "id", "--approval", "国药准字H20269999", "--spec", "12 tablets")["product_id"] == product
    assert as_json("batch", "id", "--product", product, "--lot", "CLI-1")["batch_id"] == world["batch"]["batch_id"]
    shown = as_json("product", "show", product)
    assert shown["approval_number"] == "国药准字H20269999" and shown["min_temp"] == 20
    assert shown["state"] == "LISTED" and shown["drug_code"] is None  # no code bound to it


def test_a_home_on_postgresql_imports_verifies_and_audits(world, capsys, tmp_path, pg_server) -> None:
    """Another organisation's machine whose code store and audit index are in PostgreSQL
    (``FISCO_DRUGTRACE_DATABASE``): the same commands give the same answers as the SQLite home."""
    from tests.pgserver import PgServer

    b = world["batch"]["batch_id"]
    manifest = tmp_path / "batch.manifest"
    invoke("batch", "export-manifest", b, "--out", str(manifest), as_role="manufacturer")
    sqlite_report = tmp_path / "sqlite-report.json"
    invoke("audit", "report", "--format", "json", "--out", str(sqlite_report))
    on_sqlite = {"where": as_json("audit", "where", b), "alerts": as_json("audit", "alerts"),
                 "verify": run_main(capsys, "verify", world["codes"][3], "--json"),
                 "figures": as_json("audit", "verify", "--report", str(sqlite_report))["figures"]}
    patch = pytest.MonkeyPatch()
    patch.setenv("FISCO_DRUGTRACE_HOME", str(tmp_path / "pg-home"))
    patch.setenv("FISCO_DRUGTRACE_DATABASE", pg_server.dsn)
    patch.setenv("FISCO_DRUGTRACE_DB_SCHEMA", PgServer.new_prefix())
    try:
        invoke("contracts", "attach", world["deployment"]["contracts"]["OrgRegistry"])
        code, out, _ = run_main(capsys, "verify", world["codes"][3], "--json")
        assert code != 0 and json.loads(out)["verdict"] == "cannot_tell_here"  # no manifest yet
        imported = as_json("batch", "import-manifest", str(manifest))
        assert imported["unit_count"] == len(world["codes"])
        verified = run_main(capsys, "verify", world["codes"][3], "--json")
        keys = ("code", "verdict", "reason", "state", "batch_id", "index", "genuine", "product")
        here, there = json.loads(verified[1]), json.loads(on_sqlite["verify"][1])
        assert verified[0] == on_sqlite["verify"][0] and {k: here[k] for k in keys} == {k: there[k] for k in keys}
        assert here["genuine"] is True  # (org names differ: this home's address book has no labels)
        assert as_json("audit", "sync")["events"] > 0
        assert as_json("audit", "where", b) == on_sqlite["where"]
        assert as_json("audit", "alerts") == on_sqlite["alerts"]
        report = tmp_path / "pg-report.json"
        invoke("audit", "report", "--format", "json", "--out", str(report))
        # as many figures rechecked as on the SQLite home at the same head (how many depends on
        # which of this module's tests ran before on this worker: a recall adds figures)
        assert as_json("audit", "verify", "--report", str(report))["figures"] == on_sqlite["figures"] > 10
        assert as_json("audit", "sync", "--rebuild")["from_block"] <= 2
        assert as_json("audit", "where", b) == on_sqlite["where"]
        assert not (tmp_path / "pg-home" / "audit").exists() and not (tmp_path / "pg-home" / "codes").exists()
    finally:
        patch.undo()


def test_void_verbs_and_follow_up_case(world, capsys, tmp_path) -> None:
    """Issue 12 corrections from the CLI: ``void observation|destruction|batch`` (a reason is
    required), ``recall follow-up``, ``recall links`` and ``recall figures`` (read on chain)."""
    product = world["product"]["product_id"]

    def batch(lot: str, prefix: str) -> str:
        codes_file = tmp_path / f"{lot}.txt"
        codes_file.write_text("".join(f"{c}\n" for c in story_codes(6, prefix)))
        return as_json("batch", "register", str(codes_file), "--product", product, "--lot", lot, "--produced",
                       "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")["batch_id"]

    wrong = batch("CLI-WRONG", "8160401")
    failed = as_json("observe", "INSPECTION", wrong, "--result", "FAIL", as_role="regulator")
    code, _, err = run_main(capsys, "void", "observation", str(failed["observation_id"]), as_role="regulator")
    assert code == 2 and "--reason" in err
    code, _, err = run_main(capsys, "void", "observation", str(failed["observation_id"]), "--reason", "mine",
                            as_role="manufacturer")
    assert code == 5 and "ObservationLogVoidUnauthorized" in err
    voided = as_json("void", "observation", str(failed["observation_id"]), "--reason", "wrong sample",
                     as_role="regulator")
    assert voided["observation_id"] == failed["observation_id"] and "ObservationVoided" in voided["triggered"]
    assert as_json("batch", "release-status", wrong)["blocking_observation_id"] == 0
    assert as_json("void", "batch", wrong, "--reason", "mis-committed lot", as_role="manufacturer")["state"] == "VOIDED"

    b = batch("CLI-FOLLOW", "8160402")
    as_json("batch", "release", b, "--record-gate", as_role="manufacturer")
    sent = as_json("ship", b, "--to", CODE["pharmacy"], "--carrier", CODE["logistics"], "-n", "3",
                   as_role="manufacturer")
    as_json("receive", str(sent["shipment_id"]), as_role="pharmacy")
    as_json("lifecycle", "stop", b, as_role="manufacturer")
    case = as_json("recall", "open", "--batch", b, "--level", "II", as_role="manufacturer")["recall_id"]
    as_json("recall", "notice", str(case), as_role="manufacturer")
    as_json("recall", "complete", str(case), as_role="manufacturer")
    as_json("recall", "close", str(case), as_role="regulator")
    follow = as_json("recall", "follow-up", "--batch", b, "--level", "I", "--reason", "3 boxes found",
                     as_role="regulator")
    links = as_json("recall", "links", str(follow["recall_id"]))
    assert links["follow_up_of"] == case and links["latest_case_of_scope"] == follow["recall_id"]
    assert as_json("recall", "links", str(case))["latest_case_of_scope"] == follow["recall_id"]
    d = as_json("recall", "destroy", str(follow["recall_id"]), "-n", "3", as_role="pharmacy")
    as_json("recall", "countersign", str(d["destruction_id"]), as_role="regulator")
    assert as_json("recall", "figures", str(follow["recall_id"]))["destroyed"] == 3
    undone = as_json("void", "destruction", str(d["destruction_id"]), "--reason", "wrong lot destroyed",
                     as_role="regulator")
    assert undone["status"] == "VOIDED"
    figures = as_json("recall", "figures", str(follow["recall_id"]))
    assert figures["destroyed"] == 0 and figures["in_market_now"] == 3
    where = as_json("audit", "where", b)
    pharmacy = next(h for h in where["holdings"] if h["org_id"] == "0x" + ACTORS[5].org_id.hex())
    assert (pharmacy["quantity"], pharmacy["quarantined"], pharmacy["destroyed"]) == (3, 3, 0)
    # the report's completion figures are the chain's; a hand edit of one fails verification (exit 6)
    report_file = tmp_path / "figures.json"
    invoke("audit", "report", "--format", "json", "--out", str(report_file))
    data = json.loads(report_file.read_text())
    (i, done), = [(k, c) for k, c in enumerate(data["completion"]) if c["recall_id"] == follow["recall_id"]]
    assert (done["in_market_now"], done["destroyed_confirmed"]) == (3, 0)
    assert as_json("audit", "verify", "--report", str(report_file))["figures"] > 0
    data["completion"][i]["destroyed_confirmed"] = 3  # as if the voided destruction still counted
    report_file.write_text(json.dumps(data))
    code, _, err = run_main(capsys, "audit", "verify", "--report", str(report_file))
    assert code == 6 and f"completion[{i}].destroyed_confirmed" in err


def test_who_imposed_a_stop_and_a_suspension(world, capsys, tmp_path) -> None:
    """Ranked authority (issue 12, defect 1) from the CLI: the stop's and the suspension's imposer
    are shown, and a lower authority's lift is refused naming it."""
    codes_file = tmp_path / "ranked.txt"
    codes_file.write_text("".join(f"{c}\n" for c in story_codes(4, "8160403")))
    b = as_json("batch", "register", str(codes_file), "--product", world["product"]["product_id"], "--lot",
                "CLI-RANK", "--produced", "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")["batch_id"]
    as_json("batch", "release", b, "--record-gate", as_role="manufacturer")
    assert as_json("lifecycle", "authority", b)["stopped_by"] is None
    as_json("lifecycle", "stop", b, as_role="regulator")
    shown = as_json("lifecycle", "authority", b)
    assert shown["state"] == "STOPPED" and shown["stopped_by"] == "0x" + ACTORS[0].org_id.hex()
    assert shown["stopped_by_name"] == "NMPA"
    assert as_json("org", "suspended-by", CODE["pharmacy"])["suspended_by"] is None
    as_json("org", "suspend", CODE["pharmacy"], as_role="regulator")
    held = as_json("org", "suspended-by", CODE["pharmacy"])
    assert held["status"] == "SUSPENDED" and held["suspended_by"] == "0x" + ACTORS[0].org_id.hex()
    as_json("org", "restore", CODE["pharmacy"], as_role="regulator")


def test_packed_batch_ship_unpack_dispense_many_decommission(world, env, capsys) -> None:
    """Issue 17A and 12 through the CLI: a packed batch, a pallet shipped and received with a
    missing case, a case unpacked, many codes dispensed in one transaction, a unit stolen."""
    root, product = env["root"], world["product"]["product_id"]
    codes = story_codes(500)[400:440]
    (root / "pk_codes.txt").write_text("\n".join(codes) + "\n")
    (root / "pk_cases.txt").write_text("\n".join(f"00690000000000000{i:03d}" for i in range(4)) + "\n")
    (root / "pk_pallets.txt").write_text("\n".join(f"00790000000000000{i:03d}" for i in range(2)) + "\n")
    code, _, err = run_main(capsys, "batch", "register", str(root / "pk_codes.txt"), "--product", product, "--lot",
                            "CLI-PK", "--produced", "2026-01-01", "--expires", "2030-01-01", "--packing", "10", "2",
                            as_role="manufacturer")
    assert code == 2 and "--case-codes" in err
    batch = as_json("batch", "register", str(root / "pk_codes.txt"), "--product", product, "--lot", "CLI-PK",
                    "--produced", "2026-01-01", "--expires", "2030-01-01", "--packing", "10", "2",
                    "--case-codes", str(root / "pk_cases.txt"), "--pallet-codes", str(root / "pk_pallets.txt"),
                    as_role="manufacturer")
    b = batch["batch_id"]
    as_json("batch", "release", b, "--record-gate", "--evidence", "release decision", as_role="manufacturer")
    code, _, err = run_main(capsys, "ship", b, "--to", CODE["pharmacy"], "--carrier", CODE["logistics"], "-n", "5",
                            as_role="manufacturer")
    assert code == 5 and "CustodyLedgerPackedBatch" in err
    s = as_json("ship", b, "--to", CODE["pharmacy"], "--carrier", CODE["logistics"], "--pallet", "0",
                as_role="manufacturer")
    assert s["quantity"] == 20
    got = as_json("receive", str(s["shipment_id"]), "--missing-case", "1", as_role="pharmacy")
    assert got["received"] == 10 and got["status"] == "PARTIAL"
    opened = as_json("unpack", b, "--case", "0", as_role="pharmacy")
    assert opened["status"] == "OPENED"
    code, text, err = run_main(capsys, "dispense", "--many", codes[2], codes[3], codes[2], "--json",
                               as_role="pharmacy")
    assert code == 0 and all(r["dispensed"] for r in json.loads(text)[:2])
    code, text, err = run_main(capsys, "dispense", "--many", codes[3], codes[4], "--json", as_role="pharmacy")
    assert code == 9 and "left custody before" in err
    gone = as_json("decommission", codes[7], "--state", "stolen", as_role="pharmacy")
    assert gone["state"] == "STOLEN"
    code, text, _ = run_main(capsys, "verify", codes[7], "--json")
    assert json.loads(text)["state"] == "stolen"
    # a unit whose case is still at the manufacturer: refused (D9)
    code, _, err = run_main(capsys, "dispense", codes[25], as_role="pharmacy")
    assert code == 5 and "CustodyLedgerNotUnitHolder" in err
    # the audit index takes the new events in its stride
    synced = as_json("audit", "sync")
    assert synced
    trace = as_json("trace", "unit", codes[7])
    assert "UnitDecommissioned" in [e["event"] for e in trace["entries"]]
    # its path by case and pallet, from the index (issue 17 A.4): pallet 0 shipped, opened at
    # the receipt that found case 1 missing, then case 0 unpacked; case 1's miss is not unit 7's
    packing = trace["packing"]
    assert (packing["index"], packing["case"], packing["pallet"]) == (7, 0, 0)
    assert (packing["case_code"], packing["pallet_code"]) == ("00690000000000000000", "00790000000000000000")
    assert [(e["event"], e["args"].get("key", 0) >> 248) for e in packing["entries"]] == [
        ("PackedShipmentDispatched", 0), ("ContainerUnpacked", 2), ("ContainerUnpacked", 1)]
    cases = as_json("audit", "where", b, "--by-case")
    by_key = {(c["key"] >> 248, c["key"] & 0xFFFF): c for c in cases}
    assert len(cases) == 2 + 4 and by_key[(2, 0)]["status"] == "OPENED" and by_key[(1, 1)]["status"] == "MISSING"
    assert by_key[(2, 1)]["status"] == "HELD" and by_key[(1, 3)]["inside"] is True
    text = invoke("audit", "where", b, "--by-case")
    assert "case 0" in text and "from the audit index" in text  # the index is at the head: replayed there
    text = invoke("trace", "unit", codes[3])
    assert "packing: unit 3 (dispensed) in case 0 opened at" in text and "pallet 0 opened at" in text


def test_drug_codes_bind_products_and_decide_counterfeit(world, env, capsys) -> None:
    """`product register --drug-code`, `product assign-code`, `product code-owner`; `verify` calls an
    absent code counterfeit (exit 7) only under a binding, else cannot tell here (exit 8)."""
    root = env["root"]
    forged = world["codes"][0][:7] + "999999999" + "0000"  # the world's product has no code on chain
    code, out, err = run_main(capsys, "verify", forged)
    assert code == 8 and "binds no product to drug identifier code 8160347" in out + err
    bound = as_json("product", "register", "--approval", "国药准字H20265555", "--spec", "1 box", "--mah",
                    CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80", "--drug-code", "8160555",
                    as_role="regulator")
    assert as_json("product", "code-owner", "8160555")["product_id"] == bound["product_id"]
    assert as_json("product", "show", bound["product_id"])["drug_code"] == "8160555"
    assert "8160555" in invoke("product", "show", bound["product_id"])
    codes_file = root / "dc_codes.txt"
    codes_file.write_text("".join(f"{c}\n" for c in story_codes(5, "8160555")))
    as_json("batch", "register", str(codes_file), "--product", bound["product_id"], "--lot", "DC-1",
            "--produced", "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")
    code, out, err = run_main(capsys, "verify", "8160555" + "999999999" + "0000")
    assert code == 7 and bound["product_id"] in out + err
    other = as_json("product", "register", "--approval", "国药准字H20265556", "--spec", "1 box", "--mah",
                    CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80", as_role="regulator")
    code, _, err = run_main(capsys, "product", "assign-code", other["product_id"], "8160555", as_role="regulator")
    assert code == 5 and "DrugRegistryDrugCodeTaken" in err
    code, _, err = run_main(capsys, "product", "assign-code", other["product_id"], "816055", as_role="regulator")
    assert code == 2 and "7 digits" in err
    code, _, err = run_main(capsys, "product", "assign-code", other["product_id"], "8160556", as_role="manufacturer")
    assert code == 5 and "OrgRegistryUnauthorizedKind" in err
    assert as_json("product", "assign-code", other["product_id"], "8160556", as_role="regulator")["drug_code"] == \
        "8160556"
    code, _, err = run_main(capsys, "product", "code-owner", "8160557")
    assert code == 1 and "not found" in err
    # the other product's batch may not carry the first's drug identifier code: refused, nothing sent
    code, _, err = run_main(capsys, "batch", "register", str(codes_file), "--product", other["product_id"], "--lot",
                            "DC-2", "--produced", "2026-01-01", "--expires", "2030-01-01", as_role="manufacturer")
    assert code == 2 and "8160555" in err and "8160556" in err


def test_a_products_details_document_registered_by_hash_and_kept_once_checked(world, capsys, tmp_path) -> None:
    """``product register --details @FILE`` commits the document's keccak256; ``product
    import-details FILE`` keeps it only if it is that document; ``verify`` has nothing to add, but
    ``product details`` shows the checked names."""
    from fisco_drugtrace.drugtrace.product_details import details_document

    doc = details_document("国药准字H20269998", "24 capsules", generic_name={"zh": "布洛芬缓释胶囊",
                                                                             "en": "Ibuprofen SR Capsules"})
    good = tmp_path / "details.json"
    good.write_bytes(doc)
    product = as_json("product", "register", "--approval", "国药准字H20269998", "--spec", "24 capsules",
                      "--mah", CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80",
                      "--details", f"@{good}", as_role="regulator")
    code, _, err = run_main(capsys, "product", "details", product["product_id"])
    assert code != 0 and "not found" in err  # nothing held yet
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(doc.replace("布洛芬".encode(), "对乙酰氨基酚".encode()))
    code, _, err = run_main(capsys, "product", "import-details", str(tampered))
    assert code != 0 and "detailsHash" in err
    kept = as_json("product", "import-details", str(good))
    assert kept["product_id"] == product["product_id"] and kept["stored"] is True
    shown = as_json("product", "details", product["product_id"])
    assert shown["generic_name"] == {"zh": "布洛芬缓释胶囊", "en": "Ibuprofen SR Capsules"}
