"""The SDK's release gate (T0b): a committed batch is NONE until release_batch, which the chain
refuses, naming what is missing, until the process is approved, its steps recorded and the
release test OK."""

from __future__ import annotations

import pytest

from fisco_drugtrace.drugtrace import LifecycleState, ReleaseStatus, product_id
from fisco_drugtrace.drugtrace.story import story_codes
from fisco_drugtrace.errors import ContractRevert, NotFound, ReleaseGateError

DAY = 86_400_000
PROCESS_A, PROCESS_B = b"\xa1" * 32, b"\xb2" * 32


def _refusal(call, *args, **kwargs) -> tuple[str, dict]:
    with pytest.raises(ContractRevert) as info:
        call(*args, **kwargs)
    return info.value.error_name, info.value.args


def _fresh_batch(market, approval: str, spec: str, batch_no: str, units: int, code_prefix: str):
    """A new batch of ``units`` codes of the product (approval, spec), registering the product
    on first use (the market fixture is shared by the module)."""
    reg, man = market.svc["regulator"], market.svc["manufacturer"]
    try:
        product = reg.get_product(product_id(approval, spec))
    except NotFound:
        product = reg.register_product(approval, spec, market.orgs["manufacturer"], min_temp=20, max_temp=80)
    now = man.now_ms()
    return man.register_batch(product.product_id, batch_no, story_codes(units, code_prefix), production_date=now,
                              expiry_date=now + 365 * DAY).batch


def test_release_gate_through_the_sdk(market) -> None:
    reg, man, pharm = market.svc["regulator"], market.svc["manufacturer"], market.svc["pharmacy"]
    batch = _fresh_batch(market, "国药准字H20267777", "REL", "REL-1", 6, "8160341")
    pid, bid = batch.product_id, batch.batch_id
    assert batch.state is LifecycleState.NONE and man.holding(bid, market.orgs["manufacturer"]).quantity == 0
    assert man.release_status(bid) == ReleaseStatus(bid, pid, 0, 0, 0, 0, False, 0)
    assert _refusal(man.release_batch, bid) == ("DrugRegistryProcessNotApproved",
                                                {"productId": pid, "approvedDefinitionId": 0, "pendingDefinitionId": 0})
    proposed = man.define_process(pid, 2, PROCESS_A)
    assert "ProcessDefinitionProposed" in proposed.triggered
    assert "ProcessDefinitionApproved" not in reg.approve_process(pid, PROCESS_B).triggered  # another document
    assert "ProcessDefinitionApproved" in reg.approve_process(pid, PROCESS_A).triggered
    status = man.release_status(bid)
    assert (status.approved_definition_id, status.missing_steps, status.ready) == (proposed.observation_id, (0, 1),
                                                                                   False)
    assert _refusal(man.release_batch, bid)[0] == "DrugRegistryProcessIncomplete"
    man.record_process_step(bid, 1)
    assert man.release_status(bid).missing_steps == (0,)
    man.record_process_step(bid, 0)
    assert _refusal(man.release_batch, bid) == ("DrugRegistryReleaseTestMissing", {"batchId": bid})
    man.record_release_test(bid, passed=False)
    assert man.release_status(bid).release_test_passed is False
    # the FAIL stays on the gate: the MAH's own later OK does not overwrite it (issue 12, defect 9)
    assert man.pass_release_gate(bid).release_test_passed is False
    reg.record_official_inspection(bid, passed=True)  # the regulator's re-test clears it
    ready = man.pass_release_gate(bid)
    assert ready.ready and ready.release_test_passed
    assert _refusal(pharm.release_batch, bid)[0] == "OrgRegistryUnauthorizedKind"
    released = man.release_batch(bid)
    assert released.state is LifecycleState.LISTED
    assert man.holding(bid, market.orgs["manufacturer"]).quantity == 6
    assert _refusal(man.release_batch, bid)[0] == "DrugRegistryInvalidTransition"
    with pytest.raises(NotFound):
        man.release_status(b"\x42" * 32)


def test_regulator_vetoes_through_the_sdk(market) -> None:
    """reject_process clears a pending definition; a failed official inspection blocks the release
    (ReleaseStatus.blocked, DrugRegistryReleaseBlocked with its arguments) until a passed one."""
    reg, man = market.svc["regulator"], market.svc["manufacturer"]
    batch = _fresh_batch(market, "国药准字H20267778", "VETO", "VETO-1", 3, "8160342")
    pid, bid = batch.product_id, batch.batch_id
    proposed = man.define_process(pid, 1, PROCESS_A)
    assert "ProcessDefinitionRejected" not in reg.reject_process(pid, PROCESS_B).triggered  # another document
    assert "ProcessDefinitionRejected" in reg.reject_process(pid, PROCESS_A).triggered
    status = man.release_status(bid)
    assert (status.approved_definition_id, status.pending_definition_id) == (0, 0)
    assert "ProcessDefinitionApproved" not in reg.approve_process(pid, PROCESS_A).triggered  # must propose again
    again = man.define_process(pid, 1, PROCESS_A)
    assert again.observation_id != proposed.observation_id
    assert "ProcessDefinitionApproved" in reg.approve_process(pid, PROCESS_A).triggered
    blocker = reg.record_official_inspection(bid, passed=False)
    assert "ReleaseBlocked" in blocker.triggered
    # pass_release_gate checks its preconditions first: blocked, it records nothing (issue 16, item 4)
    before = man.release_status(bid)
    with pytest.raises(ReleaseGateError) as refused:
        man.pass_release_gate(bid)
    assert len(refused.value.problems) == 1 and f"observation {blocker.observation_id}" in refused.value.problems[0]
    assert man.release_status(bid) == before and before.blocked and not before.ready
    assert _refusal(man.release_batch, bid) == ("DrugRegistryReleaseBlocked",
                                                {"batchId": bid, "observationId": blocker.observation_id})
    assert "ReleaseUnblocked" in reg.record_official_inspection(bid, passed=True).triggered
    assert man.pass_release_gate(bid).ready and man.release_status(bid).ready
    assert man.release_batch(bid).state is LifecycleState.LISTED
