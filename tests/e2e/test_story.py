"""The demo story end to end on the in-process dev chain: on-chain state and the auditor's report."""

from __future__ import annotations

import dataclasses

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace import LifecycleState, RecallStatus, ShipmentStatus, UnitState
from fisco_drugtrace.drugtrace.audit import AuditIndex, unit_trace, where_is
from fisco_drugtrace.drugtrace.audit.report import report_from_json, report_to_json
from fisco_drugtrace.drugtrace.audit.verify import index_evidence, verify_evidence
from fisco_drugtrace.drugtrace.ids import code_hash
from fisco_drugtrace.drugtrace.story import ACTORS, play_story
from fisco_drugtrace.errors import IndexMismatchError, VerificationError


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    home = tmp_path_factory.mktemp("story-home")
    chain = DevChain(DevChainConfig())
    client = connect(Settings(), handler=chain.handle_raw)
    signers = [LocalSigner(k) for k in dev_keypairs(len(ACTORS))]
    steps: list[str] = []
    result = play_story(client, signers, home, narrate=lambda title, _detail: steps.append(title))
    yield result, steps, client, chain
    client.close()
    chain.close()


def test_story_ends_with_the_batch_destroyed_and_the_case_closed(story) -> None:
    result, steps, _, _ = story
    reg = result.services["regulator"]
    batch = reg.get_batch(result.batch_id)
    assert batch.state is LifecycleState.DESTROYED and batch.unit_count == 10_000
    case = reg.get_recall(result.recall_id)
    assert case.status is RecallStatus.CLOSED and case.notice_at - case.decided_at <= 86_400_000
    ids = {a.role: a.org_id for a in ACTORS}
    for role in ("distributor", "hospital", "pharmacy", "manufacturer"):
        held = reg.holding(result.batch_id, ids[role])
        assert (held.quantity, held.quarantined) == (0, 0), role
    assert reg.get_shipment(result.shipments["to_hospital"]).excursion
    assert reg.get_shipment(result.shipments["return_0"]).status is ShipmentStatus.RECEIVED
    assert len(steps) >= 12


def test_units_dispensed_once_and_the_duplicate_changed_nothing(story) -> None:
    result, _, _, _ = story
    reg = result.services["regulator"]
    locations = [reg.codes.locate(c) for c in result.dispensed_codes]
    assert all(loc is not None and reg.is_dispensed(result.batch_id, loc.index) for loc in locations)
    untouched = reg.codes.locate(result.codes[0])
    assert untouched is not None and not reg.is_dispensed(result.batch_id, untouched.index)
    assert result.recovered == {"pharmacy": 1997, "hospital": 2000, "distributor": 2000}
    verdict = reg.verify_code(result.duplicate_code)
    assert verdict.genuine and verdict.dispensed and not verdict.listed
    assert any("#" in line for line in verdict.history)
    fake = reg.verify_code("8160347" + "9" * 13)
    assert not fake.genuine
    destroyed = reg.verify_code(result.codes[0])  # never dispensed; its batch was destroyed in the story
    assert destroyed.genuine and destroyed.state is UnitState.DESTROYED and not destroyed.usable


def test_auditor_report_matches_the_chain(story) -> None:
    result, _, _, _ = story
    report = result.report
    assert report is not None
    (case,) = report.recalls
    assert (case.recall_id, case.level, case.status, case.recovered) == (result.recall_id, "I", "CLOSED", 5997)
    assert case.destroyed_confirmed == 9997
    (compliance,) = report.compliance
    assert compliance.compliant is True and compliance.contract_late is False
    (completion,) = report.completion
    assert completion.outstanding_at_decision == 5997 and completion.percent == 100.0
    kinds = [a.kind for a in report.alerts]
    assert kinds.count("DuplicateDispense") == 1 and "TemperatureExcursion" in kinds
    assert any(a.kind == "ObservationRecorded" and "inspection" in a.description for a in report.alerts)
    (where,) = report.recalled_batches
    assert where.dispensed == 3 and where.destroyed == 9997 and where.accounted == 10_000
    assert "City No. 1 Hospital" in result.report_markdown or "Kangjian Pharmacy" in result.report_markdown


def test_audit_verify_accepts_the_report_and_catches_tampering(story) -> None:
    result, _, client, _ = story
    reg = result.services["regulator"]
    evidence = report_from_json(report_to_json(result.report))
    with AuditIndex(result.index_path) as index:
        checked = verify_evidence(client, reg.suite.decoder, evidence, index=index)
        assert checked.checked == len(evidence) > 0
        assert checked.transactions_fetched == checked.transactions > 0
        everything = index_evidence(index)
        assert verify_evidence(client, reg.suite.decoder, everything, index=index).checked == index.event_count
        bad_args = dataclasses.replace(evidence[0], args={**evidence[0].args, "recallId": 99})
        wrong_tx = dataclasses.replace(evidence[1], tx_hash="0x" + "11" * 32)
        wrong_block = dataclasses.replace(evidence[2], block_number=evidence[2].block_number + 1)
        with pytest.raises(VerificationError) as info:
            verify_evidence(client, reg.suite.decoder, [bad_args, wrong_tx, wrong_block], index=index)
        assert len(info.value.differences) == 3
        assert "recallId" in info.value.differences[0]


def test_index_queries_on_real_events(story) -> None:
    result, _, _, _ = story
    with AuditIndex(result.index_path) as index:
        trace = unit_trace(index, result.batch_id, code_hash(result.duplicate_code))
        names = [e.event for e in trace.entries]
        assert names[0] == "BatchCommitted" and "UnitDispensed" in names and "DuplicateDispense" in names
        assert "RecallOpened" in names and "DestructionConfirmed" in names
        assert all(e.ts_ms for e in trace.entries)
        w = where_is(index, result.batch_id)
        on_chain = result.services["regulator"].holding(result.batch_id, ACTORS[1].org_id)
        by_org = {h.org_id: h for h in w.holdings}
        assert by_org["0x" + ACTORS[1].org_id.hex()].quantity == on_chain.quantity == 0


def test_index_refuses_a_chain_that_was_reset(story, tmp_path) -> None:
    result, _, _, _ = story
    reg = result.services["regulator"]
    other_chain = DevChain(DevChainConfig())
    other = connect(Settings(), handler=other_chain.handle_raw)
    try:
        with AuditIndex(result.index_path) as index:
            from fisco_drugtrace.drugtrace.audit.sync import sync_index

            with pytest.raises(IndexMismatchError) as info:
                sync_index(index, other, reg.suite.decoder)
            assert info.value.block_number > 0 and "chain head is 0" in info.value.chain_hash
            # grow the other chain past the index's anchors: now the block hashes differ
            signer = LocalSigner(dev_keypairs(1)[0])
            while other.block_number() < index.last_block:
                other.send_transaction(signer, "0x" + "11" * 20, b"")
            with pytest.raises(IndexMismatchError) as info:
                sync_index(index, other, reg.suite.decoder)
            assert info.value.chain_hash.startswith("0x") and info.value.chain_hash != info.value.indexed_hash
    finally:
        other.close()
        other_chain.close()
