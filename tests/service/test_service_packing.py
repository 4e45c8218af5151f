"""TraceService for packed batches (issue 17A) and unit-level operations (issue 12): register
with packing, ship/receive pallets and cases reconciled per container, unpack, a unit's case and
pallet, batched dispense, decommissioning and what a code check says of a decommissioned unit."""

from __future__ import annotations

import itertools

import pytest

from fisco_drugtrace.drugtrace.packing import CASE, PALLET, container_key
from fisco_drugtrace.drugtrace.packing_ops import ContainerStatus, UnitCustodyState
from fisco_drugtrace.drugtrace.story import story_codes
from fisco_drugtrace.drugtrace.verification import UnitState
from fisco_drugtrace.errors import ContractRevert, TraceCodeError

from test_service_flows import DAY, _product, _released

_lots = itertools.count(1)


def _packed(market, units: int = 40, per_case: int = 10, per_pallet: int = 2):
    man = market.svc["manufacturer"]
    n = next(_lots)
    first = 700_000 + n * 1000
    codes = list(story_codes(first + units, "8160348"))[first:]
    cases = -(-units // per_case)
    pallets = -(-cases // per_pallet)
    now = man.now_ms()
    reg, tree = man.register_packed_batch(
        _product(market).product_id, f"PK-{n}", codes, units_per_case=per_case, cases_per_pallet=per_pallet,
        case_codes=[f"00{n:04d}1{i:011d}" for i in range(cases)],
        pallet_codes=[f"00{n:04d}2{i:011d}" for i in range(pallets)],
        production_date=now, expiry_date=now + 365 * DAY)
    assert reg.batch.aggregation_root == tree.root
    _released(market, reg.batch.batch_id)
    return reg.batch.batch_id, codes, tree


def test_register_packed_batch_commits_the_layout(market) -> None:
    bid, codes, tree = _packed(market)
    man = market.svc["manufacturer"]
    layout = man.packing_layout(bid)
    assert (layout.unit_count, layout.units_per_case, layout.cases_per_pallet) == (40, 10, 2)
    st = man.container_state(bid, container_key(PALLET, 1))
    assert st.status is ContainerStatus.HELD and st.holder_org_id == market.orgs["manufacturer"] and not st.inside


def test_pallet_to_pharmacy_then_unit_path_and_d9(market) -> None:
    bid, codes, _ = _packed(market)
    man, dist, pharm = (market.svc[r] for r in ("manufacturer", "distributor", "pharmacy"))
    s = man.ship_packed(bid, market.orgs["distributor"], market.orgs["logistics"], [container_key(PALLET, 0)])
    assert s.quantity == 20
    assert man.packed_items(s.shipment_id) == [container_key(PALLET, 0)]
    got = dist.receive_packed(s.shipment_id, missing=[container_key(CASE, 1)])
    assert got.received == 10  # case 1 missing: a per-case discrepancy on chain
    assert dist.container_state(bid, container_key(CASE, 1)).status is ContainerStatus.MISSING
    assert dist.container_state(bid, container_key(PALLET, 0)).status is ContainerStatus.OPENED
    s2 = dist.ship_packed(bid, market.orgs["pharmacy"], market.orgs["logistics"], [container_key(CASE, 0)])
    pharm.receive_packed(s2.shipment_id)
    path = pharm.unit_path(codes[3])
    assert (path.index, path.case.index, path.pallet.index) == (3, 0, 0)
    assert path.case.holder_org_id == market.orgs["pharmacy"] and path.unit.inside
    # D9: a unit whose case is still at the manufacturer cannot be dispensed by the pharmacy
    with pytest.raises(ContractRevert) as err:
        pharm.dispense(codes[25])
    assert err.value.error_name == "CustodyLedgerNotUnitHolder"
    with pytest.raises(ContractRevert):
        pharm.dispense(codes[3])  # its case is still intact
    opened = pharm.unpack(bid, container_key(CASE, 0))
    assert opened.status is ContainerStatus.OPENED
    assert pharm.dispense(codes[3]).dispensed


def test_dispense_many_and_decommission(market) -> None:
    bid, codes, _ = _packed(market)
    man, pharm, reg = market.svc["manufacturer"], market.svc["pharmacy"], market.svc["regulator"]
    s = man.ship_packed(bid, market.orgs["pharmacy"], market.orgs["logistics"], [container_key(PALLET, 0)])
    pharm.receive_packed(s.shipment_id)
    pharm.unpack(bid, container_key(PALLET, 0))
    pharm.unpack(bid, container_key(CASE, 0))
    pharm.unpack(bid, container_key(CASE, 1))
    pharm.dispense(codes[2])
    many = pharm.dispense_many([codes[i] for i in (5, 2, 3, 4)])
    assert many.dispensed == (codes[3], codes[4], codes[5]) and many.alerts == (codes[2],)
    assert pharm.holding(bid, market.orgs["pharmacy"]).quantity == 20 - 4
    gone = pharm.decommission([codes[11], codes[12]], "stolen")
    assert gone.state is UnitCustodyState.STOLEN and gone.holder_org_id == market.orgs["pharmacy"]
    assert pharm.unit_state(bid, 11) is UnitCustodyState.STOLEN
    verdict = pharm.verify_code(codes[11])
    assert verdict.genuine and verdict.state is UnitState.STOLEN and not verdict.dispensed
    assert "stolen" in verdict.reason and not verdict.usable
    again = pharm.dispense_many([codes[11], codes[13]])
    assert again.dispensed == (codes[13],) and again.alerts == (codes[11],)
    assert any(n == "DecommissionedUnitPresented" for n, _ in again.tx.events)
    sampled = reg.decommission([codes[14]], "sampled", holder=market.orgs["pharmacy"])
    assert sampled.state is UnitCustodyState.SAMPLED
    assert pharm.verify_code(codes[14]).state is UnitState.SAMPLED
    assert pharm.holding(bid, market.orgs["pharmacy"]).quantity == 20 - 4 - 2 - 1 - 1
    with pytest.raises(TraceCodeError):
        pharm.dispense_many([])
    with pytest.raises(ValueError):
        pharm.decommission([codes[15]], "misplaced")


def test_manifest_carries_the_packing_and_import_checks_it(market, tmp_path) -> None:
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from fisco_drugtrace.drugtrace.manifest import ManifestMismatch, parse_manifest, render_manifest

    bid, codes, tree = _packed(market)
    man = market.svc["manufacturer"]
    data = man.export_manifest(bid)
    parsed = parse_manifest(data)
    assert parsed.packing["packing_root"] == "0x" + tree.root.hex()
    assert parsed.packing["case_codes"] == list(tree.case_codes)
    other_home = tmp_path / "elsewhere"
    book = AddressBook.in_home(other_home)
    book.put(man.deployment)
    elsewhere = TraceService(market.client, market.svc["pharmacy"].signer, book, home=other_home)
    try:
        done = elsewhere.import_manifest(data)
        assert done.unit_count == 40 and elsewhere.held_packing(bid)["cases_per_pallet"] == 2
        # the same codes with a tampered case code, or without the packing: refused
        chain, group = man.chain_key
        base = dict(chain_id=chain, group_id=group, org_registry=man.deployment.address("OrgRegistry"),
                    batch_id=bid, product_id=parsed.product_id, lot=parsed.lot, unit_root=parsed.unit_root,
                    codes=codes)
        bad = dict(parsed.packing, case_codes=["X"] + parsed.packing["case_codes"][1:])
        false_root = dict(parsed.packing, packing_root="0x" + "33" * 32)  # right containers, a false claim
        for n, packing in enumerate((bad, None, false_root)):
            fresh = TraceService(market.client, market.svc["pharmacy"].signer, book, home=tmp_path / f"fresh{n}")
            try:
                with pytest.raises(ManifestMismatch):
                    fresh.import_manifest(render_manifest(**base, packing=packing))
                assert fresh.held_packing(bid) is None and fresh.codes.batch(bid) is None
            finally:
                fresh.close()
        # a right packing with the units' codes tampered: refused, and the packing is not kept either
        swapped = list(codes)
        swapped[0], swapped[1] = swapped[1], swapped[0]
        fresh = TraceService(market.client, market.svc["pharmacy"].signer, book, home=tmp_path / "fresh-codes")
        try:
            with pytest.raises(ManifestMismatch):
                fresh.import_manifest(render_manifest(**base | {"codes": swapped}, packing=parsed.packing))
            assert fresh.held_packing(bid) is None and fresh.codes.batch(bid) is None
        finally:
            fresh.close()
    finally:
        elsewhere.close()


def test_audit_index_follows_containers_and_a_units_path_by_case(market) -> None:
    """The audit sync indexes the PackingLedger's events (its address comes from the
    CustodyLedger), and a unit's trace keeps those of its own case and pallet only."""
    bid, codes, tree = _packed(market)
    man, dist, pharm = (market.svc[r] for r in ("manufacturer", "distributor", "pharmacy"))
    p0, c0, c1 = container_key(PALLET, 0), container_key(CASE, 0), container_key(CASE, 1)
    s = man.ship_packed(bid, market.orgs["distributor"], market.orgs["logistics"], [p0])
    dist.receive_packed(s.shipment_id, missing=[c1])
    s2 = dist.ship_packed(bid, market.orgs["pharmacy"], market.orgs["logistics"], [c0])
    pharm.receive_packed(s2.shipment_id)
    pharm.unpack(bid, c0)
    pharm.repack(bid, c0)
    auditor = man.with_signer(man.signer)  # a service that has not looked the PackingLedger up
    batch = auditor.trace_batch(bid)
    names = [e.event for e in batch.entries if e.contract == "PackingLedger"]
    # a receipt with a case missing opens its pallet at the receiver
    assert names == ["PackedShipmentDispatched", "ContainerUnpacked", "ContainerMissing", "PackedShipmentDispatched",
                     "ContainerUnpacked", "ContainerRepacked"]
    three = auditor.trace_unit(codes[3])  # case 0, pallet 0
    assert three.packing is not None
    assert (three.packing.index, three.packing.case, three.packing.pallet) == (3, 0, 0)
    assert (three.packing.case_code, three.packing.pallet_code) == (tree.case_codes[0], tree.pallet_codes[0])
    path = [(e.event, e.args.get("shipmentId"), e.args.get("key")) for e in three.packing.entries]
    assert path == [("PackedShipmentDispatched", s.shipment_id, None), ("ContainerUnpacked", None, p0),
                    ("PackedShipmentDispatched", s2.shipment_id, None), ("ContainerUnpacked", None, c0),
                    ("ContainerRepacked", None, c0)]
    assert [e for e in three.entries if e.contract == "PackingLedger"] == list(three.packing.entries)
    # checked from the index as a served scan is, the trace (packing layout included) is the same
    from fisco_drugtrace.drugtrace.served import IndexedVerifier

    verifier = IndexedVerifier(lambda: auditor)
    try:
        served = verifier.verify(codes[3])
        assert served.genuine and served.as_of_block is not None
        assert auditor.trace_unit(codes[3], sync=False, checked=served) == three
    finally:
        verifier.close()
    thirteen = auditor.trace_unit(codes[13])  # case 1 (missing at the distributor), pallet 0
    assert [(e.event, e.args["key"]) for e in thirteen.packing.entries if "key" in e.args] == [
        ("ContainerUnpacked", p0), ("ContainerMissing", c1)]
    thirty = auditor.trace_unit(codes[30])  # pallet 1 never moved: no container event
    assert (thirty.packing.case, thirty.packing.pallet, thirty.packing.entries) == (3, 1, ())


def test_where_by_case_from_the_index_is_the_chains_table(market) -> None:
    """``audit where --by-case`` (issue 17A item 3): the audit index replays the PackingLedger's
    events into the same table the chain's ``containerState`` gives — pallets and cases shipped,
    missing (from the MAH, and from a distributor that sent a pallet on), unpacked, repacked,
    rejected back to the sender, in transit, a whole pallet missing — and when the index is
    behind the chain (no sync) the table is read from the chain."""
    bid, _codes, _ = _packed(market, units=60, per_case=5, per_pallet=3)  # 12 cases, 4 pallets
    man, dist, pharm, hosp = (market.svc[r] for r in ("manufacturer", "distributor", "pharmacy", "hospital"))
    o = market.orgs
    p = [container_key(PALLET, i) for i in range(4)]
    c = [container_key(CASE, i) for i in range(12)]
    s1 = man.ship_packed(bid, o["distributor"], o["logistics"], [p[0], p[1]])
    dist.receive_packed(s1.shipment_id, missing=[c[1]])  # pallet 0 arrives opened, case 1 missing
    s2 = dist.ship_packed(bid, o["pharmacy"], o["logistics"], [p[1]])
    pharm.receive_packed(s2.shipment_id, missing=[c[4]])  # missing from the distributor, not the MAH
    pharm.unpack(bid, c[3])
    pharm.repack(bid, c[3])
    s3 = dist.ship_packed(bid, o["hospital"], o["logistics"], [c[0]])
    hosp.reject(s3.shipment_id)  # back, intact, with the distributor
    s4 = dist.ship_packed(bid, o["hospital"], o["logistics"], [c[2]])  # left in transit
    s5 = man.ship_packed(bid, o["distributor"], o["logistics"], [p[2]])
    dist.receive_packed(s5.shipment_id)
    dist.unpack(bid, p[2])
    dist.repack(bid, p[2])
    s6 = man.ship_packed(bid, o["distributor"], o["logistics"], [p[3]])
    dist.receive_packed(s6.shipment_id, missing=[p[3]])  # the whole pallet lost on the way

    table = dist.case_table(bid)
    assert table.source == "index" and table.block == market.client.block_number()
    chain = dist.chain_case_table(bid)
    assert chain.source == "chain"
    assert table.containers == chain.containers  # the same table, container by container
    by_key = {s.key: (s.status, s.holder_org_id, s.shipment_id, s.inside) for s in table.containers}
    H, T, O, M = ContainerStatus.HELD, ContainerStatus.TRANSIT, ContainerStatus.OPENED, ContainerStatus.MISSING
    assert by_key[p[0]] == (O, o["distributor"], 0, False)
    assert by_key[c[0]] == (H, o["distributor"], 0, False)  # rejected: back with its sender
    assert by_key[c[1]] == (M, o["manufacturer"], s1.shipment_id, False)
    assert by_key[c[2]] == (T, o["distributor"], s4.shipment_id, False)
    assert by_key[p[1]] == (O, o["pharmacy"], 0, False)
    assert by_key[c[3]] == (H, o["pharmacy"], 0, False)  # unpacked, then repacked
    assert by_key[c[4]] == (M, o["distributor"], s2.shipment_id, False)
    assert by_key[p[2]] == (H, o["distributor"], 0, False) and by_key[c[7]] == (H, o["distributor"], 0, True)
    assert by_key[p[3]] == (M, o["manufacturer"], s6.shipment_id, False)
    assert by_key[c[10]] == (M, o["manufacturer"], s6.shipment_id, True)
    assert dist.where_by_case(bid) == list(table.containers)

    pharm.unpack(bid, c[5])  # the chain moves on; an index not synced is behind it
    behind = dist.case_table(bid, sync=False)
    assert behind.source == "chain"
    assert {s.key: s.status for s in behind.containers}[c[5]] is O
    synced = dist.case_table(bid)
    assert synced.source == "index" and synced.containers == behind.containers
