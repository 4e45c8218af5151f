"""scripts/demo.py runs the story and writes the report (small batch, in-process and over HTTP)."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "demo.py"


@pytest.mark.parametrize("transport", [["--in-process"], []], ids=["in-process", "http"])
def test_demo_prints_every_step_and_writes_the_report(tmp_path, capsys, transport) -> None:
    demo = runpy.run_path(str(SCRIPT))
    assert demo["main"](["--units", "50", "--out", str(tmp_path), *transport]) == 0
    out = capsys.readouterr().out
    assert "The regulator deploys the suite" in out and "Recall closed" in out and "Done" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["recalls"][0]["status"] == "CLOSED" and report["recalls"][0]["level"] == "I"
    assert "# Drug-trace audit report" in (tmp_path / "report.md").read_text()
    # the procurement act's late payment (the dev chain's clock moved past the 30 days): two
    # SettlementOverdue alerts (the overdue check, then the late payment) and the report's line
    assert "Procurement: a late payment" in out and "raises a second one (paid late)" in out
    alerts = [a for a in report["alerts"] if a["kind"] == "SettlementOverdue"]
    assert [a["args"]["paid"] for a in alerts] == [False, True]
    (late,) = report["procurement"]["late_payments"]
    assert late["alerted"] is True and late["paid_at"] > late["due_at"] and late["amount_due"] == 0
    assert alerts[0]["shipment_id"] == late["shipment_id"] and report["procurement"]["overdue"] == []
    assert f"Paid late: delivery {late['shipment_id']}" in (tmp_path / "report.md").read_text()
    # the story's dispensed box, checked through the served verify page
    scanned = next(line for line in out.splitlines() if "a patient scans a box" in line)
    assert "http://127.0.0.1:" in scanned and "/v/8160347" in scanned and scanned.rstrip().endswith("-> genuine")
    batch = next(line for line in out.splitlines() if "the story's batch" in line)
    assert "/board/batch/0x" in batch and batch.rstrip().endswith("(200)"), batch
