"""Four organisations, four machines, one chain: the acceptance test of issue 13.

Each organisation is its own ``FISCO_DRUGTRACE_HOME`` (and its own key directory) talking to one
dev chain over HTTP on 127.0.0.1, through ``main()`` as its operator's shell would:

- the regulator deploys (and onboards the others);
- the manufacturer and the pharmacy each attach from their own home;
- the manufacturer commits a batch, exports its manifest and ships with the manifest's hash;
- the pharmacy imports the manifest named by the shipment, receives and dispenses;
- an auditor attaches, syncs, reports and verifies the report;
- a fourth home that holds no manifest gets "cannot tell here" for a genuine code — never "counterfeit".
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from fisco_drugtrace.cli.main import main
from fisco_drugtrace.crypto.keystore import AccountStore
from fisco_drugtrace.devchain import DEV_PASSWORD, DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes

CODE = {a.role: a.credit_code for a in ACTORS}
KIND = {a.role: a.kind.name for a in ACTORS}
SEATS = {"regulator": 0, "manufacturer": 1, "pharmacy": 2, "logistics": 3}


@pytest.fixture(scope="module", params=["3.9", "3.7"], ids=["node-3.9", "node-3.7"])
def chain_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One dev chain over HTTP, answering as a 3.9 node (getLogs) or a 3.7 node (none)."""
    root = tmp_path_factory.mktemp("multiparty")
    chain = DevChain(DevChainConfig(compat=request.param))
    handle = serve(chain, port=0)
    patch = pytest.MonkeyPatch()
    patch.setenv("FISCO_KEYSTORE_PASSWORD", DEV_PASSWORD)
    for key in ("FISCO_DRUGTRACE_CONFIG", "FISCO_ACCOUNT", "FISCO_GROUP", "FISCO_CHAIN_ID", "FISCO_DIALECT",
                "FISCO_ORG_REGISTRY", "FISCO_DRUGTRACE_HOME", "FISCO_ACCOUNT_DIR"):
        patch.delenv(key, raising=False)
    patch.setenv("FISCO_RPC_URL", handle.url)
    patch.chdir(root)
    yield handle.url, Path(root)
    patch.undo()
    handle.stop()
    chain.close()


class Machine:
    """One organisation's computer: its home, its key directory (holding only its own key)."""

    def __init__(self, root: Path, role: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.role, self.capsys = role, capsys
        self.home = root / role / "home"
        self.keys = root / role / "keys"
        self.address = ""
        if role in SEATS:
            pair = dev_keypairs(len(SEATS))[SEATS[role]]
            AccountStore(self.keys, kdf="fast").add(role, pair, DEV_PASSWORD)
            self.address, self.account = pair.address, role

    def run(self, *args: str, sign: bool = False) -> tuple[int, str, str]:
        env = {"FISCO_DRUGTRACE_HOME": str(self.home), "FISCO_ACCOUNT_DIR": str(self.keys)}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            code = main((["--account", self.account] if sign else []) + list(args))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str, sign: bool = False) -> Any:
        code, out, err = self.run(*args, "--json", sign=sign)
        assert code == 0, (self.role, args, err)
        return json.loads(out)


