"""Time-dependent rules tested by MOVING THE CLOCK of a real dev chain (the pytest plugin's
session chain and its test controls), not by back-dating inputs: the recall notice deadlines
(1/3/7 days for levels I/II/III) and progress intervals, the adverse-reaction window, licence
expiry and batch expiry. Every test is isolated by the plugin's snapshot/revert, so a clock moved
by one test is back where it was for the next."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from fisco_drugtrace.drugtrace import (
    AddressBook,
    ObservationPoint,
    ObservationResult,
    OrgKind,
    RecallLevel,
    TraceService,
    product_id,
)
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes
from fisco_drugtrace.drugtrace.suite import suite_abi
from fisco_drugtrace.errors import ContractRevert

DAY = 86_400_000
HOUR = 3_600_000
DAYS = {RecallLevel.I: 1, RecallLevel.II: 3, RecallLevel.III: 7}
PROCESS = b"\x8e" * 32
_lots = itertools.count(1)


@dataclass
class Scene:
    svc: dict[str, TraceService]
    orgs: dict[str, bytes]
    product: bytes


@pytest.fixture(scope="module")
def scene(devchain_session: Any, dev_client: Any, dev_signers: list[Any], dev_controls: Any,
          tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The suite and the cast on the plugin's session chain, with a listed product (set up once;
    every test then starts from here through the ``devchain`` fixture)."""
    home = tmp_path_factory.mktemp("deadlines-home")
    regulator = TraceService(dev_client, dev_signers[0], AddressBook.in_home(home), home=home, clock=dev_controls.time)
    root = ACTORS[0]
    regulator.deploy(root.credit_code, region=root.region, name=root.name)
    svc = {"regulator": regulator}
    for actor, signer in zip(ACTORS[1:], dev_signers[1:]):
        regulator.register_org(actor.credit_code, actor.kind, actor.region, name=actor.name)
        regulator.bind_account(signer.address, actor.credit_code)
        svc[actor.role] = regulator.with_signer(signer)
    orgs = {a.role: a.org_id for a in ACTORS}
    product = regulator.register_product("国药准字H20268888", "10 tablets", orgs["manufacturer"], min_temp=20,
                                         max_temp=80)
    svc["manufacturer"].define_process(product.product_id, 1, PROCESS)
    regulator.approve_process(product.product_id, PROCESS)
    return Scene(svc, orgs, product.product_id)


def _released_batch(scene: Scene, *, shelf_life_ms: int = 365 * DAY) -> bytes:
    man = scene.svc["manufacturer"]
    now = man.now_ms()
    first = next(_lots) * 100
    codes = story_codes(first + 5, "8160351")[first:]
    batch = man.register_batch(scene.product, f"DL-{first}", codes, production_date=now,
                               expiry_date=now + shelf_life_ms).batch
    man.pass_release_gate(batch.batch_id)
    man.release_batch(batch.batch_id)
    return batch.batch_id


def _events(scene: Scene, name: str) -> list[dict]:
    """The RecallManager's ``name`` events on the chain as it is now (read from the logs, not the
    audit index: an index rightly refuses a chain that was reverted under it)."""
    reg = scene.svc["regulator"]
    address = reg.deployment.contracts["RecallManager"]
    abi = suite_abi("RecallManager")
    decoded = (abi.decode_log(log) for log in reg.client.get_logs(0, reg.client.block_number(), [address], None))
    return [dict(e.args) for e in decoded if e is not None and e.name == name]


def _notice_event(scene: Scene, batch: bytes) -> dict:
    return _events(scene, "RecallNoticeIssued")[-1]


