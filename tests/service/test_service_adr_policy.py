"""The SDK's adverse-reaction policy: window and threshold cap reach the chain and read back."""

from __future__ import annotations

import pytest

from fisco_drugtrace.drugtrace import ADR_MAX_THRESHOLD, AdrPolicy, ObservationPoint, ObservationResult, product_id
from fisco_drugtrace.errors import ContractRevert, NotFound

MINUTE = 60_000


def _product(market):
    reg = market.svc["regulator"]
    try:
        return reg.get_product(product_id("国药准字H20269901", "ADR"))
    except NotFound:
        return reg.register_product("国药准字H20269901", "ADR", market.orgs["manufacturer"], min_temp=20, max_temp=80)


def test_policy_with_a_window_reads_back(market) -> None:
    reg = market.svc["regulator"]
    pid = _product(market).product_id
    assert reg.get_adr_policy(pid) == AdrPolicy(pid, 0, 0, False)
    tx = reg.set_adr_policy(pid, 3, True, window_ms=30 * MINUTE)
    [event] = [dict(a) for n, a in tx.events if n == "AdrPolicySet"]
    assert (event["threshold"], event["windowMs"], event["autoStop"]) == (3, 30 * MINUTE, True)
    assert reg.get_adr_policy(pid) == AdrPolicy(pid, 3, 30 * MINUTE, True)
    reg.set_adr_policy(pid, 2, False)  # no window: cumulative, as before windows existed
    assert reg.get_adr_policy(pid) == AdrPolicy(pid, 2, 0, False)


def test_threshold_above_the_cap_is_refused_by_the_chain(market) -> None:
    reg = market.svc["regulator"]
    pid = _product(market).product_id
    with pytest.raises(ContractRevert) as info:
        reg.set_adr_policy(pid, ADR_MAX_THRESHOLD + 1, True, window_ms=MINUTE)
    assert info.value.error_name == "DrugRegistryInvalidAdrPolicy"
    assert info.value.args == {"threshold": ADR_MAX_THRESHOLD + 1, "maxThreshold": ADR_MAX_THRESHOLD}


def test_serious_reports_within_the_window_raise_the_alert(market) -> None:
    from fisco_drugtrace.drugtrace.story import story_codes

    reg, man, hosp = market.svc["regulator"], market.svc["manufacturer"], market.svc["hospital"]
    pid = _product(market).product_id
    reg.set_adr_policy(pid, 2, False, window_ms=24 * 60 * MINUTE)
    now = man.now_ms()
    man.define_process(pid, 1, b"\x9f" * 32)
    reg.approve_process(pid, b"\x9f" * 32)
    batch = man.register_batch(pid, "ADR-1", story_codes(3, "8160349"), production_date=now,
                               expiry_date=now + 365 * 24 * 60 * MINUTE).batch
    man.pass_release_gate(batch.batch_id)
    man.release_batch(batch.batch_id)
    # a hospital that never held a unit of the batch is recorded, not counted (issue 12, defect 3)
    stranger = hosp.observe(ObservationPoint.ADVERSE_REACTION, batch.batch_id, ObservationResult.SERIOUS)
    assert "AdverseReactionNotCounted" in stranger.triggered
    first = man.observe(ObservationPoint.ADVERSE_REACTION, batch.batch_id, ObservationResult.SERIOUS)
    assert "AdverseReactionThresholdReached" not in first.triggered
    again = man.observe(ObservationPoint.ADVERSE_REACTION, batch.batch_id, ObservationResult.SERIOUS)
    assert "AdverseReactionNotCounted" in again.triggered  # one organisation counts once in the window
    second = reg.observe(ObservationPoint.ADVERSE_REACTION, batch.batch_id, ObservationResult.SERIOUS)
    assert "AdverseReactionThresholdReached" in second.triggered