def test_four_homes_share_one_chain(chain_url: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, root = chain_url
    reg, man, pharm, carrier = (Machine(root, r, capsys) for r in ("regulator", "manufacturer", "pharmacy",
                                                                   "logistics"))
    auditor, stranger = Machine(root, "auditor", capsys), Machine(root, "stranger", capsys)

    # the regulator deploys; the deploy output says how others join
    code, out, err = reg.run("contracts", "deploy", "--org-code", CODE["regulator"], "--region", "110000", sign=True)
    assert code == 0, err
    org_registry = reg.ok("contracts", "status")["contracts"]["OrgRegistry"]
    assert f"contracts attach {org_registry}" in err and "account new" in err
    assert "published at /apps/fisco-drugtrace/" in err

    # a newcomer is told to attach, not to deploy a second suite
    code, _, err = man.run("contracts", "status")
    assert code == 1 and "contracts attach" in err and "contracts deploy" not in err
    # a wrong address is refused and records nothing: not an address (bad input), no code there,
    # a contract of the suite that is not its OrgRegistry
    custody = reg.ok("contracts", "status")["contracts"]["CustodyLedger"]
    for wrong, exit_code, said in (("0x1234", 2, "not a contract address"), ("0x" + "42" * 20, 1, "no contract at"),
                                   (custody, 1, "is not a drug-trace OrgRegistry")):
        code, _, err = man.run("contracts", "attach", wrong)
        assert (code, said in err) == (exit_code, True), (wrong, err)
    assert man.run("contracts", "status")[0] == 1
    # three ways in: the address, the chain's name service (no address), the settings key
    joined = [man.ok("contracts", "attach", org_registry), pharm.ok("contracts", "attach"),
              auditor.ok("contracts", "attach"), stranger.ok("contracts", "attach", org_registry)]
    os.environ["FISCO_ORG_REGISTRY"] = org_registry
    try:
        joined.append(carrier.ok("contracts", "attach"))
    finally:
        del os.environ["FISCO_ORG_REGISTRY"]
    assert [j["found_by"] for j in joined] == ["argument", joined[1]["found_by"], joined[1]["found_by"], "argument",
                                               "settings"] and joined[1]["found_by"].startswith("/apps/fisco-drugtrace/")
    for done in joined:
        assert all(c["code"] == "matches" for c in done["contracts"]) and len(done["contracts"]) == 6  # with the ProcurementLedger
        assert done["contracts"][0]["address"] == org_registry
    for role in ("manufacturer", "pharmacy", "logistics"):
        machine = {"manufacturer": man, "pharmacy": pharm, "logistics": carrier}[role]
        reg.ok("org", "register", CODE[role], "--kind", KIND[role], "--region", "110000", sign=True)
        reg.ok("org", "bind", machine.address, CODE[role], sign=True)
        assert man.ok("org", "of", machine.address)["kind"] == KIND[role]

    # the manufacturer commits and releases a batch, exports its manifest, ships with its hash
    product = reg.ok("product", "register", "--approval", "国药准字H20260013", "--spec", "10 x 5 mg", "--mah",
                     CODE["manufacturer"], "--min-temp", "20", "--max-temp", "80", "--drug-code", "8169013",
                     sign=True)["product_id"]
    codes = story_codes(120, "8169013")
    (root / "codes.txt").write_text("\n".join(codes) + "\n")
    batch = man.ok("batch", "register", str(root / "codes.txt"), "--product", product, "--lot", "MP-1",
                   "--produced", "2026-01-01", "--expires", "2031-01-01", sign=True)["batch_id"]
    man.ok("observe", "PROCESS_DEFINITION", product, "--max", "1", "--evidence", "process", sign=True)
    reg.ok("observe", "PROCESS_DEFINITION", product, "--max", "1", "--evidence", "process", sign=True)  # the approval binds the step count
    assert man.ok("batch", "release", batch, "--record-gate", sign=True)["state"] == "LISTED"
    manifest = root / "MP-1.manifest"
    exported = man.ok("batch", "export-manifest", batch, "--out", str(manifest))
    shipment = man.ok("ship", batch, "--to", CODE["pharmacy"], "--carrier", CODE["logistics"], "-n", "40",
                      "--manifest", f"@{manifest}", sign=True)["shipment_id"]

    # before the manifest, the pharmacy cannot tell — and says how to learn
    code, out, _ = pharm.run("verify", codes[5])
    assert code == 8 and "CANNOT TELL HERE" in out and "import-manifest" in out
    code, _, err = pharm.run("trace", "unit", codes[5], "--no-sync")
    assert code == 8, err

    # the pharmacy imports exactly the manifest the shipment names, receives, dispenses
    imported = pharm.ok("batch", "import-manifest", str(manifest), "--shipment", str(shipment))
    assert imported["unit_count"] == 120 and imported["manifest_hash"] == exported["manifest_hash"]
    # a tampered copy (two codes swapped) is refused, also now that the batch is held here;
    # named by the shipment, its hash is not the one the sender recorded; a non-manifest is bad input
    lines = manifest.read_text().split("\n")
    lines[1], lines[2] = lines[2], lines[1]
    (root / "swapped.manifest").write_text("\n".join(lines))
    for args, exit_code, said in ((("swapped.manifest",), 1, "do not rebuild"),
                                  (("swapped.manifest", "--shipment", str(shipment)), 1, "references manifest"),
                                  (("codes.txt",), 2, "not a code manifest")):
        code, _, err = pharm.run("batch", "import-manifest", str(root / args[0]), *args[1:])
        assert (code, said in err) == (exit_code, True), (args, err)
    pharm.ok("receive", str(shipment), sign=True)
    assert pharm.ok("dispense", codes[5], sign=True)[0]["dispensed"] is True
    code, out, _ = pharm.run("verify", codes[5], "--json")
    assert code == 1 and json.loads(out)["state"] == "already_dispensed"
    code, out, _ = pharm.run("verify", codes[6])
    assert code == 0 and "GENUINE: may be used" in out
    forged = codes[0][:7] + "999999999" + "0000"
    code, out, _ = pharm.run("verify", forged)
    assert code == 7 and "COUNTERFEIT" in out  # 8169013 is the product's on chain, its every batch held here

    # the auditor: attach (done), sync, report, verify the report
    auditor.ok("audit", "sync")
    report = root / "report.json"
    code, _, err = auditor.run("audit", "report", "--format", "json", "--out", str(report))
    assert code == 0, err
    code, out, err = auditor.run("audit", "verify", "--report", str(report))
    assert code == 0, err
    tampered = json.loads(report.read_text())
    tampered["event_count"] += 1
    (root / "tampered.json").write_text(json.dumps(tampered))
    code, _, err = auditor.run("audit", "verify", "--report", str(root / "tampered.json"))
    assert code == 6 and "event_count" in err
    for text in ('{"not": "a report"}', '{"evidence": []}'):
        (root / "other.json").write_text(text)
        code, _, err = auditor.run("audit", "verify", "--report", str(root / "other.json"))
        assert code == 2 and "not an audit report" in err

    # a fourth home with no manifest: a genuine code is "cannot tell here", never "counterfeit"
    for candidate in (codes[6], codes[5], forged):
        code, out, _ = stranger.run("verify", candidate, "--json")
        assert code == 8 and json.loads(out)["verdict"] == "cannot_tell_here"
