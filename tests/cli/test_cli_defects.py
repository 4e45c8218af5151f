"""The CLI defects of issue 16, each as a user meets it: exit code and message.

Runs on an in-process dev chain (the client is real, its transport is the chain's handler),
through ``main()`` — the console script's own error mapping — and click's ``CliRunner`` where
stdin/stdout must not be a terminal.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

import fisco_drugtrace.client as client_module
from fisco_drugtrace.cli.main import cli, main
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, write_dev_keystores
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes

ROLES = [a.role for a in ACTORS]
CODE = {a.role: a.credit_code for a in ACTORS}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("defects")
    chain = DevChain(DevChainConfig())
    accounts = write_dev_keystores(root / "accounts", count=len(ACTORS))
    real_connect = client_module.connect
    patch = pytest.MonkeyPatch()
    patch.setattr(client_module, "connect", lambda settings, handler=None: real_connect(
        settings, handler=chain.handle_raw))
    for key, value in {"FISCO_KEYSTORE_PASSWORD": DEV_PASSWORD, "FISCO_ACCOUNT_DIR": str(root / "accounts"),
                       "FISCO_DRUGTRACE_HOME": str(root / "home"), "FISCO_RPC_URL": "http://127.0.0.1:9"}.items():
        patch.setenv(key, value)
    for key in ("FISCO_DRUGTRACE_CONFIG", "FISCO_ACCOUNT", "FISCO_KEYSTORE_PASSWORD_FILE"):
        patch.delenv(key, raising=False)
    patch.chdir(root)
    yield {"root": root, "accounts": {role: a for role, a in zip(ROLES, accounts)}, "chain": chain}
    patch.undo()
    chain.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str, role: str | None = None) -> tuple[int, str, str]:
    prefix = ["--account", f"dev{ROLES.index(role)}"] if role else []
    code = main(prefix + list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str, role: str | None = None) -> Any:
    code, out, err = run(capsys, *argv, "--json", role=role)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def world(env: dict[str, Any]) -> dict[str, Any]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    def call(*argv: str, role: str | None = None) -> Any:
        out = io.StringIO()
        prefix = ["--account", f"dev{ROLES.index(role)}"] if role else []
        with redirect_stdout(out), redirect_stderr(io.StringIO()):
            assert main(prefix + list(argv) + ["--json"]) == 0
        return json.loads(out.getvalue())

    dep = call("contracts", "deploy", "--org-code", CODE["regulator"], "--region", "110000", role="regulator")
    for actor in ACTORS[1:]:
        call("org", "register", actor.credit_code, "--kind", actor.kind.name, "--region", str(actor.region),
             "--name", actor.name, role="regulator")
        # item 12: org bind takes the account's name
        call("org", "bind", f"dev{ROLES.index(actor.role)}", actor.credit_code, role="regulator")
    product = call("product", "register", "--approval", "国药准字H20269998", "--spec", "10 片", "--mah",
                   CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80", role="regulator")
    codes = story_codes(20)
    (env["root"] / "codes.txt").write_text("".join(c + "\n" for c in codes))
    batch = call("batch", "register", str(env["root"] / "codes.txt"), "--product", product["product_id"], "--lot",
                 "D-1", "--produced", "2026-01-01", "--expires", "2030-01-01", role="manufacturer")
    return {"deployment": dep, "product": product, "batch": batch, "codes": codes}


# --------------------------------------------------------------------------- 1. password without a terminal
def test_no_password_and_no_terminal_is_a_usage_error(env: dict[str, Any], world: dict[str, Any],
                                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FISCO_KEYSTORE_PASSWORD")
    argv = ["--account", "dev0", "org", "suspend", CODE["pharmacy"]]
    result = CliRunner().invoke(cli, argv)  # CliRunner's stdin is not a terminal, as under cron
    assert result.exit_code == 2
    assert "set FISCO_KEYSTORE_PASSWORD (or --password-file FILE)" in result.output
    assert "GetPassWarning" not in result.output and "Aborted" not in result.output
    assert "--password-file" in CliRunner().invoke(cli, ["--help"]).output
    secret = tmp_path / "pw"
    secret.write_text(DEV_PASSWORD + "\n")
    secret.chmod(0o600)
    # a write (a deploy of a user's contract) signs with the key the file's password unlocks
    deploy = ["--password-file", str(secret), "--account", "dev0", "deploy",
              str(Path(__file__).resolve().parent / "data" / "Counter.json"), "1", "--json"]
    result = CliRunner().invoke(cli, deploy)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["address"].startswith("0x") and result.stderr == ""
    secret.chmod(0o644)
    shared = CliRunner().invoke(cli, deploy)
    assert shared.exit_code == 0 and "readable by others (mode 644); chmod 600 it" in shared.stderr
    result = CliRunner().invoke(cli, ["--password-file", str(tmp_path / "missing"), *argv])
    assert result.exit_code == 2 and "cannot read --password-file" in result.output


# --------------------------------------------------------------------------- 2. names, not numbers
def test_reverts_name_enums_and_kind_masks_and_carry_a_hint(world: dict[str, Any],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "org", "register", "91330000MA27XYZ12Q", "--kind", "pharmacy", "--region",
                       "330000", role="pharmacy")
    error, hint = err.splitlines()
    assert code == 5 and "OrgRegistryUnauthorizedKind(" in error
    assert "kind=PHARMACY" in error and "kindMask=REGULATOR_NATIONAL|REGULATOR_PROVINCIAL" in error
    assert hint.startswith("Hint: this action is for another kind of organisation")
    code, _, err = run(capsys, "lifecycle", "deregister", world["product"]["product_id"], role="regulator")
    assert code == 5 and "from=LISTED" in err and "to=DEREGISTERED" in err and err.count("Hint: ") == 1


def test_json_keeps_the_number_beside_the_name(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    org = ok(capsys, "org", "show", CODE["pharmacy"])
    assert (org["kind"], org["kind_value"], org["status"], org["status_value"]) == ("PHARMACY", 6, "ACTIVE", 1)
    observed = ok(capsys, "observe", "STORAGE", world["batch"]["batch_id"], "--result", "DEVIATION",
                  role="manufacturer")
    assert (observed["point"], observed["point_value"]) == ("STORAGE", 5)
    trace = ok(capsys, "trace", "batch", world["batch"]["batch_id"])
    (entry,) = [e for e in trace["entries"] if e["event"] == "ObservationRecorded"]
    assert (entry["args"]["point"], entry["args"]["point_value"]) == ("STORAGE", 5)
    assert (entry["args"]["result"], entry["args"]["result_value"]) == ("DEVIATION", 1)


# --------------------------------------------------------------------------- 3 and 4. the release gate
def test_release_gate_names_the_commands_and_record_gate_writes_nothing(world: dict[str, Any],
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    b, p = world["batch"]["batch_id"], world["product"]["product_id"]
    code, _, err = run(capsys, "batch", "release", b, role="manufacturer")
    assert code == 5 and "DrugRegistryProcessNotApproved(" in err and "approvedDefinitionId=0" in err
    assert "Hint: the MAH records `observe PROCESS_DEFINITION PRODUCT_ID --max N --evidence DOC`" in err
    before = ok(capsys, "batch", "release-status", b)
    head = ok(capsys, "block", "latest")["number"]
    code, _, err = run(capsys, "batch", "release", b, "--record-gate", role="manufacturer")
    assert code == 1 and "nothing was recorded" in err
    assert f"observe PROCESS_DEFINITION {p} --max N --evidence DOC" in err
    assert ok(capsys, "block", "latest")["number"] == head and ok(capsys, "batch", "release-status", b) == before
    # the flow docs/cli.md and the README give: define, approve, then --record-gate releases
    ok(capsys, "observe", "PROCESS_DEFINITION", p, "--max", "1", "--evidence", "process v1", role="manufacturer")
    ok(capsys, "observe", "PROCESS_DEFINITION", p, "--max", "1", "--evidence", "process v1", role="regulator")
    assert ok(capsys, "batch", "release", b, "--record-gate", role="manufacturer")["state"] == "LISTED"


# --------------------------------------------------------------------------- 5. code files
def _register(capsys: pytest.CaptureFixture[str], world: dict[str, Any], path: Path, *extra: str,
              lot: str = "BAD") -> tuple[int, str, str]:
    return run(capsys, "batch", "register", str(path), "--product", world["product"]["product_id"], "--lot", lot,
               "--produced", "2026-01-01", "--expires", "2030-01-01", *extra, role="manufacturer")


def test_code_file_problems_are_all_listed_by_line_with_exit_2(world: dict[str, Any], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    good = world["codes"]
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{good[0]}\n12345\n{good[0]}\n8160347000000001455X\n")
    code, out, err = _register(capsys, world, bad, "--json")
    assert code == 2
    problems = json.loads(out)["problems"]
    assert [(p["line"], p["code"]) for p in problems] == [(2, "12345"), (3, good[0]), (4, "8160347000000001455X")]
    assert "duplicate of line 1" in problems[1]["reason"] and json.loads(out)["total"] == 3
    assert err.splitlines()[0] == "Error: the code file has 3 problem(s):" and len(err.splitlines()) == 4

    csv_file = tmp_path / "quoted.csv"
    csv_file.write_text(f'code,serial\n"{good[1]},1\n{good[2]},2\n{good[3]},3\n')
    code, _, err = _register(capsys, world, csv_file)
    assert code == 2 and "line 2:" in err and "1 problem(s)" in err  # the quote costs one line, not the rest

    binary = tmp_path / "codes.bin"
    binary.write_bytes(f"{good[1]}\n".encode() + b"\x89PNG\r\n\x1a\n\x00\xff")
    code, _, err = _register(capsys, world, binary)
    assert code == 2 and "line 2:" in err and "not UTF-8 text" in err and "UnicodeDecodeError" not in err

    empty = tmp_path / "empty.txt"
    empty.write_text("# no codes yet\n\n")
    code, _, err = _register(capsys, world, empty)
    assert code == 2 and "holds no codes" in err and "line 0" not in err

    many = tmp_path / "many.txt"
    many.write_text("".join(f"{i}\n" for i in range(150)))
    code, out, err = _register(capsys, world, many, "--json")
    assert code == 2 and len(json.loads(out)["problems"]) == 100 and json.loads(out)["total"] == 150
    assert err.rstrip().endswith("... and 50 more")


# --------------------------------------------------------------------------- 6. signer suite vs chain suite
def test_an_sm2_account_on_an_ecdsa_chain_is_refused_before_sending(env: dict[str, Any], world: dict[str, Any],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "account", "new", "bob", "--suite", "sm2", "--kdf", "fast", "--json")
    assert code == 0, err
    bob = json.loads(out)["address"]
    head = ok(capsys, "block", "latest")["number"]
    code, _, err = run(capsys, "--account", "bob", "org", "register", "91330000MA27XYZ12Q", "--kind", "pharmacy",
                       "--region", "330000")
    assert code == 2 and err.count("\n") == 1
    assert f"account {bob} is an SM2 key but the chain uses ECDSA: nothing was sent" in err
    assert "UnknownAccount" not in err
    assert ok(capsys, "block", "latest")["number"] == head


# --------------------------------------------------------------------------- 8. duplicate dispense
def test_duplicate_dispense_has_its_own_exit_code(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    b = world["batch"]["batch_id"]
    ship = ok(capsys, "ship", b, "--to", CODE["pharmacy"], "--carrier", CODE["logistics"], "-n", "5",
              role="manufacturer")
    ok(capsys, "receive", str(ship["shipment_id"]), role="pharmacy")
    code, out, err = run(capsys, "dispense", world["codes"][0], role="pharmacy")
    assert code == 0 and err == ""
    code, out, err = run(capsys, "dispense", world["codes"][0], role="pharmacy")
    assert code == 9 and f"Warning: {world['codes'][0]} was dispensed before" in err and "False" in out
    # item 12: a code that is not a code is said to be so
    code, _, err = run(capsys, "dispense", "123", role="pharmacy")
    assert code == 2 and "'123' is not a 20-digit traceability code" in err


# --------------------------------------------------------------------------- 9. pipes and files
def test_output_to_a_pipe_never_breaks_ids(world: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["batch", "show", world["batch"]["batch_id"]])  # stdout is not a terminal
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines())
    as_json = json.loads(CliRunner().invoke(cli, ["batch", "show", world["batch"]["batch_id"], "--json"]).output)
    assert lines["batch_id"] == world["batch"]["batch_id"] and lines["state"] == as_json["state"]
    assert lines["unit_root"] == as_json["unit_root"] and len(lines["unit_root"]) == 66
    assert "state_value" not in lines and "│" not in result.output
    listing = CliRunner().invoke(cli, ["org", "list"])
    title, header, *rows = listing.output.splitlines()
    assert title == "Organisations"
    assert header.split()[0] == "org_id" and len(rows) == len(ACTORS)
    assert all(len(r.split()[0]) == 66 and r.split()[0].startswith("0x") for r in rows)
    # columns are aligned: every row's second column starts where the header's does
    start = header.index(header.split()[1])
    assert all(r[start - 2:start] == "  " and r[start] != " " for r in rows)


def test_a_narrow_terminal_does_not_fold_ids(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import fisco_drugtrace.cli.render as render

    monkeypatch.setattr(render, "_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "40")
    code, out, _ = run(capsys, "batch", "show", world["batch"]["batch_id"])
    # the 66-character id sits whole on one line although the terminal is 40 columns wide
    assert code == 0 and any(world["batch"]["batch_id"] in line for line in out.splitlines())


# --------------------------------------------------------------------------- 11. no catch-alls
def test_input_errors_are_plain_usage_errors(env: dict[str, Any], world: dict[str, Any], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _register(capsys, world, env["root"] / "codes.txt", "--prefix", "12")
    assert code == 2 and "exactly 7 digits" in err and "unexpected" not in err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    code, _, err = run(capsys, "audit", "verify", "--report", str(garbage))
    assert code == 2 and "not an audit report" in err and "unexpected" not in err
    garbage.write_text('{"evidence": [{"tx_hash": 1}]}')
    code, _, err = run(capsys, "audit", "verify", "--report", str(garbage))
    assert code == 2 and "not an audit report" in err


def test_a_port_in_use_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, _, err = run(capsys, "devchain", "start", "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert code == 2 and "already in use" in err and "unexpected" not in err and "Errno" not in err.split(":")[0]


# --------------------------------------------------------------------------- 12. minor
def _own_batch(capsys: pytest.CaptureFixture[str], env: dict[str, Any], approval: str, *, release: bool) -> str:
    """A batch of a product of the calling test's own, released or not: the module's batch is
    released by another test, and tests must not depend on which ran first."""
    product = ok(capsys, "product", "register", "--approval", approval, "--spec", "10 片", "--mah",
                 CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80", role="regulator")["product_id"]
    codes = env["root"] / f"codes-{approval}.txt"
    codes.write_text("".join(c + "\n" for c in story_codes(3, prefix=f"81603{approval[-2:]}")))
    batch = ok(capsys, "batch", "register", str(codes), "--product", product, "--lot", approval[-4:],
               "--produced", "2026-01-01", "--expires", "2030-01-01", role="manufacturer")["batch_id"]
    if release:
        ok(capsys, "observe", "PROCESS_DEFINITION", product, "--max", "1", "--evidence", "process v1",
           role="manufacturer")
        ok(capsys, "observe", "PROCESS_DEFINITION", product, "--max", "1", "--evidence", "process v1",
           role="regulator")
        assert ok(capsys, "batch", "release", batch, "--record-gate", role="manufacturer")["state"] == "LISTED"
    return str(batch)


def test_shipping_an_unreleased_batch_says_so(env: dict[str, Any], world: dict[str, Any],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    batch = _own_batch(capsys, env, "国药准字H20269996", release=False)
    code, _, err = run(capsys, "ship", batch, "--to", CODE["distributor"], "--carrier", CODE["logistics"],
                       "-n", "1", role="manufacturer")
    # registered, so not "not found" (whose hint says to register it): the step it misses
    assert code == 1 and f"batch {batch} is registered but not released" in err and "not found" not in err
    assert f"Hint: `batch release-status {batch}` says what its release still needs" in err
    unknown = "0x" + "cd" * 32
    code, _, err = run(capsys, "ship", unknown, "--to", CODE["distributor"], "--carrier", CODE["logistics"],
                       "-n", "1", role="manufacturer")
    assert code == 1 and f"batch {unknown} not found" in err


def test_minor_items(env: dict[str, Any], world: dict[str, Any], tmp_path: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    batch = _own_batch(capsys, env, "国药准字H20269997", release=True)
    code, _, err = run(capsys, "ship", batch, "--to", "NOSUCHORG", "--carrier",
                       CODE["logistics"], "-n", "1", role="manufacturer")
    assert code == 1 and "organisation 'NOSUCHORG' (id 0x" in err
    # --json keeps Chinese as it is
    code, out, _ = run(capsys, "product", "show", world["product"]["product_id"], "--json")
    assert code == 0 and "国药准字H20269998" in out and "\\u" not in out
    # the deploy's block span
    dep = world["deployment"]
    assert dep["last_block_number"] > dep["block_number"] >= 1
    # produced after expiry: the reason, before anything is sent
    code, _, err = run(capsys, "batch", "register", str(env["root"] / "codes.txt"), "--product",
                       world["product"]["product_id"], "--lot", "LATE", "--produced", "2027-01-01", "--expires",
                       "2026-01-01", role="manufacturer")
    assert code == 2 and "the expiry date 2026-01-01 is not after the production date 2027-01-01" in err


def test_contracts_deploy_says_which_blocks_it_spans(env: dict[str, Any], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FISCO_DRUGTRACE_HOME", str(tmp_path / "other-home"))
    code, out, err = run(capsys, "contracts", "deploy", "--org-code", CODE["regulator"], "--region", "110000",
                         role="regulator")
    assert code == 0, err
    (line,) = [x for x in out.splitlines() if x.startswith("deployed in blocks ")]
    first, last = (int(n) for n in line.removeprefix("deployed in blocks ").split("–"))
    # five deploys, linkSuite, the ProcurementLedger's deploy and linkProcurement: one block each on the dev chain
    assert last - first == 7


def test_an_unknown_organisation_is_named_as_typed(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "org", "show", "91110000NOSUCH000X")
    assert code == 1 and "organisation '91110000NOSUCH000X' (id 0x" in err
    code, _, err = run(capsys, "org", "show", "0x" + "ab" * 32)
    assert code == 1 and f"organisation 0x{'ab' * 32} not found" in err
