"""``TraceService.watch``: typed domain events for one organisation, pushed or polled — the story
played on a served dev chain, then watched by the pharmacy, the distributor and the regulator."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from fisco_drugtrace.drugtrace.service import TraceService
from fisco_drugtrace.drugtrace.story import ACTORS, play_story
from fisco_drugtrace.drugtrace.addressbook import AddressBook
from fisco_drugtrace.drugtrace.watch import WatchKind
from fisco_drugtrace.devchain import dev_keypairs
from fisco_drugtrace import LocalSigner

from push_helpers import Served, served

CAST = {a.role: a for a in ACTORS}


@pytest.fixture(scope="module", params=["v3", "v2"])
def story(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path, int]]:
    home = tmp_path_factory.mktemp(f"story-{request.param}")
    with served(request.param) as s:
        signers = [LocalSigner(k) for k in dev_keypairs(len(ACTORS))]
        play_story(s.push, signers, home, units=20)
        yield s, home, s.push.block_number()


def _events(s: Served, home: Path, head: int, org: str | None, push: bool, **kw: object) -> list:
    client = s.push if push else s.poll
    service = TraceService(client, None, AddressBook.in_home(home), home=home)
    with service.watch(org, from_block=0, to_block=head, push=push, **kw) as watch:
        assert watch.mode == ("push" if push else "poll")
        return list(watch)


def test_pharmacy_sees_its_shipments_stop_recall_notice_and_alert(story: tuple[Served, Path, int]) -> None:
    s, home, head = story
    events = _events(s, home, head, CAST["pharmacy"].credit_code, push=True)
    kinds = [e.kind for e in events]
    assert WatchKind.SHIPMENT_INCOMING in kinds
    assert WatchKind.BATCH_STOPPED in kinds and WatchKind.BATCH_RECALLED in kinds
    assert WatchKind.RECALL_NOTICE in kinds
    assert WatchKind.ALERT in kinds  # the box presented twice at the pharmacy
    pharmacy = "0x" + CAST["pharmacy"].org_id.hex()
    assert all(e.args["toOrgId"] == pharmacy for e in events if e.kind is WatchKind.SHIPMENT_INCOMING)
    blocks = [e.block_number for e in events]
    assert blocks == sorted(blocks) and len({e.event_id for e in events}) == len(events)
    # the same domain events, with the same ids, when the client polls instead
    assert [e.to_json() for e in _events(s, home, head, CAST["pharmacy"].credit_code, push=False)] == \
        [e.to_json() for e in events]


def test_an_organisation_sees_only_what_concerns_it(story: tuple[Served, Path, int]) -> None:
    s, home, head = story
    logistics = _events(s, home, head, CAST["logistics"].credit_code, push=True)
    assert not any(e.kind is WatchKind.BATCH_RECALLED for e in logistics)  # it never held stock
    everything = _events(s, home, head, None, push=True)  # the regulator's desk: every event of the kinds
    mine = {e.event_id for e in _events(s, home, head, CAST["pharmacy"].credit_code, push=True)}
    assert mine < {e.event_id for e in everything}


def test_kinds_filter_and_resume_from_checkpoint(story: tuple[Served, Path, int]) -> None:
    s, home, head = story
    org = CAST["distributor"].credit_code
    all_events = _events(s, home, head, org, push=True)
    alerts_only = _events(s, home, head, org, push=True, kinds=[WatchKind.SHIPMENT_INCOMING])
    assert alerts_only == [e for e in all_events if e.kind is WatchKind.SHIPMENT_INCOMING] and alerts_only
    service = TraceService(s.push, None, AddressBook.in_home(home), home=home)
    with service.watch(org, from_block=0, to_block=head) as first:
        part = [first.get(timeout=10) for _ in range(2)]
        checkpoint = first.checkpoint
    with service.watch(org, to_block=head, checkpoint=checkpoint) as second:
        rest = list(second)
    assert [e.to_json() for e in part + rest] == [e.to_json() for e in all_events]