@pytest.mark.parametrize("level", list(DAYS), ids=lambda lv: lv.name)
def test_a_notice_on_the_last_day_is_on_time_and_one_later_is_late(scene: Scene, devchain: Any, dev_controls: Any,
                                                                   level: RecallLevel) -> None:
    man = scene.svc["manufacturer"]
    batch = _released_batch(scene)
    man.stop(batch)
    case = man.open_recall(level, batch=batch)
    assert case.notice_deadline - case.decided_at == DAYS[level] * DAY
    snap = dev_controls.snapshot()
    # exactly at the deadline: on time
    dev_controls.set_next_block_timestamp(case.notice_deadline)
    on_time = man.issue_notice(case.recall_id)
    assert on_time.notice_at == case.notice_deadline
    assert _notice_event(scene, batch)["late"] is False
    # the same notice a millisecond after the deadline: late (flagged, not refused)
    assert dev_controls.revert(snap)
    dev_controls.increase_time(DAYS[level] * DAY)
    dev_controls.mine()
    late = man.issue_notice(case.recall_id)
    assert late.notice_at > case.notice_deadline
    assert _notice_event(scene, batch)["late"] is True


def test_progress_reports_are_overdue_after_one_interval(scene: Scene, devchain: Any, dev_controls: Any) -> None:
    man = scene.svc["manufacturer"]
    batch = _released_batch(scene)
    man.stop(batch)
    case = man.open_recall(RecallLevel.I, batch=batch)
    man.issue_notice(case.recall_id)
    dev_controls.increase_time(DAY - HOUR)  # within the level-I interval (1 day)
    man.report_progress(case.recall_id)
    dev_controls.increase_time(DAY + 1)     # past it
    man.report_progress(case.recall_id)
    reports = [r for r in _events(scene, "RecallProgressReported") if r["recallId"] == case.recall_id]
    assert [r["overdue"] for r in reports] == [False, True]


@pytest.mark.parametrize("gap_ms,reached", [(23 * HOUR, True), (25 * HOUR, False)], ids=["inside", "outside"])
def test_the_adr_window_counts_only_reports_inside_it(scene: Scene, devchain: Any, dev_controls: Any, gap_ms: int,
                                                      reached: bool) -> None:
    reg, man = scene.svc["regulator"], scene.svc["manufacturer"]
    reg.set_adr_policy(scene.product, 2, False, window_ms=DAY)
    batch = _released_batch(scene)
    # two organisations that count (the MAH holds the batch; a regulator): one report each (issue 12)
    man.observe(ObservationPoint.ADVERSE_REACTION, batch, ObservationResult.SERIOUS)
    dev_controls.increase_time(gap_ms)
    second = reg.observe(ObservationPoint.ADVERSE_REACTION, batch, ObservationResult.SERIOUS)
    assert ("AdverseReactionThresholdReached" in second.triggered) is reached


def test_an_expired_licence_stops_the_organisation_acting(scene: Scene, devchain: Any, dev_controls: Any,
                                                          dev_signers: list[Any]) -> None:
    reg = scene.svc["regulator"]
    code = "91110000LICENCE01X"
    expiry = dev_controls.time() + 30 * DAY
    reg.register_org(code, OrgKind.PHARMACY, ACTORS[0].region, licence_expiry=expiry, name="Short Licence")
    reg.bind_account(dev_signers[9].address, code)
    pharmacy = reg.with_signer(dev_signers[9])
    batch = _released_batch(scene)
    pharmacy.observe(ObservationPoint.ADVERSE_REACTION, batch, ObservationResult.DEVIATION)  # licensed: accepted
    dev_controls.increase_time(31 * DAY)
    with pytest.raises(ContractRevert) as refused:
        pharmacy.observe(ObservationPoint.ADVERSE_REACTION, batch, ObservationResult.DEVIATION)
    assert refused.value.error_name == "OrgRegistryLicenceExpired"


