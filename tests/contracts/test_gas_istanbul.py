"""The py-evm runner of the gas report (``bench/_pyevm.py``, here on ``IstanbulVM``) works, and
pyrevm's ``spec_id="Istanbul"`` (the report's Istanbul column) charges what py-evm's Istanbul does.

The runner checks: the suite deploys and wires per the README recipe, a dispense with a valid
proof emits ``UnitDispensed`` and debits the holding, a second one is the ``DuplicateDispense``
alert, a bad proof reverts with the custom error, block timestamps reach the contracts in
milliseconds, and a fresh copy (what the report measures on) leaves the original state alone.
The cross-check runs the same transactions on both engines and compares the gas of each.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("eth.vm.forks", reason="py-evm (dev extra) is not installed")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _pyevm import IstanbulChain  # noqa: E402
from harness import DAY_MS, Artifact, Chain, Reverted  # noqa: E402
from world import BatchInfo, World  # noqa: E402


@pytest.fixture(scope="module")
def scene(artifacts: dict[str, Artifact]) -> tuple[World, BatchInfo]:
    w = World.deploy(artifacts, chain=IstanbulChain())
    product = w.register_product()
    batch = w.commit_batch(product, "IST-1", 64)
    w.ship(batch.batch_id, "man", "dist", 40)
    w.ship(batch.batch_id, "dist", "pharm", 10)
    return w, batch


def test_dispense_with_a_valid_proof_emits_unit_dispensed(scene: tuple[World, BatchInfo]) -> None:
    w, batch = scene
    snap = w.chain.snapshot()
    try:
        r = w.dispense(batch, 7)  # the pharmacy holds units 0..9
        ev = r.one("UnitDispensed")
        assert (ev["batchId"], ev["index"], ev["codeHash"], ev["orgId"]) == (
            batch.batch_id, 7, batch.code_hash(7), w.org("pharm"))
        assert ev.address == w.custody.address
        assert r.output is True
        assert w.holding(batch.batch_id, "pharm") == (9, 0)
        assert r.gas_used > 21_000

        again = w.dispense(batch, 7)
        assert [e.name for e in again.events] == ["DuplicateDispense"] and again.output is False
        assert w.holding(batch.batch_id, "pharm") == (9, 0)
    finally:
        w.chain.revert(snap)
    assert w.holding(batch.batch_id, "pharm") == (10, 0)


def test_a_wrong_proof_reverts_with_the_custom_error(scene: tuple[World, BatchInfo]) -> None:
    w, batch = scene
    with pytest.raises(Reverted) as info:
        w.dispense(batch, 4, proof=batch.proof(5))
    assert info.value.name == "CustodyLedgerInvalidProof"
    assert w.holding(batch.batch_id, "pharm") == (10, 0)


def test_block_timestamps_reach_the_contracts_in_milliseconds(scene: tuple[World, BatchInfo]) -> None:
    w, batch = scene
    snap = w.chain.snapshot()
    try:
        w.chain.advance(DAY_MS)
        w.stop_batch(batch.batch_id)
        r = w.recalls.transact("openRecall", batch.product_id, batch.batch_id, 1, bytes(32), sender=w.acct("man"))
        ev = r.one("RecallOpened")
        assert ev["decidedAt"] == w.chain.timestamp_ms
        assert ev["noticeDeadline"] == w.chain.timestamp_ms + DAY_MS
    finally:
        w.chain.revert(snap)


def test_a_fresh_copy_does_not_move_the_original(scene: tuple[World, BatchInfo]) -> None:
    w, batch = scene
    twin = w.chain.fresh_copy()
    twin.contracts["CustodyLedger"].transact("dispense", batch.batch_id, 3, batch.code_hash(3), batch.proof(3),
                                            sender=w.acct("pharm"))
    assert twin.contracts["CustodyLedger"].call("holdingOf", batch.batch_id, w.org("pharm")) == (9, 0)
    assert w.holding(batch.batch_id, "pharm") == (10, 0)


def test_pyrevm_istanbul_charges_what_py_evm_istanbul_charges(artifacts: dict[str, Artifact]) -> None:
    """Two independent EVMs at Istanbul: the same transactions cost the same gas, one by one."""
    gas: dict[str, list[int]] = {}
    for name, chain in (("py-evm", IstanbulChain()), ("pyrevm", Chain(spec_id="Istanbul"))):
        w = World.deploy(artifacts, chain=chain)
        product = w.register_product()
        batch = w.commit_batch(product, "XCHECK", 300)
        sid = w.ship(batch.batch_id, "man", "dist", 40, receive=False)
        twin = w.chain.fresh_copy()  # pyrevm measures honestly only on a fresh copy (cold journal)
        received = twin.contracts["CustodyLedger"].transact("receiveShipment", sid, 40, bytes(32),
                                                            sender=w.acct("dist"))
        w.custody.transact("receiveShipment", sid, 40, bytes(32), sender=w.acct("dist"))
        w.ship(batch.batch_id, "dist", "pharm", 10)
        twin = w.chain.fresh_copy()
        first = twin.contracts["CustodyLedger"].transact("dispense", batch.batch_id, 7, batch.code_hash(7),
                                                         batch.proof(7), sender=w.acct("pharm"))
        gas[name] = [received.gas_used, first.gas_used]
    assert gas["pyrevm"] == gas["py-evm"]
    assert gas["pyrevm"][1] > 21_000
