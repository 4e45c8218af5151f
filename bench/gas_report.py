"""Gas per operation of the drug-trace contract suite, measured in pyrevm.

Usage::

    .venv/bin/python bench/gas_report.py [--update-readme]

Deploys the committed artifacts into an in-process pyrevm EVM, builds a realistic state (cast of
organisations, a product, a batch of 100 000 unit codes with its Merkle tree, stock along the
chain) and measures each operation as the FIRST transaction on a fresh copy of the state, so that
every storage slot is cold and every original value is the pre-transaction one (pyrevm keeps its
journal between calls, which would otherwise under-count rewrites; see tests/contracts/harness.py).

Gas schedule: pyrevm 0.3.7 (revm) ignores ``spec_id`` and charges the post-Berlin schedule
(EIP-2929 cold/warm access, EIP-2200/3529 SSTORE), including the 21 000 intrinsic gas and calldata.
FISCO BCOS 3.x executes with its own (istanbul-era) schedule, so absolute numbers there differ;
the relative figures and the "independent of code count" property carry over.

It prints a table and the pass/fail status of the targets (benchmarks print, they do not assert):
* batch commit gas independent of the number of codes (100 vs 100 000: equal up to calldata bytes)
* dispense with a proof from a 100 000-code batch <= 80 000 gas
* dispatch and receive <= 120 000 gas each
With ``--update-readme`` it rewrites the table between the GAS-TABLE markers of contracts/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "contracts")]

import merkle_reference as ref  # noqa: E402
from harness import DAY_MS, Chain, Contract, TxResult, load_artifacts  # noqa: E402
from model import Point, Result  # noqa: E402
from world import BatchInfo, World, unit_codes  # noqa: E402

Z32 = bytes(32)
H = b"\x42" * 32
README = ROOT / "contracts" / "README.md"
BEGIN, END = "<!-- GAS-TABLE: filled by bench/gas_report.py -->", "<!-- /GAS-TABLE -->"


@dataclass
class Row:
    operation: str
    gas: int
    note: str = ""
    calldata_gas: int = 0

    @property
    def execution_gas(self) -> int:
        """Gas minus the 21,000 intrinsic and the calldata charge (16 per non-zero byte, 4 per zero byte)."""
        return self.gas - 21_000 - self.calldata_gas


def calldata_gas(data: bytes) -> int:
    return sum(16 if byte else 4 for byte in data)


class Bench:
    """Runs each operation cold on a fresh copy, then for real on the main chain."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.rows: list[Row] = []

    def measure(self, label: str, contract: str, fn: str, *args: Any, sender: str, note: str = "",
                keep: bool = True) -> TxResult:
        twin: Chain = self.w.chain.fresh_copy()
        target = twin_contract(twin, contract)
        cold = target.transact(fn, *args, sender=sender)
        self.rows.append(Row(label, cold.gas_used, note, calldata_gas(target.encode(fn, args))))
        if keep:
            warm = getattr(self.w, contract).transact(fn, *args, sender=sender)
            if [e.name for e in warm.events] != [e.name for e in cold.events] or warm.output != cold.output:
                raise RuntimeError(f"{label}: the fresh copy diverged from the main chain")
            return warm
        return cold


def twin_contract(twin: Chain, attr: str) -> Contract:
    names = {"orgs": "OrgRegistry", "drugs": "DrugRegistry", "custody": "CustodyLedger", "obs": "ObservationLog",
             "recalls": "RecallManager"}
    return twin.contracts[names[attr]]


def build_batch(w: World, product: bytes, lot: str, n: int) -> BatchInfo:
    bid = ref.batch_id(product, lot)
    codes = unit_codes(n)
    tree = ref.MerkleTree.for_codes(bid, codes)
    expiry = w.chain.timestamp_ms + 730 * DAY_MS
    return BatchInfo(bid, product, lot, codes, tree, expiry)