def test_an_expired_licence_refuses_a_shipment_to_the_organisation(scene: Scene, devchain: Any,
                                                                   dev_controls: Any) -> None:
    """Licence expiry on the receiving side: the custody ledger checks the addressee's licence
    (``OrgRegistry.requireActiveOrg``) at the block's time, so once the clock passes it a shipment to
    that pharmacy is refused, and a renewed licence (``updateLicence``) lets it through again."""
    reg, man = scene.svc["regulator"], scene.svc["manufacturer"]
    code = "91110000LICENCE02X"
    expiry = dev_controls.time() + 30 * DAY
    pharmacy = reg.register_org(code, OrgKind.PHARMACY, ACTORS[0].region, licence_expiry=expiry,
                                name="Short Licence Two").org_id
    batch = _released_batch(scene)
    assert man.dispatch(batch, pharmacy, scene.orgs["logistics"], 1).quantity == 1  # licensed: accepted
    dev_controls.set_next_block_timestamp(expiry)  # on the expiry instant itself: still licensed
    man.dispatch(batch, pharmacy, scene.orgs["logistics"], 1)
    dev_controls.increase_time(DAY)
    with pytest.raises(ContractRevert) as refused:
        man.dispatch(batch, pharmacy, scene.orgs["logistics"], 1)
    assert refused.value.error_name == "OrgRegistryLicenceExpired"
    assert refused.value.error_args == {"orgId": pharmacy, "expiry": expiry}
    reg.suite.transact(reg.suite.orgs, "updateLicence", pharmacy, expiry + 365 * DAY, bytes(32))
    assert man.dispatch(batch, pharmacy, scene.orgs["logistics"], 1).quantity == 1


def test_an_expired_batch_cannot_be_dispatched(scene: Scene, devchain: Any, dev_controls: Any) -> None:
    man = scene.svc["manufacturer"]
    batch = _released_batch(scene, shelf_life_ms=10 * DAY)
    man.dispatch(batch, scene.orgs["distributor"], scene.orgs["logistics"], 1)
    dev_controls.increase_time(11 * DAY)
    with pytest.raises(ContractRevert) as refused:
        man.dispatch(batch, scene.orgs["distributor"], scene.orgs["logistics"], 1)
    assert refused.value.error_name == "CustodyLedgerBatchExpired"


def test_each_test_starts_with_the_clock_where_the_scene_left_it(scene: Scene, devchain: Any,
                                                                  dev_controls: Any) -> None:
    # earlier tests moved the clock by up to 31 days; the plugin reverted every move
    assert dev_controls.time() < devchain.chain.head.timestamp + DAY


def test_the_auditor_judges_notices_against_the_level_limits_on_the_moved_clock(scene: Scene, devchain: Any,
                                                                                  dev_controls: Any) -> None:
    """The real-chain counterpart of the synthetic-event compliance test: three recalls decided
    together; level I notified after 20 h, level II after 4 days, level III never; 8 days on."""
    man, reg = scene.svc["manufacturer"], scene.svc["regulator"]
    cases = {}
    for level in (RecallLevel.I, RecallLevel.II, RecallLevel.III):
        batch = _released_batch(scene)
        man.stop(batch)
        cases[level] = man.open_recall(level, batch=batch)
    dev_controls.increase_time(20 * HOUR)
    man.issue_notice(cases[RecallLevel.I].recall_id)
    dev_controls.increase_time(4 * DAY - 20 * HOUR)
    man.issue_notice(cases[RecallLevel.II].recall_id)
    dev_controls.increase_time(4 * DAY)
    dev_controls.mine()
    reg.reset_audit_index()  # an index of an earlier test's (reverted) chain is rightly refused
    found = {c.recall_id: c for c in reg.audit_compliance(now_ms=dev_controls.time())}
    first, second, third = (found[cases[lv].recall_id] for lv in (RecallLevel.I, RecallLevel.II, RecallLevel.III))
    assert first.compliant is True and 20 * HOUR <= first.elapsed_ms < 21 * HOUR
    assert second.compliant is False and second.contract_late is True
    assert third.compliant is False  # 8 days into a 7-day limit, never notified