def run() -> tuple[list[Row], list[tuple[str, bool, str]]]:
    w = World.deploy(load_artifacts())
    b = Bench(w)
    acct = w.acct
    org = w.org

    r = b.measure("registerProduct", "drugs", "registerProduct", "国药准字H20260001", "10片/盒", org("man"), 20, 250, H,
                  sender=acct("nat"))
    product = r.output

    t0 = time.perf_counter()
    small = build_batch(w, product, "B-100", 100)
    big = build_batch(w, product, "B-100000", 100_000)
    tree_s = time.perf_counter() - t0
    now = w.chain.timestamp_ms
    for info in (small, big):
        b.measure(f"commitBatch ({len(info.codes):,} codes)", "drugs", "commitBatch", product, info.lot, now,
                  info.expiry, len(info.codes), info.tree.root, H, sender=acct("man"),
                  note="root only; tree built off chain")
    bid = big.batch_id

    r = b.measure("dispatch (MAH -> distributor)", "custody", "dispatch", bid, org("dist"), org("log"), 5000, H,
                  sender=acct("man"))
    sid = r.output
    b.measure("receiveShipment (full)", "custody", "receiveShipment", sid, 5000, H, sender=acct("dist"))
    r = w.custody.transact("dispatch", bid, org("pharm"), org("log"), 1000, H, sender=acct("dist"))
    b.measure("receiveShipment (partial, discrepancy)", "custody", "receiveShipment", r.output, 999, H,
              sender=acct("pharm"), keep=False)
    w.custody.transact("receiveShipment", r.output, 1000, H, sender=acct("pharm"))
    sid2 = w.custody.transact("dispatch", bid, org("hosp"), org("log"), 100, H, sender=acct("dist")).output
    b.measure("rejectShipment", "custody", "rejectShipment", sid2, H, sender=acct("hosp"), keep=False)

    i = 54_321
    proof = big.proof(i)
    b.measure(f"dispense (100,000-code batch, {len(proof)}-hash proof, new bitmap word)", "custody", "dispense",
              bid, i, big.code_hash(i), proof, sender=acct("pharm"))
    j = i + 1
    b.measure("dispense (same bitmap word already written)", "custody", "dispense", bid, j, big.code_hash(j),
              big.proof(j), sender=acct("pharm"))
    b.measure("dispense again (DuplicateDispense, no revert)", "custody", "dispense", bid, i, big.code_hash(i),
              proof, sender=acct("hosp"), keep=False)

    observations: list[tuple[Point, str, bytes, int, int, int, int]] = [
        (Point.PROCESS_DEFINITION, "man", product, 0, 0, 0, 0),
        (Point.PROCESS_PROGRESS, "man", bid, 0, 0, 0, 0),
        (Point.ORDER, "pharm", bid, 0, 0, 0, 0),
        (Point.TRANSPORT, "log", bid, sid, 0, 40, 80),
        (Point.STORAGE, "dist", bid, 0, 0, 40, 80),
        (Point.INSPECTION, "prov", bid, 0, int(Result.OK), 0, 0),
        (Point.EFFICACY, "hosp", bid, 0, 0, 0, 0),
        (Point.ADVERSE_REACTION, "hosp", bid, 0, int(Result.DEVIATION), 0, 0),
    ]
    for point, who, subject, shipment, result, lo, hi in observations:
        b.measure(f"observation {int(point)} {point.name} ({who}, no automatic action)", "obs", "recordObservation",
                  int(point), subject, shipment, result, lo, hi, H, sender=acct(who))
    b.measure("observation 5 STORAGE excursion (quarantines holding)", "obs", "recordObservation",
              int(Point.STORAGE), bid, 0, 0, 300, 310, H, sender=acct("dist"), keep=False)
    b.measure("observation 6 INSPECTION FAIL (auto-stop T1)", "obs", "recordObservation", int(Point.INSPECTION), bid,
              0, int(Result.FAIL), 0, 0, H, sender=acct("nat"), keep=False)
    b.measure("observation 8 ADVERSE_REACTION SERIOUS (counted)", "obs", "recordObservation",
              int(Point.ADVERSE_REACTION), bid, 0, int(Result.SERIOUS), 0, 0, H, sender=acct("hosp"), keep=False)

    b.measure("stop batch (transitionBatch LISTED->STOPPED)", "drugs", "transitionBatch", bid, 2, 0, H,
              sender=acct("nat"))
    r = b.measure("openRecall (level I, T3)", "recalls", "openRecall", product, bid, 1, H, sender=acct("man"))
    rid = r.output
    b.measure("issueNotice", "recalls", "issueNotice", rid, H, sender=acct("man"))
    b.measure("recordRecovery", "recalls", "recordRecovery", rid, 10, H, sender=acct("pharm"))
    r = b.measure("recordDestruction (final)", "recalls", "recordDestruction", rid, 1000, True, H,
                  sender=acct("man"))
    b.measure("countersignDestruction (T4, batch DESTROYED)", "recalls", "countersignDestruction", r.output,
              sender=acct("prov"))

    gas = {row.operation: row.gas for row in b.rows}
    execution = {row.operation: row.execution_gas for row in b.rows}
    c100, c100k = execution["commitBatch (100 codes)"], execution["commitBatch (100,000 codes)"]
    dispense = gas[next(k for k in gas if k.startswith("dispense (100,000-code"))]
    checks = [
        ("batch commit independent of code count", c100k == c100,
         f"execution gas (total - 21,000 - calldata) 100 codes {c100:,} vs 100,000 codes {c100k:,}; totals "
         f"{gas['commitBatch (100 codes)']:,} vs {gas['commitBatch (100,000 codes)']:,} differ only by calldata "
         "(root, lot and count bytes)"),
        ("dispense with proof <= 80,000", dispense <= 80_000, f"{dispense:,}"),
        ("dispatch <= 120,000", gas["dispatch (MAH -> distributor)"] <= 120_000,
         f"{gas['dispatch (MAH -> distributor)']:,}"),
        ("receive <= 120,000", gas["receiveShipment (full)"] <= 120_000, f"{gas['receiveShipment (full)']:,}"),
    ]
    print(f"(built the 100,000-leaf reference tree in {tree_s:.1f} s)", file=sys.stderr)
    return b.rows, checks


def markdown(rows: list[Row], checks: list[tuple[str, bool, str]]) -> str:
    lines = ["Generated by `.venv/bin/python bench/gas_report.py --update-readme` (pyrevm 0.3.7, post-Berlin "
             "schedule, every operation the first transaction on a cold copy of the state; \"execution\" = gas "
             "minus 21,000 intrinsic minus calldata).", "",
             "| Operation | Gas | of which execution |", "|---|---:|---:|"]
    lines += [f"| {r.operation} | {r.gas:,} | {r.execution_gas:,} |" for r in rows]
    lines += ["", "| Target | Result | Figures |", "|---|---|---|"]
    lines += [f"| {name} | {'PASS' if ok else 'FAIL'} | {fig} |" for name, ok, fig in checks]
    return "\n".join(lines)


def update_readme(table: str) -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + table + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-readme", action="store_true", help="rewrite the gas table in contracts/README.md")
    args = parser.parse_args(argv)
    rows, checks = run()
    width = max(len(r.operation) for r in rows)
    print("Gas per operation — pyrevm 0.3.7, post-Berlin schedule (EIP-2929), first tx on a cold state,")
    print("including 21,000 intrinsic gas and calldata\n")
    print(f"{'operation':<{width}}  {'gas':>9}  {'execution':>9}")
    print(f"{'-' * width}  {'-' * 9}  {'-' * 9}")
    for r in rows:
        print(f"{r.operation:<{width}}  {r.gas:>9,}  {r.execution_gas:>9,}")
    print("(execution = gas - 21,000 intrinsic - calldata at 16/4 gas per non-zero/zero byte)")
    print("\nTargets:")
    for name, ok, fig in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {fig}")
    if args.update_readme:
        update_readme(markdown(rows, checks))
        print(f"\nwrote the table into {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
